package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// Charts are inline SVG built here rather than in the template: the
// geometry is arithmetic, and every piece of text that comes from data goes
// through html.EscapeString. The viewBox is small (400 units wide) so that
// the text stays legible when the chart is scaled down to a phone's width.

const (
	chartW              = 400.0
	chartH              = 210.0
	padL, padR          = 34.0, 8.0
	padT, padB          = 32.0, 30.0
	colCommitted        = "#9aa5b1"
	colCompleted        = "#2b7a4b"
	colThroughput       = "#3b6fb6"
	colWIP              = "#c77c0e"
	colEscaped          = "#c0392b"
	colFound            = "#efc3bd"
	colDot              = "#3b6fb6"
	colP50, colP85      = "#2b7a4b", "#c0392b"
	colWeeklyP85        = "#7d3c98"
	plotW, plotH        = chartW - padL - padR, chartH - padT - padB
	plotBottom          = padT + plotH
	emptyChartMessageFS = 11
)

type svg struct{ b strings.Builder }

func newSVG(title string) *svg {
	s := &svg{}
	fmt.Fprintf(&s.b, `<svg class="chart" viewBox="0 0 %g %g" width="100%%" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(&s.b, `<title>%s</title>`, html.EscapeString(title))
	return s
}

func (s *svg) f(format string, a ...any) { fmt.Fprintf(&s.b, format, a...) }

func (s *svg) text(x, y float64, anchor string, size float64, fill, txt string) {
	s.f(`<text x="%.1f" y="%.1f" text-anchor="%s" font-size="%g" fill="%s">%s</text>`, x, y, anchor, size, fill, html.EscapeString(txt))
}

func (s *svg) done() template.HTML {
	s.b.WriteString(`</svg>`)
	return template.HTML(s.b.String()) //nolint:gosec // every data string above is escaped
}

// legend draws coloured keys left to right at the top.
func (s *svg) legend(items ...[2]string) {
	keys := make([]legendKey, len(items))
	for i, it := range items {
		keys[i] = legendKey{label: it[0], colour: it[1], opacity: 1}
	}
	s.legendKeys(keys)
}

// legendKey is one key of a legend: a swatch of colour at opacity.
type legendKey struct {
	label, colour string
	opacity       float64
}

func (s *svg) legendKeys(keys []legendKey) { s.keysAt(padL, 15, 11, keys) }

// keysAt draws legend keys left to right from x on the text baseline y.
func (s *svg) keysAt(x, y, size float64, keys []legendKey) {
	for _, k := range keys {
		op := ""
		if k.opacity < 1 {
			op = fmt.Sprintf(` fill-opacity="%g"`, k.opacity)
		}
		sw := size - 1
		s.f(`<rect x="%.1f" y="%.1f" width="%g" height="%g" fill="%s"%s/>`, x, y-sw+0.5, sw, sw, k.colour, op)
		s.text(x+sw+4, y, "start", size, "#333", k.label)
		x += sw + 8 + textWidth(k.label, size)
	}
}

// unitLabel names the y axis's unit above the plot's top left corner,
// inside the chart (a long unit such as "defects" would not fit left of
// the axis).
func (s *svg) unitLabel(unit string) {
	if unit != "" {
		s.text(padL+2, padT-4, "start", 9, "#555", unit)
	}
}

// textWidth estimates the width of text at a font size in SVG units: 0.6
// em a character, a little more than system-ui's average, so that layouts
// built on it leave room (the browser test measures the real boxes).
func textWidth(txt string, size float64) float64 {
	return 0.6 * size * float64(utf8.RuneCountInString(txt))
}

// yAxis draws gridlines and labels for 0..top and returns the y of a value.
func (s *svg) yAxis(top float64, unit string) func(float64) float64 {
	y := func(v float64) float64 { return plotBottom - v/top*plotH }
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		yy := y(v)
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd" stroke-width="0.6"/>`, padL, yy, chartW-padR, yy)
		s.text(padL-4, yy+3.5, "end", 10, "#555", fmtNum(v))
	}
	s.unitLabel(unit)
	return y
}

func (s *svg) empty(msg string) template.HTML {
	s.text(chartW/2, chartH/2, "middle", emptyChartMessageFS, "#555", msg)
	return s.done()
}

// niceTop returns the top of a y axis with four gridlines whose step is 1,
// 2, 3 or 5 × 10^k, so that the gridlines fall on readable values.
func niceTop(m float64) float64 {
	if m <= 0 {
		return 4
	}
	raw := m / 4
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, f := range []float64{1, 2, 3, 5, 10} {
		if f*p >= raw {
			return 4 * f * p
		}
	}
	return 40 * p
}

// sprintLabels shortens sprint names for the x axis by dropping the words
// they all start with ("PAY Sprint 15" → "15").
func sprintLabels(sps []Sprint) []string {
	words := make([][]string, len(sps))
	for i, s := range sps {
		words[i] = strings.Fields(s.Name)
	}
	common := 0
	if len(sps) > 1 {
	outer:
		for ; ; common++ {
			for _, w := range words {
				if common >= len(w)-1 || w[common] != words[0][common] {
					break outer
				}
			}
		}
	}
	out := make([]string, len(sps))
	for i, w := range words {
		l := strings.Join(w[min(common, len(w)):], " ")
		if l == "" {
			l = sps[i].Name
		}
		out[i] = shortLabel(l, 9)
	}
	return out
}

func shortLabel(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// VelocityChart draws committed vs completed for the team's sprints.
func VelocityChart(t Team) template.HTML {
	s := newSVG(fmt.Sprintf("Velocity of %s: committed vs completed %s, last %d sprints", t.BoardName, t.Unit, len(t.Sprints)))
	if len(t.Sprints) == 0 {
		return s.empty("No sprints yet")
	}
	s.legend([2]string{"committed", colCommitted}, [2]string{"completed", colCompleted})
	m := 0.0
	for _, sp := range t.Sprints {
		m = max(m, sp.CommittedPoints, sp.CompletedPoints)
	}
	y := s.yAxis(niceTop(m), t.Unit)
	slot := plotW / float64(len(t.Sprints))
	bw := min(slot*0.36, 18)
	labels := sprintLabels(t.Sprints)
	for i, sp := range t.Sprints {
		cx := padL + slot*(float64(i)+0.5)
		op := ""
		if sp.Partial {
			op = ` fill-opacity="0.45"`
		}
		for j, bar := range []struct {
			v   float64
			col string
			lbl string
		}{{sp.CommittedPoints, colCommitted, "committed"}, {sp.CompletedPoints, colCompleted, "completed"}} {
			x := cx - bw + float64(j)*bw
			s.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"%s><title>%s</title></rect>`,
				x, y(bar.v), bw-1, plotBottom-y(bar.v), bar.col, op,
				html.EscapeString(fmt.Sprintf("%s: %s %s", sp.Name, bar.lbl, fmtQty(bar.v, t.Unit))))
		}
		lbl := labels[i]
		if sp.Partial {
			lbl += "*"
		}
		s.text(cx, plotBottom+12, "middle", 9, "#333", lbl)
	}
	if last := t.Sprints[len(t.Sprints)-1]; last.Partial {
		s.text(chartW-padR, chartH-4, "end", 9, "#555", "* still running")
	}
	return s.done()
}

// CycleScatter draws each finished issue's cycle time against the day it
// was done, with the p50 and p85 of the plotted issues (all charted weeks)
// as dashed lines and each week's own p85 (the figure of the card and the
// health table) as a line through the weeks. The y axis keeps the body
// readable: see scatterTop; issues above it are drawn as ▲ markers (class
// "clipped") on the top edge, with their value in the tooltip and a note.
func CycleScatter(t Team) template.HTML {
	s := newSVG(fmt.Sprintf("Cycle time of %s: one dot per finished issue, with p50 and p85 of the %d charted weeks and each week's p85", t.BoardName, len(t.Weeks)))
	if len(t.CycleTimes) == 0 || len(t.Weeks) == 0 {
		return s.empty("No finished issues with a cycle time in these weeks")
	}
	from, err1 := time.Parse(time.DateOnly, t.Weeks[0].WeekStart)
	last, err2 := time.Parse(time.DateOnly, t.Weeks[len(t.Weeks)-1].WeekStart)
	if err1 != nil || err2 != nil {
		return s.empty("No week range")
	}
	days := last.Sub(from).Hours()/24 + 7
	var xs []float64
	for _, c := range t.CycleTimes {
		xs = append(xs, c.CycleDays)
	}
	slices.Sort(xs)
	p50, p85 := metrics.Percentile(xs, 50), metrics.Percentile(xs, 85)
	top := scatterTop(xs)
	wk := fmt.Sprintf("%d-wk ", len(t.Weeks))
	s.legend([2]string{wk + "p50 " + fmtDays(p50) + " d", colP50}, [2]string{wk + "p85 " + fmtDays(p85) + " d", colP85},
		[2]string{"weekly p85", colWeeklyP85})
	y := s.yAxis(top, "days")
	x := func(d float64) float64 { return padL + d/days*plotW }
	clipped := 0
	for _, c := range t.CycleTimes {
		d, err := time.Parse(time.DateOnly, c.Done)
		if err != nil {
			continue
		}
		cx := x(d.Sub(from).Hours()/24 + 0.5)
		tip := fmt.Sprintf("%s (%s): %s days, done %s", c.Key, c.Type, fmtDays(c.CycleDays), c.Done)
		if c.CycleDays > top {
			clipped++
			s.f(`<path class="clipped" d="M%.1f %.1fl4 7h-8z" fill="%s"><title>%s</title></path>`,
				cx, padT, colP85, html.EscapeString(tip+", off the scale"))
			continue
		}
		s.f(`<circle cx="%.1f" cy="%.1f" r="3" fill="%s" fill-opacity="0.7"><title>%s</title></circle>`,
			cx, y(c.CycleDays), colDot, html.EscapeString(tip))
	}
	for _, l := range []struct {
		v   float64
		col string
	}{{p50, colP50}, {p85, colP85}} {
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.2" stroke-dasharray="5 3"/>`,
			padL, y(min(l.v, top)), chartW-padR, y(min(l.v, top)), l.col)
	}
	weekX := func(i int) float64 { return x(7*float64(i) + 3.5) }
	var pts []string
	for i, w := range t.Weeks {
		if w.CycleP85 != nil {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", weekX(i), y(min(*w.CycleP85, top))))
		}
	}
	if len(pts) > 0 {
		s.f(`<polyline class="weekly-p85" points="%s" fill="none" stroke="%s" stroke-width="1.4"/>`, strings.Join(pts, " "), colWeeklyP85)
	}
	s.weekLabels(t.Weeks, weekX)
	if clipped > 0 {
		s.text(chartW-padR, chartH-4, "end", 9, "#555", fmt.Sprintf("▲ %s above %s d (max %s d)",
			plural(clipped, "issue", "issues"), fmtNum(top), fmtNum(xs[len(xs)-1])))
	}
	return s.done()
}

// scatterTop is the top of the scatter's y axis for the sorted values xs.
// It normally covers the largest value. When a few outliers would squash
// the rest onto the floor it stops at niceTop(1.25 × body), body being the
// largest value once the top 5 % (at least one value) are set aside, if the
// largest value is more than 1.5 times that top.
func scatterTop(xs []float64) float64 {
	n := len(xs)
	top := niceTop(xs[n-1])
	if n < 5 {
		return top
	}
	k := max(1, int(math.Ceil(0.05*float64(n))))
	capped := niceTop(1.25 * xs[n-1-k])
	if xs[n-1] > 1.5*capped {
		return capped
	}
	return top
}

func (s *svg) weekLabels(ws []WeekPoint, x func(int) float64) {
	step := 1
	if len(ws) > 6 {
		step = 2
	}
	for i := len(ws) - 1; i >= 0; i -= step { // always label the report week
		w := ws[i].Week
		if k := strings.Index(w, "-"); k >= 0 {
			w = w[k+1:]
		}
		s.text(x(i), plotBottom+12, "middle", 9, "#333", w)
	}
}

// FlowChart draws throughput (bars) and WIP (line) per week.
func FlowChart(t Team) template.HTML {
	s := newSVG(fmt.Sprintf("Throughput and WIP of %s per week", t.BoardName))
	if len(t.Weeks) == 0 {
		return s.empty("No weekly data yet")
	}
	s.legend([2]string{"throughput", colThroughput}, [2]string{"WIP", colWIP})
	m := 0.0
	for _, w := range t.Weeks {
		m = max(m, float64(w.Throughput), float64(w.WIP))
	}
	y := s.yAxis(niceTop(m), "issues")
	slot := plotW / float64(len(t.Weeks))
	bw := min(slot*0.6, 22)
	cx := func(i int) float64 { return padL + slot*(float64(i)+0.5) }
	var pts []string
	for i, w := range t.Weeks {
		s.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
			cx(i)-bw/2, y(float64(w.Throughput)), bw, plotBottom-y(float64(w.Throughput)), colThroughput,
			html.EscapeString(fmt.Sprintf("%s: %d done, WIP %d", w.Week, w.Throughput, w.WIP)))
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", cx(i), y(float64(w.WIP))))
	}
	s.f(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pts, " "), colWIP)
	for i, w := range t.Weeks {
		s.f(`<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`, cx(i), y(float64(w.WIP)), colWIP)
	}
	s.weekLabels(t.Weeks, cx)
	return s.done()
}

// DefectsChart draws escaped defects per week over all defects found.
func DefectsChart(t Team) template.HTML {
	s := newSVG(fmt.Sprintf("Escaped defects of %s per week", t.BoardName))
	if len(t.Weeks) == 0 {
		return s.empty("No weekly data yet")
	}
	s.legend([2]string{"escaped", colEscaped}, [2]string{"all defects found", colFound})
	m := 0.0
	for _, w := range t.Weeks {
		m = max(m, float64(w.DefectsFound), float64(w.EscapedDefects))
	}
	y := s.yAxis(niceTop(m), "defects")
	slot := plotW / float64(len(t.Weeks))
	bw := min(slot*0.6, 22)
	cx := func(i int) float64 { return padL + slot*(float64(i)+0.5) }
	for i, w := range t.Weeks {
		tip := html.EscapeString(fmt.Sprintf("%s: %d escaped of %d found", w.Week, w.EscapedDefects, w.DefectsFound))
		s.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
			cx(i)-bw/2, y(float64(w.DefectsFound)), bw, plotBottom-y(float64(w.DefectsFound)), colFound, tip)
		s.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
			cx(i)-bw/2, y(float64(w.EscapedDefects)), bw, plotBottom-y(float64(w.EscapedDefects)), colEscaped, tip)
	}
	s.weekLabels(t.Weeks, cx)
	return s.done()
}

// Sparkline draws an outcome series as a small line.
func Sparkline(o Outcome) template.HTML {
	const w, h = 120.0, 28.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		w, h, w, h, html.EscapeString("Trend of "+o.Name))
	if len(o.Series) > 1 {
		lo, hi := o.Series[0].Value, o.Series[0].Value
		for _, p := range o.Series {
			lo, hi = min(lo, p.Value), max(hi, p.Value)
		}
		if hi == lo {
			hi = lo + 1
		}
		var pts []string
		for i, p := range o.Series {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", 2+float64(i)/float64(len(o.Series)-1)*(w-4), h-2-(p.Value-lo)/(hi-lo)*(h-4)))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"/>`, strings.Join(pts, " "), colThroughput)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // the name is escaped
}
