package metrics

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestRunForecast(t *testing.T) {
	start := time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC) // a Monday
	t.Run("ConstantThroughput", func(t *testing.T) {
		// 5 items every week: 20 items take exactly 4 weeks in every trial,
		// and 3 weeks deliver exactly 15.
		f, err := RunForecast(ForecastOptions{Samples: []int{5, 5, 5}, Start: start, Items: 20,
			By: start.AddDate(0, 0, 21), Seed: 1, Trials: 1000})
		if err != nil {
			t.Fatal(err)
		}
		want := start.AddDate(0, 0, 28)
		for _, c := range Confidences {
			if !f.DoneBy[c].Equal(want) || f.WeeksNeeded[c] != 4 || f.AtLeast[c] != 15 {
				t.Errorf("%d%%: done by %v (%d weeks), at least %d; want %v (4), 15",
					c, f.DoneBy[c], f.WeeksNeeded[c], f.AtLeast[c], want)
			}
		}
	})
	t.Run("TwoValues", func(t *testing.T) {
		// Weeks deliver 2 or 4 items with equal chance. 4 items: one week
		// when the first draw is 4 (50 %), else two weeks (always ≥ 4): at 85
		// and 95 % two weeks. Over two weeks the total is 4 (25 %), 6 (50 %)
		// or 8 (25 %): at least 6 in 75 % of trials and at least 4 in all,
		// so K = 6 at 50 % and 4 at 85 % and 95 %. 10,000 trials put the
		// sample shares within a few tenths of a percent of these.
		f, err := RunForecast(ForecastOptions{Samples: []int{2, 4}, Start: start, Items: 4,
			By: start.AddDate(0, 0, 14), Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		if f.WeeksNeeded[85] != 2 || f.WeeksNeeded[95] != 2 {
			t.Errorf("weeks needed = %v, want 2 at 85 and 95", f.WeeksNeeded)
		}
		if !reflect.DeepEqual(f.AtLeast, map[int]int{50: 6, 85: 4, 95: 4}) {
			t.Errorf("at least = %v, want 50:6 85:4 95:4", f.AtLeast)
		}
	})
	t.Run("SeededIsReproducible", func(t *testing.T) {
		o := ForecastOptions{Samples: []int{0, 1, 3, 7, 2, 5}, Start: start, Items: 40, By: start.AddDate(0, 0, 56), Seed: 7}
		a, _ := RunForecast(o)
		b, _ := RunForecast(o)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("same seed, different forecasts:\n%+v\n%+v", a, b)
		}
		// Higher confidence never promises an earlier date or more items.
		if a.DoneBy[95].Before(a.DoneBy[85]) || a.DoneBy[85].Before(a.DoneBy[50]) ||
			a.AtLeast[95] > a.AtLeast[85] || a.AtLeast[85] > a.AtLeast[50] {
			t.Errorf("confidences out of order: %+v", a)
		}
	})
	t.Run("NoThroughput", func(t *testing.T) {
		if _, err := RunForecast(ForecastOptions{Samples: []int{0, 0}, Items: 3}); !errors.Is(err, ErrNoThroughput) {
			t.Errorf("err = %v, want ErrNoThroughput", err)
		}
		if _, err := RunForecast(ForecastOptions{Items: 3}); !errors.Is(err, ErrNoThroughput) {
			t.Errorf("no samples: err = %v, want ErrNoThroughput", err)
		}
		if _, err := RunForecast(ForecastOptions{Samples: []int{3, -1}, Items: 3}); err == nil {
			t.Error("negative sample accepted")
		}
	})
	t.Run("BeyondHorizon", func(t *testing.T) {
		// 1 item a week cannot finish 100 items in a 10-week horizon.
		f, err := RunForecast(ForecastOptions{Samples: []int{1}, Start: start, Items: 100, HorizonWeeks: 10, Trials: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.DoneBy) != 0 {
			t.Errorf("done by = %v, want none within the horizon", f.DoneBy)
		}
	})
}
