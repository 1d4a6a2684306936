package config_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/config"
)

// A bcrypt hash (cost 4) of "s3cret".
const testHash = "$2a$04$aej5bUYvzSqSjfBbKuYYW.VX4GjONfzqp96qwPN7qai5si.cynPT6"

// The dashboard section: defaults, every key from YAML, every key from the
// environment (the secret ones also from _FILE), and bad values refused
// with the field named. Each key's effect is tested where it acts:
// listen in cmd/analyzer (TestServeCommand), the authentication keys in
// internal/dashboard (TestAuth, TestTrustedProxiesKey).
func TestDashboardKeys(t *testing.T) {
	cfg, err := config.Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Dashboard
	if d.Listen != "127.0.0.1:9464" || d.Token != "" || d.BasicUser != "" || d.BasicPasswordHash != "" || d.TrustedHeader != "" ||
		!slices.Equal(d.TrustedProxies, []string{"127.0.0.0/8", "::1/128"}) || d.AuthConfigured() {
		t.Fatalf("defaults: %+v", d)
	}

	p := write(t, `
dashboard:
  listen: 0.0.0.0:8080
  token: tok
  basic_user: po
  basic_password_hash: "`+testHash+`"
  trusted_header: X-Forwarded-Email
  trusted_proxies: [10.0.0.0/8]
`)
	cfg, err = config.Load(p, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	d = cfg.Dashboard
	if d.Listen != "0.0.0.0:8080" || d.Token != "tok" || d.BasicUser != "po" || d.BasicPasswordHash != testHash ||
		d.TrustedHeader != "X-Forwarded-Email" || !slices.Equal(d.TrustedProxies, []string{"10.0.0.0/8"}) || !d.AuthConfigured() {
		t.Fatalf("from YAML: %+v", d)
	}
	if r := cfg.Redacted().Dashboard; r.Token != "xxxxx" || r.BasicPasswordHash != "xxxxx" {
		t.Errorf("Redacted: token %q hash %q", r.Token, r.BasicPasswordHash)
	}

	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("file-tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = config.Load(p, env(map[string]string{ // env beats the file
		"ANALYZER_DASHBOARD_LISTEN":              "127.0.0.1:9999",
		"ANALYZER_DASHBOARD_TOKEN_FILE":          tokenFile,
		"ANALYZER_DASHBOARD_BASIC_USER":          "pm",
		"ANALYZER_DASHBOARD_BASIC_PASSWORD_HASH": strings.Replace(testHash, "$2a$", "$2b$", 1),
		"ANALYZER_DASHBOARD_TRUSTED_HEADER":      "X-Auth-Request-Email",
		"ANALYZER_DASHBOARD_TRUSTED_PROXIES":     "192.168.0.0/16, fd00::/8",
	}))
	if err != nil {
		t.Fatal(err)
	}
	d = cfg.Dashboard
	if d.Listen != "127.0.0.1:9999" || d.Token != "file-tok" || d.BasicUser != "pm" || !strings.HasPrefix(d.BasicPasswordHash, "$2b$") ||
		d.TrustedHeader != "X-Auth-Request-Email" || !slices.Equal(d.TrustedProxies, []string{"192.168.0.0/16", "fd00::/8"}) {
		t.Fatalf("from the environment: %+v", d)
	}

	for _, tc := range []struct{ yaml, env, want string }{
		{yaml: "dashboard:\n  listen: localhost\n", want: `config: dashboard.listen: want host:port, got "localhost"`},
		{yaml: "dashboard:\n  listen: \"127.0.0.1:http-alt\"\n", want: `config: dashboard.listen: want host:port with a port number 0-65535, got "127.0.0.1:http-alt"`},
		{yaml: "dashboard:\n  listen: \"127.0.0.1:70000\"\n", want: `config: dashboard.listen: want host:port with a port number 0-65535`},
		{env: "ANALYZER_DASHBOARD_LISTEN=9464", want: `config: dashboard.listen: want host:port, got "9464"`},
		{yaml: "dashboard:\n  basic_user: po\n", want: "config: dashboard.basic_user: basic_user and basic_password_hash go together"},
		{yaml: "dashboard:\n  basic_password_hash: \"" + testHash + "\"\n", want: "config: dashboard.basic_user: basic_user and basic_password_hash go together"},
		{yaml: "dashboard:\n  basic_user: \"p:o\"\n  basic_password_hash: \"" + testHash + "\"\n", want: "config: dashboard.basic_user: must not contain ':'"},
		{yaml: "dashboard:\n  basic_user: po\n  basic_password_hash: s3cret\n", want: "config: dashboard.basic_password_hash: must be a bcrypt hash"},
		{yaml: "dashboard:\n  trusted_header: \"X Forwarded Email\"\n", want: `config: dashboard.trusted_header: "X Forwarded Email" is not a header name`},
		{yaml: "dashboard:\n  trusted_header: \"X-Email:\"\n", want: `config: dashboard.trusted_header: "X-Email:" is not a header name`},
		{env: "ANALYZER_DASHBOARD_TRUSTED_PROXIES=10.0.0.0/8,10.0.0.1", want: `config: dashboard.trusted_proxies[1]: want a CIDR such as 10.0.0.0/8, got "10.0.0.1"`},
		{yaml: "dashboard:\n  tokn: x\n", want: "tokn"},
	} {
		e := map[string]string{}
		if k, v, ok := strings.Cut(tc.env, "="); ok {
			e[k] = v
		}
		_, err := config.Load(write(t, tc.yaml), env(e))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q %q: err = %v, want it to contain %q", tc.yaml, tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error shows the password hash field's value: %v", err)
		}
	}
}
