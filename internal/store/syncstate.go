package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// SyncState is the progress of one board's sync.
type SyncState struct {
	SiteID  string `db:"site_id"`
	BoardID int64  `db:"board_id"`
	// Watermark is the `updated` time up to which every issue is stored; nil
	// before the first complete sync.
	Watermark *time.Time `db:"watermark"`
	// Checkpoint is the opaque resume point of a sync in progress; nil when
	// the last sync finished.
	Checkpoint     json.RawMessage `db:"checkpoint"`
	LastStartedAt  *time.Time      `db:"last_started_at"`
	LastFinishedAt *time.Time      `db:"last_finished_at"`
	LastError      string          `db:"last_error"`
}

// SyncStateGet returns a board's sync state, zero-valued when none is stored.
func (s *Store) SyncStateGet(ctx context.Context, siteID string, boardID int64) (SyncState, error) {
	var rows []SyncState
	err := s.db.SelectContext(ctx, &rows, `
		SELECT site_id, board_id, watermark, convert_to(coalesce(checkpoint::text, ''), 'UTF8') AS checkpoint, last_started_at, last_finished_at, last_error
		FROM sync_state WHERE site_id = $1 AND board_id = $2`, siteID, boardID)
	if err != nil {
		return SyncState{}, fmt.Errorf("store: unable to get sync state of board %d: %w", boardID, err)
	}
	if len(rows) == 0 {
		return SyncState{SiteID: siteID, BoardID: boardID}, nil
	}
	return rows[0], nil
}

// SyncStatePut writes a board's sync state.
func (s *Store) SyncStatePut(ctx context.Context, st SyncState) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return syncStatePut(ctx, tx, st) })
}

func syncStatePut(ctx context.Context, tx *sqlx.Tx, st SyncState) error {
	var cp any
	if len(st.Checkpoint) > 0 {
		cp = string(st.Checkpoint)
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO sync_state (site_id, board_id, watermark, checkpoint, last_started_at, last_finished_at, last_error)
		VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)
		ON CONFLICT (site_id, board_id) DO UPDATE SET
			watermark = EXCLUDED.watermark, checkpoint = EXCLUDED.checkpoint,
			last_started_at = EXCLUDED.last_started_at, last_finished_at = EXCLUDED.last_finished_at,
			last_error = EXCLUDED.last_error`,
		st.SiteID, st.BoardID, st.Watermark, cp, st.LastStartedAt, st.LastFinishedAt, cleanText(st.LastError))
	if err != nil {
		return fmt.Errorf("store: unable to write sync state of board %d: %w", st.BoardID, err)
	}
	return nil
}

// SyncStateSetError records a failed run's error without touching the
// watermark or the checkpoint, so the next run resumes where this one stopped.
func (s *Store) SyncStateSetError(ctx context.Context, siteID string, boardID int64, msg string) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO sync_state (site_id, board_id, last_error) VALUES ($1, $2, $3)
		ON CONFLICT (site_id, board_id) DO UPDATE SET last_error = EXCLUDED.last_error`, siteID, boardID, cleanText(msg))
	if err != nil {
		return fmt.Errorf("store: unable to record sync error of board %d: %w", boardID, err)
	}
	return nil
}

// SyncStateList returns every board's sync state, ordered by site and board
// (the worker's readiness and /metrics read last_finished_at from it).
func (s *Store) SyncStateList(ctx context.Context) ([]SyncState, error) {
	var rows []SyncState
	err := s.db.SelectContext(ctx, &rows, `
		SELECT site_id, board_id, watermark, convert_to(coalesce(checkpoint::text, ''), 'UTF8') AS checkpoint, last_started_at, last_finished_at, last_error
		FROM sync_state ORDER BY site_id, board_id`)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list sync states: %w", err)
	}
	return rows, nil
}
