package sync_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/jira/jiratest"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"github.com/backlog-health/analyzer/internal/sync"
)

// hungJira is jiratest.HungServer's URL.
func hungJira(tb testing.TB) (url string, accepted *atomic.Int32) {
	addr, accepted := jiratest.HungServer(tb)
	return "http://" + addr, accepted
}

// runHung syncs a hung site with the real client and returns the error and
// how long the sync took.
func runHung(tb testing.TB, st *store.Store, url string, cfg jira.Config) (error, time.Duration) {
	return runHungN(tb, st, url, cfg, 0)
}

// runHungN is runHung syncing concurrency boards at once (0: the default).
func runHungN(tb testing.TB, st *store.Store, url string, cfg jira.Config, concurrency int) (error, time.Duration) {
	tb.Helper()
	cfg.BaseURL, cfg.SiteID, cfg.Flavor = url, "cloud", analyzer.FlavorCloud
	cfg.Email, cfg.Token = "sim@example.com", "sim-token"
	cfg.Logger = slog.New(slog.DiscardHandler)
	c, err := jira.New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	_, err = sync.New(st, c, sync.Config{SiteID: "cloud", BaseURL: url, Concurrency: concurrency}).Run(context.Background())
	return err, time.Since(start)
}

// A Jira that accepts connections and never answers ends the sync with one
// error naming the site and the timeout, after 1 + TimeoutRetries requests,
// and nothing is written.
func TestSyncHungJira(t *testing.T) {
	st := storetest.MustOpen(t)
	url, accepted := hungJira(t)
	done := make(chan error, 1)
	go func() {
		err, _ := runHung(t, st, url, jira.Config{ResponseHeaderTimeout: 200 * time.Millisecond, TimeoutRetries: 2,
			BackoffBase: time.Millisecond, BackoffMax: time.Millisecond})
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second): // hang guard only
		t.Fatal("sync still running after 60s against a hung Jira")
	}
	want := "sync: site cloud (" + url + "): jira: myself: jira: GET /rest/api/2/myself: timed out after 200ms waiting for the response headers (3 attempts)"
	if err == nil || err.Error() != want {
		t.Fatalf("sync error\n got: %v\nwant: %s", err, want)
	}
	if !errors.Is(err, jira.ErrTimeout) {
		t.Errorf("error does not wrap jira.ErrTimeout")
	}
	// TimeoutRetries 2: three requests, each on its own connection.
	if n := accepted.Load(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
	for _, table := range []string{"jira_sites", "boards", "issues", "sync_state"} {
		if n := count(t, st, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%s has %d rows after a hung sync", table, n)
		}
	}
}

// BenchmarkSyncHungJiraDefaults measures how long a sync against a hung
// Jira takes to fail with the default limits: (1 + DefaultTimeoutRetries)
// × DefaultResponseHeaderTimeout plus one backoff of at most 0.5 s, i.e.
// 2 × 30 s + ≤ 0.5 s ≈ 60–60.5 s. Run it on its own:
//
//	go test -run '^$' -bench SyncHungJiraDefaults -benchtime 1x ./internal/sync/
func BenchmarkSyncHungJiraDefaults(b *testing.B) {
	st := storetest.MustOpen(b)
	for b.Loop() {
		url, accepted := hungJira(b)
		err, took := runHung(b, st, url, jira.Config{})
		if !errors.Is(err, jira.ErrTimeout) {
			b.Fatalf("err = %v, want a timeout", err)
		}
		b.ReportMetric(took.Seconds(), "s_to_fail")
		b.Logf("sync against a hung Jira failed after %.1fs with %d connection(s): %v", took.Seconds(), accepted.Load(), err)
	}
}

// A site that stops answering in the middle of a sync (here: every board
// configuration request hangs) ends the sync at the first boards' timeout;
// the boards not yet started are not tried, each of which would wait as
// long.
func TestSyncStopsWhenSiteHangsMidway(t *testing.T) {
	st := storetest.MustOpen(t)
	sim, err := jirasim.New(jirasim.Config{Issues: 180, Teams: 6})
	if err != nil {
		t.Fatal(err)
	}
	var configRequests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/configuration") {
			configRequests.Add(1)
			<-r.Context().Done() // hold until the client gives up
			return
		}
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	done := make(chan error, 1)
	go func() {
		err, _ := runHungN(t, st, srv.URL, jira.Config{ResponseHeaderTimeout: 150 * time.Millisecond, TimeoutRetries: 1,
			BackoffBase: time.Millisecond, BackoffMax: time.Millisecond}, 2)
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second): // hang guard only
		t.Fatal("sync still running after 60s against a hanging Jira")
	}
	if !errors.Is(err, jira.ErrTimeout) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want one timeout line", err)
	}
	t.Log(err)
	// 6 boards, 2 at a time: only the first two boards' configurations are
	// asked for, each with one request and TimeoutRetries 1 retry: 4.
	if n := configRequests.Load(); n != 4 {
		t.Errorf("%d configuration requests, want 4 (the first two boards only)", n)
	}
}
