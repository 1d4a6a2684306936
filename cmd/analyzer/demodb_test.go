package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With DATABASE_URL set, the demo uses the database the URL names (not a
// fixed analyzer_demo next to it), and refuses one that holds anything
// else than a previous demo, leaving it untouched.
func TestDemoUsesTheNamedDatabase(t *testing.T) {
	ctx := context.Background()
	dsn := newDB(t)
	demo := func() (string, error) {
		m, out, _, err := newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "demo", "--out", t.TempDir(), "--issues", "200")
		if err != nil {
			t.Fatal(err)
		}
		err = m.Run(ctx)
		return out.String(), err
	}
	if out, err := demo(); err != nil {
		t.Fatalf("demo into an empty database: %v\n%s", err, out)
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var issues int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM issues WHERE site_id = 'demo'`).Scan(&issues); err != nil || issues == 0 {
		t.Fatalf("the demo did not write into the named database: %d issues, %v", issues, err)
	}
	// A second run replaces the previous demo (same counts, no duplicates).
	if out, err := demo(); err != nil {
		t.Fatalf("demo over a previous demo: %v\n%s", err, out)
	}
	var again int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM issues`).Scan(&again); err != nil || again != issues {
		t.Fatalf("after a second demo: %d issues, want %d (%v)", again, issues, err)
	}

	// Real data in it (a user's own site): refused, nothing touched.
	if _, err := db.ExecContext(ctx, `INSERT INTO jira_sites (site_id, base_url, flavor) VALUES ('acme', 'https://acme.atlassian.net', 'cloud')`); err != nil {
		t.Fatal(err)
	}
	_, err = demo()
	if err == nil || !strings.Contains(err.Error(), "demo: the database DATABASE_URL names holds data that is not a previous demo (Jira site acme)") {
		t.Fatalf("demo over real data: %v", err)
	}
	var sites int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM jira_sites`).Scan(&sites); err != nil || sites != 2 {
		t.Fatalf("refused demo changed the database: %d sites, %v", sites, err)
	}

	// Another application's tables: refused too.
	other := newDB(t)
	odb, err := sql.Open("postgres", other)
	if err != nil {
		t.Fatal(err)
	}
	defer odb.Close()
	if _, err := odb.ExecContext(ctx, `CREATE TABLE invoices (id int)`); err != nil {
		t.Fatal(err)
	}
	dsn = other
	_, err = demo()
	if err == nil || !strings.Contains(err.Error(), "holds tables that are not the analyzer's (invoices)") {
		t.Fatalf("demo over another application's database: %v", err)
	}
}

// As root in a clone under a 0700 home, the embedded database (the demo's
// and every command's) starts in a fallback directory and says where.
func TestEmbeddedUnderUnreachableHome(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the fallback exists for root only")
	}
	home := t.TempDir() // 0700, like /root
	fallback := filepath.Join(t.TempDir(), "fallback")
	for _, d := range []string{filepath.Dir(fallback), filepath.Dir(filepath.Dir(fallback))} {
		_ = os.Chmod(d, 0o755)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	m, out, errb, err := newTestMain(t, map[string]string{"ANALYZER_STATE_DIR": filepath.Join(home, "clone", ".analyzer")}, "migrate")
	if err != nil {
		t.Fatal(err)
	}
	m.embedFallback = fallback
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("migrate on the embedded database under a 0700 home: %v", err)
	}
	if !strings.Contains(out.String(), "database schema at version") {
		t.Fatalf("output: %s", out)
	}
	if !strings.Contains(errb.String(), "embedded postgres data directory moved") || !strings.Contains(errb.String(), "data_dir="+fallback) {
		t.Fatalf("the fallback location is not logged:\n%s", errb)
	}
}
