package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/metrics"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"github.com/backlog-health/analyzer/internal/sync"
)

// badCreated wraps the client and gives the first issue of the first page
// an unusable `created`: set(fields) edits it.
type badCreated struct {
	*jira.Client
	set   func(fields map[string]any)
	done  atomic.Bool
	key   atomic.Value
	board atomic.Int64
}

func (c *badCreated) BoardIssuesPage(ctx context.Context, boardID int64, jql string, opts jira.SearchOptions, cur jira.Cursor) (*jira.SearchPage, error) {
	pg, err := c.Client.BoardIssuesPage(ctx, boardID, jql, opts, cur)
	if err == nil && len(pg.Issues) > 0 && c.done.CompareAndSwap(false, true) {
		var v map[string]any
		_ = json.Unmarshal(pg.Issues[0], &v)
		c.set(v["fields"].(map[string]any))
		c.key.Store(v["key"].(string))
		c.board.Store(boardID)
		pg.Issues[0], _ = json.Marshal(v)
	}
	return pg, err
}

// One issue whose `created` is missing, unreadable or in year 0000 used to
// fail its whole board on every run, storing nothing. It is skipped and
// recorded (for the data-quality section); the rest of the board is stored.
func TestIssueWithUnusableCreatedIsSkipped(t *testing.T) {
	for name, set := range map[string]func(map[string]any){
		"missing":    func(f map[string]any) { delete(f, "created") },
		"unreadable": func(f map[string]any) { f["created"] = "last tuesday" },
		"year-0000":  func(f map[string]any) { f["created"] = "0000-01-01T00:00:00.000+0000" },
		"null":       func(f map[string]any) { f["created"] = nil },
	} {
		t.Run(name, func(t *testing.T) {
			site := newSim(t, jirasim.Config{Issues: 120, Teams: 2, Seed: 9})
			st := storetest.MustOpen(t)
			src := &badCreated{Client: site.client(t, ""), set: set}
			res, err := sync.New(st, src, sync.Config{SiteID: "sim", BaseURL: site.srv.URL}).Run(context.Background())
			if !errors.Is(err, sync.ErrSkippedIssues) || len(res.Skipped) != 1 {
				t.Fatalf("err %v, skipped %v; want ErrSkippedIssues with 1", err, res.Skipped)
			}
			// 120 issues, less 2 epics on each of the 2 scrum boards, less the
			// broken one: 115 on the boards. (The 4 epics are stored too, on no
			// board.)
			if n := count(t, st, `SELECT count(*) FROM board_issues`); n != 115 {
				t.Fatalf("%d issues stored, want 115", n)
			}
			if n := count(t, st, `SELECT count(*) FROM sync_state WHERE watermark IS NOT NULL`); n != 2 {
				t.Fatalf("%d boards finished, want 2", n)
			}
			key := src.key.Load().(string)
			var reason string
			if err := st.DB().GetContext(context.Background(), &reason, `SELECT reason FROM sync_skipped WHERE issue_key = $1`, key); err != nil || reason == "" {
				t.Fatalf("%s not recorded as skipped (%v)", key, err)
			}
			t.Logf("%s skipped: %s", key, reason)

			// The data-quality section counts it: compute loads the skipped
			// keys of the board and metrics reports them.
			bd, err := compute.Load(context.Background(), st, "sim", src.board.Load(), false)
			if err != nil {
				t.Fatal(err)
			}
			r, err := metrics.Compute(bd, metrics.Options{Now: site.sim.Config().Now})
			if err != nil {
				t.Fatal(err)
			}
			if q := r.DataQuality; q.SkippedIssues != 1 || len(q.SkippedIssueKeys) != 1 || q.SkippedIssueKeys[0] != key {
				t.Errorf("data quality %+v: want 1 skipped issue, %s", q, key)
			}

			// Once Jira serves it whole again, a full run stores it and forgets
			// the skip: 116 issues.
			runSync(t, st, site, sync.Config{Full: true})
			if n := count(t, st, `SELECT count(*) FROM board_issues`); n != 116 {
				t.Errorf("%d issues after the repair, want 116", n)
			}
			if n := count(t, st, `SELECT count(*) FROM sync_skipped`); n != 0 {
				t.Errorf("%d skipped issues still recorded after the repair", n)
			}
		})
	}
}
