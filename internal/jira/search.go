package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"

	analyzer "github.com/backlog-health/analyzer"
)

// SearchOptions shapes an issue search.
type SearchOptions struct {
	// Fields to return. Cloud's /search/jql returns only "id" without an
	// explicit list, so the default is ParseOptions{}.Fields().
	Fields []string
	// Expand, e.g. []string{"changelog"}.
	Expand []string
	// PageSize asked for; servers may return fewer. Default 100.
	PageSize int
}

func (o SearchOptions) query() url.Values {
	fields := o.Fields
	if len(fields) == 0 {
		fields = ParseOptions{}.Fields()
	}
	q := url.Values{
		"fields":     {strings.Join(fields, ",")},
		"maxResults": {strconv.Itoa(cmpOrInt(o.PageSize, 100))},
	}
	if len(o.Expand) > 0 {
		q.Set("expand", strings.Join(o.Expand, ","))
	}
	return q
}

// Cursor is a position in a paged issue list: Token for token-paged lists
// (Cloud's /search/jql and, since RFC-127, Cloud's agile issue lists),
// StartAt for offset-paged ones (Data Center search and agile lists). The
// zero Cursor is the first page.
type Cursor struct {
	Token   string
	StartAt int
}

// SearchPage is one page of issues.
type SearchPage struct {
	Issues        []RawIssue `json:"issues"`
	NextPageToken string     `json:"nextPageToken"` // token paging; absent on the last page
	IsLast        *bool      `json:"isLast"`        // nil when the server did not say
	StartAt       int        `json:"startAt"`
	MaxResults    int        `json:"maxResults"`
	Total         int        `json:"total"` // -1 when the endpoint does not say (token paging)
	tokenPaged    bool
	decoded       []decodedIssue // Issues as decoded when the page was read (pagedecode.go)
}

// TokenPaged reports whether the page continues by NextPageToken rather
// than by offset.
func (p *SearchPage) TokenPaged() bool { return p.tokenPaged }

// Next returns the cursor of the following page, or false on the last page.
// Token paging ends on isLast, or when no token comes back (Jira omits it on
// the last page and has been seen to send isLast false there; Advance
// reports the contradiction when a caller must not miss it); offset paging
// advances by the issues received (servers may return fewer than asked) and
// ends at total or on an empty page.
func (p *SearchPage) Next() (Cursor, bool) {
	if p.tokenPaged {
		if p.NextPageToken == "" || p.IsLast != nil && *p.IsLast {
			return Cursor{}, false
		}
		return Cursor{Token: p.NextPageToken}, true
	}
	n := len(p.Issues)
	if n == 0 || p.IsLast != nil && *p.IsLast {
		return Cursor{}, false
	}
	next := p.StartAt + n
	if p.Total >= 0 && next >= p.Total {
		return Cursor{}, false
	}
	return Cursor{StartAt: next}, true
}

// ErrPagingStalled is returned (wrapped) when a server's paging does not
// advance: a page repeats the previous page's issues, or a token repeats. A
// server that ignores the cursor would otherwise be read forever.
var ErrPagingStalled = errors.New("jira: the server's paging did not advance")

// PageGuard detects paging that does not advance. Feed it every page of one
// listing, in order, with the cursor that fetched it; the zero value is ready.
type PageGuard struct {
	tokens      map[string]bool
	first, last string
	pages       int
	prevN       int
}

// Check returns an error wrapping ErrPagingStalled when p, fetched at cur,
// shows that the listing is not moving forward: the token Jira handed out
// was handed out before (or is the one just sent), or the page holds the
// same first and last issue as the page before it. Empty pages never stall.
func (g *PageGuard) Check(cur Cursor, p *SearchPage) error {
	if g.tokens == nil {
		g.tokens = map[string]bool{}
	}
	if cur.Token != "" {
		g.tokens[cur.Token] = true
	}
	if p.tokenPaged && p.NextPageToken != "" && g.tokens[p.NextPageToken] {
		return fmt.Errorf("%w: page token %q came back again", ErrPagingStalled, abbrev(p.NextPageToken))
	}
	first, last := "", ""
	if n := len(p.Issues); n > 0 {
		first, last = p.issueKey(0), p.issueKey(n-1)
	}
	repeat := g.pages > 0 && first != "" && first == g.first && last == g.last && len(p.Issues) == g.prevN
	g.first, g.last, g.prevN = first, last, len(p.Issues)
	g.pages++
	if repeat {
		return fmt.Errorf("%w: page %d repeats the previous page (issues %s … %s)", ErrPagingStalled, g.pages, first, last)
	}
	if p.tokenPaged && p.NextPageToken == "" && p.IsLast != nil && !*p.IsLast {
		return fmt.Errorf("%w: page %d says isLast false but carries no nextPageToken", ErrPagingStalled, g.pages)
	}
	return nil
}

// PeekKey reads an issue's key, or "id N" without one, without decoding
// the rest; "" when the JSON does not say (or is not JSON).
func PeekKey(raw RawIssue) string {
	var v struct {
		Key string          `json:"key"`
		ID  json.RawMessage `json:"id"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	if v.Key != "" {
		return v.Key
	}
	if len(v.ID) > 0 {
		return "id " + string(v.ID)
	}
	return ""
}

func abbrev(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}

// SearchPage fetches one page of a JQL search at cursor. Cloud uses
// GET /rest/api/3/search/jql (nextPageToken; the removed /search answers
// 410); Data Center uses GET /rest/api/2/search (startAt/total). Own request:
// go-jira's SearchV2JQL drops the token and its typed Issue aborts a whole
// page on one unparseable time.
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get
// and https://docs.atlassian.com/software/jira/docs/api/REST/9.12.0/#api/2/search-search
func (c *Client) SearchPage(ctx context.Context, jql string, opts SearchOptions, cur Cursor) (*SearchPage, error) {
	q := opts.query()
	q.Set("jql", jql)
	path := "rest/api/2/search"
	if c.flavor == analyzer.FlavorCloud {
		path = "rest/api/3/search/jql"
		if cur.Token != "" {
			q.Set("nextPageToken", cur.Token)
		}
	} else {
		q.Set("startAt", strconv.Itoa(cur.StartAt))
	}
	page := &SearchPage{Total: -1}
	if err := c.get(ctx, path, q, page); err != nil {
		return nil, fmt.Errorf("jira: search: %w", err)
	}
	page.tokenPaged = c.flavor == analyzer.FlavorCloud
	if page.tokenPaged {
		page.Total = -1
	}
	return page, nil
}

// SearchPages iterates over every page of a JQL search. It stops at the
// first error, which it yields with a nil page.
func (c *Client) SearchPages(ctx context.Context, jql string, opts SearchOptions) iter.Seq2[*SearchPage, error] {
	return pages(func(cur Cursor) (*SearchPage, error) { return c.SearchPage(ctx, jql, opts, cur) })
}

// SearchIssues iterates over every issue a JQL search matches, page by page.
// Break out of the loop to stop early; an error ends the sequence.
func (c *Client) SearchIssues(ctx context.Context, jql string, opts SearchOptions) iter.Seq2[RawIssue, error] {
	return issuesOf(c.SearchPages(ctx, jql, opts))
}

// BoardIssuesPage fetches one page of /rest/agile/1.0/board/{id}/issue:
// the issues on the board (those of its filter whose status is mapped to one
// of its columns; on scrum boards, no epics), optionally narrowed by jql.
// Cloud pages it by token (RFC-127: nextPageToken/isLast, no startAt, no
// total); Data Center by startAt/total. See agileIssuesPage.
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/software/rest/api-group-board/#api-rest-agile-1-0-board-boardid-issue-get
func (c *Client) BoardIssuesPage(ctx context.Context, boardID int64, jql string, opts SearchOptions, cur Cursor) (*SearchPage, error) {
	return c.agileIssuesPage(ctx, fmt.Sprintf("rest/agile/1.0/board/%d/issue", boardID), jql, opts, cur)
}

// BoardIssues iterates over every issue on a board (all pages).
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/software/rest/api-group-board/#api-rest-agile-1-0-board-boardid-issue-get
func (c *Client) BoardIssues(ctx context.Context, boardID int64, jql string, opts SearchOptions) iter.Seq2[RawIssue, error] {
	return issuesOf(pages(func(cur Cursor) (*SearchPage, error) {
		return c.BoardIssuesPage(ctx, boardID, jql, opts, cur)
	}))
}

// SprintIssues iterates over every issue of a sprint (all pages).
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/software/rest/api-group-sprint/#api-rest-agile-1-0-sprint-sprintid-issue-get
func (c *Client) SprintIssues(ctx context.Context, sprintID int64, jql string, opts SearchOptions) iter.Seq2[RawIssue, error] {
	return issuesOf(pages(func(cur Cursor) (*SearchPage, error) {
		return c.agileIssuesPage(ctx, fmt.Sprintf("rest/agile/1.0/sprint/%d/issue", sprintID), jql, opts, cur)
	}))
}

// agileIssuesPage fetches one page of an agile issue list (board, sprint,
// backlog or epic issues). On Cloud it sends the cursor's token, or startAt
// when the cursor carries an offset, and reads whichever paging the answer
// uses: a page with a nextPageToken, or with neither startAt nor total, is
// token-paged; a page with startAt or total and no token is offset-paged (a
// Cloud site still in the deprecation period, or the simulator's
// --cloud-agile-paging offset). Data Center always pages by startAt/total.
//
// Jira API docs (Cloud, token paging): https://developer.atlassian.com/cloud/jira/software/rest/api-group-board/#api-rest-agile-1-0-board-boardid-issue-get
// (Data Center, startAt): https://docs.atlassian.com/jira-software/REST/9.12.0/#agile/1.0/board-getIssuesForBoard
func (c *Client) agileIssuesPage(ctx context.Context, path, jql string, opts SearchOptions, cur Cursor) (*SearchPage, error) {
	q := opts.query()
	if jql != "" {
		q.Set("jql", jql)
	}
	cloud := c.flavor == analyzer.FlavorCloud
	switch {
	case cloud && cur.Token != "":
		q.Set("nextPageToken", cur.Token)
	case !cloud || cur.StartAt > 0:
		q.Set("startAt", strconv.Itoa(cur.StartAt))
	}
	// -1 marks "absent": no server sends a negative startAt or total.
	page := &SearchPage{Total: -1, StartAt: -1}
	if err := c.get(ctx, path, q, page); err != nil {
		return nil, fmt.Errorf("jira: issues of %s: %w", strings.TrimPrefix(path, "rest/agile/1.0/"), err)
	}
	offsetShaped := page.StartAt >= 0 || page.Total >= 0
	page.StartAt = max(page.StartAt, 0)
	page.tokenPaged = cloud && (page.NextPageToken != "" || !offsetShaped)
	if page.tokenPaged {
		page.Total = -1
	}
	return page, nil
}

// CountIssues returns how many issues a JQL matches, for progress. Cloud
// answers an approximate count (POST /rest/api/3/search/approximate-count);
// Data Center the exact total of a zero-size search.
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-approximate-count-post
func (c *Client) CountIssues(ctx context.Context, jql string) (int, error) {
	if c.flavor == analyzer.FlavorCloud {
		var out struct {
			Count int `json:"count"`
		}
		if err := c.do(ctx, "POST", "rest/api/3/search/approximate-count", map[string]string{"jql": jql}, &out); err != nil {
			return 0, fmt.Errorf("jira: count issues: %w", err)
		}
		return out.Count, nil
	}
	q := url.Values{"jql": {jql}, "maxResults": {"0"}, "fields": {"id"}}
	var out struct {
		Total int `json:"total"`
	}
	if err := c.get(ctx, "rest/api/2/search", q, &out); err != nil {
		return 0, fmt.Errorf("jira: count issues: %w", err)
	}
	return out.Total, nil
}

// pages walks pages from the zero cursor until Next reports the end. Paging
// that does not advance (PageGuard) ends the walk with an error instead of
// looping.
func pages(fetch func(Cursor) (*SearchPage, error)) iter.Seq2[*SearchPage, error] {
	return func(yield func(*SearchPage, error) bool) {
		var cur Cursor
		var guard PageGuard
		for {
			p, err := fetch(cur)
			if err == nil {
				err = guard.Check(cur, p)
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(p, nil) {
				return
			}
			next, ok := p.Next()
			if !ok {
				return
			}
			cur = next
		}
	}
}

func issuesOf(ps iter.Seq2[*SearchPage, error]) iter.Seq2[RawIssue, error] {
	return func(yield func(RawIssue, error) bool) {
		for p, err := range ps {
			if err != nil {
				yield(nil, err)
				return
			}
			for _, is := range p.Issues {
				if !yield(is, nil) {
					return
				}
			}
		}
	}
}

func cmpOrInt(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}
