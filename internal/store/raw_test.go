package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// raw keeps the issue JSON as Jira returned it (json, not jsonb: jsonb
// reorders keys and drops whitespace, and its binary conversion was most of
// PostgreSQL's CPU per issue). The raw documents travel as one JSON array:
// a document that would pass for two is refused, and nothing is written.
func TestIssueRawStoredAsSent(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	seedBoard(t, s)
	b := sampleBatch()
	b.Issues[0].Raw = json.RawMessage(`{"key":"APP-1", "id":"10001","fields":{"z":1,"a":[1, 2]}}`)
	if err := s.IssueUpsertMany(ctx, b); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := s.DB().GetContext(ctx, &got, `SELECT raw::text FROM issues WHERE issue_key = 'APP-1'`); err != nil {
		t.Fatal(err)
	}
	if got != string(b.Issues[0].Raw) {
		t.Fatalf("raw stored as %s, want it as sent: %s", got, b.Issues[0].Raw)
	}
	if err := s.DB().GetContext(ctx, &got, `SELECT raw::text FROM issues WHERE issue_key = 'APP-2'`); err != nil || got != "{}" {
		t.Fatalf("issue without raw stored %q (%v), want {}", got, err)
	}

	two := sampleBatch()
	two.Issues[0].Summary = "must not land"
	two.Issues[0].Raw = json.RawMessage(`{"a":1},{"b":2}`)
	two.Issues[1].Raw = json.RawMessage(`{"c":3}`)
	err := s.IssueUpsertMany(ctx, two)
	if err == nil || !strings.Contains(err.Error(), "raw JSON") {
		t.Fatalf("a raw document holding two was stored (err %v)", err)
	}
	var n int
	if err := s.DB().GetContext(ctx, &n, `SELECT count(*) FROM issues WHERE summary = 'must not land'`); err != nil || n != 0 {
		t.Fatalf("%d issues of the refused batch written (%v)", n, err)
	}
}
