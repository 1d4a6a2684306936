package outcomes

import (
	"math"
	"math/rand/v2"
	"time"
)

// Demo metric names.
const (
	DemoActivation = "activation_rate"
	DemoMRR        = "mrr"
	DemoNPS        = "nps"
)

// DemoMetrics defines the demo series.
func DemoMetrics() []Metric {
	return []Metric{
		{Name: DemoActivation, Unit: "%", Direction: HigherIsBetter, Granularity: GranularityWeek, Aggregate: AggregateLast},
		{Name: DemoMRR, Unit: "EUR", Direction: HigherIsBetter, Granularity: GranularityWeek, Aggregate: AggregateLast},
		{Name: DemoNPS, Unit: "score", Direction: HigherIsBetter, Granularity: GranularityWeek, Aggregate: AggregateLast},
	}
}

// DemoLinks links the demo series to demo work: activation to the
// onboarding releases (by fix version) with a 2-week lag, MRR to the
// "billing" label, NPS to the "nps" label.
func DemoLinks(onboarding []Release) []Link {
	names := make([]string, len(onboarding))
	for i, r := range onboarding {
		names[i] = r.Name
	}
	return []Link{
		{Metric: DemoActivation, FixVersions: names, Lag: 14 * 24 * time.Hour},
		{Metric: DemoMRR, Labels: []string{"billing"}, Lag: 4 * 7 * 24 * time.Hour},
		{Metric: DemoNPS, Labels: []string{"nps"}},
	}
}

// DemoSeries generates weekly values (Mondays, segment "", source "demo")
// for the weeks ISO weeks ending with the week of end:
//
//   - activation_rate about 24% with a little noise, rising by 1.5 points a
//     week for three weeks starting two weeks after each onboarding release;
//   - mrr growing about 0.8% a week from 120,000 EUR, with noise;
//   - nps flat around 32.
//
// The same seed, end, weeks and releases always give the same values.
func DemoSeries(seed int64, end time.Time, weeks int, onboarding []Release) []Value {
	if weeks <= 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x6f7574636f6d6573)) // "outcomes"
	last := weekStart(end)
	first := last.AddDate(0, 0, -7*(weeks-1))
	out := make([]Value, 0, 3*weeks)
	mrr := 120000.0
	for i := range weeks {
		w := first.AddDate(0, 0, 7*i)
		act := 24.0 + (r.Float64()-0.5)*0.8
		for _, rel := range onboarding {
			// Weeks since the release's week, minus the 2-week lag.
			k := int(math.Round(w.Sub(weekStart(rel.Date)).Hours()/(24*7))) - 2
			if k >= 0 {
				act += 1.5 * float64(min(k+1, 3))
			}
		}
		act = math.Min(act, 95)
		if i > 0 {
			mrr *= 1.008 + (r.Float64()-0.5)*0.006
		}
		nps := 32 + (r.Float64()-0.5)*2
		out = append(out,
			Value{Metric: DemoActivation, Date: w, Value: round(act, 1), Unit: "%", Source: "demo"},
			Value{Metric: DemoMRR, Date: w, Value: math.Round(mrr), Unit: "EUR", Source: "demo"},
			Value{Metric: DemoNPS, Date: w, Value: round(nps, 1), Unit: "score", Source: "demo"},
		)
	}
	return out
}

func round(f float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(f*p) / p
}
