package main

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"time"

	"github.com/lib/pq"

	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/outcomes"
	"github.com/backlog-health/analyzer/internal/report"
	"github.com/backlog-health/analyzer/internal/store"
)

// demoDatabase is recreated by every demo run, so a demo never mixes with
// the user's own data nor with a previous demo.
const demoDatabase = "analyzer_demo"

// demoSite is the simulated site of the demo: four teams with realistic
// sprint histories, sized to finish well under a minute.
func demoSite(now time.Time, issues int) jirasim.Config {
	return jirasim.Config{Mode: jirasim.ModeCloud, Seed: 42, Teams: 4, Issues: issues, Now: now}
}

func runDemo(ctx context.Context, m *Main, _ []string) error {
	started := time.Now()
	now := started.UTC().Truncate(time.Hour)
	out := m.opts.out
	if out == "" {
		out = "./analyzer-demo"
	}

	// 1. PostgreSQL: a fresh demo database on the configured server, or on
	// the embedded one under the state directory.
	admin, err := m.adminURL(ctx)
	if err != nil {
		return err
	}
	dsn, err := recreateDatabase(ctx, admin, cmp.Or(m.demoDB, demoDatabase))
	if err != nil {
		return err
	}
	s, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.Migrate(ctx, m.Logger); err != nil {
		return err
	}

	// 2. The Jira simulator, in process, on a loopback port.
	sim, err := jirasim.New(demoSite(now, m.opts.demoIssues))
	if err != nil {
		return fmt.Errorf("demo: simulator: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: simulator: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	simURL := "http://" + l.Addr().String()
	fmt.Fprintf(m.Stdout, "demo: simulated Jira Cloud site at %s (%d teams, %d issues)\n", simURL, sim.Config().Teams, sim.Config().Issues)

	// 3. sync → compute → report, as the worker would.
	m.Config.Jira.Sites = []config.SiteConfig{{
		ID: "demo", URL: simURL, Flavor: "cloud", Email: sim.Config().Email, Token: sim.Config().Token,
		TimeZone: "UTC", Boards: config.BoardSelector{All: true},
	}}
	res, err := m.syncSites(ctx, s, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "demo: synced %d boards, %d sprints, %d issues, %d changelog items in %.1fs (%d requests)\n",
		res.Boards, res.Sprints, res.Issues, res.ChangeItems, res.Duration.Seconds(), res.Requests)
	cc := computeConfig(m)
	cc.Now = func() time.Time { return now }
	cres, err := compute.RunOnce(ctx, s, cc)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "demo: computed %d sprint and %d week snapshots in %.1fs\n", cres.SprintSnapshots, cres.WeekSnapshots, cres.Duration.Seconds())
	if err := m.demoOutcomes(ctx, s, now); err != nil {
		return err
	}

	week := report.LastCompleteWeek(now, m.Config.Location())
	r, err := m.buildReport(ctx, s, week, 0, now)
	if err != nil {
		return err
	}
	rendered, err := report.Render(r)
	if err != nil {
		return fmt.Errorf("demo: render: %w", err)
	}
	dt := report.DirTarget{Dir: out, Formats: []string{"md", "html", "json"}}
	if err := dt.Deliver(ctx, rendered); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "\nWeekly report %s (%s to %s, %s):\n", r.Week, r.WeekStart, r.WeekEnd, r.TimeZone)
	for _, t := range r.Teams {
		fmt.Fprintf(m.Stdout, "  %-24s velocity(3) %s %s · say/do(7) %s · cycle p85 %s days · throughput %d · WIP %d · escaped defects %d\n",
			t.BoardName, num(t.VelocityAvg3), t.Unit, pct(t.SayDoAvg7), num(t.CycleTimeDays.P85), t.Throughput, t.WIP, t.EscapedDefects)
	}
	fmt.Fprintf(m.Stdout, "  outcomes: %d metric(s)\n\nFiles:\n", len(r.Outcomes))
	for _, p := range dt.Paths(rendered) {
		abs, _ := filepath.Abs(p)
		fmt.Fprintln(m.Stdout, "  "+abs)
	}
	fmt.Fprintf(m.Stdout, "\ndemo finished in %.1fs\n", time.Since(started).Seconds())
	return nil
}

func num(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f", *v)
}

func pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", *v*100)
}

// recreateDatabase drops and creates database name on the server of
// adminURL and returns its URL.
func recreateDatabase(ctx context.Context, adminURL, name string) (string, error) {
	u, err := url.Parse(adminURL)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("demo database: DATABASE_URL must be a postgres:// URL for the demo")
	}
	db, err := sql.Open("postgres", adminURL)
	if err != nil {
		return "", fmt.Errorf("demo database: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(name)+` WITH (FORCE)`); err != nil {
		return "", fmt.Errorf("demo database: drop %s: %w", name, err)
	}
	if err := ensureDatabase(ctx, adminURL, name); err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// demoThemes picks, by epic name, the work the demo links to each outcome.
var demoThemes = map[string][]string{
	outcomes.DemoActivation: {"Mobile onboarding", "Checkout redesign", "Single sign-on", "Search relevance"},
	outcomes.DemoMRR:        {"Usage-based pricing", "Multi-currency support", "Self-service billing"},
	outcomes.DemoNPS:        {"Performance budget", "Accessibility audit", "Notifications overhaul"},
}

// demoOutcomes configures the demo's outcome metrics, links them to the
// simulated site's epics by theme and stores 26 weeks of matching series:
// activation rises two weeks after each activation epic ships.
func (m *Main) demoOutcomes(ctx context.Context, s *store.Store, now time.Time) error {
	var epics []struct {
		Key      string     `db:"issue_key"`
		Summary  string     `db:"summary"`
		Resolved *time.Time `db:"resolved_at"`
	}
	if err := s.DB().SelectContext(ctx, &epics, `SELECT issue_key, summary, resolved_at FROM issues WHERE issue_type = 'Epic' ORDER BY issue_key`); err != nil {
		return fmt.Errorf("demo: epics: %w", err)
	}
	links := map[string]*outcomes.Link{}
	var shipped []outcomes.Release
	for _, mt := range outcomes.DemoMetrics() {
		links[mt.Name] = &outcomes.Link{Metric: mt.Name}
	}
	links[outcomes.DemoActivation].Lag = 14 * 24 * time.Hour
	links[outcomes.DemoMRR].Lag = 28 * 24 * time.Hour
	for _, e := range epics {
		for metric, themes := range demoThemes {
			if slices.Contains(themes, e.Summary) {
				links[metric].Epics = append(links[metric].Epics, e.Key)
				if metric == outcomes.DemoActivation && e.Resolved != nil {
					shipped = append(shipped, outcomes.Release{Name: "Epic " + e.Key, Date: *e.Resolved})
				}
			}
		}
	}
	m.Config.Outcomes.Metrics = outcomes.DemoMetrics()
	m.Config.Outcomes.Analysis.Weeks = 26 // the series' whole span, so the epics shipped in summer show
	m.Config.Outcomes.Links = nil
	for _, mt := range m.Config.Outcomes.Metrics {
		if l := links[mt.Name]; len(l.Epics) > 0 {
			m.Config.Outcomes.Links = append(m.Config.Outcomes.Links, *l)
		}
	}
	values := outcomes.DemoSeries(42, now, 26, shipped)
	if err := s.OutcomeUpsertMany(ctx, values); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "demo: stored %d outcome values (%d metrics, %d activation epics shipped)\n", len(values), len(m.Config.Outcomes.Metrics), len(shipped))
	return nil
}
