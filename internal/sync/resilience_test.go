package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/store/storetest"

	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/sync"
)

// checksum fingerprints everything a sync writes, leaving out the columns
// that record when it was written (synced_at, seen_at, updated_at).
func checksum(t *testing.T, st *store.Store) map[string]string {
	t.Helper()
	return checksumWithout(t, st, "")
}

// checksumWithout is checksum with every occurrence of strip (a server's
// base URL) taken out of the stored raw JSON first.
func checksumWithout(t *testing.T, st *store.Store, strip string) map[string]string {
	t.Helper()
	queries := map[string]string{
		"boards":          `SELECT site_id, board_id, name, board_type, project_key, columns::text, estimation_field, estimation_source FROM boards`,
		"sprints":         `SELECT * FROM sprints`,
		"statuses":        `SELECT * FROM statuses`,
		"issues":          `SELECT site_id, issue_id, issue_key, summary, issue_type, status_id, estimate, labels, sprint_ids, created_at, updated_at, resolved_at, changelog_complete, replace(raw::text, $1, '') FROM issues`,
		"changelog_items": `SELECT * FROM changelog_items`,
		"sprint_events":   `SELECT * FROM sprint_events`,
		"board_issues":    `SELECT site_id, board_id, issue_id, removed_at IS NULL FROM board_issues`,
	}
	out := map[string]string{}
	for table, q := range queries {
		var sum string
		if err := st.DB().GetContext(context.Background(), &sum, `SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM (`+q+`) t`, args(q, strip)...); err != nil {
			t.Fatal(err)
		}
		out[table] = sum
	}
	return out
}

// args passes strip to the queries that take it.
func args(q, strip string) []any {
	if strings.Contains(q, "$1") {
		return []any{strip}
	}
	return nil
}

// cancelAfter wraps the client and cancels the run's context once `pages`
// issue pages have been served: a worker killed mid-sync.
type cancelAfter struct {
	*jira.Client
	pages  int32
	served atomic.Int32
	cancel context.CancelFunc
}

func (c *cancelAfter) BoardIssuesPage(ctx context.Context, boardID int64, jql string, opts jira.SearchOptions, cur jira.Cursor) (*jira.SearchPage, error) {
	pg, err := c.Client.BoardIssuesPage(ctx, boardID, jql, opts, cur)
	if c.served.Add(1) == c.pages {
		c.cancel()
	}
	return pg, err
}

// A sync killed at a random page and run again ends in exactly the state of
// a clean run: no duplicates, no gaps. Cloud pages the board lists by token
// (the default), or by offset as before RFC-127; Data Center by offset.
func TestKillAndResume(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   jirasim.Mode
		paging string
	}{
		{"cloud-token", jirasim.ModeCloud, jirasim.PagingToken},
		{"cloud-offset", jirasim.ModeCloud, jirasim.PagingOffset},
		{"dc", jirasim.ModeDC, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seed := uint64(time.Now().UnixNano())
			// 900 issues over 3 boards, less 2 epics each (not on scrum boards):
			// 298 per board, in pages of 50: 6 pages a board, 18 in all, the 3
			// boards at once. A board asks for page n+2 only after page n is
			// stored (page n+1 is in flight meanwhile), so by the 7th page
			// served some board has stored a page; by the 17th not all 18 are.
			killAt := int32(7 + rand.New(rand.NewPCG(seed, 1)).IntN(11))
			t.Logf("killing the sync after issue page %d (seed %d)", killAt, seed)
			killAndResume(t, jirasim.Config{Mode: tc.mode, CloudAgilePaging: tc.paging, Issues: 900, Teams: 3, Seed: 11}, killAt, 0, 0)
		})
	}
}

// Eight boards at once, eight requests in flight, and every third request
// answered 503: a run killed at a random page and resumed still ends in the
// clean run's tables.
func TestKillAndResumeConcurrent503(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	simCfg := jirasim.Config{Issues: 2400, Teams: 8, Seed: 12, Faults: jirasim.Faults{Fail503Every: 3}}
	site := newSim(t, simCfg)
	client := func() *jira.Client { return site.clientWith(t, func(c *jira.Config) { c.MaxConcurrency = 8 }) }
	cfg := sync.Config{SiteID: "sim", BaseURL: site.srv.URL, PageSize: 50, Concurrency: 8}
	truth, err := site.sim.Truth()
	if err != nil {
		t.Fatal(err)
	}
	clean := storetest.MustOpen(t)
	if _, err := sync.New(clean, client(), cfg).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := checksum(t, clean)
	// 2400 issues over 8 boards, less 2 epics each: 298 a board, 6 pages of
	// 50, 48 pages in all. With 8 boards at once, 8 first pages and 8 second
	// ones may be served before any page is stored: from the 17th page on
	// some board has stored one; by the 47th not all are.
	killAt := int32(17 + rand.New(rand.NewPCG(seed, 2)).IntN(31))
	t.Logf("killing the sync after issue page %d (seed %d)", killAt, seed)
	st := storetest.MustOpen(t)
	ctx, cancel := context.WithCancel(context.Background())
	src := &cancelAfter{Client: client(), pages: killAt, cancel: cancel}
	if _, err := sync.New(st, src, cfg).Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: err = %v, want context.Canceled", err)
	}
	stored := count(t, st, `SELECT count(*) FROM issues`)
	if stored == 0 || stored >= truth.BoardIssues {
		t.Fatalf("after the kill: %d issues stored, want some, not all %d", stored, truth.BoardIssues)
	}
	res, err := sync.New(st, client(), cfg).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := checksum(t, st)
	for table := range want {
		if got[table] != want[table] {
			t.Errorf("%s: resumed %s, clean %s", table, got[table], want[table])
		}
	}
	if res.Issues+stored != truth.BoardIssues || res.Retries == 0 {
		t.Errorf("resumed run: %d issues after %d stored (want the other %d), %d retries (want the 503s retried)",
			res.Issues, stored, truth.BoardIssues-stored, res.Retries)
	}
}

// A resumed Cloud run whose stored page token has expired restarts the
// board's listing from the last stored issue's creation time and still ends
// in the clean run's state.
func TestResumeAfterTokenExpired(t *testing.T) {
	// One board at a time. Page 4 is board 1's 4th page: it is fetched while
	// page 3 is stored, so pages 1-2 or 1-3 are stored when the run is killed,
	// and the checkpoint holds the next page's token, which is 20 minutes old
	// (TTL 15m) when the run resumes.
	refused := killAndResume(t, jirasim.Config{Issues: 900, Teams: 3, Seed: 11}, 4, 20*time.Minute, 1)
	if refused != 1 {
		t.Fatalf("the resumed run was refused %d page tokens, want exactly 1 (the expired one)", refused)
	}
}

// simClock is a settable clock for the simulator's token expiry.
type simClock struct{ offset atomic.Int64 }

func (c *simClock) now() time.Time              { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *simClock) advance(d time.Duration)     { c.offset.Add(int64(d)) }
func newSimClock(cfg *jirasim.Config) *simClock { c := &simClock{}; cfg.Clock = c.now; return c }

// countRefused wraps the client and counts 400 answers to page requests.
type countRefused struct {
	*jira.Client
	refused atomic.Int32
}

func (c *countRefused) BoardIssuesPage(ctx context.Context, boardID int64, jql string, opts jira.SearchOptions, cur jira.Cursor) (*jira.SearchPage, error) {
	pg, err := c.Client.BoardIssuesPage(ctx, boardID, jql, opts, cur)
	var ae *jira.APIError
	if errors.As(err, &ae) && ae.StatusCode == 400 {
		c.refused.Add(1)
	}
	return pg, err
}

// killAndResume syncs simCfg cleanly into one database; into another it runs
// a sync killed after killAt issue pages, moves the simulator's clock by
// age, and resumes. Both databases must then hold the same tables. It
// returns how many page tokens the resumed run had refused.
func killAndResume(t *testing.T, simCfg jirasim.Config, killAt int32, age time.Duration, concurrency int) int32 {
	t.Helper()
	clock := newSimClock(&simCfg)
	site := newSim(t, simCfg)
	cfg := sync.Config{SiteID: "sim", BaseURL: site.srv.URL, PageSize: 50, Concurrency: concurrency}
	truth, err := site.sim.Truth()
	if err != nil {
		t.Fatal(err)
	}
	clean := storetest.MustOpen(t)
	if _, err := sync.New(clean, site.client(t, ""), cfg).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := checksum(t, clean)

	st := storetest.MustOpen(t)
	ctx, cancel := context.WithCancel(context.Background())
	src := &cancelAfter{Client: site.client(t, ""), pages: killAt, cancel: cancel}
	if _, err := sync.New(st, src, cfg).Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: err = %v, want context.Canceled", err)
	}
	// Some pages are stored: boards finished before the kill have a
	// watermark, the boards being synced (at most Concurrency, 4 by default)
	// a checkpoint (none when the kill fell on their first page).
	var withCheckpoint, stored int
	_ = st.DB().GetContext(context.Background(), &withCheckpoint, `SELECT count(*) FROM sync_state WHERE checkpoint IS NOT NULL`)
	_ = st.DB().GetContext(context.Background(), &stored, `SELECT count(*) FROM issues`)
	if withCheckpoint > 4 || stored == 0 || stored >= truth.BoardIssues {
		t.Fatalf("after the kill: %d boards hold a checkpoint (want at most 4), %d issues stored (want some, not all %d)", withCheckpoint, stored, truth.BoardIssues)
	}
	clock.advance(age)
	resumed := &countRefused{Client: site.client(t, "")}
	res, err := sync.New(st, resumed, cfg).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := checksum(t, st)
	for table := range want {
		if got[table] != want[table] {
			t.Errorf("%s: resumed %s, clean %s", table, got[table], want[table])
		}
	}
	refused := resumed.refused.Load()
	if refused == 0 {
		// Resumed by its checkpoint: exactly the issues not yet stored.
		if res.Issues+stored != truth.BoardIssues {
			t.Errorf("the resumed run fetched %d issues after %d were stored: it should fetch exactly the other %d", res.Issues, stored, truth.BoardIssues-stored)
		}
	} else if res.Issues+stored < truth.BoardIssues || res.Issues+stored > truth.BoardIssues+50 {
		// Restarted from the last stored issue's creation minute: it reads
		// again only the stored issues created in that minute (at most a page).
		t.Errorf("the restarted run fetched %d issues after %d were stored: want the other %d plus at most one page again", res.Issues, stored, truth.BoardIssues-stored)
	}
	return refused
}

// Incremental: after 10 issues change in Jira, the next run fetches those
// (and nothing that did not change), in at most 5 requests per board.
func TestIncremental(t *testing.T) {
	ctx := context.Background()
	// The site's present is an hour ago, so nothing generated falls inside
	// the next run's overlap window: only touched issues are newer.
	site := newSim(t, jirasim.Config{Issues: 600, Teams: 3, Seed: 5, Now: time.Now().Add(-time.Hour)})
	st := storetest.MustOpen(t)
	runSync(t, st, site, sync.Config{})

	// No change: 3 boards × (sprints + one empty issue page) plus myself and
	// boards = 8 requests; the board configurations, statuses and fields were
	// fetched by the first run less than a day ago and are not asked again.
	site.sim.ResetStats()
	res := runSync(t, st, site, sync.Config{})
	// 8 + 1: the epics the board issues point to, if updated since the last
	// run (one `key in (…)` search).
	if res.Issues != 0 || site.sim.Stats().Total != 9 {
		t.Fatalf("no-change run fetched %d issues in %d requests, want 0 in 9 (%v)", res.Issues, site.sim.Stats().Total, site.sim.Stats().ByPattern)
	}
	for _, p := range []string{"GET /rest/agile/1.0/board/{id}/configuration", "GET /rest/api/{v}/status", "GET /rest/api/{v}/field"} {
		if n := site.sim.Stats().ByPattern[p]; n != 0 {
			t.Fatalf("no-change run asked %s %d times, want 0 (fetched a day at most before)", p, n)
		}
	}

	touched := site.sim.Touch(10, time.Now())
	site.sim.ResetStats()
	res = runSync(t, st, site, sync.Config{})
	if res.Issues != 10 {
		t.Fatalf("incremental run fetched %d issues, want the 10 touched", res.Issues)
	}
	var refreshed []string
	if err := st.DB().SelectContext(ctx, &refreshed, `SELECT issue_key FROM issues WHERE updated_at > now() - interval '5 minutes' ORDER BY issue_key`); err != nil {
		t.Fatal(err)
	}
	slices.Sort(touched)
	if !slices.Equal(refreshed, touched) {
		t.Fatalf("stored as recently updated: %v, touched: %v", refreshed, touched)
	}
	if got := site.sim.Stats().Total; got > 5+3*5 {
		t.Fatalf("incremental run made %d requests, want at most 5 per board plus 4 per site", got)
	}
}

// Throttling and unavailability: the sync completes, honouring Retry-After
// or X-RateLimit-Reset, with a bounded number of requests.
func TestRateLimitStormAnd503(t *testing.T) {
	for _, header := range []string{jirasim.HeaderRetryAfter, jirasim.HeaderRateLimitReset} {
		t.Run(header, func(t *testing.T) {
			site := newSim(t, jirasim.Config{Issues: 300, Teams: 2, Seed: 3,
				Faults: jirasim.Faults{RateLimitPerSecond: 8, RateLimitHeader: header, Fail503Every: 7, MalformedFraction: 0.05}})
			st := storetest.MustOpen(t)
			c, err := jira.New(context.Background(), jira.Config{BaseURL: site.srv.URL, SiteID: "sim",
				Email: "sim@example.com", Token: "sim-token", Flavor: "cloud", MaxRetries: 10,
				BackoffBase: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			res, err := sync.New(st, c, sync.Config{SiteID: "sim", BaseURL: site.srv.URL}).Run(context.Background())
			if err != nil {
				t.Fatalf("sync under faults: %v", err)
			}
			stats := site.sim.Stats()
			// 300 issues over 2 boards, less 2 epics per board (150/150 → the
			// minimum of 2), which scrum boards do not show: 296.
			if res.Issues != 296 || stats.RateLimited == 0 || stats.Unavailable == 0 || res.Retries == 0 {
				t.Fatalf("issues %d, 429s %d, 503s %d, retries %d: the storm did not happen or the sync lost issues", res.Issues, stats.RateLimited, stats.Unavailable, res.Retries)
			}
			// A clean run of this site takes 2 × (config + sprints + 3 pages) + 4
			// + 1 changelog ≈ 15 requests; retries may at most triple that.
			if stats.Total > 60 {
				t.Fatalf("%d requests for a ~15-request sync: retries are not bounded", stats.Total)
			}
		})
	}
}

// Two workers never sync the same board at once: the second skips it.
func TestBoardLock(t *testing.T) {
	ctx := context.Background()
	site := newSim(t, jirasim.Config{Issues: 120, Teams: 2})
	st := storetest.MustOpen(t)
	boards, err := site.client(t, "").Boards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lock, ok, err := st.BoardLockTry(ctx, "sim", boards[0].ID)
	if err != nil || !ok {
		t.Fatalf("lock: %v %v", ok, err)
	}
	res := runSync(t, st, site, sync.Config{})
	lock.Release()
	if res.BoardsLocked != 1 || res.Boards != 1 {
		t.Fatalf("boards synced %d, locked %d; want 1 and 1", res.Boards, res.BoardsLocked)
	}
	if n := count(t, st, `SELECT count(*) FROM board_issues WHERE board_id = $1`, boards[0].ID); n != 0 {
		t.Fatalf("locked board got %d issues", n)
	}
}

// corruptOne wraps the client and breaks one issue of the first page.
type corruptOne struct {
	*jira.Client
	done atomic.Bool
}

func (c *corruptOne) BoardIssuesPage(ctx context.Context, boardID int64, jql string, opts jira.SearchOptions, cur jira.Cursor) (*jira.SearchPage, error) {
	pg, err := c.Client.BoardIssuesPage(ctx, boardID, jql, opts, cur)
	if err == nil && len(pg.Issues) > 0 && c.done.CompareAndSwap(false, true) {
		var v map[string]any
		_ = json.Unmarshal(pg.Issues[0], &v)
		delete(v, "id")
		v["key"] = 42 // a key that is not a string
		pg.Issues[0], _ = json.Marshal(v)
	}
	return pg, err
}

// A malformed issue is logged and skipped; the rest of its page is kept and
// the run ends with an error counting the skipped issues.
func TestMalformedIssueSkipped(t *testing.T) {
	site := newSim(t, jirasim.Config{Issues: 120, Teams: 2, Seed: 9})
	st := storetest.MustOpen(t)
	res, err := sync.New(st, &corruptOne{Client: site.client(t, "")}, sync.Config{SiteID: "sim", BaseURL: site.srv.URL}).Run(context.Background())
	if !errors.Is(err, sync.ErrSkippedIssues) || len(res.Skipped) != 1 {
		t.Fatalf("err %v, skipped %v; want ErrSkippedIssues with 1", err, res.Skipped)
	}
	// 120 issues on 2 boards, less 2 epics per board (not on scrum boards),
	// less the broken one: 115.
	if n := count(t, st, `SELECT count(*) FROM board_issues`); n != 115 {
		t.Fatalf("%d issues stored, want 115 (116 on the boards less the broken one)", n)
	}
}

// hideIssue wraps the client and leaves one issue out of every page, as if
// it had been deleted in Jira or moved to another board.
type hideIssue struct {
	*jira.Client
	key string
}

func (h *hideIssue) BoardIssuesPage(ctx context.Context, boardID int64, jql string, opts jira.SearchOptions, cur jira.Cursor) (*jira.SearchPage, error) {
	pg, err := h.Client.BoardIssuesPage(ctx, boardID, jql, opts, cur)
	if err != nil {
		return pg, err
	}
	kept := pg.Issues[:0:0]
	for _, raw := range pg.Issues {
		var v struct{ Key string }
		_ = json.Unmarshal(raw, &v)
		if v.Key != h.key {
			kept = append(kept, raw)
		}
	}
	pg.Issues = kept
	return pg, nil
}

// An issue that left the board is marked removed by the next full sync; its
// row and history stay.
func TestRemovedIssueMarkedNotLost(t *testing.T) {
	ctx := context.Background()
	site := newSim(t, jirasim.Config{Issues: 120, Teams: 2, Seed: 4})
	st := storetest.MustOpen(t)
	runSync(t, st, site, sync.Config{})
	var key string
	var historyBefore int
	_ = st.DB().GetContext(ctx, &key, `SELECT issue_key FROM issues JOIN board_issues USING (site_id, issue_id) ORDER BY issue_id LIMIT 1`)
	_ = st.DB().GetContext(ctx, &historyBefore, `SELECT count(*) FROM changelog_items c JOIN issues i USING (site_id, issue_id) WHERE i.issue_key = $1`, key)

	res, err := sync.New(st, &hideIssue{Client: site.client(t, ""), key: key}, sync.Config{SiteID: "sim", BaseURL: site.srv.URL, Full: true}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.IssuesRemoved != 1 {
		t.Fatalf("%d issues marked removed, want 1 (%s)", res.IssuesRemoved, key)
	}
	var removed bool
	_ = st.DB().GetContext(ctx, &removed, `SELECT b.removed_at IS NOT NULL FROM board_issues b JOIN issues i USING (site_id, issue_id) WHERE i.issue_key = $1`, key)
	var historyAfter int
	_ = st.DB().GetContext(ctx, &historyAfter, `SELECT count(*) FROM changelog_items c JOIN issues i USING (site_id, issue_id) WHERE i.issue_key = $1`, key)
	if !removed || historyAfter != historyBefore || historyBefore == 0 {
		t.Fatalf("%s: removed %v, history %d → %d", key, removed, historyBefore, historyAfter)
	}
	// 120 issues less 2 epics on each of the 2 scrum boards: 116, all kept.
	if n := count(t, st, `SELECT count(*) FROM board_issues`); n != 116 {
		t.Fatalf("%d issues stored, want all 116 kept", n)
	}
}

// killLockAfter wraps the client and, after `pages` issue pages, ends the
// database session that holds a board's advisory lock (as a dropped
// connection or a restarted server would): PostgreSQL releases the lock.
type killLockAfter struct {
	*jira.Client
	st     *store.Store
	pages  int32
	served atomic.Int32
	killed atomic.Int32
}

func (k *killLockAfter) BoardIssuesPage(ctx context.Context, boardID int64, jql string, opts jira.SearchOptions, cur jira.Cursor) (*jira.SearchPage, error) {
	pg, err := k.Client.BoardIssuesPage(ctx, boardID, jql, opts, cur)
	if k.served.Add(1) == k.pages {
		var n int32
		_ = k.st.DB().GetContext(ctx, &n, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
			WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
				AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
		k.killed.Store(n)
	}
	return pg, err
}

// A board whose advisory lock was lost mid-sync (its session died) stops
// before writing another page: a second worker may have taken the board.
func TestBoardLockLostStopsTheBoard(t *testing.T) {
	site := newSim(t, jirasim.Config{Issues: 300, Teams: 1, Seed: 6})
	st := storetest.MustOpen(t)
	// 300 issues less 2 epics: 298 in pages of 50. The lock's session ends
	// when page 3 has been fetched; page 3 is only asked for once page 1 is
	// stored, and page 2 is stored at the same time (the next page is always
	// in flight): 50 or 100 issues are stored, never the board's 298.
	src := &killLockAfter{Client: site.client(t, ""), st: st, pages: 3}
	_, err := sync.New(st, src, sync.Config{SiteID: "sim", BaseURL: site.srv.URL, PageSize: 50}).Run(context.Background())
	if src.killed.Load() != 1 {
		t.Fatalf("%d lock sessions ended, want 1", src.killed.Load())
	}
	if !errors.Is(err, store.ErrLockLost) || !strings.Contains(err.Error(), "board 1") {
		t.Fatalf("err = %v, want ErrLockLost naming board 1", err)
	}
	if n := count(t, st, `SELECT count(*) FROM issues`); n != 50 && n != 100 {
		t.Errorf("%d issues stored, want the 50 of page 1 or the 100 of pages 1 and 2", n)
	}
	if n := count(t, st, `SELECT count(*) FROM sync_state WHERE watermark IS NOT NULL`); n != 0 {
		t.Errorf("the board was marked synced after losing its lock")
	}
}
