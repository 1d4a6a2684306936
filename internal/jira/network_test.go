package jira

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/jira/jiratest"

	analyzer "github.com/backlog-health/analyzer"
)

// hungListener accepts TCP connections and never answers, like a stalled
// hungListener is jiratest.HungServer: it accepts connections and never
// answers, counting them.
type hungListener struct {
	address  string
	accepted *atomic.Int32
}

func newHungListener(t *testing.T) hungListener {
	t.Helper()
	addr, accepted := jiratest.HungServer(t)
	return hungListener{address: addr, accepted: accepted}
}

func (h hungListener) addr() string { return h.address }

// hangGuard fails the test when f does not return within limit: the point of
// these tests is that nothing hangs. The limit is generous; no timing is
// asserted.
func hangGuard(t *testing.T, limit time.Duration, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		t.Fatalf("request still running after %s: it hangs", limit)
		return nil
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// A Jira that accepts the connection and never answers: the request ends
// with *TimeoutError after 1 + TimeoutRetries attempts, one line naming the
// path, the limit that was hit and the phase.
func TestHungJiraTimesOut(t *testing.T) {
	h := newHungListener(t)
	c, err := New(context.Background(), Config{
		BaseURL: "http://" + h.addr(), Flavor: analyzer.FlavorCloud, Email: testEmail, Token: testToken,
		ResponseHeaderTimeout: 150 * time.Millisecond, RequestTimeout: 5 * time.Second, TimeoutRetries: 1,
		BackoffBase: time.Millisecond, BackoffMax: time.Millisecond, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	err = hangGuard(t, 30*time.Second, func() error { _, err := c.Myself(context.Background()); return err })
	var te *TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want *TimeoutError wrapping ErrTimeout", err)
	}
	t.Log(err)
	want := "jira: GET /rest/api/2/myself: timed out after 150ms waiting for the response headers (2 attempts)"
	if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q, want one line containing %q", err, want)
	}
	// One request and one retry (TimeoutRetries 1), each on a new connection
	// since the first one never became idle.
	if st := c.Stats(); st.Requests != 2 || st.Retries != 1 || h.accepted.Load() != 2 {
		t.Errorf("stats %+v, %d connections accepted, want 2 requests, 1 retry, 2 connections", st, h.accepted.Load())
	}
}

// TimeoutRetries -1 disables the retry: one connection, one request.
func TestHungJiraNoTimeoutRetry(t *testing.T) {
	h := newHungListener(t)
	c, err := New(context.Background(), Config{
		BaseURL: "http://" + h.addr(), Flavor: analyzer.FlavorDC, PAT: testPAT,
		ResponseHeaderTimeout: 100 * time.Millisecond, TimeoutRetries: -1, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	err = hangGuard(t, 30*time.Second, func() error { _, err := c.Statuses(context.Background()); return err })
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "timed out after 100ms waiting for the response headers (1 attempt)") {
		t.Fatalf("err = %v, want a timeout after one attempt", err)
	}
	if c.Stats().Requests != 1 || h.accepted.Load() != 1 {
		t.Errorf("requests %d, connections %d, want 1 and 1", c.Stats().Requests, h.accepted.Load())
	}
}

// https against a listener that never answers: the TLS handshake limit ends it.
func TestHungTLSHandshakeTimesOut(t *testing.T) {
	h := newHungListener(t)
	c, err := New(context.Background(), Config{
		BaseURL: "https://" + h.addr(), Flavor: analyzer.FlavorCloud, Email: testEmail, Token: testToken,
		TLSHandshakeTimeout: 120 * time.Millisecond, TimeoutRetries: -1, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	err = hangGuard(t, 30*time.Second, func() error { _, err := c.Myself(context.Background()); return err })
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "timed out after 120ms in the TLS handshake") {
		t.Fatalf("err = %v, want a TLS handshake timeout", err)
	}
}

// A server that sends the headers and then stalls in the body: the whole
// request limit ends the read.
func TestStalledBodyTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	t.Cleanup(func() { close(release); ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_, _ = http.ReadRequest(bufio.NewReader(conn))
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{\"id\":\"1\",")
				<-release
			}()
		}
	}()
	c, err := New(context.Background(), Config{
		BaseURL: "http://" + ln.Addr().String(), Flavor: analyzer.FlavorDC, PAT: testPAT,
		RequestTimeout: 200 * time.Millisecond, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	err = hangGuard(t, 30*time.Second, func() error { _, err := c.Statuses(context.Background()); return err })
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "GET /rest/api/2/status: timed out after 200ms reading the response body") {
		t.Fatalf("err = %v, want a body timeout", err)
	}
	var me *MalformedResponseError
	if errors.As(err, &me) {
		t.Errorf("a timeout reported as a malformed body: %v", err)
	}
}

// Permanent failures are not retried: one request, and the error asks
// whether the URL is the site's base URL.
func TestPermanentErrorsFailFast(t *testing.T) {
	var served atomic.Int32
	jiraUnderPath := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if r.URL.Path == "/jira/rest/api/2/myself" {
			writeJSON(w, map[string]any{"accountId": "a"})
			return
		}
		http.NotFound(w, r)
	}))
	defer jiraUnderPath.Close()
	notJira := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.WriteHeader(http.StatusNotImplemented)
	}))
	defer notJira.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there any more: connection refused

	for _, tc := range []struct {
		name, base string
		flavor     analyzer.Flavor
		wantServed int32 // requests the stub server saw (0: none reached a handler)
	}{
		{"ConnectionRefused", refused, analyzer.FlavorCloud, 0},
		// The TLS client hello reaches the plain-HTTP server, which answers
		// in plain HTTP; no handler runs.
		{"HTTPSAgainstHTTPPort", "https://" + jiraUnderPath.Listener.Addr().String(), analyzer.FlavorCloud, 0},
		{"WrongBasePath404", jiraUnderPath.URL + "/wrong", analyzer.FlavorCloud, 1},
		{"NonJira501", notJira.URL, analyzer.FlavorCloud, 1},
		// With flavor auto the first request is serverInfo, in New.
		{"WrongBasePath404Auto", jiraUnderPath.URL, FlavorAuto, 1},
		{"ConnectionRefusedAuto", refused, FlavorAuto, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			served.Store(0)
			rec := &sleepRecorder{}
			var c *Client
			err := hangGuard(t, 60*time.Second, func() error {
				var err error
				c, err = New(context.Background(), Config{BaseURL: tc.base, Flavor: tc.flavor, Email: testEmail, Token: testToken,
					Sleep: rec.Sleep, Logger: quietLogger()})
				if err != nil {
					return err
				}
				_, err = c.Myself(context.Background())
				return err
			})
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			hint := fmt.Sprintf("is %s the site's base URL?", tc.base)
			if !strings.HasSuffix(err.Error(), hint) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line ending in %q", err, hint)
			}
			if c != nil && c.Stats().Requests != 1 {
				t.Errorf("%d requests sent, want 1", c.Stats().Requests)
			}
			if len(rec.Waits()) != 0 {
				t.Errorf("slept %v before giving up, want no retry", rec.Waits())
			}
			if served.Load() != tc.wantServed {
				t.Errorf("stub server saw %d requests, want %d", served.Load(), tc.wantServed)
			}
		})
	}
}

// Errors inside Jira's own API (a missing board) keep their message, no hint.
func TestNotFoundBoardHasNoHint(t *testing.T) {
	c, mux, _ := setup(t, analyzer.FlavorCloud)
	mux.HandleFunc("GET /rest/agile/1.0/board/99/configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"errorMessages":["Board does not exist or you do not have permission to see it."],"errors":{}}`)
	})
	_, err := c.BoardConfiguration(context.Background(), 99)
	if err == nil || strings.Contains(err.Error(), "base URL") {
		t.Fatalf("err = %v, want Jira's 404 without the base URL hint", err)
	}
}

// A connection reset is transient: the request is sent again and succeeds.
func TestConnectionResetRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil {
					return
				}
				if conns.Add(1) == 1 {
					conn.(*net.TCPConn).SetLinger(0) // close with RST
					return
				}
				body := `{"deploymentType":"Cloud"}`
				fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
			}()
		}
	}()
	rec := &sleepRecorder{}
	c, err := New(context.Background(), Config{BaseURL: "http://" + ln.Addr().String(), Flavor: analyzer.FlavorCloud,
		Email: testEmail, Token: testToken, Sleep: rec.Sleep, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	si, err := c.ServerInfo(context.Background())
	if err != nil || si.DeploymentType != "Cloud" {
		t.Fatalf("ServerInfo after a reset: %+v, %v", si, err)
	}
	if st := c.Stats(); st.Requests != 2 || st.Retries != 1 {
		t.Errorf("stats %+v, want 2 requests, 1 retry", st)
	}
}

// serverWait bounds what the headers ask for to [0, maxHeaderWait] and
// ignores values that are not numbers of seconds, dates or finite.
func TestServerWaitBounds(t *testing.T) {
	now := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	tr := &transport{now: func() time.Time { return now }}
	for _, tc := range []struct {
		name, retryAfter, reset string
		want                    time.Duration
		ok                      bool
	}{
		{"Seconds", "7", "", 7 * time.Second, true},
		{"FractionalSeconds", "1.5", "", 1500 * time.Millisecond, true},
		{"Zero", "0", "", 0, true},
		// 1e300 s overflows time.Duration (int64 ns, ~292 years) to a
		// negative value when converted naively; it is capped instead.
		{"Huge", "1e300", "", maxHeaderWait, true},
		{"JustOverCap", "86401", "", maxHeaderWait, true},
		{"Inf", "inf", "", 0, false},
		{"PlusInf", "+Inf", "", 0, false},
		{"NaN", "NaN", "", 0, false},
		{"Negative", "-5", "", 0, false},
		{"Garbage", "soon", "", 0, false},
		{"InfFallsBackToReset", "inf", "2025-03-04T10:00:30Z", 30 * time.Second, true},
		{"HTTPDate", now.Add(90 * time.Second).Format(http.TimeFormat), "", 90 * time.Second, true},
		{"HTTPDatePast", now.Add(-time.Hour).Format(http.TimeFormat), "", 0, true},
		{"HTTPDateFarFuture", "Fri, 31 Dec 9999 23:59:59 GMT", "", maxHeaderWait, true},
		{"ResetAtlassian", "", "2025-03-04T10:01Z", time.Minute, true},
		{"ResetPast", "", "2025-03-04T09:00Z", 0, true},
		// Year 9999 is ~7975 years away: time.Time.Sub saturates at the
		// largest Duration; the cap applies.
		{"ResetFarFuture", "", "9999-12-31T23:59Z", maxHeaderWait, true},
		{"ResetFarPast", "", "0001-01-01T00:00Z", 0, true},
		{"ResetGarbage", "", "tomorrow", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.retryAfter != "" {
				h.Set("Retry-After", tc.retryAfter)
			}
			if tc.reset != "" {
				h.Set("X-RateLimit-Reset", tc.reset)
			}
			got, ok := tr.serverWait(h)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("serverWait(Retry-After %q, X-RateLimit-Reset %q) = %v, %v; want %v, %v", tc.retryAfter, tc.reset, got, ok, tc.want, tc.ok)
			}
			if got < 0 || got > maxHeaderWait {
				t.Fatalf("wait %v outside [0, %v]", got, maxHeaderWait)
			}
		})
	}
	if maxHeaderWait <= 0 || float64(maxHeaderWait) >= math.MaxInt64 {
		t.Fatal("maxHeaderWait must be a positive, representable duration")
	}
}

// Retry-After: inf on a 429 is not a negative wait and not a busy loop: the
// header is ignored and the client backs off with jitter, as without one.
func TestRetryAfterInfBacksOff(t *testing.T) {
	c, mux, rec := setup(t, analyzer.FlavorCloud, func(cfg *Config) {
		cfg.BackoffBase, cfg.BackoffMax = 100*time.Millisecond, time.Second
		cfg.Jitter = func(n int64) int64 { return n - 1 }
	})
	var calls atomic.Int32
	mux.HandleFunc("GET /rest/api/2/serverInfo", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "inf")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		writeJSON(w, map[string]any{"deploymentType": "Cloud"})
	})
	if _, err := c.ServerInfo(context.Background()); err != nil {
		t.Fatal(err)
	}
	// First backoff step, jitter at its top: 100 ms.
	if got := rec.Waits(); len(got) != 1 || got[0] != 100*time.Millisecond {
		t.Errorf("waits = %v, want [100ms]", got)
	}
}

// Retry-After: 1e300 is capped, not wrapped to a negative wait: it exceeds
// MaxRetryWait, so the request gives up at once without sleeping.
func TestRetryAfterHugeGivesUp(t *testing.T) {
	c, mux, rec := setup(t, analyzer.FlavorCloud)
	mux.HandleFunc("GET /rest/api/2/serverInfo", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1e300")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	_, err := c.ServerInfo(context.Background())
	var rle *RateLimitError
	if !errors.As(err, &rle) || rle.Attempts != 1 || rle.RetryAfter != maxHeaderWait {
		t.Fatalf("err = %v, want RateLimitError after 1 attempt asking for %v", err, maxHeaderWait)
	}
	if len(rec.Waits()) != 0 {
		t.Errorf("slept %v, want no sleep", rec.Waits())
	}
}

// fullBacklogAddr returns the address of a listening socket whose accept
// queue is full (backlog 0, one connection queued and never accepted):
// Linux drops further SYNs, so a dial there hangs until its time limit.
func fullBacklogAddr(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	// Fill the queue: connections that complete the handshake but are never
	// accepted. Stop at the first one that does not complete.
	for range 4 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Fatal("the accept queue never filled: this kernel does not drop SYNs on a full backlog")
	return ""
}

// A dial that never completes ends at the dial limit.
func TestDialTimesOut(t *testing.T) {
	addr := fullBacklogAddr(t)
	c, err := New(context.Background(), Config{
		BaseURL: "http://" + addr, Flavor: analyzer.FlavorDC, PAT: testPAT,
		DialTimeout: 150 * time.Millisecond, TimeoutRetries: -1, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	err = hangGuard(t, 30*time.Second, func() error { _, err := c.Statuses(context.Background()); return err })
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "timed out after 150ms connecting (1 attempt)") {
		t.Fatalf("err = %v, want a dial timeout", err)
	}
}
