package config

import (
	"math"
	"time"
)

// FullSyncOff is the full_sync value that disables the full sync.
const FullSyncOff = "off"

// WorkerConfig tunes `analyzer run`'s jobs and readiness.
type WorkerConfig struct {
	// ReadyStaleFactor: /readyz fails when a site's last successful sync is
	// older than this many sync intervals (from schedule.sync). Default 3.
	ReadyStaleFactor float64 `yaml:"ready_stale_factor"`
	// JobTimeouts are the deadlines of one run of each job.
	JobTimeouts JobTimeouts `yaml:"job_timeouts"`
}

// JobTimeouts bound each scheduled job's run; past it the run is cancelled.
type JobTimeouts struct {
	Sync     time.Duration `yaml:"sync"`      // default 30m
	FullSync time.Duration `yaml:"full_sync"` // default 2h
	Compute  time.Duration `yaml:"compute"`   // default 15m
	Report   time.Duration `yaml:"report"`    // default 10m
}

// HTTPConfig bounds the server of `analyzer run` (/healthz, /readyz,
// /metrics, POST /api/v1/outcomes).
type HTTPConfig struct {
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"` // default 10s
	ReadTimeout       time.Duration `yaml:"read_timeout"`        // whole request, body included; default 30s
	WriteTimeout      time.Duration `yaml:"write_timeout"`       // default 30s
	IdleTimeout       time.Duration `yaml:"idle_timeout"`        // keep-alive connections; default 2m
	// MaxConnections served at once; more wait to be accepted. Default 64.
	MaxConnections int `yaml:"max_connections"`
	// RefusedLogInterval: at most one warning per client host per interval
	// for pushes refused for their token. Default 10s.
	RefusedLogInterval time.Duration `yaml:"refused_log_interval"`
	// PublicURL is where users reach the dashboard, e.g.
	// https://analyzer.example.org (behind a reverse proxy, its outside
	// address). When set, reports link to the dashboard's page of their week
	// and the KPI definitions default to PublicURL + "/docs/". Default "": no links.
	PublicURL string `yaml:"public_url"`
}

// validateWorker checks the schedule, worker and http sections.
func (c Config) validateWorker(bad func(field, format string, args ...any)) {
	for _, s := range []struct{ field, spec string }{
		{"schedule.sync", c.Schedule.Sync}, {"schedule.compute", c.Schedule.Compute}, {"schedule.report", c.Schedule.Report},
	} {
		if err := CheckCron(s.spec); err != nil {
			bad(s.field, "%v", err)
		}
	}
	if c.Schedule.FullSync != FullSyncOff {
		if err := CheckCron(c.Schedule.FullSync); err != nil {
			bad("schedule.full_sync", "%v (or %q to disable the full sync)", err, FullSyncOff)
		}
	}
	if f := c.Worker.ReadyStaleFactor; math.IsNaN(f) || f < 1 || f > 1000 {
		bad("worker.ready_stale_factor", "must be between 1 and 1000 sync intervals, got %g", f)
	}
	within := func(field string, d, most time.Duration) {
		if d <= 0 || d > most {
			bad(field, "must be a duration above 0 and at most %s, got %s", most, d)
		}
	}
	t := c.Worker.JobTimeouts
	within("worker.job_timeouts.sync", t.Sync, 7*24*time.Hour)
	within("worker.job_timeouts.full_sync", t.FullSync, 7*24*time.Hour)
	within("worker.job_timeouts.compute", t.Compute, 7*24*time.Hour)
	within("worker.job_timeouts.report", t.Report, 7*24*time.Hour)
	h := c.HTTP
	within("http.read_header_timeout", h.ReadHeaderTimeout, time.Hour)
	within("http.read_timeout", h.ReadTimeout, time.Hour)
	within("http.write_timeout", h.WriteTimeout, time.Hour)
	within("http.idle_timeout", h.IdleTimeout, time.Hour)
	within("http.refused_log_interval", h.RefusedLogInterval, time.Hour)
	if h.MaxConnections < 1 || h.MaxConnections > 65536 {
		bad("http.max_connections", "must be between 1 and 65536, got %d", h.MaxConnections)
	}
}
