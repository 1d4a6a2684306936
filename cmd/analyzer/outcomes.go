package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/backlog-health/analyzer/internal/outcomes"
	"github.com/backlog-health/analyzer/internal/report"
	"github.com/backlog-health/analyzer/internal/store"
)

// knownMetrics indexes the configured outcome metrics (defaults filled).
func (m *Main) knownMetrics() map[string]outcomes.Metric {
	known := map[string]outcomes.Metric{}
	for _, mt := range m.Config.Outcomes.Metrics {
		_ = mt.Validate() // validated at load; this fills the defaults
		known[mt.Name] = mt
	}
	return known
}

// checkOutcomes validates the subcommand and its arguments.
func checkOutcomes(m *Main) error {
	args := m.Args
	if len(args) == 0 {
		return usagef("outcomes", "outcomes: want a subcommand: import FILE.csv | pull")
	}
	switch args[0] {
	case "import":
		if len(args) != 2 {
			return usagef("outcomes", "outcomes import: want exactly one CSV file")
		}
	case "pull":
		if len(args) != 1 {
			return usagef("outcomes", "outcomes pull takes no arguments")
		}
	default:
		return usagef("outcomes", "outcomes: unknown subcommand %q (want import or pull)", args[0])
	}
	return nil
}

func runOutcomes(ctx context.Context, m *Main, args []string) error {
	if err := checkOutcomes(m); err != nil {
		return err
	}
	if args[0] == "import" {
		return m.importOutcomes(ctx, args[1])
	}
	s, err := m.Store(ctx)
	if err != nil {
		return err
	}
	n, err := m.pullOutcomes(ctx, s)
	fmt.Fprintf(m.Stdout, "pulled %d outcome value(s) from %d SQL source(s)\n", n, len(m.Config.Outcomes.SQL))
	return err
}

// importOutcomes parses the whole file before writing anything, and writes
// it in one transaction: a bad file stores nothing.
func (m *Main) importOutcomes(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("outcomes import: %w", err)
	}
	defer f.Close()
	values, err := outcomes.ParseCSV(f, outcomes.CSVOptions{Known: m.knownMetrics(), Strict: m.Config.Outcomes.Strict, Source: "csv"})
	if err != nil {
		return fmt.Errorf("outcomes import: %s: nothing imported: %w", path, err)
	}
	s, err := m.Store(ctx)
	if err != nil {
		return err
	}
	res, err := s.OutcomeUpsertManyCount(ctx, values)
	if err != nil {
		return fmt.Errorf("outcomes import: %s: nothing imported: %w", path, err)
	}
	fmt.Fprintf(m.Stdout, "imported %d value(s) from %s: %d new, %d updated, %d unchanged\n", len(values), path, res.Inserted, res.Updated, res.Unchanged)
	return nil
}

// pullOutcomes runs every configured SQL source; a failing source is logged
// and the others still run.
func (m *Main) pullOutcomes(ctx context.Context, s *store.Store) (int, error) {
	var errs []error
	total := 0
	for _, src := range m.Config.Outcomes.SQL {
		values, err := outcomes.SQLSource{DSN: src.DSN, Query: src.Query, Metric: src.Metric, Timeout: src.Timeout}.Pull(ctx)
		if err == nil {
			err = s.OutcomeUpsertMany(ctx, values)
		}
		if err != nil {
			m.Logger.Error("outcome source failed", slog.String("metric", src.Metric), slog.Any("error", err))
			errs = append(errs, err)
			continue
		}
		total += len(values)
		m.Logger.Info("outcome source pulled", slog.String("metric", src.Metric), slog.Int("values", len(values)))
	}
	return total, errors.Join(errs...)
}

// outcomeAnalysis runs the outcome analysis for week over the stored values
// and the delivered work; ok is false when no outcome metric is configured
// or stored.
func (m *Main) outcomeAnalysis(ctx context.Context, s *store.Store, week report.ISOWeek, now time.Time) (outcomes.Analysis, bool, error) {
	oc := m.Config.Outcomes
	stored, err := s.OutcomeMetrics(ctx)
	if err != nil {
		return outcomes.Analysis{}, false, err
	}
	if len(oc.Metrics) == 0 && len(stored) == 0 {
		return outcomes.Analysis{}, false, nil
	}
	a := oc.Analysis
	opts := outcomes.Options{
		Now: func() time.Time { return now }, Week: week.Start(time.UTC),
		Weeks: a.Weeks, BaselineWeeks: a.BaselineWeeks, WindowWeeks: a.WindowWeeks, FlatPct: a.FlatPct,
		MovingPct: a.MovingPct, HighDeliveryShare: a.HighDeliveryShare, HighDeliveryMinIssues: a.HighDeliveryMinIssues,
		StarvedWeeks: a.StarvedWeeks, UnlinkedPct: a.UnlinkedPct,
	}
	shown := opts.ValueWeeks() + 8 // the shown weeks and the longest window before them, and a margin
	from := week.Start(time.UTC).AddDate(0, 0, -7*shown)
	to := week.End(time.UTC)
	in := outcomes.Input{Metrics: oc.Metrics}
	names := map[string]bool{}
	for _, mt := range oc.Metrics {
		names[mt.Name] = true
	}
	for _, st := range stored {
		names[st.Name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		vs, err := s.OutcomeList(ctx, name, from, to)
		if err != nil {
			return outcomes.Analysis{}, false, err
		}
		in.Values = append(in.Values, vs...)
	}
	done, err := s.IssueListDoneSince(ctx, from)
	if err != nil {
		return outcomes.Analysis{}, false, err
	}
	// A fix version ships when its last issue is resolved. A linked epic
	// reaching done counts as a release too ("Epic KEY"), linked to the
	// outcomes whose links list the epic.
	released := map[string]time.Time{}
	epicRelease := map[string]string{}
	for _, is := range done {
		if is.Type == "Epic" {
			name := "Epic " + is.Key
			released[name], epicRelease[is.Key] = *is.Resolved, name
			continue // an epic is a container: its children are the delivered work
		}
		pts := 0.0
		if is.Estimate != nil {
			pts = *is.Estimate
		}
		in.Delivered = append(in.Delivered, outcomes.Delivered{Key: is.Key, Epic: is.EpicKey, Labels: is.Labels,
			Components: is.Components, FixVersions: is.FixVersions, Points: pts, DoneAt: *is.Resolved})
		for _, fv := range is.FixVersions {
			if is.Resolved.After(released[fv]) {
				released[fv] = *is.Resolved
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(released)) {
		in.Releases = append(in.Releases, outcomes.Release{Name: name, Date: released[name]})
	}
	for _, l := range oc.Links {
		l.FixVersions = slices.Clone(l.FixVersions)
		for _, e := range l.Epics {
			if name, ok := epicRelease[e]; ok {
				l.FixVersions = append(l.FixVersions, name)
			}
		}
		in.Links = append(in.Links, l)
	}
	var epics, labels, comps, fixes []string
	for _, l := range oc.Links {
		epics, labels, comps, fixes = append(epics, l.Epics...), append(labels, l.Labels...), append(comps, l.Components...), append(fixes, l.FixVersions...)
	}
	open, err := s.IssueListOpenLinked(ctx, epics, labels, comps, fixes)
	if err != nil {
		return outcomes.Analysis{}, false, err
	}
	for _, is := range open {
		in.Open = append(in.Open, outcomes.OpenIssue{Key: is.Key, Epic: is.EpicKey, Labels: is.Labels,
			Components: is.Components, FixVersions: is.FixVersions, Updated: is.Updated})
	}
	an, err := outcomes.Analyze(in, opts)
	if err != nil {
		return outcomes.Analysis{}, false, fmt.Errorf("outcomes: %w", err)
	}
	return an, true, nil
}

// outcomeInputs maps the outcome analysis of week into the report's PM
// view: per outcome its series, linked delivery, release windows and flags,
// and the alignment of all delivered work.
func (m *Main) outcomeInputs(ctx context.Context, s *store.Store, week report.ISOWeek, now time.Time) ([]report.OutcomeInput, *report.AlignmentInput, error) {
	an, ok, err := m.outcomeAnalysis(ctx, s, week, now)
	if err != nil || !ok {
		return nil, nil, err
	}
	links := map[string]outcomes.Link{}
	for _, l := range m.Config.Outcomes.Links {
		links[l.Metric] = l
	}
	window := an.Options.WindowWeeks
	var out []report.OutcomeInput
	for _, o := range an.Outcomes {
		in := report.OutcomeInput{Name: o.Metric.Name, Unit: o.Metric.Unit, Direction: o.Metric.Direction, LagWeeks: o.LagWeeks}
		for _, w := range o.Weeks {
			if w.Value != nil {
				in.Points = append(in.Points, report.OutcomePoint{Date: w.WeekStart, Value: *w.Value})
			}
		}
		l := links[o.Metric.Name]
		in.Linked = report.LinkedDelivery{Epics: l.Epics, Labels: l.Labels, Components: l.Components, FixVersions: l.FixVersions}
		if n := len(o.Weeks); n > 0 {
			last := o.Weeks[n-1]
			in.Linked.Issues, in.Linked.Points, in.Linked.Releases = last.Issues, last.Points, last.Releases
		}
		for _, f := range o.Flags {
			in.Flags, in.FlagTexts = append(in.Flags, f.Kind), append(in.FlagTexts, f.Text)
		}
		for _, rw := range o.Releases {
			in.Releases = append(in.Releases, report.OutcomeRelease{
				Name: rw.Release, Date: rw.Date, BeforeStart: rw.BeforeStart,
				AfterStart: rw.AfterStart, AfterEnd: rw.AfterStart.AddDate(0, 0, 7*window),
				BeforeWeeks: rw.BeforeWeeks, AfterWeeks: rw.AfterWeeks,
				BeforeMean: rw.BeforeMean, AfterMean: rw.AfterMean, Delta: rw.Delta, DeltaPct: rw.DeltaPct,
				TrendPerWeek: rw.TrendPerWeek, Expected: rw.Expected, VsExpected: rw.VsExpected, NoiseSD: rw.NoiseSD, Band: rw.Band, NoiseModel: rw.NoiseModel,
				Complete: rw.Complete, Verdict: rw.Verdict, Text: rw.Text,
			})
		}
		out = append(out, in)
	}
	a := an.Alignment
	al := &report.AlignmentInput{From: a.From, To: a.To, DeliveredPoints: a.DeliveredPoints, LinkedPoints: a.LinkedPoints,
		DeliveredIssues: a.DeliveredIssues, LinkedIssues: a.LinkedIssues, Ratio: a.Ratio, Basis: a.Basis}
	for _, w := range an.AlignmentWeeks {
		al.Weeks = append(al.Weeks, report.AlignmentWeek{Week: w.Week, Ratio: w.Ratio, LinkedPoints: w.LinkedPoints,
			DeliveredPoints: w.DeliveredPoints, LinkedIssues: w.LinkedIssues, DeliveredIssues: w.DeliveredIssues})
	}
	for _, f := range an.Flags {
		if f.Metric == "" {
			al.FlagTexts = append(al.FlagTexts, f.Text)
		}
	}
	return out, al, nil
}
