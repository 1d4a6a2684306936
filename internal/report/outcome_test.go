package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"html"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

func outcomeByName(t *testing.T, r *Report, name string) Outcome {
	t.Helper()
	for _, o := range r.Outcomes {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("no outcome %q", name)
	return Outcome{}
}

func nearly(p *float64, want float64) bool { return p != nil && math.Abs(*p-want) < 1e-9 }

// The figures of the outcomes fixture, computed by hand in its comment.
func TestBuildOutcomes(t *testing.T) {
	r := mustBuild(t, outcomesInput(t))

	t.Run("HigherIsBetter", func(t *testing.T) {
		o := outcomeByName(t, r, "Activation rate")
		if o.Direction != DirectionHigherIsBetter || o.LagWeeks != 2 {
			t.Errorf("direction %q, lag %d", o.Direction, o.LagWeeks)
		}
		// 12 weekly values W36–W47; the UTC-midnight Mondays stay Mondays in Berlin.
		if len(o.Series) != 12 || o.Series[0].Date != "2026-08-31" || o.Series[11].Date != "2026-11-16" {
			t.Fatalf("series %+v", o.Series)
		}
		// Latest W47 28.4; 4 weeks earlier (W43) 25.5 → +2.9, up and better;
		// baseline: mean of W43–W46 = (25.5+27+28.5+28.6)/4 = 27.4.
		if !nearly(o.Latest, 28.4) || !nearly(o.Previous, 25.5) || !nearly(o.Change, 2.9) || o.Trend != TrendUp {
			t.Errorf("latest %v previous %v change %v trend %s", *o.Latest, *o.Previous, *o.Change, o.Trend)
		}
		if !nearly(o.Baseline, 27.4) {
			t.Errorf("baseline %v, want 27.4", o.Baseline)
		}
		if o.Better(o.Change) != 1 {
			t.Errorf("a rise of a higher-is-better outcome must be better")
		}
		// Releases sorted by date; window bounds given as UTC Mondays, the
		// after window's end shown inclusive.
		if len(o.Releases) != 2 || o.Releases[0].Name != "Onboarding 2.0" || o.Releases[1].Name != "Onboarding 2.1" {
			t.Fatalf("releases %+v", o.Releases)
		}
		r0 := o.Releases[0]
		if r0.Date != "2026-10-08" || r0.AfterStart != "2026-10-19" || r0.AfterEnd != "2026-11-15" ||
			r0.BeforeStart != "2026-08-10" || r0.BeforeEnd != "2026-10-04" || r0.BeforeWeeks != 5 || r0.AfterWeeks != 4 ||
			r0.Verdict != VerdictImproved || !r0.Complete || !nearly(r0.Delta, 3.38) || !nearly(r0.Expected, 24.2125) ||
			!nearly(r0.VsExpected, 3.1875) || !nearly(r0.Band, 2.7327) /* 2.732686 rounded to 4 decimals (outcome values) */ || !nearly(r0.TrendPerWeek, 0) ||
			r0.NoiseModel == nil || *r0.NoiseModel != NoiseModelWalk {
			t.Errorf("release 2.0: %+v", r0)
		}
		if r1 := o.Releases[1]; r1.Verdict != VerdictNoData || r1.Complete || !nearly(r1.BeforeMean, 25.1) || r1.AfterMean != nil || r1.Expected != nil || r1.AfterWeeks != 0 || r1.NoiseModel != nil {
			t.Errorf("release 2.1: %+v", o.Releases[1])
		}
		// No FlagTexts given: the report phrases the kind, as linked backlog untouched.
		if len(o.FlagTexts) != 1 || !strings.Contains(o.FlagTexts[0], "no open linked issue was updated") {
			t.Errorf("flag texts %q", o.FlagTexts)
		}
	})

	t.Run("LowerIsBetter", func(t *testing.T) {
		o := outcomeByName(t, r, "Churn")
		if o.Direction != DirectionLowerIsBetter {
			t.Errorf("direction %q", o.Direction)
		}
		// W47 2.40 vs W43 2.40: no change, flat, neither better nor worse.
		if !nearly(o.Change, 0) || o.Trend != TrendFlat || o.Better(o.Change) != 0 {
			t.Errorf("change %v trend %s", *o.Change, o.Trend)
		}
		if o.Better(f64(-0.1)) != 1 || o.Better(f64(0.1)) != -1 {
			t.Errorf("for churn a fall is better and a rise worse")
		}
		// No window bounds given: release Thursday 2026-10-01 is in the week
		// of Monday 09-28; +1 week of lag → 10-05; +4 weeks → 11-02, shown
		// inclusive as 11-01; the before window is the 8 weeks before
		// 09-28: 08-03 to 09-27.
		rw := o.Releases[0]
		if rw.AfterStart != "2026-10-05" || rw.AfterEnd != "2026-11-01" || rw.BeforeStart != "2026-08-03" ||
			rw.BeforeEnd != "2026-09-27" || rw.Verdict != VerdictWithinNoise {
			t.Errorf("release %+v", rw)
		}
		// FlagTexts given: shown as is, the kinds kept.
		if len(o.FlagTexts) != 1 || !strings.HasPrefix(o.FlagTexts[0], "4 issues (13 points") ||
			len(o.Flags) != 1 || o.Flags[0] != FlagHighDeliveryFlatOutcome {
			t.Errorf("flags %q texts %q", o.Flags, o.FlagTexts)
		}
	})

	t.Run("Alignment", func(t *testing.T) {
		a := r.Alignment
		if a == nil {
			t.Fatal("no alignment")
		}
		// From Monday W44; To is the Monday after W47, exclusive → Sunday 11-22.
		if a.From != "2026-10-26" || a.To != "2026-11-22" || a.Basis != BasisPoints || *a.Ratio != 0.333 { // 22/66, 3 decimals
			t.Errorf("alignment %+v", a)
		}
		if len(a.Weeks) != 4 || a.Weeks[0].Week != "2026-W44" || len(a.FlagTexts) != 1 {
			t.Errorf("weeks %+v flags %q", a.Weeks, a.FlagTexts)
		}
	})

	t.Run("NoOutcomes", func(t *testing.T) {
		r := mustBuild(t, fixtureInput(t))
		if r.Alignment != nil || len(r.Outcomes) != 0 {
			t.Errorf("alignment %v outcomes %v", r.Alignment, r.Outcomes)
		}
	})

	// In a time zone behind UTC, a UTC-midnight Monday is still that Monday:
	// W48's first value must not slip into W47 as a Sunday.
	t.Run("CalendarDatesWestOfUTC", func(t *testing.T) {
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		in := Input{Week: ISOWeek{2026, 47}, Location: ny, Now: fixtureNow(ny), Outcomes: []OutcomeInput{{Name: "NPS",
			Points: []OutcomePoint{
				{Date: ISOWeek{2026, 47}.Start(time.UTC), Value: 30},
				{Date: ISOWeek{2026, 48}.Start(time.UTC), Value: 40},
			}}}}
		o := mustBuild(t, in).Outcomes[0]
		if len(o.Series) != 1 || o.Series[0].Date != "2026-11-16" || !nearly(o.Latest, 30) {
			t.Errorf("series %+v", o.Series)
		}
	})
}

// The report phrases each flag kind of internal/outcomes; unknown kinds
// are shown as given.
func TestFlagTexts(t *testing.T) {
	for kind, want := range map[string]string{
		FlagHighDeliveryFlatOutcome:      "stayed flat",
		FlagOutcomeMovingWithoutDelivery: "no linked work was done",
		FlagOutcomeWorkStarved:           "no open linked issue was updated",
		FlagUnlinkedDeliveryHigh:         "linked to no outcome",
		"custom_flag":                    "custom_flag",
	} {
		if got := flagText(kind); !strings.Contains(got, want) {
			t.Errorf("%s: %q lacks %q", kind, got, want)
		}
	}
}

var releaseMarker = regexp.MustCompile(`<g class="release-marker"><title>Release ([^<]*) on`)

// Each release dated within the chart (the first value's week to the
// report week's end) gets one marker, labelled with its name; the others
// none.
func TestOutcomeChartReleaseMarkers(t *testing.T) {
	in := outcomesInput(t)
	act := &in.Outcomes[0]
	act.Releases = append(act.Releases,
		OutcomeRelease{Name: "Onboarding 1.9", Date: time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC)},  // before W36, the first value
		OutcomeRelease{Name: "Onboarding 2.2", Date: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}, // after the week's end
	)
	r := mustBuild(t, in)
	for name, want := range map[string][]string{
		"Activation rate": {"Onboarding 2.0", "Onboarding 2.1"},
		"Churn":           {"Billing 3.4"},
	} {
		o := outcomeByName(t, r, name)
		svg := string(OutcomeChart(o))
		var got []string
		for _, m := range releaseMarker.FindAllStringSubmatch(svg, -1) {
			got = append(got, m[1])
		}
		if strings.Join(got, ",") != strings.Join(want, ",") || len(o.ReleasesInChart()) != len(want) {
			t.Errorf("%s: markers %q, want %q", name, got, want)
		}
		for _, rel := range want { // the visible label too
			if !strings.Contains(svg, ">"+rel+"</text>") {
				t.Errorf("%s: no label %q", name, rel)
			}
		}
	}
	// Position: the chart spans Monday 2026-08-31 to Monday 2026-11-23 in
	// Berlin, 84 days plus the hour of the end of summer time = 2017 h;
	// 2026-10-08 00:00 is 38 days = 912 h in: x = 34 + 912/2017 × 358 = 195.9.
	svg := string(OutcomeChart(outcomeByName(t, r, "Activation rate")))
	if !strings.Contains(svg, `<line x1="195.9" y1="32.0" x2="195.9"`) {
		t.Errorf("release 2.0 marker not at x 195.9:\n%s", svg)
	}
	// After windows: 2.0 (W43–W46) is shaded; 2.1's starts at the chart's end.
	if n := strings.Count(svg, `class="after-window"`); n != 1 {
		t.Errorf("%d after windows shaded, want 1", n)
	}
	// The rendered page carries the same markers: 2 + 1.
	var buf bytes.Buffer
	if err := RenderHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), `<g class="release-marker">`); n != 3 {
		t.Errorf("HTML has %d release markers, want 3", n)
	}
	if empty := OutcomeChart(Outcome{Name: "NPS"}); !strings.Contains(string(empty), "No values") {
		t.Errorf("empty chart: %s", empty)
	}
}

// causal matches wording that claims one thing caused another.
var causal = regexp.MustCompile(`(?i)\b(caused|causes|because of|due to|led to|leads to|resulted in|results in|thanks to|drove|driven by)\b`)

var (
	tags      = regexp.MustCompile(`(?s)<[^>]*>`)
	sentences = regexp.MustCompile(`[.!?;]\s+|\n+`)
)

// causalSentences returns the sentences of text that claim a cause.
func causalSentences(text string) []string {
	var out []string
	for _, s := range sentences.Split(text, -1) {
		if causal.MatchString(s) {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}

// No sentence of the PM view claims that work caused an outcome: the texts
// state what moved together, and the view says so.
func TestPMSectionClaimsNoCause(t *testing.T) {
	// The check itself can fail.
	if got := causalSentences("Delivery and outcome moved together. Activation rose due to the release."); len(got) != 1 {
		t.Fatalf("causalSentences = %q", got)
	}
	own := outcomesInput(t) // the report's own phrasing of every flag kind
	for i := range own.Outcomes {
		own.Outcomes[i].FlagTexts = nil
		own.Outcomes[i].Flags = []string{FlagHighDeliveryFlatOutcome, FlagOutcomeMovingWithoutDelivery, FlagOutcomeWorkStarved, FlagUnlinkedDeliveryHigh}
	}
	for name, in := range map[string]Input{"AnalysisTexts": outcomesInput(t), "ReportTexts": own} {
		t.Run(name, func(t *testing.T) {
			r := mustBuild(t, in)
			var md, h bytes.Buffer
			if err := RenderMarkdown(&md, r); err != nil {
				t.Fatal(err)
			}
			if err := RenderHTML(&h, r); err != nil {
				t.Fatal(err)
			}
			_, mdPM, ok1 := strings.Cut(md.String(), "## Delivery vs outcomes (PM)")
			_, htmlPM, ok2 := strings.Cut(h.String(), `<section id="pm">`)
			htmlPM, _, ok3 := strings.Cut(htmlPM, "</section>")
			if !ok1 || !ok2 || !ok3 {
				t.Fatal("no PM section")
			}
			htmlPM = html.UnescapeString(tags.ReplaceAllString(htmlPM, "\n"))
			for format, text := range map[string]string{"markdown": mdPM, "html": htmlPM} {
				if bad := causalSentences(text); len(bad) > 0 {
					t.Errorf("%s claims a cause: %q", format, bad)
				}
				if !strings.Contains(text, "moving together is correlation, not proof of cause and effect") {
					t.Errorf("%s lacks the correlation line", format)
				}
				for _, want := range []string{"Alignment", "2026-W44", "Onboarding 2.0", "improved", "within noise", "lower is better", "expected lag 2 weeks"} {
					if !strings.Contains(text, want) {
						t.Errorf("%s lacks %q", format, want)
					}
				}
			}
		})
	}
}

// The outcome keys are in the schema: a wrong verdict, direction or a
// missing alignment key is refused; the report without outcomes has a
// null alignment.
func TestOutcomeJSONSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderJSON(&buf, mustBuild(t, outcomesInput(t))); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		mutate func(m map[string]any)
		want   string
	}{
		"BadVerdict": {func(m map[string]any) {
			outcome(m)["releases"].([]any)[0].(map[string]any)["verdict"] = "great"
		}, `$.outcomes[0].releases[0].verdict: great is not one of`},
		"BadDirection": {func(m map[string]any) { outcome(m)["direction"] = "up" }, `$.outcomes[0].direction: up is not one of`},
		"MissingRatio": {func(m map[string]any) {
			delete(m["alignment"].(map[string]any), "ratio")
		}, `$.alignment: missing required key "ratio"`},
		"UnknownWeekKey": {func(m map[string]any) {
			m["alignment"].(map[string]any)["weeks"].([]any)[0].(map[string]any)["share"] = 1
		}, `$.alignment.weeks[0]: unknown key "share"`},
	} {
		t.Run(name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			tc.mutate(m)
			b, _ := json.Marshal(m)
			if err := ValidateJSON(b); !errors.Is(err, ErrInvalidReport) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	var plain bytes.Buffer
	if err := RenderJSON(&plain, mustBuild(t, fixtureInput(t))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(plain.Bytes(), []byte(`"alignment": null`)) {
		t.Error(`a report without outcomes must have "alignment": null`)
	}
}

func outcome(m map[string]any) map[string]any { return m["outcomes"].([]any)[0].(map[string]any) }

// Only a release that beat its prior trend and noise is green. The MRR of
// the demo: rising in a straight line, +7 % from the 8 weeks before to the
// 4 after, is the trend continuing (grey, "continues prior trend"); a
// release 5 above its trend is improved (green), one below it worsened
// (red), one within the noise grey.
func TestOutcomeVerdictColours(t *testing.T) {
	in := outcomesInput(t)
	rel := func(name string, week int, verdict string) OutcomeRelease {
		return OutcomeRelease{Name: name, Date: ISOWeek{2026, week}.Start(time.UTC).AddDate(0, 0, 1), BeforeWeeks: 8, AfterWeeks: 4,
			BeforeMean: f64(100), AfterMean: f64(107), Delta: f64(7), DeltaPct: f64(7), TrendPerWeek: f64(1),
			Expected: f64(107), VsExpected: f64(0), NoiseSD: f64(0.5), Band: f64(1.5), Complete: true, Verdict: verdict}
	}
	act := &in.Outcomes[0]
	act.Releases = []OutcomeRelease{rel("Trend", 37, VerdictContinuesTrend), rel("Up", 39, VerdictImproved),
		rel("Down", 41, VerdictWorsened), rel("Noise", 43, VerdictWithinNoise)}
	r := mustBuild(t, in)
	svg := string(OutcomeChart(outcomeByName(t, r, "Activation rate")))
	band := regexp.MustCompile(`<rect class="after-window"[^>]* fill="(#[0-9a-f]+)"[^>]*><title>After release (\w+):[^<]*, ([a-z ]+)</title>`)
	got := map[string]string{}
	for _, m := range band.FindAllStringSubmatch(svg, -1) {
		got[m[2]] = m[1] + " " + m[3]
	}
	want := map[string]string{"Trend": colUndecided + " continues prior trend", "Up": colImproved + " improved",
		"Down": colWorsened + " worsened", "Noise": colUndecided + " within noise"}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("after window of %s: %q, want %q", name, got[name], w)
		}
	}
	var h, md bytes.Buffer
	if err := RenderHTML(&h, r); err != nil {
		t.Fatal(err)
	}
	if err := RenderMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	// The release table (the after window starts 2 weeks of lag after the
	// release week W37): weeks each side, the trend's prediction, the
	// deviation with its band, the verdict (its class colours it).
	for _, want := range []string{
		`<td>Trend</td><td>2026-09-08</td><td>2026-09-21 – 2026-10-18</td><td class="n">8 / 4</td><td class="n">100</td><td class="n">107</td><td class="n">107</td><td class="n">0 (±1.5)</td><td class="v-continues_trend">continues prior trend</td>`,
		`<td class="v-improved">improved</td>`, `<td class="v-within_noise">within noise</td>`,
	} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	if !strings.Contains(md.String(), "| Trend | 2026-09-08 | 2026-09-21 to 2026-10-18 | 8 / 4 | 100 | 107 | 107 | 0 (±1.5) | continues prior trend |") {
		t.Errorf("Markdown lacks the Trend row:\n%s", md.String())
	}
	// Green in the page's CSS only for improved.
	css, _, _ := strings.Cut(h.String(), "</style>")
	for _, v := range []string{VerdictContinuesTrend, VerdictWithinNoise, VerdictNoData} {
		if strings.Contains(css, ".v-"+v) {
			t.Errorf("CSS colours verdict %s", v)
		}
	}
}
