package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/worker"
)

// scheduledJobs are the worker's jobs; the same functions back the
// run-once commands (sync, compute, report).
func (m *Main) scheduledJobs() []worker.Job {
	jobs := []worker.Job{
		{Name: "compute", Spec: m.Config.Schedule.Compute, Run: func(ctx context.Context) error {
			s, err := m.Store(ctx)
			if err != nil {
				return err
			}
			_, err = compute.RunOnce(ctx, s, computeConfig(m))
			return err
		}},
	}
	if len(m.Config.Jira.Sites) > 0 || len(m.Config.Outcomes.SQL) > 0 {
		jobs = append(jobs, worker.Job{Name: "sync", Spec: m.Config.Schedule.Sync, Run: func(ctx context.Context) error {
			s, err := m.Store(ctx)
			if err != nil {
				return err
			}
			_, err = m.syncSites(ctx, s, false)
			if len(m.Config.Outcomes.SQL) > 0 {
				_, perr := m.pullOutcomes(ctx, s)
				err = errors.Join(err, perr)
			}
			return err
		}})
	}
	return append(jobs, m.reportJobs()...)
}

func runWorker(ctx context.Context, m *Main, args []string) error {
	addr, grace := &m.opts.httpAddr, &m.opts.shutdownTimeout
	if _, err := m.Store(ctx); err != nil {
		return err
	}
	w, err := worker.New(worker.Config{Location: m.Config.Location(), Logger: m.Logger}, m.scheduledJobs())
	if err != nil {
		return err
	}
	m.workerStats = w.Stats()
	w.Start()
	m.Logger.Info("worker started", slog.String("time_zone", m.Config.Report.TimeZone),
		slog.String("sync", m.Config.Schedule.Sync), slog.String("compute", m.Config.Schedule.Compute),
		slog.String("report", m.Config.Schedule.Report))

	srvErr := make(chan error, 1)
	serverDone := false
	if *addr != "" {
		ready := make(chan string, 1)
		go func() { srvErr <- worker.Serve(ctx, *addr, m.httpHandler(w.Stats().Handler()), ready) }()
		select {
		case a := <-ready:
			m.Logger.Info("serving health and metrics", slog.String("addr", a))
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
