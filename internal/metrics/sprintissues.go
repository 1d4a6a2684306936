package metrics

import (
	"fmt"
	"time"
)

// SprintIssueEstimate is one issue's estimate in a sprint, in the sprint's
// Unit: when it entered the sprint (the start for the scope at start) and
// at completion (or when it left, for a removed issue). Nil: no estimate.
type SprintIssueEstimate struct {
	AtStart      *float64 `json:"at_start"`
	AtCompletion *float64 `json:"at_completion"`
}

// SprintIssueEstimates returns, for every issue that was in the sprint while
// it ran (the keys of SprintKPI's issue lists), its estimate at entry and at
// completion, by the same rules as SprintKPI's figures: the Jira Sprint
// report's "points at start" and "points at completion". Sub-tasks are left
// out. It fails when the sprint is unknown or has not started.
func SprintIssueEstimates(d BoardData, opt Options, sprintID int64) (map[string]SprintIssueEstimate, error) {
	p, err := prepare(&d, opt)
	if err != nil {
		return nil, err
	}
	for _, s := range p.sprintOrder() {
		if s.ID != sprintID {
			continue
		}
		k, _ := p.sprintKPI(s, nil) // for AsOf: the instant completion stands for
		start, end := *s.StartDate, k.AsOf
		out := map[string]SprintIssueEstimate{}
		est := func(h *history, t time.Time) *float64 {
			v, ok := h.estAt(t)
			if !ok && !p.countMode {
				return nil
			}
			x := p.value(v, ok)
			return &x
		}
		for _, i := range p.members[s.ID] {
			h := &p.hist[i]
			if h.issue.Subtask {
				continue
			}
			spans := h.spans(s.ID)
			entry := start
			if !memberAt(spans, start) {
				found := false
				for _, sp := range spans {
					if sp.from.After(start) && !sp.from.After(end) {
						entry, found = sp.from, true
						break
					}
				}
				if !found {
					continue
				}
			}
			last := end
			if !memberAt(spans, end) {
				last = entry
				for _, sp := range spans {
					if !sp.to.IsZero() && !sp.to.After(end) && sp.to.After(last) {
						last = sp.to
					}
				}
			}
			out[h.issue.Key] = SprintIssueEstimate{AtStart: est(h, entry), AtCompletion: est(h, last)}
		}
		return out, nil
	}
	return nil, fmt.Errorf("metrics: sprint %d is not a started sprint of board %d", sprintID, d.Board.ID)
}
