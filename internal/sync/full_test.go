package sync_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/store/storetest"

	gojira "github.com/andygrunwald/go-jira"

	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/sync"
)

// goJira is go-jira's own client on the simulated site: the independent
// reader the stored data is compared with.
func (s *simSite) goJira(t *testing.T) *gojira.Client {
	t.Helper()
	var hc *http.Client
	if s.cfg.Mode == jirasim.ModeDC {
		hc = (&gojira.PATAuthTransport{Token: "sim-pat"}).Client()
	} else {
		hc = (&gojira.BasicAuthTransport{Username: "sim@example.com", Password: "sim-token"}).Client()
	}
	c, err := gojira.NewClient(hc, s.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func runSync(t *testing.T, st *store.Store, site *simSite, cfg sync.Config) sync.Result {
	t.Helper()
	cfg.SiteID, cfg.BaseURL = "sim", site.srv.URL
	res, err := sync.New(st, site.client(t, ""), cfg).Run(context.Background())
	if err != nil {
		t.Fatalf("sync: %v (result %+v)", err, res)
	}
	return res
}

// Full sync, Cloud and DC: boards, sprints, issues, changelog items and
// sprint membership in the store equal what the simulator serves through
// go-jira's own client and what its event model says.
func TestFullSync(t *testing.T) {
	for _, mode := range []jirasim.Mode{jirasim.ModeCloud, jirasim.ModeDC} {
		t.Run(string(mode), func(t *testing.T) {
			ctx := context.Background()
			st := storetest.MustOpen(t)
			site := newSim(t, jirasim.Config{Mode: mode, Issues: 450, Teams: 3, Seed: 7})
			res := runSync(t, st, site, sync.Config{})
			truth, err := site.sim.Truth()
			if err != nil {
				t.Fatal(err)
			}
			gj := site.goJira(t)

			// Boards: go-jira's Board.GetAllBoards against the store.
			bl, _, err := gj.Board.GetAllBoardsWithContext(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n := count(t, st, `SELECT count(*) FROM boards`); n != len(bl.Values) || n != len(truth.Boards) || res.Boards != n {
				t.Fatalf("boards: stored %d, go-jira %d, truth %d, result %d", n, len(bl.Values), len(truth.Boards), res.Boards)
			}
			// Sprints: every sprint go-jira lists, stored with its goal and state.
			wantSprints := map[int]gojira.Sprint{}
			for _, b := range bl.Values {
				sp, _, err := gj.Board.GetAllSprintsWithOptionsWithContext(ctx, b.ID, &gojira.GetAllSprintsOptions{})
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range sp.Values {
					wantSprints[s.ID] = s
				}
			}
			if n := count(t, st, `SELECT count(*) FROM sprints`); n != len(wantSprints) {
				t.Fatalf("sprints: stored %d, served %d", n, len(wantSprints))
			}
			for id, s := range wantSprints {
				var name, state string
				if err := st.DB().QueryRowContext(ctx, `SELECT name, state FROM sprints WHERE sprint_id = $1`, id).Scan(&name, &state); err != nil || name != s.Name || state != strings.ToLower(s.State) {
					t.Fatalf("sprint %d: stored %q/%q, served %q/%q (%v)", id, name, state, s.Name, s.State, err)
				}
			}
			// Issues: the simulator's issues on boards (epics are on none), and
			// the epics those issues point to, stored on no board: 450 issues
			// over 3 boards of 150 have 150/150 → 2 epics each, all referenced.
			if n := count(t, st, `SELECT count(*) FROM board_issues`); n != truth.BoardIssues || res.Issues != n || n == 0 {
				t.Fatalf("board issues: stored %d, simulator %d on boards, result %d", n, truth.BoardIssues, res.Issues)
			}
			if n := count(t, st, `SELECT count(*) FROM board_issues b JOIN issues i USING (site_id, issue_id) WHERE i.issue_type = 'Epic'`); n != 0 {
				t.Fatalf("%d epics stored as board issues of scrum boards", n)
			}
			if n := count(t, st, `SELECT count(*) FROM issues WHERE issue_type = 'Epic'`); n != 6 || res.Epics != 6 ||
				count(t, st, `SELECT count(*) FROM issues`) != truth.Issues {
				t.Fatalf("epics: %d stored, %d in the result; want the 6 the board issues point to", n, res.Epics)
			}
			if n := count(t, st, `SELECT count(*) FROM issues WHERE NOT changelog_complete`); n != 0 {
				t.Fatalf("%d issues stored with an incomplete changelog", n)
			}
			// A sample of issues compared field by field with go-jira's Issue.Get
			// (expand=changelog): every 15th issue, plus the longest history.
			var keys []string
			if err := st.DB().SelectContext(ctx, &keys, `SELECT issue_key FROM issues ORDER BY issue_id`); err != nil {
				t.Fatal(err)
			}
			var longest string
			_ = st.DB().GetContext(ctx, &longest, `SELECT i.issue_key FROM issues i JOIN changelog_items c USING (site_id, issue_id)
				GROUP BY i.issue_key ORDER BY count(DISTINCT c.history_id) DESC LIMIT 1`)
			sample := []string{longest}
			for i := 0; i < len(keys); i += 15 {
				sample = append(sample, keys[i])
			}
			for _, key := range sample {
				compareIssue(t, st, gj, key, mode == jirasim.ModeCloud)
			}
			var longHist int
			_ = st.DB().GetContext(ctx, &longHist, `SELECT count(DISTINCT history_id) FROM changelog_items c JOIN issues i USING (site_id, issue_id) WHERE i.issue_key = $1`, longest)
			if longHist <= 100 {
				t.Fatalf("longest stored history has %d entries; the simulator's long-lived issue has more than 100", longHist)
			}
			// Cloud truncates embedded changelogs at 100 histories: the long-lived
			// issue must have been refetched. Data Center embeds them whole.
			if mode == jirasim.ModeCloud && res.ChangelogsRefetched < 1 {
				t.Fatalf("no truncated changelog was refetched (result %+v)", res)
			}

			// Sprint membership: every issue the simulator's event model says was
			// added to / removed from a sprint after its start has that event.
			for _, b := range truth.Boards {
				for _, sp := range b.Sprints {
					for _, c := range []struct {
						keys  []string
						added bool
					}{{sp.Added, true}, {sp.Removed, false}} {
						for _, key := range c.keys {
							n := count(t, st, `SELECT count(*) FROM sprint_events e JOIN issues i USING (site_id, issue_id)
								WHERE i.issue_key = $1 AND e.sprint_id = $2 AND e.added = $3 AND e.changed_at > $4`, key, sp.SprintID, c.added, sp.Start)
							if n == 0 {
								t.Errorf("sprint %d: no %v event for %s after the start", sp.SprintID, map[bool]string{true: "added", false: "removed"}[c.added], key)
							}
						}
					}
				}
			}
		})
	}
}

// compareIssue checks one stored issue and its changelog against go-jira's
// Issue.Get with the full changelog.
func compareIssue(t *testing.T, st *store.Store, gj *gojira.Client, key string, cloud bool) {
	t.Helper()
	ctx := context.Background()
	want, _, err := gj.Issue.GetWithContext(ctx, key, &gojira.GetQueryOptions{Expand: "changelog"})
	if err != nil {
		t.Fatalf("go-jira Issue.Get %s: %v", key, err)
	}
	got, err := st.IssueGetByKey(ctx, "sim", key)
	if err != nil {
		t.Fatal(err)
	}
	f := want.Fields
	if got.Summary != f.Summary || got.Type != f.Type.Name || got.StatusName != f.Status.Name ||
		got.StatusID != f.Status.ID || !got.Created.Equal(time.Time(f.Created)) || got.Subtask != f.Type.Subtask {
		t.Fatalf("%s: stored %q/%q/%q/%v, served %q/%q/%q/%v", key, got.Summary, got.Type, got.StatusName, got.Created,
			f.Summary, f.Type.Name, f.Status.Name, time.Time(f.Created))
	}
	if !slices.Equal(sorted(got.Labels), sorted(f.Labels)) {
		t.Fatalf("%s: labels %v, served %v", key, got.Labels, f.Labels)
	}
	items, err := st.ChangeItemListByIssue(ctx, "sim", got.ID)
	if err != nil {
		t.Fatal(err)
	}
	var stored, served []string
	for _, it := range items {
		stored = append(stored, fmt.Sprintf("%d|%s|%s|%s|%s|%s|%d", it.HistoryID, it.Field, it.FromValue, it.ToValue, it.FromString, it.ToString, it.At.Unix()))
	}
	histories := want.Changelog.Histories
	if cloud {
		// Jira Cloud truncates the embedded changelog (Data Center does not);
		// page the changelog endpoint with go-jira's request plumbing instead.
		histories = pagedChangelog(t, gj, key)
	}
	for _, h := range histories {
		at, err := h.CreatedTime()
		if err != nil {
			t.Fatalf("%s: history %s time: %v", key, h.Id, err)
		}
		for _, it := range h.Items {
			served = append(served, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%d", h.Id, it.Field, val(it.From), val(it.To), it.FromString, it.ToString, at.Unix()))
		}
	}
	sort.Strings(stored)
	sort.Strings(served)
	if !slices.Equal(stored, served) {
		t.Fatalf("%s: changelog differs: stored %d items, served %d\nstored %v\nserved %v", key, len(stored), len(served), head(stored), head(served))
	}
}

func sorted(s []string) []string { c := slices.Clone(s); slices.Sort(c); return c }

func head(s []string) []string { return s[:min(len(s), 5)] }

// val renders go-jira's untyped from/to (nil for JSON null).
func val(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// pagedChangelog reads /rest/api/2/issue/{key}/changelog page by page.
func pagedChangelog(t *testing.T, gj *gojira.Client, key string) []gojira.ChangelogHistory {
	t.Helper()
	var out []gojira.ChangelogHistory
	for startAt := 0; ; {
		req, err := gj.NewRequestWithContext(context.Background(), http.MethodGet, fmt.Sprintf("rest/api/2/issue/%s/changelog?startAt=%d&maxResults=100", key, startAt), nil)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			StartAt, Total int
			IsLast         bool
			Values         []gojira.ChangelogHistory
		}
		if _, err := gj.Do(req, &page); err != nil {
			t.Fatalf("changelog of %s: %v", key, err)
		}
		out = append(out, page.Values...)
		startAt += len(page.Values)
		if page.IsLast || len(page.Values) == 0 || startAt >= page.Total {
			return out
		}
	}
}
