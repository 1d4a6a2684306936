package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/backlog-health/analyzer/internal/report"
	"github.com/backlog-health/analyzer/internal/store"
)

// pageFunc returns a page's template name and data.
type pageFunc func(r *http.Request) (string, any, error)

func (s *Server) status(err error) int {
	switch {
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, errNotFound), store.IsNotFound(err):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

func (s *Server) fail(r *http.Request, err error) (int, string) {
	code := s.status(err)
	msg := err.Error()
	if code == http.StatusInternalServerError {
		s.cfg.Logger.Error("dashboard request failed", slog.String("path", r.URL.Path), slog.Any("error", err))
		msg = "internal error; see the server log"
	}
	return code, msg
}

// page renders into a buffer first so that a failing template never sends
// half a page.
func (s *Server) page(fn pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, data, err := fn(r)
		if err != nil {
			code, msg := s.fail(r, err)
			name, data = "error", map[string]any{"Code": code, "Message": msg}
			w.WriteHeader(code)
		}
		var buf bytes.Buffer
		if err := s.pages[name].Execute(&buf, data); err != nil {
			s.cfg.Logger.Error("dashboard template failed", slog.String("page", name), slog.Any("error", err))
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
	}
}

func (s *Server) api(fn func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := fn(r)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err != nil {
			code, msg := s.fail(r, err)
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	}
}

func (s *Server) overview(r *http.Request) (string, any, error) {
	week, err := s.week(r)
	if err != nil {
		return "", nil, err
	}
	o, err := s.overviewData(r.Context(), week)
	return "overview", o, err
}

func (s *Server) board(r *http.Request) (string, any, error) {
	ctx := r.Context()
	b, err := s.boardRef(ctx, r)
	if err != nil {
		return "", nil, err
	}
	week, err := s.week(r)
	if err != nil {
		return "", nil, err
	}
	bw, _, err := s.boardWeek(ctx, b, week)
	return "board", bw, err
}

func (s *Server) sprintID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("sprint"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: sprint id %q is not a number", errBadRequest, r.PathValue("sprint"))
	}
	return id, nil
}

func (s *Server) sprint(r *http.Request) (string, any, error) {
	v, err := s.apiSprint(r)
	return "sprint", v, err
}

func (s *Server) issues(r *http.Request) (string, any, error) {
	v, err := s.apiIssues(r)
	return "issues", v, err
}

// BoardRef is a board in GET /api/v1/boards.
type BoardRef struct {
	SiteID string `json:"site_id"`
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Path   string `json:"path"` // the board's page
}

func (s *Server) apiBoards(r *http.Request) (any, error) {
	boards, err := s.cfg.Store.BoardList(r.Context())
	if err != nil {
		return nil, err
	}
	out := []BoardRef{}
	for _, b := range boards {
		if s.selected(b.SiteID, b.ID) {
			out = append(out, BoardRef{SiteID: b.SiteID, ID: b.ID, Name: b.Name, Type: b.Type, Path: fmt.Sprintf("/boards/%d", b.ID)})
		}
	}
	return map[string]any{"api_version": APIVersion, "boards": out}, nil
}

// selected: the configured sites select the board (or none is configured).
func (s *Server) selected(siteID string, id int64) bool {
	if len(s.cfg.Sites) == 0 {
		return true
	}
	for _, site := range s.cfg.Sites {
		if site.ID == siteID {
			return site.Boards.All || containsID(site.Boards.IDs, id)
		}
	}
	return false
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func (s *Server) apiOverview(r *http.Request) (any, error) {
	week, err := s.week(r)
	if err != nil {
		return nil, err
	}
	return s.overviewData(r.Context(), week)
}

func (s *Server) apiBoard(r *http.Request) (any, error) {
	_, v, err := s.board(r)
	return v, err
}

func (s *Server) apiWeeks(r *http.Request) (any, error) {
	ctx := r.Context()
	b, err := s.boardRef(ctx, r)
	if err != nil {
		return nil, err
	}
	meta, err := s.cfg.Store.KPIBoardWeekMeta(ctx, b.SiteID, b.ID)
	if err != nil {
		return nil, err
	}
	weeks := []string{}
	for _, m := range meta {
		weeks = append(weeks, m.WeekStart)
	}
	return map[string]any{"board_id": b.ID, "site_id": b.SiteID, "week_starts": weeks}, nil
}

func (s *Server) apiSprint(r *http.Request) (any, error) {
	ctx := r.Context()
	b, err := s.boardRef(ctx, r)
	if err != nil {
		return nil, err
	}
	id, err := s.sprintID(r)
	if err != nil {
		return nil, err
	}
	return s.sprintPage(ctx, b, id)
}

func (s *Server) apiIssues(r *http.Request) (any, error) {
	ctx := r.Context()
	b, err := s.boardRef(ctx, r)
	if err != nil {
		return nil, err
	}
	week, err := s.week(r)
	if err != nil {
		return nil, err
	}
	return s.issuesPage(ctx, b, week, r.URL.Query().Get("list"))
}

func (s *Server) apiIssue(r *http.Request) (any, error) {
	key := r.PathValue("key")
	site := r.URL.Query().Get("site")
	if site == "" {
		if len(s.cfg.Sites) != 1 {
			return nil, fmt.Errorf("%w: ?site= is required when not exactly one site is configured", errBadRequest)
		}
		site = s.cfg.Sites[0].ID
	}
	is, err := s.cfg.Store.IssueGetByKey(r.Context(), site, key)
	if err != nil {
		return nil, fmt.Errorf("dashboard: issue %s: %w", key, err)
	}
	return map[string]any{"issue": is, "url": s.browse(site, key)}, nil
}

func (s *Server) apiOutcomes(r *http.Request) (any, error) {
	week, err := s.week(r)
	if err != nil {
		return nil, err
	}
	if s.cfg.Outcomes == nil {
		return map[string]any{"week": week.String(), "outcomes": []report.Outcome{}, "alignment": nil}, nil
	}
	ins, al, err := s.cfg.Outcomes(r.Context(), week, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	rep, err := report.Build(report.Input{Week: week, Location: s.cfg.Location, Now: s.cfg.Now(), Outcomes: ins, Alignment: al})
	if err != nil {
		return nil, err
	}
	return map[string]any{"week": week.String(), "outcomes": rep.Outcomes, "alignment": rep.Alignment}, nil
}

var funcs = template.FuncMap{
	"velocity": report.VelocityChart, "scatter": report.CycleScatter, "flow": report.FlowChart, "defects": report.DefectsChart,
	"spark": sparkline, "outcome": report.OutcomeChart, "num": num, "pct": pct, "optnum": optnum,
	"lower": strings.ToLower, "notready": func(b report.Backlog) int { return b.Items - b.Ready }, "deref": func(b *bool) bool { return b != nil && *b },
}
