package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/backlog-health/analyzer/internal/store"
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
	return nil
}
