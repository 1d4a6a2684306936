package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// execute runs the whole program (flags, command, exit status) the way
// main does, with env as the environment.
func execute(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	m := NewMain()
	var out, errb bytes.Buffer
	m.Stdout, m.Stderr = &out, &errb
	m.Getenv = func(k string) string { return env[k] }
	code = m.Execute(context.Background(), args)
	return code, out.String(), errb.String()
}

// Every command-line mistake exits 2 and says on stderr what was wrong and
// how the command is used; none of them touches the database (the state
// directory, where the embedded server would start, is never created).
func TestUsageErrorsExit2WithMessage(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	env := map[string]string{"ANALYZER_STATE_DIR": state}
	for _, tc := range []struct {
		args      []string
		msg, line string
	}{
		{[]string{"report", "--week", "2026-48"}, `analyzer: report: --week: invalid ISO week: "2026-48" (want YYYY-Www, e.g. 2026-W47)`, "usage: analyzer report [--week 2026-W47]"},
		{[]string{"report", "--format", "pdf"}, `analyzer: report: --format: want md, html or json (comma-separated), got "pdf"`, "usage: analyzer report "},
		{[]string{"report", "--deliver", "--board", "3"}, "analyzer: report: --deliver sends the whole report; it cannot be combined with --board", "usage: analyzer report "},
		{[]string{"report", "--board", "x"}, `analyzer: report: invalid value "x" for flag -board: parse error`, "usage: analyzer report "},
		{[]string{"report", "--bogus"}, "analyzer: report: flag provided but not defined: -bogus", "usage: analyzer report "},
		{[]string{"--log-level", "verbose", "version"}, `analyzer: --log-level: must be debug, info, warn or error, got "verbose"`, "usage: analyzer [--config FILE]"},
		{[]string{"--log-format", "xml", "migrate"}, `analyzer: --log-format: must be text or json, got "xml"`, "usage: analyzer [--config FILE]"},
		{[]string{"outcomes", "import"}, "analyzer: outcomes import: want exactly one CSV file", "usage: analyzer outcomes import FILE.csv | analyzer outcomes pull"},
		{[]string{"outcomes"}, "analyzer: outcomes: want a subcommand: import FILE.csv | pull", "usage: analyzer outcomes import"},
		{[]string{"outcomes", "push"}, `analyzer: outcomes: unknown subcommand "push" (want import or pull)`, "usage: analyzer outcomes import"},
		{[]string{"bogus"}, `analyzer: unknown command "bogus"`, "usage: analyzer [--config FILE]"},
		{[]string{"dcotor"}, `analyzer: unknown command "dcotor" (did you mean "doctor"?)`, "usage: analyzer [--config FILE]"},
		{[]string{}, "analyzer: no command given", "usage: analyzer [--config FILE]"},
		{[]string{"migrate", "extra"}, `analyzer: migrate: unexpected argument "extra"`, "usage: analyzer migrate"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := execute(t, env, tc.args...)
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if !strings.HasPrefix(stderr, tc.msg+"\n") {
				t.Errorf("stderr does not start with the error %q:\n%s", tc.msg, stderr)
			}
			if !strings.Contains(stderr, "\n"+tc.line) {
				t.Errorf("stderr lacks the usage line %q:\n%s", tc.line, stderr)
			}
			if _, err := os.Stat(state); !os.IsNotExist(err) {
				t.Errorf("a usage error touched the state directory: %v", err)
			}
		})
	}
}

// --help is not an error: the command's usage and flags, exit 0.
func TestHelpExits0(t *testing.T) {
	code, _, stderr := execute(t, nil, "report", "--help")
	if code != 0 || !strings.Contains(stderr, "Usage: analyzer report") || !strings.Contains(stderr, "-week") {
		t.Fatalf("report --help: exit %d\n%s", code, stderr)
	}
	code, _, stderr = execute(t, nil, "help")
	if code != 0 || !strings.Contains(stderr, "Commands:") {
		t.Fatalf("help: exit %d\n%s", code, stderr)
	}
}

// Command-line durations take the config's units (d, w) too.
func TestDurationFlag(t *testing.T) {
	m, _, _, err := newTestMain(t, nil, "run", "--shutdown-timeout", "1d")
	if err != nil || m.opts.shutdownTimeout != 24*time.Hour {
		t.Fatalf("--shutdown-timeout 1d: %s %v", m.opts.shutdownTimeout, err)
	}
	m, _, _, err = newTestMain(t, nil, "run")
	if err != nil || m.opts.shutdownTimeout != time.Minute {
		t.Fatalf("default shutdown timeout: %s %v", m.opts.shutdownTimeout, err)
	}
}
