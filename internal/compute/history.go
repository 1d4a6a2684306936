package compute

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/backlog-health/analyzer/internal/metrics"
	"github.com/backlog-health/analyzer/internal/store"
)

// Per-week snapshots: a report for week W shows the board as it stood at
// the end of W, whenever it is rendered. For every completed week within
// Config.HistoryWeeks, compute stores a WeekSnapshot computed by the pure
// metrics engine from the stored history cut at the week's end
// (metrics.History.At), and keeps it: later syncs and computations do not
// rewrite it, except when the KPI definitions or the settings changed or
// when its data did not cover the week yet (see needsRecompute).
//
// Snapshots rather than recomputing as of W on every read: a report (and
// the week picker of a dashboard) then reads one row per board and week, the
// past stays as it was reported even if Jira later loses an issue or the
// sync skips one, and the cost of the as-of computation is paid once per
// week, not per page view.

// WeekSnapshot is one board as it stood at the end of one ISO week, stored in
// kpi_board_week.board. Its Cycles are the issues done in the ScatterWeeks
// weeks up to the week's end, with the cycle times they had then; its
// DataQuality, Summary and Forecast are as of the week's end.
type WeekSnapshot struct {
	BoardSnapshot
	// Sprints are the last weekSprints sprints started by the week's end,
	// as of then (a sprint running at the week's end is partial).
	Sprints []metrics.SprintKPI `json:"sprints"`
}

// weekSprints bounds WeekSnapshot.Sprints: the report lists 8 and compares
// the latest closed sprint with the 6 before it.
const weekSprints = 12

// ReadWeeks is how many weeks up to the report week a report reads: the 12
// charted and the 12-week baseline before the report week, with a margin.
const ReadWeeks = 26

// historyFrom is the first week of the weekly KPIs: the week of the first
// issue's creation, but at most historyWeeks weeks before the current one.
func historyFrom(d metrics.BoardData, now time.Time, loc *time.Location, historyWeeks int) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	first := now
	for i := range d.Issues {
		if c := d.Issues[i].Created; c.Before(first) {
			first = c
		}
	}
	from := metrics.WeekStart(first, loc)
	if limit := metrics.WeekStart(now, loc).AddDate(0, 0, -7*historyWeeks); from.Before(limit) {
		from = limit
	}
	return from
}

// optionsHash fingerprints what shapes the figures besides the data: the
// metrics options (without the clock and week bounds) and the scatter
// window. A stored snapshot with another hash is recomputed.
func optionsHash(opt metrics.Options, scatterWeeks int) string {
	loc := "UTC"
	if opt.Location != nil {
		loc = opt.Location.String()
	}
	opt.Now, opt.WeeksFrom, opt.WeeksTo, opt.Location = time.Time{}, time.Time{}, time.Time{}, nil
	b, err := json.Marshal(struct {
		Options      metrics.Options
		Location     string
		ScatterWeeks int
	}{opt, loc, scatterWeeks})
	if err != nil {
		// Not JSON (a field type json cannot encode): its printed form, in
		// which pointers differ from run to run, so the snapshots are
		// recomputed every time rather than never.
		b = fmt.Appendf(nil, "%+v %s %d", opt, loc, scatterWeeks)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// needsRecompute says whether the stored snapshot of the week ending at end
// must be (re)computed: there is none, it follows other definitions or
// settings, or its data did not cover the week and newer data is in.
func needsRecompute(old *store.KPIBoardWeek, hash string, end time.Time, watermark *time.Time) bool {
	switch {
	case old == nil, old.DefinitionVersion != metrics.DefinitionVersion, old.OptionsHash != hash:
		return true
	}
	covered := old.DataAsOf != nil && !old.DataAsOf.Before(end)
	newer := watermark != nil && (old.DataAsOf == nil || watermark.After(*old.DataAsOf))
	return !covered && newer
}

// boardSnapshot is the board part of a computation as of now, keeping the
// cycle times of the issues done in the scatterWeeks weeks before now.
func boardSnapshot(d metrics.BoardData, r metrics.Result, now time.Time, scatterWeeks int, asOf *time.Time) BoardSnapshot {
	since := now.AddDate(0, 0, -7*scatterWeeks)
	snap := BoardSnapshot{
		BoardName: d.Board.Name, Unit: r.Unit, EstimationField: d.Board.EstimationField,
		EstimationSource: d.Board.EstimationSource, Summary: r.Summary, DataQuality: r.DataQuality,
		Cycles: []metrics.IssueCycle{}, DataAsOf: asOf,
	}
	for _, c := range r.CycleTimes {
		if c.Done.After(since) && !c.Done.After(now) {
			snap.Cycles = append(snap.Cycles, c)
		}
	}
	return snap
}

// writeHistory computes and stores the snapshots of the completed weeks
// that need one (needsRecompute) and deletes those beyond the retention.
// It returns how many it wrote.
func writeHistory(ctx context.Context, st *store.Store, d metrics.BoardData, opt metrics.Options, now time.Time, lim limits, watermark *time.Time) (int, error) {
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	from := historyFrom(d, now, loc, lim.historyWeeks)
	keepFrom := metrics.WeekStart(now, loc).AddDate(0, 0, -7*lim.historyWeeks)
	meta, err := st.KPIBoardWeekMeta(ctx, d.Board.SiteID, d.Board.ID)
	if err != nil {
		return 0, err
	}
	stored := make(map[string]*store.KPIBoardWeek, len(meta))
	for i := range meta {
		stored[meta[i].WeekStart] = &meta[i]
	}
	hash := optionsHash(opt, lim.scatterWeeks)
	var hist *metrics.History
	var rows []store.KPIBoardWeek
	current := metrics.WeekStart(now, loc)
	for ws := from; ws.Before(current) && len(d.Issues) > 0; ws = ws.AddDate(0, 0, 7) {
		end := ws.AddDate(0, 0, 7)
		key := ws.Format(time.DateOnly)
		if !needsRecompute(stored[key], hash, end, watermark) {
			continue
		}
		if hist == nil {
			if hist, err = metrics.NewHistory(d, opt); err != nil {
				return 0, fmt.Errorf("compute: board %d history: %w", d.Board.ID, err)
			}
		}
		row, err := weekSnapshot(hist, d, opt, ws, end, lim.scatterWeeks, watermark)
		if err != nil {
			return 0, err
		}
		row.WeekStart, row.ComputedAt, row.OptionsHash = key, now, hash
		rows = append(rows, row)
	}
	if err := st.KPIBoardWeekWrite(ctx, d.Board.SiteID, d.Board.ID, rows, keepFrom.Format(time.DateOnly)); err != nil {
		return 0, err
	}
	return len(rows), nil
}

// forecastSamples is how many weeks of weekly KPIs a week snapshot holds
// up to its week: the report's forecast draws its throughput from them
// (report.forecast.throughput_weeks, default 12) together with the earlier
// weeks' snapshots.
const forecastSamples = 12

// weekSnapshot computes the board as it stood at the end of the week
// [ws, end): the history cut just before end (a change at the next Monday
// 00:00 belongs to the next week), with Options.Now = end so that the week
// is complete. The weekly KPIs cover the forecast's sample weeks up to it.
func weekSnapshot(hist *metrics.History, d metrics.BoardData, opt metrics.Options, ws, end time.Time, scatterWeeks int, watermark *time.Time) (store.KPIBoardWeek, error) {
	view := hist.At(end.Add(-time.Nanosecond))
	opt.Now, opt.WeeksTo = end, ws
	opt.WeeksFrom = ws.AddDate(0, 0, -7*(forecastSamples-1))
	r, err := metrics.Compute(view, opt)
	if err != nil {
		return store.KPIBoardWeek{}, fmt.Errorf("compute: board %d as of %s: %w", d.Board.ID, end.Format(time.RFC3339), err)
	}
	if len(r.Weeks) == 0 || !r.Weeks[len(r.Weeks)-1].WeekStart.Equal(ws) {
		return store.KPIBoardWeek{}, fmt.Errorf("compute: board %d: no weekly KPIs for the week of %s", d.Board.ID, ws.Format(time.DateOnly))
	}
	snap := WeekSnapshot{BoardSnapshot: boardSnapshot(view, r, end, scatterWeeks, watermark)}
	snap.Sprints = r.Sprints[max(0, len(r.Sprints)-weekSprints):]
	if snap.Sprints == nil {
		snap.Sprints = []metrics.SprintKPI{}
	}
	week, err := json.Marshal(r.Weeks[len(r.Weeks)-1])
	if err != nil {
		return store.KPIBoardWeek{}, fmt.Errorf("compute: encode week: %w", err)
	}
	board, err := json.Marshal(snap)
	if err != nil {
		return store.KPIBoardWeek{}, fmt.Errorf("compute: encode board %d week: %w", d.Board.ID, err)
	}
	return store.KPIBoardWeek{SiteID: d.Board.SiteID, BoardID: d.Board.ID, DefinitionVersion: metrics.DefinitionVersion,
		DataAsOf: watermark, Week: week, Board: board}, nil
}
