package devlakeconv

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

// ErrBadInput is wrapped by every error about malformed recorded input, so
// callers can tell bad data from I/O failures with errors.Is.
var ErrBadInput = errors.New("devlakeconv: bad input")

// RowError is a problem with one row of one input file. Row counts data rows
// from 1 (the header is not a row); Line is the file line the row starts on.
type RowError struct {
	File string // path relative to the source directory, e.g. raw_tables/_raw_jira_api_issues.csv
	Row  int
	Line int
	Err  error
}

func (e *RowError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("devlakeconv: %s row %d (line %d): %v", e.File, e.Row, e.Line, e.Err)
	}
	return fmt.Sprintf("devlakeconv: %s row %d: %v", e.File, e.Row, e.Err)
}

func (e *RowError) Unwrap() []error { return []error{ErrBadInput, e.Err} }

// table is a CSV file read whole: header names and records.
type table struct {
	file   string // relative name for messages
	header map[string]int
	rows   [][]string
	lines  []int // line each row starts on
}

// readTable reads a CSV file. A missing file gives (nil, nil): most inputs
// are optional and the caller records what was missing.
func readTable(root, rel string) (*table, error) {
	f, err := os.Open(filepath.Join(root, rel))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("devlakeconv: open %s: %w", rel, err)
	}
	defer f.Close()

	// The data column holds whole Jira responses (an issue with its changelog
	// is ~40 kB, the development panel rows more): read through a large
	// buffer. encoding/csv itself has no field size limit.
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.FieldsPerRecord = 0 // every row must have as many fields as the header
	r.ReuseRecord = false
	head, err := r.Read()
	if err == io.EOF {
		return nil, &RowError{File: rel, Row: 0, Line: 1, Err: errors.New("empty file, no header")}
	}
	if err != nil {
		return nil, &RowError{File: rel, Row: 0, Line: 1, Err: err}
	}
	t := &table{file: rel, header: make(map[string]int, len(head))}
	for i, h := range head {
		t.header[h] = i
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, &RowError{File: rel, Row: len(t.rows) + 1, Line: line, Err: err}
		}
		line, _ := r.FieldPos(0)
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, line)
	}
	return t, nil
}

// need checks that the table has the named columns.
func (t *table) need(cols ...string) error {
	for _, c := range cols {
		if _, ok := t.header[c]; !ok {
			return &RowError{File: t.file, Row: 0, Line: 1, Err: fmt.Errorf("missing column %q", c)}
		}
	}
	return nil
}

func (t *table) get(i int, col string) string {
	j, ok := t.header[col]
	if !ok {
		return ""
	}
	return t.rows[i][j]
}

func (t *table) rowErr(i int, format string, args ...any) error {
	return &RowError{File: t.file, Row: i + 1, Line: t.lines[i], Err: fmt.Errorf(format, args...)}
}

// rawRow is one row of a DevLake `_raw_jira_api_*` table.
type rawRow struct {
	idx    int // index in table.rows
	params string
	url    string
	input  string
	data   json.RawMessage
}

// rawRows reads a `_raw_*` table and checks that every data cell is a JSON
// object.
func rawRows(root, rel string) (*table, []rawRow, error) {
	t, err := readTable(root, rel)
	if err != nil || t == nil {
		return nil, nil, err
	}
	if err := t.need("id", "params", "data", "url"); err != nil {
		return nil, nil, err
	}
	out := make([]rawRow, 0, len(t.rows))
	for i := range t.rows {
		data := []byte(t.get(i, "data"))
		if !json.Valid(data) {
			var v any
			err := json.Unmarshal(data, &v) // for the position of the error
			return nil, nil, t.rowErr(i, "data column is not valid JSON: %w", err)
		}
		if firstByte(data) != '{' {
			return nil, nil, t.rowErr(i, "data column is not a JSON object")
		}
		out = append(out, rawRow{idx: i, params: t.get(i, "params"), url: t.get(i, "url"), input: t.get(i, "input"), data: data})
	}
	return t, out, nil
}

var (
	boardURLRe     = regexp.MustCompile(`/rest/agile/1\.0/board/(\d+)(?:/|$|\?)`)
	changelogURLRe = regexp.MustCompile(`/rest/api/\d/issue/([^/?]+)/changelog`)
)

// boardOf returns the board a row was recorded for: params BoardId, else the
// /board/{id}/ of its url.
func boardOf(r rawRow) (int64, bool) {
	var p struct {
		BoardID *int64 `json:"BoardId"`
	}
	if r.params != "" && json.Unmarshal([]byte(r.params), &p) == nil && p.BoardID != nil {
		return *p.BoardID, true
	}
	if m := boardURLRe.FindStringSubmatch(r.url); m != nil {
		id, err := strconv.ParseInt(m[1], 10, 64)
		return id, err == nil
	}
	return 0, false
}

// changelogIssueOf returns the issue id (or key) a changelog row belongs to:
// input issue_id, else the /issue/{idOrKey}/changelog of its url.
func changelogIssueOf(r rawRow) (string, bool) {
	var in struct {
		IssueID flexID `json:"issue_id"`
	}
	if r.input != "" && r.input != "null" && json.Unmarshal([]byte(r.input), &in) == nil && in.IssueID != "" {
		return string(in.IssueID), true
	}
	if m := changelogURLRe.FindStringSubmatch(r.url); m != nil {
		return m[1], true
	}
	return "", false
}

// flexID decodes a Jira id given as a JSON string or number.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if firstByte(b) == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id %s is neither a string nor a number", b)
	}
	*f = flexID(n.String())
	return nil
}

func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}
