package jira

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Default time limits of one request (docs/operations.md#jira-network-timeouts-retries-and-failures).
const (
	DefaultDialTimeout           = 10 * time.Second
	DefaultTLSHandshakeTimeout   = 10 * time.Second
	DefaultResponseHeaderTimeout = 30 * time.Second
	DefaultRequestTimeout        = 60 * time.Second
	DefaultTimeoutRetries        = 1
)

// Phases of a request until its response headers, in the order a request
// goes through them.
const (
	phaseConnect int32 = iota
	phaseTLS
	phaseSend
	phaseHeaders
)

// phaseNames name the phases in *TimeoutError.
var phaseNames = [...]string{
	phaseConnect: "connecting",
	phaseTLS:     "in the TLS handshake",
	phaseSend:    "sending the request",
	phaseHeaders: "waiting for the response headers",
}

// phaseBody names a timeout while reading the body.
const phaseBody = "reading the response body"

// limits are the time limits of the base transport the client built
// itself; zero when a caller-supplied transport keeps its own.
type limits struct {
	dial, tls, header time.Duration
}

// newBaseTransport clones http.DefaultTransport with the dial, TLS and
// response-header limits.
func newBaseTransport(l limits) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: l.dial, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = l.tls
	tr.ResponseHeaderTimeout = l.header
	return tr
}

// errRequestTimeout is the cancel cause of an attempt that ran past the
// request limit.
var errRequestTimeout = errors.New("jira: request time limit reached")

// attempt is one try of a request: its context, bounded by the request
// limit, and the phase it reached, traced with net/http/httptrace so that a
// timeout can say where it happened.
type attempt struct {
	t     *transport
	req   *http.Request // the request as sent, with the attempt's context
	ctx   context.Context
	timer *time.Timer
	phase atomic.Int32 // phaseConnect…phaseHeaders; only moves forward
	done  func()       // stops the timer, cancels the context, frees the slot; once
}

// reach moves the attempt's phase forward to p. Hooks of a dial started in
// the background (or a second address family) never move it back.
func (a *attempt) reach(p int32) {
	for {
		cur := a.phase.Load()
		if p <= cur || a.phase.CompareAndSwap(cur, p) {
			return
		}
	}
}

// startAttempt derives the attempt's context from r's; the caller holds a
// limiter slot, which finish gives back.
func (t *transport) startAttempt(r *http.Request) *attempt {
	ctx, cancel := context.WithCancelCause(r.Context())
	a := &attempt{t: t, ctx: ctx}
	a.timer = time.AfterFunc(t.requestTimeout, func() { cancel(errRequestTimeout) })
	trace := &httptrace.ClientTrace{
		TLSHandshakeStart: func() { a.reach(phaseTLS) },
		GotConn:           func(httptrace.GotConnInfo) { a.reach(phaseSend) },
		WroteRequest:      func(httptrace.WroteRequestInfo) { a.reach(phaseHeaders) },
	}
	a.req = r.WithContext(httptrace.WithClientTrace(ctx, trace))
	a.done = sync.OnceFunc(func() {
		a.timer.Stop()
		cancel(nil)
		t.lim.release()
	})
	return a
}

// finish ends the attempt; safe to call more than once.
func (a *attempt) finish() { a.done() }

// timeout returns a *TimeoutError when err is this attempt hitting a time
// limit (and not the caller's context ending), else nil. Call it before
// finish.
func (a *attempt) timeout(req *http.Request, err error) *TimeoutError {
	if req.Context().Err() != nil {
		return nil
	}
	phase := a.phase.Load()
	te := &TimeoutError{Site: a.t.site, Method: req.Method, Path: req.URL.Path, Phase: phaseNames[phase]}
	if errors.Is(context.Cause(a.ctx), errRequestTimeout) {
		te.After = a.t.requestTimeout
		return te
	}
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		return nil
	}
	switch phase {
	case phaseConnect:
		te.After = a.t.limits.dial
	case phaseTLS:
		te.After = a.t.limits.tls
	case phaseHeaders, phaseSend:
		te.Phase, te.After = phaseNames[phaseHeaders], a.t.limits.header
	}
	return te
}

// transientNetError reports whether a transport error may go away on its
// own: a reset or aborted connection, a connection closed before the
// answer, or a temporary DNS failure. Timeouts are handled apart.
func transientNetError(err error) bool {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	}
	return false
}

// unwrapURLError drops net/http's *url.Error, whose text repeats the method
// and URL the caller names anyway, and says what a TLS record error means.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return errors.New("the server does not speak TLS here (an https URL for a plain http port?)")
	}
	return err
}
