package jira

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

// realDir is /work/shared/testdata/real seen from internal/jira.
const realDir = "../../../shared/testdata/real"

func requireReal(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(realDir, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("real recorded Jira data not present at %s (%v); skipping", p, err)
	}
	return p
}

func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			if i < len(rec) {
				m[h] = rec[i]
			}
		}
		out = append(out, m)
	}
	return out
}

type parseTally struct {
	issues    []analyzer.Issue
	items     []analyzer.ChangeItem
	warnings  []error
	errors    []error
	histories map[int64]bool
}

func parseAll(raws []RawIssue, opts ParseOptions) parseTally {
	tally := parseTally{histories: map[int64]bool{}}
	for _, raw := range raws {
		is, items, warns, err := ParseIssue(raw, opts)
		if err != nil {
			tally.errors = append(tally.errors, err)
			continue
		}
		tally.issues = append(tally.issues, is)
		tally.items = append(tally.items, items...)
		tally.warnings = append(tally.warnings, warns...)
		for _, it := range items {
			tally.histories[it.HistoryID] = true
		}
	}
	return tally
}

func countField(items []analyzer.ChangeItem, field string) int {
	n := 0
	for _, it := range items {
		if it.Field == field {
			n++
		}
	}
	return n
}

// TestDevLakeCloudIssues serves DevLake's 33 recorded merico.atlassian.net
// issues through a fake /rest/api/3/search/jql (pages of 10), parses every
// one and compares with DevLake's own expected domain table issues.csv.
func TestDevLakeCloudIssues(t *testing.T) {
	base := requireReal(t, "devlake-jira-e2e/backend/plugins/jira/e2e")
	var raws []json.RawMessage
	for _, row := range readCSV(t, filepath.Join(base, "raw_tables/_raw_jira_api_issues.csv")) {
		raws = append(raws, json.RawMessage(row["data"]))
	}
	if len(raws) != 33 {
		t.Fatalf("raw issues = %d, want 33 (SOURCE.md)", len(raws))
	}

	c, mux, _ := setup(t, analyzer.FlavorCloud)
	var seen []*http.Request
	serveSearchJQL(t, mux, raws, 10, &seen)
	opts := ParseOptions{SiteID: "merico", EstimationField: "customfield_10024", SprintField: "customfield_10020", EpicLinkField: "customfield_10014"}
	var fetched []RawIssue
	for raw, err := range c.SearchIssues(context.Background(), "project in (EE, K5) ORDER BY created", SearchOptions{Fields: opts.Fields(), Expand: []string{"changelog"}}) {
		if err != nil {
			t.Fatal(err)
		}
		fetched = append(fetched, raw)
	}
	// 33 issues in pages of 10: 4 requests.
	if len(fetched) != 33 || len(seen) != 4 {
		t.Fatalf("fetched %d issues in %d requests, want 33 in 4", len(fetched), len(seen))
	}

	tally := parseAll(fetched, opts)
	if len(tally.errors) != 0 {
		t.Fatalf("parse errors: %v", tally.errors)
	}
	t.Logf("DevLake: %d issues, %d change items, %d warnings", len(tally.issues), len(tally.items), len(tally.warnings))
	for _, w := range tally.warnings {
		t.Logf("warning: %v", w)
	}
	// Counted from the CSV (SOURCE.md and a one-off script): 522 histories
	// holding 714 items, 165 of them status and 21 Sprint items; no
	// changelog is truncated (total = len(histories) for every issue).
	if len(tally.histories) != 522 || len(tally.items) != 714 {
		t.Errorf("histories %d items %d, want 522 and 714", len(tally.histories), len(tally.items))
	}
	if n := countField(tally.items, "status"); n != 165 {
		t.Errorf("status items = %d, want 165", n)
	}
	// The 21 Sprint items add 18 memberships and remove 5 (from/to id sets).
	added, removed := 0, 0
	for _, ev := range SprintEvents(tally.items, KnownFields{Sprint: "customfield_10020"}.SprintFieldMatchers()) {
		if ev.Added {
			added++
		} else {
			removed++
		}
	}
	if added != 18 || removed != 5 {
		t.Errorf("sprint events +%d −%d, want +18 −5", added, removed)
	}

	byKey := map[string]analyzer.Issue{}
	for _, is := range tally.issues {
		if !is.ChangelogComplete {
			t.Errorf("%s: changelog marked incomplete", is.Key)
		}
		byKey[is.Key] = is
	}
	// Story points: only EE-1 (the string "-1") and EE-2 (2.0) have one.
	if e := byKey["EE-1"].Estimate; e == nil || *e != -1 {
		t.Errorf("EE-1 estimate = %v, want -1", e)
	}
	if e := byKey["EE-2"].Estimate; e == nil || *e != 2 {
		t.Errorf("EE-2 estimate = %v, want 2", e)
	}
	if byKey["EE-25"].ParentKey != "EE-1" || !byKey["EE-25"].Subtask {
		t.Errorf("EE-25 parent %q subtask %v, want EE-1 sub-task", byKey["EE-25"].ParentKey, byKey["EE-25"].Subtask)
	}
	if byKey["K5-2"].EpicKey != "K5-1" || byKey["K5-2"].ParentKey != "" {
		t.Errorf("K5-2 epic %q parent %q, want epic K5-1", byKey["K5-2"].EpicKey, byKey["K5-2"].ParentKey)
	}
	// EE-17 moved 7 → 9 → out → 9 → 17 and is now in sprint 17.
	if got := byKey["EE-17"].SprintIDs; len(got) != 1 || got[0] != 17 {
		t.Errorf("EE-17 sprints = %v, want [17]", got)
	}

	// DevLake's expected domain table: the 30 EE issues of board 8.
	expected := readCSV(t, filepath.Join(base, "snapshot_tables/issues.csv"))
	if len(expected) != 30 {
		t.Fatalf("issues.csv rows = %d, want 30", len(expected))
	}
	for _, row := range expected {
		is, ok := byKey[row["issue_key"]]
		if !ok {
			t.Errorf("%s: in DevLake's table, not parsed", row["issue_key"])
			continue
		}
		if is.Type != row["original_type"] || is.StatusName != row["original_status"] {
			t.Errorf("%s: type/status %q/%q, DevLake %q/%q", is.Key, is.Type, is.StatusName, row["original_type"], row["original_status"])
		}
		created, err := time.Parse("2006-01-02T15:04:05.000-07:00", row["created_date"])
		if err != nil || !is.Created.Equal(created) {
			t.Errorf("%s: created %v, DevLake %s", is.Key, is.Created, row["created_date"])
		}
		resolved, err := time.Parse("2006-01-02T15:04:05.000-07:00", row["resolution_date"])
		if err != nil || is.Resolved == nil || !is.Resolved.Equal(resolved) {
			t.Errorf("%s: resolved %v, DevLake %s", is.Key, is.Resolved, row["resolution_date"])
			continue
		}
		// DevLake: lead_time_minutes = whole minutes from created to resolved
		// (EE-1: 2020-06-12T00:13:13Z → 2020-06-19T06:31:18Z = 10458).
		want, _ := strconv.Atoi(row["lead_time_minutes"])
		if got := int(is.Resolved.Sub(is.Created).Minutes()); got != want {
			t.Errorf("%s: lead time %d min, DevLake %d", is.Key, got, want)
		}
	}
}

// TestZMetricServerIssues serves ZMetric's recorded Jira Server search (149
// issues, full changelogs) through a fake /rest/api/2/search capped at 50 a
// page and parses every issue.
func TestZMetricServerIssues(t *testing.T) {
	path := requireReal(t, "zmetric-zuehlke/src/ZMetric/Data/ZMetricsIssueData.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dump struct {
		Data struct {
			Total  int               `json:"total"`
			Issues []json.RawMessage `json:"issues"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &dump); err != nil {
		t.Fatal(err)
	}
	if len(dump.Data.Issues) != 149 {
		t.Fatalf("issues = %d, want 149 (SOURCE.md)", len(dump.Data.Issues))
	}

	c, mux, _ := setup(t, analyzer.FlavorDC)
	var seen []*http.Request
	serveStartAt(mux, "GET /rest/api/2/search", dump.Data.Issues, 50, &seen)
	var fetched []RawIssue
	for raw, err := range c.SearchIssues(context.Background(), "project = ZMETRIC", SearchOptions{Fields: []string{"resolutiondate", "created", "issuetype"}, Expand: []string{"changelog"}, PageSize: 1000}) {
		if err != nil {
			t.Fatal(err)
		}
		fetched = append(fetched, raw)
	}
	// Asked 1000, served 50: startAt 0, 50, 100 → 3 requests.
	if len(fetched) != 149 || len(seen) != 3 {
		t.Fatalf("fetched %d in %d requests, want 149 in 3", len(fetched), len(seen))
	}

	tally := parseAll(fetched, ParseOptions{SiteID: "zuehlke"})
	if len(tally.errors) != 0 {
		t.Fatalf("parse errors: %v", tally.errors)
	}
	t.Logf("ZMetric: %d issues, %d change items, %d warnings", len(tally.issues), len(tally.items), len(tally.warnings))
	for _, w := range tally.warnings {
		var fe *FieldError
		if !errors.As(w, &fe) {
			t.Errorf("warning of unexpected type: %v", w)
		}
	}
	// Counted from the JSON: 922 histories, 1044 items, 274 status, 51 Sprint.
	if len(tally.histories) != 922 || len(tally.items) != 1044 {
		t.Errorf("histories %d items %d, want 922 and 1044", len(tally.histories), len(tally.items))
	}
	if s, sp := countField(tally.items, "status"), countField(tally.items, "Sprint"); s != 274 || sp != 51 {
		t.Errorf("status items %d Sprint items %d, want 274 and 51", s, sp)
	}
	// Sprint items (no fieldId on this Server): 38 "null → id" and 3 "a → a, b"
	// add 41 memberships; 10 "id → ''" remove 10.
	added, removed := 0, 0
	for _, ev := range SprintEvents(tally.items, nil) {
		if ev.Added {
			added++
		} else {
			removed++
		}
	}
	if added != 41 || removed != 10 {
		t.Errorf("sprint events +%d −%d, want +41 −10", added, removed)
	}
	for _, is := range tally.issues {
		if !is.ChangelogComplete || is.Created.IsZero() || is.ProjectKey != "ZMETRIC" || is.Type == "" {
			t.Errorf("%s: complete %v created %v project %q type %q", is.Key, is.ChangelogComplete, is.Created, is.ProjectKey, is.Type)
		}
	}
}

// BenchmarkParseIssueDevLake parses the 33 real DevLake Cloud issues (about
// 35 KB each with ~150 fields and embedded changelogs) per iteration.
func BenchmarkParseIssueDevLake(b *testing.B) {
	p := filepath.Join(realDir, "devlake-jira-e2e/backend/plugins/jira/e2e/raw_tables/_raw_jira_api_issues.csv")
	f, err := os.Open(p)
	if err != nil {
		b.Skipf("real data absent: %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	col := 0
	for i, h := range recs[0] {
		if h == "data" {
			col = i
		}
	}
	var raws []json.RawMessage
	var size int64
	for _, r := range recs[1:] {
		raws = append(raws, json.RawMessage(r[col]))
		size += int64(len(r[col]))
	}
	opts := ParseOptions{SiteID: "merico", EstimationField: "customfield_10024", SprintField: "customfield_10020"}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range raws {
			if _, _, _, err := ParseIssue(raw, opts); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(raws))/b.Elapsed().Seconds(), "issues/s")
}
