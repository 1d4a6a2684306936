package jirasim

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// jw is a tiny append-only JSON writer: the simulator writes its hot paths
// (issues, histories) by hand to keep pages cheap and byte-for-byte stable.
type jw struct {
	b        []byte
	first    []bool // per open container: no member written yet
	afterKey bool
}

func (w *jw) sep() {
	if w.afterKey {
		w.afterKey = false
		return
	}
	if n := len(w.first); n > 0 {
		if !w.first[n-1] {
			w.b = append(w.b, ',')
		}
		w.first[n-1] = false
	}
}

func (w *jw) obj() { w.sep(); w.b = append(w.b, '{'); w.first = append(w.first, true) }
func (w *jw) arr() { w.sep(); w.b = append(w.b, '['); w.first = append(w.first, true) }
func (w *jw) end() { w.b = append(w.b, '}'); w.first = w.first[:len(w.first)-1] }
func (w *jw) endA() {
	w.b = append(w.b, ']')
	w.first = w.first[:len(w.first)-1]
}

// k writes an object key; the next value follows without a separator.
func (w *jw) k(name string) {
	w.sep()
	w.b = appendStr(w.b, name)
	w.b = append(w.b, ':')
	w.afterKey = true
}

func (w *jw) s(v string) { w.sep(); w.b = appendStr(w.b, v) }
func (w *jw) sOrNull(v string) {
	if v == "" {
		w.null()
		return
	}
	w.s(v)
}
func (w *jw) i(v int64)    { w.sep(); w.b = strconv.AppendInt(w.b, v, 10) }
func (w *jw) bool(v bool)  { w.sep(); w.b = strconv.AppendBool(w.b, v) }
func (w *jw) null()        { w.sep(); w.b = append(w.b, "null"...) }
func (w *jw) raw(v []byte) { w.sep(); w.b = append(w.b, v...) }
func (w *jw) f(v float64)  { w.sep(); w.b = appendFloat(w.b, v) }
func (w *jw) tf(v time.Time, layout string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = v.UTC().AppendFormat(w.b, layout)
	w.b = append(w.b, '"')
}

// Key + value helpers.
func (w *jw) ks(k, v string)          { w.k(k); w.s(v) }
func (w *jw) ki(k string, v int64)    { w.k(k); w.i(v) }
func (w *jw) kb(k string, v bool)     { w.k(k); w.bool(v) }
func (w *jw) kn(k string)             { w.k(k); w.null() }
func (w *jw) kraw(k string, v []byte) { w.k(k); w.raw(v) }
func (w *jw) ko(k string)             { w.k(k); w.obj() }
func (w *jw) ka(k string)             { w.k(k); w.arr() }

// kt writes a Jira time (null when zero).
func (w *jw) kt(k string, v time.Time) {
	w.k(k)
	if v.IsZero() {
		w.null()
		return
	}
	w.tf(v, jiraTime)
}

const (
	jiraTime  = "2006-01-02T15:04:05.000-0700"  // issue and changelog times
	agileTime = "2006-01-02T15:04:05.000Z07:00" // agile API (sprints)
)

func appendFloat(b []byte, v float64) []byte {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	b = append(b, s...)
	if !strings.ContainsAny(s, ".eE") {
		b = append(b, ".0"...)
	}
	return b
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

const hexDigits = "0123456789abcdef"

// appendStr appends s as a JSON string (no HTML escaping, like Jira).
func appendStr(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i++
				start = i
				continue
			}
			if r == '\u2028' || r == '\u2029' {
				b = append(b, s[start:i]...)
				b = append(b, `\u202`...)
				b = append(b, hexDigits[r&0xf])
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
