package outcomes_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/outcomes"
)

// Documented behaviours of the analysis, each pinned at its boundary so
// that a one-line change (a comparison, a default, a fallback) fails here.

func flagKinds(a outcomes.Analysis, metric string) []string {
	var out []string
	for _, f := range a.Flags {
		if f.Metric == metric {
			out = append(out, f.Kind)
		}
	}
	return out
}

// High delivery is at least 25 % of the points done in the delivery window
// (HighDeliveryShare's default), with at least 3 linked issues.
func TestPinHighDeliveryShareThreshold(t *testing.T) {
	// mrr is 100 every week W40–W47: 0 % against its baseline, flat. With
	// no lag the delivery window is W44–W47. Three billing issues of 1
	// point each are done in W45, and one unlinked issue of `other` points.
	in := func(other float64) outcomes.Input {
		in := outcomes.Input{
			Metrics: []outcomes.Metric{{Name: "mrr", Granularity: outcomes.GranularityWeek}},
			Values:  weeklyValues("mrr", map[int]float64{40: 100, 41: 100, 42: 100, 43: 100, 44: 100, 45: 100, 46: 100, 47: 100}),
			Links:   []outcomes.Link{{Metric: "mrr", Labels: []string{"billing"}}},
			Delivered: []outcomes.Delivered{
				{Key: "X-1", Points: other, DoneAt: mon[45].Add(time.Hour)},
			},
		}
		for i := range 3 {
			in.Delivered = append(in.Delivered, outcomes.Delivered{Key: fmt.Sprint("B-", i), Labels: []string{"billing"}, Points: 1, DoneAt: mon[45].Add(time.Hour)})
		}
		return in
	}
	// 3 of 3 + 9 = 12 points = 0.25 exactly: high delivery, flagged.
	a, err := outcomes.Analyze(in(9), outcomes.Options{Week: mon[47]})
	if err != nil {
		t.Fatal(err)
	}
	if got := flagKinds(a, "mrr"); !slices.Equal(got, []string{outcomes.FlagHighDeliveryFlatOutcome}) {
		t.Fatalf("share 3/12 = 25%%: flags %v", got)
	}
	if !strings.Contains(a.Flags[0].Text, "3 issues (3 points, 25% of all delivered)") {
		t.Errorf("text: %s", a.Flags[0].Text)
	}
	// 3 of 3 + 10 = 13 points = 23.1 %: below the threshold, no flag.
	a, _ = outcomes.Analyze(in(10), outcomes.Options{Week: mon[47]})
	if got := flagKinds(a, "mrr"); len(got) != 0 {
		t.Fatalf("share 3/13 = 23%%: flags %v", got)
	}
	// An explicit HighDeliveryShare of 0.2 takes the 23.1 % in.
	a, _ = outcomes.Analyze(in(10), outcomes.Options{Week: mon[47], HighDeliveryShare: 0.2})
	if got := flagKinds(a, "mrr"); !slices.Equal(got, []string{outcomes.FlagHighDeliveryFlatOutcome}) {
		t.Fatalf("share 23%% with a 20%% threshold: flags %v", got)
	}
}

// A weekly metric without a value in the analysed week is judged at last
// week's value; an older one is not judged at all.
func TestPinLastWeekFallback(t *testing.T) {
	// nps (linked to nothing) has no W47 value. W42–W45 are 30, W46 is 36:
	// the flags look at W46, whose baseline W42–W45 is 30: +20 %, moving
	// with nothing linked, flagged in W46.
	in := outcomes.Input{Values: weeklyValues("nps", map[int]float64{42: 30, 43: 30, 44: 30, 45: 30, 46: 36})}
	a, err := outcomes.Analyze(in, outcomes.Options{Week: mon[47]})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Flags) != 1 || a.Flags[0].Kind != outcomes.FlagMovingWithoutDelivery || a.Flags[0].Week != "2026-W46" ||
		!strings.Contains(a.Flags[0].Text, "nps rose 20% vs its 4-week baseline in 2026-W46 (30 → 36)") {
		t.Fatalf("last week's value: %+v", a.Flags)
	}
	// The same series a week earlier (W41–W44 30, W45 36): the latest value
	// is 2 weeks old, too stale for a weekly metric: no flag.
	in = outcomes.Input{Values: weeklyValues("nps", map[int]float64{41: 30, 42: 30, 43: 30, 44: 30, 45: 36})}
	a, _ = outcomes.Analyze(in, outcomes.Options{Week: mon[47]})
	if len(a.Flags) != 0 {
		t.Fatalf("a value 2 weeks old is judged: %+v", a.Flags)
	}
}

// Release windows exist only for releases dated within the shown weeks:
// from the first shown Monday 00:00 to the end of the analysed week.
func TestPinReleasesOutsideShownWeeks(t *testing.T) {
	// 4 weeks shown: W44–W47, from Monday 2026-10-26 to Sunday 2026-11-22.
	sec := time.Second
	rels := []outcomes.Release{
		{Name: "before", Date: mon[44].Add(-sec)},        // Sunday 2026-10-25 23:59:59, W43
		{Name: "first", Date: mon[44]},                   // Monday 2026-10-26 00:00, W44
		{Name: "last", Date: mon[48].Add(-sec)},          // Sunday 2026-11-22 23:59:59, W47
		{Name: "after", Date: mon[48]},                   // Monday 2026-11-23 00:00, W48
		{Name: "undated"},                                // no release date: never shown
		{Name: "unlinked", Date: mon[45].Add(time.Hour)}, // in the weeks, but linked to nothing
	}
	in := outcomes.Input{
		Metrics:  []outcomes.Metric{{Name: "m", Granularity: outcomes.GranularityWeek}},
		Values:   weeklyValues("m", map[int]float64{44: 1, 45: 1, 46: 1, 47: 1}),
		Links:    []outcomes.Link{{Metric: "m", FixVersions: []string{"before", "first", "last", "after", "undated"}}},
		Releases: rels,
	}
	a, err := outcomes.Analyze(in, outcomes.Options{Week: mon[47], Weeks: 4})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range a.Outcomes[0].Releases {
		got = append(got, r.Release)
	}
	if !slices.Equal(got, []string{"first", "last"}) {
		t.Fatalf("release windows for %v, want [first last]", got)
	}
}

// A zero baseline has no percentage: the change is given in the metric's
// unit only, no move is flagged, and a release is still judged on its
// trend. A negative baseline's percentage is of its magnitude.
func TestPinZeroBaseline(t *testing.T) {
	// net_flow (linked to nothing) is 0 in W43–W46 and 5 in W47: +5 against
	// the previous week and the baseline 0, no percentages, and therefore
	// no "moving without delivery" flag (which needs a percentage).
	in := outcomes.Input{Values: weeklyValues("net_flow", map[int]float64{43: 0, 44: 0, 45: 0, 46: 0, 47: 5})}
	a, err := outcomes.Analyze(in, outcomes.Options{Week: mon[47]})
	if err != nil {
		t.Fatal(err)
	}
	w := a.Outcomes[0].Weeks[len(a.Outcomes[0].Weeks)-1]
	if !near(w.Baseline, 0) || !near(w.VsBaseline, 5) || w.VsBaselinePct != nil || !near(w.Change, 5) || w.ChangePct != nil || len(a.Flags) != 0 {
		t.Fatalf("zero baseline: %+v, flags %+v", w, a.Flags)
	}
	// -10 in W43–W46, -5 in W47: +5 is +50 % of |-10| (not -50 %).
	in = outcomes.Input{Values: weeklyValues("net_flow", map[int]float64{43: -10, 44: -10, 45: -10, 46: -10, 47: -5})}
	a, _ = outcomes.Analyze(in, outcomes.Options{Week: mon[47]})
	if w := a.Outcomes[0].Weeks[len(a.Outcomes[0].Weeks)-1]; !near(w.VsBaselinePct, 50) || !near(w.ChangePct, 50) {
		t.Fatalf("negative baseline: %+v", w)
	}
	// A release in W44 (no lag) on a series that is 0 in W36–W43: before
	// mean 0, so no delta_pct. After 2 in W44–W47: the flat line at 0 with
	// no scatter predicts 0, +2 is beyond the band: improved. After 0: 0
	// from the prediction, within the (zero) band, no slope: within noise.
	release := func(after float64) outcomes.ReleaseWindow {
		vals := map[int]float64{}
		for w := 36; w <= 47; w++ {
			vals[w] = 0
			if w >= 44 {
				vals[w] = after
			}
		}
		a, err := outcomes.Analyze(outcomes.Input{
			Values: weeklyValues("net_flow", vals), Links: []outcomes.Link{{Metric: "net_flow", FixVersions: []string{"r"}}},
			Releases: []outcomes.Release{{Name: "r", Date: mon[44].Add(time.Hour)}},
		}, outcomes.Options{Week: mon[47]})
		if err != nil {
			t.Fatal(err)
		}
		return a.Outcomes[0].Releases[0]
	}
	if r := release(2); r.DeltaPct != nil || !near(r.Delta, 2) || !near(r.VsExpected, 2) || r.Verdict != outcomes.VerdictImproved {
		t.Fatalf("release on a zero baseline, +2: %+v", r)
	}
	if r := release(0); r.DeltaPct != nil || !near(r.Delta, 0) || !near(r.Band, 0) || r.Verdict != outcomes.VerdictWithinNoise {
		t.Fatalf("release on a zero baseline, 0: %+v", r)
	}
}

// Each week count must be positive: a negative one is refused (0 takes
// the default).
func TestPinNegativeOptionsRefused(t *testing.T) {
	for name, o := range map[string]outcomes.Options{
		"Weeks":         {Weeks: -1},
		"BaselineWeeks": {BaselineWeeks: -1},
		"WindowWeeks":   {WindowWeeks: -1},
		"StarvedWeeks":  {StarvedWeeks: -1},
	} {
		o.Week = mon[47]
		if _, err := outcomes.Analyze(outcomes.Input{}, o); !errors.Is(err, outcomes.ErrInvalid) || !strings.Contains(err.Error(), "must be positive") {
			t.Errorf("%s -1: err = %v", name, err)
		}
	}
	a, err := outcomes.Analyze(outcomes.Input{}, outcomes.Options{Week: mon[47]})
	if err != nil || len(a.AlignmentWeeks) != 12 {
		t.Fatalf("zero options (defaults: 12 weeks): %d weeks, %v", len(a.AlignmentWeeks), err)
	}
}

// rowsReader yields a CSV header and n rows of one field each ("x", which
// has too few columns) without holding the file in memory.
type rowsReader struct {
	n, done int
	buf     bytes.Buffer
}

func (r *rowsReader) Read(p []byte) (int, error) {
	for r.buf.Len() < len(p) && r.done <= r.n {
		if r.done == 0 {
			r.buf.WriteString("date,metric,value\n")
		} else {
			r.buf.WriteString("x\n")
		}
		r.done++
	}
	if r.buf.Len() == 0 {
		return 0, io.EOF
	}
	return r.buf.Read(p)
}

// A CSV file of more than MaxRows rows is refused; the default is
// 1,000,000, and -1 disables the limit.
func TestPinCSVRowLimit(t *testing.T) {
	csv := func(rows int) string {
		var b strings.Builder
		b.WriteString("date,metric,value\n")
		for i := range rows {
			fmt.Fprintf(&b, "2026-01-01,m%d,1\n", i)
		}
		return b.String()
	}
	if got, err := outcomes.ParseCSV(strings.NewReader(csv(3)), outcomes.CSVOptions{MaxRows: 3}); err != nil || len(got) != 3 {
		t.Fatalf("3 rows, limit 3: %d values, %v", len(got), err)
	}
	_, err := outcomes.ParseCSV(strings.NewReader(csv(4)), outcomes.CSVOptions{MaxRows: 3})
	if !errors.Is(err, outcomes.ErrInvalid) || !strings.Contains(err.Error(), "line 5: the file has more than 3 rows; split it") {
		t.Fatalf("4 rows, limit 3: %v", err)
	}
	if got, err := outcomes.ParseCSV(strings.NewReader(csv(4)), outcomes.CSVOptions{MaxRows: -1}); err != nil || len(got) != 4 {
		t.Fatalf("4 rows, no limit: %d values, %v", len(got), err)
	}
	// The default: 1,000,002 rows of one column each. Rows 1 … 1,000,000
	// are each a problem (1 column, the header has 3); row 1,000,001 (line
	// 1,000,002) is over the limit and parsing stops there. 20 problems
	// are listed, 1,000,001 − 20 = 999,981 counted. Without the limit the
	// count would be 999,982 (row 1,000,002 a column problem too), with a
	// smaller one far less.
	_, err = outcomes.ParseCSV(&rowsReader{n: 1_000_002}, outcomes.CSVOptions{})
	var probs *outcomes.Problems
	if !errors.As(err, &probs) || len(probs.List) != 20 || probs.More != 999_981 {
		t.Fatalf("default limit: %v", err)
	}
}

// A SQL source's result of more than MaxRows rows is refused whole; the
// default is 100,000.
func TestPinSQLRowLimit(t *testing.T) {
	ctx := context.Background()
	dsn, _ := userDB(t)
	q := func(n int) string {
		return fmt.Sprintf(`SELECT DATE '2000-01-01' + i AS date, i AS value FROM generate_series(1, %d) AS i`, n)
	}
	if got, err := outcomes.PullSQL(ctx, dsn, q(100_000), "m"); err != nil || len(got) != 100_000 || got[99_999].Value != 100_000 {
		t.Fatalf("100,000 rows: %d values, %v", len(got), err)
	}
	got, err := outcomes.PullSQL(ctx, dsn, q(100_001), "m")
	if !errors.Is(err, outcomes.ErrInvalid) || got != nil || !strings.Contains(err.Error(), "more than 100000 rows; aggregate in the query") {
		t.Fatalf("100,001 rows: %d values, %v", len(got), err)
	}
	src := outcomes.SQLSource{DSN: dsn, Query: q(3), Metric: "m", MaxRows: 2}
	if _, err := src.Pull(ctx); !errors.Is(err, outcomes.ErrInvalid) || !strings.Contains(err.Error(), "more than 2 rows") {
		t.Fatalf("3 rows, limit 2: %v", err)
	}
	src.MaxRows = 3
	if got, err := src.Pull(ctx); err != nil || len(got) != 3 {
		t.Fatalf("3 rows, limit 3: %d values, %v", len(got), err)
	}
}
