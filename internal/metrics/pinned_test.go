package metrics

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

// Tests that pin documented behaviour which earlier tests ran without
// checking (issue 12): each fails when its line of sprint.go, flow.go,
// history.go or defects.go is broken by a one-line change.

// A removed issue counts at its estimate when it left the sprint, not at
// its entry estimate nor at the one it has at the sprint's completion
// (docs/metrics.md#sprint-kpis).
func TestRemovedAtEstimateWhenLeft(t *testing.T) {
	created := day(-5)
	f := newFx(testBoard()).sprint(1, day(0), tp(day(14)))
	// T-1: 3 at the start, 5 from day 3, leaves on day 5, 8 from day 8
	// (after leaving): removed at 5.
	f.issue("T-1", "Story", created, pts(3)).in(1).estimate(day(3), pts(5)).leave(day(5), 1).estimate(day(8), pts(8))
	// T-2: 2, done on day 4: committed and completed.
	f.issue("T-2", "Story", created, pts(2)).in(1).to(day(4), sDone)
	// T-3: 1 at the start, leaves on day 2, 4 from day 3, back on day 6, 6
	// from day 7, leaves again on day 9, 10 from day 11: its last exit is on
	// day 9, so it is removed at 6.
	f.issue("T-3", "Story", created, pts(1)).in(1).leave(day(2), 1).estimate(day(3), pts(4)).
		join(day(6), 1).estimate(day(7), pts(6)).leave(day(9), 1).estimate(day(11), pts(10))
	k := sprintByID(t, mustCompute(t, f, Options{}), 1)
	// Committed at start estimates 3 + 2 + 1 = 6; removed 5 + 6 = 11; scope
	// change (0 added + 11 removed) ÷ 6 = 1.8333; say/do 2 ÷ 6.
	if k.Committed != 6 || k.Removed != 11 || k.RemovedCount != 2 || !slices.Equal(nilIfEmpty(k.RemovedKeys), []string{"T-1", "T-3"}) {
		t.Errorf("committed %v, removed %v (%d) %v; want 6, 11 (2) [T-1 T-3]", k.Committed, k.Removed, k.RemovedCount, k.RemovedKeys)
	}
	if ratio(k.ScopeChange) != "1.8333" || ratio(k.SayDo) != "0.3333" || k.Completed != 2 {
		t.Errorf("scope change %s, say/do %s, completed %v; want 1.8333, 0.3333, 2", ratio(k.ScopeChange), ratio(k.SayDo), k.Completed)
	}
}

// Carry-over points are the carried issues' estimates when they entered
// the sprint (docs/metrics.md#sprint-kpis), and a sprint without carry-over
// has none.
func TestCarryOverPoints(t *testing.T) {
	created := day(-5)
	f := newFx(testBoard())
	f.sprint(1, day(0), tp(day(14)))
	f.sprint(2, hours(day(14), 1), tp(day(28)))
	f.sprint(3, hours(day(28), 1), tp(day(42)))
	// T-1: 5 points, unfinished in sprints 1 and 2; re-estimated to 6 on
	// day 20 (in sprint 2), done in sprint 3.
	f.issue("T-1", "Story", created, pts(5)).in(1).to(day(2), sProgress).
		join(day(14), 2).estimate(day(20), pts(6)).join(day(28), 3).to(day(35), sDone)
	f.issue("T-2", "Story", created, pts(3)).in(1).to(day(5), sDone)
	// T-3: 2 points, added to sprint 2 on day 20, unfinished, on to sprint 3.
	f.issue("T-3", "Story", created, pts(2)).join(day(20), 2).join(day(28), 3)
	r := mustCompute(t, f, Options{})
	cases := []struct {
		sprint          int64
		carry, carry2   float64
		carryN, carry2N int
	}{
		// Sprint 1 follows no sprint: nothing carried.
		{1, 0, 0, 0, 0},
		// Sprint 2: T-1 at its entry estimate 5.
		{2, 5, 0, 1, 0},
		// Sprint 3: T-1 at its entry estimate 6 (re-estimated in sprint 2)
		// plus T-3's 2 = 8; T-1 for the second sprint in a row: 6.
		{3, 8, 6, 2, 1},
	}
	for _, c := range cases {
		k := sprintByID(t, r, c.sprint)
		if k.CarryOver != c.carry || k.CarryOver2Plus != c.carry2 || len(k.CarryOverKeys) != c.carryN || len(k.CarryOver2PlusKeys) != c.carry2N {
			t.Errorf("sprint %d: carry-over %v %v, 2+ %v %v; want %v (%d issues), %v (%d)", c.sprint,
				k.CarryOver, k.CarryOverKeys, k.CarryOver2Plus, k.CarryOver2PlusKeys, c.carry, c.carryN, c.carry2, c.carry2N)
		}
	}
}

// A closed sprint without a completeDate is computed as of its endDate and
// flagged; one without either date is computed as of now, partial, with
// both flags (docs/metrics.md#sprint-kpis).
func TestClosedSprintWithoutCompleteDate(t *testing.T) {
	created := day(-5)
	f := newFx(testBoard())
	end1 := day(14)
	f.sprints = append(f.sprints,
		// Sprint 1: closed, end date day 14, no completeDate.
		analyzer.Sprint{ID: 1, BoardID: 1, Name: "S1", State: analyzer.SprintClosed, StartDate: tp(day(0)), EndDate: &end1},
		// Sprint 2: closed from day 14 + 1 h, neither an end nor a completeDate.
		analyzer.Sprint{ID: 2, BoardID: 1, Name: "S2", State: analyzer.SprintClosed, StartDate: tp(hours(day(14), 1))},
	)
	// T-1 (3) done day 13: before the end date. T-2 (2) done day 15: after
	// it, so unfinished in sprint 1; it moves to sprint 2 on day 14.
	f.issue("T-1", "Story", created, pts(3)).in(1).to(day(13), sDone)
	f.issue("T-2", "Story", created, pts(2)).in(1).join(day(14), 2).to(day(15), sDone)
	// T-3: unestimated, in sprint 1 only, never started. While sprint 1
	// runs it is in a running sprint; after its end date it is backlog.
	f.issue("T-3", "Story", created, nil).in(1)
	r := mustCompute(t, f, Options{Now: day(60)})

	k1 := sprintByID(t, r, 1)
	// As of day 14: completed 3 (T-1), T-2 and T-3 unfinished; say/do 3 ÷ 5
	// (T-3 has no estimate) = 0.6.
	if k1.Partial || !k1.AsOf.Equal(day(14)) || k1.Completed != 3 || !slices.Equal(k1.UnfinishedKeys, []string{"T-2", "T-3"}) ||
		!slices.Contains(k1.Flags, FlagNoCompleteDate) || slices.Contains(k1.Flags, FlagPartial) || ratio(k1.SayDo) != "0.6000" {
		t.Errorf("sprint 1: partial %v as of %v, completed %v, unfinished %v, flags %v, say/do %s; want not partial, day 14, 3, [T-2 T-3], %s, 0.6000",
			k1.Partial, k1.AsOf, k1.Completed, k1.UnfinishedKeys, k1.Flags, ratio(k1.SayDo), FlagNoCompleteDate)
	}
	k2 := sprintByID(t, r, 2)
	// As of now (day 60), partial: T-2 done, carried over from sprint 1.
	if !k2.Partial || !k2.AsOf.Equal(day(60)) || k2.Completed != 2 || !slices.Equal(k2.CarryOverKeys, []string{"T-2"}) ||
		!slices.Contains(k2.Flags, FlagNoCompleteDate) || !slices.Contains(k2.Flags, FlagPartial) {
		t.Errorf("sprint 2: partial %v as of %v, completed %v, carry %v, flags %v; want partial, day 60, 2, [T-2], [%s %s]",
			k2.Partial, k2.AsOf, k2.Completed, k2.CarryOverKeys, k2.Flags, FlagNoCompleteDate, FlagPartial)
	}
	// Sprint 1 ran until its end date: at the end of W02 (day 6.625) T-3
	// is in it (unestimated in sprint, not backlog); at the end of W04
	// (Monday 29 January 00:00, day 20.625) sprint 1 has ended and T-3 is a
	// backlog item. Sprint 2 (still counted as running: no end) holds only
	// T-2, done by then.
	w2, w4 := weekOfT(t, r, day(0), time.UTC), weekOfT(t, r, day(14), time.UTC)
	if w2.DataQuality.UnestimatedInSprint != 1 || w2.Backlog.Items != 0 {
		t.Errorf("W02: unestimated in sprint %d, backlog %d; want 1 (T-3), 0", w2.DataQuality.UnestimatedInSprint, w2.Backlog.Items)
	}
	if w4.DataQuality.UnestimatedInSprint != 0 || w4.Backlog.Items != 1 || w4.Backlog.Unestimated != 1 {
		t.Errorf("W04: unestimated in sprint %d, backlog %d (%d unestimated); want 0, 1 (T-3), 1",
			w4.DataQuality.UnestimatedInSprint, w4.Backlog.Items, w4.Backlog.Unestimated)
	}
}

// Backlog depth divides by the mean velocity of the last 3 sprints closed
// by then, not 2 or 4 (docs/metrics.md#backlog-health); with a mean
// velocity of 0 it is undefined rather than infinite.
func TestBacklogDepthUsesThreeSprints(t *testing.T) {
	build := func(first float64) *fx {
		f := newFx(testBoard())
		for i := range 4 {
			f.sprint(int64(i+1), day(14*i), tp(day(14*i+14)))
		}
		// Sprints 1..4 complete first, 10, 6 and 2 points.
		f.issue("K-1", "Story", day(-1), pts(first)).in(1).to(day(5), sDone)
		f.issue("K-2", "Story", day(-1), pts(10)).join(day(14), 2).to(day(20), sDone)
		f.issue("K-3", "Story", day(-1), pts(6)).join(day(28), 3).to(day(30), sDone)
		f.issue("K-4", "Story", day(-1), pts(2)).join(day(42), 4).to(day(44), sDone)
		// The backlog: P-1, 12 points.
		f.issue("P-1", "Story", day(-1), pts(12))
		return f
	}
	r := mustCompute(t, build(20), Options{Now: day(100)})
	b := r.Weeks[len(r.Weeks)-1].Backlog
	// Last 3 closed: 10, 6, 2 → mean 6; depth 12 ÷ 6 = 2. (The last 4 would
	// give 12 ÷ 9.5 = 1.26, the last 2 give 12 ÷ 4 = 3.)
	if b.Items != 1 || b.Size != 12 || ratio(b.DepthSprints) != "2.0000" {
		t.Errorf("backlog %d items, size %v, depth %s; want 1, 12, 2.0000", b.Items, b.Size, ratio(b.DepthSprints))
	}
	// At the end of W04 (day 20.625) only sprint 1 has closed (20 points);
	// the backlog then is K-3, K-4 and P-1 (K-2 is in the running sprint 2):
	// 6 + 2 + 12 = 20 points, depth 20 ÷ 20 = 1.
	if b4 := weekOfT(t, r, day(14), time.UTC).Backlog; b4.Size != 20 || ratio(b4.DepthSprints) != "1.0000" {
		t.Errorf("W04 backlog size %v, depth %s; want 20, 1.0000", b4.Size, ratio(b4.DepthSprints))
	}

	// A board whose last 3 sprints completed nothing: depth undefined.
	f := newFx(testBoard()).sprint(1, day(0), tp(day(14)))
	f.issue("K-1", "Story", day(-1), pts(5)).in(1)
	f.issue("P-1", "Story", day(-1), pts(12))
	b0 := mustCompute(t, f, Options{Now: day(100)}).Weeks
	if d := b0[len(b0)-1].Backlog.DepthSprints; d != nil {
		t.Errorf("depth with velocity 0 = %v, want undefined", *d)
	}
}

// Moving between done statuses (Done → Released) is not a reopen, and the
// issue's done time is its first entry into the run of done statuses;
// leaving the done statuses (Released → In Progress) is one
// (docs/metrics.md#reopens).
func TestDoneToReleasedIsNotAReopen(t *testing.T) {
	f := newFx(testBoard(sDone, sReleased))
	// in progress day 1, Done day 2, Released day 3: cycle 1 day, no
	// reopen.
	f.issue("R-1", "Story", day(0), pts(1)).to(day(1), sProgress).to(day(2), sDone).to(day(3), sReleased)
	// Released on day 3, back in progress on day 8 (W03), Done on day 9,
	// Released on day 10: one reopen, in W03; done on day 9, cycle 8 days.
	f.issue("R-2", "Story", day(0), pts(1)).to(day(1), sProgress).to(day(2), sDone).to(day(3), sReleased).
		to(day(8), sProgress).to(day(9), sDone).to(day(10), sReleased)
	r := mustCompute(t, f, Options{Now: day(30)})
	got := map[string]IssueCycle{}
	for _, c := range r.CycleTimes {
		got[c.Key] = c
	}
	r1, ok1 := got["R-1"]
	r2, ok2 := got["R-2"]
	if !ok1 || !ok2 {
		t.Fatalf("cycle times %+v lack R-1 or R-2", r.CycleTimes)
	}
	if r1.Reopens != 0 || !r1.Done.Equal(day(2)) || r1.CycleDays == nil || *r1.CycleDays != 1 {
		t.Errorf("R-1: %d reopens, done %v, cycle %v; want 0, day 2, 1", r1.Reopens, r1.Done, r1.CycleDays)
	}
	if r2.Reopens != 1 || !r2.Done.Equal(day(9)) || r2.CycleDays == nil || *r2.CycleDays != 8 {
		t.Errorf("R-2: %d reopens, done %v, cycle %v; want 1, day 9, 8", r2.Reopens, r2.Done, r2.CycleDays)
	}
	w2, w3 := weekOfT(t, r, day(0), time.UTC), weekOfT(t, r, day(7), time.UTC)
	if w2.Reopened != 0 || w3.Reopened != 1 || w2.Throughput != 1 || w3.Throughput != 1 {
		t.Errorf("reopened W02/W03 %d/%d, throughput %d/%d; want 0/1, 1/1", w2.Reopened, w3.Reopened, w2.Throughput, w3.Throughput)
	}
}

// A future sprint whose planned start has passed has not started: it is
// no sprint KPI, and its issues are backlog, not "in a running sprint"
// (docs/metrics.md#backlog-health: future sprints are part of the backlog).
func TestFutureSprintPastItsStartIsNotRunning(t *testing.T) {
	f := newFx(testBoard())
	f.sprints = append(f.sprints, futureSprint(5, day(3)))
	f.issue("P-1", "Story", day(0), pts(2)).in(5)
	f.issue("P-2", "Story", day(0), nil).in(5)
	r := mustCompute(t, f, Options{Now: day(30)})
	if len(r.Sprints) != 0 {
		t.Errorf("%d sprint KPIs, want none (the only sprint is future)", len(r.Sprints))
	}
	// At the end of W03 (day 13.625, after the planned start on day 3): two
	// backlog items, P-2 unestimated; nobody is in a running sprint.
	w := weekOfT(t, r, day(7), time.UTC)
	if w.Backlog.Items != 2 || w.Backlog.Unestimated != 1 || w.Backlog.Size != 2 || w.DataQuality.UnestimatedInSprint != 0 {
		t.Errorf("W03 backlog %d items (%d unestimated, size %v), unestimated in sprint %d; want 2 (1, 2), 0",
			w.Backlog.Items, w.Backlog.Unestimated, w.Backlog.Size, w.DataQuality.UnestimatedInSprint)
	}
}

// The board's data-quality counts and flags (docs/metrics.md#data-quality).
func TestBoardDataQualityFlags(t *testing.T) {
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	t.Run("CountsAndFlags", func(t *testing.T) {
		f := newFx(testBoard())
		f.issue("Q-1", "Story", day(0), pts(1)).is.ChangelogDropped = 2
		f.issue("Q-2", "Story", day(0), pts(1)).is.ChangelogDropped = 1
		f.issue("Q-3", "Story", day(0), pts(1)).truncated()
		f.issue("Q-4", "Story", day(0), pts(math.Inf(1)))
		f.issue("Q-5", "Story", day(0), pts(2e9))
		d := f.data()
		d.SkippedIssueKeys = []string{"Q-98", "Q-99"}
		r, err := Compute(d, Options{Now: day(10)})
		if err != nil {
			t.Fatal(err)
		}
		q := r.DataQuality
		// Dropped entries 2 + 1 = 3 over 2 issues; Q-3 truncated; Q-4 (+Inf)
		// and Q-5 (beyond 1e9) invalid; 2 skipped.
		if q.ChangelogDropped != 3 || q.ChangelogDroppedIssues != 2 || q.ChangelogIncomplete != 1 || q.InvalidEstimates != 2 ||
			q.SkippedIssues != 2 || !reflect.DeepEqual(q.SkippedIssueKeys, []string{"Q-98", "Q-99"}) || q.EstimationFieldMissing {
			t.Errorf("quality = %+v", q)
		}
		want := sorted([]string{FlagChangelogIncomplete, FlagInvalidEstimate, FlagSkippedIssues, FlagChangelogDropped})
		if !reflect.DeepEqual(sorted(q.Flags), want) {
			t.Errorf("flags %v, want %v", q.Flags, want)
		}
		if w := r.Weeks[len(r.Weeks)-1].DataQuality; !reflect.DeepEqual(sorted(w.Flags), want) || w.ChangelogDropped != 3 {
			t.Errorf("weekly flags %v (dropped %d), want the board's %v (3)", w.Flags, w.ChangelogDropped, want)
		}
	})
	t.Run("Clean", func(t *testing.T) {
		f := newFx(testBoard())
		f.issue("Q-1", "Story", day(0), pts(1))
		if q := mustCompute(t, f, Options{Now: day(10)}).DataQuality; len(q.Flags) != 0 {
			t.Errorf("flags of a clean board: %v, want none", q.Flags)
		}
	})
	t.Run("NoEstimationFieldNoColumns", func(t *testing.T) {
		b := testBoard()
		b.EstimationField, b.Columns = "", nil
		f := newFx(b)
		f.issue("Q-1", "Story", day(0), nil)
		q := mustCompute(t, f, Options{Now: day(10)}).DataQuality
		want := sorted([]string{FlagEstimationMissing, FlagNoDoneColumn})
		if !q.EstimationFieldMissing || !reflect.DeepEqual(sorted(q.Flags), want) || q.UnmappedStatusIssues != 0 {
			t.Errorf("quality = %+v, want estimation field missing and flags %v", q, want)
		}
	})
	t.Run("IssueCountBoard", func(t *testing.T) {
		b := testBoard()
		b.EstimationField = analyzer.EstimationIssueCount
		f := newFx(b)
		f.issue("Q-1", "Story", day(0), nil)
		q := mustCompute(t, f, Options{Now: day(10)}).DataQuality
		if q.EstimationFieldMissing || !slices.Equal(q.Flags, []string{FlagEstimationIssueCount}) {
			t.Errorf("quality = %+v, want flag %s only", q, FlagEstimationIssueCount)
		}
	})
}

// Escape-rule field values match options {"value": …}, named objects
// {"name": …} (e.g. a version or a select by name), arrays of those,
// strings and numbers (docs/metrics.md#escaped-defects).
func TestEscapeFieldNamedValues(t *testing.T) {
	f := newFx(testBoard())
	raw := func(key, v string) {
		f.issue(key, "Bug", day(1), nil).is.Raw = []byte(`{"fields":{"customfield_10060":` + v + `}}`)
	}
	raw("B-1", `{"name":"Production","id":"3"}`)             // named object: escaped
	raw("B-2", `[{"name":"Staging"},{"name":"production"}]`) // array of names: escaped
	raw("B-3", `{"name":"Staging"}`)                         // another name: not
	raw("B-4", `{"value":"Production"}`)                     // option: escaped
	raw("B-5", `"Production"`)                               // plain string: escaped
	raw("B-6", `null`)                                       // empty: not
	raw("B-7", `42`)                                         // number 42 ≠ "production": not
	r := mustCompute(t, f, Options{Now: day(10), EscapeRule: EscapeRule{FieldValues: map[string][]string{"customfield_10060": {"PRODUCTION"}}}})
	w := weekOfT(t, r, day(0), time.UTC)
	// 7 bugs found in W02, escaped B-1, B-2, B-4, B-5: rate 4 ÷ 7.
	if w.DefectsFound != 7 || !reflect.DeepEqual(w.EscapedDefectKeys, []string{"B-1", "B-2", "B-4", "B-5"}) || ratio(w.EscapeRate) != "0.5714" {
		t.Errorf("found %d, escaped %v, rate %s; want 7, [B-1 B-2 B-4 B-5], 0.5714", w.DefectsFound, w.EscapedDefectKeys, ratio(w.EscapeRate))
	}
	// A number matches its decimal form.
	r = mustCompute(t, f, Options{Now: day(10), EscapeRule: EscapeRule{FieldValues: map[string][]string{"customfield_10060": {"42"}}}})
	if w := weekOfT(t, r, day(0), time.UTC); !reflect.DeepEqual(w.EscapedDefectKeys, []string{"B-7"}) {
		t.Errorf("escaped by number %v, want [B-7]", w.EscapedDefectKeys)
	}
}

// Old Server/DC changelogs carry the estimate under the field's display
// name, without a field id: on a board estimating with a custom field,
// items named "Story Points" or "Story point estimate" without a field id
// are estimate changes; an item of that name with another field's id is
// not (Options.EstimateFieldNames).
func TestStoryPointsNameFallback(t *testing.T) {
	created := day(-5)
	f := newFx(testBoard()).sprint(1, day(0), tp(day(14)))
	// T-1: now 8; an id-less "Story Points" item on day 3 says 3 → 8.
	t1 := f.issue("T-1", "Story", created, pts(8)).in(1)
	t1.item(day(3), "Story Points", "", "", "3", "", "8")
	t1.to(day(10), sDone)
	// T-2: now 5; an id-less "Story point estimate" item on day 4 set it
	// from none.
	f.issue("T-2", "Story", created, pts(5)).in(1).item(day(4), "Story point estimate", "", "", "", "", "5")
	// T-3: now 2; a "Story Points" item of another field (customfield_99999)
	// is not the board's estimate: 2 throughout.
	f.issue("T-3", "Story", created, pts(2)).in(1).item(day(3), "Story Points", "customfield_99999", "", "20", "", "30")
	k := sprintByID(t, mustCompute(t, f, Options{}), 1)
	// Entry estimates: T-1 3, T-2 none, T-3 2 → committed 5, 1 unestimated.
	// Completed T-1 at 8. Estimate change (8 − 3) + (5 − 0) = 10 over 2.
	if k.Committed != 5 || k.Unestimated != 1 || k.Completed != 8 || k.EstimateChange != 10 || k.EstimateChangedCount != 2 {
		t.Errorf("committed %v, unestimated %d, completed %v, estimate change %v (%d); want 5, 1, 8, 10 (2)",
			k.Committed, k.Unestimated, k.Completed, k.EstimateChange, k.EstimateChangedCount)
	}
}
