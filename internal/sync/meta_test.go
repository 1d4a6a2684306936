package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"github.com/backlog-health/analyzer/internal/sync"
)

// Board configurations, statuses and fields are reused for MetaMaxAge (a
// day by default) and fetched again on a full run, when the stored copy is
// older, or on every run with a negative MetaMaxAge; a column change in Jira
// then reaches the stored board.
func TestBoardConfigurationRefetched(t *testing.T) {
	ctx := context.Background()
	site := newSim(t, jirasim.Config{Issues: 300, Teams: 2, Seed: 5, Now: time.Now().Add(-time.Hour)})
	st := storetest.MustOpen(t)
	runSync(t, st, site, sync.Config{})
	metaRequests := func() int64 {
		s := site.sim.Stats().ByPattern
		return s["GET /rest/agile/1.0/board/{id}/configuration"] + s["GET /rest/api/{v}/status"] + s["GET /rest/api/{v}/field"]
	}
	for _, tc := range []struct {
		name string
		cfg  sync.Config
		age  string // how old the stored copies are made before the run
		want int64  // 2 configurations + statuses + fields, or none
	}{
		{"reused", sync.Config{}, "0", 0},
		{"every run", sync.Config{MetaMaxAge: -1}, "0", 4},
		{"full run", sync.Config{Full: true}, "0", 4},
		{"older than a day", sync.Config{}, "25 hours", 4},
		{"younger than a day", sync.Config{}, "23 hours", 0},
	} {
		if _, err := st.DB().ExecContext(ctx, `UPDATE jira_meta SET fetched_at = now() - $1::interval`, tc.age); err != nil {
			t.Fatal(err)
		}
		site.sim.ResetStats()
		runSync(t, st, site, tc.cfg)
		if got := metaRequests(); got != tc.want {
			t.Errorf("%s: %d requests for configurations, statuses and fields, want %d", tc.name, got, tc.want)
		}
	}
	// A stored configuration that no longer decodes is fetched again.
	if _, err := st.DB().ExecContext(ctx, `UPDATE jira_meta SET body = '"not a configuration"' WHERE meta_key = 'board/1/configuration'`); err != nil {
		t.Fatal(err)
	}
	site.sim.ResetStats()
	runSync(t, st, site, sync.Config{})
	if got := site.sim.Stats().ByPattern["GET /rest/agile/1.0/board/{id}/configuration"]; got != 1 {
		t.Errorf("unreadable stored configuration: %d configuration requests, want 1", got)
	}
}
