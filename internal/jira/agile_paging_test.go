package jira

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	analyzer "github.com/backlog-health/analyzer"
)

// serveAgileTokens serves an agile issue list the way Cloud does since
// RFC-127: startAt is ignored, pages are {issues, isLast, nextPageToken}
// without startAt or total, and at most limit issues come back whatever
// maxResults asks.
func serveAgileTokens(mux *http.ServeMux, pattern string, issues []json.RawMessage, limit int, seen *[]string) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		*seen = append(*seen, q.Get("nextPageToken")+"|"+q.Get("startAt"))
		start := 0
		if tok := q.Get("nextPageToken"); tok != "" {
			start, _ = strconv.Atoi(tok[len("tok-"):])
		}
		end := min(start+pageCap(r, limit), len(issues))
		page := map[string]any{"issues": issues[start:end], "isLast": end == len(issues)}
		if end < len(issues) {
			page["nextPageToken"] = "tok-" + strconv.Itoa(end)
		}
		writeJSON(w, page)
	})
}

// Cloud board issues follow nextPageToken until isLast, send no startAt, and
// take the short pages Cloud returns.
func TestBoardIssuesCloudTokenPaging(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	var seen []string
	serveAgileTokens(mux, "GET /rest/agile/1.0/board/3/issue", syntheticIssues(t, 120), 30, &seen)
	var got []RawIssue
	for raw, err := range c.BoardIssues(context.Background(), 3, "", SearchOptions{PageSize: 100}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, raw)
	}
	if !slices.Equal(keysOf(t, got), wantKeys(120)) {
		t.Fatalf("got %d issues, want ACME-1..120 in order", len(got))
	}
	// Asked 100, served 30: 120 issues in 4 pages, by token, never by offset.
	if want := []string{"|", "tok-30|", "tok-60|", "tok-90|"}; !slices.Equal(seen, want) {
		t.Errorf("requests (token|startAt) = %q, want %q", seen, want)
	}
}

// The first page of a token-paged list reports no total, and says it is
// token-paged; a Data Center page keeps its total.
func TestAgilePageShape(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	var seen []string
	serveAgileTokens(mux, "GET /rest/agile/1.0/board/3/issue", syntheticIssues(t, 10), 5, &seen)
	p, err := c.BoardIssuesPage(context.Background(), 3, "", SearchOptions{}, Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.TokenPaged() || p.Total != -1 || p.NextPageToken != "tok-5" {
		t.Errorf("cloud page: token paged %v, total %d, token %q; want true, -1, tok-5", p.TokenPaged(), p.Total, p.NextPageToken)
	}
	dc, dmux, _ := setup(t, analyzer.FlavorDC)
	var reqs []*http.Request
	serveStartAt(dmux, "GET /rest/agile/1.0/board/3/issue", syntheticIssues(t, 10), 5, &reqs)
	p, err = dc.BoardIssuesPage(context.Background(), 3, "", SearchOptions{}, Cursor{StartAt: 5})
	if err != nil {
		t.Fatal(err)
	}
	if p.TokenPaged() || p.Total != 10 || reqs[0].URL.Query().Get("startAt") != "5" {
		t.Errorf("dc page: token paged %v, total %d, startAt sent %q; want false, 10, 5", p.TokenPaged(), p.Total, reqs[0].URL.Query().Get("startAt"))
	}
}

// A server whose paging does not advance ends the listing with
// ErrPagingStalled after a bounded number of requests, whatever the flavour:
// an old-style server that ignores startAt and omits total (offset paging
// would ask for 50, 100, ... forever), a Cloud that hands the same token
// back, and one that hands out fresh tokens for the same page.
func TestStalledPagingIsAnError(t *testing.T) {
	page := syntheticIssues(t, 50)
	for _, tc := range []struct {
		name   string
		flavor analyzer.Flavor
		body   func(n int32) map[string]any
	}{
		{"dc-ignores-startAt-no-total", analyzer.FlavorDC, func(int32) map[string]any {
			return map[string]any{"startAt": 0, "maxResults": 50, "issues": page}
		}},
		{"cloud-ignores-startAt-no-total", analyzer.FlavorCloud, func(int32) map[string]any {
			return map[string]any{"startAt": 0, "maxResults": 50, "issues": page}
		}},
		{"cloud-same-token", analyzer.FlavorCloud, func(int32) map[string]any {
			return map[string]any{"issues": page, "isLast": false, "nextPageToken": "again"}
		}},
		{"cloud-fresh-token-same-page", analyzer.FlavorCloud, func(n int32) map[string]any {
			return map[string]any{"issues": page, "isLast": false, "nextPageToken": "t" + strconv.Itoa(int(n))}
		}},
		{"cloud-not-last-without-token", analyzer.FlavorCloud, func(int32) map[string]any {
			return map[string]any{"issues": page, "isLast": false}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, mux, _ := setup(t, tc.flavor)
			var calls atomic.Int32
			mux.HandleFunc("GET /rest/agile/1.0/board/3/issue", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, tc.body(calls.Add(1)))
			})
			var err error
			n := 0
			for _, e := range c.BoardIssues(context.Background(), 3, "", SearchOptions{}) {
				if e != nil {
					err = e
					break
				}
				if n++; n > 500 {
					t.Fatal("500 issues from a 50-issue page: the listing loops")
				}
			}
			if !errors.Is(err, ErrPagingStalled) {
				t.Fatalf("err = %v, want ErrPagingStalled", err)
			}
			// The repeat shows on the second page at the latest (the last case
			// on the first): never more than 2 requests.
			if got := calls.Load(); got > 2 {
				t.Errorf("%d requests before giving up, want at most 2", got)
			}
		})
	}
}
