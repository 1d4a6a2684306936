package worker

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"
)

// Handler serves /healthz (liveness: 200 "ok" while the process serves),
// /readyz (200 or 503 with a JSON ReadyReport) and /metrics.
func (w *Worker) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(rw, "ok")
	})
	mux.HandleFunc("GET /readyz", func(rw http.ResponseWriter, r *http.Request) {
		rep := w.Readiness(r.Context())
		rw.Header().Set("Content-Type", "application/json; charset=utf-8")
		rw.Header().Set("Cache-Control", "no-store")
		if !rep.Ready {
			rw.WriteHeader(http.StatusServiceUnavailable)
		}
		enc := json.NewEncoder(rw)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(w.stats.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	return mux
}

// CountPushes wraps the outcome push handler so every answer is counted in
// analyzer_outcome_pushes_total by result and status code.
func (s *Stats) CountPushes(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		sr := &statusRecorder{ResponseWriter: rw, code: http.StatusOK}
		h.ServeHTTP(sr, r)
		s.Push(sr.code)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.code, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// ServerConfig bounds the HTTP server; zero fields take the defaults.
type ServerConfig struct {
	ReadHeaderTimeout time.Duration // default 10s
	// ReadTimeout bounds reading a whole request, body included. Default 30s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response. Default 30s.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection waiting for its next request. Default 120s.
	IdleTimeout time.Duration
	// MaxConnections is the most connections served at once; more wait to be
	// accepted. Default 64.
	MaxConnections int
}

func (c ServerConfig) withDefaults() ServerConfig {
	c.ReadHeaderTimeout = cmp.Or(c.ReadHeaderTimeout, 10*time.Second)
	c.ReadTimeout = cmp.Or(c.ReadTimeout, 30*time.Second)
	c.WriteTimeout = cmp.Or(c.WriteTimeout, 30*time.Second)
	c.IdleTimeout = cmp.Or(c.IdleTimeout, 120*time.Second)
	c.MaxConnections = cmp.Or(c.MaxConnections, 64)
	return c
}

// Serve serves h on addr until ctx ends, then shuts down gracefully. The
// bound address is sent on ready (useful with port 0).
func Serve(ctx context.Context, addr string, h http.Handler, cfg ServerConfig, ready chan<- string) error {
	cfg = cfg.withDefaults()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("worker: listen on %s: %w", addr, err)
	}
	l = netutil.LimitListener(l, cfg.MaxConnections)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
	}
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
