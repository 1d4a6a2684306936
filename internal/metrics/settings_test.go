package metrics

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

// wipKeys lists the keys of a week's ageing WIP, oldest first.
func wipKeys(w WeekKPI) []string {
	var keys []string
	for _, a := range w.AgeingWIP {
		keys = append(keys, a.Key)
	}
	return keys
}

// TestStatusCategoryOverrides: jira.sites[].statuses.categories reaches
// every figure that reads a status category (cycle start and end, WIP,
// throughput, backlog).
func TestStatusCategoryOverrides(t *testing.T) {
	t.Run("InProgressAndReviewAsNew", func(t *testing.T) {
		// flowFixture with "In Progress" and "In Review" moved to To Do's
		// category (by name, in any case, as the configuration gives them).
		// No issue of the fixture enters another in-progress status
		// (Blocked), so nothing ever starts:
		//   - W02 done: A, B, C, E, F (throughput unchanged: 5), none with a
		//     cycle time: A, B, C, E never started, F is truncated → 5
		//     excluded, cycle count 0 (3 without the override).
		//   - At W02's end G (In Review) and H (In Progress) are "to do":
		//     WIP 0 (2 without the override), and both are in the backlog
		//     (no sprint): 2 items of 1 point each (0 without the override).
		opt := Options{Now: day(60), StatusCategories: map[string]string{
			"in progress": analyzer.CategoryNew, "In Review": analyzer.CategoryNew}}
		w2 := weekOfT(t, mustCompute(t, flowFixture(), opt), day(0), time.UTC)
		if w2.Throughput != 5 || w2.CycleTime.Count != 0 || w2.CycleExcluded != 5 {
			t.Errorf("W02 throughput %d, cycle count %d, excluded %d; want 5, 0, 5", w2.Throughput, w2.CycleTime.Count, w2.CycleExcluded)
		}
		if w2.WIP != 0 || len(w2.AgeingWIP) != 0 {
			t.Errorf("W02 WIP = %d %v, want 0: nothing is in progress", w2.WIP, wipKeys(w2))
		}
		if w2.Backlog.Items != 2 || w2.Backlog.Size != 2 {
			t.Errorf("W02 backlog = %d items of size %g, want G and H: 2 items, size 2", w2.Backlog.Items, w2.Backlog.Size)
		}
	})
	for _, key := range []string{"in review", sReview} { // by name or by id
		t.Run("ReviewAsDone/"+key, func(t *testing.T) {
			// "In Review" counts as done. G (In Progress day 2, In Review day
			// 10, a Thursday of W03) is done on day 10: cycle 10 − 2 = 8
			// days, and W03's throughput is D (done again day 9) and G = 2
			// (1 without the override). At W03's end only H is in
			// progress: WIP 1 (2 without).
			opt := Options{Now: day(60), StatusCategories: map[string]string{key: analyzer.CategoryDone}}
			r := mustCompute(t, flowFixture(), opt)
			w3 := weekOfT(t, r, day(7), time.UTC)
			if w3.Throughput != 2 || w3.WIP != 1 || !slices.Equal(wipKeys(w3), []string{"H"}) {
				t.Errorf("W03 throughput %d, WIP %d %v; want 2, 1 [H]", w3.Throughput, w3.WIP, wipKeys(w3))
			}
			// W03 cycle times: D 7, G 8 → p50 7, p85 and p95 8, mean 7.5.
			if !distEq(w3.CycleTime, 2, 7, 8, 8, 7.5) {
				t.Errorf("W03 cycle = %+v, want D 7 and G 8", w3.CycleTime)
			}
		})
	}
	t.Run("InvalidCategory", func(t *testing.T) {
		_, err := Compute(flowFixture().data(), Options{Now: day(60), StatusCategories: map[string]string{"Blocked": "waiting"}})
		if err == nil {
			t.Fatal("an override to category \"waiting\" was accepted")
		}
	})
}

// TestVelocityWindowsConfigured: metrics.velocity_windows replaces the
// averages over 3 and 7 sprints.
func TestVelocityWindowsConfigured(t *testing.T) {
	// TestVelocityAverages' eight closed sprints (sprint n completes n
	// points, sprint n starts on day 14(n−1) and completes 14 days later)
	// and one backlog item of 15 points never in a sprint.
	build := func() *fx {
		f := newFx(testBoard())
		for n := 1; n <= 8; n++ {
			start := day(14 * (n - 1))
			f.sprint(int64(n), start, tp(start.AddDate(0, 0, 14)))
			f.issue(fmt.Sprintf("T-%d", n), "Story", start.AddDate(0, 0, -1), pts(float64(n))).
				in(int64(n)).to(start.AddDate(0, 0, 3), sDone)
		}
		f.issue("B-1", "Story", day(0), pts(15))
		return f
	}
	r := mustCompute(t, build(), Options{Now: day(200), VelocityWindows: []int{2, 5}})
	// After sprint 8: over 2 sprints (7 + 8) ÷ 2 = 7.5; over 5 sprints
	// (4 + 5 + 6 + 7 + 8) ÷ 5 = 6. No average over 3 or 7 is computed.
	k := sprintByID(t, r, 8)
	want := []VelocityAverage{{Window: 2, Sprints: 2, Value: 7.5}, {Window: 5, Sprints: 5, Value: 6}}
	if !reflect.DeepEqual(k.VelocityAverages, want) || !reflect.DeepEqual(r.Summary.VelocityAverages, want) {
		t.Errorf("sprint 8 averages %+v, summary %+v; want %+v", k.VelocityAverages, r.Summary.VelocityAverages, want)
	}
	// After sprint 1 only one sprint exists: both windows average 1 sprint.
	if k1 := sprintByID(t, r, 1); !reflect.DeepEqual(k1.VelocityAverages, []VelocityAverage{{2, 1, 1}, {5, 1, 1}}) {
		t.Errorf("sprint 1 averages %+v, want 1 over 1 sprint for both windows", k1.VelocityAverages)
	}
	// Backlog depth divides by the first window's average: at Now (day 200,
	// after every sprint) 15 ÷ 7.5 = 2 sprints; with the default windows
	// [3, 7] it is 15 ÷ 7 (the average of 6, 7, 8).
	last := r.Weeks[len(r.Weeks)-1].Backlog
	if last.Items != 1 || !ptrEq(last.DepthSprints, 2) {
		t.Errorf("backlog %d items, depth %s; want 1 item, depth 2", last.Items, ratio(last.DepthSprints))
	}
	rd := mustCompute(t, build(), Options{Now: day(200)})
	if d := rd.Weeks[len(rd.Weeks)-1].Backlog.DepthSprints; !ptrEq(d, 15.0/7) {
		t.Errorf("default depth %s, want 15/7", ratio(d))
	}
	if _, err := Compute(build().data(), Options{Now: day(200), VelocityWindows: []int{3, 0}}); err == nil {
		t.Error("a velocity window of 0 sprints was accepted")
	}
}

// TestFlowItemTypes: epics (and sub-tasks) are not flow items by default;
// FlowExcludeTypes and IncludeSubtasks change that.
func TestFlowItemTypes(t *testing.T) {
	// flowFixture (W02: throughput 5 = A, B, C, E, F; WIP G and H) plus:
	//   EP-1, an epic in progress since day −20: older than G, so it would
	//        lead the ageing WIP (20 + 6.625 = 26.625 days at W02's end);
	//   EP-2, an epic started day 1 and done day 3 (W02);
	//   S-1, a sub-task in progress since day 4.
	build := func() *fx {
		f := flowFixture()
		f.issue("EP-1", "Epic", day(-30), nil).to(day(-20), sProgress)
		f.issue("EP-2", "Epic", day(0), nil).to(day(1), sProgress).to(day(3), sDone)
		f.issue("S-1", "Sub-task", day(0), nil).subtask().to(day(4), sProgress)
		return f
	}
	cases := []struct {
		name       string
		opt        Options
		throughput int
		types      map[string]int
		wip        []string
	}{
		// Default: epics and sub-tasks left out: the plain flowFixture.
		{"Default", Options{}, 5, map[string]int{"Story": 4, "Bug": 1}, []string{"G", "H"}},
		// Every type: EP-1 leads the WIP, EP-2 adds to the throughput.
		{"EveryType", Options{FlowExcludeTypes: []string{}}, 6, map[string]int{"Story": 4, "Bug": 1, "Epic": 1}, []string{"EP-1", "G", "H"}},
		// Bugs and epics left out (any case): C goes, A, B, E, F stay.
		{"BugsAndEpics", Options{FlowExcludeTypes: []string{"bug", "EPIC"}}, 4, map[string]int{"Story": 4}, []string{"G", "H"}},
		// Sub-tasks in: S-1 (since day 4 09:00, 2.625 days at W02's end).
		{"Subtasks", Options{IncludeSubtasks: true}, 5, map[string]int{"Story": 4, "Bug": 1}, []string{"G", "S-1", "H"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opt.Now = day(60)
			r := mustCompute(t, build(), c.opt)
			w2 := weekOfT(t, r, day(0), time.UTC)
			if w2.Throughput != c.throughput || !reflect.DeepEqual(w2.ThroughputByType, c.types) {
				t.Errorf("W02 throughput %d %v, want %d %v", w2.Throughput, w2.ThroughputByType, c.throughput, c.types)
			}
			if w2.WIP != len(c.wip) || !slices.Equal(wipKeys(w2), c.wip) {
				t.Errorf("W02 WIP %d %v, want %v", w2.WIP, wipKeys(w2), c.wip)
			}
			cycles, err := CycleTimes(build().data(), c.opt)
			if err != nil {
				t.Fatal(err)
			}
			hasEpic := slices.ContainsFunc(cycles, func(c IssueCycle) bool { return c.Key == "EP-2" })
			if wantEpic := c.types["Epic"] > 0; hasEpic != wantEpic {
				t.Errorf("CycleTimes lists EP-2: %v, want %v", hasEpic, wantEpic)
			}
		})
	}
}

// TestStatusListIncomplete: statuses missing from the site's status list
// (GET /rest/api/2/status lists only those of active workflows) take their
// category from an issue currently in them, then from the board's columns;
// what stays unknown is flagged.
func TestStatusListIncomplete(t *testing.T) {
	t.Run("EmptyListSameFigures", func(t *testing.T) {
		// flowFixture's statuses are all known from elsewhere: Done (A–F),
		// In Review (G) and In Progress (H) are issues' current statuses with
		// their category; To Do, in nobody's current status, is in the
		// board's first column: not started. So every weekly figure and
		// cycle time is the same as with the full list.
		full := mustCompute(t, flowFixture(), Options{Now: day(60)})
		d := flowFixture().data()
		d.Statuses = nil
		empty, err := Compute(d, Options{Now: day(60)})
		if err != nil {
			t.Fatal(err)
		}
		if w := weekOfT(t, empty, day(0), time.UTC); w.Throughput != 5 || w.WIP != 2 {
			t.Errorf("empty list: W02 throughput %d WIP %d, want 5 and 2", w.Throughput, w.WIP)
		}
		if !reflect.DeepEqual(full.Weeks, empty.Weeks) {
			for i := range full.Weeks {
				if !reflect.DeepEqual(full.Weeks[i], empty.Weeks[i]) {
					t.Errorf("week %v differs:\nfull  %+v\nempty %+v", full.Weeks[i].WeekStart, full.Weeks[i], empty.Weeks[i])
					break
				}
			}
		}
		if !reflect.DeepEqual(full.CycleTimes, empty.CycleTimes) {
			t.Errorf("cycle times differ:\nfull  %+v\nempty %+v", full.CycleTimes, empty.CycleTimes)
		}
		if !reflect.DeepEqual(full.DataQuality, empty.DataQuality) {
			t.Errorf("data quality differs: full %+v, empty %+v", full.DataQuality, empty.DataQuality)
		}
	})
	t.Run("ChangelogOnlyStatuses", func(t *testing.T) {
		// The site lists only To Do (1) and Done (5). The board's columns:
		// To Do [1, 11 Backlog], In Progress [3, 8 Doing], Review [4],
		// Done [5, 12 Closed]. Statuses 8, 11 and 12 appear only in
		// changelogs (no issue is in them now): by column, 11 is not
		// started, 8 in progress, 12 done. 9 (Parked) is on no column and
		// nobody's current status: unknown, and flagged.
		const sBacklog, sDoing, sParked, sClosed = "11", "8", "9", "12"
		b := testBoard()
		b.Columns = []analyzer.Column{
			{Name: "To Do", StatusIDs: []string{sTodo, sBacklog}},
			{Name: "In Progress", StatusIDs: []string{sProgress, sDoing}},
			{Name: "Review", StatusIDs: []string{sReview}},
			{Name: "Done", StatusIDs: []string{sDone, sClosed}},
		}
		f := newFx(b)
		move := func(i *ib, at time.Time, from, fromName, to, toName, toCat string) *ib {
			i.item(at, "status", "status", from, fromName, to, toName)
			i.is.StatusID, i.is.StatusName, i.is.StatusCategory = to, toName, toCat
			return i
		}
		// X: Backlog → Doing day 1 → Closed day 4 → Done day 6. Starts day
		// 1; its final done run starts day 4 (Closed and Done are both
		// done): cycle 3 days, done in W02.
		x := f.issue("X", "Story", day(0), pts(1))
		x.is.StatusID = sBacklog
		move(x, day(1), sBacklog, "Backlog", sDoing, "Doing", "")
		move(x, day(4), sDoing, "Doing", sClosed, "Closed", "")
		move(x, day(6), sClosed, "Closed", sDone, "Done", analyzer.CategoryDone)
		// Y: To Do → Parked day 1 → In Progress day 2 → Done day 5: cycle
		// 3 days (Parked is unknown, so it starts nothing), done in W02.
		y := f.issue("Y", "Story", day(0), pts(1))
		move(y, day(1), sTodo, "To Do", sParked, "Parked", "")
		move(y, day(2), sParked, "Parked", sProgress, "In Progress", analyzer.CategoryInProgress)
		move(y, day(5), sProgress, "In Progress", sDone, "Done", analyzer.CategoryDone)
		// G: In Progress day 2, In Review day 10; H: In Progress day 5. Both
		// known only as their current status: in progress at W02's end.
		g := f.issue("G", "Story", day(0), pts(1))
		move(g, day(2), sTodo, "To Do", sProgress, "In Progress", analyzer.CategoryInProgress)
		move(g, day(10), sProgress, "In Progress", sReview, "In Review", analyzer.CategoryInProgress)
		h := f.issue("H", "Story", day(0), pts(1))
		move(h, day(5), sTodo, "To Do", sProgress, "In Progress", analyzer.CategoryInProgress)

		d := f.data()
		d.Statuses = map[string]analyzer.Status{sTodo: testStatuses()[sTodo], sDone: testStatuses()[sDone]}
		r, err := Compute(d, Options{Now: day(60)})
		if err != nil {
			t.Fatal(err)
		}
		w2 := weekOfT(t, r, day(0), time.UTC)
		// W02: X and Y done, cycle times 3 and 3; G and H in progress, G
		// (since day 2) older than H (since day 5).
		if w2.Throughput != 2 || !distEq(w2.CycleTime, 2, 3, 3, 3, 3) {
			t.Errorf("W02 throughput %d, cycle %+v; want 2 done with 3 days each", w2.Throughput, w2.CycleTime)
		}
		if w2.WIP != 2 || !slices.Equal(wipKeys(w2), []string{"G", "H"}) {
			t.Errorf("W02 WIP %d %v, want [G H]", w2.WIP, wipKeys(w2))
		}
		// The ageing list names statuses the site does not list, from the
		// issue or its changelog.
		if len(w2.AgeingWIP) == 0 || w2.AgeingWIP[0].Status != "In Progress" {
			t.Errorf("ageing WIP = %+v, want G first, in In Progress", w2.AgeingWIP)
		}
		q := r.DataQuality
		if !slices.Equal(q.UnknownCategoryStatusIDs, []string{sParked}) || !slices.Contains(q.Flags, FlagStatusCategoryUnknown) {
			t.Errorf("data quality = %+v, want status 9 unknown and flagged", q)
		}
	})
}
