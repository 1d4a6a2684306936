package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/jira/jirasim"
)

// startServing runs m until the test ends and returns the base URL it printed.
func startServing(t *testing.T, m *Main) string {
	t.Helper()
	out := &lockedBuffer{}
	m.Stdout = out
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("stopped with %v", err)
			}
		case <-time.After(60 * time.Second): // hang guard
			t.Error("did not stop when interrupted")
		}
	})
	return waitLog(t, out, regexp.MustCompile(`dashboard: (http://\S+/)`))[1]
}

func fetch(t *testing.T, method, url string, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// `analyzer serve`: serves / on dashboard.listen when --http is not given,
// --http wins over dashboard.listen, the configured token is required, and
// a non-loopback address without authentication is refused before
// anything listens.
func TestServeCommand(t *testing.T) {
	dsn := newDB(t)
	// dashboard.listen from the environment, with a token.
	m, _, _, err := newTestMain(t, map[string]string{"DATABASE_URL": dsn, "ANALYZER_DASHBOARD_LISTEN": "127.0.0.1:0", "ANALYZER_DASHBOARD_TOKEN": "tok"}, "serve")
	if err != nil {
		t.Fatal(err)
	}
	url := startServing(t, m)
	if code, body := fetch(t, "GET", url); code != 401 || body != "" {
		t.Errorf("GET / without the token: %d %q", code, body)
	}
	// An empty database: the overview says what to run.
	if code, body := fetch(t, "GET", url, "Authorization", "Bearer tok"); code != 200 || !strings.Contains(body, "analyzer compute") {
		t.Errorf("GET / with the token: %d %s", code, body)
	}

	// dashboard.listen on every interface without authentication is refused;
	// --http on loopback wins over it.
	env := map[string]string{"DATABASE_URL": dsn, "ANALYZER_DASHBOARD_LISTEN": "0.0.0.0:0"}
	m, _, _, err = newTestMain(t, env, "serve")
	if err != nil {
		t.Fatal(err)
	}
	err = m.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "dashboard: refusing to serve on 0.0.0.0:0: not a loopback address and no dashboard authentication is configured") {
		t.Fatalf("serve on 0.0.0.0 without auth: %v", err)
	}
	m, _, _, err = newTestMain(t, env, "serve", "--http", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := fetch(t, "GET", startServing(t, m)); code != 200 {
		t.Errorf("serve --http 127.0.0.1:0: GET / %d", code)
	}
	m, _, _, err = newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "serve", "--http", "[::]:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "refusing to serve on [::]:0") {
		t.Fatalf("serve --http [::]:0 without auth: %v", err)
	}
}

// `analyzer run` mounts the dashboard beside its own routes: the pages and
// the read API behind the dashboard's token, /healthz and /metrics without
// it, and POST /api/v1/outcomes with its own push token.
func TestRunMountsDashboard(t *testing.T) {
	cfg := simSiteConfig(t, jirasim.Config{Issues: 60, Teams: 2}, `schedule: {sync: "@every 1h", compute: "@every 1h", report: "@every 1h", full_sync: "off"}
dashboard: {token: tok}
outcomes: {push_token: push}
`)
	env := map[string]string{"DATABASE_URL": newDB(t)}
	for _, cmd := range []string{"sync", "compute"} {
		m, out, _, err := newTestMain(t, env, "--config", cfg, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Run(context.Background()); err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, out)
		}
	}
	logs := &lockedBuffer{}
	w := NewMain()
	w.Stdout, w.Stderr = io.Discard, logs
	w.Getenv = func(k string) string { return env[k] }
	if err := w.ParseFlags(context.Background(), []string{"--config", cfg, "run", "--http", "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	base := "http://" + waitLog(t, logs, regexp.MustCompile(`msg="serving health, readiness and metrics" addr=(\S+)`))[1]
	tok := []string{"Authorization", "Bearer tok"}
	for _, tc := range []struct {
		method, path string
		hdr          []string
		code         int
		body         string
	}{
		{"GET", "/", nil, 401, ""},
		{"GET", "/", tok, 200, "Every team"},
		{"GET", "/api/v1/boards", nil, 401, ""},
		{"GET", "/api/v1/boards", tok, 200, `"path":"/boards/1"`},
		{"GET", "/boards/1", tok, 200, "ageing"},
		{"GET", "/api/v1/boards/1/weeks", tok, 200, `"week_starts":["`},
		{"GET", "/api/v1/overview", tok, 200, `"teams":[{`},
		{"GET", "/api/v1/outcomes", tok, 200, `"outcomes":[]`},
		{"GET", "/static/app.css", tok, 200, "body{"},
		{"GET", "/healthz", nil, 200, ""},
		{"GET", "/metrics", nil, 200, "analyzer_"},
		{"POST", "/api/v1/outcomes", tok, 401, "a valid bearer token is required"},
		{"POST", "/api/v1/outcomes", []string{"Authorization", "Bearer push"}, 400, ""},
	} {
		code, body := fetch(t, tc.method, base+tc.path, tc.hdr...)
		if code != tc.code || !strings.Contains(body, tc.body) {
			t.Errorf("%s %s %v: %d %.300s; want %d with %q", tc.method, tc.path, tc.hdr, code, body, tc.code, tc.body)
		}
	}
}
