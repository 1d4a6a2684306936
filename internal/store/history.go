package store

import (
	"context"
	"fmt"

	analyzer "github.com/backlog-health/analyzer"
)

// ChangeItemListByBoard returns the changelog items of every issue that is or
// was on the board, grouped by issue id, each group oldest first.
func (s *Store) ChangeItemListByBoard(ctx context.Context, siteID string, boardID int64) (map[int64][]analyzer.ChangeItem, error) {
	rows, err := s.db.QueryxContext(ctx, `
		SELECT c.site_id, c.issue_id, c.history_id, c.seq, c.changed_at, c.author, c.field, c.field_id,
			c.from_value, c.from_string, c.to_value, c.to_string
		FROM changelog_items c JOIN board_issues b ON b.site_id = c.site_id AND b.issue_id = c.issue_id
		WHERE b.site_id = $1 AND b.board_id = $2
		ORDER BY c.issue_id, c.changed_at, c.history_id, c.seq`, siteID, boardID)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list changelog of board %d: %w", boardID, err)
	}
	defer rows.Close()
	out := map[int64][]analyzer.ChangeItem{}
	for rows.Next() {
		// Plain Scan, not StructScan: this is the largest read of a compute
		// (every changelog item of a board) and reflection per row showed.
		var c analyzer.ChangeItem
		if err := rows.Scan(&c.SiteID, &c.IssueID, &c.HistoryID, &c.Seq, &c.At, &c.Author, &c.Field, &c.FieldID,
			&c.FromValue, &c.FromString, &c.ToValue, &c.ToString); err != nil {
			return nil, fmt.Errorf("store: scan changelog item: %w", err)
		}
		c.At = c.At.UTC()
		out[c.IssueID] = append(out[c.IssueID], c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list changelog of board %d: %w", boardID, err)
	}
	return out, nil
}

// SprintEventListByBoard returns the sprint events of every issue that is or
// was on the board, grouped by issue id, oldest first.
func (s *Store) SprintEventListByBoard(ctx context.Context, siteID string, boardID int64) (map[int64][]analyzer.SprintEvent, error) {
	var evs []analyzer.SprintEvent
	err := s.db.SelectContext(ctx, &evs, `
		SELECT e.site_id, e.issue_id, e.sprint_id, e.changed_at, e.added
		FROM sprint_events e JOIN board_issues b ON b.site_id = e.site_id AND b.issue_id = e.issue_id
		WHERE b.site_id = $1 AND b.board_id = $2
		ORDER BY e.issue_id, e.changed_at, e.added`, siteID, boardID)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list sprint events of board %d: %w", boardID, err)
	}
	out := map[int64][]analyzer.SprintEvent{}
	for _, e := range evs {
		e.At = e.At.UTC()
		out[e.IssueID] = append(out[e.IssueID], e)
	}
	return out, nil
}

// IssueIDsOnSeveralBoards returns the ids of a site's issues that are on more
// than one board (a data-quality signal: their points count on each).
func (s *Store) IssueIDsOnSeveralBoards(ctx context.Context, siteID string) (map[int64]bool, error) {
	var ids []int64
	err := s.db.SelectContext(ctx, &ids, `
		SELECT issue_id FROM board_issues WHERE site_id = $1 AND removed_at IS NULL
		GROUP BY issue_id HAVING count(*) > 1`, siteID)
	if err != nil {
		return nil, fmt.Errorf("store: unable to find issues on several boards: %w", err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
