package config_test

import (
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/config"
)

// Values that YAML accepts but that would break later (NaN compares false
// with every bound, a huge duration overflows time.Duration arithmetic, a
// huge week count allocates without end) are refused at start, naming the
// field.
func TestValidateRefusesValuesThatBreakLater(t *testing.T) {
	const source = `
outcomes:
  sql_sources:
    - metric: mrr
      dsn: host=db
      query: SELECT current_date AS date, 1 AS value
`
	cases := map[string]struct{ yaml, field string }{
		"ThresholdNaN":     {"metrics:\n  sprint_goal:\n    threshold: .nan\n", "metrics.sprint_goal.threshold"},
		"ThresholdInf":     {"metrics:\n  sprint_goal:\n    threshold: .inf\n", "metrics.sprint_goal.threshold"},
		"StaleDaysHuge":    {"metrics:\n  stale_days: 200000\n", "metrics.stale_days"},
		"HistoryWeeksZero": {"metrics:\n  history_weeks: 0\n", "metrics.history_weeks"},
		"ScatterWeeksHuge": {"metrics:\n  scatter_weeks: 1041\n", "metrics.scatter_weeks"},
		"SQLTimeoutHuge":   {strings.Replace(source, "query:", "timeout: 2562047h\n      query:", 1), "outcomes.sql_sources[0].timeout"},
		"SQLTimeoutNeg":    {strings.Replace(source, "query:", "timeout: -1s\n      query:", 1), "outcomes.sql_sources[0].timeout"},
		"SQLQueryCopy":     {strings.Replace(source, "SELECT current_date AS date, 1 AS value", "COPY (SELECT 1) TO STDOUT", 1), "outcomes.sql_sources[0].query"},
		"SQLQueryTwo":      {strings.Replace(source, "1 AS value", "1 AS value; DROP TABLE t", 1), "outcomes.sql_sources[0].query"},
		"Weeks":            {"outcomes:\n  analysis:\n    weeks: 100000000\n", "outcomes.analysis.weeks"},
		"WeeksNegative":    {"outcomes:\n  analysis:\n    weeks: -3\n", "outcomes.analysis.weeks"},
		"BaselineWeeks":    {"outcomes:\n  analysis:\n    baseline_weeks: 1000\n", "outcomes.analysis.baseline_weeks"},
		"WindowWeeks":      {"outcomes:\n  analysis:\n    window_weeks: -1\n", "outcomes.analysis.window_weeks"},
		"StarvedWeeks":     {"outcomes:\n  analysis:\n    starved_weeks: 53\n", "outcomes.analysis.starved_weeks"},
		"FlatPctNaN":       {"outcomes:\n  analysis:\n    flat_pct: .nan\n", "outcomes.analysis.flat_pct"},
		"MovingPctNeg":     {"outcomes:\n  analysis:\n    moving_pct: -5\n", "outcomes.analysis.moving_pct"},
		"FlatAboveMoving":  {"outcomes:\n  analysis:\n    flat_pct: 10\n", "outcomes.analysis.flat_pct"}, // the default moving_pct is 5
		"ShareAboveOne":    {"outcomes:\n  analysis:\n    high_delivery_share: 1.5\n", "outcomes.analysis.high_delivery_share"},
		"ShareInf":         {"outcomes:\n  analysis:\n    high_delivery_share: .inf\n", "outcomes.analysis.high_delivery_share"},
		"MinIssuesNeg":     {"outcomes:\n  analysis:\n    high_delivery_min_issues: -1\n", "outcomes.analysis.high_delivery_min_issues"},
		"UnlinkedPctAbove": {"outcomes:\n  analysis:\n    unlinked_pct: 101\n", "outcomes.analysis.unlinked_pct"},
		"LagHuge":          {"outcomes:\n  links:\n    - metric: mrr\n      epics: [APP-1]\n      lag: 2000000h\n", "outcomes.links[0].lag"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := config.Load(write(t, tc.yaml), env(nil))
			if err == nil || !strings.Contains(err.Error(), "config: "+tc.field+":") {
				t.Fatalf("err = %v, want one naming %s", err, tc.field)
			}
		})
	}
}

// The edges of every bound still load.
func TestValidateAcceptsTheBounds(t *testing.T) {
	y := `
metrics:
  sprint_goal:
    threshold: 1
  stale_days: 3650
outcomes:
  sql_sources:
    - metric: mrr
      dsn: host=db
      timeout: 1h
      query: "SELECT current_date AS date, length(';') AS value; -- one statement"
  links:
    - metric: mrr
      epics: [APP-1]
      lag: 17472h
  analysis:
    weeks: 104
    baseline_weeks: 52
    window_weeks: 52
    starved_weeks: 52
    flat_pct: 5
    moving_pct: 5
    high_delivery_share: 1
    high_delivery_min_issues: 10000
    unlinked_pct: 100
`
	if _, err := config.Load(write(t, y), env(nil)); err != nil {
		t.Fatal(err)
	}
}
