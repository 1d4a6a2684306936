package report

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// outlierTeam is the Payments fixture with one more issue, PAY-999, done
// on 2026-11-18 after 147 days in progress, beside the 16 plotted issues
// of 2.2 to 9.0 days.
func outlierTeam(t testing.TB) (Input, Team) {
	in := fixtureInput(t)
	loc := in.Location
	in.Teams[0].Cycles = append(in.Teams[0].Cycles, metrics.IssueCycle{IssueID: 999, Key: "PAY-999", Type: "Story",
		Done: day(loc, "2026-11-18"), CycleDays: f64(147)})
	return in, teamByID(t, mustBuild(t, in), 12)
}

var (
	reCircleY  = regexp.MustCompile(`<circle cx="[0-9.]+" cy="([0-9.]+)" r="3"`)
	reAxisText = regexp.MustCompile(`<text x="30.0" y="([0-9.]+)" text-anchor="end" font-size="10" fill="#555">([0-9.]+)</text>`)
)

// One 147-day outlier must not squash the other 16 issues onto the floor.
// 17 values: the top 5 % (at least one, here PAY-999) set aside, the
// largest of the rest is 9.0 days; the axis stops at niceTop(1.25 × 9.0 =
// 11.25) = 12 days (steps of 3), since 147 > 1.5 × 12. PAY-999 is drawn as a
// clipped marker at the top with its true value, and the chart says so.
func TestCycleScatterClipsOutliers(t *testing.T) {
	_, p := outlierTeam(t)
	svg := string(CycleScatter(p))
	ticks := reAxisText.FindAllStringSubmatch(svg, -1)
	if len(ticks) != 5 || ticks[4][2] != "12" {
		t.Fatalf("y axis ticks %v, want 0 … 12", ticks)
	}
	if n := strings.Count(svg, `class="clipped"`); n != 1 {
		t.Errorf("%d clipped markers, want 1 (PAY-999)", n)
	}
	if !strings.Contains(svg, "PAY-999 (Story): 147.0 days, done 2026-11-18, off the scale") {
		t.Errorf("the clipped marker does not give PAY-999's value")
	}
	if !strings.Contains(svg, "▲ 1 issue above 12 d (max 147 d)") {
		t.Errorf("the chart does not say what is clipped:\n%s", svg)
	}
	// The body fills the plot (148 units high, its floor at y 180): the
	// 9.0-day dot (PAY-199) is at 9/12 of its height, y = 180 − 9/12 × 148 =
	// 69 (on an axis up to niceTop(147) = 200: 180 − 9/200 × 148 = 173.3).
	var ys []float64
	for _, m := range reCircleY.FindAllStringSubmatch(svg, -1) {
		y, _ := strconv.ParseFloat(m[1], 64)
		ys = append(ys, y)
	}
	if len(ys) != 16 || ys[15] != 69 {
		t.Errorf("dots at %v, want 16 with PAY-199 at y 69", ys)
	}
	// The percentiles are of every plotted issue, the outlier included:
	// 17 values, p85 = rank ⌈14.45⌉ = 15 → 7.5 days.
	if !strings.Contains(svg, "p85 7.5 d") {
		t.Errorf("p85 legend changed by the clipping")
	}
	// No outlier, no clipping: the fixture's axis stops at niceTop(9.0) = 12 with no marker.
	plain := string(CycleScatter(teamByID(t, mustBuild(t, fixtureInput(t)), 12)))
	if strings.Contains(plain, `class="clipped"`) || strings.Contains(plain, "above") {
		t.Errorf("fixture without outliers is clipped")
	}
}

// The scatter's percentiles cover the 12 charted weeks and say so; each
// week's own p85 (the figure of the card and the health table) is drawn as
// its own line, one vertex per week with issues: W36–W47, 12 vertices.
// The 16 plotted values sorted: 2.2 2.4 2.7 2.9 3.1 3.2 3.4 3.6 4.0 4.1 4.4
// 4.5 5.0 5.5 7.5 9.0: p50 = rank 8 → 3.6, p85 = rank ⌈13.6⌉ = 14 → 5.5,
// while the card's p85 (W47's issues only) is 7.5.
func TestCycleScatterWeeklyP85(t *testing.T) {
	p := teamByID(t, mustBuild(t, fixtureInput(t)), 12)
	svg := string(CycleScatter(p))
	for _, want := range []string{"12-wk p50 3.6 d", "12-wk p85 5.5 d", "weekly p85"} {
		if !strings.Contains(svg, want) {
			t.Errorf("scatter lacks legend %q", want)
		}
	}
	m := regexp.MustCompile(`<polyline class="weekly-p85" points="([^"]*)"`).FindStringSubmatch(svg)
	if m == nil || len(strings.Fields(m[1])) != 12 {
		t.Fatalf("weekly p85 line: %v", m)
	}
	// W47's p85 is 7.5 days: its vertex (the last) at y = 180 − 7.5/12 × 148 = 87.5.
	last := strings.Fields(m[1])[11]
	if !strings.HasSuffix(last, ",87.5") {
		t.Errorf("W47 vertex %s, want y 87.5", last)
	}
	var h bytes.Buffer
	if err := RenderHTML(&h, mustBuild(t, fixtureInput(t))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.String(), ">Cycle time p85, this week</a>") {
		t.Errorf("the card does not say its p85 is this week's")
	}
}

// Each ▲/▼ of the health table is coloured by whether the move is good:
// Payments W47 throughput fell 6.5 → 3 (higher is better: worse), WIP rose
// 8.5 → 14 (lower is better: worse); say/do fell (worse); completed has no
// better direction (no colour).
func TestHealthArrowsColoured(t *testing.T) {
	r := mustBuild(t, fixtureInput(t))
	var h, m bytes.Buffer
	if err := RenderHTML(&h, r); err != nil {
		t.Fatal(err)
	}
	if err := RenderMarkdown(&m, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`Throughput \(issues done\)</a></td>(<td class="n">[^<]*</td>){3}<td class="trend worse">▼</td>`,
		`WIP at week end</a></td>(<td class="n">[^<]*</td>){3}<td class="trend worse">▲</td>`,
		`Say/do \(latest sprint\)</a></td>(<td class="n">[^<]*</td>){3}<td class="trend worse">▼</td>`,
	} {
		if !regexp.MustCompile(want).MatchString(h.String()) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	if !regexp.MustCompile(`Completed \(latest sprint\)</a></td>(<td class="n">[^<]*</td>){3}<td class="trend">`).MatchString(h.String()) {
		t.Errorf("completed (no better direction) is coloured")
	}
	if !strings.Contains(m.String(), "| ▼ worse |") {
		t.Errorf("Markdown does not say which arrow is worse")
	}
	if !strings.Contains(h.String(), ".trend.better{color:var(--good)}") {
		t.Errorf("no colour for better trends in the style")
	}
}

// Percentiles per issue type are shown. Payments W47 gets 3 issues: 2
// stories (cycle p50 5.5, p85 7.5) and a bug (9.0).
func TestPercentilesByType(t *testing.T) {
	in := fixtureInput(t)
	for i := range in.Teams[0].Weeks {
		if in.Teams[0].Weeks[i].ISOWeek == 47 {
			in.Teams[0].Weeks[i].ThroughputByType = map[string]int{"Story": 2, "Bug": 1}
			in.Teams[0].Weeks[i].CycleTimeByType = map[string]metrics.Distribution{
				"Story": {Count: 2, P50: 5.5, P85: 7.5, P95: 7.5, Mean: 6.5}, "Bug": {Count: 1, P50: 9, P85: 9, P95: 9, Mean: 9}}
			in.Teams[0].Weeks[i].LeadTimeByType = map[string]metrics.Distribution{
				"Story": {Count: 2, P50: 12, P85: 18, P95: 18, Mean: 15}, "Bug": {Count: 1, P50: 21, P85: 21, P95: 21, Mean: 21}}
		}
	}
	r := mustBuild(t, in)
	p := teamByID(t, r, 12)
	if len(p.ByType) != 2 || p.ByType[0].Type != "Story" || p.ByType[0].Throughput != 2 || *p.ByType[0].CycleTimeDays.P85 != 7.5 ||
		p.ByType[1].Type != "Bug" || *p.ByType[1].LeadTimeDays.P50 != 21 {
		t.Fatalf("by type = %+v", p.ByType)
	}
	md, html := renderBoth(t, r)
	if !strings.Contains(html, "<tr><td>Story</td><td class=\"n\">2</td><td class=\"n\">5.5</td><td class=\"n\">7.5</td><td class=\"n\">7.5</td><td class=\"n\">12.0</td><td class=\"n\">18.0</td><td class=\"n\">18.0</td></tr>") {
		t.Errorf("HTML lacks the Story row")
	}
	if !strings.Contains(md, "| Bug | 1 | 9.0 | 9.0 | 9.0 | 21.0 | 21.0 | 21.0 |") {
		t.Errorf("Markdown lacks the Bug row")
	}
}

// Release labels on an outcome chart: three releases a week apart in a
// 26-week chart sit about 15 units apart; each label is 9-unit text of up
// to 14 characters (≈ 70 units), so they must go on separate rows.
func TestOutcomeReleaseLabelsDoNotOverlap(t *testing.T) {
	loc := mustLoc(t)
	end := ISOWeek{2026, 47}.End(loc)
	var pts []OutcomePoint
	for i := range 26 {
		pts = append(pts, OutcomePoint{Date: end.AddDate(0, 0, -7*(26-i)), Value: 100 + float64(i)})
	}
	var rels []OutcomeRelease
	for i, n := range []string{"Checkout 4.1", "Checkout 4.2", "Checkout 4.3"} {
		rels = append(rels, OutcomeRelease{Name: n, Date: end.AddDate(0, 0, -7*(12-i)), Verdict: VerdictImproved,
			AfterStart: end.AddDate(0, 0, -7*(11-i)), AfterEnd: end.AddDate(0, 0, -7*(7-i))})
	}
	o := buildOutcome(OutcomeInput{Name: "MRR", Unit: "EUR", Points: pts, Releases: rels}, end, loc, DefaultDocsBaseURL)
	svg := string(OutcomeChart(o))
	boxes := textBoxes(t, svg, regexp.MustCompile(`Checkout 4\.\d`))
	if len(boxes) != 3 {
		t.Fatalf("%d release labels, want 3", len(boxes))
	}
	for i := range boxes {
		for j := i + 1; j < len(boxes); j++ {
			if boxes[i].overlaps(boxes[j]) {
				t.Errorf("release labels overlap: %+v and %+v", boxes[i], boxes[j])
			}
		}
	}
	// The after-window legend swatch has the bands' colour (improved: green).
	if !regexp.MustCompile(`fill="`+colImproved+`" fill-opacity="0.35"/><text [^>]*>improved</text>`).MatchString(svg) || !strings.Contains(svg, ">after window:</text>") {
		t.Errorf("legend swatch of the after window is not the improved colour:\n%s", svg)
	}
	if strings.Contains(svg, `fill="`+colUndecided+`"`) {
		t.Errorf("grey in a chart whose only windows improved")
	}
}

// A series of one or two values: no two axis labels overlap (the first
// date label used to sit on the lowest value label).
func TestShortSeriesAxisLabels(t *testing.T) {
	loc := mustLoc(t)
	end := ISOWeek{2026, 47}.End(loc)
	for n := 1; n <= 2; n++ {
		var pts []OutcomePoint
		for i := range n {
			pts = append(pts, OutcomePoint{Date: end.AddDate(0, 0, -7*(n-i)), Value: 24 + 0.3*float64(i)})
		}
		o := buildOutcome(OutcomeInput{Name: "Activation", Unit: "%", Points: pts}, end, loc, DefaultDocsBaseURL)
		svg := string(OutcomeChart(o))
		boxes := textBoxes(t, svg, nil)
		for i := range boxes {
			for j := i + 1; j < len(boxes); j++ {
				if boxes[i].overlaps(boxes[j]) {
					t.Errorf("%d points: %q and %q overlap", n, boxes[i].text, boxes[j].text)
				}
			}
		}
	}
}

// box is a text's estimated bounding box in SVG units: the same estimate
// (0.6 em a character, 1 em high) the layout uses; the browser test checks
// the real boxes.
type box struct {
	x0, y0, x1, y1 float64
	text           string
}

func (a box) overlaps(b box) bool { return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 }

var reText = regexp.MustCompile(`<text x="([0-9.-]+)" y="([0-9.-]+)" text-anchor="(\w+)" font-size="([0-9.]+)"[^>]*>([^<]*)</text>`)

func textBoxes(t *testing.T, svg string, only *regexp.Regexp) []box {
	t.Helper()
	var out []box
	for _, m := range reText.FindAllStringSubmatch(svg, -1) {
		if only != nil && !only.MatchString(m[5]) {
			continue
		}
		x, _ := strconv.ParseFloat(m[1], 64)
		y, _ := strconv.ParseFloat(m[2], 64)
		fs, _ := strconv.ParseFloat(m[4], 64)
		w := textWidth(m[5], fs)
		switch m[3] {
		case "middle":
			x -= w / 2
		case "end":
			x -= w
		}
		out = append(out, box{x, y - 0.8*fs, x + w, y + 0.2*fs, m[5]})
	}
	return out
}
