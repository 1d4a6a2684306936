// Package dashboard serves the web dashboard and its read API: server-side
// rendered pages (html/template, embedded and parsed once, no script, no
// CDN) and the JSON behind them under /api/v1/, from the stored snapshots.
//
// # Pages
//
//   - / — every team side by side (?week=2026-W47)
//   - /boards/{id} — one team's week (?week=)
//   - /boards/{id}/sprints/{sprintId} — Jira Sprint-report parity lists
//   - /boards/{id}/issues?list=… — the issues behind a number
//
// # Access
//
// See Config.Auth and docs/api.md#access. Every route answers 401 without
// credentials when any authentication is configured.
package dashboard

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/metrics"
	"github.com/backlog-health/analyzer/internal/report"
	"github.com/backlog-health/analyzer/internal/store"
)

//go:embed templates/*.html static/*
var files embed.FS

// APIVersion is the read API's version: /api/v1/. A field is never removed
// or changes meaning within a version; new fields may appear.
const APIVersion = 1

// Outcomes returns the PM section of a week (nil, nil when no outcome is
// configured): the same function the weekly report uses.
type Outcomes func(ctx context.Context, week report.ISOWeek, now time.Time) ([]report.OutcomeInput, *report.AlignmentInput, error)

// Config wires the dashboard.
type Config struct {
	Store    *store.Store
	Location *time.Location // report.time_zone
	// Sites are the configured Jira sites: which boards are shown, and
	// their URL for the issue links (<url>/browse/<KEY>).
	Sites    []config.SiteConfig
	Forecast report.ForecastSettings
	Outcomes Outcomes // nil: no PM section
	// Options returns the metrics options of a site's boards, for the
	// sprint page's points at start and at completion.
	Options func(siteID string) metrics.Options
	Auth    config.DashboardConfig
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger
}

// Server is the dashboard.
type Server struct {
	cfg     Config
	pages   map[string]*template.Template
	proxies []*net.IPNet
	siteURL map[string]string
}

// New parses the templates (failing on any error) and returns the server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("dashboard: no store")
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, pages: map[string]*template.Template{}, siteURL: map[string]string{}}
	for _, site := range cfg.Sites {
		s.siteURL[site.ID] = site.URL
	}
	for _, p := range cfg.Auth.TrustedProxies {
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return nil, fmt.Errorf("dashboard: trusted proxy %q: %w", p, err)
		}
		s.proxies = append(s.proxies, n)
	}
	for _, name := range []string{"overview", "board", "sprint", "issues", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("dashboard: template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return s, nil
}

// Handler serves every page and API route behind authentication and the
// security headers. Only GET and HEAD are served: the dashboard is
// read-only.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(files, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	// The report's stylesheet, then the dashboard's own rules: one copy of
	// the report's CSS, in internal/report.
	appCSS := report.Stylesheet() + mustRead(static, "dashboard.css")
	mux.HandleFunc("GET /static/app.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		_, _ = io.WriteString(w, appCSS)
	})
	mux.HandleFunc("GET /{$}", s.page(s.overview))
	mux.HandleFunc("GET /boards/{id}", s.page(s.board))
	mux.HandleFunc("GET /boards/{id}/sprints/{sprint}", s.page(s.sprint))
	mux.HandleFunc("GET /boards/{id}/issues", s.page(s.issues))
	mux.HandleFunc("GET /api/v1/boards", s.api(s.apiBoards))
	mux.HandleFunc("GET /api/v1/boards/{id}", s.api(s.apiBoard))
	mux.HandleFunc("GET /api/v1/boards/{id}/weeks", s.api(s.apiWeeks))
	mux.HandleFunc("GET /api/v1/boards/{id}/sprints/{sprint}", s.api(s.apiSprint))
	mux.HandleFunc("GET /api/v1/boards/{id}/issues", s.api(s.apiIssues))
	mux.HandleFunc("GET /api/v1/issues/{key}", s.api(s.apiIssue))
	mux.HandleFunc("GET /api/v1/outcomes", s.api(s.apiOutcomes))
	mux.HandleFunc("GET /api/v1/overview", s.api(s.apiOverview))
	// The KPI definitions the reports link to (report.definitions_url
	// defaults to <http.public_url>/docs/): served from the binary, so they
	// work on networks without GitHub.
	mux.Handle("GET /docs/", report.DefinitionsHandler())
	return s.secure(mux)
}

// Routes are the dashboard's path patterns for an outer mux that serves
// other things too (`analyzer run`): everything under them goes to Handler.
var Routes = []string{"/{$}", "/static/", "/boards/", "GET /api/v1/boards", "GET /api/v1/boards/", "GET /api/v1/issues/", "GET /api/v1/outcomes", "GET /api/v1/overview"}

// mustRead reads an embedded file; the files are compiled in, so a missing
// one is a build mistake.
func mustRead(fsys fs.FS, name string) string {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		panic(err)
	}
	return string(b)
}
