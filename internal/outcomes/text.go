package outcomes

import (
	"fmt"
	"math"
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

// signedVal is fmtVal with a sign: "+2", "-1.5%", "+1000 EUR".
func signedVal(f float64, unit string) string {
	if f > 0 {
		return "+" + fmtVal(f, unit)
	}
	return fmtVal(f, unit)
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
