package metrics

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

// synthBoards builds, in memory, boards × issuesPerBoard issues with
// sprintsPerBoard two-week sprints each (the last one active): planned and
// mid-sprint additions, removals, estimate changes, carry-over, reopens,
// sub-tasks, bugs, unestimated stories. Deterministic for a seed.
func synthBoards(seed uint64, boards, issuesPerBoard, sprintsPerBoard int) ([]BoardData, time.Time) {
	rng := rand.New(rand.NewPCG(seed, 1))
	base := time.Date(2023, 1, 2, 9, 0, 0, 0, time.UTC)
	sprintLen := 14 * 24 * time.Hour
	now := base.Add(time.Duration(sprintsPerBoard-1)*sprintLen + 5*24*time.Hour)
	statuses := testStatuses()
	types := []string{"Story", "Story", "Story", "Story", "Bug", "Bug", "Task", "Task", "Sub-task"}
	estimates := []float64{1, 2, 3, 5, 8, 13}
	var out []BoardData
	var nextIssue, nextSprint int64 = 1, 1
	for b := range boards {
		board := testBoard()
		board.ID = int64(b + 1)
		if b%5 == 4 {
			board.Columns[3].StatusIDs = []string{sDone, sReleased}
		}
		d := BoardData{
			Board: board, Statuses: statuses,
			Changes:      make(map[int64][]analyzer.ChangeItem, issuesPerBoard),
			SprintEvents: make(map[int64][]analyzer.SprintEvent, issuesPerBoard),
		}
		starts := make([]time.Time, sprintsPerBoard)
		ids := make([]int64, sprintsPerBoard)
		for k := range sprintsPerBoard {
			start := base.Add(time.Duration(k) * sprintLen)
			s := analyzer.Sprint{ID: nextSprint, BoardID: board.ID, Name: fmt.Sprintf("S%d", k+1),
				State: analyzer.SprintClosed, StartDate: &start}
			end := start.Add(sprintLen - time.Hour)
			s.EndDate = &end
			if k == sprintsPerBoard-1 {
				s.State = analyzer.SprintActive
			} else {
				c := end
				s.CompleteDate = &c
			}
			starts[k], ids[k] = start, nextSprint
			nextSprint++
			d.Sprints = append(d.Sprints, s)
		}
		span := now.Sub(base.Add(-30 * 24 * time.Hour))
		for range issuesPerBoard {
			b := &ib{is: analyzer.Issue{
				ID: nextIssue, Key: fmt.Sprintf("B%d-%d", board.ID, nextIssue), ProjectKey: "T",
				Type: types[rng.IntN(len(types))], StatusID: sTodo, StatusCategory: analyzer.CategoryNew,
				ChangelogComplete: rng.IntN(50) != 0, Priority: "Medium",
			}}
			nextIssue++
			b.is.Subtask = b.is.Type == "Sub-task"
			b.is.Created = base.Add(-30*24*time.Hour + time.Duration(rng.Int64N(int64(span))))
			b.is.Updated = b.is.Created
			if rng.IntN(10) != 0 {
				b.is.Estimate = &estimates[rng.IntN(len(estimates))]
			}
			if b.is.Type == "Bug" && rng.IntN(3) == 0 {
				b.is.Labels = []string{"production"}
			}
			// The sprint the issue is planned into: the first one starting
			// after its creation, or (one in four) the running one, mid-sprint.
			k := 0
			for k < sprintsPerBoard && starts[k].Before(b.is.Created) {
				k++
			}
			at := b.is.Created
			if k > 0 && rng.IntN(4) == 0 {
				k-- // joins the running sprint now
			} else if k < sprintsPerBoard {
				at = starts[k].Add(-time.Hour)
			}
			if k >= sprintsPerBoard || rng.IntN(5) == 0 {
				d.Issues = append(d.Issues, b.is) // stays in the backlog
				continue
			}
			if at.After(now) {
				d.Issues = append(d.Issues, b.is)
				continue
			}
			b.join(at, ids[k])
			if rng.IntN(8) == 0 && at.Add(48*time.Hour).Before(now) {
				b.estimate(at.Add(48*time.Hour), &estimates[rng.IntN(len(estimates))])
			}
			if rng.IntN(15) == 0 { // removed mid-sprint
				if t := maxTime(at, starts[k]).Add(72 * time.Hour); t.Before(now) {
					b.leave(t, ids[k])
				}
				d.Issues = append(d.Issues, b.is)
				d.Changes[b.is.ID], d.SprintEvents[b.is.ID] = b.changes, b.events
				continue
			}
			// Work: starts in the sprint, done in it (70 %) or carried over.
			for ; k < sprintsPerBoard; k++ {
				sStart := maxTime(at, starts[k])
				work := sStart.Add(time.Duration(rng.Int64N(int64(5 * 24 * time.Hour))))
				if work.After(now) {
					break
				}
				if b.is.StatusID == sTodo {
					b.to(work, sProgress)
				}
				if rng.IntN(10) < 7 {
					done := work.Add(time.Duration(rng.Int64N(int64(7 * 24 * time.Hour))))
					if done.After(now) {
						break
					}
					b.to(done, sReview).to(done.Add(time.Hour), sDone)
					if rng.IntN(20) == 0 && done.Add(48*time.Hour).Before(now) { // reopened
						b.to(done.Add(48*time.Hour), sProgress)
						continue
					}
					if board.Columns[3].StatusIDs[len(board.Columns[3].StatusIDs)-1] == sReleased && done.Add(72*time.Hour).Before(now) {
						b.to(done.Add(72*time.Hour), sReleased)
					}
					break
				}
				if k+1 < sprintsPerBoard && starts[k+1].Add(-time.Hour).Before(now) {
					b.join(starts[k+1].Add(-time.Hour), ids[k+1])
				}
			}
			d.Issues = append(d.Issues, b.is)
			d.Changes[b.is.ID], d.SprintEvents[b.is.ID] = b.changes, b.events
		}
		out = append(out, d)
	}
	return out, now
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// TestSyntheticInvariants checks, on a generated site, relations every
// correct computation satisfies whatever the history.
func TestSyntheticInvariants(t *testing.T) {
	boards, now := synthBoards(7, 3, 400, 12)
	for _, d := range boards {
		r, err := Compute(d, Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Sprints) != 12 || !r.Sprints[11].Partial {
			t.Fatalf("board %d: %d sprints, last partial %v", d.Board.ID, len(r.Sprints), r.Sprints[len(r.Sprints)-1].Partial)
		}
		issues, doneIssues := 0, 0
		for _, k := range r.Sprints {
			if k.CommittedDone > k.Committed+eps || (k.SayDo != nil && (*k.SayDo < 0 || *k.SayDo > 1+eps)) {
				t.Errorf("sprint %d: committed done %v of %v", k.SprintID, k.CommittedDone, k.Committed)
			}
			if k.CommittedCount != len(k.ScopeAtStartKeys) || k.CompletedCount != len(k.CompletedKeys) ||
				k.AddedCount != len(k.AddedKeys) || k.RemovedCount != len(k.RemovedKeys) {
				t.Errorf("sprint %d: counts disagree with keys", k.SprintID)
			}
			// Every issue in the sprint at completion is done or unfinished;
			// the scope plus additions minus removals is exactly that.
			if got, want := k.CompletedCount+len(k.UnfinishedKeys), k.CommittedCount+k.AddedCount-k.RemovedCount; got != want {
				t.Errorf("sprint %d: done + unfinished = %d, scope + added − removed = %d", k.SprintID, got, want)
			}
			if len(k.CarryOver2PlusKeys) > len(k.CarryOverKeys) {
				t.Errorf("sprint %d: more 2+ carry-overs than carry-overs", k.SprintID)
			}
			issues += k.CommittedCount
		}
		for _, w := range r.Weeks {
			doneIssues += w.Throughput
			if w.CycleTime.Count+w.CycleExcluded != w.Throughput {
				t.Errorf("week %v: %d cycle times + %d excluded ≠ throughput %d", w.WeekStart, w.CycleTime.Count, w.CycleExcluded, w.Throughput)
			}
			if w.CycleTime.Count > 0 && !(w.CycleTime.P50 <= w.CycleTime.P85 && w.CycleTime.P85 <= w.CycleTime.P95) {
				t.Errorf("week %v: percentiles out of order %+v", w.WeekStart, w.CycleTime)
			}
			if len(w.AgeingWIP) > 10 || len(w.AgeingWIP) > w.WIP {
				t.Errorf("week %v: %d ageing items for WIP %d", w.WeekStart, len(w.AgeingWIP), w.WIP)
			}
		}
		if issues == 0 || doneIssues == 0 {
			t.Errorf("board %d: generator produced no sprint scope (%d) or no throughput (%d)", d.Board.ID, issues, doneIssues)
		}
		if _, err := json.Marshal(r); err != nil {
			t.Errorf("result does not marshal: %v", err)
		}
		// Recomputation is deterministic (the store relies on idempotence).
		r2, _ := Compute(d, Options{Now: now})
		a, _ := json.Marshal(r)
		b, _ := json.Marshal(r2)
		if string(a) != string(b) {
			t.Errorf("board %d: two computations differ", d.Board.ID)
		}
	}
}

// BenchmarkComputeAll computes every KPI for 100 boards × 1,000 issues ×
// 20 sprints: 100,000 issues and 2,000 sprints, built in memory once.
func BenchmarkComputeAll(b *testing.B) {
	boards, now := synthBoards(1, 100, 1000, 20)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, d := range boards {
			if _, err := Compute(d, Options{Now: now}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkComputeOneLargeBoard is the worst case for per-board work: one
// board of 100,000 issues and 2,000 sprints.
func BenchmarkComputeOneLargeBoard(b *testing.B) {
	boards, now := synthBoards(2, 1, 100000, 2000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Compute(boards[0], Options{Now: now}); err != nil {
			b.Fatal(err)
		}
	}
}
