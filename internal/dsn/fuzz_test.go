package dsn_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/dsn"
)

// FuzzRedact: a password of any bytes, written into each DSN shape the way
// lib/pq reads it, never shows in the redacted text, and the rest of the
// DSN stays as it was. Any string at all redacts without panicking.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"hunter2", "a b c", `it's`, `back\slash`, "p#w/d%?@:", "", "'", "=", "xxxxx", "é ñ"} {
		f.Add(s, "postgres://bob:"+s+"@db/app")
	}
	f.Fuzz(func(t *testing.T, pw, any string) {
		_ = dsn.Redact(any)
		_ = dsn.RedactError(any, nil)
		if pw == "" {
			return
		}
		kvQuoted := "host=db password='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pw) + "' dbname=app"
		u := url.URL{Scheme: "postgres", User: url.UserPassword("bob", pw), Host: "db.example:5432", Path: "/app", RawQuery: "sslmode=disable"}
		q := "postgres://db.example/app?sslmode=disable&password=" + url.QueryEscape(pw)
		for _, c := range []struct{ in, want string }{
			{kvQuoted, "host=db password=xxxxx dbname=app"},
			{u.String(), "postgres://bob:xxxxx@db.example:5432/app?sslmode=disable"},
			{q, "postgres://db.example/app?sslmode=disable&password=xxxxx"},
		} {
			if got := dsn.Redact(c.in); got != c.want {
				t.Fatalf("Redact(%q) = %q, want %q", c.in, got, c.want)
			}
		}
		// Written raw, not encoded, into a URL: nothing after the user name
		// up to the host may show, whatever the password holds.
		raw := "postgres://bob:" + pw + "@db.example/app"
		const redacted = "postgres://bob:xxxxx@db.example/app"
		if got := dsn.Redact(raw); len(pw) >= 4 && strings.Contains(got, pw) && !strings.Contains(redacted, pw) {
			t.Fatalf("Redact(%q) = %q shows the password", raw, got)
		}
	})
}
