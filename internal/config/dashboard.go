package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// DashboardConfig is the web dashboard served by `analyzer serve` and by
// `analyzer run` on its HTTP address (docs/api.md#access). With no token,
// basic user or trusted header set, the dashboard answers only on a loopback
// address.
type DashboardConfig struct {
	// Listen is `analyzer serve`'s address when --http is not given.
	// Default 127.0.0.1:9464.
	Listen string `yaml:"listen"`
	// Token, when set, is accepted as `Authorization: Bearer <token>`.
	// Env: ANALYZER_DASHBOARD_TOKEN(_FILE).
	Token string `yaml:"token" secret:"true"`
	// BasicUser and BasicPasswordHash (a bcrypt hash, e.g. from
	// `htpasswd -nbB user pass`), when set, accept HTTP basic auth.
	BasicUser         string `yaml:"basic_user"`
	BasicPasswordHash string `yaml:"basic_password_hash" secret:"true"`
	// TrustedHeader names a header set by an authenticating reverse proxy
	// (oauth2-proxy: X-Forwarded-Email); a request carrying it from one of
	// TrustedProxies is authenticated as its value. Empty: not used.
	TrustedHeader string `yaml:"trusted_header"`
	// TrustedProxies are the networks (CIDR) the trusted header is read
	// from. Default loopback only (127.0.0.0/8, ::1/128).
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// DefaultDashboardListen is dashboard.listen's default.
const DefaultDashboardListen = "127.0.0.1:9464"

// AuthConfigured reports whether any way to authenticate is configured.
func (d DashboardConfig) AuthConfigured() bool {
	return d.Token != "" || d.BasicUser != "" || d.TrustedHeader != ""
}

// validateDashboard checks the dashboard section.
func (c Config) validateDashboard(bad func(field, format string, args ...any)) {
	d := c.Dashboard
	if _, port, err := net.SplitHostPort(d.Listen); err != nil {
		bad("dashboard.listen", "want host:port, got %q", d.Listen)
	} else if n, err := strconv.ParseUint(port, 10, 16); err != nil || n > 65535 {
		bad("dashboard.listen", "want host:port with a port number 0-65535, got %q", d.Listen)
	}
	if (d.BasicUser == "") != (d.BasicPasswordHash == "") {
		bad("dashboard.basic_user", "basic_user and basic_password_hash go together")
	}
	if strings.Contains(d.BasicUser, ":") {
		bad("dashboard.basic_user", "must not contain ':'")
	}
	if d.BasicPasswordHash != "" {
		if _, err := bcrypt.Cost([]byte(d.BasicPasswordHash)); err != nil {
			bad("dashboard.basic_password_hash", "must be a bcrypt hash ($2a$/$2b$/$2y$…), e.g. from `htpasswd -nbB user pass`")
		}
	}
	if d.TrustedHeader != "" && !headerName(d.TrustedHeader) {
		bad("dashboard.trusted_header", "%q is not a header name", d.TrustedHeader)
	}
	for i, p := range d.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil {
			bad(fmt.Sprintf("dashboard.trusted_proxies[%d]", i), "want a CIDR such as 10.0.0.0/8, got %q", p)
		}
	}
}

// headerName reports whether s is an HTTP header field name: an RFC 9110
// token (letters, digits and !#$%&'*+-.^_`|~).
func headerName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return false
		}
	}
	return true
}
