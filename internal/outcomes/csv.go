package outcomes

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// CSVOptions tunes ParseCSV.
type CSVOptions struct {
	// Known metrics: a row's empty unit is taken from here, a different
	// unit is refused.
	Known map[string]Metric
	// Strict refuses rows whose metric is not in Known.
	Strict bool
	// Source is stored with every value; default "csv".
	Source string
	// MaxErrors is how many problems are listed before the rest are only
	// counted; default 20.
	MaxErrors int
	// MaxRows refuses larger files; default 1,000,000. -1 disables the limit.
	MaxRows int
}

// MaxCSVField is the longest CSV field, in bytes; a longer one (or a row
// that runs on without a line end) is refused with its line number before
// more of the file is read.
const MaxCSVField = 64 << 10

// maxCSVRow bounds the raw bytes of one row: the five columns' fields of
// MaxCSVField each, which quoting may double, and a line end.
const maxCSVRow = 2*5*MaxCSVField + 4096

var errCSVRowTooLong = errors.New("outcomes: CSV row too long")

// boundedReader hands the CSV reader its input and fails once the current
// record has taken more than max bytes, so that one endless field cannot
// fill the memory. It counts line ends to name the record's line.
type boundedReader struct {
	r     io.Reader
	max   int
	pos   int64   // bytes handed out
	start int64   // offset of the current record
	lines int     // line ends before start
	nl    []int64 // offsets of the line ends handed out at or after start
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.pos-b.start > int64(b.max) {
		return 0, errCSVRowTooLong
	}
	n, err := b.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			b.nl = append(b.nl, b.pos+int64(i))
		}
	}
	b.pos += int64(n)
	return n, err
}

// next marks offset (the end of the record just read) as the next record's start.
func (b *boundedReader) next(offset int64) {
	k := 0
	for k < len(b.nl) && b.nl[k] < offset {
		k++
	}
	b.lines += k
	b.nl = append(b.nl[:0], b.nl[k:]...)
	b.start = offset
}

// line is the line the next record starts on.
func (b *boundedReader) line() int { return b.lines + 1 }

var csvColumns = []string{"date", "metric", "value", "segment", "unit"}

// ParseCSV reads outcome values from a CSV file with a header row naming the
// columns date, metric and value, and optionally segment and unit, in any
// order and any letter case. The file is UTF-8, with or without a byte-order
// mark, with LF or CRLF line ends. Dates are 2006-01-02, 2006-01 (the first
// of the month) or 2026-W47 (the Monday of that ISO week); values use a
// decimal point.
//
// Every problem is collected (up to MaxErrors) and named by its line, so a
// user can fix the file in one go. On any problem ParseCSV returns no values
// and an error wrapping ErrInvalid (a *Problems): a file is imported whole or
// not at all.
func ParseCSV(r io.Reader, opts CSVOptions) ([]Value, error) {
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = 20
	}
	if opts.MaxRows == 0 {
		opts.MaxRows = 1_000_000
	}
	opts.Source = defaultString(opts.Source, "csv")
	probs := &Problems{Prefix: "outcomes"}

	bounded := &boundedReader{r: r, max: maxCSVRow}
	br := bufio.NewReader(bounded)
	bom := int64(0)
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		bom = 3
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		probs.add(opts.MaxErrors, "line 1: the file is UTF-16; save it as UTF-8")
		return nil, probs
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // counted here, to name the line and the columns
	cr.ReuseRecord = false

	// read returns the next record, refusing a field longer than
	// MaxCSVField, and a row that runs on past maxCSVRow bytes before the
	// reader holds it all; line is the record's first line.
	read := func() (rec []string, line int, err error) {
		line = bounded.line()
		rec, err = cr.Read()
		if errors.Is(err, errCSVRowTooLong) {
			probs.add(opts.MaxErrors, "line %d: the row is longer than %d bytes: a field longer than %d bytes or a quote that is never closed; nothing past it was read", line, maxCSVRow, MaxCSVField)
			return nil, line, probs
		}
		if err != nil {
			return nil, line, err
		}
		bounded.next(cr.InputOffset() + bom)
		if line, _ = cr.FieldPos(0); line < 1 {
			line = 1
		}
		for i, f := range rec {
			if len(f) > MaxCSVField {
				probs.add(opts.MaxErrors, "line %d: field %d is longer than %d bytes", line, i+1, MaxCSVField)
				return nil, line, probs
			}
		}
		return rec, line, nil
	}

	header, _, err := read()
	if errors.Is(err, ErrInvalid) {
		return nil, err
	}
	if errors.Is(err, io.EOF) {
		probs.add(opts.MaxErrors, "line 1: the file is empty; want a header row %s", strings.Join(csvColumns[:3], ","))
		return nil, probs
	}
	if err != nil {
		return nil, csvReadError(probs, opts, err)
	}
	col, herr := csvHeader(header)
	if herr != "" {
		probs.add(opts.MaxErrors, "line 1: %s", herr)
		return nil, probs
	}

	check := newValidator(opts.Known, opts.Strict)
	var out []Value
	rows := 0
	for {
		rec, line, err := read()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, ErrInvalid) {
			return nil, err
		}
		if err != nil {
			// A broken quote leaves the reader unable to find the next
			// row reliably: report it and stop.
			return nil, csvReadError(probs, opts, err)
		}
		rows++
		if opts.MaxRows > 0 && rows > opts.MaxRows {
			probs.add(opts.MaxErrors, "line %d: the file has more than %d rows; split it", line, opts.MaxRows)
			break
		}
		if len(rec) != len(header) {
			probs.add(opts.MaxErrors, "line %d: %d columns, the header has %d", line, len(rec), len(header))
			continue
		}
		v, msgs := csvRow(rec, col, opts.Source)
		for _, m := range msgs {
			probs.add(opts.MaxErrors, "line %d: %s", line, m)
		}
		if len(msgs) > 0 {
			continue
		}
		if err := check.check(&v, fmt.Sprintf("line %d", line)); err != nil {
			probs.add(opts.MaxErrors, "line %d: %v", line, err)
			continue
		}
		if len(probs.List) == 0 {
			out = append(out, v)
		}
	}
	if len(probs.List) > 0 {
		return nil, probs
	}
	if len(out) == 0 {
		probs.add(opts.MaxErrors, "line 1: the file has a header but no values")
		return nil, probs
	}
	return out, nil
}

func csvReadError(probs *Problems, opts CSVOptions, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		probs.add(opts.MaxErrors, "line %d: %v", pe.Line, pe.Err)
		return probs
	}
	return fmt.Errorf("outcomes: unable to read CSV: %w", err)
}

// csvHeader maps column name to index, or returns what is wrong.
func csvHeader(header []string) (map[string]int, string) {
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range csvColumns {
			known = known || c == name
		}
		switch {
		case !utf8.ValidString(h):
			return nil, "the header is not valid UTF-8"
		case !known:
			return nil, fmt.Sprintf("unknown column %q; want date,metric,value[,segment,unit] (is the header row missing?)", truncate(h, 40))
		}
		if _, dup := col[name]; dup {
			return nil, fmt.Sprintf("column %q appears twice", name)
		}
		col[name] = i
	}
	var missing []string
	for _, c := range csvColumns[:3] {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Sprintf("missing column %s; want date,metric,value[,segment,unit]", strings.Join(missing, ", "))
	}
	return col, ""
}

// csvRow converts one record; it returns every problem of the row.
func csvRow(rec []string, col map[string]int, source string) (Value, []string) {
	var msgs []string
	get := func(name string) string {
		if i, ok := col[name]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	v := Value{Metric: get("metric"), Segment: get("segment"), Unit: get("unit"), Source: source}
	for _, c := range rec {
		if !utf8.ValidString(c) {
			return v, []string{"not valid UTF-8 (save the file as UTF-8)"}
		}
	}
	d, err := ParseDate(get("date"))
	if err != nil {
		msgs = append(msgs, err.Error())
	}
	v.Date = d
	f, err := ParseNumber(get("value"))
	if err != nil {
		msgs = append(msgs, err.Error())
	}
	v.Value = f
	if v.Metric == "" {
		msgs = append(msgs, "metric is empty")
	}
	return v, msgs
}
