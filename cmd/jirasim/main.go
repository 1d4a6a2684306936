// Command jirasim runs the Jira simulator (internal/jira/jirasim) as a
// standalone server:
//
//	jirasim --mode cloud|dc --addr 127.0.0.1:0 --seed 42 --teams 3 --issues 5000 [--data DIR]
//	        [--cloud-agile-paging token|offset] [--page-token-ttl 15m]
//
// It prints its base URL on the first line of stdout and serves until
// interrupted. With --truth it prints the generated site's expected KPIs as
// JSON and exits. With --from-devlake DIR it converts DevLake's recorded Jira
// CSVs into a temporary --data directory and serves that.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/jira/jirasim/devlakeconv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(2)
	}
}

// run parses args, then either prints the truth or serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("jirasim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg        jirasim.Config
		mode       = fs.String("mode", "cloud", "cloud or dc")
		addr       = fs.String("addr", "127.0.0.1:0", "listen address (port 0: any free port)")
		truth      = fs.Bool("truth", false, "print the generated site's truth as JSON and exit")
		fromDL     = fs.String("from-devlake", "", "convert this devlake-jira-e2e directory into a temporary --data directory and serve it")
		now        = fs.String("now", "", "the site's present, RFC 3339 (default "+jirasim.DefaultNow.Format(time.RFC3339)+")")
		rateHeader = fs.String("rate-limit-header", jirasim.HeaderRetryAfter, "429 header: retry-after or x-ratelimit-reset")
	)
	fs.Int64Var(&cfg.Seed, "seed", 42, "generator seed")
	fs.IntVar(&cfg.Teams, "teams", 3, "teams (boards)")
	fs.IntVar(&cfg.Issues, "issues", 5000, "issues over all teams")
	fs.StringVar(&cfg.DataDir, "data", "", "serve this directory (layout: internal/jira/jirasim/README.md) instead of generating")
	fs.StringVar(&cfg.Email, "email", "sim@example.com", "cloud basic-auth user")
	fs.StringVar(&cfg.Token, "token", "sim-token", "cloud API token")
	fs.StringVar(&cfg.PAT, "pat", "sim-pat", "dc personal access token")
	fs.DurationVar(&cfg.Faults.Latency, "latency", 0, "latency added to every request")
	fs.IntVar(&cfg.Faults.RateLimitPerSecond, "rate-limit", 0, "answer 429 beyond this many requests per second (0: off)")
	fs.IntVar(&cfg.Faults.Fail503Every, "fail-503-every", 0, "answer 503 to every Nth request (0: off)")
	fs.Float64Var(&cfg.Faults.MalformedFraction, "malformed", 0, "fraction of 200 bodies to truncate or replace with HTML")
	fs.StringVar(&cfg.CloudAgilePaging, "cloud-agile-paging", jirasim.PagingToken, "cloud mode's paging of board and sprint issue lists: token (Cloud since RFC-127) or offset (startAt/total, as before)")
	fs.DurationVar(&cfg.PageTokenTTL, "page-token-ttl", 15*time.Minute, "how long a page token of an agile issue list stays valid (cloud, token paging)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("jirasim: unexpected arguments %v", fs.Args())
	}
	cfg.Mode = jirasim.Mode(*mode)
	cfg.Faults.RateLimitHeader = *rateHeader
	if *now != "" {
		t, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			return fmt.Errorf("jirasim: --now: %w", err)
		}
		cfg.Now = t
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	if *fromDL != "" {
		dir, err := os.MkdirTemp("", "jirasim-devlake-")
		if err != nil {
			return fmt.Errorf("jirasim: temp dir: %w", err)
		}
		defer os.RemoveAll(dir)
		if err := devlakeconv.Convert(*fromDL, dir); err != nil {
			return fmt.Errorf("jirasim: convert %s: %w", *fromDL, err)
		}
		cfg.DataDir = dir
	}

	sv, err := jirasim.New(cfg)
	if err != nil {
		return err
	}
	if *truth {
		tr, err := sv.Truth()
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(tr)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("jirasim: listen: %w", err)
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintln(stdout, url)
	eff := sv.Config()
	log.Info("jirasim serving", slog.String("url", url), slog.String("mode", string(eff.Mode)),
		slog.Int64("seed", eff.Seed), slog.Int("teams", eff.Teams), slog.Int("issues", eff.Issues),
		slog.String("data_dir", eff.DataDir))

	srv := &http.Server{Handler: sv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("jirasim: serve: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("jirasim: shutdown: %w", err)
	}
	st := sv.Stats()
	log.Info("jirasim stopped", slog.Int64("requests", st.Total), slog.Int64("rate_limited", st.RateLimited))
	return nil
}
