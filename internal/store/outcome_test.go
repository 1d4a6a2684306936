package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/outcomes"
)

func outcomeDay(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func TestOutcomeUpsertAndList(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	vals := []outcomes.Value{
		{Metric: "mrr", Date: outcomeDay(2026, 11, 2), Value: 1000, Unit: "EUR", Source: "csv"},
		{Metric: "mrr", Date: outcomeDay(2026, 11, 9), Value: 1100, Unit: "EUR", Source: "csv"},
		{Metric: "mrr", Date: outcomeDay(2026, 11, 9), Segment: "emea", Value: 400, Unit: "EUR", Source: "csv"},
		{Metric: "nps", Date: outcomeDay(2026, 11, 9), Value: 31, Unit: "score", Source: "csv"},
	}
	res, err := s.OutcomeUpsertManyCount(ctx, vals)
	if err != nil {
		t.Fatal(err)
	}
	if res != (outcomes.UpsertResult{Inserted: 4}) {
		t.Fatalf("first write: %+v, want 4 inserted", res)
	}
	// The same values again: nothing written.
	res, err = s.OutcomeUpsertManyCount(ctx, vals)
	if err != nil || res != (outcomes.UpsertResult{Unchanged: 4}) {
		t.Fatalf("replay: %+v, %v; want 4 unchanged", res, err)
	}
	// One changed value and one new: 1 updated, 1 inserted, 3 unchanged.
	vals[1].Value = 1150
	vals = append(vals, outcomes.Value{Metric: "mrr", Date: outcomeDay(2026, 11, 16), Value: 1200, Unit: "EUR", Source: "http"})
	res, err = s.OutcomeUpsertManyCount(ctx, vals)
	if err != nil || res != (outcomes.UpsertResult{Inserted: 1, Updated: 1, Unchanged: 3}) {
		t.Fatalf("third write: %+v, %v", res, err)
	}

	got, err := s.OutcomeList(ctx, "mrr", outcomeDay(2026, 11, 9), outcomeDay(2026, 11, 16))
	if err != nil {
		t.Fatal(err)
	}
	// 2026-11-02 is before from; the rest ordered by date then segment ("" < "emea").
	if len(got) != 3 || got[0].Value != 1150 || got[0].Segment != "" || got[1].Segment != "emea" ||
		!got[2].Date.Equal(outcomeDay(2026, 11, 16)) || got[2].Source != "http" || got[2].Unit != "EUR" {
		t.Fatalf("list: %+v", got)
	}
	all, err := s.OutcomeList(ctx, "mrr", time.Time{}, time.Time{})
	if err != nil || len(all) != 4 {
		t.Fatalf("open-ended list: %d values, %v; want 4", len(all), err)
	}

	ms, err := s.OutcomeMetrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Name != "mrr" || ms[0].Values != 4 || ms[0].Segments != 2 ||
		!ms[0].First.Equal(outcomeDay(2026, 11, 2)) || !ms[0].Last.Equal(outcomeDay(2026, 11, 16)) || ms[0].Unit != "EUR" ||
		ms[1].Name != "nps" || ms[1].Values != 1 {
		t.Fatalf("metrics: %+v", ms)
	}
}

// A write that fails in the database stores none of its values.
func TestOutcomeUpsertAtomic(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	good := outcomes.Value{Metric: "mrr", Date: outcomeDay(2026, 11, 2), Value: 1000}
	if err := s.OutcomeUpsertMany(ctx, []outcomes.Value{good}); err != nil {
		t.Fatal(err)
	}
	// Year 0000 is refused by PostgreSQL's date: the statement fails after
	// the first values were already part of it.
	bad := []outcomes.Value{
		{Metric: "mrr", Date: outcomeDay(2026, 11, 2), Value: 9999},
		{Metric: "mrr", Date: outcomeDay(2026, 11, 9), Value: 1},
		{Metric: "bad", Date: outcomeDay(0, 11, 9), Value: 1},
	}
	if err := s.OutcomeUpsertMany(ctx, bad); err == nil {
		t.Fatal("a value dated in year 0000 was accepted")
	}
	got, err := s.OutcomeList(ctx, "mrr", time.Time{}, time.Time{})
	if err != nil || len(got) != 1 || got[0].Value != 1000 {
		t.Fatalf("after a failed write: %+v, %v; want only the first value, unchanged", got, err)
	}
}

// A large write spans several statements and is still one transaction.
func TestOutcomeUpsertChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("large write skipped in -short mode")
	}
	ctx := context.Background()
	s := MustOpenDB(t)
	var vals []outcomes.Value
	for i := range 12000 { // 3 chunks of up to 5000
		vals = append(vals, outcomes.Value{Metric: "signups", Date: outcomeDay(2000, 1, 1).AddDate(0, 0, i), Value: float64(i)})
	}
	// Duplicate keys in one call: the later one wins.
	vals = append(vals, outcomes.Value{Metric: "signups", Date: outcomeDay(2000, 1, 1), Value: -1})
	res, err := s.OutcomeUpsertManyCount(ctx, vals)
	if err != nil || res.Inserted != 12000 {
		t.Fatalf("chunked write: %+v, %v; want 12000 inserted", res, err)
	}
	got, err := s.OutcomeList(ctx, "signups", outcomeDay(2000, 1, 1), outcomeDay(2000, 1, 1))
	if err != nil || len(got) != 1 || got[0].Value != -1 {
		t.Fatalf("duplicate key: %+v, %v; want the later value -1", got, err)
	}
}
