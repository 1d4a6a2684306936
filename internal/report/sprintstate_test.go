package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// runningSprint returns the Payments fixture with its running sprint 22
// (started Wednesday 2026-11-18, the report week being 2026-W47, Monday
// 16 to Sunday 22 November) judged by metrics as "goal met" at a say/do of
// 97 % so far, as the demo showed on day 1 of a sprint, and planned to end
// on plannedEnd.
func runningSprint(t *testing.T, plannedEnd string) Input {
	in := fixtureInput(t)
	loc := in.Location
	ks := in.Teams[0].Sprints
	k := &ks[len(ks)-1]
	if !k.Partial || k.Name != "PAY Sprint 22" {
		t.Fatalf("fixture: last sprint %s partial=%v", k.Name, k.Partial)
	}
	k.SayDo, k.GoalMet, k.GoalMethod = f64(0.97), yes(true), metrics.GoalByThreshold
	e := day(loc, plannedEnd)
	k.EndDate = &e
	return in
}

func renderBoth(t *testing.T, r *Report) (md, html string) {
	t.Helper()
	var m, h bytes.Buffer
	if err := RenderMarkdown(&m, r); err != nil {
		t.Fatal(err)
	}
	if err := RenderHTML(&h, r); err != nil {
		t.Fatal(err)
	}
	return m.String(), h.String()
}

// A running sprint gets no goal verdict: it is "in progress" with its
// figures so far (say/do 97 % so far), never "met". Its planned end is
// Sunday 2026-11-22, the report week's last day: not overdue yet.
func TestRunningSprintIsInProgress(t *testing.T) {
	r := mustBuild(t, runningSprint(t, "2026-11-22"))
	p := teamByID(t, r, 12)
	s := p.Sprints[len(p.Sprints)-1]
	if s.Status != SprintInProgress || s.GoalMet != nil || s.OverdueDays != 0 {
		t.Errorf("running sprint: status %q, goal_met %v, overdue %d; want in_progress, null, 0", s.Status, s.GoalMet, s.OverdueDays)
	}
	if s.SayDoRatio == nil || *s.SayDoRatio != 0.97 {
		t.Errorf("say/do so far = %v, want 0.97", s.SayDoRatio)
	}
	// Closed sprints keep their verdict: sprint 21 missed its goal.
	if c := p.Sprints[len(p.Sprints)-2]; c.Status != SprintClosed || c.GoalMet == nil || *c.GoalMet {
		t.Errorf("sprint 21: status %q goal_met %v, want closed, false", c.Status, c.GoalMet)
	}
	md, html := renderBoth(t, r)
	for what, doc := range map[string]string{"md": md, "html": html} {
		if !strings.Contains(doc, "in progress: Wallet top-up") {
			t.Errorf("%s: the running sprint's goal cell does not say \"in progress: Wallet top-up\"", what)
		}
		if strings.Contains(doc, "met: Wallet top-up") {
			t.Errorf("%s: the running sprint's goal is judged", what)
		}
	}
	for _, c := range p.Callouts {
		if c.Rule == "sprint_overdue" {
			t.Errorf("callout %q for a sprint within its plan", c.Text)
		}
	}
}

// A sprint past its planned end and not closed is overdue. Planned end
// Wednesday 2026-11-18; the report covers up to Sunday 2026-11-22 (it was
// generated on Monday 23, after the week): 22 − 18 = 4 days overdue.
func TestOverdueSprint(t *testing.T) {
	r := mustBuild(t, runningSprint(t, "2026-11-18"))
	p := teamByID(t, r, 12)
	s := p.Sprints[len(p.Sprints)-1]
	if s.Status != SprintOverdue || s.OverdueDays != 4 || s.GoalMet != nil {
		t.Errorf("sprint 22: status %q overdue %d goal_met %v; want overdue, 4, null", s.Status, s.OverdueDays, s.GoalMet)
	}
	var found bool
	for _, c := range p.Callouts {
		if c.Rule == "sprint_overdue" {
			found = true
			want := "PAY Sprint 22 was planned to end on 2026-11-18 and is not closed: overdue by 4 days. Its figures are so far; velocity and the goal are settled when it is closed in Jira."
			if c.Text != want || c.Severity != SeverityWarn {
				t.Errorf("overdue callout = %s %q\nwant warn %q", c.Severity, c.Text, want)
			}
		}
	}
	if !found {
		t.Errorf("no sprint_overdue callout in %+v", p.Callouts)
	}
	md, html := renderBoth(t, r)
	for what, doc := range map[string]string{"md": md, "html": html} {
		if !strings.Contains(doc, "PAY Sprint 22 (overdue by 4 days)") && !strings.Contains(doc, "PAY Sprint 22 <em>(overdue by 4 days)</em>") {
			t.Errorf("%s: the sprint table does not flag PAY Sprint 22 as overdue by 4 days", what)
		}
	}
	// The same data reported for 2026-W46 (9 to 15 November): sprint 22 had
	// not started, so it is not listed at all.
	in := runningSprint(t, "2026-11-18")
	in.Week = ISOWeek{2026, 46}
	for _, s := range teamByID(t, mustBuild(t, in), 12).Sprints {
		if s.SprintID == 122 {
			t.Errorf("W46 lists sprint 22 (%s)", s.Status)
		}
	}
}

// A board where nothing moved for weeks says so instead of "No notable
// change". Weeks (throughput, WIP, backlog items, defects found):
// W42 4/5/40/0, W43 3/6/41/0, W44 0/5/41/0 (WIP changed), W45–W47 0/5/41/0.
// W45, W46 and W47 are each unchanged from the week before with nothing
// done: 3 idle weeks, the threshold. The throughput rule stays silent
// (previous 4 weeks 3, 0, 0, 0: mean 0.75, a drop below 2 issues).
func TestIdleBoard(t *testing.T) {
	loc := mustLoc(t)
	rows := []cw{{42, 4, 5, 0, 0, 0, nil}, {43, 3, 6, 0, 0, 0, nil}, {44, 0, 5, 0, 0, 0, nil},
		{45, 0, 5, 0, 0, 0, nil}, {46, 0, 5, 0, 0, 0, nil}, {47, 0, 5, 0, 0, 0, nil}}
	team := func(rows []cw) TeamInput {
		ti := calloutTeam(loc, rows, nil)
		for i := range ti.Weeks {
			ti.Weeks[i].Backlog.Items = 41
		}
		ti.Weeks[0].Backlog.Items = 40
		return ti
	}
	build := func(ti TeamInput) []Callout {
		in := Input{Week: ISOWeek{2026, 47}, Location: loc, Now: fixtureNow(loc), Teams: []TeamInput{ti}}
		return mustBuild(t, in).Teams[0].Callouts
	}
	got := build(team(rows))
	want := "No activity on this board for 3 weeks (2026-W45 to 2026-W47): nothing finished or reopened, no defect found, " +
		"WIP unchanged at 5 and the backlog at 41 items. Check that the board is still in use and its data still syncs."
	if len(got) != 1 || got[0].Rule != "idle" || got[0].Text != want {
		t.Errorf("callouts = %+v\nwant one idle callout %q", got, want)
	}
	// One issue finished in W45: only W46 and W47 are idle, below the threshold.
	rows[3].thr = 1
	got = build(team(rows))
	for _, c := range got {
		if c.Rule == "idle" {
			t.Errorf("idle callout with 2 idle weeks: %q", c.Text)
		}
	}
	// A backlog item added in W46 breaks the run too (W47 alone is idle).
	rows[3].thr = 0
	ti := team(rows)
	ti.Weeks[4].Backlog.Items, ti.Weeks[5].Backlog.Items = 42, 42
	for _, c := range build(ti) {
		if c.Rule == "idle" {
			t.Errorf("idle callout although the backlog grew in W46: %q", c.Text)
		}
	}
}
