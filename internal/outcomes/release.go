package outcomes

import (
	"fmt"
	"math"
	"time"
)

// Release window verdicts (docs/outcomes.md#release-verdicts).
const (
	// VerdictImproved: the after window departs from what the pre-release
	// trend predicts by more than the noise band, in the good direction.
	VerdictImproved = "improved"
	// VerdictWorsened: the same in the bad direction.
	VerdictWorsened = "worsened"
	// VerdictContinuesTrend: the after window is within the noise band of
	// the prediction, and the weeks before had a trend beyond their noise:
	// the outcome went on as it was going.
	VerdictContinuesTrend = "continues_trend"
	// VerdictWithinNoise: within the noise band of the prediction, and no
	// trend before either.
	VerdictWithinNoise = "within_noise"
	// VerdictNoData: fewer than MinBeforeWeeks values before or no value
	// after the release.
	VerdictNoData = "no_data"
)

// MinBeforeWeeks is the fewest weeks with a value the before window needs:
// a line through 2 points fits them exactly and leaves nothing to measure
// the noise with.
const MinBeforeWeeks = 3

// monthlyBeforeWeeks is the before window of a monthly metric: 6 months,
// so that its line is fitted through about 6 values.
const monthlyBeforeWeeks = 26

// beforeWeeks is the length of the before window: twice the after window
// (8 weeks by default), 26 weeks for a monthly metric.
func beforeWeeks(m Metric, window int) int {
	n := 2 * window
	if m.Granularity == GranularityMonth {
		n = max(n, monthlyBeforeWeeks)
	}
	return n
}

// ValueWeeks is how many weeks of values, ending with the analysed week,
// Analyze may read with these options: the shown weeks, and before the
// first of them the longest baseline or before window. Load at least these.
func (o Options) ValueWeeks() int {
	o = o.withDefaults()
	return o.Weeks + max(o.BaselineWeeks, 5, 2*o.WindowWeeks, monthlyBeforeWeeks)
}

// ReleaseWindow compares an outcome after a linked release with what its
// trend before the release predicts. The before window is the BeforeWindow
// weeks before the release week (twice WindowWeeks; 26 for monthly
// metrics); the after window the WindowWeeks weeks starting LagWeeks after
// the release week, cut at the analysed week. Means are of weekly values.
//
// A least-squares line through the before window's weekly values
// (TrendPerWeek) is extrapolated over the after window's weeks; its mean
// there is Expected. The residuals' standard deviation NoiseSD gives Band,
// the half-width of the 95 % prediction interval of the after window's
// mean (Student t with BeforeWeeks−2 degrees of freedom). VsExpected beyond
// ±Band is improved or worsened (by the metric's direction); within it, the
// outcome continues its prior trend when the slope itself exceeds its own
// 95 % interval, and is within noise otherwise.
type ReleaseWindow struct {
	Release      string    `json:"release"`
	Date         time.Time `json:"date"`
	BeforeStart  time.Time `json:"before_start"`  // Monday of the first week before
	AfterStart   time.Time `json:"after_start"`   // Monday of the first week after (lag applied)
	BeforeWindow int       `json:"before_window"` // weeks in the before window
	AfterWindow  int       `json:"after_window"`  // weeks in the after window (WindowWeeks)
	BeforeMean   *float64  `json:"before_mean,omitempty"`
	AfterMean    *float64  `json:"after_mean,omitempty"`
	BeforeWeeks  int       `json:"before_weeks"` // weeks with a value
	AfterWeeks   int       `json:"after_weeks"`  // weeks with a value, up to the analysed week
	// Delta is AfterMean − BeforeMean, DeltaPct in percent of BeforeMean:
	// the plain comparison, shown for context; the verdict does not use it.
	Delta    *float64 `json:"delta,omitempty"`
	DeltaPct *float64 `json:"delta_pct,omitempty"`
	// The trend test (nil with VerdictNoData).
	TrendPerWeek *float64 `json:"trend_per_week,omitempty"` // slope of the line through the before window
	Expected     *float64 `json:"expected,omitempty"`       // the line's mean over the after window's weeks with a value
	VsExpected   *float64 `json:"vs_expected,omitempty"`    // AfterMean − Expected
	NoiseSD      *float64 `json:"noise_sd,omitempty"`       // residual standard deviation before the release
	Band         *float64 `json:"band,omitempty"`           // |VsExpected| above this is a change
	NoiseModel   string   `json:"noise_model,omitempty"`    // ModelLine or ModelWalk: whose Expected and Band are shown
	Complete     bool     `json:"complete"`                 // the after window has ended by the analysed week
	Verdict      string   `json:"verdict"`                  // improved | worsened | continues_trend | within_noise | no_data
	Text         string   `json:"text"`
}

// trendFit is a least-squares line y = at0 + slope·x through the before
// window (x in weeks relative to the release week), with its noise.
type trendFit struct {
	n           int
	meanX, sxx  float64
	at0, slope  float64
	sd          float64 // residual standard deviation, floored (see fitTrend)
	t           float64 // Student t 97.5 % quantile for n−2 degrees of freedom
	slopeMargin float64 // t · sd / √sxx: a slope beyond it is a trend
}

// fitTrend fits the line; n must be at least MinBeforeWeeks. A series that
// lies exactly on a line has no residuals: sd is floored at 1e-9 of the
// largest |y| so that rounding in the arithmetic is not read as a change.
func fitTrend(xs, ys []float64) trendFit {
	f := trendFit{n: len(xs)}
	var meanY, scale float64
	for i := range xs {
		f.meanX += xs[i]
		meanY += ys[i]
		scale = max(scale, math.Abs(ys[i]))
	}
	f.meanX /= float64(f.n)
	meanY /= float64(f.n)
	var sxy float64
	for i := range xs {
		f.sxx += (xs[i] - f.meanX) * (xs[i] - f.meanX)
		sxy += (xs[i] - f.meanX) * (ys[i] - meanY)
	}
	f.slope = sxy / f.sxx
	if math.Abs(f.slope) < 1e-12*scale {
		f.slope = 0 // rounding in the sums, not a slope
	}
	f.at0 = meanY - f.slope*f.meanX
	var ssr float64
	for i := range xs {
		r := ys[i] - (f.at0 + f.slope*xs[i])
		ssr += r * r
	}
	f.sd = max(math.Sqrt(ssr/float64(f.n-2)), 1e-9*scale)
	f.t = tQuantile975(f.n - 2)
	f.slopeMargin = f.t * f.sd / math.Sqrt(f.sxx)
	return f
}

// Noise models of a release verdict.
const (
	// ModelLine: a straight line with independent noise around it (a score
	// such as NPS that scatters around its level or trend).
	ModelLine = "line"
	// ModelWalk: a random walk with drift, whose week-to-week changes are
	// independent (a stock such as MRR, where each week builds on the last).
	ModelWalk = "random_walk"
)

// prediction is one noise model's expectation for the after window's mean.
type prediction struct {
	model               string
	expected, dev, band float64
	sd                  float64
}

// ratio is |dev| in bands: above 1 the model cannot explain the after weeks.
func (p prediction) ratio() float64 {
	if p.band == 0 {
		if p.dev == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return math.Abs(p.dev) / p.band
}

// predict extrapolates the line over the after weeks xa: the band is the
// half-width of the 95 % prediction interval for the mean of m new values,
// t·sd·√(1/m + 1/n + (x̄a−x̄b)²/Sxx).
func (f trendFit) predict(xa []float64, afterMean float64) prediction {
	m := float64(len(xa))
	meanXA := 0.0
	for _, x := range xa {
		meanXA += x / m
	}
	exp := f.at0 + f.slope*meanXA
	d := meanXA - f.meanX
	return prediction{model: ModelLine, expected: exp, dev: afterMean - exp, sd: f.sd,
		band: f.t * f.sd * math.Sqrt(1/m+1/float64(f.n)+d*d/f.sxx)}
}

// walkPredict carries the before window forward as a random walk with
// drift: the drift is the mean weekly change from the first to the last
// value before (T weeks apart), the noise sd the spread of the weekly
// changes (a change over a gap of g weeks counts as g steps). From the last
// value, the after weeks are h_j weeks ahead; the mean of their values
// deviates with variance sd²·(Σ_j Σ_k min(h_j, h_k)/m² + h̄²/T), the second
// term for the drift's own error. t has n−2 degrees of freedom, as the line.
func walkPredict(xb, yb, xa []float64, afterMean float64) prediction {
	n := len(xb)
	T := xb[n-1] - xb[0]
	drift := (yb[n-1] - yb[0]) / T
	var ss, scale float64
	for i := 1; i < n; i++ {
		g := xb[i] - xb[i-1]
		r := (yb[i] - yb[i-1]) - drift*g
		ss += r * r / g
		scale = max(scale, math.Abs(yb[i]), math.Abs(yb[i-1]))
	}
	sd := max(math.Sqrt(ss/float64(n-2)), 1e-9*scale)
	m := float64(len(xa))
	var meanH, sumMin float64
	for _, xj := range xa {
		meanH += (xj - xb[n-1]) / m
		for _, xk := range xa {
			sumMin += min(xj, xk) - xb[n-1]
		}
	}
	exp := yb[n-1] + drift*meanH
	v := sumMin/(m*m) + meanH*meanH/T
	return prediction{model: ModelWalk, expected: exp, dev: afterMean - exp, sd: sd,
		band: tQuantile975(n-2) * sd * math.Sqrt(v)}
}

// tTable holds Student t 97.5 % quantiles for 1…30 degrees of freedom.
var tTable = [...]float64{12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
	2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
	2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423}

// tQuantile975 returns the two-sided 95 % Student t quantile for df
// degrees of freedom: the table up to 30, then the Cornish–Fisher
// expansion (within 1e-4 there).
func tQuantile975(df int) float64 {
	if df <= len(tTable) {
		return tTable[max(df, 1)-1]
	}
	const z = 1.959964
	v := float64(df)
	return z + (z*z*z+z)/(4*v) + (5*math.Pow(z, 5)+16*z*z*z+3*z)/(96*v*v)
}

func releaseWindow(m Metric, r Release, lagWeeks int, opts Options, vals map[time.Time]float64, W time.Time) ReleaseWindow {
	K := opts.WindowWeeks
	B := beforeWeeks(m, K)
	R := weekStart(r.Date)
	rw := ReleaseWindow{Release: r.Name, Date: r.Date, BeforeWindow: B, AfterWindow: K,
		BeforeStart: R.AddDate(0, 0, -7*B), AfterStart: R.AddDate(0, 0, 7*lagWeeks)}
	afterEnd := rw.AfterStart.AddDate(0, 0, 7*(K-1))
	rw.Complete = !afterEnd.After(W)
	// Only weeks up to the analysed one count: the future is not known.
	afterN := K
	if !rw.Complete {
		afterN = max(0, int(math.Round(W.Sub(rw.AfterStart).Hours()/(24*7)))+1)
	}
	var xb, yb, xa, ya []float64
	for i := range B {
		if v, ok := vals[rw.BeforeStart.AddDate(0, 0, 7*i)]; ok {
			xb, yb = append(xb, float64(i-B)), append(yb, v)
		}
	}
	for i := range afterN {
		if v, ok := vals[rw.AfterStart.AddDate(0, 0, 7*i)]; ok {
			xa, ya = append(xa, float64(lagWeeks+i)), append(ya, v)
		}
	}
	rw.BeforeWeeks, rw.AfterWeeks = len(yb), len(ya)
	rw.BeforeMean, rw.AfterMean = meanOf(yb), meanOf(ya)
	if rw.BeforeMean != nil && rw.AfterMean != nil {
		rw.Delta = ptr(*rw.AfterMean - *rw.BeforeMean)
		rw.DeltaPct = pct(*rw.AfterMean, *rw.BeforeMean)
	}

	rel := fmt.Sprintf("Release %s (%s)", r.Name, r.Date.UTC().Format(time.DateOnly))
	lagText := ""
	if lagWeeks > 0 {
		lagText = fmt.Sprintf(", %s after the release for the expected lag", plural(lagWeeks, "week", "weeks"))
	}
	if len(yb) < MinBeforeWeeks || len(ya) == 0 {
		rw.Verdict = VerdictNoData
		rw.Text = fmt.Sprintf("%s: not enough %s data to judge: values in %d of the %d weeks before (at least %d needed to fit "+
			"a trend and measure its noise) and in %d of the %d weeks after, from %s%s (at least 1 needed).",
			rel, m.Name, len(yb), B, MinBeforeWeeks, len(ya), K, weekLabel(rw.AfterStart), lagText)
		return rw
	}

	f := fitTrend(xb, yb)
	line := f.predict(xa, *rw.AfterMean)
	walk := walkPredict(xb, yb, xa, *rw.AfterMean)
	// A change must be beyond the band of both noise models, on the same
	// side; the figures shown are those of the model that explains the
	// after weeks better (the smaller deviation in bands).
	shown := line
	if walk.ratio() < line.ratio() {
		shown = walk
	}
	changed := line.ratio() > 1 && walk.ratio() > 1 && (line.dev > 0) == (walk.dev > 0)
	exp, dev, band := shown.expected, shown.dev, shown.band
	rw.TrendPerWeek, rw.Expected, rw.VsExpected = ptr(f.slope), ptr(exp), ptr(dev)
	rw.NoiseSD, rw.Band, rw.NoiseModel = ptr(shown.sd), ptr(band), shown.model
	trending := math.Abs(f.slope) > f.slopeMargin
	switch {
	case changed && (dev > 0) == (m.Direction != LowerIsBetter):
		rw.Verdict = VerdictImproved
	case changed:
		rw.Verdict = VerdictWorsened
	case trending:
		rw.Verdict = VerdictContinuesTrend
	default:
		rw.Verdict = VerdictWithinNoise
	}

	partial := ""
	if !rw.Complete {
		partial = fmt.Sprintf(" (only %d of %d weeks after have passed)", afterN, K)
	}
	trend := "no trend beyond its noise"
	if trending {
		trend = fmt.Sprintf("a trend of %s a week", signedDiff(f.slope, m.Unit))
	}
	head := fmt.Sprintf("%s: %s averaged %s in the %d weeks after (%d with a value) from %s%s%s. "+
		"The %d weeks before (%d with a value, mean %s) show %s",
		rel, m.Name, fmtVal(*rw.AfterMean, m.Unit), K, len(ya), weekLabel(rw.AfterStart), lagText, partial,
		B, len(yb), fmtVal(*rw.BeforeMean, m.Unit), trend)
	if !trending && f.slope != 0 {
		head += fmt.Sprintf(" (%s a week)", signedDiff(f.slope, m.Unit))
	}
	noise := fmt.Sprintf("the ±%s that the scatter of the weeks before around their line allows (95%%)", fmtDiff(band, m.Unit))
	if shown.model == ModelWalk {
		noise = fmt.Sprintf("the ±%s that the week-to-week changes before allow, carried forward (95%%)", fmtDiff(band, m.Unit))
	}
	switch rw.Verdict {
	case VerdictImproved, VerdictWorsened:
		side := "above"
		if dev < 0 {
			side = "below"
		}
		word := "improved"
		if rw.Verdict == VerdictWorsened {
			word = "worsened"
		}
		rw.Text = fmt.Sprintf("%s. The after weeks came in %s %s the %s its prior trend predicts, beyond %s: %s %s together with "+
			"the release; this shows correlation only, other things changed in the same weeks.",
			head, fmtDiff(math.Abs(dev), m.Unit), side, fmtVal(exp, m.Unit), noise, m.Name, word)
	case VerdictContinuesTrend:
		rw.Text = fmt.Sprintf("%s, which predicts %s; the after weeks are %s from that, within %s: %s continues its prior "+
			"trend, and shows no change of its own around the release.",
			head, fmtVal(exp, m.Unit), signedDiff(dev, m.Unit), noise, m.Name)
	default:
		rw.Text = fmt.Sprintf("%s. The after weeks are %s from the %s it predicts, within %s: within noise, no change around the release.",
			head, signedDiff(dev, m.Unit), fmtVal(exp, m.Unit), noise)
	}
	return rw
}

// meanOf is the mean of xs, nil when empty.
func meanOf(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return ptr(s / float64(len(xs)))
}
