package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strconv"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/jmoiron/sqlx"
)

// ErrSchemaTooNew is returned when the database was migrated by a newer
// binary than this one.
var ErrSchemaTooNew = errors.New("store: database schema is newer than this binary")

// ErrSchemaTooOld is returned by CheckSchema when migrations are pending.
var ErrSchemaTooOld = errors.New("store: database schema is not up to date")

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	Up      string
	Down    string
}

var migrationFileRE = regexp.MustCompile(`^(\d{3})_([a-z0-9_]+)\.(up|down)\.sql$`)

// migrationLockKey is the advisory lock that serialises concurrent migrators
// (several replicas starting at once).
const migrationLockKey int64 = 0x616e616c797a6572 // "analyzer"

// Migrations parses the embedded sql/ directory. Names must be
// NNN_name.up.sql / NNN_name.down.sql, versions contiguous from 1, each with
// both directions.
func Migrations() ([]Migration, error) { return migrationsFromFS(analyzer.Migrations, "sql") }

func migrationsFromFS(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	byVersion := map[int]*Migration{}
	for _, e := range entries {
		m := migrationFileRE.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("store: migration file %q: name must look like 001_name.up.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", e.Name(), err)
		}
		mig := byVersion[v]
		if mig == nil {
			mig = &Migration{Version: v, Name: m[2]}
			byVersion[v] = mig
		} else if mig.Name != m[2] {
			return nil, fmt.Errorf("store: migration %03d has two names: %q and %q", v, mig.Name, m[2])
		}
		if m[3] == "up" {
			mig.Up = string(body)
		} else {
			mig.Down = string(body)
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("store: migration versions must be contiguous from 001; missing %03d", i+1)
		}
		if m.Up == "" || m.Down == "" {
			return nil, fmt.Errorf("store: migration %03d_%s needs both .up.sql and .down.sql", m.Version, m.Name)
		}
	}
	return out, nil
}

// LatestVersion is the newest schema version this binary knows.
func LatestVersion() int {
	ms, err := Migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// SchemaVersion returns the highest applied migration, 0 for an empty database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var exists bool
	if err := s.db.GetContext(ctx, &exists, `SELECT to_regclass('schema_migrations') IS NOT NULL`); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := s.db.GetContext(ctx, &v, `SELECT coalesce(max(version), 0) FROM schema_migrations`); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// CheckSchema returns nil when the database is exactly at LatestVersion,
// ErrSchemaTooNew or ErrSchemaTooOld otherwise.
func (s *Store) CheckSchema(ctx context.Context) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	latest := LatestVersion()
	switch {
	case v > latest:
		return fmt.Errorf("%w: database is at version %d, this binary knows up to %d; upgrade the analyzer", ErrSchemaTooNew, v, latest)
	case v < latest:
		return fmt.Errorf("%w: database is at version %d, expected %d; run `analyzer migrate`", ErrSchemaTooOld, v, latest)
	}
	return nil
}

// Migrate applies every pending migration, one transaction per file, under an
// advisory lock. It refuses a schema newer than it knows. It returns the
// number of migrations applied.
func (s *Store) Migrate(ctx context.Context, logger *slog.Logger) (int, error) {
	ms, err := Migrations()
	if err != nil {
		return 0, err
	}
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
		return 0, fmt.Errorf("store: migrate: take lock: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockKey)
	}()

	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		return 0, fmt.Errorf("store: migrate: %w", err)
	}
	var current int
	if err := conn.GetContext(ctx, &current, `SELECT coalesce(max(version), 0) FROM schema_migrations`); err != nil {
		return 0, fmt.Errorf("store: migrate: %w", err)
	}
	if current > len(ms) {
		return 0, fmt.Errorf("%w: database is at version %d, this binary knows up to %d", ErrSchemaTooNew, current, len(ms))
	}
	applied := 0
	for _, m := range ms[current:] {
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			return applied, fmt.Errorf("store: migrate %03d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, m.Up); err != nil {
			_ = tx.Rollback()
			return applied, fmt.Errorf("store: migrate %03d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			_ = tx.Rollback()
			return applied, fmt.Errorf("store: migrate %03d_%s: record version: %w", m.Version, m.Name, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("store: migrate %03d_%s: commit: %w", m.Version, m.Name, err)
		}
		applied++
		if logger != nil {
			logger.Info("migration applied", slog.Int("version", m.Version), slog.String("name", m.Name))
		}
	}
	return applied, nil
}

// MigrateDown reverts the newest `steps` migrations, one transaction each.
func (s *Store) MigrateDown(ctx context.Context, steps int) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	for range steps {
		v, err := s.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		if v == 0 {
			return nil
		}
		if v > len(ms) {
			return fmt.Errorf("%w: cannot revert version %d", ErrSchemaTooNew, v)
		}
		m := ms[v-1]
		err = s.inTx(ctx, func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, m.Down); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = $1`, m.Version)
			return err
		})
		if err != nil {
			return fmt.Errorf("store: revert %03d_%s: %w", m.Version, m.Name, err)
		}
	}
	return nil
}
