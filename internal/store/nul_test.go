package store_test

import (
	"context"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/outcomes"
	"github.com/backlog-health/analyzer/internal/store"
)

// PostgreSQL text cannot hold NUL and jsonb refuses \u0000: a NUL in any
// text Jira or a user sends (a sprint name or goal, a board or column name,
// a status name, a server title, an outcome metric, an error message) used
// to fail its board, or for a status the whole site, on every run. Every
// text is stored with U+FFFD in its place.
func TestNULInEveryTextIsStored(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	if err := s.SiteUpsert(ctx, store.Site{ID: "s", BaseURL: "http://j", Flavor: analyzer.FlavorCloud, ServerTitle: "Jira\x00"}); err != nil {
		t.Fatalf("site: %v", err)
	}
	if err := s.StatusUpsertMany(ctx, "s", []analyzer.Status{{ID: "1", Name: "In\x00Progress", CategoryKey: "indeterminate"}}); err != nil {
		t.Fatalf("status: %v", err)
	}
	b := analyzer.Board{SiteID: "s", ID: 7, Name: "Team\x00A", Type: "scrum", ProjectKey: "TA",
		Columns: []analyzer.Column{{Name: "Do\x00ne", StatusIDs: []string{"1"}}}}
	if err := s.BoardUpsert(ctx, b); err != nil {
		t.Fatalf("board: %v", err)
	}
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	if err := s.SprintUpsertMany(ctx, []analyzer.Sprint{{SiteID: "s", ID: 70, BoardID: 7, Name: "Sprint\x001", State: "active", Goal: "ship\x00it", StartDate: &start}}); err != nil {
		t.Fatalf("sprint: %v", err)
	}
	if err := s.OutcomeUpsertMany(ctx, []outcomes.Value{{Metric: "mrr\x00", Date: start, Value: 1, Source: "csv\x00"}}); err != nil {
		t.Fatalf("outcome: %v", err)
	}
	if err := s.SyncStateSetError(ctx, "s", 7, "jira said \x00"); err != nil {
		t.Fatalf("sync error: %v", err)
	}
	for q, want := range map[string]string{
		`SELECT server_title FROM jira_sites`:                  "Jira\uFFFD",
		`SELECT name FROM statuses`:                            "In\uFFFDProgress",
		`SELECT name FROM boards`:                              "Team\uFFFDA",
		`SELECT columns->0->>'name' FROM boards`:               "Do\uFFFDne",
		`SELECT name || '|' || goal FROM sprints`:              "Sprint\uFFFD1|ship\uFFFDit",
		`SELECT metric || '|' || source FROM outcome_values`:   "mrr\uFFFD|csv\uFFFD",
		`SELECT last_error FROM sync_state WHERE board_id = 7`: "jira said \uFFFD",
	} {
		var got string
		if err := s.DB().GetContext(ctx, &got, q); err != nil || got != want {
			t.Errorf("%s: %q (%v), want %q", q, got, err, want)
		}
	}
}
