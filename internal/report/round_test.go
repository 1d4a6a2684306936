package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// roundingTeam is a team whose figures have long fractions, as metrics
// computes them (board 56, week 2026-W47 in the fixture's time zone):
//
//   - W47: 3 issues done, cycle time p50 2.5208333333333335 days (2 d 12.5 h),
//     p85 = p95 3.6363924421296296 days (3 d 15 h 16 min 24.3 s), mean
//     2.7921810699588477 (the mean of 2.5208…, 2.2191…, 3.6363…), lead
//     time likewise; 2 defects found, 1 escaped → escape rate 0.5;
//     backlog 9 items, 2 unestimated → 2/9 = 0.2222…, 7 ready → 0.7777…,
//     depth 9 ÷ 11.1666… = 0.80597… sprints; an ageing item 4.041666… days old.
//   - W43–W46: cycle p85 3.1, 3.2, 3.3, 3.5 → previous-4 mean 3.275;
//   - Sprints 1–3 closed, completed 10, 11, 12.5 → the latest's 3-sprint
//     velocity average 33.5 ÷ 3 = 11.1666…; say/do 2/3 = 0.6666… each;
//     scope change (1 + 0) ÷ 3 = 0.3333…; carry-over 1.33333 points.
//
// Under the rule (days 1 decimal, ratios 3, points 1): p85 3.6 everywhere
// it appears (cycle_time_days.p85, weeks[W47].cycle_p85 and the health row
// cycle_time_p85.current), velocity 11.2, say/do 0.667 in sprints[] and in
// the say_do health row, escape rate 0.5, shares 0.222 and 0.778.
func roundingTeam(loc *time.Location) TeamInput {
	now := fixtureNow(loc)
	p85 := 3.6363924421296296
	ws := weeks(loc, now, []wk{
		{week: 43, thr: 3, cycN: 3, cyc50: 2, cyc85: 3.1, cyc95: 3.1, cycMean: 2.5},
		{week: 44, thr: 3, cycN: 3, cyc50: 2, cyc85: 3.2, cyc95: 3.2, cycMean: 2.5},
		{week: 45, thr: 3, cycN: 3, cyc50: 2, cyc85: 3.3, cyc95: 3.3, cycMean: 2.5},
		{week: 46, thr: 3, cycN: 3, cyc50: 2, cyc85: 3.5, cyc95: 3.5, cycMean: 2.5},
		{week: 47, thr: 3, cycN: 3, cyc50: 2.5208333333333335, cyc85: p85, cyc95: p85, cycMean: 2.7921810699588477,
			leadN: 3, lead50: 2.5208333333333335, lead85: p85, lead95: p85, leadM: 2.7921810699588477, found: 2, escaped: 1},
	})
	last := &ws[len(ws)-1]
	last.AgeingWIP = []metrics.AgeingItem{{Key: "RND-9", Type: "Story", Status: "In Progress", AgeDays: 4.041666666666667}}
	velocity := 33.5 / 3
	last.Backlog = metrics.BacklogHealth{Items: 9, Unestimated: 2, UnestimatedShare: f64(2.0 / 9), Ready: 7, ReadyShare: f64(7.0 / 9),
		DepthSprints: f64(9 / velocity)}
	ks := sprints(loc, now, metrics.UnitPoints, []sp{
		{id: 501, name: "RND 1", start: "2026-10-12", end: "2026-10-26", committed: 3, completed: 10, sayDo: 2.0 / 3, added: 1},
		{id: 502, name: "RND 2", start: "2026-10-26", end: "2026-11-09", committed: 3, completed: 11, sayDo: 2.0 / 3, added: 1},
		{id: 503, name: "RND 3", start: "2026-11-09", end: "2026-11-20", committed: 3, completed: 12.5, sayDo: 2.0 / 3, added: 1,
			avg3: velocity, avg7: velocity, carry: []string{"RND-4"}, carryPts: 1.33333},
	})
	return TeamInput{SiteID: "acme", BoardID: 56, BoardName: "Rounding", Unit: metrics.UnitPoints, Sprints: ks, Weeks: ws,
		Cycles: []metrics.IssueCycle{{Key: "RND-7", Type: "Story", Done: day(loc, "2026-11-18"), CycleDays: f64(p85)}}}
}

// decimalsFor is the rule of docs/report-schema.md ("Rounding"), written
// out independently of the code: the number of decimals a key may have.
// kind is the "kind" of the enclosing object (health rows), "" elsewhere;
// outcome is true inside outcomes[] and alignment.
func decimalsFor(key, kind string, outcome bool) int {
	switch key {
	case "current", "previous_4", "baseline":
		switch {
		case outcome:
			return 4
		case kind == "ratio":
			return 3
		default: // days, points and counts (a mean of counts)
			return 1
		}
	case "p50", "p85", "p95", "mean", "cycle_p50", "cycle_p85", "cycle_days", "age_days":
		return 1
	case "say_do_ratio", "scope_change", "escape_rate", "unestimated_share", "ready_share",
		"say_do_avg_7", "goal_completion_rate", "ratio":
		return 3
	case "committed_points", "completed_points", "added_points", "removed_points", "carry_over_points",
		"points", "points_2plus", "depth_sprints", "linked_points", "delivered_points":
		return 1
	case "delta_pct":
		return 1
	}
	return 4 // an outcome's own values, and anything else: 4 decimals
}

func decimals(x float64) int {
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// walkFloats calls fn for every non-integer number of the JSON value v.
func walkFloats(v any, path, key, kind string, outcome bool, fn func(path, key, kind string, outcome bool, x float64)) {
	switch x := v.(type) {
	case map[string]any:
		k, _ := x["kind"].(string)
		for name, c := range x {
			walkFloats(c, path+"."+name, name, k, outcome || name == "outcomes" || name == "alignment", fn)
		}
	case []any:
		for i, c := range x {
			walkFloats(c, fmt.Sprintf("%s[%d]", path, i), key, kind, outcome, fn)
		}
	case float64:
		fn(path, key, kind, outcome, x)
	}
}

func TestReportJSONRounding(t *testing.T) {
	loc := mustLoc(t)
	in := outcomesInput(t)
	in.Teams = append(in.Teams, paymentsTeam(loc), roundingTeam(loc))
	var buf bytes.Buffer
	if err := RenderJSON(&buf, mustBuild(t, in)); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	walkFloats(doc, "$", "", "", false, func(path, key, kind string, outcome bool, x float64) {
		n++
		if want := decimalsFor(key, kind, outcome); decimals(x) > want {
			t.Errorf("%s = %v: %d decimals, the rule allows %d", path, x, decimals(x), want)
		}
	})
	if n == 0 {
		t.Fatal("no number walked")
	}

	// Equal figures in different keys are equal.
	var team map[string]any
	for _, tm := range doc["teams"].([]any) {
		if tm.(map[string]any)["board_id"].(float64) == 56 {
			team = tm.(map[string]any)
		}
	}
	if team == nil {
		t.Fatal("team 56 missing")
	}
	health := map[string]map[string]any{}
	for _, h := range team["health"].([]any) {
		health[h.(map[string]any)["metric"].(string)] = h.(map[string]any)
	}
	ws := team["weeks"].([]any)
	w47 := ws[len(ws)-1].(map[string]any)
	sps := team["sprints"].([]any)
	lastSprint := sps[len(sps)-1].(map[string]any)
	scatter := team["cycle_times"].([]any)
	for _, tc := range []struct {
		name string
		vals []any
		want float64
	}{
		// 3.6363924421296296 days → 3.6 (days: 1 decimal).
		{"cycle p85", []any{team["cycle_time_days"].(map[string]any)["p85"], w47["cycle_p85"], health["cycle_time_p85"]["current"],
			team["cycle_time_days"].(map[string]any)["p95"], scatter[0].(map[string]any)["cycle_days"]}, 3.6},
		// 2/3 → 0.667 (ratios: 3 decimals).
		{"say/do", []any{lastSprint["say_do_ratio"], health["say_do"]["current"], team["say_do_avg_7"]}, 0.667},
		// 33.5/3 = 11.1666… → 11.2 (points: 1 decimal).
		{"velocity", []any{team["velocity_averages"].([]any)[0].(map[string]any)["value"], team["velocity_averages"].([]any)[1].(map[string]any)["value"]}, 11.2},
		// 12.5 completed in sprint 3, in the sprint list and the health row.
		{"completed", []any{lastSprint["completed_points"], health["completed"]["current"]}, 12.5},
		// Previous-4 mean of p85 3.1, 3.2, 3.3, 3.5 = 3.275 → 3.3.
		{"previous 4", []any{health["cycle_time_p85"]["previous_4"]}, 3.3},
	} {
		for i, v := range tc.vals {
			if f, ok := v.(float64); !ok || f != tc.want {
				t.Errorf("%s #%d = %v, want %v", tc.name, i, v, tc.want)
			}
		}
	}
}
