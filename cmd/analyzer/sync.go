package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/sync"
)

// jiraClient builds the client of one configured site.
func (m *Main) jiraClient(ctx context.Context, site config.SiteConfig) (*jira.Client, error) {
	return jira.New(ctx, m.jiraConfig(site))
}

// jiraConfig is the client configuration of one configured site.
func (m *Main) jiraConfig(site config.SiteConfig) jira.Config {
	to := m.Config.Jira.Timeouts
	retries := to.Retries
	if retries == 0 {
		retries = -1 // jira.Config: 0 is the default, -1 none
	}
	return jira.Config{
		BaseURL: site.URL, SiteID: site.ID, Flavor: analyzer.Flavor(site.Flavor),
		Email: site.Email, Token: site.Token, PAT: site.PAT,
		MaxConcurrency: m.Config.Jira.Concurrency, Logger: m.Logger,
		DialTimeout: to.Dial, TLSHandshakeTimeout: to.TLSHandshake, ResponseHeaderTimeout: to.ResponseHeader,
		RequestTimeout: to.Request, TimeoutRetries: retries,
	}
}

// syncSites syncs every configured site; a failing site does not stop the
// others. It returns the summed result and the first error.
func (m *Main) syncSites(ctx context.Context, s *store.Store, full bool) (sync.Result, error) {
	var total sync.Result
	var errs []error
	progress := &sync.Progress{Logger: m.Logger}
	if f, ok := m.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		progress.Terminal = f
	}
	for _, site := range m.Config.Jira.Sites {
		res, err := m.syncSite(ctx, s, site, full, progress)
		total.Boards += res.Boards
		total.BoardsLocked += res.BoardsLocked
		total.Sprints += res.Sprints
		total.Issues += res.Issues
		total.ChangeItems += res.ChangeItems
		total.SprintEvents += res.SprintEvents
		total.ChangelogsRefetched += res.ChangelogsRefetched
		total.ChangelogsIncomplete += res.ChangelogsIncomplete
		total.IssuesRemoved += res.IssuesRemoved
		total.Skipped = append(total.Skipped, res.Skipped...)
		total.Requests += res.Requests
		total.Retries += res.Retries
		total.Duration += res.Duration
		m.Logger.Info("site synced", slog.String("site", site.ID), slog.Int("boards", res.Boards),
			slog.Int("sprints", res.Sprints), slog.Int("issues", res.Issues), slog.Int("changelog_items", res.ChangeItems),
			slog.Int64("requests", res.Requests), slog.Int64("retries", res.Retries), slog.Float64("seconds", res.Duration.Seconds()))
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

func (m *Main) syncSite(ctx context.Context, s *store.Store, site config.SiteConfig, full bool, progress *sync.Progress) (sync.Result, error) {
	client, err := m.jiraClient(ctx, site)
	if err != nil {
		return sync.Result{}, fmt.Errorf("sync: site %s: %w", site.ID, err)
	}
	defer func() { m.recordJiraStats(site.ID, client.Stats()) }()
	loc, _ := time.LoadLocation(site.TimeZone)
	return sync.New(s, client, sync.Config{
		SiteID: site.ID, BaseURL: site.URL, Boards: site.Boards.IDs, Location: loc, Full: full,
		StoryPointsField: site.Fields.StoryPoints, SprintField: site.Fields.Sprint,
		EpicLinkField: site.Fields.EpicLink, EnvironmentField: site.Fields.Environment,
		Concurrency: m.Config.Jira.Concurrency, Logger: m.Logger, Progress: progress,
	}).Run(ctx)
}

func runSync(ctx context.Context, m *Main, args []string) error {
	if len(m.Config.Jira.Sites) == 0 {
		return errors.New("sync: no Jira sites configured (jira.sites in the config file)")
	}
	s, err := m.Store(ctx)
	if err != nil {
		return err
	}
	res, err := m.syncSites(ctx, s, m.opts.full)
	fmt.Fprintln(m.Stdout, syncSummary(ctx, res, err))
	return err
}

// syncSummary is the one line sync prints: what was stored, and, when the
// run did not finish, that it was interrupted or failed (the error follows
// on stderr) and which configured boards were missing.
func syncSummary(ctx context.Context, res sync.Result, err error) string {
	prefix := ""
	switch {
	case err != nil && ctx.Err() != nil:
		prefix = "sync interrupted: "
	case err != nil:
		prefix = "sync failed: "
	}
	line := fmt.Sprintf("%ssynced %d board(s), %d sprint(s), %d issue(s), %d changelog item(s), %d sprint event(s); %d changelog(s) refetched, %d incomplete, %d issue(s) marked removed, %d skipped; %d request(s), %d retr(ies), %.1fs",
		prefix, res.Boards, res.Sprints, res.Issues, res.ChangeItems, res.SprintEvents, res.ChangelogsRefetched,
		res.ChangelogsIncomplete, res.IssuesRemoved, len(res.Skipped), res.Requests, res.Retries, res.Duration.Seconds())
	var missing []string
	for _, e := range missingBoards(err) {
		for _, id := range e.IDs {
			missing = append(missing, fmt.Sprintf("%s/%d", e.SiteID, id))
		}
	}
	if len(missing) > 0 {
		line += "; missing board(s): " + strings.Join(missing, ", ")
	}
	return line
}

// missingBoards collects every *sync.MissingBoardsError in err's tree (one
// per site; errors.As would find only the first).
func missingBoards(err error) []*sync.MissingBoardsError {
	var out []*sync.MissingBoardsError
	switch e := err.(type) {
	case nil:
	case *sync.MissingBoardsError:
		out = append(out, e)
	case interface{ Unwrap() []error }:
		for _, c := range e.Unwrap() {
			out = append(out, missingBoards(c)...)
		}
	default:
		out = append(out, missingBoards(errors.Unwrap(err))...)
	}
	return out
}
