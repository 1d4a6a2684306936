package main

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/dashboard"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/outcomes"
	"github.com/backlog-health/analyzer/internal/report"
	"github.com/backlog-health/analyzer/internal/store"
)

// demoDatabase is the embedded server's demo database, recreated by every
// demo run, so a demo never mixes with the user's own data (in database
// "analyzer") nor with a previous demo.
const demoDatabase = "analyzer_demo"

// demoSiteID is the demo's Jira site; demoSource marks its outcome values.
const demoSiteID, demoSource = "demo", "demo"

// analyzerTables are the tables the migrations create (and the migration
// ledger), read from the embedded SQL so that new migrations count too.
func analyzerTables() map[string]bool {
	tables := map[string]bool{"schema_migrations": true}
	files, _ := fs.Glob(analyzer.Migrations, "sql/*.up.sql")
	re := regexp.MustCompile(`(?i)CREATE TABLE (?:IF NOT EXISTS )?(\w+)`)
	for _, f := range files {
		b, _ := fs.ReadFile(analyzer.Migrations, f)
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			tables[strings.ToLower(m[1])] = true
		}
	}
	return tables
}

// demoDatabaseCheck refuses a database (named by DATABASE_URL) that holds
// anything but the analyzer's tables with a previous demo's data in them:
// the demo writes a simulated site and outcome series, and clears the
// previous demo, so it must not run over someone's real data.
func demoDatabaseCheck(ctx context.Context, s *store.Store) error {
	var tables []string
	if err := s.DB().SelectContext(ctx, &tables, `SELECT table_schema || '.' || table_name FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg\_%' ORDER BY 1`); err != nil {
		return fmt.Errorf("demo: database: %w", err)
	}
	known := analyzerTables()
	var foreign []string
	present := false
	for _, t := range tables {
		schema, name, _ := strings.Cut(t, ".")
		if schema != "public" || !known[name] {
			foreign = append(foreign, strings.TrimPrefix(t, "public."))
			continue
		}
		present = present || name == "jira_sites"
	}
	const hint = "; point DATABASE_URL at an empty database (e.g. createdb analyzer_demo) or unset it to use the embedded PostgreSQL"
	if len(foreign) > 0 {
		return fmt.Errorf("demo: the database DATABASE_URL names holds tables that are not the analyzer's (%s)%s", strings.Join(foreign, ", "), hint)
	}
	if !present {
		return nil // empty, or only the migration ledger
	}
	var what []string
	var sites []string
	if err := s.DB().SelectContext(ctx, &sites, `SELECT site_id FROM jira_sites WHERE site_id <> $1 ORDER BY 1`, demoSiteID); err != nil {
		return fmt.Errorf("demo: database: %w", err)
	}
	for _, id := range sites {
		what = append(what, "Jira site "+id)
	}
	var values, runs int
	if err := s.DB().GetContext(ctx, &values, `SELECT count(*) FROM outcome_values WHERE source <> $1`, demoSource); err != nil {
		return fmt.Errorf("demo: database: %w", err)
	}
	if values > 0 {
		what = append(what, fmt.Sprintf("%d outcome value(s) not from the demo", values))
	}
	if err := s.DB().GetContext(ctx, &runs, `SELECT count(*) FROM report_runs`); err != nil {
		return fmt.Errorf("demo: database: %w", err)
	}
	if runs > 0 {
		what = append(what, fmt.Sprintf("%d delivered report(s)", runs))
	}
	if len(what) > 0 {
		return fmt.Errorf("demo: the database DATABASE_URL names holds data that is not a previous demo (%s)%s", strings.Join(what, ", "), hint)
	}
	return nil
}

// demoDatabaseClear empties the analyzer's tables of a database that
// demoDatabaseCheck found empty or holding only a previous demo.
func demoDatabaseClear(ctx context.Context, s *store.Store) error {
	var names []string
	for t := range analyzerTables() {
		if t != "schema_migrations" {
			names = append(names, pq.QuoteIdentifier(t))
		}
	}
	slices.Sort(names)
	if _, err := s.DB().ExecContext(ctx, `TRUNCATE `+strings.Join(names, ", ")); err != nil {
		return fmt.Errorf("demo: clear the previous demo: %w", err)
	}
	return nil
}

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

	// 1. PostgreSQL: the database DATABASE_URL names, when it is empty or
	// holds a previous demo; else a fresh analyzer_demo database on the
	// embedded server under the state directory.
	var dsn string
	if m.Config.Database.URL != "" {
		dsn = m.Config.Database.URL
		fmt.Fprintf(m.Stdout, "demo: using the database DATABASE_URL names: %s (a previous demo in it is replaced)\n", store.RedactDSN(dsn))
	} else {
		admin, err := m.adminURL(ctx)
		if err != nil {
			return err
		}
		if dsn, err = recreateDatabase(ctx, admin, demoDatabase); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "demo: using a fresh database %s on the embedded PostgreSQL in %s\n", demoDatabase, m.cluster.DataDir())
	}
	s, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := demoDatabaseCheck(ctx, s); err != nil {
		return err
	}
	if _, err := s.Migrate(ctx, m.Logger); err != nil {
		return err
	}
	if err := demoDatabaseClear(ctx, s); err != nil {
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
		ID: demoSiteID, URL: simURL, Flavor: "cloud", Email: sim.Config().Email, Token: sim.Config().Token,
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
		window := "—"
		if v := t.Velocity(); v != nil {
			window = fmt.Sprint(v.Window)
		}
		fmt.Fprintf(m.Stdout, "  %-24s velocity(%s) %s %s · say/do(7) %s · cycle p85 %s days · throughput %d · WIP %d · escaped defects %d\n",
			t.BoardName, window, num(t.VelocityValue()), t.Unit, pct(t.SayDoAvg7), num(t.CycleTimeDays.P85), t.Throughput, t.WIP, t.EscapedDefects)
	}
	fmt.Fprintf(m.Stdout, "  outcomes: %d metric(s)\n\nFiles:\n", len(r.Outcomes))
	for _, p := range dt.Paths(rendered) {
		abs, _ := filepath.Abs(p)
		fmt.Fprintln(m.Stdout, "  "+abs)
	}
	fmt.Fprintf(m.Stdout, "\ndemo finished in %.1fs\n", time.Since(started).Seconds())
	if !m.opts.demoServe {
		return nil
	}
	// 4. --serve: the dashboard on the demo's data (its issue links point
	// at the simulator, which keeps serving) until interrupted.
	addr := m.serveAddr()
	if err := dashboard.CheckListen(addr, m.Config.Dashboard.AuthConfigured()); err != nil {
		return err
	}
	d, err := m.dashboard(s)
	if err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, "serving the dashboard on the demo data until interrupted (Ctrl-C)")
	return m.serveDashboard(ctx, addr, d.Handler(), nil)
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
