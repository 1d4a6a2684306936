package jira

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// inRange reports whether t is within the years 1 to 9999 in UTC, which
// PostgreSQL and every formatter here can take.
func inRange(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

// FuzzParseTime: any string gives a time within years 1-9999, nil, or an
// error; a time formatted the way Jira does reads back to the same instant.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-11-16T10:00:00.000+0100", "2026-11-16T10:00:00Z", "2026-11-16T10:00:00.123+01:00",
		"2026-11-16T10:00:00", "2026-11-16 10:00", "2026-11-16", "", "<null>", "null", "0000-01-01T00:00:00.000+0000",
		"0001-01-01T00:00:00.000+0100", "9999-12-31T23:59:59.999-1200", "2026-13-01", "  2026-11-16  "} {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, s string, unix int64) {
		got, err := ParseTime(s, time.UTC)
		if err == nil && got != nil && !inRange(*got) {
			t.Fatalf("ParseTime(%q) = %v, outside years 1-9999", s, got)
		}
		// Round trip of Jira's own format, for instants in range.
		at := time.Unix(unix%(250000*365*86400), 0).UTC().Truncate(time.Millisecond)
		if at.Year() < 1 || at.Year() > 9999 {
			return
		}
		for _, loc := range []*time.Location{time.UTC, time.FixedZone("", -12*3600), time.FixedZone("", 14*3600)} {
			text := at.In(loc).Format("2006-01-02T15:04:05.000-0700")
			if y := at.In(loc).Year(); y < 1 || y > 9999 {
				continue // not printable in four digits
			}
			back, err := ParseTime(text, time.UTC)
			if err != nil || back == nil || !back.Equal(at) {
				t.Fatalf("ParseTime(%q) = %v, %v; want %v", text, back, err, at)
			}
		}
	})
}

// FuzzParseDCSprint: any string parses or errs without panicking; a sprint
// printed the way Jira Server/DC prints it reads back, commas in the name
// and goal included.
func FuzzParseDCSprint(f *testing.F) {
	f.Add(int64(42), "Sprint 7", "Ship login, fix bugs", "com.atlassian.greenhopper.service.sprint.Sprint@1a2b[id=1,rapidViewId=2,state=CLOSED,name=S,goal=a=b,c,startDate=2026-01-05T09:00:00.000+01:00,endDate=<null>,completeDate=<null>,sequence=1]")
	f.Add(int64(1), "", "", "Sprint@x[]")
	f.Add(int64(-5), "[weird] name", "goal with ] and [", "no brackets")
	f.Add(int64(9), "n", "g", "x[id=9,startDate=0000-01-01T00:00:00.000Z]")
	f.Fuzz(func(t *testing.T, id int64, name, goal, raw string) {
		if sp, err := ParseDCSprint(raw, time.UTC); err == nil {
			for _, d := range []*time.Time{sp.StartDate, sp.EndDate, sp.CompleteDate} {
				if d != nil && !inRange(*d) {
					t.Fatalf("ParseDCSprint(%q): date %v outside years 1-9999", raw, d)
				}
			}
			if !strings.Contains(raw, sp.Name) || !strings.Contains(raw, sp.Goal) {
				t.Fatalf("ParseDCSprint(%q): name %q or goal %q not in the input", raw, sp.Name, sp.Goal)
			}
		}
		if strings.Contains(name, "=") || strings.Contains(goal, "=") || name == "<null>" || goal == "<null>" {
			return // a value holding "key=" cannot be told from the next attribute
		}
		s := fmt.Sprintf("com.atlassian.greenhopper.service.sprint.Sprint@5d3c[id=%d,rapidViewId=3,state=ACTIVE,name=%s,"+
			"startDate=2026-01-05T09:00:00.000+01:00,endDate=2026-01-19T09:00:00.000+01:00,completeDate=<null>,"+
			"activatedDate=2026-01-05T09:01:00.000+01:00,sequence=%d,goal=%s,autoStartStop=false,synced=false,incompleteIssuesDestinationId=<null>]",
			id, name, id, goal)
		sp, err := ParseDCSprint(s, time.UTC)
		if err != nil || sp.ID != id || sp.Name != name || sp.Goal != goal || sp.BoardID != 3 || sp.State != "active" ||
			sp.StartDate == nil || !sp.StartDate.Equal(time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)) || sp.CompleteDate != nil {
			t.Fatalf("ParseDCSprint(%q) = %+v, %v", s, sp, err)
		}
	})
}

// FuzzParseIssue: any JSON gives an issue or an error wrapping
// ErrUnusableIssue, never a panic; a parsed issue has its key and id, and
// every time it holds is within years 1-9999.
func FuzzParseIssue(f *testing.F) {
	for _, s := range []string{
		`{"id":"10001","key":"APP-1","fields":{"created":"2026-01-05T09:00:00.000+0100","updated":"2026-01-06T09:00:00.000+0100","summary":"x","status":{"name":"Done","statusCategory":{"key":"done"}},"customfield_10016":3,"customfield_10020":[{"id":1,"name":"S1","state":"closed","startDate":"2026-01-05T09:00:00.000Z"}]},"changelog":{"startAt":0,"maxResults":100,"total":1,"histories":[{"id":"1","created":"2026-01-05T10:00:00.000+0100","items":[{"field":"status","fromString":"To Do","toString":"Done","from":"1","to":"3"}]}]}}`,
		`{"id":10002,"key":"APP-2","fields":{"created":"0000-01-01T00:00:00.000+0000","customfield_10016":"NaN","customfield_10020":["com.atlassian.greenhopper.service.sprint.Sprint@1[id=4,name=S,goal=a,b]"]}}`,
		`{"id":"x","key":""}`, `{}`, `null`, `[]`, `{"id":"1","key":"A-1","fields":null,"changelog":{"histories":null}}`,
		`{"id":"1","key":"A-1","fields":{"created":1767600000000,"resolutiondate":"","duedate":"2026-02-30"}}`,
	} {
		f.Add([]byte(s))
	}
	opts := ParseOptions{SiteID: "acme", EstimationField: "customfield_10016", SprintField: "customfield_10020"}
	f.Fuzz(func(t *testing.T, data []byte) {
		is, items, _, err := ParseIssue(json.RawMessage(data), opts)
		if err != nil {
			if !errors.Is(err, ErrUnusableIssue) {
				t.Fatalf("ParseIssue(%q): error %v does not wrap ErrUnusableIssue", data, err)
			}
			return
		}
		if is.Key == "" || is.ID == 0 {
			t.Fatalf("ParseIssue(%q): issue without key or id: %+v", data, is)
		}
		for _, tm := range []*time.Time{&is.Created, &is.Updated, is.Resolved} {
			if tm != nil && !tm.IsZero() && !inRange(*tm) {
				t.Fatalf("ParseIssue(%q): time %v outside years 1-9999", data, tm)
			}
		}
		for _, it := range items {
			if !inRange(it.At) {
				t.Fatalf("ParseIssue(%q): change at %v outside years 1-9999", data, it.At)
			}
		}
	})
}

// FuzzServerWait: whatever Retry-After and X-RateLimit-Reset hold, the
// wait is either unusable (ok false) or not negative.
func FuzzServerWait(f *testing.F) {
	for _, s := range [][2]string{{"3", ""}, {"0.5", ""}, {"", "2026-11-16T10:05Z"}, {"Mon, 16 Nov 2026 10:05:00 GMT", ""},
		{"inf", ""}, {"1e300", ""}, {"-1", ""}, {"NaN", ""}, {"", "2026-11-16T10:05:00.123456789+01:00"}, {"x", "y"}} {
		f.Add(s[0], s[1])
	}
	now := time.Date(2026, 11, 16, 10, 0, 0, 0, time.UTC)
	tr := &transport{now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, retryAfter, reset string) {
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		h.Set("X-RateLimit-Reset", reset)
		if d, ok := tr.serverWait(h); ok && d < 0 {
			t.Fatalf("serverWait(Retry-After %q, X-RateLimit-Reset %q) = %v, a negative wait", retryAfter, reset, d)
		}
	})
}
