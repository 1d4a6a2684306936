package outcomes

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Direction says which way of an outcome is good.
const (
	HigherIsBetter = "higher_is_better"
	LowerIsBetter  = "lower_is_better"
)

// Granularity is how often a metric is measured.
const (
	GranularityDay   = "day"
	GranularityWeek  = "week"
	GranularityMonth = "month"
)

// Aggregation turns the values of one ISO week into the week's value.
const (
	AggregateLast = "last" // the latest value of the week (stocks: MRR, NPS, rates); the default
	AggregateMean = "mean" // the mean of the week's values (noisy daily rates)
	AggregateSum  = "sum"  // the sum of the week's values (flows: daily revenue, sign-ups)
)

// Limits on names, shared by every way in.
const (
	MaxNameLen = 100 // longest metric, segment or unit name, in characters
)

// ErrInvalid is wrapped by every validation error of this package (a CSV
// file, an HTTP body, a SQL result or a metric definition that is refused).
var ErrInvalid = errors.New("outcomes: invalid input")

// Metric defines an outcome series. The zero Direction means higher is
// better, the zero Granularity means day and the zero Aggregate means last.
type Metric struct {
	Name        string `json:"name" yaml:"name"`
	Unit        string `json:"unit,omitempty" yaml:"unit"`               // e.g. "EUR", "%", "score"; may be empty
	Direction   string `json:"direction,omitempty" yaml:"direction"`     // higher_is_better (default) | lower_is_better
	Granularity string `json:"granularity,omitempty" yaml:"granularity"` // day (default) | week | month
	Aggregate   string `json:"aggregate,omitempty" yaml:"aggregate"`     // last (default) | mean | sum
}

// Validate checks the definition and fills defaults.
func (m *Metric) Validate() error {
	if err := checkName("metric", m.Name, false); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := checkName("unit", m.Unit, true); err != nil {
		return fmt.Errorf("%w: metric %q: %w", ErrInvalid, m.Name, err)
	}
	m.Direction = defaultString(m.Direction, HigherIsBetter)
	m.Granularity = defaultString(m.Granularity, GranularityDay)
	m.Aggregate = defaultString(m.Aggregate, AggregateLast)
	switch {
	case m.Direction != HigherIsBetter && m.Direction != LowerIsBetter:
		return fmt.Errorf("%w: metric %q: direction %q is not %s or %s", ErrInvalid, m.Name, m.Direction, HigherIsBetter, LowerIsBetter)
	case m.Granularity != GranularityDay && m.Granularity != GranularityWeek && m.Granularity != GranularityMonth:
		return fmt.Errorf("%w: metric %q: granularity %q is not day, week or month", ErrInvalid, m.Name, m.Granularity)
	case m.Aggregate != AggregateLast && m.Aggregate != AggregateMean && m.Aggregate != AggregateSum:
		return fmt.Errorf("%w: metric %q: aggregate %q is not last, mean or sum", ErrInvalid, m.Name, m.Aggregate)
	}
	return nil
}

// Value is one dated value of an outcome. Date is midnight UTC of the day
// the value is for. Segment "" means the whole (all customers, all regions).
type Value struct {
	Metric  string    `json:"metric"`
	Date    time.Time `json:"date"`
	Segment string    `json:"segment"`
	Value   float64   `json:"value"`
	Unit    string    `json:"unit"`
	Source  string    `json:"source"` // where it came from: "csv:FILE", "http", "sql", "demo"
}

// Key identifies a value: a later value with the same key replaces it.
func (v Value) Key() string {
	return v.Metric + "\x00" + v.Date.Format(time.DateOnly) + "\x00" + v.Segment
}

// Link lists the work meant to move an outcome. A delivered or open issue is
// linked when its epic, any label, any component or any fix version is
// listed. Lag is how long the outcome is expected to take to respond; it is
// rounded to whole weeks by the analysis.
type Link struct {
	Metric      string        `json:"metric" yaml:"metric"`
	Epics       []string      `json:"epics,omitempty" yaml:"epics"`
	Labels      []string      `json:"labels,omitempty" yaml:"labels"`
	Components  []string      `json:"components,omitempty" yaml:"components"`
	FixVersions []string      `json:"fix_versions,omitempty" yaml:"fix_versions"`
	Lag         time.Duration `json:"lag,omitempty" yaml:"lag"`
}

// Sink stores values. Writing the same values twice must leave the same rows
// (idempotent on metric, date and segment), and a failed call must store
// nothing. *store.Store implements it.
type Sink interface {
	OutcomeUpsertMany(ctx context.Context, values []Value) error
}

// UpsertResult counts what a write did.
type UpsertResult struct {
	Inserted  int `json:"inserted"`  // new (metric, date, segment)
	Updated   int `json:"updated"`   // existing key, new value, unit or source
	Unchanged int `json:"unchanged"` // existing key, same value: nothing written
}

// CountingSink is a Sink that can also say what a write changed. The HTTP
// handler reports the counts when its sink implements it.
type CountingSink interface {
	OutcomeUpsertManyCount(ctx context.Context, values []Value) (UpsertResult, error)
}

func defaultString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// checkName refuses empty (unless allowed), over-long, non-UTF-8 and
// control-character names and names with leading or trailing space.
func checkName(what, s string, emptyOK bool) error {
	switch {
	case s == "" && emptyOK:
		return nil
	case s == "":
		return fmt.Errorf("%s is empty", what)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s is not valid UTF-8", what)
	case utf8.RuneCountInString(s) > MaxNameLen:
		return fmt.Errorf("%s %q is longer than %d characters", what, truncate(s, 20), MaxNameLen)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%s %q has leading or trailing spaces", what, s)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Errorf("%s %q contains a control character", what, s)
	}
	return nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

var (
	monthRE = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	weekRE  = regexp.MustCompile(`^(\d{4})-[Ww](\d{2})$`)
	// numberRE is a plain decimal number: no thousands separators, no
	// decimal comma, no hex, no NaN or Inf.
	numberRE = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)
)

// Dates accepted from outside: earlier or later ones are typos (0001 for
// 2001) that PostgreSQL, the week arithmetic or the report cannot take.
const (
	MinYear = 1900
	MaxYear = 2999
)

// ParseDate reads a day (2026-11-16), a month (2026-11, the first of the
// month) or an ISO week (2026-W47, its Monday). The result is midnight UTC,
// in the years MinYear to MaxYear.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, y, ok := parseDate(s)
	switch {
	case !ok:
		return time.Time{}, fmt.Errorf("date %q is not a date (want YYYY-MM-DD, YYYY-MM or YYYY-Www)", truncate(s, 40))
	case y < MinYear || y > MaxYear:
		return time.Time{}, fmt.Errorf("date %q is out of range (years %d to %d)", s, MinYear, MaxYear)
	}
	return t, nil
}

// parseDate returns the date and the year written in s.
func parseDate(s string) (time.Time, int, bool) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, t.Year(), true
	}
	if m := monthRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if mo >= 1 && mo <= 12 {
			return time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC), y, true
		}
	}
	if m := weekRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		w, _ := strconv.Atoi(m[2])
		if w >= 1 && w <= 53 {
			mon := isoWeekStart(y, w)
			if yy, ww := mon.ISOWeek(); yy == y && ww == w {
				return mon, y, true
			}
		}
	}
	return time.Time{}, 0, false
}

// ParseNumber reads a plain decimal number such as 12, -3.5 or 1.2e3. It
// refuses a decimal comma, thousands separators, NaN and infinities.
func ParseNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if !numberRE.MatchString(s) {
		if strings.Contains(s, ",") {
			return 0, fmt.Errorf("value %q is not a number (use a decimal point, no thousands separator)", s)
		}
		return 0, fmt.Errorf("value %q is not a number", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("value %q is out of range", s)
	}
	return f, nil
}

// isoWeekStart returns the Monday (UTC) of ISO week w of year y.
func isoWeekStart(y, w int) time.Time {
	jan4 := time.Date(y, time.January, 4, 0, 0, 0, 0, time.UTC)
	offset := (int(jan4.Weekday()) + 6) % 7 // Monday = 0
	return time.Date(y, time.January, 4-offset+7*(w-1), 0, 0, 0, 0, time.UTC)
}

// weekStart returns the Monday 00:00 UTC of the ISO week containing t (in UTC).
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// weekLabel formats the ISO week containing t as "2026-W47".
func weekLabel(t time.Time) string {
	y, w := t.UTC().ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// validator checks values against the known metrics, for every way in.
type validator struct {
	known  map[string]Metric
	strict bool // refuse metrics missing from known
	seen   map[string]string
}

func newValidator(known map[string]Metric, strict bool) *validator {
	return &validator{known: known, strict: strict, seen: map[string]string{}}
}

// check validates v (filling its unit from the metric definition when
// empty) and records its key; where names the value in a duplicate error
// ("line 4", "values[3]").
func (c *validator) check(v *Value, where string) error {
	if err := checkName("metric", v.Metric, false); err != nil {
		return err
	}
	if err := checkName("segment", v.Segment, true); err != nil {
		return err
	}
	if err := checkName("unit", v.Unit, true); err != nil {
		return err
	}
	m, ok := c.known[v.Metric]
	switch {
	case !ok && c.strict:
		return fmt.Errorf("unknown metric %q (known: %s)", v.Metric, knownList(c.known))
	case ok && v.Unit == "":
		v.Unit = m.Unit
	case ok && m.Unit != "" && v.Unit != m.Unit:
		return fmt.Errorf("unit %q differs from the unit %q configured for metric %q", v.Unit, m.Unit, v.Metric)
	}
	if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
		return fmt.Errorf("value is not a finite number")
	}
	if y := v.Date.Year(); y < MinYear || y > MaxYear {
		return fmt.Errorf("date %s is out of range (years %d to %d)", v.Date.Format(time.DateOnly), MinYear, MaxYear)
	}
	if prev, dup := c.seen[v.Key()]; dup {
		return fmt.Errorf("duplicate of %s (metric %q, date %s, segment %q)", prev, v.Metric, v.Date.Format(time.DateOnly), v.Segment)
	}
	c.seen[v.Key()] = where
	return nil
}

func knownList(known map[string]Metric) string {
	if len(known) == 0 {
		return "none configured"
	}
	names := make([]string, 0, len(known))
	for n := range known {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) > 10 {
		names = append(names[:10], "…")
	}
	return strings.Join(names, ", ")
}

// Problems is a validation failure with one message per bad line or item.
// It wraps ErrInvalid.
type Problems struct {
	Prefix string   // e.g. "outcomes"
	List   []string // "line 7: value \"abc\" is not a number"
	More   int      // problems found past the collection limit
}

func (p *Problems) Error() string {
	var b strings.Builder
	for i, s := range p.List {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Prefix + ": " + s)
	}
	if p.More > 0 {
		fmt.Fprintf(&b, "\n%s: … and %d more problems", p.Prefix, p.More)
	}
	return b.String()
}

func (p *Problems) Unwrap() error { return ErrInvalid }

func (p *Problems) add(max int, format string, args ...any) {
	if len(p.List) >= max {
		p.More++
		return
	}
	p.List = append(p.List, fmt.Sprintf(format, args...))
}

func (p *Problems) full(max int) bool { return len(p.List) >= max }
