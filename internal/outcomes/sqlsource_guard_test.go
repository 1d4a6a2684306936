package outcomes_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/outcomes"
)

// A source query may only read: COPY (which lib/pq runs through the simple
// query protocol, where a "; COMMIT; DROP …" after it runs too) and several
// statements are refused before anything is sent. The test database is
// reached as the superuser, so an unguarded COPY … TO PROGRAM would run the
// shell command on this machine.
func TestPullSQLRefusesCopyAndSeveralStatements(t *testing.T) {
	ctx := context.Background()
	dsn, db := userDB(t)
	if _, err := db.Exec(`CREATE TABLE canary (x int); INSERT INTO canary VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	// The program would create this file (in /tmp, which the server's own
	// user can write to as well).
	touched := filepath.Join(os.TempDir(), fmt.Sprintf("analyzer-copy-canary-%d-%d", os.Getpid(), time.Now().UnixNano()))
	t.Cleanup(func() { _ = os.Remove(touched) })

	queries := []string{
		// The exact string that dropped the table.
		`copy (select 1) to stdout; commit; drop table canary`,
		`COPY (SELECT 1) TO PROGRAM 'touch ` + touched + `'`,
		// COPY after comments, parentheses and a WITH clause.
		`/* a comment */ -- and another
		 COPY (SELECT 1) TO PROGRAM 'touch ` + touched + `'`,
		`(copy (select 1) to program 'touch ` + touched + `')`,
		`WITH x AS (SELECT 1) COPY (SELECT 1) TO PROGRAM 'touch ` + touched + `'`,
		// lib/pq does not nest comments: it takes this for a COPY and sends
		// it as a simple query, where PostgreSQL sees a SELECT and a DROP.
		`/* /* */ copy */ SELECT current_date AS date, 1 AS value; DROP TABLE canary`,
		// Several statements, in every spelling.
		`SELECT current_date AS date, 1 AS value; COMMIT; DROP TABLE canary`,
		`SELECT current_date AS date, 1 AS value;DROP TABLE canary;`,
		`SELECT current_date AS date, ';' AS value; DROP TABLE canary`,
		`SELECT $q$;$q$ AS date, 1 AS value; DROP TABLE canary`,
		// Not a query at all.
		`DROP TABLE canary`,
		`DO $$BEGIN EXECUTE 'DROP TABLE canary'; END$$`,
	}
	for i, q := range queries {
		_, err := outcomes.PullSQL(ctx, dsn, q, "signups")
		if !errors.Is(err, outcomes.ErrInvalid) || !strings.Contains(err.Error(), "refused before it was sent") ||
			!strings.Contains(err.Error(), `metric "signups"`) {
			t.Errorf("query %d %q: err = %v, want it refused before it was sent, naming the metric", i, q, err)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM canary`).Scan(&n); err != nil || n != 1 {
		t.Errorf("canary table: %d rows, %v; want it untouched with its 1 row", n, err)
	}
	if _, err := os.Stat(touched); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("COPY … TO PROGRAM ran: %s exists (stat: %v)", touched, err)
	}

	// Nothing is sent: the same queries against a server that is not there
	// fail with the refusal, not with a connection error.
	_, err := outcomes.PullSQL(ctx, "host=127.0.0.1 port=1 connect_timeout=2 sslmode=disable", queries[0], "signups")
	if !errors.Is(err, outcomes.ErrInvalid) {
		t.Fatalf("dead server: err = %v, want the refusal", err)
	}
}

// Semicolons, the word COPY and dollar signs inside literals, quoted
// identifiers and comments do not make a query refused.
func TestPullSQLAllowsSemicolonsInLiterals(t *testing.T) {
	ctx := context.Background()
	dsn, db := userDB(t)
	if _, err := db.Exec(`CREATE TABLE daily AS SELECT '2026-11-16'::date AS date, 8 AS value`); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		query string
		value float64 // computed by hand from the literal
	}{
		// length('a;b;c') = 5
		{`SELECT '2026-11-16' AS date, length('a;b;c') AS value`, 5},
		// 'it''s;copy' is the 9 characters i t ' s ; c o p y
		{`SELECT '2026-11-16' AS date, length('it''s;copy') AS value`, 9},
		// E'\';' is the two characters ' and ;
		{`SELECT '2026-11-16' AS date, length(E'\';') AS value`, 2},
		// $$;$$ and $t$;;$t$: 1 + 2 characters
		{`SELECT '2026-11-16' AS date, length($$;$$) + length($t$;;$t$) AS value`, 3},
		// a quoted identifier holding a semicolon, and "copy" as a column name
		{`SELECT "d;" AS date, "copy" AS value FROM (SELECT '2026-11-16' AS "d;", 7 AS "copy") s`, 7},
		// comments holding semicolons, a nested comment, a trailing semicolon
		{"-- first; line\nSELECT /* a; /* nested; */ b; */ '2026-11-16' AS date, 4 AS value; -- done;\n", 4},
		// VALUES and WITH are queries too
		{`WITH v AS (SELECT 6 AS n) SELECT '2026-11-16' AS date, n AS value FROM v`, 6},
		{`TABLE daily`, 8},
	}
	for i, tc := range cases {
		q := tc.query
		got, err := outcomes.PullSQL(ctx, dsn, q, "signups")
		if err != nil || len(got) != 1 || got[0].Value != tc.value || !got[0].Date.Equal(day(2026, 11, 16)) {
			t.Errorf("query %d %q: %+v, %v; want one value %g on 2026-11-16", i, q, got, err, tc.value)
		}
	}
}
