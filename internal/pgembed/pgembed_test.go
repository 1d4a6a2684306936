package pgembed_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/lib/pq"

	"github.com/backlog-health/analyzer/internal/pgembed"
)

func tempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	// When the tests run as root the cluster runs as another user, which must
	// be able to reach the directory.
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if d == os.TempDir() {
			break
		}
		_ = os.Chmod(d, 0o755)
	}
	return dir
}

func needBinaries(t *testing.T) {
	t.Helper()
	if _, _, err := pgembed.FindBinaries(); err != nil {
		t.Skipf("no PostgreSQL binaries on this machine: %v", err)
	}
}

// Start, write, stop, start again: the data survives, and the second start
// reuses the directory instead of re-initialising it.
func TestStartStopRestartKeepsData(t *testing.T) {
	needBinaries(t)
	ctx := context.Background()
	dir := filepath.Join(tempDir(t), "pg")

	c, err := pgembed.Start(ctx, pgembed.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, c.DSN("postgres"), `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives restart')`)
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("server still running after Stop: postmaster.pid stat err = %v", err)
	}

	c2, err := pgembed.Start(ctx, pgembed.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Stop(ctx)

	// A second Start on a running directory attaches instead of failing, and
	// its Stop leaves the server to its owner.
	c3, err := pgembed.Start(ctx, pgembed.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("attach to running cluster: %v", err)
	}
	if c3.Port() != c2.Port() {
		t.Fatalf("attached to port %d, server runs on %d", c3.Port(), c2.Port())
	}
	if err := c3.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("postgres", c2.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRowContext(ctx, `SELECT v FROM kept`).Scan(&v); err != nil || v != "survives restart" {
		t.Fatalf("after restart: %q, %v", v, err)
	}
}

// A data directory from another major version is refused, never wiped.
func TestVersionMismatchRefused(t *testing.T) {
	needBinaries(t)
	dir := filepath.Join(tempDir(t), "pg")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "PG_VERSION"), []byte("9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(dir, "precious")
	if err := os.WriteFile(marker, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := pgembed.Start(context.Background(), pgembed.Config{DataDir: dir})
	if !errors.Is(err, pgembed.ErrVersionMismatch) {
		t.Fatalf("Start on a version-9 directory: %v, want ErrVersionMismatch", err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("mismatched data directory was touched: %v", err)
	}
}

// A non-empty directory that is not a cluster is left alone.
func TestForeignDirectoryRefused(t *testing.T) {
	needBinaries(t)
	dir := filepath.Join(tempDir(t), "pg")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := pgembed.Start(context.Background(), pgembed.Config{DataDir: dir}); err == nil {
		t.Fatal("Start initialised over a foreign directory")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "notes.txt")); err != nil || string(b) != "mine" {
		t.Fatalf("foreign file changed: %q, %v", b, err)
	}
}

func exec(t *testing.T, dsn, q string) {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(q); err != nil {
		t.Fatal(err)
	}
}
