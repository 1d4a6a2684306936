package report

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// schemaJSON is the JSON Schema of the report (docs/report-schema.md).
//
//go:embed schema.json
var schemaJSON []byte

// ErrInvalidReport is returned by ValidateJSON for a document that does not
// match the schema.
var ErrInvalidReport = errors.New("report: json does not match the schema")

// Schema returns the JSON Schema (draft 2020-12) of the JSON report.
func Schema() []byte { return slices.Clone(schemaJSON) }

// ValidateJSON checks a JSON report against the embedded schema. It
// implements the subset of JSON Schema the schema uses: type (one or a
// list), properties, required, additionalProperties: false, items, enum,
// const and local $ref; annotations (title, description, $schema, $id) are
// ignored, and any other keyword is refused so that the schema cannot
// silently rely on something unchecked.
func ValidateJSON(data []byte) error {
	var root map[string]any
	if err := json.Unmarshal(schemaJSON, &root); err != nil {
		return fmt.Errorf("report: embedded schema: %w", err)
	}
	var doc any
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidReport, err)
	}
	v := validator{root: root}
	v.check(root, doc, "$")
	if len(v.errs) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidReport, strings.Join(v.errs, "; "))
	}
	return nil
}

type validator struct {
	root map[string]any
	errs []string
}

func (v *validator) fail(path, format string, a ...any) {
	v.errs = append(v.errs, path+": "+fmt.Sprintf(format, a...))
}

var annotations = map[string]bool{"$schema": true, "$id": true, "title": true, "description": true, "$defs": true}

func (v *validator) check(s map[string]any, doc any, path string) {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "type", "properties", "required", "additionalProperties", "items", "enum", "const", "$ref":
		default:
			if !annotations[k] {
				v.fail(path, "schema keyword %q is not supported by this validator", k)
			}
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/$defs/")
		defs, _ := v.root["$defs"].(map[string]any)
		target, ok := defs[name].(map[string]any)
		if !found || !ok {
			v.fail(path, "unresolvable $ref %q", ref)
			return
		}
		v.check(target, doc, path)
	}
	if t, ok := s["type"]; ok && !v.typeOK(t, doc) {
		v.fail(path, "%s is not of type %v", kindOf(doc), t)
		return
	}
	if c, ok := s["const"]; ok && !equalJSON(c, doc) {
		v.fail(path, "must be %v", c)
	}
	if e, ok := s["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return equalJSON(x, doc) }) {
		v.fail(path, "%v is not one of %v", doc, e)
	}
	switch d := doc.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range asStrings(s["required"]) {
			if _, ok := d[r]; !ok {
				v.fail(path, "missing required key %q", r)
			}
		}
		names := make([]string, 0, len(d))
		for k := range d {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if ap, set := s["additionalProperties"].(bool); set && !ap {
					v.fail(path, "unknown key %q", k)
				}
				continue
			}
			v.check(ps, d[k], path+"."+k)
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, x := range d {
				v.check(items, x, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
}

func (v *validator) typeOK(t any, doc any) bool {
	switch t := t.(type) {
	case string:
		return isType(t, doc)
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && isType(s, doc) {
				return true
			}
		}
	}
	return false
}

func isType(t string, doc any) bool {
	switch t {
	case "null":
		return doc == nil
	case "boolean":
		_, ok := doc.(bool)
		return ok
	case "string":
		_, ok := doc.(string)
		return ok
	case "object":
		_, ok := doc.(map[string]any)
		return ok
	case "array":
		_, ok := doc.([]any)
		return ok
	case "number":
		_, ok := doc.(json.Number)
		return ok
	case "integer":
		n, ok := doc.(json.Number)
		if !ok {
			return false
		}
		f, err := n.Float64()
		return err == nil && f == math.Trunc(f)
	}
	return false
}

func kindOf(doc any) string {
	switch doc.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", doc)
}

// equalJSON compares a schema value (decoded without UseNumber) with a
// document value (numbers as json.Number).
func equalJSON(schema, doc any) bool {
	if n, ok := doc.(json.Number); ok {
		f, err := n.Float64()
		sf, ok := schema.(float64)
		return err == nil && ok && f == sf
	}
	return schema == doc
}

func asStrings(x any) []string {
	xs, _ := x.([]any)
	out := make([]string, 0, len(xs))
	for _, s := range xs {
		if s, ok := s.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
