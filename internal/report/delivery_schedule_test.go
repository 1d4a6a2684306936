package report

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/pgtest"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/store/storetest"
)

// fakeClock is the injected clock of the delivery tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// recTarget records the week of every report it receives. While fail is set
// it refuses, like a webhook answering 500. With block set, its first
// delivery records the report, signals received and then hangs, ignoring
// its context, until block is closed: a sender frozen right after the
// target got the message (it never gets to write "sent").
type recTarget struct {
	name     string
	mu       sync.Mutex
	got      []string
	calls    int
	fail     error
	block    chan struct{}
	received chan struct{}
}

func (t *recTarget) Name() string { return t.name }

func (t *recTarget) Deliver(_ context.Context, r *Rendered) error {
	t.mu.Lock()
	t.calls++
	first, fail := t.calls == 1, t.fail
	if fail == nil {
		t.got = append(t.got, r.Report.Week)
	}
	t.mu.Unlock()
	if fail != nil {
		return fail
	}
	if first && t.block != nil {
		t.received <- struct{}{}
		<-t.block
	}
	return nil
}

func (t *recTarget) weeks() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.got...)
}

func (t *recTarget) setFail(err error) {
	t.mu.Lock()
	t.fail = err
	t.mu.Unlock()
}

// freshBuild builds a team-less report whose one site's data is as of the
// clock's present: always fresh enough.
func freshBuild(clock *fakeClock) func(context.Context, ISOWeek, time.Time) (*Report, error) {
	return func(_ context.Context, w ISOWeek, now time.Time) (*Report, error) {
		asOf := clock.Now()
		return Build(Input{Week: w, Now: now, DataAsOf: []SiteAsOf{{SiteID: "acme", AsOf: &asOf}}})
	}
}

func newScheduler(s RunStore, clock *fakeClock, targets ...Target) *Scheduler {
	return &Scheduler{Store: s, Targets: targets, Build: freshBuild(clock), Now: clock.Now, MaxDataAge: DefaultMaxDataAge, Status: &DeliveryStatus{}}
}

func runOf(t *testing.T, s *store.Store, week ISOWeek, target string) store.ReportRun {
	t.Helper()
	runs, err := s.ReportRunList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.WeekStart.Format(time.DateOnly) == week.Start(time.UTC).Format(time.DateOnly) && r.Target == target {
			return r
		}
	}
	t.Fatalf("no report run for %s to %s in %+v", week, target, runs)
	return store.ReportRun{}
}

// The backoff is 10 min after the first failure, 20 min after the second.
func TestRetryBackoff(t *testing.T) {
	want := []time.Duration{10 * time.Minute, 20 * time.Minute, 40 * time.Minute, 80 * time.Minute, 160 * time.Minute, 320 * time.Minute, 6 * time.Hour, 6 * time.Hour}
	for i, w := range want {
		if got := RetryBackoff(i + 1); got != w {
			t.Errorf("RetryBackoff(%d) = %s, want %s", i+1, got, w)
		}
	}
}

// A target that fails is retried by later passes, not before its backoff
// has passed (10 min, then 20 min), and is delivered once it recovers.
func TestSchedulerRetriesFailedTargetWithBackoff(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	t0 := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC) // Monday: 2026-W47 is due
	clock := &fakeClock{t: t0}
	slack := &recTarget{name: "slack", fail: errors.New("webhook answered 500")}
	sch := newScheduler(s, clock, slack)
	w47 := ISOWeek{2026, 47}
	pass := func(at time.Duration) error {
		t.Helper()
		clock.Set(t0.Add(at))
		_, err := sch.Run(ctx)
		return err
	}

	if err := pass(0); err == nil || !strings.Contains(err.Error(), "webhook answered 500") {
		t.Fatalf("first pass: %v", err)
	}
	r := runOf(t, s, w47, "slack")
	if r.Status != store.ReportFailed || r.Attempts != 1 || !r.NextAttemptAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("after the first failure: %+v", r)
	}
	if err := pass(9 * time.Minute); err != nil || slack.calls != 1 {
		t.Fatalf("pass before the backoff ended: err %v, %d calls, want 1", err, slack.calls)
	}
	if err := pass(10 * time.Minute); err == nil || slack.calls != 2 {
		t.Fatalf("pass after the backoff: err %v, %d calls, want 2", err, slack.calls)
	}
	// Second failure at t0+10m: the next attempt waits 20 min, until t0+30m.
	if r := runOf(t, s, w47, "slack"); r.Attempts != 2 || !r.NextAttemptAt.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("after the second failure: %+v", r)
	}
	slack.setFail(nil)
	if err := pass(29 * time.Minute); err != nil || slack.calls != 2 {
		t.Fatalf("pass before the second backoff ended: err %v, %d calls", err, slack.calls)
	}
	if err := pass(30 * time.Minute); err != nil || strings.Join(slack.weeks(), ",") != "2026-W47" {
		t.Fatalf("pass after recovery: err %v, received %v", err, slack.weeks())
	}
	if r := runOf(t, s, w47, "slack"); r.Status != store.ReportSent || r.Attempts != 3 {
		t.Fatalf("after delivery: %+v", r)
	}
	if err := pass(24 * time.Hour); err != nil || slack.calls != 3 {
		t.Fatalf("a sent report was attempted again: %v, %d calls", err, slack.calls)
	}
	if sent, failed := sch.Status.Counts(); sent != 1 || failed != 2 {
		t.Fatalf("status counts %d sent %d failed", sent, failed)
	}
}

// A sender that hangs after the target received the report keeps its claim
// alive with the heartbeat, so nobody sends again; once it "crashes" (its
// context is cancelled, the heartbeat stops, "sent" is never written), the
// claim is taken over only after the short lease (2 min) has run out.
func TestSchedulerCrashAfterSend(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	t0 := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: t0}
	slack := &recTarget{name: "slack", block: make(chan struct{}), received: make(chan struct{}, 1)}
	ticks := make(chan time.Time)
	a := newScheduler(s, clock, slack)
	a.After = func(time.Duration) <-chan time.Time { return ticks }
	b := newScheduler(s, clock, slack)
	w47 := ISOWeek{2026, 47}

	actx, crash := context.WithCancel(ctx)
	defer crash()
	aDone := make(chan error, 1)
	go func() { _, err := a.Run(actx); aDone <- err }()
	select {
	case <-slack.received:
	case <-time.After(30 * time.Second): // hang guard only
		t.Fatal("the target never received the report")
	}
	released := false
	release := func() { // the frozen sender wakes up and returns
		if !released {
			released = true
			close(slack.block)
			select {
			case <-aDone:
			case <-time.After(30 * time.Second): // hang guard only
				t.Error("the frozen sender never returned")
			}
		}
	}
	defer release()

	// A's heartbeat at t0+90s renews the lease to t0+3m30s.
	clock.Set(t0.Add(90 * time.Second))
	select {
	case ticks <- clock.Now():
	case <-time.After(30 * time.Second): // hang guard only
		t.Fatal("the sender's heartbeat is not running")
	}
	deadline := time.Now().Add(30 * time.Second) // hang guard only
	for !runOf(t, s, w47, "slack").LeaseUntil.Equal(t0.Add(210 * time.Second)) {
		if time.Now().After(deadline) {
			t.Fatalf("lease not renewed: %+v", runOf(t, s, w47, "slack"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	// At t0+3m the first lease (t0+2m) would have ended; the renewed one holds.
	clock.Set(t0.Add(3 * time.Minute))
	if _, err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := slack.weeks(); len(got) != 1 {
		t.Fatalf("re-sent while the claim was renewed: %v", got)
	}

	// The crash: the heartbeat stops, "sent" is never written.
	crash()
	clock.Set(t0.Add(209 * time.Second))
	if _, err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := slack.weeks(); len(got) != 1 {
		t.Fatalf("crashed claim taken over before its lease ended: %v", got)
	}
	clock.Set(t0.Add(210 * time.Second))
	if _, err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := slack.weeks(); strings.Join(got, ",") != "2026-W47,2026-W47" {
		t.Fatalf("crashed claim not taken over after its lease: %v", got)
	}
	if r := runOf(t, s, w47, "slack"); r.Status != store.ReportSent || r.Attempts != 2 {
		t.Fatalf("after the takeover: %+v", r)
	}
	// The frozen sender finally returns: its late "sent" changes nothing.
	release()
	if r := runOf(t, s, w47, "slack"); r.Status != store.ReportSent || r.Attempts != 2 || len(slack.weeks()) != 2 {
		t.Fatalf("after the old sender returned: %+v, received %v", r, slack.weeks())
	}
}

// Several workers on one database, each with its own connection pool, run
// their passes at the same time over three due weeks and two targets: every
// (week, target) is sent exactly once. (Each worker goes oldest week first,
// but one worker's W46 may arrive before another's slower W45: the order
// across workers is not asserted; TestReportCatchesUpMissedWeeks checks a
// single worker's.)
func TestSchedulerWorkersNeverSendTwice(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	t0 := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: t0}
	a, b := &recTarget{name: "a"}, &recTarget{name: "b"}
	const workers = 4
	var scheds []*Scheduler
	for i := range workers {
		s, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if i == 0 {
			if _, err := s.Migrate(ctx, nil); err != nil {
				t.Fatal(err)
			}
			// W44 went out before: W45, W46 and W47 are due, within the 4-week window.
			for _, target := range []string{"a", "b"} {
				c, _, err := s.ReportRunClaim(ctx, ISOWeek{2026, 44}.Start(time.UTC), target, t0.AddDate(0, 0, -21), time.Minute, false)
				if err == nil {
					err = s.ReportRunSent(ctx, c, t0.AddDate(0, 0, -21))
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		scheds = append(scheds, newScheduler(s, clock, a, b))
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for _, sch := range scheds {
		wg.Go(func() {
			if _, err := sch.Run(ctx); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, tg := range []*recTarget{a, b} {
		got := tg.weeks()
		slices.Sort(got)
		if strings.Join(got, ",") != "2026-W45,2026-W46,2026-W47" {
			t.Errorf("target %s received %v, want each of W45, W46, W47 once", tg.name, tg.weeks())
		}
	}
}
