package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/jira/jirasim"
)

// lockedBuffer is a bytes.Buffer safe for a logger writing while a test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func waitLog(t *testing.T, logs *lockedBuffer, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second) // hang guard only
	for {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("log never matched %s:\n%s", re, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Issue 11 points 5 and 6, end to end: `analyzer run` against the Jira
// simulator and a real database runs the full sync on its schedule (boards
// re-read with full=true although an incremental watermark exists), then
// /readyz is 200 with the site fresh and /metrics shows the site's Jira
// requests and each board's last success.
func TestRunWorkerFullSync(t *testing.T) {
	cfg := simSiteConfig(t, jirasim.Config{Issues: 60, Teams: 2}, `schedule:
  sync: "@every 1h"
  compute: "@every 1h"
  report: "@every 1h"
  full_sync: "@every 1s"
`)
	env := map[string]string{"DATABASE_URL": newDB(t)}
	ctx := context.Background()

	// An incremental sync first, so boards have watermarks: a later full=true
	// comes from the full-sync job, not from a first run.
	for i := range 2 {
		m, out, errb, err := newTestMain(t, env, "--config", cfg, "sync")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Run(ctx); err != nil {
			t.Fatalf("sync: %v\n%s", err, out)
		}
		// The second run is incremental: the watermarks exist.
		if i == 1 && (!strings.Contains(errb.String(), "full=false") || strings.Contains(errb.String(), "full=true")) {
			t.Fatalf("second sync was not incremental:\n%s", errb)
		}
	}

	logs := &lockedBuffer{}
	w := NewMain()
	w.Stdout, w.Stderr = io.Discard, logs
	w.Getenv = func(k string) string { return env[k] }
	if err := w.ParseFlags(ctx, []string{"--config", cfg, "run", "--http", "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(rctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

	addr := waitLog(t, logs, regexp.MustCompile(`msg="serving health, readiness and metrics" addr=(\S+)`))[1]
	waitLog(t, logs, regexp.MustCompile(`msg="job finished" job=full_sync`))
	full := regexp.MustCompile(`msg="board sync" site=acme board_id=\d+ full=true`).FindAllString(logs.String(), -1)
	if len(full) < 2 { // the simulator's 2 teams are 2 boards
		t.Fatalf("full-sync job re-read %d boards with full=true, want both:\n%s", len(full), logs)
	}

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/readyz")
	var rep struct {
		Ready bool `json:"ready"`
		Sites []struct {
			Site        string     `json:"site"`
			LastSuccess *time.Time `json:"last_success"`
		} `json:"sites"`
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil || code != 200 || !rep.Ready || len(rep.Sites) != 1 ||
		rep.Sites[0].Site != "acme" || rep.Sites[0].LastSuccess == nil {
		t.Fatalf("/readyz = %d %s (%v)", code, body, err)
	}
	_, metrics := get("/metrics")
	for _, re := range []string{`(?m)^analyzer_jira_requests_total\{site="acme"\} [1-9]`, `(?m)^analyzer_sync_board_last_success_timestamp_seconds\{board="1",site="acme"\} 1\.`,
		`(?m)^analyzer_job_runs_total\{job="full_sync"\} [1-9]`, `(?m)^analyzer_ready 1$`} {
		if !regexp.MustCompile(re).MatchString(metrics) {
			t.Errorf("/metrics lacks %s:\n%s", re, grepLines(metrics, "analyzer_"))
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Issue 11 point 1 (the per-job deadline), end to end: against a Jira that
// never answers, worker.job_timeouts.sync cancels the sync, logs one line,
// counts it on /metrics and /readyz reports it.
func TestRunWorkerSyncDeadline(t *testing.T) {
	cfg := simSiteConfig(t, jirasim.Config{Issues: 30, Teams: 1, Faults: jirasim.Faults{Latency: time.Hour}}, `schedule:
  sync: "@every 1s"
  compute: "@every 1h"
  report: "@every 1h"
  full_sync: "off"
worker:
  job_timeouts:
    sync: 300ms
`)
	logs := &lockedBuffer{}
	w := NewMain()
	w.Stdout, w.Stderr = io.Discard, logs
	env := map[string]string{"DATABASE_URL": newDB(t)}
	w.Getenv = func(k string) string { return env[k] }
	if err := w.ParseFlags(context.Background(), []string{"--config", cfg, "run", "--http", "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(rctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	addr := waitLog(t, logs, regexp.MustCompile(`msg="serving health, readiness and metrics" addr=(\S+)`))[1]
	waitLog(t, logs, regexp.MustCompile(`level=ERROR msg="job cancelled: deadline exceeded" job=sync deadline=300ms`))
	if strings.Contains(logs.String(), `msg="job finished" job=sync`) {
		t.Fatalf("a sync against a hung Jira finished:\n%s", logs)
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "job sync: last run was cancelled at its 300ms deadline") {
		t.Fatalf("/readyz = %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`(?m)^analyzer_job_deadline_exceeded_total\{job="sync"\} [1-9]`).Match(body) {
		t.Fatalf("/metrics lacks the deadline count:\n%s", grepLines(string(body), "analyzer_job"))
	}
}

// simSiteConfig starts a simulated Jira Cloud site for the test and writes
// a config file naming it as site acme (siteYAML), followed by extra YAML.
func simSiteConfig(t *testing.T, simCfg jirasim.Config, extra string) string {
	t.Helper()
	_, srv := jirasim.NewTestServer(t, simCfg)
	return writeFile(t, "c.yaml", siteYAML(srv.URL)+extra)
}
