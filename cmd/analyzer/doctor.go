package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/sync"
)

// runDoctor checks, in order, the configuration, the database and its
// schema. It prints one line per check and fails on the first broken one,
// whose line names what is wrong.
func runDoctor(ctx context.Context, m *Main, _ []string) error {
	src := m.ConfigPath
	if src == "" {
		src = "built-in defaults"
	}
	fmt.Fprintf(m.Stdout, "ok    config    %s (%d Jira site(s), report time zone %s)\n", src, len(m.Config.Jira.Sites), m.Config.Report.TimeZone)

	where := "embedded PostgreSQL under " + m.Config.StateDir
	if m.Config.Database.URL != "" {
		where = store.RedactDSN(m.Config.Database.URL)
	}
	dsn, err := m.databaseURL(ctx)
	if err != nil {
		return fmt.Errorf("doctor: database (%s): %w", where, err)
	}
	if m.cluster != nil {
		where = "embedded PostgreSQL in " + m.cluster.DataDir()
	}
	s, err := store.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("doctor: database: %w", err)
	}
	defer s.Close()
	var serverVersion string
	if err := s.DB().GetContext(ctx, &serverVersion, `SHOW server_version`); err != nil {
		return fmt.Errorf("doctor: database: %w", err)
	}
	fmt.Fprintf(m.Stdout, "ok    database  %s (PostgreSQL %s)\n", where, serverVersion)

	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("doctor: schema: %w", err)
	}
	switch err := s.CheckSchema(ctx); {
	case err == nil:
		fmt.Fprintf(m.Stdout, "ok    schema    version %d (current)\n", v)
	case errors.Is(err, store.ErrSchemaTooOld):
		fmt.Fprintf(m.Stdout, "note  schema    version %d of %d: the next command that uses the database migrates it (or run `analyzer migrate`)\n", v, store.LatestVersion())
	default:
		return fmt.Errorf("doctor: schema: %w", err)
	}
	return doctorJira(ctx, m)
}

// doctorJira checks every configured site: reachability and flavour,
// credentials, and the fields each selected board would be computed with.
func doctorJira(ctx context.Context, m *Main) error {
	if len(m.Config.Jira.Sites) == 0 {
		return errors.New("doctor: jira: no sites configured (jira.sites in the config file): nothing would be synced")
	}
	for _, site := range m.Config.Jira.Sites {
		client, err := m.jiraClient(ctx, site)
		if err != nil {
			return fmt.Errorf("doctor: jira site %s (%s): %w", site.ID, site.URL, err)
		}
		user, err := client.Myself(ctx)
		if err != nil {
			return fmt.Errorf("doctor: jira site %s (%s): %w", site.ID, site.URL, err)
		}
		fmt.Fprintf(m.Stdout, "ok    jira      %s: %s (%s), signed in as %s\n", site.ID, site.URL, client.Flavor(), user.DisplayName)
		// Jira reads JQL dates in the account's zone: say which one the
		// incremental sync will write them in.
		if user.TimeZone != "" {
			fmt.Fprintf(m.Stdout, "ok    timezone  %s: the account's time zone is %s (JQL dates are written in it; configured site zone %s)\n",
				site.ID, user.TimeZone, site.TimeZone)
		} else {
			fmt.Fprintf(m.Stdout, "warn  timezone  %s: the account's profile names no time zone: JQL dates are written in the configured site zone %s, which must be the account's\n",
				site.ID, site.TimeZone)
		}
		fields, err := client.Fields(ctx)
		if err != nil {
			return fmt.Errorf("doctor: jira site %s: %w", site.ID, err)
		}
		known := jira.FindFields(fields)
		fmt.Fprintf(m.Stdout, "ok    fields    %s: sprint=%s epic_link=%s environment=%s story_points=%s\n", site.ID,
			orNone(cmp.Or(site.Fields.Sprint, known.Sprint)), orNone(cmp.Or(site.Fields.EpicLink, known.EpicLink)),
			orNone(cmp.Or(site.Fields.Environment, known.Environment)), orNone(cmp.Or(site.Fields.StoryPoints, known.StoryPoints)))
		boards, err := client.Boards(ctx)
		if err != nil {
			return fmt.Errorf("doctor: jira site %s: %w", site.ID, err)
		}
		shown := 0
		for _, b := range boards {
			if !site.Boards.All && !slices.Contains(site.Boards.IDs, b.ID) {
				continue
			}
			bc, err := client.BoardConfiguration(ctx, b.ID)
			if err != nil {
				return fmt.Errorf("doctor: jira site %s: %w", site.ID, err)
			}
			bc.Apply(&b, fields, site.Fields.StoryPoints)
			status := "ok  "
			if b.EstimationField == "" {
				status = "warn"
			}
			fmt.Fprintf(m.Stdout, "%s  board     %s/%d %q (%s): estimation %s (from %s), done column statuses %v\n", status,
				site.ID, b.ID, b.Name, b.Type, orNone(b.EstimationField), b.EstimationSource, b.DoneStatusIDs())
			shown++
		}
		if missing := sync.MissingBoards(site.Boards.IDs, boards); !site.Boards.All && len(missing) > 0 {
			return fmt.Errorf("doctor: jira site %s: %s", site.ID, (&sync.MissingBoardsError{IDs: missing}).Detail())
		}
		if shown == 0 {
			return fmt.Errorf("doctor: jira site %s: the account sees no boards: nothing would be synced", site.ID)
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
