package metrics

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
)

func approx(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func distEq(d Distribution, count int, p50, p85, p95, mean float64) bool {
	return d.Count == count && approx(d.P50, p50) && approx(d.P85, p85) && approx(d.P95, p95) && approx(d.Mean, mean)
}

// flowFixture: week W02 of 2024 runs Monday 2024-01-08 00:00 UTC to Monday
// 2024-01-15 00:00; t0 = day(0) is Monday 09:00 of it.
func flowFixture() *fx {
	f := newFx(testBoard())
	// A: start day 1, done day 4 → cycle 3, lead 4.
	f.issue("A", "Story", day(0), pts(1)).to(day(1), sProgress).to(day(4), sDone)
	// B: start day 2, done day 3 + 12 h → cycle 1.5, lead 3.5.
	f.issue("B", "Story", day(0), pts(1)).to(day(2), sProgress).to(hours(day(3), 12), sDone)
	// C (Bug): created day 1, start day 1 + 2 h, done day 6 (Sunday) →
	// cycle 5 d − 2 h = 4.916667, lead 5.
	f.issue("C", "Bug", day(1), pts(1)).to(hours(day(1), 2), sProgress).to(day(6), sDone)
	// D: start day 2, done day 3, reopened day 8 (W03), done day 9 (W03):
	// final done counts → cycle 7, lead 9, one reopen.
	f.issue("D", "Story", day(0), pts(1)).to(day(2), sProgress).to(day(3), sDone).
		to(day(8), sProgress).to(day(9), sDone)
	// E: straight from To Do to Done on day 2: lead 2, no cycle time.
	f.issue("E", "Story", day(0), pts(1)).to(day(2), sDone)
	// F: truncated changelog: lead 2, cycle time not computed.
	f.issue("F", "Story", day(0), pts(1)).to(day(1), sProgress).to(day(2), sDone).truncated()
	// G: in progress since day 2, in review since day 10: WIP.
	f.issue("G", "Story", day(0), pts(1)).to(day(2), sProgress).to(day(10), sReview)
	// H: in progress since day 5 (Saturday): WIP, younger than G.
	f.issue("H", "Story", day(0), pts(1)).to(day(5), sProgress)
	return f
}

func TestWeeklyFlow(t *testing.T) {
	r := mustCompute(t, flowFixture(), Options{Now: day(60)})
	w2 := weekOfT(t, r, day(0), time.UTC)
	w3 := weekOfT(t, r, day(7), time.UTC)

	t.Run("Throughput", func(t *testing.T) {
		// W02: A, B, C, E, F done (D's final done is in W03).
		if w2.Throughput != 5 || !reflect.DeepEqual(w2.ThroughputByType, map[string]int{"Story": 4, "Bug": 1}) {
			t.Errorf("W02 throughput = %d %v, want 5 {Story 4, Bug 1}", w2.Throughput, w2.ThroughputByType)
		}
		if w3.Throughput != 1 {
			t.Errorf("W03 throughput = %d, want 1 (D)", w3.Throughput)
		}
		if w2.ISOYear != 2024 || w2.ISOWeek != 2 || w2.Partial || !w2.AsOf.Equal(day(7).Add(-9*time.Hour)) {
			t.Errorf("W02 = %d-W%02d partial %v as of %v", w2.ISOYear, w2.ISOWeek, w2.Partial, w2.AsOf)
		}
	})
	t.Run("CycleTimePercentiles", func(t *testing.T) {
		// W02 cycle times sorted [1.5, 3, 4.916667] (E never started, F
		// truncated: 2 excluded). Nearest rank: p50 = rank ⌈1.5⌉ = 2 → 3;
		// p85 = rank ⌈2.55⌉ = 3 → 4.916667; p95 → 4.916667; mean 9.416667 ÷
		// 3 = 3.138889.
		if !distEq(w2.CycleTime, 3, 3, 4.916667, 4.916667, 3.138889) || w2.CycleExcluded != 2 {
			t.Errorf("W02 cycle = %+v excluded %d", w2.CycleTime, w2.CycleExcluded)
		}
		// Stories only [1.5, 3]: p50 rank 1 → 1.5, p85 rank ⌈1.7⌉ = 2 → 3,
		// mean 2.25. Bugs [4.916667].
		if !distEq(w2.CycleTimeByType["Story"], 2, 1.5, 3, 3, 2.25) ||
			!distEq(w2.CycleTimeByType["Bug"], 1, 4.916667, 4.916667, 4.916667, 4.916667) {
			t.Errorf("W02 cycle by type = %+v", w2.CycleTimeByType)
		}
		// The reopened D uses its final done: 7 days.
		if !distEq(w3.CycleTime, 1, 7, 7, 7, 7) {
			t.Errorf("W03 cycle = %+v, want D's 7 days", w3.CycleTime)
		}
	})
	t.Run("LeadTime", func(t *testing.T) {
		// W02 leads sorted [2, 2, 3.5, 4, 5]: p50 rank 3 → 3.5; p85 rank
		// ⌈4.25⌉ = 5 → 5; p95 → 5; mean 16.5 ÷ 5 = 3.3.
		if !distEq(w2.LeadTime, 5, 3.5, 5, 5, 3.3) {
			t.Errorf("W02 lead = %+v", w2.LeadTime)
		}
		if !distEq(w3.LeadTime, 1, 9, 9, 9, 9) {
			t.Errorf("W03 lead = %+v, want D's 9 days", w3.LeadTime)
		}
	})
	t.Run("ReopenedIssue", func(t *testing.T) {
		if w2.Reopened != 0 || w3.Reopened != 1 {
			t.Errorf("reopened W02/W03 = %d/%d, want 0/1", w2.Reopened, w3.Reopened)
		}
		var d IssueCycle
		for _, c := range r.CycleTimes {
			if c.Key == "D" {
				d = c
			}
		}
		if d.Reopens != 1 || d.CycleDays == nil || *d.CycleDays != 7 || !d.Done.Equal(day(9)) {
			t.Errorf("D = %+v, want 1 reopen, cycle 7, done day 9", d)
		}
	})
	t.Run("WIPAndAgeing", func(t *testing.T) {
		// At W02's end (Monday 2024-01-15 00:00): G since day 2 09:00 → 4 d
		// 15 h = 4.625 d; H since day 5 09:00 → 1.625 d. D is done then.
		if w2.WIP != 2 || len(w2.AgeingWIP) != 2 ||
			w2.AgeingWIP[0].Key != "G" || !approx(w2.AgeingWIP[0].AgeDays, 4.625) ||
			w2.AgeingWIP[1].Key != "H" || !approx(w2.AgeingWIP[1].AgeDays, 1.625) {
			t.Errorf("W02 WIP = %d %+v", w2.WIP, w2.AgeingWIP)
		}
		// At W03's end G (in review) is 11.625 days old; D is done again.
		if w3.WIP != 2 || w3.AgeingWIP[0].Key != "G" || !approx(w3.AgeingWIP[0].AgeDays, 11.625) ||
			w3.AgeingWIP[0].Status != "In Review" {
			t.Errorf("W03 WIP = %d %+v", w3.WIP, w3.AgeingWIP)
		}
		r1 := mustCompute(t, flowFixture(), Options{Now: day(60), AgeingTop: 1})
		if a := weekOfT(t, r1, day(0), time.UTC).AgeingWIP; len(a) != 1 || a[0].Key != "G" {
			t.Errorf("AgeingTop 1 = %+v, want only G", a)
		}
	})
	t.Run("WorkingDays", func(t *testing.T) {
		rw := mustCompute(t, flowFixture(), Options{Now: day(60), WorkingDays: true})
		w := weekOfT(t, rw, day(0), time.UTC)
		// C: Tuesday 11:00 → Sunday 09:00 = Tue 13 h + Wed, Thu, Fri = 3.541667
		// working days. A: Tue 09:00 → Fri 09:00 = 3. B: Wed 09:00 → Thu
		// 21:00 = 1.5. Sorted [1.5, 3, 3.541667].
		if !distEq(w.CycleTime, 3, 3, 3.541667, 3.541667, (1.5+3+3.541667)/3) || w.DayUnit != WorkingDayUnit {
			t.Errorf("working-day cycle = %+v %s", w.CycleTime, w.DayUnit)
		}
	})
	t.Run("CurrentWeekIsPartial", func(t *testing.T) {
		last := r.Weeks[len(r.Weeks)-1]
		if !last.Partial || !last.AsOf.Equal(day(60)) || !last.WeekStart.Equal(WeekStart(day(60), time.UTC)) {
			t.Errorf("last week = %v partial %v as of %v", last.WeekStart, last.Partial, last.AsOf)
		}
		if first := r.Weeks[0]; !first.WeekStart.Equal(time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("first week = %v, want the week of the first creation", first.WeekStart)
		}
	})
	t.Run("JSONRoundTrip", func(t *testing.T) {
		b, err := json.Marshal(w2)
		if err != nil {
			t.Fatal(err)
		}
		var back WeekKPI
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.Throughput != 5 || !distEq(back.CycleTime, 3, 3, 4.916667, 4.916667, 3.138889) {
			t.Errorf("round trip lost data: %s", b)
		}
	})
}

func TestTimeZonesAndDST(t *testing.T) {
	// Berlin switches to summer time at 2024-03-31 02:00 CET. Week of
	// 2024-03-25 in Berlin lasts 167 hours.
	start := time.Date(2024, 3, 25, 8, 0, 0, 0, time.UTC) // Mon 09:00 CET
	build := func() *fx {
		f := newFx(testBoard())
		// X: Mon 09:00 CET → Mon 2024-04-01 09:00 CEST (07:00Z).
		f.issue("X", "Story", start, nil).to(start, sProgress).to(time.Date(2024, 4, 1, 7, 0, 0, 0, time.UTC), sDone)
		// Y: done Sun 2024-03-31 21:30Z = 23:30 CEST (Sunday in Berlin).
		f.issue("Y", "Story", start, nil).to(start, sProgress).to(time.Date(2024, 3, 31, 21, 30, 0, 0, time.UTC), sDone)
		// Z: done Sun 2024-03-31 22:30Z = Mon 00:30 CEST (Monday in Berlin).
		f.issue("Z", "Story", start, nil).to(start, sProgress).to(time.Date(2024, 3, 31, 22, 30, 0, 0, time.UTC), sDone)
		return f
	}
	now := time.Date(2024, 4, 20, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name             string
		loc              *time.Location
		wk1, wk2         int     // throughput of the weeks of 03-25 and 04-01
		xCycle, xWorking float64 // X's cycle time, calendar and working days
	}{
		// Berlin: Y in the first week; Z (Monday 00:30) and X in the second.
		// X runs Monday 09:00 to Monday 09:00 wall clock: 7 calendar days
		// although only 167 hours elapsed; 5 working days.
		{"EuropeBerlin", mustLoc("Europe/Berlin"), 1, 2, 7, 5},
		// UTC: Y and Z on Sunday; X 08:00Z → 07:00Z = 6 d 23 h = 6.958333.
		// Working: Mon 08:00 → Fri 24:00 = 4 d 16 h, plus next Monday 00:00 →
		// 07:00 = 7 h: 4 d 23 h = 4.958333.
		{"UTC", time.UTC, 2, 1, 6 + 23.0/24, 4 + 23.0/24},
		// Los Angeles (PDT, −7): Y Sunday 14:30, Z Sunday 15:30, X Monday
		// 00:00. X: Mon 01:00 → next Mon 00:00 = 6 d 23 h; working Mon 01:00 →
		// Fri 24:00 = 4 d 23 h = 4.958333.
		{"AmericaLosAngeles", mustLoc("America/Los_Angeles"), 2, 1, 6 + 23.0/24, 4 + 23.0/24},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mustCompute(t, build(), Options{Now: now, Location: tc.loc})
			w1 := weekOfT(t, r, time.Date(2024, 3, 27, 12, 0, 0, 0, tc.loc), tc.loc)
			w2 := weekOfT(t, r, time.Date(2024, 4, 3, 12, 0, 0, 0, tc.loc), tc.loc)
			if w1.Throughput != tc.wk1 || w2.Throughput != tc.wk2 {
				t.Errorf("throughput = %d, %d; want %d, %d", w1.Throughput, w2.Throughput, tc.wk1, tc.wk2)
			}
			if w1.WeekStart.Location() != tc.loc || w1.WeekStart.Hour() != 0 || w1.WeekStart.Weekday() != time.Monday {
				t.Errorf("week start %v is not Monday 00:00 in %v", w1.WeekStart, tc.loc)
			}
			var x IssueCycle
			for _, c := range r.CycleTimes {
				if c.Key == "X" {
					x = c
				}
			}
			if x.CycleDays == nil || !approx(*x.CycleDays, tc.xCycle) {
				t.Errorf("X cycle = %v, want %v", x.CycleDays, tc.xCycle)
			}
			rw := mustCompute(t, build(), Options{Now: now, Location: tc.loc, WorkingDays: true})
			var xw *IssueCycle
			for i, c := range rw.CycleTimes {
				if c.Key == "X" {
					xw = &rw.CycleTimes[i]
				}
			}
			if xw == nil || xw.CycleDays == nil || !approx(*xw.CycleDays, tc.xWorking) {
				t.Errorf("X working cycle = %+v, want %v days", xw, tc.xWorking)
			}
		})
	}
	t.Run("WeekEndStateAcrossDST", func(t *testing.T) {
		// In Berlin the week of 03-25 ends at 2024-03-31 22:00Z (Monday
		// 00:00 CEST). Z, done at 22:30Z, is still WIP at that instant
		// (with X); Y is done.
		r := mustCompute(t, build(), Options{Now: now, Location: mustLoc("Europe/Berlin")})
		w := weekOfT(t, r, start, mustLoc("Europe/Berlin"))
		if w.WIP != 2 || !w.AsOf.Equal(time.Date(2024, 3, 31, 22, 0, 0, 0, time.UTC)) {
			t.Errorf("WIP = %d as of %v, want 2 as of 22:00Z", w.WIP, w.AsOf.UTC())
		}
	})
}

func TestEscapedDefects(t *testing.T) {
	build := func() *fx {
		f := newFx(testBoard())
		f.issue("B-1", "Bug", day(1), nil).labels("production")
		f.issue("B-2", "Bug", day(2), nil).env("Production EU")
		b3 := f.issue("B-3", "Bug", day(3), nil)
		b3.is.Raw = []byte(`{"id":"1002","fields":{"customfield_10050":{"value":"Prod"},"summary":"x"}}`)
		f.issue("B-4", "Bug", day(8), nil).is.Priority = "Highest"
		f.issue("S-1", "Story", day(4), nil).labels("production") // not a defect
		return f
	}
	cases := []struct {
		name             string
		rule             EscapeRule
		links            map[int64]time.Time
		found2, escaped2 int
		rate2            string
		found3, escaped3 int
	}{
		// Default rule (label production or environment containing it):
		// W02 found B-1..B-3, escaped B-1, B-2: rate 2 ÷ 3. W03 B-4 not.
		{"DefaultRule", EscapeRule{}, nil, 3, 2, "0.6667", 1, 0},
		// Priority rule only: B-4 (W03) escaped, nothing in W02 (rate 0).
		{"Priority", EscapeRule{Priorities: []string{"highest"}}, nil, 3, 0, "0.0000", 1, 1},
		// Custom field value: B-3's option "Prod".
		{"CustomFieldValue", EscapeRule{FieldValues: map[string][]string{"customfield_10050": {"prod"}}}, nil, 3, 1, "0.3333", 1, 0},
		// Created after the linked story's release: B-3 (day 3 > day 2);
		// B-1 was created before its story's release (day 5).
		{"AfterLinkedRelease", EscapeRule{AfterLinkedRelease: true},
			map[int64]time.Time{1002: day(2), 1000: day(5)}, 3, 1, "0.3333", 1, 0},
		// Defect types: with only "Incident" counted, W02 finds none.
		{"OtherDefectType", EscapeRule{}, nil, 0, 0, "nil", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := build()
			d := f.data()
			d.LinkedReleaseDates = tc.links
			opt := Options{Now: day(30), EscapeRule: tc.rule}
			if tc.name == "OtherDefectType" {
				opt.DefectTypes = []string{"Incident"}
			}
			r, err := Compute(d, opt)
			if err != nil {
				t.Fatal(err)
			}
			w2, w3 := weekOfT(t, r, day(0), time.UTC), weekOfT(t, r, day(7), time.UTC)
			if w2.DefectsFound != tc.found2 || w2.EscapedDefects != tc.escaped2 || ratio(w2.EscapeRate) != tc.rate2 {
				t.Errorf("W02 = %d found, %d escaped, rate %s; want %d, %d, %s",
					w2.DefectsFound, w2.EscapedDefects, ratio(w2.EscapeRate), tc.found2, tc.escaped2, tc.rate2)
			}
			if w3.DefectsFound != tc.found3 || w3.EscapedDefects != tc.escaped3 {
				t.Errorf("W03 = %d found, %d escaped; want %d, %d", w3.DefectsFound, w3.EscapedDefects, tc.found3, tc.escaped3)
			}
		})
	}
}

func TestBacklogHealth(t *testing.T) {
	// Three closed sprints complete 10, 6 and 2 points: average velocity
	// (last 3) = 6. Now = day 100, evaluated in the current (partial) week.
	build := func() *fx {
		f := newFx(testBoard())
		f.sprint(1, day(0), tp(day(14)))
		f.sprint(2, day(14), tp(day(28)))
		f.sprint(3, day(28), tp(day(42)))
		f.sprint(4, day(98), nil) // active
		future := day(120)
		f.sprints = append(f.sprints, futureSprint(5, future))
		f.issue("K-1", "Story", day(-1), pts(10)).in(1).to(day(5), sDone)
		f.issue("K-2", "Story", day(-1), pts(6)).join(day(14), 2).to(day(20), sDone)
		f.issue("K-3", "Story", day(-1), pts(2)).join(day(28), 3).to(day(30), sDone)
		f.issue("P-1", "Story", day(50), pts(3)).labels("ready")          // 50 days old: not stale
		f.issue("P-2", "Story", day(0), pts(5))                           // untouched 100 days: stale
		f.issue("P-3", "Story", day(60), nil)                             // unestimated
		f.issue("P-4", "Story", day(5), pts(2)).estimate(day(30), pts(4)) // updated day 30: 70 days
		f.issue("P-5", "Story", day(5), pts(8)).to(day(70), sProgress)    // in progress: not backlog
		f.issue("P-6", "Story", day(90), pts(1)).in(5)                    // future sprint: backlog
		f.issue("P-7", "Story", day(90), nil).join(day(98), 4)            // active sprint: not backlog
		return f
	}
	t.Run("DefaultReady", func(t *testing.T) {
		r := mustCompute(t, build(), Options{Now: day(100)})
		w := r.Weeks[len(r.Weeks)-1]
		b := w.Backlog
		// Backlog: P-1, P-2, P-3, P-4, P-6 = 5 items; unestimated P-3: 1 ÷ 5
		// = 0.2; ready (estimated, the default) 4 ÷ 5 = 0.8; stale P-2;
		// size 3 + 5 + 4 + 1 = 13; depth 13 ÷ 6 = 2.1667 sprints.
		if b.Items != 5 || b.Unestimated != 1 || ratio(b.UnestimatedShare) != "0.2000" || b.Ready != 4 ||
			ratio(b.ReadyShare) != "0.8000" || b.Stale != 1 || b.Size != 13 || ratio(b.DepthSprints) != "2.1667" {
			t.Errorf("backlog = %+v (shares %s %s depth %s)", b, ratio(b.UnestimatedShare), ratio(b.ReadyShare), ratio(b.DepthSprints))
		}
		// P-7 is in the active sprint without an estimate.
		if w.DataQuality.UnestimatedInSprint != 1 {
			t.Errorf("unestimated in sprint = %d, want 1 (P-7)", w.DataQuality.UnestimatedInSprint)
		}
	})
	t.Run("ReadyLabel", func(t *testing.T) {
		r := mustCompute(t, build(), Options{Now: day(100), ReadyLabels: []string{"Ready"}})
		b := r.Weeks[len(r.Weeks)-1].Backlog
		// Only P-1 is labelled ready: 1 ÷ 5.
		if b.Ready != 1 || ratio(b.ReadyShare) != "0.2000" {
			t.Errorf("ready = %d %s, want 1 0.2000", b.Ready, ratio(b.ReadyShare))
		}
	})
	t.Run("HistoricalWeek", func(t *testing.T) {
		r := mustCompute(t, build(), Options{Now: day(100)})
		// At the end of week W02 (Monday 2024-01-15 00:00) the issues created
		// so far are K-1 (done day 5), K-2, K-3 (in no sprint yet), P-2, P-4
		// (still 2 points) and P-5 (still To Do): backlog K-2 6 + K-3 2 + P-2
		// 5 + P-4 2 + P-5 8 = 23 points, 5 items, none stale. No sprint has
		// closed yet: depth undefined.
		b := weekOfT(t, r, day(0), time.UTC).Backlog
		if b.Items != 5 || b.Size != 23 || b.DepthSprints != nil || b.Stale != 0 {
			t.Errorf("W02 backlog = %+v", b)
		}
	})
}

func TestDataQuality(t *testing.T) {
	f := newFx(testBoard())
	f.issue("Q-1", "Story", day(0), pts(1)).to(day(1), sBlocked) // status on no column
	f.issue("Q-2", "Story", day(0), pts(1)).truncated()
	q3 := f.issue("Q-3", "Story", day(0), pts(1))
	f.multi[q3.is.ID] = true
	r := mustCompute(t, f, Options{Now: day(10)})
	q := r.DataQuality
	if q.UnmappedStatusIssues != 1 || !reflect.DeepEqual(q.UnmappedStatusIDs, []string{sBlocked}) ||
		q.ChangelogIncomplete != 1 || q.MultiBoardIssues != 1 || q.EstimationFieldMissing {
		t.Errorf("quality = %+v", q)
	}
	if w := r.Weeks[len(r.Weeks)-1].DataQuality; w.UnmappedStatusIssues != 1 || w.MultiBoardIssues != 1 {
		t.Errorf("weekly quality = %+v, want the board's counts", w)
	}
}
