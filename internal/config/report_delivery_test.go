package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/config"
)

// report.max_data_age and report.catch_up_weeks: defaults, the file, the
// environment, and the bounds.
func TestReportDeliveryKeys(t *testing.T) {
	cfg, err := config.Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Report.MaxDataAge != 36*time.Hour || cfg.Report.CatchUpWeeks != 4 {
		t.Fatalf("defaults: max_data_age %s catch_up_weeks %d, want 36h and 4", cfg.Report.MaxDataAge, cfg.Report.CatchUpWeeks)
	}
	cfg, err = config.Load(write(t, "report:\n  max_data_age: 0s\n  catch_up_weeks: 8\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Report.MaxDataAge != 0 || cfg.Report.CatchUpWeeks != 8 {
		t.Fatalf("file: max_data_age %s catch_up_weeks %d, want 0s and 8", cfg.Report.MaxDataAge, cfg.Report.CatchUpWeeks)
	}
	cfg, err = config.Load(write(t, "report:\n  max_data_age: 12h\n"), env(map[string]string{
		"ANALYZER_REPORT_MAX_DATA_AGE": "48h", "ANALYZER_REPORT_CATCH_UP_WEEKS": "2"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Report.MaxDataAge != 48*time.Hour || cfg.Report.CatchUpWeeks != 2 {
		t.Fatalf("env: max_data_age %s catch_up_weeks %d, want 48h and 2", cfg.Report.MaxDataAge, cfg.Report.CatchUpWeeks)
	}
	for name, c := range map[string]struct {
		yaml string
		env  map[string]string
		want string
	}{
		"NegativeAge": {"report:\n  max_data_age: -1h\n", nil, "config: report.max_data_age: must be between 0 and 8760h, got -1h0m0s"},
		"HugeAge":     {"report:\n  max_data_age: 9000h\n", nil, "config: report.max_data_age: must be between 0 and 8760h, got 9000h0m0s"},
		"NoWeeks":     {"report:\n  catch_up_weeks: 0\n", nil, "config: report.catch_up_weeks: must be 1-52 weeks, got 0"},
		"TooMany":     {"report:\n  catch_up_weeks: 53\n", nil, "config: report.catch_up_weeks: must be 1-52 weeks, got 53"},
		"EnvNotDuration": {"", map[string]string{"ANALYZER_REPORT_MAX_DATA_AGE": "2x"},
			`config: ANALYZER_REPORT_MAX_DATA_AGE: invalid duration "2x"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := config.Load(write(t, c.yaml), env(c.env))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}
