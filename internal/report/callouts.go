package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// Thresholds of the callout rules. A rule fires only on a change large in
// both relative and absolute terms, so that small teams do not get a callout
// for every one-issue wobble.
const (
	sayDoDelta        = 0.10 // say/do moved by ≥ 10 percentage points vs the previous-4 mean
	cycleRiseFactor   = 1.25 // cycle time p85 ≥ 125 % of the previous-4 mean …
	cycleFallFactor   = 0.80 // … or ≤ 80 % of it
	cycleMinDeltaDays = 1.0  // … and moved by ≥ 1 day
	throughputFactor  = 0.30 // throughput moved by ≥ 30 % of the previous-4 mean …
	throughputMinDiff = 2.0  // … and by ≥ 2 issues
	wipFactor         = 1.5  // WIP ≥ 150 % of the 12-week median …
	wipMinDiff        = 3.0  // … and ≥ 3 items above it
	wipMinSamples     = 4    // weeks of baseline needed before WIP is judged
	maxKeysListed     = 5
)

// teamFacts are the comparisons the health table and callouts share.
type teamFacts struct {
	unit      string
	cur       *metrics.WeekKPI   // the report week; nil when absent
	prev      []metrics.WeekKPI  // up to 4 weeks before it, most recent first
	base      []metrics.WeekKPI  // up to 12 weeks before it, most recent first
	last      *metrics.SprintKPI // the latest closed sprint
	prevSpr   []metrics.SprintKPI
	baseSpr   []metrics.SprintKPI
	carryOver *CarryOver
	running   *Sprint // the team's running sprint in the report, nil when none
	week      ISOWeek
	byWeek    map[ISOWeek]metrics.WeekKPI
}

func factsOf(week ISOWeek, byWeek map[ISOWeek]metrics.WeekKPI, closed []metrics.SprintKPI, unit string) teamFacts {
	f := teamFacts{unit: unit, week: week, byWeek: byWeek}
	if w, ok := byWeek[week]; ok {
		f.cur = &w
	}
	for i := 1; i <= BaselineWeeks; i++ {
		if w, ok := byWeek[week.Add(-i)]; ok {
			if i <= PreviousWeeks {
				f.prev = append(f.prev, w)
			}
			f.base = append(f.base, w)
		}
	}
	if n := len(closed); n > 0 {
		f.last = &closed[n-1]
		f.prevSpr = closed[max(0, n-1-PreviousWeeks) : n-1]
		f.baseSpr = closed[max(0, n-1-BaselineSprints) : n-1]
	}
	return f
}

// rowDef describes one figure of the health table, read from a week (T =
// metrics.WeekKPI) or a sprint (T = metrics.SprintKPI).
type rowDef[T any] struct {
	metric, label, kind, better, def string
	val                              func(T) (float64, bool)
}

var weekRows = []rowDef[metrics.WeekKPI]{
	{"throughput", "Throughput (issues done)", "count", "higher", "throughput",
		func(w metrics.WeekKPI) (float64, bool) { return float64(w.Throughput), true }},
	{"wip", "WIP at week end", "count", "lower", "wip",
		func(w metrics.WeekKPI) (float64, bool) { return float64(w.WIP), true }},
	{"cycle_time_p85", "Cycle time p85 (days)", "days", "lower", "cycle_time",
		func(w metrics.WeekKPI) (float64, bool) { return w.CycleTime.P85, w.CycleTime.Count > 0 }},
	{"lead_time_p85", "Lead time p85 (days)", "days", "lower", "lead_time",
		func(w metrics.WeekKPI) (float64, bool) { return w.LeadTime.P85, w.LeadTime.Count > 0 }},
	{"escaped_defects", "Escaped defects", "count", "lower", "escaped_defects",
		func(w metrics.WeekKPI) (float64, bool) { return float64(w.EscapedDefects), true }},
}

var sprintRows = []rowDef[metrics.SprintKPI]{
	{"say_do", "Say/do (latest sprint)", "ratio", "higher", "say_do",
		func(k metrics.SprintKPI) (float64, bool) { return deref(k.SayDo) }},
	{"completed", "Completed (latest sprint)", "points", "", "velocity",
		func(k metrics.SprintKPI) (float64, bool) { return k.Completed, true }},
	{"scope_change", "Scope change (latest sprint)", "ratio", "lower", "scope_change",
		func(k metrics.SprintKPI) (float64, bool) { return deref(k.ScopeChange) }},
}

func deref(p *float64) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return *p, true
}

func collect[T any](xs []T, val func(T) (float64, bool)) []float64 {
	var out []float64
	for _, x := range xs {
		if v, ok := val(x); ok {
			out = append(out, v)
		}
	}
	return out
}

func healthRows(f teamFacts, base string) []HealthRow {
	rows := appendHealthRows([]HealthRow{}, weekRows, PeriodWeek, f.cur, f.prev, f.base, base)
	return appendHealthRows(rows, sprintRows, PeriodSprint, f.last, f.prevSpr, f.baseSpr, base)
}

// appendHealthRows adds one row per definition: the current value against
// the mean of prev and the median of baseline.
func appendHealthRows[T any](rows []HealthRow, defs []rowDef[T], period string, cur *T, prev, baseline []T, docs string) []HealthRow {
	for _, d := range defs {
		r := HealthRow{Metric: d.metric, Label: d.label, Kind: d.kind, Period: period, Better: d.better,
			Trend: TrendNA, Definition: link(docs, d.def)}
		if cur != nil {
			if v, ok := d.val(*cur); ok {
				r.Current = ptr(v)
			}
		}
		p, b := collect(prev, d.val), collect(baseline, d.val)
		r.Previous4, r.Previous4N = mean(p), len(p)
		r.Baseline, r.BaselineN = median(b), len(b)
		if r.Current != nil && r.Previous4 != nil {
			r.Trend = trend(*r.Current, *r.Previous4)
		}
		rows = append(rows, r)
	}
	return rows
}

// calloutRule looks at a team's facts and says something, or nothing.
type calloutRule struct {
	name string
	fn   func(f teamFacts, base string) *Callout
}

// calloutRules run in this order; Callouts are then ordered by severity
// (warn, good, info), keeping this order within a severity.
var calloutRules = []calloutRule{
	{"say_do_change", ruleSayDo},
	{"goal_missed", ruleGoalMissed},
	{"cycle_time_change", ruleCycleTime},
	{"throughput_change", ruleThroughput},
	{"escaped_defects", ruleEscaped},
	{"wip_high", ruleWIP},
	{"carry_over_repeated", ruleCarryOver},
	{"sprint_overdue", ruleSprintOverdue},
	{"idle", ruleIdle},
}

func callouts(f teamFacts, base string) []Callout {
	out := []Callout{}
	for _, r := range calloutRules {
		if c := r.fn(f, base); c != nil {
			c.Rule = r.name
			out = append(out, *c)
		}
	}
	if len(out) == 0 && f.cur != nil {
		out = append(out, Callout{Rule: "steady", Severity: SeverityInfo, Definition: link(base, "weekly"),
			Text: "No notable change this week against the previous 4 weeks and sprints."})
	}
	rank := map[string]int{SeverityWarn: 0, SeverityGood: 1, SeverityInfo: 2}
	slices.SortStableFunc(out, func(a, b Callout) int { return cmp.Compare(rank[a.Severity], rank[b.Severity]) })
	return out
}

// over names the comparison window: "the previous 4 sprints", "the previous sprint".
func over(n int, what string) string {
	if n == 1 {
		return "the previous " + what
	}
	return fmt.Sprintf("the previous %d %ss", n, what)
}

func ruleSayDo(f teamFacts, base string) *Callout {
	if f.last == nil || f.last.SayDo == nil {
		return nil
	}
	prev := collect(f.prevSpr, func(k metrics.SprintKPI) (float64, bool) { return deref(k.SayDo) })
	if len(prev) == 0 {
		return nil
	}
	cur, m := *f.last.SayDo, *mean(prev)
	var verb, sev string
	switch {
	case cur <= m-sayDoDelta:
		verb, sev = "fell", SeverityWarn
	case cur >= m+sayDoDelta:
		verb, sev = "rose", SeverityGood
	default:
		return nil
	}
	text := fmt.Sprintf("Say/do %s to %s in %s, from %s on average over %s", verb, fmtPct(cur), f.last.Name, fmtPct(m), over(len(prev), "sprint"))
	// Scope changes happened in the same sprint; they are stated beside the
	// drop, not as its cause (say/do leaves additions out of both sides).
	switch a, r := f.last.Added, f.last.Removed; {
	case a > 0 && r > 0:
		text += fmt.Sprintf(", while %s %s added and %s removed mid-sprint", fmtQty(a, f.unit), wasWere(a), fmtQty(r, f.unit))
	case a > 0:
		text += fmt.Sprintf(", while %s %s added mid-sprint", fmtQty(a, f.unit), wasWere(a))
	case r > 0:
		text += fmt.Sprintf("; %s %s removed mid-sprint and still count%s as committed", fmtQty(r, f.unit), wasWere(r), map[bool]string{true: "s"}[fmtNum(r) == "1"])
	}
	return &Callout{Severity: sev, Text: text + ".", Definition: link(base, "say_do")}
}

func ruleGoalMissed(f teamFacts, base string) *Callout {
	if f.last == nil || f.last.GoalMet == nil || *f.last.GoalMet {
		return nil
	}
	text := f.last.Name + " did not meet its goal"
	if g := strings.TrimSpace(f.last.Goal); g != "" {
		text += " “" + g + "”"
	}
	switch f.last.GoalMethod {
	case metrics.GoalByIssues:
		text += ": not every goal issue was done at completion"
	case metrics.GoalByThreshold:
		text += ": no goal issues are marked, so it is judged by say/do"
		if f.last.SayDo != nil {
			text += " (" + fmtPct(*f.last.SayDo) + ")"
		}
	}
	return &Callout{Severity: SeverityWarn, Text: text + ".", Definition: link(base, "goal")}
}

func ruleCycleTime(f teamFacts, base string) *Callout {
	if f.cur == nil || f.cur.CycleTime.Count == 0 {
		return nil
	}
	prev := collect(f.prev, func(w metrics.WeekKPI) (float64, bool) { return w.CycleTime.P85, w.CycleTime.Count > 0 })
	if len(prev) == 0 {
		return nil
	}
	cur, m := round1(f.cur.CycleTime.P85), round1(*mean(prev))
	var verb, sev string
	switch {
	case cur >= m*cycleRiseFactor && cur-m >= cycleMinDeltaDays:
		verb, sev = "rose", SeverityWarn
	case cur <= m*cycleFallFactor && m-cur >= cycleMinDeltaDays:
		verb, sev = "fell", SeverityGood
	default:
		return nil
	}
	text := fmt.Sprintf("Cycle time p85 %s from %s days (average of %s) to %s days this week (%s finished).",
		verb, fmtDays(m), over(len(prev), "week"), fmtDays(cur), plural(f.cur.CycleTime.Count, "issue", "issues"))
	return &Callout{Severity: sev, Text: text, Definition: link(base, "cycle_time")}
}

func ruleThroughput(f teamFacts, base string) *Callout {
	if f.cur == nil || len(f.prev) == 0 {
		return nil
	}
	m := *mean(collect(f.prev, func(w metrics.WeekKPI) (float64, bool) { return float64(w.Throughput), true }))
	cur := float64(f.cur.Throughput)
	var verb, sev string
	switch {
	case cur <= m*(1-throughputFactor) && m-cur >= throughputMinDiff:
		verb, sev = "fell", SeverityWarn
	case cur >= m*(1+throughputFactor) && cur-m >= throughputMinDiff:
		verb, sev = "rose", SeverityGood
	default:
		return nil
	}
	text := fmt.Sprintf("Throughput %s to %s this week, from %s on average over %s.",
		verb, plural(f.cur.Throughput, "issue", "issues"), fmtNum(m), over(len(f.prev), "week"))
	return &Callout{Severity: sev, Text: text, Definition: link(base, "throughput")}
}

func ruleEscaped(f teamFacts, base string) *Callout {
	if f.cur == nil || f.cur.EscapedDefects == 0 {
		return nil
	}
	text := plural(f.cur.EscapedDefects, "escaped defect", "escaped defects") + " this week"
	if len(f.prev) > 0 {
		n := 0
		for _, w := range f.prev {
			n += w.EscapedDefects
		}
		text += fmt.Sprintf(" (%d in %s)", n, over(len(f.prev), "week"))
	}
	if keys := f.cur.EscapedDefectKeys; len(keys) > 0 {
		text += ": " + listKeys(keys)
	}
	return &Callout{Severity: SeverityWarn, Text: text + ".", Definition: link(base, "escaped_defects")}
}

func ruleWIP(f teamFacts, base string) *Callout {
	if f.cur == nil {
		return nil
	}
	b := collect(f.base, func(w metrics.WeekKPI) (float64, bool) { return float64(w.WIP), true })
	if len(b) < wipMinSamples {
		return nil
	}
	med, cur := *median(b), float64(f.cur.WIP)
	if cur < med*wipFactor || cur-med < wipMinDiff {
		return nil
	}
	text := fmt.Sprintf("WIP is %s at the week's end, above the team's usual %s (median of %s).",
		plural(f.cur.WIP, "item", "items"), fmtNum(med), over(len(b), "week"))
	return &Callout{Severity: SeverityWarn, Text: text, Definition: link(base, "wip")}
}

func ruleCarryOver(f teamFacts, base string) *Callout {
	c := f.carryOver
	if c == nil || c.Issues2Plus == 0 {
		return nil
	}
	verb := "have"
	if c.Issues2Plus == 1 {
		verb = "has"
	}
	text := fmt.Sprintf("%s in %s %s been carried over two or more sprints in a row: %s.",
		plural(c.Issues2Plus, "issue", "issues"), c.SprintName, verb, listKeys(c.Keys2Plus))
	return &Callout{Severity: SeverityWarn, Text: text, Definition: link(base, "carry_over")}
}

func wasWere(x float64) string {
	if fmtNum(x) == "1" {
		return "was"
	}
	return "were"
}

func listKeys(keys []string) string {
	if len(keys) <= maxKeysListed {
		return strings.Join(keys, ", ")
	}
	return strings.Join(keys[:maxKeysListed], ", ") + fmt.Sprintf(" and %d more", len(keys)-maxKeysListed)
}
