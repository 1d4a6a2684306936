package report

import (
	"slices"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// The cycle-time scatter of week W plots the issues done in the 12 charted
// weeks, W−11 to W, and no other: for 2026-W47 in Europe/Berlin that is
// [Monday 2026-08-31 00:00, Monday 2026-11-23 00:00). Four issues sit on the
// two edges, one second apart: EDGE-1 (done 1 s before the window) and
// EDGE-4 (done at the week's end, i.e. in W48, after the report week) are
// left out; EDGE-2 (at the window's first instant) and EDGE-3 (1 s before
// the week's end) are plotted. An issue done a week after the report week
// (LATE) is left out too, so a report rendered later for W47 charts the
// same dots.
func TestCycleScatterWindowEdges(t *testing.T) {
	loc := mustLoc(t)
	in := fixtureInput(t)
	from := time.Date(2026, 8, 31, 0, 0, 0, 0, loc)
	end := time.Date(2026, 11, 23, 0, 0, 0, 0, loc)
	mk := func(id int64, key string, done time.Time) metrics.IssueCycle {
		return metrics.IssueCycle{IssueID: id, Key: key, Type: "Story", Done: done, CycleDays: f64(2)}
	}
	in.Teams[0].Cycles = []metrics.IssueCycle{
		mk(1, "EDGE-1", from.Add(-time.Second)),
		mk(2, "EDGE-2", from),
		mk(3, "EDGE-3", end.Add(-time.Second)),
		mk(4, "EDGE-4", end),
		mk(5, "LATE", end.AddDate(0, 0, 7)),
	}
	in.Now = end.AddDate(0, 0, 10) // rendered after LATE was done
	p := teamByID(t, mustBuild(t, in), 12)
	var keys []string
	for _, c := range p.CycleTimes {
		keys = append(keys, c.Key)
	}
	if want := []string{"EDGE-2", "EDGE-3"}; !slices.Equal(keys, want) {
		t.Errorf("scatter keys = %v, want %v", keys, want)
	}
	// EDGE-3 was done on Sunday 2026-11-22 in the report time zone.
	if n := len(p.CycleTimes); n == 2 && p.CycleTimes[1].Done != "2026-11-22" {
		t.Errorf("EDGE-3 done = %s, want 2026-11-22", p.CycleTimes[1].Done)
	}
}
