package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodSite = `
jira:
  sites:
    - id: acme
      url: https://acme.atlassian.net
      flavor: cloud
      email: po@acme.example
      token: t0ken
`

func TestExampleConfigLoads(t *testing.T) {
	cfg, err := config.Load("../../configs/example.yaml", env(map[string]string{
		"ANALYZER_JIRA_ACME_TOKEN": "from-env", "ANALYZER_JIRA_ACME_DC_PAT": "pat-from-env",
	}))
	if err != nil {
		t.Fatalf("configs/example.yaml does not load: %v", err)
	}
	if len(cfg.Jira.Sites) != 2 || cfg.Jira.Sites[0].Token != "from-env" || cfg.Jira.Sites[1].PAT != "pat-from-env" {
		t.Fatalf("sites from example: %+v", cfg.Jira.Sites)
	}
	// lag: 2w is two weeks (336h).
	if o := cfg.Outcomes; len(o.Metrics) != 2 || len(o.Links) != 2 || o.Links[0].Lag != 14*24*time.Hour || o.Links[0].Epics[0] != "APP-12" {
		t.Fatalf("outcomes from example: %+v", o)
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := config.Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StateDir != "./.analyzer" || cfg.Jira.Concurrency != 4 || cfg.Metrics.SprintGoal.Threshold != 0.8 ||
		cfg.Schedule.Report != "0 7 * * MON" || cfg.Report.TimeZone != "UTC" || cfg.Database.URL != "" {
		t.Fatalf("defaults: %+v", cfg)
	}
	// An empty file is the defaults too.
	if _, err := config.Load(write(t, ""), env(nil)); err != nil {
		t.Fatalf("empty file: %v", err)
	}
}

func TestEnvOverridesAndSecretFiles(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	dsnFile := filepath.Join(dir, "dsn")
	os.WriteFile(tokenFile, []byte("file-token\n"), 0o600)
	os.WriteFile(dsnFile, []byte("postgres://u:pw@db/x\n"), 0o600)
	p := write(t, goodSite+"\nreport:\n  time_zone: UTC\n")
	cfg, err := config.Load(p, env(map[string]string{
		"ANALYZER_REPORT_TIME_ZONE":     "Europe/Berlin",
		"ANALYZER_JIRA_CONCURRENCY":     "2",
		"ANALYZER_SCHEDULE_REPORT":      "@weekly",
		"ANALYZER_REPORT_FORMATS":       "md, json",
		"ANALYZER_METRICS_WORKING_DAYS": "true",
		"ANALYZER_JIRA_ACME_TOKEN_FILE": tokenFile,
		"DATABASE_URL_FILE":             dsnFile,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Report.TimeZone != "Europe/Berlin" || cfg.Jira.Concurrency != 2 || cfg.Schedule.Report != "@weekly" ||
		strings.Join(cfg.Report.Formats, "|") != "md|json" || !cfg.Metrics.WorkingDays {
		t.Fatalf("env overrides not applied: %+v", cfg)
	}
	if cfg.Jira.Sites[0].Token != "file-token" || cfg.Database.URL != "postgres://u:pw@db/x" {
		t.Fatalf("secret files: token %q url %q", cfg.Jira.Sites[0].Token, cfg.Database.URL)
	}
	r := cfg.Redacted()
	if r.Jira.Sites[0].Token != "xxxxx" || r.Database.URL != "xxxxx" || cfg.Jira.Sites[0].Token != "file-token" {
		t.Fatalf("Redacted: %q %q (original %q)", r.Jira.Sites[0].Token, r.Database.URL, cfg.Jira.Sites[0].Token)
	}
}

func TestBoardsSelector(t *testing.T) {
	cfg, err := config.Load(write(t, goodSite+"      boards: [12, 14]\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if b := cfg.Jira.Sites[0].Boards; b.All || len(b.IDs) != 2 || b.IDs[1] != 14 {
		t.Fatalf("boards: %+v", b)
	}
	cfg, err = config.Load(write(t, goodSite+"      boards: all\n"), env(nil))
	if err != nil || !cfg.Jira.Sites[0].Boards.All {
		t.Fatalf("boards all: %+v %v", cfg.Jira.Sites[0].Boards, err)
	}
}

// Each bad config must be refused with exactly one line naming the field.
func TestValidationErrors(t *testing.T) {
	site := func(lines string) string {
		return "jira:\n  sites:\n    - id: acme\n" + lines
	}
	cloud := "      flavor: cloud\n      email: a@b.c\n      token: t\n"
	cases := []struct {
		name, yaml string
		env        map[string]string
		want       string
	}{
		{"RelativeURL", site("      url: acme.atlassian.net\n" + cloud), nil,
			"config: jira.sites[0].url: must be an absolute http(s) URL"},
		{"FTPURL", site("      url: ftp://acme.example\n" + cloud), nil,
			"config: jira.sites[0].url: must be an absolute http(s) URL"},
		{"BadFlavor", site("      url: https://a.example\n      flavor: server\n      pat: p\n"), nil,
			`config: jira.sites[0].flavor: must be cloud, dc or auto, got "server"`},
		{"CloudWithoutToken", site("      url: https://a.example\n      flavor: cloud\n      email: a@b.c\n"), nil,
			"config: jira.sites[0].token: is required for a cloud site: set token_file or ANALYZER_JIRA_ACME_TOKEN"},
		{"DCWithoutPAT", site("      url: https://a.example\n      flavor: dc\n"), nil,
			"config: jira.sites[0].pat: is required for a dc site: set pat_file or ANALYZER_JIRA_ACME_PAT"},
		{"BadSiteID", "jira:\n  sites:\n    - id: Acme Corp\n      url: https://a.example\n" + cloud, nil,
			`config: jira.sites[0].id: must be 1-40 characters of a-z, 0-9, - or _, got "Acme Corp"`},
		{"DuplicateSite", site("      url: https://a.example\n"+cloud) + "    - id: acme\n      url: https://b.example\n" + cloud, nil,
			`config: jira.sites[1].id: "acme" is already used by jira.sites[0]`},
		{"BadSiteTZ", site("      url: https://a.example\n      time_zone: Mars/Olympus\n" + cloud), nil,
			`config: jira.sites[0].time_zone: unknown time zone "Mars/Olympus"`},
		{"BadCron", "schedule:\n  report: \"0 7 * *\"\n", nil,
			`config: schedule.report: invalid cron expression "0 7 * *": expected exactly 5 fields, found 4: [0 7 * *]`},
		{"CronTZPanic", "schedule:\n  sync: \"CRON_TZ=\"\n", nil,
			`config: schedule.sync: invalid cron expression "CRON_TZ="`},
		{"BadReportTZ", "report:\n  time_zone: Nowhere\n", nil,
			`config: report.time_zone: unknown time zone "Nowhere"`},
		{"BadFormat", "report:\n  formats: [md, pdf]\n", nil,
			`config: report.formats: must be md, html or json, got "pdf"`},
		{"ThresholdTooHigh", "metrics:\n  sprint_goal:\n    threshold: 1.5\n", nil,
			"config: metrics.sprint_goal.threshold: must be in (0, 1], got 1.5"},
		{"ConcurrencyZeroFromEnv", "", map[string]string{"ANALYZER_JIRA_CONCURRENCY": "-1"},
			"config: jira.concurrency: must be between 1 and 64, got -1"},
		{"EnvNotANumber", "", map[string]string{"ANALYZER_JIRA_CONCURRENCY": "four"},
			`config: ANALYZER_JIRA_CONCURRENCY: want an integer, got "four"`},
		{"BadLogFormat", "log:\n  format: xml\n", nil,
			`config: log.format: must be text or json, got "xml"`},
		{"SlackNotURL", "report:\n  outputs:\n    slack:\n      webhook_url: hooks.slack.com/x\n", nil,
			"config: report.outputs.slack.webhook_url: must be an absolute http(s) URL"},
		{"EmailWithoutRecipients", "report:\n  outputs:\n    email:\n      host: smtp.example\n      from: r@example.com\n", nil,
			"config: report.outputs.email.to: must list at least one recipient"},
		{"EscapeFieldWithoutValues", "metrics:\n  escaped_defects:\n    field: environment\n", nil,
			"config: metrics.escaped_defects: field and values must be given together"},
		{"StatusCategory", site("      url: https://a.example\n" + cloud + "      statuses:\n        categories:\n          Blocked: paused\n"), nil,
			`config: jira.sites[0].statuses.categories.Blocked: must be new, indeterminate or done, got "paused"`},
		{"UnknownKey", "reports:\n  time_zone: UTC\n", nil,
			`config: line 1: unknown key "reports" (did you mean "report"?)`},
		{"MissingSecretFile", site("      url: https://a.example\n      flavor: dc\n      pat_file: /nonexistent/pat\n"), nil,
			"config: jira.sites[0].pat_file: open /nonexistent/pat: no such file or directory"},
		// jira, sites, id, url, flavor, email, token: "boards" is line 8.
		{"OutcomeLinkUnknownMetric", "outcomes:\n  metrics:\n    - name: mrr\n  links:\n    - metric: arr\n      labels: [billing]\n", nil,
			`config: outcomes.links[0].metric: "arr" is not defined in outcomes.metrics`},
		{"OutcomeLinkEmpty", "outcomes:\n  links:\n    - metric: mrr\n", nil,
			"config: outcomes.links[0]: must list epics, labels, components or fix_versions"},
		{"OutcomeBadDirection", "outcomes:\n  metrics:\n    - name: churn\n      direction: down\n", nil,
			`config: outcomes.metrics[0]: metric "churn": direction "down" is not higher_is_better or lower_is_better`},
		{"SQLSourceWithoutDSN", "outcomes:\n  sql_sources:\n    - metric: mrr\n      query: SELECT 1\n", nil,
			"config: outcomes.sql_sources[0].dsn: is required (or dsn_file)"},
		{"BadBoards", site("      url: https://a.example\n" + cloud + "      boards: some\n"), nil,
			`config: line 8: jira.sites[0].boards: want "all" or board ids, got "some"`},
	}
	// Missing secrets do not stop Load (migrate, compute, report and
	// outcomes import never use them): the commands that contact Jira or the
	// SQL sources check them with CheckJiraCredentials / CheckSQLSources.
	lazy := map[string]bool{"CloudWithoutToken": true, "DCWithoutPAT": true, "MissingSecretFile": true, "SQLSourceWithoutDSN": true}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, tc.yaml)
			cfg, err := config.Load(p, env(tc.env))
			if (err == nil) != lazy[tc.name] {
				t.Fatalf("Load: %v (a missing secret must not fail Load; anything else must)", err)
			}
			if err == nil {
				err = errors.Join(cfg.CheckJiraCredentials(), cfg.CheckSQLSources())
			}
			if err == nil {
				t.Fatal("bad config accepted")
			}
			want := strings.ReplaceAll(tc.want, "CONFIG", p)
			if err.Error() != want {
				t.Fatalf("error\n got: %s\nwant: %s", err, want)
			}
		})
	}
}

func TestUnreadableFile(t *testing.T) {
	_, err := config.Load("/nonexistent/analyzer.yaml", env(nil))
	if err == nil || err.Error() != "config: open /nonexistent/analyzer.yaml: no such file or directory" {
		t.Fatalf("got %v", err)
	}
}
