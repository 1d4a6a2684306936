package worker_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/goleak"

	"github.com/backlog-health/analyzer/internal/worker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A parser with a seconds field, so a real cron fires every second in tests.
var secondly = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestJobsRunSkipRecoverAndStop(t *testing.T) {
	var ticks, slowStarts, panics atomic.Int32
	release := make(chan struct{})
	slowReturned := make(chan struct{})
	w, err := worker.New(worker.Config{Parser: secondly}, []worker.Job{
		{Name: "tick", Spec: "* * * * * *", Run: func(context.Context) error { ticks.Add(1); return nil }},
		// Blocks until released or shut down: later ticks must be skipped, not stacked.
		{Name: "slow", Spec: "* * * * * *", Run: func(ctx context.Context) error {
			if slowStarts.Add(1) == 1 {
				defer close(slowReturned)
				select {
				case <-release:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		}},
		{Name: "boom", Spec: "* * * * * *", Run: func(context.Context) error { panics.Add(1); panic("kaboom") }},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Start()
	// Three ticks of the fast job prove the schedule fires repeatedly ...
	waitFor(t, "3 ticks", func() bool { return ticks.Load() >= 3 })
	// ... while the slow job, started on the first tick, was never started again.
	if n := slowStarts.Load(); n != 1 {
		t.Fatalf("slow job started %d times while still running, want 1 (SkipIfStillRunning)", n)
	}
	// The panicking job ran at least twice: the scheduler survived the first panic.
	waitFor(t, "2 panics", func() bool { return panics.Load() >= 2 })
	if _, errs := w.Stats().Runs("boom"); errs < 2 {
		t.Fatalf("panics counted as %d errors, want ≥ 2", errs)
	}

	// Stop cancels the slow job's context and waits for it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-slowReturned:
	default:
		t.Fatal("Stop returned before the running job did")
	}
	after := ticks.Load()
	time.Sleep(1200 * time.Millisecond)
	if ticks.Load() != after {
		t.Fatal("jobs still fire after Stop")
	}
	close(release)
}

func TestInvalidSpecs(t *testing.T) {
	for _, spec := range []string{"", "61 * * * *", "CRON_TZ=", "TZ=", "every monday", "0 7 * * FUNDAY"} {
		_, err := worker.New(worker.Config{}, []worker.Job{{Name: "report", Spec: spec, Run: func(context.Context) error { return nil }}})
		if err == nil || !strings.Contains(err.Error(), "worker: job report:") {
			t.Errorf("spec %q: err = %v, want an error naming the job", spec, err)
		}
	}
	w, err := worker.New(worker.Config{Location: time.FixedZone("X", 3600)}, []worker.Job{{Name: "report", Spec: "CRON_TZ=Europe/Berlin 0 7 * * MON", Run: func(context.Context) error { return nil }}})
	if err != nil {
		t.Fatalf("valid CRON_TZ spec refused: %v", err)
	}
	_ = w.Stop(context.Background())
}

func TestHealthAndMetrics(t *testing.T) {
	w, err := worker.New(worker.Config{Parser: secondly}, []worker.Job{
		{Name: "sync", Spec: "* * * * * *", Run: func(context.Context) error { return nil }},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Stats().Add("analyzer_reports_sent_total", 2)
	w.Start()
	waitFor(t, "a sync run", func() bool { r, _ := w.Stats().Runs("sync"); return r >= 1 })
	_ = w.Stop(context.Background())

	srv := httptest.NewServer(w.Stats().Handler())
	defer srv.Close()
	body := func(path string) string {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", path, resp.StatusCode)
		}
		return string(b)
	}
	if got := body("/healthz"); got != "ok\n" {
		t.Fatalf("/healthz = %q", got)
	}
	m := body("/metrics")
	for _, want := range []string{`analyzer_job_runs_total{job="sync"} `, `analyzer_job_errors_total{job="sync"} 0`, "analyzer_reports_sent_total 2", "# TYPE analyzer_job_last_success_timestamp_seconds gauge"} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, m)
		}
	}
}
