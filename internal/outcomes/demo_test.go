package outcomes_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/outcomes"
)

func TestDemoSeries(t *testing.T) {
	end := day(2026, 11, 20) // a Friday in W47
	rel := []outcomes.Release{{Name: "onboarding-2.0", Date: mon[42].AddDate(0, 0, 2)}}
	vals := outcomes.DemoSeries(7, end, 12, rel)
	if len(vals) != 36 {
		t.Fatalf("%d values, want 3 metrics × 12 weeks", len(vals))
	}
	if !reflect.DeepEqual(vals, outcomes.DemoSeries(7, end, 12, rel)) {
		t.Fatal("the same seed gave different series")
	}
	if reflect.DeepEqual(vals, outcomes.DemoSeries(8, end, 12, rel)) {
		t.Fatal("another seed gave the same series")
	}
	by := map[string]map[time.Time]float64{}
	for _, v := range vals {
		if by[v.Metric] == nil {
			by[v.Metric] = map[time.Time]float64{}
		}
		by[v.Metric][v.Date] = v.Value
		if v.Date.Weekday() != time.Monday || v.Source != "demo" || v.Segment != "" {
			t.Fatalf("value %+v: want Mondays, source demo, no segment", v)
		}
	}
	// The last week is W47; 12 weeks start at W36.
	if _, ok := by[outcomes.DemoMRR][mon[47]]; !ok {
		t.Fatal("no value for the week of end")
	}
	// Activation: noise is ±0.4 around 24 before W44 (release W42 + 2-week
	// lag); from W46 on it carries the full +4.5.
	for w := 40; w <= 43; w++ {
		if a := by[outcomes.DemoActivation][mon[w]]; a < 23.6 || a > 24.4 {
			t.Errorf("activation W%d = %v before the lag ended, want 24±0.4", w, a)
		}
	}
	for _, w := range []int{46, 47} {
		if a := by[outcomes.DemoActivation][mon[w]]; a < 28.1 || a > 28.9 {
			t.Errorf("activation W%d = %v, want 28.5±0.4", w, a)
		}
	}
	// NPS stays within 32±1; MRR grows (0.8% a week ± 0.3%).
	for d, n := range by[outcomes.DemoNPS] {
		if n < 31 || n > 33 {
			t.Errorf("nps %v on %s, want 32±1", n, d.Format(time.DateOnly))
		}
	}
	first := mon[47].AddDate(0, 0, -7*11)
	if by[outcomes.DemoMRR][mon[47]] <= by[outcomes.DemoMRR][first] {
		t.Errorf("mrr does not trend up: %v → %v", by[outcomes.DemoMRR][first], by[outcomes.DemoMRR][mon[47]])
	}

	// The analysis sees the rise: activation improved together with the
	// release, NPS does not move.
	a, err := outcomes.Analyze(outcomes.Input{Metrics: outcomes.DemoMetrics(), Values: vals, Links: outcomes.DemoLinks(rel), Releases: rel},
		outcomes.Options{Week: end})
	if err != nil {
		t.Fatal(err)
	}
	act := a.Outcomes[0]
	if act.Metric.Name != outcomes.DemoActivation || len(act.Releases) != 1 || act.Releases[0].Verdict != outcomes.VerdictImproved {
		t.Fatalf("activation release window: %+v", act.Releases)
	}
	for _, f := range a.Flags {
		if f.Metric == outcomes.DemoNPS && f.Kind == outcomes.FlagMovingWithoutDelivery {
			t.Errorf("flat NPS flagged as moving: %s", f.Text)
		}
	}
}
