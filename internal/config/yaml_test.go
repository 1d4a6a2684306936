package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/config"
)

// YAML mistakes are reported by line and by the key's path in the file, in
// the file's own words, never with Go type names.
func TestYAMLErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"Typo", "jira:\n  sites: []\n  concurency: 4\n",
			`config: line 3: unknown key "jira.concurency" (did you mean "concurrency"?)`},
		{"TopLevel", "reports:\n  time_zone: UTC\n",
			`config: line 1: unknown key "reports" (did you mean "report"?)`},
		{"NoSuggestion", "colour: blue\n",
			`config: line 1: unknown key "colour"`},
		{"InList", "jira:\n  sites:\n    - id: acme\n      url: https://a.example\n      tokn: t\n",
			`config: line 5: unknown key "jira.sites[0].tokn" (did you mean "token"?)`},
		{"InOutcomeLink", "outcomes:\n  links:\n    - metric: mrr\n      label: [x]\n",
			`config: line 4: unknown key "outcomes.links[0].label" (did you mean "labels"?)`},
		{"TwoMistakes", "log:\n  levl: info\nmetrics:\n  stale_day: 3\n",
			"config: line 2: unknown key \"log.levl\" (did you mean \"level\"?)\nconfig: line 4: unknown key \"metrics.stale_day\" (did you mean \"stale_days\"?)"},
		{"NotAnInteger", "jira:\n  concurrency: many\n",
			`config: line 2: jira.concurrency: want an integer, got "many"`},
		{"NotANumber", "metrics:\n  sprint_goal:\n    threshold: high\n",
			`config: line 3: metrics.sprint_goal.threshold: want a number, got "high"`},
		{"NotABool", "metrics:\n  working_days: sometimes\n",
			`config: line 2: metrics.working_days: want true or false, got "sometimes"`},
		{"NotAList", "report:\n  formats:\n    md: true\n",
			`config: line 3: report.formats: want a list`},
		{"BadBoards", "jira:\n  sites:\n    - id: acme\n      boards: some\n",
			`config: line 4: jira.sites[0].boards: want "all" or board ids, got "some"`},
		{"BadDuration", "outcomes:\n  links:\n    - metric: mrr\n      labels: [x]\n      lag: 2 weeks\n",
			`config: line 5: outcomes.links[0].lag: invalid duration "2 weeks" (want a number and a unit: s, m, h, d or w, e.g. 90m, 36h, 14d, 2w)`},
		{"IntegerDuration", "outcomes:\n  links:\n    - metric: mrr\n      labels: [x]\n      lag: 14\n",
			`config: line 5: outcomes.links[0].lag: invalid duration "14" (want a number and a unit: s, m, h, d or w, e.g. 90m, 36h, 14d, 2w)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(write(t, tc.yaml), env(nil))
			if err == nil {
				t.Fatal("bad config accepted")
			}
			if err.Error() != tc.want {
				t.Fatalf("error\n got: %s\nwant: %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "config.") || strings.Contains(err.Error(), "!!") {
				t.Fatalf("error shows Go or YAML type names: %s", err)
			}
		})
	}
}

// Durations in the config take days and weeks as well as Go's units.
func TestDurationDaysAndWeeks(t *testing.T) {
	cfg, err := config.Load(write(t, `outcomes:
  links:
    - metric: a
      labels: [x]
      lag: 2w
    - metric: b
      labels: [x]
      lag: 14d
    - metric: c
      labels: [x]
      lag: 1w2d12h
    - metric: d
      labels: [x]
      lag: 336h
  sql_sources:
    - metric: a
      dsn: postgres://u@db/x
      query: SELECT 1
      timeout: 0.025d
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	// 2w = 14d = 336h; 1w2d12h = (7+2)*24+12 = 228h; 0.025d = 0.6h = 36m (SQL timeouts are at most 1h).
	for i, want := range []time.Duration{336 * time.Hour, 336 * time.Hour, 228 * time.Hour, 336 * time.Hour} {
		if got := cfg.Outcomes.Links[i].Lag; got != want {
			t.Errorf("links[%d].lag = %s, want %s", i, got, want)
		}
	}
	if got := cfg.Outcomes.SQL[0].Timeout; got != 36*time.Minute {
		t.Errorf("sql_sources[0].timeout = %s, want 36m", got)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90m": 90 * time.Minute, "36h": 36 * time.Hour, "1d": 24 * time.Hour, "14d": 336 * time.Hour,
		"2w": 336 * time.Hour, "1w1d": 192 * time.Hour, "0.5d": 12 * time.Hour, "1h30m": 90 * time.Minute,
		"-1d": -24 * time.Hour, "0": 0, "1d2h3m4s": 26*time.Hour + 3*time.Minute + 4*time.Second, "250ms": 250 * time.Millisecond,
	} {
		got, err := config.ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2", "d", "2x", "2 w", "1e3d", "99999999w", "1d-2h", "w2"} {
		if got, err := config.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %s, want an error", in, got)
		}
	}
}
