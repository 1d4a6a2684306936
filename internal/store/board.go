package store

import (
	"context"
	"encoding/json"
	"fmt"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

type boardRow struct {
	analyzer.Board
	ColumnsJSON []byte `db:"columns"`
}

// BoardUpsert inserts or updates a board and its column configuration.
func (s *Store) BoardUpsert(ctx context.Context, b analyzer.Board) error {
	cols := b.Columns
	if cols == nil {
		cols = []analyzer.Column{}
	}
	colsJSON, err := json.Marshal(cols)
	if err != nil {
		return fmt.Errorf("store: encode columns of board %d: %w", b.ID, err)
	}
	colsJSON = cleanJSON(colsJSON)
	b.Name, b.Type, b.ProjectKey = cleanText(b.Name), cleanText(b.Type), cleanText(b.ProjectKey)
	b.EstimationField, b.EstimationSource = cleanText(b.EstimationField), cleanText(b.EstimationSource)
	if b.EstimationSource == "" {
		b.EstimationSource = "none"
	}
	_, err = s.db.ExecContext(ctx, `
		INSERT INTO boards (site_id, board_id, name, board_type, project_key, columns, estimation_field, estimation_source)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (site_id, board_id) DO UPDATE SET
			name = EXCLUDED.name, board_type = EXCLUDED.board_type, project_key = EXCLUDED.project_key,
			columns = EXCLUDED.columns, estimation_field = EXCLUDED.estimation_field,
			estimation_source = EXCLUDED.estimation_source, updated_at = now()`,
		b.SiteID, b.ID, b.Name, b.Type, b.ProjectKey, colsJSON, b.EstimationField, b.EstimationSource)
	if err != nil {
		return fmt.Errorf("store: unable to upsert board %d: %w", b.ID, err)
	}
	return nil
}

const boardColumns = `site_id, board_id, name, board_type, project_key, columns, estimation_field, estimation_source`

func decodeBoards(rows []boardRow) ([]analyzer.Board, error) {
	out := make([]analyzer.Board, len(rows))
	for i, r := range rows {
		b := r.Board
		if err := json.Unmarshal(r.ColumnsJSON, &b.Columns); err != nil {
			return nil, fmt.Errorf("decode columns of board %d: %w", b.ID, err)
		}
		out[i] = b
	}
	return out, nil
}

// BoardGet returns one board; sql.ErrNoRows (wrapped) when absent.
func (s *Store) BoardGet(ctx context.Context, siteID string, boardID int64) (analyzer.Board, error) {
	var rows []boardRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+boardColumns+` FROM boards WHERE site_id = $1 AND board_id = $2`, siteID, boardID); err != nil {
		return analyzer.Board{}, fmt.Errorf("store: unable to get board %d: %w", boardID, err)
	}
	if len(rows) == 0 {
		return analyzer.Board{}, fmt.Errorf("store: board %s/%d: %w", siteID, boardID, errNoRows)
	}
	bs, err := decodeBoards(rows)
	if err != nil {
		return analyzer.Board{}, fmt.Errorf("store: %w", err)
	}
	return bs[0], nil
}

// BoardList returns every board, ordered by site and id.
func (s *Store) BoardList(ctx context.Context) ([]analyzer.Board, error) {
	var rows []boardRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+boardColumns+` FROM boards ORDER BY site_id, board_id`); err != nil {
		return nil, fmt.Errorf("store: unable to list boards: %w", err)
	}
	bs, err := decodeBoards(rows)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return bs, nil
}

// StatusUpsertMany inserts or updates a site's statuses in one statement.
func (s *Store) StatusUpsertMany(ctx context.Context, siteID string, statuses []analyzer.Status) error {
	ids := make([]string, len(statuses))
	names := make([]string, len(statuses))
	cats := make([]string, len(statuses))
	for i, st := range statuses {
		ids[i], names[i], cats[i] = cleanText(st.ID), cleanText(st.Name), cleanText(st.CategoryKey)
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO statuses (site_id, status_id, name, category_key)
		SELECT $1, u.id, u.name, u.cat FROM unnest($2::text[], $3::text[], $4::text[]) AS u(id, name, cat)
		ON CONFLICT (site_id, status_id) DO UPDATE SET name = EXCLUDED.name, category_key = EXCLUDED.category_key`,
		siteID, pq.Array(ids), pq.Array(names), pq.Array(cats))
	if err != nil {
		return fmt.Errorf("store: unable to upsert statuses of site %q: %w", siteID, err)
	}
	return nil
}

// StatusList returns a site's statuses.
func (s *Store) StatusList(ctx context.Context, siteID string) ([]analyzer.Status, error) {
	var out []analyzer.Status
	if err := s.db.SelectContext(ctx, &out, `SELECT site_id, status_id, name, category_key FROM statuses WHERE site_id = $1 ORDER BY status_id`, siteID); err != nil {
		return nil, fmt.Errorf("store: unable to list statuses: %w", err)
	}
	return out, nil
}

// SprintUpsertMany inserts or updates sprints in one transaction.
func (s *Store) SprintUpsertMany(ctx context.Context, sprints []analyzer.Sprint) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, sp := range sprints {
			sp.Name, sp.State, sp.Goal = cleanText(sp.Name), cleanText(sp.State), cleanText(sp.Goal)
			if _, err := tx.NamedExecContext(ctx, `
				INSERT INTO sprints (site_id, sprint_id, board_id, name, state, goal, start_date, end_date, complete_date)
				VALUES (:site_id, :sprint_id, :board_id, :name, :state, :goal, :start_date, :end_date, :complete_date)
				ON CONFLICT (site_id, sprint_id) DO UPDATE SET
					board_id = EXCLUDED.board_id, name = EXCLUDED.name, state = EXCLUDED.state, goal = EXCLUDED.goal,
					start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date, complete_date = EXCLUDED.complete_date`, sp); err != nil {
				return fmt.Errorf("store: unable to upsert sprint %d: %w", sp.ID, err)
			}
		}
		return nil
	})
}

// SprintListByBoard returns a board's sprints (by originBoardId), oldest first.
func (s *Store) SprintListByBoard(ctx context.Context, siteID string, boardID int64) ([]analyzer.Sprint, error) {
	var out []analyzer.Sprint
	err := s.db.SelectContext(ctx, &out, `
		SELECT site_id, sprint_id, board_id, name, state, goal, start_date, end_date, complete_date
		FROM sprints WHERE site_id = $1 AND board_id = $2
		ORDER BY start_date NULLS LAST, sprint_id`, siteID, boardID)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list sprints of board %d: %w", boardID, err)
	}
	return out, nil
}
