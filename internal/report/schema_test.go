package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestJSONMatchesSchema(t *testing.T) {
	for name, in := range map[string]Input{"report": fixtureInput(t), "outcomes": outcomesInput(t)} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderJSON(&buf, mustBuild(t, in)); err != nil {
				t.Fatal(err)
			}
			if err := ValidateJSON(buf.Bytes()); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("EmptyReport", func(t *testing.T) {
		in := fixtureInput(t)
		in.Teams = nil
		var buf bytes.Buffer
		if err := RenderJSON(&buf, mustBuild(t, in)); err != nil {
			t.Fatal(err)
		}
		if err := ValidateJSON(buf.Bytes()); err != nil {
			t.Fatal(err)
		}
		// The issue asks for an empty list, not null, when nothing is there.
		if !bytes.Contains(buf.Bytes(), []byte(`"outcomes": []`)) || !bytes.Contains(buf.Bytes(), []byte(`"teams": []`)) {
			t.Errorf("teams and outcomes must be empty lists:\n%s", buf.Bytes())
		}
	})
}

// The validator must be able to fail: each mutation of a valid report is
// rejected with a message naming the problem.
func TestValidateJSONRejects(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderJSON(&buf, mustBuild(t, fixtureInput(t))); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		mutate func(m map[string]any)
		want   string
	}{
		"UnknownTopKey":   {func(m map[string]any) { m["extra"] = 1 }, `unknown key "extra"`},
		"MissingTeams":    {func(m map[string]any) { delete(m, "teams") }, `missing required key "teams"`},
		"WrongVersion":    {func(m map[string]any) { m["schema_version"] = 1 }, "$.schema_version: must be 4"},
		"StringForNumber": {func(m map[string]any) { team(m)["throughput"] = "3" }, "$.teams[0].throughput: string is not of type integer"},
		"FractionalCount": {func(m map[string]any) { team(m)["wip"] = 1.5 }, "$.teams[0].wip: number is not of type integer"},
		"NullList":        {func(m map[string]any) { team(m)["sprints"] = nil }, "$.teams[0].sprints: null is not of type array"},
		"UnknownSprintKey": {func(m map[string]any) {
			team(m)["sprints"].([]any)[0].(map[string]any)["velocity"] = 1
		}, `$.teams[0].sprints[0]: unknown key "velocity"`},
		"BadEnum": {func(m map[string]any) {
			team(m)["callouts"].([]any)[0].(map[string]any)["severity"] = "loud"
		}, `$.teams[0].callouts[0].severity: loud is not one of`},
	} {
		t.Run(name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			tc.mutate(m)
			b, _ := json.Marshal(m)
			err := ValidateJSON(b)
			if !errors.Is(err, ErrInvalidReport) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func team(m map[string]any) map[string]any { return m["teams"].([]any)[0].(map[string]any) }

// docs/report-schema.md documents every key of the schema.
func TestSchemaDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/report-schema.md")
	if err != nil {
		t.Fatal(err)
	}
	var keys func(v any)
	seen := map[string]bool{}
	keys = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if p, ok := v["properties"].(map[string]any); ok {
				for k := range p {
					seen[k] = true
				}
			}
			for _, x := range v {
				keys(x)
			}
		case []any:
			for _, x := range v {
				keys(x)
			}
		}
	}
	var s any
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	keys(s)
	if len(seen) < 50 {
		t.Fatalf("only %d keys found in the schema", len(seen))
	}
	for k := range seen {
		if !regexp.MustCompile("`" + regexp.QuoteMeta(k) + "`").Match(doc) {
			t.Errorf("docs/report-schema.md does not mention `%s`", k)
		}
	}
}
