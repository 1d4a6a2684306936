package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/pgtest"
	"github.com/backlog-health/analyzer/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// newTestMain parses args with the given environment, capturing output.
func newTestMain(t *testing.T, env map[string]string, args ...string) (*Main, *bytes.Buffer, *bytes.Buffer, error) {
	t.Helper()
	m := NewMain()
	var out, errb bytes.Buffer
	m.Stdout, m.Stderr = &out, &errb
	m.Getenv = func(k string) string { return env[k] }
	err := m.ParseFlags(context.Background(), args)
	t.Cleanup(func() { _ = m.Close() })
	return m, &out, &errb, err
}

func TestMigrateAndDoctor(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	m, out, _, err := newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "migrate")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("database schema at version %d", store.LatestVersion())) {
		t.Fatalf("migrate output: %q", out)
	}

	// Style: an end-to-end test sets the DSN on the parsed Main and calls Run.
	m2, out2, _, err := newTestMain(t, nil, "doctor")
	if err != nil {
		t.Fatal(err)
	}
	m2.Config.Database.URL = dsn
	// With no Jira site nothing would be synced: doctor checks the database,
	// then fails (TestDoctorFailsWhenNothingWouldBeSynced).
	if err := m2.Run(ctx); err == nil || !strings.Contains(err.Error(), "no sites configured") {
		t.Fatalf("doctor without sites: %v", err)
	}
	for _, want := range []string{"ok    config", "ok    database", fmt.Sprintf("ok    schema    version %d (current)", store.LatestVersion())} {
		if !strings.Contains(out2.String(), want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out2)
		}
	}
}

func TestDoctorBrokenDSN(t *testing.T) {
	m, _, _, err := newTestMain(t, map[string]string{"DATABASE_URL": "postgres://bob:hunter2@127.0.0.1:1/x?sslmode=disable"}, "doctor")
	if err != nil {
		t.Fatal(err)
	}
	err = m.Run(context.Background())
	if err == nil {
		t.Fatal("doctor passed with an unreachable database")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "doctor: database: ") || strings.Contains(msg, "hunter2") {
		t.Fatalf("want one line naming the database without the password, got %q", msg)
	}
}

func TestBadConfigRefused(t *testing.T) {
	_, _, _, err := newTestMain(t, nil, "doctor", "--config", "/nonexistent.yaml")
	if err == nil || err.Error() != "config: open /nonexistent.yaml: no such file or directory" {
		t.Fatalf("unreadable config: %v", err)
	}
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("report:\n  time_zone: Atlantis\n"), 0o600)
	_, _, _, err = newTestMain(t, nil, "--config", p, "doctor")
	if err == nil || err.Error() != `config: report.time_zone: unknown time zone "Atlantis"` {
		t.Fatalf("bad field: %v", err)
	}
}

func TestUsage(t *testing.T) {
	_, _, _, err := newTestMain(t, nil, "frobnicate")
	if !errors.Is(err, errUsage) || err.Error() != `unknown command "frobnicate"` {
		t.Fatalf("unknown command: %v", err)
	}
	_, _, errb, err := newTestMain(t, nil, "doctor", "--help")
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errb.String(), "Usage: analyzer doctor") {
		t.Fatalf("doctor --help: %v\n%s", err, errb)
	}
	_, _, _, err = newTestMain(t, nil, "--log-format", "xml", "version")
	if !errors.Is(err, errUsage) {
		t.Fatalf("bad log format: %v", err)
	}
	m, out, _, err := newTestMain(t, nil, "version")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil || !strings.HasPrefix(out.String(), "analyzer ") {
		t.Fatalf("version: %q %v", out, err)
	}
}

// With no database URL the analyzer starts its embedded PostgreSQL under the
// state directory and keeps the data there between runs.
func TestEmbeddedDefault(t *testing.T) {
	dir := t.TempDir()
	_ = os.Chmod(dir, 0o755)
	_ = os.Chmod(filepath.Dir(dir), 0o755)
	env := map[string]string{"ANALYZER_STATE_DIR": filepath.Join(dir, "state")}
	ctx := context.Background()
	for i := range 2 {
		m, out, _, err := newTestMain(t, env, "migrate")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Run(ctx); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if i == 0 {
			if _, err := m.store.DB().ExecContext(ctx, `INSERT INTO outcome_values (metric, value_date, value) VALUES ('mrr', '2026-11-01', 42)`); err != nil {
				t.Fatal(err)
			}
		} else {
			var v float64
			if err := m.store.DB().GetContext(ctx, &v, `SELECT value FROM outcome_values WHERE metric = 'mrr'`); err != nil || v != 42 {
				t.Fatalf("data did not survive a restart: %v %v", v, err)
			}
		}
		if !strings.Contains(out.String(), fmt.Sprintf("version %d", store.LatestVersion())) {
			t.Fatalf("output %q", out)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// newDB returns the URL of a fresh database on the test server.
func newDB(t *testing.T) string { return pgtest.NewDatabase(t) }
