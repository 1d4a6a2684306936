package report

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// SchemaVersion is the version of the JSON report (docs/report-schema.md).
// It changes only when a key is removed, renamed or changes meaning; adding
// a key bumps it too, since the schema forbids unknown keys.
const SchemaVersion = 5

// DefaultDocsBaseURL is where figure links point when Input.DocsBaseURL is
// empty: the docs/ directory of the project repository.
const DefaultDocsBaseURL = "https://github.com/backlog-health/analyzer/blob/main/docs/"

// Window sizes of the report.
const (
	MaxSprints       = 8                        // sprints listed and charted per team
	PreviousWeeks    = 4                        // "previous 4" weeks / sprints compared with this one
	BaselineWeeks    = 12                       // a team's weekly baseline: median of the 12 weeks before this one
	BaselineSprints  = 6                        // a team's sprint baseline: median of the 6 closed sprints before the latest
	ChartWeeks       = 12                       // weeks charted (the report week and the 11 before)
	MaxAgeingItems   = metrics.DefaultAgeingTop // oldest in-progress items listed per team
	outcomeSeriesMax = 26                       // weeks of an outcome series kept in the report
)

// Sentinel errors of Build.
var (
	ErrNoClock = errors.New("report: Input.Now is not set")
)

// Input is everything a report is built from: plain data, loaded by the
// caller (the store or the demo). Build does no I/O.
type Input struct {
	Week     ISOWeek
	Location *time.Location // report time zone; default UTC
	Now      time.Time      // when the report is generated; required
	Teams    []TeamInput
	Outcomes []OutcomeInput // may be empty: the PM view then says none are configured
	// Alignment is the share of delivered work linked to any outcome; nil
	// when no outcomes are configured.
	Alignment *AlignmentInput
	// DataAsOf is how fresh each site's data is: one entry per site the
	// report covers (the configured sites), whether or not it has data.
	DataAsOf []SiteAsOf
	// Forecast configures each team's forecast (report.forecast).
	Forecast ForecastSettings
	// DocsBaseURL prefixes every definition link ("…/docs/" → "…/docs/metrics.md#velocity").
	// Default DefaultDocsBaseURL.
	DocsBaseURL string
	// PublicURL is where the dashboard is served (http.public_url), e.g.
	// "https://analyzer.example.org"; when set, the report links to the
	// dashboard's pages of its week. Empty: no dashboard links.
	PublicURL string
}

// TeamInput is one board's KPIs as computed by internal/metrics.
type TeamInput struct {
	SiteID string
	// SiteURL is the Jira site's base URL (jira.sites[].url): issue keys
	// link to SiteURL + "/browse/KEY". Empty: keys are not linked.
	SiteURL   string
	BoardID   int64
	BoardName string
	Unit      string // metrics.UnitPoints, UnitHours or UnitIssues
	Sprints   []metrics.SprintKPI
	Weeks     []metrics.WeekKPI
	// Cycles are the per-issue cycle times (metrics.Result.CycleTimes), for
	// the scatter chart; may be empty.
	Cycles           []metrics.IssueCycle
	DataQuality      metrics.DataQuality
	EstimationField  string
	EstimationSource string
}

// Report is the weekly report of one or more teams (JSON: docs/report-schema.md).
type Report struct {
	SchemaVersion     int        `json:"schema_version"`
	DefinitionVersion int        `json:"definition_version"` // metrics.DefinitionVersion
	Week              string     `json:"week"`               // "2026-W47"
	WeekStart         string     `json:"week_start"`         // Monday, "2006-01-02"
	WeekEnd           string     `json:"week_end"`           // Sunday, inclusive
	TimeZone          string     `json:"time_zone"`
	GeneratedAt       time.Time  `json:"generated_at"`
	DataAsOf          []SiteAsOf `json:"data_as_of"` // per site, the oldest board's sync watermark
	DocsBaseURL       string     `json:"docs_base_url"`
	DashboardURL      string     `json:"dashboard_url"` // the dashboard's overview of the week; "" when http.public_url is not set
	Teams             []Team     `json:"teams"`
	Outcomes          []Outcome  `json:"outcomes"`
	Alignment         *Alignment `json:"alignment"` // null when no outcomes are configured

	week ISOWeek
	loc  *time.Location
}

// ISOWeek returns the week of the report.
func (r *Report) ISOWeek() ISOWeek { return r.week }

// Team is one board's section of the report.
type Team struct {
	SiteID           string `json:"site_id"`
	SiteURL          string `json:"site_url"`      // Jira site base URL; issue keys link to site_url/browse/KEY ("" when unknown)
	DashboardURL     string `json:"dashboard_url"` // the dashboard's page of the board for the week; "" when http.public_url is not set
	BoardID          int64  `json:"board_id"`
	BoardName        string `json:"board_name"`
	Unit             string `json:"unit"` // what committed_points etc. count: points, hours or issues
	EstimationField  string `json:"estimation_field"`
	EstimationSource string `json:"estimation_source"`

	Sprints            []Sprint          `json:"sprints"`
	VelocityAverages   []VelocityAverage `json:"velocity_averages"` // per configured window, the first being the headline
	SayDoAvg7          *float64          `json:"say_do_avg_7"`
	GoalCompletionRate *float64          `json:"goal_completion_rate"`

	// The report week's flow figures; Partial when the week was not over at generation.
	WeekData       bool          `json:"week_data"` // false: no weekly KPIs for this week
	Partial        bool          `json:"partial"`
	CycleTimeDays  Dist          `json:"cycle_time_days"`
	LeadTimeDays   Dist          `json:"lead_time_days"`
	ByType         []TypeFigures `json:"by_type"`  // the week's figures per issue type
	DayUnit        string        `json:"day_unit"` // calendar or working days
	Throughput     int           `json:"throughput"`
	WIP            int           `json:"wip"`
	AgeingWIP      []AgeingItem  `json:"ageing_wip"`
	DefectsFound   int           `json:"defects_found"`
	EscapedDefects int           `json:"escaped_defects"`
	EscapeRate     *float64      `json:"escape_rate"`
	Reopened       int           `json:"reopened"`
	Backlog        Backlog       `json:"backlog"`
	CarryOver      *CarryOver    `json:"carry_over"`
	Forecast       *Forecast     `json:"forecast"`
	DataQuality    DataQuality   `json:"data_quality"`
	Health         []HealthRow   `json:"health"`
	Callouts       []Callout     `json:"callouts"`
	Weeks          []WeekPoint   `json:"weeks"`       // the charted weeks, oldest first
	CycleTimes     []CyclePoint  `json:"cycle_times"` // issues done in the charted weeks
}

// VelocityAverage is the mean completed points of the last ≤Window closed
// sprints (Sprints says how many there were).
type VelocityAverage struct {
	Window  int     `json:"window"`
	Sprints int     `json:"sprints"`
	Value   float64 `json:"value"`
}

// Velocity is the headline velocity average (the first configured window);
// nil before the first closed sprint.
func (t Team) Velocity() *VelocityAverage {
	if len(t.VelocityAverages) == 0 {
		return nil
	}
	return &t.VelocityAverages[0]
}

// VelocityValue is the headline average's value, nil when there is none.
func (t Team) VelocityValue() *float64 {
	if v := t.Velocity(); v != nil {
		return &v.Value
	}
	return nil
}

// VelocityWindow is the headline velocity window of the first team that has
// one (every team is computed with the same windows); 0 when none has.
func (r *Report) VelocityWindow() int {
	for _, t := range r.Teams {
		if v := t.Velocity(); v != nil {
			return v.Window
		}
	}
	return 0
}

// Sprint is one sprint's figures. "points" are in the team's Unit.
type Sprint struct {
	SprintID        int64    `json:"sprint_id"`
	Name            string   `json:"name"`
	State           string   `json:"state"`
	Partial         bool     `json:"partial"` // still running: figures as of as_of
	Status          string   `json:"status"`  // closed, in_progress or overdue
	OverdueDays     int      `json:"overdue_days"`
	Goal            string   `json:"goal"`
	StartDate       string   `json:"start_date"`
	EndDate         string   `json:"end_date"` // completion (or planned end); "" when unknown
	CommittedPoints float64  `json:"committed_points"`
	CompletedPoints float64  `json:"completed_points"`
	AddedPoints     float64  `json:"added_points"`
	RemovedPoints   float64  `json:"removed_points"`
	SayDoRatio      *float64 `json:"say_do_ratio"`
	ScopeChange     *float64 `json:"scope_change"`
	GoalMet         *bool    `json:"goal_met"` // null while the sprint runs
	GoalMethod      string   `json:"goal_method"`
	CarryOverIssues int      `json:"carry_over_issues"`
	CarryOverPoints float64  `json:"carry_over_points"`
	EscapedDefects  int      `json:"escaped_defects"`
	Flags           []string `json:"flags"`
}

// Dist is a distribution of durations in days; the figures are null when
// Count is 0.
type Dist struct {
	Count int      `json:"count"`
	P50   *float64 `json:"p50"`
	P85   *float64 `json:"p85"`
	P95   *float64 `json:"p95"`
	Mean  *float64 `json:"mean"`
}

// AgeingItem is an in-progress item and how long it has been in progress.
type AgeingItem struct {
	Key     string  `json:"key"`
	Type    string  `json:"type"`
	Status  string  `json:"status"`
	AgeDays float64 `json:"age_days"`
}

// Backlog is the backlog health at the week's end.
type Backlog struct {
	Items            int      `json:"items"`
	Unestimated      int      `json:"unestimated"`
	UnestimatedShare *float64 `json:"unestimated_share"`
	Ready            int      `json:"ready"`
	ReadyShare       *float64 `json:"ready_share"`
	Stale            int      `json:"stale"`
	DepthSprints     *float64 `json:"depth_sprints"`
}

// CarryOver is the carry-over into the team's latest sprint.
type CarryOver struct {
	SprintID    int64    `json:"sprint_id"`
	SprintName  string   `json:"sprint_name"`
	Issues      int      `json:"issues"`
	Points      float64  `json:"points"`
	Issues2Plus int      `json:"issues_2plus"` // unfinished in two or more sprints in a row
	Points2Plus float64  `json:"points_2plus"`
	Keys        []string `json:"keys"`
	Keys2Plus   []string `json:"keys_2plus"`
}

// DataQuality says what the figures cannot see.
type DataQuality struct {
	UnestimatedInSprint    int      `json:"unestimated_in_sprint"`
	UnmappedStatusIssues   int      `json:"unmapped_status_issues"`
	UnmappedStatusIDs      []string `json:"unmapped_status_ids"`
	ChangelogIncomplete    int      `json:"changelog_incomplete"`
	MultiBoardIssues       int      `json:"multi_board_issues"`
	EstimationFieldMissing bool     `json:"estimation_field_missing"`
	InvalidEstimates       int      `json:"invalid_estimates"`
	SkippedIssues          int      `json:"skipped_issues"`
	SkippedIssueKeys       []string `json:"skipped_issue_keys"`
	ChangelogDropped       int      `json:"changelog_dropped"`
	Flags                  []string `json:"flags"`
	Notes                  []string `json:"notes"` // the same, in plain language
}

// Comparison periods of a HealthRow.
const (
	PeriodWeek   = "week"
	PeriodSprint = "sprint"
)

// Trends of a HealthRow (current vs the previous 4).
const (
	TrendUp   = "up"
	TrendDown = "down"
	TrendFlat = "flat"
	TrendNA   = "n/a"
)

// HealthRow compares one figure with the previous 4 periods and the team's baseline.
type HealthRow struct {
	Metric     string   `json:"metric"` // key, e.g. "cycle_time_p85"
	Label      string   `json:"label"`
	Kind       string   `json:"kind"`   // count, days, ratio or points: how to format
	Period     string   `json:"period"` // week or sprint
	Current    *float64 `json:"current"`
	Previous4  *float64 `json:"previous_4"` // mean of the previous ≤4 periods with a value
	Previous4N int      `json:"previous_4_n"`
	Baseline   *float64 `json:"baseline"` // median of the last ≤12 weeks / ≤6 sprints before the current one
	BaselineN  int      `json:"baseline_n"`
	Trend      string   `json:"trend"`  // current vs previous_4: up, down, flat, n/a (±10 %)
	Better     string   `json:"better"` // higher or lower
	Definition string   `json:"definition"`
}

// Callout severities.
const (
	SeverityWarn = "warn"
	SeverityGood = "good"
	SeverityInfo = "info"
)

// Callout is a plain-language observation generated by a rule.
type Callout struct {
	Rule       string `json:"rule"`
	Severity   string `json:"severity"`
	Text       string `json:"text"`
	Definition string `json:"definition"`
}

// WeekPoint is one charted week.
type WeekPoint struct {
	Week           string   `json:"week"` // "2026-W47"
	WeekStart      string   `json:"week_start"`
	Partial        bool     `json:"partial"`
	Throughput     int      `json:"throughput"`
	WIP            int      `json:"wip"`
	DefectsFound   int      `json:"defects_found"`
	EscapedDefects int      `json:"escaped_defects"`
	CycleP50       *float64 `json:"cycle_p50"`
	CycleP85       *float64 `json:"cycle_p85"`
}

// CyclePoint is one finished issue of the scatter chart.
type CyclePoint struct {
	Key       string  `json:"key"`
	Type      string  `json:"type"`
	Done      string  `json:"done"` // date in the report time zone
	CycleDays float64 `json:"cycle_days"`

	doneAt time.Time
}

// Build makes the report for in.Week. It is a pure function of its input:
// the same input gives the same report.
func Build(in Input) (*Report, error) {
	if in.Now.IsZero() {
		return nil, ErrNoClock
	}
	if !in.Week.Valid() {
		return nil, fmt.Errorf("%w: %s", ErrBadWeek, in.Week)
	}
	loc := cmp.Or(in.Location, time.UTC)
	base := cmp.Or(in.DocsBaseURL, DefaultDocsBaseURL)
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	start, end := in.Week.Start(loc), in.Week.End(loc)
	r := &Report{
		SchemaVersion:     SchemaVersion,
		DefinitionVersion: metrics.DefinitionVersion,
		Week:              in.Week.String(),
		WeekStart:         start.Format(time.DateOnly),
		WeekEnd:           end.AddDate(0, 0, -1).Format(time.DateOnly),
		TimeZone:          loc.String(),
		GeneratedAt:       in.Now.In(loc),
		DataAsOf:          siteAsOf(in.DataAsOf, end, loc),
		DocsBaseURL:       base,
		DashboardURL:      dashboardURL(in.PublicURL, "/", in.Week),
		Teams:             []Team{},
		Outcomes:          []Outcome{},
		week:              in.Week,
		loc:               loc,
	}
	seen := map[string]bool{}
	for _, ti := range in.Teams {
		id := fmt.Sprintf("%s/%d", ti.SiteID, ti.BoardID)
		if seen[id] {
			return nil, fmt.Errorf("report: board %d of site %q listed twice", ti.BoardID, ti.SiteID)
		}
		seen[id] = true
		t := buildTeam(ti, in.Week, loc, base, in.Now)
		t.DashboardURL = dashboardURL(in.PublicURL, fmt.Sprintf("/boards/%d", ti.BoardID), in.Week)
		t.Forecast = teamForecast(ti, in.Week, loc, in.Now, in.Forecast)
		r.Teams = append(r.Teams, t)
	}
	for _, oi := range in.Outcomes {
		r.Outcomes = append(r.Outcomes, buildOutcome(oi, end, loc, base))
	}
	if in.Alignment != nil {
		r.Alignment = buildAlignment(*in.Alignment, loc)
	}
	r.roundFigures()
	return r, nil
}

func buildTeam(ti TeamInput, week ISOWeek, loc *time.Location, base string, now time.Time) Team {
	end := week.End(loc)
	// ref is the last instant the report covers: the week's end, or now
	// while the week is not over.
	ref := end.Add(-time.Nanosecond)
	if now.Before(ref) {
		ref = now
	}
	t := Team{
		SiteID:           ti.SiteID,
		SiteURL:          strings.TrimRight(ti.SiteURL, "/"),
		BoardID:          ti.BoardID,
		BoardName:        ti.BoardName,
		Unit:             cmp.Or(ti.Unit, metrics.UnitIssues),
		EstimationField:  ti.EstimationField,
		EstimationSource: cmp.Or(ti.EstimationSource, "none"),
		Sprints:          []Sprint{},
		VelocityAverages: []VelocityAverage{},
		AgeingWIP:        []AgeingItem{},
		ByType:           []TypeFigures{},
		Weeks:            []WeekPoint{},
		CycleTimes:       []CyclePoint{},
		DayUnit:          "calendar",
	}

	// Sprints: closed by the week's end, plus the one still running.
	var ks []metrics.SprintKPI
	for _, k := range ti.Sprints {
		if !k.StartDate.Before(end) {
			continue
		}
		if !k.Partial {
			if c := sprintEnd(k); c == nil || !c.Before(end) {
				continue // closed after the report week: a later report's
			}
		}
		ks = append(ks, k)
	}
	slices.SortStableFunc(ks, func(a, b metrics.SprintKPI) int { return a.StartDate.Compare(b.StartDate) })
	var closed []metrics.SprintKPI
	for _, k := range ks {
		if !k.Partial {
			closed = append(closed, k)
		}
	}
	for _, k := range ks[max(0, len(ks)-MaxSprints):] {
		t.Sprints = append(t.Sprints, sprintOf(k, loc, ref))
	}
	if n := len(closed); n > 0 {
		last := closed[n-1]
		for _, v := range last.VelocityAverages {
			t.VelocityAverages = append(t.VelocityAverages, VelocityAverage{Window: v.Window, Sprints: v.Sprints, Value: v.Value})
		}
		window := closed[max(0, n-7):]
		var sd []float64
		met, decided := 0, 0
		for _, k := range window {
			if k.SayDo != nil {
				sd = append(sd, *k.SayDo)
			}
			if k.GoalMet != nil {
				decided++
				if *k.GoalMet {
					met++
				}
			}
		}
		t.SayDoAvg7 = mean(sd)
		if decided > 0 {
			t.GoalCompletionRate = ptr(float64(met) / float64(decided))
		}
	}
	if n := len(ks); n > 0 {
		k := ks[n-1]
		t.CarryOver = &CarryOver{
			SprintID: k.SprintID, SprintName: k.Name,
			Issues: len(k.CarryOverKeys), Points: k.CarryOver,
			Issues2Plus: len(k.CarryOver2PlusKeys), Points2Plus: k.CarryOver2Plus,
			Keys: nonNil(k.CarryOverKeys), Keys2Plus: nonNil(k.CarryOver2PlusKeys),
		}
	}

	// Weeks, by ISO week.
	byWeek := map[ISOWeek]metrics.WeekKPI{}
	for _, w := range ti.Weeks {
		byWeek[ISOWeek{Year: w.ISOYear, Week: w.ISOWeek}] = w
	}
	if w, ok := byWeek[week]; ok {
		t.WeekData = true
		t.Partial = w.Partial
		t.CycleTimeDays, t.LeadTimeDays = distOf(w.CycleTime), distOf(w.LeadTime)
		t.ByType = byTypeOf(w)
		// metrics says "calendar-days" or "working-days"; the report says "calendar" or "working".
		t.DayUnit = cmp.Or(strings.TrimSuffix(w.DayUnit, "-days"), "calendar")
		t.Throughput, t.WIP = w.Throughput, w.WIP
		for _, a := range w.AgeingWIP[:min(len(w.AgeingWIP), MaxAgeingItems)] {
			t.AgeingWIP = append(t.AgeingWIP, AgeingItem{Key: a.Key, Type: a.Type, Status: a.Status, AgeDays: round1(a.AgeDays)})
		}
		t.DefectsFound, t.EscapedDefects, t.EscapeRate = w.DefectsFound, w.EscapedDefects, w.EscapeRate
		t.Reopened = w.Reopened
		b := w.Backlog
		t.Backlog = Backlog{Items: b.Items, Unestimated: b.Unestimated, UnestimatedShare: b.UnestimatedShare,
			Ready: b.Ready, ReadyShare: b.ReadyShare, Stale: b.Stale, DepthSprints: b.DepthSprints}
	}
	for i := ChartWeeks - 1; i >= 0; i-- {
		wk := week.Add(-i)
		w, ok := byWeek[wk]
		p := WeekPoint{Week: wk.String(), WeekStart: wk.Start(loc).Format(time.DateOnly)}
		if ok {
			p.Partial, p.Throughput, p.WIP = w.Partial, w.Throughput, w.WIP
			p.DefectsFound, p.EscapedDefects = w.DefectsFound, w.EscapedDefects
			if w.CycleTime.Count > 0 {
				p.CycleP50, p.CycleP85 = ptr(w.CycleTime.P50), ptr(w.CycleTime.P85)
			}
		} else if len(ti.Weeks) > 0 && wk.Start(loc).Before(ti.Weeks[0].WeekStart) {
			continue // before the team's first week: not charted
		}
		t.Weeks = append(t.Weeks, p)
	}
	chartFrom := week.Add(-(ChartWeeks - 1)).Start(loc)
	for _, c := range ti.Cycles {
		if c.CycleDays == nil || c.Done.Before(chartFrom) || !c.Done.Before(end) {
			continue
		}
		t.CycleTimes = append(t.CycleTimes, CyclePoint{Key: c.Key, Type: c.Type,
			Done: c.Done.In(loc).Format(time.DateOnly), CycleDays: round1(*c.CycleDays), doneAt: c.Done})
	}
	slices.SortStableFunc(t.CycleTimes, func(a, b CyclePoint) int {
		return cmp.Or(a.doneAt.Compare(b.doneAt), strings.Compare(a.Key, b.Key))
	})

	t.DataQuality = qualityOf(ti.DataQuality, t.Unit)
	f := factsOf(week, byWeek, closed, t.Unit)
	f.carryOver = t.CarryOver
	if n := len(t.Sprints); n > 0 && t.Sprints[n-1].Status != SprintClosed {
		f.running = &t.Sprints[n-1]
	}
	t.Health = healthRows(f, base)
	t.Callouts = callouts(f, base)
	return t
}

func sprintEnd(k metrics.SprintKPI) *time.Time {
	if k.CompleteDate != nil {
		return k.CompleteDate
	}
	return k.EndDate
}

// sprintOf shapes a sprint as of ref. A running sprint has no goal verdict
// yet (metrics judges its figures so far), only a status.
func sprintOf(k metrics.SprintKPI, loc *time.Location, ref time.Time) Sprint {
	s := Sprint{
		SprintID: k.SprintID, Name: k.Name, State: k.State, Partial: k.Partial, Goal: k.Goal,
		StartDate:       k.StartDate.In(loc).Format(time.DateOnly),
		CommittedPoints: k.Committed, CompletedPoints: k.Completed,
		AddedPoints: k.Added, RemovedPoints: k.Removed,
		SayDoRatio: k.SayDo, ScopeChange: k.ScopeChange, GoalMet: k.GoalMet, GoalMethod: k.GoalMethod,
		CarryOverIssues: len(k.CarryOverKeys), CarryOverPoints: k.CarryOver,
		EscapedDefects: k.EscapedDefects, Flags: nonNil(k.Flags),
	}
	if e := sprintEnd(k); e != nil {
		s.EndDate = e.In(loc).Format(time.DateOnly)
	}
	s.Status, s.OverdueDays = sprintStatus(k, ref, loc)
	if s.Status != SprintClosed {
		s.GoalMet = nil
	}
	return s
}

func distOf(d metrics.Distribution) Dist {
	if d.Count == 0 {
		return Dist{}
	}
	return Dist{Count: d.Count, P50: ptr(round1(d.P50)), P85: ptr(round1(d.P85)), P95: ptr(round1(d.P95)), Mean: ptr(round1(d.Mean))}
}

func qualityOf(q metrics.DataQuality, unit string) DataQuality {
	d := DataQuality{
		UnestimatedInSprint: q.UnestimatedInSprint, UnmappedStatusIssues: q.UnmappedStatusIssues,
		UnmappedStatusIDs: nonNil(q.UnmappedStatusIDs), ChangelogIncomplete: q.ChangelogIncomplete,
		MultiBoardIssues: q.MultiBoardIssues, EstimationFieldMissing: q.EstimationFieldMissing,
		InvalidEstimates: q.InvalidEstimates, SkippedIssues: q.SkippedIssues, SkippedIssueKeys: nonNil(q.SkippedIssueKeys),
		ChangelogDropped: q.ChangelogDropped, Flags: nonNil(q.Flags), Notes: []string{},
	}
	note := func(format string, a ...any) { d.Notes = append(d.Notes, fmt.Sprintf(format, a...)) }
	if q.EstimationFieldMissing {
		note("No estimation field is known for this board: sprint figures count issues, not points.")
	} else if unit == metrics.UnitIssues {
		note("The board estimates by issue count: sprint figures count issues.")
	}
	if q.UnestimatedInSprint > 0 {
		note("%s entered a sprint without an estimate and %s 0 in velocity and say/do.", plural(q.UnestimatedInSprint, "issue", "issues"), verb(q.UnestimatedInSprint, "counts", "count"))
	}
	if q.UnmappedStatusIssues > 0 {
		note("%s %s in statuses mapped to no board column (%s) and never %s as done.",
			plural(q.UnmappedStatusIssues, "issue", "issues"), verb(q.UnmappedStatusIssues, "sits", "sit"),
			strings.Join(q.UnmappedStatusIDs, ", "), verb(q.UnmappedStatusIssues, "counts", "count"))
	}
	if n := len(q.UnknownCategoryStatusIDs); n > 0 {
		note("%s no known category (%s): not in the site's status list, nobody's current status, on no board column; time in %s counts as neither to do, in progress nor done.",
			plural(n, "status has", "statuses have"), strings.Join(q.UnknownCategoryStatusIDs, ", "), verb(n, "it", "them"))
	}
	if q.ChangelogIncomplete > 0 {
		note("%s a truncated changelog: cycle time leaves %s out.", plural(q.ChangelogIncomplete, "issue has", "issues have"), verb(q.ChangelogIncomplete, "it", "them"))
	}
	if q.MultiBoardIssues > 0 {
		note("%s also on another board and %s on both.", plural(q.MultiBoardIssues, "issue shows", "issues show"), verb(q.MultiBoardIssues, "counts", "count"))
	}
	if q.InvalidEstimates > 0 {
		note("%s an estimate that is not a usable number (NaN, infinite or beyond ±1e9), read as no estimate.",
			plural(q.InvalidEstimates, "issue has", "issues have"))
	}
	if q.SkippedIssues > 0 {
		keys := q.SkippedIssueKeys
		if len(keys) > 10 {
			keys = append(slices.Clone(keys[:10]), "…")
		}
		note("%s could not be stored by the sync (no usable created date or id) and %s in no figure: %s.",
			plural(q.SkippedIssues, "issue", "issues"), verb(q.SkippedIssues, "counts", "count"), strings.Join(keys, ", "))
	}
	if q.ChangelogDropped > 0 {
		note("%s with an unreadable timestamp %s left out of %s: %s cycle time may be off.",
			plural(q.ChangelogDropped, "changelog entry", "changelog entries"), verb(q.ChangelogDropped, "was", "were"),
			plural(q.ChangelogDroppedIssues, "issue's history", "issues' histories"), verb(q.ChangelogDroppedIssues, "its", "their"))
	}
	return d
}

// trend compares cur with ref: up or down beyond ±10 % of |ref| (or by any
// amount when ref is 0), flat otherwise.
func trend(cur, ref float64) string { return trendWithin(cur, ref, 0.1) }

func trendWithin(cur, ref, tolerance float64) string {
	d := cur - ref
	tol := tolerance * abs(ref)
	switch {
	case d > tol && d != 0:
		return TrendUp
	case d < -tol && d != 0:
		return TrendDown
	}
	return TrendFlat
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func ptr[T any](v T) *T { return &v }

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func mean(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return ptr(s / float64(len(xs)))
}

func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return ptr(s[n/2])
	}
	return ptr((s[n/2-1] + s[n/2]) / 2)
}

func round1(x float64) float64 {
	if x < 0 {
		return -round1(-x)
	}
	return float64(int64(x*10+0.5)) / 10
}

// verb picks the singular or plural form for n.
func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
