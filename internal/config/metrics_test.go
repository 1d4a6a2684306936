package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/config"
)

// The metrics keys of the flow-item and velocity settings: defaults, the
// file, the environment and what is refused.
func TestMetricsFlowAndVelocityKeys(t *testing.T) {
	cfg, err := config.Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if m := cfg.Metrics; !slices.Equal(m.VelocityWindows, []int{3, 7}) || !slices.Equal(m.FlowExcludeTypes, []string{"Epic"}) ||
		m.IncludeSubtasks || m.StaleDays != 90 {
		t.Errorf("defaults = %+v", m)
	}

	// [] in the file replaces the default [Epic]: no type is left out.
	cfg, err = config.Load(write(t, "metrics:\n  flow_exclude_types: []\n  include_subtasks: true\n  velocity_windows: [4]\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if m := cfg.Metrics; m.FlowExcludeTypes == nil || len(m.FlowExcludeTypes) != 0 || !m.IncludeSubtasks || !slices.Equal(m.VelocityWindows, []int{4}) {
		t.Errorf("from the file: %+v", m)
	}

	// Lists of numbers take comma-separated values from the environment too.
	cfg, err = config.Load("", env(map[string]string{
		"ANALYZER_METRICS_VELOCITY_WINDOWS":   "2, 6",
		"ANALYZER_METRICS_FLOW_EXCLUDE_TYPES": "Epic,Initiative",
		"ANALYZER_METRICS_INCLUDE_SUBTASKS":   "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if m := cfg.Metrics; !slices.Equal(m.VelocityWindows, []int{2, 6}) || !slices.Equal(m.FlowExcludeTypes, []string{"Epic", "Initiative"}) || !m.IncludeSubtasks {
		t.Errorf("from the environment: %+v", m)
	}
	if _, err := config.Load("", env(map[string]string{"ANALYZER_METRICS_VELOCITY_WINDOWS": "3,seven"})); err == nil ||
		!strings.Contains(err.Error(), "ANALYZER_METRICS_VELOCITY_WINDOWS") {
		t.Errorf("a non-number window from the environment: %v", err)
	}

	for name, c := range map[string]struct{ yaml, want string }{
		"NoWindow":      {"metrics:\n  velocity_windows: []\n", "metrics.velocity_windows: must list at least one window"},
		"WindowTwice":   {"metrics:\n  velocity_windows: [3, 3]\n", "metrics.velocity_windows: window 3 is listed twice"},
		"WindowTooBig":  {"metrics:\n  velocity_windows: [53]\n", "metrics.velocity_windows: each window must be 1-52 sprints, got 53"},
		"EmptyType":     {"metrics:\n  flow_exclude_types: [Epic, \" \"]\n", "metrics.flow_exclude_types: must not hold an empty issue type"},
		"BadCategory":   {goodSite + "      statuses:\n        categories:\n          Blocked: waiting\n", "jira.sites[0].statuses.categories.Blocked"},
		"SubtasksTypo":  {"metrics:\n  include_subtask: true\n", "include_subtask"},
		"ExcludeNotSeq": {"metrics:\n  flow_exclude_types: {Epic: true}\n", "line 2: metrics: want a list"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := config.Load(write(t, c.yaml), env(nil))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
