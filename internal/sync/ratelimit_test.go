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

// Under a site rate limit the client adapts: after the first 429 it spaces
// its requests to the limit the site names (X-RateLimit-Limit) and sends
// fewer at once, so fewer than 5% of its requests are refused, and the sync
// completes. Retry waits are real here (a shortened Retry-After would resend
// into the same second and measure nothing). With 4 requests in flight and
// no adaptation, every second ends in a burst of 429s, one per request in
// flight when the limit is hit (about 4 of every 24 at 20 a second; the
// 30 ms latency keeps 4 in flight on a busy machine).
func TestRateLimitAdaptive(t *testing.T) {
	for _, header := range []string{jirasim.HeaderRetryAfter, jirasim.HeaderRateLimitReset} {
		t.Run(header, func(t *testing.T) {
			site := newSim(t, jirasim.Config{Issues: 1000, Teams: 4, Seed: 11,
				Faults: jirasim.Faults{RateLimitPerSecond: 20, RateLimitHeader: header, Latency: 30 * time.Millisecond}})
			st := storetest.MustOpen(t)
			c := site.clientWith(t, func(c *jira.Config) { c.Sleep, c.MaxConcurrency, c.MaxRetries = nil, 4, 20 })
			res, err := sync.New(st, c, sync.Config{SiteID: "sim", BaseURL: site.srv.URL, PageSize: 10}).Run(context.Background())
			if err != nil {
				t.Fatalf("sync under a rate limit: %v", err)
			}
			stats := site.sim.Stats()
			// Pages of 10 issues: about 100 board pages, plus configurations,
			// sprints, epics and the site's lists: well over 100 requests, so 5%
			// is more than the 429s of one burst.
			if stats.Total < 100 || res.Issues == 0 {
				t.Fatalf("%d requests, %d issues: the site is too small to measure", stats.Total, res.Issues)
			}
			if stats.RateLimited*20 >= stats.Total {
				t.Fatalf("%d of %d requests answered 429 (%.1f%%), want under 5%%", stats.RateLimited, stats.Total, 100*float64(stats.RateLimited)/float64(stats.Total))
			}
			t.Logf("%d of %d requests answered 429", stats.RateLimited, stats.Total)
		})
	}
}
