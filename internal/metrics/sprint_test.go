package metrics

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

// sprintView is the part of a SprintKPI the table compares. Ratios are
// formatted ("nil" when undefined) so that a nil is distinguishable from 0.
type sprintView struct {
	Unit                   string
	Scope                  []string
	Committed, Completed   float64
	CompletedKeys, Outside []string
	Added                  float64
	AddedKeys              []string
	Removed                float64
	RemovedKeys            []string
	EstimateChange         float64
	SayDo, ScopeChange     string
	GoalMethod, GoalMet    string
	Carry, Carry2          []string
	Unestimated, Subtasks  int
}

func ratio(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("%.4f", *p)
}

func goalMet(p *bool) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func view(k SprintKPI) sprintView {
	return sprintView{
		Unit: k.Unit, Scope: nilIfEmpty(k.ScopeAtStartKeys), Committed: k.Committed, Completed: k.Completed,
		CompletedKeys: nilIfEmpty(k.CompletedKeys), Outside: nilIfEmpty(k.CompletedOutsideKeys),
		Added: k.Added, AddedKeys: nilIfEmpty(k.AddedKeys), Removed: k.Removed, RemovedKeys: nilIfEmpty(k.RemovedKeys),
		EstimateChange: k.EstimateChange, SayDo: ratio(k.SayDo), ScopeChange: ratio(k.ScopeChange),
		GoalMethod: k.GoalMethod, GoalMet: goalMet(k.GoalMet),
		Carry: nilIfEmpty(k.CarryOverKeys), Carry2: nilIfEmpty(k.CarryOver2PlusKeys),
		Unestimated: k.Unestimated, Subtasks: k.SubtasksIgnored,
	}
}

func TestSprintKPIs(t *testing.T) {
	// Unless a case says otherwise: sprint 1 runs from day 0 (Monday
	// 2024-01-08 09:00 UTC) to its completion at day 14, issues are created
	// at day -5 in To Do, and the board's done column holds only Done (5).
	created := day(-5)
	s1 := func(f *fx) *fx { return f.sprint(1, day(0), tp(day(14))) }
	type check struct {
		sprint int64
		want   sprintView
	}
	cases := []struct {
		name  string
		build func() *fx
		opt   Options
		want  []check
	}{
		{
			name: "AddedMidSprint",
			build: func() *fx {
				f := s1(newFx(testBoard()))
				f.issue("T-1", "Story", created, pts(3)).in(1).to(day(1), sProgress).to(day(5), sDone)
				f.issue("T-2", "Story", created, pts(5)).join(day(3), 1).to(day(10), sDone)
				f.issue("T-3", "Story", created, pts(2)).join(day(4), 1).to(day(6), sProgress)
				return f
			},
			// Committed: T-1 only (3). Completed: T-1 3 + T-2 5 = 8 (additions
			// count). Added: T-2 5 + T-3 2 = 7. Say/do: committed done 3 ÷ 3
			// = 1. Scope change: (7 + 0) ÷ 3 = 2.3333. Goal: 1 ≥ 0.8.
			want: []check{{1, sprintView{
				Unit: UnitPoints, Scope: []string{"T-1"}, Committed: 3, Completed: 8,
				CompletedKeys: []string{"T-1", "T-2"}, Added: 7, AddedKeys: []string{"T-2", "T-3"},
				SayDo: "1.0000", ScopeChange: "2.3333", GoalMethod: GoalByThreshold, GoalMet: "true",
			}}},
		},
		{
			name: "RemovedMidSprint",
			build: func() *fx {
				f := s1(newFx(testBoard()))
				f.issue("T-1", "Story", created, pts(3)).in(1).to(day(5), sDone)
				f.issue("T-2", "Story", created, pts(5)).in(1).leave(day(6), 1)
				return f
			},
			// Committed 3 + 5 = 8 (the removed T-2 still counts). Completed 3.
			// Removed 5. Say/do 3 ÷ 8 = 0.375 < 0.8: goal missed. Scope change
			// (0 + 5) ÷ 8 = 0.625.
			want: []check{{1, sprintView{
				Unit: UnitPoints, Scope: []string{"T-1", "T-2"}, Committed: 8, Completed: 3,
				CompletedKeys: []string{"T-1"}, Removed: 5, RemovedKeys: []string{"T-2"},
				SayDo: "0.3750", ScopeChange: "0.6250", GoalMethod: GoalByThreshold, GoalMet: "false",
			}}},
		},
		{
			name: "EstimateRaisedMidSprint",
			build: func() *fx {
				f := s1(newFx(testBoard()))
				f.issue("T-1", "Story", created, pts(3)).in(1).estimate(day(4), pts(8)).to(day(9), sDone)
				f.issue("T-2", "Story", created, pts(2)).in(1).estimate(day(2), pts(1))
				return f
			},
			// Committed at start-estimates 3 + 2 = 5. Completed at completion
			// estimate: T-1 8. Estimate change (8 − 3) + (1 − 2) = 4. Say/do in
			// start estimates: 3 ÷ 5 = 0.6 (re-estimating cannot inflate it).
			want: []check{{1, sprintView{
				Unit: UnitPoints, Scope: []string{"T-1", "T-2"}, Committed: 5, Completed: 8,
				CompletedKeys: []string{"T-1"}, EstimateChange: 4,
				SayDo: "0.6000", ScopeChange: "0.0000", GoalMethod: GoalByThreshold, GoalMet: "false",
			}}},
		},
		{
			name: "DoneBeforeSprintStart",
			build: func() *fx {
				f := s1(newFx(testBoard()))
				f.issue("T-1", "Story", created, pts(3)).in(1).to(day(-3), sProgress).to(day(-1), sDone)
				f.issue("T-2", "Story", created, pts(5)).in(1).to(day(7), sDone)
				f.issue("T-3", "Story", created, pts(2)).to(day(-2), sDone).join(day(3), 1)
				return f
			},
			// T-1 was done at the start and T-3 was done when added: both are
			// "completed outside the sprint" and count in neither committed
			// (5: T-2) nor completed (5: T-2) nor added (0).
			want: []check{{1, sprintView{
				Unit: UnitPoints, Scope: []string{"T-2"}, Committed: 5, Completed: 5,
				CompletedKeys: []string{"T-2"}, Outside: []string{"T-1", "T-3"},
				SayDo: "1.0000", ScopeChange: "0.0000", GoalMethod: GoalByThreshold, GoalMet: "true",
			}}},
		},
		{
			name: "CarriedOverTwice",
			build: func() *fx {
				f := newFx(testBoard())
				f.sprint(1, day(0), tp(day(14)))
				f.sprint(2, hours(day(14), 1), tp(day(28)))
				f.sprint(3, hours(day(28), 1), tp(day(42)))
				// T-1 is unfinished in sprints 1 and 2 and done in 3. Jira keeps
				// closed sprints in the field, so it only gets added events.
				f.issue("T-1", "Story", created, pts(5)).in(1).to(day(2), sProgress).
					join(day(14), 2).join(day(28), 3).to(day(35), sDone)
				f.issue("T-2", "Story", created, pts(3)).in(1).to(day(5), sDone)
				f.issue("T-3", "Story", created, pts(2)).join(day(20), 2).join(day(28), 3)
				return f
			},
			want: []check{
				// Sprint 1: committed 5 + 3 = 8, completed 3 (T-2); say/do 3/8.
				{1, sprintView{
					Unit: UnitPoints, Scope: []string{"T-1", "T-2"}, Committed: 8, Completed: 3,
					CompletedKeys: []string{"T-2"}, SayDo: "0.3750", ScopeChange: "0.0000",
					GoalMethod: GoalByThreshold, GoalMet: "false",
				}},
				// Sprint 2: T-1 joined at day 14, before the 1 h later start:
				// scope [T-1] 5, carried over once. T-3 added (2). Nothing done:
				// say/do 0; scope change 2 ÷ 5 = 0.4.
				{2, sprintView{
					Unit: UnitPoints, Scope: []string{"T-1"}, Committed: 5, Added: 2,
					AddedKeys: []string{"T-3"}, SayDo: "0.0000", ScopeChange: "0.4000",
					GoalMethod: GoalByThreshold, GoalMet: "false", Carry: []string{"T-1"},
				}},
				// Sprint 3: scope T-1 5 + T-3 2 = 7; both carried over from
				// sprint 2, T-1 for the second sprint in a row (2+). Completed
				// T-1 5: say/do 5 ÷ 7 = 0.7143.
				{3, sprintView{
					Unit: UnitPoints, Scope: []string{"T-1", "T-3"}, Committed: 7, Completed: 5,
					CompletedKeys: []string{"T-1"}, SayDo: "0.7143", ScopeChange: "0.0000",
					GoalMethod: GoalByThreshold, GoalMet: "false",
					Carry: []string{"T-1", "T-3"}, Carry2: []string{"T-1"},
				}},
			},
		},
		{
			name: "ReopenedAfterDone",
			build: func() *fx {
				f := s1(newFx(testBoard()))
				f.issue("T-1", "Story", created, pts(3)).in(1).to(day(1), sProgress).to(day(3), sDone).
					to(day(5), sProgress).to(day(16), sDone)
				f.issue("T-2", "Story", created, pts(2)).in(1).to(day(2), sProgress).to(day(12), sDone)
				return f
			},
			// T-1 was done at day 3 but reopened at day 5 and only done again
			// after completion: not completed. Committed 5, completed 2,
			// say/do 2 ÷ 5 = 0.4.
			want: []check{{1, sprintView{
				Unit: UnitPoints, Scope: []string{"T-1", "T-2"}, Committed: 5, Completed: 2,
				CompletedKeys: []string{"T-2"}, SayDo: "0.4000", ScopeChange: "0.0000",
				GoalMethod: GoalByThreshold, GoalMet: "false",
			}}},
		},
		{
			name: "SubtaskWithPoints",
			build: func() *fx {
				f := s1(newFx(testBoard()))
				f.issue("T-1", "Story", created, pts(3)).in(1).to(day(5), sDone)
				f.issue("T-2", "Sub-task", created, pts(2)).subtask().in(1).to(day(4), sDone)
				return f
			},
			// The sub-task's 2 points are ignored (and counted as ignored):
			// committed 3, completed 3.
			want: []check{{1, sprintView{
				Unit: UnitPoints, Scope: []string{"T-1"}, Committed: 3, Completed: 3,
				CompletedKeys: []string{"T-1"}, SayDo: "1.0000", ScopeChange: "0.0000",
				GoalMethod: GoalByThreshold, GoalMet: "true", Subtasks: 1,
			}}},
		},
		{
			name: "UnestimatedStory",
			build: func() *fx {
				f := s1(newFx(testBoard()))
				f.issue("T-1", "Story", created, pts(3)).in(1).to(day(5), sDone)
				f.issue("T-2", "Story", created, nil).in(1).to(day(6), sDone)
				return f
			},
			// T-2 has no estimate: it adds 0 points but is in scope, done, and
			// counted as unestimated (never a silent zero).
			want: []check{{1, sprintView{
				Unit: UnitPoints, Scope: []string{"T-1", "T-2"}, Committed: 3, Completed: 3,
				CompletedKeys: []string{"T-1", "T-2"}, SayDo: "1.0000", ScopeChange: "0.0000",
				GoalMethod: GoalByThreshold, GoalMet: "true", Unestimated: 1,
			}}},
		},
		{
			name: "IssueInTwoSprintsAtOnce",
			build: func() *fx {
				f := newFx(testBoard())
				f.sprint(1, day(0), tp(day(14)))
				f.sprint(2, day(0), tp(day(14)))
				f.issue("T-1", "Story", created, pts(5)).in(1).in(2).to(day(7), sDone)
				f.issue("T-2", "Story", created, pts(3)).join(day(2), 2)
				return f
			},
			// Parallel sprints: T-1 counts in each. Sprint 1: 5/5. Sprint 2:
			// committed 5, completed 5, T-2 added 3, scope change 3 ÷ 5 = 0.6.
			// (Same start: ordered by id, so sprint 1 is sprint 2's
			// "previous"; T-1 was done there, so no carry-over.)
			want: []check{
				{1, sprintView{
					Unit: UnitPoints, Scope: []string{"T-1"}, Committed: 5, Completed: 5,
					CompletedKeys: []string{"T-1"}, SayDo: "1.0000", ScopeChange: "0.0000",
					GoalMethod: GoalByThreshold, GoalMet: "true",
				}},
				{2, sprintView{
					Unit: UnitPoints, Scope: []string{"T-1"}, Committed: 5, Completed: 5,
					CompletedKeys: []string{"T-1"}, Added: 3, AddedKeys: []string{"T-2"},
					SayDo: "1.0000", ScopeChange: "0.6000", GoalMethod: GoalByThreshold, GoalMet: "true",
				}},
			},
		},
		{
			name: "SprintWithNoIssues",
			build: func() *fx {
				f := s1(newFx(testBoard()))
				f.issue("T-1", "Story", created, pts(3)) // in the backlog
				return f
			},
			// Nothing committed: say/do and scope change undefined, goal
			// undetermined rather than "missed".
			want: []check{{1, sprintView{
				Unit: UnitPoints, SayDo: "nil", ScopeChange: "nil", GoalMethod: GoalUndecided, GoalMet: "nil",
			}}},
		},
		{
			name: "DoneColumnWithTwoStatuses",
			build: func() *fx {
				f := s1(newFx(testBoard(sDone, sReleased)))
				f.issue("T-1", "Story", created, pts(3)).in(1).to(day(4), sDone)
				f.issue("T-2", "Story", created, pts(5)).in(1).to(day(6), sDone).to(day(8), sReleased)
				f.issue("T-3", "Story", created, pts(2)).in(1).to(day(9), sReview)
				return f
			},
			// Done column = {Done, Released}: T-1 3 + T-2 5 = 8 of 10
			// committed; say/do 0.8 meets the 0.8 threshold.
			want: []check{{1, sprintView{
				Unit: UnitPoints, Scope: []string{"T-1", "T-2", "T-3"}, Committed: 10, Completed: 8,
				CompletedKeys: []string{"T-1", "T-2"}, SayDo: "0.8000", ScopeChange: "0.0000",
				GoalMethod: GoalByThreshold, GoalMet: "true",
			}}},
		},
		{
			name: "DoneColumnWithoutReleased",
			build: func() *fx {
				f := s1(newFx(testBoard()))
				f.issue("T-1", "Story", created, pts(3)).in(1).to(day(4), sDone)
				f.issue("T-2", "Story", created, pts(5)).in(1).to(day(6), sDone).to(day(8), sReleased)
				f.issue("T-3", "Story", created, pts(2)).in(1).to(day(9), sReview)
				return f
			},
			// Same history, but the done column is only Done: T-2 sits in
			// Released (done category, not the rightmost column) and does not
			// count: completed 3, say/do 0.3.
			want: []check{{1, sprintView{
				Unit: UnitPoints, Scope: []string{"T-1", "T-2", "T-3"}, Committed: 10, Completed: 3,
				CompletedKeys: []string{"T-1"}, SayDo: "0.3000", ScopeChange: "0.0000",
				GoalMethod: GoalByThreshold, GoalMet: "false",
			}}},
		},
		{
			name: "DSTChangeInsideSprint",
			build: func() *fx {
				// Berlin moves to summer time on 2024-03-31. The sprint starts
				// Monday 2024-03-25 09:00 CET (08:00Z) and completes Monday
				// 2024-04-08 09:00 CEST (07:00Z): 13 days 23 hours.
				f := newFx(testBoard())
				start := time.Date(2024, 3, 25, 8, 0, 0, 0, time.UTC)
				complete := time.Date(2024, 4, 8, 7, 0, 0, 0, time.UTC)
				f.sprint(1, start, &complete)
				c := start.AddDate(0, 0, -3)
				f.issue("T-1", "Story", c, pts(3)).in(1).to(complete.Add(-30*time.Minute), sDone) // 08:30 CEST: in
				f.issue("T-2", "Story", c, pts(5)).in(1).to(complete.Add(30*time.Minute), sDone)  // 09:30 CEST: after
				f.issue("T-3", "Story", c, pts(2)).join(start.Add(30*time.Minute), 1)
				return f
			},
			// A naive start + 14 × 24 h would end the sprint at 10:00 CEST
			// and count T-2. Completion is the instant Jira recorded: completed
			// 3, committed 8, added 2, say/do 3 ÷ 8.
			opt: Options{Location: mustLoc("Europe/Berlin"), Now: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
			want: []check{{1, sprintView{
				Unit: UnitPoints, Scope: []string{"T-1", "T-2"}, Committed: 8, Completed: 3,
				CompletedKeys: []string{"T-1"}, Added: 2, AddedKeys: []string{"T-3"},
				SayDo: "0.3750", ScopeChange: "0.2500", GoalMethod: GoalByThreshold, GoalMet: "false",
			}}},
		},
		{
			name: "MissingEstimationField",
			build: func() *fx {
				b := testBoard()
				b.EstimationField = ""
				f := s1(newFx(b))
				f.issue("T-1", "Story", created, pts(3)).in(1).to(day(5), sDone)
				f.issue("T-2", "Story", created, pts(5)).in(1)
				f.issue("T-3", "Story", created, nil).join(day(3), 1).to(day(6), sDone)
				return f
			},
			// No estimation field: issues are counted. Committed 2 (T-1, T-2),
			// completed 2 (T-1, T-3), added 1, say/do 1 ÷ 2; nothing is
			// "unestimated" in issue counts.
			want: []check{{1, sprintView{
				Unit: UnitIssues, Scope: []string{"T-1", "T-2"}, Committed: 2, Completed: 2,
				CompletedKeys: []string{"T-1", "T-3"}, Added: 1, AddedKeys: []string{"T-3"},
				SayDo: "0.5000", ScopeChange: "0.5000", GoalMethod: GoalByThreshold, GoalMet: "false",
			}}},
		},
		{
			name: "GoalIssuesDone",
			build: func() *fx {
				f := s1(newFx(testBoard()))
				f.issue("T-1", "Story", created, pts(3)).in(1).labels("sprint-goal").to(day(5), sDone)
				f.issue("T-2", "Story", created, pts(5)).in(1)
				return f
			},
			// Say/do 3 ÷ 8 = 0.375 would miss the threshold, but the goal
			// issue T-1 is done: goal met by the goal-issue rule.
			opt: Options{GoalLabels: []string{"Sprint-Goal"}},
			want: []check{{1, sprintView{
				Unit: UnitPoints, Scope: []string{"T-1", "T-2"}, Committed: 8, Completed: 3,
				CompletedKeys: []string{"T-1"}, SayDo: "0.3750", ScopeChange: "0.0000",
				GoalMethod: GoalByIssues, GoalMet: "true",
			}}},
		},
		{
			name: "GoalIssueRemoved",
			build: func() *fx {
				f := s1(newFx(testBoard()))
				f.issue("T-1", "Story", created, pts(3)).in(1).labels("sprint-goal").to(day(5), sDone)
				f.issue("T-2", "Story", created, pts(1)).in(1).labels("sprint-goal").leave(day(3), 1)
				return f
			},
			// A goal issue removed from the sprint is not done in it: goal
			// missed although say/do is 3 ÷ 4 = 0.75.
			opt: Options{GoalLabels: []string{"sprint-goal"}},
			want: []check{{1, sprintView{
				Unit: UnitPoints, Scope: []string{"T-1", "T-2"}, Committed: 4, Completed: 3,
				CompletedKeys: []string{"T-1"}, Removed: 1, RemovedKeys: []string{"T-2"},
				SayDo: "0.7500", ScopeChange: "0.2500", GoalMethod: GoalByIssues, GoalMet: "false",
			}}},
		},
		{
			name: "MembershipWithoutAddEvent",
			build: func() *fx {
				f := s1(newFx(testBoard()))
				// Created into the sprint, its only event is the removal: it was
				// a member from creation until day 3.
				f.issue("T-1", "Story", created, pts(3)).in(1).leave(day(3), 1)
				// Created mid-sprint directly into it (no event): added.
				f.issue("T-2", "Story", day(2), pts(2)).in(1).to(day(6), sDone)
				return f
			},
			// Committed 3 (T-1), removed 3, added 2, completed 2; say/do 0;
			// scope change (2 + 3) ÷ 3 = 1.6667.
			want: []check{{1, sprintView{
				Unit: UnitPoints, Scope: []string{"T-1"}, Committed: 3, Completed: 2,
				CompletedKeys: []string{"T-2"}, Added: 2, AddedKeys: []string{"T-2"},
				Removed: 3, RemovedKeys: []string{"T-1"}, SayDo: "0.0000", ScopeChange: "1.6667",
				GoalMethod: GoalByThreshold, GoalMet: "false",
			}}},
		},
		{
			name: "OriginalEstimateInHours",
			build: func() *fx {
				b := testBoard()
				b.EstimationField = analyzer.EstimationOriginalEst
				f := s1(newFx(b))
				f.issue("T-1", "Story", created, pts(7200)).in(1).to(day(5), sDone) // 2 h
				f.issue("T-2", "Story", created, pts(5400)).in(1)                   // 1.5 h
				return f
			},
			// Seconds → hours: committed 2 + 1.5 = 3.5, completed 2, say/do
			// 2 ÷ 3.5 = 0.5714.
			want: []check{{1, sprintView{
				Unit: UnitHours, Scope: []string{"T-1", "T-2"}, Committed: 3.5, Completed: 2,
				CompletedKeys: []string{"T-1"}, SayDo: "0.5714", ScopeChange: "0.0000",
				GoalMethod: GoalByThreshold, GoalMet: "false",
			}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mustCompute(t, tc.build(), tc.opt)
			for _, c := range tc.want {
				got := view(sprintByID(t, r, c.sprint))
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("sprint %d:\n got %+v\nwant %+v", c.sprint, got, c.want)
				}
			}
		})
	}
}

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func TestSprintFlags(t *testing.T) {
	created := day(-5)
	t.Run("MissingEstimationFieldIsFlagged", func(t *testing.T) {
		b := testBoard()
		b.EstimationField = ""
		f := newFx(b).sprint(1, day(0), tp(day(14)))
		f.issue("T-1", "Story", created, nil).in(1).to(day(5), sDone)
		r := mustCompute(t, f, Options{})
		k := sprintByID(t, r, 1)
		// One issue done: velocity 1 issue, not a silent 0 points.
		if k.Completed != 1 || k.Unit != UnitIssues {
			t.Errorf("completed = %v %s, want 1 issues", k.Completed, k.Unit)
		}
		if !slices.Contains(k.Flags, FlagEstimationMissing) || !r.DataQuality.EstimationFieldMissing {
			t.Errorf("flags = %v, quality = %+v: want %s", k.Flags, r.DataQuality, FlagEstimationMissing)
		}
	})
	t.Run("IssueCountBoardIsFlaggedNotMissing", func(t *testing.T) {
		b := testBoard()
		b.EstimationField = analyzer.EstimationIssueCount
		f := newFx(b).sprint(1, day(0), tp(day(14)))
		f.issue("T-1", "Story", created, nil).in(1).to(day(5), sDone)
		r := mustCompute(t, f, Options{})
		k := sprintByID(t, r, 1)
		if !slices.Contains(k.Flags, FlagEstimationIssueCount) || r.DataQuality.EstimationFieldMissing {
			t.Errorf("flags = %v, missing = %v", k.Flags, r.DataQuality.EstimationFieldMissing)
		}
	})
	t.Run("UnestimatedAndSubtaskFlags", func(t *testing.T) {
		f := newFx(testBoard()).sprint(1, day(0), tp(day(14)))
		f.issue("T-1", "Story", created, nil).in(1)
		f.issue("T-2", "Sub-task", created, pts(1)).subtask().in(1)
		f.issue("T-3", "Story", created, pts(1)).in(1).truncated()
		k := sprintByID(t, mustCompute(t, f, Options{}), 1)
		for _, fl := range []string{FlagUnestimated, FlagSubtaskPointsIgnored, FlagChangelogIncomplete} {
			if !slices.Contains(k.Flags, fl) {
				t.Errorf("flags %v lack %s", k.Flags, fl)
			}
		}
		if k.ChangelogIncomplete != 1 {
			t.Errorf("changelog incomplete = %d, want 1 (T-3)", k.ChangelogIncomplete)
		}
	})
}

func TestActiveSprintIsPartial(t *testing.T) {
	f := newFx(testBoard())
	f.sprint(1, day(-14), tp(day(0)))
	f.sprint(2, day(0), nil) // active
	f.issue("T-1", "Story", day(-20), pts(4)).in(1).to(day(-3), sDone)
	f.issue("T-2", "Story", day(-20), pts(3)).join(day(0), 2).to(day(5), sDone)
	f.issue("T-3", "Story", day(-20), pts(5)).join(day(0), 2)
	r := mustCompute(t, f, Options{Now: day(7)})
	k := sprintByID(t, r, 2)
	// As of day 7: T-2 done (3 of 8 committed). Partial sprints are not in
	// the velocity averages: the board average is sprint 1's 4.
	if !k.Partial || !k.AsOf.Equal(day(7)) || k.Completed != 3 || k.Committed != 8 {
		t.Errorf("active sprint = partial %v as of %v, completed %v of %v; want partial, day 7, 3 of 8",
			k.Partial, k.AsOf, k.Completed, k.Committed)
	}
	if len(k.VelocityAverages) != 0 {
		t.Errorf("partial sprint has velocity averages %+v", k.VelocityAverages)
	}
	if v := r.Summary.Velocity(3); v == nil || !near(v.Value, 4) || r.Summary.ClosedSprints != 1 {
		t.Errorf("summary = %+v, want avg3 4 over 1 closed sprint", r.Summary)
	}
}

func TestVelocityAverages(t *testing.T) {
	// Eight closed two-week sprints; sprint n completes one issue of n
	// points. Avg3 at sprint 8 = (6 + 7 + 8) ÷ 3 = 7; avg7 = (2 + … + 8) ÷ 7
	// = 35 ÷ 7 = 5. At sprint 2 only two sprints exist: avg3 = (1 + 2) ÷ 2.
	f := newFx(testBoard())
	for n := 1; n <= 8; n++ {
		start := day(14 * (n - 1))
		f.sprint(int64(n), start, tp(start.AddDate(0, 0, 14)))
		f.issue(fmt.Sprintf("T-%d", n), "Story", start.AddDate(0, 0, -1), pts(float64(n))).
			in(int64(n)).to(start.AddDate(0, 0, 3), sDone)
	}
	r := mustCompute(t, f, Options{Now: day(200)})
	if v := sprintByID(t, r, 2).Velocity(3); v == nil || !near(v.Value, 1.5) || v.Sprints != 2 {
		t.Errorf("sprint 2 avg3 = %+v, want 1.5 over 2", v)
	}
	want := []VelocityAverage{{Window: 3, Sprints: 3, Value: 7}, {Window: 7, Sprints: 7, Value: 5}}
	if k := sprintByID(t, r, 8); !reflect.DeepEqual(k.VelocityAverages, want) {
		t.Errorf("sprint 8 averages = %+v, want %+v", k.VelocityAverages, want)
	}
	if !reflect.DeepEqual(r.Summary.VelocityAverages, want) {
		t.Errorf("summary averages = %+v, want %+v", r.Summary.VelocityAverages, want)
	}
	// Every sprint's single issue was done: say/do 1 and goal met in all 7
	// sprints of the window.
	if !ptrEq(r.Summary.GoalCompletionRate, 1) || r.Summary.GoalSprints != 7 || !ptrEq(r.Summary.SayDoAvg7, 1) {
		t.Errorf("summary = goal rate %s over %d, say/do %s; want 1 over 7, 1",
			ratio(r.Summary.GoalCompletionRate), r.Summary.GoalSprints, ratio(r.Summary.SayDoAvg7))
	}
}

func TestSprintEscapedDefects(t *testing.T) {
	f := newFx(testBoard()).sprint(1, day(0), tp(day(14)))
	f.issue("B-1", "Bug", day(1), nil).labels("production")
	f.issue("B-2", "Bug", day(2), nil).env("Production EU")
	f.issue("B-3", "Bug", day(3), nil)
	f.issue("B-4", "Bug", day(15), nil).labels("production")  // after completion
	f.issue("S-1", "Story", day(4), nil).labels("production") // not a defect
	k := sprintByID(t, mustCompute(t, f, Options{}), 1)
	// Created in [day 0, day 14): B-1, B-2, B-3; escaped by the default rule
	// (label production, or environment containing production): B-1, B-2.
	if k.DefectsFound != 3 || k.EscapedDefects != 2 || !reflect.DeepEqual(k.EscapedDefectKeys, []string{"B-1", "B-2"}) {
		t.Errorf("defects = %d found, %d escaped %v; want 3, 2 [B-1 B-2]", k.DefectsFound, k.EscapedDefects, k.EscapedDefectKeys)
	}
}

func TestOptionsValidation(t *testing.T) {
	if _, err := Compute(BoardData{}, Options{}); err != ErrNoClock {
		t.Errorf("no Now: err = %v, want ErrNoClock", err)
	}
	if _, err := Compute(BoardData{}, Options{Now: t0, GoalThreshold: 1.5}); err == nil {
		t.Error("threshold 1.5 accepted")
	}
	if _, err := Compute(BoardData{}, Options{Now: t0, StaleDays: -1}); err == nil {
		t.Error("negative stale days accepted")
	}
}
