package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/jira/jirasim"
)

// figures are board totals read back from the snapshots `analyzer compute`
// wrote: sums over the weekly snapshots, and counts over the sprint ones.
type figures struct {
	throughput, cycleCount int
	cycleDays              float64 // Σ count × mean of the weekly cycle times
	defects, escaped       int
	goalIssueSprints       int // sprints whose goal is decided by goal issues
}

func readFigures(t *testing.T, dsn string) figures {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var f figures
	if err := db.QueryRow(`SELECT coalesce(sum((data->>'throughput')::int), 0), coalesce(sum((data->'cycle_time'->>'count')::int), 0),
		coalesce(sum((data->'cycle_time'->>'count')::float8 * (data->'cycle_time'->>'mean')::float8), 0),
		coalesce(sum((data->>'defects_found')::int), 0), coalesce(sum((data->>'escaped_defects')::int), 0) FROM kpi_week`).
		Scan(&f.throughput, &f.cycleCount, &f.cycleDays, &f.defects, &f.escaped); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM kpi_sprint WHERE data->>'goal_method' = 'goal-issues'`).Scan(&f.goalIssueSprints); err != nil {
		t.Fatal(err)
	}
	return f
}

// `analyzer sync` and `analyzer compute` run as commands against the Jira
// simulator and a real database, and every metrics key of the config file
// reaches the figures: changing cycle_start, cycle_end, the escape rule's
// field and values, or the sprint-goal label changes what is stored.
func TestSyncAndComputeCommandsFollowTheConfig(t *testing.T) {
	ctx := context.Background()
	dsn := newDB(t)
	sim, srv := jirasim.NewTestServer(t, jirasim.Config{Issues: 200, Teams: 1, Seed: 3})
	truth, err := sim.Truth()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": dsn}
	// config writes the file: one Cloud site with the statuses block given,
	// and the metrics block given. The label rule names a label no issue
	// has, so that only the field rule under test can make a bug escaped.
	config := func(statuses, metrics string) string {
		body := fmt.Sprintf("jira:\n  sites:\n    - id: acme\n      url: %s\n      flavor: cloud\n      email: sim@example.com\n      token: sim-token\n", srv.URL)
		if statuses != "" {
			body += "      statuses:\n" + statuses
		}
		body += "metrics:\n  escaped_defects:\n    labels: [no-such-label]\n" + metrics
		return writeFile(t, "c.yaml", body)
	}
	run := func(cfg string, args ...string) string {
		t.Helper()
		m, out, _, err := newTestMain(t, env, append([]string{"--config", cfg}, args...)...)
		if err == nil {
			err = m.Run(ctx)
		}
		if err != nil {
			t.Fatalf("analyzer %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out.String()
	}

	base := config("", "    field: environment\n    values: [Production]\n")
	// 200 issues on one board less its 2 epics (on no scrum board).
	if out, want := run(base, "sync"), fmt.Sprintf(" %d issue(s),", truth.BoardIssues); !strings.HasPrefix(out, "synced 1 board(s),") || !strings.Contains(out, want) || truth.BoardIssues != 198 {
		t.Fatalf("sync printed %q, want 1 board and%s (198)", out, want)
	}
	out := run(base, "compute")
	if !strings.Contains(out, "computed 1 board(s)") {
		t.Fatalf("compute printed %q, want one board computed", out)
	}
	f0 := readFigures(t, dsn)
	// The simulator's production bugs have Environment "Production": every
	// one escaped (all were created within the weeks computed), no other.
	if f0.escaped != len(truth.EscapedBugs) || f0.defects != truth.Bugs || f0.escaped == 0 || f0.throughput == 0 {
		t.Fatalf("base: %+v; want %d escaped of %d bugs found (the truth), some throughput", f0, len(truth.EscapedBugs), truth.Bugs)
	}
	if f0.goalIssueSprints != 0 {
		t.Errorf("base: %d sprints decided by goal issues, want 0 (no issue has the label sprint-goal)", f0.goalIssueSprints)
	}

	t.Run("CycleStart", func(t *testing.T) {
		// Starting at In Review instead of at any in-progress status: the
		// same issues finish (throughput unchanged) but cycles start later
		// or not at all (issues that skipped review), so the summed cycle
		// days drop.
		run(config("        cycle_start: [In Review]\n", "    field: environment\n    values: [Production]\n"), "compute")
		f := readFigures(t, dsn)
		if f.throughput != f0.throughput || f.cycleDays >= f0.cycleDays || f.cycleCount > f0.cycleCount {
			t.Errorf("cycle_start [In Review]: %+v; want throughput %d, fewer than %.2f cycle days, at most %d cycles", f, f0.throughput, f0.cycleDays, f0.cycleCount)
		}
	})
	t.Run("CycleEnd", func(t *testing.T) {
		// Ending at In Review: an issue counts as done only while its
		// current status is an end status, so only the issues sitting in
		// review now finish: fewer than with the done statuses.
		run(config("        cycle_end: [In Review]\n", "    field: environment\n    values: [Production]\n"), "compute")
		f := readFigures(t, dsn)
		if f.throughput >= f0.throughput {
			t.Errorf("cycle_end [In Review]: throughput %d, want fewer than %d", f.throughput, f0.throughput)
		}
	})
	t.Run("EscapeField", func(t *testing.T) {
		// The priority field holds {"name": "Highest", …}: by field id and
		// a value no bug has, nothing escaped; with Highest, some did.
		run(config("", "    field: priority\n    values: [No Such Priority]\n"), "compute")
		if f := readFigures(t, dsn); f.escaped != 0 || f.defects != f0.defects {
			t.Errorf("priority = No Such Priority: %d escaped of %d, want 0 of %d", f.escaped, f.defects, f0.defects)
		}
		run(config("", "    field: priority\n    values: [Highest]\n"), "compute")
		if f := readFigures(t, dsn); f.escaped == 0 || f.escaped >= f.defects {
			t.Errorf("priority = Highest: %d escaped of %d, want some but not all", f.escaped, f.defects)
		}
	})
	t.Run("EscapeLabels", func(t *testing.T) {
		// The label rule alone (the field rule matching nothing): the
		// production bugs carry the label "production".
		cfg := writeFile(t, "labels.yaml", fmt.Sprintf("jira:\n  sites:\n    - id: acme\n      url: %s\n      flavor: cloud\n      email: sim@example.com\n      token: sim-token\n"+
			"metrics:\n  escaped_defects:\n    labels: [Production]\n    field: priority\n    values: [No Such Priority]\n", srv.URL))
		run(cfg, "compute")
		if f := readFigures(t, dsn); f.escaped != len(truth.EscapedBugs) {
			t.Errorf("labels [Production]: %d escaped, want the truth's %d", f.escaped, len(truth.EscapedBugs))
		}
	})
	t.Run("SprintGoalLabel", func(t *testing.T) {
		// A label carried by some issues of most sprints (the simulator
		// labels issues backend, frontend, …): those sprints' goals are now
		// decided by their goal issues.
		run(config("", "    field: environment\n    values: [Production]\n  sprint_goal:\n    label: backend\n"), "compute")
		if f := readFigures(t, dsn); f.goalIssueSprints == 0 {
			t.Errorf("sprint_goal.label backend: no sprint decided by goal issues")
		}
	})
}
