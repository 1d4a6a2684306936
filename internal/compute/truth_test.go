package compute_test

import (
	"context"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"log/slog"
	"math"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/metrics"
	"github.com/backlog-health/analyzer/internal/sync"
)

// The whole pipeline — simulator → go-jira client → sync → PostgreSQL →
// metrics — against the simulator's own truth, computed by independent code
// from its event model: every sprint's committed, completed and say/do
// points, and every done issue's cycle and lead time (hence every
// percentile).
func TestAgainstSimulatorTruth(t *testing.T) {
	issues := 5000
	if testing.Short() {
		issues = 900
	}
	for _, mode := range []jirasim.Mode{jirasim.ModeCloud, jirasim.ModeDC} {
		t.Run(string(mode), func(t *testing.T) {
			ctx := context.Background()
			sim, err := jirasim.New(jirasim.Config{Mode: mode, Issues: issues, Teams: 4, Seed: 42})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(sim)
			defer srv.Close()
			jc := jira.Config{BaseURL: srv.URL, SiteID: "sim", Logger: slog.New(slog.DiscardHandler)}
			if mode == jirasim.ModeDC {
				jc.Flavor, jc.PAT = analyzer.FlavorDC, "sim-pat"
			} else {
				jc.Flavor, jc.Email, jc.Token = analyzer.FlavorCloud, "sim@example.com", "sim-token"
			}
			client, err := jira.New(ctx, jc)
			if err != nil {
				t.Fatal(err)
			}
			st := storetest.MustOpen(t)
			if _, err := sync.New(st, client, sync.Config{SiteID: "sim", BaseURL: srv.URL}).Run(ctx); err != nil {
				t.Fatal(err)
			}
			truth, err := sim.Truth()
			if err != nil {
				t.Fatal(err)
			}
			opt := metrics.Options{Now: truth.Now, Location: time.UTC, IncludeSubtasks: true}

			sprintsCompared, cyclesCompared := 0, 0
			var allCycles []float64
			computed := map[string]bool{} // keys of the issues computed as done, over all boards
			for _, bt := range truth.Boards {
				data, err := compute.Load(ctx, st, "sim", bt.BoardID, false)
				if err != nil {
					t.Fatal(err)
				}
				res, err := metrics.Compute(data, opt)
				if err != nil {
					t.Fatal(err)
				}
				byID := map[int64]metrics.SprintKPI{}
				for _, k := range res.Sprints {
					byID[k.SprintID] = k
				}
				for _, want := range bt.Sprints {
					got, ok := byID[want.SprintID]
					if !ok {
						t.Errorf("board %d sprint %d (%s): no KPI computed", bt.BoardID, want.SprintID, want.Name)
						continue
					}
					sprintsCompared++
					if !near(got.Committed, want.Committed) || !near(got.Completed, want.Completed) || !near(got.CommittedDone, want.CommittedDone) {
						t.Errorf("board %d sprint %s: committed/completed/say-do numerator %v/%v/%v, truth %v/%v/%v",
							bt.BoardID, want.Name, got.Committed, got.Completed, got.CommittedDone, want.Committed, want.Completed, want.CommittedDone)
					}
					if got.Partial != want.Partial {
						t.Errorf("sprint %s: partial %v, truth %v", want.Name, got.Partial, want.Partial)
					}
				}
				cycles, err := metrics.CycleTimes(data, opt)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range cycles {
					computed[c.Key] = true
					if c.CycleDays != nil {
						allCycles = append(allCycles, *c.CycleDays)
					}
				}
				cyclesCompared += compareCycles(t, cycles, truth.IssueTimes)
			}
			// Every done issue of the truth was computed: one left out would
			// otherwise go unnoticed, since compareCycles only checks the
			// issues computed.
			missing := 0
			for _, it := range truth.IssueTimes {
				if !computed[it.Key] {
					if missing++; missing <= 10 {
						t.Errorf("%s: done in the truth (%s, done %v), no cycle or lead time computed", it.Key, it.Type, it.Done)
					}
				}
			}
			if missing > 0 {
				t.Errorf("%d of the truth's %d done issues not computed", missing, len(truth.IssueTimes))
			}
			if sprintsCompared < 4*3 {
				t.Fatalf("compared only %d sprints", sprintsCompared)
			}
			// Percentiles of the truth's cycle times (nearest rank, as
			// docs/metrics.md defines) equal those of the computed ones.
			var want []float64
			for _, it := range truth.IssueTimes {
				if it.CycleSeconds != nil {
					want = append(want, float64(*it.CycleSeconds)/86400)
				}
			}
			slices.Sort(want)
			slices.Sort(allCycles)
			for _, p := range []float64{50, 85, 95} {
				if g, w := metrics.Percentile(allCycles, p), metrics.Percentile(want, p); !nearDays(g, w) {
					t.Errorf("cycle time p%v: %v days, truth %v", p, g, w)
				}
			}
			t.Logf("%s: %d sprints and %d done issues agree with the simulator's truth", mode, sprintsCompared, cyclesCompared)
		})
	}
}

// compareCycles checks each computed cycle and lead time against the truth.
func compareCycles(t *testing.T, got []metrics.IssueCycle, truth []jirasim.IssueTruth) int {
	t.Helper()
	byKey := map[string]jirasim.IssueTruth{}
	for _, it := range truth {
		byKey[it.Key] = it
	}
	n := 0
	for _, c := range got {
		want, ok := byKey[c.Key]
		if !ok {
			t.Errorf("%s: computed as done, not done in the truth", c.Key)
			continue
		}
		n++
		if !nearDays(c.LeadDays, float64(want.LeadSeconds)/86400) {
			t.Errorf("%s: lead %v days, truth %v", c.Key, c.LeadDays, float64(want.LeadSeconds)/86400)
		}
		switch {
		case want.CycleSeconds == nil && c.CycleDays != nil:
			t.Errorf("%s: cycle %v days, truth has none", c.Key, *c.CycleDays)
		case want.CycleSeconds != nil && c.CycleDays == nil:
			t.Errorf("%s: no cycle time (%s), truth %v days", c.Key, c.CycleExcluded, float64(*want.CycleSeconds)/86400)
		case want.CycleSeconds != nil && !nearDays(*c.CycleDays, float64(*want.CycleSeconds)/86400):
			t.Errorf("%s: cycle %v days, truth %v days", c.Key, *c.CycleDays, float64(*want.CycleSeconds)/86400)
		}
		if c.Reopens != want.Reopens {
			t.Errorf("%s: %d reopens, truth %d", c.Key, c.Reopens, want.Reopens)
		}
	}
	return n
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// nearDays compares durations in days to within one second: the truth keeps
// whole seconds, Jira's timestamps carry milliseconds.
func nearDays(a, b float64) bool { return math.Abs(a-b)*86400 < 1 }
