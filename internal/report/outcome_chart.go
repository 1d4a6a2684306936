package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// Colours of the outcome chart: the series, and the after window of a
// release by its verdict (the verdict already says, by the outcome's
// direction, whether the move was good): green only for improved beyond
// the prior trend and its noise, red for worsened, grey otherwise.
const (
	colOutcome   = "#3b6fb6"
	colRelease   = "#5b6670"
	colImproved  = "#2b7a4b"
	colWorsened  = "#c0392b"
	colUndecided = "#9aa5b1"
)

func verdictColour(v string) string {
	switch v {
	case VerdictImproved:
		return colImproved
	case VerdictWorsened:
		return colWorsened
	}
	return colUndecided
}

// OutcomeChart draws an outcome's series against time, from its first
// value to the report week's end, with a vertical marker (class
// "release-marker", labelled with the name) for each release in that span
// and its after window shaded in the colour of its verdict.
func OutcomeChart(o Outcome) template.HTML {
	dir := "higher is better"
	if o.Direction == DirectionLowerIsBetter {
		dir = "lower is better"
	}
	s := newSVG(fmt.Sprintf("%s (%s) per week, %s, with %s marked", o.Name, o.Unit, dir, plural(len(o.ReleasesInChart()), "linked release", "linked releases")))
	if len(o.Series) == 0 {
		return s.empty("No values in these weeks")
	}
	arrow := "↑ better"
	if o.Direction == DirectionLowerIsBetter {
		arrow = "↓ better"
	}
	s.legend([2]string{shortLabel(o.Name, 24) + " (" + arrow + ")", colOutcome}, [2]string{"after window", colUndecided})
	from, to := mondayOf(o.from), o.to
	span := to.Sub(from).Hours()
	x := func(t time.Time) float64 { return padL + t.Sub(from).Hours()/span*plotW }
	lo, hi := o.Series[0].Value, o.Series[0].Value
	for _, p := range o.Series {
		lo, hi = min(lo, p.Value), max(hi, p.Value)
	}
	// A y span of at least 10 % of the level: a series flat within ±2 %
	// must look flat, not fill the chart with its noise.
	if mid := (lo + hi) / 2; hi-lo < 0.1*math.Abs(mid) {
		lo, hi = mid-0.05*math.Abs(mid), mid+0.05*math.Abs(mid)
	}
	bottom, step := niceRange(lo, hi)
	top := bottom + 4*step
	y := func(v float64) float64 { return plotBottom - (v-bottom)/(top-bottom)*plotH }
	for i := 0; i <= 4; i++ {
		v := bottom + step*float64(i)
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd" stroke-width="0.6"/>`, padL, y(v), chartW-padR, y(v))
		s.text(padL-4, y(v)+3.5, "end", 10, "#555", fmtCompact(v))
	}
	if o.Unit != "" {
		s.text(padL-4, padT-8, "end", 9, "#555", o.Unit)
	}

	// After windows first, so that the line and the markers are drawn over them.
	rels := o.ReleasesInChart()
	for _, r := range rels {
		a, b := r.afterStart, r.afterEnd
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if !a.Before(b) {
			continue
		}
		s.f(`<rect class="after-window" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="0.16"><title>%s</title></rect>`,
			x(a), padT, x(b)-x(a), plotH, verdictColour(r.Verdict),
			html.EscapeString(fmt.Sprintf("After release %s: %s to %s, %s", r.Name, r.AfterStart, r.AfterEnd, verdictText(r.Verdict))))
	}
	var pts []string
	for _, p := range o.Series {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.at), y(p.Value)))
	}
	if len(pts) > 1 {
		s.f(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pts, " "), colOutcome)
	}
	for _, p := range o.Series {
		s.f(`<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s</title></circle>`, x(p.at), y(p.Value), colOutcome,
			html.EscapeString(fmt.Sprintf("%s: %s %s", p.Date, fmtNum(p.Value), o.Unit)))
	}
	for i, r := range rels {
		xr := x(r.at)
		s.f(`<g class="release-marker"><title>%s</title>`, html.EscapeString(fmt.Sprintf("Release %s on %s", r.Name, r.Date)))
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.2" stroke-dasharray="4 2"/>`, xr, padT, xr, plotBottom, colRelease)
		anchor, lx := "start", xr+2
		if xr > chartW-padR-60 {
			anchor, lx = "end", xr-2
		}
		s.text(lx, padT+9+10*float64(i%2), anchor, 9, colRelease, shortLabel(r.Name, 14))
		s.b.WriteString(`</g>`)
	}
	// Date labels: the last value's, then every step-th before it.
	step2 := max(1, (len(o.Series)+4)/5)
	for i := len(o.Series) - 1; i >= 0; i -= step2 {
		s.text(x(o.Series[i].at), plotBottom+12, "middle", 9, "#333", o.Series[i].at.Format("Jan 2"))
	}
	return s.done()
}

// ReleasesInChart returns the releases dated within the chart's span: the
// first value's week to the report week's end.
func (o Outcome) ReleasesInChart() []ReleaseWindow {
	if len(o.Series) == 0 {
		return nil
	}
	from := mondayOf(o.from)
	var out []ReleaseWindow
	for _, r := range o.Releases {
		if !r.at.Before(from) && r.at.Before(o.to) {
			out = append(out, r)
		}
	}
	return out
}

// niceRange returns the bottom of a y axis and a step of 1, 2, 2.5 or 5 ×
// 10^k such that bottom + 4 steps covers lo..hi. Outcomes are not drawn
// from zero: MRR moving from 120k to 133k must show.
func niceRange(lo, hi float64) (bottom, step float64) {
	if hi == lo {
		d := math.Max(math.Abs(lo)*0.05, 1)
		lo, hi = lo-d, hi+d
	}
	raw := (hi - lo) / 4
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, f := range []float64{1, 2, 2.5, 5, 10, 20} {
		step = f * p
		bottom = math.Floor(lo/step) * step
		if bottom+4*step >= hi {
			return bottom, step
		}
	}
	return bottom, step
}

// fmtCompact formats an axis value in at most about five characters:
// 950, 12.5k, 1.2M.
func fmtCompact(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strconv.FormatFloat(math.Round(v/1e5)/10, 'f', -1, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(math.Round(v/1e2)/10, 'f', -1, 64) + "k"
	case a >= 100:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

func verdictText(v string) string {
	switch v {
	case VerdictImproved:
		return "improved"
	case VerdictWorsened:
		return "worsened"
	case VerdictContinuesTrend:
		return "continues prior trend"
	case VerdictWithinNoise:
		return "within noise"
	}
	return "not enough data"
}
