package metrics

import (
	"strconv"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

// Hand-built histories. The workflow is To Do (1, new) → In Progress (3) →
// In Review (4) → Done (5, done), plus Released (6, done) and an unmapped
// status Blocked (7, indeterminate) that no board column shows.
const (
	sTodo     = "1"
	sProgress = "3"
	sReview   = "4"
	sDone     = "5"
	sReleased = "6"
	sBlocked  = "7"
)

// t0 is Monday 2024-01-08 09:00 UTC (ISO week 2024-W02).
var t0 = time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC)

// day returns t0 plus n days (n may be fractional via hours()).
func day(n int) time.Time { return t0.AddDate(0, 0, n) }

func hours(t time.Time, h int) time.Time { return t.Add(time.Duration(h) * time.Hour) }

func pts(v float64) *float64 { return &v }

func testStatuses() map[string]analyzer.Status {
	return map[string]analyzer.Status{
		sTodo:     {ID: sTodo, Name: "To Do", CategoryKey: analyzer.CategoryNew},
		sProgress: {ID: sProgress, Name: "In Progress", CategoryKey: analyzer.CategoryInProgress},
		sReview:   {ID: sReview, Name: "In Review", CategoryKey: analyzer.CategoryInProgress},
		sDone:     {ID: sDone, Name: "Done", CategoryKey: analyzer.CategoryDone},
		sReleased: {ID: sReleased, Name: "Released", CategoryKey: analyzer.CategoryDone},
		sBlocked:  {ID: sBlocked, Name: "Blocked", CategoryKey: analyzer.CategoryInProgress},
	}
}

const pointsField = "customfield_10016"

func testBoard(doneStatuses ...string) analyzer.Board {
	if len(doneStatuses) == 0 {
		doneStatuses = []string{sDone}
	}
	return analyzer.Board{
		ID: 1, Name: "Team", Type: "scrum", ProjectKey: "T",
		Columns: []analyzer.Column{
			{Name: "To Do", StatusIDs: []string{sTodo}},
			{Name: "In Progress", StatusIDs: []string{sProgress}},
			{Name: "Review", StatusIDs: []string{sReview}},
			{Name: "Done", StatusIDs: doneStatuses},
		},
		EstimationField: pointsField,
	}
}

// fx builds a BoardData.
type fx struct {
	board   analyzer.Board
	sprints []analyzer.Sprint
	issues  []*ib
	multi   map[int64]bool
}

func newFx(b analyzer.Board) *fx { return &fx{board: b, multi: map[int64]bool{}} }

// ib builds one issue: its changelog and sprint events, keeping the current
// state in step.
type ib struct {
	is      analyzer.Issue
	changes []analyzer.ChangeItem
	events  []analyzer.SprintEvent
	hist    int64
}

func (f *fx) sprint(id int64, start time.Time, complete *time.Time) *fx {
	s := analyzer.Sprint{ID: id, BoardID: f.board.ID, Name: "Sprint " + strconv.FormatInt(id, 10),
		State: analyzer.SprintClosed, StartDate: &start, Goal: "goal " + strconv.FormatInt(id, 10)}
	end := start.AddDate(0, 0, 14)
	s.EndDate = &end
	if complete == nil {
		s.State = analyzer.SprintActive
	} else {
		s.CompleteDate = complete
	}
	f.sprints = append(f.sprints, s)
	return f
}

func tp(t time.Time) *time.Time { return &t }

// issue adds an issue created at created in To Do with estimate est (nil:
// unestimated).
func (f *fx) issue(key, typ string, created time.Time, est *float64) *ib {
	b := &ib{is: analyzer.Issue{
		ID: int64(1000 + len(f.issues)), Key: key, ProjectKey: "T", Type: typ,
		StatusID: sTodo, StatusCategory: analyzer.CategoryNew, Created: created, Updated: created,
		Estimate: est, ChangelogComplete: true,
	}}
	f.issues = append(f.issues, b)
	return b
}

func (b *ib) item(at time.Time, field, fieldID, from, fromS, to, toS string) {
	b.hist++
	b.changes = append(b.changes, analyzer.ChangeItem{
		IssueID: b.is.ID, HistoryID: b.is.ID*1000 + b.hist, At: at, Field: field, FieldID: fieldID,
		FromValue: from, FromString: fromS, ToValue: to, ToString: toS,
	})
	if at.After(b.is.Updated) {
		b.is.Updated = at
	}
}

// to transitions the issue to status at time at.
func (b *ib) to(at time.Time, status string) *ib {
	st := testStatuses()
	b.item(at, "status", "status", b.is.StatusID, st[b.is.StatusID].Name, status, st[status].Name)
	b.is.StatusID, b.is.StatusName, b.is.StatusCategory = status, st[status].Name, st[status].CategoryKey
	return b
}

func fmtEst(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// estimate changes the estimate at time at (nil: cleared).
func (b *ib) estimate(at time.Time, v *float64) *ib {
	b.item(at, "Story Points", pointsField, "", fmtEst(b.is.Estimate), "", fmtEst(v))
	b.is.Estimate = v
	return b
}

// join adds the issue to a sprint at time at (a Sprint changelog item).
func (b *ib) join(at time.Time, sprint int64) *ib {
	b.events = append(b.events, analyzer.SprintEvent{IssueID: b.is.ID, SprintID: sprint, At: at, Added: true})
	b.is.SprintIDs = append(b.is.SprintIDs, sprint)
	return b
}

// leave removes the issue from a sprint at time at.
func (b *ib) leave(at time.Time, sprint int64) *ib {
	b.events = append(b.events, analyzer.SprintEvent{IssueID: b.is.ID, SprintID: sprint, At: at, Added: false})
	ids := b.is.SprintIDs[:0]
	for _, id := range b.is.SprintIDs {
		if id != sprint {
			ids = append(ids, id)
		}
	}
	b.is.SprintIDs = ids
	return b
}

// in puts the issue in a sprint since creation (created into it: no event).
func (b *ib) in(sprint int64) *ib {
	b.is.SprintIDs = append(b.is.SprintIDs, sprint)
	return b
}

func (b *ib) labels(l ...string) *ib   { b.is.Labels = l; return b }
func (b *ib) subtask() *ib             { b.is.Subtask = true; return b }
func (b *ib) truncated() *ib           { b.is.ChangelogComplete = false; return b }
func (b *ib) env(e string) *ib         { b.is.Environment = e; return b }
func (b *ib) resolved(t time.Time) *ib { b.is.Resolved = &t; return b }

func (f *fx) data() BoardData {
	d := BoardData{
		Board: f.board, Statuses: testStatuses(), Sprints: f.sprints,
		Changes: map[int64][]analyzer.ChangeItem{}, SprintEvents: map[int64][]analyzer.SprintEvent{},
		MultiBoardIssueIDs: f.multi,
	}
	for _, b := range f.issues {
		d.Issues = append(d.Issues, b.is)
		if len(b.changes) > 0 {
			d.Changes[b.is.ID] = b.changes
		}
		if len(b.events) > 0 {
			d.SprintEvents[b.is.ID] = b.events
		}
	}
	return d
}

func mustCompute(t testing.TB, f *fx, opt Options) Result {
	t.Helper()
	if opt.Now.IsZero() {
		opt.Now = day(60)
	}
	r, err := Compute(f.data(), opt)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	return r
}

func sprintByID(t testing.TB, r Result, id int64) SprintKPI {
	t.Helper()
	for _, s := range r.Sprints {
		if s.SprintID == id {
			return s
		}
	}
	t.Fatalf("sprint %d not computed", id)
	return SprintKPI{}
}

func weekOfT(t testing.TB, r Result, at time.Time, loc *time.Location) WeekKPI {
	t.Helper()
	ws := WeekStart(at, loc)
	for _, w := range r.Weeks {
		if w.WeekStart.Equal(ws) {
			return w
		}
	}
	t.Fatalf("week of %v not computed", at)
	return WeekKPI{}
}

const eps = 1e-9

func near(a, b float64) bool { d := a - b; return d < eps && d > -eps }

func ptrEq(p *float64, want float64) bool { return p != nil && near(*p, want) }

func futureSprint(id int64, start time.Time) analyzer.Sprint {
	return analyzer.Sprint{ID: id, BoardID: 1, Name: "Future", State: analyzer.SprintFuture, StartDate: &start}
}
