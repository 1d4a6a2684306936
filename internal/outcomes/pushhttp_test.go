package outcomes_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/outcomes"
)

// Issue 11 point 15: the token is checked before the body is read, so an
// unauthenticated client sending a slow body gets its 401 at once instead of
// after net/http has drained up to 256 KiB of it.
func TestRefusedPushDoesNotWaitForTheBody(t *testing.T) {
	srv := httptest.NewServer(outcomes.Handler(nopSink{}, testToken, nil, nil))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Announce 100,000 bytes (under net/http's 256 KiB drain limit), send 10.
	head := "POST " + outcomes.PushPath + " HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n" +
		"Authorization: Bearer wrong\r\nContent-Length: 100000\r\n\r\n" + `{"values":`
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	// Hang guard only: the answer must come without the rest of the body.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body was complete: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !resp.Close {
		t.Fatalf("status %d, close %v: want 401 and the connection closed", resp.StatusCode, resp.Close)
	}
}

// logCount is a slog handler counting records by message, keeping attributes.
type logCount struct {
	mu   sync.Mutex
	recs []map[string]string
}

func (l *logCount) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCount) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logCount) WithGroup(string) slog.Handler            { return l }
func (l *logCount) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{"msg": r.Message, "level": r.Level.String()}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	l.mu.Lock()
	l.recs = append(l.recs, m)
	l.mu.Unlock()
	return nil
}

func (l *logCount) refused() []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]string
	for _, r := range l.recs {
		if r["msg"] == "outcome push refused" {
			out = append(out, r)
		}
	}
	return out
}

// Issue 11 point 15: one bad client cannot flood the log: refused pushes
// log at most one warning per client address per interval, and the next
// warning says how many were suppressed.
func TestRefusedPushWarningsAreThrottled(t *testing.T) {
	logs := &logCount{}
	var mu sync.Mutex
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := httptest.NewServer(outcomes.NewHandler(nopSink{}, testToken, nil, outcomes.PushOptions{
		Logger: slog.New(logs), RefusedLogInterval: 10 * time.Second, Now: clock,
	}))
	defer srv.Close()
	for i := range 100 {
		if r := push(t, srv, http.MethodPost, fmt.Sprintf("Bearer bad-%d", i), "application/json", goodBody); r.status != http.StatusUnauthorized {
			t.Fatalf("push %d: status %d", i, r.status)
		}
	}
	// The clock stood still: 100 refusals from 127.0.0.1 within one 10 s
	// interval give one line.
	lines := logs.refused()
	if len(lines) != 1 || lines[0]["level"] != "WARN" || lines[0]["remote_host"] != "127.0.0.1" {
		t.Fatalf("%d warning lines for 100 refused pushes, want 1: %v", len(lines), lines)
	}
	// 10 s later the next refusal is logged, carrying the 99 suppressed since the first.
	mu.Lock()
	now = now.Add(10 * time.Second)
	mu.Unlock()
	push(t, srv, http.MethodPost, "", "application/json", goodBody)
	lines = logs.refused()
	if len(lines) != 2 || lines[1]["suppressed"] != "99" {
		t.Fatalf("after 10 s: lines %v, want a second one with suppressed=99", lines)
	}
	if strings.Contains(fmt.Sprint(lines), "bad-") {
		t.Fatal("a refused token reached the log")
	}
}
