package outcomes_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/outcomes"
)

// verdictFixture analyses one metric "m" (higher is better) with a release
// "r" shipped on Tuesday of W44 and no lag, in week W47 with the default
// 4-week window: the before window is the 8 weeks W36–W43 (x = -8 … -1,
// weeks relative to the release week) and the after window W44–W47
// (x = 0 … 3), complete. values maps ISO week numbers to weekly values.
func verdictFixture(t *testing.T, values map[int]float64) outcomes.ReleaseWindow {
	t.Helper()
	in := outcomes.Input{
		Metrics:  []outcomes.Metric{{Name: "m", Granularity: outcomes.GranularityWeek}},
		Values:   weeklyValues("m", values),
		Links:    []outcomes.Link{{Metric: "m", FixVersions: []string{"r"}}},
		Releases: []outcomes.Release{{Name: "r", Date: mon[44].AddDate(0, 0, 1)}},
	}
	a, err := outcomes.Analyze(in, outcomes.Options{Week: mon[47]})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Outcomes) != 1 || len(a.Outcomes[0].Releases) != 1 {
		t.Fatalf("outcomes: %+v", a.Outcomes)
	}
	return a.Outcomes[0].Releases[0]
}

// noise is the pattern +½ −½ −½ +½ +½ −½ −½ +½ over the 8 before weeks: it
// sums to 0 and is orthogonal to x (-3.5·½ + 2.5·½ + 1.5·½ − 0.5·½ + 0.5·½
// − 1.5·½ − 2.5·½ + 3.5·½ = 0), so it leaves a fitted line unchanged and
// gives residuals of ±½: SSR = 8·¼ = 2, s² = 2/(8−2) = 1/3, s = 0.57735.
var noise = []float64{0.5, -0.5, -0.5, 0.5, 0.5, -0.5, -0.5, 0.5}

// For every fixture with 8 before weeks and 4 after weeks:
// mean x before = -4.5, Sxx = Σ(x+4.5)² = 2·(0.25+2.25+6.25+12.25) = 42;
// mean x after = 1.5; the prediction's standard error is
// s·√(1/4 + 1/8 + (1.5+4.5)²/42) = s·√(69/56) = s·1.110020; the Student t
// quantile for 8−2 = 6 degrees of freedom is 2.4469. So the band is
// 2.4469·1.110020·s = 2.716127·s, and a slope is a trend when
// |b| > 2.4469·s/√42 = 0.377566·s.
const bandPerS = 2.4469 * 1.1100200 // 2.716127

func TestVerdictStraightLine(t *testing.T) {
	// y = 100 + 2 per week from W36 (100, 102, … 114 in W43), continuing
	// through W44–W47 (116, 118, 120, 122). Before mean 107, after mean
	// 119: the old before/after comparison said "improved +11.2%".
	// The fit: b = Sxy/Sxx = 84/42 = 2, line at x=0: 116; predicted after
	// mean 116 + 2·1.5 = 119; after − predicted = 0. The residuals are 0,
	// so the band is 0 (up to a 1e-9 relative floor) and 0 is not beyond
	// it; the slope 2 is far beyond its own noise: continues prior trend.
	vals := map[int]float64{}
	for w := 36; w <= 47; w++ {
		vals[w] = 100 + 2*float64(w-36)
	}
	r := verdictFixture(t, vals)
	if r.Verdict != outcomes.VerdictContinuesTrend || !near(r.TrendPerWeek, 2) || !near(r.Expected, 119) || !near(r.AfterMean, 119) ||
		!nearTol(r.VsExpected, 0, 1e-9) || !nearTol(r.Band, 0, 1e-6) || !near(r.BeforeMean, 107) ||
		r.BeforeWeeks != 8 || r.AfterWeeks != 4 || !r.Complete {
		t.Fatalf("straight line: %+v", r)
	}
	for _, want := range []string{"continues its prior trend", "+2 a week", "8 weeks before (8 with a value", "4 weeks after (4 with a value)"} {
		if !contains(r.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, r.Text)
		}
	}
}

func TestVerdictPureNoise(t *testing.T) {
	// 32 ± 1 at random: 32 + IntN(3) − 1 from a PCG seeded (19, 19), the
	// first of the seeds 1–40 for which the old before/after comparison
	// called noise "improved" (before mean 31.875, after 32.75, +2.7%).
	rng := rand.New(rand.NewPCG(19, 19))
	vals := map[int]float64{}
	var got []float64
	for w := 36; w <= 47; w++ {
		vals[w] = float64(32 + rng.IntN(3) - 1)
		got = append(got, vals[w])
	}
	// The seed gives W36–W43: 31 33 32 31 32 31 32 33, W44–W47: 33 32 33 33.
	want := []float64{31, 33, 32, 31, 32, 31, 32, 33, 33, 32, 33, 33}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("the seeded series changed: %v", got)
		}
	}
	// Before mean 255/8 = 31.875. Sxy = Σ(x+4.5)(y−31.875) = 7/2, so
	// b = 3.5/42 = 1/12 = 0.0833 a week; line at x=0: 31.875 + 4.5/12 =
	// 32.25; predicted after mean 32.25 + 1.5/12 = 32.375. After mean
	// 131/4 = 32.75: 0.375 above the prediction. SSR = 55/12, s² = 55/72,
	// s = 0.874007; band 2.716127·0.874007 = 2.3739 > 0.375. The slope
	// 0.0833 is below 0.377566·0.874007 = 0.3300: no trend. Within noise.
	r := verdictFixture(t, vals)
	// (The random walk: drift (33 − 31)/7, predicts 33 + 2.5·2/7 = 33.71,
	// −0.96 from the after mean, within its band too. The line explains
	// the after weeks better and is shown.)
	if r.Verdict != outcomes.VerdictWithinNoise || !near(r.TrendPerWeek, 1.0/12) || !near(r.Expected, 32.375) || !near(r.VsExpected, 0.375) ||
		r.NoiseModel != outcomes.ModelLine ||
		!nearTol(r.NoiseSD, 0.874007, 1e-6) || !nearTol(r.Band, bandPerS*0.874007, 1e-4) {
		t.Fatalf("noise: %+v", r)
	}
	if !contains(r.Text, "within the ±2.37") || !contains(r.Text, "within noise") {
		t.Errorf("text:\n%s", r.Text)
	}
}

// The random-walk model of the same 8 before weeks (x = -8 … -1) and 4
// after weeks: the drift is (last − first)/7; the after weeks are h = 1 … 4
// weeks past the last value, h̄ = 2.5, Σ_j Σ_k min(h_j, h_k) = 1·7 + 2·5 +
// 3·3 + 4·1 = 30; the band is t(6) · sd · √(30/16 + 2.5²/7) = 2.4469 · sd ·
// √(155/56) = 2.4469 · 1.663688 · sd. With the ±½ noise the weekly changes
// deviate from the drift by −1, 0, +1, 0, −1, 0, +1: sd = √(4/6) = 0.816497
// and the band 3.323858.

func TestVerdictStep(t *testing.T) {
	// Flat at 50 with the ±½ noise before (50.5 49.5 49.5 50.5 50.5 49.5
	// 49.5 50.5), then a step to 55 with noise (55.5 54.5 54.5 55.5).
	// Line: b = 0, predicts 50; after mean 55: +5, beyond 1.5681 (3.19
	// bands). Random walk: drift (50.5 − 50.5)/7 = 0, predicts the last
	// value 50.5: +4.5, beyond 3.3239 (1.35 bands). Both call it, on the
	// same side: improved, shown with the random walk's figures (fewer
	// bands).
	vals := map[int]float64{44: 55.5, 45: 54.5, 46: 54.5, 47: 55.5}
	for i, n := range noise {
		vals[36+i] = 50 + n
	}
	r := verdictFixture(t, vals)
	if r.Verdict != outcomes.VerdictImproved || !near(r.TrendPerWeek, 0) || !near(r.Expected, 50.5) || !near(r.VsExpected, 4.5) ||
		!nearTol(r.Band, 3.323858, 1e-4) || !nearTol(r.NoiseSD, 0.816497, 1e-6) || r.NoiseModel != outcomes.ModelWalk {
		t.Fatalf("step: %+v", r)
	}
	if !contains(r.Text, "4.5 above the 50.5 its prior trend predicts") || !contains(r.Text, "week-to-week changes") ||
		!contains(r.Text, "improved together with the release") {
		t.Errorf("text:\n%s", r.Text)
	}
}

func TestVerdictSlopeChange(t *testing.T) {
	// Rising by 2 a week with the ±½ noise (100.5 101.5 103.5 106.5 108.5
	// 109.5 111.5 114.5), then flat at 114 from the release. The old
	// comparison: before mean 107, after 114, "improved +6.5%". Line: b = 2,
	// at x=0 116, predicts 119: −5, beyond 1.5681. Random walk: drift
	// (114.5 − 100.5)/7 = 2, predicts 114.5 + 2·2.5 = 119.5: −5.5, beyond
	// 3.3239. Worsened (the growth stopped), shown with the random walk.
	vals := map[int]float64{44: 114, 45: 114, 46: 114, 47: 114}
	for i, n := range noise {
		vals[36+i] = 100 + 2*float64(i) + n
	}
	r := verdictFixture(t, vals)
	if r.Verdict != outcomes.VerdictWorsened || !near(r.TrendPerWeek, 2) || !near(r.Expected, 119.5) || !near(r.VsExpected, -5.5) ||
		!near(r.Delta, 7) || !nearTol(r.Band, 3.323858, 1e-4) || r.NoiseModel != outcomes.ModelWalk {
		t.Fatalf("slope change: %+v", r)
	}
	if !contains(r.Text, "5.5 below the 120 its prior trend predicts") {
		t.Errorf("text:\n%s", r.Text)
	}
}

func TestVerdictTwoPoints(t *testing.T) {
	// One value before (W43: 10) and one after (W44: 12): the old
	// comparison said "improved +20%". A line needs 3 values before to
	// leave a residual to measure noise with: not enough data, with counts.
	r := verdictFixture(t, map[int]float64{43: 10, 44: 12})
	if r.Verdict != outcomes.VerdictNoData || r.BeforeWeeks != 1 || r.AfterWeeks != 1 || r.Expected != nil || r.Band != nil {
		t.Fatalf("two points: %+v", r)
	}
	if !contains(r.Text, "values in 1 of the 8 weeks before (at least 3 needed") || !contains(r.Text, "in 1 of the 4 weeks after, from 2026-W44") {
		t.Errorf("text:\n%s", r.Text)
	}
}

// The same slope change for a lower-is-better metric (churn rising 2 a
// week, then holding): 5 below the trend is an improvement.
func TestVerdictLowerIsBetter(t *testing.T) {
	vals := map[int]float64{44: 114, 45: 114, 46: 114, 47: 114}
	for i, n := range noise {
		vals[36+i] = 100 + 2*float64(i) + n
	}
	in := outcomes.Input{
		Metrics:  []outcomes.Metric{{Name: "churn", Direction: outcomes.LowerIsBetter}},
		Values:   weeklyValues("churn", vals),
		Links:    []outcomes.Link{{Metric: "churn", FixVersions: []string{"r"}}},
		Releases: []outcomes.Release{{Name: "r", Date: mon[44].Add(time.Hour)}},
	}
	a, err := outcomes.Analyze(in, outcomes.Options{Week: mon[47]})
	if err != nil {
		t.Fatal(err)
	}
	if r := a.Outcomes[0].Releases[0]; r.Verdict != outcomes.VerdictImproved {
		t.Fatalf("lower is better: %+v", r)
	}
}

// The lag shifts the after window and its x: the straight line of
// TestVerdictStraightLine (100 in W36, +2 a week, 122 in W47) with the
// release in W42 and a 2-week lag. Before window W34–W41, values in
// W36–W41 (100 … 110, x = -6 … -1); after window W44–W47 (x = 2 … 5,
// mean 3.5): the line through the before weeks is at 112 for x = 0 and
// predicts 112 + 2·3.5 = 119 = the after mean (116+118+120+122)/4. On
// the trend. (Reading the after weeks as x = 0 … 3 would predict 115 and
// call +4 an improvement.) A release in W46 with the same lag has its
// after window start in W48, after the analysed week: the 8 before
// weeks have values, none after: not enough data.
func TestVerdictLag(t *testing.T) {
	vals := map[int]float64{}
	for w := 36; w <= 47; w++ {
		vals[w] = 100 + 2*float64(w-36)
	}
	in := outcomes.Input{
		Metrics: []outcomes.Metric{{Name: "m", Granularity: outcomes.GranularityWeek}},
		Values:  weeklyValues("m", vals),
		Links:   []outcomes.Link{{Metric: "m", FixVersions: []string{"r", "late"}, Lag: 14 * 24 * time.Hour}},
		Releases: []outcomes.Release{{Name: "r", Date: mon[42].Add(time.Hour)},
			{Name: "late", Date: mon[46].Add(time.Hour)}},
	}
	a, err := outcomes.Analyze(in, outcomes.Options{Week: mon[47]})
	if err != nil {
		t.Fatal(err)
	}
	rs := a.Outcomes[0].Releases
	if len(rs) != 2 {
		t.Fatalf("releases: %+v", rs)
	}
	if r := rs[0]; r.Verdict != outcomes.VerdictContinuesTrend || !r.AfterStart.Equal(mon[44]) || r.BeforeWeeks != 6 || r.AfterWeeks != 4 ||
		!near(r.Expected, 119) || !nearTol(r.VsExpected, 0, 1e-9) || !near(r.Delta, 14) {
		t.Fatalf("lagged release: %+v", r)
	}
	if r := rs[1]; r.Verdict != outcomes.VerdictNoData || r.Complete || r.BeforeWeeks != 8 || r.AfterWeeks != 0 || r.AfterMean != nil ||
		!contains(r.Text, "values in 8 of the 8 weeks before") || !contains(r.Text, "in 0 of the 4 weeks after, from 2026-W48") {
		t.Fatalf("after window not started: %+v", r)
	}
}
