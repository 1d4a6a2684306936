package metrics

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
)

// Jira's number field stores what it accepted: "NaN", "Infinity" and
// 1e308 reach the store, and used to make every figure of the board NaN or
// +Inf (and the snapshot unwritable: json: unsupported value: NaN). Such an
// estimate is read as no estimate and counted in the data quality.
func TestInvalidEstimatesAreReadAsNone(t *testing.T) {
	created := day(-5)
	f := newFx(testBoard()).sprint(1, day(0), tp(day(14)))
	// T-1: 3 points, done on day 5: committed 3, completed 3.
	f.issue("T-1", "Story", created, pts(3)).in(1).to(day(5), sDone)
	// T-2: NaN, done on day 6: unestimated, counts nowhere.
	f.issue("T-2", "Story", created, pts(math.NaN())).in(1).to(day(6), sDone)
	// T-3: 1e308 (two of them would overflow a sum), done on day 7.
	f.issue("T-3", "Story", created, pts(1e308)).in(1).to(day(7), sDone)
	// T-4: created at +Inf, re-estimated to 2 the day before the sprint:
	// 2 at start and at completion (done on day 8); its history had an
	// invalid value.
	f.issue("T-4", "Story", created, pts(math.Inf(1))).estimate(day(-1), pts(2)).in(1).to(day(8), sDone)
	r := mustCompute(t, f, Options{})
	k := sprintByID(t, r, 1)
	// Committed and completed: T-1 (3) + T-4 (2) = 5 each.
	if !near(k.Committed, 5) || !near(k.Completed, 5) {
		t.Errorf("committed %v, completed %v; want 5 and 5 (T-1 and T-4)", k.Committed, k.Completed)
	}
	if r.DataQuality.InvalidEstimates != 3 || !slices.Contains(r.DataQuality.Flags, FlagInvalidEstimate) {
		t.Errorf("data quality %+v: want 3 invalid estimates (T-2, T-3, T-4) and the %s flag", r.DataQuality, FlagInvalidEstimate)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatalf("the result cannot be stored: %v", err)
	}
}

func TestValidEstimate(t *testing.T) {
	for v, want := range map[float64]bool{0: true, 13: true, -2: true, 1e9: true, 1e9 + 1: false, -1e10: false,
		math.Inf(1): false, math.Inf(-1): false, 1e308: false} {
		if ValidEstimate(v) != want {
			t.Errorf("ValidEstimate(%v) = %v", v, !want)
		}
	}
	if ValidEstimate(math.NaN()) {
		t.Error("ValidEstimate(NaN) = true")
	}
}
