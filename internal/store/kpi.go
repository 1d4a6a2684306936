package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
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
func (s *Store) KPIReplaceBoard(ctx context.Context, siteID string, boardID int64, sprints, weeks []KPISnapshot) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, q := range []string{`DELETE FROM kpi_sprint WHERE site_id = $1 AND board_id = $2`, `DELETE FROM kpi_week WHERE site_id = $1 AND board_id = $2`} {
			if _, err := tx.ExecContext(ctx, q, siteID, boardID); err != nil {
				return fmt.Errorf("store: unable to clear KPIs of board %d: %w", boardID, err)
			}
		}
		for _, k := range sprints {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO kpi_sprint (site_id, board_id, sprint_id, computed_at, definition_version, data)
				VALUES ($1, $2, $3, $4, $5, $6)`, siteID, boardID, k.SprintID, k.ComputedAt, k.DefinitionVersion, string(k.Data)); err != nil {
				return fmt.Errorf("store: unable to write sprint KPI %d: %w", k.SprintID, err)
			}
		}
		for _, k := range weeks {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO kpi_week (site_id, board_id, week_start, computed_at, definition_version, data)
				VALUES ($1, $2, $3, $4, $5, $6)`, siteID, boardID, k.WeekStart.Format("2006-01-02"), k.ComputedAt, k.DefinitionVersion, string(k.Data)); err != nil {
				return fmt.Errorf("store: unable to write week KPI %s: %w", k.WeekStart.Format("2006-01-02"), err)
			}
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
