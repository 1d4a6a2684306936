package sync

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	gosync "sync"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/store"
)

// listing is the in-memory state of one board's page walk in this process.
type listing struct {
	pending  []pending        // the pages being fetched, in listing order
	lock     *store.BoardLock // checked before every write
	guard    *jira.PageGuard
	restarts int       // token refusals in a row without progress
	fromAt   time.Time // cp.LastCreated at the last restart
}

// maxTokenRestarts bounds restarts after refused page tokens that made no
// progress in between (the last stored issue's creation time did not move):
// a server that refuses every token is an error, not a loop. A listing that
// moves forward between refusals (tokens that expire quickly) goes on.
const maxTokenRestarts = 3

// restartAfterRefusedToken reports whether err is Jira refusing the page
// token just sent (400: expired or unknown) and, if so, moves cp to a new
// listing from the last stored issue's creation time.
func (s *Syncer) restartAfterRefusedToken(b analyzer.Board, cp *checkpoint, l *listing, err error) bool {
	var ae *jira.APIError
	if cp.Token == "" || !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest {
		return false
	}
	if l.restarts > 0 && cp.LastCreated.Equal(l.fromAt) {
		l.restarts++
	} else {
		l.restarts = 1
	}
	if l.restarts > maxTokenRestarts {
		return false
	}
	cp.Token, cp.StartAt, cp.After = "", 0, cp.LastCreated
	*l = listing{lock: l.lock, guard: &jira.PageGuard{}, restarts: l.restarts, fromAt: cp.LastCreated}
	s.log.Warn("jira refused the page token (expired?); restarting the board's listing from the last stored issue",
		slog.Int64("board_id", b.ID), slog.Time("created_from", cp.After), slog.Int("issues_done", cp.Done), slog.Any("error", err))
	return true
}

// fetched is a page of a board's listing, fetched ahead of its processing.
type fetched struct {
	cur jira.Cursor
	pg  *jira.SearchPage
	err error
}

// pending is a page being fetched at cur.
type pending struct {
	cur jira.Cursor
	ch  <-chan fetched
}

// fetch starts fetching the page of cp's listing at cp's cursor.
func (s *Syncer) fetch(ctx context.Context, b analyzer.Board, cp checkpoint, opts jira.ParseOptions) pending {
	ch := make(chan fetched, 1)
	cur, jql := cp.cursor(), s.jql(cp)
	go func() {
		pg, err := s.src.BoardIssuesPage(ctx, b.ID, jql, jira.SearchOptions{
			Fields: opts.Fields(), Expand: []string{"changelog"}, PageSize: s.cfg.PageSize,
		}, cur)
		ch <- fetched{cur: cur, pg: pg, err: err}
	}()
	return pending{cur: cur, ch: ch}
}

// fetchAhead queues the fetches that follow pg, whose successor is next
// (cursor ncp), up to depth pages. A token-paged listing knows only the
// next page. An offset-paged one (Data Center) knows its total after a
// page: further pages are fetched ahead at offsets one page size (this
// page's issue count) apart. Pages already queued at other offsets (Jira
// answered with fewer issues than the pages before) are dropped and fetched
// again from the right offset.
func (s *Syncer) fetchAhead(fctx context.Context, b analyzer.Board, l *listing, pg *jira.SearchPage, ncp checkpoint, opts jira.ParseOptions, depth int) {
	if len(l.pending) > 0 && l.pending[0].cur != ncp.cursor() {
		l.pending = nil
	}
	if len(l.pending) == 0 {
		l.pending = append(l.pending, s.fetch(fctx, b, ncp, opts))
	}
	n := len(pg.Issues)
	if pg.TokenPaged() || pg.Total <= 0 || n == 0 {
		return
	}
	for len(l.pending) < depth {
		at := l.pending[len(l.pending)-1].cur.StartAt + n
		if at >= pg.Total {
			return
		}
		cp := ncp
		cp.StartAt = at
		l.pending = append(l.pending, s.fetch(fctx, b, cp, opts))
	}
}

// page takes the page being fetched, starts fetching the next one (fctx),
// then parses and stores this one; it reports whether it was the last.
func (s *Syncer) page(ctx, fctx context.Context, b analyzer.Board, cp *checkpoint, l *listing, opts jira.ParseOptions, meta siteMeta, state store.SyncState, res *Result) (bool, error) {
	var f fetched
	select {
	case f = <-l.pending[0].ch:
		l.pending = l.pending[1:]
	case <-ctx.Done():
		return false, ctx.Err()
	}
	cur, pg, err := f.cur, f.pg, f.err
	if err != nil {
		if s.restartAfterRefusedToken(b, cp, l, err) {
			l.pending = []pending{s.fetch(fctx, b, *cp, opts)}
			return false, nil
		}
		return false, fmt.Errorf("sync: board %d page after %d issues: %w", b.ID, cp.Done, err)
	}
	if err := l.guard.Check(cur, pg); err != nil {
		return false, fmt.Errorf("sync: board %d page after %d issues: %w", b.ID, cp.Done, err)
	}
	next, more := pg.Next()
	ncp := *cp
	ncp.Token, ncp.StartAt = next.Token, next.StartAt
	if !pg.TokenPaged() && next.StartAt == 0 {
		ncp.StartAt = cp.StartAt + len(pg.Issues)
	}
	if more {
		// The next page now; the ones after it (Data Center) once this one is
		// stored, so that a board never holds more than two pages it has not
		// stored (what a killed run loses).
		s.fetchAhead(fctx, b, l, pg, ncp, opts, 1)
	}
	if cur == (jira.Cursor{}) && pg.Total > 0 {
		s.cfg.Progress.AddTotal(pg.Total)
	}
	batch := store.IssueBatch{SiteID: s.cfg.SiteID, BoardID: b.ID}
	s.parsePage(ctx, &batch, pg, opts, meta, res)
	for _, sk := range batch.Skipped {
		res.Skipped = append(res.Skipped, sk.Key)
	}
	ncp.Done += len(pg.Issues)
	ncp.Listed = !more
	if n := len(batch.Issues); n > 0 {
		ncp.LastCreated = batch.Issues[n-1].Created
	}
	cpJSON, _ := json.Marshal(ncp)
	st := state
	st.Checkpoint = cpJSON
	startedAt := cp.StartedAt
	st.LastStartedAt = &startedAt
	batch.State = &st
	if err := l.lock.Check(ctx); err != nil {
		return false, fmt.Errorf("sync: board %d: %w", b.ID, err)
	}
	if err := s.store.IssueUpsertMany(ctx, batch); err != nil {
		return false, err
	}
	*cp = ncp
	if more {
		s.fetchAhead(fctx, b, l, pg, ncp, opts, s.cfg.Concurrency)
	}
	res.Issues += len(batch.Issues)
	res.ChangeItems += len(batch.Changes)
	res.SprintEvents += len(batch.SprintEvents)
	s.cfg.Progress.Add(len(pg.Issues))
	return !more, nil
}

// refetchBatch bounds how many stored truncated changelogs one board's run
// fetches again.
const refetchBatch = 200

// refetchTruncated is the to-refetch list: issues stored with a truncated
// changelog by an earlier run (their full fetch failed) get it fetched again
// on every run until it succeeds, whether or not they changed in Jira since.
// Those that failed in this very run wait for the next one.
func (s *Syncer) refetchTruncated(ctx context.Context, b analyzer.Board, lock *store.BoardLock, runStarted time.Time, opts jira.ParseOptions, meta siteMeta, res *Result) error {
	issues, err := s.store.IssueListIncompleteChangelog(ctx, s.cfg.SiteID, b.ID, runStarted, refetchBatch)
	if err != nil || len(issues) == 0 {
		return err
	}
	batch := store.IssueBatch{SiteID: s.cfg.SiteID, BoardID: b.ID}
	for _, issue := range issues {
		items, warns, err := s.fullChangelog(ctx, issue, opts)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.Warn("full changelog still unavailable", slog.String("issue_key", issue.Key), slog.Any("error", err))
			res.ChangelogsIncomplete++
			continue
		}
		issue.ChangelogComplete = true
		issue.ChangelogDropped = s.countDropped(issue.Key, warns, res)
		batch.Issues = append(batch.Issues, issue)
		batch.Changes = append(batch.Changes, items...)
		batch.SprintEvents = append(batch.SprintEvents, jira.IssueSprintEvents(issue, items, meta.sprintFields)...)
		res.ChangelogsRefetched++
	}
	if len(batch.Issues) == 0 {
		return nil
	}
	s.log.Info("truncated changelogs fetched again", slog.Int64("board_id", b.ID), slog.Int("issues", len(batch.Issues)))
	if err := lock.Check(ctx); err != nil {
		return fmt.Errorf("sync: board %d: %w", b.ID, err)
	}
	return s.store.IssueUpsertMany(ctx, batch)
}

// peekKey reads an issue's key (or id) from JSON that ParseIssue rejected,
// for the log line; "?" when even that is unreadable.
func peekKey(raw json.RawMessage) string { return cmp.Or(jira.PeekKey(raw), "?") }

// refetch is a parsed issue of a page and, when want, its full changelog
// fetched because the embedded one is truncated.
type refetch struct {
	issue analyzer.Issue
	items []analyzer.ChangeItem
	want  bool
	full  []analyzer.ChangeItem
	warns []error
	err   error
}

// parsePage parses a page's issues into batch: each issue with its
// complete changelog (fetched side by side where the embedded one is
// truncated; the truncated one is kept when that fails) and its sprint
// events. An issue ParseIssue rejects is logged and added to
// batch.Skipped.
func (s *Syncer) parsePage(ctx context.Context, batch *store.IssueBatch, pg *jira.SearchPage, opts jira.ParseOptions, meta siteMeta, res *Result) {
	parsed := make([]refetch, 0, len(pg.Issues))
	for i, raw := range pg.Issues {
		issue, items, warnings, err := pg.ParseIssue(i, opts)
		if err != nil {
			key := peekKey(raw)
			s.log.Warn("malformed issue skipped", slog.Int64("board_id", batch.BoardID), slog.String("issue_key", key), slog.Any("error", err))
			batch.Skipped = append(batch.Skipped, store.SkippedIssue{Key: key, Reason: err.Error()})
			continue
		}
		for _, w := range warnings {
			s.log.Debug("issue field unreadable", slog.String("issue_key", issue.Key), slog.Any("error", w))
		}
		issue.ChangelogDropped = s.countDropped(issue.Key, warnings, res)
		parsed = append(parsed, refetch{issue: issue, items: items, want: !issue.ChangelogComplete})
	}
	s.fullChangelogs(ctx, parsed, opts)
	for _, p := range parsed {
		issue, items := p.issue, p.items
		if p.want {
			if p.err != nil {
				s.log.Warn("full changelog unavailable; storing the truncated one", slog.String("issue_key", issue.Key), slog.Any("error", p.err))
				res.ChangelogsIncomplete++
			} else {
				items, issue.ChangelogComplete = p.full, true
				res.ChangelogEntriesDropped -= issue.ChangelogDropped
				issue.ChangelogDropped = s.countDropped(issue.Key, p.warns, res)
				res.ChangelogsRefetched++
			}
		}
		batch.Issues = append(batch.Issues, issue)
		batch.Changes = append(batch.Changes, items...)
		batch.SprintEvents = append(batch.SprintEvents, jira.IssueSprintEvents(issue, items, meta.sprintFields)...)
	}
}

// fullChangelogs fetches the full changelog of every entry that wants it,
// Concurrency at a time (the client bounds the requests in flight).
func (s *Syncer) fullChangelogs(ctx context.Context, rs []refetch, opts jira.ParseOptions) {
	var wg gosync.WaitGroup
	sem := make(chan struct{}, s.cfg.Concurrency)
	for i := range rs {
		if !rs[i].want {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := &rs[i]
			r.full, r.warns, r.err = s.fullChangelog(ctx, r.issue, opts)
		}()
	}
	wg.Wait()
}

func (s *Syncer) fullChangelog(ctx context.Context, issue analyzer.Issue, opts jira.ParseOptions) ([]analyzer.ChangeItem, []error, error) {
	hs, err := s.src.IssueChangelog(ctx, issue.Key)
	if err != nil {
		return nil, nil, err
	}
	items, warns := jira.ConvertHistories(s.cfg.SiteID, issue.ID, issue.Key, hs, opts.Location)
	for _, w := range warns {
		s.log.Debug("changelog item unreadable", slog.String("issue_key", issue.Key), slog.Any("error", w))
	}
	return items, warns, nil
}

// countDropped counts the changelog entries ParseIssue or ConvertHistories
// left out (unreadable id or timestamp): the history, and so the issue's
// cycle time, may be wrong, so it is logged and kept for the data-quality
// section rather than passed over.
func (s *Syncer) countDropped(key string, warns []error, res *Result) int {
	n := jira.DroppedHistories(warns)
	if n > 0 {
		s.log.Warn("changelog entries with unreadable timestamps left out", slog.String("issue_key", key), slog.Int("entries", n))
		res.ChangelogEntriesDropped += n
	}
	return n
}
