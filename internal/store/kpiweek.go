package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// KPIBoardWeek is one board's snapshot as it stood at the end of one ISO
// week (table kpi_board_week). WeekStart is the Monday in the report time
// zone, as a date: "2006-01-02". Week is that week's metrics.WeekKPI, Board
// the rest of the snapshot (compute.WeekSnapshot), both as JSON; the list
// and meta reads leave out what they do not need.
type KPIBoardWeek struct {
	SiteID            string          `db:"site_id"`
	BoardID           int64           `db:"board_id"`
	WeekStart         string          `db:"week_start"`
	ComputedAt        time.Time       `db:"computed_at"`
	DefinitionVersion int             `db:"definition_version"`
	OptionsHash       string          `db:"options_hash"`
	DataAsOf          *time.Time      `db:"data_as_of"`
	Week              json.RawMessage `db:"week"`
	Board             json.RawMessage `db:"board"`
}

// KPIBoardWeekMeta returns a board's week snapshots without their data,
// oldest first: what compute needs to decide which to (re)compute.
func (s *Store) KPIBoardWeekMeta(ctx context.Context, siteID string, boardID int64) ([]KPIBoardWeek, error) {
	var out []KPIBoardWeek
	err := s.db.SelectContext(ctx, &out, `
		SELECT site_id, board_id, to_char(week_start, 'YYYY-MM-DD') AS week_start, computed_at, definition_version,
			options_hash, data_as_of
		FROM kpi_board_week WHERE site_id = $1 AND board_id = $2 ORDER BY week_start`, siteID, boardID)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list week snapshots of board %d: %w", boardID, err)
	}
	return out, nil
}

// KPIBoardWeekGet returns one week snapshot; the error wraps sql.ErrNoRows
// when there is none (IsNotFound).
func (s *Store) KPIBoardWeekGet(ctx context.Context, siteID string, boardID int64, weekStart string) (KPIBoardWeek, error) {
	var k KPIBoardWeek
	err := s.db.GetContext(ctx, &k, `
		SELECT site_id, board_id, to_char(week_start, 'YYYY-MM-DD') AS week_start, computed_at, definition_version,
			options_hash, data_as_of, week, board
		FROM kpi_board_week WHERE site_id = $1 AND board_id = $2 AND week_start = $3::date`, siteID, boardID, weekStart)
	if err != nil {
		return KPIBoardWeek{}, fmt.Errorf("store: unable to get week snapshot %s of board %d: %w", weekStart, boardID, err)
	}
	return k, nil
}

// KPIBoardWeekList returns the week KPIs (Week only, no Board) of the
// snapshots from from to to (dates, inclusive), oldest first.
func (s *Store) KPIBoardWeekList(ctx context.Context, siteID string, boardID int64, from, to string) ([]KPIBoardWeek, error) {
	var out []KPIBoardWeek
	err := s.db.SelectContext(ctx, &out, `
		SELECT site_id, board_id, to_char(week_start, 'YYYY-MM-DD') AS week_start, computed_at, definition_version,
			options_hash, data_as_of, week
		FROM kpi_board_week WHERE site_id = $1 AND board_id = $2 AND week_start BETWEEN $3::date AND $4::date
		ORDER BY week_start`, siteID, boardID, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list week KPIs of board %d: %w", boardID, err)
	}
	return out, nil
}

// KPIBoardWeekWrite writes (or replaces) a board's week snapshots and
// deletes those before keepFrom (a date: retention), in one transaction.
func (s *Store) KPIBoardWeekWrite(ctx context.Context, siteID string, boardID int64, rows []KPIBoardWeek, keepFrom string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Derived data, as in KPIReplaceBoard: no need to wait for the WAL flush.
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return fmt.Errorf("store: write week snapshots of board %d: %w", boardID, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM kpi_board_week WHERE site_id = $1 AND board_id = $2 AND week_start < $3::date`,
			siteID, boardID, keepFrom); err != nil {
			return fmt.Errorf("store: unable to delete old week snapshots of board %d: %w", boardID, err)
		}
		if len(rows) == 0 {
			return nil
		}
		n := len(rows)
		weeks, computed, versions, hashes, asOf, week, board := make([]string, n), make([]string, n), make([]int64, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		for i, r := range rows {
			weeks[i], computed[i], versions[i], hashes[i] = r.WeekStart, timeText(&r.ComputedAt), int64(r.DefinitionVersion), r.OptionsHash
			asOf[i], week[i], board[i] = timeText(r.DataAsOf), string(r.Week), string(r.Board)
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO kpi_board_week (site_id, board_id, week_start, computed_at, definition_version, options_hash, data_as_of, week, board)
			SELECT $1, $2, u.week::date, u.computed::timestamptz, u.version, u.hash, NULLIF(u.as_of, '')::timestamptz, u.wk::json, u.board::json
			FROM unnest($3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[])
				AS u(week, computed, version, hash, as_of, wk, board)
			ON CONFLICT (site_id, board_id, week_start) DO UPDATE SET computed_at = EXCLUDED.computed_at,
				definition_version = EXCLUDED.definition_version, options_hash = EXCLUDED.options_hash,
				data_as_of = EXCLUDED.data_as_of, week = EXCLUDED.week, board = EXCLUDED.board`,
			siteID, boardID, pq.Array(weeks), pq.Array(computed), pq.Array(versions), pq.Array(hashes),
			pq.Array(asOf), pq.Array(week), pq.Array(board))
		if err != nil {
			return fmt.Errorf("store: unable to write %d week snapshots of board %d: %w", n, boardID, err)
		}
		return nil
	})
}
