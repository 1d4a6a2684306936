package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/config"
)

// Issue 11 points 1, 5, 6, 15: the worker, schedule.full_sync and http keys
// have defaults, load from YAML and from the environment, and are validated
// with the field named.
func TestWorkerKeys(t *testing.T) {
	cfg, err := config.Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	w, h := cfg.Worker, cfg.HTTP
	if cfg.Schedule.FullSync != "0 3 * * 0" || w.ReadyStaleFactor != 3 ||
		w.JobTimeouts != (config.JobTimeouts{Sync: 30 * time.Minute, FullSync: 2 * time.Hour, Compute: 15 * time.Minute, Report: 10 * time.Minute}) ||
		h != (config.HTTPConfig{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
			IdleTimeout: 2 * time.Minute, MaxConnections: 64, RefusedLogInterval: 10 * time.Second}) {
		t.Fatalf("defaults: schedule %+v worker %+v http %+v", cfg.Schedule, w, h)
	}

	p := write(t, `
schedule:
  full_sync: "off"
worker:
  ready_stale_factor: 2.5
  job_timeouts: {sync: 10m, full_sync: 3h, compute: 5m, report: 90s}
http:
  read_header_timeout: 2s
  read_timeout: 20s
  write_timeout: 25s
  idle_timeout: 45s
  max_connections: 8
  refused_log_interval: 1m
`)
	cfg, err = config.Load(p, env(map[string]string{
		"ANALYZER_WORKER_JOB_TIMEOUTS_COMPUTE": "7m", // env beats the file
		"ANALYZER_HTTP_MAX_CONNECTIONS":        "9",
		"ANALYZER_WORKER_READY_STALE_FACTOR":   "4",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Schedule.FullSync != config.FullSyncOff || cfg.Worker.ReadyStaleFactor != 4 ||
		cfg.Worker.JobTimeouts != (config.JobTimeouts{Sync: 10 * time.Minute, FullSync: 3 * time.Hour, Compute: 7 * time.Minute, Report: 90 * time.Second}) ||
		cfg.HTTP != (config.HTTPConfig{ReadHeaderTimeout: 2 * time.Second, ReadTimeout: 20 * time.Second, WriteTimeout: 25 * time.Second,
			IdleTimeout: 45 * time.Second, MaxConnections: 9, RefusedLogInterval: time.Minute}) {
		t.Fatalf("loaded: schedule %+v worker %+v http %+v", cfg.Schedule, cfg.Worker, cfg.HTTP)
	}

	for _, tc := range []struct{ yaml, env, want string }{
		{yaml: "schedule:\n  full_sync: \"\"\n", want: `config: schedule.full_sync: empty cron expression (or "off" to disable the full sync)`},
		{yaml: "schedule:\n  full_sync: weekly\n", want: "config: schedule.full_sync: invalid cron expression"},
		{yaml: "worker:\n  ready_stale_factor: 0.5\n", want: "config: worker.ready_stale_factor: must be between 1 and 1000 sync intervals, got 0.5"},
		{yaml: "worker:\n  ready_stale_factor: .nan\n", want: "config: worker.ready_stale_factor: must be between 1 and 1000"},
		{yaml: "worker:\n  job_timeouts: {sync: 0s}\n", want: "config: worker.job_timeouts.sync: must be a duration above 0 and at most 168h0m0s, got 0s"},
		{yaml: "worker:\n  job_timeouts: {report: 200h}\n", want: "config: worker.job_timeouts.report: must be a duration above 0"},
		{yaml: "http:\n  idle_timeout: -1s\n", want: "config: http.idle_timeout: must be a duration above 0 and at most 1h0m0s, got -1s"},
		{yaml: "http:\n  max_connections: 0\n", want: "config: http.max_connections: must be between 1 and 65536, got 0"},
		{env: "ANALYZER_HTTP_READ_TIMEOUT=soon", want: `config: ANALYZER_HTTP_READ_TIMEOUT: invalid duration "soon"`},
		{yaml: "worker:\n  job_timout: {}\n", want: "job_timout"},
	} {
		e := map[string]string{}
		if k, v, ok := strings.Cut(tc.env, "="); ok {
			e[k] = v
		}
		_, err := config.Load(write(t, tc.yaml), env(e))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q %q: err = %v, want it to contain %q", tc.yaml, tc.env, err, tc.want)
		}
	}
}
