package jirasim

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	jira "github.com/andygrunwald/go-jira"
)

// TestEvalSprintHandBuilt checks the velocity semantics on issues built by
// hand. Sprint 1 runs S = Jan 6 09:00 to C = Jan 17 17:00; done column = Done.
func TestEvalSprintHandBuilt(t *testing.T) {
	S := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	C := time.Date(2025, 1, 17, 17, 0, 0, 0, time.UTC)
	day := func(d int, h int) time.Time { return S.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour) }
	nan := math.NaN()
	mk := func(key string, typ issueType, created time.Time, init []int64, est float64, hs ...history) *simIssue {
		n, _ := strconv.Atoi(strings.TrimPrefix(key, "X-"))
		return &simIssue{idx: n, typ: typ, created: created, initSprints: init, initEst: est, hist: hs}
	}
	h := func(at time.Time, items ...item) history { return history{at: at, items: items} }
	status := func(from, to int) item { return item{kind: kStatus, from: from, to: to} }
	sprint := func(from, to []int64) item { return item{kind: kSprint, fromS: from, toS: to} }
	estimate := func(from, to float64) item { return item{kind: kEstimate, fromE: from, toE: to} }
	one := []int64{1}

	issues := []*simIssue{
		// created straight into the sprint before start, 3 points, done.
		mk("X-1", typeStory, day(-1, 0), one, 3, h(day(1, 0), status(stToDo, stInProgress)), h(day(3, 0), status(stInProgress, stDone))),
		// joined before start at 5, re-estimated to 8 mid-sprint, done.
		mk("X-2", typeStory, day(-5, 0), nil, 5, h(day(-1, 0), sprint(nil, one)), h(day(2, 0), estimate(5, 8)), h(day(6, 0), status(stToDo, stDone))),
		// joined before start at 2, removed mid-sprint.
		mk("X-3", typeTask, day(-5, 0), nil, 2, h(day(-1, 0), sprint(nil, one)), h(day(4, 0), sprint(one, nil))),
		// added mid-sprint at 1 point, done.
		mk("X-4", typeBug, day(-3, 0), nil, 1, h(day(2, 0), sprint(nil, one)), h(day(5, 0), status(stToDo, stDone))),
		// done in the backlog, then put in the sprint before start (completed outside), 5 points.
		mk("X-5", typeStory, day(-9, 0), nil, 5, h(day(-8, 0), status(stToDo, stDone)), h(day(-1, 0), sprint(nil, one))),
		// sub-task with 3 points in the sprint at start, done: no points.
		mk("X-6", typeSubtask, day(-1, 2), one, 3, h(day(4, 0), status(stToDo, stDone))),
		// joined at 3, unfinished, carried into sprint 2 after completion.
		mk("X-7", typeStory, day(-5, 0), nil, 3, h(day(-1, 0), sprint(nil, one)), h(day(3, 0), status(stToDo, stInProgress)), h(C.Add(time.Minute), sprint(one, []int64{1, 2}))),
		// unestimated story in scope.
		mk("X-8", typeStory, day(-1, 0), one, nan),
		// never in sprint 1.
		mk("X-9", typeStory, day(-1, 0), []int64{2}, 8),
	}
	st := SprintTruth{Start: S, End: C}
	evalSprint(&st, 1, issues, func(s int) bool { return s == stDone }, func(is *simIssue) string { return fmt.Sprintf("X-%d", is.idx) })

	// Scope at start, X-8 (X-5 was done, X-4 came later).
	if want := []string{"X-1", "X-2", "X-3", "X-6", "X-7", "X-8"}; !slices.Equal(st.ScopeAtStart, want) {
		t.Errorf("scope %v, want %v", st.ScopeAtStart, want)
	}
	// Committed: start estimates X-1 3 + X-2 5 + X-3 2 + X-7 3 = 13 (X-6 is a
	// sub-task, X-8 unestimated, X-3 counts although removed).
	if st.Committed != 13 {
		t.Errorf("committed %v, want 13", st.Committed)
	}
	// Completed: completion estimates X-1 3 + X-2 8 + X-4 1 = 12.
	if st.Completed != 12 || !slices.Equal(st.CompletedKeys, []string{"X-1", "X-2", "X-4", "X-6"}) {
		t.Errorf("completed %v %v, want 12 [X-1 X-2 X-4 X-6]", st.Completed, st.CompletedKeys)
	}
	// Say/do numerator: start estimates of committed issues done: X-1 3 + X-2 5 = 8.
	if st.CommittedDone != 8 {
		t.Errorf("committed done %v, want 8", st.CommittedDone)
	}
	if !slices.Equal(st.Added, []string{"X-4"}) || !slices.Equal(st.Removed, []string{"X-3"}) || !slices.Equal(st.CompletedOutside, []string{"X-5"}) {
		t.Errorf("added %v removed %v outside %v", st.Added, st.Removed, st.CompletedOutside)
	}
	if st.UnestimatedScope != 1 {
		t.Errorf("unestimated %d, want 1 (X-8)", st.UnestimatedScope)
	}
	// Re-estimated in the sprint: X-2, 5 → 8, delta +3.
	if !slices.Equal(st.EstimateChanged, []string{"X-2"}) || st.EstimateDelta != 3 {
		t.Errorf("estimate changed %v delta %v, want [X-2] 3", st.EstimateChanged, st.EstimateDelta)
	}
}

func TestIssueTimesReopened(t *testing.T) {
	c := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	is := &simIssue{typ: typeStory, created: c, hist: []history{
		{at: c.Add(24 * time.Hour), items: []item{{kind: kStatus, from: stToDo, to: stInProgress}}},
		{at: c.Add(48 * time.Hour), items: []item{{kind: kStatus, from: stInProgress, to: stInReview}}},
		{at: c.Add(72 * time.Hour), items: []item{{kind: kStatus, from: stInReview, to: stDone}}},
		{at: c.Add(96 * time.Hour), items: []item{{kind: kStatus, from: stDone, to: stInProgress}}},
		{at: c.Add(120 * time.Hour), items: []item{{kind: kStatus, from: stInProgress, to: stReleased}}},
	}}
	it, ok := issueTimes(is)
	if !ok {
		t.Fatal("issue not done")
	}
	// Cycle: final done (day 5) - first in progress (day 1) = 4 days; lead: 5 days; 1 reopen.
	if *it.CycleSeconds != 4*86400 || it.LeadSeconds != 5*86400 || it.Reopens != 1 {
		t.Errorf("cycle %d lead %d reopens %d", *it.CycleSeconds, it.LeadSeconds, it.Reopens)
	}
	is.hist = is.hist[:4] // reopened and not done again
	if _, ok := issueTimes(is); ok {
		t.Error("an issue back in progress has no cycle time")
	}
}

// TestTruthCoversTheScenarios checks that the default site holds every case
// the analyzer must handle, as the truth sees them.
func TestTruthCoversTheScenarios(t *testing.T) {
	sv, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := sv.Truth()
	if err != nil {
		t.Fatal(err)
	}
	var added, removed, outside, carried, partial, unest int
	var committed, completed float64
	for _, b := range tr.Boards {
		if len(b.Sprints) != 14 { // 13 closed + 1 active
			t.Errorf("board %d: %d sprints in truth", b.BoardID, len(b.Sprints))
		}
		for i, s := range b.Sprints {
			added += len(s.Added)
			removed += len(s.Removed)
			outside += len(s.CompletedOutside)
			committed += s.Committed
			completed += s.Completed
			unest += s.UnestimatedScope
			if s.Partial {
				partial++
			}
			if i > 0 {
				for _, k := range s.ScopeAtStart {
					if slices.Contains(b.Sprints[i-1].ScopeAtStart, k) {
						carried++
					}
				}
			}
			if !s.Partial && s.Completed == 0 {
				t.Errorf("sprint %d completed nothing", s.SprintID)
			}
		}
	}
	reopened, withCycle := 0, 0
	for _, it := range tr.IssueTimes {
		if it.Reopens > 0 {
			reopened++
		}
		if it.CycleSeconds != nil {
			withCycle++
			if *it.CycleSeconds <= 0 || *it.CycleSeconds > it.LeadSeconds {
				t.Errorf("%s: cycle %d lead %d", it.Key, *it.CycleSeconds, it.LeadSeconds)
			}
		}
	}
	for name, n := range map[string]int{"added": added, "removed": removed, "completed outside": outside, "carried": carried,
		"partial": partial, "unestimated": unest, "reopened": reopened, "with cycle": withCycle, "escaped": len(tr.EscapedBugs)} {
		if n == 0 {
			t.Errorf("no %s issues in the default site", name)
		}
	}
	if partial != 3 || committed == 0 || completed == 0 || len(tr.EscapedBugs) >= tr.Bugs {
		t.Errorf("partial %d committed %v completed %v escaped %d of %d bugs", partial, committed, completed, len(tr.EscapedBugs), tr.Bugs)
	}
}

// TestTruthMatchesServedJSON rebuilds, from the JSON the DC site serves
// (go-jira decoded, full changelogs), the scope at start and committed points
// of every closed sprint of board 2, with code of its own, and compares to
// Truth: the served changelog must tell the story the model knows.
func TestTruthMatchesServedJSON(t *testing.T) {
	sv, ts := NewTestServer(t, Config{Mode: ModeDC, Teams: 3, Issues: 1500})
	tr, err := sv.Truth()
	if err != nil {
		t.Fatal(err)
	}
	c := dcClient(t, ts.URL)
	var issues []jira.Issue
	for startAt := 0; ; {
		page, resp, err := c.Issue.Search("project = ATL", &jira.SearchOptions{StartAt: startAt, MaxResults: 200, Expand: "changelog",
			Fields: []string{"created", "status", "issuetype", "customfield_10005", "customfield_10002"}})
		if err != nil {
			t.Fatal(err)
		}
		issues = append(issues, page...)
		startAt += len(page)
		if startAt >= resp.Total {
			break
		}
	}
	board := tr.Boards[1]
	done := board.DoneStatusIDs // Done and Released on this board
	type change struct {
		at       time.Time
		from, to string
	}
	checked := 0
	for _, sp := range board.Sprints {
		if sp.Partial {
			continue
		}
		checked++
		var scope, completedKeys []string
		committed, completed := 0.0, 0.0
		for _, is := range issues {
			created := time.Time(is.Fields.Created)
			if created.After(sp.End) {
				continue
			}
			var sprints, statusCh, estCh []change
			for _, h := range is.Changelog.Histories {
				at, _ := time.Parse(jiraTime, h.Created)
				for _, it := range h.Items {
					from, _ := it.From.(string)
					to, _ := it.To.(string)
					switch it.Field {
					case "Sprint":
						sprints = append(sprints, change{at, from, to})
					case "status":
						statusCh = append(statusCh, change{at, from, to})
					case "Story Points":
						estCh = append(estCh, change{at, it.FromString, it.ToString})
					}
				}
			}
			// valueAt: the "to" of the last change at or before t; before any
			// change, the first change's "from"; without changes, now's value.
			valueAt := func(chs []change, t time.Time, now string) string {
				v := now
				for i, ch := range chs {
					if i == 0 {
						v = ch.from
					}
					if !ch.at.After(t) {
						v = ch.to
					}
				}
				return v
			}
			spNow := ""
			vals, _ := is.Fields.Unknowns["customfield_10005"].([]any)
			for _, s := range vals {
				spNow += s.(string)
			}
			inAt := func(t time.Time) bool {
				if created.After(t) {
					return false
				}
				if len(sprints) == 0 {
					return strings.Contains(spNow, fmt.Sprintf("[id=%d,", sp.SprintID))
				}
				return slices.Contains(strings.Split(valueAt(sprints, t, ""), ", "), strconv.FormatInt(sp.SprintID, 10))
			}
			raw, _ := json.Marshal(is.Fields.Unknowns["customfield_10002"])
			estNow := string(raw)
			estAt := func(t time.Time) float64 {
				v, err := strconv.ParseFloat(valueAt(estCh, t, estNow), 64)
				if err != nil {
					return 0
				}
				return v
			}
			doneAt := func(t time.Time) bool { return slices.Contains(done, valueAt(statusCh, t, is.Fields.Status.ID)) }
			outside := inAt(sp.Start) && doneAt(sp.Start)
			if inAt(sp.Start) && !outside {
				scope = append(scope, is.Key)
				if !is.Fields.Type.Subtask {
					committed += estAt(sp.Start)
				}
			}
			if inAt(sp.End) && doneAt(sp.End) && !outside {
				completedKeys = append(completedKeys, is.Key)
				if !is.Fields.Type.Subtask {
					completed += estAt(sp.End)
				}
			}
		}
		slices.SortFunc(completedKeys, compareKeys)
		if !slices.Equal(completedKeys, sp.CompletedKeys) || completed != sp.Completed {
			t.Errorf("sprint %d completed from JSON %v %v\n truth %v %v", sp.SprintID, completed, completedKeys, sp.Completed, sp.CompletedKeys)
		}
		slices.SortFunc(scope, compareKeys)
		if !slices.Equal(scope, sp.ScopeAtStart) {
			t.Errorf("sprint %d scope from JSON %v\n truth %v", sp.SprintID, scope, sp.ScopeAtStart)
		}
		if committed != sp.Committed {
			t.Errorf("sprint %d committed from JSON %v, truth %v", sp.SprintID, committed, sp.Committed)
		}
	}
	if checked < 3 {
		t.Fatalf("only %d closed sprints checked", checked)
	}

	// Cycle and lead times from the served status changes, with categories
	// from /rest/api/2/status.
	var sts []struct {
		ID             string
		StatusCategory struct{ Key string }
	}
	rawGet(t, ModeDC, ts.URL+"/rest/api/2/status", &sts)
	cat := map[string]string{}
	for _, s := range sts {
		cat[s.ID] = s.StatusCategory.Key
	}
	truth := map[string]IssueTruth{}
	for _, it := range tr.IssueTimes {
		truth[it.Key] = it
	}
	matched := 0
	for _, is := range issues {
		var started, doneAt time.Time
		for _, h := range is.Changelog.Histories {
			at, _ := time.Parse(jiraTime, h.Created)
			for _, it := range h.Items {
				if it.Field != "status" {
					continue
				}
				from, _ := it.From.(string)
				to, _ := it.To.(string)
				if cat[to] == "indeterminate" && started.IsZero() {
					started = at
				}
				if cat[to] == "done" && cat[from] != "done" {
					doneAt = at
				}
			}
		}
		want, ok := truth[is.Key]
		if is.Fields.Type.Name == "Epic" {
			// Epics are on no (scrum) board, so the truth leaves them out.
			if ok {
				t.Errorf("epic %s has truth times", is.Key)
			}
			continue
		}
		if cat[is.Fields.Status.ID] != "done" {
			if ok {
				t.Errorf("%s is not done in JSON but has truth times", is.Key)
			}
			continue
		}
		lead := int64(doneAt.Sub(time.Time(is.Fields.Created)) / time.Second)
		if !ok || want.LeadSeconds != lead || (want.CycleSeconds == nil) != started.IsZero() ||
			(want.CycleSeconds != nil && *want.CycleSeconds != int64(doneAt.Sub(started)/time.Second)) {
			t.Errorf("%s: JSON lead %d, truth %+v", is.Key, lead, want)
		}
		matched++
	}
	if matched < 100 {
		t.Errorf("only %d done issues compared", matched)
	}
}

func TestTruthNotForDataDir(t *testing.T) {
	sv, err := New(Config{DataDir: writeTinyDataset(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sv.Truth(); err != ErrNoTruth {
		t.Errorf("err %v, want ErrNoTruth", err)
	}
}
