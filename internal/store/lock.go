package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// lockKey maps a (site, board) pair to an advisory lock key.
func lockKey(siteID string, boardID int64) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "board-sync/%s/%d", siteID, boardID)
	return int64(h.Sum64())
}

// ErrLockLost is returned by BoardLock.Check when the session that held a
// board's advisory lock is gone (its connection died, the server restarted
// or an administrator ended it): PostgreSQL released the lock with it, and
// another worker may be syncing the board.
var ErrLockLost = errors.New("store: board lock lost")

// BoardLock is a held advisory lock of one board's sync, on its own
// connection.
type BoardLock struct {
	conn    *sqlx.Conn
	key     int64
	boardID int64
	release func()
}

// Release unlocks and returns the connection. It is safe to call once the
// lock was lost.
func (l *BoardLock) Release() { l.release() }

// Check returns an error wrapping ErrLockLost unless the lock is still held
// by its session: the sync calls it before writing each page, so a second
// worker that took the board over never has its data interleaved with a
// stale one's.
func (l *BoardLock) Check(ctx context.Context) error {
	var held bool
	err := l.conn.GetContext(ctx, &held, `
		SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
			AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1)`,
		int64(uint64(l.key)>>32), int64(uint64(l.key)&0xffffffff))
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return fmt.Errorf("%w: board %d: its connection failed: %v", ErrLockLost, l.boardID, err)
	case !held:
		return fmt.Errorf("%w: board %d: the session no longer holds it", ErrLockLost, l.boardID)
	}
	return nil
}

// BoardLockTry takes the advisory lock of one board's sync on a dedicated
// connection. ok is false when another worker holds it. When ok, the lock
// must be released with Release.
func (s *Store) BoardLockTry(ctx context.Context, siteID string, boardID int64) (lock *BoardLock, ok bool, err error) {
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
	l := &BoardLock{conn: conn, key: key, boardID: boardID}
	var once sync.Once
	l.release = func() {
		once.Do(func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
			_ = conn.Close()
		})
	}
	return l, true, nil
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
