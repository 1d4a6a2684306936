package outcomes

import (
	"errors"
	"fmt"
	"strings"
)

// CheckSourceQuery checks, without sending it anywhere, that q is one
// read-only query: it must start with SELECT, WITH, VALUES or TABLE (after
// comments and parentheses), hold no ";" except at its end, no COPY and no
// $1-style parameter. String constants ('…', E'…', $tag$…$tag$), quoted
// identifiers and comments (nested as PostgreSQL nests them) are skipped,
// so a ";" or the word copy inside them is fine. It returns the query
// without its trailing semicolons and comments.
//
// This is the first of three guards: the query then runs as the one
// statement of an extended-protocol Parse (lib/pq never falls back to a
// simple query, which would run everything after a ";"), wrapped in a
// subquery, in a READ ONLY transaction.
func CheckSourceQuery(q string) (string, error) {
	lx := sqlLexer{s: q}
	semi := -1 // offset of the first ";"
	first := ""
	end := -1 // offset just past the last token before a ";"
	for {
		tok, err := lx.next()
		if err != nil {
			return "", err
		}
		if tok.kind == tokEOF {
			break
		}
		if semi >= 0 && tok.kind != tokSemicolon {
			return "", fmt.Errorf("it holds several statements (text after the \";\" at offset %d); a source runs exactly one query", semi)
		}
		switch tok.kind {
		case tokSemicolon:
			if semi < 0 {
				semi = tok.pos
			}
			continue
		case tokParam:
			return "", fmt.Errorf("it uses the parameter %s; a source query takes no parameters", tok.text)
		case tokWord:
			w := strings.ToLower(tok.text)
			if w == "copy" {
				return "", errors.New(`it uses COPY; write a SELECT (quote a column named copy as "copy")`)
			}
			if first == "" {
				first = w
			}
		default:
			if first == "" && tok.kind != tokOpenParen {
				first = tok.text
			}
		}
		end = tok.pos + len(tok.text)
	}
	switch first {
	case "select", "with", "values", "table":
	case "":
		return "", errors.New("it is empty")
	default:
		return "", fmt.Errorf("it starts with %q; want one SELECT, WITH, VALUES or TABLE query", truncate(first, 20))
	}
	return q[:end], nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokString // a string constant or a quoted identifier
	tokParam  // $1
	tokSemicolon
	tokOpenParen
	tokOther // numbers, operators, punctuation
)

type sqlToken struct {
	kind tokKind
	pos  int
	text string // the token's source text
}

// sqlLexer splits SQL into tokens the way PostgreSQL's scanner does, for
// what matters here: where comments, constants and identifiers end.
type sqlLexer struct {
	s         string
	i         int
	semicolon int // offset of the first ";" seen, or -1 before
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '$' }

func (lx *sqlLexer) next() (sqlToken, error) {
	s := lx.s
	for lx.i < len(s) {
		c := s[lx.i]
		start := lx.i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			lx.i++
		case strings.HasPrefix(s[lx.i:], "--"):
			nl := strings.IndexByte(s[lx.i:], '\n')
			if nl < 0 {
				lx.i = len(s)
			} else {
				lx.i += nl + 1
			}
		case strings.HasPrefix(s[lx.i:], "/*"):
			depth := 0
			for lx.i < len(s) && (depth > 0 || lx.i == start) {
				switch {
				case strings.HasPrefix(s[lx.i:], "/*"):
					depth++
					lx.i += 2
				case strings.HasPrefix(s[lx.i:], "*/"):
					depth--
					lx.i += 2
				default:
					lx.i++
				}
			}
			if depth > 0 {
				return sqlToken{}, fmt.Errorf("the comment at offset %d never ends", start)
			}
		case c == '\'':
			if err := lx.quoted('\'', false); err != nil {
				return sqlToken{}, err
			}
			return sqlToken{tokString, start, s[start:lx.i]}, nil
		case c == '"':
			if err := lx.quoted('"', false); err != nil {
				return sqlToken{}, err
			}
			return sqlToken{tokString, start, s[start:lx.i]}, nil
		case (c == 'e' || c == 'E') && lx.i+1 < len(s) && s[lx.i+1] == '\'':
			lx.i++
			if err := lx.quoted('\'', true); err != nil {
				return sqlToken{}, err
			}
			return sqlToken{tokString, start, s[start:lx.i]}, nil
		case isIdentStart(c):
			for lx.i < len(s) && isIdentChar(s[lx.i]) {
				lx.i++
			}
			return sqlToken{tokWord, start, s[start:lx.i]}, nil
		case c == '$':
			if lx.i+1 < len(s) && s[lx.i+1] >= '0' && s[lx.i+1] <= '9' {
				lx.i++
				for lx.i < len(s) && s[lx.i] >= '0' && s[lx.i] <= '9' {
					lx.i++
				}
				return sqlToken{tokParam, start, s[start:lx.i]}, nil
			}
			if tag, ok := dollarTag(s[lx.i:]); ok {
				body := strings.Index(s[lx.i+len(tag):], tag)
				if body < 0 {
					return sqlToken{}, fmt.Errorf("the %s string at offset %d never ends", tag, start)
				}
				lx.i += len(tag) + body + len(tag)
				return sqlToken{tokString, start, s[start:lx.i]}, nil
			}
			lx.i++
			return sqlToken{tokOther, start, s[start:lx.i]}, nil
		case c >= '0' && c <= '9':
			for lx.i < len(s) && (isIdentChar(s[lx.i]) || s[lx.i] == '.') && s[lx.i] != '$' {
				lx.i++
			}
			return sqlToken{tokOther, start, s[start:lx.i]}, nil
		case c == ';':
			lx.i++
			return sqlToken{tokSemicolon, start, ";"}, nil
		case c == '(':
			lx.i++
			return sqlToken{tokOpenParen, start, "("}, nil
		default:
			lx.i++
			return sqlToken{tokOther, start, s[start:lx.i]}, nil
		}
	}
	return sqlToken{kind: tokEOF, pos: len(s)}, nil
}

// quoted consumes a '…' constant or a "…" identifier starting at lx.i (a
// doubled quote stands for one); with backslash, \x escapes x too (E'…').
func (lx *sqlLexer) quoted(q byte, backslash bool) error {
	start := lx.i
	lx.i++
	for lx.i < len(lx.s) {
		c := lx.s[lx.i]
		switch {
		case backslash && c == '\\':
			lx.i += 2
		case c == q && lx.i+1 < len(lx.s) && lx.s[lx.i+1] == q:
			lx.i += 2
		case c == q:
			lx.i++
			return nil
		default:
			lx.i++
		}
	}
	what := "string"
	if q == '"' {
		what = "quoted identifier"
	}
	return fmt.Errorf("the %s at offset %d never ends", what, start)
}

// dollarTag returns the $tag$ opening a dollar-quoted string at the start
// of s: $$ or $name$ with name an identifier without "$".
func dollarTag(s string) (string, bool) {
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$':
			return s[:i+1], true
		case isIdentStart(c), i > 1 && c >= '0' && c <= '9':
		default:
			return "", false
		}
	}
	return "", false
}
