package dashboard_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/dashboard"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
)

// benchEnv reads a size from the environment (default def).
func benchEnv(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkRoutes renders each page and API answer of the dashboard on a
// realistic site: DASHBOARD_BENCH_ISSUES issues on DASHBOARD_BENCH_TEAMS
// boards (default 20,000 / 20) synced from the simulator through the real
// client and sync, computed with 30 weeks of snapshots. Each route reports
// its p95 (ms) and its answer's size; the means are Go's ns/op.
//
//	go test -run '^$' -bench Routes -benchtime 50x ./internal/dashboard/
func BenchmarkRoutes(b *testing.B) {
	issues, teams := benchEnv("DASHBOARD_BENCH_ISSUES", 20000), benchEnv("DASHBOARD_BENCH_TEAMS", 20)
	st, now, synced, computed := seed(b, jirasim.Config{Mode: jirasim.ModeCloud, Issues: issues, Teams: teams, Seed: 11})
	b.Logf("seeded %d issues on %d boards: sync %.1fs, compute %.1fs", issues, teams, synced.Seconds(), computed.Seconds())
	d, err := dashboard.New(dashboard.Config{Store: st, Location: time.UTC, Now: func() time.Time { return now },
		Sites: []config.SiteConfig{{ID: "sim", URL: jiraURL, Boards: config.BoardSelector{All: true}}}})
	if err != nil {
		b.Fatal(err)
	}
	h := d.Handler()
	sprint := benchSprint(b, h)
	for _, path := range []string{
		"/", "/boards/1", "/boards/1/sprints/" + sprint, "/boards/1/issues?list=throughput", "/boards/1/issues?list=stale",
		"/api/v1/overview", "/api/v1/boards", "/api/v1/boards/1", "/api/v1/boards/1/weeks", "/api/v1/boards/1/sprints/" + sprint,
		"/api/v1/boards/1/issues?list=ageing", "/api/v1/boards/1/issues?list=unestimated",
	} {
		b.Run(path, func(b *testing.B) {
			var took []time.Duration
			size := 0
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				rec := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(rec, req)
				took = append(took, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
				}
				size = rec.Body.Len()
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[(len(took)*95+99)/100-1].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(size)/1024, "KB")
		})
	}
}

// benchSprint is board 1's latest closed sprint.
func benchSprint(b *testing.B, h http.Handler) string {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/boards/1", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var bw dashboard.BoardWeek
	if err := json.Unmarshal(rec.Body.Bytes(), &bw); err != nil {
		b.Fatalf("/api/v1/boards/1: %v %s", err, rec.Body)
	}
	for _, s := range bw.Sprints {
		if s.State == "closed" {
			return fmt.Sprint(s.ID)
		}
	}
	b.Fatalf("board 1 has no closed sprint: %+v", bw.Sprints)
	return ""
}
