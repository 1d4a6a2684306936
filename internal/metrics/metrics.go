package metrics

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

// DefinitionVersion identifies the KPI definitions implemented by this
// package (docs/metrics.md). It is stored beside every snapshot; bump it
// whenever a definition changes so that old snapshots stay recognisable.
const DefinitionVersion = 2

// Sentinel errors.
var (
	// ErrNoClock is returned when Options.Now is zero: every KPI is computed
	// as of an injected instant, never time.Now.
	ErrNoClock = errors.New("metrics: Options.Now is not set")
	// ErrNoThroughput is returned by Forecast when every throughput sample is
	// zero (or there are none): no forecast can finish.
	ErrNoThroughput = errors.New("metrics: no throughput to forecast from")
)

// Units a sprint's points are reported in.
const (
	UnitPoints = "points" // story points (a custom field)
	UnitHours  = "hours"  // timeoriginalestimate, converted from seconds
	UnitIssues = "issues" // issue counts: the board counts issues or has no estimation field
)

// Data-quality flags attached to sprint KPIs (SprintKPI.Flags) and to the
// board (DataQuality.Flags).
const (
	FlagEstimationMissing     = "estimation-field-missing"  // no estimation field known: issues counted instead
	FlagEstimationIssueCount  = "estimation-issue-count"    // the board estimates by issue count
	FlagChangelogIncomplete   = "changelog-incomplete"      // some issue's changelog is truncated
	FlagInvalidEstimate       = "invalid-estimates"         // some estimate was NaN, infinite or beyond ±MaxEstimate: read as none
	FlagSkippedIssues         = "skipped-issues"            // the sync could not store some of the board's issues
	FlagChangelogDropped      = "changelog-entries-dropped" // some changelog entries had unreadable timestamps and were left out
	FlagNoCompleteDate        = "closed-without-complete"   // a closed sprint without completeDate: endDate used
	FlagPartial               = "partial"                   // active sprint, computed as of Options.Now
	FlagUnestimated           = "unestimated-issues"        // some issue in the sprint had no estimate
	FlagSubtaskPointsIgnored  = "subtask-points-ignored"    // a sub-task carried an estimate, ignored
	FlagGoalUndetermined      = "goal-undetermined"         // no goal issues and nothing committed
	FlagNoDoneColumn          = "board-without-done-column" // no column config: nothing can be done
	FlagStatusCategoryUnknown = "status-category-unknown"   // some status's category is known from nowhere
)

// BoardData is everything the KPIs of one board are computed from. It is
// plain data, loaded by the caller (the store); this package does no I/O.
type BoardData struct {
	Board analyzer.Board
	// Statuses of the site, by status id.
	Statuses map[string]analyzer.Status
	// Sprints of the board (any state; future sprints are ignored).
	Sprints []analyzer.Sprint
	// Issues shown on the board, with their current state.
	Issues []analyzer.Issue
	// Changes by issue id. Sorted by time, history id then seq; a slice that
	// is not sorted is sorted on a copy, never in place.
	Changes map[int64][]analyzer.ChangeItem
	// SprintEvents by issue id (entries into and exits from sprints).
	SprintEvents map[int64][]analyzer.SprintEvent
	// MultiBoardIssueIDs holds the ids of issues that also show on another
	// board (a data-quality count).
	MultiBoardIssueIDs map[int64]bool
	// LinkedReleaseDates maps a defect's issue id to the release date of the
	// fix version of the story it is linked to; used by
	// EscapeRule.AfterLinkedRelease.
	LinkedReleaseDates map[int64]time.Time
	// SkippedIssueKeys are issues of the board that the sync could not
	// store (no usable created time, no id): a data-quality count.
	SkippedIssueKeys []string
}

// EscapeRule says which defects escaped to production. A defect escaped when
// ANY configured criterion matches. The zero value uses the defaults: label
// "production" or an Environment containing "production".
type EscapeRule struct {
	Labels       []string            // any of these labels (case-insensitive)
	Priorities   []string            // any of these priority names (case-insensitive)
	Environments []string            // Issue.Environment contains one of these (case-insensitive)
	FieldValues  map[string][]string // custom field id → accepted values, read from Issue.Raw "fields"
	// AfterLinkedRelease: created after the release of the story it is linked
	// to (BoardData.LinkedReleaseDates).
	AfterLinkedRelease bool
}

func (r EscapeRule) isZero() bool {
	return len(r.Labels) == 0 && len(r.Priorities) == 0 && len(r.Environments) == 0 &&
		len(r.FieldValues) == 0 && !r.AfterLinkedRelease
}

// Defaults of Options. internal/config uses them as the configuration's
// defaults, and docs/metrics.md states them (docs_test.go checks both).
const (
	// DefaultStaleDays: a backlog item untouched for more than 90 days is stale.
	DefaultStaleDays = 90
	// DefaultAgeingTop is how many of the oldest in-progress items a week
	// lists, and the weekly report shows.
	DefaultAgeingTop = 5
)

// DefaultVelocityWindows are the numbers of closed sprints velocity is
// averaged over by default; the first is the report's headline average.
var DefaultVelocityWindows = []int{3, 7}

// DefaultFlowExcludeTypes are the issue types that are not flow items by
// default: an epic is a container of work, not an item of work.
var DefaultFlowExcludeTypes = []string{"Epic"}

// Options configures a computation. Only Now is required.
type Options struct {
	// Now is the injected clock: active sprints and the current week are
	// computed as of Now. Required.
	Now time.Time
	// Location is the report time zone: ISO weeks and calendar days are
	// counted in it. Default UTC.
	Location *time.Location

	// GoalLabels and GoalEpicKeys mark sprint-goal issues. When a sprint has
	// goal issues, its goal is met when all of them are done at completion;
	// otherwise when say/do ≥ GoalThreshold (default 0.8).
	GoalLabels    []string
	GoalEpicKeys  []string
	GoalThreshold float64

	// CycleStartStatuses and CycleEndStatuses (status ids or names) bound
	// cycle time. Defaults: statuses of category "indeterminate" and "done".
	CycleStartStatuses []string
	CycleEndStatuses   []string
	// WorkingDays counts cycle and lead time in working days (Monday to
	// Friday in Location) instead of calendar days.
	WorkingDays bool
	// Flow items are the issues counted in throughput, WIP, ageing WIP,
	// cycle and lead time, reopens and backlog health
	// (docs/metrics.md#flow-items). IncludeSubtasks counts sub-tasks too
	// (default false; sprint KPIs never count sub-tasks). FlowExcludeTypes
	// are issue types (case-insensitive) left out: nil means
	// DefaultFlowExcludeTypes, an empty non-nil slice leaves none out.
	IncludeSubtasks  bool
	FlowExcludeTypes []string

	// StatusCategories overrides status categories: status id or name
	// (case-insensitive) → new, indeterminate or done
	// (docs/metrics.md#status-categories).
	StatusCategories map[string]string

	// VelocityWindows are the numbers of closed sprints velocity is averaged
	// over, each at least 1; the first is the headline average, which
	// backlog depth divides by. Default DefaultVelocityWindows.
	VelocityWindows []int

	// DefectTypes are the issue types counted as defects. Default ["Bug"].
	DefectTypes []string
	EscapeRule  EscapeRule

	// StaleDays: a backlog item not updated for more than this many days is
	// stale. Default DefaultStaleDays.
	StaleDays int
	// ReadyStatuses (ids or names) and ReadyLabels mark backlog items ready
	// for a sprint. When both are empty, an estimated backlog item is ready.
	ReadyStatuses []string
	ReadyLabels   []string

	// EstimateFieldNames are the changelog field ids or display names that
	// carry the estimate. Default: the board's estimation field id, plus the
	// names "Story Points" and "Story point estimate" for items without a
	// field id (old Server/DC data) when that field is a custom field.
	EstimateFieldNames []string

	// AgeingTop is how many of the oldest in-progress items each week lists.
	// Default DefaultAgeingTop.
	AgeingTop int
	// WeeksFrom and WeeksTo bound the weekly KPIs (the ISO weeks containing
	// them, inclusive). Defaults: the week of the first issue's creation, but
	// at most 156 weeks before Now; and the week of Now.
	WeeksFrom, WeeksTo time.Time
}

func (o Options) withDefaults() (Options, error) {
	if o.Now.IsZero() {
		return o, ErrNoClock
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.GoalThreshold == 0 {
		o.GoalThreshold = 0.8
	}
	if o.GoalThreshold < 0 || o.GoalThreshold > 1 {
		return o, fmt.Errorf("metrics: goal threshold %v out of range [0,1]", o.GoalThreshold)
	}
	if len(o.DefectTypes) == 0 {
		o.DefectTypes = []string{"Bug"}
	}
	if o.EscapeRule.isZero() {
		o.EscapeRule = EscapeRule{Labels: []string{"production"}, Environments: []string{"production"}}
	}
	if o.StaleDays == 0 {
		o.StaleDays = DefaultStaleDays
	}
	if o.StaleDays < 0 {
		return o, fmt.Errorf("metrics: stale days %d is negative", o.StaleDays)
	}
	if o.AgeingTop == 0 {
		o.AgeingTop = DefaultAgeingTop
	}
	if o.FlowExcludeTypes == nil {
		o.FlowExcludeTypes = DefaultFlowExcludeTypes
	}
	for name, cat := range o.StatusCategories {
		if !knownCategory(cat) {
			return o, fmt.Errorf("metrics: status %q: category %q is not new, indeterminate or done", name, cat)
		}
	}
	if len(o.VelocityWindows) == 0 {
		o.VelocityWindows = DefaultVelocityWindows
	}
	for i, w := range o.VelocityWindows {
		if w < 1 {
			return o, fmt.Errorf("metrics: velocity window %d is below 1 sprint", w)
		}
		if slices.Contains(o.VelocityWindows[:i], w) {
			return o, fmt.Errorf("metrics: velocity window %d is listed twice", w)
		}
	}
	return o, nil
}

// Result is every KPI of one board.
type Result struct {
	DefinitionVersion int          `json:"definition_version"`
	ComputedAt        time.Time    `json:"computed_at"` // Options.Now
	BoardID           int64        `json:"board_id"`
	Unit              string       `json:"unit"`
	Sprints           []SprintKPI  `json:"sprints"`
	Weeks             []WeekKPI    `json:"weeks"`
	Summary           Summary      `json:"summary"`
	DataQuality       DataQuality  `json:"data_quality"`
	CycleTimes        []IssueCycle `json:"-"` // per completed issue, for checks and drill-down
}

// Compute computes every sprint and weekly KPI of one board as of opt.Now.
// The input is not modified.
func Compute(d BoardData, opt Options) (Result, error) {
	p, err := prepare(&d, opt)
	if err != nil {
		return Result{}, err
	}
	sprints := p.sprintKPIs()
	weeks, cycles := p.weekKPIs(sprints)
	return Result{
		DefinitionVersion: DefinitionVersion,
		ComputedAt:        p.opt.Now,
		BoardID:           d.Board.ID,
		Unit:              p.unit,
		Sprints:           sprints,
		Weeks:             weeks,
		Summary:           summarize(sprints),
		DataQuality:       p.boardQuality(),
		CycleTimes:        cycles,
	}, nil
}

// SprintKPIs computes the sprint KPIs only (closed sprints, and the active
// one marked partial), in sprint start order.
func SprintKPIs(d BoardData, opt Options) ([]SprintKPI, error) {
	p, err := prepare(&d, opt)
	if err != nil {
		return nil, err
	}
	return p.sprintKPIs(), nil
}

func lowerSet(vs []string) map[string]bool {
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[strings.ToLower(strings.TrimSpace(v))] = true
	}
	return m
}
