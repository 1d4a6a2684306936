package report

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// OutcomeInput is one PM outcome metric (MRR, activation, NPS, …) with the
// delivery linked to it, as internal/outcomes analysed it. The report only
// shows it.
type OutcomeInput struct {
	Name string // e.g. "MRR"
	Unit string // e.g. "EUR", "%", "score"
	// Direction says which way is good: DirectionHigherIsBetter (the
	// default when empty) or DirectionLowerIsBetter.
	Direction string
	// LagWeeks is the expected lag, in whole weeks, between the linked work
	// shipping and the outcome responding; shown in the text.
	LagWeeks int
	// Points is the series: one value per week (or day, or month), any
	// order. The report keeps the last 26 weeks up to the week's end.
	Points []OutcomePoint
	Linked LinkedDelivery
	// Flags are flag kinds: FlagHighDeliveryFlatOutcome,
	// FlagOutcomeMovingWithoutDelivery, FlagOutcomeWorkStarved,
	// FlagUnlinkedDeliveryHigh, or any other (shown as given when there is
	// no FlagTexts).
	Flags []string
	// FlagTexts are ready sentences (outcomes.Flag.Text). When non-empty
	// they are shown as is, instead of the report's own text for Flags.
	FlagTexts []string
	// Releases are the linked releases in the charted window, with their
	// before/after comparison (outcomes.ReleaseWindow).
	Releases []OutcomeRelease
}

// OutcomePoint is one dated value of an outcome series. A Date at exactly
// 00:00 UTC is taken as a calendar date (internal/outcomes gives week
// starts that way); any other instant is read in the report time zone.
type OutcomePoint struct {
	Date  time.Time
	Value float64
}

// OutcomeRelease is one linked release and the outcome after it against
// what its trend before the release predicts (outcomes.ReleaseWindow).
type OutcomeRelease struct {
	Name string
	Date time.Time // release date; 00:00 UTC is a calendar date, as in OutcomePoint
	// BeforeStart is the first day of the before window, which ends the
	// day before the release week's Monday. Zero: that Monday minus
	// 2 × DefaultReleaseWindowWeeks weeks.
	BeforeStart time.Time
	// AfterStart and AfterEnd bound the after window (AfterEnd exclusive),
	// shaded on the chart. Zero: AfterStart is the Monday of the release
	// week plus LagWeeks weeks, AfterEnd DefaultReleaseWindowWeeks later.
	// From outcomes.ReleaseWindow: AfterStart, and AfterStart plus
	// Options.WindowWeeks weeks.
	AfterStart, AfterEnd time.Time
	// BeforeWeeks and AfterWeeks count the weeks with a value on each side.
	BeforeWeeks, AfterWeeks int
	// BeforeMean and AfterMean are the mean weekly values of the two
	// windows; Delta = AfterMean − BeforeMean, DeltaPct in percent of
	// BeforeMean. nil when there is nothing to compute from.
	BeforeMean, AfterMean, Delta, DeltaPct *float64
	// The trend test: the slope of the line through the before window, its
	// mean over the after weeks (Expected), AfterMean − Expected, the
	// residual standard deviation and the band beyond which VsExpected is
	// a change. nil with VerdictNoData.
	TrendPerWeek, Expected, VsExpected, NoiseSD, Band *float64
	// NoiseModel names the model whose Expected, NoiseSD and Band these are
	// (NoiseModelLine or NoiseModelWalk); empty with VerdictNoData.
	NoiseModel string
	Complete   bool   // the after window has ended by the report week
	Verdict    string // VerdictImproved, VerdictWorsened, VerdictContinuesTrend, VerdictWithinNoise or VerdictNoData
	Text       string // the sentence (outcomes.ReleaseWindow.Text)
}

// AlignmentInput is the share of the delivered work linked to any outcome
// (outcomes.Alignment), over a window and per week, with the global flags'
// texts. Input.Alignment is nil when no outcomes are configured.
type AlignmentInput struct {
	From, To        time.Time // first day and the day after the last (To exclusive), as outcomes.Alignment
	DeliveredPoints float64
	LinkedPoints    float64
	DeliveredIssues int
	LinkedIssues    int
	// Ratio is LinkedPoints/DeliveredPoints, or LinkedIssues/DeliveredIssues
	// when Basis is BasisIssues; nil when nothing was delivered.
	Ratio     *float64
	Basis     string // BasisPoints (default when empty) or BasisIssues
	Weeks     []AlignmentWeek
	FlagTexts []string // global flags' texts, e.g. unlinked delivery above the threshold
}

// AlignmentWeek is one week of the alignment (outcomes.Analysis.AlignmentWeeks).
// It is also the JSON form of a row of alignment.weeks.
type AlignmentWeek struct {
	Week            string   `json:"week"` // ISO week, "2026-W47"
	Ratio           *float64 `json:"ratio"`
	LinkedPoints    float64  `json:"linked_points"`
	DeliveredPoints float64  `json:"delivered_points"`
	LinkedIssues    int      `json:"linked_issues"`
	DeliveredIssues int      `json:"delivered_issues"`
}

// Directions of an outcome.
const (
	DirectionHigherIsBetter = "higher_is_better"
	DirectionLowerIsBetter  = "lower_is_better"
)

// Verdicts of a release against its prior trend (as internal/outcomes;
// docs/outcomes.md#release-verdicts). Only VerdictImproved is shown green.
const (
	VerdictImproved       = "improved"
	VerdictWorsened       = "worsened"
	VerdictContinuesTrend = "continues_trend"
	VerdictWithinNoise    = "within_noise"
	VerdictNoData         = "no_data"
)

// Noise models of a release verdict (as internal/outcomes).
const (
	NoiseModelLine = "line"
	NoiseModelWalk = "random_walk"
)

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Bases of an alignment ratio.
const (
	BasisPoints = "points"
	BasisIssues = "issues"
)

// Outcome flag kinds (as internal/outcomes); the report phrases them when
// OutcomeInput.FlagTexts is empty, and shows any other kind as given.
const (
	FlagHighDeliveryFlatOutcome      = "high_delivery_flat_outcome"
	FlagOutcomeMovingWithoutDelivery = "outcome_moving_without_linked_delivery"
	FlagOutcomeWorkStarved           = "outcome_work_starved"
	FlagUnlinkedDeliveryHigh         = "unlinked_delivery_high"
)

// DefaultReleaseWindowWeeks is the after window of a release when
// OutcomeRelease.AfterEnd is not given (outcomes.Options.WindowWeeks' default).
const DefaultReleaseWindowWeeks = 4

// LinkedDelivery is the work linked to an outcome and what of it was
// delivered in the report week.
type LinkedDelivery struct {
	Epics       []string `json:"epics"`
	Labels      []string `json:"labels"`
	FixVersions []string `json:"fix_versions"`
	Components  []string `json:"components"`
	Issues      int      `json:"issues"`   // linked issues done in the week
	Points      float64  `json:"points"`   // their estimates (points, hours or issues)
	Releases    []string `json:"releases"` // linked fix versions released in the week
}

// Outcome is one PM outcome metric beside the delivery linked to it.
type Outcome struct {
	Name      string         `json:"name"`
	Unit      string         `json:"unit"`
	Direction string         `json:"direction"` // higher_is_better or lower_is_better
	LagWeeks  int            `json:"lag_weeks"`
	Series    []OutcomeValue `json:"series"` // up to 26 weeks up to the week's end, oldest first
	Latest    *float64       `json:"latest"`
	Previous  *float64       `json:"previous"` // the last value at least 4 weeks before the latest
	Change    *float64       `json:"change"`   // latest − previous
	Trend     string         `json:"trend"`
	// Baseline is the mean of the values in the 4 weeks before the latest.
	Baseline   *float64        `json:"baseline"`
	Linked     LinkedDelivery  `json:"linked_delivery"`
	Releases   []ReleaseWindow `json:"releases"` // by date
	Flags      []string        `json:"flags"`
	FlagTexts  []string        `json:"flag_texts"`
	Definition string          `json:"definition"`

	from, to time.Time // the charted span: the first value's day to the week's end
	loc      *time.Location
}

// OutcomeValue is one dated value of an outcome series.
type OutcomeValue struct {
	Date  string  `json:"date"`
	Value float64 `json:"value"`

	at time.Time
}

// ReleaseWindow is one release of an Outcome: the after window against
// what the trend of the before window predicts.
type ReleaseWindow struct {
	Name         string   `json:"name"`
	Date         string   `json:"date"`
	BeforeStart  string   `json:"before_start"` // first day of the before window
	BeforeEnd    string   `json:"before_end"`   // its last day: the Sunday before the release week
	AfterStart   string   `json:"after_start"`  // first day of the after window
	AfterEnd     string   `json:"after_end"`    // its last day
	BeforeWeeks  int      `json:"before_weeks"` // weeks with a value before
	AfterWeeks   int      `json:"after_weeks"`  // weeks with a value after, up to the report week
	BeforeMean   *float64 `json:"before_mean"`
	AfterMean    *float64 `json:"after_mean"`
	Delta        *float64 `json:"delta"`
	DeltaPct     *float64 `json:"delta_pct"`
	TrendPerWeek *float64 `json:"trend_per_week"`
	Expected     *float64 `json:"expected"`
	VsExpected   *float64 `json:"vs_expected"`
	NoiseSD      *float64 `json:"noise_sd"`
	Band         *float64 `json:"band"`
	NoiseModel   *string  `json:"noise_model"` // line | random_walk; null with no_data
	Complete     bool     `json:"complete"`
	Verdict      string   `json:"verdict"`
	Text         string   `json:"text"`

	at, afterStart, afterEnd time.Time
}

// Alignment is the share of the delivered work linked to any outcome.
type Alignment struct {
	From            string          `json:"from"` // first day
	To              string          `json:"to"`   // last day, inclusive
	DeliveredPoints float64         `json:"delivered_points"`
	LinkedPoints    float64         `json:"linked_points"`
	DeliveredIssues int             `json:"delivered_issues"`
	LinkedIssues    int             `json:"linked_issues"`
	Ratio           *float64        `json:"ratio"`
	Basis           string          `json:"basis"`
	Weeks           []AlignmentWeek `json:"weeks"`
	FlagTexts       []string        `json:"flag_texts"`
}

// Better reports whether a change of delta is good for the outcome: +1
// good, -1 bad, 0 no change.
func (o Outcome) Better(delta *float64) int {
	if delta == nil || *delta == 0 {
		return 0
	}
	good := *delta > 0
	if o.Direction == DirectionLowerIsBetter {
		good = !good
	}
	if good {
		return 1
	}
	return -1
}

// civil returns t as an instant in loc: a time at exactly 00:00 UTC is a
// calendar date and becomes that date's midnight in loc.
func civil(t time.Time, loc *time.Location) time.Time {
	u := t.UTC()
	if u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0 {
		return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, loc)
	}
	return t.In(loc)
}

func mondayOf(t time.Time) time.Time {
	d := (int(t.Weekday()) + 6) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-d, 0, 0, 0, 0, t.Location())
}

func buildOutcome(oi OutcomeInput, end time.Time, loc *time.Location, base string) Outcome {
	o := Outcome{
		Name: oi.Name, Unit: oi.Unit, Direction: cmp.Or(oi.Direction, DirectionHigherIsBetter), LagWeeks: oi.LagWeeks,
		Series: []OutcomeValue{}, Trend: TrendNA,
		Linked: oi.Linked, Releases: []ReleaseWindow{}, Flags: nonNil(oi.Flags), FlagTexts: []string{},
		Definition: link(base, "outcomes"), to: end, loc: loc,
	}
	o.Linked.Epics, o.Linked.Labels = nonNil(o.Linked.Epics), nonNil(o.Linked.Labels)
	o.Linked.FixVersions, o.Linked.Components = nonNil(o.Linked.FixVersions), nonNil(o.Linked.Components)
	o.Linked.Releases = nonNil(o.Linked.Releases)
	from := end.AddDate(0, 0, -7*outcomeSeriesMax)
	pts := make([]OutcomePoint, 0, len(oi.Points))
	for _, p := range oi.Points {
		pts = append(pts, OutcomePoint{Date: civil(p.Date, loc), Value: p.Value})
	}
	slices.SortStableFunc(pts, func(a, b OutcomePoint) int { return a.Date.Compare(b.Date) })
	var kept []OutcomePoint
	for _, p := range pts {
		if !p.Date.Before(from) && p.Date.Before(end) {
			kept = append(kept, p)
			o.Series = append(o.Series, OutcomeValue{Date: p.Date.Format(time.DateOnly), Value: p.Value, at: p.Date})
		}
	}
	o.from = end
	if n := len(kept); n > 0 {
		o.from = kept[0].Date
		last := kept[n-1]
		o.Latest = ptr(last.Value)
		cut := last.Date.AddDate(0, 0, -7*PreviousWeeks)
		for i := n - 2; i >= 0; i-- {
			if !kept[i].Date.After(cut) {
				o.Previous = ptr(kept[i].Value)
				o.Change = ptr(tidy(last.Value - kept[i].Value))
				o.Trend = trendWithin(last.Value, kept[i].Value, outcomeTrendTolerance)
				break
			}
		}
		var before []float64
		for _, p := range kept[:n-1] {
			if !p.Date.Before(cut) {
				before = append(before, p.Value)
			}
		}
		if m := mean(before); m != nil {
			o.Baseline = ptr(tidy(*m))
		}
	}

	for _, ri := range oi.Releases {
		at := civil(ri.Date, loc)
		as := civil(ri.AfterStart, loc)
		if ri.AfterStart.IsZero() {
			as = mondayOf(at).AddDate(0, 0, 7*oi.LagWeeks)
		}
		ae := civil(ri.AfterEnd, loc)
		if ri.AfterEnd.IsZero() {
			ae = as.AddDate(0, 0, 7*DefaultReleaseWindowWeeks)
		}
		bs := civil(ri.BeforeStart, loc)
		if ri.BeforeStart.IsZero() {
			bs = mondayOf(at).AddDate(0, 0, -14*DefaultReleaseWindowWeeks)
		}
		o.Releases = append(o.Releases, ReleaseWindow{
			Name: ri.Name, Date: at.Format(time.DateOnly),
			BeforeStart: bs.Format(time.DateOnly), BeforeEnd: mondayOf(at).AddDate(0, 0, -1).Format(time.DateOnly),
			AfterStart: as.Format(time.DateOnly), AfterEnd: ae.AddDate(0, 0, -1).Format(time.DateOnly),
			BeforeWeeks: ri.BeforeWeeks, AfterWeeks: ri.AfterWeeks,
			BeforeMean: ri.BeforeMean, AfterMean: ri.AfterMean, Delta: ri.Delta, DeltaPct: ri.DeltaPct,
			TrendPerWeek: ri.TrendPerWeek, Expected: ri.Expected, VsExpected: ri.VsExpected, NoiseSD: ri.NoiseSD, Band: ri.Band,
			NoiseModel: optString(ri.NoiseModel),
			Complete:   ri.Complete, Verdict: cmp.Or(ri.Verdict, VerdictNoData), Text: ri.Text,
			at: at, afterStart: as, afterEnd: ae,
		})
	}
	slices.SortStableFunc(o.Releases, func(a, b ReleaseWindow) int {
		return cmp.Or(a.at.Compare(b.at), strings.Compare(a.Name, b.Name))
	})

	if len(oi.FlagTexts) > 0 {
		o.FlagTexts = slices.Clone(oi.FlagTexts)
	} else {
		for _, f := range o.Flags {
			o.FlagTexts = append(o.FlagTexts, flagText(f))
		}
	}
	return o
}

// flagText phrases a flag kind. Like every text of the PM view it states
// what moved together, never a cause.
func flagText(kind string) string {
	switch kind {
	case FlagHighDeliveryFlatOutcome:
		return "High delivery, flat outcome: much of the recently delivered work is linked to this outcome, yet it has stayed flat against its baseline so far."
	case FlagOutcomeMovingWithoutDelivery:
		return "Outcome moving without linked delivery: it moved against its baseline while no linked work was done; something else moved with it, or links are missing."
	case FlagOutcomeWorkStarved:
		return "Outcome work starved: no linked work was done and no open linked issue was updated in the last weeks."
	case FlagUnlinkedDeliveryHigh:
		return "Unlinked delivery high: most of the recently delivered work is linked to no outcome."
	}
	return kind
}

func buildAlignment(ai AlignmentInput, loc *time.Location) *Alignment {
	a := &Alignment{
		DeliveredPoints: ai.DeliveredPoints, LinkedPoints: ai.LinkedPoints,
		DeliveredIssues: ai.DeliveredIssues, LinkedIssues: ai.LinkedIssues,
		Ratio: ai.Ratio, Basis: cmp.Or(ai.Basis, BasisPoints),
		Weeks: nonNil(slices.Clone(ai.Weeks)), FlagTexts: nonNil(slices.Clone(ai.FlagTexts)),
	}
	if !ai.From.IsZero() {
		a.From = civil(ai.From, loc).Format(time.DateOnly)
	}
	if !ai.To.IsZero() {
		a.To = civil(ai.To, loc).AddDate(0, 0, -1).Format(time.DateOnly)
	}
	slices.SortStableFunc(a.Weeks, func(x, y AlignmentWeek) int { return strings.Compare(x.Week, y.Week) })
	return a
}

// tidy drops floating-point noise from a computed figure (28.4 − 25.5 =
// 2.8999999999999986 → 2.9) so that the JSON shows what a person would.
func tidy(x float64) float64 { return math.Round(x*1e9) / 1e9 }

// outcomeTrendTolerance: an outcome moving less than 1 % in 4 weeks is flat
// (business metrics move slowly; 5 % of MRR in a month is a real change).
const outcomeTrendTolerance = 0.01
