package metrics

import (
	"slices"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

// History is a board's data with every issue's timeline reconstructed once,
// from which the board as it stood at any past instant can be cut (At).
// Computing the KPIs of At(t) with Options.Now = t gives the figures as they
// were at t, whenever they are computed.
type History struct {
	p *prepared
}

// NewHistory reconstructs d's timelines with opt's estimate fields and
// status names. The input is not modified.
func NewHistory(d BoardData, opt Options) (*History, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Unix(0, 0) // the timelines do not depend on Now
	}
	p, err := prepare(&d, opt)
	if err != nil {
		return nil, err
	}
	return &History{p: p}, nil
}

// At returns the board as it stood at instant t, by the reconstruction rule
// (the state after every change at or before t):
//
//   - issues created after t are left out; each other issue has the status,
//     estimate, sprint field and last update it had at t, and its resolution
//     only when it was resolved by t;
//   - changelog items and sprint events after t are left out;
//   - a sprint that started after t is future; one completed after t is
//     active (no completion date);
//   - linked release dates after t are left out.
//
// What the changelog does not record keeps its current value: the board's
// columns, the site's statuses, an issue's type, labels, priority and epic,
// and the sync's own facts (truncated changelogs, skipped issues, issues on
// several boards).
func (h *History) At(t time.Time) BoardData {
	d := h.p.d
	out := BoardData{
		Board: d.Board, Statuses: d.Statuses, MultiBoardIssueIDs: d.MultiBoardIssueIDs,
		SkippedIssueKeys: d.SkippedIssueKeys,
		Changes:          make(map[int64][]analyzer.ChangeItem, len(d.Issues)),
		SprintEvents:     make(map[int64][]analyzer.SprintEvent, len(d.SprintEvents)),
	}
	for _, s := range d.Sprints {
		out.Sprints = append(out.Sprints, sprintAt(s, t))
	}
	if d.LinkedReleaseDates != nil {
		out.LinkedReleaseDates = map[int64]time.Time{}
		for id, r := range d.LinkedReleaseDates {
			if !r.After(t) {
				out.LinkedReleaseDates[id] = r
			}
		}
	}
	for i := range h.p.hist {
		hs := &h.p.hist[i]
		if hs.issue.Created.After(t) {
			continue
		}
		is := *hs.issue
		if id := hs.statusAt(t); id != is.StatusID {
			is.StatusID, is.StatusName, is.StatusCategory = id, "", ""
			if s, ok := d.Statuses[id]; ok {
				is.StatusName, is.StatusCategory = s.Name, s.CategoryKey
			}
		}
		// The current estimate stands unless it changed after t.
		if last := hs.est[len(hs.est)-1].at; last.After(t) {
			is.Estimate = nil
			if v, ok := hs.estAt(t); ok {
				is.Estimate = &v
			}
		}
		if !is.Updated.IsZero() && is.Updated.After(t) {
			is.Updated = hs.lastUpdateAt(t)
		}
		if is.Resolved != nil && is.Resolved.After(t) {
			is.Resolved = nil
		}
		is.SprintIDs = nil
		for _, m := range hs.member {
			if memberAt(m.spans, t) {
				is.SprintIDs = append(is.SprintIDs, m.sprintID)
			}
		}
		out.Issues = append(out.Issues, is)
		items := sortedChanges(d.Changes[is.ID])
		n, _ := slices.BinarySearchFunc(items, t, func(c analyzer.ChangeItem, t time.Time) int {
			if c.At.After(t) {
				return 1
			}
			return -1
		})
		if n > 0 {
			out.Changes[is.ID] = items[:n:n]
		}
		var evs []analyzer.SprintEvent
		for _, e := range d.SprintEvents[is.ID] {
			if !e.At.After(t) {
				evs = append(evs, e)
			}
		}
		if len(evs) > 0 {
			out.SprintEvents[is.ID] = evs
		}
	}
	return out
}

// sprintAt is sprint s as it stood at t.
func sprintAt(s analyzer.Sprint, t time.Time) analyzer.Sprint {
	switch {
	case s.State == analyzer.SprintFuture:
	case s.StartDate == nil || s.StartDate.After(t):
		s.State = analyzer.SprintFuture
		s.CompleteDate = nil
	case s.CompleteDate != nil && s.CompleteDate.After(t):
		s.State, s.CompleteDate = analyzer.SprintActive, nil
	case s.CompleteDate == nil && s.State == analyzer.SprintClosed && s.EndDate != nil && s.EndDate.After(t):
		// Closed without a completion date: its end date stands for it.
		s.State = analyzer.SprintActive
	}
	return s
}
