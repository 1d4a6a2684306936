package metrics

import (
	"slices"
	"strings"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

// backlogState is one backlog item at t, by the rules of BacklogHealth
// (docs/metrics.md#backlog-health): counted (estimated, or counting
// issues) with its value, ready, stale.
type backlogState struct {
	value                 float64
	estimate              *float64 // the estimate at t, nil when none
	counted, ready, stale bool
}

func (p *prepared) backlogState(h *history, statusID string, t time.Time, stale time.Duration, readyLabels map[string]bool, readyConfigured bool) backlogState {
	ev, eok := h.estAt(t)
	var bs backlogState
	if eok {
		v := ev * p.factor
		bs.estimate = &v
	}
	if eok || p.countMode {
		bs.counted, bs.value = true, p.value(ev, eok)
	}
	bs.ready = p.readySet[statusID]
	if !bs.ready {
		for _, l := range h.issue.Labels {
			if readyLabels[strings.ToLower(l)] {
				bs.ready = true
				break
			}
		}
	}
	if !readyConfigured && eok && !p.countMode {
		bs.ready = true
	}
	bs.stale = t.Sub(h.lastUpdateAt(t)) > stale
	return bs
}

// BacklogItem is an issue in the backlog at a week's end: a flow item in a
// to-do status, in no active sprint.
type BacklogItem struct {
	Key         string    `json:"key"`
	Type        string    `json:"type"`
	Status      string    `json:"status"`
	Estimate    *float64  `json:"estimate"` // at the week's end, in the board's unit; nil when none
	Unestimated bool      `json:"unestimated"`
	Ready       bool      `json:"ready"`
	Stale       bool      `json:"stale"`
	LastUpdate  time.Time `json:"last_update"`
}

// BacklogItems lists the backlog at the end of the week starting at
// weekStart (or at opt.Now for the current week), by the same rules and
// state as WeekKPIs' BacklogHealth of that week: the items whose Unestimated,
// Ready and Stale flags add up to its Unestimated, Ready and Stale counts.
// Ordered by key.
func BacklogItems(d BoardData, opt Options, weekStart time.Time) ([]BacklogItem, error) {
	p, err := prepare(&d, opt)
	if err != nil {
		return nil, err
	}
	t := weekStart.AddDate(0, 0, 7).Add(-time.Nanosecond)
	if t.After(p.opt.Now) {
		t = p.opt.Now
	}
	windows := p.sprintWindows()
	stale := time.Duration(p.opt.StaleDays) * 24 * time.Hour
	readyLabels := lowerSet(p.opt.ReadyLabels)
	readyConfigured := len(p.readySet) > 0 || len(readyLabels) > 0
	out := []BacklogItem{}
	for i := range p.hist {
		h := &p.hist[i]
		is := h.issue
		if !p.isFlowItem(is) || is.Created.After(t) {
			continue
		}
		si := 0
		for si+1 < len(h.status) && !h.status[si+1].at.After(t) {
			si++
		}
		st := h.status[si].id
		if p.endSet[st] || p.category[st] != analyzer.CategoryNew || p.inActiveSprint(h, t, windows) {
			continue
		}
		bs := p.backlogState(h, st, t, stale, readyLabels, readyConfigured)
		out = append(out, BacklogItem{Key: is.Key, Type: is.Type, Status: p.statusName(st), Estimate: bs.estimate,
			Unestimated: !bs.counted, Ready: bs.ready, Stale: bs.stale, LastUpdate: h.lastUpdateAt(t)})
	}
	slices.SortFunc(out, func(a, b BacklogItem) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}
