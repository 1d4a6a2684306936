package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/metrics"
)

// metricsOptions maps the configuration onto metrics.Options for one site
// (nil: no site-specific overrides).
func metricsOptions(cfg config.Config, site *config.SiteConfig) metrics.Options {
	mc := cfg.Metrics
	rule := metrics.EscapeRule{
		Labels:             mc.EscapedDefects.Labels,
		Priorities:         mc.EscapedDefects.Priorities,
		AfterLinkedRelease: mc.EscapedDefects.AfterRelease,
	}
	if f := mc.EscapedDefects.Field; f != "" {
		if strings.EqualFold(f, "environment") {
			rule.Environments = mc.EscapedDefects.Values
		} else {
			rule.FieldValues = map[string][]string{f: mc.EscapedDefects.Values}
		}
	}
	opt := metrics.Options{
		Location:        cfg.Location(),
		GoalThreshold:   mc.SprintGoal.Threshold,
		WorkingDays:     mc.WorkingDays,
		DefectTypes:     mc.EscapedDefects.Types,
		EscapeRule:      rule,
		StaleDays:       mc.StaleDays,
		VelocityWindows: mc.VelocityWindows,
		// Never nil: the configuration's [] means "leave no type out",
		// while metrics reads nil as its default.
		FlowExcludeTypes: append([]string{}, mc.FlowExcludeTypes...),
		IncludeSubtasks:  mc.IncludeSubtasks,
		ReadyLabels:      mc.ReadyLabels,
	}
	if mc.SprintGoal.Label != "" {
		opt.GoalLabels = []string{mc.SprintGoal.Label}
	}
	if site != nil {
		opt.CycleStartStatuses = site.Statuses.CycleStart
		opt.CycleEndStatuses = site.Statuses.CycleEnd
		opt.StatusCategories = site.Statuses.Categories
		opt.ReadyStatuses = site.Statuses.Ready
	}
	return opt
}

func computeConfig(m *Main) compute.Config {
	cc := compute.Config{Options: metricsOptions(m.Config, nil), Logger: m.Logger, SiteOptions: map[string]metrics.Options{},
		HistoryWeeks: m.Config.Metrics.HistoryWeeks, ScatterWeeks: m.Config.Metrics.ScatterWeeks}
	for i := range m.Config.Jira.Sites {
		site := &m.Config.Jira.Sites[i]
		cc.SiteOptions[site.ID] = metricsOptions(m.Config, site)
	}
	return cc
}

func runCompute(ctx context.Context, m *Main, args []string) error {
	s, err := m.Store(ctx)
	if err != nil {
		return err
	}
	res, err := compute.RunOnce(ctx, s, computeConfig(m))
	fmt.Fprintf(m.Stdout, "computed %d board(s) over %d issue(s): %d sprint and %d week snapshot(s), %d past week(s) snapshotted, in %.1fs (load %.1fs, compute %.1fs, write %.1fs)\n",
		res.Boards, res.Issues, res.SprintSnapshots, res.WeekSnapshots, res.HistorySnapshots, res.Duration.Seconds(), res.Load.Seconds(), res.Compute.Seconds(), res.Write.Seconds())
	for _, w := range res.Warnings {
		fmt.Fprintln(m.Stdout, "warning:", w)
	}
	return err
}
