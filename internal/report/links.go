package report

import (
	"html"
	"html/template"
	"net/url"
	"regexp"
	"strings"
)

// Links out of the report: to the dashboard's page of the week (when
// http.public_url is set) and from issue keys to Jira.

// dashboardURL is the dashboard page path of week under publicURL:
// "<public_url>/?week=2026-W47" for the overview, "<public_url>/boards/12?week=2026-W47"
// for a board. "" when publicURL is empty.
func dashboardURL(publicURL, path string, week ISOWeek) string {
	if publicURL == "" {
		return ""
	}
	return strings.TrimRight(publicURL, "/") + path + "?week=" + url.QueryEscape(week.String())
}

// BrowseURL is the Jira page of an issue, "<site url>/browse/KEY"; "" when
// the site's URL is unknown.
func BrowseURL(siteURL, key string) string {
	if siteURL == "" || key == "" {
		return ""
	}
	return strings.TrimRight(siteURL, "/") + "/browse/" + url.PathEscape(key)
}

// issueKeyRE matches Jira issue keys in sentences the report writes
// ("PAY-301"): a project key of an upper-case letter and at least one more
// letter, digit or underscore, a hyphen and a number.
var issueKeyRE = regexp.MustCompile(`\b[A-Z][A-Z0-9_]+-[1-9][0-9]*\b`)

// linkKeysHTML escapes text and links every issue key in it to Jira.
func linkKeysHTML(siteURL, text string) template.HTML {
	esc := html.EscapeString(text)
	if siteURL == "" {
		return template.HTML(esc) //nolint:gosec // escaped above
	}
	return template.HTML(issueKeyRE.ReplaceAllStringFunc(esc, func(k string) string { //nolint:gosec // escaped text, escaped URL
		return `<a href="` + html.EscapeString(BrowseURL(siteURL, k)) + `">` + k + `</a>`
	}))
}

// issueHTML is one issue key, linked to Jira when the site is known.
func issueHTML(siteURL, key string) template.HTML { return linkKeysHTML(siteURL, key) }

// issuesHTML joins keys with ", ", each linked to Jira.
func issuesHTML(siteURL string, keys []string) template.HTML {
	return linkKeysHTML(siteURL, strings.Join(keys, ", "))
}

// linkKeysMD escapes text for Markdown and links every issue key in it.
func linkKeysMD(siteURL, text string) string {
	if siteURL == "" {
		return mdEscape(text)
	}
	var b strings.Builder
	last := 0
	for _, m := range issueKeyRE.FindAllStringIndex(text, -1) {
		b.WriteString(mdEscape(text[last:m[0]]))
		k := text[m[0]:m[1]]
		b.WriteString("[" + mdEscape(k) + "](" + BrowseURL(siteURL, k) + ")")
		last = m[1]
	}
	b.WriteString(mdEscape(text[last:]))
	return b.String()
}

// linkKeysSlack escapes text for Slack mrkdwn and links every issue key
// in it as <url|KEY>.
func linkKeysSlack(siteURL, text string) string {
	esc := slackEscape(text)
	if siteURL == "" {
		return esc
	}
	return issueKeyRE.ReplaceAllStringFunc(esc, func(k string) string { return "<" + BrowseURL(siteURL, k) + "|" + k + ">" })
}
