package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// durationHint ends every invalid-duration message.
const durationHint = "want a number and a unit: s, m, h, d or w, e.g. 90m, 36h, 14d, 2w"

// ParseDuration reads a duration as time.ParseDuration does, and also takes
// days (d, 24h) and weeks (w, 7d): "14d", "2w", "1w2d12h", "1.5d". Every
// duration in the configuration file, in ANALYZER_* variables and in
// command-line flags is read with it. "0" is zero; a number without a unit
// is refused, since "lag: 14" could mean days or hours.
func ParseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("invalid duration %q (%s)", s, durationHint)
	rest, neg := s, false
	if r, ok := strings.CutPrefix(rest, "-"); ok {
		rest, neg = r, true
	} else {
		rest = strings.TrimPrefix(rest, "+")
	}
	if rest == "0" {
		return 0, nil
	}
	if rest == "" {
		return 0, bad
	}
	var total float64 // nanoseconds
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		j := i
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.' || rest[j] == '-' || rest[j] == '+') {
			j++
		}
		num, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		if num == "" || unit == "" {
			return 0, bad
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, bad
		}
		switch unit {
		case "d":
			total += v * float64(24*time.Hour)
		case "w":
			total += v * float64(7*24*time.Hour)
		default:
			d, err := time.ParseDuration(num + unit)
			if err != nil {
				return 0, bad
			}
			total += float64(d)
		}
	}
	if total >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid duration %q: longer than %s", s, time.Duration(math.MaxInt64).Round(time.Hour))
	}
	d := time.Duration(math.Round(total))
	if neg {
		d = -d
	}
	return d, nil
}

// durationFlag is a flag.Value reading ParseDuration's syntax.
type durationFlag struct{ d *time.Duration }

// DurationFlag returns a flag.Value that sets *d with ParseDuration, for
// flag.FlagSet.Var: command-line durations take d and w like the file.
func DurationFlag(d *time.Duration) interface {
	String() string
	Set(string) error
} {
	return durationFlag{d}
}

func (f durationFlag) String() string {
	if f.d == nil {
		return "0s"
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}
