package jira

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	analyzer "github.com/backlog-health/analyzer"
)

// IssueChangelog returns every changelog history of an issue, oldest
// first. Cloud pages /rest/api/3/issue/{key}/changelog; Data Center reads
// /rest/api/2/issue/{key}?expand=changelog, which is not truncated there.
// The DC call is an own request rather than go-jira's Issue.Get because
// go-jira's typed Issue fails on a single unparseable time.
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-changelog-get
// and https://docs.atlassian.com/software/jira/docs/api/REST/9.12.0/#api/2/issue-getIssue
func (c *Client) IssueChangelog(ctx context.Context, key string) ([]History, error) {
	if c.flavor != analyzer.FlavorCloud {
		var out struct {
			Changelog struct {
				Histories []History `json:"histories"`
			} `json:"changelog"`
		}
		q := url.Values{"expand": {"changelog"}, "fields": {"created"}}
		if err := c.get(ctx, "rest/api/2/issue/"+url.PathEscape(key), q, &out); err != nil {
			return nil, fmt.Errorf("jira: changelog of %s: %w", key, err)
		}
		return out.Changelog.Histories, nil
	}
	var all []History
	startAt := 0
	for {
		var page struct {
			agilePage
			Values []History `json:"values"`
		}
		q := url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {"100"}}
		if err := c.get(ctx, "rest/api/3/issue/"+url.PathEscape(key)+"/changelog", q, &page); err != nil {
			return nil, fmt.Errorf("jira: changelog of %s: %w", key, err)
		}
		all = append(all, page.Values...)
		next, ok := page.next(len(page.Values))
		if !ok {
			return all, nil
		}
		startAt = next
	}
}

// MaxBulkChangelogIssues is how many issues one bulkfetch call accepts.
const MaxBulkChangelogIssues = 1000

// BulkFetchChangelogs returns the changelogs of many issues keyed by issue
// id (as Jira writes it, e.g. "10063"), following nextPageToken and
// splitting ids into calls of at most 1000. fieldIDs (at most 10) filter the
// histories to those fields; nil means all. Cloud only.
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-changelog-bulkfetch-post
func (c *Client) BulkFetchChangelogs(ctx context.Context, ids []string, fieldIDs []string) (map[string][]History, error) {
	if c.flavor != analyzer.FlavorCloud {
		return nil, fmt.Errorf("jira: bulk changelog fetch: not available on %s (Data Center)", c.base)
	}
	out := make(map[string][]History, len(ids))
	for start := 0; start < len(ids); start += MaxBulkChangelogIssues {
		chunk := ids[start:min(start+MaxBulkChangelogIssues, len(ids))]
		token := ""
		seen := map[string]bool{}
		for {
			body := struct {
				IssueIDsOrKeys []string `json:"issueIdsOrKeys"`
				FieldIDs       []string `json:"fieldIds,omitempty"`
				MaxResults     int      `json:"maxResults"`
				NextPageToken  string   `json:"nextPageToken,omitempty"`
			}{chunk, fieldIDs, 1000, token}
			var page struct {
				IssueChangeLogs []struct {
					IssueID         string    `json:"issueId"`
					ChangeHistories []History `json:"changeHistories"`
				} `json:"issueChangeLogs"`
				NextPageToken string `json:"nextPageToken"`
			}
			if err := c.do(ctx, "POST", "rest/api/3/changelog/bulkfetch", body, &page); err != nil {
				return nil, fmt.Errorf("jira: bulk changelog fetch: %w", err)
			}
			for _, l := range page.IssueChangeLogs {
				out[l.IssueID] = append(out[l.IssueID], l.ChangeHistories...)
			}
			if page.NextPageToken == "" {
				break
			}
			if seen[page.NextPageToken] {
				return nil, fmt.Errorf("jira: bulk changelog fetch: paging did not advance")
			}
			seen[page.NextPageToken] = true
			token = page.NextPageToken
		}
	}
	return out, nil
}
