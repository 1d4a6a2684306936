package report

import (
	"cmp"
	"slices"
	"strings"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// TypeFigures are the report week's flow figures of one issue type.
type TypeFigures struct {
	Type          string `json:"type"`
	Throughput    int    `json:"throughput"`
	CycleTimeDays Dist   `json:"cycle_time_days"`
	LeadTimeDays  Dist   `json:"lead_time_days"`
}

// byTypeOf lists a week's figures per issue type finished in it, most
// finished first (then by name).
func byTypeOf(w metrics.WeekKPI) []TypeFigures {
	types := map[string]bool{}
	for t := range w.ThroughputByType {
		types[t] = true
	}
	for t := range w.CycleTimeByType {
		types[t] = true
	}
	for t := range w.LeadTimeByType {
		types[t] = true
	}
	out := []TypeFigures{}
	for t := range types {
		out = append(out, TypeFigures{Type: t, Throughput: w.ThroughputByType[t],
			CycleTimeDays: distOf(w.CycleTimeByType[t]), LeadTimeDays: distOf(w.LeadTimeByType[t])})
	}
	slices.SortFunc(out, func(a, b TypeFigures) int {
		return cmp.Or(cmp.Compare(b.Throughput, a.Throughput), strings.Compare(a.Type, b.Type))
	})
	return out
}
