package report

import (
	"math"
	"reflect"
	"strings"
)

// Rounding of the report's figures (docs/report-schema.md#rounding). Build
// applies it once, to the finished model, so every format (JSON, Markdown,
// HTML, charts) shows a figure with the same value whichever key holds it:
//
//   - durations in days: 1 decimal (the precision of the Markdown and HTML);
//   - ratios (fractions of 1): 3 decimals, i.e. a tenth of a percent;
//   - points, hours and issue counts that can be fractional (sums of
//     estimates, means of counts, backlog depth in sprints): 1 decimal;
//   - percentages (delta_pct): 1 decimal;
//   - an outcome's own values, and any figure not named below: 4 decimals.
//
// A health row's current, previous_4 and baseline follow the row's kind.
const (
	decDays    = 1
	decRatio   = 3
	decPoints  = 1
	decPercent = 1
	decValue   = 4
)

// roundingByKey maps a JSON key to its decimals; keys not listed get decValue.
var roundingByKey = map[string]int{
	// days
	"p50": decDays, "p85": decDays, "p95": decDays, "mean": decDays,
	"cycle_p50": decDays, "cycle_p85": decDays, "cycle_days": decDays, "age_days": decDays,
	// ratios
	"say_do_ratio": decRatio, "scope_change": decRatio, "escape_rate": decRatio, "unestimated_share": decRatio,
	"ready_share": decRatio, "say_do_avg_7": decRatio, "goal_completion_rate": decRatio, "ratio": decRatio,
	// points (the team's unit) and fractional counts
	"committed_points": decPoints, "completed_points": decPoints, "added_points": decPoints, "removed_points": decPoints,
	"carry_over_points": decPoints, "points": decPoints, "points_2plus": decPoints,
	"depth_sprints": decPoints, "linked_points": decPoints, "delivered_points": decPoints,
	"velocity_averages": decPoints, // its elements' value: a key of a list applies to its elements' unlisted fields
	// percentages
	"delta_pct": decPercent,
}

// decimalsOfKind is a health row's rule, by its kind.
func decimalsOfKind(kind string) int {
	switch kind {
	case "ratio":
		return decRatio
	case "days":
		return decDays
	default: // points, count (a mean of counts may be fractional)
		return decPoints
	}
}

// roundTo rounds x to n decimals, halves away from zero; NaN and ±Inf stay.
func roundTo(x float64, n int) float64 {
	p := math.Pow10(n)
	r := math.Round(x*p) / p
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return x
	}
	return r
}

// roundFigures applies the rounding rule to every float of r.
func (r *Report) roundFigures() { roundValue(reflect.ValueOf(r).Elem(), -1) }

// roundValue walks v; dec is the decimals of v itself when it is a float
// (-1: none decided, the default applies).
func roundValue(v reflect.Value, dec int) {
	switch v.Kind() {
	case reflect.Pointer:
		switch {
		case v.IsNil():
		case v.Elem().Kind() == reflect.Float64:
			// A new pointer: the old one may point into Build's input, which
			// Build never modifies.
			if v.CanSet() {
				x := roundTo(v.Elem().Float(), cmpDec(dec))
				v.Set(reflect.ValueOf(&x))
			}
		default:
			roundValue(v.Elem(), dec)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			roundValue(v.Index(i), dec)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			if e.Kind() == reflect.Float64 {
				v.SetMapIndex(k, reflect.ValueOf(roundTo(e.Float(), cmpDec(dec))))
			}
		}
	case reflect.Float64:
		if v.CanSet() {
			v.SetFloat(roundTo(v.Float(), cmpDec(dec)))
		}
	case reflect.Struct:
		t := v.Type()
		kind := ""
		if t == reflect.TypeFor[HealthRow]() {
			kind = v.FieldByName("Kind").String()
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			d, ok := roundingByKey[name]
			if !ok {
				d = dec // an unlisted field of a listed element (velocity_averages[].value)
			}
			if kind != "" && (name == "current" || name == "previous_4" || name == "baseline") {
				d = decimalsOfKind(kind)
			}
			roundValue(v.Field(i), d)
		}
	}
}

func cmpDec(dec int) int {
	if dec < 0 {
		return decValue
	}
	return dec
}
