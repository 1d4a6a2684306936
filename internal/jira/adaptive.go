package jira

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// limiter caps a site's requests in flight and adapts to its rate limit.
// It starts at max requests in flight and no spacing. A 429 halves the
// requests allowed in flight (at most once a second, since a burst of 429s
// is one event) and spaces request starts: 1/N seconds apart when the site
// names its limit N in X-RateLimit-Limit (taken as requests per second, with
// a tenth to spare), otherwise at half the rate of the last second. A
// success response with X-RateLimit-Remaining 0 counts as a 429 that
// needed no retry. Every success grows the limit again slowly: one more
// request in flight after as many successes as are allowed in flight, and
// 2% less spacing, never below what X-RateLimit-Limit allows.
//
// It runs on the real clock (not Config.Sleep or Config.Now): spacing is
// what keeps a site from answering 429, and tests that shorten retry waits
// must not shorten it.
type limiter struct {
	mu       sync.Mutex
	max      int
	limit    float64       // requests allowed in flight, in [1, max]
	inFlight int           //
	interval time.Duration // least time between two request starts
	floor    time.Duration // interval the site's X-RateLimit-Limit asks for
	next     time.Time     // earliest start of the next request
	lastCut  time.Time
	wake     chan struct{} // closed (and replaced) when a slot is released

	sec          int64 // the second starts are counted in
	starts, prev int   // request starts in sec and in the second before
}

func newLimiter(max int) *limiter {
	return &limiter{max: max, limit: float64(max), wake: make(chan struct{})}
}

// acquire waits for a slot and for the spacing, or for ctx to end.
func (l *limiter) acquire(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := time.Now()
		wake := l.wake
		var wait time.Duration
		if l.inFlight < max(int(l.limit), 1) {
			if wait = l.next.Sub(now); wait <= 0 {
				l.inFlight++
				l.next = now.Add(l.interval)
				l.count(now)
				l.mu.Unlock()
				return nil
			}
		}
		l.mu.Unlock()
		var timer *time.Timer
		var fire <-chan time.Time
		if wait > 0 {
			timer = time.NewTimer(wait)
			fire = timer.C
		}
		select {
		case <-wake:
		case <-fire:
		case <-ctx.Done():
		}
		if timer != nil {
			timer.Stop()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

func (l *limiter) count(now time.Time) {
	if s := now.Unix(); s != l.sec {
		if s == l.sec+1 {
			l.prev = l.starts
		} else {
			l.prev = 0
		}
		l.sec, l.starts = s, 0
	}
	l.starts++
}

// release gives a slot back.
func (l *limiter) release() {
	l.mu.Lock()
	l.inFlight--
	close(l.wake)
	l.wake = make(chan struct{})
	l.mu.Unlock()
}

// observe adapts to a response's status and rate-limit headers.
func (l *limiter) observe(status int, h http.Header) {
	limit, hasLimit := headerInt(h, "X-RateLimit-Limit")
	remaining, hasRemaining := headerInt(h, "X-RateLimit-Remaining")
	l.mu.Lock()
	defer l.mu.Unlock()
	if hasLimit && limit > 0 {
		l.floor = time.Second * 11 / time.Duration(10*limit)
		l.interval = max(l.interval, l.floor)
	}
	throttled := status == http.StatusTooManyRequests
	if !throttled && status < 300 && hasRemaining && remaining <= 0 {
		throttled = true
	}
	if throttled {
		now := time.Now()
		if now.Sub(l.lastCut) < time.Second {
			return
		}
		l.lastCut = now
		l.limit = max(1, l.limit/2)
		if l.floor == 0 {
			rate := max(l.starts, l.prev, 1)
			l.interval = max(2*l.interval, 2*time.Second/time.Duration(rate))
		}
		return
	}
	if status >= 300 {
		return
	}
	l.limit = min(float64(l.max), l.limit+1/l.limit)
	if l.interval > l.floor {
		l.interval = max(l.floor, l.interval-l.interval/50)
		if l.floor == 0 && l.interval < 100*time.Microsecond {
			l.interval = 0
		}
	}
}

func headerInt(h http.Header, name string) (int, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}
