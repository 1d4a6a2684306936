package metrics

import (
	"reflect"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

func TestPercentile(t *testing.T) {
	ten := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	cases := []struct {
		name string
		xs   []float64
		p    float64
		want float64
	}{
		{"Empty", nil, 50, 0},
		{"Single", []float64{4}, 95, 4},
		// Nearest rank: ⌈0.5 × 10⌉ = 5 → 5; ⌈8.5⌉ = 9 → 9; ⌈9.5⌉ = 10 → 10.
		{"TenP50", ten, 50, 5},
		{"TenP85", ten, 85, 9},
		{"TenP95", ten, 95, 10},
		// ⌈0.5 × 4⌉ = 2 → 2 (no interpolation between 2 and 3).
		{"FourP50", []float64{1, 2, 3, 4}, 50, 2},
		{"P100", ten, 100, 10},
		{"TinyP", ten, 0.1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.xs, tc.p); got != tc.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tc.xs, tc.p, got, tc.want)
			}
		})
	}
}

func TestWeekStart(t *testing.T) {
	berlin := mustLoc("Europe/Berlin")
	cases := []struct {
		name string
		at   time.Time
		loc  *time.Location
		want time.Time
	}{
		{"Monday", time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC), time.UTC, time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC)},
		{"Sunday", time.Date(2024, 1, 14, 23, 59, 0, 0, time.UTC), time.UTC, time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC)},
		// Sunday 23:30 UTC is Monday 00:30 in Berlin: the next week there.
		{"SundayUTCIsMondayBerlin", time.Date(2024, 1, 14, 23, 30, 0, 0, time.UTC), berlin, time.Date(2024, 1, 15, 0, 0, 0, 0, berlin)},
		// ISO week 1 of 2025 starts on Monday 2024-12-30.
		{"YearBoundary", time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC), time.UTC, time.Date(2024, 12, 30, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := WeekStart(tc.at, tc.loc); !got.Equal(tc.want) {
				t.Errorf("WeekStart(%v) = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
}

func TestDays(t *testing.T) {
	mon := time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name         string
		a, b         time.Time
		cal, working float64
	}{
		// Mon 09:00 → Fri 21:00: 4.5 calendar days, all on weekdays.
		{"Weekdays", mon, mon.Add(108 * time.Hour), 4.5, 4.5},
		// Fri 12:00 → Mon 12:00: 3 calendar days, 0.5 + 0.5 working.
		{"OverWeekend", mon.AddDate(0, 0, 4).Add(3 * time.Hour), mon.AddDate(0, 0, 7).Add(3 * time.Hour), 3, 1},
		// Sat → Sun: no working time.
		{"WeekendOnly", mon.AddDate(0, 0, 5), mon.AddDate(0, 0, 6), 1, 0},
		// Two full weeks: 14 calendar days, 10 working.
		{"TwoWeeks", mon, mon.AddDate(0, 0, 14), 14, 10},
		// Before 1970 still works (negative offsets from the epoch Monday).
		{"Old", time.Date(1969, 12, 29, 0, 0, 0, 0, time.UTC), time.Date(1970, 1, 5, 0, 0, 0, 0, time.UTC), 7, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := CalendarDays(tc.a, tc.b, time.UTC); !approx(got, tc.cal) {
				t.Errorf("calendar = %v, want %v", got, tc.cal)
			}
			if got := WorkingDays(tc.a, tc.b, time.UTC); !approx(got, tc.working) {
				t.Errorf("working = %v, want %v", got, tc.working)
			}
		})
	}
}

func TestReconstruction(t *testing.T) {
	// An issue created day 0 in To Do, In Progress day 2, Done day 5, with
	// an estimate 3 → 5 at day 3 and cleared at day 6. Walking back from
	// the current state (Done, unestimated) gives each earlier value.
	f := newFx(testBoard())
	f.issue("R-1", "Story", day(0), pts(3)).to(day(2), sProgress).estimate(day(3), pts(5)).
		to(day(5), sDone).estimate(day(6), nil)
	p, err := prepare(new(f.data()), Options{Now: day(10)})
	if err != nil {
		t.Fatal(err)
	}
	h := &p.hist[0]
	statuses := []struct {
		at   time.Time
		want string
	}{{day(1), sTodo}, {day(2), sProgress}, {hours(day(4), 23), sProgress}, {day(5), sDone}, {day(9), sDone}}
	for _, c := range statuses {
		if got := h.statusAt(c.at); got != c.want {
			t.Errorf("status at %v = %s, want %s", c.at, got, c.want)
		}
	}
	ests := []struct {
		at   time.Time
		want float64
		ok   bool
	}{{day(1), 3, true}, {day(3), 5, true}, {day(5), 5, true}, {day(6), 0, false}}
	for _, c := range ests {
		if v, ok := h.estAt(c.at); v != c.want || ok != c.ok {
			t.Errorf("estimate at %v = %v %v, want %v %v", c.at, v, ok, c.want, c.ok)
		}
	}
	t.Run("UnsortedChangesAreSortedOnACopy", func(t *testing.T) {
		d := f.data()
		items := d.Changes[1000]
		items[0], items[3] = items[3], items[0]
		orig := append([]analyzer.ChangeItem(nil), items...)
		p, err := prepare(&d, Options{Now: day(10)})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.hist[0].statusAt(day(3)); got != sProgress {
			t.Errorf("status at day 3 = %s, want In Progress", got)
		}
		if !reflect.DeepEqual(items, orig) {
			t.Error("input changes were reordered in place")
		}
	})
}

func TestMembership(t *testing.T) {
	created := day(0)
	ev := func(at time.Time, sprint int64, added bool) analyzer.SprintEvent {
		return analyzer.SprintEvent{SprintID: sprint, At: at, Added: added}
	}
	cases := []struct {
		name    string
		current []int64
		events  []analyzer.SprintEvent
		want    []sprintSpans
	}{
		{"CreatedIntoSprint", []int64{1}, nil, []sprintSpans{{1, []span{{from: created}}}}},
		{"AddedThenRemoved", nil, []analyzer.SprintEvent{ev(day(2), 1, true), ev(day(4), 1, false)},
			[]sprintSpans{{1, []span{{from: day(2), to: day(4)}}}}},
		// First event is a removal: member from creation until it.
		{"RemovedFirst", nil, []analyzer.SprintEvent{ev(day(3), 1, false)},
			[]sprintSpans{{1, []span{{from: created, to: day(3)}}}}},
		// Re-added after removal: two spans; a second sprint created into.
		{"ReaddedAndTwoSprints", []int64{1, 2}, []analyzer.SprintEvent{
			ev(day(1), 1, true), ev(day(2), 1, false), ev(day(5), 1, true)},
			[]sprintSpans{{1, []span{{from: day(1), to: day(2)}, {from: day(5)}}}, {2, []span{{from: created}}}}},
		{"Never", nil, nil, []sprintSpans{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := &analyzer.Issue{Created: created, SprintIDs: tc.current}
			if got := buildMembership(is, tc.events); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("spans = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestStatusTimelineWorkflowMigration(t *testing.T) {
	item := func(at time.Time, from, to string) *analyzer.ChangeItem {
		return &analyzer.ChangeItem{At: at, Field: "status", FieldID: "status", FromValue: from, ToValue: to}
	}
	id := func(v, _ string) string { return v }
	// To Do → Doing at day 1; a migration at day 2 renames Doing to In
	// Progress; In Progress → Done at day 3.
	st := []*analyzer.ChangeItem{item(day(1), "To Do", "Doing"), item(day(3), "In Progress", "Done")}
	t.Run("WithWorkflowItem", func(t *testing.T) {
		got := statusTimeline(st, "Done", []time.Time{day(2)}, id)
		want := []statusSeg{{id: "To Do"}, {at: day(1), id: "Doing"}, {at: day(2), id: "In Progress", inferred: true}, {at: day(3), id: "Done"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	})
	t.Run("WithoutWorkflowItemWalksBack", func(t *testing.T) {
		// No date for the switch: the later name holds from day 1.
		got := statusTimeline(st, "Done", nil, id)
		want := []statusSeg{{id: "To Do"}, {at: day(1), id: "In Progress"}, {at: day(3), id: "Done"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	})
	t.Run("CurrentDiffersFromLastItem", func(t *testing.T) {
		// The current status is authoritative after the last item.
		got := statusTimeline(st[:1], "Closed", nil, id)
		want := []statusSeg{{id: "To Do"}, {at: day(1), id: "Closed"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	})
}
