package outcomes_test

import (
	"maps"
	"testing"

	"github.com/backlog-health/analyzer/internal/outcomes"
)

// The demo's own series (seed 42, 26 weeks, as analyzer demo stores them)
// with a release linked to each metric every week from 20 to 6 weeks
// before the analysed week: MRR grows about 0.8 % a week as a random walk,
// so the old comparison called every one of its releases "improved" by
// 7–9 %; NPS scatters ±1 around 32. Now no MRR or NPS release is improved
// or worsened; activation, which rises 4.5 points after its release, is.
func TestDemoVerdicts(t *testing.T) {
	end := day(2026, 11, 25)
	W := mon[47].AddDate(0, 0, 7)
	onb := []outcomes.Release{{Name: "onb", Date: W.AddDate(0, 0, -7*10+2)}}
	vals := outcomes.DemoSeries(42, end, 26, onb)
	var rels []outcomes.Release
	var del []outcomes.Delivered
	for k := 6; k <= 20; k++ {
		d := W.AddDate(0, 0, -7*k+1)
		for _, lab := range []string{"billing", "nps"} {
			name := lab + "-" + d.Format("0102")
			rels = append(rels, outcomes.Release{Name: name, Date: d})
			del = append(del, outcomes.Delivered{Key: name, Labels: []string{lab}, FixVersions: []string{name}, DoneAt: d, Points: 1})
		}
	}
	rels = append(rels, onb...)
	a, err := outcomes.Analyze(outcomes.Input{Metrics: outcomes.DemoMetrics(), Values: vals, Links: outcomes.DemoLinks(onb), Releases: rels, Delivered: del},
		outcomes.Options{Week: W, Weeks: 26})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, o := range a.Outcomes {
		for _, r := range o.Releases {
			counts[o.Metric.Name+" "+r.Verdict]++
			if o.Metric.Name == outcomes.DemoMRR && (r.DeltaPct == nil || *r.DeltaPct < 7) {
				t.Errorf("mrr %s: the plain before/after change %v is not the +7%% the old rule called improved", r.Release, r.DeltaPct)
			}
		}
	}
	want := map[string]int{"activation_rate improved": 1, "mrr continues_trend": 15, "nps within_noise": 14, "nps continues_trend": 1}
	if !maps.Equal(counts, want) {
		t.Fatalf("verdicts %v, want %v", counts, want)
	}
}
