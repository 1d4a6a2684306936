package worker_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"github.com/backlog-health/analyzer/internal/worker"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func readyz(t *testing.T, srv *httptest.Server, wantStatus int) worker.ReadyReport {
	t.Helper()
	code, body := get(t, srv, "/readyz")
	if code != wantStatus {
		t.Fatalf("/readyz status %d, want %d:\n%s", code, wantStatus, body)
	}
	var rep worker.ReadyReport
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatalf("/readyz body is not JSON: %v\n%s", err, body)
	}
	return rep
}

func finished(s *store.Store, t *testing.T, site string, board int64, at time.Time) {
	t.Helper()
	if err := s.SyncStatePut(context.Background(), store.SyncState{SiteID: site, BoardID: board, LastFinishedAt: &at, Watermark: &at}); err != nil {
		t.Fatal(err)
	}
}

// metrics parses /metrics into "name{labels}" → value.
func metrics(t *testing.T, srv *httptest.Server) map[string]float64 {
	t.Helper()
	code, body := get(t, srv, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics status %d", code)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad metric line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// Issue 11 point 5: /readyz is 503 with a JSON reason when a configured
// site's last successful sync is older than stale_factor × the sync
// interval, 200 with details otherwise; the timestamps come from the
// sync_state rows of a real database.
func TestReadyzStaleSites(t *testing.T) {
	s := storetest.MustOpen(t)
	t0 := time.Date(2026, 11, 16, 10, 30, 0, 0, time.UTC)
	clk := &clock{t: t0}
	w, err := worker.New(worker.Config{
		Now: clk.now, DB: s.DB(), SyncStates: s, Sites: []string{"a", "b", "c"}, StaleFactor: 3,
	}, []worker.Job{{Name: "sync", Spec: "0 * * * *", Run: func(context.Context) error { return nil }}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop(context.Background())
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()

	// "0 * * * *" from 10:30: next runs 11:00 and 12:00, so the interval is
	// 1h and the limit 3 × 1h = 3h.
	finished(s, t, "a", 1, t0.Add(-2*time.Hour)) // 2h old: fresh
	finished(s, t, "b", 2, t0.Add(-4*time.Hour)) // b's newest board: 4h old, stale
	finished(s, t, "b", 3, t0.Add(-5*time.Hour))
	finished(s, t, "gone", 9, t0.Add(-100*time.Hour)) // a site no longer configured: not checked
	// Board a/4 never finished a sync: it has an error row only.
	if err := s.SyncStateSetError(context.Background(), "a", 4, "boom"); err != nil {
		t.Fatal(err)
	}
	// Site c never synced: it is measured from the worker's start (t0), age 0.

	rep := readyz(t, srv, http.StatusServiceUnavailable)
	want := "site b: last successful sync at 2026-11-16T06:30:00Z, 4h0m0s ago (limit 3 × the sync interval 1h0m0s = 3h0m0s)"
	if rep.Ready || rep.Status != "not ready" || len(rep.Reasons) != 1 || rep.Reasons[0] != want {
		t.Fatalf("reasons = %q, want exactly [%q]", rep.Reasons, want)
	}
	if rep.Database != "ok" || len(rep.Sites) != 3 || rep.Sites[0].AgeSeconds != 7200 || rep.Sites[0].MaxAgeSeconds != 10800 ||
		!rep.Sites[1].Stale || rep.Sites[2].LastSuccess != nil || rep.Sites[2].Stale {
		t.Fatalf("details = %+v", rep)
	}

	// b syncs again: everything is fresh, 200 with the details.
	finished(s, t, "b", 2, t0.Add(-time.Hour))
	rep = readyz(t, srv, http.StatusOK)
	if !rep.Ready || rep.Status != "ok" || len(rep.Reasons) != 0 || rep.Sites[1].AgeSeconds != 3600 {
		t.Fatalf("after b's sync: %+v", rep)
	}
	m := metrics(t, srv)
	// Per-board and per-site timestamps: a/1 finished at t0-2h; b's newest board at t0-1h; c never (0).
	for key, want := range map[string]float64{
		`analyzer_sync_board_last_success_timestamp_seconds{board="1",site="a"}`: float64(t0.Add(-2 * time.Hour).Unix()),
		`analyzer_sync_board_last_success_timestamp_seconds{board="3",site="b"}`: float64(t0.Add(-5 * time.Hour).Unix()),
		`analyzer_sync_site_last_success_timestamp_seconds{site="b"}`:            float64(t0.Add(-time.Hour).Unix()),
		`analyzer_sync_site_last_success_timestamp_seconds{site="c"}`:            0,
		`analyzer_ready`: 1,
	} {
		if got, ok := m[key]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", key, got, ok, want)
		}
	}

	// 3h1s later: a (5h1s) and b (4h1s) are stale, and c has had no
	// successful sync in the 3h1s since the worker started.
	clk.add(3*time.Hour + time.Second)
	rep = readyz(t, srv, http.StatusServiceUnavailable)
	if len(rep.Reasons) != 3 || !strings.HasPrefix(rep.Reasons[0], "site a: last successful sync at 2026-11-16T08:30:00Z, 5h0m1s ago") ||
		rep.Reasons[2] != "site c: no successful sync since the worker started 3h0m1s ago (limit 3 × the sync interval 1h0m0s = 3h0m0s)" {
		t.Fatalf("reasons = %q", rep.Reasons)
	}
	if m := metrics(t, srv); m["analyzer_ready"] != 0 {
		t.Fatalf("analyzer_ready = %v, want 0", m["analyzer_ready"])
	}
}

// Issue 11 point 5: an unreachable database makes /readyz 503 (while
// /healthz, liveness, stays 200).
func TestReadyzDatabaseUnreachable(t *testing.T) {
	// Port 1 on localhost refuses connections: a real driver, a real failure.
	db, err := sql.Open("postgres", "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w, err := worker.New(worker.Config{DB: db, PingTimeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop(context.Background())
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	rep := readyz(t, srv, http.StatusServiceUnavailable)
	if len(rep.Reasons) != 1 || !strings.HasPrefix(rep.Reasons[0], "database unreachable: ") || !strings.HasPrefix(rep.Database, "unreachable: ") {
		t.Fatalf("readiness = %+v", rep)
	}
	if code, body := get(t, srv, "/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
}

// Issue 11 point 5: /metrics is client_golang's exposition and keeps every
// metric the hand-written one had.
func TestMetrics(t *testing.T) {
	w, err := worker.New(worker.Config{Parser: secondly}, []worker.Job{
		{Name: "sync", Spec: "* * * * * *", Run: func(context.Context) error { return nil }},
	})
	if err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	st.Add("analyzer_reports_sent_total", 2)
	st.JiraStats("acme", 7, 2, 1)
	st.JiraStats("acme", 3, 0, 0) // a second sync adds: 10 requests
	push := st.CountPushes(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			rw.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = rw.Write([]byte("{}")) // implicit 200
	}))
	for _, auth := range []string{"", "", "Bearer x"} {
		req := httptest.NewRequest("POST", "/api/v1/outcomes", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		push.ServeHTTP(httptest.NewRecorder(), req)
	}
	w.Start()
	waitFor(t, "a sync run", func() bool { r, _ := st.Runs("sync"); return r >= 1 })
	_ = w.Stop(context.Background())
	runs, _ := st.Runs("sync")

	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	if code, body := get(t, srv, "/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	m := metrics(t, srv)
	for key, want := range map[string]float64{
		`analyzer_job_runs_total{job="sync"}`:                         float64(runs),
		`analyzer_job_errors_total{job="sync"}`:                       0,
		`analyzer_job_deadline_exceeded_total{job="sync"}`:            0,
		`analyzer_job_running{job="sync"}`:                            0,
		`analyzer_job_duration_seconds_count{job="sync"}`:             float64(runs),
		`analyzer_reports_sent_total`:                                 2,
		`analyzer_jira_requests_total{site="acme"}`:                   10,
		`analyzer_jira_retries_total{site="acme"}`:                    2,
		`analyzer_jira_throttled_total{site="acme"}`:                  1,
		`analyzer_outcome_pushes_total{code="401",result="refused"}`:  2,
		`analyzer_outcome_pushes_total{code="200",result="accepted"}`: 1,
		`analyzer_ready`: 1,
	} {
		if got, ok := m[key]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", key, got, ok, want)
		}
	}
	for _, key := range []string{
		`analyzer_job_last_start_timestamp_seconds{job="sync"}`, `analyzer_job_last_success_timestamp_seconds{job="sync"}`,
		`analyzer_job_last_duration_seconds{job="sync"}`, "go_goroutines", "process_resident_memory_bytes",
	} {
		if _, ok := m[key]; !ok {
			t.Errorf("/metrics lacks %s", key)
		}
	}
	if m[`analyzer_job_last_success_timestamp_seconds{job="sync"}`] < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("last success timestamp %v is not a recent Unix time", m[`analyzer_job_last_success_timestamp_seconds{job="sync"}`])
	}
}
