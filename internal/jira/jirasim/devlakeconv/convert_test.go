package devlakeconv

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	jira "github.com/andygrunwald/go-jira"
)

// realDir is DevLake's recording, relative to this package's directory
// (internal/jira/jirasim/devlakeconv → /work/main → /work/shared).
const realDir = "../../../../../shared/testdata/real/devlake-jira-e2e"

func realSource(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(realDir, "backend", "plugins", "jira", "e2e", fileIssues)); err != nil {
		t.Skipf("DevLake recording not found at %s (../shared is absent outside the workspace): %v", realDir, err)
	}
	return realDir
}

// convertReal converts the recording once per test into a temp dir.
func convertReal(t *testing.T) (string, *Summary) {
	t.Helper()
	src := realSource(t)
	dst := t.TempDir()
	sum, err := ConvertSummary(src, dst)
	if err != nil {
		t.Fatalf("ConvertSummary: %v", err)
	}
	return dst, sum
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestConvertRealCounts(t *testing.T) {
	dst, sum := convertReal(t)

	// _raw_jira_api_issues.csv has 33 rows and 33 distinct keys: 30 rows with
	// params BoardId 8 (EE-1..EE-37 without EE-7, 11-13, 18, 21, 22) and 3 with
	// BoardId 93 (K5-2, K5-3, K5-4). No key repeats, so 33 files.
	if sum.IssueRows != 33 {
		t.Errorf("IssueRows = %d, want 33", sum.IssueRows)
	}
	files, err := filepath.Glob(filepath.Join(dst, "issues", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 33 || len(sum.Issues) != 33 {
		t.Errorf("issue files = %d (summary %d), want 33 distinct", len(files), len(sum.Issues))
	}
	if got := len(sum.BoardIssues[8]); got != 30 {
		t.Errorf("board 8 issues = %d, want 30", got)
	}
	if got := sum.BoardIssues[93]; !slices.Equal(got, []string{"K5-2", "K5-3", "K5-4"}) {
		t.Errorf("board 93 issues = %v, want [K5-2 K5-3 K5-4]", got)
	}
	txt, err := os.ReadFile(filepath.Join(dst, "board-93-issues.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(txt) != "K5-2\nK5-3\nK5-4\n" {
		t.Errorf("board-93-issues.txt = %q", txt)
	}
	txt8, err := os.ReadFile(filepath.Join(dst, "board-8-issues.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(txt8)), "\n"); len(lines) != 30 || lines[0] != "EE-1" || lines[29] != "EE-37" {
		t.Errorf("board-8-issues.txt: %d lines, first %q last %q; want 30, EE-1 .. EE-37", len(lines), lines[0], lines[len(lines)-1])
	}

	// Boards: 8 from _tool_jira_boards.csv, 93 from the issue rows' params.
	var boards []jira.Board
	readJSON(t, filepath.Join(dst, "boards.json"), &boards)
	if len(boards) != 2 || boards[0].ID != 8 || boards[1].ID != 93 {
		t.Fatalf("boards = %+v, want ids 8 and 93", boards)
	}
	if boards[0].Name != "迭代开发看板（停用）" || boards[0].Type != "scrum" ||
		boards[0].Self != "https://merico.atlassian.net/rest/agile/1.0/board/8" {
		t.Errorf("board 8 = %+v", boards[0])
	}
	var loc []struct {
		Location boardLocation `json:"location"`
	}
	readJSON(t, filepath.Join(dst, "boards.json"), &loc)
	// Board 8's project_id 10003 is "Enterprise Edition" (EE) in _raw_jira_api_projects.csv;
	// board 93's issues are in project 10050 "Keon_5" (K5), known only from fields.project.
	if l := loc[0].Location; l.ProjectID != 10003 || l.ProjectKey != "EE" || l.ProjectName != "Enterprise Edition" {
		t.Errorf("board 8 location = %+v", l)
	}
	if l := loc[1].Location; l.ProjectID != 10050 || l.ProjectKey != "K5" || boards[1].Name != "K5 board" {
		t.Errorf("board 93 = %q, location %+v", boards[1].Name, l)
	}

	// Sprints: _raw_jira_api_sprints.csv has 30 rows for board 8 with 30
	// distinct ids. Board 93 has no recorded sprint list; its issues K5-2 and
	// K5-3 carry sprint 175 "K5 Sprint 1" in their agile "sprint" field, K5-4 none.
	var sp8, sp93 []jira.Sprint
	readJSON(t, filepath.Join(dst, "board-8-sprints.json"), &sp8)
	readJSON(t, filepath.Join(dst, "board-93-sprints.json"), &sp93)
	if len(sp8) != 30 || sum.Sprints[8] != 30 {
		t.Errorf("board 8 sprints = %d, want 30", len(sp8))
	}
	// The first row is sprint 7 "EE Sprint 7", started 2020-06-12T00:38:51.882Z.
	if sp8[0].ID != 7 || sp8[0].Name != "EE Sprint 7" || sp8[0].StartDate == nil ||
		!sp8[0].StartDate.Equal(time.Date(2020, 6, 12, 0, 38, 51, 882e6, time.UTC)) {
		t.Errorf("first sprint = %+v", sp8[0])
	}
	if len(sp93) != 1 || sp93[0].ID != 175 || sp93[0].Name != "K5 Sprint 1" {
		t.Errorf("board 93 sprints = %+v, want only 175 K5 Sprint 1", sp93)
	}

	// 53 rows, 53 distinct status ids.
	var statuses []jira.Status
	readJSON(t, filepath.Join(dst, "statuses.json"), &statuses)
	if len(statuses) != 53 || sum.Statuses != 53 {
		t.Errorf("statuses = %d, want 53", len(statuses))
	}

	// The 279 rows of _raw_jira_api_issue_changelogs.csv belong to issues
	// 13383 (100 rows), 13954 (100) and 13491 (79), none of the 33 recorded
	// issues (ids 10063..10099, 20708..20710): all are unattached.
	want := map[string]int{"13383": 100, "13954": 100, "13491": 79}
	for id, n := range want {
		if sum.UnattachedChangelogs[id] != n {
			t.Errorf("unattached changelog %s = %d, want %d", id, sum.UnattachedChangelogs[id], n)
		}
		var page struct {
			Total  int               `json:"total"`
			IsLast bool              `json:"isLast"`
			Values []json.RawMessage `json:"values"`
		}
		readJSON(t, filepath.Join(dst, "unattached-changelogs", id+".json"), &page)
		if page.Total != n || len(page.Values) != n || !page.IsLast {
			t.Errorf("unattached-changelogs/%s.json: total %d, %d values, isLast %v; want %d", id, page.Total, len(page.Values), page.IsLast, n)
		}
	}
	if len(sum.UnattachedChangelogs) != 3 {
		t.Errorf("unattached issues = %v, want 3", sum.UnattachedChangelogs)
	}
	if len(sum.Missing) != 0 {
		t.Errorf("inputs reported missing from the full recording: %v", sum.Missing)
	}
}

func TestConvertRealIssuesDecodeWithGoJira(t *testing.T) {
	dst, sum := convertReal(t)
	union := recordedHistoryUnion(t)
	total := 0
	for _, key := range sum.Issues {
		b, err := os.ReadFile(filepath.Join(dst, "issues", key+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var is jira.Issue
		if err := json.Unmarshal(b, &is); err != nil {
			t.Errorf("%s: go-jira Issue: %v", key, err)
			continue
		}
		if is.Key != key || is.Fields == nil || is.Changelog == nil {
			t.Errorf("%s: decoded key %q, fields %v, changelog %v", key, is.Key, is.Fields != nil, is.Changelog != nil)
			continue
		}
		ids := union[is.ID]
		if len(is.Changelog.Histories) != len(ids) || sum.Histories[key] != len(ids) {
			t.Errorf("%s: %d histories (summary %d), want the de-duplicated union %d", key, len(is.Changelog.Histories), sum.Histories[key], len(ids))
		}
		var prev time.Time
		for _, h := range is.Changelog.Histories {
			if !ids[h.Id] {
				t.Errorf("%s: history %s not in the recording", key, h.Id)
			}
			at, err := h.CreatedTime()
			if err != nil {
				t.Errorf("%s: history %s: %v", key, h.Id, err)
			}
			if at.Before(prev) {
				t.Errorf("%s: history %s at %s is before the previous one %s", key, h.Id, at, prev)
			}
			prev = at
		}
		var cl struct {
			Changelog struct {
				StartAt, MaxResults, Total int
			} `json:"changelog"`
		}
		if err := json.Unmarshal(b, &cl); err != nil {
			t.Fatal(err)
		}
		if cl.Changelog.StartAt != 0 || cl.Changelog.Total != len(ids) || cl.Changelog.MaxResults != len(ids) {
			t.Errorf("%s: changelog header %+v, want startAt 0, total = maxResults = %d", key, cl.Changelog, len(ids))
		}
		total += len(is.Changelog.Histories)
	}
	// The embedded changelogs hold 522 histories (EE-1 25, EE-2 24, ...,
	// K5-4 1), no id repeats, and none of the changelog CSV rows is theirs.
	if total != 522 {
		t.Errorf("histories over all issues = %d, want 522", total)
	}
	if sum.Histories["EE-1"] != 25 || sum.Histories["EE-17"] != 31 || sum.Histories["K5-4"] != 1 {
		t.Errorf("histories EE-1 %d EE-17 %d K5-4 %d, want 25 31 1", sum.Histories["EE-1"], sum.Histories["EE-17"], sum.Histories["K5-4"])
	}
}

// recordedHistoryUnion reads the recording independently of the converter:
// per issue id, the ids of its embedded histories and of the changelog rows
// whose input names it.
func recordedHistoryUnion(t *testing.T) map[string]map[string]bool {
	t.Helper()
	base := filepath.Join(realDir, "backend", "plugins", "jira", "e2e")
	union := map[string]map[string]bool{}
	add := func(issue, hist string) {
		if union[issue] == nil {
			union[issue] = map[string]bool{}
		}
		union[issue][hist] = true
	}
	for _, row := range readCSVData(t, filepath.Join(base, fileIssues)) {
		var is struct {
			ID        string `json:"id"`
			Changelog struct {
				Histories []struct {
					ID string `json:"id"`
				} `json:"histories"`
			} `json:"changelog"`
		}
		if err := json.Unmarshal([]byte(row["data"]), &is); err != nil {
			t.Fatal(err)
		}
		for _, h := range is.Changelog.Histories {
			add(is.ID, h.ID)
		}
	}
	for _, row := range readCSVData(t, filepath.Join(base, fileChangelogs)) {
		var in struct {
			IssueID json.Number `json:"issue_id"`
		}
		var h struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(row["input"]), &in); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(row["data"]), &h); err != nil {
			t.Fatal(err)
		}
		add(in.IssueID.String(), h.ID)
	}
	return union
}

func readCSVData(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func TestConvertRealSpotValues(t *testing.T) {
	dst, _ := convertReal(t)
	b, err := os.ReadFile(filepath.Join(dst, "issues", "EE-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var is jira.Issue
	if err := json.Unmarshal(b, &is); err != nil {
		t.Fatal(err)
	}
	// SOURCE.md: EE-1 created 2020-06-12T08:13:13.360+0800 = 00:13:13Z,
	// resolved 2020-06-19T14:31:18.495+0800 = 06:31:18Z (lead time 10458 min).
	created := time.Time(is.Fields.Created)
	resolved := time.Time(is.Fields.Resolutiondate)
	if !created.Equal(time.Date(2020, 6, 12, 0, 13, 13, 360e6, time.UTC)) {
		t.Errorf("EE-1 created = %s", created.UTC())
	}
	if !resolved.Equal(time.Date(2020, 6, 19, 6, 31, 18, 495e6, time.UTC)) {
		t.Errorf("EE-1 resolved = %s", resolved.UTC())
	}
	if m := int(resolved.Sub(created).Minutes()); m != 10458 {
		t.Errorf("EE-1 lead time = %d min, want 10458", m)
	}
	// EE-1's 25 embedded histories are recorded newest first; sorted oldest
	// first, history 10659 (2020-06-12T08:21:20.929+0800) comes first and
	// 90706 (2021-04-01T08:52:27.109+0800) last.
	hs := is.Changelog.Histories
	if hs[0].Id != "10659" || hs[len(hs)-1].Id != "90706" {
		t.Errorf("EE-1 first/last history = %s/%s, want 10659/90706", hs[0].Id, hs[len(hs)-1].Id)
	}
	// EE-1's story points (customfield_10024) are the string "-1" in the recording.
	if v := is.Fields.Unknowns["customfield_10024"]; v != "-1" {
		t.Errorf("EE-1 customfield_10024 = %#v, want \"-1\"", v)
	}

	// Every member but the changelog is kept byte for byte: compare "fields"
	// with the recorded row.
	var got, want struct {
		Fields json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	rows := readCSVData(t, filepath.Join(realDir, "backend", "plugins", "jira", "e2e", fileIssues))
	if err := json.Unmarshal([]byte(rows[0]["data"]), &want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Fields, want.Fields) {
		t.Errorf("EE-1 fields were re-encoded (%d bytes, recorded %d)", len(got.Fields), len(want.Fields))
	}
}

func TestConvertRealBoardConfigurationAndFields(t *testing.T) {
	dst, sum := convertReal(t)
	var cfg jira.BoardConfiguration
	readJSON(t, filepath.Join(dst, "board-8-configuration.json"), &cfg)
	// Of the 53 statuses, 17 are scoped to team-managed projects (10022,
	// 10033, 10038, 10041, 10046), none of them EE (10003). The 36 global
	// ones: 16 new, 14 indeterminate, 6 done (Closed 6, Done 10034, 已完成
	// 10068, 已发布 10078, 已关闭 10143, 暂不修改 10146).
	if cfg.ID != 8 || len(cfg.ColumnConfig.Columns) != 3 {
		t.Fatalf("board 8 configuration = %+v", cfg)
	}
	wantCols := []struct {
		name string
		n    int
	}{{"To Do", 16}, {"In Progress", 14}, {"Done", 6}}
	for i, w := range wantCols {
		c := cfg.ColumnConfig.Columns[i]
		if c.Name != w.name || len(c.Status) != w.n {
			t.Errorf("column %d = %q with %d statuses, want %q with %d", i, c.Name, len(c.Status), w.name, w.n)
		}
	}
	var done []string
	for _, s := range cfg.ColumnConfig.Columns[2].Status {
		done = append(done, s.ID)
	}
	if !slices.Equal(done, []string{"6", "10034", "10068", "10078", "10143", "10146"}) {
		t.Errorf("done column = %v", done)
	}
	if cfg.Location.Key != "EE" || cfg.Location.ID != "10003" {
		t.Errorf("location = %+v", cfg.Location)
	}
	var est struct {
		Estimation struct {
			Type  string `json:"type"`
			Field struct {
				FieldID     string `json:"fieldId"`
				DisplayName string `json:"displayName"`
			} `json:"field"`
		} `json:"estimation"`
	}
	readJSON(t, filepath.Join(dst, "board-93-configuration.json"), &est)
	if est.Estimation.Field.FieldID != "customfield_10024" || est.Estimation.Field.DisplayName != "Story Points" {
		t.Errorf("board 93 estimation = %+v", est.Estimation)
	}

	var fields []jira.Field
	readJSON(t, filepath.Join(dst, "fields.json"), &fields)
	byID := map[string]jira.Field{}
	for _, f := range fields {
		if _, dup := byID[f.ID]; dup {
			t.Errorf("field %s listed twice", f.ID)
		}
		byID[f.ID] = f
	}
	// The issues carry 165 field ids. fields.json lists the 41 system ones
	// (165 minus 120 custom minus the 4 agile-only sprint, closedSprints,
	// epic, flagged) and the 16 named custom ones, plus the 2 recorded rows
	// (customfield_10315, customfield_10400): 59.
	if len(fields) != 59 || sum.Fields != 59 {
		t.Errorf("fields = %d, want 59", len(fields))
	}
	// 120 custom ids on the issues, 16 of them named: 104 unnamed.
	if len(sum.UnnamedFields) != 104 {
		t.Errorf("unnamed fields = %d, want 104", len(sum.UnnamedFields))
	}
	if f := byID["customfield_10024"]; f.Name != "Story Points" || f.Schema.Type != "number" {
		t.Errorf("customfield_10024 = %+v", f)
	}
	if f := byID["customfield_10020"]; f.Name != "Sprint" || f.Schema.Custom != "com.pyxis.greenhopper.jira:gh-sprint" {
		t.Errorf("customfield_10020 = %+v", f)
	}
	if f := byID["customfield_10400"]; f.Name != "gitBranch" {
		t.Errorf("recorded field customfield_10400 = %+v", f)
	}
	if _, ok := byID["closedSprints"]; ok {
		t.Error("agile-only field closedSprints listed in fields.json")
	}
}

func TestConvertDeterministic(t *testing.T) {
	src := realSource(t)
	a, b := t.TempDir(), t.TempDir()
	if err := Convert(src, a); err != nil {
		t.Fatal(err)
	}
	if err := Convert(src, b); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			return err
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two conversions", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 33 issues + 3 unattached changelogs + boards, statuses, fields
	// + 3 files for each of the 2 boards.
	if n != 33+3+3+6 {
		t.Errorf("files written = %d, want 45", n)
	}
}

// writeTree writes a small synthetic recording: each file gets the raw-table
// header and the given rows (id, params, data, url, input, created_at).
func writeTree(t *testing.T, files map[string][][]string) string {
	t.Helper()
	root := t.TempDir()
	for rel, rows := range files {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if err := w.Write([]string{"id", "params", "data", "url", "input", "created_at"}); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteAll(rows); err != nil {
			t.Fatal(err)
		}
		writeRaw(t, root, rel, buf.String())
	}
	return root
}

func writeRaw(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const board5 = `{"ConnectionId":1,"BoardId":5}`

func hist(id, created string, extra string) string {
	return `{"id":"` + id + `","created":"` + created + `","items":[{"field":"status","fieldId":"status","from":"1","fromString":"Open","to":"3","toString":"In Progress"}]` + extra + `}`
}

func TestConvertMergesChangelogs(t *testing.T) {
	// Issue 100 (T-1) embeds histories 10, 2, 3 newest first, as the agile
	// API recorded them. The changelog rows add 9 (same created as 10), a
	// second copy of 3 (marked "copy"), 4, and a page row holding 4 again and 5.
	issue := `{"id":"100","key":"T-1","self":"x","fields":{"summary":"a <b> & c","project":{"id":"1","key":"T","name":"Test"}},` +
		`"changelog":{"startAt":0,"maxResults":3,"total":3,"histories":[` +
		hist("3", "2020-01-03T00:00:00.000+0000", "") + "," +
		hist("2", "2020-01-02T00:00:00.000+0000", "") + "," +
		hist("10", "2020-01-01T08:00:00.000+0800", "") + `]}}`
	// T-2 comes from board 7, known only from its url.
	issue2 := `{"id":"101","key":"T-2","fields":{"project":{"id":"1","key":"T","name":"Test"}}}`
	in100 := `{"issue_id": 100}`
	src := writeTree(t, map[string][][]string{
		fileIssues: {
			{"1", board5, issue, "https://t.example/rest/agile/1.0/board/5/issue?expand=changelog", "null", ""},
			{"2", "", issue2, "https://t.example/rest/agile/1.0/board/7/issue?startAt=0", "null", ""},
		},
		fileChangelogs: {
			{"1", board5, hist("9", "2020-01-01T00:00:00.000Z", ""), "https://t.example/rest/api/3/issue/100/changelog", in100, ""},
			{"2", board5, hist("3", "2020-01-03T00:00:00.000+0000", `,"copy":true`), "https://t.example/rest/api/3/issue/100/changelog", in100, ""},
			{"3", board5, hist("4", "2020-01-04T00:00:00.000+0000", ""), "https://t.example/rest/api/3/issue/100/changelog", in100, ""},
			{"4", board5, `{"startAt":0,"isLast":true,"values":[` + hist("4", "2020-01-04T00:00:00.000+0000", `,"copy":true`) + "," +
				hist("5", "2020-01-02T12:00:00.000+0000", "") + `]}`, "https://t.example/rest/api/3/issue/T-1/changelog", "null", ""},
			{"5", board5, hist("77", "2020-01-01T00:00:00.000+0000", ""), "https://t.example/rest/api/3/issue/999/changelog", `{"issue_id": 999}`, ""},
		},
	})
	dst := t.TempDir()
	sum, err := ConvertSummary(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dst, "issues", "T-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var is struct {
		Fields    json.RawMessage `json:"fields"`
		Changelog struct {
			Total     int `json:"total"`
			Histories []struct {
				ID   string `json:"id"`
				Copy bool   `json:"copy"`
			} `json:"histories"`
		} `json:"changelog"`
	}
	if err := json.Unmarshal(b, &is); err != nil {
		t.Fatal(err)
	}
	// Union {10,2,3} ∪ {9,3,4} ∪ {4,5} = {2,3,4,5,9,10}. Oldest first: 9 and
	// 10 are both 2020-01-01T00:00Z (10 is 08:00+0800), so numeric id order
	// puts 9 first; then 2 (Jan 2 00:00), 5 (Jan 2 12:00), 3, 4.
	var ids []string
	for _, h := range is.Changelog.Histories {
		ids = append(ids, h.ID)
		if h.Copy {
			t.Errorf("history %s: the later copy replaced the first one read", h.ID)
		}
	}
	if !slices.Equal(ids, []string{"9", "10", "2", "5", "3", "4"}) || is.Changelog.Total != 6 || sum.Histories["T-1"] != 6 {
		t.Errorf("histories = %v (total %d), want [9 10 2 5 3 4] (6)", ids, is.Changelog.Total)
	}
	// Bytes kept: no HTML escaping of <, > and &.
	if string(is.Fields) != `{"summary":"a <b> & c","project":{"id":"1","key":"T","name":"Test"}}` {
		t.Errorf("fields = %s", is.Fields)
	}
	if !slices.Equal(sum.Boards, []int64{5, 7}) || !slices.Equal(sum.BoardIssues[7], []string{"T-2"}) {
		t.Errorf("boards %v, board 7 issues %v; want [5 7], [T-2]", sum.Boards, sum.BoardIssues[7])
	}
	// T-2 had no changelog: it gets an empty one.
	var is2 jira.Issue
	readJSON(t, filepath.Join(dst, "issues", "T-2.json"), &is2)
	if is2.Changelog == nil || len(is2.Changelog.Histories) != 0 {
		t.Errorf("T-2 changelog = %+v, want empty", is2.Changelog)
	}
	if sum.UnattachedChangelogs["999"] != 1 {
		t.Errorf("unattached = %v, want 999: 1", sum.UnattachedChangelogs)
	}
	// Board 5 (no snapshot, no sprints recorded) is named after its project.
	var boards []jira.Board
	readJSON(t, filepath.Join(dst, "boards.json"), &boards)
	if len(boards) != 2 || boards[0].Name != "T board" || boards[0].Self != "https://t.example/rest/agile/1.0/board/5" {
		t.Errorf("boards = %+v", boards)
	}
	if !slices.Contains(sum.Missing, fileStatus) || !slices.Contains(sum.Missing, fileSprints) {
		t.Errorf("missing inputs = %v, want the status and sprint files listed", sum.Missing)
	}
}

func TestConvertBadInput(t *testing.T) {
	good := `{"id":"100","key":"T-1","fields":{}}`
	header := "id,params,data,url,input,created_at\n"
	okRow := `1,"{""BoardId"":5}","{""id"":""100"",""key"":""T-1"",""fields"":{}}",u,null,` + "\n"
	cases := []struct {
		name    string
		file    string // file holding the bad row
		content string // raw file content; empty: use rows
		rows    [][]string
		row     int
	}{
		{name: "unterminated quote", file: fileIssues, row: 2,
			content: header + okRow + `2,"{""BoardId"":5}","{""id"":""101"",""key"":""T-2""}` + "\n"},
		{name: "wrong field count", file: fileIssues, row: 2,
			content: header + okRow + `2,"{}","{}"` + "\n"},
		{name: "bad JSON data", file: fileIssues, row: 2,
			rows: [][]string{{"1", board5, good, "u", "null", ""}, {"2", board5, `{"id":"101","key":`, "u", "null", ""}}},
		{name: "data not an object", file: fileIssues, row: 1,
			rows: [][]string{{"1", board5, `[1,2]`, "u", "null", ""}}},
		{name: "no board", file: fileIssues, row: 1,
			rows: [][]string{{"1", "", good, "https://t.example/rest/api/2/search", "null", ""}}},
		{name: "bad history time", file: fileIssues, row: 1,
			rows: [][]string{{"1", board5, `{"id":"100","key":"T-1","fields":{},"changelog":{"histories":[{"id":"1","created":"yesterday"}]}}`, "u", "null", ""}}},
		{name: "bad changelog JSON", file: fileChangelogs, row: 1,
			rows: [][]string{{"1", board5, `{"id":"1","created":`, "u", `{"issue_id": 100}`, ""}}},
		{name: "sprint without id", file: fileSprints, row: 1,
			rows: [][]string{{"1", board5, `{"name":"S1"}`, "u", "null", ""}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var src string
			if tc.file == fileIssues {
				src = writeTree(t, map[string][][]string{fileIssues: tc.rows})
			} else {
				src = writeTree(t, map[string][][]string{fileIssues: {{"1", board5, good, "u", "null", ""}}, tc.file: tc.rows})
			}
			if tc.content != "" {
				writeRaw(t, src, tc.file, tc.content)
			}
			err := Convert(src, t.TempDir())
			if err == nil {
				t.Fatal("Convert succeeded on bad input")
			}
			var re *RowError
			if !errors.As(err, &re) || !errors.Is(err, ErrBadInput) {
				t.Fatalf("error %v is not a RowError wrapping ErrBadInput", err)
			}
			if re.File != tc.file || re.Row != tc.row {
				t.Errorf("error names %s row %d, want %s row %d", re.File, re.Row, tc.file, tc.row)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.file) || !strings.HasPrefix(msg, "devlakeconv: ") {
				t.Errorf("message %q does not name the file", msg)
			}
		})
	}
}

func TestConvertNoIssuesFile(t *testing.T) {
	err := Convert(t.TempDir(), t.TempDir())
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Convert of an empty dir = %v, want os.ErrNotExist", err)
	}
}

func BenchmarkConvertReal(b *testing.B) {
	if _, err := os.Stat(filepath.Join(realDir, "backend", "plugins", "jira", "e2e", fileIssues)); err != nil {
		b.Skipf("DevLake recording not found at %s: %v", realDir, err)
	}
	dst := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		if err := Convert(realDir, dst); err != nil {
			b.Fatal(err)
		}
	}
}
