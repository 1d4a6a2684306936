package compute_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/metrics"
	"github.com/backlog-health/analyzer/internal/pgtest"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func at(day, hour int) time.Time { return time.Date(2026, 10, day, hour, 0, 0, 0, time.UTC) }
func pts(f float64) *float64     { return &f }

// seed stores one board with one closed sprint (Oct 5 09:00 → Oct 16 17:00):
//
//	A-1  5 pts  in the sprint from creation; In Progress Oct 6, Done Oct 8
//	A-2  3 pts  in the sprint from creation; never started
//	A-3  2 pts  added to the sprint Oct 7; In Progress Oct 7, Done Oct 9
func seed(t *testing.T, s *store.Store, estimationField string) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.SiteUpsert(ctx, store.Site{ID: "acme", BaseURL: "https://acme.example", Flavor: analyzer.FlavorCloud}))
	must(s.StatusUpsertMany(ctx, "acme", []analyzer.Status{
		{ID: "1", Name: "To Do", CategoryKey: "new"}, {ID: "3", Name: "In Progress", CategoryKey: "indeterminate"},
		{ID: "10002", Name: "Done", CategoryKey: "done"},
	}))
	must(s.BoardUpsert(ctx, analyzer.Board{SiteID: "acme", ID: 7, Name: "Apollo", Type: "scrum",
		Columns:         []analyzer.Column{{Name: "To Do", StatusIDs: []string{"1"}}, {Name: "Doing", StatusIDs: []string{"3"}}, {Name: "Done", StatusIDs: []string{"10002"}}},
		EstimationField: estimationField, EstimationSource: "board-configuration"}))
	start, end := at(5, 9), at(16, 17)
	must(s.SprintUpsertMany(ctx, []analyzer.Sprint{{SiteID: "acme", ID: 4, BoardID: 7, Name: "Apollo 4", State: "closed", Goal: "SSO", StartDate: &start, EndDate: &end, CompleteDate: &end}}))
	status := func(issue, hist int64, when time.Time, from, fromName, to, toName string) analyzer.ChangeItem {
		return analyzer.ChangeItem{IssueID: issue, HistoryID: hist, At: when, Field: "status", FieldID: "status", FromValue: from, FromString: fromName, ToValue: to, ToString: toName}
	}
	issue := func(id int64, key string, est float64, statusID, statusName, cat string) analyzer.Issue {
		return analyzer.Issue{SiteID: "acme", ID: id, Key: key, ProjectKey: "A", Type: "Story", StatusID: statusID, StatusName: statusName,
			StatusCategory: cat, Estimate: pts(est), SprintIDs: []int64{4}, Created: at(1, 10), Updated: at(9, 12), ChangelogComplete: true}
	}
	must(s.IssueUpsertMany(ctx, store.IssueBatch{SiteID: "acme", BoardID: 7,
		Issues: []analyzer.Issue{
			issue(1, "A-1", 5, "10002", "Done", "done"),
			issue(2, "A-2", 3, "1", "To Do", "new"),
			issue(3, "A-3", 2, "10002", "Done", "done"),
		},
		Changes: []analyzer.ChangeItem{
			status(1, 11, at(6, 10), "1", "To Do", "3", "In Progress"),
			status(1, 12, at(8, 10), "3", "In Progress", "10002", "Done"),
			{IssueID: 3, HistoryID: 30, At: at(7, 9), Field: "Sprint", FieldID: "customfield_10020", FromValue: "", ToValue: "4", ToString: "Apollo 4"},
			status(3, 31, at(7, 10), "1", "To Do", "3", "In Progress"),
			status(3, 32, at(9, 10), "3", "In Progress", "10002", "Done"),
		},
		SprintEvents: []analyzer.SprintEvent{{IssueID: 3, SprintID: 4, At: at(7, 9), Added: true}},
	}))
}

func sprintKPI(t *testing.T, s *store.Store) metrics.SprintKPI {
	t.Helper()
	snaps, err := s.KPISprintList(context.Background(), "acme", 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 1 || snaps[0].SprintID != 4 || snaps[0].DefinitionVersion != metrics.DefinitionVersion {
		t.Fatalf("sprint snapshots: %+v", snaps)
	}
	var k metrics.SprintKPI
	if err := json.Unmarshal(snaps[0].Data, &k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestComputeFromStore(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	seed(t, s, "customfield_10016")
	cfg := compute.Config{Now: func() time.Time { return at(20, 12) }}
	res, err := compute.RunOnce(ctx, s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Boards != 1 || res.Issues != 3 || res.SprintSnapshots != 1 || res.WeekSnapshots == 0 {
		t.Fatalf("result: %+v", res)
	}
	k := sprintKPI(t, s)
	// Committed: A-1 (5) + A-2 (3) = 8, in the sprint at its start.
	// Completed: A-1 (5) + A-3 (2, added Oct 7) done at completion = 7.
	// Say/do: committed and done = A-1 = 5; 5 / 8 = 0.625. Added: A-3, 2 points.
	if k.Committed != 8 || k.Completed != 7 || k.Added != 2 || k.AddedCount != 1 || k.SayDo == nil || *k.SayDo != 0.625 {
		t.Fatalf("sprint KPI: committed %v completed %v added %v (%d) say/do %v", k.Committed, k.Completed, k.Added, k.AddedCount, k.SayDo)
	}
	if k.Unit != metrics.UnitPoints {
		t.Fatalf("unit %q, want points", k.Unit)
	}
	// The board snapshot carries the cycle times for the report's scatter:
	// A-1 (In Progress Oct 6 10:00 → Done Oct 8 10:00 = 2 days) and
	// A-3 (Oct 7 10:00 → Oct 9 10:00 = 2 days).
	bs, err := s.KPIBoardGet(ctx, "acme", 7)
	if err != nil {
		t.Fatal(err)
	}
	var snap compute.BoardSnapshot
	if err := json.Unmarshal(bs.Data, &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Cycles) != 2 || *snap.Cycles[0].CycleDays != 2 || *snap.Cycles[1].CycleDays != 2 || snap.BoardName != "Apollo" || snap.Unit != metrics.UnitPoints {
		t.Fatalf("board snapshot: %+v", snap)
	}

	// Recomputing replaces, never duplicates.
	var weeksBefore int
	_ = s.DB().GetContext(ctx, &weeksBefore, `SELECT count(*) FROM kpi_week`)
	if _, err := compute.RunOnce(ctx, s, cfg); err != nil {
		t.Fatal(err)
	}
	var sprintsAfter, weeksAfter int
	_ = s.DB().GetContext(ctx, &sprintsAfter, `SELECT count(*) FROM kpi_sprint`)
	_ = s.DB().GetContext(ctx, &weeksAfter, `SELECT count(*) FROM kpi_week`)
	if sprintsAfter != 1 || weeksAfter != weeksBefore {
		t.Fatalf("recompute: %d sprint rows (want 1), %d week rows (want %d)", sprintsAfter, weeksAfter, weeksBefore)
	}
}

// Without an estimation field velocity is counted in issues and said so,
// never a silent zero.
func TestComputeWithoutEstimationField(t *testing.T) {
	s := storetest.MustOpen(t)
	seed(t, s, "")
	res, err := compute.RunOnce(context.Background(), s, compute.Config{Now: func() time.Time { return at(20, 12) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 {
		t.Fatalf("warnings: %v, want one about the estimation field", res.Warnings)
	}
	k := sprintKPI(t, s)
	// Issues instead of points: committed A-1, A-2 = 2; completed A-1, A-3 = 2.
	if k.Unit != metrics.UnitIssues || k.Committed != 2 || k.Completed != 2 {
		t.Fatalf("unit %q committed %v completed %v; want issues, 2, 2", k.Unit, k.Committed, k.Completed)
	}
	var weekData json.RawMessage
	_ = s.DB().GetContext(context.Background(), &weekData, `SELECT data FROM kpi_week ORDER BY week_start DESC LIMIT 1`)
	var w metrics.WeekKPI
	if err := json.Unmarshal(weekData, &w); err != nil || !w.DataQuality.EstimationFieldMissing {
		t.Fatalf("week data quality does not flag the missing field: %+v %v", w.DataQuality, err)
	}
}
