package worker

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fire runs a job's scheduled entry (the cron chain and the worker's own
// wrapper) synchronously, as a cron tick would.
func fire(w *Worker, name string) { w.cron.Entry(w.entries[name]).WrappedJob.Run() }

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // hang guard only
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Issue 11 point 6: an incremental sync tick during a full sync is skipped
// with a warning and counted; a full-sync tick during an incremental sync
// waits for it; the two never run at the same time.
func TestSyncGroupNeverOverlaps(t *testing.T) {
	logs := &captured{}
	var inFlight, maxInFlight, syncRuns, fullRuns atomic.Int32
	enter := func() {
		n := inFlight.Add(1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
	}
	fullStarted, fullRelease := make(chan struct{}, 4), make(chan struct{})
	syncStarted, syncRelease := make(chan struct{}, 4), make(chan struct{})
	w, err := New(Config{Logger: slog.New(logs)}, []Job{
		{Name: "sync", Spec: "0 * * * *", Group: "sync", Run: func(ctx context.Context) error {
			enter()
			defer inFlight.Add(-1)
			syncRuns.Add(1)
			syncStarted <- struct{}{}
			<-syncRelease
			return nil
		}},
		{Name: "full_sync", Spec: "0 3 * * 0", Group: "sync", WaitForGroup: true, Run: func(ctx context.Context) error {
			enter()
			defer inFlight.Add(-1)
			fullRuns.Add(1)
			fullStarted <- struct{}{}
			<-fullRelease
			return nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop(context.Background())

	// 1. A full sync runs; an incremental tick comes: skipped, with one warning naming both jobs.
	done := make(chan struct{})
	go func() { fire(w, "full_sync"); close(done) }()
	<-fullStarted
	fire(w, "sync") // returns at once: skipped
	if n := syncRuns.Load(); n != 0 {
		t.Fatalf("incremental sync ran %d times during a full sync, want 0", n)
	}
	skips := logs.lines("job skipped: another job of its group is running")
	if len(skips) != 1 || skips[0].level != slog.LevelWarn || skips[0].attrs["job"] != "sync" || skips[0].attrs["running_job"] != "full_sync" {
		t.Fatalf("skip log lines = %+v, want one warning for job sync naming full_sync", skips)
	}
	if v := testutil.ToFloat64(w.stats.skipped.WithLabelValues("sync", "group_busy")); v != 1 {
		t.Fatalf("analyzer_job_skipped_total{job=sync,reason=group_busy} = %g, want 1", v)
	}
	close(fullRelease)
	<-done

	// 2. An incremental sync runs; the weekly full sync's tick waits for it instead of being lost.
	go func() { fire(w, "sync"); close(syncStarted) }()
	<-syncStarted
	fullDone := make(chan struct{})
	go func() { fire(w, "full_sync"); close(fullDone) }()
	waitUntil(t, "the full sync to wait", func() bool {
		return len(logs.lines("job waiting for another job of its group to finish")) == 1
	})
	if n := fullRuns.Load(); n != 1 {
		t.Fatalf("full sync started while the incremental one ran (runs %d, want still 1)", n)
	}
	close(syncRelease)
	<-fullDone
	if n := fullRuns.Load(); n != 2 {
		t.Fatalf("full sync ran %d times, want 2: the waiting tick was lost", n)
	}
	if m := maxInFlight.Load(); m != 1 {
		t.Fatalf("%d sync jobs ran at once, want 1", m)
	}
}

// Issue 11 point 1 (worker part): a job past its deadline is cancelled,
// logged with one line, counted, and shown by readiness until it next
// finishes in time.
func TestJobDeadline(t *testing.T) {
	logs := &captured{}
	var runs atomic.Int32
	var gotErr atomic.Value
	w, err := New(Config{Logger: slog.New(logs)}, []Job{{
		Name: "compute", Spec: "15 * * * *", Timeout: 50 * time.Millisecond,
		Run: func(ctx context.Context) error {
			if runs.Add(1) > 1 {
				return nil // the second run finishes in time
			}
			<-ctx.Done() // a hung job: only the deadline ends it
			gotErr.Store(ctx.Err())
			return ctx.Err()
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop(context.Background())
	fire(w, "compute")
	if e, _ := gotErr.Load().(error); !errors.Is(e, context.DeadlineExceeded) {
		t.Fatalf("job context ended with %v, want deadline exceeded", e)
	}
	lines := logs.lines("job cancelled: deadline exceeded")
	if len(lines) != 1 || lines[0].attrs["job"] != "compute" || lines[0].attrs["deadline"] != "50ms" {
		t.Fatalf("deadline log lines = %+v, want one naming job compute and its 50ms deadline", lines)
	}
	if n := len(logs.lines("job failed")); n != 0 {
		t.Fatalf("%d extra 'job failed' lines: a deadline is logged as one line", n)
	}
	if v := testutil.ToFloat64(w.stats.deadlines.WithLabelValues("compute")); v != 1 {
		t.Fatalf("analyzer_job_deadline_exceeded_total{job=compute} = %g, want 1", v)
	}
	if v := testutil.ToFloat64(w.stats.errs.WithLabelValues("compute")); v != 1 {
		t.Fatalf("analyzer_job_errors_total{job=compute} = %g, want 1", v)
	}
	rep := w.Readiness(context.Background())
	if rep.Ready || len(rep.Reasons) != 1 || !strings.Contains(rep.Reasons[0], "job compute: last run was cancelled at its 50ms deadline") {
		t.Fatalf("readiness after a deadline = %+v, want not ready naming the job", rep)
	}
	// The next run finishes in time: ready again.
	fire(w, "compute")
	if rep := w.Readiness(context.Background()); !rep.Ready {
		t.Fatalf("readiness after a good run = %+v, want ready", rep)
	}
}

// A job that ignores its cancelled context is "running past its deadline"
// for readiness as long as it runs.
func TestJobRunningPastDeadline(t *testing.T) {
	release := make(chan struct{})
	w, err := New(Config{}, []Job{{
		Name: "report", Spec: "0 7 * * MON", Timeout: 20 * time.Millisecond,
		Run: func(context.Context) error { <-release; return nil }, // ignores ctx
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop(context.Background())
	done := make(chan struct{})
	go func() { fire(w, "report"); close(done) }()
	var rep ReadyReport
	waitUntil(t, "readiness to see the job past its deadline", func() bool {
		rep = w.Readiness(context.Background())
		return !rep.Ready
	})
	if len(rep.Jobs) != 1 || !rep.Jobs[0].Running || !rep.Jobs[0].PastDeadline ||
		!strings.Contains(rep.Reasons[0], "job report: running for") || !strings.Contains(rep.Reasons[0], "past its 20ms deadline") {
		t.Fatalf("readiness = %+v", rep)
	}
	close(release)
	<-done
	// It returned nil after its deadline: a success, not a deadline cancellation.
	if rep := w.Readiness(context.Background()); !rep.Ready {
		t.Fatalf("readiness after the job returned = %+v, want ready", rep)
	}
}
