package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/dashboard"
	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/outcomes"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/worker"
)

// syncGroup is the worker group of the incremental and the full sync: they
// never run at the same time.
const syncGroup = "sync"

// scheduledJobs are the worker's jobs, each under its deadline
// (worker.job_timeouts); the same functions back the run-once commands
// (sync, compute, report).
func (m *Main) scheduledJobs() []worker.Job {
	t := m.Config.Worker.JobTimeouts
	jobs := []worker.Job{
		{Name: "compute", Spec: m.Config.Schedule.Compute, Timeout: t.Compute, Run: func(ctx context.Context) error {
			s, err := m.Store(ctx)
			if err != nil {
				return err
			}
			_, err = compute.RunOnce(ctx, s, computeConfig(m))
			return err
		}},
	}
	if len(m.Config.Jira.Sites) > 0 || len(m.Config.Outcomes.SQL) > 0 {
		jobs = append(jobs, worker.Job{Name: "sync", Spec: m.Config.Schedule.Sync, Timeout: t.Sync, Group: syncGroup,
			Run: func(ctx context.Context) error { return m.syncJob(ctx, false) }})
	}
	if len(m.Config.Jira.Sites) > 0 && m.Config.Schedule.FullSync != config.FullSyncOff {
		// A full-sync tick that finds the incremental sync running waits
		// for it: a weekly run must not be lost to an hourly one.
		jobs = append(jobs, worker.Job{Name: "full_sync", Spec: m.Config.Schedule.FullSync, Timeout: t.FullSync,
			Group: syncGroup, WaitForGroup: true,
			Run: func(ctx context.Context) error { return m.syncJob(ctx, true) }})
	}
	for _, j := range m.reportJobs() {
		if j.Timeout == 0 {
			j.Timeout = t.Report
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// syncJob syncs every site (full: re-reading everything) and pulls the SQL
// outcome sources.
func (m *Main) syncJob(ctx context.Context, full bool) error {
	s, err := m.Store(ctx)
	if err != nil {
		return err
	}
	if len(m.Config.Jira.Sites) > 0 {
		_, err = m.syncSites(ctx, s, full)
	}
	if len(m.Config.Outcomes.SQL) > 0 {
		_, perr := m.pullOutcomes(ctx, s)
		err = errors.Join(err, perr)
	}
	return err
}

// recordJiraStats adds what one sync of a site sent to /metrics (under
// `analyzer run`; a no-op for the run-once commands).
func (m *Main) recordJiraStats(site string, st jira.Stats) {
	if m.workerStats != nil {
		m.workerStats.JiraStats(site, st.Requests, st.Retries, st.Throttled)
	}
}

// httpHandler serves /healthz, /readyz, /metrics, POST /api/v1/outcomes
// (its answers counted in /metrics) and the dashboard with its read API
// (behind the dashboard's authentication).
func (m *Main) httpHandler(w *worker.Worker, s *store.Store) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.Handle("/", w.Handler())
	d, err := m.dashboard(s)
	if err != nil {
		return nil, err
	}
	mountDashboard(mux, d)
	push := outcomes.NewHandler(s, m.Config.Outcomes.PushToken, m.knownMetrics(), outcomes.PushOptions{
		Logger: m.Logger, RefusedLogInterval: m.Config.HTTP.RefusedLogInterval,
	})
	mux.Handle(outcomes.PushPath, w.Stats().CountPushes(push))
	return mux, nil
}

func runWorker(ctx context.Context, m *Main, args []string) error {
	addr, grace := &m.opts.httpAddr, &m.opts.shutdownTimeout
	s, err := m.Store(ctx)
	if err != nil {
		return err
	}
	sites := make([]string, 0, len(m.Config.Jira.Sites))
	for _, site := range m.Config.Jira.Sites {
		sites = append(sites, site.ID)
	}
	w, err := worker.New(worker.Config{
		Location: m.Config.Location(), Logger: m.Logger,
		DB: s.DB(), SyncStates: s, Sites: sites, StaleFactor: m.Config.Worker.ReadyStaleFactor, StaleJob: "sync",
	}, m.scheduledJobs())
	if err != nil {
		return err
	}
	m.workerStats = w.Stats()
	m.workerStats.Add("analyzer_reports_sent_total", 0) // shown as 0 before the first report
	m.workerStats.Registry().MustRegister(deliveryCollector{status: m.DeliveryStatus()})
	w.Start()
	t := m.Config.Worker.JobTimeouts
	m.Logger.Info("worker started", slog.String("time_zone", m.Config.Report.TimeZone),
		slog.String("sync", m.Config.Schedule.Sync), slog.String("full_sync", m.Config.Schedule.FullSync),
		slog.String("compute", m.Config.Schedule.Compute), slog.String("report", m.Config.Schedule.Report),
		slog.Duration("sync_timeout", t.Sync), slog.Duration("full_sync_timeout", t.FullSync),
		slog.Duration("compute_timeout", t.Compute), slog.Duration("report_timeout", t.Report))

	srvErr := make(chan error, 1)
	serverDone := false
	if *addr != "" {
		if err := dashboard.CheckListen(*addr, m.Config.Dashboard.AuthConfigured()); err != nil {
			_ = w.Stop(context.Background())
			return err
		}
		handler, err := m.httpHandler(w, s)
		if err != nil {
			_ = w.Stop(context.Background())
			return err
		}
		h := m.Config.HTTP
		sc := worker.ServerConfig{ReadHeaderTimeout: h.ReadHeaderTimeout, ReadTimeout: h.ReadTimeout,
			WriteTimeout: h.WriteTimeout, IdleTimeout: h.IdleTimeout, MaxConnections: h.MaxConnections}
		ready := make(chan string, 1)
		go func() { srvErr <- worker.Serve(ctx, *addr, handler, sc, ready) }()
		select {
		case a := <-ready:
			m.Logger.Info("serving health, readiness and metrics", slog.String("addr", a))
		case err := <-srvErr:
			_ = w.Stop(context.Background())
			return err
		}
	}
	select {
	case <-ctx.Done():
	case err := <-srvErr:
		serverDone = true
		if err != nil {
			m.Logger.Error("http server stopped", slog.Any("error", err))
		}
	}
	m.Logger.Info("shutting down: waiting for running jobs", slog.Duration("timeout", *grace))
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	err = w.Stop(sctx)
	if *addr != "" && !serverDone {
		if serr := <-srvErr; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	}
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	m.Logger.Info("worker stopped")
	return nil
}
