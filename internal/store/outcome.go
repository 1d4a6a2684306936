package store

import (
	"context"
	"fmt"
	"time"

	"github.com/backlog-health/analyzer/internal/outcomes"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// outcomeChunk is how many values one INSERT … unnest statement carries; a
// larger import is several statements in the same transaction.
const outcomeChunk = 5000

// OutcomeUpsertMany writes outcome values in one transaction: all or
// nothing. It is idempotent on (metric, date, segment): a value already
// stored with the same number, unit and source is left untouched (its
// imported_at too), a different one replaces it. Within values, a later
// duplicate key wins.
func (s *Store) OutcomeUpsertMany(ctx context.Context, values []outcomes.Value) error {
	_, err := s.OutcomeUpsertManyCount(ctx, values)
	return err
}

// OutcomeUpsertManyCount is OutcomeUpsertMany that also counts the rows it
// inserted, updated and left unchanged.
func (s *Store) OutcomeUpsertManyCount(ctx context.Context, values []outcomes.Value) (outcomes.UpsertResult, error) {
	var res outcomes.UpsertResult
	values = outcomeDedupe(values)
	if len(values) == 0 {
		return res, nil
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res = outcomes.UpsertResult{}
		for start := 0; start < len(values); start += outcomeChunk {
			r, err := outcomeUpsertChunk(ctx, tx, values[start:min(start+outcomeChunk, len(values))])
			if err != nil {
				return err
			}
			res.Inserted += r.Inserted
			res.Updated += r.Updated
			res.Unchanged += r.Unchanged
		}
		return nil
	})
	if err != nil {
		return outcomes.UpsertResult{}, err
	}
	return res, nil
}

// outcomeDedupe keeps the last value of each key, in first-seen order: one
// statement cannot update the same row twice.
func outcomeDedupe(values []outcomes.Value) []outcomes.Value {
	idx := make(map[string]int, len(values))
	out := make([]outcomes.Value, 0, len(values))
	for _, v := range values {
		if i, ok := idx[v.Key()]; ok {
			out[i] = v
			continue
		}
		idx[v.Key()] = len(out)
		out = append(out, v)
	}
	return out
}

func outcomeUpsertChunk(ctx context.Context, tx *sqlx.Tx, values []outcomes.Value) (outcomes.UpsertResult, error) {
	n := len(values)
	metrics, dates, segments, units, sources := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	nums := make([]float64, n)
	for i, v := range values {
		if v.Metric == "" || v.Date.IsZero() {
			return outcomes.UpsertResult{}, fmt.Errorf("store: outcome value %d has no metric or date", i)
		}
		metrics[i], segments[i], units[i], sources[i] = cleanText(v.Metric), cleanText(v.Segment), cleanText(v.Unit), cleanText(v.Source)
		dates[i] = v.Date.Format(time.DateOnly)
		nums[i] = v.Value
	}
	// RETURNING yields only the rows written (the WHERE skips unchanged
	// ones); xmax = 0 tells a fresh insert from an update.
	var inserted []bool
	err := tx.SelectContext(ctx, &inserted, `
		INSERT INTO outcome_values (metric, value_date, segment, value, unit, source, imported_at)
		SELECT u.metric, u.d::date, u.segment, u.value, u.unit, u.source, now()
		FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::text[])
			AS u(metric, d, segment, value, unit, source)
		ON CONFLICT (metric, value_date, segment) DO UPDATE SET
			value = EXCLUDED.value, unit = EXCLUDED.unit, source = EXCLUDED.source, imported_at = EXCLUDED.imported_at
		WHERE (outcome_values.value, outcome_values.unit, outcome_values.source)
			IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.unit, EXCLUDED.source)
		RETURNING (xmax = 0)`,
		pq.Array(metrics), pq.Array(dates), pq.Array(segments), pq.Array(nums), pq.Array(units), pq.Array(sources))
	if err != nil {
		return outcomes.UpsertResult{}, fmt.Errorf("store: unable to upsert %d outcome values: %w", n, err)
	}
	var r outcomes.UpsertResult
	for _, ins := range inserted {
		if ins {
			r.Inserted++
		} else {
			r.Updated++
		}
	}
	r.Unchanged = n - len(inserted)
	return r, nil
}

type outcomeRow struct {
	Metric  string    `db:"metric"`
	Date    time.Time `db:"value_date"`
	Segment string    `db:"segment"`
	Value   float64   `db:"value"`
	Unit    string    `db:"unit"`
	Source  string    `db:"source"`
}

// OutcomeList returns the values of one metric (every segment) dated from
// from to to, both inclusive, ordered by date then segment. A zero from or
// to leaves that end open.
func (s *Store) OutcomeList(ctx context.Context, metric string, from, to time.Time) ([]outcomes.Value, error) {
	lo, hi := "-infinity", "infinity"
	if !from.IsZero() {
		lo = from.Format(time.DateOnly)
	}
	if !to.IsZero() {
		hi = to.Format(time.DateOnly)
	}
	var rows []outcomeRow
	err := s.db.SelectContext(ctx, &rows, `
		SELECT metric, value_date, segment, value, unit, source FROM outcome_values
		WHERE metric = $1 AND value_date BETWEEN $2::date AND $3::date
		ORDER BY value_date, segment`, metric, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list outcome %q: %w", metric, err)
	}
	out := make([]outcomes.Value, len(rows))
	for i, r := range rows {
		d := r.Date
		out[i] = outcomes.Value{Metric: r.Metric, Date: time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC),
			Segment: r.Segment, Value: r.Value, Unit: r.Unit, Source: r.Source}
	}
	return out, nil
}

// OutcomeMetric summarises one stored metric.
type OutcomeMetric struct {
	Name     string    `db:"metric"`
	Unit     string    `db:"unit"` // the unit of its latest value
	Values   int       `db:"n"`
	Segments int       `db:"segments"` // distinct segments, "" included
	First    time.Time `db:"first_date"`
	Last     time.Time `db:"last_date"`
}

// OutcomeMetrics lists the metrics that have values, by name.
func (s *Store) OutcomeMetrics(ctx context.Context) ([]OutcomeMetric, error) {
	var out []OutcomeMetric
	err := s.db.SelectContext(ctx, &out, `
		SELECT metric, count(*) AS n, count(DISTINCT segment) AS segments,
			min(value_date) AS first_date, max(value_date) AS last_date,
			(array_agg(unit ORDER BY value_date DESC, segment))[1] AS unit
		FROM outcome_values GROUP BY metric ORDER BY metric`)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list outcome metrics: %w", err)
	}
	for i := range out {
		f, l := out[i].First, out[i].Last
		out[i].First = time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, time.UTC)
		out[i].Last = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	}
	return out, nil
}
