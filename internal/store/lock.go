package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"
)

// lockKey maps a (site, board) pair to an advisory lock key.
func lockKey(siteID string, boardID int64) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "board-sync/%s/%d", siteID, boardID)
	return int64(h.Sum64())
}

// BoardLockTry takes the advisory lock of one board's sync on a dedicated
// connection. ok is false when another worker holds it. The returned release
// func unlocks and returns the connection; it must be called when ok.
func (s *Store) BoardLockTry(ctx context.Context, siteID string, boardID int64) (release func(), ok bool, err error) {
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("store: lock board %d: %w", boardID, err)
	}
	key := lockKey(siteID, boardID)
	if err := conn.GetContext(ctx, &ok, `SELECT pg_try_advisory_lock($1)`, key); err != nil {
		_ = conn.Close()
		return nil, false, fmt.Errorf("store: lock board %d: %w", boardID, err)
	}
	if !ok {
		_ = conn.Close()
		return nil, false, nil
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
		_ = conn.Close()
	}, true, nil
}

// DBNow returns the database server's clock, the one seen_at and other
// defaults use.
func (s *Store) DBNow(ctx context.Context) (time.Time, error) {
	var t time.Time
	if err := s.db.GetContext(ctx, &t, `SELECT now()`); err != nil {
		return time.Time{}, fmt.Errorf("store: read clock: %w", err)
	}
	return t.UTC(), nil
}

// BoardIssueMarkUnseen marks as removed every issue of the board not seen
// since `since` (the start of a complete full sync): it left the board or was
// deleted. The rows and the issues stay: history is never lost. It returns
// how many were newly marked.
func (s *Store) BoardIssueMarkUnseen(ctx context.Context, siteID string, boardID int64, since time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `
		UPDATE board_issues SET removed_at = now()
		WHERE site_id = $1 AND board_id = $2 AND removed_at IS NULL AND seen_at < $3`, siteID, boardID, since)
	if err != nil {
		return 0, fmt.Errorf("store: unable to mark removed issues of board %d: %w", boardID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
