package worker_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/backlog-health/analyzer/internal/pgtest"
	"github.com/backlog-health/analyzer/internal/worker"
)

func TestMain(m *testing.M) { os.Exit(pgtest.MainNoLeaks(m)) }

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
	logs := &logLines{}
	w, err := worker.New(worker.Config{Parser: secondly, Logger: slog.New(logs)}, []worker.Job{
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
	// Each skipped tick left a warning naming the job (issue 11 point 1: it used to be silent).
	waitFor(t, "a skip warning", func() bool { return logs.count("job skipped: its previous run is still running", "slow") >= 1 })
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

// logLines is a slog handler that keeps each record's message and job.
type logLines struct {
	mu   sync.Mutex
	recs [][2]string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logLines) WithGroup(string) slog.Handler            { return l }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	job := ""
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "job" {
			job = a.Value.String()
		}
		return true
	})
	l.mu.Lock()
	l.recs = append(l.recs, [2]string{r.Message, job})
	l.mu.Unlock()
	return nil
}

func (l *logLines) count(msg, job string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.recs {
		if r[0] == msg && r[1] == job {
			n++
		}
	}
	return n
}
