// Package compute turns the stored Jira history of every board into KPI
// snapshots: it loads a board's data from the store, runs the pure
// functions of internal/metrics over it and writes the results back, one
// transaction per board.
package compute

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	gosync "sync"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/metrics"
	"github.com/backlog-health/analyzer/internal/store"
)

// Config configures a computation.
type Config struct {
	// Options are passed to metrics.Compute; Now is set from the clock.
	Options metrics.Options
	// SiteOptions, when set, replaces Options for the boards of one site
	// (per-site status overrides).
	SiteOptions map[string]metrics.Options
	// Boards limits the run to these (site, board) pairs; empty: every stored board.
	Boards []BoardRef
	Logger *slog.Logger
	// Workers is how many boards are computed at once. Default GOMAXPROCS, at least 2.
	Workers int
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// HistoryWeeks is how many weeks back from the current one the weekly
	// KPIs are computed and the per-week snapshots kept
	// (metrics.history_weeks). Default DefaultHistoryWeeks.
	HistoryWeeks int
	// ScatterWeeks is how many weeks of per-issue cycle times a board
	// snapshot keeps (metrics.scatter_weeks). Default DefaultScatterWeeks.
	ScatterWeeks int
}

// Retention defaults.
const (
	DefaultHistoryWeeks = 156
	DefaultScatterWeeks = 26
)

// limits are a run's retention settings, defaulted.
type limits struct{ historyWeeks, scatterWeeks int }

func (c Config) limits() limits {
	return limits{historyWeeks: cmp.Or(c.HistoryWeeks, DefaultHistoryWeeks), scatterWeeks: cmp.Or(c.ScatterWeeks, DefaultScatterWeeks)}
}

// BoardSnapshot is the per-board part of a computation that the weekly
// report needs besides sprint and week rows (stored in kpi_board).
type BoardSnapshot struct {
	BoardName        string               `json:"board_name"`
	Unit             string               `json:"unit"`
	EstimationField  string               `json:"estimation_field"`
	EstimationSource string               `json:"estimation_source"`
	Summary          metrics.Summary      `json:"summary"`
	DataQuality      metrics.DataQuality  `json:"data_quality"`
	Cycles           []metrics.IssueCycle `json:"cycles"` // issues done in the last Config.ScatterWeeks weeks
	// The forecast is not stored: the report makes it for its own week from
	// the week snapshots (internal/report teamForecast), so that it counts
	// the same backlog as the report's backlog line.
	// DataAsOf is the board's sync watermark when its data was read: every
	// change made in Jira before it is in the figures. Nil when the board had
	// no completed sync.
	DataAsOf *time.Time `json:"data_as_of,omitempty"`
}

// BoardRef names one board.
type BoardRef struct {
	SiteID  string
	BoardID int64
}

// Result counts what a run wrote.
type Result struct {
	Boards, SprintSnapshots, WeekSnapshots, Issues int
	// HistorySnapshots counts the per-week board snapshots (kpi_board_week)
	// written: the completed weeks that had none, or an outdated one.
	HistorySnapshots int
	Duration         time.Duration
	// Load, Compute and Write add up each board's time per phase (boards
	// run in parallel, so their sum can exceed Duration).
	Load, Compute, Write time.Duration
	// Warnings are data-quality notes worth a log line (e.g. no estimation field).
	Warnings []string
}

// Load reads everything metrics.Compute needs for one board. withRaw loads
// each issue's Jira JSON too (only an escape rule on custom field values
// reads it).
func Load(ctx context.Context, st *store.Store, siteID string, boardID int64, withRaw bool) (metrics.BoardData, error) {
	b, err := st.BoardGet(ctx, siteID, boardID)
	if err != nil {
		return metrics.BoardData{}, err
	}
	site, err := loadSite(ctx, st, siteID)
	if err != nil {
		return metrics.BoardData{}, err
	}
	return load(ctx, st, b, site, withRaw)
}

// siteData is what every board of a site shares: read once per run.
type siteData struct {
	statuses map[string]analyzer.Status
	multi    map[int64]bool // issues on several boards
}

func loadSite(ctx context.Context, st *store.Store, siteID string) (siteData, error) {
	statuses, err := st.StatusList(ctx, siteID)
	if err != nil {
		return siteData{}, err
	}
	multi, err := st.IssueIDsOnSeveralBoards(ctx, siteID)
	if err != nil {
		return siteData{}, err
	}
	byID := make(map[string]analyzer.Status, len(statuses))
	for _, s := range statuses {
		byID[s.ID] = s
	}
	return siteData{statuses: byID, multi: multi}, nil
}

// load reads one board's sprints, issues and history.
func load(ctx context.Context, st *store.Store, b analyzer.Board, site siteData, withRaw bool) (metrics.BoardData, error) {
	sprints, err := st.SprintListByBoard(ctx, b.SiteID, b.ID)
	if err != nil {
		return metrics.BoardData{}, err
	}
	issues, err := st.IssueListByBoard(ctx, b.SiteID, b.ID, withRaw)
	if err != nil {
		return metrics.BoardData{}, err
	}
	changes, err := st.ChangeItemListByBoard(ctx, b.SiteID, b.ID)
	if err != nil {
		return metrics.BoardData{}, err
	}
	events, err := st.SprintEventListByBoard(ctx, b.SiteID, b.ID)
	if err != nil {
		return metrics.BoardData{}, err
	}
	skipped, err := st.SyncSkippedListByBoard(ctx, b.SiteID, b.ID)
	if err != nil {
		return metrics.BoardData{}, err
	}
	keys := make([]string, len(skipped))
	for i, sk := range skipped {
		keys[i] = sk.Key
	}
	return metrics.BoardData{
		Board: b, Statuses: site.statuses, Sprints: sprints, Issues: issues,
		Changes: changes, SprintEvents: events, MultiBoardIssueIDs: site.multi, SkippedIssueKeys: keys,
	}, nil
}

// RunOnce computes and stores the KPIs of every selected board. A board
// that fails is logged; the first error is returned after all boards ran.
func RunOnce(ctx context.Context, st *store.Store, cfg Config) (Result, error) {
	started := time.Now()
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var boards []analyzer.Board
	if len(cfg.Boards) == 0 {
		var err error
		if boards, err = st.BoardList(ctx); err != nil {
			return Result{}, err
		}
	}
	for _, ref := range cfg.Boards {
		b, err := st.BoardGet(ctx, ref.SiteID, ref.BoardID)
		if err != nil {
			return Result{}, err
		}
		boards = append(boards, b)
	}
	var res Result
	var firstErr error
	sites := map[string]siteData{}
	for _, b := range boards {
		if _, ok := sites[b.SiteID]; !ok {
			sd, err := loadSite(ctx, st, b.SiteID)
			if err != nil {
				return res, err
			}
			sites[b.SiteID] = sd
		}
	}
	// Boards are independent: compute Workers of them at once, so one
	// board's computation overlaps another's database reads.
	workers := cfg.Workers
	if workers <= 0 {
		workers = max(2, runtime.GOMAXPROCS(0))
	}
	var mu gosync.Mutex
	var wg gosync.WaitGroup
	sem := make(chan struct{}, workers)
	for _, b := range boards {
		ref := BoardRef{b.SiteID, b.ID}
		opt, ok := cfg.SiteOptions[ref.SiteID]
		if !ok {
			opt = cfg.Options
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			var one Result
			n, err := computeBoard(ctx, st, b, opt, sites[b.SiteID], now(), cfg.limits(), log, &one)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				log.Error("compute failed", slog.String("site", ref.SiteID), slog.Int64("board_id", ref.BoardID), slog.Any("error", err))
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			res.Boards++
			res.Issues += n
			res.SprintSnapshots += one.SprintSnapshots
			res.WeekSnapshots += one.WeekSnapshots
			res.HistorySnapshots += one.HistorySnapshots
			res.Warnings = append(res.Warnings, one.Warnings...)
			res.Load, res.Compute, res.Write = res.Load+one.Load, res.Compute+one.Compute, res.Write+one.Write
		}()
	}
	wg.Wait()
	res.Duration = time.Since(started)
	return res, firstErr
}

func computeBoard(ctx context.Context, st *store.Store, b analyzer.Board, opt metrics.Options, site siteData, now time.Time, lim limits, log *slog.Logger, res *Result) (int, error) {
	ref := BoardRef{b.SiteID, b.ID}
	t0 := time.Now()
	// The watermark is read before the data, so the data is at least that fresh.
	state, err := st.SyncStateGet(ctx, b.SiteID, b.ID)
	if err != nil {
		return 0, err
	}
	data, err := load(ctx, st, b, site, len(opt.EscapeRule.FieldValues) > 0)
	if err != nil {
		return 0, err
	}
	t1 := time.Now()
	opt.Now = now
	opt.WeeksFrom = historyFrom(data, now, opt.Location, lim.historyWeeks)
	r, err := metrics.Compute(data, opt)
	if err != nil {
		return 0, fmt.Errorf("compute: board %d: %w", ref.BoardID, err)
	}
	t2 := time.Now()
	defer func() {
		res.Load, res.Compute, res.Write = res.Load+t1.Sub(t0), res.Compute+t2.Sub(t1), res.Write+time.Since(t2)
	}()
	sprints := make([]store.KPISnapshot, 0, len(r.Sprints))
	for _, s := range r.Sprints {
		b, err := json.Marshal(s)
		if err != nil {
			return 0, fmt.Errorf("compute: encode sprint %d: %w", s.SprintID, err)
		}
		sprints = append(sprints, store.KPISnapshot{SprintID: s.SprintID, ComputedAt: now, DefinitionVersion: metrics.DefinitionVersion, Data: b})
	}
	weeks := make([]store.KPISnapshot, 0, len(r.Weeks))
	for _, w := range r.Weeks {
		b, err := json.Marshal(w)
		if err != nil {
			return 0, fmt.Errorf("compute: encode week: %w", err)
		}
		weeks = append(weeks, store.KPISnapshot{WeekStart: w.WeekStart, ComputedAt: now, DefinitionVersion: metrics.DefinitionVersion, Data: b})
	}
	snap := boardSnapshot(data, r, now, lim.scatterWeeks, state.Watermark)
	snapJSON, err := json.Marshal(snap)
	if err != nil {
		return 0, fmt.Errorf("compute: encode board %d: %w", ref.BoardID, err)
	}
	board := store.KPISnapshot{ComputedAt: now, DefinitionVersion: metrics.DefinitionVersion, Data: snapJSON}
	if err := st.KPIReplaceBoard(ctx, ref.SiteID, ref.BoardID, board, sprints, weeks); err != nil {
		return 0, err
	}
	res.SprintSnapshots += len(sprints)
	res.WeekSnapshots += len(weeks)
	n, err := writeHistory(ctx, st, data, opt, now, lim, state.Watermark)
	if err != nil {
		return 0, err
	}
	res.HistorySnapshots += n
	if data.Board.EstimationField == "" {
		msg := fmt.Sprintf("board %d has no estimation field: velocity is counted in issues", ref.BoardID)
		res.Warnings = append(res.Warnings, msg)
		log.Warn("no estimation field", slog.String("site", ref.SiteID), slog.Int64("board_id", ref.BoardID))
	}
	log.Info("board computed", slog.String("site", ref.SiteID), slog.Int64("board_id", ref.BoardID),
		slog.Int("issues", len(data.Issues)), slog.Int("sprint_snapshots", len(sprints)), slog.Int("week_snapshots", len(weeks)), slog.Int("history_snapshots", n))
	return len(data.Issues), nil
}
