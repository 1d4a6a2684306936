// Package config loads and validates the analyzer's YAML configuration.
//
// # Sources, in order of precedence
//
//  1. Environment: every scalar has a variable named ANALYZER_ followed by its
//     YAML path in upper case with "_" between parts (report.time_zone →
//     ANALYZER_REPORT_TIME_ZONE). DATABASE_URL sets database.url. Per-site
//     secrets come from ANALYZER_JIRA_<SITE_ID>_TOKEN and _PAT.
//     Any such variable with a _FILE suffix names a file holding the value
//     (DATABASE_URL_FILE, ANALYZER_JIRA_ACME_TOKEN_FILE), the usual way to
//     pass Docker or Kubernetes secrets.
//  2. The YAML file (configs/example.yaml documents every field), where
//     secrets may also be given as token_file / pat_file.
//  3. Defaults (Default).
//
// Validate names the field at fault: "config: jira.sites[0].url: must be an
// absolute http(s) URL".
package config

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/metrics"
	"github.com/backlog-health/analyzer/internal/outcomes"
)

// Config is the whole configuration.
type Config struct {
	// StateDir holds the embedded database and other local state. Default ./.analyzer.
	StateDir string         `yaml:"state_dir"`
	Database DatabaseConfig `yaml:"database"`
	Jira     JiraConfig     `yaml:"jira"`
	Metrics  MetricsConfig  `yaml:"metrics"`
	Report   ReportConfig   `yaml:"report"`
	Schedule ScheduleConfig `yaml:"schedule"`
	Worker   WorkerConfig   `yaml:"worker"`
	HTTP     HTTPConfig     `yaml:"http"`
	Log      LogConfig      `yaml:"log"`
	Outcomes OutcomesConfig `yaml:"outcomes"`
	// Dashboard is the web dashboard and its read API (dashboard.go).
	Dashboard DashboardConfig `yaml:"dashboard"`
}

// OutcomesConfig defines the Product Manager's outcome metrics, the work
// linked to each, where values come from and how they are analysed
// (docs/outcomes.md).
type OutcomesConfig struct {
	// Strict refuses imported or pushed values of metrics not listed in Metrics.
	Strict  bool              `yaml:"strict"`
	Metrics []outcomes.Metric `yaml:"metrics"`
	Links   []outcomes.Link   `yaml:"links"`
	SQL     []SQLSourceConfig `yaml:"sql_sources"`
	// PushToken enables POST /api/v1/outcomes on `analyzer run` (bearer).
	// Empty: the endpoint answers 503. Env: ANALYZER_OUTCOMES_PUSH_TOKEN(_FILE).
	PushToken string          `yaml:"push_token" secret:"true"`
	Analysis  OutcomeAnalysis `yaml:"analysis"`
}

// SQLSourceConfig pulls one metric from the user's own PostgreSQL on the
// sync schedule.
type SQLSourceConfig struct {
	Metric  string        `yaml:"metric"`
	DSN     string        `yaml:"dsn" secret:"true"`
	DSNFile string        `yaml:"dsn_file"`
	Query   string        `yaml:"query"`
	Timeout time.Duration `yaml:"timeout"` // default 30s

	secretErr error // reading DSNFile failed; reported by CheckSQLSources
}

// OutcomeAnalysis tunes the flags; zero values take the defaults of
// docs/outcomes.md.
type OutcomeAnalysis struct {
	Weeks                 int     `yaml:"weeks"`
	BaselineWeeks         int     `yaml:"baseline_weeks"`
	WindowWeeks           int     `yaml:"window_weeks"`
	FlatPct               float64 `yaml:"flat_pct"`
	MovingPct             float64 `yaml:"moving_pct"`
	HighDeliveryShare     float64 `yaml:"high_delivery_share"`
	HighDeliveryMinIssues int     `yaml:"high_delivery_min_issues"`
	StarvedWeeks          int     `yaml:"starved_weeks"`
	UnlinkedPct           float64 `yaml:"unlinked_pct"`
}

// DatabaseConfig selects the PostgreSQL database.
type DatabaseConfig struct {
	// URL of a PostgreSQL ≥ 14 database. Empty: an embedded PostgreSQL under state_dir.
	URL string `yaml:"url" secret:"true"`
	// URLFile names a file holding the URL.
	URLFile string `yaml:"url_file"`
}

// JiraConfig lists the Jira sites to sync.
type JiraConfig struct {
	// Concurrency is the most requests in flight per site, and how many of
	// a site's boards are synced at once. Default 4.
	Concurrency int `yaml:"concurrency"`
	// Timeouts bound every Jira request (docs/operations.md#jira-network-timeouts-retries-and-failures).
	Timeouts JiraTimeouts `yaml:"timeouts"`
	// Sites are the Jira sites; empty is valid (nothing to sync).
	Sites []SiteConfig `yaml:"sites"`
}

// JiraTimeouts are the time limits of one Jira request. A request that
// times out is sent again at most Retries times, so a Jira that accepts
// connections and never answers fails a sync after about
// (1+Retries) × ResponseHeader plus a backoff of at most 0.5 s per retry.
type JiraTimeouts struct {
	// Dial bounds opening a TCP connection, DNS included. Default 10s.
	Dial time.Duration `yaml:"dial"`
	// TLSHandshake bounds the TLS handshake. Default 10s.
	TLSHandshake time.Duration `yaml:"tls_handshake"`
	// ResponseHeader bounds the wait for the response headers once the
	// request is sent. Default 30s.
	ResponseHeader time.Duration `yaml:"response_header"`
	// Request bounds one attempt, from sending it to the end of the body. Default 60s.
	Request time.Duration `yaml:"request"`
	// Retries is how many times a timed-out request is sent again, 0-5. Default 1.
	Retries int `yaml:"retries"`
}

// defaultJiraTimeouts are the defaults of JiraTimeouts.
var defaultJiraTimeouts = JiraTimeouts{Dial: 10 * time.Second, TLSHandshake: 10 * time.Second,
	ResponseHeader: 30 * time.Second, Request: 60 * time.Second, Retries: 1}

// validate checks each limit is positive and bounded.
func (t JiraTimeouts) validate(bad func(field, format string, args ...any)) {
	for _, l := range []struct {
		key      string
		d, limit time.Duration
	}{
		{"dial", t.Dial, 10 * time.Minute}, {"tls_handshake", t.TLSHandshake, 10 * time.Minute},
		{"response_header", t.ResponseHeader, 10 * time.Minute}, {"request", t.Request, time.Hour},
	} {
		if l.d <= 0 || l.d > l.limit {
			bad("jira.timeouts."+l.key, "must be a duration above 0 and at most %s, got %s", l.limit, l.d)
		}
	}
	if t.Retries < 0 || t.Retries > 5 {
		bad("jira.timeouts.retries", "must be between 0 and 5, got %d", t.Retries)
	}
}

// SiteConfig is one Jira site.
type SiteConfig struct {
	// ID is a short name used as the site's key in the database: [a-z0-9_-]+.
	ID string `yaml:"id"`
	// URL is the site's base URL, e.g. https://acme.atlassian.net.
	URL string `yaml:"url"`
	// Flavor is cloud, dc or auto (detected from /rest/api/2/serverInfo). Default auto.
	Flavor string `yaml:"flavor"`
	// Email and Token authenticate on Cloud (basic auth with an API token).
	Email     string `yaml:"email"`
	Token     string `yaml:"token" secret:"true"`
	TokenFile string `yaml:"token_file"`
	// PAT authenticates on Server/Data Center (bearer personal access token).
	PAT     string `yaml:"pat" secret:"true"`
	PATFile string `yaml:"pat_file"`
	// Boards to sync: board ids; empty or the single value "all" means every board.
	Boards BoardSelector `yaml:"boards"`
	// TimeZone of the site, for JQL watermarks. Default UTC.
	TimeZone string `yaml:"time_zone"`
	// Fields overrides field discovery.
	Fields FieldOverrides `yaml:"fields"`
	// Statuses overrides the status mapping.
	Statuses StatusOverrides `yaml:"statuses"`

	secretErr error // reading a token or PAT file failed; reported by CheckJiraCredentials
}

// BoardSelector is either "all" or a list of board ids.
type BoardSelector struct {
	All bool
	IDs []int64
}

// UnmarshalYAML accepts `all`, a single id, or a list of ids.
func (b *BoardSelector) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value == "all" || n.Value == "" {
			*b = BoardSelector{All: true}
			return nil
		}
		id, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return fmt.Errorf("line %d: want \"all\" or board ids, got %q", n.Line, n.Value)
		}
		*b = BoardSelector{IDs: []int64{id}}
		return nil
	case yaml.SequenceNode:
		var ids []int64
		if err := n.Decode(&ids); err != nil {
			return fmt.Errorf("line %d: want \"all\" or a list of board ids: %w", n.Line, err)
		}
		*b = BoardSelector{IDs: ids, All: len(ids) == 0}
		return nil
	}
	return fmt.Errorf("line %d: want \"all\" or a list of board ids", n.Line)
}

// FieldOverrides names custom fields explicitly instead of discovering them.
type FieldOverrides struct {
	// StoryPoints is the estimation field id (e.g. customfield_10016); overrides the board configuration.
	StoryPoints string `yaml:"story_points"`
	Sprint      string `yaml:"sprint"`
	EpicLink    string `yaml:"epic_link"`
	Environment string `yaml:"environment"`
}

// StatusOverrides adjusts status categories and cycle-time boundaries.
type StatusOverrides struct {
	// Categories maps a status name to new | indeterminate | done.
	Categories map[string]string `yaml:"categories"`
	// CycleStart are the statuses whose first entry starts cycle time. Default: any in-progress status.
	CycleStart []string `yaml:"cycle_start"`
	// CycleEnd are the statuses whose last entry ends cycle time. Default: any done status.
	CycleEnd []string `yaml:"cycle_end"`
	// Ready are the statuses (names or ids) that mark a backlog item ready
	// for a sprint. With neither these nor metrics.ready_labels, an
	// estimated backlog item is ready.
	Ready []string `yaml:"ready"`
}

// MetricsConfig tunes KPI definitions (docs/metrics.md). Its defaults are
// those of internal/metrics.
type MetricsConfig struct {
	SprintGoal     SprintGoalConfig `yaml:"sprint_goal"`
	EscapedDefects EscapeRule       `yaml:"escaped_defects"`
	// StaleDays: a backlog item not updated for more than this many days is
	// stale. Default metrics.DefaultStaleDays (90).
	StaleDays int `yaml:"stale_days"`
	// ReadyLabels mark a backlog item ready for a sprint (with the sites'
	// statuses.ready). Default none: an estimated item is ready.
	ReadyLabels []string `yaml:"ready_labels"`
	// WorkingDays measures cycle and lead time in working days (Mon–Fri) instead of calendar days.
	WorkingDays bool `yaml:"working_days"`
	// VelocityWindows are the numbers of closed sprints averaged, the first
	// being the headline average. Default metrics.DefaultVelocityWindows ([3, 7]).
	VelocityWindows []int `yaml:"velocity_windows"`
	// HistoryWeeks is how many weeks back from the current one the weekly KPIs
	// are computed and the per-week snapshots (kpi_board_week) kept. Default 156.
	HistoryWeeks int `yaml:"history_weeks"`
	// ScatterWeeks is how many weeks of per-issue cycle times each board
	// snapshot keeps for the cycle-time scatter. Default 26.
	ScatterWeeks int `yaml:"scatter_weeks"`
	// FlowExcludeTypes are the issue types (case-insensitive) that are not
	// flow items: left out of throughput, WIP, ageing WIP, cycle and lead
	// time, reopens and backlog health. Default [Epic]; [] leaves none out.
	FlowExcludeTypes []string `yaml:"flow_exclude_types"`
	// IncludeSubtasks counts sub-tasks as flow items. Default false.
	IncludeSubtasks bool `yaml:"include_subtasks"`
}

// SprintGoalConfig says when a sprint goal is met.
type SprintGoalConfig struct {
	// Label marks goal issues; when a sprint has any, the goal is met when all are done.
	Label string `yaml:"label"`
	// Threshold of say/do at or above which the goal counts as met when no goal issues are marked. Default 0.8.
	Threshold float64 `yaml:"threshold"`
}

// EscapeRule says which defects escaped to production. A defect escaped when
// any configured criterion matches.
type EscapeRule struct {
	// Types are the defect issue types. Default [Bug].
	Types []string `yaml:"types"`
	// Labels: a defect with any of these labels escaped. Default [production].
	Labels []string `yaml:"labels"`
	// Field and Values: a defect whose field (id or name) holds one of the values escaped (e.g. environment = Production).
	Field  string   `yaml:"field"`
	Values []string `yaml:"values"`
	// Priorities: a defect of one of these priorities escaped.
	Priorities []string `yaml:"priorities"`
	// AfterRelease: a defect created after the release of a story it links to escaped.
	AfterRelease bool `yaml:"after_release"`
}

// ReportConfig shapes the weekly report.
type ReportConfig struct {
	// TimeZone for ISO weeks and schedules, an IANA name. Default UTC.
	TimeZone string `yaml:"time_zone"`
	// Formats to render: md, html, json. Default all three.
	Formats []string     `yaml:"formats"`
	Outputs OutputConfig `yaml:"outputs"`
	// MaxDataAge: a week's report is delivered only from data synced at or
	// after the week's end minus MaxDataAge; older or missing data makes the
	// delivery wait. 0: synced after the week's end. Default 36h.
	MaxDataAge time.Duration `yaml:"max_data_age"`
	// CatchUpWeeks: unsent reports of this many weeks (the last complete one
	// included) are still delivered, oldest first. 1-52, default 4.
	CatchUpWeeks int `yaml:"catch_up_weeks"`
	// Forecast configures each team's Monte Carlo forecast.
	Forecast ForecastConfig `yaml:"forecast"`
	// DefinitionsURL is the base the reports' definition links start from
	// (+ "metrics.md#velocity-…"): an absolute http(s) URL of a directory
	// holding metrics.md and outcomes.md. Default "": http.public_url +
	// "/docs/" when that is set (the dashboard serves them), else the
	// project's docs on GitHub. See DefinitionsBaseURL.
	DefinitionsURL string `yaml:"definitions_url"`
}

// ForecastConfig configures the report's forecast (docs/metrics.md#monte-carlo-forecast).
type ForecastConfig struct {
	// Target: which backlog items "when will they be done" counts: ready
	// (the ready items of the backlog line) or backlog (all of them). Default ready.
	Target string `yaml:"target"`
	// HorizonWeeks: "how many items will be finished in the next N weeks". 1-104, default 4.
	HorizonWeeks int `yaml:"horizon_weeks"`
	// ThroughputWeeks: the full weeks, up to the report week, whose
	// throughputs are drawn from. 1-156, default 12.
	ThroughputWeeks int `yaml:"throughput_weeks"`
}

// OutputConfig lists delivery targets.
type OutputConfig struct {
	// Dir receives dated report files. Default ./reports.
	Dir   string      `yaml:"dir"`
	Slack SlackConfig `yaml:"slack"`
	Email EmailConfig `yaml:"email"`
}

// SlackConfig posts a summary to an incoming webhook; empty URL disables it.
type SlackConfig struct {
	WebhookURL string `yaml:"webhook_url" secret:"true"`
}

// EmailConfig sends the HTML report by SMTP; empty host disables it.
type EmailConfig struct {
	Host     string   `yaml:"host"`
	Port     int      `yaml:"port"`
	Username string   `yaml:"username"`
	Password string   `yaml:"password" secret:"true"`
	From     string   `yaml:"from"`
	To       []string `yaml:"to"`
	// StartTLS is required unless set to false explicitly. Default true.
	StartTLS *bool `yaml:"starttls"`
}

// ScheduleConfig holds cron specs (5 fields or @descriptors), in report.time_zone.
type ScheduleConfig struct {
	Sync    string `yaml:"sync"`    // default "0 * * * *"
	Compute string `yaml:"compute"` // default "15 * * * *"
	Report  string `yaml:"report"`  // default "0 7 * * MON"
	// FullSync re-reads every issue and marks those that left a board; it
	// never overlaps the incremental sync (a sync tick during it is skipped,
	// a full-sync tick during a sync waits). "off" disables it. Default
	// "0 3 * * 0" (Sunday 03:00).
	FullSync string `yaml:"full_sync"`
}

// LogConfig sets logging.
type LogConfig struct {
	Format string `yaml:"format"` // text | json; default text
	Level  string `yaml:"level"`  // debug | info | warn | error; default info
}

// Default returns the configuration used when no file is given.
func Default() Config {
	t := true
	return Config{
		StateDir: "./.analyzer",
		Jira:     JiraConfig{Concurrency: 4, Timeouts: defaultJiraTimeouts},
		Metrics: MetricsConfig{
			SprintGoal:       SprintGoalConfig{Threshold: 0.8},
			EscapedDefects:   EscapeRule{Types: []string{"Bug"}, Labels: []string{"production"}},
			StaleDays:        metrics.DefaultStaleDays,
			VelocityWindows:  slices.Clone(metrics.DefaultVelocityWindows),
			FlowExcludeTypes: slices.Clone(metrics.DefaultFlowExcludeTypes),
			HistoryWeeks:     156,
			ScatterWeeks:     26,
		},
		Report: ReportConfig{
			TimeZone: "UTC",
			Formats:  []string{"md", "html", "json"},
			Outputs:  OutputConfig{Dir: "./reports", Email: EmailConfig{Port: 587, StartTLS: &t}},
			// report.max_data_age, report.catch_up_weeks
			MaxDataAge:   36 * time.Hour,
			CatchUpWeeks: 4,
			Forecast:     ForecastConfig{Target: "ready", HorizonWeeks: 4, ThroughputWeeks: 12},
		},
		Schedule: ScheduleConfig{Sync: "0 * * * *", Compute: "15 * * * *", Report: "0 7 * * MON", FullSync: "0 3 * * 0"},
		Log:      LogConfig{Format: "text", Level: "info"},
		Worker: WorkerConfig{ReadyStaleFactor: 3, JobTimeouts: JobTimeouts{
			Sync: 30 * time.Minute, FullSync: 2 * time.Hour, Compute: 15 * time.Minute, Report: 10 * time.Minute}},
		HTTP: HTTPConfig{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
			IdleTimeout: 2 * time.Minute, MaxConnections: 64, RefusedLogInterval: 10 * time.Second},
		Dashboard: DashboardConfig{Listen: DefaultDashboardListen, TrustedProxies: []string{"127.0.0.0/8", "::1/128"}},
	}
}

// Load reads path (empty: defaults only), applies the environment, resolves
// secrets from files and validates. getenv is os.Getenv in production.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if err := decodeYAML(b, &cfg); err != nil {
			return Config{}, err
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return Config{}, err
	}
	if err := resolveSecrets(&cfg, getenv); err != nil {
		return Config{}, err
	}
	cfg.fillDefaults()
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func (c *Config) fillDefaults() {
	d := Default()
	for i := range c.Jira.Sites {
		s := &c.Jira.Sites[i]
		if s.Flavor == "" {
			s.Flavor = "auto"
		}
		if s.TimeZone == "" {
			s.TimeZone = "UTC"
		}
		if !s.Boards.All && len(s.Boards.IDs) == 0 {
			s.Boards.All = true
		}
		s.URL = strings.TrimRight(s.URL, "/")
	}
	if c.Jira.Concurrency == 0 {
		c.Jira.Concurrency = d.Jira.Concurrency
	}
	if c.Report.Outputs.Email.StartTLS == nil {
		c.Report.Outputs.Email.StartTLS = d.Report.Outputs.Email.StartTLS
	}
}

// applyEnv sets every scalar field from ANALYZER_<PATH> (or its _FILE form).
func applyEnv(cfg *Config, getenv func(string) string) error {
	if v, err := envValue(getenv, "DATABASE_URL"); err != nil {
		return err
	} else if v != "" {
		cfg.Database.URL = v
	}
	return walkEnv(reflect.ValueOf(cfg).Elem(), "ANALYZER", getenv)
}

func walkEnv(v reflect.Value, prefix string, getenv func(string) string) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		name := prefix + "_" + strings.ToUpper(tag)
		fv := v.Field(i)
		switch fv.Kind() {
		case reflect.Struct:
			if fv.Type() == reflect.TypeOf(BoardSelector{}) {
				continue
			}
			if err := walkEnv(fv, name, getenv); err != nil {
				return err
			}
			continue
		case reflect.Slice, reflect.Map:
			if k := fv.Type().Elem().Kind(); k != reflect.String && (k != reflect.Int || fv.Kind() != reflect.Slice) {
				continue // lists of sites etc. come from the file only
			}
		}
		raw, err := envValue(getenv, name)
		if err != nil {
			return err
		}
		if raw == "" {
			continue
		}
		if err := setScalar(fv, raw); err != nil {
			return fmt.Errorf("config: %s: %w", name, err)
		}
	}
	return nil
}

func setScalar(fv reflect.Value, raw string) error {
	if fv.Type() == durationType {
		d, err := ParseDuration(raw)
		if err != nil {
			return err
		}
		fv.SetInt(int64(d))
		return nil
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(raw)
	case reflect.Int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return fmt.Errorf("want an integer, got %q", raw)
		}
		fv.SetInt(int64(n))
	case reflect.Int64: // durations are read above
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("want an integer, got %q", raw)
		}
		fv.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return fmt.Errorf("want a number, got %q", raw)
		}
		fv.SetFloat(f)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", raw)
		}
		fv.SetBool(b)
	case reflect.Pointer:
		if fv.Type().Elem().Kind() == reflect.Bool {
			b, err := strconv.ParseBool(raw)
			if err != nil {
				return fmt.Errorf("want true or false, got %q", raw)
			}
			fv.Set(reflect.ValueOf(&b))
		}
	case reflect.Slice:
		var parts []string
		for _, p := range strings.Split(raw, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		if fv.Type().Elem().Kind() == reflect.Int {
			ns := make([]int, len(parts))
			for i, p := range parts {
				n, err := strconv.Atoi(p)
				if err != nil {
					return fmt.Errorf("want comma-separated integers, got %q", raw)
				}
				ns[i] = n
			}
			fv.Set(reflect.ValueOf(ns))
			return nil
		}
		fv.Set(reflect.ValueOf(parts))
	}
	return nil
}

// envValue reads NAME, or the file named by NAME_FILE.
func envValue(getenv func(string) string, name string) (string, error) {
	if v := getenv(name); v != "" {
		return v, nil
	}
	if p := getenv(name + "_FILE"); p != "" {
		return readSecretFile(name+"_FILE", p)
	}
	return "", nil
}

func readSecretFile(field, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("config: %s: %w", field, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// siteEnvName turns a site id into the env-var form: "acme-eu" → "ACME_EU".
func siteEnvName(id string) string {
	return strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(id))
}

// Validate checks every field and returns all problems, one line each,
// "config: <field>: <problem>".
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(c.StateDir) == "" {
		bad("state_dir", "must not be empty")
	}
	if c.Database.URL != "" {
		if u, err := url.Parse(c.Database.URL); strings.Contains(c.Database.URL, "://") && (err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql")) {
			bad("database.url", "must be a postgres:// URL or a key=value connection string")
		}
	}
	if c.Jira.Concurrency < 1 || c.Jira.Concurrency > 64 {
		bad("jira.concurrency", "must be between 1 and 64, got %d", c.Jira.Concurrency)
	}
	c.Jira.Timeouts.validate(bad)
	seen := map[string]int{}
	for i, s := range c.Jira.Sites {
		p := fmt.Sprintf("jira.sites[%d]", i)
		if !validSiteID(s.ID) {
			bad(p+".id", "must be 1-40 characters of a-z, 0-9, - or _, got %q", s.ID)
		} else if j, dup := seen[s.ID]; dup {
			bad(p+".id", "%q is already used by jira.sites[%d]", s.ID, j)
		} else {
			seen[s.ID] = i
		}
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(p+".url", "must be an absolute http(s) URL")
		}
		switch s.Flavor { // credentials: CheckJiraCredentials, by the commands that use them
		case "cloud", "dc", "auto":
		default:
			bad(p+".flavor", "must be cloud, dc or auto, got %q", s.Flavor)
		}
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			bad(p+".time_zone", "unknown time zone %q", s.TimeZone)
		}
		for _, id := range s.Boards.IDs {
			if id <= 0 {
				bad(p+".boards", "board ids must be positive, got %d", id)
			}
		}
		for name, cat := range s.Statuses.Categories {
			if cat != "new" && cat != "indeterminate" && cat != "done" {
				bad(p+".statuses.categories."+name, "must be new, indeterminate or done, got %q", cat)
			}
		}
	}
	m := c.Metrics
	if th := m.SprintGoal.Threshold; !(th > 0 && th <= 1) { // NaN fails every comparison
		bad("metrics.sprint_goal.threshold", "must be in (0, 1], got %g", th)
	}
	if m.StaleDays < 1 || m.StaleDays > 3650 {
		bad("metrics.stale_days", "must be between 1 and 3650 (ten years), got %d", m.StaleDays)
	}
	if m.HistoryWeeks < 1 || m.HistoryWeeks > 1040 {
		bad("metrics.history_weeks", "must be between 1 and 1040 (twenty years), got %d", m.HistoryWeeks)
	}
	if m.ScatterWeeks < 1 || m.ScatterWeeks > 1040 {
		bad("metrics.scatter_weeks", "must be between 1 and 1040 (twenty years), got %d", m.ScatterWeeks)
	}
	if len(m.EscapedDefects.Types) == 0 {
		bad("metrics.escaped_defects.types", "must name at least one defect issue type")
	}
	if (m.EscapedDefects.Field == "") != (len(m.EscapedDefects.Values) == 0) {
		bad("metrics.escaped_defects", "field and values must be given together")
	}
	if len(m.VelocityWindows) == 0 {
		bad("metrics.velocity_windows", "must list at least one window")
	}
	for i, w := range m.VelocityWindows {
		if w < 1 || w > 52 {
			bad("metrics.velocity_windows", "each window must be 1-52 sprints, got %d", w)
		} else if slices.Contains(m.VelocityWindows[:i], w) {
			bad("metrics.velocity_windows", "window %d is listed twice", w)
		}
	}
	for _, typ := range m.FlowExcludeTypes {
		if strings.TrimSpace(typ) == "" {
			bad("metrics.flow_exclude_types", "must not hold an empty issue type")
		}
	}
	if _, err := time.LoadLocation(c.Report.TimeZone); err != nil {
		bad("report.time_zone", "unknown time zone %q", c.Report.TimeZone)
	}
	for _, f := range c.Report.Formats {
		if f != "md" && f != "html" && f != "json" {
			bad("report.formats", "must be md, html or json, got %q", f)
		}
	}
	if d := c.Report.MaxDataAge; d < 0 || d > 8760*time.Hour {
		bad("report.max_data_age", "must be between 0 and 8760h, got %s", d)
	}
	if n := c.Report.CatchUpWeeks; n < 1 || n > 52 {
		bad("report.catch_up_weeks", "must be 1-52 weeks, got %d", n)
	}
	if f := c.Report.Forecast; f.Target != "ready" && f.Target != "backlog" {
		bad("report.forecast.target", "must be ready or backlog, got %q", f.Target)
	}
	if n := c.Report.Forecast.HorizonWeeks; n < 1 || n > 104 {
		bad("report.forecast.horizon_weeks", "must be 1-104 weeks, got %d", n)
	}
	// A report reads its week and the ones before it, compute.ReadWeeks in
	// all: more weeks of throughput than that would silently be fewer.
	if n := c.Report.Forecast.ThroughputWeeks; n < 1 || n > compute.ReadWeeks {
		bad("report.forecast.throughput_weeks", "must be 1-%d weeks (the weeks a report reads), got %d", compute.ReadWeeks, n)
	}
	if w := c.Report.Outputs.Slack.WebhookURL; w != "" {
		if u, err := url.Parse(w); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("report.outputs.slack.webhook_url", "must be an absolute http(s) URL")
		}
	}
	if e := c.Report.Outputs.Email; e.Host != "" {
		if e.Port < 1 || e.Port > 65535 {
			bad("report.outputs.email.port", "must be 1-65535, got %d", e.Port)
		}
		if e.From == "" || !strings.Contains(e.From, "@") {
			bad("report.outputs.email.from", "must be an email address")
		}
		if len(e.To) == 0 {
			bad("report.outputs.email.to", "must list at least one recipient")
		}
	}
	c.validateWorker(bad)
	c.validateDashboard(bad)
	c.validateLinks(bad)
	known := map[string]bool{}
	for i := range c.Outcomes.Metrics {
		m := c.Outcomes.Metrics[i]
		if err := m.Validate(); err != nil {
			bad(fmt.Sprintf("outcomes.metrics[%d]", i), "%s", strings.TrimPrefix(strings.TrimPrefix(err.Error(), outcomes.ErrInvalid.Error()), ": "))
		} else if known[m.Name] {
			bad(fmt.Sprintf("outcomes.metrics[%d].name", i), "%q is defined twice", m.Name)
		}
		known[m.Name] = true
	}
	for i, l := range c.Outcomes.Links {
		p := fmt.Sprintf("outcomes.links[%d]", i)
		switch {
		case l.Metric == "":
			bad(p+".metric", "must name an outcome metric")
		case len(c.Outcomes.Metrics) > 0 && !known[l.Metric]:
			bad(p+".metric", "%q is not defined in outcomes.metrics", l.Metric)
		}
		if len(l.Epics)+len(l.Labels)+len(l.Components)+len(l.FixVersions) == 0 {
			bad(p, "must list epics, labels, components or fix_versions")
		}
		if l.Lag < 0 || l.Lag > maxLag {
			bad(p+".lag", "must be between 0 and %s (104 weeks), got %s", maxLag, l.Lag)
		}
	}
	for i, src := range c.Outcomes.SQL {
		p := fmt.Sprintf("outcomes.sql_sources[%d]", i)
		switch {
		case src.Metric == "":
			bad(p+".metric", "must name an outcome metric")
		case len(c.Outcomes.Metrics) > 0 && !known[src.Metric]:
			bad(p+".metric", "%q is not defined in outcomes.metrics", src.Metric)
		}
		if strings.TrimSpace(src.Query) == "" {
			bad(p+".query", "is required")
		} else if _, err := outcomes.CheckSourceQuery(src.Query); err != nil {
			bad(p+".query", "%v", err)
		}
		if src.Timeout < 0 || src.Timeout > outcomes.MaxSQLTimeout {
			bad(p+".timeout", "must be between 0 (the default, 30s) and %s, got %s", outcomes.MaxSQLTimeout, src.Timeout)
		}
	}
	c.Outcomes.Analysis.validate(bad)
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "must be text or json, got %q", c.Log.Format)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	return errors.Join(errs...)
}

// maxLag bounds outcomes.links[].lag: two years.
const maxLag = 104 * 7 * 24 * time.Hour

// validate checks outcomes.analysis; zero means the default of
// docs/outcomes.md, given here to compare flat_pct with moving_pct.
func (a OutcomeAnalysis) validate(bad func(field, format string, args ...any)) {
	const p = "outcomes.analysis."
	for _, f := range []struct {
		name    string
		v, most int
	}{
		{"weeks", a.Weeks, 104}, {"baseline_weeks", a.BaselineWeeks, 52}, {"window_weeks", a.WindowWeeks, 52},
		{"starved_weeks", a.StarvedWeeks, 52}, {"high_delivery_min_issues", a.HighDeliveryMinIssues, 10000},
	} {
		if f.v < 0 || f.v > f.most {
			bad(p+f.name, "must be between 0 (the default) and %d, got %d", f.most, f.v)
		}
	}
	for _, f := range []struct {
		name    string
		v, most float64
	}{
		{"flat_pct", a.FlatPct, 1000}, {"moving_pct", a.MovingPct, 1000},
		{"high_delivery_share", a.HighDeliveryShare, 1}, {"unlinked_pct", a.UnlinkedPct, 100},
	} {
		if !(f.v >= 0 && f.v <= f.most) { // NaN fails every comparison
			bad(p+f.name, "must be between 0 (the default) and %g, got %g", f.most, f.v)
		}
	}
	flat, moving := cmp.Or(a.FlatPct, 2), cmp.Or(a.MovingPct, 5)
	if flat > moving {
		bad(p+"flat_pct", "%g must not exceed moving_pct %g (the defaults are 2 and 5)", flat, moving)
	}
}

func validSiteID(id string) bool {
	if id == "" || len(id) > 40 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// CronParser is the parser the scheduler uses: five fields or @descriptors.
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// CheckCron parses spec, turning robfig/cron's panics (a bare "CRON_TZ=" or
// "TZ=" prefix indexes past the end of the string in v3.0.1) into errors.
func CheckCron(spec string) (err error) {
	if strings.TrimSpace(spec) == "" {
		return errors.New("empty cron expression")
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid cron expression %q", spec)
		}
	}()
	if _, err := CronParser.Parse(spec); err != nil {
		return fmt.Errorf("invalid cron expression %q: %w", spec, err)
	}
	return nil
}

// Location returns the report time zone (validated by Load).
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Report.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Redacted returns a copy with every secret replaced by "xxxxx", for printing.
func (c Config) Redacted() Config {
	r := c
	r.Jira.Sites = append([]SiteConfig(nil), c.Jira.Sites...)
	redact(reflect.ValueOf(&r).Elem())
	return r
}

func redact(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Tag.Get("secret") == "true" && v.Field(i).Kind() == reflect.String && v.Field(i).String() != "" {
				v.Field(i).SetString("xxxxx")
				continue
			}
			redact(v.Field(i))
		}
	case reflect.Slice:
		for i := range v.Len() {
			redact(v.Index(i))
		}
	}
}
