package jirasim

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for the rate-limit window.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestRateLimitRetryAfter(t *testing.T) {
	clk := &fakeClock{t: time.Date(2025, 6, 18, 12, 0, 0, 300e6, time.UTC)} // 0.3 s into a second
	sv, ts := NewTestServer(t, Config{Clock: clk.now, Faults: Faults{RateLimitPerSecond: 3}})
	var codes []int
	var last *http.Response
	for i := 0; i < 5; i++ {
		resp, b := rawGet(t, ModeCloud, ts.URL+"/rest/api/2/myself", nil)
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests {
			decodeErr(t, b)
			last = resp
		}
	}
	// 3 allowed in the second, then 429s.
	if want := []int{200, 200, 200, 429, 429}; !equalInts(codes, want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
	// 0.7 s left in the window: Retry-After rounds up to 1.
	if got := last.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	if last.Header.Get("X-RateLimit-Reset") != "" {
		t.Error("retry-after variant also sent X-RateLimit-Reset")
	}
	clk.add(time.Second)
	if resp, _ := rawGet(t, ModeCloud, ts.URL+"/rest/api/2/myself", nil); resp.StatusCode != 200 {
		t.Errorf("next second: %d", resp.StatusCode)
	}
	if sv.Stats().RateLimited != 2 {
		t.Errorf("rate limited %d, want 2", sv.Stats().RateLimited)
	}
}

func TestRateLimitResetHeaderOnly(t *testing.T) {
	clk := &fakeClock{t: time.Date(2025, 6, 18, 12, 0, 0, 500e6, time.UTC)}
	_, ts := NewTestServer(t, Config{Clock: clk.now, Faults: Faults{RateLimitPerSecond: 1, RateLimitHeader: HeaderRateLimitReset}})
	rawGet(t, ModeCloud, ts.URL+"/rest/api/2/myself", nil)
	resp, _ := rawGet(t, ModeCloud, ts.URL+"/rest/api/2/myself", nil)
	if resp.StatusCode != 429 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if resp.Header.Get("Retry-After") != "" {
		t.Error("variant must send only X-RateLimit-Reset")
	}
	// The window ends at the next whole second.
	if got := resp.Header.Get("X-RateLimit-Reset"); got != "2025-06-18T12:00:01Z" {
		t.Errorf("X-RateLimit-Reset %q", got)
	}
}

func TestFail503Every(t *testing.T) {
	sv, ts := NewTestServer(t, Config{Faults: Faults{Fail503Every: 4}})
	var codes []int
	for i := 0; i < 8; i++ {
		resp, _ := rawGet(t, ModeCloud, ts.URL+"/rest/api/2/status", nil)
		codes = append(codes, resp.StatusCode)
	}
	if want := []int{200, 200, 200, 503, 200, 200, 200, 503}; !equalInts(codes, want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
	if sv.Stats().Unavailable != 2 {
		t.Errorf("unavailable %d", sv.Stats().Unavailable)
	}
}

func TestMalformedBodies(t *testing.T) {
	sv, ts := NewTestServer(t, Config{Faults: Faults{MalformedFraction: 1}})
	truncated, html := 0, 0
	for i := 0; i < 6; i++ {
		resp, b := rawGet(t, ModeCloud, ts.URL+"/rest/agile/1.0/board", nil)
		if resp.StatusCode != 200 || json.Valid(b) {
			t.Fatalf("want a 200 with a broken body, got %d %s", resp.StatusCode, b)
		}
		if resp.Header.Get("Content-Type") == "text/html;charset=UTF-8" {
			html++
		} else {
			truncated++
		}
	}
	// Even request numbers are truncated, odd ones are HTML: 3 and 3.
	if truncated != 3 || html != 3 || sv.Stats().Malformed != 6 {
		t.Errorf("truncated %d html %d malformed %d", truncated, html, sv.Stats().Malformed)
	}
	// Errors are never mangled.
	if resp, b := rawGet(t, ModeCloud, ts.URL+"/rest/api/2/issue/NOPE-1", nil); resp.StatusCode != 404 || !json.Valid(b) {
		t.Errorf("404 mangled: %s", b)
	}
}

func TestLatencyStillAnswers(t *testing.T) {
	sv, ts := NewTestServer(t, Config{Faults: Faults{Latency: 5 * time.Millisecond}})
	if resp, _ := rawGet(t, ModeCloud, ts.URL+"/rest/api/2/serverInfo", nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if sv.Stats().Total != 1 {
		t.Errorf("total %d", sv.Stats().Total)
	}
}

func TestMaxInFlight(t *testing.T) {
	// Requests held by a long latency are all in flight at once; they are
	// cancelled as soon as the counter has seen the four of them.
	sv, ts := NewTestServer(t, Config{Faults: Faults{Latency: time.Minute}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/rest/api/2/serverInfo", nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for sv.Stats().MaxInFlight < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if m := sv.Stats().MaxInFlight; m != 4 {
		t.Errorf("max in flight %d, want 4", m)
	}
}

func TestBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"Mode":      {Mode: "onprem"},
		"Header":    {Faults: Faults{RateLimitHeader: "x-foo"}},
		"Fraction":  {Faults: Faults{MalformedFraction: 2}},
		"TooSmall":  {Teams: 3, Issues: 30},
		"TooMany":   {Teams: 501},
		"NoDataDir": {DataDir: "/nonexistent/jirasim"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
