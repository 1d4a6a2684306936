package main

import (
	"context"
	"strings"
	"testing"
)

// siteWithoutToken is a Cloud site whose API token is neither in the file
// nor in ANALYZER_JIRA_ACME_TOKEN, and whose token file is missing: the
// usual state of a migration or report container that has no Jira secret.
const siteWithoutToken = `jira:
  sites:
    - id: acme
      url: https://acme.atlassian.net
      flavor: cloud
      email: po@acme.example
      token_file: /nonexistent/jira-token
outcomes:
  sql_sources:
    - metric: mrr
      query: SELECT now()::date AS date, 1 AS value
`

// Commands that never contact Jira (or the SQL sources) start without their
// secrets; the commands that use them refuse, naming the missing secret.
func TestSecretsRequiredOnlyWhereUsed(t *testing.T) {
	ctx := context.Background()
	dsn := newDB(t)
	cfg := writeFile(t, "c.yaml", siteWithoutToken)
	csv := writeFile(t, "o.csv", "date,metric,value\n2026-11-16,mrr,1\n")
	env := map[string]string{"DATABASE_URL": dsn}
	for _, args := range [][]string{{"migrate"}, {"compute"}, {"report", "--out", t.TempDir()}, {"outcomes", "import", csv}} {
		t.Run(args[0], func(t *testing.T) {
			m, _, _, err := newTestMain(t, env, append([]string{"--config", cfg}, args...)...)
			if err != nil {
				t.Fatalf("refused to start without the Jira token: %v", err)
			}
			if err := m.Run(ctx); err != nil {
				t.Fatalf("%s: %v", args[0], err)
			}
		})
	}
	const tokenErr = "config: jira.sites[0].token_file: open /nonexistent/jira-token: no such file or directory"
	const dsnErr = "config: outcomes.sql_sources[0].dsn: is required (or dsn_file)"
	for _, tc := range []struct {
		args  []string
		wants []string
	}{
		{[]string{"sync"}, []string{tokenErr}},
		{[]string{"run", "--http", ""}, []string{tokenErr, dsnErr}},
		{[]string{"doctor"}, []string{tokenErr}},
		{[]string{"outcomes", "pull"}, []string{dsnErr}},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			m, _, _, err := newTestMain(t, env, append([]string{"--config", cfg}, tc.args...)...)
			if err == nil {
				err = m.Run(ctx)
			}
			if err == nil {
				t.Fatal("started without the secret it needs")
			}
			for _, want := range tc.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if strings.Contains(err.Error(), "sql_sources") != strings.Contains(strings.Join(tc.wants, ""), "sql_sources") {
				t.Errorf("error names a secret this command does not use:\n%v", err)
			}
		})
	}
}
