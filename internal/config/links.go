package config

import (
	"net/url"
	"strings"
)

// DefinitionsBaseURL is the effective base of the reports' definition
// links, ending in "/": report.definitions_url when set, else
// http.public_url + "/docs/" when that is set, else "" (the report's
// built-in default, the project's docs on GitHub).
func (c Config) DefinitionsBaseURL() string {
	switch {
	case c.Report.DefinitionsURL != "":
		return strings.TrimRight(c.Report.DefinitionsURL, "/") + "/"
	case c.HTTP.PublicURL != "":
		return strings.TrimRight(c.HTTP.PublicURL, "/") + "/docs/"
	}
	return ""
}

// validateLinks checks http.public_url and report.definitions_url: each
// empty, or an absolute http(s) URL without query or fragment (paths are
// appended to them).
func (c Config) validateLinks(bad func(field, format string, args ...any)) {
	for _, f := range []struct{ field, v string }{
		{"http.public_url", c.HTTP.PublicURL}, {"report.definitions_url", c.Report.DefinitionsURL},
	} {
		if f.v == "" {
			continue
		}
		u, err := url.Parse(f.v)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			bad(f.field, "must be an absolute http(s) URL")
		case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(f.v, "?") || strings.HasSuffix(f.v, "#"):
			bad(f.field, "must have no query or fragment")
		}
	}
}
