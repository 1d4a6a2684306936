package jirasim

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// The event model. A generated issue is its creation values plus a list of
// changelog histories; everything served (JSON) and everything known (Truth)
// is derived from it. Issues are generated on demand from (seed, index), so a
// site of any size costs nothing until asked.

type itemKind uint8

const (
	kStatus      itemKind = iota // from/to: status indexes
	kResolution                  // to 1: set to Done, 0: cleared
	kSprint                      // fromS/toS: sprint ids
	kEstimate                    // fromE/toE: NaN = none
	kAssignee                    // from/to: user indexes, -1 = unassigned
	kPriority                    // from/to: priority indexes
	kDescription                 // fromStr/toStr
	kLabels                      // fromStr/toStr: space-separated labels
)

type item struct {
	kind           itemKind
	from, to       int
	fromS, toS     []int64
	fromE, toE     float64
	fromStr, toStr string
}

type history struct {
	at     time.Time
	author int
	items  []item
}

type simIssue struct {
	idx, b, j   int
	typ         issueType
	parent      int // index of the parent (sub-tasks), -1 when none
	epic        int // index of the epic, -1 when none
	created     time.Time
	initSprints []int64
	initEst     float64 // NaN: unestimated at creation
	assignee0   int     // -1: unassigned at creation
	reporter    int
	priority0   int
	labels0     []string
	prod        bool   // bug found in production (label "production", Environment "Production")
	env         string // Environment field, "" = null
	hist        []history
}

type scenario uint8

const (
	scPlanned    scenario = iota // committed at start, done in the sprint
	scCarry1                     // committed, unfinished, carried into the next sprint, done there
	scCarry2                     // carried over twice
	scAddedMid                   // added (or created) after the sprint started
	scRemoved                    // committed, then removed mid-sprint back to the backlog
	scEstChange                  // committed, re-estimated mid-sprint, done
	scDoneBefore                 // done in the backlog before the sprint started, then put in it
	scReopened                   // done, reopened, done again within the sprint
)

func (s *site) subtaskCandidate(b, k, t int) bool {
	return t > 0 && s.hash(uint64(b), uint64(k), uint64(t), 1)%100 < 22
}

func (s *site) scenarioOf(b, k, t int) scenario {
	h := s.hash(uint64(b), uint64(k), uint64(t), 3) % 100
	switch {
	case h < 54:
		return scPlanned
	case h < 64:
		return scCarry1
	case h < 68:
		return scCarry2
	case h < 76:
		return scAddedMid
	case h < 81:
		return scRemoved
	case h < 87:
		return scEstChange
	case h < 90:
		return scDoneBefore
	case h < 95:
		return scReopened
	}
	return scPlanned
}

func (s *site) plainType(b, k, t int) issueType {
	h := s.hash(uint64(b), uint64(k), uint64(t), 2) % 100
	switch {
	case h < 58:
		return typeStory
	case h < 78:
		return typeTask
	}
	return typeBug
}

func canParent(sc scenario, typ issueType) bool {
	if typ == typeBug {
		return false
	}
	switch sc {
	case scPlanned, scCarry1, scCarry2, scEstChange, scReopened:
		return true
	}
	return false
}

// roleOf tells what block slot (b, k, t) holds: its type, its scenario and,
// for sub-tasks, the slot of its parent.
func (s *site) roleOf(b, k, t int) (typ issueType, sc scenario, parentT int) {
	if s.subtaskCandidate(b, k, t) {
		p := t - 1
		for p > 0 && s.subtaskCandidate(b, k, p) {
			p--
		}
		if psc, ptyp := s.scenarioOf(b, k, p), s.plainType(b, k, p); canParent(psc, ptyp) {
			return typeSubtask, psc, p
		}
	}
	return s.plainType(b, k, t), s.scenarioOf(b, k, t), -1
}

// children returns the indexes of the sub-tasks of issue idx.
func (s *site) children(idx int) []int {
	b, j := s.locate(idx)
	k, t, ok := s.block(j)
	if !ok {
		return nil
	}
	var out []int
	for c := t + 1; c < s.perSprint; c++ {
		if !s.subtaskCandidate(b, k, c) {
			break
		}
		if typ, _, p := s.roleOf(b, k, c); typ == typeSubtask && p == t {
			out = append(out, s.idxOf(b, s.blockStart+k*s.perSprint+c))
		}
	}
	return out
}

// action is one planned change; apply turns sorted actions into histories.
type action struct {
	at         time.Time
	author     int
	status     int // -1: no status change
	sprints    []int64
	setSprints bool
	est        float64
	setEst     bool
	assignee   int
	setAsg     bool
	priority   int // -1: none
	desc       string
	labels     string
	setLabels  bool
}

func act(at time.Time, author int) action {
	return action{at: at, author: author, status: -1, priority: -1}
}

func ms(d time.Duration) time.Duration { return d.Truncate(time.Millisecond) }

func dur(r *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return ms(lo + time.Duration(r.Int64N(int64(hi-lo))))
}

func uf(r *rand.Rand, lo, hi float64) float64 { return lo + r.Float64()*(hi-lo) }

func at(sp *simSprint, f float64) time.Time {
	return sp.start.Add(ms(time.Duration(f * float64(sp.hypoComplete.Sub(sp.start)))))
}

var pointValues = []float64{1, 2, 3, 3, 5, 5, 8, 13}

// gen builds issue idx with its full history (overlays from Touch not included).
func (s *site) gen(idx int) *simIssue {
	b, j := s.locate(idx)
	is := &simIssue{idx: idx, b: b, j: j, parent: -1, epic: -1, initEst: math.NaN(), priority0: 2}
	r := s.rng(idx, 1)
	bd := s.boards[b]
	is.reporter = bd.members[0]
	if r.IntN(10) < 4 {
		is.reporter = pick(r, bd.members)
	}
	is.assignee0 = bd.members[1+r.IntN(len(bd.members)-1)]
	var acts []action
	switch k, t, inBlock := s.block(j); {
	case j < s.nEpics:
		acts = s.genEpic(is, r)
	case j == s.nEpics && b == 0:
		acts = s.genLong(is, r)
	case inBlock:
		acts = s.genBlock(is, r, k, t)
	default:
		acts = s.genBacklog(is, r)
	}
	s.apply(is, acts)
	return is
}

func (s *site) decorate(is *simIssue, r *rand.Rand) {
	if is.typ == typeBug {
		if r.IntN(100) < 40 {
			is.prod = true
			is.env = "Production"
			is.labels0 = append(is.labels0, "production")
			is.priority0 = r.IntN(2) // Highest or High
		} else if r.IntN(100) < 40 {
			is.env = "Staging"
		}
	}
	if r.IntN(100) < 25 {
		is.labels0 = append(is.labels0, pick(r, []string{"backend", "frontend", "tech-debt", "customer-request"}))
	}
	slices.Sort(is.labels0)
	if is.typ != typeEpic && is.typ != typeSubtask && r.IntN(100) < 70 {
		is.epic = s.idxOf(is.b, r.IntN(s.nEpics))
	}
}

// estimateFor returns an estimate, NaN for unestimated issues.
func estimateFor(r *rand.Rand, typ issueType) float64 {
	unest := map[issueType]int{typeStory: 12, typeTask: 40, typeBug: 55, typeSubtask: 70, typeEpic: 100}[typ]
	if r.IntN(100) < unest {
		return math.NaN()
	}
	return pick(r, pointValues)
}

func (s *site) doneStatus(r *rand.Rand, b int) int {
	if s.boards[b].twoDone && r.IntN(2) == 0 {
		return stReleased
	}
	return stDone
}

func (s *site) genEpic(is *simIssue, r *rand.Rand) []action {
	is.typ = typeEpic
	is.created = s.origin.Add(dur(r, time.Hour, 5*24*time.Hour))
	po := s.boards[is.b].members[0]
	a := act(is.created.Add(dur(r, 24*time.Hour, 10*24*time.Hour)), po)
	a.status = stInProgress
	acts := []action{a}
	if is.j < s.nEpics/2 {
		span := s.cfg.Now.Sub(s.origin)
		d := act(s.origin.Add(ms(span*time.Duration(is.j+1)/time.Duration(s.nEpics+1))), po)
		d.status = stDone
		acts = append(acts, d)
	}
	return acts
}

// genLong builds the long-lived issue with more than 100 histories.
func (s *site) genLong(is *simIssue, r *rand.Rand) []action {
	is.typ = typeStory
	is.created = s.origin.Add(time.Hour)
	is.initEst = 8
	bd := s.boards[is.b]
	start := s.origin.Add(24 * time.Hour)
	span := s.cfg.Now.Add(-48 * time.Hour).Sub(start)
	const n = 131
	cycle := []int{stInProgress, stInReview, stDone, stInProgress, stInReview, stInProgress, stInReview, stDone}
	var acts []action
	ci, prio, asg, est := 0, 2, is.assignee0, is.initEst
	for h := 0; h < n; h++ {
		a := act(start.Add(ms(span*time.Duration(h)/n)), pick(r, bd.members))
		switch {
		case h == n-1:
			a.status = stDone
		case h%5 == 0:
			a.status = cycle[ci%len(cycle)]
			ci++
		case h%5 == 1:
			prio = (prio + 1 + r.IntN(3)) % len(priorities)
			a.priority = prio
		case h%5 == 2:
			for a.assignee = asg; a.assignee == asg; {
				a.assignee = bd.members[1+r.IntN(len(bd.members)-1)]
			}
			a.setAsg, asg = true, a.assignee
		case h%5 == 3:
			a.desc = "Revision " + itoa(h) + ": " + pick(r, benefits)
		default:
			for a.est = est; a.est == est; {
				a.est = pick(r, pointValues)
			}
			a.setEst, est = true, a.est
		}
		acts = append(acts, a)
	}
	return acts
}

func (s *site) genBacklog(is *simIssue, r *rand.Rand) []action {
	h := s.hash(uint64(is.idx), 7) % 100
	switch {
	case h < 50:
		is.typ = typeStory
	case h < 75:
		is.typ = typeTask
	default:
		is.typ = typeBug
	}
	s.decorate(is, r)
	now := s.cfg.Now
	is.created = s.origin.Add(ms(time.Duration(r.Float64() * float64(now.Add(-2*time.Hour).Sub(s.origin)))))
	bd := s.boards[is.b]
	est := estimateFor(r, is.typ)
	var acts []action
	switch p := r.IntN(100); {
	case p < 62: // stays in the backlog
		if r.IntN(2) == 0 {
			is.assignee0 = -1
		}
		if !math.IsNaN(est) && r.IntN(100) < 30 {
			a := act(is.created.Add(dur(r, time.Hour, now.Sub(is.created))), bd.members[0])
			a.setEst, a.est = true, est
			acts = append(acts, a)
		} else {
			is.initEst = est
		}
		if r.IntN(100) < 30 {
			a := act(is.created.Add(dur(r, time.Hour, now.Sub(is.created))), bd.members[0])
			a.priority = r.IntN(len(priorities))
			acts = append(acts, a)
		}
	default: // worked on outside any sprint (kanban-style); done unless p >= 88
		is.initEst = est
		t := is.created.Add(dur(r, 12*time.Hour, 8*24*time.Hour))
		a := act(t, is.assignee0)
		a.status = stInProgress
		acts = append(acts, a)
		if p < 88 {
			if r.IntN(2) == 0 {
				t = t.Add(dur(r, 4*time.Hour, 3*24*time.Hour))
				a = act(t, is.assignee0)
				a.status = stInReview
				acts = append(acts, a)
			}
			t = t.Add(dur(r, 4*time.Hour, 6*24*time.Hour))
			a = act(t, is.assignee0)
			a.status = s.doneStatus(r, is.b)
			acts = append(acts, a)
		}
	}
	return acts
}

// joinTime is when issue is entered sprint id first, ok=false if never.
func joinTime(is *simIssue, id int64) (time.Time, bool) {
	if slices.Contains(is.initSprints, id) {
		return is.created, true
	}
	for _, h := range is.hist {
		for _, it := range h.items {
			if it.kind == kSprint && slices.Contains(it.toS, id) && !slices.Contains(it.fromS, id) {
				return h.at, true
			}
		}
	}
	return time.Time{}, false
}

func (s *site) genBlock(is *simIssue, r *rand.Rand, k, t int) []action {
	bd := s.boards[is.b]
	sp := bd.sprints[k]
	typ, sc, pt := s.roleOf(is.b, k, t)
	is.typ = typ
	s.decorate(is, r)
	po := bd.members[0]
	me := is.assignee0
	now := s.cfg.Now
	est := estimateFor(r, typ)

	if typ == typeSubtask {
		is.parent = s.idxOf(is.b, s.blockStart+k*s.perSprint+pt)
		parent := s.gen(is.parent)
		pj, ok := joinTime(parent, sp.id)
		if !ok { // cannot happen for parents that can have sub-tasks
			pj = sp.start.Add(-time.Hour)
		}
		limit := sp.start
		if sp.state == "future" {
			limit = now
		}
		is.created = pj.Add(ms(time.Duration(uf(r, 0.1, 0.9) * float64(limit.Sub(pj)))))
		is.initSprints = []int64{sp.id}
		if r.IntN(100) < 30 {
			is.initEst = pick(r, pointValues) // sub-task points: ignored by velocity
		}
		if sp.state == "future" {
			return nil
		}
		a := act(at(sp, uf(r, 0.05, 0.6)), me)
		a.status = stInProgress
		d := act(at(sp, uf(r, 0.62, 0.96)), me)
		d.status = s.doneStatus(r, is.b)
		return []action{a, d}
	}

	if sp.state == "future" {
		is.created = now.Add(-dur(r, 24*time.Hour, 20*24*time.Hour))
		is.initEst = est
		j := act(is.created.Add(ms(time.Duration(uf(r, 0.2, 0.9)*float64(now.Sub(is.created))))), po)
		j.setSprints, j.sprints = true, []int64{sp.id}
		return []action{j}
	}
	if k+1 >= len(bd.sprints) && (sc == scCarry1 || sc == scCarry2) {
		sc = scPlanned
	}
	if k+2 >= len(bd.sprints) && sc == scCarry2 {
		sc = scCarry1
	}

	var acts []action
	status := func(t time.Time, st int) {
		a := act(t, me)
		a.status = st
		acts = append(acts, a)
	}
	sprints := func(t time.Time, ids ...int64) {
		a := act(t, po)
		a.setSprints, a.sprints = true, ids
		acts = append(acts, a)
	}
	// plan puts the issue in the sprint before it starts.
	plan := func() {
		if r.IntN(100) < 30 { // created straight into the sprint: no Sprint changelog item
			is.created = sp.start.Add(-dur(r, time.Hour, 48*time.Hour))
			is.initSprints = []int64{sp.id}
			is.initEst = est
			return
		}
		is.created = sp.start.Add(-dur(r, 48*time.Hour, 20*24*time.Hour))
		join := sp.start.Add(-dur(r, time.Hour, 47*time.Hour))
		if !math.IsNaN(est) && r.IntN(100) < 40 {
			a := act(is.created.Add(ms(join.Sub(is.created)/3)), po)
			a.setEst, a.est = true, est
			acts = append(acts, a)
		} else {
			is.initEst = est
		}
		sprints(join, sp.id)
	}
	// finish works the issue through review to done inside sprint x, from fraction f.
	finish := func(x *simSprint, f float64) {
		f1 := f + uf(r, 0.02, 0.4)
		status(at(x, f1), stInProgress)
		f2 := f1 + uf(r, 0.08, 0.3)
		status(at(x, f2), stInReview)
		status(at(x, min(f2+uf(r, 0.02, 0.15), 0.97)), s.doneStatus(r, is.b))
	}
	carry := func(from *simSprint, ids ...int64) {
		sprints(from.hypoComplete.Add(time.Minute), ids...)
	}

	switch sc {
	case scPlanned:
		plan()
		finish(sp, 0)
	case scEstChange:
		plan()
		a := act(at(sp, uf(r, 0.02, 0.1)), po)
		a.setEst = true
		a.est = pick(r, pointValues)
		for a.est == is.initEst || a.est == est {
			a.est = pick(r, pointValues)
		}
		acts = append(acts, a)
		finish(sp, 0.1)
	case scCarry1, scCarry2:
		plan()
		status(at(sp, uf(r, 0.3, 0.8)), stInProgress)
		next := bd.sprints[k+1]
		carry(sp, sp.id, next.id)
		if sc == scCarry1 {
			finish(next, 0.05)
			break
		}
		status(at(next, uf(r, 0.2, 0.6)), stInReview)
		status(at(next, uf(r, 0.65, 0.9)), stInProgress) // review sent it back
		after := bd.sprints[k+2]
		carry(next, sp.id, next.id, after.id)
		finish(after, 0.05)
	case scAddedMid:
		join := at(sp, uf(r, 0.05, 0.6))
		is.initEst = est
		if r.IntN(2) == 0 {
			is.created = join
			is.initSprints = []int64{sp.id}
		} else {
			is.created = sp.start.Add(-dur(r, 24*time.Hour, 10*24*time.Hour))
			sprints(join, sp.id)
		}
		frac := float64(join.Sub(sp.start)) / float64(sp.hypoComplete.Sub(sp.start))
		if r.IntN(100) < 75 || k+1 >= len(bd.sprints) {
			finish(sp, frac)
			break
		}
		status(at(sp, frac+0.05), stInProgress)
		next := bd.sprints[k+1]
		carry(sp, sp.id, next.id)
		status(at(next, uf(r, 0.1, 0.4)), stInReview)
		status(at(next, uf(r, 0.45, 0.9)), s.doneStatus(r, is.b))
	case scRemoved:
		plan()
		sprints(at(sp, uf(r, 0.15, 0.7)))
	case scDoneBefore:
		is.created = sp.start.Add(-dur(r, 10*24*time.Hour, 25*24*time.Hour))
		is.initEst = est
		t1 := is.created.Add(dur(r, 24*time.Hour, 3*24*time.Hour))
		status(t1, stInProgress)
		status(t1.Add(dur(r, 24*time.Hour, 4*24*time.Hour)), s.doneStatus(r, is.b))
		sprints(sp.start.Add(-dur(r, time.Hour, 24*time.Hour)), sp.id)
	case scReopened:
		plan()
		f := uf(r, 0.02, 0.2)
		status(at(sp, f), stInProgress)
		f += uf(r, 0.1, 0.15)
		status(at(sp, f), stInReview)
		f += uf(r, 0.05, 0.1)
		status(at(sp, f), stDone)
		f += uf(r, 0.03, 0.1)
		status(at(sp, f), stInProgress) // reopened
		f += uf(r, 0.05, 0.15)
		status(at(sp, f), s.doneStatus(r, is.b))
	}
	return acts
}

// apply sorts the actions by time and records them as histories, dropping
// everything after Now. Times are strictly increasing after creation.
func (s *site) apply(is *simIssue, acts []action) {
	slices.SortStableFunc(acts, func(a, b action) int { return a.at.Compare(b.at) })
	st := state{status: stToDo, sprints: is.initSprints, est: is.initEst, assignee: is.assignee0,
		priority: is.priority0, labels: joinLabels(is.labels0)}
	last := is.created
	for _, a := range acts {
		t := a.at.Truncate(time.Millisecond)
		if !t.After(last) {
			t = last.Add(time.Second)
		}
		if t.After(s.cfg.Now) {
			break
		}
		h := s.historyFor(&st, a, t)
		if len(h.items) > 0 {
			is.hist = append(is.hist, h)
			last = t
		}
	}
}

// state is an issue's values at one moment.
type state struct {
	status   int
	resolved bool
	sprints  []int64
	est      float64
	assignee int
	priority int
	desc     string
	descSet  bool
	labels   string
}

func joinLabels(ls []string) string {
	out := ""
	for i, l := range ls {
		if i > 0 {
			out += " "
		}
		out += l
	}
	return out
}

// historyFor turns one action into a history against state st, updating st.
func (s *site) historyFor(st *state, a action, t time.Time) history {
	h := history{at: t, author: a.author}
	if h.author < 0 {
		h.author = 0
	}
	if a.status >= 0 && a.status != st.status {
		h.items = append(h.items, item{kind: kStatus, from: st.status, to: a.status})
		st.status = a.status
		done := statuses[a.status].cat == "done"
		if done && !st.resolved {
			h.items = append(h.items, item{kind: kResolution, from: 0, to: 1})
			st.resolved = true
		} else if !done && st.resolved {
			h.items = append(h.items, item{kind: kResolution, from: 1, to: 0})
			st.resolved = false
		}
	}
	if a.setSprints && !slices.Equal(a.sprints, st.sprints) {
		h.items = append(h.items, item{kind: kSprint, fromS: st.sprints, toS: a.sprints})
		st.sprints = a.sprints
	}
	if a.setEst && !sameEst(a.est, st.est) {
		h.items = append(h.items, item{kind: kEstimate, fromE: st.est, toE: a.est})
		st.est = a.est
	}
	if a.setAsg && a.assignee != st.assignee {
		h.items = append(h.items, item{kind: kAssignee, from: st.assignee, to: a.assignee})
		st.assignee = a.assignee
	}
	if a.priority >= 0 && a.priority != st.priority {
		h.items = append(h.items, item{kind: kPriority, from: st.priority, to: a.priority})
		st.priority = a.priority
	}
	if a.desc != "" {
		h.items = append(h.items, item{kind: kDescription, fromStr: st.desc, toStr: a.desc})
		st.desc, st.descSet = a.desc, true
	}
	if a.setLabels && a.labels != st.labels {
		h.items = append(h.items, item{kind: kLabels, fromStr: st.labels, toStr: a.labels})
		st.labels = a.labels
	}
	return h
}

func sameEst(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// final replays the issue's histories into its current state; resolvedAt is
// the time of the last resolution, zero when unresolved.
func (is *simIssue) final() (st state, resolvedAt, statusAt time.Time) {
	st = state{status: stToDo, sprints: is.initSprints, est: is.initEst, assignee: is.assignee0,
		priority: is.priority0, labels: joinLabels(is.labels0)}
	statusAt = is.created
	for _, h := range is.hist {
		for _, it := range h.items {
			switch it.kind {
			case kStatus:
				if statuses[it.from].cat != statuses[it.to].cat {
					statusAt = h.at
				}
				st.status = it.to
			case kResolution:
				st.resolved = it.to == 1
				if st.resolved {
					resolvedAt = h.at
				} else {
					resolvedAt = time.Time{}
				}
			case kSprint:
				st.sprints = it.toS
			case kEstimate:
				st.est = it.toE
			case kAssignee:
				st.assignee = it.to
			case kPriority:
				st.priority = it.to
			case kDescription:
				st.desc, st.descSet = it.toStr, true
			case kLabels:
				st.labels = it.toStr
			}
		}
	}
	return st, resolvedAt, statusAt
}

func (is *simIssue) updated() time.Time {
	if n := len(is.hist); n > 0 {
		return is.hist[n-1].at
	}
	return is.created
}
