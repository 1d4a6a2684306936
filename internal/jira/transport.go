package jira

import (
	"context"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts what a Client sent, for the sync summary.
type Stats struct {
	Requests  int64 // HTTP requests sent, retries included
	Retries   int64 // requests repeated after 429/5xx or a network error
	Throttled int64 // 429 answers received
}

// transport is the http.RoundTripper under go-jira's auth transports. It
// limits the requests in flight per site (adapting to its rate limit, see
// limiter), retries throttled and transient
// failures honouring Retry-After / X-RateLimit-Reset, and counts requests.
//
// A slot of the limiter is held from sending a request until its response
// body is closed (or read to the end), so a slow reader counts as in flight.
type transport struct {
	base       http.RoundTripper
	lim        *limiter // requests in flight, adapted to the site's rate limit
	maxRetries int
	baseDelay  time.Duration // first backoff step
	maxDelay   time.Duration // cap of one backoff step
	maxWait    time.Duration // longest Retry-After we accept before giving up
	sleep      func(ctx context.Context, d time.Duration) error
	now        func() time.Time
	jitter     func(n int64) int64 // uniform in [0, n)
	site       string
	log        *slog.Logger

	requestTimeout time.Duration // bounds one attempt, sending to the end of the body
	timeoutRetries int           // retries after a timeout (within maxRetries)
	limits         limits        // base's dial, TLS and header limits when New built it

	requests  atomic.Int64
	retries   atomic.Int64
	throttled atomic.Int64

	mu         sync.Mutex
	pauseUntil time.Time // site-wide pause after a Retry-After, so other requests wait too
}

func (t *transport) stats() Stats {
	return Stats{Requests: t.requests.Load(), Retries: t.retries.Load(), Throttled: t.throttled.Load()}
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// RoundTrip implements http.RoundTripper.
//
// Only what can recover is retried: 429, 502, 503 and 504 (up to
// maxRetries), connection resets and early EOFs (up to maxRetries), and
// timeouts (up to timeoutRetries). Anything else that keeps a request from
// reaching Jira (connection refused, unknown host, TLS against a plain HTTP
// port, a bad certificate) fails at once with *UnreachableError.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	justSlept := false
	timeouts := 0
	var lastWait time.Duration
	for attempt := 1; ; attempt++ {
		if !justSlept {
			if err := t.waitPause(ctx); err != nil {
				return nil, err
			}
		}
		justSlept = false

		r := req
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}

		if err := t.lim.acquire(ctx); err != nil {
			return nil, err
		}
		at := t.startAttempt(r)
		t.requests.Add(1)
		resp, err := t.base.RoundTrip(at.req)
		if err != nil {
			te := at.timeout(req, err)
			at.finish()
			switch {
			case ctx.Err() != nil:
				return nil, err
			case te != nil:
				timeouts++
				if timeouts > t.timeoutRetries || attempt > t.maxRetries || !replayable {
					te.Attempts = attempt
					return nil, te
				}
			case !transientNetError(err):
				return nil, &UnreachableError{Site: t.site, Method: req.Method, Path: req.URL.Path, Err: unwrapURLError(err)}
			case !replayable || attempt > t.maxRetries:
				return nil, err
			}
			d := t.backoff(attempt)
			t.logRetry(req, 0, attempt, d, err)
			if serr := t.sleep(ctx, d); serr != nil {
				return nil, serr
			}
			t.retries.Add(1)
			justSlept = true
			continue
		}

		switch {
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			drain(resp)
			at.finish()
			return nil, &AuthError{Site: t.site, StatusCode: resp.StatusCode}

		case retryableStatus(resp.StatusCode):
			t.lim.observe(resp.StatusCode, resp.Header)
			if resp.StatusCode == http.StatusTooManyRequests {
				t.throttled.Add(1)
			}
			wait, fromHeader := t.serverWait(resp.Header)
			drain(resp)
			at.finish()
			if fromHeader {
				lastWait = wait
			}
			giveUp := attempt > t.maxRetries || !replayable || (fromHeader && wait > t.maxWait)
			if giveUp {
				return nil, &RateLimitError{
					Site: t.site, Method: req.Method, Path: req.URL.Path,
					StatusCode: resp.StatusCode, Attempts: attempt, RetryAfter: lastWait,
				}
			}
			if !fromHeader {
				wait = t.backoff(attempt)
			} else {
				t.pause(wait)
			}
			t.logRetry(req, resp.StatusCode, attempt, wait, nil)
			if err := t.sleep(ctx, wait); err != nil {
				return nil, err
			}
			t.retries.Add(1)
			justSlept = true
			continue
		}

		t.lim.observe(resp.StatusCode, resp.Header)
		resp.Body = &releaseBody{ReadCloser: resp.Body, release: at.finish, timeout: func(err error) error {
			if te := at.timeout(req, err); te != nil {
				te.Phase, te.Attempts = phaseBody, attempt
				return te
			}
			return nil
		}}
		return resp, nil
	}
}

// maxHeaderWait caps what Retry-After or X-RateLimit-Reset may ask for. It
// is far above any sane MaxRetryWait, so an absurd value makes the request
// give up (with *RateLimitError) rather than wrap to a negative wait.
const maxHeaderWait = 24 * time.Hour

// serverWait reads how long Jira asked us to wait: Retry-After in seconds or
// as an HTTP date, else X-RateLimit-Reset as an ISO 8601 timestamp
// ("2024-02-12T13:35Z"). ok is false when neither header gives a usable
// value; a negative, infinite or NaN number of seconds is not usable. The
// wait is bounded to [0, maxHeaderWait]; a date in the past means 0.
func (t *transport) serverWait(h http.Header) (d time.Duration, ok bool) {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil {
			if secs >= 0 && !math.IsInf(secs, 0) { // NaN fails secs >= 0
				return boundWait(secs * float64(time.Second)), true
			}
		} else if at, err := http.ParseTime(v); err == nil {
			return boundWait(float64(at.Sub(t.now()))), true
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		for _, layout := range []string{"2006-01-02T15:04Z07:00", time.RFC3339Nano, "2006-01-02T15:04:05-0700"} {
			if at, err := time.Parse(layout, v); err == nil {
				return boundWait(float64(at.Sub(t.now()))), true
			}
		}
	}
	return 0, false
}

// boundWait turns nanoseconds into a Duration in [0, maxHeaderWait],
// comparing as float64 so that values beyond int64 never wrap.
func boundWait(ns float64) time.Duration {
	switch {
	case !(ns > 0): // also NaN
		return 0
	case ns >= float64(maxHeaderWait):
		return maxHeaderWait
	}
	return time.Duration(ns)
}

// backoff is exponential with full jitter: uniform in [0, min(maxDelay, base·2^(attempt-1))].
func (t *transport) backoff(attempt int) time.Duration {
	step := t.baseDelay << min(attempt-1, 30)
	if step <= 0 || step > t.maxDelay {
		step = t.maxDelay
	}
	return time.Duration(t.jitter(int64(step) + 1))
}

func (t *transport) pause(d time.Duration) {
	until := t.now().Add(d)
	t.mu.Lock()
	if until.After(t.pauseUntil) {
		t.pauseUntil = until
	}
	t.mu.Unlock()
}

// waitPause holds a request back while the site asked everyone to wait.
func (t *transport) waitPause(ctx context.Context) error {
	t.mu.Lock()
	until := t.pauseUntil
	t.mu.Unlock()
	if until.IsZero() {
		return nil
	}
	if d := until.Sub(t.now()); d > 0 {
		return t.sleep(ctx, d)
	}
	return nil
}

func (t *transport) logRetry(req *http.Request, status, attempt int, wait time.Duration, err error) {
	attrs := []any{
		slog.String("site", t.site),
		slog.String("method", req.Method),
		slog.String("path", req.URL.Path),
		slog.Int("status", status),
		slog.Int("attempt", attempt),
		slog.Int64("wait_ms", wait.Milliseconds()),
	}
	if err != nil {
		attrs = append(attrs, slog.Any("error", err))
	}
	t.log.Warn("jira request retried", attrs...)
}

// drain reads a little of a discarded body so the connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// releaseBody ends the attempt (frees the semaphore slot, stops its time
// limit) when the body is closed or read to its end, whichever comes first.
// A read cut short by the request time limit returns *TimeoutError.
type releaseBody struct {
	io.ReadCloser
	release func()
	timeout func(err error) error
}

func (b *releaseBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		if err != io.EOF {
			if te := b.timeout(err); te != nil {
				err = te
			}
		}
		b.release()
	}
	return n, err
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func defaultJitter(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return rand.Int64N(n)
}

// countRetry records a retry decided above the transport (a malformed body).
func (t *transport) countRetry() { t.retries.Add(1) }
