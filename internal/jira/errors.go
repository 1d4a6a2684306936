package jira

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors. Match them with errors.Is; the typed errors below carry
// the details and unwrap to these. The typed errors' messages have no
// "jira: " prefix: the client's methods wrap them as "jira: <operation>: …".
var (
	// ErrRateLimited is returned (wrapped in *RateLimitError) when Jira kept
	// answering 429/502/503/504 after the configured number of retries, or
	// asked for a longer wait than the client accepts.
	ErrRateLimited = errors.New("jira: rate limited")
	// ErrUnauthorized is returned (wrapped in *AuthError) when Jira answers
	// 401 or 403: wrong email/token/PAT, or an account without access.
	ErrUnauthorized = errors.New("jira: unauthorized")
	// ErrMissingCredentials is returned by New when the config lacks the
	// credentials the chosen flavour needs.
	ErrMissingCredentials = errors.New("jira: missing credentials")
	// ErrTimeout is returned (wrapped in *TimeoutError) when a request hit
	// one of the client's time limits, after the configured retries.
	ErrTimeout = errors.New("jira: timed out")
	// ErrUnreachable is returned (wrapped in *UnreachableError) when a
	// request could not reach Jira for a reason a retry would not fix.
	ErrUnreachable = errors.New("jira: site unreachable")
	// ErrUnusableIssue is returned by ParseIssue when an issue has no usable
	// id or key; the caller should log and skip it.
	ErrUnusableIssue = errors.New("jira: unusable issue")
)

// RateLimitError reports that a request was given up after repeated
// throttling or transient server errors.
type RateLimitError struct {
	Site       string        // site URL, without credentials
	Method     string        // HTTP method of the request
	Path       string        // request path, without query
	StatusCode int           // last status seen: 429, 502, 503 or 504
	Attempts   int           // requests sent, including the first
	RetryAfter time.Duration // last wait Jira asked for (0 when it gave none)
}

func (e *RateLimitError) Error() string {
	msg := fmt.Sprintf("rate limited by %s: %s %s answered %d after %d attempts",
		e.Site, e.Method, e.Path, e.StatusCode, e.Attempts)
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// AuthError reports a 401 or 403 from a site. It never holds the token.
type AuthError struct {
	Site       string // site URL, without credentials
	StatusCode int    // 401 or 403
}

func (e *AuthError) Error() string {
	hint := "check the email and API token (Cloud) or personal access token (Data Center)"
	if e.StatusCode == 403 {
		hint = "the account lacks permission, or Jira requires a CAPTCHA login first"
	}
	return fmt.Sprintf("unauthorized: %s answered %d: %s", e.Site, e.StatusCode, hint)
}

// Unwrap makes errors.Is(err, ErrUnauthorized) true.
func (e *AuthError) Unwrap() error { return ErrUnauthorized }

// APIError is a non-2xx answer from Jira other than auth and throttling,
// with Jira's errorMessages/errors decoded when the body had them.
type APIError struct {
	Method     string
	Path       string // request path, without query
	StatusCode int
	Messages   []string          // errorMessages
	Errors     map[string]string // errors (field → message)
	// Hint is appended to the message: set for answers that suggest a wrong
	// base URL (404 on serverInfo or myself, 501 anywhere).
	Hint string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: status %d", e.Method, e.Path, e.StatusCode)
	for _, m := range e.Messages {
		b.WriteString(": ")
		b.WriteString(m)
	}
	for k, v := range e.Errors {
		fmt.Fprintf(&b, ": %s: %s", k, v)
	}
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// FieldError is a per-field warning from ParseIssue: the field's value could
// not be read, the rest of the issue was kept.
type FieldError struct {
	IssueKey string
	Field    string
	Value    string // the offending raw value, truncated
	Err      error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("jira: issue %s field %s: %v (value %s)", e.IssueKey, e.Field, e.Err, e.Value)
}

func (e *FieldError) Unwrap() error { return e.Err }

// DroppedHistories counts the warnings that say a changelog history was
// left out (its id or timestamp could not be read).
func DroppedHistories(warns []error) int {
	n := 0
	for _, w := range warns {
		var fe *FieldError
		if errors.As(w, &fe) && strings.HasPrefix(fe.Field, "changelog.histories") {
			n++
		}
	}
	return n
}

func newFieldError(key, field string, raw []byte, err error) *FieldError {
	v := string(raw)
	if len(v) > 80 {
		v = v[:80] + "…"
	}
	return &FieldError{IssueKey: key, Field: field, Value: v, Err: err}
}

// MalformedResponseError reports a 2xx answer whose body could not be
// decoded: truncated JSON, or an HTML page from a proxy.
type MalformedResponseError struct {
	Method, Path string
	Err          error
}

func (e *MalformedResponseError) Error() string {
	return fmt.Sprintf("%s %s: malformed response body: %v", e.Method, e.Path, e.Err)
}

func (e *MalformedResponseError) Unwrap() error { return e.Err }

// TimeoutError reports a request that hit one of the client's time limits
// on every attempt it was given (a hung Jira, VPN or proxy).
type TimeoutError struct {
	Site     string        // site URL, without credentials
	Method   string        // HTTP method of the request
	Path     string        // request path, without query
	Phase    string        // where the last attempt was, e.g. "waiting for the response headers"
	After    time.Duration // the limit that was hit (0 when the transport was the caller's)
	Attempts int           // requests sent, including the first
}

func (e *TimeoutError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "jira: %s %s: timed out", e.Method, e.Path)
	if e.After > 0 {
		fmt.Fprintf(&b, " after %s", e.After)
	}
	if e.Phase != "" {
		b.WriteString(" " + e.Phase)
	}
	if e.Attempts == 1 {
		b.WriteString(" (1 attempt)")
	} else if e.Attempts > 1 {
		fmt.Fprintf(&b, " (%d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrTimeout) true.
func (e *TimeoutError) Unwrap() error { return ErrTimeout }

// Timeout reports true, as net.Error does for timeouts.
func (e *TimeoutError) Timeout() bool { return true }

// UnreachableError reports a request that could not reach Jira for a reason
// a retry would not fix: connection refused, an unknown host, https against
// a plain http port, a certificate that does not verify. It is not retried.
type UnreachableError struct {
	Site   string // site URL, without credentials
	Method string
	Path   string
	Err    error // the network or TLS error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("jira: %s %s: %v: %s", e.Method, e.Path, e.Err, baseURLHint(e.Site))
}

// Unwrap returns the network error and ErrUnreachable.
func (e *UnreachableError) Unwrap() []error { return []error{ErrUnreachable, e.Err} }

// baseURLHint is appended to errors that usually mean a wrong site URL.
func baseURLHint(site string) string {
	return fmt.Sprintf("is %s the site's base URL?", site)
}
