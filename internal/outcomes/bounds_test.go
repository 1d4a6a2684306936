package outcomes_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/outcomes"
	"github.com/backlog-health/analyzer/internal/store/storetest"
)

// Dates that parse but that PostgreSQL or the week arithmetic cannot take
// are refused where they come in, naming the field (push) or the line (CSV).
func TestOutOfRangeDatesAreRefusedAtTheDoor(t *testing.T) {
	s := storetest.MustOpen(t)
	srv := httptest.NewServer(outcomes.Handler(s, testToken, known, nil))
	defer srv.Close()
	for _, d := range []string{"0000-01-01", "0001-01-01", "0001-01", "0001-W01", "0000-12", "1899-12-31", "3000-01-01", "9999-W52"} {
		r := push(t, srv, http.MethodPost, "Bearer "+testToken, "application/json",
			`{"values":[{"metric":"mrr","date":"2026-11-16","value":1},{"metric":"mrr","date":"`+d+`","value":2}]}`)
		if r.status != http.StatusBadRequest {
			t.Errorf("push date %s: status %d, want 400: %s", d, r.status, r.body)
			continue
		}
		if errs := jsonErrors(t, r.body); len(errs) != 1 || !strings.HasPrefix(errs[0], "values[1].date: ") || !strings.Contains(errs[0], "out of range") {
			t.Errorf("push date %s: errors %q, want one naming values[1].date", d, errs)
		}

		// Line 1 is the header, line 2 a good row, line 3 the bad date.
		_, err := outcomes.ParseCSV(strings.NewReader("date,metric,value\n2026-11-16,mrr,1\n"+d+",mrr,2\n"), outcomes.CSVOptions{})
		if !errors.Is(err, outcomes.ErrInvalid) || !strings.Contains(err.Error(), "line 3: date") {
			t.Errorf("CSV date %s: err = %v, want it refused naming line 3", d, err)
		}
	}
	if n := countRows(t, s); n != 0 {
		t.Fatalf("%d rows stored from refused pushes", n)
	}
	// The edges of the range are accepted.
	for _, d := range []string{"1900-01-01", "2999-12-31", "2999-W01"} {
		if _, err := outcomes.ParseDate(d); err != nil {
			t.Errorf("ParseDate(%s): %v", d, err)
		}
	}
}

// endless yields a CSV header and row start, then the byte fill forever
// (up to limit), counting what was read.
type endless struct {
	head  string
	fill  byte
	limit int
	read  int
}

func (e *endless) Read(p []byte) (int, error) {
	if e.read >= e.limit {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && e.read < e.limit {
		if e.read < len(e.head) {
			p[n] = e.head[e.read]
		} else {
			p[n] = e.fill
		}
		n++
		e.read++
	}
	return n, nil
}

// One huge field is refused as soon as it passes the bound, naming its
// line, without reading (and holding) the rest: a 20 MB field here, where
// a 200 MB one used to take 1.7 GB of memory.
func TestParseCSVBoundsFieldSize(t *testing.T) {
	const total = 20 << 20
	for name, head := range map[string]string{
		"Quoted":   "date,metric,value\n2026-11-16,mrr,1\n2026-11-17,\"mrr",
		"Unquoted": "date,metric,value\n2026-11-16,mrr,1\n2026-11-17,mrr",
		"Header":   "date,metric,value",
	} {
		t.Run(name, func(t *testing.T) {
			r := &endless{head: head, fill: 'a', limit: total}
			_, err := outcomes.ParseCSV(r, outcomes.CSVOptions{})
			line := "line 3: "
			if name == "Header" {
				line = "line 1: "
			}
			if !errors.Is(err, outcomes.ErrInvalid) || !strings.Contains(err.Error(), line) || !strings.Contains(err.Error(), "longer than 65536 bytes") {
				t.Fatalf("err = %v, want %q and the bound", err, line)
			}
			// The bound plus the CSV reader's 4 KiB read-ahead, with room.
			if r.read > 1<<20 {
				t.Fatalf("read %d bytes of the %d before refusing", r.read, total)
			}
		})
	}
	// Just over the bound, in a small file: the field check names it.
	big := strings.Repeat("b", outcomes.MaxCSVField+1)
	_, err := outcomes.ParseCSV(strings.NewReader("date,metric,value,segment\n2026-11-16,mrr,1,"+big+"\n"), outcomes.CSVOptions{})
	if !errors.Is(err, outcomes.ErrInvalid) || !strings.Contains(err.Error(), "line 2: ") || !strings.Contains(err.Error(), "longer than 65536 bytes") {
		t.Fatalf("field of %d bytes: err = %v", len(big), err)
	}
	// At the bound it is the name check that speaks, not the size check.
	_, err = outcomes.ParseCSV(strings.NewReader("date,metric,value,segment\n2026-11-16,mrr,1,"+big[1:]+"\n"), outcomes.CSVOptions{})
	if err == nil || strings.Contains(err.Error(), "longer than 65536 bytes") || !strings.Contains(err.Error(), "longer than 100 characters") {
		t.Fatalf("field of %d bytes: err = %v", len(big)-1, err)
	}
}

// The push body is bounded: 1 MiB and one byte is refused with 413.
func TestPushBodyIsBounded(t *testing.T) {
	s := storetest.MustOpen(t)
	srv := httptest.NewServer(outcomes.Handler(s, testToken, known, nil))
	defer srv.Close()
	body := `{"values":[{"metric":"mrr","date":"2026-11-16","value":1,"segment":"` +
		strings.Repeat("x", outcomes.MaxPushBytes) + `"}]}`
	r := push(t, srv, http.MethodPost, "Bearer "+testToken, "application/json", body)
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413: %.200s", r.status, r.body)
	}
}
