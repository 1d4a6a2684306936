package report

import (
	"math"
	"strconv"
	"strings"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// NA is shown for a figure that cannot be computed.
const NA = "—"

// anchors maps a figure to its definition: a page under DocsBaseURL and a
// heading anchor of it (GitHub's anchor rules). TestAnchorsMatchMetricsDoc
// checks every anchor against the headings of docs/metrics.md.
var anchors = map[string]string{
	"sprint":          "metrics.md#sprint-scope",
	"velocity":        "metrics.md#velocity-committed-and-completed",
	"committed":       "metrics.md#velocity-committed-and-completed",
	"completed":       "metrics.md#velocity-committed-and-completed",
	"say_do":          "metrics.md#saydo-ratio",
	"goal":            "metrics.md#sprint-goal",
	"scope_change":    "metrics.md#scope-change",
	"carry_over":      "metrics.md#carry-over",
	"cycle_time":      "metrics.md#cycle-time-and-lead-time",
	"lead_time":       "metrics.md#cycle-time-and-lead-time",
	"percentiles":     "metrics.md#percentiles",
	"throughput":      "metrics.md#throughput",
	"wip":             "metrics.md#wip-and-ageing-wip",
	"ageing_wip":      "metrics.md#wip-and-ageing-wip",
	"escaped_defects": "metrics.md#escaped-defects",
	"escape_rate":     "metrics.md#escaped-defects",
	"backlog":         "metrics.md#backlog-health",
	"data_quality":    "metrics.md#data-quality",
	"forecast":        "metrics.md#monte-carlo-forecast",
	"weekly":          "metrics.md#weeks-and-time-zones",
	// Outcome metrics are defined, and configured, in docs/outcomes.md.
	"outcomes":  "outcomes.md#defining-metrics-and-links",
	"alignment": "outcomes.md#the-analysis",
	"releases":  "outcomes.md#release-verdicts",
	"flags":     "outcomes.md#flags",
}

// link returns the definition URL of a figure.
func link(base, metric string) string {
	a, ok := anchors[metric]
	if !ok {
		panic("report: no definition anchor for " + metric) // a programming error, caught by the golden tests
	}
	return base + a
}

// Def returns the definition URL of a figure, e.g. Def("velocity").
func (r *Report) Def(metric string) string { return link(r.DocsBaseURL, metric) }

// fmtNum formats a quantity with at most one decimal: 14, 14.5.
func fmtNum(x float64) string {
	x = math.Round(x*10) / 10
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// fmtDays formats days with one decimal: 4.0, 7.5.
func fmtDays(x float64) string { return strconv.FormatFloat(math.Round(x*10)/10, 'f', 1, 64) }

// fmtPct formats a ratio as a whole percentage: 0.615 → 62%.
func fmtPct(x float64) string { return strconv.FormatFloat(math.Round(x*100), 'f', 0, 64) + "%" }

// fmtQty formats an amount of the team's unit: "14 points", "1 issue".
func fmtQty(x float64, unit string) string {
	u := unit
	if u == "" {
		u = metrics.UnitIssues
	}
	if fmtNum(x) == "1" {
		u = strings.TrimSuffix(u, "s")
	}
	return fmtNum(x) + " " + u
}

// Template helpers over optional values: "—" for n/a.

func optPct(p *float64) string {
	if p == nil {
		return NA
	}
	return fmtPct(*p)
}

func optDays(p *float64) string {
	if p == nil {
		return NA
	}
	return fmtDays(*p)
}

func optNum(p *float64) string {
	if p == nil {
		return NA
	}
	return fmtNum(*p)
}

// fmtKind formats a HealthRow value by its kind.
func fmtKind(kind string, p *float64) string {
	switch kind {
	case "ratio":
		return optPct(p)
	case "days":
		return optDays(p)
	default:
		return optNum(p)
	}
}

func fmtGoal(b *bool) string {
	switch {
	case b == nil:
		return NA
	case *b:
		return "met"
	default:
		return "not met"
	}
}

func trendArrow(t string) string {
	switch t {
	case TrendUp:
		return "▲"
	case TrendDown:
		return "▼"
	case TrendFlat:
		return "="
	}
	return NA
}

// trendClass says whether a health row's move is good: "better" or
// "worse" by the row's better direction (higher or lower), "" when it did
// not move or has no better direction. The HTML colours the arrow by it.
func trendClass(trend, better string) string {
	up := trend == TrendUp
	if (trend != TrendUp && trend != TrendDown) || (better != "higher" && better != "lower") {
		return ""
	}
	if up == (better == "higher") {
		return "better"
	}
	return "worse"
}
