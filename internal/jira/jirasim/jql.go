package jirasim

import (
	"fmt"
	"strings"
	"time"
)

// jqlError is a JQL problem, answered with Jira's 400 error shape.
type jqlError struct{ msg string }

func (e *jqlError) Error() string { return e.msg }

type timeCond struct {
	field string // created | updated
	op    string // >= > <= < =
	t     time.Time
}

type orderBy struct {
	field string // created | updated | key
	desc  bool
}

// jqlQuery is the parsed JQL subset a sync uses: a conjunction of clauses
// plus ORDER BY.
type jqlQuery struct {
	projects []string // keys, names or ids as written
	types    []string
	sprints  []string
	keys     []string
	times    []timeCond
	order    []orderBy
}

func (q *jqlQuery) bounded() bool {
	return len(q.projects)+len(q.types)+len(q.sprints)+len(q.keys)+len(q.times) > 0
}

type tok struct {
	s      string
	quoted bool
	pos    int
}

func lexJQL(s string) ([]tok, error) {
	var out []tok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'':
			j := i + 1
			var b strings.Builder
			for j < len(s) && s[j] != c {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
				j++
			}
			if j >= len(s) {
				return nil, &jqlError{fmt.Sprintf("Error in the JQL Query: The quoted string '%s' has not been completed. (line 1, character %d)", s[i+1:], i+1)}
			}
			out = append(out, tok{b.String(), true, i + 1})
			i = j + 1
		case strings.ContainsRune("(),", rune(c)):
			out = append(out, tok{string(c), false, i + 1})
			i++
		case strings.ContainsRune("=!<>~", rune(c)):
			j := i + 1
			if j < len(s) && s[j] == '=' || (c == '!' && j < len(s) && s[j] == '~') {
				j++
			}
			out = append(out, tok{s[i:j], false, i + 1})
			i = j
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n()=,!<>~\"'", rune(s[j])) {
				j++
			}
			out = append(out, tok{s[i:j], false, i + 1})
			i = j
		}
	}
	return out, nil
}

// parseJQL parses the supported subset; anything else is a *jqlError.
func parseJQL(src string, loc *time.Location) (*jqlQuery, error) {
	toks, err := lexJQL(src)
	if err != nil {
		return nil, err
	}
	q := &jqlQuery{}
	p := 0
	peek := func() *tok {
		if p < len(toks) {
			return &toks[p]
		}
		return nil
	}
	bad := func(t *tok, what string) error {
		if t == nil {
			return &jqlError{fmt.Sprintf("Error in the JQL Query: Expecting %s but reached the end of the query.", what)}
		}
		return &jqlError{fmt.Sprintf("Error in the JQL Query: Expecting %s but got '%s'. (line 1, character %d)", what, t.s, t.pos)}
	}
	isWord := func(t *tok, w string) bool { return t != nil && !t.quoted && strings.EqualFold(t.s, w) }

	if t := peek(); t != nil && !isWord(t, "order") {
		for {
			if err := parseClause(q, toks, &p, loc); err != nil {
				return nil, err
			}
			t := peek()
			if t == nil || isWord(t, "order") {
				break
			}
			if isWord(t, "or") || isWord(t, "not") {
				return nil, &jqlError{fmt.Sprintf("Error in the JQL Query: the simulator supports only AND between clauses, got '%s'. (line 1, character %d)", t.s, t.pos)}
			}
			if !isWord(t, "and") {
				return nil, bad(t, "either 'OR' or 'AND'")
			}
			p++
		}
	}
	if t := peek(); t != nil {
		if !isWord(t, "order") {
			return nil, bad(t, "'ORDER BY'")
		}
		p++
		if !isWord(peek(), "by") {
			return nil, bad(peek(), "'BY'")
		}
		p++
		for {
			t := peek()
			if t == nil {
				return nil, bad(t, "a field name")
			}
			f := strings.ToLower(t.s)
			switch f {
			case "updated", "created", "key", "issuekey", "rank":
			default:
				return nil, &jqlError{fmt.Sprintf("Not able to sort using field '%s'.", t.s)}
			}
			if f == "issuekey" || f == "rank" {
				f = "key"
			}
			p++
			o := orderBy{field: f}
			if t := peek(); isWord(t, "asc") || isWord(t, "desc") {
				o.desc = isWord(t, "desc")
				p++
			}
			q.order = append(q.order, o)
			if t := peek(); t != nil && t.s == "," && !t.quoted {
				p++
				continue
			}
			if t := peek(); t != nil {
				return nil, bad(t, "',' or the end of the query")
			}
			break
		}
	}
	return q, nil
}

func parseClause(q *jqlQuery, toks []tok, p *int, loc *time.Location) error {
	next := func() *tok {
		if *p < len(toks) {
			t := &toks[*p]
			*p++
			return t
		}
		return nil
	}
	ft := next()
	if ft == nil {
		return &jqlError{"Error in the JQL Query: Expecting a field name but reached the end of the query."}
	}
	if ft.s == "(" && !ft.quoted {
		return &jqlError{fmt.Sprintf("Error in the JQL Query: the simulator does not support parentheses. (line 1, character %d)", ft.pos)}
	}
	field := strings.ToLower(ft.s)
	switch field {
	case "type":
		field = "issuetype"
	case "issuekey", "id":
		field = "key"
	}
	switch field {
	case "project", "issuetype", "sprint", "key", "updated", "created":
	default:
		return &jqlError{fmt.Sprintf("Field '%s' does not exist or you do not have permission to view it.", ft.s)}
	}
	opt := next()
	if opt == nil {
		return &jqlError{"Error in the JQL Query: Expecting operator but reached the end of the query."}
	}
	op := strings.ToLower(opt.s)
	var vals []tok
	switch {
	case op == "in" && !opt.quoted:
		t := next()
		if t != nil && !t.quoted && t.s != "(" && *p < len(toks) && toks[*p].s == "(" {
			return &jqlError{fmt.Sprintf("Error in the JQL Query: the simulator does not support functions such as '%s()'. (line 1, character %d)", t.s, t.pos)}
		}
		if t == nil || t.s != "(" {
			return &jqlError{fmt.Sprintf("Error in the JQL Query: Expecting '(' after 'in'. (line 1, character %d)", opt.pos)}
		}
		for {
			v := next()
			if v == nil {
				return &jqlError{"Error in the JQL Query: Expecting ')' but reached the end of the query."}
			}
			if !v.quoted && strings.HasSuffix(v.s, "()") || (!v.quoted && *p < len(toks) && toks[*p].s == "(") {
				return &jqlError{fmt.Sprintf("Error in the JQL Query: the simulator does not support functions such as '%s'. (line 1, character %d)", v.s, v.pos)}
			}
			vals = append(vals, *v)
			sep := next()
			if sep == nil {
				return &jqlError{"Error in the JQL Query: Expecting ')' but reached the end of the query."}
			}
			if sep.s == ")" {
				break
			}
			if sep.s != "," {
				return &jqlError{fmt.Sprintf("Error in the JQL Query: Expecting ',' or ')' but got '%s'. (line 1, character %d)", sep.s, sep.pos)}
			}
		}
	case op == "=" || op == ">=" || op == ">" || op == "<=" || op == "<":
		v := next()
		if v == nil {
			return &jqlError{"Error in the JQL Query: Expecting either a value, list or function but reached the end of the query."}
		}
		if !v.quoted && *p < len(toks) && toks[*p].s == "(" {
			return &jqlError{fmt.Sprintf("Error in the JQL Query: the simulator does not support functions such as '%s()'. (line 1, character %d)", v.s, v.pos)}
		}
		vals = []tok{*v}
	default:
		return &jqlError{fmt.Sprintf("Error in the JQL Query: the simulator does not support the operator '%s'. (line 1, character %d)", opt.s, opt.pos)}
	}
	isTime := field == "updated" || field == "created"
	if !isTime && op != "=" && op != "in" {
		return &jqlError{fmt.Sprintf("The operator '%s' is not supported by the '%s' field.", opt.s, ft.s)}
	}
	var strs []string
	for _, v := range vals {
		strs = append(strs, v.s)
	}
	switch field {
	case "project":
		q.projects = append(q.projects, strs...)
	case "issuetype":
		q.types = append(q.types, strs...)
	case "sprint":
		q.sprints = append(q.sprints, strs...)
	case "key":
		q.keys = append(q.keys, strs...)
	default:
		if op == "in" {
			return &jqlError{fmt.Sprintf("The operator 'in' is not supported by the '%s' field.", ft.s)}
		}
		t, ok := parseJQLTime(strs[0], loc)
		if !ok {
			return &jqlError{fmt.Sprintf("Date value '%s' for field '%s' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.", strs[0], ft.s)}
		}
		q.times = append(q.times, timeCond{field: field, op: op, t: t})
	}
	return nil
}

func parseJQLTime(v string, loc *time.Location) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04", "2006/01/02 15:04", "2006-01-02", "2006/01/02"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
