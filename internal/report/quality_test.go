package report

import (
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// The sync's and the metrics' new data-quality counts reach the report with
// a plain-language note each.
func TestQualityNotesForSkippedInvalidAndDropped(t *testing.T) {
	q := metrics.DataQuality{InvalidEstimates: 2, SkippedIssues: 1, SkippedIssueKeys: []string{"PHX-3"},
		ChangelogDropped: 3, ChangelogDroppedIssues: 1}
	d := qualityOf(q, metrics.UnitPoints)
	if d.InvalidEstimates != 2 || d.SkippedIssues != 1 || d.SkippedIssueKeys[0] != "PHX-3" || d.ChangelogDropped != 3 {
		t.Fatalf("counts not carried over: %+v", d)
	}
	notes := strings.Join(d.Notes, "\n")
	for _, want := range []string{
		"2 issues have an estimate that is not a usable number",
		"1 issue could not be stored by the sync (no usable created date or id) and counts in no figure: PHX-3.",
		"3 changelog entries with an unreadable timestamp were left out of 1 issue's history: its cycle time may be off.",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if clean := qualityOf(metrics.DataQuality{}, metrics.UnitPoints); len(clean.Notes) != 0 || clean.SkippedIssueKeys == nil {
		t.Errorf("a clean board: notes %v, keys %v (want none, and [] not null in JSON)", clean.Notes, clean.SkippedIssueKeys)
	}
}

// A status whose category metrics could not find is named in a note, with
// the flag metrics set.
func TestQualityNoteForUnknownStatusCategory(t *testing.T) {
	q := metrics.DataQuality{UnknownCategoryStatusIDs: []string{"10500", "10501"}, Flags: []string{metrics.FlagStatusCategoryUnknown}}
	d := qualityOf(q, metrics.UnitPoints)
	want := "2 statuses have no known category (10500, 10501): not in the site's status list, nobody's current status, on no board column; time in them counts as neither to do, in progress nor done."
	if !strings.Contains(strings.Join(d.Notes, "\n"), want) || len(d.Flags) != 1 || d.Flags[0] != metrics.FlagStatusCategoryUnknown {
		t.Errorf("notes %q, flags %v; want %q and the flag", d.Notes, d.Flags, want)
	}
}
