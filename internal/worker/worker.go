// Package worker runs the analyzer's scheduled jobs (sync, compute, weekly
// report) with robfig/cron and serves /healthz and Prometheus /metrics.
//
// # Scheduling
//
// Every job is wrapped, outermost first, in cron.Recover (a panicking job is
// logged and the scheduler keeps going) and cron.SkipIfStillRunning (a job
// still running when its next tick comes is skipped, not stacked). Specs are
// validated before anything starts. Schedules are in the report time zone.
//
// # Shutdown
//
// Stop cancels the context every running job received and waits for the jobs
// to return (or for its own context to end).
//
// The schedule itself holds no state worth keeping: what must survive a
// restart (which weekly report went out) lives in PostgreSQL.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/backlog-health/analyzer/internal/config"
)

// Job is one scheduled task. Run gets a context cancelled on shutdown.
type Job struct {
	Name string
	Spec string
	Run  func(ctx context.Context) error
}

// Config configures a Worker.
type Config struct {
	Location *time.Location // default UTC
	Logger   *slog.Logger
	// Parser parses specs. Default config.CronParser (5 fields or @descriptors).
	Parser cron.ScheduleParser
	// Now is the clock reported in metrics. Default time.Now.
	Now func() time.Time
}

// Worker runs jobs on their schedules.
type Worker struct {
	cron    *cron.Cron
	log     *slog.Logger
	now     func() time.Time
	ctx     context.Context
	cancel  context.CancelFunc
	stats   *Stats
	entries map[string]cron.EntryID
}

// New validates every job's spec and builds a Worker; nothing runs until Start.
func New(cfg Config, jobs []Job) (*Worker, error) {
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	var parser cron.ScheduleParser = config.CronParser
	if cfg.Parser != nil {
		parser = cfg.Parser
	}
	cl := cronLogger{log}
	c := cron.New(
		cron.WithLocation(loc),
		cron.WithParser(parser),
		cron.WithLogger(cl),
		cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)),
	)
	ctx, cancel := context.WithCancel(context.Background())
	w := &Worker{cron: c, log: log, now: now, ctx: ctx, cancel: cancel, stats: newStats(), entries: map[string]cron.EntryID{}}
	for _, j := range jobs {
		if err := config.CheckCron(j.Spec); err != nil && cfg.Parser == nil {
			cancel()
			return nil, fmt.Errorf("worker: job %s: %w", j.Name, err)
		}
		id, err := c.AddJob(j.Spec, w.wrap(j))
		if err != nil {
			cancel()
			return nil, fmt.Errorf("worker: job %s: invalid schedule %q: %w", j.Name, j.Spec, err)
		}
		w.entries[j.Name] = id
		w.stats.register(j.Name)
	}
	return w, nil
}

// wrap records metrics around a job and turns a panic into an error.
//
// The panic must be stopped here, inside SkipIfStillRunning: in
// robfig/cron v3.0.1 that wrapper hands its token back only when the job
// returns normally, so a panic unwinding through it would leave the job
// "still running" — skipped — forever. cron.Recover outermost remains as a
// guard for the wrappers themselves.
func (w *Worker) wrap(j Job) cron.Job {
	return cron.FuncJob(func() {
		start := w.now()
		w.log.Info("job started", slog.String("job", j.Name))
		var err error
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
				w.log.Error("job panicked", slog.String("job", j.Name), slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			}
			w.stats.record(j.Name, start, w.now(), err)
			if err != nil {
				w.log.Error("job failed", slog.String("job", j.Name), slog.Any("error", err))
			} else {
				w.log.Info("job finished", slog.String("job", j.Name), slog.Float64("seconds", w.now().Sub(start).Seconds()))
			}
		}()
		err = j.Run(w.ctx)
	})
}

// Stats exposes the job counters (also served on /metrics).
func (w *Worker) Stats() *Stats { return w.stats }

// Next returns when the named job runs next (zero before Start).
func (w *Worker) Next(name string) time.Time { return w.cron.Entry(w.entries[name]).Next }

// Start starts the scheduler in the background.
func (w *Worker) Start() { w.cron.Start() }

// Stop stops scheduling, cancels running jobs and waits for them until ctx ends.
func (w *Worker) Stop(ctx context.Context) error {
	done := w.cron.Stop()
	w.cancel()
	select {
	case <-done.Done():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("worker: jobs still running at shutdown: %w", ctx.Err())
	}
}

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append([]any{slog.Any("error", err)}, kv...)...)
}

// Stats holds per-job counters and gauges, plus named counters other code
// adds to (reports sent).
type Stats struct {
	mu       sync.Mutex
	jobs     map[string]*jobStats
	counters map[string]float64
}

type jobStats struct {
	runs, errors           int
	lastStart, lastSuccess time.Time
	lastDuration           time.Duration
	lastErr                string
}

func newStats() *Stats { return &Stats{jobs: map[string]*jobStats{}, counters: map[string]float64{}} }

func (s *Stats) register(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jobs[name] == nil {
		s.jobs[name] = &jobStats{}
	}
}

func (s *Stats) record(name string, start, end time.Time, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	js := s.jobs[name]
	if js == nil {
		js = &jobStats{}
		s.jobs[name] = js
	}
	js.runs++
	js.lastStart, js.lastDuration = start, end.Sub(start)
	if err != nil {
		js.errors++
		js.lastErr = err.Error()
	} else {
		js.lastSuccess, js.lastErr = end, ""
	}
}

// Add adds v to a named counter, e.g. "analyzer_reports_sent_total".
func (s *Stats) Add(name string, v float64) {
	s.mu.Lock()
	s.counters[name] += v
	s.mu.Unlock()
}

// Runs returns how many times a job ran and how many of those failed.
func (s *Stats) Runs(name string) (runs, errs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if js := s.jobs[name]; js != nil {
		return js.runs, js.errors
	}
	return 0, 0
}

// WritePrometheus writes the stats in the Prometheus text exposition format.
func (s *Stats) WritePrometheus(b *strings.Builder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.jobs))
	for n := range s.jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	metric := func(name, help, typ string, val func(*jobStats) float64) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		for _, n := range names {
			fmt.Fprintf(b, "%s{job=%q} %g\n", name, n, val(s.jobs[n]))
		}
	}
	unix := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return float64(t.UnixMilli()) / 1000
	}
	metric("analyzer_job_runs_total", "Job runs, successful or not.", "counter", func(j *jobStats) float64 { return float64(j.runs) })
	metric("analyzer_job_errors_total", "Job runs that failed.", "counter", func(j *jobStats) float64 { return float64(j.errors) })
	metric("analyzer_job_last_start_timestamp_seconds", "Start of the last run (Unix time).", "gauge", func(j *jobStats) float64 { return unix(j.lastStart) })
	metric("analyzer_job_last_success_timestamp_seconds", "End of the last successful run (Unix time).", "gauge", func(j *jobStats) float64 { return unix(j.lastSuccess) })
	metric("analyzer_job_last_duration_seconds", "Duration of the last run.", "gauge", func(j *jobStats) float64 { return j.lastDuration.Seconds() })
	cnames := make([]string, 0, len(s.counters))
	for n := range s.counters {
		cnames = append(cnames, n)
	}
	sort.Strings(cnames)
	for _, n := range cnames {
		fmt.Fprintf(b, "# TYPE %s counter\n%s %g\n", n, n, s.counters[n])
	}
}

// Handler serves /healthz (200 "ok") and /metrics.
func (s *Stats) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		var b strings.Builder
		s.WritePrometheus(&b)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write([]byte(b.String()))
	})
	return mux
}

// Serve serves h on addr until ctx ends, then shuts down gracefully. The
// bound address is sent on ready (useful with port 0).
func Serve(ctx context.Context, addr string, h http.Handler, ready chan<- string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("worker: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	if ready != nil {
		ready <- l.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-errc
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("worker: serve: %w", err)
	}
}
