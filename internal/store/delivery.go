package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	analyzer "github.com/backlog-health/analyzer"
)

// IssueListDoneSince returns the non-sub-task issues of every board that are
// in a done-category status and were resolved at or after since: the
// delivered work the outcome analysis looks at. Removed board memberships
// are ignored; an issue on several boards is returned once.
func (s *Store) IssueListDoneSince(ctx context.Context, since time.Time) ([]analyzer.Issue, error) {
	var rows []issueRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+issueColumnsNoRaw+` FROM issues
		WHERE status_category = 'done' AND NOT is_subtask AND resolved_at >= $1
		ORDER BY resolved_at, issue_key`, since)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list done issues: %w", err)
	}
	return issuesOf(rows), nil
}

// IssueListOpenLinked returns the issues not done yet whose epic, labels,
// components or fix versions match any of the given lists: the linked
// backlog of outcome metrics.
func (s *Store) IssueListOpenLinked(ctx context.Context, epics, labels, components, fixVersions []string) ([]analyzer.Issue, error) {
	var rows []issueRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+issueColumnsNoRaw+` FROM issues
		WHERE status_category <> 'done' AND NOT is_subtask
		  AND (epic_key = ANY($1) OR labels && $2 OR components && $3 OR fix_versions && $4)
		ORDER BY issue_key`, pq.Array(epics), pq.Array(labels), pq.Array(components), pq.Array(fixVersions))
	if err != nil {
		return nil, fmt.Errorf("store: unable to list linked open issues: %w", err)
	}
	return issuesOf(rows), nil
}

const issueColumnsNoRaw = `site_id, issue_id, issue_key, project_key, summary, issue_type, is_subtask, status_id,
	status_name, status_category, priority, estimate, parent_key, epic_key, labels, components, fix_versions,
	sprint_ids, environment, created_at, updated_at, resolved_at, '{}'::json AS raw, changelog_complete`

func issuesOf(rows []issueRow) []analyzer.Issue {
	out := make([]analyzer.Issue, len(rows))
	for i, r := range rows {
		out[i] = r.issue()
	}
	return out
}
