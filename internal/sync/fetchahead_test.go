package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"github.com/backlog-health/analyzer/internal/sync"
)

// shortPage wraps the client: the page at offset `at` comes back with its
// last `drop` issues missing, as Jira may answer with fewer than asked.
type shortPage struct {
	*jira.Client
	at, drop int
}

func (c *shortPage) BoardIssuesPage(ctx context.Context, boardID int64, jql string, opts jira.SearchOptions, cur jira.Cursor) (*jira.SearchPage, error) {
	pg, err := c.Client.BoardIssuesPage(ctx, boardID, jql, opts, cur)
	if err == nil && cur.StartAt == c.at && len(pg.Issues) > c.drop {
		pg.Issues = pg.Issues[:len(pg.Issues)-c.drop]
	}
	return pg, err
}

// Data Center pages by offset and says the total on the first page: a large
// board's next pages are fetched ahead, Concurrency at once, not one after
// the other. The tables end exactly as a run without concurrency leaves
// them, with the same requests (nothing fetched past the total), and a page
// that comes back short (the pages fetched ahead of it are then at the
// wrong offsets) loses nothing either.
func TestDCFetchAhead(t *testing.T) {
	// One board of ~1,000 issues in pages of 50: 20 pages. The 20 ms latency
	// lets the fetches ahead overlap in the simulator.
	site := newSim(t, jirasim.Config{Mode: jirasim.ModeDC, Issues: 1000, Teams: 1, Seed: 9, Faults: jirasim.Faults{Latency: 20 * time.Millisecond}})
	run := func(src sync.Source, concurrency int) (map[string]string, jirasim.Stats) {
		t.Helper()
		st := storetest.MustOpen(t)
		site.sim.ResetStats()
		cfg := sync.Config{SiteID: "sim", BaseURL: site.srv.URL, PageSize: 50, Concurrency: concurrency}
		if _, err := sync.New(st, src, cfg).Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return checksum(t, st), site.sim.Stats()
	}
	serial, serialStats := run(site.clientWith(t, func(c *jira.Config) { c.MaxConcurrency = 1 }), 1)
	ahead, aheadStats := run(site.clientWith(t, func(c *jira.Config) { c.MaxConcurrency = 4 }), 4)
	for table := range serial {
		if ahead[table] != serial[table] {
			t.Errorf("%s: fetched ahead %s, one at a time %s", table, ahead[table], serial[table])
		}
	}
	if aheadStats.Total != serialStats.Total {
		t.Errorf("fetching ahead made %d requests, one at a time %d: want the same", aheadStats.Total, serialStats.Total)
	}
	// One board: without fetching ahead at most 2 requests are in flight
	// (its sprints and its first page); with it, up to 4.
	if aheadStats.MaxInFlight < 3 {
		t.Errorf("at most %d requests in flight for one board, want the pages fetched ahead (3 or 4)", aheadStats.MaxInFlight)
	}

	// The page at 100 comes back with 40 issues: the pages fetched ahead at
	// 150, 200, … are dropped and the listing goes on from 140.
	short, _ := run(&shortPage{Client: site.clientWith(t, func(c *jira.Config) { c.MaxConcurrency = 4 }), at: 100, drop: 10}, 4)
	for table := range serial {
		if short[table] != serial[table] {
			t.Errorf("after a short page: %s: %s, one at a time %s", table, short[table], serial[table])
		}
	}
}
