// Package dsn handles PostgreSQL connection strings: it hides their
// passwords for logs and error messages.
//
// It reads every form lib/pq accepts: URLs (postgres:// and postgresql://,
// with the password in the user info or in a password query parameter,
// percent-encoded or not, even when the URL does not parse because a
// password holds "#", "/", "?", "@" or a stray "%") and key=value strings
// (values bare, with backslash escapes, or single-quoted with spaces and
// escaped quotes).
package dsn

import (
	"errors"
	"net/url"
	"strings"
	"unicode"
)

// Mask replaces every secret.
const Mask = "xxxxx"

// secretKeys are the connection parameters that hold secrets.
var secretKeys = map[string]bool{"password": true, "sslpassword": true}

// Redact returns dsn with every password replaced by "xxxxx"; the rest
// (user, host, port, database, options) stays readable. When the string is
// ambiguous (an "@" after a "/", "?" or "#" in a URL may end a password
// holding them), more is hidden rather than less.
func Redact(dsn string) string {
	out, _ := scan(dsn)
	return out
}

// Secrets returns the passwords in dsn as written and as lib/pq decodes
// them (percent-decoded, unescaped), for scrubbing texts that may echo
// them. Secrets shorter than 4 bytes are left out: hiding every "ab" in a
// message would make it unreadable and such a password protects nothing.
func Secrets(dsn string) []string {
	_, secrets := scan(dsn)
	var out []string
	for _, s := range secrets {
		if len(s) >= 4 {
			out = append(out, s)
		}
	}
	return out
}

// RedactError returns err with every password of dsn, and dsn itself,
// hidden from its text. The text of a *url.Error in its chain (which quotes
// the whole URL, password included) is replaced by a hint, since its detail
// ("invalid port \":pw\"") may hold part of the password. errors.Is and
// errors.As still see the original chain. nil stays nil.
func RedactError(dsn string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = strings.ReplaceAll(msg, ue.Error(), "the URL does not parse (percent-encode the characters # / ? @ % : and spaces in the user name and password: %23 %2F %3F %40 %25 %3A %20)")
	}
	if dsn != "" {
		msg = strings.ReplaceAll(msg, dsn, Redact(dsn))
	}
	for _, s := range Secrets(dsn) {
		msg = strings.ReplaceAll(msg, s, Mask)
	}
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// scan redacts dsn and collects its secrets.
func scan(dsn string) (string, []string) {
	if i := strings.Index(dsn, "://"); i >= 0 {
		return scanURL(dsn, i)
	}
	return scanKeyValue(dsn)
}

// scanURL works on the raw text rather than on url.Parse's result, so that
// it also covers URLs that do not parse or parse into something else than
// meant (postgres://bob:12#x@host parses as host "bob", port "12").
func scanURL(dsn string, i int) (string, []string) {
	var secrets []string
	head, rest := dsn[:i+3], dsn[i+3:]
	// The user info ends at the last "@": a password may hold "@" (then
	// lib/pq fails, but the text is still a secret), "/", "?" or "#".
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		if c := strings.IndexByte(rest[:at], ':'); c >= 0 {
			pw := rest[c+1 : at]
			secrets = append(secrets, decoded(pw, url.PathUnescape)...)
			rest = rest[:c+1] + Mask + rest[at:]
		}
	}
	// Query parameters: a password value runs to the next "&" (not to a
	// "#", which would cut it short and show its end).
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		params := strings.Split(rest[q+1:], "&")
		for j, p := range params {
			k, v, ok := strings.Cut(p, "=")
			key, err := url.QueryUnescape(k)
			if err != nil {
				key = k
			}
			if ok && secretKeys[strings.ToLower(key)] {
				secrets = append(secrets, decoded(v, url.QueryUnescape)...)
				params[j] = k + "=" + Mask
			}
		}
		rest = rest[:q+1] + strings.Join(params, "&")
	}
	return head + rest, secrets
}

// decoded returns s and, when different, its decoded form.
func decoded(s string, unescape func(string) (string, error)) []string {
	out := []string{s}
	if d, err := unescape(s); err == nil && d != s {
		out = append(out, d)
	}
	return out
}

// scanKeyValue follows lib/pq's (and libpq's conninfo_parse) reading of
// "key = value" pairs. When the text stops parsing, the rest of it is
// hidden: it may be the unterminated quote of a password.
func scanKeyValue(dsn string) (string, []string) {
	var (
		b       strings.Builder
		secrets []string
		s       = []rune(dsn)
		i       int
	)
	isSpace := func(j int) bool { return j < len(s) && unicode.IsSpace(s[j]) }
	for {
		for isSpace(i) {
			b.WriteRune(s[i])
			i++
		}
		if i >= len(s) {
			break
		}
		keyStart := i
		for i < len(s) && !unicode.IsSpace(s[i]) && s[i] != '=' {
			i++
		}
		key := string(s[keyStart:i])
		for isSpace(i) {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			// lib/pq refuses this; what follows may be anything.
			b.WriteString(key)
			if i < len(s) {
				b.WriteString(" " + Mask)
			}
			break
		}
		i++ // "="
		for isSpace(i) {
			i++
		}
		valStart := i
		var val []rune
		closed := true
		if i < len(s) && s[i] == '\'' {
			closed = false
			for i++; i < len(s); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
					val = append(val, s[i])
					continue
				}
				if s[i] == '\'' {
					i++
					closed = true
					break
				}
				val = append(val, s[i])
			}
		} else {
			for ; i < len(s) && !unicode.IsSpace(s[i]); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val = append(val, s[i])
			}
		}
		raw := string(s[valStart:i])
		b.WriteString(key + "=")
		switch {
		case secretKeys[strings.ToLower(key)] || !closed:
			b.WriteString(Mask)
			secrets = append(secrets, raw, string(val))
		default:
			b.WriteString(raw)
		}
		if !closed {
			break
		}
	}
	return b.String(), secrets
}
