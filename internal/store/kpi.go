package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// KPISnapshot is one stored KPI row: per board and sprint (SprintID set) or
// per board and ISO week (WeekStart set). Data is the KPI struct as JSON.
type KPISnapshot struct {
	SiteID            string          `db:"site_id"`
	BoardID           int64           `db:"board_id"`
	SprintID          int64           `db:"sprint_id"`
	WeekStart         time.Time       `db:"week_start"`
	ComputedAt        time.Time       `db:"computed_at"`
	DefinitionVersion int             `db:"definition_version"`
	Data              json.RawMessage `db:"data"`
}

// KPIReplaceBoard replaces every snapshot of one board in one transaction:
// recomputation is idempotent and a reader never sees half a board.
func (s *Store) KPIReplaceBoard(ctx context.Context, siteID string, boardID int64, board KPISnapshot, sprints, weeks []KPISnapshot) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Snapshots are derived data that the next compute rewrites: losing
		// the last ones to a crash costs nothing, so this transaction does not
		// wait for its WAL flush (a board's rows still commit atomically).
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return fmt.Errorf("store: write KPIs of board %d: %w", boardID, err)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO kpi_board (site_id, board_id, computed_at, definition_version, data) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (site_id, board_id) DO UPDATE SET computed_at = EXCLUDED.computed_at,
				definition_version = EXCLUDED.definition_version, data = EXCLUDED.data`,
			siteID, boardID, board.ComputedAt, board.DefinitionVersion, string(board.Data)); err != nil {
			return fmt.Errorf("store: unable to write board KPI %d: %w", boardID, err)
		}
		for _, q := range []string{`DELETE FROM kpi_sprint WHERE site_id = $1 AND board_id = $2`, `DELETE FROM kpi_week WHERE site_id = $1 AND board_id = $2`} {
			if _, err := tx.ExecContext(ctx, q, siteID, boardID); err != nil {
				return fmt.Errorf("store: unable to clear KPIs of board %d: %w", boardID, err)
			}
		}
		if err := kpiInsert(ctx, tx, `kpi_sprint`, `sprint_id`, `u.key::bigint`, siteID, boardID, sprints, func(k KPISnapshot) string { return strconv.FormatInt(k.SprintID, 10) }); err != nil {
			return err
		}
		if err := kpiInsert(ctx, tx, `kpi_week`, `week_start`, `u.key::date`, siteID, boardID, weeks, func(k KPISnapshot) string { return k.WeekStart.Format("2006-01-02") }); err != nil {
			return err
		}
		return nil
	})
}

// KPISprintList returns a board's sprint snapshots.
func (s *Store) KPISprintList(ctx context.Context, siteID string, boardID int64) ([]KPISnapshot, error) {
	var out []KPISnapshot
	err := s.db.SelectContext(ctx, &out, `
		SELECT site_id, board_id, sprint_id, computed_at, definition_version, data
		FROM kpi_sprint WHERE site_id = $1 AND board_id = $2 ORDER BY sprint_id`, siteID, boardID)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list sprint KPIs of board %d: %w", boardID, err)
	}
	return out, nil
}

// KPIWeekList returns a board's week snapshots, oldest first.
func (s *Store) KPIWeekList(ctx context.Context, siteID string, boardID int64) ([]KPISnapshot, error) {
	var out []KPISnapshot
	err := s.db.SelectContext(ctx, &out, `
		SELECT site_id, board_id, week_start, computed_at, definition_version, data
		FROM kpi_week WHERE site_id = $1 AND board_id = $2 ORDER BY week_start`, siteID, boardID)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list week KPIs of board %d: %w", boardID, err)
	}
	return out, nil
}

// kpiInsert writes snapshots into table in one statement.
func kpiInsert(ctx context.Context, tx *sqlx.Tx, table, keyCol, keyExpr, siteID string, boardID int64, snaps []KPISnapshot, key func(KPISnapshot) string) error {
	if len(snaps) == 0 {
		return nil
	}
	keys, computed, versions, data := make([]string, len(snaps)), make([]string, len(snaps)), make([]int64, len(snaps)), make([]string, len(snaps))
	for i, k := range snaps {
		keys[i], computed[i], versions[i], data[i] = key(k), timeText(&k.ComputedAt), int64(k.DefinitionVersion), string(k.Data)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (site_id, board_id, `+keyCol+`, computed_at, definition_version, data)
		SELECT $1, $2, `+keyExpr+`, u.computed::timestamptz, u.version, u.data::json
		FROM unnest($3::text[], $4::text[], $5::int[], $6::text[]) AS u(key, computed, version, data)`,
		siteID, boardID, pq.Array(keys), pq.Array(computed), pq.Array(versions), pq.Array(data))
	if err != nil {
		return fmt.Errorf("store: unable to write %d %s rows of board %d: %w", len(snaps), table, boardID, err)
	}
	return nil
}

// KPIBoardGet returns a board's snapshot; the error wraps sql.ErrNoRows when
// the board was never computed.
func (s *Store) KPIBoardGet(ctx context.Context, siteID string, boardID int64) (KPISnapshot, error) {
	var k KPISnapshot
	err := s.db.GetContext(ctx, &k, `
		SELECT site_id, board_id, computed_at, definition_version, data
		FROM kpi_board WHERE site_id = $1 AND board_id = $2`, siteID, boardID)
	if err != nil {
		return KPISnapshot{}, fmt.Errorf("store: unable to get board KPI %d: %w", boardID, err)
	}
	return k, nil
}
