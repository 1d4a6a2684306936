package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/backlog-health/analyzer/internal/store"
)

// Defaults of a Scheduler.
const (
	DefaultCatchUpWeeks = 4
	DefaultMaxDataAge   = 36 * time.Hour
	// DefaultLease is how long a claim blocks other senders without a
	// heartbeat: a sender that crashed mid-send is taken over after it.
	DefaultLease = 2 * time.Minute
	// RetryFirst and RetryMax bound the backoff between failed attempts.
	RetryFirst = 10 * time.Minute
	RetryMax   = 6 * time.Hour
)

// ErrWaitingForData is returned (wrapped, with the week, site and as-of
// time) by DeliverWeek when the week's data is missing or too old.
var ErrWaitingForData = errors.New("report: waiting for data")

// RetryBackoff is the wait after failed attempt n (1-based) of a (week,
// target): 10 min doubling up to 6 h (10m, 20m, 40m, 1h20m, 2h40m, 5h20m, 6h, …).
func RetryBackoff(n int) time.Duration {
	d := RetryFirst
	for i := 1; i < n && d < RetryMax; i++ {
		d *= 2
	}
	return min(d, RetryMax)
}

// RunStore keeps the state of every (week, target) delivery (*store.Store).
type RunStore interface {
	ReportRunClaim(ctx context.Context, weekStart time.Time, target string, now time.Time, lease time.Duration, force bool) (store.ReportClaim, bool, error)
	ReportRunRenew(ctx context.Context, c store.ReportClaim, now time.Time, lease time.Duration) (bool, error)
	ReportRunSent(ctx context.Context, c store.ReportClaim, now time.Time) error
	ReportRunFailed(ctx context.Context, c store.ReportClaim, now time.Time, sendErr error, next time.Time) error
	ReportRunListSince(ctx context.Context, since time.Time) ([]store.ReportRun, map[string]time.Time, error)
}

// Schedule says when a week's report is due (a parsed cron spec).
type Schedule interface{ Next(time.Time) time.Time }

// Scheduler delivers weekly reports: every week of the catch-up window whose
// report is due, to every target that has not had it, oldest week first; a
// week whose data is missing or too old waits; a failed target is retried
// with backoff over hours. Its state lives in PostgreSQL (report_runs), so
// restarts and replicas share it.
type Scheduler struct {
	Store   RunStore
	Targets []Target
	// Build builds a week's report from the stored snapshots. Its DataAsOf
	// decides whether the week may be delivered.
	Build    func(ctx context.Context, week ISOWeek, now time.Time) (*Report, error)
	Location *time.Location // report time zone; default UTC
	// Due is the report schedule: a week is due at its first tick after the
	// week's end. Nil: due at the week's end.
	Due Schedule
	// CatchUpWeeks is how many weeks back (the last complete one included)
	// unsent reports are still delivered. Default DefaultCatchUpWeeks.
	CatchUpWeeks int
	// MaxDataAge: a week's report needs data synced at or after the week's
	// end minus MaxDataAge. Default DefaultMaxDataAge.
	MaxDataAge time.Duration
	// Lease of a claim, renewed every Lease/4 while sending. Default DefaultLease.
	Lease time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// After paces the heartbeat. Default time.After.
	After func(d time.Duration) <-chan time.Time
	// Deliverer makes one attempt (with its quick retries) within a claim.
	Deliverer Deliverer
	// Backoff is the wait after failed attempt n. Default RetryBackoff.
	Backoff func(n int) time.Duration
	Logger  *slog.Logger
	// Status, when set, receives the waiting weeks and counts (for /metrics).
	Status *DeliveryStatus
}

// PassResult counts what one pass did.
type PassResult struct {
	Sent, Failed int
	Waiting      []DataWait // weeks held back for data
}

func (s *Scheduler) defaults() {
	if s.Location == nil {
		s.Location = time.UTC
	}
	if s.CatchUpWeeks <= 0 {
		s.CatchUpWeeks = DefaultCatchUpWeeks
	}
	if s.MaxDataAge <= 0 {
		s.MaxDataAge = DefaultMaxDataAge
	}
	if s.Lease <= 0 {
		s.Lease = DefaultLease
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.After == nil {
		s.After = time.After
	}
	if s.Backoff == nil {
		s.Backoff = RetryBackoff
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Deliverer.Logger == nil {
		s.Deliverer.Logger = s.Logger
	}
}

// DueAt returns when week's report is due.
func (s *Scheduler) DueAt(week ISOWeek) time.Time {
	end := week.End(cmpLoc(s.Location))
	if s.Due == nil {
		return end
	}
	return s.Due.Next(end.Add(-time.Second))
}

func cmpLoc(l *time.Location) *time.Location {
	if l == nil {
		return time.UTC
	}
	return l
}

// Run is one pass: it delivers every due and unsent (week, target) of the
// catch-up window, oldest week first. The last complete week goes to every
// target; an older week only to a target that already had a report for it
// or an earlier week (a new target, or a fresh install, does not receive a
// backlog of old reports). It returns the failures joined; a week waiting
// for data is not an error.
func (s *Scheduler) Run(ctx context.Context) (PassResult, error) {
	s.defaults()
	now := s.Now()
	latest := LastCompleteWeek(now, s.Location)
	oldest := latest.Add(-(s.CatchUpWeeks - 1))
	runs, first, err := s.Store.ReportRunListSince(ctx, oldest.Start(s.Location))
	if err != nil {
		return PassResult{}, err
	}
	state := make(map[string]store.ReportRun, len(runs))
	for _, r := range runs {
		state[dateOf(r.WeekStart)+"/"+r.Target] = r
	}
	var res PassResult
	var errs []error
	for i := range s.CatchUpWeeks {
		w := oldest.Add(i)
		if s.DueAt(w).After(now) {
			continue
		}
		start := dateOf(w.Start(s.Location))
		var pending []Target
		for _, t := range s.Targets {
			if f, ok := first[t.Name()]; w != latest && (!ok || start < dateOf(f)) {
				continue
			}
			if r, ok := state[start+"/"+t.Name()]; ok && !r.Claimable(now) {
				continue
			}
			pending = append(pending, t)
		}
		if len(pending) == 0 {
			continue
		}
		one, err := s.deliver(ctx, w, pending, false)
		res.Sent, res.Failed = res.Sent+one.Sent, res.Failed+one.Failed
		res.Waiting = append(res.Waiting, one.Waiting...)
		if err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	s.Status.setWaiting(res.Waiting)
	return res, errors.Join(errs...)
}

// DeliverWeek delivers week now to every target that has not had it (an
// operator's `report --deliver`): it does not wait for a failed target's
// backoff, but it does check the data, returning ErrWaitingForData.
func (s *Scheduler) DeliverWeek(ctx context.Context, week ISOWeek) (PassResult, error) {
	s.defaults()
	res, err := s.deliver(ctx, week, s.Targets, true)
	if err == nil && len(res.Waiting) > 0 {
		w := res.Waiting[0]
		err = fmt.Errorf("%w: %s", ErrWaitingForData, w.describe(s.MaxDataAge))
	}
	return res, err
}

func (w DataWait) describe(maxAge time.Duration) string {
	switch {
	case w.SiteID == "":
		return fmt.Sprintf("week %s: no site has synced and computed data", w.Week)
	case w.AsOf == nil:
		return fmt.Sprintf("week %s: site %s has no completed sync and computed KPIs", w.Week, w.SiteID)
	}
	return fmt.Sprintf("week %s: site %s data as of %s is older than the week's end minus %s", w.Week, w.SiteID,
		w.AsOf.Format(time.RFC3339), maxAge)
}

func dateOf(t time.Time) string { return t.Format(time.DateOnly) }

// deliver builds week's report and, when its data is fresh enough, sends it
// to each of targets it can claim.
func (s *Scheduler) deliver(ctx context.Context, week ISOWeek, targets []Target, force bool) (PassResult, error) {
	var res PassResult
	r, err := s.Build(ctx, week, s.Now())
	if err != nil {
		return res, err
	}
	if w := r.DataWait(s.MaxDataAge); w != nil {
		asOf := ""
		if w.AsOf != nil {
			asOf = w.AsOf.Format(time.RFC3339)
		}
		s.Logger.WarnContext(ctx, "report waiting for data", slog.String("week", week.String()), slog.String("site", w.SiteID),
			slog.String("as_of", asOf), slog.String("reason", w.Reason), slog.Duration("max_data_age", s.MaxDataAge))
		res.Waiting = append(res.Waiting, *w)
		return res, nil
	}
	rendered, err := Render(r)
	if err != nil {
		return res, fmt.Errorf("report: render: %w", err)
	}
	weekStart := week.Start(s.Location)
	var errs []error
	for _, t := range targets {
		c, ok, err := s.Store.ReportRunClaim(ctx, weekStart, t.Name(), s.Now(), s.Lease, force)
		if err != nil {
			return res, err
		}
		if !ok {
			s.Logger.DebugContext(ctx, "report already sent, being sent or waiting for its retry",
				slog.String("week", week.String()), slog.String("target", t.Name()))
			continue
		}
		if err := s.send(ctx, week, c, t, rendered); err != nil {
			res.Failed++
			errs = append(errs, err)
			continue
		}
		res.Sent++
	}
	return res, errors.Join(errs...)
}

// send delivers to one claimed target, renewing the claim while it runs, and
// records the outcome right after.
func (s *Scheduler) send(ctx context.Context, week ISOWeek, c store.ReportClaim, t Target, rendered *Rendered) error {
	hbCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); s.heartbeat(hbCtx, c) }()
	res := s.Deliverer.DeliverAll(ctx, []Target{t}, rendered)[0]
	stop()
	<-done
	now := s.Now()
	wctx := context.WithoutCancel(ctx)
	log := s.Logger.With(slog.String("week", week.String()), slog.String("target", t.Name()), slog.Int("attempt", c.Attempt))
	if res.Err == nil {
		if err := s.Store.ReportRunSent(wctx, c, now); err != nil {
			return err
		}
		s.Status.add(1, 0)
		log.InfoContext(ctx, "report delivered")
		return nil
	}
	next := now.Add(s.Backoff(c.Attempt))
	switch {
	case ctx.Err() != nil:
		next = now // interrupted by shutdown: the next pass may try at once
	case errors.Is(res.Err, ErrPermanent):
		next = now.Add(RetryMax) // needs a configuration fix: retry rarely
	}
	if err := s.Store.ReportRunFailed(wctx, c, now, res.Err, next); err != nil {
		return errors.Join(res.Err, err)
	}
	s.Status.add(0, 1)
	log.ErrorContext(ctx, "report delivery failed", slog.Time("next_attempt_at", next), slog.Any("error", res.Err))
	return fmt.Errorf("report: week %s to %s: %w", week, t.Name(), res.Err)
}

// heartbeat renews c's lease every Lease/4 until ctx ends or the claim is lost.
func (s *Scheduler) heartbeat(ctx context.Context, c store.ReportClaim) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.After(s.Lease / 4):
		}
		ok, err := s.Store.ReportRunRenew(ctx, c, s.Now(), s.Lease)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.Logger.WarnContext(ctx, "report claim renewal failed", slog.String("target", c.Target), slog.Any("error", err))
		case !ok:
			s.Logger.WarnContext(ctx, "report claim lost to another sender", slog.String("target", c.Target),
				slog.String("week_start", dateOf(c.WeekStart)))
			return
		}
	}
}

// DeliveryStatus is what the last delivery pass saw, for /metrics: the weeks
// held back for data (why, and the site's as-of time) and how many
// deliveries succeeded and failed since start. Safe for concurrent use; a
// nil *DeliveryStatus ignores updates.
type DeliveryStatus struct {
	mu           sync.Mutex
	waiting      []DataWait
	sent, failed int
}

// Waiting returns the weeks the last pass held back for data, oldest first
// (empty when none waits).
func (d *DeliveryStatus) Waiting() []DataWait {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.waiting)
}

// Counts returns the deliveries sent and failed since start.
func (d *DeliveryStatus) Counts() (sent, failed int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sent, d.failed
}

func (d *DeliveryStatus) setWaiting(w []DataWait) {
	if d == nil {
		return
	}
	d.mu.Lock()
	d.waiting = slices.Clone(w)
	d.mu.Unlock()
}

func (d *DeliveryStatus) add(sent, failed int) {
	if d == nil {
		return
	}
	d.mu.Lock()
	d.sent += sent
	d.failed += failed
	d.mu.Unlock()
}
