// Command analyzer is the backlog health analyzer: it pulls Jira boards,
// sprints, issues and changelogs into PostgreSQL, computes delivery KPIs and
// reports them weekly. Run `analyzer help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/pgembed"
	"github.com/backlog-health/analyzer/internal/report"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/worker"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "dev"

// errUsage marks command-line mistakes (exit status 2); match it with
// errors.Is. The errors themselves are *usageError.
var errUsage = errors.New("usage")

// usageError is a command-line mistake: Execute prints it with the usage
// line of its command (the global one when cmd is empty) and exits 2.
type usageError struct {
	cmd string // the command whose usage applies; "" for global flags
	msg string
}

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errUsage }

// usagef returns a usage error of command cmd ("" for global mistakes).
func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// globalUsage is the usage line of the program itself.
const globalUsage = "analyzer [--config FILE] [--log-format text|json] [--log-level LEVEL] <command> [flags]"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := NewMain().Execute(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Execute parses args, runs the command and closes what it opened, printing
// any error to Stderr. It returns the process exit status.
func (m *Main) Execute(ctx context.Context, args []string) int {
	err := m.ParseFlags(ctx, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = m.Run(ctx)
	}
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(m.Stderr, "analyzer:", oneLine(err))
		if ue := (*usageError)(nil); errors.As(err, &ue) {
			if c, ok := commands()[ue.cmd]; ok {
				fmt.Fprintf(m.Stderr, "usage: %s\nRun `analyzer %s --help` for its flags.\n", c.usage, c.name)
			} else {
				fmt.Fprintf(m.Stderr, "usage: %s\nRun `analyzer help` for the commands.\n", globalUsage)
			}
			return 2
		}
		return 1
	}
	return 0
}

// oneLine folds a multi-line error (config validation lists every problem)
// into lines prefixed for the terminal, keeping the first line first.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "\nanalyzer: ")
}

// command is one subcommand.
type command struct {
	name, summary, usage string
	needsDB              bool
	// flags registers the command's own flags into its flag set.
	flags func(fs *flag.FlagSet, o *options)
	// check validates the parsed flags and arguments before anything runs
	// (nil: the command takes no arguments). It returns usage errors.
	check func(m *Main) error
	// jira and sqlSources say the command uses the Jira credentials or the
	// SQL outcome sources' DSNs: only then are they required.
	jira, sqlSources bool
	run              func(ctx context.Context, m *Main, args []string) error
}

// options holds every command's flags.
type options struct {
	full            bool            // sync --full
	httpAddr        string          // run --http
	shutdownTimeout time.Duration   // run --shutdown-timeout
	week            string          // report --week
	isoWeek         *report.ISOWeek // report --week, parsed by checkReport
	board           int64           // report --board
	format          string          // report --format
	out             string          // report --out, demo --out
	deliver         bool            // report --deliver
	demoIssues      int             // demo --issues
	demoServe       bool            // demo --serve
}

func commands() map[string]command {
	cs := []command{
		{name: "serve", summary: "serve the web dashboard and its read API (no jobs) until SIGINT/SIGTERM", needsDB: true,
			usage: "analyzer serve [--config FILE] [--http ADDR]", run: runServe, flags: func(fs *flag.FlagSet, o *options) {
				fs.StringVar(&o.httpAddr, "http", "", "`address` to serve the dashboard on (default dashboard.listen, 127.0.0.1:9464)")
			}},
		{name: "migrate", summary: "apply pending database migrations and exit", needsDB: true,
			usage: "analyzer migrate [--config FILE]", run: runMigrate},
		{name: "doctor", summary: "check the configuration, the database and the Jira sites",
			usage: "analyzer doctor [--config FILE]", run: runDoctor, jira: true},
		{name: "version", summary: "print the version", usage: "analyzer version", run: runVersion},
		{name: "sync", summary: "pull boards, sprints, issues and changelogs from every configured Jira site once", needsDB: true,
			usage: "analyzer sync [--config FILE] [--full]", run: runSync, jira: true, flags: func(fs *flag.FlagSet, o *options) {
				fs.BoolVar(&o.full, "full", false, "re-fetch every issue and mark issues that left their board, even when a watermark exists")
			}},
		{name: "compute", summary: "compute KPI snapshots from the stored history once", needsDB: true,
			usage: "analyzer compute [--config FILE]", run: runCompute},
		{name: "report", summary: "render the weekly report from the computed KPIs", needsDB: true,
			usage: "analyzer report [--week 2026-W47] [--board ID] [--format md,html,json] [--out DIR] [--deliver]", run: runReport, check: checkReport,
			flags: func(fs *flag.FlagSet, o *options) {
				fs.StringVar(&o.week, "week", "", "ISO `week` to report, e.g. 2026-W47 (default: the last complete week in report.time_zone)")
				fs.Int64Var(&o.board, "board", 0, "report only this board `id` (default: every board)")
				fs.StringVar(&o.format, "format", "", "comma-separated `formats`: md, html, json (default: report.formats)")
				fs.StringVar(&o.out, "out", "", "`directory` for the files (default: report.outputs.dir)")
				fs.BoolVar(&o.deliver, "deliver", false, "send to every configured target (directory, Slack, email), each at most once per week")
			}},
		{name: "demo", summary: "run sync → compute → report end to end on an embedded PostgreSQL and a simulated Jira site",
			usage: "analyzer demo [--out DIR] [--issues N] [--serve [--http ADDR]]", run: runDemo,
			flags: func(fs *flag.FlagSet, o *options) {
				fs.StringVar(&o.out, "out", "./analyzer-demo", "`directory` for the demo report")
				fs.IntVar(&o.demoIssues, "issues", 4000, "issues on the simulated site (4 teams)")
				fs.BoolVar(&o.demoServe, "serve", false, "after the demo, serve the dashboard on its data until SIGINT/SIGTERM")
				fs.StringVar(&o.httpAddr, "http", "", "`address` of the dashboard with --serve (default dashboard.listen, 127.0.0.1:9464)")
			}},
		{name: "outcomes", summary: "import outcome metrics from a CSV file, or pull them from the configured SQL sources", needsDB: false,
			usage: "analyzer outcomes import FILE.csv | analyzer outcomes pull", run: runOutcomes, check: checkOutcomes},
		{name: "run", summary: "run the scheduled worker (sync, compute, weekly report) until SIGINT/SIGTERM", needsDB: true,
			usage: "analyzer run [--config FILE] [--http ADDR]", run: runWorker, jira: true, sqlSources: true, flags: func(fs *flag.FlagSet, o *options) {
				fs.StringVar(&o.httpAddr, "http", "127.0.0.1:9464", "`address` for /healthz and /metrics (empty disables)")
				o.shutdownTimeout = 60 * time.Second
				fs.Var(config.DurationFlag(&o.shutdownTimeout), "shutdown-timeout", "how long to wait for running jobs at shutdown (s, m, h, d or w)")
			}},
	}
	out := make(map[string]command, len(cs))
	for _, c := range cs {
		out[c.name] = c
	}
	return out
}

// Main holds the program's wiring: configuration, logger and the
// connections opened by Run, closed by Close.
type Main struct {
	Config     config.Config
	ConfigPath string
	Command    string
	Args       []string

	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Logger         *slog.Logger

	opts        options
	store       *store.Store
	cluster     *pgembed.Cluster
	workerStats *worker.Stats
	delivery    deliveryState // report delivery's clock and status (report.go)
	demoDB      string        // tests: the demo's database name (default analyzer_demo)
	// embedFallback is pgembed.Config.FallbackRoot (tests; default /var/lib/analyzer).
	embedFallback string
}

// NewMain returns a Main with the process's streams and environment.
func NewMain() *Main {
	return &Main{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Config: config.Default()}
}

func (m *Main) usage() {
	w := m.Stderr
	fmt.Fprintln(w, "The backlog health analyzer: Jira delivery KPIs and weekly reports.")
	fmt.Fprintln(w, "\nUsage: analyzer [--config FILE] [--log-format text|json] [--log-level LEVEL] <command> [flags]")
	fmt.Fprintln(w, "\nCommands:")
	cs := commands()
	names := make([]string, 0, len(cs))
	for n := range cs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cs[n].summary)
	}
	fmt.Fprintln(w, "\nRun `analyzer <command> --help` for a command's flags.")
}

// ParseFlags reads global flags, the command name and its flags and
// arguments, then the configuration. Global flags may also follow the
// command name. Mistakes are usage errors (exit status 2), found before
// anything is opened.
func (m *Main) ParseFlags(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("analyzer", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var logFormat, logLevel string
	fs.StringVar(&m.ConfigPath, "config", m.Getenv("ANALYZER_CONFIG"), "YAML configuration `file` (env ANALYZER_CONFIG)")
	fs.StringVar(&logFormat, "log-format", "", "log format: text or json (overrides log.format)")
	fs.StringVar(&logLevel, "log-level", "", "log level: debug, info, warn, error (overrides log.level)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			m.usage()
			return err
		}
		return usagef("", "%v", err)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return usagef("", "no command given")
	}
	if rest[0] == "help" {
		m.usage()
		return flag.ErrHelp
	}
	cmd, ok := commands()[rest[0]]
	if !ok {
		names := slices.Sorted(maps.Keys(commands()))
		if near := config.Closest(rest[0], names); near != "" {
			return usagef("", "unknown command %q (did you mean %q?)", rest[0], near)
		}
		return usagef("", "unknown command %q", rest[0])
	}
	m.Command = cmd.name

	// The command's own flag set also accepts the global flags, so that
	// `analyzer doctor --config x.yaml` works.
	cfs := flag.NewFlagSet("analyzer "+cmd.name, flag.ContinueOnError)
	cfs.SetOutput(io.Discard)
	cfs.Usage = func() {}
	cfs.StringVar(&m.ConfigPath, "config", m.ConfigPath, "YAML configuration `file`")
	cfs.StringVar(&logFormat, "log-format", logFormat, "log format: text or json")
	cfs.StringVar(&logLevel, "log-level", logLevel, "log level: debug, info, warn, error")
	if cmd.flags != nil {
		cmd.flags(cfs, &m.opts)
	}
	if err := cfs.Parse(rest[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(m.Stderr, "%s\n\nUsage: %s\n\nFlags:\n", cmd.summary, cmd.usage)
			cfs.SetOutput(m.Stderr)
			cfs.PrintDefaults()
			return err
		}
		return usagef(cmd.name, "%s: %v", cmd.name, err)
	}
	m.Args = cfs.Args()
	if logFormat != "" && logFormat != "text" && logFormat != "json" {
		return usagef("", "--log-format: must be text or json, got %q", logFormat)
	}
	if logLevel != "" {
		if _, err := parseLevel(logLevel); err != nil {
			return usagef("", "--log-level: must be debug, info, warn or error, got %q", logLevel)
		}
	}
	if cmd.check != nil {
		if err := cmd.check(m); err != nil {
			return err
		}
	} else if len(m.Args) > 0 {
		return usagef(cmd.name, "%s: unexpected argument %q", cmd.name, m.Args[0])
	}

	if cmd.name != "version" {
		cfg, err := config.Load(m.ConfigPath, m.Getenv)
		if err != nil {
			return err
		}
		m.Config = cfg
	}
	var secretErrs []error
	if cmd.jira {
		secretErrs = append(secretErrs, m.Config.CheckJiraCredentials())
	}
	if cmd.sqlSources || cmd.name == "outcomes" && m.Args[0] == "pull" {
		secretErrs = append(secretErrs, m.Config.CheckSQLSources())
	}
	if err := errors.Join(secretErrs...); err != nil {
		return err
	}
	if logFormat != "" {
		m.Config.Log.Format = logFormat
	}
	if logLevel != "" {
		m.Config.Log.Level = logLevel
	}
	logger, err := newLogger(m.Stderr, m.Config.Log)
	if err != nil {
		return err
	}
	m.Logger = logger
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var level slog.Level
	err := level.UnmarshalText([]byte(s))
	return level, err
}

func newLogger(w io.Writer, lc config.LogConfig) (*slog.Logger, error) {
	level, err := parseLevel(lc.Level)
	if err != nil {
		return nil, usagef("", "--log-level: must be debug, info, warn or error, got %q", lc.Level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch lc.Format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("", "--log-format: must be text or json, got %q", lc.Format)
}

// Run executes the parsed command.
func (m *Main) Run(ctx context.Context) error {
	cmd, ok := commands()[m.Command]
	if !ok {
		return usagef("", "unknown command %q", m.Command)
	}
	if m.Logger == nil {
		m.Logger = slog.New(slog.NewTextHandler(m.Stderr, nil))
	}
	if cmd.needsDB {
		if _, err := m.Store(ctx); err != nil {
			return err
		}
	}
	return cmd.run(ctx, m, m.Args)
}

// Close releases what Run opened: the database pool, then the embedded
// server if this process started it.
func (m *Main) Close() error {
	var errs []error
	if m.store != nil {
		errs = append(errs, m.store.Close())
		m.store = nil
	}
	if m.cluster != nil {
		errs = append(errs, m.cluster.Stop(context.Background()))
		m.cluster = nil
	}
	return errors.Join(errs...)
}

// Store opens the configured database (starting the embedded one when no URL
// is set), applies pending migrations and refuses a newer schema.
func (m *Main) Store(ctx context.Context) (*store.Store, error) {
	if m.store != nil {
		return m.store, nil
	}
	dsn, err := m.databaseURL(ctx)
	if err != nil {
		return nil, err
	}
	s, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx, m.Logger); err != nil {
		_ = s.Close()
		return nil, err
	}
	m.store = s
	return s, nil
}

// databaseURL returns the configured URL, or starts the embedded cluster under
// state_dir and returns the URL of its "analyzer" database.
func (m *Main) databaseURL(ctx context.Context) (string, error) {
	if m.Config.Database.URL != "" {
		return m.Config.Database.URL, nil
	}
	admin, err := m.adminURL(ctx)
	if err != nil {
		return "", err
	}
	if err := ensureDatabase(ctx, admin, "analyzer"); err != nil {
		return "", err
	}
	return m.cluster.DSN("analyzer"), nil
}

// adminURL returns a maintenance-database URL: the configured server's, or
// the embedded cluster's (started under state_dir on first use).
func (m *Main) adminURL(ctx context.Context) (string, error) {
	if m.Config.Database.URL != "" {
		return m.Config.Database.URL, nil
	}
	if m.cluster == nil {
		if err := os.MkdirAll(m.Config.StateDir, 0o755); err != nil {
			return "", fmt.Errorf("state directory: %w", err)
		}
		c, err := pgembed.Start(ctx, pgembed.Config{DataDir: filepath.Join(m.Config.StateDir, "pgdata"), Logger: m.Logger, FallbackRoot: m.embedFallback})
		if err != nil {
			return "", err
		}
		m.cluster = c
	}
	return m.cluster.DSN("postgres"), nil
}

func runVersion(_ context.Context, m *Main, _ []string) error {
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	fmt.Fprintf(m.Stdout, "analyzer %s (schema version %d)\n", v, store.LatestVersion())
	return nil
}

func runMigrate(ctx context.Context, m *Main, _ []string) error {
	s, err := m.Store(ctx)
	if err != nil {
		return err
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "database schema at version %d\n", v)
	return nil
}
