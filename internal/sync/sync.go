package sync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"strings"
	gosync "sync"
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
	SearchPages(ctx context.Context, jql string, opts jira.SearchOptions) iter.Seq2[*jira.SearchPage, error]
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
	// Concurrency is how many boards are synced at once (each keeps its
	// next page in flight while it stores the current one). Default 4;
	// the Jira client's own limit bounds the requests in flight.
	Concurrency int
	// Full forces a full run (and removal detection) even when a watermark exists.
	Full bool
	// MetaMaxAge is how long what rarely changes in Jira (board
	// configurations, statuses, fields) is reused before it is fetched
	// again; a full run always fetches it. Default 24h; negative: every run.
	MetaMaxAge time.Duration
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
	Epics                                                            int      // epics stored (referenced by board issues; on no scrum board)
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
	cfg.Concurrency = cmp.Or(cfg.Concurrency, 4)
	cfg.MetaMaxAge = cmp.Or(cfg.MetaMaxAge, 24*time.Hour)
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
	// Listed is set with the last page: a run killed after it but before
	// the board's watermark was written resumes at the board's finish, not
	// at its first page (the last page carries no next cursor).
	Listed bool `json:"listed,omitempty"`
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
	statuses, fresh, err := cachedFetch(ctx, s, "statuses", s.src.Statuses)
	if err != nil {
		return res, fmt.Errorf("sync: site %s: %w", s.cfg.SiteID, err)
	}
	if fresh {
		for i := range statuses {
			statuses[i].SiteID = s.cfg.SiteID
		}
		if err := s.store.StatusUpsertMany(ctx, s.cfg.SiteID, statuses); err != nil {
			return res, err
		}
	}
	fields, _, err := cachedFetch(ctx, s, "fields", s.src.Fields)
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
	var selected []analyzer.Board
	for _, b := range boards {
		if len(s.cfg.Boards) == 0 || slices.Contains(s.cfg.Boards, b.ID) {
			b.SiteID = s.cfg.SiteID
			selected = append(selected, b)
		}
	}
	s.cfg.Progress.Start(fmt.Sprintf("%s: %d board(s)", s.cfg.SiteID, len(selected)), 0)
	defer s.cfg.Progress.Finish()
	if err := s.syncBoards(ctx, selected, meta, &res); err != nil {
		return res, err
	}
	if err := s.syncEpics(ctx, meta, &res); err != nil {
		return res, err
	}
	if len(res.Skipped) > 0 {
		return res, fmt.Errorf("%w: %d (%v)", ErrSkippedIssues, len(res.Skipped), res.Skipped)
	}
	return res, nil
}

// syncBoards syncs boards, Concurrency at a time. A board that fails is
// logged and the others go on; the first error is returned after all ran.
// Cancellation, or a site that stopped answering (a timeout), stops every
// board: the others would wait as long.
func (s *Syncer) syncBoards(ctx context.Context, boards []analyzer.Board, meta siteMeta, res *Result) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu       gosync.Mutex
		firstErr error
		stopErr  error
		wg       gosync.WaitGroup
	)
	next := make(chan analyzer.Board)
	// Each board holds a lock connection and writes on another: stay within
	// the pool, or every board would wait for a connection forever.
	workers := min(s.cfg.Concurrency, store.MaxConns/2, max(len(boards), 1))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				var br Result
				err := s.syncBoard(ctx, b, meta, &br)
				if err != nil && ctx.Err() != nil && !errors.Is(err, context.Cause(ctx)) {
					// Cut short by the run's end: a statement interrupted
					// mid-flight reports only a broken connection.
					err = fmt.Errorf("sync: board %d interrupted: %w (%w)", b.ID, context.Cause(ctx), err)
				}
				mu.Lock()
				res.add(br)
				switch {
				case err == nil:
				case ctx.Err() != nil || errors.Is(err, jira.ErrTimeout):
					stopErr = cmp.Or(stopErr, err)
					cancel(err)
				default:
					s.log.Error("board sync failed", slog.Int64("board_id", b.ID), slog.Any("error", err))
					firstErr = cmp.Or(firstErr, err)
				}
				mu.Unlock()
			}
		}()
	}
	for _, b := range boards {
		if ctx.Err() != nil {
			break
		}
		next <- b
	}
	close(next)
	wg.Wait()
	if stopErr != nil {
		return stopErr // the first: what stopped the others
	}
	return firstErr
}

// add sums another board's counts into r.
func (r *Result) add(o Result) {
	r.Boards += o.Boards
	r.BoardsLocked += o.BoardsLocked
	r.Sprints += o.Sprints
	r.Issues += o.Issues
	r.ChangeItems += o.ChangeItems
	r.SprintEvents += o.SprintEvents
	r.ChangelogsRefetched += o.ChangelogsRefetched
	r.ChangelogsIncomplete += o.ChangelogsIncomplete
	r.IssuesRemoved += o.IssuesRemoved
	r.ChangelogEntriesDropped += o.ChangelogEntriesDropped
	r.Skipped = append(r.Skipped, o.Skipped...)
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
