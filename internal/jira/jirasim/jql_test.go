package jirasim

import (
	"reflect"
	"testing"
	"time"
)

func TestParseJQL(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse("2006-01-02 15:04", s); return t }
	cases := map[string]struct {
		jql  string
		want jqlQuery
	}{
		"SyncQuery": {`project = PHX AND updated >= "2025-06-01 10:30" ORDER BY updated ASC`, jqlQuery{
			projects: []string{"PHX"}, times: []timeCond{{"updated", ">=", d("2025-06-01 10:30")}}, order: []orderBy{{"updated", false}}}},
		"DevLakeStyle": {`updated >= '2006/01/02 15:04' ORDER BY created ASC`, jqlQuery{
			times: []timeCond{{"updated", ">=", d("2006-01-02 15:04")}}, order: []orderBy{{"created", false}}}},
		"Lists": {`project in (PHX, "ATL") and issuetype in (Bug, Story) AND sprint = 12`, jqlQuery{
			projects: []string{"PHX", "ATL"}, types: []string{"Bug", "Story"}, sprints: []string{"12"}}},
		"Keys": {`key in (PHX-1, PHX-2) ORDER BY key DESC, created`, jqlQuery{
			keys: []string{"PHX-1", "PHX-2"}, order: []orderBy{{"key", true}, {"created", false}}}},
		"DateOnly":  {`created < 2025-01-01`, jqlQuery{times: []timeCond{{"created", "<", d("2025-01-01 00:00")}}}},
		"OnlyOrder": {`ORDER BY rank`, jqlQuery{order: []orderBy{{"key", false}}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseJQL(c.jql, time.UTC)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !reflect.DeepEqual(*got, c.want) {
				t.Errorf("got %+v\nwant %+v", *got, c.want)
			}
		})
	}
	for _, bad := range []string{`project = `, `project ~ PHX`, `status = Done`, `project = PHX ORDER updated`, `"unterminated`, `sprint >= 3`, `updated in (1)`, `(project = PHX)`} {
		if _, err := parseJQL(bad, time.UTC); err == nil {
			t.Errorf("%q parsed", bad)
		} else if _, ok := err.(*jqlError); !ok {
			t.Errorf("%q: %T", bad, err)
		}
	}
}
