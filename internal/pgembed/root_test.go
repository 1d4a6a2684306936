package pgembed_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/pgembed"
)

// As root in a clone under a 0700 home (/root on most images) the cluster's
// unprivileged user cannot reach the state directory: Start moves the data
// directory to a reachable place under FallbackRoot, says so in one log
// line, and uses the same place on the next start.
func TestRootFallsBackToReachableDataDir(t *testing.T) {
	needBinaries(t)
	if os.Geteuid() != 0 {
		t.Skip("the fallback exists for root only (the cluster runs as another user)")
	}
	ctx := context.Background()
	home := t.TempDir() // 0700, like /root
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(home, "clone", ".analyzer", "pgdata")
	fallback := filepath.Join(tempDir(t), "var-lib-analyzer")

	var logs bytes.Buffer
	cfg := pgembed.Config{DataDir: dataDir, FallbackRoot: fallback, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	c, err := pgembed.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start as root under a 0700 home: %v", err)
	}
	moved := c.DataDir()
	if !strings.HasPrefix(moved, fallback+string(filepath.Separator)) || filepath.Base(moved) != "pgdata" {
		t.Fatalf("data directory %s, want one under %s", moved, fallback)
	}
	if _, err := os.Stat(filepath.Join(moved, "PG_VERSION")); err != nil {
		t.Fatalf("no cluster in the fallback directory: %v", err)
	}
	if n := strings.Count(logs.String(), "embedded postgres data directory moved"); n != 1 {
		t.Fatalf("want one log line naming the fallback, got %d:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "data_dir="+moved) || !strings.Contains(logs.String(), "state_data_dir="+dataDir) {
		t.Fatalf("log line does not name both directories:\n%s", logs.String())
	}
	exec(t, c.DSN("postgres"), `CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)`)
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	// The next start finds the same directory (and the data in it).
	c2, err := pgembed.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Stop(ctx)
	if c2.DataDir() != moved {
		t.Fatalf("second start used %s, first %s", c2.DataDir(), moved)
	}
	exec(t, c2.DSN("postgres"), `DO $$ BEGIN IF (SELECT v FROM kept) <> 7 THEN RAISE 'lost'; END IF; END $$`)
}

// An existing cluster in an unreachable directory is not replaced by an
// empty one elsewhere: Start refuses and says which directory to open.
func TestRootKeepsExistingUnreachableCluster(t *testing.T) {
	needBinaries(t)
	if os.Geteuid() != 0 {
		t.Skip("the fallback exists for root only")
	}
	_, major, err := pgembed.FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	dataDir := filepath.Join(home, "clone", ".analyzer", "pgdata")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, "PG_VERSION"), []byte(strconv.Itoa(major)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	fallback := filepath.Join(tempDir(t), "fb")
	_, err = pgembed.Start(context.Background(), pgembed.Config{DataDir: dataDir, FallbackRoot: fallback})
	if err == nil || !strings.Contains(err.Error(), "is not searchable by others") {
		t.Fatalf("Start: %v, want the unreachable-directory error", err)
	}
	if _, err := os.Stat(fallback); !os.IsNotExist(err) {
		t.Fatalf("a fallback cluster was created beside the existing one: %v", err)
	}
}
