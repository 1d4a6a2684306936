package metrics

import (
	"cmp"
	"slices"
	"strings"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

// Goal methods (SprintKPI.GoalMethod).
const (
	GoalByIssues    = "goal-issues"  // all goal issues done at completion
	GoalByThreshold = "threshold"    // say/do ≥ threshold
	GoalUndecided   = "undetermined" // no goal issues and nothing committed
)

// SprintKPI is one sprint's KPIs (docs/metrics.md#sprint-kpis). Points are in
// Unit; in UnitIssues every issue counts 1.
type SprintKPI struct {
	SprintID     int64      `json:"sprint_id"`
	Name         string     `json:"name"`
	State        string     `json:"state"`
	Goal         string     `json:"goal"`
	StartDate    time.Time  `json:"start_date"`
	EndDate      *time.Time `json:"end_date,omitempty"`
	CompleteDate *time.Time `json:"complete_date,omitempty"`
	// AsOf is the instant "completion" stands for: CompleteDate, or Now for
	// an active sprint (Partial).
	AsOf    time.Time `json:"as_of"`
	Partial bool      `json:"partial"`
	Unit    string    `json:"unit"`

	ScopeAtStartKeys []string `json:"scope_at_start_keys"`
	Committed        float64  `json:"committed"`
	CommittedCount   int      `json:"committed_count"`
	Completed        float64  `json:"completed"`
	CompletedCount   int      `json:"completed_count"`
	CompletedKeys    []string `json:"completed_keys"`
	// CommittedDone is the sprint-start estimate of committed issues done at
	// completion: say/do's numerator.
	CommittedDone        float64  `json:"committed_done"`
	CompletedOutsideKeys []string `json:"completed_outside_keys"`

	Added                float64  `json:"added"`
	AddedCount           int      `json:"added_count"`
	AddedKeys            []string `json:"added_keys"`
	Removed              float64  `json:"removed"`
	RemovedCount         int      `json:"removed_count"`
	RemovedKeys          []string `json:"removed_keys"`
	EstimateChange       float64  `json:"estimate_change"` // Σ (estimate at completion − at entry) of issues in the sprint at completion
	EstimateChangedCount int      `json:"estimate_changed_count"`

	SayDo       *float64 `json:"say_do,omitempty"`       // nil when nothing was committed
	ScopeChange *float64 `json:"scope_change,omitempty"` // (added + removed) ÷ committed; nil when nothing was committed

	GoalIssueKeys []string `json:"goal_issue_keys,omitempty"`
	GoalMethod    string   `json:"goal_method"`
	GoalMet       *bool    `json:"goal_met,omitempty"` // nil when undetermined

	CarryOverKeys      []string `json:"carry_over_keys"`       // unfinished in the previous sprint
	CarryOver          float64  `json:"carry_over"`            // their estimate at entry
	CarryOver2PlusKeys []string `json:"carry_over_2plus_keys"` // unfinished in the previous two (or more) sprints in a row
	CarryOver2Plus     float64  `json:"carry_over_2plus"`
	UnfinishedKeys     []string `json:"unfinished_keys"` // in the sprint at completion, not done
	// VelocityAverages: per Options.VelocityWindows, in their order, the mean
	// completed of the last ≤window closed sprints up to this one; none for
	// an active sprint.
	VelocityAverages    []VelocityAverage `json:"velocity_averages,omitempty"`
	DefectsFound        int               `json:"defects_found"`   // defects created during the sprint
	EscapedDefects      int               `json:"escaped_defects"` // of which escaped to production
	EscapedDefectKeys   []string          `json:"escaped_defect_keys,omitempty"`
	Unestimated         int               `json:"unestimated"`          // issues in the sprint without an estimate at entry (UnitPoints/UnitHours)
	SubtasksIgnored     int               `json:"subtasks_ignored"`     // sub-tasks with an estimate, not counted
	ChangelogIncomplete int               `json:"changelog_incomplete"` // issues of the sprint with a truncated changelog
	Flags               []string          `json:"flags,omitempty"`
}

// sprintOrder returns the sprints that have started by Now (closed and
// active), ordered by start date then id.
func (p *prepared) sprintOrder() []analyzer.Sprint {
	var out []analyzer.Sprint
	for _, s := range p.d.Sprints {
		if s.State == analyzer.SprintFuture || s.StartDate == nil || s.StartDate.After(p.opt.Now) {
			continue
		}
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b analyzer.Sprint) int {
		return cmp.Or(a.StartDate.Compare(*b.StartDate), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func (p *prepared) value(v float64, ok bool) float64 {
	if p.countMode {
		return 1
	}
	if !ok {
		return 0
	}
	return v * p.factor
}

func (p *prepared) isGoalIssue(is *analyzer.Issue) bool {
	if len(p.opt.GoalEpicKeys) > 0 && is.EpicKey != "" && slices.Contains(p.opt.GoalEpicKeys, is.EpicKey) {
		return true
	}
	for _, l := range is.Labels {
		for _, g := range p.opt.GoalLabels {
			if strings.EqualFold(l, g) {
				return true
			}
		}
	}
	return false
}

func (p *prepared) sprintKPIs() []SprintKPI {
	order := p.sprintOrder()
	out := make([]SprintKPI, 0, len(order))
	// prevUnfinished: issue index → how many sprints in a row it has ended
	// unfinished, as of the previous sprint's completion.
	var prevUnfinished map[int]int
	var completedHistory []float64 // completed of closed sprints so far
	for _, s := range order {
		k, unfinished := p.sprintKPI(s, prevUnfinished)
		prevUnfinished = unfinished
		if !k.Partial {
			completedHistory = append(completedHistory, k.Completed)
			for _, n := range p.opt.VelocityWindows {
				m, c := tailMean(completedHistory, n)
				k.VelocityAverages = append(k.VelocityAverages, VelocityAverage{Window: n, Sprints: c, Value: *m})
			}
		}
		out = append(out, k)
	}
	return out
}

func tailMean(xs []float64, n int) (*float64, int) {
	if len(xs) == 0 {
		return nil, 0
	}
	if len(xs) > n {
		xs = xs[len(xs)-n:]
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	m := sum / float64(len(xs))
	return &m, len(xs)
}

func (p *prepared) sprintKPI(s analyzer.Sprint, prevUnfinished map[int]int) (SprintKPI, map[int]int) {
	start := *s.StartDate
	k := SprintKPI{
		SprintID: s.ID, Name: s.Name, State: s.State, Goal: s.Goal,
		StartDate: start, EndDate: s.EndDate, CompleteDate: s.CompleteDate, Unit: p.unit,
		ScopeAtStartKeys: []string{}, CompletedKeys: []string{}, CompletedOutsideKeys: []string{},
		AddedKeys: []string{}, RemovedKeys: []string{}, CarryOverKeys: []string{},
		CarryOver2PlusKeys: []string{}, UnfinishedKeys: []string{},
	}
	switch {
	case s.State == analyzer.SprintActive || (s.CompleteDate == nil && s.State != analyzer.SprintClosed):
		k.AsOf, k.Partial = p.opt.Now, true
		k.Flags = append(k.Flags, FlagPartial)
	case s.CompleteDate != nil:
		k.AsOf = *s.CompleteDate
	case s.EndDate != nil:
		k.AsOf = *s.EndDate
		k.Flags = append(k.Flags, FlagNoCompleteDate)
	default:
		k.AsOf, k.Partial = p.opt.Now, true
		k.Flags = append(k.Flags, FlagNoCompleteDate, FlagPartial)
	}
	if p.estFlag != "" {
		k.Flags = append(k.Flags, p.estFlag)
	}
	if len(p.doneCol) == 0 {
		k.Flags = append(k.Flags, FlagNoDoneColumn)
	}
	end := k.AsOf
	unfinished := map[int]int{}
	var goalTotal, goalDone int

	for _, i := range p.members[s.ID] {
		h := &p.hist[i]
		is := h.issue
		spans := h.spans(s.ID)
		inStart := memberAt(spans, start)
		// entry: the start for the scope at start, otherwise the first
		// joining during (start, end].
		entry := start
		if !inStart {
			found := false
			for _, sp := range spans {
				if sp.from.After(start) && !sp.from.After(end) {
					entry, found = sp.from, true
					break
				}
			}
			if !found {
				continue // never in the sprint while it ran
			}
		}
		if is.Subtask {
			if _, ok := h.estAt(entry); ok && !p.countMode {
				k.SubtasksIgnored++
			}
			continue
		}
		if !is.ChangelogComplete {
			k.ChangelogIncomplete++
		}
		if p.doneCol[h.statusAt(entry)] {
			k.CompletedOutsideKeys = append(k.CompletedOutsideKeys, is.Key)
			continue
		}
		ev, eok := h.estAt(entry)
		entryVal := p.value(ev, eok)
		if !eok && !p.countMode {
			k.Unestimated++
		}
		if inStart {
			k.ScopeAtStartKeys = append(k.ScopeAtStartKeys, is.Key)
			k.Committed += entryVal
			k.CommittedCount++
		} else {
			k.AddedKeys = append(k.AddedKeys, is.Key)
			k.Added += entryVal
			k.AddedCount++
		}
		if n := prevUnfinished[i]; n >= 1 {
			k.CarryOverKeys = append(k.CarryOverKeys, is.Key)
			k.CarryOver += entryVal
			if n >= 2 {
				k.CarryOver2PlusKeys = append(k.CarryOver2PlusKeys, is.Key)
				k.CarryOver2Plus += entryVal
			}
		}
		goal := p.isGoalIssue(is)
		if goal {
			k.GoalIssueKeys = append(k.GoalIssueKeys, is.Key)
			goalTotal++
		}
		if !memberAt(spans, end) {
			// Left the sprint before completion: removed, valued at its
			// estimate when it left.
			left := entry
			for _, sp := range spans {
				if !sp.to.IsZero() && !sp.to.After(end) && sp.to.After(left) {
					left = sp.to
				}
			}
			k.RemovedKeys = append(k.RemovedKeys, is.Key)
			k.Removed += p.value(h.estAt(left))
			k.RemovedCount++
			continue
		}
		xv, xok := h.estAt(end)
		endVal := p.value(xv, xok)
		if !p.countMode && (xok != eok || xv != ev) {
			k.EstimateChange += endVal - entryVal
			k.EstimateChangedCount++
		}
		if p.doneCol[h.statusAt(end)] {
			k.CompletedKeys = append(k.CompletedKeys, is.Key)
			k.Completed += endVal
			k.CompletedCount++
			if inStart {
				k.CommittedDone += entryVal
			}
			if goal {
				goalDone++
			}
		} else {
			k.UnfinishedKeys = append(k.UnfinishedKeys, is.Key)
			unfinished[i] = prevUnfinished[i] + 1
		}
	}
	if k.Unestimated > 0 {
		k.Flags = append(k.Flags, FlagUnestimated)
	}
	if k.SubtasksIgnored > 0 {
		k.Flags = append(k.Flags, FlagSubtaskPointsIgnored)
	}
	if k.ChangelogIncomplete > 0 {
		k.Flags = append(k.Flags, FlagChangelogIncomplete)
	}
	if k.Committed > 0 {
		sd := k.CommittedDone / k.Committed
		sc := (k.Added + k.Removed) / k.Committed
		k.SayDo, k.ScopeChange = &sd, &sc
	}
	switch {
	case goalTotal > 0:
		met := goalDone == goalTotal
		k.GoalMethod, k.GoalMet = GoalByIssues, &met
	case k.SayDo != nil:
		met := *k.SayDo >= p.opt.GoalThreshold
		k.GoalMethod, k.GoalMet = GoalByThreshold, &met
	default:
		k.GoalMethod = GoalUndecided
		k.Flags = append(k.Flags, FlagGoalUndetermined)
	}
	// Defects found while the sprint ran: created in [start, end).
	for _, i := range p.defectsCreatedIn(start, end) {
		is := p.hist[i].issue
		k.DefectsFound++
		if p.escaped(is) {
			k.EscapedDefects++
			k.EscapedDefectKeys = append(k.EscapedDefectKeys, is.Key)
		}
	}
	if k.Partial {
		// An active sprint has not ended: nothing is carried over from it.
		unfinished = nil
	}
	return k, unfinished
}

// VelocityAverage is the mean completed of the last ≤Window closed sprints.
type VelocityAverage struct {
	Window  int     `json:"window"`
	Sprints int     `json:"sprints"` // how many sprints were averaged (fewer than Window early on)
	Value   float64 `json:"value"`
}

// Velocity returns the average over window sprints, nil when not computed.
func (k SprintKPI) Velocity(window int) *VelocityAverage {
	for i := range k.VelocityAverages {
		if k.VelocityAverages[i].Window == window {
			return &k.VelocityAverages[i]
		}
	}
	return nil
}

// Summary rolls the closed sprints up (docs/metrics.md#velocity).
type Summary struct {
	// VelocityAverages are the latest closed sprint's.
	VelocityAverages []VelocityAverage `json:"velocity_averages,omitempty"`
	SayDoAvg7        *float64          `json:"say_do_avg7,omitempty"` // mean say/do of the last ≤7 closed sprints with a commitment
	// GoalCompletionRate: closed sprints with their goal met ÷ closed sprints
	// whose goal could be decided, over the last ≤7 closed sprints.
	GoalCompletionRate *float64 `json:"goal_completion_rate,omitempty"`
	GoalSprints        int      `json:"goal_sprints"`
	ClosedSprints      int      `json:"closed_sprints"`
}

func summarize(ks []SprintKPI) Summary {
	var closed []SprintKPI
	for _, k := range ks {
		if !k.Partial {
			closed = append(closed, k)
		}
	}
	var s Summary
	s.ClosedSprints = len(closed)
	if len(closed) == 0 {
		return s
	}
	last := closed[len(closed)-1]
	s.VelocityAverages = last.VelocityAverages
	window := closed[max(0, len(closed)-7):]
	var sayDo []float64
	met := 0
	for _, k := range window {
		if k.SayDo != nil {
			sayDo = append(sayDo, *k.SayDo)
		}
		if k.GoalMet != nil {
			s.GoalSprints++
			if *k.GoalMet {
				met++
			}
		}
	}
	s.SayDoAvg7, _ = tailMean(sayDo, 7)
	if s.GoalSprints > 0 {
		r := float64(met) / float64(s.GoalSprints)
		s.GoalCompletionRate = &r
	}
	return s
}

// Velocity returns the average over window sprints, nil when not computed.
func (s Summary) Velocity(window int) *VelocityAverage {
	for i := range s.VelocityAverages {
		if s.VelocityAverages[i].Window == window {
			return &s.VelocityAverages[i]
		}
	}
	return nil
}
