package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/pgtest"
	"github.com/backlog-health/analyzer/internal/report"
	"github.com/backlog-health/analyzer/internal/store"
)

// fakeSlack is an incoming webhook that answers 200 and records the week of
// every message it received, in order.
type fakeSlack struct {
	srv   *httptest.Server
	mu    sync.Mutex
	weeks []string
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			Text string `json:"text"`
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &msg); err != nil {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.weeks = append(f.weeks, strings.TrimPrefix(msg.Text, "Backlog health — week "))
		f.mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.weeks...)
}

// simSite serves a small simulated Jira Cloud site (one team, 60 issues)
// whose present is now.
func simSite(t *testing.T, now time.Time) config.SiteConfig {
	t.Helper()
	sim, err := jirasim.New(jirasim.Config{Mode: jirasim.ModeCloud, Seed: 7, Teams: 1, Issues: 60, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return config.SiteConfig{ID: "sim", URL: "http://" + l.Addr().String(), Flavor: "cloud",
		Email: sim.Config().Email, Token: sim.Config().Token, TimeZone: "UTC", Boards: config.BoardSelector{All: true}}
}

// deliveryMain is a worker's Main on a fresh database with one simulated
// site, the report directory and a fake Slack webhook as targets.
func deliveryMain(t *testing.T, dsn string, site config.SiteConfig, slack *fakeSlack) *Main {
	t.Helper()
	m, _, _, err := newTestMain(t, map[string]string{
		"DATABASE_URL": dsn, "ANALYZER_REPORT_OUTPUTS_DIR": t.TempDir(),
		"ANALYZER_REPORT_OUTPUTS_SLACK_WEBHOOK_URL": slack.srv.URL,
	}, "run")
	if err != nil {
		t.Fatal(err)
	}
	m.Config.Jira.Sites = []config.SiteConfig{site}
	return m
}

// fireReport runs the weekly report job once, as the scheduler would.
func fireReport(t *testing.T, m *Main) {
	t.Helper()
	if err := m.reportJobs()[0].Run(context.Background()); err != nil {
		t.Fatalf("report job: %v", err)
	}
}

func syncAndCompute(t *testing.T, m *Main) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := m.Store(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.syncSites(ctx, s, false); err != nil {
		t.Fatal(err)
	}
	if _, err := compute.RunOnce(ctx, s, computeConfig(m)); err != nil {
		t.Fatal(err)
	}
	return s
}

func reportRuns(t *testing.T, dsn string) []string {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT to_char(week_start, 'YYYY-MM-DD') || ' ' || target || ' ' || status FROM report_runs ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// The report job firing before the first sync has completed must neither
// send "No teams are configured" nor mark the week: it claims nothing. Once
// a sync and a compute ran, the next firing delivers the week.
func TestReportWaitsForFirstSync(t *testing.T) {
	now := time.Now().UTC()
	dsn := pgtest.NewDatabase(t)
	slack := newFakeSlack(t)
	m := deliveryMain(t, dsn, simSite(t, now), slack)

	fireReport(t, m)
	if got := slack.received(); len(got) != 0 {
		t.Fatalf("before any sync, Slack received %v, want nothing", got)
	}
	if w := m.DeliveryStatus().Waiting(); len(w) != 1 || w[0].SiteID != "sim" || w[0].Reason != report.WaitNoData {
		t.Fatalf("waiting for data: %+v", w)
	}
	// /metrics says so: one week waiting for missing data, none stale.
	col := deliveryCollector{status: m.DeliveryStatus()}
	if err := testutil.CollectAndCompare(col, strings.NewReader(`
# HELP analyzer_report_weeks_waiting Report weeks the last delivery pass held back because a site's data was missing or stale, by reason.
# TYPE analyzer_report_weeks_waiting gauge
analyzer_report_weeks_waiting{reason="no_data"} 1
analyzer_report_weeks_waiting{reason="stale"} 0
`), "analyzer_report_weeks_waiting"); err != nil {
		t.Error(err)
	}
	// `analyzer report --deliver` refuses too, saying why.
	m.opts.deliver = true
	err := runReport(context.Background(), m, nil)
	m.opts.deliver = false
	if !errors.Is(err, report.ErrWaitingForData) || !strings.Contains(err.Error(), "site sim has no completed sync") {
		t.Fatalf("report --deliver before any sync: %v", err)
	}
	if runs := reportRuns(t, dsn); len(runs) != 0 {
		t.Fatalf("before any sync, report_runs holds %v, want no claim", runs)
	}

	syncAndCompute(t, m)
	fireReport(t, m)
	if w := m.DeliveryStatus().Waiting(); len(w) != 0 {
		t.Fatalf("still waiting after the sync: %+v", w)
	}
	if err := testutil.CollectAndCompare(col, strings.NewReader(`
# HELP analyzer_report_weeks_waiting Report weeks the last delivery pass held back because a site's data was missing or stale, by reason.
# TYPE analyzer_report_weeks_waiting gauge
analyzer_report_weeks_waiting{reason="no_data"} 0
analyzer_report_weeks_waiting{reason="stale"} 0
`), "analyzer_report_weeks_waiting"); err != nil {
		t.Errorf("after the sync: %v", err)
	}
	week := report.LastCompleteWeek(time.Now(), time.UTC).String()
	if got := slack.received(); len(got) != 1 || got[0] != week {
		t.Fatalf("after the sync, Slack received %v, want [%s]", got, week)
	}
	start := report.LastCompleteWeek(time.Now(), time.UTC).Start(time.UTC).Format(time.DateOnly)
	want := []string{start + " dir sent", start + " slack sent"}
	if runs := reportRuns(t, dsn); strings.Join(runs, "|") != strings.Join(want, "|") {
		t.Fatalf("report_runs %v, want %v", runs, want)
	}
}

// setWatermark pretends every board of the site last finished a sync at at,
// then recomputes, so the snapshots carry that as-of time.
func setWatermark(t *testing.T, m *Main, s *store.Store, site string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	boards, err := s.BoardList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boards {
		st, err := s.SyncStateGet(ctx, site, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		st.Watermark, st.LastFinishedAt = &at, &at
		if err := s.SyncStatePut(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	// The week snapshots were computed from the data of the first sync and
	// are kept (docs/metrics.md#history-and-retention); the data now stands
	// as synced at `at`, so they are computed again from it.
	if _, err := s.DB().ExecContext(ctx, `DELETE FROM kpi_board_week`); err != nil {
		t.Fatal(err)
	}
	if _, err := compute.RunOnce(ctx, s, computeConfig(m)); err != nil {
		t.Fatal(err)
	}
}

// Data last synced more than report.max_data_age (36 h by default) before
// the week's end is not reported as that week's: the job waits, claims
// nothing, and delivers once fresher data is there.
func TestReportWaitsForStaleData(t *testing.T) {
	now := time.Now().UTC()
	dsn := pgtest.NewDatabase(t)
	slack := newFakeSlack(t)
	m := deliveryMain(t, dsn, simSite(t, now), slack)
	s := syncAndCompute(t, m)
	week := report.LastCompleteWeek(time.Now(), time.UTC)
	end := week.End(time.UTC) // Monday 00:00 after the week

	// Synced 37 h before the week's end: 1 h older than the limit allows.
	setWatermark(t, m, s, "sim", end.Add(-37*time.Hour))
	fireReport(t, m)
	if got := slack.received(); len(got) != 0 {
		t.Fatalf("stale data: Slack received %v, want nothing", got)
	}
	if runs := reportRuns(t, dsn); len(runs) != 0 {
		t.Fatalf("stale data: report_runs holds %v, want no claim", runs)
	}
	// Synced 35 h before the week's end: within the limit.
	setWatermark(t, m, s, "sim", end.Add(-35*time.Hour))
	fireReport(t, m)
	if got := slack.received(); len(got) != 1 || got[0] != week.String() {
		t.Fatalf("fresh enough data: Slack received %v, want [%s]", got, week)
	}
}

// A worker that was down for two Mondays delivers both missed weeks when it
// comes back, oldest first; the week sent before the outage is not resent.
func TestReportCatchesUpMissedWeeks(t *testing.T) {
	now := time.Now().UTC()
	dsn := pgtest.NewDatabase(t)
	slack := newFakeSlack(t)
	m := deliveryMain(t, dsn, simSite(t, now), slack)
	syncAndCompute(t, m)
	latest := report.LastCompleteWeek(time.Now(), time.UTC)
	sentBefore := latest.Add(-2) // delivered on the Monday before the outage
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO report_runs (week_start, target, status) VALUES ($1, 'dir', 'sent'), ($1, 'slack', 'sent')`,
		sentBefore.Start(time.UTC).Format(time.DateOnly)); err != nil {
		t.Fatal(err)
	}
	fireReport(t, m)
	want := []string{latest.Add(-1).String(), latest.String()}
	if got := slack.received(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after two missed Mondays, Slack received %v, want %v (oldest first)", got, want)
	}
	if runs := reportRuns(t, dsn); len(runs) != 6 {
		t.Fatalf("report_runs %v, want 3 weeks × 2 targets", runs)
	}
}
