// Package dsn handles PostgreSQL connection strings: it hides their
// passwords for logs and error messages.
package dsn

import (
	"net/url"
	"strings"
)

// Redact returns dsn with any password replaced by "xxxxx". It handles the
// URL form (postgres://user:pw@host/db, ?password=) and the key=value form.
func Redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.Host != "" {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	fields := strings.Fields(dsn)
	for i, f := range fields {
		if k, _, ok := strings.Cut(f, "="); ok && strings.EqualFold(k, "password") {
			fields[i] = k + "=xxxxx"
		}
	}
	return strings.Join(fields, " ")
}
