package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"github.com/backlog-health/analyzer/internal/sync"
)

// changelogFailsOnce wraps the client: the first full-changelog fetch fails
// as a network error would.
type changelogFailsOnce struct {
	*jira.Client
	failed atomic.Bool
}

func (c *changelogFailsOnce) IssueChangelog(ctx context.Context, key string) ([]jira.History, error) {
	if c.failed.CompareAndSwap(false, true) {
		return nil, errors.New("connection reset by peer")
	}
	return c.Client.IssueChangelog(ctx, key)
}

// A changelog whose full fetch failed once used to stay truncated until the
// issue changed or someone ran --full. The next run fetches it again (the
// to-refetch list is the issues stored with a truncated changelog).
func TestTruncatedChangelogRefetchedNextRun(t *testing.T) {
	ctx := context.Background()
	// The site's present is an hour ago: the second run is incremental and
	// no issue changed, so only the to-refetch list can repair it.
	site := newSim(t, jirasim.Config{Issues: 300, Teams: 2, Seed: 3, Now: time.Now().Add(-time.Hour)})
	st := storetest.MustOpen(t)
	src := &changelogFailsOnce{Client: site.client(t, "")}
	cfg := sync.Config{SiteID: "sim", BaseURL: site.srv.URL}
	res, err := sync.New(st, src, cfg).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Cloud embeds the newest 100 histories: the simulator's one long-lived
	// issue (131 histories, on board 1) needs the full fetch, which failed.
	if res.ChangelogsIncomplete != 1 || count(t, st, `SELECT count(*) FROM issues WHERE NOT changelog_complete`) != 1 {
		t.Fatalf("first run: %d incomplete changelogs, want the long-lived issue's", res.ChangelogsIncomplete)
	}
	res, err = sync.New(st, src, cfg).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Issues != 0 || res.ChangelogsRefetched != 1 || res.ChangelogsIncomplete != 0 {
		t.Fatalf("second run: %d issues, %d refetched, %d incomplete; want 0, 1, 0", res.Issues, res.ChangelogsRefetched, res.ChangelogsIncomplete)
	}
	if n := count(t, st, `SELECT count(*) FROM issues WHERE NOT changelog_complete`); n != 0 {
		t.Fatalf("%d changelogs still truncated", n)
	}
	// 131 histories stored now, not the embedded 100.
	if n := count(t, st, `SELECT max(h) FROM (SELECT count(DISTINCT history_id) AS h FROM changelog_items GROUP BY issue_id) x`); n != 131 {
		t.Fatalf("longest stored history: %d entries, want 131", n)
	}
}

// badHistoryTime wraps the client and makes one changelog entry's timestamp
// unreadable in the first issue of the first page that has histories.
type badHistoryTime struct {
	*jira.Client
	mu   gosync.Mutex // pages of several boards arrive at once
	done bool
	key  atomic.Value
}

func (c *badHistoryTime) BoardIssuesPage(ctx context.Context, boardID int64, jql string, opts jira.SearchOptions, cur jira.Cursor) (*jira.SearchPage, error) {
	pg, err := c.Client.BoardIssuesPage(ctx, boardID, jql, opts, cur)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || c.done {
		return pg, err
	}
	for i, raw := range pg.Issues {
		var v map[string]any
		_ = json.Unmarshal(raw, &v)
		cl, _ := v["changelog"].(map[string]any)
		hs, _ := cl["histories"].([]any)
		if len(hs) < 2 || cl["total"].(float64) > 100 {
			continue
		}
		hs[0].(map[string]any)["created"] = "around noon"
		c.key.Store(v["key"].(string))
		pg.Issues[i], _ = json.Marshal(v)
		c.done = true
		break
	}
	return pg, nil
}

// A changelog entry with an unreadable timestamp is left out, and that used
// to pass silently with the changelog counted complete. It is counted on the
// issue (for the data-quality section) and in the run's result.
func TestUnreadableHistoryTimeIsCounted(t *testing.T) {
	site := newSim(t, jirasim.Config{Issues: 120, Teams: 2, Seed: 9})
	st := storetest.MustOpen(t)
	src := &badHistoryTime{Client: site.client(t, "")}
	res, err := sync.New(st, src, sync.Config{SiteID: "sim", BaseURL: site.srv.URL}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	key, _ := src.key.Load().(string)
	if key == "" {
		t.Fatal("no issue with histories on the first page")
	}
	if res.ChangelogEntriesDropped != 1 {
		t.Errorf("run result: %d entries dropped, want 1", res.ChangelogEntriesDropped)
	}
	if n := count(t, st, `SELECT changelog_dropped FROM issues WHERE issue_key = $1`, key); n != 1 {
		t.Errorf("%s: %d dropped entries stored, want 1", key, n)
	}
	if n := count(t, st, `SELECT count(*) FROM issues WHERE changelog_dropped > 0`); n != 1 {
		t.Errorf("%d issues with dropped entries, want only %s", n, key)
	}
}
