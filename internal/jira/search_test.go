package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	analyzer "github.com/backlog-health/analyzer"
)

// syntheticIssues makes n issues shaped like testdata/cloud_issue.json
// (ids 30001…, keys ACME-1…).
func syntheticIssues(t *testing.T, n int) []json.RawMessage {
	t.Helper()
	tmpl := readFixture(t, "cloud_issue.json")
	out := make([]json.RawMessage, n)
	for i := range n {
		out[i] = mutate(t, tmpl, func(m map[string]any) {
			m["id"] = strconv.Itoa(30001 + i)
			m["key"] = fmt.Sprintf("ACME-%d", i+1)
		})
	}
	return out
}

// pageCap is what the fakes do with maxResults: Jira may return fewer
// issues than asked, so the fakes cap it.
func pageCap(r *http.Request, limit int) int {
	n, err := strconv.Atoi(r.URL.Query().Get("maxResults"))
	if err != nil || n <= 0 || n > limit {
		return limit
	}
	return n
}

// serveSearchJQL fakes Cloud's /rest/api/3/search/jql over issues: an opaque
// nextPageToken, no token on the last page, maxResults lowered to limit.
func serveSearchJQL(t *testing.T, mux *http.ServeMux, issues []json.RawMessage, limit int, seen *[]*http.Request) {
	var mu sync.Mutex
	mux.HandleFunc("GET /rest/api/3/search/jql", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*seen = append(*seen, r)
		mu.Unlock()
		start := 0
		if tok := r.URL.Query().Get("nextPageToken"); tok != "" {
			var err error
			if start, err = strconv.Atoi(strings.TrimPrefix(tok, "tok-")); err != nil {
				http.Error(w, `{"errorMessages":["bad token"]}`, http.StatusBadRequest)
				return
			}
		}
		end := min(start+pageCap(r, limit), len(issues))
		page := map[string]any{"issues": issues[start:end], "isLast": end == len(issues)}
		if end < len(issues) {
			page["nextPageToken"] = fmt.Sprintf("tok-%d", end)
		}
		writeJSON(w, page)
	})
	// Cloud removed the old search (CHANGE-2046); the client must never call it.
	for _, p := range []string{"/rest/api/2/search", "/rest/api/3/search"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("client called removed endpoint %s", r.URL.Path)
			w.WriteHeader(http.StatusGone)
		})
	}
}

// serveStartAt fakes a startAt/total endpoint (DC search, agile issues).
func serveStartAt(mux *http.ServeMux, pattern string, issues []json.RawMessage, limit int, seen *[]*http.Request) {
	var mu sync.Mutex
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*seen = append(*seen, r)
		mu.Unlock()
		start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
		size := pageCap(r, limit)
		end := min(start+size, len(issues))
		if start > len(issues) {
			start = len(issues)
		}
		writeJSON(w, map[string]any{
			"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(issues), "issues": issues[start:end],
		})
	})
}

func keysOf(t *testing.T, raws []RawIssue) []string {
	t.Helper()
	keys := make([]string, 0, len(raws))
	for _, r := range raws {
		var k struct {
			Key string `json:"key"`
		}
		if err := json.Unmarshal(r, &k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.Key)
	}
	return keys
}

func wantKeys(n int) []string {
	keys := make([]string, n)
	for i := range n {
		keys[i] = fmt.Sprintf("ACME-%d", i+1)
	}
	return keys
}

func TestSearchIssuesCloudTokenPaging(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	issues := syntheticIssues(t, 250)
	var seen []*http.Request
	serveSearchJQL(t, mux, issues, 40, &seen)

	opts := SearchOptions{Fields: ParseOptions{EstimationField: "customfield_10016", SprintField: "customfield_10020"}.Fields(), Expand: []string{"changelog"}, PageSize: 100}
	var got []RawIssue
	for raw, err := range c.SearchIssues(context.Background(), `project = ACME AND updated >= "2024-01-01 00:00" ORDER BY updated`, opts) {
		if err != nil {
			t.Fatalf("SearchIssues: %v", err)
		}
		got = append(got, raw)
	}
	if !slices.Equal(keysOf(t, got), wantKeys(250)) {
		t.Fatalf("got %d issues, want ACME-1..ACME-250 in order", len(got))
	}
	// The server lowers 100 to 40: ceil(250/40) = 7 pages, the last without a token.
	if len(seen) != 7 {
		t.Errorf("requests = %d, want 7", len(seen))
	}
	q := seen[0].URL.Query()
	if q.Get("jql") == "" || q.Get("expand") != "changelog" || q.Get("maxResults") != "100" || q.Has("nextPageToken") {
		t.Errorf("first page query = %v", q)
	}
	if fs := strings.Split(q.Get("fields"), ","); !slices.Contains(fs, "customfield_10016") || !slices.Contains(fs, "status") {
		t.Errorf("fields = %v, want an explicit list with the estimate and status", fs)
	}
	if tok := seen[6].URL.Query().Get("nextPageToken"); tok != "tok-240" {
		t.Errorf("last request token = %q, want tok-240", tok)
	}
	if c.Stats().Requests != 7 {
		t.Errorf("stats requests = %d, want 7", c.Stats().Requests)
	}
}

func TestSearchIssuesStopsWhenConsumerBreaks(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	var seen []*http.Request
	serveSearchJQL(t, mux, syntheticIssues(t, 100), 10, &seen)
	n := 0
	for _, err := range c.SearchIssues(context.Background(), "project = ACME", SearchOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 15 {
			break
		}
	}
	// 15 issues need pages 1 and 2 of 10; nothing more is fetched.
	if len(seen) != 2 {
		t.Errorf("requests = %d, want 2", len(seen))
	}
}

func TestSearchPagesRepeatedTokenIsAnError(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	mux.HandleFunc("GET /rest/api/3/search/jql", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"issues": []any{}, "nextPageToken": "same", "isLast": false})
	})
	var lastErr error
	pagesSeen := 0
	for p, err := range c.SearchPages(context.Background(), "project = ACME", SearchOptions{}) {
		if err != nil {
			lastErr = err
			break
		}
		pagesSeen++
		if p.Total != -1 {
			t.Errorf("cloud page total = %d, want -1 (unknown)", p.Total)
		}
	}
	// Page 1 hands out token "same"; page 2, fetched with "same", hands out
	// "same" again: the walk stops there with ErrPagingStalled instead of
	// yielding page 2.
	if !errors.Is(lastErr, ErrPagingStalled) || pagesSeen != 1 {
		t.Errorf("pages = %d, err = %v; want 1 page then ErrPagingStalled", pagesSeen, lastErr)
	}
}

func TestSearchIssuesDCStartAtPaging(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorDC)
	var seen []*http.Request
	serveStartAt(mux, "GET /rest/api/2/search", syntheticIssues(t, 95), 20, &seen)
	var got []RawIssue
	for raw, err := range c.SearchIssues(context.Background(), "project = ACME", SearchOptions{PageSize: 50}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, raw)
	}
	if !slices.Equal(keysOf(t, got), wantKeys(95)) {
		t.Fatalf("got %d issues, want 95 in order", len(got))
	}
	// Asked 50, served 20: startAt advances by what came back, 0..80.
	var starts []string
	for _, r := range seen {
		starts = append(starts, r.URL.Query().Get("startAt"))
		if r.Header.Get("Authorization") != "Bearer "+testPAT {
			t.Errorf("DC request without bearer PAT")
		}
	}
	if !slices.Equal(starts, []string{"0", "20", "40", "60", "80"}) {
		t.Errorf("startAt = %v", starts)
	}
}

func TestBoardIssuesPaging(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	var seen []*http.Request
	serveStartAt(mux, "GET /rest/agile/1.0/board/3/issue", syntheticIssues(t, 120), 50, &seen)
	n := 0
	for _, err := range c.BoardIssues(context.Background(), 3, `updated >= "2024-01-01 00:00"`, SearchOptions{Expand: []string{"changelog"}}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	// 120 issues in pages of 50: 3 requests.
	if n != 120 || len(seen) != 3 || seen[0].URL.Query().Get("jql") == "" {
		t.Errorf("issues %d, requests %d, jql %q", n, len(seen), seen[0].URL.Query().Get("jql"))
	}
}

func TestCountIssues(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	mux.HandleFunc("POST /rest/api/3/search/approximate-count", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			JQL string `json:"jql"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body.JQL != "project = ACME" {
			t.Errorf("jql = %q", body.JQL)
		}
		writeJSON(w, map[string]int{"count": 1234})
	})
	if n, err := c.CountIssues(context.Background(), "project = ACME"); err != nil || n != 1234 {
		t.Errorf("cloud count = %d, %v", n, err)
	}
	d, dmux, _ := setup(t, analyzer.FlavorDC)
	var seen []*http.Request
	serveStartAt(dmux, "GET /rest/api/2/search", syntheticIssues(t, 7), 50, &seen)
	if n, err := d.CountIssues(context.Background(), "project = ACME"); err != nil || n != 7 {
		t.Errorf("dc count = %d, %v", n, err)
	}
}

func TestBoardsSprintsAndConfiguration(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	mux.HandleFunc("GET /rest/agile/1.0/board", func(w http.ResponseWriter, r *http.Request) {
		start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
		var values []map[string]any
		for i := start; i < min(start+2, 3); i++ { // 3 boards, pages of 2
			values = append(values, map[string]any{
				"id": 8 + i, "name": fmt.Sprintf("Team %d", i), "type": "scrum",
				"location": map[string]any{"projectId": 10003, "projectKey": "EE", "projectName": "Enterprise Edition"},
			})
		}
		writeJSON(w, map[string]any{"maxResults": 2, "startAt": start, "total": 3, "isLast": start+2 >= 3, "values": values})
	})
	mux.HandleFunc("GET /rest/agile/1.0/board/8/sprint", func(w http.ResponseWriter, r *http.Request) {
		start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
		var values []map[string]any
		for i := start; i < min(start+50, 60); i++ { // 60 sprints, pages of 50; no total, isLast only
			values = append(values, map[string]any{
				"id": 100 + i, "state": "closed", "name": fmt.Sprintf("EE Sprint %d", i), "goal": "Ship it, then fix it",
				"startDate": "2020-06-12T00:38:51.882Z", "endDate": "2020-06-26T00:38:00.000Z", "completeDate": "2020-06-22T05:59:58.980Z",
				"originBoardId": 8,
			})
		}
		writeJSON(w, map[string]any{"maxResults": 50, "startAt": start, "isLast": start+50 >= 60, "values": values})
	})
	mux.HandleFunc("GET /rest/agile/1.0/board/8/configuration", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"id":8,"name":"Team 0","type":"scrum","location":{"type":"project","key":"EE","id":"10003"},
		 "filter":{"id":"10010"},
		 "columnConfig":{"columns":[{"name":"To Do","statuses":[{"id":"10000"}]},{"name":"In Progress","statuses":[{"id":"3"}]},
		   {"name":"Done","statuses":[{"id":"10001"},{"id":"10068"}]},{"name":"Empty","statuses":[]}],"constraintType":"issueCount"},
		 "estimation":{"type":"field","field":{"fieldId":"customfield_10016","displayName":"Story point estimate"}},
		 "ranking":{"rankCustomFieldId":10019}}`)
	})

	ctx := context.Background()
	boards, err := c.Boards(ctx)
	if err != nil || len(boards) != 3 || boards[2].ID != 10 || boards[0].ProjectKey != "EE" || boards[0].SiteID != c.SiteID() {
		t.Fatalf("boards = %+v, %v", boards, err)
	}
	sprints, err := c.Sprints(ctx, 8)
	if err != nil || len(sprints) != 60 {
		t.Fatalf("sprints = %d, %v", len(sprints), err)
	}
	s := sprints[59]
	if s.ID != 159 || s.Goal != "Ship it, then fix it" || s.BoardID != 8 || s.State != analyzer.SprintClosed ||
		s.CompleteDate == nil || !s.CompleteDate.Equal(utc("2020-06-22T05:59:58.98Z")) {
		t.Errorf("last sprint = %+v", s)
	}
	bc, err := c.BoardConfiguration(ctx, 8)
	if err != nil {
		t.Fatal(err)
	}
	b := boards[0]
	bc.Apply(&b, nil, "")
	if b.EstimationField != "customfield_10016" || b.EstimationSource != SourceBoard {
		t.Errorf("estimation = %q from %q", b.EstimationField, b.EstimationSource)
	}
	// The rightmost column with statuses is "Done"; the empty column after it does not count.
	if !slices.Equal(b.DoneStatusIDs(), []string{"10001", "10068"}) || len(b.Columns) != 4 {
		t.Errorf("columns = %+v", b.Columns)
	}
}

func TestIssueChangelogPaging(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	const total = 230
	var starts []string
	mux.HandleFunc("GET /rest/api/3/issue/ACME-7/changelog", func(w http.ResponseWriter, r *http.Request) {
		starts = append(starts, r.URL.Query().Get("startAt"))
		start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
		end := min(start+100, total)
		var values []map[string]any
		for i := start; i < end; i++ {
			values = append(values, map[string]any{
				"id": strconv.Itoa(1000 + i), "author": map[string]any{"accountId": "a1"},
				"created": "2024-03-01T09:00:00.000+0100",
				"items":   []map[string]any{{"field": "status", "fieldId": "status", "from": "1", "to": "3"}},
			})
		}
		writeJSON(w, map[string]any{"startAt": start, "maxResults": 100, "total": total, "isLast": end == total, "values": values})
	})
	hs, err := c.IssueChangelog(context.Background(), "ACME-7")
	if err != nil {
		t.Fatal(err)
	}
	// 230 histories in pages of 100: startAt 0, 100, 200.
	if len(hs) != total || !slices.Equal(starts, []string{"0", "100", "200"}) || hs[229].ID != "1229" {
		t.Errorf("histories %d, starts %v", len(hs), starts)
	}
	items, warns := ConvertHistories("s", 20001, "ACME-7", hs, nil)
	if len(items) != total || len(warns) != 0 {
		t.Errorf("items %d warnings %v", len(items), warns)
	}

	d, dmux, _ := setup(t, analyzer.FlavorDC)
	dmux.HandleFunc("GET /rest/api/2/issue/SHOP-42", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("expand") != "changelog" {
			t.Errorf("expand = %q", r.URL.Query().Get("expand"))
		}
		_, _ = w.Write(readFixture(t, "dc_issue.json"))
	})
	hs, err = d.IssueChangelog(context.Background(), "SHOP-42")
	if err != nil || len(hs) != 2 || len(hs[1].Items) != 2 {
		t.Errorf("dc changelog = %+v, %v", hs, err)
	}
}

func TestBulkFetchChangelogs(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	var calls []int // ids per call
	mux.HandleFunc("POST /rest/api/3/changelog/bulkfetch", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			IssueIDsOrKeys []string `json:"issueIdsOrKeys"`
			FieldIDs       []string `json:"fieldIds"`
			NextPageToken  string   `json:"nextPageToken"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		calls = append(calls, len(body.IssueIDsOrKeys))
		if !slices.Equal(body.FieldIDs, []string{"status", "customfield_10020"}) {
			t.Errorf("fieldIds = %v", body.FieldIDs)
		}
		h := func(id string) map[string]any {
			return map[string]any{"id": id, "created": "2024-03-01T09:00:00.000+0100", "items": []any{map[string]any{"field": "status", "fieldId": "status"}}}
		}
		first := body.IssueIDsOrKeys[0]
		if body.NextPageToken == "" {
			// Page 1 holds one history of the first issue; page 2 another.
			writeJSON(w, map[string]any{"issueChangeLogs": []any{map[string]any{"issueId": first, "changeHistories": []any{h("1")}}}, "nextPageToken": "p2"})
			return
		}
		writeJSON(w, map[string]any{"issueChangeLogs": []any{map[string]any{"issueId": first, "changeHistories": []any{h("2")}}}})
	})
	ids := make([]string, 1500)
	for i := range ids {
		ids[i] = strconv.Itoa(10000 + i)
	}
	got, err := c.BulkFetchChangelogs(context.Background(), ids, []string{"status", "customfield_10020"})
	if err != nil {
		t.Fatal(err)
	}
	// 1500 ids → chunks of 1000 and 500, two pages each.
	if !slices.Equal(calls, []int{1000, 1000, 500, 500}) {
		t.Errorf("ids per call = %v", calls)
	}
	if len(got) != 2 || len(got["10000"]) != 2 || len(got["11000"]) != 2 {
		t.Errorf("result = %d issues; 10000 has %d histories", len(got), len(got["10000"]))
	}
}

func TestEstimationFieldPrecedence(t *testing.T) {
	fields := []Field{
		{ID: "customfield_10020", Name: "Sprint", Custom: true, Schema: FieldSchema{Type: "array", Items: "json", Custom: "com.pyxis.greenhopper.jira:gh-sprint"}},
		{ID: "customfield_10014", Name: "Epic Link", Custom: true, Schema: FieldSchema{Type: "any", Custom: "com.pyxis.greenhopper.jira:gh-epic-link"}},
		{ID: "customfield_10024", Name: "Story Points", Custom: true, Schema: FieldSchema{Type: "number", Custom: "com.atlassian.jira.plugin.system.customfieldtypes:float"}},
		{ID: "customfield_10016", Name: "Story point estimate", Custom: true, Schema: FieldSchema{Type: "number", Custom: "com.pyxis.greenhopper.jira:jsw-story-points"}},
		{ID: "customfield_10300", Name: "Environment", Custom: true, Schema: FieldSchema{Type: "option"}},
		{ID: "environment", Name: "Environment", Schema: FieldSchema{Type: "string", System: "environment"}},
	}
	withBoard := &BoardConfig{}
	withBoard.Estimation.Type = "field"
	withBoard.Estimation.Field.FieldID = "customfield_10002"
	countBoard := &BoardConfig{}
	countBoard.Estimation.Type = "issueCount"
	for _, tc := range []struct {
		name       string
		bc         *BoardConfig
		fields     []Field
		override   string
		id, source string
	}{
		{"OverrideWins", withBoard, fields, "customfield_99", "customfield_99", SourceOverride},
		{"BoardConfiguration", withBoard, fields, "", "customfield_10002", SourceBoard},
		{"BoardIssueCount", countBoard, fields, "", analyzer.EstimationIssueCount, SourceBoard},
		{"FieldListSchemaFirst", &BoardConfig{}, fields, "", "customfield_10016", SourceFieldList},
		{"FieldListByName", nil, fields[:3], "", "customfield_10024", SourceFieldList},
		{"None", nil, fields[:2], "", "", SourceNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, src := EstimationField(tc.bc, tc.fields, tc.override)
			if id != tc.id || src != tc.source {
				t.Errorf("got %q/%q, want %q/%q", id, src, tc.id, tc.source)
			}
		})
	}
	k := FindFields(fields)
	if k.Sprint != "customfield_10020" || k.EpicLink != "customfield_10014" || k.Environment != "customfield_10300" || k.StoryPoints != "customfield_10016" {
		t.Errorf("known fields = %+v", k)
	}
	if k := FindFields(fields[5:]); k.Environment != "environment" || k.Sprint != "" {
		t.Errorf("system environment fallback: %+v", k)
	}
}

func TestFieldsAndStatusesViaGoJira(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	mux.HandleFunc("GET /rest/api/2/field", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `[{"id":"customfield_10020","key":"customfield_10020","name":"Sprint","custom":true,"schema":{"type":"array","items":"json","custom":"com.pyxis.greenhopper.jira:gh-sprint","customId":10020}},
		{"id":"status","key":"status","name":"Status","custom":false,"schema":{"type":"status","system":"status"}}]`)
	})
	mux.HandleFunc("GET /rest/api/2/status", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `[{"id":"10068","name":"已完成","statusCategory":{"id":3,"key":"done","name":"完成"}},
		{"id":"1","name":"Open","statusCategory":{"id":2,"key":"new"}}, {"id":"9","name":"Odd"}]`)
	})
	fs, err := c.Fields(context.Background())
	if err != nil || len(fs) != 2 || FindFields(fs).Sprint != "customfield_10020" {
		t.Fatalf("fields = %+v, %v", fs, err)
	}
	ss, err := c.Statuses(context.Background())
	if err != nil || len(ss) != 3 {
		t.Fatalf("statuses = %+v, %v", ss, err)
	}
	if ss[0].CategoryKey != analyzer.CategoryDone || ss[0].Name != "已完成" || ss[2].CategoryKey != analyzer.CategoryUndefined {
		t.Errorf("statuses = %+v", ss)
	}
}
