package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"github.com/backlog-health/analyzer/internal/sync"
)

// Cloud pages the agile issue lists by token (the simulator's default) or,
// before RFC-127, by offset: the same seed gives the same tables either way.
func TestCloudTokenAndOffsetPagingStoreTheSameTables(t *testing.T) {
	var sums []map[string]string
	var requests []int64
	for _, paging := range []string{jirasim.PagingToken, jirasim.PagingOffset} {
		site := newSim(t, jirasim.Config{CloudAgilePaging: paging, Issues: 600, Teams: 3, Seed: 21})
		st := storetest.MustOpen(t)
		res := runSync(t, st, site, sync.Config{PageSize: 40})
		truth, err := site.sim.Truth()
		if err != nil {
			t.Fatal(err)
		}
		if res.Issues != truth.BoardIssues {
			t.Fatalf("%s paging: %d issues synced, %d on the boards", paging, res.Issues, truth.BoardIssues)
		}
		// The raw JSON holds the server's URL ("self"); each run has its own.
		sums = append(sums, checksumWithout(t, st, site.srv.URL))
		requests = append(requests, res.Requests)
	}
	for table, sum := range sums[0] {
		if sums[1][table] != sum {
			t.Errorf("%s: token paging %s, offset paging %s", table, sum, sums[1][table])
		}
	}
	// Same pages either way (600 issues less 2 epics per board = 198 a board,
	// pages of 40: 5 per board), so the same number of requests.
	if requests[0] != requests[1] {
		t.Errorf("requests: token %d, offset %d", requests[0], requests[1])
	}
}

// advanceAfter wraps the client and moves the simulator's clock once, after
// `pages` issue pages: the page token in hand expires mid-board.
type advanceAfter struct {
	*jira.Client
	pages   int32
	by      time.Duration
	clock   *simClock
	served  atomic.Int32
	refused atomic.Int32
}

func (a *advanceAfter) BoardIssuesPage(ctx context.Context, boardID int64, jql string, opts jira.SearchOptions, cur jira.Cursor) (*jira.SearchPage, error) {
	pg, err := a.Client.BoardIssuesPage(ctx, boardID, jql, opts, cur)
	var ae *jira.APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest {
		a.refused.Add(1)
	}
	if a.served.Add(1) == a.pages {
		a.clock.advance(a.by)
	}
	return pg, err
}

// A page token that expires in the middle of a board (Jira answers 400) makes
// the sync restart that board's listing from the last stored issue's creation
// time; the tables end as a clean run's.
func TestTokenExpiredMidBoard(t *testing.T) {
	simCfg := jirasim.Config{Issues: 600, Teams: 3, Seed: 21}
	clock := newSimClock(&simCfg)
	site := newSim(t, simCfg)
	// One board at a time: the clock jump must land inside one board's
	// listing (concurrency is tested elsewhere).
	cfg := sync.Config{SiteID: "sim", BaseURL: site.srv.URL, PageSize: 40, Concurrency: 1}

	clean := storetest.MustOpen(t)
	if _, err := sync.New(clean, site.client(t, ""), cfg).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := storetest.MustOpen(t)
	// Board 1 has 198 issues: 5 pages of 40. After its 2nd page the clock
	// jumps 20 minutes (tokens live 15), so the 3rd request is refused.
	src := &advanceAfter{Client: site.client(t, ""), pages: 2, by: 20 * time.Minute, clock: clock}
	res, err := sync.New(st, src, cfg).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if src.refused.Load() != 1 {
		t.Fatalf("%d page tokens refused, want 1", src.refused.Load())
	}
	want, got := checksum(t, clean), checksum(t, st)
	for table := range want {
		if got[table] != want[table] {
			t.Errorf("%s: after the restart %s, clean %s", table, got[table], want[table])
		}
	}
	// 594 issues on the boards; the restart reads again only the stored
	// issues created in the last stored issue's minute: at most one page.
	if res.Issues < 594 || res.Issues > 594+40 {
		t.Errorf("%d issues read, want 594 plus at most one page read again", res.Issues)
	}
}

// Tokens that expire before they are used still let the sync finish: each
// restart goes on from the last stored issue, so every page moves forward.
func TestTokensExpiringAtOnceStillComplete(t *testing.T) {
	simCfg := jirasim.Config{Issues: 300, Teams: 1, Seed: 2, PageTokenTTL: time.Nanosecond}
	clock := newSimClock(&simCfg)
	site := newSim(t, simCfg)
	src := &tickEach{advanceAfter: &advanceAfter{Client: site.client(t, ""), pages: -1, clock: clock}}
	st := storetest.MustOpen(t)
	res, err := sync.New(st, src, sync.Config{SiteID: "sim", BaseURL: site.srv.URL, PageSize: 50}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 300 issues on one board less its 2 epics: 298. Every listing gets one
	// page of 50 before its token is refused; a restart begins at the last
	// stored issue's creation minute, so it reads that issue again (no two of
	// this site's issues share a minute): 50 new issues, then 49 new per
	// listing. 50 + 5×49 = 295 after 6 listings, all cut short; the 7th reads
	// the last 3 (plus the repeat) and ends. 6 refusals, 298 + 6 reads.
	if n := count(t, st, `SELECT count(*) FROM board_issues`); n != 298 || res.Issues != 304 {
		t.Fatalf("%d issues stored (%d read), want 298 (304 read)", n, res.Issues)
	}
	if n := src.refused.Load(); n != 6 {
		t.Errorf("%d refusals, want 6 (every listing but the last)", n)
	}
}

// tickEach advances the clock by a second before every page request.
type tickEach struct{ *advanceAfter }

func (c *tickEach) BoardIssuesPage(ctx context.Context, boardID int64, jql string, opts jira.SearchOptions, cur jira.Cursor) (*jira.SearchPage, error) {
	c.clock.advance(time.Second)
	return c.advanceAfter.BoardIssuesPage(ctx, boardID, jql, opts, cur)
}

// refuseTokens answers every request that carries a page token with Jira's
// 400, without asking the server, and drops the created bound of a restart,
// as if more than a page of issues had been created in that minute: every
// restart gets the same first page, so restarts make no progress.
type refuseTokens struct {
	*jira.Client
	refused atomic.Int32
}

var createdBound = regexp.MustCompile(`created >= "[^"]*" `)

func (c *refuseTokens) BoardIssuesPage(ctx context.Context, boardID int64, jql string, opts jira.SearchOptions, cur jira.Cursor) (*jira.SearchPage, error) {
	jql = createdBound.ReplaceAllString(jql, "")
	if cur.Token != "" {
		c.refused.Add(1)
		return nil, &jira.APIError{Method: "GET", Path: "/rest/agile/1.0/board/1/issue", StatusCode: http.StatusBadRequest,
			Messages: []string{"The provided next page token is invalid or expired."}}
	}
	return c.Client.BoardIssuesPage(ctx, boardID, jql, opts, cur)
}

// A Jira that refuses every page token is an error after a bounded number of
// restarts that made no progress, not a loop.
func TestTokenAlwaysRefused(t *testing.T) {
	site := newSim(t, jirasim.Config{Issues: 300, Teams: 1, Seed: 2})
	src := &refuseTokens{Client: site.client(t, "")}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := sync.New(storetest.MustOpen(t), src, sync.Config{SiteID: "sim", BaseURL: site.srv.URL, PageSize: 50}).Run(ctx)
	var ae *jira.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest || ctx.Err() != nil {
		t.Fatalf("err = %v, want the 400 after bounded restarts", err)
	}
	// The first listing and 3 restarts, each refused on its 2nd page, which
	// all start from the same issue: 4 refusals, then the error.
	if n := src.refused.Load(); n != 4 {
		t.Errorf("%d refusals, want 4 (the first listing and 3 restarts)", n)
	}
}

var boardIssuePath = regexp.MustCompile(`^/rest/agile/1\.0/board/\d+/issue$`)

// A Cloud that ignores startAt and omits total (and sends no token) would be
// read page 1, page 1, page 1, ... by offset: the sync ends that board with
// an error saying the paging did not advance, stores the page it got once,
// and goes on with the other boards.
func TestSyncStopsWhenPagingDoesNotAdvance(t *testing.T) {
	sim, err := jirasim.New(jirasim.Config{CloudAgilePaging: jirasim.PagingOffset, Issues: 300, Teams: 2, Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	var pageRequests atomic.Int32
	stub := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !boardIssuePath.MatchString(r.URL.Path) || !strings.HasSuffix(r.URL.Path, "/1/issue") {
			sim.ServeHTTP(w, r)
			return
		}
		pageRequests.Add(1)
		q := r.URL.Query()
		q.Del("startAt")
		r.URL.RawQuery = q.Encode()
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		var page map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		delete(page, "total")
		var b bytes.Buffer
		_ = json.NewEncoder(&b).Encode(page)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b.Bytes())
	})
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	site := &simSite{sim: sim, srv: srv}
	st := storetest.MustOpen(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := sync.New(st, site.client(t, ""), sync.Config{SiteID: "sim", BaseURL: srv.URL, PageSize: 50}).Run(ctx)
	if !errors.Is(err, jira.ErrPagingStalled) || ctx.Err() != nil {
		t.Fatalf("err = %v, want ErrPagingStalled", err)
	}
	if !strings.Contains(err.Error(), "board 1") || !strings.Contains(err.Error(), "did not advance") {
		t.Errorf("error %q does not name the board and say the paging did not advance", err)
	}
	// Page 1, then page 1 again: the repeat is seen on the 2nd request.
	if n := pageRequests.Load(); n != 2 {
		t.Errorf("%d requests for board 1's issues, want 2", n)
	}
	// Board 1 keeps its first page (50 issues) and no watermark; board 2
	// (150 issues less 2 epics) is synced completely.
	if n := count(t, st, `SELECT count(*) FROM board_issues WHERE board_id = 1`); n != 50 {
		t.Errorf("board 1: %d issues stored, want its first page of 50", n)
	}
	if n := count(t, st, `SELECT count(*) FROM board_issues WHERE board_id = 2`); n != 148 || res.Boards != 2 {
		t.Errorf("board 2: %d issues stored, want 148 (boards synced %d)", n, res.Boards)
	}
	if n := count(t, st, `SELECT count(*) FROM sync_state WHERE board_id = 1 AND watermark IS NULL AND last_error LIKE '%did not advance%'`); n != 1 {
		t.Errorf("board 1's sync state does not record the error without a watermark")
	}
}
