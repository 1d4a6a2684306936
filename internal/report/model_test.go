package report

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestISOWeek(t *testing.T) {
	loc := mustLoc(t)
	for _, tc := range []struct {
		in    string
		start string // Monday; "" : invalid
	}{
		{"2026-W47", "2026-11-16"},
		{"2026w47", "2026-11-16"},
		{"2026-W01", "2025-12-29"}, // 1 January 2026 is a Thursday: week 1 starts in 2025
		{"2026-W53", "2026-12-28"}, // 2026 is a long year (starts on a Thursday)
		{"2020-W53", "2020-12-28"},
		{"2021-W53", ""}, // 2021 has 52 weeks
		{"2026-W00", ""},
		{"2026-W4x", ""},
		{"26-W47", ""},
		{"", ""},
	} {
		w, err := ParseISOWeek(tc.in)
		if tc.start == "" {
			if !errors.Is(err, ErrBadWeek) {
				t.Errorf("ParseISOWeek(%q) = %v, %v; want ErrBadWeek", tc.in, w, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseISOWeek(%q): %v", tc.in, err)
			continue
		}
		if got := w.Start(loc).Format(time.DateOnly); got != tc.start {
			t.Errorf("%s starts %s, want %s", tc.in, got, tc.start)
		}
		if d := w.End(loc).Sub(w.Start(loc)); d != 7*24*time.Hour {
			t.Errorf("%s lasts %v", tc.in, d)
		}
	}
	// Monday 07:00 of W48 → the last complete week is W47; early January 2027
	// falls back into 2026's week 53.
	if got := LastCompleteWeek(fixtureNow(loc), loc); got != (ISOWeek{2026, 47}) {
		t.Errorf("LastCompleteWeek = %v", got)
	}
	if got := LastCompleteWeek(time.Date(2027, 1, 5, 12, 0, 0, 0, loc), loc); got.String() != "2026-W53" {
		t.Errorf("LastCompleteWeek = %v", got)
	}
	// Sunday 23:30 in Berlin is still that week even though it is Monday in Asia.
	sun := time.Date(2026, 11, 22, 23, 30, 0, 0, loc)
	if got := WeekOf(sun, loc); got != (ISOWeek{2026, 47}) {
		t.Errorf("WeekOf = %v", got)
	}
}

func TestBuildErrors(t *testing.T) {
	in := fixtureInput(t)
	in.Now = time.Time{}
	if _, err := Build(in); !errors.Is(err, ErrNoClock) {
		t.Errorf("zero Now: %v", err)
	}
	in = fixtureInput(t)
	in.Week = ISOWeek{2021, 53}
	if _, err := Build(in); !errors.Is(err, ErrBadWeek) {
		t.Errorf("bad week: %v", err)
	}
	in = fixtureInput(t)
	in.Teams = append(in.Teams, in.Teams[0])
	if _, err := Build(in); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("duplicate board: %v", err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestBuildPayments(t *testing.T) {
	r := mustBuild(t, fixtureInput(t))
	if r.Week != "2026-W47" || r.WeekStart != "2026-11-16" || r.WeekEnd != "2026-11-22" || r.TimeZone != "Europe/Berlin" {
		t.Errorf("header: %s %s %s %s", r.Week, r.WeekStart, r.WeekEnd, r.TimeZone)
	}
	p := teamByID(t, r, 12)

	// 9 closed sprints + the running one; the last 8 by start: 15 … 22.
	if len(p.Sprints) != MaxSprints || p.Sprints[0].Name != "PAY Sprint 15" || p.Sprints[7].Name != "PAY Sprint 22" || !p.Sprints[7].Partial {
		t.Fatalf("sprints: %+v", p.Sprints)
	}
	// Velocity averages come from the latest closed sprint (21): 27.3 and 29.
	if want := []VelocityAverage{{3, 3, 27.3}, {7, 7, 29}}; !reflect.DeepEqual(p.VelocityAverages, want) {
		t.Errorf("velocity averages %+v, want %+v", p.VelocityAverages, want)
	}
	// Say/do of sprints 15–21: (0.90+0.82+0.85+0.90+0.80+0.85+0.62)/7 = 5.74/7 = 0.82.
	if !near(*p.SayDoAvg7, 0.82) {
		t.Errorf("say/do avg 7 = %v", *p.SayDoAvg7)
	}
	// Goals: 15–20 met, 21 missed → 6/7 = 0.857142…, 0.857 (ratios: 3 decimals).
	if *p.GoalCompletionRate != 0.857 {
		t.Errorf("goal rate = %v", *p.GoalCompletionRate)
	}
	// Carry-over into the running sprint 22.
	if c := p.CarryOver; c == nil || c.SprintID != 122 || c.Issues != 3 || c.Points != 11 || c.Issues2Plus != 1 {
		t.Errorf("carry-over %+v", p.CarryOver)
	}
	// Charted weeks: W36–W47 (12), the partial W48 left out.
	if len(p.Weeks) != ChartWeeks || p.Weeks[0].Week != "2026-W36" || p.Weeks[11].Week != "2026-W47" {
		t.Errorf("weeks %v … %v (%d)", p.Weeks[0].Week, p.Weeks[len(p.Weeks)-1].Week, len(p.Weeks))
	}
	// 18 cycles: PAY-50 (done before W36) and PAY-77 (no cycle time) are not plotted.
	if len(p.CycleTimes) != 16 || p.CycleTimes[0].Key != "PAY-101" || p.CycleTimes[15].Key != "PAY-199" {
		t.Errorf("cycle points: %d, %+v", len(p.CycleTimes), p.CycleTimes)
	}
	if len(p.AgeingWIP) != 3 || p.AgeingWIP[1].AgeDays != 15.0 {
		t.Errorf("ageing %+v", p.AgeingWIP)
	}
	// The forecast counts the backlog line's 30 ready items; W36–W47
	// delivered 72 items, 6 a week on average: 30 ÷ 6 = 5 weeks at 50 %
	// (2026-11-23 + 35 days), more at 85 %.
	if f := p.Forecast; f == nil || f.Items != p.Backlog.Ready || f.Items != 30 || len(f.DoneBy) != 3 ||
		f.DoneBy[0].Date != "2026-12-28" || f.DoneBy[0].Weeks != 5 || f.DoneBy[1].Weeks < 5 {
		t.Errorf("forecast %+v", p.Forecast)
	}

	rows := map[string]HealthRow{}
	for _, h := range p.Health {
		rows[h.Metric] = h
	}
	for _, tc := range []struct {
		metric           string
		cur, prev4, base float64
		prevN, baseN     int
		trend            string
	}{
		// Throughput W43–W46: 7, 6, 7, 6 → 6.5. W36–W46: 5,6,7,5,6,8,6,7,6,7,6 → sorted median (6th of 11) = 6.
		{"throughput", 3, 6.5, 6, 4, 11, TrendDown},
		// WIP W43–W46: 8, 8, 9, 8 → 8.25, shown as 8.3 (1 decimal). W36–W46: 7,8,6,8,7,8,9,8,8,9,8 → median 8.
		{"wip", 14, 8.3, 8, 4, 11, TrendUp},
		// Cycle p85 W43–W46: 4.0, 4.0, 3.5, 4.5 → 4.0; W36–W46 sorted 3.5,3.5,3.5,4,4,4,4,4,4.5,4.5,5 → 4.
		{"cycle_time_p85", 7.5, 4.0, 4.0, 4, 11, TrendUp},
		// Say/do: sprint 21 vs 17–20 (0.85, 0.90, 0.80, 0.85 → 0.85) and 15–20 (median of 0.80,0.82,0.85,0.85,0.90,0.90 = 0.85).
		{"say_do", 0.62, 0.85, 0.85, 4, 6, TrendDown},
		// Completed: 27 vs 30, 31, 26, 29 → 29; 15–20: 31,29,30,31,26,29 → median of 26,29,29,30,31,31 = 29.5.
		{"completed", 27, 29, 29.5, 4, 6, TrendFlat},
	} {
		h := rows[tc.metric]
		if h.Current == nil || h.Previous4 == nil || h.Baseline == nil ||
			!near(*h.Current, tc.cur) || !near(*h.Previous4, tc.prev4) || !near(*h.Baseline, tc.base) ||
			h.Previous4N != tc.prevN || h.BaselineN != tc.baseN || h.Trend != tc.trend {
			t.Errorf("%s: got %s, want cur %v prev4 %v (%d) base %v (%d) %s", tc.metric, fmtRow(h), tc.cur, tc.prev4, tc.prevN, tc.base, tc.baseN, tc.trend)
		}
	}
}

func fmtRow(h HealthRow) string {
	return "cur " + optNum(h.Current) + " prev4 " + optNum(h.Previous4) + " base " + optNum(h.Baseline) + " " + h.Trend
}

// A sprint that closed after the report week belongs to a later report;
// a week with no KPIs leaves the flow figures null.
func TestBuildWindowEdges(t *testing.T) {
	loc := mustLoc(t)
	in := fixtureInput(t)
	in.Week = ISOWeek{2026, 43} // 19–25 October: sprint 20 closes on 28 October
	p := teamByID(t, mustBuild(t, in), 12)
	last := p.Sprints[len(p.Sprints)-1]
	if last.Name != "PAY Sprint 19" {
		t.Errorf("last sprint of W43 = %s, want PAY Sprint 19", last.Name)
	}
	// The running sprint 22 started after W43: not listed either.
	for _, s := range p.Sprints {
		if s.Partial {
			t.Errorf("running sprint %s listed in W43", s.Name)
		}
	}
	in.Week = ISOWeek{2026, 30} // before any weekly KPI
	p = teamByID(t, mustBuild(t, in), 12)
	if p.WeekData || p.CycleTimeDays.P85 != nil || p.Throughput != 0 || len(p.Weeks) != 0 {
		t.Errorf("W30: week_data %v, p85 %v, weeks %d", p.WeekData, p.CycleTimeDays.P85, len(p.Weeks))
	}
	_ = loc
}

func TestEscaping(t *testing.T) {
	r := mustBuild(t, fixtureInput(t))
	var md, html bytes.Buffer
	if err := RenderMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := RenderHTML(&html, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), `### Mobile &lt;iOS & Android&gt; \| apps (board 34)`) ||
		!strings.Contains(md.String(), `Login \| \*redesign\*`) {
		t.Error("markdown does not escape the board name or goal")
	}
	if strings.Contains(html.String(), "<iOS") || strings.Contains(html.String(), "<notifications>") ||
		!strings.Contains(html.String(), "Mobile &lt;iOS &amp; Android&gt; | apps") {
		t.Error("html does not escape the board name or goal")
	}
}

// The HTML report must open anywhere, offline: no scripts, no external
// stylesheets, images or fonts; links only to definitions and in-page anchors.
func TestHTMLSelfContained(t *testing.T) {
	r := mustBuild(t, fixtureInput(t))
	var buf bytes.Buffer
	if err := RenderHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	h := buf.String()
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "@import", "url(", " src="} {
		if strings.Contains(h, bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(h, -1) {
		if !strings.HasPrefix(m[1], "#") && !strings.HasPrefix(m[1], r.DocsBaseURL+"metrics.md") && !strings.HasPrefix(m[1], r.DocsBaseURL+"outcomes.md") {
			t.Errorf("unexpected link %q", m[1])
		}
	}
	// Four charts per team.
	if n := strings.Count(h, `<svg class="chart"`); n != 8 {
		t.Errorf("%d charts, want 8", n)
	}
	if !strings.Contains(h, `name="viewport"`) {
		t.Error("no viewport meta: unreadable on a phone")
	}
}

// Every figure links to its definition: each anchor used must be a heading
// of the docs page it points into (GitHub's anchor rules).
func TestAnchorsMatchDocs(t *testing.T) {
	headings := map[string]map[string]bool{}
	for metric, target := range anchors {
		page, a, _ := strings.Cut(target, "#")
		if headings[page] == nil {
			doc, err := os.ReadFile(filepath.Join("../../docs", page))
			if err != nil {
				t.Errorf("%s links to %s: %v", metric, page, err)
				continue
			}
			headings[page] = map[string]bool{}
			for _, line := range strings.Split(string(doc), "\n") {
				if strings.HasPrefix(line, "#") {
					headings[page][slug(strings.TrimLeft(line, "# "))] = true
				}
			}
		}
		if a == "" || !headings[page][a] {
			t.Errorf("%s links to %s#%s, which is no heading of docs/%s", metric, page, a, page)
		}
	}
}

// slug is GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ' || r == '-':
			b.WriteRune('-')
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r > 127 && (r < 0x2000 || r > 0x2BFF):
			b.WriteRune(r)
		}
	}
	return b.String()
}
