package jirasim

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	jira "github.com/andygrunwald/go-jira"
)

// writeTinyDataset writes a three-issue --data directory (README layout).
func writeTinyDataset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"boards.json": `[{"id":7,"self":"https://x.test/rest/agile/1.0/board/7","name":"ABC board","type":"scrum",
			"location":{"projectId":10500,"projectKey":"ABC","projectName":"Alphabet"}}]`,
		"board-7-configuration.json": `{"id":7,"name":"ABC board","type":"scrum","self":"https://x.test/rest/agile/1.0/board/7/configuration",
			"location":{"type":"project","key":"ABC","id":"10500","self":"https://x.test/rest/api/2/project/10500","name":"Alphabet"},
			"filter":{"id":"1","self":"https://x.test/rest/api/2/filter/1"},
			"columnConfig":{"columns":[{"name":"To Do","statuses":[{"id":"1","self":"s"}]},{"name":"Done","statuses":[{"id":"3","self":"s"}]}],"constraintType":"none"},
			"estimation":{"type":"field","field":{"fieldId":"customfield_10024","displayName":"Story Points"}}}`,
		"board-7-sprints.json": `[
			{"id":11,"self":"s","state":"closed","name":"ABC Sprint 1","startDate":"2024-01-01T09:00:00.000Z","endDate":"2024-01-15T09:00:00.000Z","completeDate":"2024-01-15T08:00:00.000Z","originBoardId":7,"goal":"g, with comma"},
			{"id":12,"self":"s","state":"active","name":"ABC Sprint 2","startDate":"2024-01-15T09:00:00.000Z","endDate":"2024-01-29T09:00:00.000Z","originBoardId":7,"goal":""}]`,
		"board-7-issues.txt": "ABC-1\nABC-2\n",
		"fields.json": `[{"id":"customfield_10020","name":"Sprint","custom":true,"schema":{"type":"array","items":"json","custom":"com.pyxis.greenhopper.jira:gh-sprint","customId":10020}},
			{"id":"customfield_10024","name":"Story Points","custom":true,"schema":{"type":"number","custom":"com.atlassian.jira.plugin.system.customfieldtypes:float","customId":10024}}]`,
		"statuses.json": `[{"id":"1","name":"To Do","statusCategory":{"id":2,"key":"new"}}]`,
		"issues/ABC-1.json": `{"expand":"changelog","id":"501","self":"https://x.test/rest/api/2/issue/501","key":"ABC-1",
			"fields":{"summary":"First","issuetype":{"id":"1","name":"Story"},"project":{"id":"10500","key":"ABC","name":"Alphabet"},
			"created":"2024-01-01T08:00:00.000+0000","updated":"2024-01-10T10:00:00.000+0000","status":{"id":"3","name":"Done"},
			"customfield_10020":[{"id":11,"name":"ABC Sprint 1","state":"closed","boardId":7}],"customfield_10024":3.0},
			"changelog":{"startAt":0,"maxResults":3,"total":3,"histories":[
			 {"id":"3","created":"2024-01-10T10:00:00.000+0000","items":[{"field":"status","fieldtype":"jira","fieldId":"status","from":"1","fromString":"To Do","to":"3","toString":"Done"}]},
			 {"id":"1","created":"2024-01-01T08:30:00.000+0000","items":[{"field":"Sprint","fieldtype":"custom","fieldId":"customfield_10020","from":"","fromString":"","to":"11","toString":"ABC Sprint 1"}]},
			 {"id":"2","created":"2024-01-05T08:30:00.000+0000","items":[{"field":"Story Points","fieldtype":"custom","fieldId":"customfield_10024","from":null,"fromString":"2","to":null,"toString":"3"}]}]}}`,
		"issues/ABC-2.json": `{"id":"502","self":"https://x.test/rest/api/2/issue/502","key":"ABC-2",
			"fields":{"summary":"Second","issuetype":{"id":"2","name":"Bug"},"project":{"id":"10500","key":"ABC","name":"Alphabet"},
			"created":"2024-01-16T08:00:00.000+0000","updated":"2024-01-16T08:00:00.000+0000","status":{"id":"1","name":"To Do"},
			"customfield_10020":[{"id":12,"name":"ABC Sprint 2","state":"active","boardId":7}]},"changelog":{"startAt":0,"maxResults":0,"total":0,"histories":[]}}`,
		"issues/ABC-3.json": `{"id":"503","self":"https://x.test/rest/api/2/issue/503","key":"ABC-3",
			"fields":{"summary":"Third","issuetype":{"id":"1","name":"Story"},"project":{"id":"10500","key":"ABC","name":"Alphabet"},
			"created":"2024-02-01T08:00:00.000+0000","updated":"2024-02-02T08:00:00.000+0000","status":{"id":"1","name":"To Do"},"customfield_10020":null}}`,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDataDirServesFiles(t *testing.T) {
	for _, mode := range []Mode{ModeCloud, ModeDC} {
		t.Run(string(mode), func(t *testing.T) {
			_, ts := NewTestServer(t, Config{Mode: mode, DataDir: writeTinyDataset(t)})
			c := clientFor(t, mode, ts.URL)
			boards, _, err := c.Board.GetAllBoards(nil)
			if err != nil || len(boards.Values) != 1 || boards.Values[0].ID != 7 {
				t.Fatalf("boards %+v %v", boards, err)
			}
			sprints, _, err := c.Board.GetAllSprintsWithOptions(7, &jira.GetAllSprintsOptions{State: "closed"})
			if err != nil || len(sprints.Values) != 1 || sprints.Values[0].ID != 11 {
				t.Fatalf("closed sprints %+v %v", sprints, err)
			}
			cfg, _, err := c.Board.GetBoardConfiguration(7)
			if err != nil || len(cfg.ColumnConfig.Columns) != 2 {
				t.Fatalf("config %+v %v", cfg, err)
			}
			is, _, err := c.Issue.Get("ABC-1", &jira.GetQueryOptions{Expand: "changelog"})
			if err != nil {
				t.Fatal(err)
			}
			// The file lists histories 3, 1, 2; the loader sorts by created
			// (1, 2, 3); Cloud serves newest first, DC oldest first.
			var ids []string
			for _, h := range is.Changelog.Histories {
				ids = append(ids, h.Id)
			}
			want := map[Mode][]string{ModeCloud: {"3", "2", "1"}, ModeDC: {"1", "2", "3"}}[mode]
			if !slices.Equal(ids, want) || is.Fields.Summary != "First" {
				t.Errorf("histories %v, want %v; summary %q", ids, want, is.Fields.Summary)
			}
			// Board issues come from board-7-issues.txt (ABC-3 is not listed).
			keys := pageAgile(t, mode, ts.URL+"/rest/agile/1.0/board/7/issue?fields=summary")
			if !slices.Equal(keys, []string{"ABC-1", "ABC-2"}) {
				t.Errorf("board issues %v", keys)
			}
			// Sprint issues from the Sprint field values.
			keys = pageAgile(t, mode, ts.URL+"/rest/agile/1.0/sprint/12/issue?fields=summary")
			if !slices.Equal(keys, []string{"ABC-2"}) {
				t.Errorf("sprint 12 issues %v", keys)
			}
		})
	}
}

func TestDataDirSearch(t *testing.T) {
	_, ts := NewTestServer(t, Config{DataDir: writeTinyDataset(t)})
	cases := map[string][]string{
		`project = ABC ORDER BY created DESC`:             {"ABC-3", "ABC-2", "ABC-1"},
		`project = ABC AND updated >= "2024-01-16 08:00"`: {"ABC-2", "ABC-3"},
		`issuetype = Bug`:         {"ABC-2"},
		`sprint = 11`:             {"ABC-1"},
		`sprint = "ABC Sprint 2"`: {"ABC-2"},
		`project in (ABC) AND created < "2024/01/02" ORDER BY key`: {"ABC-1"},
	}
	for jql, want := range cases {
		var p jqlPage
		resp, b := rawGet(t, ModeCloud, ts.URL+"/rest/api/3/search/jql?fields=key&jql="+url.QueryEscape(jql), &p)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", jql, resp.StatusCode, b)
		}
		var got []string
		for _, is := range p.Issues {
			got = append(got, is.Key)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", jql, got, want)
		}
	}
}

func TestDataDirBadFiles(t *testing.T) {
	dir := writeTinyDataset(t)
	if err := os.WriteFile(filepath.Join(dir, "issues", "ABC-9.json"), []byte(`{"id":`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{DataDir: dir}); err == nil {
		t.Error("broken issue file accepted")
	}
}
