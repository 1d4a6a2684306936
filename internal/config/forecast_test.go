package config_test

import (
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/config"
)

// report.forecast.*: defaults, the file, the environment, and the bounds.
// Their effect on the forecast is tested in internal/report
// (TestForecastSettings) and cmd/analyzer (TestReportForecastSettings).
func TestReportForecastKeys(t *testing.T) {
	cfg, err := config.Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if f := cfg.Report.Forecast; f.Target != "ready" || f.HorizonWeeks != 4 || f.ThroughputWeeks != 12 {
		t.Fatalf("defaults: %+v, want ready, 4, 12", f)
	}
	cfg, err = config.Load(write(t, "report:\n  forecast:\n    target: backlog\n    horizon_weeks: 8\n    throughput_weeks: 26\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if f := cfg.Report.Forecast; f.Target != "backlog" || f.HorizonWeeks != 8 || f.ThroughputWeeks != 26 {
		t.Fatalf("file: %+v, want backlog, 8, 26", f)
	}
	cfg, err = config.Load(write(t, "report:\n  forecast:\n    target: backlog\n"), env(map[string]string{
		"ANALYZER_REPORT_FORECAST_TARGET": "ready", "ANALYZER_REPORT_FORECAST_HORIZON_WEEKS": "2",
		"ANALYZER_REPORT_FORECAST_THROUGHPUT_WEEKS": "6"}))
	if err != nil {
		t.Fatal(err)
	}
	if f := cfg.Report.Forecast; f.Target != "ready" || f.HorizonWeeks != 2 || f.ThroughputWeeks != 6 {
		t.Fatalf("env: %+v, want ready, 2, 6", f)
	}
	for name, c := range map[string]struct{ yaml, want string }{
		"Target":       {"report:\n  forecast:\n    target: all\n", `config: report.forecast.target: must be ready or backlog, got "all"`},
		"NoHorizon":    {"report:\n  forecast:\n    horizon_weeks: 0\n", "config: report.forecast.horizon_weeks: must be 1-104 weeks, got 0"},
		"LongHorizon":  {"report:\n  forecast:\n    horizon_weeks: 105\n", "config: report.forecast.horizon_weeks: must be 1-104 weeks, got 105"},
		"NoThroughput": {"report:\n  forecast:\n    throughput_weeks: 0\n", "config: report.forecast.throughput_weeks: must be 1-26 weeks (the weeks a report reads), got 0"},
		"ManyWeeks":    {"report:\n  forecast:\n    throughput_weeks: 27\n", "config: report.forecast.throughput_weeks: must be 1-26 weeks (the weeks a report reads), got 27"},
		"UnknownKey":   {"report:\n  forecast:\n    trials: 5\n", "trials"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := config.Load(write(t, c.yaml), env(nil))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}
