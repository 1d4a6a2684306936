// Package worker runs the analyzer's scheduled jobs (sync, full sync,
// compute, weekly report) with robfig/cron and serves /healthz, /readyz and
// Prometheus /metrics.
//
// # Scheduling
//
// Every job is wrapped in cron.Recover (a panicking job is logged and the
// scheduler keeps going) and in the worker's own skip logic: a job still
// running when its next tick comes is skipped with a warning and counted in
// analyzer_job_skipped_total, not stacked. Jobs that share a Group never run
// at the same time: a tick that finds another job of its group running is
// skipped the same way, or waits for it when the job sets WaitForGroup (a
// weekly full sync must not be lost to an hourly incremental one). Each run
// gets a context with the job's Timeout; a run cancelled by it is logged as
// one line, counted in analyzer_job_deadline_exceeded_total and shown by
// /readyz until the job next finishes within its deadline. Specs are
// validated before anything starts. Schedules are in the report time zone.
//
// # Shutdown
//
// Stop cancels the context every running job received and waits for the jobs
// to return (or for its own context to end).
//
// The schedule itself holds no state worth keeping: what must survive a
// restart (which weekly report went out, when each board last synced) lives
// in PostgreSQL.
package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/backlog-health/analyzer/internal/config"
)

// Job is one scheduled task. Run gets a context cancelled on shutdown and
// when Timeout passes.
type Job struct {
	Name string
	Spec string
	Run  func(ctx context.Context) error
	// Timeout is the deadline of one run; 0 means none.
	Timeout time.Duration
	// Group names jobs that must not overlap (incremental and full sync).
	Group string
	// WaitForGroup makes a tick wait for the running job of its group
	// instead of being skipped.
	WaitForGroup bool
}

// Config configures a Worker.
type Config struct {
	Location *time.Location // default UTC
	Logger   *slog.Logger
	// Parser parses specs. Default config.CronParser (5 fields or @descriptors).
	Parser cron.ScheduleParser
	// Now is the clock of metrics and readiness. Default time.Now.
	Now func() time.Time

	// Readiness (all optional).

	// DB is pinged by /readyz, with PingTimeout (default 2s).
	DB          Pinger
	PingTimeout time.Duration
	// SyncStates lists each board's last successful sync; Sites are the
	// configured site ids whose freshness /readyz checks against
	// StaleFactor (default 3) × the interval of the StaleJob's schedule
	// (default "sync").
	SyncStates  SyncStateLister
	Sites       []string
	StaleFactor float64
	StaleJob    string
}

// Worker runs jobs on their schedules.
type Worker struct {
	cron        *cron.Cron
	log         *slog.Logger
	now         func() time.Time
	ctx         context.Context
	cancel      context.CancelFunc
	stats       *Stats
	entries     map[string]cron.EntryID
	schedules   map[string]cron.Schedule
	groups      map[string]*group
	running     map[string]*sync.Mutex // held while a job runs (its skip token)
	started     time.Time              // New's time: a site never synced is stale from then
	db          Pinger
	pingTimeout time.Duration
	syncStates  SyncStateLister
	sites       []string
	staleFactor float64
	staleJob    string
}

// group is the token of jobs that must not overlap, and who holds it.
type group struct {
	sem    chan struct{}
	mu     sync.Mutex
	holder string
}

// New validates every job's spec and builds a Worker; nothing runs until Start.
func New(cfg Config, jobs []Job) (*Worker, error) {
	loc := cmp.Or(cfg.Location, time.UTC)
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
		cron.WithChain(cron.Recover(cl)),
	)
	ctx, cancel := context.WithCancel(context.Background())
	w := &Worker{
		cron: c, log: log, now: now, ctx: ctx, cancel: cancel, stats: newStats(log),
		entries: map[string]cron.EntryID{}, schedules: map[string]cron.Schedule{}, groups: map[string]*group{},
		running: map[string]*sync.Mutex{}, started: now(),
		db: cfg.DB, pingTimeout: cmp.Or(cfg.PingTimeout, 2*time.Second), syncStates: cfg.SyncStates,
		sites: cfg.Sites, staleFactor: cmp.Or(cfg.StaleFactor, 3), staleJob: cmp.Or(cfg.StaleJob, "sync"),
	}
	for _, j := range jobs {
		if err := config.CheckCron(j.Spec); err != nil && cfg.Parser == nil {
			cancel()
			return nil, fmt.Errorf("worker: job %s: %w", j.Name, err)
		}
		if _, dup := w.entries[j.Name]; dup {
			cancel()
			return nil, fmt.Errorf("worker: job %s: defined twice", j.Name)
		}
		sched, err := parser.Parse(j.Spec)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("worker: job %s: invalid schedule %q: %w", j.Name, j.Spec, err)
		}
		if j.Group != "" && w.groups[j.Group] == nil {
			w.groups[j.Group] = &group{sem: make(chan struct{}, 1)}
		}
		w.running[j.Name] = &sync.Mutex{}
		w.entries[j.Name] = c.Schedule(sched, w.wrap(j))
		w.schedules[j.Name] = sched
		w.stats.register(j.Name, j.Timeout)
	}
	w.stats.reg.MustRegister(newSyncCollector(w))
	return w, nil
}

// wrap runs a job with the skip, group and deadline rules, records metrics
// and turns a panic into an error.
//
// The panic must be stopped here: the skip token is handed back by a defer
// of this function, and cron.Recover outermost remains as a guard for the
// wrapper itself.
func (w *Worker) wrap(j Job) cron.Job {
	return cron.FuncJob(func() {
		own := w.running[j.Name]
		if !own.TryLock() {
			w.log.Warn("job skipped: its previous run is still running", slog.String("job", j.Name))
			w.stats.skip(j.Name, "still_running")
			return
		}
		defer own.Unlock()
		if g := w.groups[j.Group]; g != nil {
			if !w.acquire(g, j) {
				return
			}
			defer func() {
				g.mu.Lock()
				g.holder = ""
				g.mu.Unlock()
				<-g.sem
			}()
		}
		w.run(j)
	})
}

// acquire takes j's group token: at once, after waiting (WaitForGroup), or
// not at all (the tick is skipped and logged; also on shutdown).
func (w *Worker) acquire(g *group, j Job) bool {
	select {
	case g.sem <- struct{}{}:
	default:
		g.mu.Lock()
		holder := g.holder
		g.mu.Unlock()
		if !j.WaitForGroup {
			w.log.Warn("job skipped: another job of its group is running", slog.String("job", j.Name),
				slog.String("group", j.Group), slog.String("running_job", holder))
			w.stats.skip(j.Name, "group_busy")
			return false
		}
		w.log.Info("job waiting for another job of its group to finish", slog.String("job", j.Name),
			slog.String("group", j.Group), slog.String("running_job", holder))
		select {
		case g.sem <- struct{}{}:
		case <-w.ctx.Done():
			return false
		}
	}
	g.mu.Lock()
	g.holder = j.Name
	g.mu.Unlock()
	return true
}

// run runs one job under its deadline and logs one line for its end.
func (w *Worker) run(j Job) {
	ctx, cancel := w.ctx, context.CancelFunc(func() {})
	if j.Timeout > 0 {
		ctx, cancel = context.WithTimeout(w.ctx, j.Timeout)
	}
	defer cancel()
	start := w.now()
	w.stats.start(j.Name, start)
	w.log.Info("job started", slog.String("job", j.Name))
	var err error
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
			w.log.Error("job panicked", slog.String("job", j.Name), slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
		}
		end := w.now()
		deadline := err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && w.ctx.Err() == nil
		w.stats.record(j.Name, start, end, err, deadline)
		switch {
		case deadline:
			w.log.Error("job cancelled: deadline exceeded", slog.String("job", j.Name),
				slog.Duration("deadline", j.Timeout), slog.Float64("seconds", end.Sub(start).Seconds()), slog.Any("error", err))
		case err != nil:
			w.log.Error("job failed", slog.String("job", j.Name), slog.Any("error", err))
		default:
			w.log.Info("job finished", slog.String("job", j.Name), slog.Float64("seconds", end.Sub(start).Seconds()))
		}
	}()
	err = j.Run(ctx)
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
