package store

import (
	"context"
	"fmt"
	"time"
)

// JiraMetaGet returns what a sync stored under key for a site (see
// JiraMetaPut) when it was fetched less than maxAge ago by the database's
// clock; ok is false when there is none that young.
func (s *Store) JiraMetaGet(ctx context.Context, siteID, key string, maxAge time.Duration) (body []byte, ok bool, err error) {
	var rows [][]byte
	err = s.db.SelectContext(ctx, &rows, `
		SELECT convert_to(body::text, 'UTF8') FROM jira_meta
		WHERE site_id = $1 AND meta_key = $2 AND fetched_at > now() - $3 * interval '1 microsecond'`,
		siteID, key, maxAge.Microseconds())
	if err != nil {
		return nil, false, fmt.Errorf("store: unable to get jira meta %s of site %q: %w", key, siteID, err)
	}
	if len(rows) == 0 {
		return nil, false, nil
	}
	return rows[0], true, nil
}

// JiraMetaPut stores body (JSON) under key for a site, fetched now.
func (s *Store) JiraMetaPut(ctx context.Context, siteID, key string, body []byte) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO jira_meta (site_id, meta_key, body, fetched_at) VALUES ($1, $2, $3, now())
		ON CONFLICT (site_id, meta_key) DO UPDATE SET body = EXCLUDED.body, fetched_at = EXCLUDED.fetched_at`,
		siteID, key, string(cleanJSON(body)))
	if err != nil {
		return fmt.Errorf("store: unable to put jira meta %s of site %q: %w", key, siteID, err)
	}
	return nil
}
