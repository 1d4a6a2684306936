package jirasim

import (
	"cmp"
	"errors"
	"fmt"
	"time"
)

// Mode is the kind of Jira deployment the simulator pretends to be.
type Mode string

const (
	ModeCloud Mode = "cloud" // Jira Cloud: basic auth, /search/jql, 410 on /search, truncated embedded changelogs.
	ModeDC    Mode = "dc"    // Jira Server / Data Center: bearer PAT, /rest/api/2/search with startAt/total.
)

// Paging of Cloud's agile issue lists (Config.CloudAgilePaging).
const (
	// PagingToken is Cloud's paging since RFC-127: nextPageToken and
	// isLast, startAt ignored, no total.
	PagingToken = "token"
	// PagingOffset is the paging before it: startAt, maxResults, total.
	PagingOffset = "offset"
)

// Rate-limit header variants (Faults.RateLimitHeader).
const (
	HeaderRetryAfter     = "retry-after"       // 429 carries Retry-After: <seconds>
	HeaderRateLimitReset = "x-ratelimit-reset" // 429 carries only X-RateLimit-Reset: <ISO 8601 timestamp>
)

// DefaultNow is the site's "now" when Config.Now is zero: a fixed instant so
// that generated data is byte-for-byte deterministic.
var DefaultNow = time.Date(2025, time.June, 18, 12, 0, 0, 0, time.UTC)

// Sentinel errors.
var (
	ErrBadConfig = errors.New("jirasim: bad config")
	ErrNoTruth   = errors.New("jirasim: no truth for a dataset loaded from files")
)

// Config configures a simulated site. The zero value is a Cloud site with
// 5000 issues over 3 teams, seed 42.
type Config struct {
	Mode   Mode  // "cloud" (default) or "dc"
	Seed   int64 // generator seed; default 42
	Teams  int   // boards (one project each); default 3
	Issues int   // total issues over all teams; default 5000, at least 30 per team

	// DataDir, when set, serves the files of that directory (see README.md)
	// instead of generating a site. Seed, Teams and Issues are then ignored.
	DataDir string

	Email string // cloud basic-auth user; default "sim@example.com"
	Token string // cloud API token; default "sim-token"
	PAT   string // dc bearer personal access token; default "sim-pat"

	Faults Faults

	// CloudAgilePaging is how Cloud mode pages the agile issue lists
	// (/board/{id}/issue, /sprint/{id}/issue): PagingToken (default, what
	// Cloud serves) or PagingOffset (the old startAt/total, for comparison).
	// Data Center always pages by offset.
	CloudAgilePaging string
	// AccountTimeZone is the API account's profile zone, answered by
	// /myself; JQL date literals are read in it, as Jira does. Default
	// "Etc/UTC".
	AccountTimeZone string

	// PageTokenTTL is how long a page token of an agile issue list stays
	// valid, by Clock; an older token is refused with 400. Default 15m.
	PageTokenTTL time.Duration

	// Now is the site's present: the active sprint contains it and no
	// generated event is later. Default DefaultNow.
	Now time.Time

	// Clock drives the fault windows (rate limiting). Default time.Now.
	Clock func() time.Time
}

// Faults injects misbehaviour into every request. The zero value injects none.
type Faults struct {
	// Latency is slept before each request is answered.
	Latency time.Duration
	// RateLimitPerSecond answers 429 to the requests beyond this many in one
	// (fixed, clock-aligned) second. 0 disables.
	RateLimitPerSecond int
	// RateLimitHeader chooses the 429 header: HeaderRetryAfter (default) or
	// HeaderRateLimitReset.
	RateLimitHeader string
	// Fail503Every answers 503 to every Nth request (N, 2N, ...). 0 disables.
	Fail503Every int
	// MalformedFraction of successful JSON bodies (chosen deterministically
	// per request number) are cut in half or replaced by an HTML error page,
	// with status 200. 0 disables.
	MalformedFraction float64
}

func (c Config) withDefaults() (Config, error) {
	c.Mode = cmp.Or(c.Mode, ModeCloud)
	if c.Mode != ModeCloud && c.Mode != ModeDC {
		return c, fmt.Errorf("%w: mode %q (want cloud or dc)", ErrBadConfig, c.Mode)
	}
	c.Seed = cmp.Or(c.Seed, 42)
	c.Teams = cmp.Or(c.Teams, 3)
	c.Issues = cmp.Or(c.Issues, 5000)
	c.Email = cmp.Or(c.Email, "sim@example.com")
	c.Token = cmp.Or(c.Token, "sim-token")
	c.PAT = cmp.Or(c.PAT, "sim-pat")
	if c.Now.IsZero() {
		c.Now = DefaultNow
	}
	c.Now = c.Now.UTC()
	if c.Clock == nil {
		c.Clock = time.Now
	}
	c.Faults.RateLimitHeader = cmp.Or(c.Faults.RateLimitHeader, HeaderRetryAfter)
	c.CloudAgilePaging = cmp.Or(c.CloudAgilePaging, PagingToken)
	c.PageTokenTTL = cmp.Or(c.PageTokenTTL, 15*time.Minute)
	c.AccountTimeZone = cmp.Or(c.AccountTimeZone, "Etc/UTC")
	if _, err := time.LoadLocation(c.AccountTimeZone); err != nil {
		return c, fmt.Errorf("%w: account time zone %q: %v", ErrBadConfig, c.AccountTimeZone, err)
	}
	switch {
	case c.Teams < 1 || c.Teams > 500:
		return c, fmt.Errorf("%w: teams %d (want 1..500)", ErrBadConfig, c.Teams)
	case c.Issues < c.Teams*30 && c.DataDir == "":
		return c, fmt.Errorf("%w: issues %d (want at least 30 per team)", ErrBadConfig, c.Issues)
	case c.Issues > 50_000_000:
		return c, fmt.Errorf("%w: issues %d (at most 50,000,000)", ErrBadConfig, c.Issues)
	case c.Faults.RateLimitHeader != HeaderRetryAfter && c.Faults.RateLimitHeader != HeaderRateLimitReset:
		return c, fmt.Errorf("%w: rate limit header %q", ErrBadConfig, c.Faults.RateLimitHeader)
	case c.CloudAgilePaging != PagingToken && c.CloudAgilePaging != PagingOffset:
		return c, fmt.Errorf("%w: cloud agile paging %q (want token or offset)", ErrBadConfig, c.CloudAgilePaging)
	case c.PageTokenTTL < 0:
		return c, fmt.Errorf("%w: page token TTL %v (want > 0)", ErrBadConfig, c.PageTokenTTL)
	case c.Faults.MalformedFraction < 0 || c.Faults.MalformedFraction > 1:
		return c, fmt.Errorf("%w: malformed fraction %v (want 0..1)", ErrBadConfig, c.Faults.MalformedFraction)
	}
	return c, nil
}
