package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/config"
)

func TestJiraTimeoutsDefaultsFileAndEnv(t *testing.T) {
	cfg, err := config.Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := config.JiraTimeouts{Dial: 10 * time.Second, TLSHandshake: 10 * time.Second,
		ResponseHeader: 30 * time.Second, Request: time.Minute, Retries: 1}
	if cfg.Jira.Timeouts != want {
		t.Fatalf("default timeouts %+v, want %+v", cfg.Jira.Timeouts, want)
	}

	// The file sets some keys; the others keep their defaults; the
	// environment wins over the file.
	p := write(t, "jira:\n  timeouts:\n    dial: 2s\n    tls_handshake: 3s\n    response_header: 1m30s\n    retries: 0\n")
	cfg, err = config.Load(p, env(map[string]string{
		"ANALYZER_JIRA_TIMEOUTS_REQUEST": "2m", "ANALYZER_JIRA_TIMEOUTS_DIAL": "500ms",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want = config.JiraTimeouts{Dial: 500 * time.Millisecond, TLSHandshake: 3 * time.Second,
		ResponseHeader: 90 * time.Second, Request: 2 * time.Minute, Retries: 0}
	if cfg.Jira.Timeouts != want {
		t.Fatalf("timeouts %+v, want %+v", cfg.Jira.Timeouts, want)
	}

	cfg, err = config.Load("", env(map[string]string{"ANALYZER_JIRA_TIMEOUTS_RETRIES": "3", "ANALYZER_JIRA_TIMEOUTS_TLS_HANDSHAKE": "4s",
		"ANALYZER_JIRA_TIMEOUTS_RESPONSE_HEADER": "45s"}))
	if err != nil || cfg.Jira.Timeouts.Retries != 3 || cfg.Jira.Timeouts.TLSHandshake != 4*time.Second || cfg.Jira.Timeouts.ResponseHeader != 45*time.Second {
		t.Fatalf("env retries/tls/header: %+v, %v", cfg.Jira.Timeouts, err)
	}
}

// Each bad limit is refused with one line naming the key.
func TestJiraTimeoutsValidation(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		env        map[string]string
		want       string
	}{
		{"Zero", "jira:\n  timeouts:\n    request: 0s\n", nil,
			"config: jira.timeouts.request: must be a duration above 0 and at most 1h0m0s, got 0s"},
		{"Negative", "jira:\n  timeouts:\n    dial: -1s\n", nil,
			"config: jira.timeouts.dial: must be a duration above 0 and at most 10m0s, got -1s"},
		{"TooLong", "jira:\n  timeouts:\n    response_header: 11m\n", nil,
			"config: jira.timeouts.response_header: must be a duration above 0 and at most 10m0s, got 11m0s"},
		{"TLSTooLong", "", map[string]string{"ANALYZER_JIRA_TIMEOUTS_TLS_HANDSHAKE": "1h"},
			"config: jira.timeouts.tls_handshake: must be a duration above 0 and at most 10m0s, got 1h0m0s"},
		{"RetriesTooMany", "jira:\n  timeouts:\n    retries: 6\n", nil,
			"config: jira.timeouts.retries: must be between 0 and 5, got 6"},
		{"RetriesNegative", "", map[string]string{"ANALYZER_JIRA_TIMEOUTS_RETRIES": "-1"},
			"config: jira.timeouts.retries: must be between 0 and 5, got -1"},
		{"EnvNotADuration", "", map[string]string{"ANALYZER_JIRA_TIMEOUTS_REQUEST": "60"},
			`config: ANALYZER_JIRA_TIMEOUTS_REQUEST: invalid duration "60" (want a number and a unit: s, m, h, d or w, e.g. 90m, 36h, 14d, 2w)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(write(t, tc.yaml), env(tc.env))
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
	// A bare number in the file is not a duration either.
	_, err := config.Load(write(t, "jira:\n  timeouts:\n    request: 60\n"), env(nil))
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), `"60"`) {
		t.Fatalf("request: 60 accepted or error does not name line 3: %v", err)
	}
}
