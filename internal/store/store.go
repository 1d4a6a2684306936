package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/backlog-health/analyzer/internal/dsn"
	_ "github.com/lib/pq" // registers the "postgres" driver
)

// Store is the analyzer's PostgreSQL storage.
type Store struct {
	db *sqlx.DB
	// Now returns the current time; tests replace it.
	Now func() time.Time
}

// MaxConns is the size of the connection pool. A board's sync holds one
// connection for its advisory lock and needs another to write, so at most
// MaxConns/2 boards are synced at once (see sync.Config.Concurrency).
const MaxConns = 32

// Open connects to the database at dsn and checks that it answers. It does not
// migrate: call Migrate, then CheckSchema.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, errors.New("store: empty database URL")
	}
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: unable to open %s: %w", RedactDSN(dsn), redactErr(dsn, err))
	}
	db.SetMaxOpenConns(MaxConns)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: unable to connect to %s: %w", RedactDSN(dsn), redactErr(dsn, err))
	}
	return &Store{db: db, Now: time.Now}, nil
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.db.Close() }

// DB exposes the pool for packages that need a raw query (tests, doctor).
func (s *Store) DB() *sqlx.DB { return s.db }

// inTx runs fn in a transaction, committing when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		if ctx.Err() != nil {
			// database/sql rolled the transaction back when ctx ended;
			// Commit then reports only sql.ErrTxDone.
			return fmt.Errorf("commit: %w", context.Cause(ctx))
		}
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// RedactDSN returns dsn with any password replaced by "xxxxx", for logs and
// error messages (see dsn.Redact).
func RedactDSN(d string) string { return dsn.Redact(d) }

// redactErr hides the passwords of d from err (lib/pq quotes a URL that
// does not parse whole).
func redactErr(d string, err error) error { return dsn.RedactError(d, err) }

// prefixed qualifies each comma-separated column with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
