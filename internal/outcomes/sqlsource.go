package outcomes

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	_ "github.com/lib/pq" // registers the "postgres" driver

	"github.com/backlog-health/analyzer/internal/dsn"
)

// SQLSource pulls one outcome metric from the user's own PostgreSQL.
type SQLSource struct {
	// DSN of the user's database (URL or key=value form). Its password
	// never appears in errors or logs. Prefer a role that can only read.
	DSN string
	// Query returns one row per value with the columns date and value, and
	// optionally segment and unit (any letter case, any order; other
	// columns are an error). date is a date, a timestamp or text such as
	// 2026-11-16, 2026-11 or 2026-W47; value is any number. It must be one
	// SELECT, WITH, VALUES or TABLE query without COPY or parameters
	// (CheckSourceQuery), and runs in a read-only transaction.
	Query  string
	Metric string
	// Timeout is the statement timeout; default 30s, at most MaxSQLTimeout.
	Timeout time.Duration
	// MaxRows refuses larger results; default 100,000.
	MaxRows int
}

// MaxSQLTimeout bounds SQLSource.Timeout.
const MaxSQLTimeout = time.Hour

// PullSQL runs query on the PostgreSQL at dsn in a read-only transaction
// with a 30 s statement timeout and returns its rows as values of metric.
// See SQLSource for the query's shape.
func PullSQL(ctx context.Context, dsn, query, metric string) ([]Value, error) {
	return SQLSource{DSN: dsn, Query: query, Metric: metric}.Pull(ctx)
}

// Pull runs the query. Every error names the metric; a result with any bad
// row is refused whole with an error wrapping ErrInvalid that lists the rows.
func (src SQLSource) Pull(ctx context.Context) ([]Value, error) {
	vals, err := src.pull(ctx)
	if err != nil {
		return nil, dsn.RedactError(src.DSN, err)
	}
	return vals, nil
}

func (src SQLSource) pull(ctx context.Context) ([]Value, error) {
	prefix := fmt.Sprintf("outcomes: metric %q: sql source", src.Metric)
	if err := checkName("metric", src.Metric, false); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", prefix, ErrInvalid, err)
	}
	if strings.TrimSpace(src.Query) == "" {
		return nil, fmt.Errorf("%s: %w: the query is empty", prefix, ErrInvalid)
	}
	if strings.TrimSpace(src.DSN) == "" {
		return nil, fmt.Errorf("%s: %w: the database URL is empty", prefix, ErrInvalid)
	}
	body, err := CheckSourceQuery(src.Query)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: the query was refused before it was sent: %w", prefix, ErrInvalid, err)
	}
	if src.Timeout <= 0 {
		src.Timeout = 30 * time.Second
	}
	src.Timeout = min(src.Timeout, MaxSQLTimeout)
	if src.MaxRows <= 0 {
		src.MaxRows = 100_000
	}
	// Connecting gets its own bound besides the statement timeout.
	ctx, cancel := context.WithTimeout(ctx, src.Timeout+15*time.Second)
	defer cancel()

	db, err := sql.Open("postgres", src.DSN)
	if err != nil {
		return nil, fmt.Errorf("%s: unable to open %s: %w", prefix, dsn.Redact(src.DSN), dsn.RedactError(src.DSN, err))
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("%s: unable to connect to %s: %w", prefix, dsn.Redact(src.DSN), dsn.RedactError(src.DSN, err))
	}
	defer func() { _ = tx.Rollback() }() // it only ever read
	// Every statement from here on carries a bind parameter, so lib/pq
	// sends it with the extended protocol (Parse/Bind/Execute): one
	// statement per Parse, never the simple-query path that runs whatever
	// follows a ";" (and that lib/pq takes for anything starting with COPY).
	var readOnly string
	ms := strconv.FormatInt(max(src.Timeout.Milliseconds(), 1), 10)
	if err := tx.QueryRowContext(ctx, `SELECT current_setting('transaction_read_only'), set_config('statement_timeout', $1, true)`, ms).
		Scan(&readOnly, new(string)); err != nil {
		return nil, fmt.Errorf("%s: unable to prepare the transaction: %w", prefix, err)
	}
	if readOnly != "on" {
		return nil, fmt.Errorf("%s: the transaction is not read-only (transaction_read_only = %q); nothing was run", prefix, readOnly)
	}
	// The query runs as a subquery, which only a query fits in (no COPY,
	// no DDL, no data-modifying WITH), with $1 as that bind parameter.
	rows, err := tx.QueryContext(ctx, "SELECT * FROM (\n"+body+"\n) AS source_query WHERE $1::int = 1", 1)
	if err != nil {
		return nil, fmt.Errorf("%s: the query was refused: %w", prefix, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prefix, err)
	}
	idx, msg := sqlColumns(cols)
	if msg != "" {
		return nil, fmt.Errorf("%s: %w: %s", prefix, ErrInvalid, msg)
	}

	probs := &Problems{Prefix: prefix}
	check := newValidator(nil, false)
	var out []Value
	cells := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range cells {
		ptrs[i] = &cells[i]
	}
	n := 0
	for rows.Next() {
		n++
		if n > src.MaxRows {
			return nil, fmt.Errorf("%s: %w: more than %d rows; aggregate in the query", prefix, ErrInvalid, src.MaxRows)
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("%s: row %d: %w", prefix, n, err)
		}
		v, bad := sqlValue(cells, idx)
		v.Metric, v.Source = src.Metric, "sql"
		for _, m := range bad {
			probs.add(20, "row %d: %s", n, m)
		}
		if len(bad) > 0 {
			continue
		}
		if err := check.check(&v, fmt.Sprintf("row %d", n)); err != nil {
			probs.add(20, "row %d: %v", n, err)
			continue
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: the query failed: %w", prefix, err)
	}
	if len(probs.List) > 0 {
		return nil, probs
	}
	return out, nil
}

// sqlColumns maps the result's columns; msg says what is wrong.
func sqlColumns(cols []string) (idx map[string]int, msg string) {
	idx = map[string]int{}
	for i, c := range cols {
		name := strings.ToLower(c)
		switch name {
		case "date", "value", "segment", "unit":
		default:
			return nil, fmt.Sprintf("the query returns column %q; want date and value, optionally segment and unit (rename with AS)", c)
		}
		if _, dup := idx[name]; dup {
			return nil, fmt.Sprintf("the query returns column %q twice", name)
		}
		idx[name] = i
	}
	if _, ok := idx["date"]; !ok {
		return nil, fmt.Sprintf("the query returns columns %v without date", cols)
	}
	if _, ok := idx["value"]; !ok {
		return nil, fmt.Sprintf("the query returns columns %v without value", cols)
	}
	return idx, ""
}

// sqlValue converts one scanned row (lib/pq gives date and timestamp
// columns as time.Time, numeric as text bytes, integers as int64).
func sqlValue(cells []any, idx map[string]int) (Value, []string) {
	var (
		v   Value
		bad []string
	)
	switch d := cells[idx["date"]].(type) {
	case time.Time:
		v.Date = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	case []byte, string:
		t, err := ParseDate(asText(d))
		if err != nil {
			bad = append(bad, err.Error())
		}
		v.Date = t
	case nil:
		bad = append(bad, "date is NULL")
	default:
		bad = append(bad, fmt.Sprintf("date has type %T; want a date, timestamp or text", d))
	}
	switch x := cells[idx["value"]].(type) {
	case float64:
		v.Value = x
	case int64:
		v.Value = float64(x)
	case []byte, string:
		f, err := ParseNumber(asText(x))
		if err != nil {
			bad = append(bad, err.Error())
		}
		v.Value = f
	case nil:
		bad = append(bad, "value is NULL")
	default:
		bad = append(bad, fmt.Sprintf("value has type %T; want a number", x))
	}
	for _, name := range []string{"segment", "unit"} {
		i, ok := idx[name]
		if !ok || cells[i] == nil {
			continue
		}
		s := asText(cells[i])
		if name == "segment" {
			v.Segment = s
		} else {
			v.Unit = s
		}
	}
	return v, bad
}

func asText(x any) string {
	switch t := x.(type) {
	case []byte:
		return string(t)
	case string:
		return t
	default:
		return fmt.Sprint(t)
	}
}
