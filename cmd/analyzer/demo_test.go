package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/report"
)

// runDemoInto runs `analyzer demo` with DATABASE_URL naming a fresh database
// on the test server and returns its URL, the output directory and what it printed.
func runDemoInto(t *testing.T) (dsn, dir, stdout string) {
	t.Helper()
	dsn = newDB(t)
	dir = filepath.Join(t.TempDir(), "demo")
	issues := "4000"
	if testing.Short() {
		issues = "600"
	}
	m, out, _, err := newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "demo", "--out", dir, "--issues", issues)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	return dsn, dir, out.String()
}

// The first README command, end to end: simulator → sync → compute →
// report, files written and the summary printed.
func TestDemo(t *testing.T) {
	_, dir, out := runDemoInto(t)
	week := report.LastCompleteWeek(time.Now().UTC().Truncate(time.Hour), time.UTC)
	for _, ext := range []string{"md", "html", "json"} {
		p := filepath.Join(dir, report.FileName(week, ext))
		if st, err := os.Stat(p); err != nil || st.Size() < 1000 {
			t.Fatalf("%s: %v (size %v)", p, err, st)
		}
		if !strings.Contains(out, p) {
			t.Errorf("demo did not print the path %s:\n%s", p, out)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, report.FileName(week, "json")))
	if err := report.ValidateJSON(b); err != nil {
		t.Fatalf("demo JSON does not match the documented schema: %v", err)
	}
	var r struct {
		Teams []struct {
			BoardName string `json:"board_name"`
			Sprints   []any  `json:"sprints"`
		} `json:"teams"`
		Outcomes []struct {
			Name   string `json:"name"`
			Series []any  `json:"series"`
		} `json:"outcomes"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	// The demo site has 4 teams, each with closed sprints.
	if len(r.Teams) != 4 || len(r.Teams[0].Sprints) == 0 {
		t.Fatalf("demo report has %d teams (want 4), first with %d sprints", len(r.Teams), len(r.Teams[0].Sprints))
	}
	// The demo ships three outcome series (activation, MRR, NPS), 26 weeks each.
	if len(r.Outcomes) != 3 || len(r.Outcomes[0].Series) == 0 {
		t.Fatalf("demo report outcomes: %+v", r.Outcomes)
	}
	for _, want := range []string{"synced 4 boards", "velocity(3)", "demo finished"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

// `analyzer report` on computed data: a week and a board, one format.
func TestReportCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the demo database (skipped in -short)")
	}
	dsn, _, _ := runDemoInto(t)
	out := t.TempDir()
	week := report.LastCompleteWeek(time.Now().UTC().Truncate(time.Hour), time.UTC)
	m, stdout, _, err := newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "report", "--week", week.String(), "--board", "2", "--format", "json", "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(out, report.FileName(week, "json"))
	if strings.TrimSpace(stdout.String()) != p {
		t.Fatalf("printed %q, want %q", stdout, p)
	}
	b, _ := os.ReadFile(p)
	var r struct {
		Teams []struct {
			BoardID int64 `json:"board_id"`
		} `json:"teams"`
	}
	if err := json.Unmarshal(b, &r); err != nil || len(r.Teams) != 1 || r.Teams[0].BoardID != 2 {
		t.Fatalf("--board 2 report: %+v %v", r, err)
	}
	if _, err := os.Stat(filepath.Join(out, report.FileName(week, "md"))); err == nil {
		t.Fatal("--format json also wrote Markdown")
	}
	// A bad week is a usage error naming the flag.
	_, _, _, err = newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "report", "--week", "2026-W60")
	if err == nil {
		m2, _, _, _ := newTestMain(t, map[string]string{"DATABASE_URL": dsn}, "report", "--week", "2026-W60")
		err = m2.Run(context.Background())
	}
	if err == nil || !strings.Contains(err.Error(), "--week") {
		t.Fatalf("bad --week: %v", err)
	}

	// boardReport renders board 2's JSON report of the week with env.
	boardReport := func(env map[string]string) report.Report {
		t.Helper()
		dir := t.TempDir()
		env["DATABASE_URL"] = dsn
		m, _, _, err := newTestMain(t, env, "report", "--week", week.String(), "--board", "2", "--format", "json", "--out", dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(filepath.Join(dir, report.FileName(week, "json")))
		var r report.Report
		if err := json.Unmarshal(raw, &r); err != nil || len(r.Teams) != 1 {
			t.Fatalf("board report: %v %s", err, raw)
		}
		return r
	}
	// report.forecast.* reach the report (TestReportForecastSettings).
	forecast := func(env map[string]string) (f report.Forecast, b report.Backlog) {
		t.Helper()
		r := boardReport(env)
		if r.Teams[0].Forecast == nil {
			t.Fatalf("forecast report without a forecast: %+v", r.Teams[0])
		}
		return *r.Teams[0].Forecast, r.Teams[0].Backlog
	}
	// http.public_url and report.definitions_url reach the report.
	if r := boardReport(map[string]string{"ANALYZER_HTTP_PUBLIC_URL": "https://analyzer.example.org"}); r.DashboardURL != "https://analyzer.example.org/?week="+week.String() ||
		r.Teams[0].DashboardURL != "https://analyzer.example.org/boards/2?week="+week.String() || r.DocsBaseURL != "https://analyzer.example.org/docs/" {
		t.Errorf("public_url: dashboard %q, board %q, docs %q", r.DashboardURL, r.Teams[0].DashboardURL, r.DocsBaseURL)
	}
	if r := boardReport(map[string]string{"ANALYZER_REPORT_DEFINITIONS_URL": "https://wiki.example.org/kpi"}); r.DashboardURL != "" || r.DocsBaseURL != "https://wiki.example.org/kpi/" {
		t.Errorf("definitions_url: dashboard %q, docs %q", r.DashboardURL, r.DocsBaseURL)
	}

	def, bl := forecast(map[string]string{})
	if def.Target != "ready" || def.Items != bl.Ready || def.HorizonWeeks != 4 || def.Samples != 12 {
		t.Errorf("default forecast: %s %d items (backlog ready %d), horizon %d, %d samples; want ready, %d, 4, 12",
			def.Target, def.Items, bl.Ready, def.HorizonWeeks, def.Samples, bl.Ready)
	}
	set, bl := forecast(map[string]string{"ANALYZER_REPORT_FORECAST_TARGET": "backlog",
		"ANALYZER_REPORT_FORECAST_HORIZON_WEEKS": "6", "ANALYZER_REPORT_FORECAST_THROUGHPUT_WEEKS": "4"})
	if set.Target != "backlog" || set.Items != bl.Items || set.HorizonWeeks != 6 || set.Samples != 4 || set.By == def.By {
		t.Errorf("configured forecast: %s %d items (backlog %d), horizon %d by %s, %d samples; want backlog, %d, 6, 4",
			set.Target, set.Items, bl.Items, set.HorizonWeeks, set.By, set.Samples, bl.Items)
	}
}

// Two `analyzer run` processes on one database, reporting every second:
// the weekly report reaches Slack once and both stop cleanly on SIGTERM.
func TestTwoWorkersSendOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two workers (skipped in -short)")
	}
	dsn, _, _ := runDemoInto(t)
	var posts atomic.Int32
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte("ok"))
	}))
	defer slack.Close()

	bin := filepath.Join(t.TempDir(), "analyzer")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	reports := t.TempDir()
	env := append(os.Environ(), "DATABASE_URL="+dsn, "ANALYZER_SCHEDULE_REPORT=@every 1s", "ANALYZER_SCHEDULE_COMPUTE=@every 1h",
		"ANALYZER_REPORT_OUTPUTS_SLACK_WEBHOOK_URL="+slack.URL, "ANALYZER_REPORT_OUTPUTS_DIR="+reports)
	var procs []*exec.Cmd
	var logs []*lockedBuffer
	for i := range 2 {
		cmd := exec.Command(bin, "run", "--http", "127.0.0.1:0")
		cmd.Env = env
		lb := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = lb, lb
		if err := cmd.Start(); err != nil {
			t.Fatalf("worker %d: %v", i, err)
		}
		procs, logs = append(procs, cmd), append(logs, lb)
	}
	// Wait until Slack got the report and each worker has run the report
	// job at least 3 times (twice or more after the send), so a second
	// send would have happened by then.
	reportRuns := func(l *lockedBuffer) int { return strings.Count(l.String(), `msg="job finished" job=report`) }
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) { // hang guard only
		if posts.Load() >= 1 && reportRuns(logs[0]) >= 3 && reportRuns(logs[1]) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			for _, p := range procs {
				_ = p.Process.Kill()
			}
			t.Fatalf("after 2 minutes: %d Slack posts, report job finished %d and %d times\n%s\n%s",
				posts.Load(), reportRuns(logs[0]), reportRuns(logs[1]), logs[0], logs[1])
		}
	}
	for _, p := range procs {
		_ = p.Process.Signal(syscall.SIGTERM)
	}
	for i, p := range procs {
		if err := p.Wait(); err != nil {
			t.Errorf("worker %d did not stop cleanly: %v\n%s", i, err, logs[i])
		}
	}
	if n := posts.Load(); n != 1 {
		t.Fatalf("Slack received the weekly report %d times from two workers, want exactly 1\n%s\n%s", n, logs[0], logs[1])
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sent int
	_ = db.QueryRow(`SELECT count(*) FROM report_runs WHERE status = 'sent'`).Scan(&sent)
	if sent != 2 { // one row per target: dir and slack
		t.Fatalf("%d report runs sent, want 2 (dir and slack)", sent)
	}
	for i, l := range logs {
		if !strings.Contains(l.String(), "worker stopped") {
			t.Errorf("worker %d log lacks a clean stop:\n%s", i, l)
		}
	}
}
