package jira

import (
	"context"

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

// Cursor is a position in a search: Token for Cloud's /search/jql, StartAt
// for startAt-paged endpoints (DC search, agile board and sprint issues).
// The zero Cursor is the first page.
type Cursor struct {
	Token   string
	StartAt int
}

// SearchPage is one page of issues.
type SearchPage struct {
	Issues        []RawIssue `json:"issues"`
	NextPageToken string     `json:"nextPageToken"` // Cloud /search/jql; empty on the last page
	IsLast        bool       `json:"isLast"`
	StartAt       int        `json:"startAt"`
	MaxResults    int        `json:"maxResults"`
	Total         int        `json:"total"` // -1 when the endpoint does not say (Cloud /search/jql)
	tokenPaged    bool
}

// Next returns the cursor of the following page, or false on the last page.
// Token paging ends when the token is empty (Jira omits it on the last page
// and may lower maxResults, so isLast alone is not trusted); startAt paging
// advances by the issues received and ends at total or on an empty page.
func (p *SearchPage) Next() (Cursor, bool) {
	if p.tokenPaged {
		if p.NextPageToken == "" {
			return Cursor{}, false
		}
		return Cursor{Token: p.NextPageToken}, true
	}
	n := len(p.Issues)
	if n == 0 {
		return Cursor{}, false
	}
	next := p.StartAt + n
	if p.Total >= 0 && next >= p.Total {
		return Cursor{}, false
	}
	return Cursor{StartAt: next}, true
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
// the issues on the board, optionally narrowed by jql, startAt-paged.
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

func (c *Client) agileIssuesPage(ctx context.Context, path, jql string, opts SearchOptions, cur Cursor) (*SearchPage, error) {
	q := opts.query()
	if jql != "" {
		q.Set("jql", jql)
	}
	q.Set("startAt", strconv.Itoa(cur.StartAt))
	page := &SearchPage{Total: -1}
	if err := c.get(ctx, path, q, page); err != nil {
		return nil, fmt.Errorf("jira: issues of %s: %w", strings.TrimPrefix(path, "rest/agile/1.0/"), err)
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

// pages walks pages from the zero cursor until Next reports the end. A
// cursor that repeats ends the walk with an error instead of looping.
func pages(fetch func(Cursor) (*SearchPage, error)) iter.Seq2[*SearchPage, error] {
	return func(yield func(*SearchPage, error) bool) {
		var cur Cursor
		seen := map[Cursor]bool{}
		for {
			seen[cur] = true
			p, err := fetch(cur)
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
			if seen[next] {
				yield(nil, fmt.Errorf("jira: paging did not advance (cursor %+v)", next))
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
