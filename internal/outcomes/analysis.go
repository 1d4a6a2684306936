package outcomes

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// Delivered is one issue done, as the analysis needs it.
type Delivered struct {
	Key         string
	Epic        string
	Labels      []string
	Components  []string
	FixVersions []string
	Points      float64 // 0 when unestimated
	DoneAt      time.Time
}

// Release is a shipped version (a Jira fix version with its release date).
type Release struct {
	Name string
	Date time.Time
}

// OpenIssue is one issue not done yet, with its last update: the linked
// backlog that "outcome work starved" looks at.
type OpenIssue struct {
	Key         string
	Epic        string
	Labels      []string
	Components  []string
	FixVersions []string
	Updated     time.Time
}

// Flag kinds.
const (
	FlagHighDeliveryFlatOutcome = "high_delivery_flat_outcome"
	FlagMovingWithoutDelivery   = "outcome_moving_without_linked_delivery"
	FlagWorkStarved             = "outcome_work_starved"
	FlagUnlinkedDelivery        = "unlinked_delivery_high"
)

// Options tunes Analyze. Zero fields take the defaults in brackets.
type Options struct {
	// Now is the clock; the analysed week is the last complete ISO week
	// before Now() unless Week is set. [time.Now]
	Now func() time.Time
	// Week, when non-zero, is any instant in the ISO week to analyse.
	Week time.Time
	// Segment is the segment analysed. [""]: the whole.
	Segment string
	// Weeks is how many weeks each outcome shows, ending at the analysed
	// week. [12]
	Weeks int
	// BaselineWeeks is the length of the baseline before a week. [4]
	BaselineWeeks int
	// WindowWeeks is the length of the before and after windows around a
	// release, of the delivery window the flags look at, and of the
	// alignment window. [4]
	WindowWeeks int
	// FlatPct: a change against the baseline smaller than this (in percent
	// of the baseline) is flat. [2]
	FlatPct float64
	// MovingPct: a change against the baseline at least this large is a
	// move. [5]
	MovingPct float64
	// HighDeliveryShare: linked work is "high delivery" when it is at least
	// this share of all points done in the delivery window (of all issues
	// when nothing was estimated)… [0.25]
	HighDeliveryShare float64
	// HighDeliveryMinIssues: …and at least this many linked issues. [3]
	HighDeliveryMinIssues int
	// StarvedWeeks: linked work untouched (nothing done, no open linked
	// issue updated) for this many weeks is starved. [3]
	StarvedWeeks int
	// UnlinkedPct: flag when more than this percentage of the delivered
	// points in the alignment window is linked to no outcome. [50]
	UnlinkedPct float64
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Weeks = cmp.Or(o.Weeks, 12)
	o.BaselineWeeks = cmp.Or(o.BaselineWeeks, 4)
	o.WindowWeeks = cmp.Or(o.WindowWeeks, 4)
	o.FlatPct = cmp.Or(o.FlatPct, 2)
	o.MovingPct = cmp.Or(o.MovingPct, 5)
	o.HighDeliveryShare = cmp.Or(o.HighDeliveryShare, 0.25)
	o.HighDeliveryMinIssues = cmp.Or(o.HighDeliveryMinIssues, 3)
	o.StarvedWeeks = cmp.Or(o.StarvedWeeks, 3)
	o.UnlinkedPct = cmp.Or(o.UnlinkedPct, 50)
	return o
}

// Input is everything Analyze looks at.
type Input struct {
	Metrics   []Metric // definitions; a metric with values or a link but no definition gets the defaults
	Values    []Value
	Links     []Link
	Delivered []Delivered
	Releases  []Release
	Open      []OpenIssue
}

// Analysis is the outcome view of one week.
type Analysis struct {
	Week      string    `json:"week"`       // the analysed ISO week, "2026-W47"
	WeekStart time.Time `json:"week_start"` // its Monday, UTC
	Segment   string    `json:"segment"`
	Outcomes  []Outcome `json:"outcomes"`
	// Alignment covers the WindowWeeks weeks ending with the analysed week;
	// AlignmentWeeks gives each of the shown weeks.
	Alignment      Alignment   `json:"alignment"`
	AlignmentWeeks []Alignment `json:"alignment_weeks"`
	// Flags holds every flag: the outcomes' and the global ones.
	Flags   []Flag  `json:"flags"`
	Options Options `json:"-"`
}

// Outcome is one metric's trend, linked delivery and release windows.
type Outcome struct {
	Metric   Metric          `json:"metric"`
	Linked   bool            `json:"linked"`    // some work is linked to it in the config
	LagWeeks int             `json:"lag_weeks"` // the link's lag in whole weeks
	Weeks    []OutcomeWeek   `json:"weeks"`     // oldest first, the last is the analysed week
	Delivery Delivery        `json:"delivery"`  // linked delivery over the shown weeks
	Releases []ReleaseWindow `json:"releases"`  // linked releases in the shown weeks
	Flags    []Flag          `json:"flags"`
}

// OutcomeWeek is one ISO week of an outcome. Pointers are nil when there is
// nothing to compute from.
type OutcomeWeek struct {
	Week      string    `json:"week"`
	WeekStart time.Time `json:"week_start"`
	Value     *float64  `json:"value,omitempty"` // the week's aggregate (Metric.Aggregate)
	Samples   int       `json:"samples"`         // values in the week
	// Change is Value minus the previous week's value; ChangePct in percent
	// of that value.
	Change    *float64 `json:"change,omitempty"`
	ChangePct *float64 `json:"change_pct,omitempty"`
	// Baseline is the mean of the values of the BaselineWeeks weeks before
	// (at least 5 weeks for monthly metrics, so a month has one);
	// VsBaseline is Value minus it.
	Baseline      *float64 `json:"baseline,omitempty"`
	VsBaseline    *float64 `json:"vs_baseline,omitempty"`
	VsBaselinePct *float64 `json:"vs_baseline_pct,omitempty"`
	Delivery
}

// Delivery counts linked work done.
type Delivery struct {
	Points   float64  `json:"points"`
	Issues   int      `json:"issues"`
	Releases []string `json:"releases,omitempty"` // linked releases shipped
}

// Alignment is the share of delivered work linked to any outcome.
type Alignment struct {
	Week            string    `json:"week,omitempty"` // set on weekly rows
	From            time.Time `json:"from"`           // Monday of the first week
	To              time.Time `json:"to"`             // Monday after the last week
	DeliveredPoints float64   `json:"delivered_points"`
	LinkedPoints    float64   `json:"linked_points"`
	DeliveredIssues int       `json:"delivered_issues"`
	LinkedIssues    int       `json:"linked_issues"`
	// Ratio is LinkedPoints/DeliveredPoints, or LinkedIssues/DeliveredIssues
	// when nothing done was estimated (Basis says which); nil with no delivery.
	Ratio *float64 `json:"ratio,omitempty"`
	Basis string   `json:"basis"` // points | issues
}

// Flag is one finding. Text states what moved together, never a cause.
type Flag struct {
	Kind   string `json:"kind"`
	Metric string `json:"metric,omitempty"` // empty for global flags
	Week   string `json:"week"`
	Text   string `json:"text"`
}

// Analyze builds the outcome view of one ISO week. It is a pure function of
// its inputs and the clock in opts.
func Analyze(in Input, opts Options) (Analysis, error) {
	opts = opts.withDefaults()
	if opts.Weeks < 1 || opts.BaselineWeeks < 1 || opts.WindowWeeks < 1 || opts.StarvedWeeks < 1 {
		return Analysis{}, fmt.Errorf("%w: weeks, baseline, window and starved weeks must be positive", ErrInvalid)
	}
	ref := opts.Week
	if ref.IsZero() {
		ref = weekStart(opts.Now()).AddDate(0, 0, -7) // the last complete week
	}
	W := weekStart(ref)
	a := Analysis{Week: weekLabel(W), WeekStart: W, Segment: opts.Segment, Options: opts}

	metrics, err := metricSet(in)
	if err != nil {
		return Analysis{}, err
	}
	links := map[string][]Link{}
	for _, l := range in.Links {
		links[l.Metric] = append(links[l.Metric], l)
	}
	linkedAny := func(epic string, labels, comps, fixes []string) bool {
		for _, l := range in.Links {
			if l.matches(epic, labels, comps, fixes) {
				return true
			}
		}
		return false
	}

	first := W.AddDate(0, 0, -7*(opts.Weeks-1))
	// Alignment over the window and per shown week.
	a.Alignment = alignment(in.Delivered, linkedAny, W.AddDate(0, 0, -7*(opts.WindowWeeks-1)), W.AddDate(0, 0, 7))
	for w := first; !w.After(W); w = w.AddDate(0, 0, 7) {
		al := alignment(in.Delivered, linkedAny, w, w.AddDate(0, 0, 7))
		al.Week = weekLabel(w)
		a.AlignmentWeeks = append(a.AlignmentWeeks, al)
	}

	for _, m := range metrics {
		o := analyseOutcome(m, links[m.Name], in, opts, W, first)
		a.Outcomes = append(a.Outcomes, o)
		a.Flags = append(a.Flags, o.Flags...)
	}
	if al := a.Alignment; al.Ratio != nil && (1-*al.Ratio)*100 > opts.UnlinkedPct {
		unit, done, linked := "points", al.DeliveredPoints, al.LinkedPoints
		if al.Basis == "issues" {
			unit, done, linked = "issues", float64(al.DeliveredIssues), float64(al.LinkedIssues)
		}
		a.Flags = append(a.Flags, Flag{Kind: FlagUnlinkedDelivery, Week: a.Week, Text: fmt.Sprintf(
			"%.0f%% of the %s %s delivered in %s–%s is linked to no outcome (%s of %s linked; threshold %.0f%%). "+
				"Either that work serves no outcome the product tracks, or the outcome links in the config are incomplete.",
			(1-*al.Ratio)*100, fmtNum(done), unit, weekLabel(al.From), a.Week, fmtNum(linked), fmtNum(done), opts.UnlinkedPct)})
	}
	return a, nil
}

// metricSet lists the metrics to analyse: the defined ones in their order,
// then those that only have values or links, by name.
func metricSet(in Input) ([]Metric, error) {
	var out []Metric
	seen := map[string]bool{}
	for _, m := range in.Metrics {
		if err := m.Validate(); err != nil {
			return nil, err
		}
		if !seen[m.Name] {
			seen[m.Name] = true
			out = append(out, m)
		}
	}
	var extra []string
	for _, v := range in.Values {
		if !seen[v.Metric] {
			seen[v.Metric] = true
			extra = append(extra, v.Metric)
		}
	}
	for _, l := range in.Links {
		if !seen[l.Metric] {
			seen[l.Metric] = true
			extra = append(extra, l.Metric)
		}
	}
	slices.Sort(extra)
	for _, name := range extra {
		m := Metric{Name: name}
		if err := m.Validate(); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func (l Link) matches(epic string, labels, comps, fixes []string) bool {
	return (epic != "" && slices.Contains(l.Epics, epic)) || anyIn(labels, l.Labels) ||
		anyIn(comps, l.Components) || anyIn(fixes, l.FixVersions)
}

func anyIn(have, want []string) bool {
	for _, h := range have {
		if slices.Contains(want, h) {
			return true
		}
	}
	return false
}

func analyseOutcome(m Metric, links []Link, in Input, opts Options, W, first time.Time) Outcome {
	o := Outcome{Metric: m, Linked: len(links) > 0}
	var lag time.Duration
	for _, l := range links {
		lag = max(lag, l.Lag)
	}
	o.LagWeeks = int(math.Round(lag.Hours() / (24 * 7)))
	isLinked := func(epic string, labels, comps, fixes []string) bool {
		for _, l := range links {
			if l.matches(epic, labels, comps, fixes) {
				return true
			}
		}
		return false
	}
	// Linked releases: named in a link, or the fix version of linked work.
	relNames := map[string]bool{}
	for _, l := range links {
		for _, f := range l.FixVersions {
			relNames[f] = true
		}
	}
	var linkedDone []Delivered
	for _, d := range in.Delivered {
		if isLinked(d.Epic, d.Labels, d.Components, d.FixVersions) {
			linkedDone = append(linkedDone, d)
			for _, f := range d.FixVersions {
				relNames[f] = true
			}
		}
	}
	var rels []Release
	for _, r := range in.Releases {
		if relNames[r.Name] && !r.Date.IsZero() {
			rels = append(rels, r)
		}
	}
	slices.SortStableFunc(rels, func(a, b Release) int { return a.Date.Compare(b.Date) })
	deliveryIn := func(from, to time.Time) Delivery {
		var d Delivery
		for _, x := range linkedDone {
			if !x.DoneAt.Before(from) && x.DoneAt.Before(to) {
				d.Points += x.Points
				d.Issues++
			}
		}
		for _, r := range rels {
			if !r.Date.Before(from) && r.Date.Before(to) {
				d.Releases = append(d.Releases, r.Name)
			}
		}
		return d
	}

	vals, counts := weekly(m, in.Values, opts.Segment)
	lookback := opts.BaselineWeeks
	if m.Granularity == GranularityMonth {
		lookback = max(lookback, 5)
	}
	weekAt := func(w time.Time) OutcomeWeek {
		ow := OutcomeWeek{Week: weekLabel(w), WeekStart: w, Samples: counts[w]}
		if v, ok := vals[w]; ok {
			ow.Value = ptr(v)
			if p, ok := vals[w.AddDate(0, 0, -7)]; ok {
				ow.Change = ptr(v - p)
				ow.ChangePct = pct(v, p)
			}
			if b, _ := meanOver(vals, w.AddDate(0, 0, -7*lookback), lookback); b != nil {
				ow.Baseline = b
				ow.VsBaseline = ptr(v - *b)
				ow.VsBaselinePct = pct(v, *b)
			}
		}
		return ow
	}
	for w := first; !w.After(W); w = w.AddDate(0, 0, 7) {
		ow := weekAt(w)
		ow.Delivery = deliveryIn(w, w.AddDate(0, 0, 7))
		o.Weeks = append(o.Weeks, ow)
		o.Delivery.Points += ow.Points
		o.Delivery.Issues += ow.Issues
		o.Delivery.Releases = append(o.Delivery.Releases, ow.Releases...)
	}

	// Release windows for linked releases shipped in the shown weeks.
	end := W.AddDate(0, 0, 7)
	for _, r := range rels {
		if r.Date.Before(first) || !r.Date.Before(end) {
			continue
		}
		o.Releases = append(o.Releases, releaseWindow(m, r, o.LagWeeks, opts, vals, W))
	}

	// Flags, evaluated at the latest week with a value not older than the
	// metric's granularity allows.
	stale := 1
	if m.Granularity == GranularityMonth {
		stale = 5
	}
	var cur *OutcomeWeek
	for k := 0; k <= stale; k++ {
		w := W.AddDate(0, 0, -7*k)
		if _, ok := vals[w]; ok {
			cw := weekAt(w)
			cur = &cw
			break
		}
	}
	// Delivery window: WindowWeeks weeks ending LagWeeks before the week
	// evaluated, so work has had the lag to show.
	evalWeek := W
	if cur != nil {
		evalWeek = cur.WeekStart
	}
	dTo := evalWeek.AddDate(0, 0, 7*(1-o.LagWeeks))
	dFrom := dTo.AddDate(0, 0, -7*opts.WindowWeeks)
	dWin := deliveryIn(dFrom, dTo)
	lagText := "no lag"
	if o.LagWeeks > 0 {
		lagText = fmt.Sprintf("a %d-week lag", o.LagWeeks)
	}
	winText := fmt.Sprintf("%s–%s", weekLabel(dFrom), weekLabel(dTo.AddDate(0, 0, -7)))

	if cur != nil && cur.VsBaselinePct != nil {
		move := *cur.VsBaselinePct
		// High delivery: linked work is a large share of all work done in
		// the delivery window.
		all := alignment(in.Delivered, func(string, []string, []string, []string) bool { return false }, dFrom, dTo)
		share := 0.0
		switch {
		case all.DeliveredPoints > 0:
			share = dWin.Points / all.DeliveredPoints
		case all.DeliveredIssues > 0:
			share = float64(dWin.Issues) / float64(all.DeliveredIssues)
		}
		high := dWin.Issues >= opts.HighDeliveryMinIssues && share >= opts.HighDeliveryShare
		switch {
		case high && math.Abs(move) < opts.FlatPct:
			o.Flags = append(o.Flags, Flag{Kind: FlagHighDeliveryFlatOutcome, Metric: m.Name, Week: cur.Week, Text: fmt.Sprintf(
				"%s (%s points, %.0f%% of all delivered) linked to %s done in %s, yet %s stayed flat in %s "+
					"(%s vs its %d-week baseline, allowing %s). Delivery and outcome have not moved together so far: "+
					"a move may still come later, or this work may not be what moves this outcome.",
				plural(dWin.Issues, "issue", "issues"), fmtNum(dWin.Points), share*100, m.Name, winText, m.Name, cur.Week,
				fmtPct(move), opts.BaselineWeeks, lagText)})
		case math.Abs(move) >= opts.MovingPct && dWin.Issues == 0 && len(dWin.Releases) == 0:
			why := fmt.Sprintf("no work linked to it was done in %s (allowing %s)", winText, lagText)
			if !o.Linked {
				why = "no work is linked to it in the config"
			}
			o.Flags = append(o.Flags, Flag{Kind: FlagMovingWithoutDelivery, Metric: m.Name, Week: cur.Week, Text: fmt.Sprintf(
				"%s %s %s vs its %d-week baseline in %s (%s → %s), while %s. Something other than linked work "+
					"moved together with it (pricing, marketing, season, another team), or links are missing.",
				m.Name, movedWord(move), fmtNum(math.Abs(move))+"%", opts.BaselineWeeks, cur.Week,
				fmtVal(*cur.Baseline, m.Unit), fmtVal(*cur.Value, m.Unit), why)})
		}
	}

	if o.Linked {
		since := W.AddDate(0, 0, 7*(1-opts.StarvedWeeks)) // start of the last StarvedWeeks weeks
		doneRecently := deliveryIn(since, end).Issues > 0
		var open, touched int
		var lastTouch time.Time
		for _, is := range in.Open {
			if !isLinked(is.Epic, is.Labels, is.Components, is.FixVersions) {
				continue
			}
			open++
			if !is.Updated.Before(since) {
				touched++
			}
			if is.Updated.After(lastTouch) {
				lastTouch = is.Updated
			}
		}
		if !doneRecently && touched == 0 {
			text := fmt.Sprintf("No open issue is linked to %s and no linked work was done in the last %d weeks (%s–%s): "+
				"nothing in the backlog is meant to move it.", m.Name, opts.StarvedWeeks, weekLabel(since), weekLabel(W))
			if open > 0 {
				text = fmt.Sprintf("%s linked to %s, but none was updated and none done in the last %d weeks "+
					"(%s–%s; last update %s): the work meant to move this outcome is starved.",
					plural(open, "open issue is", "open issues are"), m.Name, opts.StarvedWeeks, weekLabel(since), weekLabel(W), lastTouch.UTC().Format(time.DateOnly))
			}
			o.Flags = append(o.Flags, Flag{Kind: FlagWorkStarved, Metric: m.Name, Week: weekLabel(W), Text: text})
		}
	}
	return o
}
