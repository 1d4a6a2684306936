// Package pgtest gives tests a real PostgreSQL: the server at
// TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
// when it answers, otherwise an embedded cluster started for the test binary
// and stopped when it ends. Every test gets its own freshly created database
// with a random name, dropped in t.Cleanup.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/lib/pq" // postgres driver
	"go.uber.org/goleak"

	"github.com/backlog-health/analyzer/internal/pgembed"
)

// DefaultURL is used when TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var adminURL string

// Main runs m with a PostgreSQL server available. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	ctx := context.Background()
	adminURL = os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" {
		adminURL = DefaultURL
	}
	if err := ping(ctx, adminURL); err != nil {
		if os.Getenv("TEST_DATABASE_URL") != "" {
			fmt.Fprintf(os.Stderr, "pgtest: TEST_DATABASE_URL does not answer: %v\n", err)
			return 1
		}
		dir, err := os.MkdirTemp("", "analyzer-pgtest-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		_ = os.Chmod(dir, 0o755) // the cluster may run as another user when we are root
		c, err := pgembed.Start(ctx, pgembed.Config{DataDir: filepath.Join(dir, "data")})
		if err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: no server at %s and the embedded one failed: %v\n", DefaultURL, err)
			return 1
		}
		defer func() { _ = c.Stop(context.Background()) }()
		adminURL = c.DSN("postgres")
	}
	return m.Run()
}

func ping(ctx context.Context, dsn string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// MainNoLeaks is Main followed by a goroutine-leak check (goleak): a test
// binary whose tests all passed still fails if a server, pool or timer they
// started is left running. database/sql's connection opener is ignored: it
// lives as long as a *sql.DB a package keeps for its own use.
func MainNoLeaks(m *testing.M) int {
	code := Main(m)
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	return code
}

// AdminURL is the URL of the server's maintenance database.
func AdminURL(tb testing.TB) string {
	tb.Helper()
	if adminURL == "" {
		tb.Fatal("pgtest: call pgtest.Main from TestMain first")
	}
	return adminURL
}

// NewDatabase creates an empty database with a random name and returns its
// URL. The database is dropped when the test ends.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	admin := AdminURL(tb)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "analyzer_test_" + hex.EncodeToString(b[:])
	db, err := sql.Open("postgres", admin)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("postgres", admin)
		if err != nil {
			tb.Errorf("pgtest: %v", err)
			return
		}
		defer db.Close()
		if _, err := db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("pgtest: parse %q: %v", admin, err)
	}
	u.Path = "/" + name
	return u.String()
}
