package metrics

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// ForecastOptions configures a Monte Carlo forecast
// (docs/metrics.md#monte-carlo-forecast).
type ForecastOptions struct {
	// Samples are weekly throughputs (items done per full week) to draw from,
	// e.g. the last 12 full weeks' (the report picks them: internal/report
	// teamForecast). Required, not all zero.
	Samples []int
	// Start is the instant the forecast starts from (usually Options.Now).
	Start time.Time
	// Items: forecast when this many items will be done (0: skip).
	Items int
	// By: forecast how many items will be done by this date (zero: skip).
	By time.Time
	// Trials is the number of simulated futures. Default 10,000.
	Trials int
	// Seed makes the forecast reproducible: the same inputs and seed give
	// the same answer.
	Seed uint64
	// HorizonWeeks caps a simulated future. Default 520 (10 years).
	HorizonWeeks int
}

// Forecast is the answer: dates at which Items will be done with the given
// confidence, and how many items at least will be done by By.
type Forecast struct {
	Items int `json:"items"`
	// DoneBy maps a confidence (50, 85, 95) to the date by which Items are
	// done in that share of trials; absent when beyond the horizon.
	DoneBy      map[int]time.Time `json:"done_by,omitempty"`
	WeeksNeeded map[int]int       `json:"weeks_needed,omitempty"`
	By          time.Time         `json:"by,omitzero"`
	// AtLeast maps a confidence (50, 85, 95) to the number of items done by
	// By in at least that share of trials.
	AtLeast map[int]int `json:"at_least,omitempty"`
	Trials  int         `json:"trials"`
	Seed    uint64      `json:"seed"`
	Samples int         `json:"samples"`
}

// Confidences reported by Forecast.
var Confidences = []int{50, 85, 95}

// RunForecast simulates future weeks by drawing weekly throughputs at random
// (with replacement) from the samples.
//
// "Items done by <date> at c%": the smallest number of weeks w such that at
// least c% of trials finished Items within w weeks; the date is Start + w
// weeks. "By <date>, at least K items at c%": the largest K such that at
// least c% of trials completed K or more items in the whole weeks between
// Start and By.
func RunForecast(o ForecastOptions) (Forecast, error) {
	if len(o.Samples) == 0 || slices.Max(o.Samples) <= 0 {
		return Forecast{}, ErrNoThroughput
	}
	if slices.Min(o.Samples) < 0 {
		return Forecast{}, errors.New("metrics: negative throughput sample")
	}
	if o.Trials <= 0 {
		o.Trials = 10000
	}
	if o.HorizonWeeks <= 0 {
		o.HorizonWeeks = 520
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	draw := func() int { return o.Samples[rng.IntN(len(o.Samples))] }
	f := Forecast{Items: o.Items, Trials: o.Trials, Seed: o.Seed, Samples: len(o.Samples)}

	if o.Items > 0 {
		weeks := make([]int, o.Trials)
		for t := range weeks {
			done, w := 0, 0
			for done < o.Items && w <= o.HorizonWeeks {
				done += draw()
				w++
			}
			weeks[t] = w // > HorizonWeeks: not within the horizon
		}
		slices.Sort(weeks)
		f.DoneBy, f.WeeksNeeded = map[int]time.Time{}, map[int]int{}
		for _, c := range Confidences {
			rank := int(math.Ceil(float64(c) / 100 * float64(o.Trials))) // trials that must have finished
			w := weeks[rank-1]
			if w > o.HorizonWeeks {
				continue
			}
			f.WeeksNeeded[c] = w
			f.DoneBy[c] = o.Start.AddDate(0, 0, 7*w)
		}
	}
	if !o.By.IsZero() {
		f.By = o.By
		nw := min(int(o.By.Sub(o.Start).Hours()/(24*7)), o.HorizonWeeks)
		totals := make([]int, o.Trials)
		for t := range totals {
			for range max(nw, 0) {
				totals[t] += draw()
			}
		}
		slices.Sort(totals)
		f.AtLeast = map[int]int{}
		for _, c := range Confidences {
			need := int(math.Ceil(float64(c) / 100 * float64(o.Trials)))
			// totals[Trials-need] is reached or beaten by the top `need` trials.
			f.AtLeast[c] = totals[o.Trials-need]
		}
	}
	return f, nil
}
