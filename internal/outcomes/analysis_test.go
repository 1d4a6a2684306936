package outcomes_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/outcomes"
)

// Weeks of the fixture (ISO 2026, Mondays):
//
//	W39 09-21  W40 09-28  W41 10-05  W42 10-12  W43 10-19
//	W44 10-26  W45 11-02  W46 11-09  W47 11-16  W48 11-23
//
// The clock says Wednesday 2026-11-25 (W48), so the analysed week is the
// last complete one, W47, and 8 weeks are shown: W40…W47.
var (
	fixtureNow = time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
	mon        = map[int]time.Time{}
)

func init() {
	for w := 30; w <= 48; w++ {
		mon[w] = day(2026, 9, 21).AddDate(0, 0, 7*(w-39))
	}
}

func weeklyValues(metric string, byWeek map[int]float64) []outcomes.Value {
	var out []outcomes.Value
	for w, v := range byWeek {
		out = append(out, outcomes.Value{Metric: metric, Date: mon[w], Value: v})
	}
	return out
}

func fixture() outcomes.Input {
	var vals []outcomes.Value
	// activation: flat at 20 until W44, then rises.
	vals = append(vals, weeklyValues("activation", map[int]float64{40: 20, 41: 20, 42: 20, 43: 20, 44: 20, 45: 22, 46: 25, 47: 26})...)
	// mrr: 1000 every week, 1005 in W47.
	vals = append(vals, weeklyValues("mrr", map[int]float64{40: 1000, 41: 1000, 42: 1000, 43: 1000, 44: 1000, 45: 1000, 46: 1000, 47: 1005})...)
	// nps: 30 for four weeks, then 36.
	vals = append(vals, weeklyValues("nps", map[int]float64{43: 30, 44: 30, 45: 30, 46: 30, 47: 36})...)
	// A segment value that the analysis of the whole must ignore.
	vals = append(vals, outcomes.Value{Metric: "mrr", Date: mon[47], Segment: "emea", Value: 1})
	at := func(w, wd int) time.Time { return mon[w].AddDate(0, 0, wd).Add(10 * time.Hour) }
	return outcomes.Input{
		Metrics: []outcomes.Metric{
			{Name: "activation", Unit: "%", Granularity: outcomes.GranularityWeek},
			{Name: "mrr", Unit: "EUR", Granularity: outcomes.GranularityWeek},
			{Name: "nps", Unit: "score", Granularity: outcomes.GranularityWeek},
			{Name: "churn", Unit: "%", Direction: outcomes.LowerIsBetter},
		},
		Values: vals,
		Links: []outcomes.Link{
			{Metric: "activation", Epics: []string{"ONB-1"}, Lag: 14 * 24 * time.Hour},
			{Metric: "mrr", Labels: []string{"billing"}},
			{Metric: "churn", Components: []string{"retention"}},
		},
		Delivered: []outcomes.Delivered{
			{Key: "ONB-2", Epic: "ONB-1", Points: 5, DoneAt: at(42, 2), FixVersions: []string{"2.3"}},
			{Key: "ONB-3", Epic: "ONB-1", Points: 3, DoneAt: at(43, 1), FixVersions: []string{"2.3"}},
			{Key: "X-3", Points: 2, DoneAt: at(42, 1)},
			{Key: "X-2", Points: 4, DoneAt: at(45, 1)},
			{Key: "BIL-2", Labels: []string{"billing"}, Points: 3, DoneAt: at(45, 2)},
			{Key: "BIL-1", Labels: []string{"billing", "ui"}, Points: 8, DoneAt: at(46, 1)},
			{Key: "BIL-3", Labels: []string{"billing"}, Points: 2, DoneAt: at(47, 2)},
			{Key: "X-1", Points: 10, DoneAt: at(47, 0)},
		},
		Releases: []outcomes.Release{
			{Name: "2.3", Date: at(43, 2)},       // linked to activation through ONB-2 and ONB-3
			{Name: "9.9", Date: at(44, 0)},       // linked to nothing
			{Name: "1.0", Date: day(2026, 1, 5)}, // linked? no; and long before the shown weeks
		},
		Open: []outcomes.OpenIssue{
			{Key: "ONB-4", Epic: "ONB-1", Updated: day(2026, 10, 1)},
			{Key: "X-9", Updated: at(47, 0)},
		},
	}
}

func near(p *float64, want float64) bool { return p != nil && math.Abs(*p-want) < 1e-9 }

func TestAnalyze(t *testing.T) {
	a, err := outcomes.Analyze(fixture(), outcomes.Options{Now: func() time.Time { return fixtureNow }, Weeks: 8})
	if err != nil {
		t.Fatal(err)
	}
	if a.Week != "2026-W47" || !a.WeekStart.Equal(mon[47]) {
		t.Fatalf("analysed week %s %v, want 2026-W47", a.Week, a.WeekStart)
	}
	if len(a.Outcomes) != 4 || a.Outcomes[0].Metric.Name != "activation" || a.Outcomes[3].Metric.Name != "churn" {
		t.Fatalf("outcomes: %+v", a.Outcomes)
	}

	t.Run("Trend", func(t *testing.T) {
		act := a.Outcomes[0]
		if len(act.Weeks) != 8 || act.Weeks[0].Week != "2026-W40" || act.LagWeeks != 2 {
			t.Fatalf("weeks %d from %s, lag %d", len(act.Weeks), act.Weeks[0].Week, act.LagWeeks)
		}
		w47 := act.Weeks[7]
		// 26 against 25 the week before: +1, +4%. Baseline W43–W46:
		// (20+20+22+25)/4 = 21.75; 26-21.75 = 4.25 = 19.54% of 21.75.
		if !near(w47.Value, 26) || !near(w47.Change, 1) || !near(w47.ChangePct, 4) ||
			!near(w47.Baseline, 21.75) || !near(w47.VsBaseline, 4.25) || !near(w47.VsBaselinePct, 4.25/21.75*100) {
			t.Fatalf("activation W47: %+v", w47)
		}
		// W40 has no earlier weeks: no change, no baseline.
		if w40 := act.Weeks[0]; !near(w40.Value, 20) || w40.Change != nil || w40.Baseline != nil {
			t.Fatalf("activation W40: %+v", w40)
		}
		// The emea segment value is not part of the whole: W47 is 1005.
		if mrr := a.Outcomes[1].Weeks[7]; !near(mrr.Value, 1005) || mrr.Samples != 1 {
			t.Fatalf("mrr W47: %+v", mrr)
		}
	})

	t.Run("Delivery", func(t *testing.T) {
		act := a.Outcomes[0].Delivery
		// ONB-2 (5) and ONB-3 (3), and release 2.3 through their fix version.
		if act.Points != 8 || act.Issues != 2 || strings.Join(act.Releases, ",") != "2.3" {
			t.Fatalf("activation delivery: %+v", act)
		}
		if w42 := a.Outcomes[0].Weeks[2]; w42.Week != "2026-W42" || w42.Points != 5 || w42.Issues != 1 {
			t.Fatalf("activation W42 delivery: %+v", w42)
		}
		// BIL-2 (3) + BIL-1 (8) + BIL-3 (2) = 13 points, 3 issues.
		if mrr := a.Outcomes[1].Delivery; mrr.Points != 13 || mrr.Issues != 3 || len(mrr.Releases) != 0 {
			t.Fatalf("mrr delivery: %+v", mrr)
		}
	})

	t.Run("ReleaseWindow", func(t *testing.T) {
		rs := a.Outcomes[0].Releases
		if len(rs) != 1 {
			t.Fatalf("activation releases: %+v", rs)
		}
		r := rs[0]
		// Release 2.3 ships in W43. Before: the 8 weeks W35–W42, of which
		// W40–W42 have values (20, 20, 20): mean 20, a flat line (slope 0)
		// with no scatter. After, shifted by the 2-week lag: W45–W48, of
		// which W48 is after the analysed week, so W45–W47 (22, 25, 26):
		// mean 73/3. The line predicts 20 there: 13/3 = 4.33 above, beyond a
		// band of (almost) 0: improved. The plain delta is the same 13/3,
		// +21.67% of 20.
		if !r.BeforeStart.Equal(mon[35]) || !r.AfterStart.Equal(mon[45]) || r.Complete || r.BeforeWindow != 8 || r.AfterWindow != 4 ||
			r.BeforeWeeks != 3 || r.AfterWeeks != 3 || !near(r.BeforeMean, 20) || !near(r.AfterMean, 73.0/3) ||
			!near(r.Delta, 13.0/3) || !near(r.DeltaPct, 13.0/3/20*100) || !near(r.TrendPerWeek, 0) || !near(r.Expected, 20) ||
			!near(r.VsExpected, 13.0/3) || r.Verdict != outcomes.VerdictImproved {
			t.Fatalf("release window: %+v", r)
		}
		for _, want := range []string{"Release 2.3 (2026-10-21)", "activation averaged 24.3% in the 4 weeks after (3 with a value) from 2026-W45",
			"2 weeks after the release", "only 3 of 4 weeks after", "The 8 weeks before (3 with a value, mean 20%)",
			"4.33 pp above the 20% its prior trend predicts", "improved together with the release", "correlation only"} {
			if !strings.Contains(r.Text, want) {
				t.Errorf("text lacks %q:\n%s", want, r.Text)
			}
		}
		// Release 9.9 is linked to nothing; 1.0 is before the shown weeks.
		for _, o := range a.Outcomes[1:] {
			if len(o.Releases) != 0 {
				t.Errorf("%s has releases %+v", o.Metric.Name, o.Releases)
			}
		}
	})

	t.Run("Alignment", func(t *testing.T) {
		al := a.Alignment
		// W44–W47: X-2 4, BIL-2 3, BIL-1 8, X-1 10, BIL-3 2 = 27 points;
		// linked (billing) 13: 13/27.
		if !al.From.Equal(mon[44]) || !al.To.Equal(mon[48]) || al.DeliveredPoints != 27 || al.LinkedPoints != 13 ||
			al.DeliveredIssues != 5 || al.LinkedIssues != 3 || !near(al.Ratio, 13.0/27) || al.Basis != "points" {
			t.Fatalf("alignment: %+v", al)
		}
		// W42: ONB-2 5 linked, X-3 2 unlinked: 5/7. W40: nothing done.
		if w := a.AlignmentWeeks[2]; w.Week != "2026-W42" || !near(w.Ratio, 5.0/7) {
			t.Fatalf("W42 alignment: %+v", w)
		}
		if w := a.AlignmentWeeks[0]; w.Ratio != nil || w.DeliveredIssues != 0 {
			t.Fatalf("W40 alignment: %+v", w)
		}
	})

	t.Run("Flags", func(t *testing.T) {
		type want struct {
			kind, metric, week string
			texts              []string
		}
		wants := []want{
			// activation: rose 19.5% vs baseline, but linked work (ONB-2,
			// ONB-3, release 2.3) was done in its lagged window W42–W45, so
			// it is not "moving with no delivery". Nothing linked was done
			// and ONB-4 (last updated 2026-10-01) not touched since W45:
			// starved.
			{outcomes.FlagWorkStarved, "activation", "2026-W47",
				[]string{"1 open issue is linked to activation", "last 3 weeks (2026-W45–2026-W47; last update 2026-10-01)"}},
			// mrr: 1005 vs baseline 1000 = +0.5% < 2%: flat. Window W44–W47
			// (no lag): 3 linked issues, 13 of 27 points = 48% ≥ 25%: high.
			{outcomes.FlagHighDeliveryFlatOutcome, "mrr", "2026-W47",
				[]string{"3 issues (13 points, 48% of all delivered) linked to mrr done in 2026-W44–2026-W47",
					"stayed flat in 2026-W47 (+0.5% vs its 4-week baseline, allowing no lag)"}},
			// nps: 36 vs baseline 30 = +20%, no link at all.
			{outcomes.FlagMovingWithoutDelivery, "nps", "2026-W47",
				[]string{"nps rose 20% vs its 4-week baseline in 2026-W47 (30 score → 36 score)",
					"no work is linked to it in the config", "moved together with it"}},
			// churn: linked by component, no open or done work at all.
			{outcomes.FlagWorkStarved, "churn", "2026-W47", []string{"No open issue is linked to churn"}},
			// 14 of 27 points unlinked = 51.85% > 50%.
			{outcomes.FlagUnlinkedDelivery, "", "2026-W47",
				[]string{"52% of the 27 points delivered in 2026-W44–2026-W47 is linked to no outcome (13 of 27 linked"}},
		}
		if len(a.Flags) != len(wants) {
			for _, f := range a.Flags {
				t.Logf("%s %s: %s", f.Kind, f.Metric, f.Text)
			}
			t.Fatalf("%d flags, want %d", len(a.Flags), len(wants))
		}
		for i, w := range wants {
			f := a.Flags[i]
			if f.Kind != w.kind || f.Metric != w.metric || f.Week != w.week {
				t.Errorf("flag %d: %s %q %s, want %s %q %s", i, f.Kind, f.Metric, f.Week, w.kind, w.metric, w.week)
			}
			for _, s := range w.texts {
				if !strings.Contains(f.Text, s) {
					t.Errorf("flag %d text lacks %q:\n%s", i, s, f.Text)
				}
			}
		}
	})

	t.Run("CorrelationNotCausation", func(t *testing.T) {
		texts := []string{}
		for _, f := range a.Flags {
			texts = append(texts, f.Text)
		}
		for _, o := range a.Outcomes {
			for _, r := range o.Releases {
				texts = append(texts, r.Text)
			}
		}
		for _, s := range texts {
			for _, banned := range []string{"caus", "due to", "thanks to", "led to", "drove", "result of"} {
				if strings.Contains(strings.ToLower(s), banned) {
					t.Errorf("text claims causation (%q): %s", banned, s)
				}
			}
		}
	})
}

// With a lag, the delivery window moves back: the same mrr work done 3 or
// more weeks before the analysed week is "high delivery" only when the lag
// puts it in the window.
func TestAnalyzeLagShiftsDeliveryWindow(t *testing.T) {
	in := outcomes.Input{
		Metrics: []outcomes.Metric{{Name: "mrr", Granularity: outcomes.GranularityWeek}},
		Values:  weeklyValues("mrr", map[int]float64{40: 100, 41: 100, 42: 100, 43: 100, 44: 100, 45: 100, 46: 100, 47: 100}),
		Links:   []outcomes.Link{{Metric: "mrr", Labels: []string{"billing"}}},
	}
	// Three billing issues in W40, W41 and W42 (one point each), nothing else.
	for _, w := range []int{40, 41, 42} {
		in.Delivered = append(in.Delivered, outcomes.Delivered{Key: "B", Labels: []string{"billing"}, Points: 1, DoneAt: mon[w].Add(time.Hour)})
	}
	kinds := func(a outcomes.Analysis) string {
		var k []string
		for _, f := range a.Flags {
			k = append(k, f.Kind)
		}
		return strings.Join(k, ",")
	}
	opts := outcomes.Options{Week: mon[47]}
	// No lag: window W44–W47 holds no linked work, mrr is flat (0%):
	// neither flag; nothing linked done or touched since W45: starved.
	a, _ := outcomes.Analyze(in, opts)
	if got := kinds(a); got != outcomes.FlagWorkStarved {
		t.Fatalf("no lag: flags %s", got)
	}
	// A 5-week lag: window W39–W42 holds the 3 issues (100% of points).
	in.Links[0].Lag = 5 * 7 * 24 * time.Hour
	a, _ = outcomes.Analyze(in, opts)
	if got := kinds(a); got != outcomes.FlagHighDeliveryFlatOutcome+","+outcomes.FlagWorkStarved {
		t.Fatalf("5-week lag: flags %s", got)
	}
	if !strings.Contains(a.Flags[0].Text, "2026-W39–2026-W42") || !strings.Contains(a.Flags[0].Text, "a 5-week lag") {
		t.Fatalf("text: %s", a.Flags[0].Text)
	}
}

func TestAnalyzeReleaseVerdicts(t *testing.T) {
	// churn (lower is better) 10% for 4 weeks, then 8% after a release in
	// W44 with no lag: after W44–W47 mean 8, before (W36–W43, values in
	// W40–W43) mean 10, a flat line with no scatter: 2 below the
	// prediction, -2, -20%: improved for a lower-is-better metric.
	in := outcomes.Input{
		Metrics:  []outcomes.Metric{{Name: "churn", Unit: "%", Direction: outcomes.LowerIsBetter}},
		Values:   weeklyValues("churn", map[int]float64{40: 10, 41: 10, 42: 10, 43: 10, 44: 8, 45: 8, 46: 8, 47: 8}),
		Links:    []outcomes.Link{{Metric: "churn", FixVersions: []string{"3.0"}}},
		Releases: []outcomes.Release{{Name: "3.0", Date: mon[44].Add(time.Hour)}},
	}
	a, err := outcomes.Analyze(in, outcomes.Options{Week: mon[47]})
	if err != nil {
		t.Fatal(err)
	}
	r := a.Outcomes[0].Releases[0]
	if !r.Complete || !near(r.Delta, -2) || !near(r.DeltaPct, -20) || r.Verdict != outcomes.VerdictImproved {
		t.Fatalf("lower is better: %+v", r)
	}
	// The same numbers for a higher-is-better metric: worsened.
	in.Metrics[0].Direction = outcomes.HigherIsBetter
	a, _ = outcomes.Analyze(in, outcomes.Options{Week: mon[47]})
	if r := a.Outcomes[0].Releases[0]; r.Verdict != outcomes.VerdictWorsened || !strings.Contains(r.Text, "worsened together with") {
		t.Fatalf("higher is better: %+v", r)
	}
	// Before values 10.2, 9.8, 9.8, 10.2 (W40–W43, x = -4 … -1) and 9.9
	// after: the line is flat at 10 (Sxy = -1.5·0.2 + 0.5·0.2 − 0.5·0.2 +
	// 1.5·0.2 = 0), residuals ±0.2: s² = 0.16/2, s = 0.28284; Sxx = 5; the
	// band for the after mean at x̄ = 1.5 is t(2) 4.3027 · 0.28284 ·
	// √(1/4 + 1/4 + 4²/5) = 2.3409. 9.9 is 0.1 below 10: within noise,
	// where the old rule called −1% "flat" and −2% "improved".
	in.Values = weeklyValues("churn", map[int]float64{40: 10.2, 41: 9.8, 42: 9.8, 43: 10.2, 44: 9.9, 45: 9.9, 46: 9.9, 47: 9.9})
	a, _ = outcomes.Analyze(in, outcomes.Options{Week: mon[47]})
	if r := a.Outcomes[0].Releases[0]; r.Verdict != outcomes.VerdictWithinNoise || !nearTol(r.Band, 2.3409, 1e-4) || !near(r.VsExpected, -0.1) {
		t.Fatalf("within noise: %+v", r)
	}
	// No values before the release: no data, no numbers.
	in.Values = weeklyValues("churn", map[int]float64{45: 9})
	a, _ = outcomes.Analyze(in, outcomes.Options{Week: mon[47]})
	if r := a.Outcomes[0].Releases[0]; r.Verdict != outcomes.VerdictNoData || r.Delta != nil {
		t.Fatalf("no data: %+v", r)
	}
}

func TestAnalyzeAggregatesAndMonthly(t *testing.T) {
	// Daily values in W47 (Mon 10, Wed 20, Fri 60): last 60, mean 30, sum 90.
	vals := []outcomes.Value{
		{Metric: "m", Date: mon[47], Value: 10},
		{Metric: "m", Date: mon[47].AddDate(0, 0, 4), Value: 60},
		{Metric: "m", Date: mon[47].AddDate(0, 0, 2), Value: 20},
	}
	for agg, want := range map[string]float64{"": 60, outcomes.AggregateLast: 60, outcomes.AggregateMean: 30, outcomes.AggregateSum: 90} {
		a, err := outcomes.Analyze(outcomes.Input{Metrics: []outcomes.Metric{{Name: "m", Aggregate: agg}}, Values: vals},
			outcomes.Options{Week: mon[47], Weeks: 1})
		if err != nil {
			t.Fatal(err)
		}
		if w := a.Outcomes[0].Weeks[0]; !near(w.Value, want) || w.Samples != 3 {
			t.Errorf("aggregate %q: %+v, want %v", agg, w, want)
		}
	}
	// A monthly metric: 2026-10-01 (a Thursday, W40) 100 and 2026-11-01
	// (a Sunday, W44) 110. The analysed week W47 has no value; the latest
	// within 5 weeks is W44, whose baseline reaches back 5 weeks to W39–W43
	// and finds October's 100: +10%, a move with nothing linked.
	a, err := outcomes.Analyze(outcomes.Input{
		Metrics: []outcomes.Metric{{Name: "arpu", Granularity: outcomes.GranularityMonth}},
		Values: []outcomes.Value{
			{Metric: "arpu", Date: day(2026, 10, 1), Value: 100},
			{Metric: "arpu", Date: day(2026, 11, 1), Value: 110},
		},
	}, outcomes.Options{Week: mon[47]})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Flags) != 1 || a.Flags[0].Kind != outcomes.FlagMovingWithoutDelivery || a.Flags[0].Week != "2026-W44" ||
		!strings.Contains(a.Flags[0].Text, "arpu rose 10%") {
		t.Fatalf("monthly flags: %+v", a.Flags)
	}
}

func TestAnalyzeIssueBasedAlignment(t *testing.T) {
	// Nothing estimated: the ratio counts issues. 1 linked of 4 = 25%;
	// 75% unlinked > 50%: flagged, in issues.
	in := outcomes.Input{
		Links: []outcomes.Link{{Metric: "nps", Epics: []string{"E-1"}}},
		Delivered: []outcomes.Delivered{
			{Key: "A", Epic: "E-1", DoneAt: mon[47]}, {Key: "B", DoneAt: mon[47]},
			{Key: "C", DoneAt: mon[46]}, {Key: "D", DoneAt: mon[44]},
			{Key: "OLD", DoneAt: mon[43]}, // before the 4-week window
		},
	}
	a, err := outcomes.Analyze(in, outcomes.Options{Week: mon[47].AddDate(0, 0, 3)})
	if err != nil {
		t.Fatal(err)
	}
	al := a.Alignment
	if al.Basis != "issues" || al.DeliveredIssues != 4 || al.LinkedIssues != 1 || !near(al.Ratio, 0.25) {
		t.Fatalf("alignment: %+v", al)
	}
	last := a.Flags[len(a.Flags)-1]
	if last.Kind != outcomes.FlagUnlinkedDelivery || !strings.Contains(last.Text, "75% of the 4 issues delivered") {
		t.Fatalf("flags: %+v", a.Flags)
	}
	// Raising the threshold to 80% removes the flag.
	a, _ = outcomes.Analyze(in, outcomes.Options{Week: mon[47], UnlinkedPct: 80})
	for _, f := range a.Flags {
		if f.Kind == outcomes.FlagUnlinkedDelivery {
			t.Fatalf("flag with an 80%% threshold: %+v", f)
		}
	}
}

func TestAnalyzeRefusesBadDefinitions(t *testing.T) {
	_, err := outcomes.Analyze(outcomes.Input{Metrics: []outcomes.Metric{{Name: "x", Direction: "up"}}}, outcomes.Options{Week: mon[47]})
	if err == nil || !strings.Contains(err.Error(), `direction "up"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestAnalyzeMovingWithLinkButNoDelivery(t *testing.T) {
	// retention is linked (label "ret", 1-week lag) but the only linked
	// work was done in W40, outside the window W43–W46 (4 weeks ending one
	// week before W47). 90 against a baseline of 100 (W43–W46): fell 10%.
	in := outcomes.Input{
		Values: weeklyValues("retention", map[int]float64{43: 100, 44: 100, 45: 100, 46: 100, 47: 90}),
		Links:  []outcomes.Link{{Metric: "retention", Labels: []string{"ret"}, Lag: 7 * 24 * time.Hour}},
		Delivered: []outcomes.Delivered{
			{Key: "R-1", Labels: []string{"ret"}, Points: 3, DoneAt: mon[40]},
		},
		Open: []outcomes.OpenIssue{{Key: "R-2", Labels: []string{"ret"}, Updated: mon[47]}}, // touched: not starved
	}
	a, err := outcomes.Analyze(in, outcomes.Options{Week: mon[47]})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Flags) != 1 || a.Flags[0].Kind != outcomes.FlagMovingWithoutDelivery {
		t.Fatalf("flags: %+v", a.Flags)
	}
	want := "retention fell 10% vs its 4-week baseline in 2026-W47 (100 → 90), while no work linked to it was done in 2026-W43–2026-W46 (allowing a 1-week lag)"
	if !strings.HasPrefix(a.Flags[0].Text, want) {
		t.Fatalf("text:\n%s\nwant prefix:\n%s", a.Flags[0].Text, want)
	}
}

func BenchmarkAnalyze(b *testing.B) {
	// 3 demo series over two years, 20,000 delivered issues, 50 releases.
	end := day(2026, 11, 20)
	var rels []outcomes.Release
	for i := range 50 {
		rels = append(rels, outcomes.Release{Name: "r" + strings.Repeat("x", i%5) + string(rune('a'+i%26)), Date: end.AddDate(0, 0, -14*i)})
	}
	in := outcomes.Input{Metrics: outcomes.DemoMetrics(), Values: outcomes.DemoSeries(1, end, 104, rels[:10]),
		Links: outcomes.DemoLinks(rels[:10]), Releases: rels}
	for i := range 20000 {
		d := outcomes.Delivered{Key: "K", Points: float64(i % 8), DoneAt: end.Add(-time.Duration(i) * time.Hour)}
		if i%3 == 0 {
			d.Labels = []string{"billing"}
		}
		in.Delivered = append(in.Delivered, d)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := outcomes.Analyze(in, outcomes.Options{Week: end, Weeks: 26}); err != nil {
			b.Fatal(err)
		}
	}
}
