package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/jira/jirasim"
)

// simConfig writes a config with one Cloud site at url, with the boards line
// given (empty: every board).
func simConfig(t *testing.T, url, boards string) string {
	t.Helper()
	body := siteYAML(url)
	if boards != "" {
		body += "      boards: " + boards + "\n"
	}
	return writeFile(t, "c.yaml", body)
}

// siteYAML is the jira section of a config with one Cloud site, acme, at
// url, with the simulator's credentials.
func siteYAML(url string) string {
	return fmt.Sprintf("jira:\n  sites:\n    - id: acme\n      url: %s\n      flavor: cloud\n      email: sim@example.com\n      token: sim-token\n", url)
}

// emptySite serves a Jira site on which the account sees no boards at all
// (the simulator's file mode with an empty boards.json).
func emptySite(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"boards.json": "[]", "fields.json": "[]"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "issues"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, srv := jirasim.NewTestServer(t, jirasim.Config{DataDir: dir})
	return srv.URL
}

// doctor fails when nothing would be synced: no site configured, a site
// whose account sees no boards, or configured boards that do not exist
// (named by id).
func TestDoctorFailsWhenNothingWouldBeSynced(t *testing.T) {
	ctx := context.Background()
	dsn := newDB(t)
	// The simulated site has boards 1 and 2 (two teams).
	_, sim := jirasim.NewTestServer(t, jirasim.Config{Issues: 120, Teams: 2})
	for _, tc := range []struct {
		name, config, want string
	}{
		{"NoConfigFile", "", "doctor: jira: no sites configured (jira.sites in the config file): nothing would be synced"},
		{"NoBoardsVisible", simConfig(t, emptySite(t), ""), "doctor: jira site acme: the account sees no boards: nothing would be synced"},
		{"MissingBoard", simConfig(t, sim.URL, "[1, 99, 98]"), "doctor: jira site acme: configured boards 98, 99 do not exist or are not visible to this account"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"doctor"}
			if tc.config != "" {
				args = append(args, "--config", tc.config)
			}
			m, out, _, err := newTestMain(t, map[string]string{"DATABASE_URL": dsn}, args...)
			if err != nil {
				t.Fatal(err)
			}
			err = m.Run(ctx)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("doctor error\n got: %v\nwant: %s\noutput:\n%s", err, tc.want, out)
			}
			if !strings.Contains(out.String(), "ok    database") {
				t.Errorf("doctor stopped before checking the database:\n%s", out)
			}
		})
	}
}

// sync with boards [1, 99]: board 1 is synced, 99 is named in the log, the
// summary and the error (exit status 1), and the summary does not claim success.
func TestSyncNamesMissingBoards(t *testing.T) {
	ctx := context.Background()
	dsn := newDB(t)
	_, sim := jirasim.NewTestServer(t, jirasim.Config{Issues: 120, Teams: 2})
	m, out, errb, err := newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "sync", "--config", simConfig(t, sim.URL, "[1, 99]"))
	if err != nil {
		t.Fatal(err)
	}
	err = m.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "site acme: configured board 99 does not exist or is not visible to this account") {
		t.Fatalf("sync error: %v", err)
	}
	if !strings.Contains(errb.String(), `msg="configured boards not found" site=acme board_ids=[99]`) {
		t.Errorf("no warning naming board 99 in the log:\n%s", errb)
	}
	summary := out.String()
	if !strings.HasPrefix(summary, "sync failed: synced 1 board(s)") || !strings.Contains(summary, "missing board(s): acme/99") {
		t.Errorf("summary: %q", summary)
	}
	var boards []int64
	if err := m.store.DB().SelectContext(ctx, &boards, `SELECT board_id FROM boards ORDER BY board_id`); err != nil || len(boards) != 1 || boards[0] != 1 {
		t.Fatalf("stored boards %v (%v), want [1]", boards, err)
	}
}

// sync against a site that shows no boards warns that nothing was synced.
func TestSyncWarnsWhenNoBoards(t *testing.T) {
	m, out, errb, err := newTestMain(t, map[string]string{"DATABASE_URL": newDB(t)}, "sync", "--config", simConfig(t, emptySite(t), ""))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errb.String(), `level=WARN msg="nothing to sync: the account sees no boards on this site" site=acme`) {
		t.Errorf("no warning in the log:\n%s", errb)
	}
	if !strings.HasPrefix(out.String(), "synced 0 board(s)") {
		t.Errorf("summary: %q", out)
	}
}

// An interrupted or failed sync does not print the success summary.
func TestSyncFailureSummary(t *testing.T) {
	_, sim := jirasim.NewTestServer(t, jirasim.Config{Issues: 120, Teams: 2})
	m, out, _, err := newTestMain(t, map[string]string{"DATABASE_URL": newDB(t)}, "sync", "--config", simConfig(t, sim.URL, ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Store(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as SIGINT before the first request
	if err := m.Run(ctx); err == nil {
		t.Fatal("an interrupted sync succeeded")
	}
	if s := out.String(); strings.HasPrefix(s, "synced") || !strings.HasPrefix(s, "sync interrupted: synced 0 board(s)") {
		t.Errorf("summary after an interrupt: %q", s)
	}

	// A wrong token: the site fails, the summary says so.
	cfg := simConfig(t, sim.URL, "")
	m2, out2, _, err := newTestMain(t, map[string]string{"DATABASE_URL": newDB(t), "ANALYZER_JIRA_ACME_TOKEN": "wrong"}, "sync", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.Run(context.Background()); err == nil {
		t.Fatal("sync with a wrong token succeeded")
	}
	if s := out2.String(); !strings.HasPrefix(s, "sync failed: synced 0 board(s)") {
		t.Errorf("summary after a failure: %q", s)
	}
}
