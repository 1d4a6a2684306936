package config_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/backlog-health/analyzer/internal/config"
)

// FuzzLoad: any YAML gives a configuration or an error naming the problem,
// never a panic; an accepted one validates again and holds only finite,
// bounded numbers.
func FuzzLoad(f *testing.F) {
	example, err := os.ReadFile("../../configs/example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(example), goodSite, "", "metrics:\n  sprint_goal:\n    threshold: .nan\n",
		"schedule:\n  sync: \"CRON_TZ=\"\n", "jira:\n  sites:\n    - id: a\n      boards: [1, -2]\n",
		"outcomes:\n  analysis:\n    flat_pct: 1e309\n", "state_dir: [", "jira: {concurrency: 9999999999999999999}\n",
		"outcomes:\n  sql_sources:\n    - {metric: m, dsn: x, query: 'COPY t TO STDOUT'}\n"} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, yaml string) {
		p := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(p, env(map[string]string{"ANALYZER_JIRA_ACME_TOKEN": "t", "ANALYZER_JIRA_ACME_DC_PAT": "p"}))
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Load accepted %q but it does not validate again: %v", yaml, err)
		}
		a := cfg.Outcomes.Analysis
		for _, v := range []float64{cfg.Metrics.SprintGoal.Threshold, a.FlatPct, a.MovingPct, a.HighDeliveryShare, a.UnlinkedPct} {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Fatalf("Load accepted %q with the number %g", yaml, v)
			}
		}
		if cfg.Metrics.StaleDays > 3650 || a.Weeks > 104 {
			t.Fatalf("Load accepted %q with unbounded stale_days or weeks", yaml)
		}
	})
}
