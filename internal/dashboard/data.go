package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/metrics"
	"github.com/backlog-health/analyzer/internal/report"
	"github.com/backlog-health/analyzer/internal/reportdata"
	"github.com/backlog-health/analyzer/internal/store"
)

// errNotFound answers 404; errBadRequest 400.
var (
	errNotFound   = errors.New("dashboard: not found")
	errBadRequest = errors.New("dashboard: bad request")
)

// week is the ?week= parameter, defaulting to the last complete ISO week.
func (s *Server) week(r *http.Request) (report.ISOWeek, error) {
	v := r.URL.Query().Get("week")
	if v == "" {
		return report.LastCompleteWeek(s.cfg.Now(), s.cfg.Location), nil
	}
	w, err := report.ParseISOWeek(v)
	if err != nil {
		return w, fmt.Errorf("%w: week: %w", errBadRequest, err)
	}
	return w, nil
}

// weekData reads the selected boards (or one) of week and builds the
// weekly report model of them, as `analyzer report --week` does.
func (s *Server) weekData(ctx context.Context, week report.ISOWeek, boardID int64, withOutcomes bool) (reportdata.Week, *report.Report, error) {
	wk, err := reportdata.Read(ctx, s.cfg.Store, week, s.cfg.Location, s.cfg.Sites, boardID, s.cfg.Logger)
	if err != nil {
		return wk, nil, err
	}
	now := s.cfg.Now()
	in := report.Input{Week: week, Location: s.cfg.Location, Now: now, Forecast: s.cfg.Forecast, Teams: wk.Teams(), DataAsOf: wk.DataAsOf}
	if withOutcomes && s.cfg.Outcomes != nil {
		if in.Outcomes, in.Alignment, err = s.cfg.Outcomes(ctx, week, now); err != nil {
			return wk, nil, err
		}
	}
	r, err := report.Build(in)
	if err != nil {
		return wk, nil, fmt.Errorf("dashboard: %w", err)
	}
	return wk, r, nil
}

// boardRef finds the board of a path's {id} (and ?site= when several
// sites have that id).
func (s *Server) boardRef(ctx context.Context, r *http.Request) (analyzer.Board, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return analyzer.Board{}, fmt.Errorf("%w: board id %q is not a number", errBadRequest, r.PathValue("id"))
	}
	boards, err := s.cfg.Store.BoardList(ctx)
	if err != nil {
		return analyzer.Board{}, err
	}
	site := r.URL.Query().Get("site")
	for _, b := range boards {
		if b.ID == id && (site == "" || b.SiteID == site) {
			return b, nil
		}
	}
	return analyzer.Board{}, fmt.Errorf("%w: board %d", errNotFound, id)
}

// Overview is the overview page and GET /api/v1/overview.
type Overview struct {
	Week     string            `json:"week"`
	Report   *report.Report    `json:"report"`
	Teams    []OverviewTeam    `json:"teams"`
	DataAsOf []report.SiteAsOf `json:"data_as_of"`
	Nav      weekNav           `json:"-"`
}

// OverviewTeam is one team's headline and its 26-week trends.
type OverviewTeam struct {
	Team       *report.Team `json:"-"`
	BoardID    int64        `json:"board_id"`
	SiteID     string       `json:"site_id"`
	Name       string       `json:"name"`
	Weeks      []string     `json:"weeks"` // ISO weeks of the trend series, oldest first
	Throughput []float64    `json:"throughput"`
	WIP        []float64    `json:"wip"`
	CycleP85   []*float64   `json:"cycle_p85"`
}

func (s *Server) overviewData(ctx context.Context, week report.ISOWeek) (*Overview, error) {
	wk, rep, err := s.weekData(ctx, week, 0, true)
	if err != nil {
		return nil, err
	}
	o := &Overview{Week: week.String(), Report: rep, DataAsOf: rep.DataAsOf, Teams: []OverviewTeam{}, Nav: s.nav(week)}
	for i, b := range wk.Boards {
		t := OverviewTeam{BoardID: b.Board.ID, SiteID: b.Board.SiteID, Name: b.Team.BoardName, Weeks: []string{}, Throughput: []float64{}, WIP: []float64{}, CycleP85: []*float64{}}
		for j := range rep.Teams {
			if rep.Teams[j].BoardID == b.Board.ID && rep.Teams[j].SiteID == b.Board.SiteID {
				t.Team = &rep.Teams[j]
			}
		}
		end := week.Start(s.cfg.Location)
		for _, w := range b.At.Weeks {
			if w.WeekStart.After(end) || w.WeekStart.Before(end.AddDate(0, 0, -7*(compute.ReadWeeks-1))) {
				continue
			}
			t.Weeks = append(t.Weeks, report.WeekOf(w.WeekStart, s.cfg.Location).String())
			t.Throughput = append(t.Throughput, float64(w.Throughput))
			t.WIP = append(t.WIP, float64(w.WIP))
			var p *float64
			if w.CycleTime.Count > 0 {
				v := w.CycleTime.P85
				p = &v
			}
			t.CycleP85 = append(t.CycleP85, p)
		}
		_ = i
		o.Teams = append(o.Teams, t)
	}
	return o, nil
}

// weekNav is the week picker.
type weekNav struct {
	Week, Prev, Next string
	Latest           string
}

func (s *Server) nav(w report.ISOWeek) weekNav {
	latest := report.LastCompleteWeek(s.cfg.Now(), s.cfg.Location)
	n := weekNav{Week: w.String(), Prev: w.Add(-1).String(), Latest: latest.String()}
	if w.Start(s.cfg.Location).Before(latest.Start(s.cfg.Location)) {
		n.Next = w.Add(1).String()
	}
	return n
}

// BoardWeek is the team page and GET /api/v1/boards/{id}.
type BoardWeek struct {
	Week    string          `json:"week"`
	Board   analyzer.Board  `json:"board"`
	Team    report.Team     `json:"team"`
	Columns []ColumnAgeing  `json:"ageing_by_column"`
	Sprints []SprintSummary `json:"sprint_list"`
	Weeks   []string        `json:"stored_weeks"` // weeks with a snapshot, newest first
	Nav     weekNav         `json:"-"`
}

// ColumnAgeing is the ageing work in progress of one board column.
type ColumnAgeing struct {
	Column string      `json:"column"`
	Items  []IssueLink `json:"items"`
}

// SprintSummary is a sprint of the week's snapshot, linked to its page.
type SprintSummary struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	State     string   `json:"state"`
	Committed float64  `json:"committed"`
	Completed float64  `json:"completed"`
	SayDo     *float64 `json:"say_do"`
	CarryOver int      `json:"carry_over_issues"`
}

// IssueLink is an issue as the lists show it.
type IssueLink struct {
	Key          string   `json:"key"`
	URL          string   `json:"url"` // <site url>/browse/<KEY>; "" when the site is not configured
	Summary      string   `json:"summary"`
	Type         string   `json:"type"`
	Status       string   `json:"status"`
	Estimate     *float64 `json:"estimate"`                // now
	AtStart      *float64 `json:"at_start,omitempty"`      // sprint lists: estimate at entry
	AtCompletion *float64 `json:"at_completion,omitempty"` // sprint lists: estimate at completion
	AgeDays      *float64 `json:"age_days,omitempty"`      // ageing lists
	CycleDays    *float64 `json:"cycle_days,omitempty"`    // throughput lists
}

func (s *Server) browse(siteID, key string) string {
	base := s.siteURL[siteID]
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/browse/" + url.PathEscape(key)
}

func (s *Server) boardWeek(ctx context.Context, b analyzer.Board, week report.ISOWeek) (*BoardWeek, reportdata.Board, error) {
	wk, rep, err := s.weekData(ctx, week, b.ID, false)
	if err != nil {
		return nil, reportdata.Board{}, err
	}
	var rb reportdata.Board
	found := false
	for _, x := range wk.Boards {
		if x.Board.SiteID == b.SiteID {
			rb, found = x, true
		}
	}
	if !found {
		return nil, rb, fmt.Errorf("%w: board %d has no snapshot for %s (not computed yet, or beyond metrics.history_weeks)", errNotFound, b.ID, week)
	}
	out := &BoardWeek{Week: week.String(), Board: b, Nav: s.nav(week), Weeks: []string{}}
	for _, t := range rep.Teams {
		if t.SiteID == b.SiteID {
			out.Team = t
		}
	}
	out.Columns = ageingByColumn(b, lastWeek(rb.At.Weeks, week.Start(s.cfg.Location)), func(k string) string { return s.browse(b.SiteID, k) })
	for i := len(rb.At.Sprints) - 1; i >= 0; i-- {
		k := rb.At.Sprints[i]
		out.Sprints = append(out.Sprints, SprintSummary{ID: k.SprintID, Name: k.Name, State: k.State, Committed: k.Committed,
			Completed: k.Completed, SayDo: k.SayDo, CarryOver: len(k.CarryOverKeys)})
	}
	meta, err := s.cfg.Store.KPIBoardWeekMeta(ctx, b.SiteID, b.ID)
	if err != nil {
		return nil, rb, err
	}
	for i := len(meta) - 1; i >= 0; i-- {
		if t, err := time.ParseInLocation(time.DateOnly, meta[i].WeekStart, s.cfg.Location); err == nil {
			out.Weeks = append(out.Weeks, report.WeekOf(t, s.cfg.Location).String())
		}
	}
	return out, rb, nil
}

// lastWeek is the weekly KPIs of the week starting at ws (nil: none).
func lastWeek(ws []metrics.WeekKPI, start time.Time) *metrics.WeekKPI {
	for i := len(ws) - 1; i >= 0; i-- {
		if ws[i].WeekStart.Equal(start) {
			return &ws[i]
		}
	}
	return nil
}

// ageingByColumn groups the week's ageing work in progress by the board
// column its status is mapped to, in the board's column order.
func ageingByColumn(b analyzer.Board, w *metrics.WeekKPI, link func(string) string) []ColumnAgeing {
	out := []ColumnAgeing{}
	if w == nil {
		return out
	}
	col := map[string]int{}
	for i, c := range b.Columns {
		for _, id := range c.StatusIDs {
			col[id] = i
		}
		out = append(out, ColumnAgeing{Column: c.Name, Items: []IssueLink{}})
	}
	other := -1
	for _, a := range w.AgeingWIP {
		i, ok := col[a.StatusID]
		if !ok {
			if other < 0 {
				out = append(out, ColumnAgeing{Column: "(no column)", Items: []IssueLink{}})
				other = len(out) - 1
			}
			i = other
		}
		age := a.AgeDays
		out[i].Items = append(out[i].Items, IssueLink{Key: a.Key, URL: link(a.Key), Type: a.Type, Status: a.Status, AgeDays: &age})
	}
	return slices.DeleteFunc(out, func(c ColumnAgeing) bool { return len(c.Items) == 0 })
}

// SprintPage is the sprint page and GET /api/v1/boards/{id}/sprints/{sprintId}:
// the Jira Sprint report's lists with points at start and at completion.
type SprintPage struct {
	Board  analyzer.Board    `json:"board"`
	Sprint metrics.SprintKPI `json:"sprint"`
	Lists  []IssueList       `json:"lists"`
}

// IssueList is a named list of issues.
type IssueList struct {
	Name   string      `json:"name"` // completed, not_completed, added, removed, re_estimated, carried_over, completed_outside
	Title  string      `json:"title"`
	Issues []IssueLink `json:"issues"`
}

func (s *Server) sprintPage(ctx context.Context, b analyzer.Board, sprintID int64) (*SprintPage, error) {
	at, err := compute.ReadBoard(ctx, s.cfg.Store, b.SiteID, b.ID, s.cfg.Now().Add(-time.Hour), s.cfg.Now())
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(at.Sprints, func(k metrics.SprintKPI) bool { return k.SprintID == sprintID })
	if i < 0 {
		return nil, fmt.Errorf("%w: sprint %d of board %d (not started, or not computed yet)", errNotFound, sprintID, b.ID)
	}
	k := at.Sprints[i]
	d, err := compute.Load(ctx, s.cfg.Store, b.SiteID, b.ID, false)
	if err != nil {
		return nil, err
	}
	var opt metrics.Options
	if s.cfg.Options != nil {
		opt = s.cfg.Options(b.SiteID)
	}
	opt.Now, opt.Location = s.cfg.Now(), s.cfg.Location
	est, err := metrics.SprintIssueEstimates(d, opt, sprintID)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]*analyzer.Issue, len(d.Issues))
	for j := range d.Issues {
		byKey[d.Issues[j].Key] = &d.Issues[j]
	}
	link := func(key string) IssueLink {
		l := s.issueLink(b.SiteID, key, byKey[key])
		e := est[key]
		l.AtStart, l.AtCompletion = e.AtStart, e.AtCompletion
		return l
	}
	mk := func(name, title string, keys []string) IssueList {
		l := IssueList{Name: name, Title: title, Issues: make([]IssueLink, 0, len(keys))}
		for _, key := range keys {
			l.Issues = append(l.Issues, link(key))
		}
		return l
	}
	var reest []string
	for _, key := range append(slices.Clone(k.CompletedKeys), k.UnfinishedKeys...) {
		e := est[key]
		if !sameEstimate(e.AtStart, e.AtCompletion) {
			reest = append(reest, key)
		}
	}
	slices.Sort(reest)
	return &SprintPage{Board: b, Sprint: k, Lists: []IssueList{
		mk("completed", "Completed", k.CompletedKeys),
		mk("not_completed", "Not completed", k.UnfinishedKeys),
		mk("added", "Added after the sprint started", k.AddedKeys),
		mk("removed", "Removed from the sprint", k.RemovedKeys),
		mk("re_estimated", "Re-estimated during the sprint", reest),
		mk("carried_over", "Carried over from the previous sprint", k.CarryOverKeys),
		mk("completed_outside", "Completed outside the sprint", k.CompletedOutsideKeys),
	}}, nil
}

func sameEstimate(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func (s *Server) issueLink(siteID, key string, is *analyzer.Issue) IssueLink {
	l := IssueLink{Key: key, URL: s.browse(siteID, key)}
	if is != nil {
		l.Summary, l.Type, l.Status, l.Estimate = is.Summary, is.Type, is.StatusName, is.Estimate
	}
	return l
}

// Drill-down lists (?list=).
var drillLists = map[string]string{
	"ageing":     "Ageing work in progress at the week's end",
	"escaped":    "Escaped defects found in the week",
	"throughput": "Issues finished in the week",
	"carry_over": "Carried over into the latest sprint",
	// The backlog lists: the snapshots hold only their counts.
	"backlog":     "Backlog at the week's end",
	"stale":       "Stale backlog items",
	"unestimated": "Unestimated backlog items",
	"not_ready":   "Backlog items not ready",
}

// IssuesPage is a drill-down list and GET /api/v1/boards/{id}/issues.
type IssuesPage struct {
	Board analyzer.Board `json:"board"`
	Week  string         `json:"week"`
	List  IssueList      `json:"list"`
	Note  string         `json:"note,omitempty"` // how the list was made, when not from the snapshot
}

func (s *Server) issuesPage(ctx context.Context, b analyzer.Board, week report.ISOWeek, list string) (*IssuesPage, error) {
	title, ok := drillLists[list]
	if !ok {
		return nil, fmt.Errorf("%w: list %q (want ageing, escaped, throughput, carry_over, backlog, stale, unestimated or not_ready)", errBadRequest, list)
	}
	switch list {
	case "backlog", "stale", "unestimated", "not_ready":
		return s.backlogPage(ctx, b, week, list, title)
	}
	_, at, err := reportdata.TeamInput(ctx, s.cfg.Store, b.SiteID, b.ID, week, s.cfg.Location)
	if store.IsNotFound(err) {
		return nil, fmt.Errorf("%w: board %d has no snapshot for %s", errNotFound, b.ID, week)
	}
	if err != nil {
		return nil, err
	}
	start, end := week.Start(s.cfg.Location), week.End(s.cfg.Location)
	w := lastWeek(at.Weeks, start)
	type item struct {
		key        string
		age, cycle *float64
	}
	var items []item
	switch list {
	case "ageing":
		if w != nil {
			for _, a := range w.AgeingWIP {
				age := a.AgeDays
				items = append(items, item{key: a.Key, age: &age})
			}
		}
	case "escaped":
		if w != nil {
			for _, k := range w.EscapedDefectKeys {
				items = append(items, item{key: k})
			}
		}
	case "throughput":
		for _, c := range at.Snapshot.Cycles {
			if !c.Done.Before(start) && c.Done.Before(end) {
				items = append(items, item{key: c.Key, cycle: c.CycleDays})
			}
		}
	case "carry_over":
		for i := len(at.Sprints) - 1; i >= 0; i-- {
			for _, k := range at.Sprints[i].CarryOverKeys {
				items = append(items, item{key: k})
			}
			break
		}
	}
	issues, err := s.issuesByKey(ctx, b)
	if err != nil {
		return nil, err
	}
	out := &IssuesPage{Board: b, Week: week.String(), List: IssueList{Name: list, Title: title, Issues: make([]IssueLink, 0, len(items))}}
	for _, it := range items {
		l := s.issueLink(b.SiteID, it.key, issues[it.key])
		l.AgeDays, l.CycleDays = it.age, it.cycle
		out.List.Issues = append(out.List.Issues, l)
	}
	return out, nil
}

func (s *Server) issuesByKey(ctx context.Context, b analyzer.Board) (map[string]*analyzer.Issue, error) {
	list, err := s.cfg.Store.IssueListByBoard(ctx, b.SiteID, b.ID, false)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*analyzer.Issue, len(list))
	for i := range list {
		m[list[i].Key] = &list[i]
	}
	return m, nil
}

// backlogPage lists the backlog items behind a count of the team page. The
// snapshots keep only the counts, so the list is recomputed from the
// stored history as of the week's end, by the rules the counts were
// computed with (metrics.BacklogItems); the note says so, and gives the
// snapshot's count when the history has changed since.
func (s *Server) backlogPage(ctx context.Context, b analyzer.Board, week report.ISOWeek, list, title string) (*IssuesPage, error) {
	_, at, err := reportdata.TeamInput(ctx, s.cfg.Store, b.SiteID, b.ID, week, s.cfg.Location)
	if store.IsNotFound(err) {
		return nil, fmt.Errorf("%w: board %d has no snapshot for %s", errNotFound, b.ID, week)
	}
	if err != nil {
		return nil, err
	}
	w := lastWeek(at.Weeks, week.Start(s.cfg.Location))
	if w == nil {
		return nil, fmt.Errorf("%w: board %d has no weekly KPIs for %s", errNotFound, b.ID, week)
	}
	d, err := compute.Load(ctx, s.cfg.Store, b.SiteID, b.ID, false)
	if err != nil {
		return nil, err
	}
	var opt metrics.Options
	if s.cfg.Options != nil {
		opt = s.cfg.Options(b.SiteID)
	}
	opt.Now, opt.Location = s.cfg.Now(), s.cfg.Location
	items, err := metrics.BacklogItems(d, opt, week.Start(s.cfg.Location))
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]*analyzer.Issue, len(d.Issues))
	for j := range d.Issues {
		byKey[d.Issues[j].Key] = &d.Issues[j]
	}
	bl := w.Backlog
	want := map[string]int{"backlog": bl.Items, "stale": bl.Stale, "unestimated": bl.Unestimated, "not_ready": bl.Items - bl.Ready}[list]
	out := &IssuesPage{Board: b, Week: week.String(), List: IssueList{Name: list, Title: title, Issues: []IssueLink{}}}
	for _, it := range items {
		if list == "stale" && !it.Stale || list == "unestimated" && !it.Unestimated || list == "not_ready" && it.Ready {
			continue
		}
		l := s.issueLink(b.SiteID, it.Key, byKey[it.Key])
		l.Estimate = it.Estimate
		out.List.Issues = append(out.List.Issues, l)
	}
	out.Note = "The snapshots keep only the count: this list is recomputed from the stored history as of the week's end, by the same rules."
	if n := len(out.List.Issues); n != want {
		out.Note += fmt.Sprintf(" The week's snapshot counted %d; the stored history has changed since it was taken.", want)
	}
	return out, nil
}
