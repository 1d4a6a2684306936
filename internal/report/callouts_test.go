package report

import (
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// cw is a compact week row for the callout tables: week number in 2026,
// throughput, WIP, cycle-time count and p85, escaped defects.
type cw struct {
	week, thr, wip, cycN int
	c85                  float64
	escaped              int
	keys                 []string
}

func calloutTeam(loc *time.Location, ws []cw, ss []sp) TeamInput {
	now := fixtureNow(loc)
	var rows []wk
	for _, w := range ws {
		rows = append(rows, wk{week: w.week, thr: w.thr, wip: w.wip, cycN: w.cycN, cyc85: w.c85,
			found: w.escaped, escaped: w.escaped, escapedKeys: w.keys})
	}
	return TeamInput{BoardID: 1, BoardName: "T", Unit: metrics.UnitPoints,
		Weeks: weeks(loc, now, rows), Sprints: sprints(loc, now, metrics.UnitPoints, ss)}
}

// sprintSeq makes closed two-week sprints S1, S2, … ending before W47 with
// the given say/do ratios; the last one can be adjusted by the caller.
func sprintSeq(sayDo ...float64) []sp {
	var out []sp
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	for i, r := range sayDo {
		s := start.AddDate(0, 0, 14*i)
		out = append(out, sp{id: int64(i + 1), name: "S" + string(rune('1'+i)), start: s.Format(time.DateOnly),
			end: s.AddDate(0, 0, 14).Format(time.DateOnly), committed: 20, completed: 20 * r, sayDo: r})
	}
	return out
}

func TestCallouts(t *testing.T) {
	loc := mustLoc(t)
	steady := []cw{{43, 5, 5, 5, 4, 0, nil}, {44, 5, 5, 5, 4, 0, nil}, {45, 5, 5, 5, 4, 0, nil}, {46, 5, 5, 5, 4, 0, nil}, {47, 5, 5, 5, 4, 0, nil}}
	with := func(last cw) []cw { return append(steady[:4:4], last) }
	lastWith := func(ss []sp, f func(*sp)) []sp { f(&ss[len(ss)-1]); return ss }

	for name, tc := range map[string]struct {
		weeks   []cw
		sprints []sp
		want    []string // "severity rule: text"; nil: exactly the steady callout
	}{
		"Steady": {weeks: steady},
		// Previous sprints 0.90 and 0.80: mean 0.85; the last 0.62 is 23 points lower (≥ 10).
		"SayDoFellWithAdditions": {weeks: steady, sprints: lastWith(sprintSeq(0.9, 0.8, 0.62), func(s *sp) { s.added = 14 }),
			want: []string{"warn say_do_change: Say/do fell to 62% in S3, from 85% on average over the previous 2 sprints, while 14 points were added mid-sprint."}},
		"SayDoFellWithRemovals": {weeks: steady, sprints: lastWith(sprintSeq(0.9, 0.7), func(s *sp) { s.removed = 5 }),
			want: []string{"warn say_do_change: Say/do fell to 70% in S2, from 90% on average over the previous sprint; 5 points were removed mid-sprint and still count as committed."}},
		"SayDoFellAddedAndRemoved": {weeks: steady, sprints: lastWith(sprintSeq(0.9, 0.7), func(s *sp) { s.added, s.removed = 1, 2.5 }),
			want: []string{"warn say_do_change: Say/do fell to 70% in S2, from 90% on average over the previous sprint, while 1 point was added and 2.5 points removed mid-sprint."}},
		// 0.60, 0.70, 0.65, 0.65 → mean 0.65; 0.80 is 15 points higher. The first sprint (0.1) is outside the previous 4.
		"SayDoRose": {weeks: steady, sprints: sprintSeq(0.1, 0.6, 0.7, 0.65, 0.65, 0.8),
			want: []string{"good say_do_change: Say/do rose to 80% in S6, from 65% on average over the previous 4 sprints."}},
		// 0.85 → 0.80 is 5 points: below the threshold.
		"SayDoSmallDrop": {weeks: steady, sprints: sprintSeq(0.85, 0.80)},
		"GoalMissedByIssues": {weeks: steady, sprints: lastWith(sprintSeq(0.8, 0.8), func(s *sp) { s.goal, s.goalMet = "Ship it", yes(false) }),
			want: []string{"warn goal_missed: S2 did not meet its goal “Ship it”: no goal issues are marked, so it is judged by say/do (80%)."}},
		// p85 4.0, 4.0, 3.5, 4.5 → mean 4.0; 7.5 ≥ 125 % and +3.5 days.
		"CycleTimeRose": {weeks: []cw{{43, 5, 5, 5, 4.0, 0, nil}, {44, 5, 5, 5, 4.0, 0, nil}, {45, 5, 5, 5, 3.5, 0, nil}, {46, 5, 5, 5, 4.5, 0, nil}, {47, 5, 5, 3, 7.5, 0, nil}},
			want: []string{"warn cycle_time_change: Cycle time p85 rose from 4.0 days (average of the previous 4 weeks) to 7.5 days this week (3 issues finished)."}},
		// 6.0 → 4.0: ≤ 80 % and −2 days. Weeks without finished issues (W44) do not count.
		"CycleTimeFell": {weeks: []cw{{44, 5, 5, 0, 0, 0, nil}, {45, 5, 5, 5, 6, 0, nil}, {46, 5, 5, 5, 6, 0, nil}, {47, 5, 5, 1, 4, 0, nil}},
			want: []string{"good cycle_time_change: Cycle time p85 fell from 6.0 days (average of the previous 2 weeks) to 4.0 days this week (1 issue finished)."}},
		// 4.0 → 4.9: +22 %, below 125 %.
		"CycleTimeSmallRise": {weeks: with(cw{47, 5, 5, 5, 4.9, 0, nil})},
		// 2.0 → 2.9: +45 % but under a day.
		"CycleTimeRiseUnderADay": {weeks: []cw{{46, 5, 5, 5, 2.0, 0, nil}, {47, 5, 5, 5, 2.9, 0, nil}}},
		// 7, 6, 7, 6 → 6.5; 3 ≤ 70 % of 6.5 (4.55) and 3.5 fewer.
		"ThroughputFell": {weeks: []cw{{43, 7, 5, 5, 4, 0, nil}, {44, 6, 5, 5, 4, 0, nil}, {45, 7, 5, 5, 4, 0, nil}, {46, 6, 5, 5, 4, 0, nil}, {47, 3, 5, 5, 4, 0, nil}},
			want: []string{"warn throughput_change: Throughput fell to 3 issues this week, from 6.5 on average over the previous 4 weeks."}},
		// 2, 3 → 2.5; 1 is 60 % lower but only 1.5 fewer: a small team's wobble.
		"ThroughputSmallTeam": {weeks: []cw{{45, 2, 5, 5, 4, 0, nil}, {46, 3, 5, 5, 4, 0, nil}, {47, 1, 5, 5, 4, 0, nil}}},
		// 4, 4 → 4; 7 ≥ 130 % (5.2) and 3 more.
		"ThroughputRose": {weeks: []cw{{45, 4, 5, 5, 4, 0, nil}, {46, 4, 5, 5, 4, 0, nil}, {47, 7, 5, 5, 4, 0, nil}},
			want: []string{"good throughput_change: Throughput rose to 7 issues this week, from 4 on average over the previous 2 weeks."}},
		// W45 had 1 escaped defect, W46 none.
		"EscapedDefects": {weeks: []cw{{45, 5, 5, 5, 4, 1, nil}, {46, 5, 5, 5, 4, 0, nil}, {47, 5, 5, 5, 4, 2, []string{"BUG-1", "BUG-2"}}},
			want: []string{"warn escaped_defects: 2 escaped defects this week (1 in the previous 2 weeks): BUG-1, BUG-2."}},
		"EscapedDefectNoHistory": {weeks: []cw{{47, 5, 5, 5, 4, 1, nil}},
			want: []string{"warn escaped_defects: 1 escaped defect this week."}},
		// WIP 5 for 4 weeks → median 5; 9 ≥ 7.5 and 4 above.
		"WIPHigh": {weeks: with(cw{47, 5, 9, 5, 4, 0, nil}),
			want: []string{"warn wip_high: WIP is 9 items at the week's end, above the team's usual 5 (median of the previous 4 weeks)."}},
		// Only 3 weeks of history: WIP is not judged.
		"WIPHighShortHistory": {weeks: []cw{{44, 5, 5, 5, 4, 0, nil}, {45, 5, 5, 5, 4, 0, nil}, {46, 5, 5, 5, 4, 0, nil}, {47, 5, 9, 5, 4, 0, nil}}},
		// 5 → 7: +2 is under 3 items.
		"WIPSmallRise": {weeks: with(cw{47, 5, 7, 5, 4, 0, nil})},
		"CarryOverRepeated": {weeks: steady, sprints: lastWith(sprintSeq(0.8, 0.8), func(s *sp) {
			s.carry2 = []string{"A-1", "A-2", "A-3", "A-4", "A-5", "A-6"}
		}), want: []string{"warn carry_over_repeated: 6 issues in S2 have been carried over two or more sprints in a row: A-1, A-2, A-3, A-4, A-5 and 1 more."}},
		// Several rules at once come out warn first, good after.
		"Ordering": {weeks: []cw{{45, 4, 5, 5, 4, 0, nil}, {46, 4, 5, 5, 4, 0, nil}, {47, 7, 5, 5, 4, 1, nil}},
			want: []string{
				"warn escaped_defects: 1 escaped defect this week (0 in the previous 2 weeks).",
				"good throughput_change: Throughput rose to 7 issues this week, from 4 on average over the previous 2 weeks.",
			}},
	} {
		t.Run(name, func(t *testing.T) {
			in := Input{Week: ISOWeek{2026, 47}, Location: loc, Now: fixtureNow(loc), Teams: []TeamInput{calloutTeam(loc, tc.weeks, tc.sprints)}}
			var got []string
			for _, c := range mustBuild(t, in).Teams[0].Callouts {
				got = append(got, c.Severity+" "+c.Rule+": "+c.Text)
				if !strings.HasPrefix(c.Definition, DefaultDocsBaseURL+"metrics.md#") {
					t.Errorf("callout %s has no definition link: %q", c.Rule, c.Definition)
				}
			}
			want := tc.want
			if want == nil {
				want = []string{"info steady: No notable change this week against the previous 4 weeks and sprints."}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("callouts:\n got: %q\nwant: %q", got, want)
			}
		})
	}
}
