package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/metrics"
)

// TestMetricsSettingsReachCompute: every metrics setting and the site's
// status categories go from the YAML file through computeConfig to the
// figures metrics computes.
func TestMetricsSettingsReachCompute(t *testing.T) {
	p := filepath.Join(t.TempDir(), "analyzer.yaml")
	body := `
jira:
  sites:
    - id: acme
      url: https://acme.example
      statuses:
        categories:
          In Review: done
metrics:
  stale_days: 10
  velocity_windows: [1]
  flow_exclude_types: []
  include_subtasks: true
`
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg}
	opt := computeConfig(m).SiteOptions["acme"]

	// The board's workflow: To Do (1) → In Progress (3) → In Review (4) →
	// Done (5); t0 is Monday 2024-01-08 09:00 UTC, Now is day 20.
	t0 := time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	opt.Now = day(20)
	statuses := map[string]analyzer.Status{
		"1": {ID: "1", Name: "To Do", CategoryKey: analyzer.CategoryNew},
		"3": {ID: "3", Name: "In Progress", CategoryKey: analyzer.CategoryInProgress},
		"4": {ID: "4", Name: "In Review", CategoryKey: analyzer.CategoryInProgress},
		"5": {ID: "5", Name: "Done", CategoryKey: analyzer.CategoryDone},
	}
	d := metrics.BoardData{
		Board: analyzer.Board{ID: 1, Name: "Team", EstimationField: "customfield_10016", Columns: []analyzer.Column{
			{Name: "To Do", StatusIDs: []string{"1"}}, {Name: "In Progress", StatusIDs: []string{"3"}},
			{Name: "Review", StatusIDs: []string{"4"}}, {Name: "Done", StatusIDs: []string{"5"}}}},
		Statuses:     statuses,
		Changes:      map[int64][]analyzer.ChangeItem{},
		SprintEvents: map[int64][]analyzer.SprintEvent{},
	}
	pts := func(v float64) *float64 { return &v }
	var hist int64
	issue := func(id int64, key, typ string, created time.Time, est *float64, moves ...any) *analyzer.Issue {
		is := analyzer.Issue{ID: id, Key: key, Type: typ, Subtask: typ == "Sub-task", StatusID: "1",
			Created: created, Updated: created, Estimate: est, ChangelogComplete: true}
		for i := 0; i < len(moves); i += 2 {
			at, to := moves[i].(time.Time), moves[i+1].(string)
			hist++
			d.Changes[id] = append(d.Changes[id], analyzer.ChangeItem{IssueID: id, HistoryID: hist, At: at,
				Field: "status", FieldID: "status", FromValue: is.StatusID, ToValue: to})
			is.StatusID, is.StatusCategory, is.Updated = to, statuses[to].CategoryKey, at
		}
		d.Issues = append(d.Issues, is)
		return &d.Issues[len(d.Issues)-1]
	}
	// A: In Progress day 1, In Review day 2, Done day 4. "In Review" is done
	// by configuration: cycle time 1 day, not 3.
	issue(1, "A", "Story", day(0), pts(1), day(1), "3", day(2), "4", day(4), "5")
	// EP, an epic, and S, a sub-task, in progress since day 1: flow items
	// only because flow_exclude_types is [] and include_subtasks true.
	issue(2, "EP", "Epic", day(0), nil, day(1), "3")
	issue(3, "S", "Sub-task", day(0), nil, day(1), "3")
	// B: a backlog item untouched since day −30: stale after 10 days, not
	// after the default 90.
	issue(4, "B", "Story", day(-30), pts(1))
	// Two closed sprints completing 2 and then 4 points: the only window, 1
	// sprint, averages 4 (the default windows 3 and 7 would give 3).
	sprint := func(id int64, start time.Time) {
		end := start.AddDate(0, 0, 14)
		d.Sprints = append(d.Sprints, analyzer.Sprint{ID: id, BoardID: 1, State: analyzer.SprintClosed,
			StartDate: &start, EndDate: &end, CompleteDate: &end})
	}
	sprint(1, day(-28))
	sprint(2, day(-14))
	issue(5, "V-1", "Story", day(-30), pts(2), day(-20), "5").SprintIDs = []int64{1}
	issue(6, "V-2", "Story", day(-30), pts(4), day(-5), "5").SprintIDs = []int64{2}

	r, err := metrics.Compute(d, opt)
	if err != nil {
		t.Fatal(err)
	}
	var a *metrics.IssueCycle
	for i := range r.CycleTimes {
		if r.CycleTimes[i].Key == "A" {
			a = &r.CycleTimes[i]
		}
	}
	if a == nil || a.CycleDays == nil || *a.CycleDays != 1 {
		t.Errorf("A's cycle = %+v, want 1 day (In Review is done)", a)
	}
	last := r.Weeks[len(r.Weeks)-1] // the week of Now (day 20)
	if last.WIP != 2 || last.Backlog.Items != 1 || last.Backlog.Stale != 1 {
		t.Errorf("week of Now: WIP %d, backlog %d items, %d stale; want EP and S in progress, B stale",
			last.WIP, last.Backlog.Items, last.Backlog.Stale)
	}
	if want := []metrics.VelocityAverage{{Window: 1, Sprints: 1, Value: 4}}; !reflect.DeepEqual(r.Summary.VelocityAverages, want) {
		t.Errorf("velocity averages %+v, want %+v", r.Summary.VelocityAverages, want)
	}
}
