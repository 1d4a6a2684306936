package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/jira/jirasim"
)

// prefixRE matches a message segment that is a prefix ("jira", "report",
// "slack", "outcomes import"): lowercase words only.
var prefixRE = regexp.MustCompile(`^[a-z][a-z_]*( [a-z_]+)?$`)

// repeatedPrefix returns a prefix that occurs twice in msg's ": "-separated
// chain ("report: slack: report: slack: …" → "report"), or "".
func repeatedPrefix(msg string) string {
	seen := map[string]bool{}
	for _, line := range strings.Split(msg, "\n") {
		clear(seen)
		for _, seg := range strings.Split(line, ": ") {
			if !prefixRE.MatchString(seg) {
				continue
			}
			if seen[seg] {
				return seg
			}
			seen[seg] = true
		}
	}
	return ""
}

func TestRepeatedPrefixDetector(t *testing.T) {
	for msg, want := range map[string]string{
		"report: slack: report: slack: webhook answered 500":   "report",
		"jira: myself: jira: unauthorized: x":                  "jira",
		"sync: site acme (http://x): jira: myself: status 404": "",
		"doctor: database: dial tcp: connection refused":       "",
	} {
		if got := repeatedPrefix(msg); got != want {
			t.Errorf("repeatedPrefix(%q) = %q, want %q", msg, got, want)
		}
	}
}

// Representative failures of every command, end to end: no message repeats
// a prefix (each layer names itself once).
func TestErrorsNeverRepeatAPrefix(t *testing.T) {
	ctx := context.Background()
	dsn := newDB(t)
	_, sim := jirasim.NewTestServer(t, jirasim.Config{Issues: 120, Teams: 2})
	notJira := httptest.NewServer(http.NotFoundHandler()) // a web server, not Jira
	defer notJira.Close()
	slack500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no_service", http.StatusNotFound) }))
	defer slack500.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().String()
	l.Close()

	bad := writeFile(t, "bad.csv", "date,metric,value\n2026-11-23,mrr,\"1,5\"\n")
	cases := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"DoctorWrongToken", map[string]string{"ANALYZER_JIRA_ACME_TOKEN": "wrong"}, []string{"doctor", "--config", simConfig(t, sim.URL, "")}},
		{"SyncWrongToken", map[string]string{"ANALYZER_JIRA_ACME_TOKEN": "wrong"}, []string{"sync", "--config", simConfig(t, sim.URL, "")}},
		{"SyncNotJira", nil, []string{"sync", "--config", simConfig(t, notJira.URL, "")}},
		{"DoctorNotJira", nil, []string{"doctor", "--config", simConfig(t, notJira.URL, "")}},
		{"SyncMissingBoard", nil, []string{"sync", "--config", simConfig(t, sim.URL, "[1, 99]")}},
		{"SlackRefused", map[string]string{"ANALYZER_REPORT_OUTPUTS_SLACK_WEBHOOK_URL": slack500.URL}, []string{"report", "--deliver", "--out", t.TempDir()}},
		{"EmailUnreachable", map[string]string{"ANALYZER_REPORT_OUTPUTS_EMAIL_HOST": "127.0.0.1", "ANALYZER_REPORT_OUTPUTS_EMAIL_PORT": strings.Split(closedPort, ":")[1],
			"ANALYZER_REPORT_OUTPUTS_EMAIL_FROM": "r@example.com", "ANALYZER_REPORT_OUTPUTS_EMAIL_TO": "po@example.com"}, []string{"report", "--deliver", "--out", t.TempDir()}},
		{"OutcomesBadCSV", nil, []string{"outcomes", "import", bad}},
		{"OutcomesPullRefused", nil, []string{"outcomes", "pull", "--config", writeFile(t, "o.yaml", "outcomes:\n  sql_sources:\n    - metric: mrr\n      dsn: postgres://u:secret@"+closedPort+"/x?sslmode=disable\n      query: SELECT 1\n")}},
		{"ReportUnknownBoard", nil, []string{"report", "--board", "77", "--out", t.TempDir()}},
		{"BadConfigKey", nil, []string{"migrate", "--config", writeFile(t, "k.yaml", "jira:\n  concurency: 2\n")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"DATABASE_URL": dsn}
			for k, v := range tc.env {
				env[k] = v
			}
			m, _, _, err := newTestMain(t, env, tc.args...)
			if err == nil {
				err = m.Run(ctx)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if p := repeatedPrefix(err.Error()); p != "" {
				t.Errorf("prefix %q repeats in:\n%s", p, err)
			}
		})
	}
}
