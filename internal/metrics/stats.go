package metrics

import (
	"math"
	"slices"
	"time"
)

// Distribution summarises durations in days (docs/metrics.md#percentiles).
type Distribution struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P85   float64 `json:"p85"`
	P95   float64 `json:"p95"`
	Mean  float64 `json:"mean"`
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted (ascending)
// by the nearest-rank method: the value at rank ⌈p/100 × n⌉ (1-based). It is
// always one of the observed values. It returns 0 for an empty slice.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Distribute computes a Distribution of xs (which it sorts in place).
func Distribute(xs []float64) Distribution {
	if len(xs) == 0 {
		return Distribution{}
	}
	slices.Sort(xs)
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return Distribution{
		Count: len(xs),
		P50:   Percentile(xs, 50),
		P85:   Percentile(xs, 85),
		P95:   Percentile(xs, 95),
		Mean:  sum / float64(len(xs)),
	}
}

// wall returns t's wall clock in loc as if it were UTC, so that differences
// count calendar time as a person in loc reads it: Monday 09:00 to the next
// Monday 09:00 is 7 days even across a DST change.
func wall(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	y, mo, d := l.Date()
	h, mi, s := l.Clock()
	return time.Date(y, mo, d, h, mi, s, l.Nanosecond(), time.UTC)
}

// CalendarDays is b − a in days of wall-clock time in loc.
func CalendarDays(a, b time.Time, loc *time.Location) float64 {
	return wall(b, loc).Sub(wall(a, loc)).Hours() / 24
}

// WorkingDays is the part of [a, b) that falls on Monday to Friday in loc, in
// days (fractional; no holidays). Negative when b is before a.
func WorkingDays(a, b time.Time, loc *time.Location) float64 {
	return (workingSince(wall(b, loc)) - workingSince(wall(a, loc))).Hours() / 24
}

// epochMonday is a Monday 00:00: the origin of workingSince.
var epochMonday = time.Date(1970, 1, 5, 0, 0, 0, 0, time.UTC)

// workingSince returns the working (Mon–Fri) time between epochMonday and
// the wall time w, in O(1).
func workingSince(w time.Time) time.Duration {
	const day = 24 * time.Hour
	const week = 7 * day
	d := w.Sub(epochMonday) // may be negative; Duration covers ±292 years
	weeks := d / week
	rem := d % week
	if rem < 0 {
		rem += week
		weeks--
	}
	return weeks*5*day + min(rem, 5*day)
}

// WeekStart returns the Monday 00:00 in loc of the ISO week containing t.
func WeekStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	offset := (int(l.Weekday()) + 6) % 7 // Monday = 0
	y, m, d := l.Date()
	return time.Date(y, m, d-offset, 0, 0, 0, 0, loc)
}
