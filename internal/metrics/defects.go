package metrics

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

func (p *prepared) isDefect(is *analyzer.Issue) bool {
	return p.defects[strings.ToLower(is.Type)]
}

// defectsCreatedIn returns the indexes of defects created in [from, to).
func (p *prepared) defectsCreatedIn(from, to time.Time) []int {
	if p.defectIdx == nil {
		p.defectIdx = []int{}
		for i := range p.hist {
			if p.isDefect(p.hist[i].issue) {
				p.defectIdx = append(p.defectIdx, i)
			}
		}
		slices.SortStableFunc(p.defectIdx, func(a, b int) int {
			return p.hist[a].issue.Created.Compare(p.hist[b].issue.Created)
		})
	}
	search := func(t time.Time) int {
		i, _ := slices.BinarySearchFunc(p.defectIdx, t, func(i int, t time.Time) int {
			return p.hist[i].issue.Created.Compare(t)
		})
		return i
	}
	return p.defectIdx[search(from):search(to)]
}

// escaped applies the escape rule: any matching criterion makes a defect
// escaped.
func (p *prepared) escaped(is *analyzer.Issue) bool {
	r := p.opt.EscapeRule
	for _, l := range is.Labels {
		for _, want := range r.Labels {
			if strings.EqualFold(l, want) {
				return true
			}
		}
	}
	for _, want := range r.Priorities {
		if is.Priority != "" && strings.EqualFold(is.Priority, want) {
			return true
		}
	}
	env := strings.ToLower(is.Environment)
	for _, want := range r.Environments {
		if want != "" && strings.Contains(env, strings.ToLower(want)) {
			return true
		}
	}
	if r.AfterLinkedRelease {
		if rd, ok := p.d.LinkedReleaseDates[is.ID]; ok && is.Created.After(rd) {
			return true
		}
	}
	if len(r.FieldValues) > 0 && len(is.Raw) > 0 {
		var raw struct {
			Fields map[string]json.RawMessage `json:"fields"`
		}
		if err := json.Unmarshal(is.Raw, &raw); err == nil {
			for id, wants := range r.FieldValues {
				for _, v := range fieldStrings(raw.Fields[id]) {
					for _, want := range wants {
						if strings.EqualFold(v, want) {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

// fieldStrings flattens a Jira field value into strings: a string, a number,
// an option {"value": …}, a named object {"name": …}, or an array of those.
func fieldStrings(m json.RawMessage) []string {
	if len(m) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(m, &v); err != nil {
		return nil
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case float64:
			out = append(out, fmt.Sprint(x))
		case map[string]any:
			for _, k := range []string{"value", "name"} {
				if s, ok := x[k].(string); ok {
					out = append(out, s)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}
