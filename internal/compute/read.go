package compute

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/backlog-health/analyzer/internal/metrics"
	"github.com/backlog-health/analyzer/internal/store"
)

// BoardAt is what a report for one week reads of one board: the board
// snapshot, the sprints and the weekly KPIs as they stood at the week's end.
type BoardAt struct {
	Snapshot BoardSnapshot
	Sprints  []metrics.SprintKPI
	Weeks    []metrics.WeekKPI
}

// ReadBoard returns one board as it stood at the end of the week [start,
// end), from the stored snapshots:
//
//   - when the last computation ran before the week's end (the week is the
//     current one, or nothing was computed since it ended), the latest
//     snapshots (kpi_board, kpi_sprint, kpi_week);
//   - otherwise the week's snapshot (kpi_board_week) and the weekly KPIs
//     of the ReadWeeks weeks up to it, each as of its own week's end.
//
// The error wraps sql.ErrNoRows (store.IsNotFound) when the board was never
// computed, or has no snapshot for a past week (older than
// metrics.history_weeks, or not computed yet).
func ReadBoard(ctx context.Context, st *store.Store, siteID string, boardID int64, start, end time.Time) (BoardAt, error) {
	latest, err := st.KPIBoardGet(ctx, siteID, boardID)
	if err != nil {
		return BoardAt{}, err
	}
	if !latest.ComputedAt.After(end) {
		return readLatest(ctx, st, latest)
	}
	week := start.Format(time.DateOnly)
	row, err := st.KPIBoardWeekGet(ctx, siteID, boardID, week)
	if err != nil {
		return BoardAt{}, fmt.Errorf("compute: board %d has no snapshot for the week of %s (beyond metrics.history_weeks, or not computed since the week ended): %w",
			boardID, week, err)
	}
	var snap WeekSnapshot
	if err := json.Unmarshal(row.Board, &snap); err != nil {
		return BoardAt{}, fmt.Errorf("compute: board %d snapshot of %s: %w", boardID, week, err)
	}
	out := BoardAt{Snapshot: snap.BoardSnapshot, Sprints: snap.Sprints}
	rows, err := st.KPIBoardWeekList(ctx, siteID, boardID, start.AddDate(0, 0, -7*(ReadWeeks-1)).Format(time.DateOnly), week)
	if err != nil {
		return out, err
	}
	for _, r := range rows {
		var w metrics.WeekKPI
		if err := json.Unmarshal(r.Week, &w); err != nil {
			return out, fmt.Errorf("compute: board %d week %s: %w", boardID, r.WeekStart, err)
		}
		out.Weeks = append(out.Weeks, w)
	}
	return out, nil
}

// readLatest reads the snapshots of the last computation.
func readLatest(ctx context.Context, st *store.Store, bs store.KPISnapshot) (BoardAt, error) {
	var out BoardAt
	if err := json.Unmarshal(bs.Data, &out.Snapshot); err != nil {
		return out, fmt.Errorf("compute: board %d snapshot: %w", bs.BoardID, err)
	}
	sprints, err := st.KPISprintList(ctx, bs.SiteID, bs.BoardID)
	if err != nil {
		return out, err
	}
	for _, k := range sprints {
		var v metrics.SprintKPI
		if err := json.Unmarshal(k.Data, &v); err != nil {
			return out, fmt.Errorf("compute: sprint %d snapshot: %w", k.SprintID, err)
		}
		out.Sprints = append(out.Sprints, v)
	}
	weeks, err := st.KPIWeekList(ctx, bs.SiteID, bs.BoardID)
	if err != nil {
		return out, err
	}
	for _, k := range weeks {
		var v metrics.WeekKPI
		if err := json.Unmarshal(k.Data, &v); err != nil {
			return out, fmt.Errorf("compute: week %s snapshot: %w", k.WeekStart.Format(time.DateOnly), err)
		}
		out.Weeks = append(out.Weeks, v)
	}
	return out, nil
}
