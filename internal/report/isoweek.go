package report

import (
	"errors"
	"fmt"
	"time"
)

// ErrBadWeek is returned by ParseISOWeek for text that is not an ISO week
// such as "2026-W47", and by Build for a week that does not exist.
var ErrBadWeek = errors.New("report: invalid ISO week")

// ISOWeek is an ISO 8601 week: weeks start on Monday and week 1 is the week
// with the year's first Thursday.
type ISOWeek struct {
	Year int
	Week int
}

// String formats the week as "2026-W47".
func (w ISOWeek) String() string { return fmt.Sprintf("%04d-W%02d", w.Year, w.Week) }

// Valid reports whether the week exists (week 53 only in long years).
func (w ISOWeek) Valid() bool {
	if w.Year < 1 || w.Year > 9999 || w.Week < 1 || w.Week > 53 {
		return false
	}
	y, wk := w.Start(time.UTC).ISOWeek()
	return y == w.Year && wk == w.Week
}

// Start returns Monday 00:00 in loc of the week (nil loc: UTC).
func (w ISOWeek) Start(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	// 4 January is always in week 1.
	jan4 := time.Date(w.Year, time.January, 4, 0, 0, 0, 0, loc)
	offset := (int(jan4.Weekday()) + 6) % 7 // Monday = 0
	return time.Date(w.Year, time.January, 4-offset+7*(w.Week-1), 0, 0, 0, 0, loc)
}

// End returns the start of the following week (exclusive end) in loc.
func (w ISOWeek) End(loc *time.Location) time.Time {
	s := w.Start(loc)
	return time.Date(s.Year(), s.Month(), s.Day()+7, 0, 0, 0, 0, s.Location())
}

// Add returns the week n weeks later (earlier when n < 0).
func (w ISOWeek) Add(n int) ISOWeek {
	s := w.Start(time.UTC).AddDate(0, 0, 7*n)
	return WeekOf(s, time.UTC)
}

// WeekOf returns the ISO week containing t in loc (nil loc: UTC).
func WeekOf(t time.Time, loc *time.Location) ISOWeek {
	if loc == nil {
		loc = time.UTC
	}
	y, wk := t.In(loc).ISOWeek()
	return ISOWeek{Year: y, Week: wk}
}

// LastCompleteWeek returns the last ISO week that ended at or before now in
// loc: on any day of week 48 it returns week 47.
func LastCompleteWeek(now time.Time, loc *time.Location) ISOWeek {
	return WeekOf(now, loc).Add(-1)
}

// ParseISOWeek parses "2026-W47" (also "2026W47" and a lower-case w).
func ParseISOWeek(s string) (ISOWeek, error) {
	bad := fmt.Errorf("%w: %q (want YYYY-Www, e.g. 2026-W47)", ErrBadWeek, s)
	var year, week string
	switch {
	case len(s) == 8 && s[4] == '-' && (s[5] == 'W' || s[5] == 'w'):
		year, week = s[:4], s[6:]
	case len(s) == 7 && (s[4] == 'W' || s[4] == 'w'):
		year, week = s[:4], s[5:]
	default:
		return ISOWeek{}, bad
	}
	y, ok1 := digits(year)
	wk, ok2 := digits(week)
	if !ok1 || !ok2 {
		return ISOWeek{}, bad
	}
	w := ISOWeek{Year: y, Week: wk}
	if !w.Valid() {
		return ISOWeek{}, fmt.Errorf("%w: %q does not exist", ErrBadWeek, s)
	}
	return w, nil
}

func digits(s string) (int, bool) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, s != ""
}
