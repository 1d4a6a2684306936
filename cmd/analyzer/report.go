package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/metrics"
	"github.com/backlog-health/analyzer/internal/report"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/worker"
)

// reportClaimStale is how long a claimed but unfinished delivery blocks
// others: after it, a crashed worker's claim is taken over.
const reportClaimStale = time.Hour

// checkReport validates report's flags before anything is opened.
func checkReport(m *Main) error {
	if len(m.Args) > 0 {
		return usagef("report", "report: unexpected argument %q", m.Args[0])
	}
	if m.opts.week != "" {
		w, err := report.ParseISOWeek(m.opts.week)
		if err != nil {
			return usagef("report", "report: --week: %s", strings.TrimPrefix(err.Error(), "report: "))
		}
		m.opts.isoWeek = &w
	}
	if m.opts.format != "" {
		for _, f := range strings.Split(m.opts.format, ",") {
			if f != "md" && f != "html" && f != "json" {
				return usagef("report", "report: --format: want md, html or json (comma-separated), got %q", f)
			}
		}
	}
	if m.opts.deliver && m.opts.board != 0 {
		return usagef("report", "report: --deliver sends the whole report; it cannot be combined with --board")
	}
	return nil
}

// reportWeek is --week, defaulting to the last complete ISO week.
func (m *Main) reportWeek(now time.Time) report.ISOWeek {
	if m.opts.isoWeek != nil {
		return *m.opts.isoWeek
	}
	return report.LastCompleteWeek(now, m.Config.Location())
}

// buildReport reads the stored KPI snapshots of every board (or one) into
// the weekly report model. Boards never computed are skipped with a warning.
func (m *Main) buildReport(ctx context.Context, s *store.Store, week report.ISOWeek, boardID int64, now time.Time) (*report.Report, error) {
	boards, err := s.BoardList(ctx)
	if err != nil {
		return nil, err
	}
	in := report.Input{Week: week, Location: m.Config.Location(), Now: now}
	for _, b := range boards {
		if boardID != 0 && b.ID != boardID {
			continue
		}
		team, err := teamInput(ctx, s, b.SiteID, b.ID)
		if store.IsNotFound(err) {
			m.Logger.Warn("board has no KPI snapshot yet; run `analyzer compute`", slog.String("site", b.SiteID), slog.Int64("board_id", b.ID))
			continue
		}
		if err != nil {
			return nil, err
		}
		in.Teams = append(in.Teams, team)
	}
	if boardID != 0 && len(in.Teams) == 0 {
		return nil, fmt.Errorf("report: board %d has no computed KPIs (unknown board, or run `analyzer compute` first)", boardID)
	}
	outcomes, alignment, err := m.outcomeInputs(ctx, s, week, now)
	if err != nil {
		return nil, err
	}
	in.Outcomes, in.Alignment = outcomes, alignment
	r, err := report.Build(in)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return r, nil
}

func teamInput(ctx context.Context, s *store.Store, siteID string, boardID int64) (report.TeamInput, error) {
	bs, err := s.KPIBoardGet(ctx, siteID, boardID)
	if err != nil {
		return report.TeamInput{}, err
	}
	var snap compute.BoardSnapshot
	if err := json.Unmarshal(bs.Data, &snap); err != nil {
		return report.TeamInput{}, fmt.Errorf("report: board %d snapshot: %w", boardID, err)
	}
	t := report.TeamInput{
		SiteID: siteID, BoardID: boardID, BoardName: snap.BoardName, Unit: snap.Unit, Cycles: snap.Cycles,
		Forecast: snap.Forecast, DataQuality: snap.DataQuality,
		EstimationField: snap.EstimationField, EstimationSource: snap.EstimationSource,
	}
	sprints, err := s.KPISprintList(ctx, siteID, boardID)
	if err != nil {
		return t, err
	}
	for _, k := range sprints {
		var v metrics.SprintKPI
		if err := json.Unmarshal(k.Data, &v); err != nil {
			return t, fmt.Errorf("report: sprint %d snapshot: %w", k.SprintID, err)
		}
		t.Sprints = append(t.Sprints, v)
	}
	weeks, err := s.KPIWeekList(ctx, siteID, boardID)
	if err != nil {
		return t, err
	}
	for _, k := range weeks {
		var v metrics.WeekKPI
		if err := json.Unmarshal(k.Data, &v); err != nil {
			return t, fmt.Errorf("report: week %s snapshot: %w", k.WeekStart.Format("2006-01-02"), err)
		}
		t.Weeks = append(t.Weeks, v)
	}
	return t, nil
}

// targets returns the configured delivery targets: the directory always,
// Slack and email when configured.
func (m *Main) targets(dir string, formats []string) []report.Target {
	out := m.Config.Report.Outputs
	ts := []report.Target{report.DirTarget{Dir: dir, Formats: formats}}
	if out.Slack.WebhookURL != "" {
		ts = append(ts, report.SlackTarget{WebhookURL: out.Slack.WebhookURL})
	}
	if e := out.Email; e.Host != "" {
		ts = append(ts, report.EmailTarget{Host: e.Host, Port: e.Port, Username: e.Username, Password: e.Password,
			From: e.From, To: e.To, StartTLS: e.StartTLS == nil || *e.StartTLS})
	}
	return ts
}

// deliverWeek renders week's report and sends it to every target that has
// not had it yet: each (week, target) is claimed in report_runs before
// sending, so replicas and restarts never send twice. One failing target
// does not stop the others; the error lists the failures.
func (m *Main) deliverWeek(ctx context.Context, s *store.Store, week report.ISOWeek, targets []report.Target, now time.Time) (sent int, err error) {
	r, err := m.buildReport(ctx, s, week, 0, now)
	if err != nil {
		return 0, err
	}
	rendered, err := report.Render(r)
	if err != nil {
		return 0, fmt.Errorf("report: render: %w", err)
	}
	weekStart := week.Start(m.Config.Location())
	var errs []error
	for _, t := range targets {
		ok, err := s.ReportRunClaim(ctx, weekStart, t.Name(), reportClaimStale)
		if err != nil {
			return sent, err
		}
		if !ok {
			m.Logger.Info("report already sent or being sent", slog.String("week", week.String()), slog.String("target", t.Name()))
			continue
		}
		res := report.Deliverer{Retries: 2, Logger: m.Logger}.DeliverAll(ctx, []report.Target{t}, rendered)[0]
		if ferr := s.ReportRunFinish(context.WithoutCancel(ctx), weekStart, t.Name(), res.Err); ferr != nil {
			errs = append(errs, ferr)
		}
		if res.Err != nil {
			m.Logger.Error("report delivery failed", slog.String("week", week.String()), slog.String("target", t.Name()), slog.Int("attempts", res.Attempts), slog.Any("error", res.Err))
			errs = append(errs, res.Err) // names the target already ("report: slack: …")
			continue
		}
		sent++
		if m.workerStats != nil {
			m.workerStats.Add("analyzer_reports_sent_total", 1)
		}
		m.Logger.Info("report delivered", slog.String("week", week.String()), slog.String("target", t.Name()))
	}
	return sent, errors.Join(errs...)
}

func runReport(ctx context.Context, m *Main, _ []string) error {
	s, err := m.Store(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	week := m.reportWeek(now)
	formats := m.Config.Report.Formats
	if m.opts.format != "" {
		formats = strings.Split(m.opts.format, ",") // checked by checkReport
	}
	dir := m.opts.out
	if dir == "" {
		dir = m.Config.Report.Outputs.Dir
	}
	if m.opts.deliver {
		sent, err := m.deliverWeek(ctx, s, week, m.targets(dir, formats), now)
		fmt.Fprintf(m.Stdout, "report %s delivered to %d target(s)\n", week, sent)
		return err
	}
	r, err := m.buildReport(ctx, s, week, m.opts.board, now)
	if err != nil {
		return err
	}
	rendered, err := report.Render(r)
	if err != nil {
		return fmt.Errorf("report: render: %w", err)
	}
	dt := report.DirTarget{Dir: dir, Formats: formats}
	if err := dt.Deliver(ctx, rendered); err != nil {
		return err
	}
	for _, p := range dt.Paths(rendered) {
		fmt.Fprintln(m.Stdout, p)
	}
	return nil
}

// reportJobs returns the weekly report job: the last complete week, to every
// configured target, each at most once.
func (m *Main) reportJobs() []worker.Job {
	return []worker.Job{{Name: "report", Spec: m.Config.Schedule.Report, Run: func(ctx context.Context) error {
		s, err := m.Store(ctx)
		if err != nil {
			return err
		}
		now := time.Now()
		week := report.LastCompleteWeek(now, m.Config.Location())
		_, err = m.deliverWeek(ctx, s, week, m.targets(m.Config.Report.Outputs.Dir, m.Config.Report.Formats), now)
		return err
	}}}
}
