package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/metrics"
)

// jira.sites[].statuses.ready and metrics.ready_labels reach the backlog's
// ready count. Backlog of three items in the week of Now:
//
//	B1 estimated, in To Do          ready by default (estimated), not under the rule
//	B2 unestimated, in Selected     ready under the rule (status Selected)
//	B3 unestimated, labelled groomed ready under the rule (label groomed)
//
// Without a ready rule 1 item is ready (B1); with it 2 (B2, B3).
func TestReadySettingsReachCompute(t *testing.T) {
	t0 := time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC)
	pts := func(v float64) *float64 { return &v }
	statuses := map[string]analyzer.Status{
		"1": {ID: "1", Name: "To Do", CategoryKey: analyzer.CategoryNew},
		"2": {ID: "2", Name: "Selected", CategoryKey: analyzer.CategoryNew},
		"5": {ID: "5", Name: "Done", CategoryKey: analyzer.CategoryDone},
	}
	d := metrics.BoardData{
		Board: analyzer.Board{ID: 1, Name: "Team", EstimationField: "customfield_10016", Columns: []analyzer.Column{
			{Name: "To Do", StatusIDs: []string{"1", "2"}}, {Name: "Done", StatusIDs: []string{"5"}}}},
		Statuses: statuses, Changes: map[int64][]analyzer.ChangeItem{}, SprintEvents: map[int64][]analyzer.SprintEvent{},
		Issues: []analyzer.Issue{
			{ID: 1, Key: "B1", Type: "Story", StatusID: "1", StatusCategory: analyzer.CategoryNew, Created: t0, Updated: t0, Estimate: pts(3), ChangelogComplete: true},
			{ID: 2, Key: "B2", Type: "Story", StatusID: "2", StatusCategory: analyzer.CategoryNew, Created: t0, Updated: t0, ChangelogComplete: true},
			{ID: 3, Key: "B3", Type: "Story", StatusID: "1", StatusCategory: analyzer.CategoryNew, Created: t0, Updated: t0, Labels: []string{"groomed"}, ChangelogComplete: true},
		},
	}
	ready := func(body string) int {
		t.Helper()
		p := filepath.Join(t.TempDir(), "analyzer.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(p, func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		opt := computeConfig(&Main{Config: cfg}).SiteOptions["acme"]
		opt.Now = t0.AddDate(0, 0, 3)
		r, err := metrics.Compute(d, opt)
		if err != nil {
			t.Fatal(err)
		}
		return r.Weeks[len(r.Weeks)-1].Backlog.Ready
	}
	site := "jira:\n  sites:\n    - id: acme\n      url: https://acme.example\n"
	if n := ready(site); n != 1 {
		t.Errorf("no ready rule: %d ready, want 1 (B1, the estimated one)", n)
	}
	if n := ready(site + "      statuses:\n        ready: [Selected]\nmetrics:\n  ready_labels: [groomed]\n"); n != 2 {
		t.Errorf("ready rule: %d ready, want 2 (B2 by status, B3 by label)", n)
	}
	if n := ready(site + "      statuses:\n        ready: [Selected]\n"); n != 1 {
		t.Errorf("ready status only: %d ready, want 1 (B2)", n)
	}
}
