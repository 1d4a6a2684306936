package metrics

import (
	"errors"
	"testing"
	"time"
)

// Tests written for mutants that survived the suite (docs/testing.md):
// boundaries and branches whose result no test checked.

// An issue whose whole history is in done statuses (created done, then
// Done → Released) is done when it was resolved, or else when created.
func TestIssueDoneSinceCreation(t *testing.T) {
	f := newFx(testBoard(sDone, sReleased))
	d1 := f.issue("D-1", "Story", day(0), pts(1)).resolved(day(1))
	d1.item(day(2), "status", "status", sDone, "Done", sReleased, "Released")
	d1.is.StatusID = sReleased
	d2 := f.issue("D-2", "Story", day(0), pts(1))
	d2.item(day(2), "status", "status", sDone, "Done", sReleased, "Released")
	d2.is.StatusID = sReleased
	r := mustCompute(t, f, Options{Now: day(10)})
	got := map[string]IssueCycle{}
	for _, c := range r.CycleTimes {
		got[c.Key] = c
	}
	// D-1: done at its resolution (day 1): lead 1 day, never started. D-2:
	// no resolution: done at creation, lead 0.
	c1, ok1 := got["D-1"]
	c2, ok2 := got["D-2"]
	if !ok1 || !c1.Done.Equal(day(1)) || c1.LeadDays != 1 || c1.CycleExcluded != ExcludedNeverStarted || c1.Reopens != 0 {
		t.Errorf("D-1 = %+v (found %v), want done day 1, lead 1, never started", c1, ok1)
	}
	if !ok2 || !c2.Done.Equal(day(0)) || c2.LeadDays != 0 {
		t.Errorf("D-2 = %+v (found %v), want done at creation, lead 0", c2, ok2)
	}
}

// A week's state is taken just before the next Monday 00:00: a change at
// exactly Monday 00:00 belongs to the new week (docs/metrics.md#weeks).
func TestChangeAtMondayMidnightBelongsToTheNewWeek(t *testing.T) {
	monday := time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC) // W03 starts
	f := newFx(testBoard())
	f.issue("M-1", "Story", day(0), pts(1)).to(monday, sProgress)
	r := mustCompute(t, f, Options{Now: day(20)})
	w2, w3 := weekOfT(t, r, day(0), time.UTC), weekOfT(t, r, monday, time.UTC)
	// W02: still To Do at its end (a backlog item, no WIP); W03: WIP.
	if w2.WIP != 0 || w2.Backlog.Items != 1 || w3.WIP != 1 || w3.Backlog.Items != 0 {
		t.Errorf("W02 WIP %d backlog %d, W03 WIP %d backlog %d; want 0 1, 1 0", w2.WIP, w2.Backlog.Items, w3.WIP, w3.Backlog.Items)
	}
}

// A reopen in the first week of the range is counted; an issue reopened
// and still in progress at a later week's end is work in progress then.
func TestReopenInFirstWeekAndWIPAfterReopen(t *testing.T) {
	f := newFx(testBoard())
	// R-1 (W02, the first week): in progress day 1, Done day 2, reopened
	// day 3, Done day 4.
	f.issue("R-1", "Story", day(0), pts(1)).to(day(1), sProgress).to(day(2), sDone).to(day(3), sProgress).to(day(4), sDone)
	// Done on day 2 (W02), reopened on day 9 (W03) and still in
	// progress at the ends of W03 and W04.
	f.issue("R-2", "Story", day(0), pts(1)).to(day(1), sProgress).to(day(2), sDone).to(day(9), sProgress)
	r := mustCompute(t, f, Options{Now: day(25)})
	w2, w3, w4 := weekOfT(t, r, day(0), time.UTC), weekOfT(t, r, day(7), time.UTC), weekOfT(t, r, day(14), time.UTC)
	if w2.Reopened != 1 || w3.Reopened != 1 {
		t.Errorf("reopened W02 %d, W03 %d; want 1 (R-1), 1 (R-2)", w2.Reopened, w3.Reopened)
	}
	// W02's end: done, no WIP. W03 and W04: R-2, in progress
	// since day 1 (its first start), 12.625 and 19.625 days old.
	if w2.WIP != 0 || w3.WIP != 1 || w4.WIP != 1 || !approx(w4.AgeingWIP[0].AgeDays, 19.625) {
		t.Errorf("WIP W02 %d, W03 %d, W04 %d %+v; want 0, 1, 1 (R-2, 19.625 days)", w2.WIP, w3.WIP, w4.WIP, w4.AgeingWIP)
	}
}

// Stale means not updated for MORE than StaleDays; in a past week, the
// updates made by then count, not later ones.
func TestStaleBoundaryAndPastWeeks(t *testing.T) {
	t.Run("ExactlyStaleDays", func(t *testing.T) {
		f := newFx(testBoard())
		f.issue("S-1", "Story", day(0), pts(1))
		// Now = creation + 90 days exactly: untouched for 90 days, not more.
		b := mustCompute(t, f, Options{Now: day(90)}).Weeks
		if s := b[len(b)-1].Backlog.Stale; s != 0 {
			t.Errorf("untouched exactly 90 days: %d stale, want 0", s)
		}
		b = mustCompute(t, f, Options{Now: day(90).Add(time.Second)}).Weeks
		if s := b[len(b)-1].Backlog.Stale; s != 1 {
			t.Errorf("untouched 90 days and 1 s: %d stale, want 1", s)
		}
	})
	t.Run("PastWeek", func(t *testing.T) {
		f := newFx(testBoard())
		// S-1: updated on days 50 and 150. S-2: only on day 150.
		f.issue("S-1", "Story", day(0), pts(1)).estimate(day(50), pts(2)).estimate(day(150), pts(3))
		f.issue("S-2", "Story", day(0), pts(1)).estimate(day(150), pts(3))
		r := mustCompute(t, f, Options{Now: day(200)})
		// The week of day 98 ends on day 104.625: S-1 was last updated on
		// day 50 (54.6 days: fresh), S-2 never since creation (104.6 days:
		// stale).
		if s := weekOfT(t, r, day(98), time.UTC).Backlog.Stale; s != 1 {
			t.Errorf("week of day 98: %d stale, want 1 (S-2)", s)
		}
	})
}

// A changelog item names statuses by id and by the name they had then:
// the id wins, so a status renamed since (In Progress was "Doing") is
// still recognised.
func TestStatusItemIDWinsOverItsName(t *testing.T) {
	f := newFx(testBoard())
	b := f.issue("N-1", "Story", day(0), pts(1))
	b.item(day(1), "status", "status", sTodo, "Backlog", sProgress, "Doing")
	b.item(day(4), "status", "status", sProgress, "Doing", sDone, "Done")
	b.is.StatusID = sDone
	r := mustCompute(t, f, Options{Now: day(10)})
	if len(r.CycleTimes) != 1 || r.CycleTimes[0].CycleDays == nil || *r.CycleTimes[0].CycleDays != 3 {
		t.Errorf("cycle times %+v, want N-1 with 3 days (day 1 to day 4)", r.CycleTimes)
	}
}

// Sprint goals by epic: the issues of a goal epic are the goal issues.
func TestGoalEpics(t *testing.T) {
	created := day(-5)
	f := newFx(testBoard()).sprint(1, day(0), tp(day(14)))
	f.issue("T-1", "Story", created, pts(1)).in(1).to(day(3), sDone).is.EpicKey = "E-1"
	f.issue("T-2", "Story", created, pts(3)).in(1)
	// Say/do 1 ÷ 4 = 0.25 would miss the threshold, but the goal epic's
	// only issue, T-1, is done: met by goal issues.
	k := sprintByID(t, mustCompute(t, f, Options{GoalEpicKeys: []string{"E-1"}}), 1)
	if k.GoalMethod != GoalByIssues || goalMet(k.GoalMet) != "true" || len(k.GoalIssueKeys) != 1 || ratio(k.SayDo) != "0.2500" {
		t.Errorf("goal %s met %s issues %v say/do %s; want %s true [T-1] 0.2500", k.GoalMethod, goalMet(k.GoalMet), k.GoalIssueKeys, ratio(k.SayDo), GoalByIssues)
	}
}

// A goal threshold of exactly 1 is valid: met only at say/do 1.
func TestGoalThresholdOne(t *testing.T) {
	created := day(-5)
	f := newFx(testBoard()).sprint(1, day(0), tp(day(14)))
	f.issue("T-1", "Story", created, pts(1)).in(1).to(day(3), sDone)
	k := sprintByID(t, mustCompute(t, f, Options{GoalThreshold: 1}), 1)
	if goalMet(k.GoalMet) != "true" {
		t.Errorf("threshold 1, say/do %s: met %s, want true", ratio(k.SayDo), goalMet(k.GoalMet))
	}
	if _, err := Compute(f.data(), Options{Now: day(60), GoalThreshold: 1.01}); err == nil {
		t.Error("threshold 1.01 accepted")
	}
}

// A clean closed sprint carries no flag; the summary has no goal rate
// when no sprint's goal could be decided.
func TestCleanSprintFlagsAndUndecidedGoals(t *testing.T) {
	created := day(-5)
	f := newFx(testBoard()).sprint(1, day(0), tp(day(14)))
	f.issue("T-1", "Story", created, pts(2)).in(1).to(day(3), sDone)
	r := mustCompute(t, f, Options{})
	if k := sprintByID(t, r, 1); len(k.Flags) != 0 {
		t.Errorf("clean sprint flags %v, want none", k.Flags)
	}
	// A sprint with nothing in it: its goal is undetermined, so the summary
	// over it has no goal completion rate (not 0 ÷ 0).
	f = newFx(testBoard()).sprint(1, day(0), tp(day(14)))
	f.issue("X-1", "Story", created, pts(2))
	r = mustCompute(t, f, Options{})
	if r.Summary.GoalSprints != 0 || r.Summary.GoalCompletionRate != nil || r.Summary.ClosedSprints != 1 {
		t.Errorf("summary %+v, want 1 closed sprint, no goal sprint, no rate", r.Summary)
	}
}

// Forecast edges: a week with zero throughput is a valid sample; Items 0
// skips the "done by" question; a forecast needing exactly the horizon is
// within it; with 20 trials every confidence has its rank.
func TestForecastEdges(t *testing.T) {
	start := day(0)
	// Samples [0, 2]: accepted. By = start + 2 weeks with samples [2] only
	// would give 4; with [0, 2] at 50% at least 2.
	f, err := RunForecast(ForecastOptions{Samples: []int{0, 2}, Start: start, By: start.AddDate(0, 0, 14), Seed: 1})
	if err != nil || f.DoneBy != nil || f.WeeksNeeded != nil || len(f.AtLeast) != 3 {
		t.Fatalf("samples [0 2], items 0: %+v, %v; want no done-by and 3 at-least figures", f, err)
	}
	// Samples [1]: 4 items take exactly 4 weeks in every trial; with a
	// horizon of 4 weeks that is within it, at every confidence.
	f, err = RunForecast(ForecastOptions{Samples: []int{1}, Start: start, Items: 4, HorizonWeeks: 4, Trials: 20})
	if err != nil || len(f.WeeksNeeded) != 3 || f.WeeksNeeded[95] != 4 || !f.DoneBy[50].Equal(start.AddDate(0, 0, 28)) {
		t.Errorf("4 items at 1 a week, horizon 4: %+v, %v; want 4 weeks at 50, 85 and 95%%", f, err)
	}
	// 5 items need 5 weeks: beyond the horizon of 4, no date.
	f, err = RunForecast(ForecastOptions{Samples: []int{1}, Start: start, Items: 5, HorizonWeeks: 4, Trials: 20})
	if err != nil || len(f.WeeksNeeded) != 0 {
		t.Errorf("5 items at 1 a week, horizon 4: %+v, %v; want no date", f, err)
	}
	if _, err := RunForecast(ForecastOptions{Samples: []int{-1, 2}, Items: 1}); err == nil || errors.Is(err, ErrNoThroughput) {
		t.Errorf("negative sample: err %v, want a refusal", err)
	}
}
