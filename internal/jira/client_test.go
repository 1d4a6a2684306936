package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

const (
	testEmail = "bot@example.com"
	testToken = "s3cr3t-api-token-XYZ"
	testPAT   = "pat-0123456789-secret"
)

// sleepRecorder replaces Config.Sleep: it records the waits asked for and
// returns at once.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// setup starts an httptest server around mux and a Client of the given
// flavour with recorded sleeps, in the manner of go-github's setup(t).
func setup(t *testing.T, flavor analyzer.Flavor, mut ...func(*Config)) (*Client, *http.ServeMux, *sleepRecorder) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	rec := &sleepRecorder{}
	cfg := Config{
		BaseURL: srv.URL, Flavor: flavor, Email: testEmail, Token: testToken,
		Sleep: rec.Sleep, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if flavor == analyzer.FlavorDC {
		cfg.Email, cfg.Token, cfg.PAT = "", "", testPAT
	}
	for _, m := range mut {
		m(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, mux, rec
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func TestRetryAfterSecondsThenSuccess(t *testing.T) {
	c, mux, rec := setup(t, analyzer.FlavorCloud)
	var calls atomic.Int32
	mux.HandleFunc("GET /rest/api/2/serverInfo", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		writeJSON(w, map[string]any{"deploymentType": "Cloud", "version": "1001.0.0"})
	})
	si, err := c.ServerInfo(context.Background())
	if err != nil {
		t.Fatalf("ServerInfo: %v", err)
	}
	if si.DeploymentType != "Cloud" {
		t.Errorf("deploymentType = %q, want Cloud", si.DeploymentType)
	}
	// One 429 asking for 7 s, then success: exactly one wait of 7 s.
	if got := rec.Waits(); len(got) != 1 || got[0] != 7*time.Second {
		t.Errorf("waits = %v, want [7s]", got)
	}
	if st := c.Stats(); st.Requests != 2 || st.Retries != 1 || st.Throttled != 1 {
		t.Errorf("stats = %+v, want 2 requests, 1 retry, 1 throttled", st)
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	now := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	c, mux, rec := setup(t, analyzer.FlavorCloud, func(cfg *Config) { cfg.Now = func() time.Time { return now } })
	var calls atomic.Int32
	mux.HandleFunc("GET /rest/api/2/serverInfo", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, map[string]any{"deploymentType": "Cloud"})
	})
	if _, err := c.ServerInfo(context.Background()); err != nil {
		t.Fatalf("ServerInfo: %v", err)
	}
	// The date is now+90 s on the injected clock.
	if got := rec.Waits(); len(got) != 1 || got[0] != 90*time.Second {
		t.Errorf("waits = %v, want [1m30s]", got)
	}
}

func TestXRateLimitResetOnly(t *testing.T) {
	now := time.Date(2024, 2, 12, 13, 34, 30, 0, time.UTC)
	c, mux, rec := setup(t, analyzer.FlavorCloud, func(cfg *Config) { cfg.Now = func() time.Time { return now } })
	var calls atomic.Int32
	mux.HandleFunc("GET /rest/api/2/serverInfo", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			// Atlassian's documented format: yyyy-MM-ddTHH:mmZ.
			w.Header().Set("X-RateLimit-Reset", "2024-02-12T13:35Z")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		writeJSON(w, map[string]any{"deploymentType": "Cloud"})
	})
	if _, err := c.ServerInfo(context.Background()); err != nil {
		t.Fatalf("ServerInfo: %v", err)
	}
	// 13:35:00 − 13:34:30 = 30 s.
	if got := rec.Waits(); len(got) != 1 || got[0] != 30*time.Second {
		t.Errorf("waits = %v, want [30s]", got)
	}
}

func TestServiceUnavailableStormGivesUp(t *testing.T) {
	c, mux, rec := setup(t, analyzer.FlavorCloud, func(cfg *Config) {
		cfg.MaxRetries = 3
		cfg.BackoffBase = 100 * time.Millisecond
		cfg.BackoffMax = 250 * time.Millisecond
		cfg.Jitter = func(n int64) int64 { return n - 1 } // top of the jitter range
	})
	var calls atomic.Int32
	mux.HandleFunc("GET /rest/api/2/serverInfo", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, err := c.ServerInfo(context.Background())
	var rle *RateLimitError
	if !errors.As(err, &rle) || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want *RateLimitError wrapping ErrRateLimited", err)
	}
	// 1 request + 3 retries.
	if rle.Attempts != 4 || rle.StatusCode != 503 || calls.Load() != 4 {
		t.Errorf("attempts=%d status=%d server calls=%d, want 4, 503, 4", rle.Attempts, rle.StatusCode, calls.Load())
	}
	// Backoff steps base·2^(n−1) capped at 250 ms, jitter at its maximum:
	// 100 ms, 200 ms, 250 ms (400 ms capped).
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}
	got := rec.Waits()
	if len(got) != len(want) {
		t.Fatalf("waits = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("wait %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestRetryAfterTooLongGivesUpAtOnce(t *testing.T) {
	c, mux, rec := setup(t, analyzer.FlavorCloud, func(cfg *Config) { cfg.MaxRetryWait = time.Minute })
	mux.HandleFunc("GET /rest/api/2/serverInfo", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	_, err := c.ServerInfo(context.Background())
	var rle *RateLimitError
	if !errors.As(err, &rle) || rle.RetryAfter != time.Hour || rle.Attempts != 1 {
		t.Fatalf("err = %#v, want RateLimitError after 1 attempt with RetryAfter 1h", err)
	}
	if len(rec.Waits()) != 0 {
		t.Errorf("slept %v, want no sleep", rec.Waits())
	}
}

func TestConcurrencyLimit(t *testing.T) {
	const limit, total = 3, 24
	c, mux, _ := setup(t, analyzer.FlavorCloud, func(cfg *Config) { cfg.MaxConcurrency = limit })
	var inFlight, peak, served atomic.Int32
	mux.HandleFunc("GET /rest/api/2/serverInfo", func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond) // widen the window in which requests overlap
		inFlight.Add(-1)
		served.Add(1)
		writeJSON(w, map[string]any{"deploymentType": "Cloud"})
	})
	var wg sync.WaitGroup
	errs := make(chan error, total)
	for range total {
		wg.Go(func() {
			if _, err := c.ServerInfo(context.Background()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("ServerInfo: %v", err)
	}
	if p := peak.Load(); p > limit {
		t.Errorf("peak in flight = %d, want ≤ %d", p, limit)
	}
	if served.Load() != total {
		t.Errorf("served = %d, want %d", served.Load(), total)
	}
}

func TestUnauthorizedNamesSiteNotToken(t *testing.T) {
	var logs bytes.Buffer
	c, mux, _ := setup(t, analyzer.FlavorCloud, func(cfg *Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	var gotAuth string
	mux.HandleFunc("GET /rest/api/2/myself", func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"errorMessages":["You are not authenticated. Authentication required to perform this operation."],"errors":{}}`)
	})
	_, err := c.Myself(context.Background())
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	var ae *AuthError
	if !errors.As(err, &ae) || ae.StatusCode != 401 {
		t.Fatalf("err = %#v, want *AuthError 401", err)
	}
	if !strings.Contains(err.Error(), c.BaseURL()) {
		t.Errorf("error %q does not name the site %s", err, c.BaseURL())
	}
	if !strings.HasPrefix(gotAuth, "Basic ") {
		t.Errorf("Authorization = %q, want basic auth", gotAuth)
	}
	for _, secret := range []string{testToken, strings.TrimPrefix(gotAuth, "Basic ")} {
		if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
			t.Errorf("token leaked into error or logs: %q / %q", err, logs.String())
		}
	}
	if c.Stats().Retries != 0 {
		t.Errorf("retried a 401: %+v", c.Stats())
	}
}

func TestContextCancelledDuringBackoff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, mux, _ := setup(t, analyzer.FlavorCloud, func(cfg *Config) {
		cfg.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	})
	mux.HandleFunc("GET /rest/api/2/serverInfo", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	})
	_, err := c.ServerInfo(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if c.Stats().Requests != 1 {
		t.Errorf("requests = %d, want 1", c.Stats().Requests)
	}
}

func TestPostBodyReplayedOnRetry(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	var bodies []string
	var mu sync.Mutex
	mux.HandleFunc("POST /rest/api/3/changelog/bulkfetch", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		writeJSON(w, map[string]any{"issueChangeLogs": []any{}})
	})
	if _, err := c.BulkFetchChangelogs(context.Background(), []string{"10001", "10002"}, []string{"status"}); err != nil {
		t.Fatalf("BulkFetchChangelogs: %v", err)
	}
	if len(bodies) != 2 || bodies[0] != bodies[1] || !strings.Contains(bodies[1], `"issueIdsOrKeys":["10001","10002"]`) {
		t.Errorf("bodies = %q, want the same body twice", bodies)
	}
}

func TestNewDetectsFlavorAndAuth(t *testing.T) {
	for _, tc := range []struct {
		name, deployment string
		email, token     string
		pat              string
		wantFlavor       analyzer.Flavor
		wantAuthPrefix   string
	}{
		{"Cloud", "Cloud", testEmail, testToken, "", analyzer.FlavorCloud, "Basic "},
		{"DataCenterPAT", "DataCenter", "", "", testPAT, analyzer.FlavorDC, "Bearer " + testPAT},
		{"ServerPATPreferredOverBasic", "Server", testEmail, testToken, testPAT, analyzer.FlavorDC, "Bearer " + testPAT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			srv := httptest.NewServer(mux)
			defer srv.Close()
			mux.HandleFunc("GET /rest/api/2/serverInfo", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, map[string]any{"deploymentType": tc.deployment})
			})
			var auth string
			mux.HandleFunc("GET /rest/api/2/myself", func(w http.ResponseWriter, r *http.Request) {
				auth = r.Header.Get("Authorization")
				writeJSON(w, map[string]any{"accountId": "abc", "displayName": "Bot", "timeZone": "Europe/Zurich"})
			})
			c, err := New(context.Background(), Config{BaseURL: srv.URL + "/", Flavor: FlavorAuto, Email: tc.email, Token: tc.token, PAT: tc.pat})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if c.Flavor() != tc.wantFlavor {
				t.Errorf("flavor = %q, want %q", c.Flavor(), tc.wantFlavor)
			}
			u, err := c.Myself(context.Background())
			if err != nil {
				t.Fatalf("Myself: %v", err)
			}
			if u.TimeZone != "Europe/Zurich" {
				t.Errorf("time zone = %q", u.TimeZone)
			}
			if !strings.HasPrefix(auth, tc.wantAuthPrefix) {
				t.Errorf("Authorization = %q, want prefix %q", auth, tc.wantAuthPrefix)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"NoURL":            {Email: testEmail, Token: testToken},
		"NoCredentials":    {BaseURL: "https://x.atlassian.net"},
		"CloudWithPATOnly": {BaseURL: "https://x.atlassian.net", Flavor: analyzer.FlavorCloud, PAT: testPAT},
		"BadFlavor":        {BaseURL: "https://x.atlassian.net", Flavor: "server", PAT: testPAT},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(context.Background(), cfg)
			if err == nil {
				t.Fatal("New succeeded, want error")
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), testPAT) {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
	_, err := New(context.Background(), Config{BaseURL: "https://x.atlassian.net"})
	if !errors.Is(err, ErrMissingCredentials) {
		t.Errorf("err = %v, want ErrMissingCredentials", err)
	}
}

func TestAPIErrorCarriesJiraMessages(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	mux.HandleFunc("GET /rest/agile/1.0/board/9/sprint", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"errorMessages":["The board does not support sprints"],"errors":{}}`)
	})
	_, err := c.Sprints(context.Background(), 9)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 || len(ae.Messages) != 1 || ae.Messages[0] != "The board does not support sprints" {
		t.Fatalf("err = %#v, want APIError 400 with Jira's message", err)
	}
}

// A 200 whose body is cut short or is an HTML page is fetched again; a body
// that stays broken ends in *MalformedResponseError naming the path.
func TestMalformedBodyRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch n := calls.Add(1); {
		case r.URL.Path == "/rest/api/2/status" && n == 1:
			_, _ = w.Write([]byte(`[{"id":"1","name":"To`)) // truncated
		case r.URL.Path == "/rest/api/2/status" && n == 2:
			_, _ = w.Write([]byte(`<html><body>502 Bad Gateway</body></html>`))
		case r.URL.Path == "/rest/api/2/status":
			_, _ = w.Write([]byte(`[{"id":"1","name":"To Do","statusCategory":{"key":"new"}}]`))
		default:
			_, _ = w.Write([]byte(`{"broken":`))
		}
	}))
	defer srv.Close()
	c, err := New(context.Background(), Config{BaseURL: srv.URL, Flavor: analyzer.FlavorDC, PAT: "p", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Statuses(context.Background())
	// Two broken answers, then a good one: 3 requests, 2 counted as retries.
	if err != nil || len(st) != 1 || st[0].Name != "To Do" || calls.Load() != 3 || c.Stats().Retries != 2 {
		t.Fatalf("statuses %+v err %v after %d calls, %d retries", st, err, calls.Load(), c.Stats().Retries)
	}
	calls.Store(10)
	_, err = c.Fields(context.Background())
	var me *MalformedResponseError
	if !errors.As(err, &me) || me.Path != "/rest/api/2/field" {
		t.Fatalf("persistently broken body: %v, want *MalformedResponseError for /rest/api/2/field", err)
	}
	// 1 + malformedRetries attempts.
	if got := calls.Load() - 10; got != 1+malformedRetries {
		t.Fatalf("broken body fetched %d times, want %d", got, 1+malformedRetries)
	}
}
