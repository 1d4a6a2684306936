package store

import (
	"context"
	"fmt"
	"time"
)

// EpicKeysReferenced returns the epic keys the site's issues point to
// (epic_key), split into those not stored yet and those stored.
func (s *Store) EpicKeysReferenced(ctx context.Context, siteID string) (missing, known []string, err error) {
	var rows []struct {
		Key    string `db:"epic_key"`
		Stored bool   `db:"stored"`
	}
	err = s.db.SelectContext(ctx, &rows, `
		SELECT r.epic_key, EXISTS (SELECT 1 FROM issues e WHERE e.site_id = $1 AND e.issue_key = r.epic_key) AS stored
		FROM (SELECT DISTINCT epic_key FROM issues WHERE site_id = $1 AND epic_key <> '') r
		ORDER BY r.epic_key`, siteID)
	if err != nil {
		return nil, nil, fmt.Errorf("store: unable to list referenced epics: %w", err)
	}
	for _, r := range rows {
		if r.Stored {
			known = append(known, r.Key)
		} else {
			missing = append(missing, r.Key)
		}
	}
	return missing, known, nil
}

// EpicWatermarkGet returns when the site's last complete epic pass started;
// nil before the first.
func (s *Store) EpicWatermarkGet(ctx context.Context, siteID string) (*time.Time, error) {
	var wm []time.Time
	if err := s.db.SelectContext(ctx, &wm, `SELECT watermark FROM sync_epics WHERE site_id = $1`, siteID); err != nil {
		return nil, fmt.Errorf("store: unable to read the epic watermark of site %q: %w", siteID, err)
	}
	if len(wm) == 0 {
		return nil, nil
	}
	t := wm[0].UTC()
	return &t, nil
}

// EpicWatermarkPut records a complete epic pass that started at t.
func (s *Store) EpicWatermarkPut(ctx context.Context, siteID string, t time.Time) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO sync_epics (site_id, watermark) VALUES ($1, $2)
		ON CONFLICT (site_id) DO UPDATE SET watermark = EXCLUDED.watermark`, siteID, t)
	if err != nil {
		return fmt.Errorf("store: unable to write the epic watermark of site %q: %w", siteID, err)
	}
	return nil
}
