package outcomes_test

import (
	"context"
	"errors"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/outcomes"
)

var known = map[string]outcomes.Metric{
	"mrr":        {Name: "mrr", Unit: "EUR"},
	"nps":        {Name: "nps", Unit: "score"},
	"activation": {Name: "activation", Unit: "%", Granularity: outcomes.GranularityWeek},
}

func TestParseCSVGood(t *testing.T) {
	// Columns in another order and letter case, a BOM, CRLF line ends, a
	// month, an ISO week, an exponent and a negative number, an empty unit
	// taken from the metric definition and a quoted segment with a comma.
	in := "\uFEFFValue,METRIC,date,Segment,unit\r\n" +
		"1234.5,mrr,2026-11-16,,EUR\r\n" +
		"1.2e3,mrr,2026-11-16,\"EMEA, north\",\r\n" +
		"31,nps,2026-11,,score\r\n" +
		"-0.5,activation,2026-W47,,%\r\n"
	got, err := outcomes.ParseCSV(strings.NewReader(in), outcomes.CSVOptions{Known: known, Strict: true, Source: "csv:test.csv"})
	if err != nil {
		t.Fatal(err)
	}
	want := []outcomes.Value{
		{Metric: "mrr", Date: day(2026, 11, 16), Value: 1234.5, Unit: "EUR", Source: "csv:test.csv"},
		{Metric: "mrr", Date: day(2026, 11, 16), Segment: "EMEA, north", Value: 1200, Unit: "EUR", Source: "csv:test.csv"},
		{Metric: "nps", Date: day(2026, 11, 1), Value: 31, Unit: "score", Source: "csv:test.csv"},
		// 2026-W47: 4 January 2026 is a Sunday, so week 1 starts Monday 29
		// December 2025 and week 47 starts 46 weeks later, Monday 16 November.
		{Metric: "activation", Date: day(2026, 11, 16), Value: -0.5, Unit: "%", Source: "csv:test.csv"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestParseCSVMinimalColumnsNotStrict(t *testing.T) {
	// Without strict mode any metric name is accepted; LF line ends, no BOM,
	// a blank line (skipped) and spaces around fields.
	in := "date,metric,value\n2026-01-05, signups , 42\n\n2026-01-12,signups,43\n"
	got, err := outcomes.ParseCSV(strings.NewReader(in), outcomes.CSVOptions{Known: known})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Metric != "signups" || got[0].Value != 42 || got[1].Source != "csv" {
		t.Fatalf("got %+v", got)
	}
}

func TestParseCSVBad(t *testing.T) {
	cases := map[string]struct {
		in   string
		want []string // every problem, in order
	}{
		"BadDate": {
			"date,metric,value\n2026-11-31,mrr,1\n16/11/2026,mrr,2\n2026-13,mrr,3\n2025-W53,mrr,4\n",
			[]string{
				`outcomes: line 2: date "2026-11-31" is not a date`,
				`outcomes: line 3: date "16/11/2026" is not a date`,
				`outcomes: line 4: date "2026-13" is not a date`,
				// 2025 has 52 ISO weeks (it starts on a Wednesday).
				`outcomes: line 5: date "2025-W53" is not a date`,
			},
		},
		"NotANumber": {
			"date,metric,value\n2026-11-16,mrr,abc\n2026-11-17,mrr,\"1,5\"\n2026-11-18,mrr,NaN\n2026-11-19,mrr,Inf\n2026-11-20,mrr,1e999\n2026-11-21,mrr,0x10\n2026-11-22,mrr,\n",
			[]string{
				`outcomes: line 2: value "abc" is not a number`,
				`outcomes: line 3: value "1,5" is not a number (use a decimal point`,
				`outcomes: line 4: value "NaN" is not a number`,
				`outcomes: line 5: value "Inf" is not a number`,
				`outcomes: line 6: value "1e999" is out of range`,
				`outcomes: line 7: value "0x10" is not a number`,
				`outcomes: line 8: value "" is not a number`,
			},
		},
		"UnknownMetricStrict": {
			"date,metric,value\n2026-11-16,mrr,1\n2026-11-16,arr,2\n",
			[]string{`outcomes: line 3: unknown metric "arr" (known: activation, mrr, nps)`},
		},
		"UnitMismatch": {
			"date,metric,value,unit\n2026-11-16,mrr,1,USD\n",
			[]string{`outcomes: line 2: unit "USD" differs from the unit "EUR" configured for metric "mrr"`},
		},
		"Duplicate": {
			// The same key twice (a month and its first day are the same date).
			"date,metric,value,segment\n2026-11-01,mrr,1,\n2026-11-01,mrr,1,emea\n2026-11,mrr,2,\n",
			[]string{`outcomes: line 4: duplicate of line 2 (metric "mrr", date 2026-11-01, segment "")`},
		},
		"MissingColumn": {
			"date,metric\n2026-11-16,mrr\n",
			[]string{`outcomes: line 1: missing column value`},
		},
		"NoHeader": {
			"2026-11-16,mrr,1\n",
			[]string{`outcomes: line 1: unknown column "2026-11-16"`},
		},
		"DuplicateColumn": {
			"date,metric,value,Value\n",
			[]string{`outcomes: line 1: column "value" appears twice`},
		},
		"WrongColumnCount": {
			"date,metric,value\n2026-11-16,mrr,1,extra\n2026-11-17,mrr\n2026-11-18,mrr,3\n",
			[]string{
				`outcomes: line 2: 4 columns, the header has 3`,
				`outcomes: line 3: 2 columns, the header has 3`,
			},
		},
		"EmptyMetric": {
			"date,metric,value\n2026-11-16,,1\n",
			[]string{`outcomes: line 2: metric is empty`},
		},
		"Empty":      {"", []string{`outcomes: line 1: the file is empty`}},
		"HeaderOnly": {"date,metric,value\r\n", []string{`outcomes: line 1: the file has a header but no values`}},
		"BrokenQuote": {
			"date,metric,value\n2026-11-16,\"mrr,1\n",
			[]string{`outcomes: line 2: extraneous or missing " in quoted-field`},
		},
		"UTF16": {"\xff\xfed\x00a\x00", []string{`outcomes: line 1: the file is UTF-16; save it as UTF-8`}},
		"Latin1": {
			"date,metric,value,segment\n2026-11-16,mrr,1,M\xfcnchen\n",
			[]string{`outcomes: line 2: not valid UTF-8`},
		},
		"SeveralKindsAtOnce": {
			// Every bad row is reported, not only the first.
			"date,metric,value\n2026-11-16,mrr,1\nx,mrr,y\n2026-11-17,nope,1\n",
			[]string{
				`outcomes: line 3: date "x" is not a date`,
				`outcomes: line 3: value "y" is not a number`,
				`outcomes: line 4: unknown metric "nope"`,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := outcomes.ParseCSV(strings.NewReader(tc.in), outcomes.CSVOptions{Known: known, Strict: true})
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			if got != nil {
				t.Errorf("returned %d values with an error; want none", len(got))
			}
			if !errors.Is(err, outcomes.ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(lines), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("problem %d:\n got %s\nwant %s…", i, lines[i], w)
				}
			}
		})
	}
}

func TestParseCSVErrorLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("date,metric,value\n")
	for range 25 {
		b.WriteString("2026-11-16,mrr,x\n")
	}
	_, err := outcomes.ParseCSV(strings.NewReader(b.String()), outcomes.CSVOptions{MaxErrors: 20})
	var p *outcomes.Problems
	if !errors.As(err, &p) {
		t.Fatalf("err = %v, want *Problems", err)
	}
	// 25 bad rows, 20 listed, 5 counted.
	if len(p.List) != 20 || p.More != 5 || !strings.HasSuffix(err.Error(), "… and 5 more problems") {
		t.Fatalf("listed %d, more %d:\n%v", len(p.List), p.More, err)
	}
}

// A rejected file stores nothing: the caller never gets values to write.
// The good file before it and the table stay as they were.
func TestCSVImportAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	good := "date,metric,value\n2026-11-09,mrr,1000\n2026-11-16,mrr,1100\n"
	vals, err := outcomes.ParseCSV(strings.NewReader(good), outcomes.CSVOptions{Known: known, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.OutcomeUpsertMany(ctx, vals); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, s); n != 2 {
		t.Fatalf("%d rows after the good file, want 2", n)
	}
	// The bad file changes 2026-11-16, adds two dates, and has one bad row
	// (line 4) at its very end.
	bad := "date,metric,value\n2026-11-16,mrr,9999\n2026-11-23,mrr,1200\n2026-11-30,mrr,oops\n"
	vals, err = outcomes.ParseCSV(strings.NewReader(bad), outcomes.CSVOptions{Known: known, Strict: true})
	if err == nil || !strings.Contains(err.Error(), "line 4:") {
		t.Fatalf("bad file: err = %v", err)
	}
	if err := s.OutcomeUpsertMany(ctx, vals); err != nil { // vals is nil: nothing to write
		t.Fatal(err)
	}
	got, err := s.OutcomeList(ctx, "mrr", day(2026, 1, 1), day(2026, 12, 31))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Value != 1100 {
		t.Fatalf("table changed by a rejected file: %+v", got)
	}
	// Importing the good file again is idempotent.
	vals, _ = outcomes.ParseCSV(strings.NewReader(good), outcomes.CSVOptions{Known: known, Strict: true})
	if err := s.OutcomeUpsertMany(ctx, vals); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, s); n != 2 {
		t.Fatalf("%d rows after importing the good file twice, want 2", n)
	}
}

func TestParseDate(t *testing.T) {
	cases := map[string]string{
		"2026-02-28": "2026-02-28",
		"2026-02":    "2026-02-01",
		"2026-W01":   "2025-12-29", // 4 Jan 2026 is a Sunday: week 1 starts Monday 29 Dec 2025
		"2020-W53":   "2020-12-28", // 2020 has 53 weeks (leap year starting Wednesday)
		"2026-w47":   "2026-11-16",
	}
	for in, want := range cases {
		got, err := outcomes.ParseDate(in)
		if err != nil || got.Format("2006-01-02") != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"2026-02-29", "2026-00", "2026-W00", "2026-W54", "2026", "20261116", "2026-11-16T10:00:00Z"} {
		if _, err := outcomes.ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
}

func BenchmarkParseCSV(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("date,metric,value,segment,unit\n")
	start := day(2000, 1, 1)
	for i := range 100_000 {
		sb.WriteString(start.AddDate(0, 0, i/4).Format("2006-01-02") + ",mrr," + "1234.5,seg" + string(rune('a'+i%4)) + ",EUR\n")
	}
	data := sb.String()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		vals, err := outcomes.ParseCSV(strings.NewReader(data), outcomes.CSVOptions{Known: known, Strict: true})
		if err != nil || len(vals) != 100_000 {
			b.Fatal(len(vals), err)
		}
	}
}
