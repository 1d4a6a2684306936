package metrics

import (
	"cmp"
	"slices"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

// Day units of cycle and lead time (WeekKPI.DayUnit).
const (
	CalendarDayUnit = "calendar-days"
	WorkingDayUnit  = "working-days"
)

// Reasons an issue has no cycle time (IssueCycle.CycleExcluded).
const (
	ExcludedNeverStarted        = "never-started"        // reached done without an in-progress status
	ExcludedChangelogIncomplete = "changelog-incomplete" // truncated changelog: the start may be lost
)

// IssueCycle is one completed issue's cycle and lead time.
type IssueCycle struct {
	IssueID       int64      `json:"issue_id"`
	Key           string     `json:"key"`
	Type          string     `json:"type"`
	Created       time.Time  `json:"created"`
	Started       *time.Time `json:"started,omitempty"` // first entry into a start status
	Done          time.Time  `json:"done"`              // last entry into an end status
	CycleDays     *float64   `json:"cycle_days,omitempty"`
	LeadDays      float64    `json:"lead_days"`
	Reopens       int        `json:"reopens"`
	CycleExcluded string     `json:"cycle_excluded,omitempty"`
}

// AgeingItem is an in-progress issue with its age at the week's end.
type AgeingItem struct {
	Key      string    `json:"key"`
	Type     string    `json:"type"`
	StatusID string    `json:"status_id"`
	Status   string    `json:"status"`
	Since    time.Time `json:"since"` // first entry into a start status
	AgeDays  float64   `json:"age_days"`
}

// BacklogHealth describes the backlog at the week's end
// (docs/metrics.md#backlog-health).
type BacklogHealth struct {
	Items            int      `json:"items"`
	Unestimated      int      `json:"unestimated"`
	UnestimatedShare *float64 `json:"unestimated_share,omitempty"` // nil when empty or counting issues
	Ready            int      `json:"ready"`
	ReadyShare       *float64 `json:"ready_share,omitempty"`
	Stale            int      `json:"stale"`
	Size             float64  `json:"size"`                    // Σ estimates (or items when counting issues)
	DepthSprints     *float64 `json:"depth_sprints,omitempty"` // Size ÷ the first velocity window's average
}

// DataQuality counts what makes KPIs less trustworthy
// (docs/metrics.md#data-quality). UnestimatedInSprint is as of the week's end;
// the other counts describe the data as synced.
type DataQuality struct {
	UnestimatedInSprint    int      `json:"unestimated_in_sprint"`
	UnmappedStatusIssues   int      `json:"unmapped_status_issues"`
	UnmappedStatusIDs      []string `json:"unmapped_status_ids,omitempty"`
	ChangelogIncomplete    int      `json:"changelog_incomplete"`
	InvalidEstimates       int      `json:"invalid_estimates"` // issues with a NaN, infinite or out-of-range estimate, read as none
	SkippedIssues          int      `json:"skipped_issues"`    // issues the sync could not store (BoardData.SkippedIssueKeys)
	SkippedIssueKeys       []string `json:"skipped_issue_keys,omitempty"`
	ChangelogDropped       int      `json:"changelog_dropped"`        // changelog entries left out for an unreadable timestamp
	ChangelogDroppedIssues int      `json:"changelog_dropped_issues"` // issues with such entries
	MultiBoardIssues       int      `json:"multi_board_issues"`
	// UnknownCategoryStatusIDs are statuses whose category is known from
	// nowhere (docs/metrics.md#status-categories).
	UnknownCategoryStatusIDs []string `json:"unknown_category_status_ids,omitempty"`
	EstimationFieldMissing   bool     `json:"estimation_field_missing"`
	Flags                    []string `json:"flags,omitempty"`
}

// WeekKPI is one ISO week's flow KPIs (docs/metrics.md#weekly-kpis).
type WeekKPI struct {
	WeekStart time.Time `json:"week_start"` // Monday 00:00 in the report time zone
	ISOYear   int       `json:"iso_year"`
	ISOWeek   int       `json:"iso_week"`
	AsOf      time.Time `json:"as_of"` // the week's end, or Now for the current week
	Partial   bool      `json:"partial"`

	Throughput       int            `json:"throughput"`
	ThroughputByType map[string]int `json:"throughput_by_type"`
	WIP              int            `json:"wip"`
	AgeingWIP        []AgeingItem   `json:"ageing_wip"`

	DayUnit         string                  `json:"day_unit"`
	CycleTime       Distribution            `json:"cycle_time"`
	CycleTimeByType map[string]Distribution `json:"cycle_time_by_type"`
	LeadTime        Distribution            `json:"lead_time"`
	LeadTimeByType  map[string]Distribution `json:"lead_time_by_type"`
	CycleExcluded   int                     `json:"cycle_excluded"` // done this week without a usable cycle time

	Reopened          int      `json:"reopened"` // transitions out of done this week
	DefectsFound      int      `json:"defects_found"`
	EscapedDefects    int      `json:"escaped_defects"`
	EscapedDefectKeys []string `json:"escaped_defect_keys,omitempty"`
	EscapeRate        *float64 `json:"escape_rate,omitempty"` // escaped ÷ found; nil when none found

	Backlog     BacklogHealth `json:"backlog"`
	DataQuality DataQuality   `json:"data_quality"`
}

// WeekKPIs computes the weekly KPIs only. Backlog depth needs the sprint
// velocities, which it computes too.
func WeekKPIs(d BoardData, opt Options) ([]WeekKPI, error) {
	p, err := prepare(&d, opt)
	if err != nil {
		return nil, err
	}
	w, _ := p.weekKPIs(p.sprintKPIs())
	return w, nil
}

// flowFacts are the status-derived facts of one issue.
type flowFacts struct {
	started *time.Time
	done    *time.Time // nil unless the issue is done now
	reopens []time.Time
}

func (p *prepared) facts(h *history) flowFacts {
	var f flowFacts
	segs := h.status
	for j, s := range segs {
		if p.startSet[s.id] {
			t := s.at
			if j == 0 {
				t = h.issue.Created
			}
			f.started = &t
			break
		}
	}
	for j := 1; j < len(segs); j++ {
		if p.endSet[segs[j-1].id] && !p.endSet[segs[j].id] {
			f.reopens = append(f.reopens, segs[j].at)
		}
	}
	last := len(segs) - 1
	if p.endSet[segs[last].id] {
		j := last
		for j > 0 && p.endSet[segs[j-1].id] {
			j--
		}
		var t time.Time
		switch {
		case j > 0:
			t = segs[j].at
		case h.issue.Resolved != nil:
			t = *h.issue.Resolved
		default:
			t = h.issue.Created
		}
		f.done = &t
	}
	return f
}

func (p *prepared) days(a, b time.Time) float64 {
	if p.opt.WorkingDays {
		return WorkingDays(a, b, p.opt.Location)
	}
	return CalendarDays(a, b, p.opt.Location)
}

// CycleTimes returns the cycle and lead time of every flow item done as of
// Now, in issue order.
func CycleTimes(d BoardData, opt Options) ([]IssueCycle, error) {
	p, err := prepare(&d, opt)
	if err != nil {
		return nil, err
	}
	var out []IssueCycle
	for i := range p.hist {
		h := &p.hist[i]
		if !p.isFlowItem(h.issue) {
			continue
		}
		if c, ok := p.cycle(h, p.facts(h)); ok {
			out = append(out, c)
		}
	}
	return out, nil
}

func (p *prepared) cycle(h *history, f flowFacts) (IssueCycle, bool) {
	if f.done == nil || f.done.After(p.opt.Now) {
		return IssueCycle{}, false
	}
	is := h.issue
	c := IssueCycle{
		IssueID: is.ID, Key: is.Key, Type: is.Type, Created: is.Created,
		Started: f.started, Done: *f.done, LeadDays: p.days(is.Created, *f.done),
		Reopens: len(f.reopens),
	}
	switch {
	case !is.ChangelogComplete:
		c.CycleExcluded = ExcludedChangelogIncomplete
	case f.started == nil || f.started.After(*f.done):
		c.CycleExcluded = ExcludedNeverStarted
	default:
		d := p.days(*f.started, *f.done)
		c.CycleDays = &d
	}
	return c, true
}

// weekRange returns the week starts to report.
func (p *prepared) weekRange() []time.Time {
	loc, now := p.opt.Location, p.opt.Now
	to := WeekStart(now, loc)
	if !p.opt.WeeksTo.IsZero() {
		to = WeekStart(p.opt.WeeksTo, loc)
	}
	var from time.Time
	if !p.opt.WeeksFrom.IsZero() {
		from = WeekStart(p.opt.WeeksFrom, loc)
	} else {
		first := now
		for i := range p.hist {
			if c := p.hist[i].issue.Created; c.Before(first) {
				first = c
			}
		}
		from = WeekStart(first, loc)
		if limit := WeekStart(now, loc).AddDate(0, 0, -7*156); from.Before(limit) {
			from = limit
		}
	}
	var weeks []time.Time
	for w := from; !w.After(to); w = w.AddDate(0, 0, 7) {
		weeks = append(weeks, w)
	}
	return weeks
}

type sprintWindow struct{ start, end time.Time } // end zero: still running

func (p *prepared) sprintWindows() map[int64]sprintWindow {
	m := map[int64]sprintWindow{}
	for _, s := range p.d.Sprints {
		if s.State == analyzer.SprintFuture || s.StartDate == nil {
			continue
		}
		w := sprintWindow{start: *s.StartDate}
		switch {
		case s.CompleteDate != nil:
			w.end = *s.CompleteDate
		case s.State == analyzer.SprintClosed && s.EndDate != nil:
			w.end = *s.EndDate
		}
		m[s.ID] = w
	}
	return m
}

func (p *prepared) inActiveSprint(h *history, t time.Time, windows map[int64]sprintWindow) bool {
	for _, m := range h.member {
		w, ok := windows[m.sprintID]
		if !ok || t.Before(w.start) || (!w.end.IsZero() && !t.Before(w.end)) {
			continue
		}
		if memberAt(m.spans, t) {
			return true
		}
	}
	return false
}

type wipCand struct {
	idx   int
	since time.Time
	age   float64
	sid   string
}

type weekAcc struct {
	cycle, lead             []float64
	cycleByType, leadByType map[string][]float64
	wip                     []wipCand
}

func (p *prepared) weekKPIs(sprints []SprintKPI) ([]WeekKPI, []IssueCycle) {
	now := p.opt.Now
	weekStarts := p.weekRange()
	n := len(weekStarts)
	weeks := make([]WeekKPI, n)
	acc := make([]weekAcc, n)
	evalAt := make([]time.Time, n)
	for w, ws := range weekStarts {
		we := ws.AddDate(0, 0, 7)
		k := &weeks[w]
		k.WeekStart = ws
		k.ISOYear, k.ISOWeek = ws.ISOWeek()
		k.ThroughputByType = map[string]int{}
		k.CycleTimeByType = map[string]Distribution{}
		k.LeadTimeByType = map[string]Distribution{}
		k.AgeingWIP = []AgeingItem{}
		k.DayUnit = CalendarDayUnit
		if p.opt.WorkingDays {
			k.DayUnit = WorkingDayUnit
		}
		if we.After(now) {
			k.AsOf, k.Partial = now, true
		} else {
			k.AsOf = we
		}
		// State "at the week's end" is after every change strictly before
		// the next Monday (or at or before Now in the current week).
		evalAt[w] = k.AsOf
		if !k.Partial {
			evalAt[w] = we.Add(-time.Nanosecond)
		}
		acc[w] = weekAcc{cycleByType: map[string][]float64{}, leadByType: map[string][]float64{}}
	}
	weekOf := func(t time.Time) int { // -1 outside the range
		if n == 0 || t.Before(weekStarts[0]) || t.After(now) {
			return -1
		}
		w, found := slices.BinarySearchFunc(weekStarts, t, func(ws, t time.Time) int { return ws.Compare(t) })
		if !found {
			w--
		}
		if w >= n || !t.Before(weekStarts[w].AddDate(0, 0, 7)) {
			return -1
		}
		return w
	}
	windows := p.sprintWindows()
	vel := velocityTimeline(sprints)
	stale := time.Duration(p.opt.StaleDays) * 24 * time.Hour
	readyLabels := lowerSet(p.opt.ReadyLabels)
	readyConfigured := len(p.readySet) > 0 || len(readyLabels) > 0
	var cycles []IssueCycle

	for i := range p.hist {
		h := &p.hist[i]
		is := h.issue
		if w := weekOf(is.Created); w >= 0 && p.isDefect(is) {
			weeks[w].DefectsFound++
			if p.escaped(is) {
				weeks[w].EscapedDefects++
				weeks[w].EscapedDefectKeys = append(weeks[w].EscapedDefectKeys, is.Key)
			}
		}
		if !p.isFlowItem(is) {
			continue
		}
		f := p.facts(h)
		for _, t := range f.reopens {
			if w := weekOf(t); w >= 0 {
				weeks[w].Reopened++
			}
		}
		if c, ok := p.cycle(h, f); ok {
			cycles = append(cycles, c)
			if w := weekOf(c.Done); w >= 0 {
				weeks[w].Throughput++
				weeks[w].ThroughputByType[is.Type]++
				a := &acc[w]
				a.lead = append(a.lead, c.LeadDays)
				a.leadByType[is.Type] = append(a.leadByType[is.Type], c.LeadDays)
				if c.CycleDays != nil {
					a.cycle = append(a.cycle, *c.CycleDays)
					a.cycleByType[is.Type] = append(a.cycleByType[is.Type], *c.CycleDays)
				} else {
					weeks[w].CycleExcluded++
				}
			}
		}
		// State at each week's end, from the week of creation on.
		first, _ := slices.BinarySearchFunc(evalAt, is.Created, func(e, t time.Time) int { return e.Compare(t) })
		si := 0
		for w := first; w < n; w++ {
			t := evalAt[w]
			for si+1 < len(h.status) && !h.status[si+1].at.After(t) {
				si++
			}
			st := h.status[si].id
			if p.endSet[st] {
				if si == len(h.status)-1 {
					break // done for good
				}
				continue
			}
			cat := p.category[st]
			started := f.started != nil && !f.started.After(t)
			active := p.inActiveSprint(h, t, windows)
			k := &weeks[w]
			if active && !p.countMode {
				if _, ok := h.estAt(t); !ok {
					k.DataQuality.UnestimatedInSprint++
				}
			}
			switch {
			case started && cat != analyzer.CategoryNew:
				k.WIP++
				acc[w].wip = append(acc[w].wip, wipCand{idx: i, since: *f.started, age: p.days(*f.started, t), sid: st})
			case cat == analyzer.CategoryNew && !active:
				b := &k.Backlog
				b.Items++
				bs := p.backlogState(h, st, t, stale, readyLabels, readyConfigured)
				if bs.counted {
					b.Size += bs.value
				} else {
					b.Unestimated++
				}
				if bs.ready {
					b.Ready++
				}
				if bs.stale {
					b.Stale++
				}
			}
		}
	}

	quality := p.boardQuality()
	for w := range weeks {
		k, a := &weeks[w], &acc[w]
		k.CycleTime, k.LeadTime = Distribute(a.cycle), Distribute(a.lead)
		for t, xs := range a.cycleByType {
			k.CycleTimeByType[t] = Distribute(xs)
		}
		for t, xs := range a.leadByType {
			k.LeadTimeByType[t] = Distribute(xs)
		}
		if k.DefectsFound > 0 {
			r := float64(k.EscapedDefects) / float64(k.DefectsFound)
			k.EscapeRate = &r
		}
		slices.SortFunc(a.wip, func(x, y wipCand) int {
			return cmp.Or(cmp.Compare(y.age, x.age), cmp.Compare(p.hist[x.idx].issue.Key, p.hist[y.idx].issue.Key))
		})
		for _, c := range a.wip[:min(len(a.wip), p.opt.AgeingTop)] {
			is := p.hist[c.idx].issue
			k.AgeingWIP = append(k.AgeingWIP, AgeingItem{
				Key: is.Key, Type: is.Type, StatusID: c.sid, Status: p.statusName(c.sid),
				Since: c.since, AgeDays: c.age,
			})
		}
		b := &k.Backlog
		if b.Items > 0 {
			if !p.countMode {
				u := float64(b.Unestimated) / float64(b.Items)
				b.UnestimatedShare = &u
			}
			if readyConfigured || !p.countMode {
				r := float64(b.Ready) / float64(b.Items)
				b.ReadyShare = &r
			}
		}
		if v := vel.avgAt(evalAt[w], p.opt.VelocityWindows[0]); v != nil && *v > 0 {
			d := b.Size / *v
			b.DepthSprints = &d
		}
		unest := k.DataQuality.UnestimatedInSprint
		k.DataQuality = quality
		k.DataQuality.UnestimatedInSprint = unest
	}
	return weeks, cycles
}

type velocityPoint struct {
	at        time.Time
	completed float64
}

type velocityLine []velocityPoint

func velocityTimeline(sprints []SprintKPI) velocityLine {
	var v velocityLine
	for _, s := range sprints {
		if !s.Partial {
			v = append(v, velocityPoint{at: s.AsOf, completed: s.Completed})
		}
	}
	slices.SortStableFunc(v, func(a, b velocityPoint) int { return a.at.Compare(b.at) })
	return v
}

// avgAt is the mean completed of the last ≤n sprints closed at or before t.
func (v velocityLine) avgAt(t time.Time, n int) *float64 {
	i, _ := slices.BinarySearchFunc(v, t, func(p velocityPoint, t time.Time) int {
		if p.at.After(t) {
			return 1
		}
		return -1
	})
	xs := make([]float64, 0, n)
	for _, p := range v[max(0, i-n):i] {
		xs = append(xs, p.completed)
	}
	m, _ := tailMean(xs, n)
	return m
}

// boardQuality counts the data-quality problems of the data as synced.
func (p *prepared) boardQuality() DataQuality {
	q := DataQuality{EstimationFieldMissing: p.estFlag == FlagEstimationMissing}
	mapped := map[string]bool{}
	for _, c := range p.d.Board.Columns {
		for _, id := range c.StatusIDs {
			mapped[id] = true
		}
	}
	unmapped := map[string]bool{}
	for i := range p.hist {
		is := p.hist[i].issue
		if len(mapped) > 0 && !mapped[is.StatusID] {
			q.UnmappedStatusIssues++
			unmapped[is.StatusID] = true
		}
		if !is.ChangelogComplete {
			q.ChangelogIncomplete++
		}
		if p.hist[i].invalidEst {
			q.InvalidEstimates++
		}
		if is.ChangelogDropped > 0 {
			q.ChangelogDropped += is.ChangelogDropped
			q.ChangelogDroppedIssues++
		}
		if p.d.MultiBoardIssueIDs[is.ID] {
			q.MultiBoardIssues++
		}
	}
	for id := range unmapped {
		q.UnmappedStatusIDs = append(q.UnmappedStatusIDs, id)
	}
	slices.Sort(q.UnmappedStatusIDs)
	q.UnknownCategoryStatusIDs = slices.Clone(p.unknownStatuses)
	if p.estFlag != "" {
		q.Flags = append(q.Flags, p.estFlag)
	}
	if len(p.doneCol) == 0 {
		q.Flags = append(q.Flags, FlagNoDoneColumn)
	}
	if q.ChangelogIncomplete > 0 {
		q.Flags = append(q.Flags, FlagChangelogIncomplete)
	}
	if q.InvalidEstimates > 0 {
		q.Flags = append(q.Flags, FlagInvalidEstimate)
	}
	if q.SkippedIssues = len(p.d.SkippedIssueKeys); q.SkippedIssues > 0 {
		q.SkippedIssueKeys = slices.Clone(p.d.SkippedIssueKeys)
		q.Flags = append(q.Flags, FlagSkippedIssues)
	}
	if q.ChangelogDropped > 0 {
		q.Flags = append(q.Flags, FlagChangelogDropped)
	}
	if len(q.UnknownCategoryStatusIDs) > 0 {
		q.Flags = append(q.Flags, FlagStatusCategoryUnknown)
	}
	return q
}
