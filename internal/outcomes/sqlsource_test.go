package outcomes_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/outcomes"
	"github.com/backlog-health/analyzer/internal/pgtest"
	"github.com/lib/pq"
)

// userDB is the user's own database: a second database in the test server,
// with a table of daily sign-ups.
func userDB(t *testing.T) (dsn string, db *sql.DB) {
	t.Helper()
	dsn = pgtest.NewDatabase(t)
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Exec(`
		CREATE TABLE signups (day date NOT NULL, region text, n numeric(10,2), at timestamptz);
		INSERT INTO signups VALUES
			('2026-11-16', NULL, 120.50, '2026-11-16 10:00+00'),
			('2026-11-16', 'emea', 40, '2026-11-16 10:00+00'),
			('2026-11-17', NULL, 130, '2026-11-17 23:30+00');`); err != nil {
		t.Fatal(err)
	}
	return dsn, db
}

func TestPullSQL(t *testing.T) {
	ctx := context.Background()
	dsn, _ := userDB(t)
	got, err := outcomes.PullSQL(ctx, dsn, `SELECT day AS date, n AS value, coalesce(region, '') AS Segment FROM signups ORDER BY day, region NULLS FIRST`, "signups")
	if err != nil {
		t.Fatal(err)
	}
	want := []outcomes.Value{
		{Metric: "signups", Date: day(2026, 11, 16), Value: 120.5, Source: "sql"},
		{Metric: "signups", Date: day(2026, 11, 16), Segment: "emea", Value: 40, Source: "sql"},
		{Metric: "signups", Date: day(2026, 11, 17), Value: 130, Source: "sql"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// Text dates (an ISO week), integer values, a timestamp date and a unit.
	got, err = outcomes.PullSQL(ctx, dsn, `SELECT '2026-W47' AS date, count(*) AS value, 'signups/week' AS unit FROM signups`, "signups_weekly")
	if err != nil || len(got) != 1 || !got[0].Date.Equal(day(2026, 11, 16)) || got[0].Value != 3 || got[0].Unit != "signups/week" {
		t.Fatalf("weekly: %+v, %v", got, err)
	}
	got, err = outcomes.PullSQL(ctx, dsn, `SELECT (at AT TIME ZONE 'UTC')::timestamp AS date, n::float8 AS value FROM signups WHERE region IS NULL ORDER BY at`, "s")
	if err != nil || len(got) != 2 || !got[1].Date.Equal(day(2026, 11, 17)) || got[1].Value != 130 {
		t.Fatalf("timestamps: %+v, %v", got, err)
	}
}

func pqCode(err error) string {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return string(pe.Code)
	}
	return ""
}

func TestPullSQLIsReadOnly(t *testing.T) {
	ctx := context.Background()
	dsn, db := userDB(t)
	count := func() int {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM signups`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// A data-modifying CTE is refused by the server: it cannot stand in the
	// subquery the source runs as (SQLSTATE 0A000), and the transaction is
	// read-only besides (25006).
	_, err := outcomes.PullSQL(ctx, dsn, `WITH d AS (DELETE FROM signups RETURNING day, n) SELECT day AS date, n AS value FROM d`, "signups")
	if code := pqCode(err); (code != "0A000" && code != "25006") || !strings.Contains(err.Error(), `metric "signups"`) {
		t.Fatalf("delete: err = %v (code %q), want it refused naming the metric", err, pqCode(err))
	}
	// A function that writes fails in the read-only transaction.
	if _, err := db.Exec(`CREATE FUNCTION wipe() RETURNS int LANGUAGE sql AS 'DELETE FROM signups RETURNING 1'`); err != nil {
		t.Fatal(err)
	}
	_, err = outcomes.PullSQL(ctx, dsn, `SELECT current_date AS date, wipe() AS value`, "signups")
	if pqCode(err) != "25006" {
		t.Fatalf("writing function: err = %v (code %q), want read_only_sql_transaction", err, pqCode(err))
	}
	// Several statements cannot be smuggled in: they are refused before
	// anything is sent (TestPullSQLRefusesCopyAndSeveralStatements).
	_, err = outcomes.PullSQL(ctx, dsn, `SELECT day AS date, n AS value FROM signups; COMMIT; DELETE FROM signups`, "signups")
	if !errors.Is(err, outcomes.ErrInvalid) {
		t.Fatalf("multi-statement query: err = %v, want it refused", err)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d rows left in the user's table, want 3", n)
	}
}

func TestPullSQLStatementTimeout(t *testing.T) {
	dsn, _ := userDB(t)
	src := outcomes.SQLSource{DSN: dsn, Metric: "slow", Timeout: 100 * time.Millisecond,
		Query: `SELECT current_date AS date, 1 AS value FROM pg_sleep(30)`}
	_, err := src.Pull(context.Background())
	// 57014 is query_canceled, which a statement timeout raises.
	if pqCode(err) != "57014" || !strings.Contains(err.Error(), `metric "slow"`) {
		t.Fatalf("err = %v (code %q), want query_canceled", err, pqCode(err))
	}
}

func TestPullSQLBadResults(t *testing.T) {
	ctx := context.Background()
	dsn, _ := userDB(t)
	cases := map[string]struct{ query, want string }{
		"NoValueColumn": {`SELECT day AS date FROM signups`, `without value`},
		"NoDateColumn":  {`SELECT n AS value FROM signups`, `without date`},
		"ExtraColumn":   {`SELECT day AS date, n AS value, region FROM signups`, `returns column "region"`},
		"NullValue":     {`SELECT day AS date, NULL::numeric AS value FROM signups LIMIT 1`, `row 1: value is NULL`},
		"BadTextDate":   {`SELECT 'yesterday' AS date, 1 AS value`, `row 1: date "yesterday" is not a date`},
		"BoolValue":     {`SELECT current_date AS date, true AS value`, `row 1: value has type bool`},
		"NaN":           {`SELECT current_date AS date, 'NaN'::float8 AS value`, `row 1: value is not a finite number`},
		"YearOne":       {`SELECT '0001-01-01'::date AS date, 1 AS value`, `row 1: date 0001-01-01 is out of range`},
		// Two rows for 2026-11-16 with no segment.
		"Duplicate": {`SELECT day AS date, n AS value FROM signups ORDER BY day`, `row 2: duplicate of row 1`},
		"Syntax":    {`SELEC 1`, `the query was refused`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			vals, err := outcomes.PullSQL(ctx, dsn, tc.query, "signups")
			if err == nil || vals != nil {
				t.Fatalf("accepted: %+v", vals)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `metric "signups"`) {
				t.Fatalf("err = %v, want it to name the metric and say %q", err, tc.want)
			}
		})
	}
}

func TestPullSQLHidesPassword(t *testing.T) {
	// The test server's URL with a password and a database that does not
	// exist: the connection fails and the error must not carry the password.
	u, err := url.Parse(pgtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "hunter2-very-secret")
	u.Path = "/no_such_database_here"
	_, err = outcomes.PullSQL(context.Background(), u.String(), `SELECT 1`, "mrr")
	if err == nil {
		t.Fatal("connected to a database that does not exist")
	}
	if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "xxxxx") || !strings.Contains(err.Error(), `metric "mrr"`) {
		t.Fatalf("err = %v: want the metric named and the password redacted", err)
	}
	// Key=value form, with the password in the server's own error text it
	// would be hidden too; here the server is refused before any query.
	_, err = outcomes.PullSQL(context.Background(), "host=127.0.0.1 port=1 password=hunter2-very-secret connect_timeout=2 sslmode=disable", `SELECT 1`, "mrr")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("key=value DSN: err = %v", err)
	}
	// Odd shapes: a URL that does not parse (lib/pq quotes it whole), a
	// quoted password with spaces (internal/dsn has the full table).
	for _, d := range []string{
		"postgres://bob:hunter2/very#secret@127.0.0.1:1/db",
		"host=127.0.0.1 port=1 connect_timeout=2 password='hunter2 very secret' sslmode=disable",
	} {
		_, err = outcomes.PullSQL(context.Background(), d, `SELECT 1`, "mrr")
		if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "secret") {
			t.Fatalf("%q: err = %v", d, err)
		}
	}
}
