package outcomes

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

func movedWord(pct float64) string {
	if pct > 0 {
		return "rose"
	}
	return "fell"
}

func ptr(f float64) *float64 { return &f }

// pct returns (v-base)/|base| in percent, nil when base is 0.
func pct(v, base float64) *float64 {
	if base == 0 {
		return nil
	}
	return ptr((v - base) / math.Abs(base) * 100)
}

// fmtNum formats a number for texts: whole above 100, else at most two
// decimals.
func fmtNum(f float64) string {
	var s string
	switch a := math.Abs(f); {
	case a > 0 && a < 0.01:
		g, _ := strconv.ParseFloat(fmt.Sprintf("%.2g", f), 64)
		s = strconv.FormatFloat(g, 'f', -1, 64) // 0.0025, not 0
	case a >= 100:
		s = fmt.Sprintf("%.0f", f)
	case a >= 10:
		s = fmt.Sprintf("%.1f", f)
	default:
		s = fmt.Sprintf("%.2f", f)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

func signed(f float64) string {
	if f > 0 {
		return "+" + fmtNum(f)
	}
	return fmtNum(f)
}

func fmtPct(p float64) string { return signed(p) + "%" }

// fmtDiff formats a difference of two values: as fmtVal, but in
// percentage points ("1.5 pp") for a metric measured in percent.
func fmtDiff(f float64, unit string) string {
	if unit == "%" {
		return fmtNum(f) + " pp"
	}
	return fmtVal(f, unit)
}

// signedDiff is fmtDiff with a sign: "+2", "-1.5 pp", "+1000 EUR"; no sign
// on a figure that rounds to 0.
func signedDiff(f float64, unit string) string {
	if s := fmtDiff(f, unit); f > 0 && fmtNum(f) != "0" {
		return "+" + s
	} else {
		return s
	}
}

func fmtVal(f float64, unit string) string {
	switch unit {
	case "":
		return fmtNum(f)
	case "%":
		return fmtNum(f) + "%"
	default:
		return fmtNum(f) + " " + unit
	}
}

// plural writes "1 issue" or "3 issues".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
