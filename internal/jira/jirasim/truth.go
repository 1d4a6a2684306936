package jirasim

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Truth is what the generated site's KPIs are, computed from the
// simulator's own event model (never from its JSON) with the semantics of
// design.md "KPI semantics". Tests of the sync and metrics compare to it.
type Truth struct {
	Mode            Mode         `json:"mode"`
	Seed            int64        `json:"seed"`
	Teams           int          `json:"teams"`
	Issues          int          `json:"issues"`       // issues on the site
	BoardIssues     int          `json:"board_issues"` // issues on a board: all but epics (generated boards are scrum)
	Now             time.Time    `json:"now"`
	EstimationField string       `json:"estimation_field"`
	SprintField     string       `json:"sprint_field"`
	Boards          []BoardTruth `json:"boards"`
	IssueTimes      []IssueTruth `json:"issue_times"`  // every issue on a board currently in a done-category status
	EscapedBugs     []string     `json:"escaped_bugs"` // Bugs labelled "production" (Environment "Production")
	Bugs            int          `json:"bugs"`         // all Bugs, for the escape rate
	Notes           []string     `json:"notes"`
	DoneStatusIDs   []string     `json:"done_category_status_ids"`
	InProgressIDs   []string     `json:"in_progress_category_status_ids"`
}

// BoardTruth is one board (team).
type BoardTruth struct {
	BoardID       int64         `json:"board_id"`
	Name          string        `json:"name"`
	ProjectKey    string        `json:"project_key"`
	DoneStatusIDs []string      `json:"done_status_ids"` // the rightmost column
	Sprints       []SprintTruth `json:"sprints"`
}

// SprintTruth holds one closed or active sprint. For the active sprint
// (Partial) "end" is Now instead of the completion.
type SprintTruth struct {
	SprintID int64      `json:"sprint_id"`
	Name     string     `json:"name"`
	State    string     `json:"state"`
	Goal     string     `json:"goal"`
	Start    time.Time  `json:"start"`
	End      time.Time  `json:"end"`
	Complete *time.Time `json:"complete,omitempty"`
	Partial  bool       `json:"partial"`

	ScopeAtStart     []string `json:"scope_at_start"`        // in the sprint at start, not done at start (sub-tasks included)
	CompletedOutside []string `json:"completed_outside"`     // in the sprint at start, already done
	Added            []string `json:"added"`                 // entered after start (created into it or moved in)
	Removed          []string `json:"removed"`               // left after start
	CompletedKeys    []string `json:"completed_keys"`        // in the sprint and done-column at completion, excl. completed outside
	Committed        float64  `json:"committed_points"`      // start estimates of ScopeAtStart (no sub-tasks)
	Completed        float64  `json:"completed_points"`      // completion estimates of CompletedKeys (no sub-tasks)
	CommittedDone    float64  `json:"committed_done_points"` // say/do numerator: start estimates of committed issues done at completion
	UnestimatedScope int      `json:"unestimated_in_scope"`
	// EstimateChanged: issues re-estimated while in the sprint, after start;
	// EstimateDelta sums (new - old) of those changes (no sub-tasks; none = 0).
	EstimateChanged []string `json:"estimate_changed"`
	EstimateDelta   float64  `json:"estimate_delta"` // non-sub-task issues in ScopeAtStart without estimate
}

// IssueTruth is the timing of one done issue.
type IssueTruth struct {
	Key          string     `json:"key"`
	Type         string     `json:"type"`
	Created      time.Time  `json:"created"`
	Started      *time.Time `json:"started,omitempty"` // first entry into an in-progress status
	Done         time.Time  `json:"done"`              // last entry into a done-category status
	CycleSeconds *int64     `json:"cycle_seconds,omitempty"`
	LeadSeconds  int64      `json:"lead_seconds"`
	Reopens      int        `json:"reopens"`
}

// timeline answers "what was true at t" for one issue from its histories.
type timeline struct{ is *simIssue }

func (tl timeline) at(t time.Time) (status int, sprints []int64, est float64, exists bool) {
	is := tl.is
	if t.Before(is.created) {
		return stToDo, nil, math.NaN(), false
	}
	status, sprints, est = stToDo, is.initSprints, is.initEst
	for _, h := range is.hist {
		if h.at.After(t) {
			break
		}
		for _, it := range h.items {
			switch it.kind {
			case kStatus:
				status = it.to
			case kSprint:
				sprints = it.toS
			case kEstimate:
				est = it.toE
			}
		}
	}
	return status, sprints, est, true
}

// entered reports whether the issue entered sprint id in (from, to].
func (tl timeline) entered(id int64, from, to time.Time) bool {
	is := tl.is
	if is.created.After(from) && !is.created.After(to) && slices.Contains(is.initSprints, id) {
		return true
	}
	for _, h := range is.hist {
		if !h.at.After(from) || h.at.After(to) {
			continue
		}
		for _, it := range h.items {
			if it.kind == kSprint && slices.Contains(it.toS, id) && !slices.Contains(it.fromS, id) {
				return true
			}
		}
	}
	return false
}

func (tl timeline) left(id int64, from, to time.Time) bool {
	for _, h := range tl.is.hist {
		if !h.at.After(from) || h.at.After(to) {
			continue
		}
		for _, it := range h.items {
			if it.kind == kSprint && slices.Contains(it.fromS, id) && !slices.Contains(it.toS, id) {
				return true
			}
		}
	}
	return false
}

func (tl timeline) touched() []int64 {
	ids := slices.Clone(tl.is.initSprints)
	for _, h := range tl.is.hist {
		for _, it := range h.items {
			if it.kind == kSprint {
				ids = append(ids, it.fromS...)
				ids = append(ids, it.toS...)
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// evalSprint fills st (Start and End set) for sprint id from the issues
// that may have been in it.
func evalSprint(st *SprintTruth, id int64, issues []*simIssue, inDone func(int) bool, key func(*simIssue) string) {
	for _, l := range []*[]string{&st.ScopeAtStart, &st.CompletedOutside, &st.Added, &st.Removed, &st.CompletedKeys, &st.EstimateChanged} {
		if *l == nil {
			*l = []string{}
		}
	}
	for _, is := range issues {
		tl := timeline{is}
		if !slices.Contains(tl.touched(), id) {
			continue
		}
		k := key(is)
		points := is.typ != typeSubtask
		s0, m0, e0, _ := tl.at(st.Start)
		in0 := slices.Contains(m0, id)
		s1, m1, e1, _ := tl.at(st.End)
		in1 := slices.Contains(m1, id)
		doneAtStart := in0 && inDone(s0)
		if doneAtStart {
			st.CompletedOutside = append(st.CompletedOutside, k)
		}
		if in0 && !doneAtStart {
			st.ScopeAtStart = append(st.ScopeAtStart, k)
			switch {
			case points && math.IsNaN(e0):
				st.UnestimatedScope++
			case points:
				st.Committed += e0
				if in1 && inDone(s1) {
					st.CommittedDone += e0
				}
			}
		}
		if tl.entered(id, st.Start, st.End) {
			st.Added = append(st.Added, k)
		}
		if tl.left(id, st.Start, st.End) {
			st.Removed = append(st.Removed, k)
		}
		if in1 && inDone(s1) && !doneAtStart {
			st.CompletedKeys = append(st.CompletedKeys, k)
			if points && !math.IsNaN(e1) {
				st.Completed += e1
			}
		}
		changed := false
		for _, h := range is.hist {
			if !h.at.After(st.Start) || h.at.After(st.End) {
				continue
			}
			for _, it := range h.items {
				if it.kind != kEstimate {
					continue
				}
				if _, m, _, _ := tl.at(h.at); !slices.Contains(m, id) {
					continue
				}
				changed = true
				if points {
					st.EstimateDelta += zeroNaN(it.toE) - zeroNaN(it.fromE)
				}
			}
		}
		if changed {
			st.EstimateChanged = append(st.EstimateChanged, k)
		}
	}
}

func zeroNaN(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// Truth computes the expected KPIs of a generated site. It returns ErrNoTruth
// for a site loaded with Config.DataDir.
func (sv *Server) Truth() (*Truth, error) {
	if sv.site == nil {
		return nil, ErrNoTruth
	}
	s := sv.site
	tr := &Truth{
		Mode: s.cfg.Mode, Seed: s.cfg.Seed, Teams: s.cfg.Teams, Issues: s.cfg.Issues, Now: s.cfg.Now,
		EstimationField: s.f.estimate, SprintField: s.f.sprint,
		Notes: []string{
			"velocity: committed = start estimates of issues in the sprint at start and not in the done column then (removed ones included); completed = completion estimates of issues in the sprint and in the done column at completion (added ones included, completed-outside excluded); sub-tasks carry no points",
			"cycle time = last entry into a done-category status (from a non-done one) - first entry into an in-progress-category status; lead time = that done time - created",
			"escaped bugs: type Bug with label 'production' (the same issues have Environment 'Production')",
			"active sprints are partial: their end is Now",
		},
	}
	for i, st := range statuses {
		switch st.cat {
		case "done":
			tr.DoneStatusIDs = append(tr.DoneStatusIDs, statuses[i].id)
		case "indeterminate":
			tr.InProgressIDs = append(tr.InProgressIDs, statuses[i].id)
		}
	}
	for _, bd := range s.boards {
		bt := BoardTruth{BoardID: bd.id, Name: bd.name, ProjectKey: bd.projKey}
		for _, st := range bd.doneCol {
			bt.DoneStatusIDs = append(bt.DoneStatusIDs, statuses[st].id)
		}
		inDone := func(st int) bool { return slices.Contains(bd.doneCol, st) }
		var issues []*simIssue
		for j := s.blockStart; j < min(bd.n, s.blockStart+s.nSprints*s.perSprint); j++ {
			issues = append(issues, sv.issue(s.idxOf(bd.idx, j)))
		}
		for _, sp := range bd.sprints {
			if sp.state == "future" {
				continue
			}
			st := SprintTruth{SprintID: sp.id, Name: sp.name, State: sp.state, Goal: sp.goal, Start: sp.start, End: s.cfg.Now, Partial: true}
			if sp.state == "closed" {
				c := sp.complete
				st.Complete, st.End, st.Partial = &c, c, false
			}
			evalSprint(&st, sp.id, issues, inDone, func(is *simIssue) string { return s.key(is.idx) })
			bt.Sprints = append(bt.Sprints, st)
		}
		tr.Boards = append(tr.Boards, bt)
	}

	tr.EscapedBugs, tr.IssueTimes = []string{}, []IssueTruth{}
	for idx := 0; idx < s.cfg.Issues; idx++ {
		is := sv.issue(idx)
		// Board membership (genBackend.boardRule): every status a generated
		// issue can reach is mapped on its board, and scrum boards show no
		// epics. Issues on no board are never synced, so they have no truth.
		if is.typ == typeEpic {
			continue
		}
		tr.BoardIssues++
		if is.typ == typeBug {
			tr.Bugs++
			if is.prod {
				tr.EscapedBugs = append(tr.EscapedBugs, s.key(idx))
			}
		}
		if it, ok := issueTimes(is); ok {
			it.Key = s.key(idx)
			tr.IssueTimes = append(tr.IssueTimes, it)
		}
	}
	slices.SortFunc(tr.IssueTimes, func(a, b IssueTruth) int { return compareKeys(a.Key, b.Key) })
	slices.SortFunc(tr.EscapedBugs, compareKeys)
	return tr, nil
}

func compareKeys(a, b string) int {
	pa, na := splitKey(a)
	pb, nb := splitKey(b)
	return cmp.Or(cmp.Compare(pa, pb), cmp.Compare(na, nb))
}

// issueTimes derives cycle and lead time of a done issue from its histories.
func issueTimes(is *simIssue) (IssueTruth, bool) {
	it := IssueTruth{Type: issueTypes[is.typ].name, Created: is.created}
	status := stToDo
	var started, done time.Time
	for _, h := range is.hist {
		for _, x := range h.items {
			if x.kind != kStatus {
				continue
			}
			from, to := statuses[x.from].cat, statuses[x.to].cat
			if to == "indeterminate" && started.IsZero() {
				started = h.at
			}
			if to == "done" && from != "done" {
				done = h.at
			}
			if from == "done" && to != "done" {
				it.Reopens++
			}
			status = x.to
		}
	}
	if statuses[status].cat != "done" || done.IsZero() {
		return it, false
	}
	it.Done = done
	it.LeadSeconds = int64(done.Sub(is.created) / time.Second)
	if !started.IsZero() && started.Before(done) {
		c := int64(done.Sub(started) / time.Second)
		it.Started, it.CycleSeconds = &started, &c
	}
	return it, true
}
