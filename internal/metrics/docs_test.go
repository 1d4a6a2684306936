package metrics_test

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/metrics"
	"github.com/backlog-health/analyzer/internal/report"
)

// TestDefaultsAgreeEverywhere: every default docs/metrics.md and
// configs/example.yaml state is the one the code uses, and the
// configuration, the metrics and the report share one value each.
func TestDefaultsAgreeEverywhere(t *testing.T) {
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	// number finds the integers a pattern captures in docs/metrics.md.
	number := func(pattern string) []int {
		t.Helper()
		m := regexp.MustCompile(pattern).FindSubmatch(doc)
		if m == nil {
			t.Fatalf("docs/metrics.md has no %q", pattern)
		}
		var ns []int
		for _, g := range m[1:] {
			n, err := strconv.Atoi(string(g))
			if err != nil {
				t.Fatalf("docs/metrics.md: %q: %v", pattern, err)
			}
			ns = append(ns, n)
		}
		return ns
	}
	docs := []struct {
		what    string
		pattern string
		want    []int
	}{
		{"definition version", `definition version\*\* \(currently \*\*(\d+)\*\*`, []int{metrics.DefinitionVersion}},
		{"stale days", `no changelog entry\) for more than (\d+) days`, []int{metrics.DefaultStaleDays}},
		{"ageing WIP items", `oldest of them \((\d+) by default\)`, []int{metrics.DefaultAgeingTop}},
		{"velocity windows", `last (\d+) and the last (\d+)\s+closed sprints`, metrics.DefaultVelocityWindows},
	}
	for _, d := range docs {
		if got := number(d.pattern); !slices.Equal(got, d.want) {
			t.Errorf("docs/metrics.md: %s %v, code %v", d.what, got, d.want)
		}
	}
	if !regexp.MustCompile("default `\\[Epic\\]`").Match(doc) || !slices.Equal(metrics.DefaultFlowExcludeTypes, []string{"Epic"}) {
		t.Errorf("docs/metrics.md does not say flow items leave out [Epic] by default, as the code does (%v)", metrics.DefaultFlowExcludeTypes)
	}

	def := config.Default().Metrics
	if def.StaleDays != metrics.DefaultStaleDays || !slices.Equal(def.VelocityWindows, metrics.DefaultVelocityWindows) ||
		!slices.Equal(def.FlowExcludeTypes, metrics.DefaultFlowExcludeTypes) || def.IncludeSubtasks {
		t.Errorf("config defaults: stale %d, windows %v, flow exclude %v, subtasks %v; metrics: %d, %v, %v, false",
			def.StaleDays, def.VelocityWindows, def.FlowExcludeTypes, def.IncludeSubtasks,
			metrics.DefaultStaleDays, metrics.DefaultVelocityWindows, metrics.DefaultFlowExcludeTypes)
	}

	// configs/example.yaml documents every key with its default.
	raw, err := os.ReadFile("../../configs/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var example struct {
		Metrics struct {
			StaleDays        *int     `yaml:"stale_days"`
			VelocityWindows  []int    `yaml:"velocity_windows"`
			FlowExcludeTypes []string `yaml:"flow_exclude_types"`
			IncludeSubtasks  *bool    `yaml:"include_subtasks"`
		} `yaml:"metrics"`
	}
	if err := yaml.Unmarshal(raw, &example); err != nil {
		t.Fatal(err)
	}
	em := example.Metrics
	if em.StaleDays == nil || *em.StaleDays != metrics.DefaultStaleDays ||
		!slices.Equal(em.VelocityWindows, metrics.DefaultVelocityWindows) ||
		!slices.Equal(em.FlowExcludeTypes, metrics.DefaultFlowExcludeTypes) ||
		em.IncludeSubtasks == nil || *em.IncludeSubtasks {
		t.Errorf("configs/example.yaml metrics: stale_days %v, velocity_windows %v, flow_exclude_types %v, include_subtasks %v; want the defaults %d, %v, %v, false",
			deref(em.StaleDays), em.VelocityWindows, em.FlowExcludeTypes, em.IncludeSubtasks,
			metrics.DefaultStaleDays, metrics.DefaultVelocityWindows, metrics.DefaultFlowExcludeTypes)
	}

	if report.MaxAgeingItems != metrics.DefaultAgeingTop {
		t.Errorf("the report lists %d ageing items, metrics keeps %d", report.MaxAgeingItems, metrics.DefaultAgeingTop)
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
