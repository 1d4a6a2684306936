package outcomes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/outcomes"
)

// validValue is what every way in must guarantee of a value it accepts.
func validValue(t *testing.T, v outcomes.Value) {
	t.Helper()
	if v.Metric == "" || math.IsNaN(v.Value) || math.IsInf(v.Value, 0) || v.Date.Year() < outcomes.MinYear ||
		v.Date.Year() > outcomes.MaxYear || !v.Date.Equal(v.Date.Truncate(24*time.Hour)) || v.Date.Location() != time.UTC {
		t.Fatalf("accepted an invalid value: %+v", v)
	}
}

// FuzzParseDate: a date, or an error; an accepted date is midnight UTC in
// the allowed years and prints back as a day that parses to itself.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-11-16", "2026-11", "2026-W47", "2026-w01", "0000-01-01", "0001-W01", "2026-02-30",
		"2020-W53", "2021-W53", " 2026-11-16 ", "9999-12", "1900-01-01", "2999-W52", "+2026-11-16"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := outcomes.ParseDate(s)
		if err != nil {
			return
		}
		validValue(t, outcomes.Value{Metric: "m", Date: d})
		back, err := outcomes.ParseDate(d.Format(time.DateOnly))
		if err != nil || !back.Equal(d) {
			t.Fatalf("ParseDate(%q) = %v, which does not read back (%v, %v)", s, d, back, err)
		}
	})
}

// FuzzParseCSV: any bytes give values that all pass validation, or an
// error wrapping ErrInvalid (nothing else: the reader is in memory).
func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{
		"date,metric,value\n2026-11-16,mrr,1\n",
		"\xEF\xBB\xBFDate,Metric,Value,Segment,Unit\r\n2026-W47,nps,31,emea,score\r\n2026-11,mrr,1.5e3,,\r\n",
		"date,metric,value\n0000-01-01,mrr,1\n", "date,metric,value\n2026-11-16,mrr,NaN\n",
		"date,metric,value\n\"2026-11-16\",\"m\"\"rr\",\"1\n", "\xFF\xFEd\x00", "", "date\n", "a,b,c\n1,2,3\n",
		"date,metric,value\n2026-11-16,mrr,1\n2026-11-16,mrr,2\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vals, err := outcomes.ParseCSV(bytes.NewReader(data), outcomes.CSVOptions{})
		if err != nil {
			if vals != nil || !errors.Is(err, outcomes.ErrInvalid) {
				t.Fatalf("ParseCSV(%q) = %d values, %v; want none and ErrInvalid", data, len(vals), err)
			}
			return
		}
		if len(vals) == 0 {
			t.Fatalf("ParseCSV(%q): no values and no error", data)
		}
		seen := map[string]bool{}
		for _, v := range vals {
			validValue(t, v)
			if seen[v.Key()] {
				t.Fatalf("ParseCSV(%q): duplicate %+v", data, v)
			}
			seen[v.Key()] = true
		}
	})
}

type countSink struct{ n int }

func (c *countSink) OutcomeUpsertMany(_ context.Context, vs []outcomes.Value) error {
	for _, v := range vs {
		if math.IsNaN(v.Value) || v.Date.Year() < outcomes.MinYear || v.Date.Year() > outcomes.MaxYear || v.Metric == "" {
			return errors.New("invalid value reached the sink")
		}
	}
	c.n += len(vs)
	return nil
}

// FuzzPush: any body answers 200 (every value stored) or 400/413/415 with
// a JSON error list; never 500, and nothing invalid reaches the sink.
func FuzzPush(f *testing.F) {
	for _, s := range []string{goodBody, `{"values":[]}`, `{"values":[{"metric":"mrr","date":"0001-01-01","value":1}]}`,
		`{"values":[{"metric":"mrr","date":"2026-11-16","value":1e400}]}`, `{"values":[{"metric":"mrr","date":"2026-11-16"}]}`,
		`{"values":null}`, `{}`, `[]`, `{"values":[{"metric":"mrr","date":"2026-11-16","value":1}]} trailing`,
		`{"values":[{"metric":"mrr","date":"2026-11-16","value":1,"extra":2}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sink := &countSink{}
		h := outcomes.Handler(sink, testToken, nil, nil)
		req := httptest.NewRequest(http.MethodPost, outcomes.PushPath, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			var resp outcomes.PushResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Received != sink.n || sink.n == 0 {
				t.Fatalf("200 for %q: %s (stored %d)", body, rec.Body.String(), sink.n)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			var e struct{ Errors []string }
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || len(e.Errors) == 0 || sink.n != 0 {
				t.Fatalf("%d for %q: %s (stored %d)", rec.Code, body, rec.Body.String(), sink.n)
			}
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}

// FuzzCheckSourceQuery: the guard never panics; what it accepts starts
// with a query keyword, is a prefix of the input, holds no statement
// separator it missed (accepting it again gives the same text) and no COPY.
func FuzzCheckSourceQuery(f *testing.F) {
	for _, s := range []string{`SELECT 1`, `copy (select 1) to stdout; commit; drop table canary`, `SELECT ';' AS x;`,
		`/* /* */ copy */ SELECT 1`, `SELECT $$;$$, $a$;$a$, E'\';', "x;", 'it''s' -- ;`, `WITH a AS (SELECT 1) TABLE a`,
		`SELECT $1`, `SELECT 1; SELECT 2`, `SELECT 'unterminated`, `/* unterminated`, `(((VALUES (1))))`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		body, err := outcomes.CheckSourceQuery(q)
		if err != nil {
			return
		}
		if !strings.HasPrefix(q, body) {
			t.Fatalf("CheckSourceQuery(%q) = %q, not a prefix", q, body)
		}
		again, err := outcomes.CheckSourceQuery(body)
		if err != nil || again != body {
			t.Fatalf("CheckSourceQuery(%q) = %q, which checks as %q, %v", q, body, again, err)
		}
		if _, err := outcomes.CheckSourceQuery(body + "; DROP TABLE t"); err == nil {
			t.Fatalf("CheckSourceQuery(%q + a second statement) accepted", body)
		}
	})
}
