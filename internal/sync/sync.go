package sync

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/store"
)

// Source is the part of the Jira client a sync uses (*jira.Client).
type Source interface {
	Flavor() analyzer.Flavor
	Myself(ctx context.Context) (*jira.User, error)
	Statuses(ctx context.Context) ([]analyzer.Status, error)
	Fields(ctx context.Context) ([]jira.Field, error)
	Boards(ctx context.Context) ([]analyzer.Board, error)
	BoardConfiguration(ctx context.Context, boardID int64) (*jira.BoardConfig, error)
	Sprints(ctx context.Context, boardID int64) ([]analyzer.Sprint, error)
	BoardIssuesPage(ctx context.Context, boardID int64, jql string, opts jira.SearchOptions, cur jira.Cursor) (*jira.SearchPage, error)
	IssueChangelog(ctx context.Context, key string) ([]jira.History, error)
	Stats() jira.Stats
}

// Config configures the sync of one site.
type Config struct {
	SiteID  string
	BaseURL string
	// Boards to sync; nil or empty means every board the account sees.
	Boards []int64
	// Location is the site's configured time zone: zone-less values are read
	// in it, and JQL dates are written in it when the account's profile
	// (/myself) names no zone. Jira reads JQL dates in the account's zone,
	// so that zone wins when it is known. Default UTC.
	Location *time.Location
	// Overlap is subtracted from the watermark on incremental runs. Default 10m.
	Overlap time.Duration
	// PageSize is the issues asked per page. Default 100 (Jira may return fewer).
	PageSize int
	// Full forces a full run (and removal detection) even when a watermark exists.
	Full bool
	// Field overrides (empty: discovered).
	StoryPointsField, SprintField, EpicLinkField, EnvironmentField string
	Logger                                                         *slog.Logger
	Progress                                                       *Progress
}

// Result summarises a run.
type Result struct {
	Boards, BoardsLocked, Sprints, Issues, ChangeItems, SprintEvents int
	ChangelogsRefetched, ChangelogsIncomplete, IssuesRemoved         int
	ChangelogEntriesDropped                                          int      // entries with an unreadable id or timestamp, left out
	Skipped                                                          []string // keys of malformed issues, logged and skipped
	Requests, Retries                                                int64
	Duration                                                         time.Duration
}

// ErrSkippedIssues is returned (wrapped, with the count) when a run finished
// but had to skip malformed issues.
var ErrSkippedIssues = errors.New("sync: malformed issues skipped")

// Syncer syncs one site into the store.
type Syncer struct {
	store *store.Store
	src   Source
	cfg   Config
	log   *slog.Logger
	// jqlLoc is the zone JQL date literals are written in: the account's
	// (read from /myself at the start of Run), else cfg.Location.
	jqlLoc *time.Location
}

// New returns a Syncer with cfg's defaults filled in.
func New(st *store.Store, src Source, cfg Config) *Syncer {
	cfg.Location = cmp.Or(cfg.Location, time.UTC)
	cfg.Overlap = cmp.Or(cfg.Overlap, 10*time.Minute)
	cfg.PageSize = cmp.Or(cfg.PageSize, 100)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With(slog.String("site", cfg.SiteID))
	return &Syncer{store: st, src: src, cfg: cfg, log: log, jqlLoc: cfg.Location}
}

// checkpoint is the resume point of a board's run, stored with each page.
// Offset-paged lists (Data Center) resume at StartAt; token-paged lists
// (Cloud) resume by retrying Token, and when Jira refuses it (tokens
// expire) the listing restarts with `created >= After`, After being the
// creation time of the last issue stored: the listing is in creation order,
// so nothing before it is missing and what is read again is upserted.
type checkpoint struct {
	Full        bool      `json:"full"`
	Since       time.Time `json:"since,omitzero"`        // incremental lower bound (already overlapped)
	StartedAt   time.Time `json:"started_at"`            // database time the run began
	StartAt     int       `json:"start_at"`              // offset paging: next position
	Token       string    `json:"token,omitempty"`       // token paging: the next page's token
	Done        int       `json:"done"`                  // issues this run has stored
	After       time.Time `json:"after,omitzero"`        // restart bound after a refused token
	LastCreated time.Time `json:"last_created,omitzero"` // created of the last issue stored
}

func (cp checkpoint) cursor() jira.Cursor { return jira.Cursor{Token: cp.Token, StartAt: cp.StartAt} }

// siteMeta is what every board of the site needs.
type siteMeta struct {
	fields       []jira.Field
	known        jira.KnownFields
	sprintFields []string
}

// Run syncs every selected board. It checks the credentials before writing
// anything. A board that fails is logged and the others continue; the first
// such error is returned after all boards ran.
func (s *Syncer) Run(ctx context.Context) (res Result, err error) {
	started := time.Now()
	defer func() {
		st := s.src.Stats()
		res.Requests, res.Retries = st.Requests, st.Retries
		res.Duration = time.Since(started)
	}()

	me, err := s.src.Myself(ctx)
	if err != nil {
		return res, fmt.Errorf("sync: site %s (%s): %w", s.cfg.SiteID, s.cfg.BaseURL, err)
	}
	s.jqlLoc = AccountLocation(me, s.cfg.Location, s.log)
	if err := s.store.SiteUpsert(ctx, store.Site{ID: s.cfg.SiteID, BaseURL: s.cfg.BaseURL, Flavor: s.src.Flavor(), TimeZone: s.jqlLoc.String()}); err != nil {
		return res, err
	}
	statuses, err := s.src.Statuses(ctx)
	if err != nil {
		return res, fmt.Errorf("sync: site %s: %w", s.cfg.SiteID, err)
	}
	for i := range statuses {
		statuses[i].SiteID = s.cfg.SiteID
	}
	if err := s.store.StatusUpsertMany(ctx, s.cfg.SiteID, statuses); err != nil {
		return res, err
	}
	fields, err := s.src.Fields(ctx)
	if err != nil {
		return res, fmt.Errorf("sync: site %s: %w", s.cfg.SiteID, err)
	}
	meta := s.siteMeta(fields)

	boards, err := s.src.Boards(ctx)
	if err != nil {
		return res, fmt.Errorf("sync: site %s: %w", s.cfg.SiteID, err)
	}
	if missing := MissingBoards(s.cfg.Boards, boards); len(missing) > 0 {
		// Sync the boards that exist, then fail naming the others.
		s.log.Warn("configured boards not found", slog.Any("board_ids", missing))
		defer func() { err = errors.Join(err, &MissingBoardsError{SiteID: s.cfg.SiteID, IDs: missing}) }()
	} else if len(boards) == 0 {
		s.log.Warn("nothing to sync: the account sees no boards on this site")
	}
	var firstErr error
	for _, b := range boards {
		if len(s.cfg.Boards) > 0 && !slices.Contains(s.cfg.Boards, b.ID) {
			continue
		}
		b.SiteID = s.cfg.SiteID
		if err := s.syncBoard(ctx, b, meta, &res); err != nil {
			if ctx.Err() != nil || errors.Is(err, jira.ErrTimeout) {
				return res, err // cancelled, or the site stopped answering: the other boards would wait as long
			}
			s.log.Error("board sync failed", slog.Int64("board_id", b.ID), slog.Any("error", err))
			firstErr = cmp.Or(firstErr, err)
		}
	}
	if firstErr != nil {
		return res, firstErr
	}
	if len(res.Skipped) > 0 {
		return res, fmt.Errorf("%w: %d (%v)", ErrSkippedIssues, len(res.Skipped), res.Skipped)
	}
	return res, nil
}

// siteMeta discovers the site's custom fields; configured overrides win.
func (s *Syncer) siteMeta(fields []jira.Field) siteMeta {
	k := jira.FindFields(fields)
	k.Sprint = cmp.Or(s.cfg.SprintField, k.Sprint)
	k.EpicLink = cmp.Or(s.cfg.EpicLinkField, k.EpicLink)
	k.Environment = cmp.Or(s.cfg.EnvironmentField, k.Environment)
	s.log.Info("fields discovered", slog.String("sprint_field", k.Sprint), slog.String("epic_link_field", k.EpicLink),
		slog.String("environment_field", k.Environment), slog.String("story_points_field", k.StoryPoints))
	return siteMeta{fields: fields, known: k, sprintFields: k.SprintFieldMatchers()}
}

func (s *Syncer) syncBoard(ctx context.Context, b analyzer.Board, meta siteMeta, res *Result) error {
	log := s.log.With(slog.Int64("board_id", b.ID))
	lock, ok, err := s.store.BoardLockTry(ctx, s.cfg.SiteID, b.ID)
	if err != nil {
		return err
	}
	if !ok {
		log.Warn("board skipped: another worker is syncing it")
		res.BoardsLocked++
		return nil
	}
	defer lock.Release()

	bc, err := s.src.BoardConfiguration(ctx, b.ID)
	if err != nil {
		return fmt.Errorf("sync: board %d: %w", b.ID, err)
	}
	bc.Apply(&b, meta.fields, s.cfg.StoryPointsField)
	if err := s.store.BoardUpsert(ctx, b); err != nil {
		return err
	}
	log.Info("board configuration", slog.String("estimation_field", b.EstimationField),
		slog.String("estimation_source", b.EstimationSource), slog.Any("done_status_ids", b.DoneStatusIDs()))
	res.Boards++

	if b.Type == "scrum" {
		sprints, err := s.src.Sprints(ctx, b.ID)
		if err != nil {
			return fmt.Errorf("sync: board %d: %w", b.ID, err)
		}
		for i := range sprints {
			sprints[i].SiteID = s.cfg.SiteID
		}
		if err := s.store.SprintUpsertMany(ctx, sprints); err != nil {
			return err
		}
		res.Sprints += len(sprints)
	}

	state, err := s.store.SyncStateGet(ctx, s.cfg.SiteID, b.ID)
	if err != nil {
		return err
	}
	cp, err := s.plan(ctx, state)
	if err != nil {
		return err
	}
	opts := meta.known.ParseOptions(s.cfg.SiteID, b.EstimationField)
	opts.Location = s.cfg.Location
	log.Info("board sync", slog.Bool("full", cp.Full), slog.Time("since", cp.Since),
		slog.Int("resume_start_at", cp.StartAt), slog.Bool("resume_token", cp.Token != ""), slog.Int("resume_done", cp.Done))

	s.cfg.Progress.Start(b.Name, 0)
	defer s.cfg.Progress.Finish()
	l := listing{guard: &jira.PageGuard{}, lock: lock}
	for {
		done, err := s.page(ctx, b, &cp, &l, opts, meta, state, res)
		if err != nil {
			_ = s.store.SyncStateSetError(context.WithoutCancel(ctx), s.cfg.SiteID, b.ID, err.Error())
			return err
		}
		if done {
			break
		}
	}
	if err := s.refetchTruncated(ctx, b, lock, cp.StartedAt, opts, meta, res); err != nil {
		return err
	}
	if cp.Full {
		n, err := s.store.BoardIssueMarkUnseen(ctx, s.cfg.SiteID, b.ID, cp.StartedAt)
		if err != nil {
			return err
		}
		res.IssuesRemoved += n
		if n > 0 {
			log.Info("issues no longer on the board marked removed", slog.Int("issues_removed", n))
		}
	}
	if err := lock.Check(ctx); err != nil {
		return fmt.Errorf("sync: board %d: %w", b.ID, err)
	}
	wm := cp.StartedAt
	now := time.Now().UTC()
	state.Watermark, state.Checkpoint, state.LastFinishedAt, state.LastError = &wm, nil, &now, ""
	return s.store.SyncStatePut(ctx, state)
}

// plan resumes a stored checkpoint or starts a new full or incremental run.
func (s *Syncer) plan(ctx context.Context, state store.SyncState) (checkpoint, error) {
	if len(state.Checkpoint) > 0 {
		var cp checkpoint
		if err := json.Unmarshal(state.Checkpoint, &cp); err == nil && !cp.StartedAt.IsZero() {
			s.log.Info("resuming interrupted sync", slog.Int64("board_id", state.BoardID), slog.Int("start_at", cp.StartAt))
			return cp, nil
		}
	}
	now, err := s.store.DBNow(ctx)
	if err != nil {
		return checkpoint{}, err
	}
	cp := checkpoint{StartedAt: now, Full: s.cfg.Full || state.Watermark == nil}
	if !cp.Full {
		cp.Since = state.Watermark.Add(-s.cfg.Overlap)
	}
	return cp, nil
}

// jql builds the board-issue query of a run. Issues are ordered by creation
// (which never changes) and key, so pages stay stable while issues change.
// JQL dates have minute precision and are read in the account's zone: the
// bounds are floored to the minute there, so they only ever include more.
func (s *Syncer) jql(cp checkpoint) string {
	var conds []string
	if !cp.Full {
		conds = append(conds, fmt.Sprintf(`updated >= "%s"`, s.jqlTime(cp.Since)))
	}
	if !cp.After.IsZero() {
		conds = append(conds, fmt.Sprintf(`created >= "%s"`, s.jqlTime(cp.After)))
	}
	q := strings.Join(conds, " AND ")
	if q != "" {
		q += " "
	}
	return q + "ORDER BY created ASC, key ASC"
}

func (s *Syncer) jqlTime(t time.Time) string {
	return t.In(s.jqlLoc).Format("2006-01-02 15:04")
}

// AccountLocation is the zone Jira reads the account's JQL dates in: the
// profile's timeZone from /myself, or fallback (the configured site zone)
// when the profile names none or one this machine does not know; the
// fallback is logged, since a wrong zone makes incremental runs miss
// updates.
func AccountLocation(me *jira.User, fallback *time.Location, log *slog.Logger) *time.Location {
	if me == nil || me.TimeZone == "" {
		log.Warn("the Jira account's profile names no time zone; writing JQL dates in the configured site zone",
			slog.String("time_zone", fallback.String()))
		return fallback
	}
	loc, err := time.LoadLocation(me.TimeZone)
	if err != nil {
		log.Warn("the Jira account's time zone is unknown here; writing JQL dates in the configured site zone",
			slog.String("account_time_zone", me.TimeZone), slog.String("time_zone", fallback.String()), slog.Any("error", err))
		return fallback
	}
	if loc.String() != fallback.String() {
		log.Info("JQL dates are written in the Jira account's time zone", slog.String("account_time_zone", loc.String()),
			slog.String("configured_time_zone", fallback.String()))
	}
	return loc
}

// listing is the in-memory state of one board's page walk in this process.
type listing struct {
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

// page fetches, parses and stores one page; it reports whether it was the last.
func (s *Syncer) page(ctx context.Context, b analyzer.Board, cp *checkpoint, l *listing, opts jira.ParseOptions, meta siteMeta, state store.SyncState, res *Result) (bool, error) {
	cur := cp.cursor()
	pg, err := s.src.BoardIssuesPage(ctx, b.ID, s.jql(*cp), jira.SearchOptions{
		Fields: opts.Fields(), Expand: []string{"changelog"}, PageSize: s.cfg.PageSize,
	}, cur)
	if err != nil {
		if s.restartAfterRefusedToken(b, cp, l, err) {
			return false, nil
		}
		return false, fmt.Errorf("sync: board %d page after %d issues: %w", b.ID, cp.Done, err)
	}
	if err := l.guard.Check(cur, pg); err != nil {
		return false, fmt.Errorf("sync: board %d page after %d issues: %w", b.ID, cp.Done, err)
	}
	s.cfg.Progress.SetTotal(pg.Total)
	batch := store.IssueBatch{SiteID: s.cfg.SiteID, BoardID: b.ID}
	for _, raw := range pg.Issues {
		issue, items, warnings, err := jira.ParseIssue(raw, opts)
		if err != nil {
			key := peekKey(raw)
			s.log.Warn("malformed issue skipped", slog.Int64("board_id", b.ID), slog.String("issue_key", key), slog.Any("error", err))
			res.Skipped = append(res.Skipped, key)
			batch.Skipped = append(batch.Skipped, store.SkippedIssue{Key: key, Reason: err.Error()})
			continue
		}
		for _, w := range warnings {
			s.log.Debug("issue field unreadable", slog.String("issue_key", issue.Key), slog.Any("error", w))
		}
		issue.ChangelogDropped = s.countDropped(issue.Key, warnings, res)
		if !issue.ChangelogComplete {
			full, warns, err := s.fullChangelog(ctx, issue, opts)
			if err != nil {
				s.log.Warn("full changelog unavailable; storing the truncated one", slog.String("issue_key", issue.Key), slog.Any("error", err))
				res.ChangelogsIncomplete++
			} else {
				items, issue.ChangelogComplete = full, true
				res.ChangelogEntriesDropped -= issue.ChangelogDropped
				issue.ChangelogDropped = s.countDropped(issue.Key, warns, res)
				res.ChangelogsRefetched++
			}
		}
		batch.Issues = append(batch.Issues, issue)
		batch.Changes = append(batch.Changes, items...)
		batch.SprintEvents = append(batch.SprintEvents, jira.IssueSprintEvents(issue, items, meta.sprintFields)...)
	}
	next, more := pg.Next()
	ncp := *cp
	ncp.Token, ncp.StartAt = next.Token, next.StartAt
	if !pg.TokenPaged() && next.StartAt == 0 {
		ncp.StartAt = cp.StartAt + len(pg.Issues)
	}
	ncp.Done += len(pg.Issues)
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
func peekKey(raw json.RawMessage) string {
	var v struct {
		Key string          `json:"key"`
		ID  json.RawMessage `json:"id"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return "?"
	}
	if v.Key != "" {
		return v.Key
	}
	if len(v.ID) > 0 {
		return "id " + string(v.ID)
	}
	return "?"
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
