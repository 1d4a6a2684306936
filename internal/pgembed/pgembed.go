// Package pgembed runs a private PostgreSQL cluster under the analyzer's state
// directory, for a machine where no DATABASE_URL is configured.
//
// # Binaries
//
// It uses the machine's own PostgreSQL binaries: PATH first, then
// /usr/lib/postgresql/*/bin (newest major first). It does not download
// binaries: a machine without PostgreSQL gets ErrNoBinaries, which names the
// package to install and the DATABASE_URL alternative.
//
// # Data safety
//
// The data directory is kept between runs. Its PG_VERSION must match the
// binaries' major version; on a mismatch Start refuses with
// ErrVersionMismatch and never wipes or upgrades the directory.
//
// # Root
//
// initdb and postgres refuse to run as root. When the process runs as root,
// the cluster runs as the unprivileged "postgres" user (or "nobody" where
// that user does not exist) and the data directory is owned by that user.
package pgembed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrNoBinaries is returned when no PostgreSQL server binaries are found.
var ErrNoBinaries = errors.New("pgembed: no PostgreSQL server binaries found (looked in PATH and /usr/lib/postgresql/*/bin); install them (e.g. apt-get install postgresql) or set DATABASE_URL")

// ErrVersionMismatch is returned when the data directory was created by
// another major version than the binaries found.
var ErrVersionMismatch = errors.New("pgembed: data directory version does not match the PostgreSQL binaries")

// Config configures an embedded cluster.
type Config struct {
	// DataDir is the cluster's data directory (created when absent).
	DataDir string
	// BinDir holds initdb, pg_ctl and postgres. Empty: found automatically.
	BinDir string
	// Port to listen on, on 127.0.0.1. Zero: a free port is chosen at each start.
	Port int
	// Logger receives progress; nil discards.
	Logger *slog.Logger
	// FallbackRoot receives the data directory when the process runs as
	// root and the cluster's user cannot reach DataDir (a clone under a 0700
	// home such as /root). Default /var/lib/analyzer.
	FallbackRoot string
}

// Cluster is a running embedded PostgreSQL.
type Cluster struct {
	cfg   Config
	bin   string
	major int
	port  int
	owned bool // false when the cluster was already running (another process started it)
	cred  *syscall.Credential
}

// FindBinaries returns the directory holding initdb, pg_ctl and postgres and
// their major version.
func FindBinaries() (string, int, error) {
	var candidates []string
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		candidates = append(candidates, filepath.Dir(p))
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorFromPath(dirs[i]) > majorFromPath(dirs[j]) })
	candidates = append(candidates, dirs...)
	for _, dir := range candidates {
		if !isExec(filepath.Join(dir, "initdb")) || !isExec(filepath.Join(dir, "pg_ctl")) || !isExec(filepath.Join(dir, "postgres")) {
			continue
		}
		major, err := binaryMajor(dir)
		if err != nil {
			continue
		}
		return dir, major, nil
	}
	return "", 0, ErrNoBinaries
}

func majorFromPath(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// binaryMajor runs `postgres --version` ("postgres (PostgreSQL) 15.19 (Debian …)").
func binaryMajor(dir string) (int, error) {
	out, err := exec.Command(filepath.Join(dir, "postgres"), "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("pgembed: %s/postgres --version: %w", dir, err)
	}
	fields := strings.Fields(string(out))
	for _, f := range fields {
		if v, _, ok := strings.Cut(f, "."); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return n, nil
			}
		}
	}
	return 0, fmt.Errorf("pgembed: cannot read version from %q", strings.TrimSpace(string(out)))
}

// Start initialises the data directory when empty and starts the server. When
// a server is already running on the directory (another analyzer process),
// Start attaches to it and Stop leaves it running.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("pgembed: empty data directory")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	cfg.DataDir = dataDir
	c := &Cluster{cfg: cfg, bin: cfg.BinDir}
	if c.bin == "" {
		if c.bin, c.major, err = FindBinaries(); err != nil {
			return nil, err
		}
	} else if c.major, err = binaryMajor(c.bin); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if c.cred, err = unprivileged(); err != nil {
			return nil, err
		}
		if err := c.useReachableDataDir(); err != nil {
			return nil, err
		}
		dataDir = c.cfg.DataDir
	}
	if err := c.ensureInit(ctx); err != nil {
		return nil, err
	}
	if port, ok := c.runningPort(); ok {
		c.port = port
		cfg.Logger.Info("embedded postgres already running", slog.String("data_dir", dataDir), slog.Int("port", port))
		return c, c.waitReady(ctx)
	}
	c.port = cfg.Port
	if c.port == 0 {
		if c.port, err = freePort(); err != nil {
			return nil, err
		}
	}
	logFile := filepath.Join(dataDir, "server.log")
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories='' -c fsync=on -c max_connections=100", c.port)
	if err := c.run(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", dataDir, "-l", logFile, "-o", opts); err != nil {
		return nil, fmt.Errorf("pgembed: start server (log in %s): %w", logFile, err)
	}
	c.owned = true
	cfg.Logger.Info("embedded postgres started", slog.String("data_dir", dataDir), slog.Int("port", c.port), slog.Int("major_version", c.major))
	return c, c.waitReady(ctx)
}

func (c *Cluster) ensureInit(ctx context.Context) error {
	dataDir := c.cfg.DataDir
	versionFile := filepath.Join(dataDir, "PG_VERSION")
	if b, err := os.ReadFile(versionFile); err == nil {
		have := strings.TrimSpace(string(b))
		if have != strconv.Itoa(c.major) {
			return fmt.Errorf("%w: %s was created by PostgreSQL %s, binaries in %s are %d; keep the data with matching binaries, or move the directory away to start fresh",
				ErrVersionMismatch, dataDir, have, c.bin, c.major)
		}
		return nil
	}
	if c.cred != nil {
		if err := reachable(filepath.Dir(dataDir)); err != nil {
			return err
		}
	}
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("pgembed: %s is not empty but holds no PostgreSQL cluster (no PG_VERSION); refusing to touch it", dataDir)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("pgembed: create data directory: %w", err)
	}
	if c.cred != nil {
		if err := os.Chown(dataDir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return fmt.Errorf("pgembed: hand data directory to uid %d: %w", c.cred.Uid, err)
		}
	}
	c.cfg.Logger.Info("initialising embedded postgres", slog.String("data_dir", dataDir))
	if err := c.run(ctx, "initdb", "-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"); err != nil {
		// Leave no half-initialised directory behind: it would block the next start.
		_ = os.RemoveAll(dataDir)
		return fmt.Errorf("pgembed: initdb: %w", err)
	}
	return nil
}

// DefaultFallbackRoot is where the data directory goes when root runs the
// analyzer from a directory the cluster's user cannot reach.
const DefaultFallbackRoot = "/var/lib/analyzer"

// useReachableDataDir moves a new data directory that the cluster's user
// cannot reach (a clone under /root, mode 0700, is the default on most
// container and VM images) to FallbackRoot/<hash of the path>/pgdata, a
// root-owned 0755 chain, and logs one line naming both places. The hash
// keeps the place stable, so the next run finds its data again. A data
// directory that already holds a cluster is never moved away from.
func (c *Cluster) useReachableDataDir() error {
	want := c.cfg.DataDir
	if reachable(filepath.Dir(want)) == nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(want, "PG_VERSION")); err == nil {
		return reachable(filepath.Dir(want)) // an existing cluster: say why it cannot run, never start an empty one elsewhere
	}
	root := c.cfg.FallbackRoot
	if root == "" {
		root = DefaultFallbackRoot
	}
	sum := sha256.Sum256([]byte(want))
	parent := filepath.Join(root, hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("pgembed: %w; and the fallback data directory cannot be created: %w", reachable(filepath.Dir(want)), err)
	}
	for _, d := range []string{root, parent} {
		if err := os.Chmod(d, 0o755); err != nil {
			return fmt.Errorf("pgembed: fallback data directory: %w", err)
		}
	}
	if err := reachable(parent); err != nil {
		return fmt.Errorf("pgembed: %w; the fallback %s is not reachable either", reachable(filepath.Dir(want)), parent)
	}
	c.cfg.DataDir = filepath.Join(parent, "pgdata")
	c.cfg.Logger.Info("embedded postgres data directory moved: the state directory is not reachable by the cluster's unprivileged user (running as root)",
		slog.String("data_dir", c.cfg.DataDir), slog.String("state_data_dir", want), slog.Int("cluster_uid", int(c.cred.Uid)))
	return nil
}

// runningPort reads postmaster.pid (line 4 is the port) and checks the
// process is alive.
func (c *Cluster) runningPort() (int, bool) {
	b, err := os.ReadFile(filepath.Join(c.cfg.DataDir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	pid, err1 := strconv.Atoi(strings.TrimSpace(lines[0]))
	port, err2 := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err1 != nil || err2 != nil {
		return 0, false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return 0, false
	}
	return port, true
}

func (c *Cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port))
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgembed: server on %s did not answer: %w", addr, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// DataDir is the cluster's data directory: Config.DataDir, or its
// fallback under Config.FallbackRoot.
func (c *Cluster) DataDir() string { return c.cfg.DataDir }

// Port is the TCP port the server listens on (127.0.0.1).
func (c *Cluster) Port() int { return c.port }

// MajorVersion is the PostgreSQL major version of the binaries.
func (c *Cluster) MajorVersion() int { return c.major }

// DSN returns a connection URL for database dbname as user postgres.
func (c *Cluster) DSN(dbname string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, dbname)
}

// Stop shuts the server down (fast mode) if this Cluster started it.
func (c *Cluster) Stop(ctx context.Context) error {
	if !c.owned {
		return nil
	}
	if err := c.run(ctx, "pg_ctl", "stop", "-w", "-m", "fast", "-D", c.cfg.DataDir); err != nil {
		return fmt.Errorf("pgembed: stop server: %w", err)
	}
	c.owned = false
	return nil
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = "/"
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return fmt.Errorf("%s %s: %w: %s", name, args[0], err, msg)
	}
	return nil
}

// unprivileged returns the credential of the "postgres" user, else "nobody".
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("pgembed: running as root and neither a \"postgres\" nor a \"nobody\" user exists to run the cluster as; run as a non-root user or set DATABASE_URL")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgembed: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// reachable checks that every directory from / down to dir can be searched by
// any user: when running as root the cluster runs as another user, which
// must reach its data directory.
func reachable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err == nil && st.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("pgembed: running as root, the cluster runs as an unprivileged user that cannot reach %s (%s is not searchable by others: chmod o+x it, choose another state directory, or set DATABASE_URL)", dir, d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}
