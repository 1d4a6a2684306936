package jira

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	gojira "github.com/andygrunwald/go-jira"

	analyzer "github.com/backlog-health/analyzer"
)

// FlavorAuto asks New to detect the flavour from /rest/api/2/serverInfo.
const FlavorAuto analyzer.Flavor = "auto"

// Config configures a Client for one Jira site.
type Config struct {
	// BaseURL is the site root, e.g. https://acme.atlassian.net or
	// https://jira.example.com/jira. Required.
	BaseURL string
	// SiteID names the site in the domain types. Default: the host of BaseURL.
	SiteID string
	// Flavor is analyzer.FlavorCloud, analyzer.FlavorDC or FlavorAuto.
	// Default (empty): FlavorAuto.
	Flavor analyzer.Flavor
	// Email and Token are the Cloud credentials (basic auth with an API
	// token). Data Center also accepts them as username and password when
	// PAT is empty.
	Email, Token string
	// PAT is the Data Center personal access token (bearer).
	PAT string
	// MaxConcurrency caps the requests in flight to the site. Default 4.
	// Fewer are sent while the site answers 429 (see limiter).
	MaxConcurrency int
	// MaxRetries caps the retries of one request after 429/502/503/504 or a
	// network error. Default 6. The special value -1 disables retries.
	MaxRetries int
	// MaxRetryWait is the longest Retry-After the client sleeps through; a
	// longer one ends the request with *RateLimitError. Default 5 minutes.
	MaxRetryWait time.Duration
	// BackoffBase and BackoffMax shape the exponential backoff with full
	// jitter used when Jira gives no Retry-After. Defaults 500ms and 30s.
	BackoffBase, BackoffMax time.Duration
	// DialTimeout bounds opening a TCP connection (DNS included). Default 10s.
	DialTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake. Default 10s.
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for the response headers once
	// the request is written. Default 30s.
	ResponseHeaderTimeout time.Duration
	// RequestTimeout bounds one attempt of a request, from sending it to the
	// end of the response body. Default 60s.
	RequestTimeout time.Duration
	// TimeoutRetries is how many times a request that timed out is sent
	// again (within MaxRetries). Default 1. The special value -1 disables it.
	TimeoutRetries int
	// HTTPClient supplies the base transport and timeout. Default: a clone of
	// http.DefaultTransport with DialTimeout, TLSHandshakeTimeout and
	// ResponseHeaderTimeout, and no overall timeout. A Transport given here
	// is used as is, with its own dial, TLS and header limits; RequestTimeout
	// and TimeoutRetries still apply. Its Timeout bounds a whole call,
	// retries and Retry-After waits included.
	HTTPClient *http.Client
	// Logger receives retry warnings. Default slog.Default().
	Logger *slog.Logger
	// Sleep waits between retries; tests inject a recorder. Default: a timer
	// that returns ctx.Err() when ctx ends first.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock used to turn X-RateLimit-Reset and HTTP dates into
	// waits. Default time.Now.
	Now func() time.Time
	// Jitter returns a uniform value in [0, n); tests make it deterministic.
	// Default math/rand/v2.
	Jitter func(n int64) int64
}

// Client is a typed Jira client for one site, Cloud or Data Center. It is
// safe for concurrent use; all requests share one concurrency limit.
type Client struct {
	jc     *gojira.Client
	tr     *transport
	flavor analyzer.Flavor
	siteID string
	base   string // BaseURL without trailing slash and without credentials
	log    *slog.Logger
}

// New builds a Client. With Flavor "auto" (or empty) it calls
// /rest/api/2/serverInfo to tell Cloud from Data Center; it does not
// otherwise check the credentials (call Myself for that).
func New(ctx context.Context, cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("jira: invalid base url %q: want http(s)://host[/path]", redactURL(cfg.BaseURL))
	}
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	base := strings.TrimRight(u.String(), "/")

	flavor := cmp.Or(cfg.Flavor, FlavorAuto)
	switch flavor {
	case analyzer.FlavorCloud, analyzer.FlavorDC, FlavorAuto:
	default:
		return nil, fmt.Errorf("jira: invalid flavor %q: want cloud, dc or auto", flavor)
	}
	if cfg.PAT == "" && (cfg.Email == "" || cfg.Token == "") {
		return nil, fmt.Errorf("%w for %s: set email and token (Cloud) or a personal access token (Data Center)", ErrMissingCredentials, base)
	}
	if flavor == analyzer.FlavorCloud && (cfg.Email == "" || cfg.Token == "") {
		return nil, fmt.Errorf("%w for %s: Jira Cloud needs email and API token", ErrMissingCredentials, base)
	}

	lim := limits{
		dial:   cmp.Or(cfg.DialTimeout, DefaultDialTimeout),
		tls:    cmp.Or(cfg.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout),
		header: cmp.Or(cfg.ResponseHeaderTimeout, DefaultResponseHeaderTimeout),
	}
	var baseRT http.RoundTripper
	var timeout time.Duration
	if cfg.HTTPClient != nil {
		baseRT = cfg.HTTPClient.Transport
		timeout = cfg.HTTPClient.Timeout
	}
	if baseRT == nil {
		baseRT = newBaseTransport(lim)
	} else {
		lim = limits{} // the caller's transport keeps its own limits
	}
	timeoutRetries := cfg.TimeoutRetries
	switch {
	case timeoutRetries == 0:
		timeoutRetries = DefaultTimeoutRetries
	case timeoutRetries < 0:
		timeoutRetries = 0
	}
	maxRetries := cfg.MaxRetries
	switch {
	case maxRetries == 0:
		maxRetries = 6
	case maxRetries < 0:
		maxRetries = 0
	}
	logger := cmp.Or(cfg.Logger, slog.Default())
	tr := &transport{
		base:       baseRT,
		lim:        newLimiter(cmp.Or(max(cfg.MaxConcurrency, 0), 4)),
		maxRetries: maxRetries,
		baseDelay:  cmp.Or(cfg.BackoffBase, 500*time.Millisecond),
		maxDelay:   cmp.Or(cfg.BackoffMax, 30*time.Second),
		maxWait:    cmp.Or(cfg.MaxRetryWait, 5*time.Minute),
		sleep:      cfg.Sleep,
		now:        cfg.Now,
		jitter:     cfg.Jitter,
		site:       base,
		log:        logger,

		requestTimeout: cmp.Or(cfg.RequestTimeout, DefaultRequestTimeout),
		timeoutRetries: timeoutRetries,
		limits:         lim,
	}
	if tr.sleep == nil {
		tr.sleep = sleepCtx
	}
	if tr.now == nil {
		tr.now = time.Now
	}
	if tr.jitter == nil {
		tr.jitter = defaultJitter
	}
	c := &Client{tr: tr, flavor: flavor, siteID: cmp.Or(cfg.SiteID, u.Host), base: base, log: logger}

	// Before detection, authenticate the way the credentials suggest.
	useBasic := cfg.Email != "" && cfg.Token != "" && (flavor == analyzer.FlavorCloud || cfg.PAT == "")
	if err := c.setAuth(cfg, useBasic, timeout); err != nil {
		return nil, err
	}
	if flavor == FlavorAuto {
		f, err := c.Detect(ctx)
		if err != nil {
			return nil, err
		}
		c.flavor = f
		if f == analyzer.FlavorCloud && (cfg.Email == "" || cfg.Token == "") {
			return nil, fmt.Errorf("%w for %s: the site is Jira Cloud, which needs email and API token", ErrMissingCredentials, base)
		}
		wantBasic := f == analyzer.FlavorCloud || cfg.PAT == ""
		if wantBasic != useBasic {
			if err := c.setAuth(cfg, wantBasic, timeout); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

func (c *Client) setAuth(cfg Config, basic bool, timeout time.Duration) error {
	var rt http.RoundTripper
	if basic {
		rt = &gojira.BasicAuthTransport{Username: cfg.Email, Password: cfg.Token, Transport: c.tr}
	} else {
		rt = &gojira.PATAuthTransport{Token: cfg.PAT, Transport: c.tr}
	}
	jc, err := gojira.NewClient(&http.Client{Transport: rt, Timeout: timeout}, c.base+"/")
	if err != nil {
		return fmt.Errorf("jira: new client for %s: %w", c.base, err)
	}
	c.jc = jc
	return nil
}

// Flavor reports whether the site is Cloud or Data Center.
func (c *Client) Flavor() analyzer.Flavor { return c.flavor }

// SiteID is the site id written into domain values.
func (c *Client) SiteID() string { return c.siteID }

// BaseURL is the site URL without credentials or trailing slash.
func (c *Client) BaseURL() string { return c.base }

// Stats returns the request counters so far.
func (c *Client) Stats() Stats { return c.tr.stats() }

// GoJira exposes the underlying go-jira client (sharing this client's
// transport, limits and counters) for calls this package does not wrap.
func (c *Client) GoJira() *gojira.Client { return c.jc }

// get sends GET path?query and decodes the JSON answer into v.
func (c *Client) get(ctx context.Context, path string, query url.Values, v any) error {
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	return c.do(ctx, http.MethodGet, path, nil, v)
}

// malformedRetries is how many times a request whose 2xx body could not be
// decoded (cut short, or an HTML error page from a proxy) is sent again.
const malformedRetries = 2

// do sends one request through go-jira's NewRequestWithContext and Do and
// turns failures into *APIError, *AuthError or *RateLimitError. A 2xx answer
// whose body is not valid JSON is fetched again (every request the client
// makes is a read), then reported as *MalformedResponseError.
func (c *Client) do(ctx context.Context, method, path string, body, v any) error {
	var err error
	for attempt := 0; ; attempt++ {
		err = c.doOnce(ctx, method, path, body, v)
		var me *MalformedResponseError
		if !errors.As(err, &me) || attempt >= malformedRetries || ctx.Err() != nil {
			return err
		}
		c.tr.countRetry()
		c.log.Warn("jira response malformed, fetching again", "site", c.base, "path", me.Path, "attempt", attempt+1, "error", me.Err)
	}
}

// retryMalformed runs one go-jira service call, sending it again when the
// 2xx answer's body could not be decoded, as do does for own requests.
func retryMalformed[T any](c *Client, method, path string, call func() (T, *gojira.Response, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		v, resp, err := call()
		err = c.hint(wrapGoJira(method, path, resp, err))
		var me *MalformedResponseError
		if !errors.As(err, &me) || attempt >= malformedRetries {
			return v, err
		}
		c.tr.countRetry()
		c.log.Warn("jira response malformed, fetching again", "site", c.base, "path", path, "attempt", attempt+1, "error", me.Err)
	}
}

func (c *Client) doOnce(ctx context.Context, method, path string, body, v any) error {
	var req *http.Request
	var err error
	if body == nil {
		req, err = c.jc.NewRequestWithContext(ctx, method, path, nil)
	} else {
		req, err = c.jc.NewRequestWithContext(ctx, method, path, body)
	}
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	bd, own := v.(bodyDecoder)
	if own {
		v = nil // go-jira leaves the body to us
	}
	resp, err := c.jc.Do(req, v)
	if err == nil && own {
		err = readBody(resp.Response, bd)
	}
	if err != nil {
		if t := unwrapTransport(err); t != err {
			return t // a timeout while reading the body, too
		}
		if resp != nil && resp.Response != nil {
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				return c.hint(newAPIError(method, req.URL.Path, resp.Response))
			}
			return &MalformedResponseError{Method: method, Path: req.URL.Path, Err: err}
		}
		return err
	}
	return nil
}

// readBody reads a 2xx body whole, closes it and hands it to bd. Its
// errors are those of go-jira's decode: doOnce tells a timeout from a body
// cut short or not decodable (*MalformedResponseError).
func readBody(resp *http.Response, bd bodyDecoder) error {
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	return bd.decodeBody(body)
}

// hint marks an *APIError whose status suggests the configured URL is not a
// Jira site's base URL: 404 on serverInfo or myself (which every Jira has
// at its base URL) or 501 (a server that does not know the method).
func (c *Client) hint(err error) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return err
	}
	probe := strings.HasSuffix(ae.Path, "/rest/api/2/serverInfo") || strings.HasSuffix(ae.Path, "/rest/api/2/myself")
	if ae.StatusCode == http.StatusNotImplemented || (ae.StatusCode == http.StatusNotFound && probe) {
		ae.Hint = baseURLHint(c.base)
	}
	return err
}

// newAPIError reads Jira's error body ({"errorMessages":[],"errors":{}}) and
// closes it.
func newAPIError(method, path string, resp *http.Response) error {
	defer resp.Body.Close()
	e := &APIError{Method: method, Path: path, StatusCode: resp.StatusCode}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var jerr struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	if json.Unmarshal(body, &jerr) == nil {
		e.Messages, e.Errors = jerr.ErrorMessages, jerr.Errors
	}
	if len(e.Messages) == 0 && len(e.Errors) == 0 {
		if s := strings.TrimSpace(string(body)); s != "" && len(s) < 200 {
			e.Messages = []string{s}
		} else {
			e.Messages = []string{http.StatusText(resp.StatusCode)}
		}
	}
	return e
}

// unwrapTransport strips *url.Error (and go-jira's wrapping) from our own
// typed transport errors so that messages stay one clear line.
func unwrapTransport(err error) error {
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae
	}
	var re *RateLimitError
	if errors.As(err, &re) {
		return re
	}
	var te *TimeoutError
	if errors.As(err, &te) {
		return te
	}
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return ue
	}
	return err
}

// wrapGoJira turns an error from a go-jira service call into ours.
func wrapGoJira(method, path string, resp *gojira.Response, err error) error {
	if err == nil {
		return nil
	}
	if t := unwrapTransport(err); t != err {
		return t
	}
	if resp != nil && resp.Response != nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return &MalformedResponseError{Method: method, Path: path, Err: err}
	}
	if resp != nil && resp.Response != nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		e := &APIError{Method: method, Path: path, StatusCode: resp.StatusCode}
		var jerr *gojira.Error
		if errors.As(err, &jerr) {
			e.Messages, e.Errors = jerr.ErrorMessages, jerr.Errors
		}
		if len(e.Messages) == 0 && len(e.Errors) == 0 {
			e.Messages = []string{http.StatusText(resp.StatusCode)}
		}
		return e
	}
	return err
}

// redactURL drops user info from a URL string for error messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<unparseable url>"
	}
	return u.Redacted()
}
