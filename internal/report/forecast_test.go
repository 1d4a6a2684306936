package report

import (
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// forecastTeam is a board with weekly throughput thr[i] in 2026-W36+i and,
// at the end of W47 (the report week, Monday 16 to Sunday 22 November,
// Europe/Berlin), a backlog of 41 items of which 20 are ready.
func forecastTeam(loc *time.Location, thr ...int) TeamInput {
	var rows []wk
	for i, n := range thr {
		rows = append(rows, wk{week: 36 + i, thr: n, wip: 3})
	}
	ti := TeamInput{SiteID: "acme", BoardID: 5, BoardName: "F", Unit: metrics.UnitPoints, Weeks: weeks(loc, fixtureNow(loc), rows)}
	for i := range ti.Weeks {
		ti.Weeks[i].Backlog = metrics.BacklogHealth{Items: 41, Ready: 20, ReadyShare: f64(20.0 / 41)}
	}
	return ti
}

func forecastOfTeam(t *testing.T, ti TeamInput, week int, s ForecastSettings) *Forecast {
	t.Helper()
	loc := mustLoc(t)
	in := Input{Week: ISOWeek{2026, week}, Location: loc, Now: fixtureNow(loc), Teams: []TeamInput{ti}, Forecast: s}
	return mustBuild(t, in).Teams[0].Forecast
}

func doneBy(f *Forecast) map[int]string {
	out := map[int]string{}
	for _, d := range f.DoneBy {
		out[d.Confidence] = d.Date
	}
	return out
}

func atLeast(f *Forecast) map[int]int {
	out := map[int]int{}
	for _, a := range f.AtLeast {
		out[a.Confidence] = a.Items
	}
	return out
}

// The forecast is made for the report week from that week's own backlog
// line and the throughput of the full weeks up to it, so it agrees with the
// backlog line; its target, horizon and throughput window are settings.
func TestForecastSettings(t *testing.T) {
	loc := mustLoc(t)
	// Every week delivers 5 items: every simulated future is the same.
	// The report was generated after W47, so the forecast starts at the
	// week's end, Monday 2026-11-23. 20 ready items take 20 ÷ 5 = 4 weeks:
	// done by 2026-12-21 at every confidence. In the default 4-week horizon
	// (to 2026-12-21) at least 4 × 5 = 20 items are done.
	steady := forecastTeam(loc, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5)
	f := forecastOfTeam(t, steady, 47, ForecastSettings{})
	if f == nil {
		t.Fatal("no forecast")
	}
	if f.Target != ForecastReady || f.Items != 20 || f.From != "2026-11-23" || f.By != "2026-12-21" || f.HorizonWeeks != 4 {
		t.Errorf("default: target %q items %d from %s by %s horizon %d; want ready 20 from 2026-11-23 by 2026-12-21 horizon 4",
			f.Target, f.Items, f.From, f.By, f.HorizonWeeks)
	}
	if got := doneBy(f); got[50] != "2026-12-21" || got[85] != "2026-12-21" || got[95] != "2026-12-21" {
		t.Errorf("default done by = %v, want 2026-12-21 at 50/85/95", got)
	}
	if got := atLeast(f); got[50] != 20 || got[95] != 20 {
		t.Errorf("default at least = %v, want 20", got)
	}
	// The 12 full weeks W36–W47 are drawn from.
	if f.Samples != 12 || f.SamplesFrom != "2026-W36" || f.SamplesTo != "2026-W47" {
		t.Errorf("samples %d %s–%s, want 12 2026-W36–2026-W47", f.Samples, f.SamplesFrom, f.SamplesTo)
	}

	// target: backlog forecasts all 41 backlog items: ⌈41 ÷ 5⌉ = 9 weeks,
	// 2026-11-23 + 63 days = 2027-01-25.
	f = forecastOfTeam(t, steady, 47, ForecastSettings{Target: ForecastBacklog})
	if got := doneBy(f); f.Target != ForecastBacklog || f.Items != 41 || got[50] != "2027-01-25" || got[95] != "2027-01-25" {
		t.Errorf("backlog target: %q %d items, done by %v; want backlog 41 by 2027-01-25", f.Target, f.Items, got)
	}

	// horizon_weeks 6: by 2026-11-23 + 42 days = 2027-01-04, at least 6 × 5 = 30.
	f = forecastOfTeam(t, steady, 47, ForecastSettings{HorizonWeeks: 6})
	if got := atLeast(f); f.By != "2027-01-04" || f.HorizonWeeks != 6 || got[50] != 30 || got[95] != 30 {
		t.Errorf("horizon 6: by %s (%d weeks), at least %v; want 2027-01-04, 30", f.By, f.HorizonWeeks, got)
	}

	// throughput_weeks: W36–W43 deliver 10, W44–W47 deliver 5.
	mixed := forecastTeam(loc, 10, 10, 10, 10, 10, 10, 10, 10, 5, 5, 5, 5)
	// Drawing from the last 4 weeks only (all 5): 20 ready items in 4 weeks.
	f = forecastOfTeam(t, mixed, 47, ForecastSettings{ThroughputWeeks: 4})
	if got := doneBy(f); f.Samples != 4 || f.SamplesFrom != "2026-W44" || got[50] != "2026-12-21" || got[95] != "2026-12-21" {
		t.Errorf("throughput_weeks 4: %d samples from %s, done by %v; want 4 from 2026-W44, 2026-12-21", f.Samples, f.SamplesFrom, got)
	}
	// Drawing from all 12 (8 × 10, 4 × 5): two weeks suffice only when both
	// draws are 10, (2/3)² = 44 % < 50 %; three weeks fail only on three
	// 5s, (1/3)³ = 3.7 %, so 96.3 % finish in 3 weeks (10,000 trials: a
	// standard error of 0.2 %): 3 weeks, 2026-12-14, at 50, 85 and 95 %.
	f = forecastOfTeam(t, mixed, 47, ForecastSettings{})
	if got := doneBy(f); got[50] != "2026-12-14" || got[85] != "2026-12-14" || got[95] != "2026-12-14" {
		t.Errorf("12 weeks of 10s and 5s: done by %v, want 2026-12-14 at 50/85/95", got)
	}

	// A report for a week not over (W48, generated Monday 23 at 07:00)
	// starts from now and draws from the 12 full weeks before it, W36–W47
	// (not W37–W48 with the partial W48 left out).
	running := forecastTeam(loc, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 0)
	f = forecastOfTeam(t, running, 48, ForecastSettings{})
	if f.From != "2026-11-23" || f.Samples != 12 || f.SamplesFrom != "2026-W36" || f.SamplesTo != "2026-W47" {
		t.Errorf("W48: from %s, %d samples %s–%s; want 2026-11-23, 12, 2026-W36–2026-W47", f.From, f.Samples, f.SamplesFrom, f.SamplesTo)
	}
}

// With no ready item, the "when" question is not asked (no silent switch
// to all backlog items), and the rendered text says why.
func TestForecastNoReadyItems(t *testing.T) {
	loc := mustLoc(t)
	ti := forecastTeam(loc, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5)
	for i := range ti.Weeks {
		ti.Weeks[i].Backlog.Ready, ti.Weeks[i].Backlog.ReadyShare = 0, f64(0)
	}
	in := Input{Week: ISOWeek{2026, 47}, Location: loc, Now: fixtureNow(loc), Teams: []TeamInput{ti}}
	r := mustBuild(t, in)
	f := r.Teams[0].Forecast
	if f == nil || f.Items != 0 || len(f.DoneBy) != 0 || len(f.AtLeast) != 3 {
		t.Fatalf("forecast = %+v, want no date question and the 4-week amount", f)
	}
	md, html := renderBoth(t, r)
	for what, doc := range map[string]string{"md": md, "html": html} {
		if !strings.Contains(doc, "No backlog item is ready at the week") {
			t.Errorf("%s does not say that no item is ready", what)
		}
	}
}

// The fixture's Payments forecast, as rendered: what is forecast (the
// 30 ready items of the backlog line, 84 items), from which weeks.
func TestForecastText(t *testing.T) {
	r := mustBuild(t, fixtureInput(t))
	md, html := renderBoth(t, r)
	for what, doc := range map[string]string{"md": md, "html": html} {
		for _, want := range []string{
			"When will the 30 ready backlog items be done?",
			"84 items · ready 30 (36%)",
			"from the throughput of the 12 full weeks 2026-W36 to 2026-W47",
			"How many items will be finished by 2026-12-21 (4 weeks)?",
		} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s lacks %q", what, want)
			}
		}
	}
}
