package report

import (
	"cmp"
	"fmt"
	"time"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// Forecast targets (ForecastSettings.Target, report.forecast.target).
const (
	ForecastReady   = "ready"   // the backlog's ready items, as counted in the backlog line
	ForecastBacklog = "backlog" // every backlog item
)

// Defaults of ForecastSettings.
const (
	DefaultForecastHorizonWeeks    = 4
	DefaultForecastThroughputWeeks = 12
)

// ForecastSettings configure the Monte Carlo forecast of each team
// (docs/metrics.md#monte-carlo-forecast). Zero values take the defaults.
type ForecastSettings struct {
	// Target is what the "when" question forecasts: ForecastReady (default)
	// or ForecastBacklog, counted at the report week's end as the backlog
	// line counts them.
	Target string
	// HorizonWeeks is the "how many by" question: items finished in this
	// many weeks. Default 4.
	HorizonWeeks int
	// ThroughputWeeks is how many full weeks, up to the report week, the
	// weekly throughputs are drawn from. Default 12.
	ThroughputWeeks int
}

// Forecast is a Monte Carlo forecast from weekly throughput, made for the
// report week: from its end (or from the generation time while it runs),
// for its backlog, from the full weeks up to it.
type Forecast struct {
	Target       string           `json:"target"` // ready or backlog: which items Items counts
	Items        int              `json:"items"`  // backlog items forecast (0: no "when" question asked)
	From         string           `json:"from"`   // the day the forecast starts from
	DoneBy       []ForecastDate   `json:"done_by"`
	By           string           `json:"by"` // the "how many by this date" question
	HorizonWeeks int              `json:"horizon_weeks"`
	AtLeast      []ForecastAmount `json:"at_least"`
	Trials       int              `json:"trials"`
	Samples      int              `json:"samples"`      // full weeks of throughput drawn from
	SamplesFrom  string           `json:"samples_from"` // first and last of those weeks, e.g. "2026-W36"
	SamplesTo    string           `json:"samples_to"`
}

// ForecastDate: Items are done by Date in Confidence % of trials.
type ForecastDate struct {
	Confidence int    `json:"confidence"`
	Date       string `json:"date"`
	Weeks      int    `json:"weeks"`
}

// ForecastAmount: at least Items are done by Forecast.By in Confidence % of trials.
type ForecastAmount struct {
	Confidence int `json:"confidence"`
	Items      int `json:"items"`
}

// teamForecast answers, for the report week: when will the target items
// of the week's backlog be done, and how many items will at least be
// finished within the horizon. The weekly throughputs drawn from are those
// of the last s.ThroughputWeeks full weeks up to the report week (the weeks
// before it while it runs). It is seeded by the board id, so the same data
// gives the same forecast. Nil without the week's figures or without any
// throughput to draw from.
func teamForecast(ti TeamInput, week ISOWeek, loc *time.Location, now time.Time, s ForecastSettings) *Forecast {
	target := cmp.Or(s.Target, ForecastReady)
	horizon := cmp.Or(s.HorizonWeeks, DefaultForecastHorizonWeeks)
	window := cmp.Or(s.ThroughputWeeks, DefaultForecastThroughputWeeks)
	byWeek := map[ISOWeek]metrics.WeekKPI{}
	for _, w := range ti.Weeks {
		byWeek[ISOWeek{Year: w.ISOYear, Week: w.ISOWeek}] = w
	}
	cur, ok := byWeek[week]
	if !ok {
		return nil
	}
	last := week
	start := week.End(loc)
	if cur.Partial {
		last = week.Add(-1)
		start = now
	}
	var samples []int
	var first ISOWeek
	for i := window - 1; i >= 0; i-- {
		wk := last.Add(-i)
		if w, ok := byWeek[wk]; ok && !w.Partial {
			if len(samples) == 0 {
				first = wk
			}
			samples = append(samples, w.Throughput)
		}
	}
	items := cur.Backlog.Ready
	if target == ForecastBacklog {
		items = cur.Backlog.Items
	}
	f, err := metrics.RunForecast(metrics.ForecastOptions{Samples: samples, Start: start, Items: items,
		By: start.AddDate(0, 0, 7*horizon), Seed: uint64(ti.BoardID)})
	if err != nil {
		return nil // no full week, or no issue finished in any: nothing to draw from
	}
	out := &Forecast{Target: target, Items: items, From: start.In(loc).Format(time.DateOnly), HorizonWeeks: horizon,
		Trials: f.Trials, Samples: f.Samples, SamplesFrom: first.String(), SamplesTo: last.String(),
		DoneBy: []ForecastDate{}, AtLeast: []ForecastAmount{}}
	for _, c := range metrics.Confidences {
		if d, ok := f.DoneBy[c]; ok {
			out.DoneBy = append(out.DoneBy, ForecastDate{Confidence: c, Date: d.In(loc).Format(time.DateOnly), Weeks: f.WeeksNeeded[c]})
		}
		if n, ok := f.AtLeast[c]; ok {
			out.AtLeast = append(out.AtLeast, ForecastAmount{Confidence: c, Items: n})
		}
	}
	if !f.By.IsZero() {
		out.By = f.By.In(loc).Format(time.DateOnly)
	}
	return out
}

// forecastItems names what the "when" question counts: "30 ready backlog items".
func forecastItems(f Forecast) string {
	if f.Target == ForecastBacklog {
		return plural(f.Items, "backlog item", "backlog items")
	}
	return plural(f.Items, "ready backlog item", "ready backlog items")
}

// forecastNone says why no date is forecast.
func forecastNone(f Forecast) string {
	if f.Target == ForecastBacklog {
		return "The backlog is empty at the week's end: there is no date to forecast."
	}
	return "No backlog item is ready at the week's end: there is no date to forecast " +
		"(report.forecast.target: backlog forecasts every backlog item instead)."
}

// forecastBasis says what the forecast counts and what it draws from.
func forecastBasis(f Forecast) string {
	what := "ready items"
	if f.Target == ForecastBacklog {
		what = "items"
	}
	return fmt.Sprintf("The backlog's %s are counted at the week's end, as in the backlog line below; "+
		"%d simulated futures start on %s, each week drawing at random from the throughput of the %s %s to %s.",
		what, f.Trials, f.From, plural(f.Samples, "full week", "full weeks"), f.SamplesFrom, f.SamplesTo)
}
