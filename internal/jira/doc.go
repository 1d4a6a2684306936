// Package jira is the analyzer's typed client for Jira Cloud and Jira
// Server/Data Center, and the conversion of Jira's JSON into the domain
// types of package analyzer.
//
// # Client
//
// New builds a Client over go-jira v1.17.0 (jira.NewClient with
// BasicAuthTransport for Cloud's email + API token, PATAuthTransport for a
// Data Center personal access token). go-jira's services are used where they
// decode what we need (myself, fields, statuses); own requests through
// go-jira's NewRequestWithContext + Do cover what it lacks: Cloud's
// /rest/api/3/search/jql with nextPageToken, board lists with location,
// sprint goals, the board estimation field, paged and bulk changelogs, and
// every issue read (go-jira's typed Issue aborts on one odd timestamp; we
// keep issues raw and parse them defensively).
//
// Every method takes a context first and names its Jira REST doc. Lists are
// read to the last page; issue searches are iter.Seq2 iterators over pages
// (SearchPages) or issues (SearchIssues, BoardIssues, SprintIssues), with
// SearchPage/Cursor for callers that checkpoint between pages.
//
// # Rate limits and retries
//
// Under go-jira's auth transport sits this package's RoundTripper. It
//
//   - caps requests in flight per site (Config.MaxConcurrency, default 4); a
//     slot is held until the response body is closed; a 429 (or a success
//     with X-RateLimit-Remaining 0) halves the cap and spaces requests to
//     X-RateLimit-Limit per second, then both recover slowly (limiter);
//   - retries 429, 502, 503 and 504 up to Config.MaxRetries (default 6),
//     waiting as Retry-After (seconds or HTTP date) or X-RateLimit-Reset (ISO
//     timestamp) says, and pausing the site's other requests for as long;
//     without a header it backs off exponentially with full jitter;
//   - retries connection resets, connections closed before the answer and
//     temporary DNS failures the same way; any other network error
//     (connection refused, unknown host, https against an http port, a
//     certificate that does not verify) fails at once with
//     *UnreachableError (errors.Is ErrUnreachable), which asks whether the
//     URL is the site's base URL, as do a 404 on serverInfo or myself and a
//     501 (*APIError.Hint);
//   - bounds every attempt: Config.DialTimeout, TLSHandshakeTimeout and
//     ResponseHeaderTimeout (on the transport New builds) and
//     RequestTimeout (sending to the end of the body); a request that timed
//     out is sent again Config.TimeoutRetries times (default 1), then ends
//     with *TimeoutError (errors.Is ErrTimeout) naming the limit and phase;
//   - bounds Retry-After and X-RateLimit-Reset waits to [0, 24h] and ignores
//     negative, infinite and NaN values;
//   - replays request bodies through GetBody;
//   - returns *RateLimitError (errors.Is ErrRateLimited) when it gives up and
//     *AuthError (errors.Is ErrUnauthorized, naming the site, never the
//     token) on 401/403;
//   - counts requests, retries and 429s (Client.Stats).
//
// # Parsing
//
// ParseIssue turns one raw issue into an analyzer.Issue and its
// analyzer.ChangeItems. One unreadable field is a warning (*FieldError), not
// a dropped issue; only an issue without id or key is an error
// (ErrUnusableIssue). Times are read in Jira's 2006-01-02T15:04:05.000-0700,
// RFC 3339, zone-less and date-only forms. The Sprint field is read in both
// Cloud (objects) and Server/DC (Sprint@…[id=…,goal=…] strings) forms.
// SprintEvents derives sprint membership from Sprint-field change items.
//
// # Field discovery
//
// EstimationField chooses a board's estimation field (config override, then
// board configuration, then the field list) and says which source won;
// FindFields finds the Sprint, Epic Link, Environment and story point fields.
package jira
