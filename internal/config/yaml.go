package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// decodeYAML decodes the configuration file b into cfg. Before decoding it
// walks the document against Config's yaml tags, so that mistakes are told
// in the file's own words: "config: line 3: unknown key "jira.concurency"
// (did you mean "concurrency"?)" rather than yaml.v3's "field concurency
// not found in type config.JiraConfig". The walk also rewrites durations
// written with days or weeks ("14d", "2w") into Go's form, so that every
// time.Duration field takes them.
func decodeYAML(b []byte, cfg *Config) error {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file means "defaults only"
		}
		return fmt.Errorf("config: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	w := &yamlWalk{paths: map[int]string{}}
	w.walk(&doc, reflect.TypeOf(cfg).Elem(), "")
	if len(w.errs) > 0 {
		return errors.Join(w.errs...)
	}
	if err := doc.Decode(cfg); err != nil {
		return w.rewrite(err)
	}
	return nil
}

type yamlWalk struct {
	errs  []error
	paths map[int]string // line → path of the value on it, for decode errors
}

var (
	durationType    = reflect.TypeOf(time.Duration(0))
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

func (w *yamlWalk) walk(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			w.walk(c, t, path)
		}
		return
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if _, seen := w.paths[n.Line]; !seen || n.Kind == yaml.ScalarNode {
		w.paths[n.Line] = path // a scalar is the innermost value on its line
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return // the type reads the node itself
	}
	switch {
	case t == durationType:
		if n.Kind != yaml.ScalarNode {
			return
		}
		d, err := ParseDuration(n.Value)
		if err != nil {
			w.errs = append(w.errs, fmt.Errorf("config: line %d: %s: %w", n.Line, path, err))
			return
		}
		n.Tag, n.Value = "!!str", d.String()
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.StructField{}
		var names []string
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" || !f.IsExported() {
				continue
			}
			fields[tag] = f
			names = append(names, tag)
		}
		sort.Strings(names)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			f, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("config: line %d: unknown key %q", k.Line, p)
				if near := Closest(k.Value, names); near != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", near)
				}
				w.errs = append(w.errs, errors.New(msg))
				continue
			}
			w.walk(v, f.Type, p)
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			w.walk(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			w.walk(n.Content[i+1], t.Elem(), joinPath(path, n.Content[i].Value))
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	lineRe      = regexp.MustCompile(`^line (\d+): (.*)$`)
	unmarshalRe = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")
)

// rewrite turns yaml.v3's decode errors into "config: line N: path: want …".
func (w *yamlWalk) rewrite(err error) error {
	var lines []string
	if te := (*yaml.TypeError)(nil); errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var errs []error
	for _, l := range lines {
		l = strings.TrimSpace(l)
		m := lineRe.FindStringSubmatch(l)
		if m == nil {
			errs = append(errs, fmt.Errorf("config: %s", l))
			continue
		}
		line, _ := strconv.Atoi(m[1])
		msg := m[2]
		if u := unmarshalRe.FindStringSubmatch(msg); u != nil {
			msg = wantType(u[1], u[2], u[3])
		}
		if p := w.paths[line]; p != "" {
			msg = p + ": " + msg
		}
		errs = append(errs, fmt.Errorf("config: line %d: %s", line, msg))
	}
	return errors.Join(errs...)
}

// wantType words a type mismatch for someone who writes YAML, not Go.
func wantType(yamlTag, value, goType string) string {
	var want string
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "want a list"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "config."), strings.HasPrefix(goType, "outcomes."):
		return "want a mapping of keys to values"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		want = "an integer"
	case strings.HasPrefix(goType, "float"):
		want = "a number"
	case goType == "bool", goType == "*bool":
		want = "true or false"
	case goType == "string":
		want = "a text value"
	default:
		want = "a " + goType
	}
	if yamlTag == "map" || yamlTag == "seq" {
		return fmt.Sprintf("want %s, got a %s", want, map[string]string{"map": "mapping", "seq": "list"}[yamlTag])
	}
	return fmt.Sprintf("want %s, got %q", want, value)
}
