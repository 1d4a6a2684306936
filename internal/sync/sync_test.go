package sync_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/pgtest"
	"github.com/backlog-health/analyzer/internal/store"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"github.com/backlog-health/analyzer/internal/sync"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type simSite struct {
	sim *jirasim.Server
	srv *httptest.Server
	cfg jirasim.Config
}

func newSim(t *testing.T, cfg jirasim.Config) *simSite {
	t.Helper()
	sim, err := jirasim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &simSite{sim: sim, srv: srv, cfg: cfg}
}

// client returns a go-jira based client for the simulated site, with retry
// waits shortened so fault tests stay quick (the waits asked for are still
// honoured in proportion: see sleep).
func (s *simSite) client(t *testing.T, token string) *jira.Client {
	t.Helper()
	return s.clientWith(t, func(c *jira.Config) {
		if token != "" {
			c.Token, c.PAT = token, token
		}
	})
}

// clientWith is client with mut applied to the client's configuration.
func (s *simSite) clientWith(t *testing.T, mut func(*jira.Config)) *jira.Client {
	t.Helper()
	token := ""
	cfg := jira.Config{BaseURL: s.srv.URL, SiteID: "sim", MaxRetries: 8, Logger: slog.New(slog.DiscardHandler),
		BackoffBase: time.Millisecond, BackoffMax: 20 * time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error {
			// Retry-After is in whole seconds; a test waits a hundredth of it.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d / 100):
				return nil
			}
		}}
	if s.cfg.Mode == jirasim.ModeDC {
		cfg.Flavor, cfg.PAT = analyzer.FlavorDC, token
		if token == "" {
			cfg.PAT = "sim-pat"
		}
	} else {
		cfg.Flavor, cfg.Email, cfg.Token = analyzer.FlavorCloud, "sim@example.com", token
		if token == "" {
			cfg.Token = "sim-token"
		}
	}
	mut(&cfg)
	c, err := jira.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func count(t *testing.T, s *store.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB().GetContext(context.Background(), &n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// A wrong token is one clear error naming the site, and nothing is written.
func TestWrongTokenWritesNothing(t *testing.T) {
	st := storetest.MustOpen(t)
	site := newSim(t, jirasim.Config{Issues: 120, Teams: 2})
	_, err := sync.New(st, site.client(t, "not-the-token"), sync.Config{SiteID: "sim", BaseURL: site.srv.URL}).Run(context.Background())
	if !errors.Is(err, jira.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if want := "sync: site sim (" + site.srv.URL + ")"; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Fatalf("error %q does not name the site", err)
	}
	for _, table := range []string{"jira_sites", "boards", "issues", "sync_state"} {
		if n := count(t, st, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%s has %d rows after a failed auth", table, n)
		}
	}
}
