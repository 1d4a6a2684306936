package worker

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Stats holds the worker's Prometheus metrics (one registry per Worker, so
// tests can build several) and the per-job state readiness reads.
//
// Metric names kept from the hand-written exposition that preceded it:
// analyzer_job_runs_total, analyzer_job_errors_total,
// analyzer_job_last_start_timestamp_seconds,
// analyzer_job_last_success_timestamp_seconds,
// analyzer_job_last_duration_seconds and the named counters of Add
// (analyzer_reports_sent_total).
type Stats struct {
	reg *prometheus.Registry
	log *slog.Logger

	runs, errs, deadlines, skipped      *prometheus.CounterVec
	lastStart, lastSuccess, lastDur     *prometheus.GaugeVec
	running                             *prometheus.GaugeVec
	duration                            *prometheus.HistogramVec
	jiraRequests, jiraRetries, jiraRate *prometheus.CounterVec
	pushes                              *prometheus.CounterVec

	mu    sync.Mutex
	jobs  map[string]*jobState
	named map[string]prometheus.Collector
}

// jobState is what readiness and Runs need about one job.
type jobState struct {
	runs, errors int
	running      bool
	started      time.Time
	timeout      time.Duration
	// deadlineHit is when the last finished run was cancelled by its
	// deadline; zero once a later run finished within it.
	deadlineHit time.Time
}

func newStats(log *slog.Logger) *Stats {
	byJob := []string{"job"}
	s := &Stats{
		reg: prometheus.NewRegistry(),
		log: log,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "analyzer_job_runs_total", Help: "Job runs, successful or not.",
		}, byJob),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "analyzer_job_errors_total", Help: "Job runs that failed (deadline exceeded included).",
		}, byJob),
		deadlines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "analyzer_job_deadline_exceeded_total", Help: "Job runs cancelled by their deadline (worker.job_timeouts).",
		}, byJob),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "analyzer_job_skipped_total",
			Help: "Scheduled runs skipped: reason still_running (the previous run of the job) or group_busy (e.g. sync during a full sync).",
		}, []string{"job", "reason"}),
		lastStart: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "analyzer_job_last_start_timestamp_seconds", Help: "Start of the last run (Unix time).",
		}, byJob),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "analyzer_job_last_success_timestamp_seconds", Help: "End of the last successful run (Unix time).",
		}, byJob),
		lastDur: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "analyzer_job_last_duration_seconds", Help: "Duration of the last run.",
		}, byJob),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "analyzer_job_running", Help: "1 while the job runs, else 0.",
		}, byJob),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "analyzer_job_duration_seconds", Help: "Duration of job runs.",
			// 1 s to ~1.8 h: a compute takes seconds, a full sync of a large site up to hours.
			Buckets: prometheus.ExponentialBuckets(1, 3, 9),
		}, byJob),
		jiraRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "analyzer_jira_requests_total", Help: "HTTP requests sent to a Jira site, retries included (added after each sync).",
		}, []string{"site"}),
		jiraRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "analyzer_jira_retries_total", Help: "Jira requests repeated after 429, 502-504 or a network error.",
		}, []string{"site"}),
		jiraRate: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "analyzer_jira_throttled_total", Help: "429 (rate limited) answers from a Jira site.",
		}, []string{"site"}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "analyzer_outcome_pushes_total", Help: "POST /api/v1/outcomes requests: result accepted or refused, with the HTTP status code.",
		}, []string{"result", "code"}),
		jobs:  map[string]*jobState{},
		named: map[string]prometheus.Collector{},
	}
	s.reg.MustRegister(s.runs, s.errs, s.deadlines, s.skipped, s.lastStart, s.lastSuccess, s.lastDur,
		s.running, s.duration, s.jiraRequests, s.jiraRetries, s.jiraRate, s.pushes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return s
}

// Registry is where the metrics live, for collectors added by other code.
func (s *Stats) Registry() *prometheus.Registry { return s.reg }

func (s *Stats) register(name string, timeout time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jobs[name] == nil {
		s.jobs[name] = &jobState{}
	}
	s.jobs[name].timeout = timeout
	// Touch every series so a job that never ran shows 0, not nothing.
	s.runs.WithLabelValues(name)
	s.errs.WithLabelValues(name)
	s.deadlines.WithLabelValues(name)
	s.lastStart.WithLabelValues(name)
	s.lastSuccess.WithLabelValues(name)
	s.lastDur.WithLabelValues(name)
	s.running.WithLabelValues(name)
}

func (s *Stats) start(name string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	js := s.jobs[name]
	js.running, js.started = true, at
	s.running.WithLabelValues(name).Set(1)
	s.lastStart.WithLabelValues(name).Set(unix(at))
}

// record ends a run; deadline is true when its deadline cancelled it.
func (s *Stats) record(name string, start, end time.Time, err error, deadline bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	js := s.jobs[name]
	js.running = false
	js.runs++
	d := end.Sub(start).Seconds()
	s.runs.WithLabelValues(name).Inc()
	s.running.WithLabelValues(name).Set(0)
	s.lastDur.WithLabelValues(name).Set(d)
	s.duration.WithLabelValues(name).Observe(d)
	if deadline {
		js.deadlineHit = end
		s.deadlines.WithLabelValues(name).Inc()
	} else {
		js.deadlineHit = time.Time{}
	}
	if err != nil {
		js.errors++
		s.errs.WithLabelValues(name).Inc()
		return
	}
	s.lastSuccess.WithLabelValues(name).Set(unix(end))
}

func (s *Stats) skip(name, reason string) { s.skipped.WithLabelValues(name, reason).Inc() }

// Runs returns how many times a job ran and how many of those failed.
func (s *Stats) Runs(name string) (runs, errs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if js := s.jobs[name]; js != nil {
		return js.runs, js.errors
	}
	return 0, 0
}

// JiraStats adds what one sync of site sent: requests (retries included),
// retries and 429 answers.
func (s *Stats) JiraStats(site string, requests, retries, throttled int64) {
	s.jiraRequests.WithLabelValues(site).Add(float64(max(requests, 0)))
	s.jiraRetries.WithLabelValues(site).Add(float64(max(retries, 0)))
	s.jiraRate.WithLabelValues(site).Add(float64(max(throttled, 0)))
}

// Push counts one outcome push answered with status code.
func (s *Stats) Push(code int) {
	result := "refused"
	if code >= 200 && code < 300 {
		result = "accepted"
	}
	s.pushes.WithLabelValues(result, strconv.Itoa(code)).Inc()
}

// Add adds v to a named counter without labels, created on first use, e.g.
// "analyzer_reports_sent_total". A negative v is ignored (counters only grow).
func (s *Stats) Add(name string, v float64) {
	if c, ok := s.collector(name, func() prometheus.Collector {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: name})
	}).(prometheus.Counter); ok && v >= 0 {
		c.Add(v)
	}
}

// Set sets a named gauge without labels, created on first use (e.g. the age
// of the newest delivered report).
func (s *Stats) Set(name string, v float64) {
	if g, ok := s.collector(name, func() prometheus.Collector {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: name})
	}).(prometheus.Gauge); ok {
		g.Set(v)
	}
}

// collector returns the named collector, registering a new one on first
// use; a name that cannot be registered is logged once and then ignored.
func (s *Stats) collector(name string, mk func() prometheus.Collector) prometheus.Collector {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.named[name]; ok {
		return c
	}
	c := mk()
	if err := s.reg.Register(c); err != nil {
		s.log.Warn("metric not registered", slog.String("metric", name), slog.Any("error", err))
		c = nil
	}
	s.named[name] = c
	return c
}

// jobSnapshot is one job's state at a point in time, for readiness.
type jobSnapshot struct {
	name        string
	running     bool
	started     time.Time
	timeout     time.Duration
	deadlineHit time.Time
}

func (s *Stats) snapshot() []jobSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]jobSnapshot, 0, len(s.jobs))
	for n, js := range s.jobs {
		out = append(out, jobSnapshot{name: n, running: js.running, started: js.started, timeout: js.timeout, deadlineHit: js.deadlineHit})
	}
	return out
}

func unix(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}

// syncCollector reads the sync state at scrape time, so the timestamps are
// right whichever replica synced, and reports readiness as a gauge.
type syncCollector struct {
	w                  *Worker
	board, site, ready *prometheus.Desc
}

func newSyncCollector(w *Worker) *syncCollector {
	return &syncCollector{
		w: w,
		board: prometheus.NewDesc("analyzer_sync_board_last_success_timestamp_seconds",
			"End of the last successful sync of a board (Unix time), from sync_state.", []string{"site", "board"}, nil),
		site: prometheus.NewDesc("analyzer_sync_site_last_success_timestamp_seconds",
			"End of the newest successful board sync of a site (Unix time); 0 before the first.", []string{"site"}, nil),
		ready: prometheus.NewDesc("analyzer_ready", "1 when /readyz answers 200, else 0.", nil, nil),
	}
}

func (c *syncCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.board
	ch <- c.site
	ch <- c.ready
}

func (c *syncCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.w.pingTimeout)
	defer cancel()
	rep := c.w.Readiness(ctx)
	for _, b := range rep.boards {
		ch <- prometheus.MustNewConstMetric(c.board, prometheus.GaugeValue, unix(b.LastSuccess), b.Site, strconv.FormatInt(b.Board, 10))
	}
	for _, st := range rep.Sites {
		v := 0.0
		if st.LastSuccess != nil {
			v = unix(*st.LastSuccess)
		}
		ch <- prometheus.MustNewConstMetric(c.site, prometheus.GaugeValue, v, st.Site)
	}
	ready := 0.0
	if rep.Ready {
		ready = 1
	}
	ch <- prometheus.MustNewConstMetric(c.ready, prometheus.GaugeValue, ready)
}

// finite turns NaN and ±Inf into 0, for JSON.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}
