package jirasim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

type jqlPage struct {
	Issues []struct {
		ID     string          `json:"id"`
		Key    string          `json:"key"`
		Fields json.RawMessage `json:"fields"`
	} `json:"issues"`
	NextPageToken *string `json:"nextPageToken"`
	IsLast        bool    `json:"isLast"`
}

type startAtPage struct {
	StartAt    int `json:"startAt"`
	MaxResults int `json:"maxResults"`
	Total      int `json:"total"`
	Issues     []struct {
		Key string `json:"key"`
	} `json:"issues"`
}

type jiraErr struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

func decodeErr(t *testing.T, b []byte) jiraErr {
	t.Helper()
	var e jiraErr
	if err := json.Unmarshal(b, &e); err != nil || len(e.ErrorMessages) == 0 || e.Errors == nil {
		t.Fatalf("not Jira's error shape: %s", b)
	}
	return e
}

func TestSearchJQLTokenPagingToLastPage(t *testing.T) {
	_, ts := NewTestServer(t, Config{Teams: 2, Issues: 250})
	// Board 1 (PHX) has 250/2 = 125 issues. With fields and changelog Jira
	// caps pages at 100, so maxResults=200 gives pages of 100 and 25.
	var keys []string
	var sizes []int
	tok := ""
	for {
		q := url.Values{"jql": {`project = PHX AND updated >= "2000-01-01 00:00" ORDER BY key ASC`},
			"maxResults": {"200"}, "fields": {"summary,status"}, "expand": {"changelog"}}
		if tok != "" {
			q.Set("nextPageToken", tok)
		}
		var p jqlPage
		resp, b := rawGet(t, ModeCloud, ts.URL+"/rest/api/3/search/jql?"+q.Encode(), &p)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
		sizes = append(sizes, len(p.Issues))
		for _, is := range p.Issues {
			keys = append(keys, is.Key)
		}
		if p.IsLast {
			if p.NextPageToken != nil {
				t.Error("last page carries a nextPageToken")
			}
			break
		}
		if p.NextPageToken == nil {
			t.Fatal("page not last but without nextPageToken")
		}
		tok = *p.NextPageToken
	}
	if !slices.Equal(sizes, []int{100, 25}) {
		t.Errorf("page sizes %v, want [100 25]", sizes)
	}
	if len(keys) != 125 || keys[0] != "PHX-1" || keys[124] != "PHX-125" {
		t.Errorf("got %d keys %v..", len(keys), keys[:3])
	}
	// POST works the same and ids-only pages may be larger (up to 5000).
	body := `{"jql":"project = PHX","maxResults":1000}`
	req, _ := http.NewRequest("POST", ts.URL+"/rest/api/3/search/jql", strings.NewReader(body))
	auth(req, ModeCloud)
	req.Header.Set("Content-Type", "application/json")
	var p jqlPage
	if resp, b := do(t, req, &p); resp.StatusCode != 200 || len(p.Issues) != 125 || !p.IsLast {
		t.Fatalf("POST: %d, %d issues, isLast %v: %.200s", resp.StatusCode, len(p.Issues), p.IsLast, b)
	}
}

func TestSearchJQLRejects(t *testing.T) {
	_, ts := NewTestServer(t, Config{})
	cases := map[string]struct {
		jql, want string
	}{
		"Unbounded":     {"ORDER BY updated", "Unbounded JQL queries are not allowed here"},
		"Empty":         {"", "Unbounded JQL"},
		"UnknownField":  {"assignee = bob", "Field 'assignee' does not exist"},
		"Or":            {"project = PHX OR project = ATL", "only AND"},
		"Function":      {"sprint in openSprints()", "functions"},
		"BadDate":       {`updated >= "yesterday"`, "Date value 'yesterday'"},
		"UnknownProj":   {"project = NOPE", "The value 'NOPE' does not exist for the field 'project'"},
		"BadOrderField": {"project = PHX ORDER BY summary", "Not able to sort using field 'summary'"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resp, b := rawGet(t, ModeCloud, ts.URL+"/rest/api/3/search/jql?jql="+url.QueryEscape(c.jql), nil)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", resp.StatusCode)
			}
			if e := decodeErr(t, b); !strings.Contains(e.ErrorMessages[0], c.want) {
				t.Errorf("message %q lacks %q", e.ErrorMessages[0], c.want)
			}
		})
	}
	resp, b := rawGet(t, ModeCloud, ts.URL+"/rest/api/2/search/jql?jql=project%3DPHX&nextPageToken=garbage", nil)
	if resp.StatusCode != 400 || !strings.Contains(decodeErr(t, b).ErrorMessages[0], "token") {
		t.Errorf("bad token: %d %s", resp.StatusCode, b)
	}
}

func TestCloudRemovedSearchIs410(t *testing.T) {
	_, ts := NewTestServer(t, Config{})
	for _, v := range []string{"2", "3"} {
		for _, method := range []string{"GET", "POST"} {
			req, _ := http.NewRequest(method, ts.URL+"/rest/api/"+v+"/search?jql=project%3DPHX", strings.NewReader(`{"jql":"project = PHX"}`))
			auth(req, ModeCloud)
			resp, b := do(t, req, nil)
			if resp.StatusCode != http.StatusGone {
				t.Fatalf("%s v%s: status %d, want 410", method, v, resp.StatusCode)
			}
			if e := decodeErr(t, b); e.ErrorMessages[0] != msgSearchRemoved {
				t.Errorf("message %q", e.ErrorMessages[0])
			}
		}
	}
	// DC has no /search/jql and no v3.
	_, dts := NewTestServer(t, Config{Mode: ModeDC})
	for _, p := range []string{"/rest/api/2/search/jql?jql=project%3DPHX", "/rest/api/3/search?jql=project%3DPHX"} {
		if resp, _ := rawGet(t, ModeDC, dts.URL+p, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("dc %s: %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestDCSearchStartAtPaging(t *testing.T) {
	_, ts := NewTestServer(t, Config{Mode: ModeDC, Teams: 2, Issues: 250})
	var keys []string
	for startAt := 0; ; {
		var p startAtPage
		u := fmt.Sprintf("%s/rest/api/2/search?jql=%s&startAt=%d&maxResults=60", ts.URL, url.QueryEscape("project = PHX ORDER BY created DESC"), startAt)
		if resp, b := rawGet(t, ModeDC, u, &p); resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		if p.Total != 125 || p.StartAt != startAt {
			t.Fatalf("total %d startAt %d", p.Total, p.StartAt)
		}
		for _, is := range p.Issues {
			keys = append(keys, is.Key)
		}
		startAt += len(p.Issues)
		if startAt >= p.Total {
			break
		}
	}
	slices.SortFunc(keys, compareKeys)
	keys = slices.Compact(keys)
	if len(keys) != 125 {
		t.Fatalf("%d distinct keys over the pages, want 125", len(keys))
	}
}

func TestAgileIssueEndpointsPageToLast(t *testing.T) {
	for _, mode := range []Mode{ModeCloud, ModeDC} {
		t.Run(string(mode), func(t *testing.T) {
			sv, ts := NewTestServer(t, Config{Mode: mode})
			// Board issues: the issues of project PHX (board 1): 5000/3 = 1666 + 1
			// (5000 % 3 = 2 extra issues go to boards 1 and 2) = 1667, less its
			// epics, which are not on a scrum board: 1666/150 = 11 epics, so 1656.
			keys := pageAgile(t, mode, ts.URL+"/rest/agile/1.0/board/1/issue?fields=status&maxResults=100")
			if len(keys) != 1656 {
				t.Errorf("board issues: %d, want 1656", len(keys))
			}
			for _, k := range keys {
				if i, ok := sv.site.lookup(k); !ok || sv.issue(i).typ == typeEpic {
					t.Fatalf("board issue %s: an epic, or unknown (%v)", k, ok)
				}
			}
			// Sprint issues: the issues whose Sprint field holds the sprint, the
			// same set the model says.
			tr, err := sv.Truth()
			if err != nil {
				t.Fatal(err)
			}
			sp := tr.Boards[0].Sprints[2]
			got := pageAgile(t, mode, fmt.Sprintf("%s/rest/agile/1.0/sprint/%d/issue?maxResults=7&expand=changelog", ts.URL, sp.SprintID))
			var want []string
			for _, i := range sv.site.sprintCandidates(sp.SprintID) {
				st, _, _ := sv.issue(i).final()
				if slices.Contains(st.sprints, sp.SprintID) {
					want = append(want, sv.site.key(i))
				}
			}
			slices.SortFunc(got, compareKeys)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("sprint %d issues:\n got %v\nwant %v", sp.SprintID, got, want)
			}
		})
	}
}

// pageAgile reads every page of an agile issue list the way the mode pages
// it: Data Center by startAt/total; Cloud by nextPageToken until isLast, and
// its pages must carry neither startAt nor total (RFC-127's shape).
func pageAgile(t *testing.T, mode Mode, u string) []string {
	t.Helper()
	var keys []string
	if mode == ModeDC {
		for startAt := 0; ; {
			var p startAtPage
			if resp, b := rawGet(t, mode, fmt.Sprintf("%s&startAt=%d", u, startAt), &p); resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			for _, is := range p.Issues {
				keys = append(keys, is.Key)
			}
			startAt += len(p.Issues)
			if startAt >= p.Total || len(p.Issues) == 0 {
				return keys
			}
		}
	}
	next := ""
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("more than 10000 pages: the token paging does not end")
		}
		var p map[string]json.RawMessage
		target := u
		if next != "" {
			target += "&nextPageToken=" + url.QueryEscape(next)
		}
		if resp, b := rawGet(t, mode, target, &p); resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		for _, k := range []string{"startAt", "total"} {
			if _, ok := p[k]; ok {
				t.Fatalf("token-paged Cloud page carries %q", k)
			}
		}
		var page struct {
			Issues []struct {
				Key string `json:"key"`
			} `json:"issues"`
			IsLast        *bool  `json:"isLast"`
			NextPageToken string `json:"nextPageToken"`
		}
		b, _ := json.Marshal(p)
		if err := json.Unmarshal(b, &page); err != nil || page.IsLast == nil {
			t.Fatalf("page without isLast (%v): %s", err, b)
		}
		for _, is := range page.Issues {
			keys = append(keys, is.Key)
		}
		if *page.IsLast != (page.NextPageToken == "") {
			t.Fatalf("isLast %v with token %q", *page.IsLast, page.NextPageToken)
		}
		if *page.IsLast {
			return keys
		}
		next = page.NextPageToken
	}
}

type historyJSON struct {
	ID      string `json:"id"`
	Created string `json:"created"`
	Items   []struct {
		Field   string `json:"field"`
		FieldID string `json:"fieldId"`
	} `json:"items"`
}

func TestTruncatedChangelogAndFullChangelogEndpoints(t *testing.T) {
	sv, ts := NewTestServer(t, Config{})
	long := sv.site.key(sv.site.idxOf(0, sv.site.nEpics)) // 131 histories (genLong)
	id := fmt.Sprint(sv.site.issueID(sv.site.idxOf(0, sv.site.nEpics)))

	// Embedded: the latest 100, newest first, total 131.
	var is struct {
		Changelog struct {
			MaxResults, Total int
			Histories         []historyJSON
		}
	}
	rawGet(t, ModeCloud, ts.URL+"/rest/api/3/issue/"+long+"?expand=changelog", &is)
	if is.Changelog.Total != 131 || len(is.Changelog.Histories) != 100 || is.Changelog.MaxResults != 100 {
		t.Fatalf("embedded: total %d, %d histories", is.Changelog.Total, len(is.Changelog.Histories))
	}
	h0, _ := parseAnyTime(is.Changelog.Histories[0].Created)
	h99, _ := parseAnyTime(is.Changelog.Histories[99].Created)
	if !h0.After(h99) {
		t.Error("embedded histories are not newest first")
	}
	// Search results embed the same truncated changelog.
	var sp struct {
		Issues []struct {
			Changelog struct {
				Total     int
				Histories []historyJSON
			}
		}
	}
	rawGet(t, ModeCloud, ts.URL+"/rest/api/3/search/jql?expand=changelog&fields=summary&jql="+url.QueryEscape("key = "+long), &sp)
	if len(sp.Issues) != 1 || len(sp.Issues[0].Changelog.Histories) != 100 || sp.Issues[0].Changelog.Total != 131 {
		t.Fatalf("search embedded changelog: %+v", sp)
	}

	// Paged endpoint: 100 + 31, oldest first, all 131 distinct.
	var all []historyJSON
	for startAt := 0; ; {
		var p struct {
			StartAt, MaxResults, Total int
			IsLast                     bool
			Values                     []historyJSON
		}
		rawGet(t, ModeCloud, fmt.Sprintf("%s/rest/api/2/issue/%s/changelog?startAt=%d", ts.URL, long, startAt), &p)
		all = append(all, p.Values...)
		if p.IsLast {
			break
		}
		startAt += len(p.Values)
	}
	if len(all) != 131 {
		t.Fatalf("changelog endpoint gave %d histories, want 131", len(all))
	}
	seen := map[string]bool{}
	for i, h := range all {
		seen[h.ID] = true
		if i > 0 && all[i-1].Created >= h.Created {
			t.Fatal("changelog endpoint is not oldest first")
		}
	}
	for _, h := range is.Changelog.Histories {
		if !seen[h.ID] {
			t.Fatalf("embedded history %s missing from the full list", h.ID)
		}
	}

	// bulkfetch: all 131 over two pages of 100 histories; with a status
	// filter only histories touching status (27 status moves in genLong: 26
	// cycle moves + the final Done).
	var got []historyJSON
	tok := ""
	for {
		body := fmt.Sprintf(`{"issueIdsOrKeys":[%q],"maxResults":100,"nextPageToken":%q}`, id, tok)
		req, _ := http.NewRequest("POST", ts.URL+"/rest/api/3/changelog/bulkfetch", bytes.NewBufferString(body))
		auth(req, ModeCloud)
		var p struct {
			IssueChangeLogs []struct {
				IssueID         string
				ChangeHistories []historyJSON
			}
			NextPageToken string
		}
		if resp, b := do(t, req, &p); resp.StatusCode != 200 {
			t.Fatalf("bulkfetch %d %s", resp.StatusCode, b)
		}
		for _, l := range p.IssueChangeLogs {
			if l.IssueID != id {
				t.Fatalf("issueId %s", l.IssueID)
			}
			got = append(got, l.ChangeHistories...)
		}
		if p.NextPageToken == "" {
			break
		}
		tok = p.NextPageToken
	}
	if len(got) != 131 {
		t.Fatalf("bulkfetch gave %d histories, want 131", len(got))
	}
	req, _ := http.NewRequest("POST", ts.URL+"/rest/api/3/changelog/bulkfetch", bytes.NewBufferString(`{"issueIdsOrKeys":["`+long+`"],"fieldIds":["status"]}`))
	auth(req, ModeCloud)
	var p struct {
		IssueChangeLogs []struct{ ChangeHistories []historyJSON }
	}
	do(t, req, &p)
	n := 0
	for _, h := range p.IssueChangeLogs[0].ChangeHistories {
		for _, it := range h.Items {
			if it.FieldID != "status" {
				t.Fatalf("filtered history holds %s", it.FieldID)
			}
		}
		n++
	}
	if n != 27 {
		t.Errorf("status histories %d, want 27", n)
	}
}

func TestAuth(t *testing.T) {
	for _, mode := range []Mode{ModeCloud, ModeDC} {
		t.Run(string(mode), func(t *testing.T) {
			sv, ts := NewTestServer(t, Config{Mode: mode})
			bad := []func(*http.Request){
				func(r *http.Request) {},
				func(r *http.Request) { r.SetBasicAuth("sim@example.com", "wrong") },
				func(r *http.Request) { r.Header.Set("Authorization", "Bearer wrong") },
			}
			if mode == ModeDC {
				bad[1] = func(r *http.Request) { r.SetBasicAuth("sim@example.com", "sim-token") }
			}
			for i, set := range bad {
				req, _ := http.NewRequest("GET", ts.URL+"/rest/api/2/myself", nil)
				set(req)
				resp, b := do(t, req, nil)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("case %d: status %d, want 401", i, resp.StatusCode)
				}
				decodeErr(t, b)
			}
			// serverInfo answers anonymous callers, as Jira does.
			req, _ := http.NewRequest("GET", ts.URL+"/rest/api/2/serverInfo", nil)
			var info struct{ DeploymentType string }
			if resp, _ := do(t, req, &info); resp.StatusCode != 200 {
				t.Fatalf("anonymous serverInfo: %d", resp.StatusCode)
			}
			want := map[Mode]string{ModeCloud: "Cloud", ModeDC: "Server"}[mode]
			if info.DeploymentType != want {
				t.Errorf("deploymentType %q, want %q", info.DeploymentType, want)
			}
			if resp, _ := rawGet(t, mode, ts.URL+"/rest/api/2/myself", nil); resp.StatusCode != 200 {
				t.Errorf("good credentials: %d", resp.StatusCode)
			}
			if sv.Stats().Unauthorized != 3 {
				t.Errorf("unauthorized count %d, want 3", sv.Stats().Unauthorized)
			}
		})
	}
}

func TestNotFoundShapes(t *testing.T) {
	_, ts := NewTestServer(t, Config{})
	for _, p := range []string{"/rest/api/2/issue/PHX-99999", "/rest/api/2/issue/NOPE-1", "/rest/agile/1.0/board/99/sprint", "/rest/agile/1.0/sprint/9999/issue", "/rest/api/2/nothing"} {
		resp, b := rawGet(t, ModeCloud, ts.URL+p, nil)
		if resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
		decodeErr(t, b)
	}
}

func TestBoardSprintStateFilterAndBadState(t *testing.T) {
	_, ts := NewTestServer(t, Config{})
	var p struct {
		Values []struct{ State, Goal string }
	}
	rawGet(t, ModeCloud, ts.URL+"/rest/agile/1.0/board/3/sprint?state=active,future", &p)
	if len(p.Values) != 2 || p.Values[0].State != "active" || p.Values[1].State != "future" {
		t.Errorf("active,future: %+v", p.Values)
	}
	resp, b := rawGet(t, ModeCloud, ts.URL+"/rest/agile/1.0/board/3/sprint?state=open", nil)
	if resp.StatusCode != 400 {
		t.Errorf("bad state: %d", resp.StatusCode)
	}
	decodeErr(t, b)
}

func TestDCSprintFieldStringsAndChangelogItems(t *testing.T) {
	sv, ts := NewTestServer(t, Config{Mode: ModeDC})
	// Find a carried-over issue in the model: one whose Sprint field holds two sprints.
	for i := 0; i < 600; i++ {
		is := sv.issue(i)
		st, _, _ := is.final()
		if len(st.sprints) < 2 {
			continue
		}
		var got struct {
			Fields    map[string]json.RawMessage
			Changelog struct {
				Histories []struct {
					Items []map[string]any
				}
			}
		}
		rawGet(t, ModeDC, ts.URL+"/rest/api/2/issue/"+sv.site.key(i)+"?expand=changelog", &got)
		var vals []string
		if err := json.Unmarshal(got.Fields["customfield_10005"], &vals); err != nil || len(vals) != len(st.sprints) {
			t.Fatalf("sprint field %s: %v", got.Fields["customfield_10005"], err)
		}
		if !strings.HasPrefix(vals[0], "com.atlassian.greenhopper.service.sprint.Sprint@") || !strings.Contains(vals[0], fmt.Sprintf("[id=%d,rapidViewId=", st.sprints[0])) {
			t.Errorf("sprint string %q", vals[0])
		}
		found := false
		for _, h := range got.Changelog.Histories {
			for _, it := range h.Items {
				if it["field"] == "Sprint" {
					if _, ok := it["fieldId"]; ok {
						t.Error("DC changelog items carry no fieldId")
					}
					if to, _ := it["to"].(string); strings.Contains(to, ", ") {
						found = true // "4, 5" style
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: no multi-sprint Sprint item", sv.site.key(i))
		}
		return
	}
	t.Fatal("no carried-over issue in the first 600")
}

func TestStatsCountPatterns(t *testing.T) {
	sv, ts := NewTestServer(t, Config{})
	rawGet(t, ModeCloud, ts.URL+"/rest/agile/1.0/board/1/sprint", nil)
	rawGet(t, ModeCloud, ts.URL+"/rest/agile/1.0/board/2/sprint", nil)
	rawGet(t, ModeCloud, ts.URL+"/rest/api/2/field", nil)
	st := sv.Stats()
	if st.Total != 3 || st.ByPattern["GET /rest/agile/1.0/board/{id}/sprint"] != 2 || st.ByPattern["GET /rest/api/{v}/field"] != 1 {
		t.Errorf("stats %+v", st)
	}
	sv.ResetStats()
	if st := sv.Stats(); st.Total != 0 || len(st.ByPattern) != 0 {
		t.Errorf("after reset %+v", st)
	}
}

func TestTouchBumpsUpdatedAndAddsHistory(t *testing.T) {
	sv, ts := NewTestServer(t, Config{Teams: 2, Issues: 300})
	at := DefaultNow.Add(2 * time.Hour)
	// Build the search index first, so Touch has to keep it up to date.
	rawGet(t, ModeCloud, ts.URL+"/rest/api/3/search/jql?jql=project%3DPHX", nil)
	before := map[string]int{}
	for i := 0; i < 300; i++ {
		before[sv.site.key(i)] = len(sv.issue(i).hist)
	}
	keys := sv.Touch(5, at)
	if len(keys) != 5 {
		t.Fatalf("touched %v", keys)
	}
	jql := `updated >= "2025-06-18 13:00" ORDER BY key`
	var p jqlPage
	rawGet(t, ModeCloud, ts.URL+"/rest/api/3/search/jql?fields=key&jql="+url.QueryEscape(jql), &p)
	var got []string
	for _, is := range p.Issues {
		got = append(got, is.Key)
	}
	want := slices.Clone(keys)
	slices.SortFunc(want, compareKeys)
	slices.SortFunc(got, compareKeys)
	if !slices.Equal(got, want) {
		t.Errorf("updated search %v, touched %v", got, want)
	}
	for _, k := range keys {
		i, _ := sv.site.lookup(k)
		is := sv.issue(i)
		if len(is.hist) != before[k]+1 || !is.updated().Equal(at) {
			t.Errorf("%s: %d histories (was %d), updated %v", k, len(is.hist), before[k], is.updated())
		}
	}
	// Same seed, same call sequence, same keys.
	other, _ := New(Config{Teams: 2, Issues: 300})
	if again := other.Touch(5, at); !slices.Equal(again, keys) {
		t.Errorf("Touch not deterministic: %v vs %v", again, keys)
	}
}

func TestDeterminismSameSeedSameBytes(t *testing.T) {
	paths := []string{
		"/rest/agile/1.0/board/1/sprint",
		"/rest/agile/1.0/board/2/configuration",
		"/rest/api/2/field",
		"/rest/agile/1.0/board/2/issue?expand=changelog&maxResults=100&startAt=300",
		"/rest/api/3/search/jql?expand=changelog&fields=*all&maxResults=100&jql=" + url.QueryEscape("project = ATL ORDER BY updated DESC"),
		"/rest/api/2/issue/ORI-40?expand=changelog",
	}
	fetch := func(seed int64) [][]byte {
		// A fixed clock: Cloud's agile page tokens carry the time they were issued.
		sv, err := New(Config{Seed: seed, Clock: func() time.Time { return DefaultNow }})
		if err != nil {
			t.Fatal(err)
		}
		var out [][]byte
		for _, p := range paths {
			req, _ := http.NewRequest("GET", "http://jira.test"+p, nil)
			auth(req, ModeCloud)
			rec := newRecorder()
			sv.ServeHTTP(rec, req)
			if rec.status != 200 {
				t.Fatalf("%s: %d %s", p, rec.status, rec.body.String())
			}
			out = append(out, rec.body.Bytes())
		}
		tr, _ := sv.Truth()
		b, _ := json.Marshal(tr)
		return append(out, b)
	}
	a, b, c := fetch(7), fetch(7), fetch(8)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Errorf("seed 7 twice: response %d differs", i)
		}
		if i != 1 && i != 2 && bytes.Equal(a[i], c[i]) { // configuration and fields do not depend on the seed
			t.Errorf("seeds 7 and 8: response %d identical", i)
		}
	}
}

type recorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{h: http.Header{}, status: 200} }
func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) WriteHeader(code int)        { r.status = code }
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }

// TestConcurrentSearchAndTouch runs searches while Touch changes issues; run
// with -race it checks the index and caches are safe to share.
func TestConcurrentSearchAndTouch(t *testing.T) {
	sv, ts := NewTestServer(t, Config{Teams: 2, Issues: 400})
	done := make(chan struct{})
	errs := make(chan string, 16)
	for g := 0; g < 3; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 15; i++ {
				req, _ := http.NewRequest("GET", ts.URL+"/rest/api/3/search/jql?fields=updated&jql="+url.QueryEscape(`project = ATL AND updated >= "2000-01-01 00:00" ORDER BY updated DESC`), nil)
				auth(req, ModeCloud)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- resp.Status
				}
			}
		}()
	}
	var touched []string
	for i := 0; i < 5; i++ {
		touched = append(touched, sv.Touch(3, DefaultNow.Add(time.Duration(i+1)*time.Hour))...)
	}
	for g := 0; g < 3; g++ {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	// After the dust settles, the newest-updated issues are the last touched.
	var p jqlPage
	rawGet(t, ModeCloud, ts.URL+"/rest/api/3/search/jql?fields=key&maxResults=3&jql="+url.QueryEscape(`updated >= "2025-06-18 16:30" ORDER BY key`), &p)
	var got []string
	for _, is := range p.Issues {
		got = append(got, is.Key)
	}
	want := slices.Clone(touched[12:])
	slices.SortFunc(want, compareKeys)
	if !slices.Equal(got, want) {
		t.Errorf("latest touched %v, search says %v", want, got)
	}
}
