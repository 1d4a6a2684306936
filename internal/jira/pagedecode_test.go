package jira

import (
	"context"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	analyzer "github.com/backlog-health/analyzer"
)

// A page is decoded in one pass: every issue keeps its exact bytes (Issues,
// stored as raw) and is parsed from what that pass decoded, with the same
// result as ParseIssue of its bytes. An issue whose changelog has a value
// of the wrong type cannot be decoded in that pass and is parsed the
// defensive way; the others on its page are not affected.
func TestPageDecodedOnce(t *testing.T) {
	cloud, err := os.ReadFile("testdata/cloud_issue.json")
	if err != nil {
		t.Fatal(err)
	}
	// The second issue's changelog startAt is a string: a type error.
	odd := `{"id":"10099","key":"APP-99","fields":{"summary":"odd","created":"2026-01-05T09:00:00.000+0000"},` +
		`"changelog":{"startAt":"0","total":0,"histories":[]}}`
	third := `{ "id" : "10100", "key":"APP-100", "fields" : {"summary":"spaced","created":"2026-01-06T09:00:00.000+0000"} }`
	issues := []string{strings.TrimSpace(string(cloud)), odd, third}
	body := `{"expand":"schema","isLast":true,"issues":[` + issues[0] + " ,\n  " + issues[1] + ",\t" + issues[2] + `],"extra":{"a":[1,2]}}`

	// The first answer is cut short after the first issue: the page is
	// fetched again and must not keep what the cut answer held.
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	var calls atomic.Int32
	mux.HandleFunc("GET /rest/agile/1.0/board/1/issue", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			_, _ = w.Write([]byte(body[:strings.Index(body, issues[1])+10]))
			return
		}
		_, _ = w.Write([]byte(body))
	})
	pg, err := c.BoardIssuesPage(context.Background(), 1, "", SearchOptions{}, Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || len(pg.Issues) != 3 || pg.IsLast == nil || !*pg.IsLast || !pg.TokenPaged() {
		t.Fatalf("page: %d requests, %d issues, isLast %v, token paged %v; want 2, 3, true, true", calls.Load(), len(pg.Issues), pg.IsLast, pg.TokenPaged())
	}
	if pg.envelope(0) == nil || pg.envelope(1) != nil || pg.envelope(2) == nil {
		t.Fatalf("decoded in the page's pass: %v %v %v, want the first and third only", pg.envelope(0) != nil, pg.envelope(1) != nil, pg.envelope(2) != nil)
	}
	opts := ParseOptions{SiteID: "acme"}
	for i := range issues {
		if string(pg.Issues[i]) != issues[i] {
			t.Errorf("issue %d bytes:\n%s\nwant\n%s", i, pg.Issues[i], issues[i])
		}
		is, items, warns, err := pg.ParseIssue(i, opts)
		wis, witems, wwarns, werr := ParseIssue(RawIssue(issues[i]), opts)
		if err != nil || werr != nil || !reflect.DeepEqual(is, wis) || !reflect.DeepEqual(items, witems) || len(warns) != len(wwarns) {
			t.Errorf("issue %d parsed from the page's pass differs from ParseIssue of its bytes:\n%+v %v\n%+v %v", i, is, err, wis, werr)
		}
	}
	if k := pg.issueKey(1); k != "APP-99" {
		t.Errorf("key of the odd issue %q", k)
	}
	// A caller that replaces an issue's bytes gets them parsed, not the
	// envelope decoded from the bytes it replaced.
	pg.Issues[2] = RawIssue(`{"id":"10101","key":"APP-101","fields":{"created":"2026-01-07T09:00:00.000+0000"}}`)
	if is, _, _, err := pg.ParseIssue(2, opts); err != nil || is.Key != "APP-101" {
		t.Errorf("replaced issue parsed as %q (%v), want APP-101", is.Key, err)
	}
}
