package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/backlog-health/analyzer/internal/report"

	"github.com/backlog-health/analyzer/internal/dashboard"
	"github.com/backlog-health/analyzer/internal/metrics"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/worker"
)

// dashboard returns the dashboard over s, configured from m.Config: the
// same report assembly (reportdata) and outcome analysis as the weekly
// report.
func (m *Main) dashboard(s *store.Store) (*dashboard.Server, error) {
	return dashboard.New(dashboard.Config{
		Store: s, Location: m.Config.Location(), Sites: m.Config.Jira.Sites,
		Forecast: forecastSettings(m.Config.Report.Forecast), Outcomes: func(ctx context.Context, week report.ISOWeek, now time.Time) ([]report.OutcomeInput, *report.AlignmentInput, error) {
			return m.outcomeInputs(ctx, s, week, now)
		},
		Options: func(siteID string) metrics.Options {
			for i := range m.Config.Jira.Sites {
				if m.Config.Jira.Sites[i].ID == siteID {
					return metricsOptions(m.Config, &m.Config.Jira.Sites[i])
				}
			}
			return metricsOptions(m.Config, nil)
		},
		Auth: m.Config.Dashboard, Now: m.now, Logger: m.Logger,
	})
}

// mountDashboard adds the dashboard's routes to mux (the worker's server).
func mountDashboard(mux *http.ServeMux, d *dashboard.Server) {
	h := d.Handler()
	for _, p := range dashboard.Routes {
		mux.Handle(p, h)
	}
}

// serveAddr is --http, else dashboard.listen.
func (m *Main) serveAddr() string {
	if m.opts.httpAddr != "" {
		return m.opts.httpAddr
	}
	return m.Config.Dashboard.Listen
}

// runServe serves the dashboard only (no jobs) until SIGINT/SIGTERM.
func runServe(ctx context.Context, m *Main, _ []string) error {
	addr := m.serveAddr()
	if err := dashboard.CheckListen(addr, m.Config.Dashboard.AuthConfigured()); err != nil {
		return err
	}
	s, err := m.Store(ctx)
	if err != nil {
		return err
	}
	d, err := m.dashboard(s)
	if err != nil {
		return err
	}
	return m.serveDashboard(ctx, addr, d.Handler(), nil)
}

// serveDashboard serves h on addr until ctx ends; ready, when not nil,
// receives the URL once listening.
func (m *Main) serveDashboard(ctx context.Context, addr string, h http.Handler, ready chan<- string) error {
	hc := m.Config.HTTP
	sc := worker.ServerConfig{ReadHeaderTimeout: hc.ReadHeaderTimeout, ReadTimeout: hc.ReadTimeout,
		WriteTimeout: hc.WriteTimeout, IdleTimeout: hc.IdleTimeout, MaxConnections: hc.MaxConnections}
	got := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- worker.Serve(ctx, addr, h, sc, got) }()
	select {
	case a := <-got:
		url := "http://" + a + "/"
		m.Logger.Info("serving the dashboard", slog.String("url", url))
		fmt.Fprintf(m.Stdout, "dashboard: %s\n", url)
		if ready != nil {
			ready <- url
		}
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
