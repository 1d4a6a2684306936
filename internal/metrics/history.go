package metrics

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

// The reconstruction rule used everywhere: the state of an issue at instant t
// is its state after every change with At ≤ t. A change exactly at a sprint's
// start therefore counts as before the start, and a transition exactly at
// completion as before the completion.

// statusSeg says that from at onwards (until the next segment) the issue had
// status id. The first segment starts at the zero time.
type statusSeg struct {
	at       time.Time
	id       string
	inferred bool // a status change without a status item (workflow migration)
}

type estSeg struct {
	at  time.Time
	val float64
	ok  bool // false: unestimated
}

// span is one stretch of sprint membership, [from, to); zero to = still member.
type span struct {
	from, to time.Time
}

func (s span) covers(t time.Time) bool {
	return !t.Before(s.from) && (s.to.IsZero() || t.Before(s.to))
}

type sprintSpans struct {
	sprintID int64
	spans    []span
}

// history is one issue's reconstructed timeline.
type history struct {
	issue   *analyzer.Issue
	status  []statusSeg
	est     []estSeg
	member  []sprintSpans
	changes []time.Time // times of every changelog item, ascending (for staleness)
	// invalidEst: some estimate of the issue (current or in its changelog)
	// was not a finite number within ±MaxEstimate and was read as none.
	invalidEst bool
}

// statusIdx returns the index of the segment in force at t.
func (h *history) statusIdx(t time.Time) int {
	i, _ := slices.BinarySearchFunc(h.status, t, func(s statusSeg, t time.Time) int {
		if s.at.After(t) {
			return 1
		}
		return -1
	})
	return i - 1
}

func (h *history) statusAt(t time.Time) string { return h.status[h.statusIdx(t)].id }

func (h *history) estAt(t time.Time) (float64, bool) {
	i, _ := slices.BinarySearchFunc(h.est, t, func(s estSeg, t time.Time) int {
		if s.at.After(t) {
			return 1
		}
		return -1
	})
	s := h.est[i-1]
	return s.val, s.ok
}

func (h *history) spans(sprintID int64) []span {
	for _, m := range h.member {
		if m.sprintID == sprintID {
			return m.spans
		}
	}
	return nil
}

func memberAt(spans []span, t time.Time) bool {
	for _, s := range spans {
		if s.covers(t) {
			return true
		}
	}
	return false
}

// lastUpdateAt is the time of the last change at or before t (or creation).
func (h *history) lastUpdateAt(t time.Time) time.Time {
	if !t.Before(h.issue.Updated) && !h.issue.Updated.IsZero() {
		return h.issue.Updated
	}
	i, _ := slices.BinarySearchFunc(h.changes, t, func(c, t time.Time) int {
		if c.After(t) {
			return 1
		}
		return -1
	})
	if i > 0 && h.changes[i-1].After(h.issue.Created) {
		return h.changes[i-1]
	}
	return h.issue.Created
}

// prepared is a board's data with every issue's history reconstructed and the
// status sets resolved, shared by the sprint and weekly computations.
type prepared struct {
	d        *BoardData
	opt      Options
	hist     []history
	doneCol  map[string]bool // board's rightmost column: velocity's done
	startSet map[string]bool // cycle start statuses
	endSet   map[string]bool // cycle end statuses
	readySet map[string]bool
	category map[string]string   // status id → category key (status.go)
	names    map[string]string   // status id → name
	byName   map[string][]string // lower-case status name → ids
	// unknownStatuses are status ids of some history with no known category.
	unknownStatuses []string
	excluded        map[string]bool // lower-case issue types that are not flow items
	unit            string
	factor          float64 // estimate unit → reported unit
	countMode       bool
	estFlag         string          // FlagEstimationMissing / FlagEstimationIssueCount / ""
	members         map[int64][]int // sprint id → indexes into hist
	defects         map[string]bool
	defectIdx       []int // defect issue indexes by creation time; built lazily
}

func prepare(d *BoardData, opt Options) (*prepared, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &prepared{
		d:        d,
		opt:      opt,
		doneCol:  map[string]bool{},
		category: map[string]string{},
		members:  map[int64][]int{},
		excluded: lowerSet(opt.FlowExcludeTypes),
		defects:  lowerSet(opt.DefectTypes),
		unit:     UnitPoints,
		factor:   1,
	}
	for _, id := range d.Board.DoneStatusIDs() {
		p.doneCol[id] = true
	}
	p.names, p.byName = statusNames(d)

	switch f := d.Board.EstimationField; f {
	case "":
		p.countMode, p.unit, p.estFlag = true, UnitIssues, FlagEstimationMissing
	case analyzer.EstimationIssueCount:
		p.countMode, p.unit, p.estFlag = true, UnitIssues, FlagEstimationIssueCount
	case analyzer.EstimationOriginalEst:
		p.unit, p.factor = UnitHours, 1.0/3600
	}
	estFields := opt.EstimateFieldNames
	if len(estFields) == 0 && !p.countMode {
		estFields = []string{d.Board.EstimationField}
		if strings.HasPrefix(d.Board.EstimationField, "customfield_") {
			estFields = append(estFields, "Story Points", "Story point estimate")
		}
	}
	estSet := lowerSet(estFields)

	resolveName := func(id, name string) string {
		if id != "" {
			return id
		}
		if ids := p.byName[strings.ToLower(name)]; len(ids) > 0 {
			return ids[0]
		}
		return name
	}

	p.hist = make([]history, len(d.Issues))
	for i := range d.Issues {
		is := &d.Issues[i]
		h := &p.hist[i]
		h.issue = is
		items := sortedChanges(d.Changes[is.ID])
		h.changes = make([]time.Time, len(items))
		var st, es []*analyzer.ChangeItem
		var workflow []time.Time
		for k := range items {
			c := &items[k]
			h.changes[k] = c.At
			switch {
			case c.FieldID == "status" || (c.FieldID == "" && strings.EqualFold(c.Field, "status")):
				st = append(st, c)
			case estSet[strings.ToLower(c.FieldID)] || (c.FieldID == "" && estSet[strings.ToLower(c.Field)]):
				es = append(es, c)
			case strings.EqualFold(c.Field, "Workflow"):
				workflow = append(workflow, c.At)
			}
		}
		h.status = statusTimeline(st, is.StatusID, workflow, resolveName)
		h.est = make([]estSeg, len(es)+1)
		for k, c := range es {
			h.est[k].val, h.est[k].ok = parseEstimate(c.FromString, c.FromValue)
			h.est[k+1].at = c.At
			if h.est[k].ok && !ValidEstimate(h.est[k].val) {
				h.est[k].val, h.est[k].ok, h.invalidEst = 0, false, true
			}
		}
		if is.Estimate != nil {
			if ValidEstimate(*is.Estimate) {
				h.est[len(es)].val, h.est[len(es)].ok = *is.Estimate, true
			} else {
				h.invalidEst = true
			}
		}
		h.member = buildMembership(is, d.SprintEvents[is.ID])
		for _, m := range h.member {
			p.members[m.sprintID] = append(p.members[m.sprintID], i)
		}
	}
	// Categories need every status the histories name; the status sets
	// need the categories.
	p.unknownStatuses = p.resolveCategories()
	p.startSet = p.resolveStatuses(opt.CycleStartStatuses, analyzer.CategoryInProgress)
	p.endSet = p.resolveStatuses(opt.CycleEndStatuses, analyzer.CategoryDone)
	p.readySet = p.resolveStatuses(opt.ReadyStatuses, "")
	return p, nil
}

// isFlowItem says whether an issue counts in the flow KPIs
// (docs/metrics.md#flow-items).
func (p *prepared) isFlowItem(is *analyzer.Issue) bool {
	if is.Subtask && !p.opt.IncludeSubtasks {
		return false
	}
	return !p.excluded[strings.ToLower(strings.TrimSpace(is.Type))]
}

// statusTimeline walks backwards from the current status: the status before
// change k is change k's "from", after the last change the current status.
//
// When the "from" of a change differs from the "to" of the change before it
// (or the current status from the last "to"), the status changed without a
// status item: Jira does that in a workflow migration, recording a
// "Workflow" item instead. The earlier "to" then holds until the last
// Workflow change in between, and the later value from there; with no
// Workflow change to date the switch, the later value wins (backward walk).
func statusTimeline(st []*analyzer.ChangeItem, current string, workflow []time.Time, name func(id, name string) string) []statusSeg {
	if len(st) == 0 {
		return []statusSeg{{id: current}}
	}
	segs := make([]statusSeg, 0, len(st)+1)
	segs = append(segs, statusSeg{id: name(st[0].FromValue, st[0].FromString)})
	for k, c := range st {
		to := name(c.ToValue, c.ToString)
		next, nextAt := current, time.Time{}
		if k+1 < len(st) {
			next, nextAt = name(st[k+1].FromValue, st[k+1].FromString), st[k+1].At
		}
		if next == to || next == "" || to == "" {
			segs = append(segs, statusSeg{at: c.At, id: to})
			continue
		}
		var migrated time.Time
		for _, w := range workflow {
			if w.After(c.At) && (nextAt.IsZero() || !w.After(nextAt)) {
				migrated = w
			}
		}
		if migrated.IsZero() {
			segs = append(segs, statusSeg{at: c.At, id: next})
			continue
		}
		segs = append(segs, statusSeg{at: c.At, id: to}, statusSeg{at: migrated, id: next, inferred: true})
	}
	return segs
}

func sortedChanges(items []analyzer.ChangeItem) []analyzer.ChangeItem {
	cmpItem := func(a, b analyzer.ChangeItem) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.HistoryID, b.HistoryID), cmp.Compare(a.Seq, b.Seq))
	}
	if slices.IsSortedFunc(items, cmpItem) {
		return items
	}
	c := slices.Clone(items)
	slices.SortStableFunc(c, cmpItem)
	return c
}

// MaxEstimate bounds a usable estimate's magnitude: story points, or
// seconds for timeoriginalestimate (1e9 s is 31 years). Larger values are
// typing accidents, and summing a few near the float64 limit overflows to
// +Inf, which no JSON snapshot can hold.
const MaxEstimate = 1e9

// ValidEstimate reports whether v is a finite estimate within ±MaxEstimate.
// Jira stores whatever its number field accepted ("NaN", "Infinity", 1e308),
// and such a value is read as no estimate and counted in DataQuality.
func ValidEstimate(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0) && math.Abs(v) <= MaxEstimate
}

// parseEstimate reads an estimate from a changelog item's string or value;
// "" (or an unparsable value) means unestimated.
func parseEstimate(s, v string) (float64, bool) {
	for _, x := range []string{s, v} {
		x = strings.TrimSpace(x)
		if x == "" {
			continue
		}
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return f, true
		}
	}
	return 0, false
}

// buildMembership reconstructs the issue's sprint membership spans. For each
// sprint with events, membership before its first event is that event's
// "from" side (a removal first means the issue was in the sprint since
// creation); a sprint in the current Sprint field with no events at all means
// the issue was created into it.
func buildMembership(is *analyzer.Issue, events []analyzer.SprintEvent) []sprintSpans {
	bySprint := map[int64][]analyzer.SprintEvent{}
	var order []int64
	for _, e := range events {
		if _, ok := bySprint[e.SprintID]; !ok {
			order = append(order, e.SprintID)
		}
		bySprint[e.SprintID] = append(bySprint[e.SprintID], e)
	}
	for _, id := range is.SprintIDs {
		if _, ok := bySprint[id]; !ok {
			bySprint[id] = nil
			order = append(order, id)
		}
	}
	out := make([]sprintSpans, 0, len(order))
	for _, id := range order {
		evs := bySprint[id]
		var spans []span
		if len(evs) == 0 {
			spans = []span{{from: is.Created}}
		} else {
			slices.SortStableFunc(evs, func(a, b analyzer.SprintEvent) int { return a.At.Compare(b.At) })
			in := !evs[0].Added
			var from time.Time
			if in {
				from = is.Created
			}
			for _, e := range evs {
				switch {
				case e.Added && !in:
					in, from = true, e.At
				case !e.Added && in:
					in = false
					if e.At.After(from) {
						spans = append(spans, span{from: from, to: e.At})
					}
				}
			}
			if in {
				spans = append(spans, span{from: from})
			}
		}
		if len(spans) > 0 {
			out = append(out, sprintSpans{sprintID: id, spans: spans})
		}
	}
	return out
}
