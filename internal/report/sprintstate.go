package report

import (
	"fmt"
	"time"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// Sprint states of the report (Sprint.Status).
const (
	SprintClosed     = "closed"      // completed in Jira: its figures and goal verdict are final
	SprintInProgress = "in_progress" // running within its planned dates: figures so far, no goal verdict
	SprintOverdue    = "overdue"     // running past its planned end: figures so far, no goal verdict
)

// idleMinWeeks is how many weeks in a row without activity make a board
// "idle" in the callouts (docs/report-schema.md#callout-callouts).
const idleMinWeeks = 3

// sprintStatus settles a sprint's state as of ref, the last instant the
// report covers (the week's end, or the generation time for a week not over
// yet): a running sprint is in progress until the day after its planned
// end, and overdue by the whole days (in the report time zone) from its
// planned end date to ref's date after that.
func sprintStatus(k metrics.SprintKPI, ref time.Time, loc *time.Location) (status string, overdueDays int) {
	if !k.Partial {
		return SprintClosed, 0
	}
	if k.EndDate == nil {
		return SprintInProgress, 0
	}
	if d := daysBetween(k.EndDate.In(loc), ref.In(loc)); d > 0 {
		return SprintOverdue, d
	}
	return SprintInProgress, 0
}

// daysBetween counts calendar days from a's date to b's date (both in their
// own location), negative when b is earlier.
func daysBetween(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 12, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 12, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

// sprintStateText is what the sprint table says after a running sprint's
// name: "" for a closed sprint.
func sprintStateText(s Sprint) string {
	switch s.Status {
	case SprintInProgress:
		return "running"
	case SprintOverdue:
		return "overdue by " + plural(s.OverdueDays, "day", "days")
	}
	return ""
}

// sprintGoalText is a sprint's goal cell: the verdict of a closed sprint
// ("met", "not met", "—") with the goal text, "in progress" for a running one.
func sprintGoalText(s Sprint) string {
	verdict := fmtGoal(s.GoalMet)
	if s.Status != SprintClosed {
		verdict = "in progress"
	}
	if s.Goal == "" {
		return verdict
	}
	if s.GoalMet == nil && s.Status == SprintClosed {
		return s.Goal
	}
	return verdict + ": " + s.Goal
}

func ruleSprintOverdue(f teamFacts, base string) *Callout {
	s := f.running
	if s == nil || s.Status != SprintOverdue {
		return nil
	}
	text := fmt.Sprintf("%s was planned to end on %s and is not closed: overdue by %s. Its figures are so far; "+
		"velocity and the goal are settled when it is closed in Jira.", s.Name, s.EndDate, plural(s.OverdueDays, "day", "days"))
	return &Callout{Severity: SeverityWarn, Text: text, Definition: link(base, "sprint")}
}

// idleWeek: nothing finished, reopened or found, and WIP and the backlog
// the same as the week before.
func idleWeek(w, prev metrics.WeekKPI) bool {
	return w.Throughput == 0 && w.Reopened == 0 && w.DefectsFound == 0 &&
		w.WIP == prev.WIP && w.Backlog.Items == prev.Backlog.Items
}

func ruleIdle(f teamFacts, base string) *Callout {
	if f.cur == nil {
		return nil
	}
	n := 0
	for {
		w, ok := f.byWeek[f.week.Add(-n)]
		prev, okPrev := f.byWeek[f.week.Add(-n-1)]
		if !ok || !okPrev || !idleWeek(w, prev) {
			break
		}
		n++
	}
	if n < idleMinWeeks {
		return nil
	}
	text := fmt.Sprintf("No activity on this board for %d weeks (%s to %s): nothing finished or reopened, no defect found, "+
		"WIP unchanged at %d and the backlog at %s. Check that the board is still in use and its data still syncs.",
		n, f.week.Add(-(n - 1)), f.week, f.cur.WIP, plural(f.cur.Backlog.Items, "item", "items"))
	return &Callout{Severity: SeverityWarn, Text: text, Definition: link(base, "weekly")}
}
