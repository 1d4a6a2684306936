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
	s.legend([2]string{shortLabel(o.Name, 24) + " (" + arrow + ")", colOutcome})
	// The after windows' key, at the bottom: one swatch per verdict shown,
	// in the bands' colour.
	var keys []legendKey
	seen := map[string]bool{}
	for _, r := range o.ReleasesInChart() {
		if v := verdictText(r.Verdict); !seen[v] {
			seen[v] = true
			keys = append(keys, legendKey{label: v, colour: verdictColour(r.Verdict), opacity: 0.35})
		}
	}
	if len(keys) > 0 {
		s.text(padL, chartH-4, "start", 9, "#333", "after window:")
		s.keysAt(padL+4+textWidth("after window:", 9), chartH-4, 9, keys)
	}
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
	s.unitLabel(o.Unit)

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
	var rows []float64 // per label row, the right end of its last label
	for _, r := range rels {
		xr := x(r.at)
		s.f(`<g class="release-marker"><title>%s</title>`, html.EscapeString(fmt.Sprintf("Release %s on %s", r.Name, r.Date)))
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.2" stroke-dasharray="4 2"/>`, xr, padT, xr, plotBottom, colRelease)
		if lx, row, anchor, ok := placeLabel(&rows, xr, shortLabel(r.Name, 14)); ok {
			s.text(lx, padT+9+releaseRowH*float64(row), anchor, 9, colRelease, shortLabel(r.Name, 14))
		}
		s.b.WriteString(`</g>`)
	}
	// Date labels: the last value's, then every step-th before it, each
	// kept inside the plot's width and left out where it would touch the
	// label after it.
	step2 := max(1, (len(o.Series)+4)/5)
	next := math.Inf(1) // left end of the label placed last (to the right)
	for i := len(o.Series) - 1; i >= 0; i -= step2 {
		lbl := o.Series[i].at.Format("Jan 2")
		w := textWidth(lbl, 9)
		lx := min(max(x(o.Series[i].at)-w/2, padL), chartW-padR-w)
		if lx+w+4 > next {
			continue
		}
		s.text(lx, plotBottom+12, "start", 9, "#333", lbl)
		next = lx
	}
	return s.done()
}

// releaseRowH is the distance between rows of release labels; maxReleaseRows
// how many rows there are before a label is left out (its marker keeps the
// name in its tooltip).
const (
	releaseRowH    = 11.0
	maxReleaseRows = 3
)

// placeLabel places a release label beside its marker at xr: to the right
// (or, near the right edge, to the left), in the first row whose labels end
// before it starts. Markers come in date order, so each row fills left to
// right. ok is false when every row is taken there.
func placeLabel(rows *[]float64, xr float64, txt string) (lx float64, row int, anchor string, ok bool) {
	w := textWidth(txt, 9)
	x0, anchor, lx := xr+2, "start", xr+2
	if x0+w > chartW-padR {
		x0, anchor, lx = xr-2-w, "end", xr-2
	}
	for i, end := range *rows {
		if end+4 <= x0 {
			(*rows)[i] = x0 + w
			return lx, i, anchor, true
		}
	}
	if len(*rows) < maxReleaseRows {
		*rows = append(*rows, x0+w)
		return lx, len(*rows) - 1, anchor, true
	}
	return 0, 0, "", false
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
