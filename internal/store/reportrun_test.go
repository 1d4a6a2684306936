package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/store"
)

// A report is claimed once per week and target. A claim is a lease: it
// blocks others until it ends, the heartbeat extends it, and a crashed
// sender's claim is taken over once it has ended. A failed attempt waits for
// its next_attempt_at (unless forced); a sent report is never claimed again.
func TestReportRunClaim(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	week := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	t0 := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	lease := 2 * time.Minute
	claim := func(target string, now time.Time, force bool) (store.ReportClaim, bool) {
		t.Helper()
		c, ok, err := s.ReportRunClaim(ctx, week, target, now, lease, force)
		if err != nil {
			t.Fatal(err)
		}
		return c, ok
	}
	c1, ok := claim("slack", t0, false)
	if !ok || c1.Attempt != 1 {
		t.Fatalf("first claim: ok %v attempt %d", ok, c1.Attempt)
	}
	// Within the lease nobody else may claim, even forced.
	if _, ok := claim("slack", t0.Add(time.Minute), true); ok {
		t.Fatal("claim of a live lease granted")
	}
	// The heartbeat at t0+1m extends the lease to t0+3m: still held at t0+2m30s.
	if ok, err := s.ReportRunRenew(ctx, c1, t0.Add(time.Minute), lease); err != nil || !ok {
		t.Fatalf("renew: %v %v", ok, err)
	}
	if _, ok := claim("slack", t0.Add(150*time.Second), false); ok {
		t.Fatal("claim of a renewed lease granted")
	}
	// No heartbeat after t0+1m: at t0+3m the lease has ended and the claim is taken over.
	c2, ok := claim("slack", t0.Add(3*time.Minute), false)
	if !ok || c2.Attempt != 2 {
		t.Fatalf("takeover of an ended lease: ok %v attempt %d", ok, c2.Attempt)
	}
	// The crashed holder can neither renew nor record a failure over the new holder.
	if ok, _ := s.ReportRunRenew(ctx, c1, t0.Add(3*time.Minute), lease); ok {
		t.Fatal("the old holder renewed a claim it lost")
	}
	if err := s.ReportRunFailed(ctx, c1, t0.Add(3*time.Minute), errors.New("late"), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The new holder fails; the next attempt waits until t0+13m.
	if err := s.ReportRunFailed(ctx, c2, t0.Add(3*time.Minute), errors.New("webhook said 500"), t0.Add(13*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, ok := claim("slack", t0.Add(12*time.Minute), false); ok {
		t.Fatal("claim before next_attempt_at granted")
	}
	runs, err := s.ReportRunList(ctx)
	if err != nil || len(runs) != 1 || runs[0].Status != store.ReportFailed || runs[0].Error != "webhook said 500" ||
		runs[0].Claimable(t0.Add(12*time.Minute)) || !runs[0].Claimable(t0.Add(13*time.Minute)) {
		t.Fatalf("runs: %+v %v", runs, err)
	}
	// An operator's forced delivery does not wait for the backoff.
	c3, ok := claim("slack", t0.Add(12*time.Minute), true)
	if !ok || c3.Attempt != 3 {
		t.Fatalf("forced claim: ok %v attempt %d", ok, c3.Attempt)
	}
	if err := s.ReportRunSent(ctx, c3, t0.Add(12*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, ok := claim("slack", t0.Add(24*time.Hour), true); ok {
		t.Fatal("claim of a sent report granted")
	}
	// Another target of the same week is independent.
	if _, ok := claim("email", t0, false); !ok {
		t.Fatal("claim for a second target refused")
	}
	runs, first, err := s.ReportRunListSince(ctx, week)
	if err != nil || len(runs) != 2 || runs[0].Target != "email" || runs[1].Status != store.ReportSent || runs[1].Attempts != 3 ||
		!first["slack"].Equal(week) {
		t.Fatalf("runs since: %+v first %v %v", runs, first, err)
	}
}
