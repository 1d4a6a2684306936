package dashboard_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/dashboard"
)

const chromiumPath = "/usr/bin/chromium"

// update regenerates the README's dashboard screenshots (UPDATE_GOLDEN=1),
// as internal/report's layout test does for the report's.
var update = os.Getenv("UPDATE_GOLDEN") == "1"

// browser is one headless Chromium tab on the dashboard at base, with
// everything the page reports that is a problem: console messages (the
// pages have no script, so any message is one), uncaught exceptions, log
// entries (CSP violations, blocked loads), failed loads and answers ≥ 400.
type browser struct {
	ctx  context.Context
	base string

	mu       sync.Mutex
	problems []string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is absent (apt-get install -y chromium): the dashboard's browser test is skipped", chromiumPath)
	}
	// A hang guard only: the whole browser session ends with it.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	actx, cancelA := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-proxy-server", true), chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"), chromedp.UserDataDir(t.TempDir()))
	t.Cleanup(cancelA)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(cancelB)
	b := &browser{ctx: bctx, base: base}
	if err := chromedp.Listen(bctx, b.event); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return b
}

func (b *browser) event(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			args = append(args, string(a.Value)+a.Description)
		}
		p = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
	case *runtime.EventExceptionThrown:
		p = "exception: " + ev.ExceptionDetails.Text
	case *log.EventEntryAdded:
		p = fmt.Sprintf("log %s/%s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
	case *network.EventLoadingFailed:
		p = fmt.Sprintf("failed load (%s): %s %s", ev.Type, ev.ErrorText, ev.BlockedReason)
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			p = fmt.Sprintf("HTTP %d: %s", ev.Response.Status, ev.Response.URL)
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

// check fails the test with every problem seen since the last check.
func (b *browser) check(t *testing.T, what string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Errorf("%s: %s", what, p)
	}
	b.problems = nil
}

func (b *browser) open(t *testing.T, path string) {
	t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+path)); err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	b.check(t, path)
}

// eval runs a script in the page and decodes its value.
func eval[T any](t *testing.T, b *browser, js string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// click follows a link or submits a form and waits until the new page,
// whose URL contains want, has loaded.
func (b *browser) click(t *testing.T, sel, want string) {
	t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Click(sel)); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
	deadline := time.Now().Add(30 * time.Second) // hang guard
	for time.Now().Before(deadline) {
		href, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.readyState === "complete" ? location.href : ""`))
		if err == nil && strings.Contains(href, want) {
			b.check(t, href)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("click %s: no page with %q loaded", sel, want)
}

// chart is an inline SVG chart as the browser sees it: its data marks are
// the bars (rects with a tooltip), the dots and the vertices of the lines.
type chart struct {
	Class  string `json:"cls"`
	Label  string `json:"label"`
	Points int    `json:"points"`
}

const chartsJS = `[...document.querySelectorAll("svg.chart, svg.spark")].map(s => ({
	cls: s.getAttribute("class"), label: s.getAttribute("aria-label") || "",
	points: s.querySelectorAll("circle").length +
		[...s.querySelectorAll("rect")].filter(r => r.querySelector("title")).length +
		[...s.querySelectorAll("polyline")].reduce((n, p) => n + p.points.numberOfItems, 0)}))`

func checkCharts(t *testing.T, b *browser, page string, want int) {
	t.Helper()
	cs := eval[[]chart](t, b, chartsJS)
	if len(cs) != want {
		t.Errorf("%s: %d charts, want %d: %+v", page, len(cs), want, cs)
	}
	for _, c := range cs {
		if c.Points == 0 {
			t.Errorf("%s: chart %q (%s) has no data", page, c.Label, c.Class)
		}
	}
}

// The dashboard in a real headless Chromium on the store seeded through
// jirasim + sync + compute: every page loads with no console message, no
// failed request and no answer ≥ 400; each chart has data marks; the sprint
// page lists the issues the API lists, each linking to Jira's browse URL; a
// drill-down link reaches its list; the week picker changes the figures.
// UPDATE_GOLDEN=1 also refreshes docs/screenshot-dashboard-*.png.
func TestDashboardInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is absent (apt-get install -y chromium): the dashboard's browser test is skipped", chromiumPath)
	}
	f := newFixture(t)
	h := f.server(t, config.DashboardConfig{})
	// The server's side of "no failed requests": every answer it gave.
	var mu sync.Mutex
	var answers []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: 200}
		h.ServeHTTP(rec, r)
		mu.Lock()
		answers = append(answers, fmt.Sprintf("%d %s", rec.code, r.URL))
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv.URL)
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(1280, 1000)); err != nil {
		t.Fatal(err)
	}

	var boards struct {
		Boards []dashboard.BoardRef `json:"boards"`
	}
	getJSON(t, h, "/api/v1/boards", &boards)
	board := boards.Boards[0]

	// Overview: one section per team, two sparklines each, with points.
	b.open(t, "/")
	if n := eval[int](t, b, `document.querySelectorAll("section.team").length`); n != len(boards.Boards) {
		t.Errorf("overview: %d team sections, want %d", n, len(boards.Boards))
	}
	checkCharts(t, b, "overview", 2*len(boards.Boards))
	shoot(t, b, "overview-desktop", 1280, 1000)

	// Team page of the latest week (the overview's link): four charts.
	b.click(t, fmt.Sprintf(`section.team[data-board="%d"] h2 a`, board.ID), board.Path)
	checkCharts(t, b, "team", 4)
	latest := figures(t, b)
	var api dashboard.BoardWeek
	getJSON(t, h, "/api/v1"+board.Path+"?week="+latest.week, &api)
	if latest.throughput != api.Team.Throughput || latest.wip != api.Team.WIP {
		t.Errorf("team page %s shows throughput %d WIP %d, API %d %d", latest.week, latest.throughput, latest.wip, api.Team.Throughput, api.Team.WIP)
	}
	shoot(t, b, "team-desktop", 1280, 1000)

	// The week picker: type another week with other figures and submit.
	other := ""
	for w := 1; w <= 8 && other == ""; w++ {
		wk := weekBefore(t, latest.week, w)
		var ow dashboard.BoardWeek
		getJSON(t, h, "/api/v1"+board.Path+"?week="+wk, &ow)
		if ow.Team.Throughput != api.Team.Throughput || ow.Team.WIP != api.Team.WIP {
			other, api = wk, ow
		}
	}
	if other == "" {
		t.Fatal("no week of the last 8 has other figures than the latest")
	}
	if err := chromedp.Do(b.ctx, chromedp.SetValue(`form.picker input[name="week"]`, other)); err != nil {
		t.Fatal(err)
	}
	b.click(t, `form.picker button[type="submit"]`, "week="+other)
	got := figures(t, b)
	if got.week != other || got.throughput != api.Team.Throughput || got.wip != api.Team.WIP {
		t.Errorf("after picking %s: page shows %+v, API throughput %d WIP %d", other, got, api.Team.Throughput, api.Team.WIP)
	}
	if got.throughput == latest.throughput && got.wip == latest.wip {
		t.Errorf("the week picker changed nothing: %+v then %+v", latest, got)
	}
	checkCharts(t, b, "team "+other, 4)

	// Drill-down: the throughput number links to the list of as many issues.
	b.click(t, `a:has(#throughput)`, "list=throughput")
	rows := eval[[]string](t, b, `[...document.querySelectorAll("main a.issue")].map(a => a.textContent)`)
	if len(rows) != got.throughput || got.throughput == 0 {
		t.Errorf("throughput list of %s: %d issues, the number said %d", other, len(rows), got.throughput)
	}
	if h1 := eval[string](t, b, `document.querySelector("h1").textContent`); h1 != "Issues finished in the week" {
		t.Errorf("drill-down title %q", h1)
	}

	// A sprint with completed issues, reached from the team page's table.
	b.open(t, board.Path)
	var sprintID int64
	for _, s := range api.Sprints {
		if s.Completed > 0 && s.State == "closed" {
			sprintID = s.ID
			break
		}
	}
	if sprintID == 0 {
		t.Fatalf("no closed sprint with completed work in %+v", api.Sprints)
	}
	sprintPath := fmt.Sprintf("%s/sprints/%d", board.Path, sprintID)
	b.click(t, `a[href="`+sprintPath+`"]`, sprintPath)
	var sp dashboard.SprintPage
	getJSON(t, h, "/api/v1"+sprintPath, &sp)
	inPage := eval[map[string][]string](t, b, `Object.fromEntries([...document.querySelectorAll("main section[id]")].map(s =>
		[s.id, [...s.querySelectorAll("a.issue")].map(a => a.textContent + " " + a.href)]))`)
	total := 0
	for _, l := range sp.Lists {
		var want []string
		for _, is := range l.Issues {
			want = append(want, is.Key+" "+jiraURL+"/browse/"+is.Key)
		}
		total += len(want)
		if !slices.Equal(inPage[l.Name], want) {
			t.Errorf("sprint list %s: page %v, API %v", l.Name, inPage[l.Name], want)
		}
	}
	if total == 0 || len(inPage) != len(sp.Lists) {
		t.Errorf("sprint page: %d lists, %d issues; API %d lists", len(inPage), total, len(sp.Lists))
	}

	// The phone width: no horizontal scrolling of the page itself (wide
	// tables scroll in their own box).
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(412, 900)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", board.Path} {
		b.open(t, p)
		if w := eval[int](t, b, `document.documentElement.scrollWidth`); w > 412 {
			t.Errorf("%s at 412 px: the page is %d px wide", p, w)
		}
	}
	shoot(t, b, "team-phone", 412, 900)
	b.check(t, "end")
	for _, a := range answers {
		if code, _ := strconv.Atoi(a[:3]); code >= 400 {
			t.Errorf("the server answered %s", a)
		}
	}
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) { r.code = code; r.ResponseWriter.WriteHeader(code) }

// teamFigures are the team page's numbers as shown.
type teamFigures struct {
	week            string
	throughput, wip int
}

func figures(t *testing.T, b *browser) teamFigures {
	t.Helper()
	v := eval[[]string](t, b, `[document.querySelector('form.picker input[name="week"]').value,
		document.getElementById("throughput").textContent, document.getElementById("wip").textContent]`)
	tp, err1 := strconv.Atoi(v[1])
	wip, err2 := strconv.Atoi(v[2])
	if err1 != nil || err2 != nil {
		t.Fatalf("team page figures %q", v)
	}
	return teamFigures{week: v[0], throughput: tp, wip: wip}
}

// weekBefore is the ISO week n weeks before w ("2025-W20").
func weekBefore(t *testing.T, w string, n int) string {
	t.Helper()
	var y, k int
	if _, err := fmt.Sscanf(w, "%d-W%d", &y, &k); err != nil {
		t.Fatalf("week %q: %v", w, err)
	}
	// Monday of ISO week k: the Monday of the week holding 4 January, + k-1 weeks.
	jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)
	mon := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(k-1)-7*n)
	yy, kk := mon.ISOWeek()
	return fmt.Sprintf("%d-W%02d", yy, kk)
}

// shoot saves the viewport as docs/screenshot-dashboard-<name>.png under
// UPDATE_GOLDEN=1; otherwise it only checks that the page painted (many
// colours, not a blank page).
func shoot(t *testing.T, b *browser, name string, w, h int64) {
	t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(w, h)); err != nil {
		t.Fatal(err)
	}
	img, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	m, err := png.Decode(bytes.NewReader(img))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if bd := m.Bounds(); bd.Dx() != int(w) || bd.Dy() != int(h) {
		t.Errorf("screenshot %s is %v, want %d×%d", name, bd, w, h)
	}
	colours := map[uint32]bool{}
	for y := 0; y < m.Bounds().Dy(); y += 3 {
		for x := 0; x < m.Bounds().Dx(); x += 3 {
			r, g, bl, _ := m.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	if len(colours) < 30 {
		t.Errorf("screenshot %s has %d colours: blank?", name, len(colours))
	}
	if update {
		if err := os.WriteFile("../../docs/screenshot-dashboard-"+name+".png", img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
