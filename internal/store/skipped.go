package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// SkippedIssue is an issue the sync could not store, and why.
type SkippedIssue struct {
	Key    string `db:"issue_key"`
	Reason string `db:"reason"`
}

// syncSkippedWrite records a batch's skipped issues and forgets those of its
// board that the batch stored.
func syncSkippedWrite(ctx context.Context, tx *sqlx.Tx, b IssueBatch) error {
	if b.BoardID == 0 {
		return nil
	}
	if len(b.Issues) > 0 {
		keys := make([]string, len(b.Issues))
		for i, is := range b.Issues {
			keys[i] = is.Key
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sync_skipped WHERE site_id = $1 AND board_id = $2 AND issue_key = ANY($3)`,
			b.SiteID, b.BoardID, pq.Array(keys)); err != nil {
			return fmt.Errorf("store: unable to clear skipped issues of board %d: %w", b.BoardID, err)
		}
	}
	if len(b.Skipped) == 0 {
		return nil
	}
	// One row per key: an upsert cannot touch the same row twice.
	var keys, reasons []string
	at := map[string]int{}
	for _, sk := range b.Skipped {
		k := cleanText(sk.Key)
		if i, ok := at[k]; ok {
			reasons[i] = cleanText(sk.Reason)
			continue
		}
		at[k] = len(keys)
		keys, reasons = append(keys, k), append(reasons, cleanText(sk.Reason))
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO sync_skipped (site_id, board_id, issue_key, reason)
		SELECT $1, $2, u.key, u.reason FROM unnest($3::text[], $4::text[]) AS u(key, reason)
		ON CONFLICT (site_id, board_id, issue_key) DO UPDATE SET reason = EXCLUDED.reason, seen_at = now()`,
		b.SiteID, b.BoardID, pq.Array(keys), pq.Array(reasons))
	if err != nil {
		return fmt.Errorf("store: unable to record skipped issues of board %d: %w", b.BoardID, err)
	}
	return nil
}

// SyncSkippedListByBoard returns the issues of a board that the sync could
// not store, by key.
func (s *Store) SyncSkippedListByBoard(ctx context.Context, siteID string, boardID int64) ([]SkippedIssue, error) {
	var out []SkippedIssue
	if err := s.db.SelectContext(ctx, &out, `SELECT issue_key, reason FROM sync_skipped WHERE site_id = $1 AND board_id = $2 ORDER BY issue_key`, siteID, boardID); err != nil {
		return nil, fmt.Errorf("store: unable to list skipped issues of board %d: %w", boardID, err)
	}
	return out, nil
}
