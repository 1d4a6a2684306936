package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"github.com/backlog-health/analyzer/internal/sync"
)

// The incremental bound reaches Overlap back before the watermark: an issue
// updated shortly before the previous run started but not yet visible to it
// (Jira's search index lags) is still fetched by the next run. Issues
// updated before the overlap are not fetched again.
func TestIncrementalOverlapReachesBackBeforeTheWatermark(t *testing.T) {
	ctx := context.Background()
	// The site's present is two hours ago: nothing generated is inside any
	// overlap window below, only the touched issues are.
	site := newSim(t, jirasim.Config{Issues: 300, Teams: 2, Seed: 5, Now: time.Now().Add(-2 * time.Hour)})
	st := storetest.MustOpen(t)
	runSync(t, st, site, sync.Config{})
	var wm time.Time // the earliest board watermark: the first run's start
	if err := st.DB().GetContext(ctx, &wm, `SELECT min(watermark) FROM sync_state`); err != nil {
		t.Fatal(err)
	}

	// After that run, Jira shows updates made before it started: A 20
	// minutes before the watermark, B 5 minutes before (in that order, so
	// an issue in both was last updated at B's time).
	// Epics are on no board (the epic pass fetches them apart): they are
	// left out.
	var onBoards []string
	if err := st.DB().SelectContext(ctx, &onBoards, `SELECT issue_key FROM issues JOIN board_issues USING (site_id, issue_id)`); err != nil {
		t.Fatal(err)
	}
	synced := func(keys []string) []string {
		return slices.DeleteFunc(keys, func(k string) bool { return !slices.Contains(onBoards, k) })
	}
	a := synced(site.sim.Touch(6, wm.Add(-20*time.Minute)))
	b := synced(site.sim.Touch(6, wm.Add(-5*time.Minute)))
	onlyA := slices.DeleteFunc(slices.Clone(a), func(k string) bool { return slices.Contains(b, k) })
	if len(onlyA) == 0 {
		t.Fatal("fixture: every issue touched at -20m was touched again at -5m")
	}

	// Default overlap 10 minutes: the bound is at most wm − 10 m (floored to
	// the minute), so B (−5 m) is fetched and A (−20 m) is not.
	res := runSync(t, st, site, sync.Config{})
	if res.Issues != len(b) {
		t.Errorf("overlap 10m: %d issues fetched, want the %d updated 5 minutes before the watermark", res.Issues, len(b))
	}
	if got := updatedSince(t, st, wm.Add(-21*time.Minute)); !slices.Equal(got, sorted(b)) {
		t.Errorf("overlap 10m: stored as updated in the last 21 minutes before the watermark %v, want B %v (A %v is outside the overlap)", got, sorted(b), sorted(onlyA))
	}

	// Overlap 30 minutes (configured): the next bound is 30 minutes before
	// this run's start, a few seconds after wm: A and B are both inside.
	res = runSync(t, st, site, sync.Config{Overlap: 30 * time.Minute})
	union := sorted(append(slices.Clone(onlyA), b...))
	if res.Issues != len(union) {
		t.Errorf("overlap 30m: %d issues fetched, want the %d of A and B", res.Issues, len(union))
	}
	if got := updatedSince(t, st, wm.Add(-21*time.Minute)); !slices.Equal(got, union) {
		t.Errorf("overlap 30m: stored as recently updated %v, want A and B %v", got, union)
	}
}

// updatedSince lists the keys of the stored board issues updated at or
// after t.
func updatedSince(t *testing.T, st *store.Store, at time.Time) []string {
	t.Helper()
	var keys []string
	if err := st.DB().SelectContext(context.Background(), &keys, `SELECT issue_key FROM issues JOIN board_issues USING (site_id, issue_id)
		WHERE updated_at >= $1 ORDER BY issue_key`, at); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

// shortPages serves the simulator, but answers every board issue list with
// at most `max` issues whatever maxResults asked: Jira may lower
// maxResults. It records the startAt of every such request.
type shortPages struct {
	sim      http.Handler
	max      int
	requests atomic.Int32
	starts   chan int
}

func (s *shortPages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if boardIssuePath.MatchString(r.URL.Path) {
		s.requests.Add(1)
		q := r.URL.Query()
		if n, err := strconv.Atoi(q.Get("maxResults")); err != nil || n > s.max {
			q.Set("maxResults", strconv.Itoa(s.max))
		}
		start, _ := strconv.Atoi(q.Get("startAt"))
		select {
		case s.starts <- start:
		default:
		}
		r.URL.RawQuery = q.Encode()
	}
	s.sim.ServeHTTP(w, r)
}

// A server that returns fewer issues than asked (37 for 100) does not make
// the sync skip any: offset paging goes on from the issues received, token
// paging from the token; a run killed after a short page resumes from the
// issues stored, not from a multiple of the page size.
func TestShortPagesSkipNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   jirasim.Mode
		paging string
	}{
		{"dc", jirasim.ModeDC, ""},
		{"cloud-offset", jirasim.ModeCloud, jirasim.PagingOffset},
		{"cloud-token", jirasim.ModeCloud, jirasim.PagingToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, err := jirasim.New(jirasim.Config{Mode: tc.mode, CloudAgilePaging: tc.paging, Issues: 300, Teams: 2, Seed: 9})
			if err != nil {
				t.Fatal(err)
			}
			truth, err := sim.Truth()
			if err != nil {
				t.Fatal(err)
			}
			proxy := &shortPages{sim: sim, max: 37, starts: make(chan int, 64)}
			srv := httptest.NewServer(proxy)
			t.Cleanup(srv.Close)
			site := &simSite{sim: sim, srv: srv, cfg: jirasim.Config{Mode: tc.mode}}

			// One board at a time, so the request order below is fixed.
			st := storetest.MustOpen(t)
			res := runSync(t, st, site, sync.Config{PageSize: 100, Concurrency: 1})
			// 300 issues on 2 boards less 2 epics each: 148 a board, read in
			// pages of 37: exactly 4 pages a board, 8 requests.
			if res.Issues != truth.BoardIssues || truth.BoardIssues != 296 {
				t.Fatalf("%d issues synced, %d on the boards (want 296)", res.Issues, truth.BoardIssues)
			}
			if n := count(t, st, `SELECT count(*) FROM board_issues`); n != 296 {
				t.Errorf("%d board issues stored, want 296", n)
			}
			if n := proxy.requests.Load(); n != 8 {
				t.Errorf("%d page requests, want 8 (4 pages of 37 per board)", n)
			}
			if tc.paging != jirasim.PagingToken {
				var starts []int
				for len(proxy.starts) > 0 {
					starts = append(starts, <-proxy.starts)
				}
				if want := []int{0, 37, 74, 111, 0, 37, 74, 111}; !slices.Equal(starts, want) {
					t.Errorf("startAt of the page requests %v, want %v", starts, want)
				}
			}

			// Killed after board 1's 3rd page was fetched. Page 3 is fetched
			// while page 2 is stored (the next page is always in flight), so
			// page 1 or pages 1 and 2 are stored: 37 or 74 issues, and the
			// checkpoint resumes right after them, not at a multiple of 100.
			st2 := storetest.MustOpen(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			src := &cancelAfter{Client: site.client(t, ""), pages: 3, cancel: cancel}
			cfg := sync.Config{SiteID: "sim", BaseURL: srv.URL, PageSize: 100, Concurrency: 1}
			if _, err := sync.New(st2, src, cfg).Run(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("killed run: err = %v, want context.Canceled", err)
			}
			var raw []byte
			if err := st2.DB().GetContext(context.Background(), &raw, `SELECT convert_to(checkpoint::text, 'UTF8') FROM sync_state WHERE checkpoint IS NOT NULL`); err != nil {
				t.Fatalf("no checkpoint after the kill: %v", err)
			}
			var cp struct {
				StartAt int    `json:"start_at"`
				Token   string `json:"token"`
				Done    int    `json:"done"`
			}
			if err := json.Unmarshal(raw, &cp); err != nil {
				t.Fatal(err)
			}
			if (cp.Done != 37 && cp.Done != 74) || (tc.paging != jirasim.PagingToken && cp.StartAt != cp.Done) || (tc.paging == jirasim.PagingToken && cp.Token == "") {
				t.Errorf("checkpoint %s: want 37 or 74 done and the next page there (offset) or a token", raw)
			}
			var logs bytes.Buffer
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			res2, err := sync.New(st2, site.client(t, ""), cfg).Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			// Its log says it resumes board 1 after those issues, by token on
			// Cloud's token paging, by offset otherwise.
			wantResume := fmt.Sprintf("board_id=1 full=true since=0001-01-01T00:00:00.000Z resume_start_at=%d resume_token=%v resume_done=%d",
				map[bool]int{true: 0, false: cp.Done}[tc.paging == jirasim.PagingToken], tc.paging == jirasim.PagingToken, cp.Done)
			if !strings.Contains(logs.String(), wantResume) {
				t.Errorf("the resumed run's log lacks %q:\n%s", wantResume, logs.String())
			}
			// The resumed run reads exactly the 296 − done issues not stored.
			if n := count(t, st2, `SELECT count(*) FROM board_issues`); n != 296 || res2.Issues != 296-cp.Done {
				t.Errorf("after resuming: %d board issues stored (want 296), %d read (want %d)", n, res2.Issues, 296-cp.Done)
			}
		})
	}
}

// A site whose account sees no boards is logged as having nothing to sync
// (and the run succeeds); a site with boards is not.
func TestNoBoardsWarned(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"boards.json": "[]", "fields.json": "[]"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "issues"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  jirasim.Config
		warn bool
	}{
		{"Empty", jirasim.Config{DataDir: dir}, true},
		{"TwoBoards", jirasim.Config{Issues: 60, Teams: 2}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := newSim(t, tc.cfg)
			var logs bytes.Buffer
			cfg := sync.Config{SiteID: "sim", BaseURL: site.srv.URL, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			if _, err := sync.New(storetest.MustOpen(t), site.client(t, ""), cfg).Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(logs.String(), "nothing to sync: the account sees no boards"); got != tc.warn {
				t.Errorf("warned %v, want %v:\n%s", got, tc.warn, logs.String())
			}
			// The simulator's changelogs are all readable: no warning about
			// entries left out.
			if strings.Contains(logs.String(), "unreadable timestamps") {
				t.Errorf("warned about unreadable changelog entries:\n%s", logs.String())
			}
		})
	}
}

// A full sync logs the issues it marked removed, on the board they left
// only.
func TestRemovalsLogged(t *testing.T) {
	ctx := context.Background()
	site := newSim(t, jirasim.Config{Issues: 120, Teams: 2, Seed: 4})
	st := storetest.MustOpen(t)
	runSync(t, st, site, sync.Config{})
	var key string
	_ = st.DB().GetContext(ctx, &key, `SELECT issue_key FROM issues JOIN board_issues USING (site_id, issue_id) ORDER BY issue_id LIMIT 1`)
	var logs bytes.Buffer
	cfg := sync.Config{SiteID: "sim", BaseURL: site.srv.URL, Full: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	if _, err := sync.New(st, &hideIssue{Client: site.client(t, ""), key: key}, cfg).Run(ctx); err != nil {
		t.Fatal(err)
	}
	// Two boards, one issue gone from one of them: one line, saying 1.
	if n := strings.Count(logs.String(), "issues no longer on the board marked removed"); n != 1 || !strings.Contains(logs.String(), "issues_removed=1") {
		t.Errorf("%d removal lines, want 1 with issues_removed=1:\n%s", n, logs.String())
	}
}

// The account's zone is logged when it differs from the configured one,
// and only then.
func TestAccountLocationLoggedWhenItDiffers(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	for _, tc := range []struct {
		zone   string
		logged bool
	}{{"Europe/Zurich", true}, {"Asia/Tokyo", false}} {
		var logs bytes.Buffer
		sync.AccountLocation(&jira.User{TimeZone: tc.zone}, tokyo, slog.New(slog.NewTextHandler(&logs, nil)))
		if got := strings.Contains(logs.String(), "JQL dates are written in the Jira account's time zone"); got != tc.logged {
			t.Errorf("account %s, configured Asia/Tokyo: logged %v, want %v: %s", tc.zone, got, tc.logged, logs.String())
		}
	}
}

// Offset paging: the checkpoint stored with each page points after the
// issues stored so far, the last page's too (a crash before the board's
// end then resumes past the end instead of reading the board again). A
// trigger keeps every checkpoint the run writes.
func TestCheckpointAfterEachPage(t *testing.T) {
	ctx := context.Background()
	site := newSim(t, jirasim.Config{Mode: jirasim.ModeDC, Issues: 300, Teams: 2, Seed: 9})
	st := storetest.MustOpen(t)
	for _, q := range []string{
		`CREATE TABLE cp_log (seq serial PRIMARY KEY, board_id bigint, cp jsonb)`,
		`CREATE FUNCTION cp_log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
			IF NEW.checkpoint IS NOT NULL THEN INSERT INTO cp_log (board_id, cp) VALUES (NEW.board_id, NEW.checkpoint); END IF;
			RETURN NEW; END $$`,
		`CREATE TRIGGER cp_log AFTER INSERT OR UPDATE ON sync_state FOR EACH ROW EXECUTE FUNCTION cp_log()`,
	} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	runSync(t, st, site, sync.Config{PageSize: 50})
	var starts, dones []int
	if err := st.DB().SelectContext(ctx, &starts, `SELECT (cp->>'start_at')::int FROM cp_log WHERE board_id = 1 ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	if err := st.DB().SelectContext(ctx, &dones, `SELECT (cp->>'done')::int FROM cp_log WHERE board_id = 1 ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	// 150 issues on board 1 less its 2 epics: 148, in pages of 50, 50, 48.
	if want := []int{50, 100, 148}; !slices.Equal(starts, want) || !slices.Equal(dones, want) {
		t.Errorf("board 1 checkpoints: start_at %v, done %v; want %v for both", starts, dones, want)
	}
}
