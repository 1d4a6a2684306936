package store

import (
	"context"
	"fmt"

	analyzer "github.com/backlog-health/analyzer"
)

// Site is a configured Jira site as stored.
type Site struct {
	ID          string          `db:"site_id"`
	BaseURL     string          `db:"base_url"`
	Flavor      analyzer.Flavor `db:"flavor"`
	ServerTitle string          `db:"server_title"`
	TimeZone    string          `db:"time_zone"`
}

// SiteUpsert inserts or updates a site.
func (s *Store) SiteUpsert(ctx context.Context, site Site) error {
	if site.TimeZone == "" {
		site.TimeZone = "UTC"
	}
	site.ServerTitle, site.BaseURL, site.TimeZone = cleanText(site.ServerTitle), cleanText(site.BaseURL), cleanText(site.TimeZone)
	_, err := s.db.NamedExecContext(ctx, `
		INSERT INTO jira_sites (site_id, base_url, flavor, server_title, time_zone)
		VALUES (:site_id, :base_url, :flavor, :server_title, :time_zone)
		ON CONFLICT (site_id) DO UPDATE SET
			base_url = EXCLUDED.base_url, flavor = EXCLUDED.flavor,
			server_title = EXCLUDED.server_title, time_zone = EXCLUDED.time_zone, updated_at = now()`, site)
	if err != nil {
		return fmt.Errorf("store: unable to upsert site %q: %w", site.ID, err)
	}
	return nil
}

// SiteGet returns one site; sql.ErrNoRows (wrapped) when absent.
func (s *Store) SiteGet(ctx context.Context, id string) (Site, error) {
	var site Site
	err := s.db.GetContext(ctx, &site, `SELECT site_id, base_url, flavor, server_title, time_zone FROM jira_sites WHERE site_id = $1`, id)
	if err != nil {
		return Site{}, fmt.Errorf("store: unable to get site %q: %w", id, err)
	}
	return site, nil
}
