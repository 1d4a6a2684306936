package dashboard_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/pgtest"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/dashboard"
	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/metrics"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"github.com/backlog-health/analyzer/internal/sync"
	"golang.org/x/crypto/bcrypt"
)

// fixture syncs a simulated Jira Cloud site (2 teams) through the real
// client and sync into a fresh database, computes the KPIs (with per-week
// snapshots) as of the simulator's now, and returns the store and site.
type fixture struct {
	st   *store.Store
	site config.SiteConfig
	now  time.Time
}

const jiraURL = "https://acme.atlassian.net"

func newFixture(t *testing.T) fixture {
	t.Helper()
	st, now, _, _ := seed(t, jirasim.Config{Mode: jirasim.ModeCloud, Issues: 600, Teams: 2, Seed: 7})
	// The issue links point at the site's configured URL, not the simulator's.
	return fixture{st: st, site: config.SiteConfig{ID: "sim", URL: jiraURL, Boards: config.BoardSelector{All: true}}, now: now}
}

// seed syncs a simulated Jira Cloud site through the real client and sync
// into a fresh database and computes its KPIs with 30 weeks of snapshots as
// of the simulator's now; it returns the store, that now, and how long the
// sync and the compute took.
func seed(tb testing.TB, simCfg jirasim.Config) (st *store.Store, now time.Time, synced, computed time.Duration) {
	tb.Helper()
	ctx := context.Background()
	_, srv := jirasim.NewTestServer(tb, simCfg)
	client, err := jira.New(ctx, jira.Config{BaseURL: srv.URL, SiteID: "sim", Flavor: analyzer.FlavorCloud, Email: "sim@example.com", Token: "sim-token", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	st = storetest.MustOpen(tb)
	started := time.Now()
	if _, err := sync.New(st, client, sync.Config{SiteID: "sim", BaseURL: srv.URL}).Run(ctx); err != nil {
		tb.Fatal(err)
	}
	synced = time.Since(started)
	now = jirasim.DefaultNow
	if _, err := compute.RunOnce(ctx, st, compute.Config{Options: metrics.Options{Location: time.UTC}, Now: func() time.Time { return now }, HistoryWeeks: 30}); err != nil {
		tb.Fatal(err)
	}
	return st, now, synced, time.Since(started) - synced
}

func (f fixture) server(t *testing.T, auth config.DashboardConfig) http.Handler {
	t.Helper()
	if auth.TrustedProxies == nil {
		auth.TrustedProxies = []string{"127.0.0.0/8"}
	}
	d, err := dashboard.New(dashboard.Config{Store: f.st, Location: time.UTC, Sites: []config.SiteConfig{f.site}, Auth: auth,
		Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	return d.Handler()
}

func get(t *testing.T, h http.Handler, path string, hdr ...string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = "127.0.0.1:5555" // as from a proxy on the same host
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func getJSON(t *testing.T, h http.Handler, path string, v any) {
	t.Helper()
	code, body := get(t, h, path)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// The pages against the store: the sprint page lists the same issues as
// the API, each issue links to <site url>/browse/<KEY>, the week picker
// changes the figures, and a drill-down list has as many issues as the
// number linking to it.
func TestPagesAgainstStore(t *testing.T) {
	f := newFixture(t)
	h := f.server(t, config.DashboardConfig{})
	var boards struct {
		Boards []dashboard.BoardRef `json:"boards"`
	}
	getJSON(t, h, "/api/v1/boards", &boards)
	if len(boards.Boards) != 2 {
		t.Fatalf("boards: %+v, want the simulator's 2 teams", boards.Boards)
	}
	b := boards.Boards[0]
	code, page := get(t, h, "/")
	if code != 200 || !strings.Contains(page, b.Name) {
		t.Fatalf("overview: %d, missing board %q", code, b.Name)
	}

	// The week picker: two stored weeks, figures as the store has them.
	var bw dashboard.BoardWeek
	week := "2025-W20"
	getJSON(t, h, "/api/v1"+b.Path+"?week="+week, &bw)
	at, err := compute.ReadBoard(context.Background(), f.st, b.SiteID, b.ID, time.Date(2025, 5, 12, 0, 0, 0, 0, time.UTC), time.Date(2025, 5, 19, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	wk := at.Weeks[len(at.Weeks)-1]
	if bw.Team.Throughput != wk.Throughput || bw.Team.WIP != wk.WIP {
		t.Fatalf("%s: page throughput %d WIP %d, store %d %d", week, bw.Team.Throughput, bw.Team.WIP, wk.Throughput, wk.WIP)
	}
	changed := false
	for _, other := range []string{"2025-W21", "2025-W22", "2025-W18", "2025-W15"} {
		var ow dashboard.BoardWeek
		getJSON(t, h, "/api/v1"+b.Path+"?week="+other, &ow)
		if ow.Team.Throughput != bw.Team.Throughput || ow.Team.WIP != bw.Team.WIP {
			changed = true
			_, html := get(t, h, b.Path+"?week="+other)
			if !strings.Contains(html, `id="wip">`+itoa(ow.Team.WIP)+`<`) {
				t.Fatalf("page of %s does not show WIP %d", other, ow.Team.WIP)
			}
			break
		}
	}
	if !changed {
		t.Fatal("no other week has other figures: the week picker changes nothing")
	}

	// Drill-down: the throughput list has the throughput's issues.
	var list dashboard.IssuesPage
	getJSON(t, h, "/api/v1"+b.Path+"/issues?list=throughput&week="+week, &list)
	if len(list.List.Issues) != wk.Throughput {
		t.Fatalf("throughput list: %d issues, throughput %d", len(list.List.Issues), wk.Throughput)
	}
	getJSON(t, h, "/api/v1"+b.Path+"/issues?list=ageing&week="+week, &list)
	if len(list.List.Issues) != len(wk.AgeingWIP) {
		t.Fatalf("ageing list: %d issues, store %d", len(list.List.Issues), len(wk.AgeingWIP))
	}

	// The sprint page lists the same issues as the API and the snapshot.
	var closed metrics.SprintKPI
	for _, k := range at.Sprints {
		if !k.Partial && len(k.CompletedKeys) > 0 {
			closed = k
		}
	}
	var sp dashboard.SprintPage
	path := b.Path + "/sprints/" + itoa(int(closed.SprintID))
	getJSON(t, h, "/api/v1"+path, &sp)
	_, html := get(t, h, path)
	lists := map[string][]string{}
	for _, l := range sp.Lists {
		for _, is := range l.Issues {
			lists[l.Name] = append(lists[l.Name], is.Key)
			want := `href="` + jiraURL + `/browse/` + is.Key + `"`
			if is.URL != jiraURL+"/browse/"+is.Key || !strings.Contains(html, want) {
				t.Fatalf("issue %s: url %q; page lacks %s", is.Key, is.URL, want)
			}
		}
	}
	if strings.Join(lists["completed"], ",") != strings.Join(closed.CompletedKeys, ",") ||
		strings.Join(lists["not_completed"], ",") != strings.Join(closed.UnfinishedKeys, ",") ||
		strings.Join(lists["added"], ",") != strings.Join(closed.AddedKeys, ",") {
		t.Fatalf("sprint %d lists %v differ from the snapshot", closed.SprintID, lists)
	}
	// Points at completion of the completed issues add up to the sprint's
	// completed figure (the velocity chart's bar).
	sum := 0.0
	for _, l := range sp.Lists {
		if l.Name == "completed" {
			for _, is := range l.Issues {
				if is.AtCompletion != nil {
					sum += *is.AtCompletion
				}
			}
		}
	}
	if sum != closed.Completed {
		t.Fatalf("Σ points at completion %v, sprint completed %v", sum, closed.Completed)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// Every route answers 401 and nothing else without credentials, 200 with
// a bearer token, basic auth or the trusted proxy header.
func TestAuth(t *testing.T) {
	f := newFixture(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h := f.server(t, config.DashboardConfig{Token: "tok", BasicUser: "po", BasicPasswordHash: string(hash), TrustedHeader: "X-Forwarded-Email"})
	routes := []string{"/", "/boards/1", "/boards/1/issues?list=ageing", "/api/v1/boards", "/api/v1/boards/1", "/api/v1/boards/1/weeks",
		"/api/v1/boards/1/issues?list=escaped", "/api/v1/outcomes", "/api/v1/overview", "/static/app.css", "/docs/metrics"}
	basic := "Basic " + b64("po:s3cret")
	for _, r := range routes {
		if code, body := get(t, h, r); code != 401 || body != "" {
			t.Errorf("%s without credentials: %d %q", r, code, body)
		}
		if code, _ := get(t, h, r, "Authorization", "Bearer wrong"); code != 401 {
			t.Errorf("%s with a wrong token: %d", r, code)
		}
		if code, _ := get(t, h, r, "Authorization", "Basic "+b64("po:wrong")); code != 401 {
			t.Errorf("%s with a wrong password: %d", r, code)
		}
		for _, hdr := range [][]string{{"Authorization", "Bearer tok"}, {"Authorization", basic}, {"X-Forwarded-Email", "po@example.com"}} {
			if code, body := get(t, h, r, hdr...); code != 200 {
				t.Errorf("%s with %s: %d %s", r, hdr[0], code, body)
			}
		}
	}
	// The trusted header from an untrusted address is ignored.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "203.0.113.9:4000"
	req.Header.Set("X-Forwarded-Email", "mallory@example.com")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("trusted header from 203.0.113.9: %d, want 401", rec.Code)
	}
	_, _ = get(t, h, "/")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("security headers: %v", rec.Header())
	}
	if code, _ := get(t, h, "/", "Authorization", "Bearer tok"); code != 200 {
		t.Fatal(code)
	}
	postReq := httptest.NewRequest(http.MethodPost, "/api/v1/boards", nil)
	postReq.Header.Set("Authorization", "Bearer tok")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, postReq)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/v1/boards: %d, want 405 (read-only)", rec.Code)
	}
}

func TestCheckListen(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:9464": true, "localhost:1": true, "[::1]:1": true, "0.0.0.0:9464": false, ":9464": false, "10.0.0.1:80": false} {
		if err := dashboard.CheckListen(addr, false); (err == nil) != ok {
			t.Errorf("%s without auth: %v", addr, err)
		}
		if err := dashboard.CheckListen(addr, true); err != nil {
			t.Errorf("%s with auth: %v", addr, err)
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// dashboard.trusted_proxies decides where the trusted header is read from:
// with 203.0.113.0/24 configured, a request from 203.0.113.9 carrying it is
// let in and one from loopback (trusted only by the default) is not.
func TestTrustedProxiesKey(t *testing.T) {
	d, err := dashboard.New(dashboard.Config{Store: storetest.MustOpen(t), Auth: config.DashboardConfig{
		TrustedHeader: "X-Forwarded-Email", TrustedProxies: []string{"203.0.113.0/24"}}})
	if err != nil {
		t.Fatal(err)
	}
	h := d.Handler()
	for from, want := range map[string]int{"203.0.113.9:4000": 200, "127.0.0.1:4000": 401, "198.51.100.1:4000": 401} {
		req := httptest.NewRequest(http.MethodGet, "/static/app.css", nil)
		req.RemoteAddr = from
		req.Header.Set("X-Forwarded-Email", "po@example.com")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("trusted header from %s: %d, want %d", from, rec.Code, want)
		}
	}
	if _, err := dashboard.New(dashboard.Config{Store: storetest.MustOpen(t), Auth: config.DashboardConfig{TrustedProxies: []string{"10.0.0.1"}}}); err == nil ||
		!strings.Contains(err.Error(), `dashboard: trusted proxy "10.0.0.1"`) {
		t.Errorf("a bad CIDR: %v", err)
	}
}

// Issue 14, drill-down of the backlog numbers: the team page's stale,
// unestimated and not-ready counts link to lists of as many issues, each
// linking to Jira; the lists are recomputed from the stored history as of
// the week's end (the snapshots hold only counts), and the page says so.
func TestBacklogDrillDown(t *testing.T) {
	f := newFixture(t)
	// The simulated backlog is touched often: with 3 stale days (instead of
	// the default) some of it is stale. The snapshots are recomputed with
	// them, and the dashboard reads the same options.
	opt := metrics.Options{Location: time.UTC, StaleDays: 3}
	if _, err := compute.RunOnce(context.Background(), f.st, compute.Config{Options: opt, Now: func() time.Time { return f.now }, HistoryWeeks: 30}); err != nil {
		t.Fatal(err)
	}
	d, err := dashboard.New(dashboard.Config{Store: f.st, Location: time.UTC, Sites: []config.SiteConfig{f.site},
		Now: func() time.Time { return f.now }, Options: func(string) metrics.Options { return opt }})
	if err != nil {
		t.Fatal(err)
	}
	h := d.Handler()
	var boards struct {
		Boards []dashboard.BoardRef `json:"boards"`
	}
	getJSON(t, h, "/api/v1/boards", &boards)
	nonEmpty := map[string]bool{}
	for _, b := range boards.Boards {
		for _, week := range []string{"2025-W24", "2025-W20", "2025-W16"} {
			var bw dashboard.BoardWeek
			getJSON(t, h, "/api/v1"+b.Path+"?week="+week, &bw)
			bl := bw.Team.Backlog
			_, page := get(t, h, b.Path+"?week="+week)
			for list, n := range map[string]int{"stale": bl.Stale, "unestimated": bl.Unestimated, "not_ready": bl.Items - bl.Ready, "backlog": bl.Items} {
				href := b.Path + "/issues?list=" + list + "&amp;week=" + week
				if !strings.Contains(page, `href="`+href+`"`) {
					t.Errorf("%s %s: the team page does not link %s", b.Path, week, href)
				}
				var ip dashboard.IssuesPage
				getJSON(t, h, "/api/v1"+b.Path+"/issues?list="+list+"&week="+week, &ip)
				if len(ip.List.Issues) != n {
					t.Errorf("%s %s list %s: %d issues, the team page says %d", b.Path, week, list, len(ip.List.Issues), n)
				}
				for _, is := range ip.List.Issues {
					if is.URL != jiraURL+"/browse/"+is.Key || is.Summary == "" {
						t.Errorf("%s: issue %+v", list, is)
					}
				}
				if !strings.Contains(ip.Note, "recomputed from the stored history") {
					t.Errorf("%s %s: note %q", list, week, ip.Note)
				}
				if n > 0 {
					nonEmpty[list] = true
				}
			}
		}
	}
	// The fixture has stale, unestimated and not-ready items somewhere, or
	// the lengths above compare nothing.
	for _, l := range []string{"stale", "unestimated", "not_ready", "backlog"} {
		if !nonEmpty[l] {
			t.Errorf("no board and week has a non-empty %s list", l)
		}
	}
}

// Every page and API answer of the fixture stays within 300 KB (issue 14;
// BenchmarkRoutes reports the sizes on a larger site).
func TestPageSizes(t *testing.T) {
	f := newFixture(t)
	h := f.server(t, config.DashboardConfig{})
	var bw dashboard.BoardWeek
	getJSON(t, h, "/api/v1/boards/1", &bw)
	var sprints []string
	for _, s := range bw.Sprints {
		sprints = append(sprints, "/boards/1/sprints/"+itoa(int(s.ID)), "/api/v1/boards/1/sprints/"+itoa(int(s.ID)))
	}
	if len(sprints) == 0 {
		t.Fatal("board 1 has no sprint")
	}
	paths := append([]string{"/", "/boards/1", "/boards/2", "/api/v1/overview", "/api/v1/boards/1", "/api/v1/boards/1/weeks"}, sprints...)
	for _, l := range []string{"ageing", "escaped", "throughput", "carry_over", "backlog", "stale", "unestimated", "not_ready"} {
		paths = append(paths, "/boards/1/issues?list="+l, "/api/v1/boards/1/issues?list="+l)
	}
	for _, p := range paths {
		code, body := get(t, h, p)
		if code != 200 || len(body) > 300*1024 {
			t.Errorf("%s: %d, %d bytes (at most 300 KB)", p, code, len(body))
		}
	}
}
