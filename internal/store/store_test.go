package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/pgtest"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.MainNoLeaks(m)) }

// MustOpenDB returns a store on a fresh, migrated database.
func MustOpenDB(tb testing.TB) *store.Store { return storetest.MustOpen(tb) }

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	if err := s.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaTooOld) {
		t.Fatalf("empty database: CheckSchema = %v, want ErrSchemaTooOld", err)
	}
	n, err := s.Migrate(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != store.LatestVersion() || n < 2 {
		t.Fatalf("applied %d migrations from empty, want all %d", n, store.LatestVersion())
	}
	if err := s.CheckSchema(ctx); err != nil {
		t.Fatalf("after migrate: %v", err)
	}
	// A second run applies nothing.
	if n, err := s.Migrate(ctx, nil); err != nil || n != 0 {
		t.Fatalf("second migrate: applied %d, err %v; want 0, nil", n, err)
	}
	// Down to empty and up again: every down file undoes its up file.
	if err := s.MigrateDown(ctx, store.LatestVersion()); err != nil {
		t.Fatal(err)
	}
	var tables int
	if err := s.DB().GetContext(ctx, &tables, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations'`); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("after migrating down, %d tables remain", tables)
	}
	if _, err := s.Migrate(ctx, nil); err != nil {
		t.Fatalf("migrate up again: %v", err)
	}

	// A newer binary's migration in the table: this binary refuses it.
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (999, 'future')`); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("CheckSchema with version 999 = %v, want ErrSchemaTooNew", err)
	}
	if _, err := s.Migrate(ctx, nil); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Migrate with version 999 = %v, want ErrSchemaTooNew", err)
	}
}

func TestMigrationFilesChecked(t *testing.T) {
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].Version != 1 {
		t.Fatalf("embedded migrations = %+v, want to start at 001", ms)
	}
	bad := map[string]fstest.MapFS{
		"bad name":    {"sql/1_init.up.sql": {Data: []byte("x")}},
		"no down":     {"sql/001_a.up.sql": {Data: []byte("x")}},
		"gap":         {"sql/001_a.up.sql": {Data: []byte("x")}, "sql/001_a.down.sql": {Data: []byte("x")}, "sql/003_c.up.sql": {Data: []byte("x")}, "sql/003_c.down.sql": {Data: []byte("x")}},
		"two names":   {"sql/001_a.up.sql": {Data: []byte("x")}, "sql/001_b.down.sql": {Data: []byte("x")}},
		"stray file":  {"sql/README.md": {Data: []byte("x")}},
		"upper case":  {"sql/001_Init.up.sql": {Data: []byte("x")}, "sql/001_Init.down.sql": {Data: []byte("x")}},
		"wrong extra": {"sql/001_a.sideways.sql": {Data: []byte("x")}},
	}
	for name, fsys := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := store.MigrationsFromFS(fsys, "sql"); err == nil {
				t.Fatal("accepted a bad migration set")
			}
		})
	}
}

func fptr(f float64) *float64 { return &f }

func sampleBatch() store.IssueBatch {
	created := time.Date(2026, 10, 5, 9, 30, 0, 0, time.UTC)
	resolved := created.Add(50 * time.Hour)
	return store.IssueBatch{
		SiteID:  "acme",
		BoardID: 7,
		Issues: []analyzer.Issue{
			{
				SiteID: "acme", ID: 10001, Key: "APP-1", ProjectKey: "APP", Summary: "Log in with SSO",
				Type: "Story", StatusID: "10002", StatusName: "Done", StatusCategory: "done", Priority: "High",
				Estimate: fptr(5), EpicKey: "APP-100", Labels: []string{"sso", "q4"}, Components: []string{"auth"},
				FixVersions: []string{"1.4.0"}, SprintIDs: []int64{3, 4}, Created: created, Updated: resolved,
				Resolved: &resolved, Raw: json.RawMessage(`{"id":"10001","key":"APP-1"}`), ChangelogComplete: true,
			},
			{
				SiteID: "acme", ID: 10002, Key: "APP-2", ProjectKey: "APP", Summary: "Sub-task", Type: "Sub-task",
				Subtask: true, ParentKey: "APP-1", StatusID: "1", StatusName: "To Do", StatusCategory: "new",
				Created: created, Updated: created, ChangelogComplete: false,
			},
		},
		Changes: []analyzer.ChangeItem{
			{IssueID: 10001, HistoryID: 500, Seq: 0, At: created.Add(time.Hour), Author: "ana", Field: "status", FieldID: "status", FromValue: "1", FromString: "To Do", ToValue: "3", ToString: "In Progress"},
			{IssueID: 10001, HistoryID: 500, Seq: 1, At: created.Add(time.Hour), Author: "ana", Field: "Sprint", FieldID: "customfield_10020", FromValue: "3", FromString: "S3", ToValue: "3, 4", ToString: "S3, S4"},
			{IssueID: 10001, HistoryID: 501, Seq: 0, At: resolved, Author: "ana", Field: "status", FieldID: "status", FromValue: "3", FromString: "In Progress", ToValue: "10002", ToString: "Done"},
		},
		SprintEvents: []analyzer.SprintEvent{
			{IssueID: 10001, SprintID: 4, At: created.Add(time.Hour), Added: true},
		},
	}
}

func seedBoard(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	if err := s.SiteUpsert(ctx, store.Site{ID: "acme", BaseURL: "https://acme.example", Flavor: analyzer.FlavorCloud}); err != nil {
		t.Fatal(err)
	}
	board := analyzer.Board{SiteID: "acme", ID: 7, Name: "Team Apollo", Type: "scrum", ProjectKey: "APP",
		Columns: []analyzer.Column{
			{Name: "To Do", StatusIDs: []string{"1"}},
			{Name: "In Progress", StatusIDs: []string{"3"}},
			{Name: "Done", StatusIDs: []string{"10002", "10003"}},
		},
		EstimationField: "customfield_10016", EstimationSource: "board-configuration"}
	if err := s.BoardUpsert(ctx, board); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	seedBoard(t, s)

	b, err := s.BoardGet(ctx, "acme", 7)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(b.DoneStatusIDs(), ","); got != "10002,10003" || b.EstimationSource != "board-configuration" {
		t.Fatalf("board round trip: done=%q source=%q", got, b.EstimationSource)
	}

	start := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, 14)
	sprints := []analyzer.Sprint{
		{SiteID: "acme", ID: 4, BoardID: 7, Name: "Apollo 4", State: "closed", Goal: "Ship SSO, finally", StartDate: &start, EndDate: &end, CompleteDate: &end},
		{SiteID: "acme", ID: 5, BoardID: 7, Name: "Apollo 5", State: "future"},
	}
	if err := s.SprintUpsertMany(ctx, sprints); err != nil {
		t.Fatal(err)
	}
	gotSprints, err := s.SprintListByBoard(ctx, "acme", 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotSprints) != 2 || gotSprints[0].Goal != "Ship SSO, finally" || !gotSprints[0].StartDate.Equal(start) || gotSprints[1].StartDate != nil {
		t.Fatalf("sprints round trip: %+v", gotSprints)
	}

	batch := sampleBatch()
	if err := s.IssueUpsertMany(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := s.IssueGetByKey(ctx, "acme", "APP-1")
	if err != nil {
		t.Fatal(err)
	}
	want := batch.Issues[0]
	if got.Summary != want.Summary || *got.Estimate != 5 || got.EpicKey != "APP-100" ||
		strings.Join(got.Labels, ",") != "sso,q4" || strings.Join(got.FixVersions, ",") != "1.4.0" ||
		len(got.SprintIDs) != 2 || got.SprintIDs[1] != 4 || !got.Created.Equal(want.Created) ||
		got.Resolved == nil || !got.Resolved.Equal(*want.Resolved) || !got.ChangelogComplete {
		t.Fatalf("issue round trip:\n got %+v\nwant %+v", got, want)
	}
	var raw map[string]string
	if err := json.Unmarshal(got.Raw, &raw); err != nil || raw["key"] != "APP-1" {
		t.Fatalf("raw JSON round trip: %s (%v)", got.Raw, err)
	}
	sub, err := s.IssueGetByKey(ctx, "acme", "APP-2")
	if err != nil {
		t.Fatal(err)
	}
	if sub.Estimate != nil || !sub.Subtask || sub.ParentKey != "APP-1" || sub.Resolved != nil || sub.ChangelogComplete {
		t.Fatalf("sub-task round trip: %+v", sub)
	}
	items, err := s.ChangeItemListByIssue(ctx, "acme", 10001)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 || items[1].ToValue != "3, 4" || items[2].ToString != "Done" || !items[2].At.Equal(*want.Resolved) {
		t.Fatalf("changelog round trip: %+v", items)
	}
	onBoard, err := s.IssueListByBoard(ctx, "acme", 7, true)
	if err != nil || len(onBoard) != 2 {
		t.Fatalf("issues on board: %d, %v; want 2", len(onBoard), err)
	}
	if _, err := s.IssueGetByKey(ctx, "acme", "NOPE-1"); !store.IsNotFound(err) {
		t.Fatalf("missing issue: err = %v, want not found", err)
	}
}

// Syncing the same batch twice must leave one row per natural key, and a
// changed field must overwrite.
func TestUpsertIdempotent(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	seedBoard(t, s)
	batch := sampleBatch()
	for range 2 {
		if err := s.IssueUpsertMany(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	counts := map[string]int{"issues": 2, "changelog_items": 3, "sprint_events": 1, "board_issues": 2}
	for table, want := range counts {
		var n int
		if err := s.DB().GetContext(ctx, &n, `SELECT count(*) FROM `+table); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: %d rows after writing the batch twice, want %d", table, n, want)
		}
	}
	batch.Issues[0].Estimate = fptr(8)
	batch.Issues[0].StatusName = "Closed"
	if err := s.IssueUpsertMany(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, _ := s.IssueGetByKey(ctx, "acme", "APP-1")
	if *got.Estimate != 8 || got.StatusName != "Closed" {
		t.Fatalf("update not applied: estimate %v status %q", *got.Estimate, got.StatusName)
	}
}

// A bad issue in a batch must leave what was stored before untouched.
func TestBatchAtomic(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	seedBoard(t, s)
	if err := s.IssueUpsertMany(ctx, sampleBatch()); err != nil {
		t.Fatal(err)
	}
	bad := sampleBatch()
	bad.Issues[0].Summary = "should not land"
	bad.Issues[1].Raw = json.RawMessage(`{"broken":`)
	if err := s.IssueUpsertMany(ctx, bad); err == nil {
		t.Fatal("batch with invalid raw JSON was accepted")
	}
	// A failure inside the database after the issues were written (the same
	// changelog item twice in one statement) rolls the whole batch back.
	bad2 := sampleBatch()
	bad2.Issues[0].Summary = "should not land either"
	bad2.Changes = append(bad2.Changes, bad2.Changes[0])
	if err := s.IssueUpsertMany(ctx, bad2); err == nil {
		t.Fatal("batch with a duplicated changelog item was accepted")
	}
	got, _ := s.IssueGetByKey(ctx, "acme", "APP-1")
	if got.Summary != "Log in with SSO" {
		t.Fatalf("failed batch changed stored data: summary %q", got.Summary)
	}
}

func TestSyncStateAndRemoval(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	seedBoard(t, s)
	st, err := s.SyncStateGet(ctx, "acme", 7)
	if err != nil || st.Watermark != nil {
		t.Fatalf("initial state: %+v, %v", st, err)
	}
	wm := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	batch := sampleBatch()
	batch.State = &store.SyncState{SiteID: "acme", BoardID: 7, Watermark: &wm, Checkpoint: json.RawMessage(`{"next_page_token":"abc"}`)}
	if err := s.IssueUpsertMany(ctx, batch); err != nil {
		t.Fatal(err)
	}
	st, err = s.SyncStateGet(ctx, "acme", 7)
	if err != nil || st.Watermark == nil || !st.Watermark.Equal(wm) || !strings.Contains(string(st.Checkpoint), "abc") {
		t.Fatalf("state after batch: %+v, %v", st, err)
	}
	// A later full sync sees only APP-1: APP-2 (10002) left the board, so it
	// is marked, not deleted.
	since, err := s.DBNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again := sampleBatch()
	again.Issues, again.Changes, again.SprintEvents = again.Issues[:1], nil, nil
	if err := s.IssueUpsertMany(ctx, again); err != nil {
		t.Fatal(err)
	}
	n, err := s.BoardIssueMarkUnseen(ctx, "acme", 7, since)
	if err != nil || n != 1 {
		t.Fatalf("marked %d removed (%v), want 1", n, err)
	}
	onBoard, _ := s.IssueListByBoard(ctx, "acme", 7, true)
	if len(onBoard) != 1 || onBoard[0].Key != "APP-1" {
		t.Fatalf("issues on board after removal: %+v", onBoard)
	}
	if _, err := s.IssueGetByKey(ctx, "acme", "APP-2"); err != nil {
		t.Fatalf("removed issue was lost: %v", err)
	}
}

func TestRedactDSN(t *testing.T) {
	cases := map[string]string{
		"postgres://bob:s3cret@db.example:5432/app?sslmode=disable": "postgres://bob:xxxxx@db.example:5432/app?sslmode=disable",
		"host=db user=bob password=s3cret dbname=app":               "host=db user=bob password=xxxxx dbname=app",
		"postgres://db.example/app?password=s3cret":                 "postgres://db.example/app?password=xxxxx",
		"postgres://bob@db.example/app":                             "postgres://bob@db.example/app",
	}
	for in, want := range cases {
		if got := store.RedactDSN(in); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

// Real Jira data holds NUL characters (DevLake's recording has one); text
// columns and jsonb reject them, so they are stored as U+FFFD instead of
// failing the batch.
func TestNULCharacters(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	seedBoard(t, s)
	b := sampleBatch()
	b.Issues[0].Summary = "before\x00after"
	b.Issues[0].Labels = []string{"a\x00b"}
	b.Issues[0].Raw = json.RawMessage(`{"key":"APP-1","summary":"before\u0000after"}`)
	b.Changes[0].ToString = "In\x00Progress"
	if err := s.IssueUpsertMany(ctx, b); err != nil {
		t.Fatal(err)
	}
	got, err := s.IssueGetByKey(ctx, "acme", "APP-1")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]string
	_ = json.Unmarshal(got.Raw, &raw)
	if got.Summary != "before\uFFFDafter" || got.Labels[0] != "a\uFFFDb" || raw["summary"] != "before\uFFFDafter" {
		t.Fatalf("summary %q labels %q raw %q", got.Summary, got.Labels, raw["summary"])
	}
}
