package store

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// PostgreSQL text cannot hold NUL, and jsonb rejects the \u0000 escape. Jira
// data does contain them (seen in real recorded payloads: a NUL pasted into
// a summary), so they become U+FFFD, the replacement character, instead of
// failing the whole batch.

// cleanText replaces NUL characters and invalid UTF-8 (which PostgreSQL's
// UTF8 text refuses too, and a CSV file may hold).
func cleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// cleanTexts applies cleanText to every element in place and returns v.
func cleanTexts(v []string) []string {
	for i := range v {
		v[i] = cleanText(v[i])
	}
	return v
}

// cleanJSON rewrites every \u0000 escape inside JSON strings to \uFFFD.
// It walks the escapes so that an escaped backslash followed by "u0000"
// (the text `\u0000`, written `\\u0000`) is left alone.
func cleanJSON(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u0000`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			out = append(out, c)
			continue
		}
		if b[i+1] == 'u' && i+5 < len(b) && string(b[i+2:i+6]) == "0000" {
			out = append(out, `\ufffd`...)
			i += 5
			continue
		}
		out = append(out, c, b[i+1]) // any other escape, \\ included, kept whole
		i++
	}
	return out
}
