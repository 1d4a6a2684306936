package jirasim

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	jira "github.com/andygrunwald/go-jira"
)

// These tests drive the simulator with go-jira v1.17.0's own client methods,
// unchanged: if go-jira cannot decode a response, the shape is wrong.

func cloudClient(t *testing.T, url string) *jira.Client {
	t.Helper()
	tp := jira.BasicAuthTransport{Username: "sim@example.com", Password: "sim-token"}
	c, err := jira.NewClient(tp.Client(), url)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func dcClient(t *testing.T, url string) *jira.Client {
	t.Helper()
	tp := jira.PATAuthTransport{Token: "sim-pat"}
	c, err := jira.NewClient(tp.Client(), url)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func clientFor(t *testing.T, mode Mode, url string) *jira.Client {
	if mode == ModeDC {
		return dcClient(t, url)
	}
	return cloudClient(t, url)
}

func TestGoJiraGetAllBoardsPagesToLast(t *testing.T) {
	// 60 teams → 60 boards; board pages hold at most 50, so two pages: 50 + 10.
	_, ts := NewTestServer(t, Config{Teams: 60, Issues: 60 * 30})
	c := cloudClient(t, ts.URL)
	var ids []int
	pages := 0
	for startAt := 0; ; {
		list, _, err := c.Board.GetAllBoards(&jira.BoardListOptions{SearchOptions: jira.SearchOptions{StartAt: startAt}})
		if err != nil {
			t.Fatalf("GetAllBoards: %v", err)
		}
		pages++
		for _, b := range list.Values {
			ids = append(ids, b.ID)
			if b.Type != "scrum" || b.Name == "" {
				t.Errorf("board %d: type %q name %q", b.ID, b.Type, b.Name)
			}
		}
		if list.Total != 60 {
			t.Errorf("total = %d, want 60", list.Total)
		}
		if list.IsLast {
			break
		}
		startAt += len(list.Values)
	}
	if pages != 2 || len(ids) != 60 {
		t.Fatalf("pages = %d, boards = %d; want 2 pages, 60 boards", pages, len(ids))
	}
	if ids[0] != 1 || ids[59] != 60 {
		t.Errorf("ids run %d..%d, want 1..60", ids[0], ids[59])
	}
}

func TestGoJiraSprintsPagesAndStateFilter(t *testing.T) {
	for _, mode := range []Mode{ModeCloud, ModeDC} {
		t.Run(string(mode), func(t *testing.T) {
			sv, ts := NewTestServer(t, Config{Mode: mode})
			c := clientFor(t, mode, ts.URL)
			// Default site: 5000 issues / 3 teams → 1666 per board → 1666/120 = 13
			// closed sprints, plus one active and one future: 15 per board.
			const want = 15
			if got := sv.site.nSprints; got != want {
				t.Fatalf("site has %d sprints per board, want %d", got, want)
			}
			var got []jira.Sprint
			for startAt := 0; ; {
				list, _, err := c.Board.GetAllSprintsWithOptions(1, &jira.GetAllSprintsOptions{SearchOptions: jira.SearchOptions{StartAt: startAt, MaxResults: 4}})
				if err != nil {
					t.Fatalf("GetAllSprintsWithOptions: %v", err)
				}
				if len(list.Values) > 4 {
					t.Fatalf("page of %d sprints, asked for 4", len(list.Values))
				}
				got = append(got, list.Values...)
				if list.IsLast {
					break
				}
				startAt += len(list.Values)
			}
			if len(got) != want {
				t.Fatalf("paged %d sprints, want %d", len(got), want)
			}
			states := map[string]int{}
			for _, s := range got {
				states[s.State]++
				if s.OriginBoardID != 1 {
					t.Errorf("sprint %d originBoardId %d", s.ID, s.OriginBoardID)
				}
				if s.State == "closed" && (s.StartDate == nil || s.CompleteDate == nil || !s.CompleteDate.After(*s.StartDate)) {
					t.Errorf("closed sprint %d dates: %v %v", s.ID, s.StartDate, s.CompleteDate)
				}
			}
			if states["closed"] != 13 || states["active"] != 1 || states["future"] != 1 {
				t.Errorf("states = %v, want 13 closed, 1 active, 1 future", states)
			}
			act, _, err := c.Board.GetAllSprintsWithOptions(1, &jira.GetAllSprintsOptions{State: "active"})
			if err != nil || len(act.Values) != 1 || act.Values[0].State != "active" {
				t.Fatalf("state=active: %v %+v", err, act)
			}
			if !act.Values[0].StartDate.Before(DefaultNow) || !act.Values[0].EndDate.After(DefaultNow) {
				t.Errorf("active sprint %v..%v does not contain Now", act.Values[0].StartDate, act.Values[0].EndDate)
			}
		})
	}
}

func TestGoJiraBoardConfiguration(t *testing.T) {
	for _, mode := range []Mode{ModeCloud, ModeDC} {
		t.Run(string(mode), func(t *testing.T) {
			_, ts := NewTestServer(t, Config{Mode: mode})
			c := clientFor(t, mode, ts.URL)
			wantField := map[Mode]string{ModeCloud: "customfield_10016", ModeDC: "customfield_10002"}[mode]
			for board, wantDone := range map[int][]string{1: {"10001"}, 2: {"10001", "10101"}} {
				cfg, _, err := c.Board.GetBoardConfiguration(board)
				if err != nil {
					t.Fatalf("GetBoardConfiguration(%d): %v", board, err)
				}
				cols := cfg.ColumnConfig.Columns
				if len(cols) != 4 || cols[0].Name != "To Do" || cols[3].Name != "Done" {
					t.Fatalf("board %d columns %+v", board, cols)
				}
				var done []string
				for _, s := range cols[3].Status {
					done = append(done, s.ID)
				}
				if !slices.Equal(done, wantDone) {
					t.Errorf("board %d done column %v, want %v", board, done, wantDone)
				}
				// go-jira's struct has no estimation: read it ourselves.
				req, _ := c.NewRequest("GET", "rest/agile/1.0/board/"+itoa(board)+"/configuration", nil)
				var raw struct {
					Estimation struct {
						Field struct{ FieldID, DisplayName string }
					}
				}
				if _, err := c.Do(req, &raw); err != nil {
					t.Fatal(err)
				}
				if raw.Estimation.Field.FieldID != wantField {
					t.Errorf("estimation field %q, want %q", raw.Estimation.Field.FieldID, wantField)
				}
			}
		})
	}
}

func TestGoJiraFieldGetList(t *testing.T) {
	cases := map[Mode]struct{ id, name, custom string }{
		ModeCloud: {"customfield_10016", "Story point estimate", "com.pyxis.greenhopper.jira:jsw-story-points"},
		ModeDC:    {"customfield_10002", "Story Points", "com.atlassian.jira.plugin.system.customfieldtypes:float"},
	}
	for mode, want := range cases {
		t.Run(string(mode), func(t *testing.T) {
			_, ts := NewTestServer(t, Config{Mode: mode})
			fields, _, err := clientFor(t, mode, ts.URL).Field.GetList()
			if err != nil {
				t.Fatalf("Field.GetList: %v", err)
			}
			found, sprint := false, false
			for _, f := range fields {
				if f.ID == want.id {
					found = f.Name == want.name && f.Schema.Custom == want.custom && f.Custom && f.Schema.Type == "number"
				}
				sprint = sprint || f.Schema.Custom == "com.pyxis.greenhopper.jira:gh-sprint"
			}
			if !found || !sprint {
				t.Errorf("estimate field %+v found=%v, sprint field found=%v", want, found, sprint)
			}
		})
	}
}

func TestGoJiraIssueGetWithChangelog(t *testing.T) {
	for _, mode := range []Mode{ModeCloud, ModeDC} {
		t.Run(string(mode), func(t *testing.T) {
			sv, ts := NewTestServer(t, Config{Mode: mode})
			c := clientFor(t, mode, ts.URL)
			// The long-lived issue sits right after the epics on board 0: 1666
			// issues per board / 150 = 11 epics (PHX-1..PHX-11), so PHX-12, with
			// 131 histories (genLong).
			long := sv.site.key(sv.site.idxOf(0, sv.site.nEpics))
			if long != "PHX-12" {
				t.Fatalf("long issue is %s", long)
			}
			is, _, err := c.Issue.Get(long, &jira.GetQueryOptions{Expand: "changelog"})
			if err != nil {
				t.Fatalf("Issue.Get: %v", err)
			}
			want := 131 // DC: full changelog
			if mode == ModeCloud {
				want = 100 // Cloud: latest 100 only
			}
			if n := len(is.Changelog.Histories); n != want {
				t.Fatalf("%d histories, want %d", n, want)
			}
			if is.Fields.Status.Name != "Done" || is.Fields.Type.Name != "Story" || is.Fields.Summary == "" {
				t.Errorf("fields: status %q type %q summary %q", is.Fields.Status.Name, is.Fields.Type.Name, is.Fields.Summary)
			}
			if time := is.Fields.Created; time.Equal(jira.Time{}) {
				t.Error("created not decoded")
			}

			// Every generated issue of a small site decodes with go-jira.
			small, ts2 := NewTestServer(t, Config{Mode: mode, Teams: 2, Issues: 200})
			c2 := clientFor(t, mode, ts2.URL)
			for i := 0; i < 200; i++ {
				key := small.site.key(i)
				got, _, err := c2.Issue.Get(key, &jira.GetQueryOptions{Expand: "changelog"})
				if err != nil {
					t.Fatalf("Issue.Get(%s): %v", key, err)
				}
				if got.Key != key || got.Fields == nil || got.Changelog == nil {
					t.Fatalf("Issue.Get(%s) = %+v", key, got)
				}
				if n := len(got.Changelog.Histories); n != len(small.issue(i).hist) && n != 100 {
					t.Fatalf("%s: %d histories, model has %d", key, n, len(small.issue(i).hist))
				}
			}
		})
	}
}

func TestGoJiraDCIssueSearchPagesToLast(t *testing.T) {
	sv, ts := NewTestServer(t, Config{Mode: ModeDC, Teams: 2, Issues: 330})
	c := dcClient(t, ts.URL)
	// Board 2 (ATL) gets 330/2 = 165 issues: keys ATL-1..ATL-165.
	var keys []string
	total := 0
	for startAt := 0; ; {
		issues, resp, err := c.Issue.Search("project = ATL ORDER BY key ASC", &jira.SearchOptions{StartAt: startAt, MaxResults: 40, Expand: "changelog"})
		if err != nil {
			t.Fatalf("Issue.Search: %v", err)
		}
		total = resp.Total
		for _, is := range issues {
			keys = append(keys, is.Key)
		}
		startAt += len(issues)
		if len(issues) == 0 || startAt >= resp.Total {
			break
		}
	}
	if total != 165 || len(keys) != 165 {
		t.Fatalf("total %d, got %d keys; want 165", total, len(keys))
	}
	for i, k := range keys {
		if want := "ATL-" + itoa(i+1); k != want {
			t.Fatalf("keys[%d] = %s, want %s", i, k, want)
		}
	}
	if sv.Stats().ByPattern["/rest/api/{v}/search"] != 5 { // 40+40+40+40+5
		t.Errorf("search requests = %d, want 5", sv.Stats().ByPattern["/rest/api/{v}/search"])
	}
}

func TestGoJiraSearchV2JQLOnCloud(t *testing.T) {
	_, ts := NewTestServer(t, Config{})
	c := cloudClient(t, ts.URL)
	// Default fields on /search/jql: id only.
	issues, _, err := c.Issue.SearchV2JQL("project = PHX", &jira.SearchOptionsV2{MaxResults: 3})
	if err != nil {
		t.Fatalf("SearchV2JQL: %v", err)
	}
	if len(issues) != 3 || issues[0].ID != "10001" || issues[0].Key != "" || issues[0].Fields != nil {
		t.Fatalf("default fields should be id only, got %+v", issues[0])
	}
	// go-jira's legacy Search hits the removed endpoint: 410 with Jira's message.
	_, resp, err := c.Issue.Search("project = PHX", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusGone {
		t.Fatalf("legacy search: err %v resp %v, want 410", err, resp)
	}
	if !strings.Contains(err.Error(), "CHANGE-2046") {
		t.Errorf("error %q lacks Jira's migration message", err)
	}
}

// rawGet fetches path with the mode's credentials and decodes JSON into v
// (when v is not nil); it returns the response with its body read.
func rawGet(t *testing.T, mode Mode, url string, v any) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	auth(req, mode)
	return do(t, req, v)
}

func auth(req *http.Request, mode Mode) {
	if mode == ModeDC {
		req.Header.Set("Authorization", "Bearer sim-pat")
	} else {
		req.SetBasicAuth("sim@example.com", "sim-token")
	}
}

func do(t *testing.T, req *http.Request, v any) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: decode: %v: %.300s", req.URL, err, b)
		}
	}
	return resp, b
}
