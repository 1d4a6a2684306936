package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/pgtest"
	"github.com/backlog-health/analyzer/internal/report"
	"github.com/backlog-health/analyzer/internal/store"
)

// The history fixture: board 9 "Hermes" of site acme (UTC), story points,
// columns To Do [1] | Doing [3] | Done [10002]; status 5 "Blocked" (an
// in-progress category) is mapped to no column. Sprint 1 "Hermes 1" runs
// from Mon 2026-03-23 09:00 to Fri 2026-04-10 17:00. Four stories, created
// 2026-03-02 in sprint 1, 3, 5, 2 and 1 points:
//
//	H-1  In Progress Mar 23 10:00, Done Apr 1 10:00   | reopened Apr 20, Done again May 4 10:00
//	H-2  In Progress Mar 30 10:00, Done Apr 2 22:00   |
//	H-3  In Progress Mar 31 10:00                     | re-estimated 2 → 8 Apr 20, Done Jun 1
//	H-4  In Progress Mar 24 10:00, Blocked Apr 3 10:00 | In Progress Apr 15, Done Apr 17
//	H-5  —                                            | created May 10, no estimate, truncated changelog
//
// The left column is what the store holds in "April" (synced Tue Apr 7
// 08:00, sprint still active); the right one what it holds in "November"
// (sprint closed Apr 10). Week 2026-W14 is Mon Mar 30 – Sun Apr 5; at its
// end (Apr 6 00:00):
//
//   - throughput 2 (H-1 Apr 1, H-2 Apr 2); cycle times H-1 = Apr 1 − Mar 23
//     = 9 days, H-2 = Apr 2 22:00 − Mar 30 10:00 = 3.5 days; nearest-rank
//     p50 of [3.5, 9] is rank ⌈1⌉ = 3.5, p85 rank ⌈1.7⌉ = 2 → 9; mean 6.25,
//     6.3 at one decimal; WIP 2 (H-3 in progress, H-4 blocked);
//   - the scatter shows H-1 (9) and H-2 (3.5), both done in the charted weeks;
//   - data quality: 1 issue (H-4) in status 5, mapped to no column; no
//     truncated changelog (H-5 did not exist);
//   - sprint Hermes 1 is running: partial, committed 3+5+2+1 = 11.
//
// Today's data says otherwise: H-1's final done is May 4 (W14 throughput 1),
// H-2's cycle time is more than 26 weeks before November, H-4 is done and
// H-5 has a truncated changelog, and the sprint closed after W14. The W14
// report must show the first list whenever it is rendered.
func historyFixture(t *testing.T, s *store.Store, november bool) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	d := func(month time.Month, day, hour, min int) time.Time {
		return time.Date(2026, month, day, hour, min, 0, 0, time.UTC)
	}
	pts := func(f float64) *float64 { return &f }
	must(s.SiteUpsert(ctx, store.Site{ID: "acme", BaseURL: "https://acme.example", Flavor: analyzer.FlavorCloud}))
	must(s.StatusUpsertMany(ctx, "acme", []analyzer.Status{
		{ID: "1", Name: "To Do", CategoryKey: "new"}, {ID: "3", Name: "In Progress", CategoryKey: "indeterminate"},
		{ID: "5", Name: "Blocked", CategoryKey: "indeterminate"}, {ID: "10002", Name: "Done", CategoryKey: "done"},
	}))
	must(s.BoardUpsert(ctx, analyzer.Board{SiteID: "acme", ID: 9, Name: "Hermes", Type: "scrum",
		Columns: []analyzer.Column{{Name: "To Do", StatusIDs: []string{"1"}}, {Name: "Doing", StatusIDs: []string{"3"}},
			{Name: "Done", StatusIDs: []string{"10002"}}},
		EstimationField: "customfield_10016", EstimationSource: "board-configuration"}))
	start, end := d(3, 23, 9, 0), d(4, 10, 17, 0)
	sprint := analyzer.Sprint{SiteID: "acme", ID: 1, BoardID: 9, Name: "Hermes 1", State: "active", Goal: "Search", StartDate: &start, EndDate: &end}
	if november {
		sprint.State, sprint.CompleteDate = "closed", &end
	}
	must(s.SprintUpsertMany(ctx, []analyzer.Sprint{sprint}))

	names := map[string]string{"1": "To Do", "3": "In Progress", "5": "Blocked", "10002": "Done"}
	cats := map[string]string{"1": "new", "3": "indeterminate", "5": "indeterminate", "10002": "done"}
	hist := int64(100)
	var changes []analyzer.ChangeItem
	move := func(issue int64, at time.Time, from, to string) {
		hist++
		changes = append(changes, analyzer.ChangeItem{IssueID: issue, HistoryID: hist, At: at, Field: "status", FieldID: "status",
			FromValue: from, FromString: names[from], ToValue: to, ToString: names[to]})
	}
	issue := func(id int64, key string, est *float64, status string, updated time.Time) analyzer.Issue {
		is := analyzer.Issue{SiteID: "acme", ID: id, Key: key, ProjectKey: "H", Type: "Story", StatusID: status,
			StatusName: names[status], StatusCategory: cats[status], Estimate: est, SprintIDs: []int64{1},
			Created: d(3, 2, 10, 0), Updated: updated, ChangelogComplete: true}
		if status == "10002" {
			is.Resolved = &updated
		}
		return is
	}
	move(1, d(3, 23, 10, 0), "1", "3")
	move(1, d(4, 1, 10, 0), "3", "10002")
	move(2, d(3, 30, 10, 0), "1", "3")
	move(2, d(4, 2, 22, 0), "3", "10002")
	move(3, d(3, 31, 10, 0), "1", "3")
	move(4, d(3, 24, 10, 0), "1", "3")
	move(4, d(4, 3, 10, 0), "3", "5")
	issues := []analyzer.Issue{
		issue(1, "H-1", pts(3), "10002", d(4, 1, 10, 0)),
		issue(2, "H-2", pts(5), "10002", d(4, 2, 22, 0)),
		issue(3, "H-3", pts(2), "3", d(3, 31, 10, 0)),
		issue(4, "H-4", pts(1), "5", d(4, 3, 10, 0)),
	}
	watermark := d(4, 7, 8, 0)
	if november {
		move(1, d(4, 20, 10, 0), "10002", "3")
		move(1, d(5, 4, 10, 0), "3", "10002")
		hist++
		changes = append(changes, analyzer.ChangeItem{IssueID: 3, HistoryID: hist, At: d(4, 20, 10, 0), Field: "Story Points",
			FieldID: "customfield_10016", FromString: "2", ToString: "8"})
		move(3, d(6, 1, 10, 0), "3", "10002")
		move(4, d(4, 15, 10, 0), "5", "3")
		move(4, d(4, 17, 10, 0), "3", "10002")
		issues[0] = issue(1, "H-1", pts(3), "10002", d(5, 4, 10, 0))
		issues[2] = issue(3, "H-3", pts(8), "10002", d(6, 1, 10, 0))
		issues[3] = issue(4, "H-4", pts(1), "10002", d(4, 17, 10, 0))
		h5 := issue(5, "H-5", nil, "1", d(5, 10, 10, 0))
		h5.Created, h5.SprintIDs, h5.ChangelogComplete = d(5, 10, 10, 0), nil, false
		issues = append(issues, h5)
		watermark = d(11, 2, 8, 0)
	}
	must(s.IssueUpsertMany(ctx, store.IssueBatch{SiteID: "acme", BoardID: 9, Issues: issues, Changes: changes,
		State: &store.SyncState{SiteID: "acme", BoardID: 9, Watermark: &watermark}}))
}

// reportJSON computes the KPIs at computeAt and renders the report of
// 2026-W14 at renderAt as JSON, without generated_at and data_as_of (which
// say when and from what sync it was made).
func reportJSON(t *testing.T, m *Main, s *store.Store, computeAt, renderAt time.Time) (string, map[string]any) {
	t.Helper()
	ctx := context.Background()
	cc := computeConfig(m)
	cc.Now = func() time.Time { return computeAt }
	if _, err := compute.RunOnce(ctx, s, cc); err != nil {
		t.Fatal(err)
	}
	r, err := m.buildReport(ctx, s, report.ISOWeek{Year: 2026, Week: 14}, 0, renderAt)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.RenderJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "generated_at")
	delete(doc, "data_as_of")
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b), doc["teams"].([]any)[0].(map[string]any)
}

func historyMain(t *testing.T) (*Main, *store.Store) {
	t.Helper()
	m, _, _, err := newTestMain(t, map[string]string{"DATABASE_URL": pgtest.NewDatabase(t), "ANALYZER_REPORT_TIME_ZONE": "UTC"}, "report")
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

func TestReportForPastWeekShowsThatWeek(t *testing.T) {
	// April: computed the day after W14 ended, from the data of then.
	mA, sA := historyMain(t)
	historyFixture(t, sA, false)
	april, teamA := reportJSON(t, mA, sA, time.Date(2026, 4, 7, 9, 0, 0, 0, time.UTC), time.Date(2026, 4, 7, 9, 5, 0, 0, time.UTC))

	// November: computed for the first time from today's data.
	mB, sB := historyMain(t)
	historyFixture(t, sB, true)
	november, team := reportJSON(t, mB, sB, time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 12, 5, 0, 0, time.UTC))

	for name, tm := range map[string]map[string]any{"april": teamA, "november": team} {
		if tm["throughput"] != 2.0 || tm["wip"] != 2.0 {
			t.Errorf("%s: W14 throughput %v, WIP %v; want 2 and 2", name, tm["throughput"], tm["wip"])
		}
		ct := tm["cycle_time_days"].(map[string]any)
		if ct["count"] != 2.0 || ct["p50"] != 3.5 || ct["p85"] != 9.0 || ct["mean"] != 6.3 {
			t.Errorf("%s: W14 cycle time %v; want count 2, p50 3.5, p85 9, mean 6.3", name, ct)
		}
		var scatter []string
		for _, c := range tm["cycle_times"].([]any) {
			c := c.(map[string]any)
			scatter = append(scatter, c["key"].(string)+" "+c["done"].(string)+" "+jsonNum(c["cycle_days"]))
		}
		if len(scatter) != 2 || scatter[0] != "H-1 2026-04-01 9" || scatter[1] != "H-2 2026-04-02 3.5" {
			t.Errorf("%s: scatter %q; want H-1 (9 days) and H-2 (3.5 days)", name, scatter)
		}
		dq := tm["data_quality"].(map[string]any)
		if dq["unmapped_status_issues"] != 1.0 || dq["changelog_incomplete"] != 0.0 {
			t.Errorf("%s: data quality %v; want 1 unmapped-status issue and no truncated changelog", name, dq)
		}
		sprints := tm["sprints"].([]any)
		if len(sprints) != 1 || sprints[0].(map[string]any)["partial"] != true || sprints[0].(map[string]any)["committed_points"] != 11.0 {
			t.Errorf("%s: sprints %v; want Hermes 1 running (partial), 11 points committed", name, sprints)
		}
	}
	if april != november {
		t.Errorf("the W14 report differs between April and November:\napril:\n%s\nnovember:\n%s", april, november)
	}

	// Rendered again in December, after another issue arrived and another
	// computation: the same report.
	ctx := context.Background()
	created := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	watermark := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	if err := sB.IssueUpsertMany(ctx, store.IssueBatch{SiteID: "acme", BoardID: 9, Issues: []analyzer.Issue{{SiteID: "acme", ID: 6, Key: "H-6",
		ProjectKey: "H", Type: "Story", StatusID: "1", StatusName: "To Do", StatusCategory: "new", Created: created, Updated: created, ChangelogComplete: true}},
		State: &store.SyncState{SiteID: "acme", BoardID: 9, Watermark: &watermark}}); err != nil {
		t.Fatal(err)
	}
	december, _ := reportJSON(t, mB, sB, time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 12, 5, 0, 0, time.UTC))
	if december != november {
		t.Errorf("the W14 report changed between November and December:\nnovember:\n%s\ndecember:\n%s", november, december)
	}
}

func jsonNum(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// metrics.history_weeks and metrics.scatter_weeks reach compute. On the
// November fixture computed Monday 2026-11-02 12:00 (W45):
//
//   - history_weeks 4: weekly KPIs from W41 (4 weeks before W45) to W45 = 5
//     rows, snapshots of the completed weeks W41–W44 = 4 rows, and no
//     snapshot for W14 any more (its report has no team);
//   - scatter_weeks: the latest snapshot keeps the issues done in the last N
//     weeks. With the default 26 (since Mon May 4 12:00) that is H-3 (done
//     Jun 1); H-1 (May 4 10:00) is two hours too old. With 18 (since Jun 29
//     12:00) none.
func TestHistoryRetentionSettings(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		env          map[string]string
		weeks, snaps int
		scatter      []string
		w14          bool
	}{
		{map[string]string{}, 0, 0, []string{"H-3"}, true},
		{map[string]string{"ANALYZER_METRICS_HISTORY_WEEKS": "4", "ANALYZER_METRICS_SCATTER_WEEKS": "18"}, 5, 4, nil, false},
	} {
		env := map[string]string{"DATABASE_URL": pgtest.NewDatabase(t), "ANALYZER_REPORT_TIME_ZONE": "UTC"}
		for k, v := range tc.env {
			env[k] = v
		}
		m, _, _, err := newTestMain(t, env, "compute")
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.Store(ctx)
		if err != nil {
			t.Fatal(err)
		}
		historyFixture(t, s, true)
		cc := computeConfig(m)
		cc.Now = func() time.Time { return now }
		if _, err := compute.RunOnce(ctx, s, cc); err != nil {
			t.Fatal(err)
		}
		var weeks, snaps int
		if err := s.DB().GetContext(ctx, &weeks, `SELECT count(*) FROM kpi_week`); err != nil {
			t.Fatal(err)
		}
		if err := s.DB().GetContext(ctx, &snaps, `SELECT count(*) FROM kpi_board_week`); err != nil {
			t.Fatal(err)
		}
		if tc.weeks == 0 {
			// Default 156 weeks reach back past the first issue (W10): W10–W45
			// weekly rows (36) and W10–W44 snapshots (35).
			tc.weeks, tc.snaps = 36, 35
		}
		if weeks != tc.weeks || snaps != tc.snaps {
			t.Errorf("%v: %d weekly rows and %d week snapshots, want %d and %d", tc.env, weeks, snaps, tc.weeks, tc.snaps)
		}
		b, err := compute.ReadBoard(ctx, s, "acme", 9, now, now.AddDate(0, 0, 7))
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, c := range b.Snapshot.Cycles {
			keys = append(keys, c.Key)
		}
		if !slices.Equal(keys, tc.scatter) {
			t.Errorf("%v: latest scatter %v, want %v", tc.env, keys, tc.scatter)
		}
		r, err := m.buildReport(ctx, s, report.ISOWeek{Year: 2026, Week: 14}, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(r.Teams) == 1; got != tc.w14 {
			t.Errorf("%v: W14 report has %d teams, want the team: %v", tc.env, len(r.Teams), tc.w14)
		}
	}
}
