package report

import (
	"encoding/json"
	"strings"
	"testing"
)

// linkedInput is the fixture with both teams on a known Jira site, the
// dashboard at a public URL, and the outcomes of outcomesInput.
func linkedInput(t testing.TB) Input {
	in := fullInput(t)
	for i := range in.Teams {
		in.Teams[i].SiteURL = "https://acme.atlassian.net/" // the trailing slash must not double
	}
	in.PublicURL = "https://analyzer.example.org/"
	return in
}

func slackText(t *testing.T, r *Report, reportURL string) string {
	t.Helper()
	b, err := json.Marshal(SlackMessage(r, reportURL))
	if err != nil {
		t.Fatal(err)
	}
	var s string
	// The mrkdwn of every block, JSON-decoded (json.Marshal escapes < and >).
	var m struct {
		Blocks []struct {
			Text     *struct{ Text string }  `json:"text"`
			Elements []struct{ Text string } `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, bl := range m.Blocks {
		if bl.Text != nil {
			s += bl.Text.Text + "\n"
		}
		for _, e := range bl.Elements {
			s += e.Text + "\n"
		}
	}
	return s
}

// With http.public_url set, every rendering links to the dashboard's page
// of the week: the overview at <public_url>/?week=…, each board at
// <public_url>/boards/<id>?week=…. Without it, none does.
func TestDashboardLinks(t *testing.T) {
	const overview = "https://analyzer.example.org/?week=2026-W47"
	const payments = "https://analyzer.example.org/boards/12?week=2026-W47"
	const mobile = "https://analyzer.example.org/boards/34?week=2026-W47"
	r := mustBuild(t, linkedInput(t))
	if r.DashboardURL != overview || teamByID(t, r, 12).DashboardURL != payments || teamByID(t, r, 34).DashboardURL != mobile {
		t.Fatalf("dashboard URLs %q, %q, %q", r.DashboardURL, teamByID(t, r, 12).DashboardURL, teamByID(t, r, 34).DashboardURL)
	}
	rd, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	em, err := RenderEmail(r)
	if err != nil {
		t.Fatal(err)
	}
	// html/template writes & in an attribute as &amp;... only when present;
	// these URLs have none.
	for name, doc := range map[string]string{"markdown": string(rd.Markdown), "html": string(rd.HTML), "email": string(em.HTML),
		"slack": slackText(t, r, ""), "json": string(rd.JSON)} {
		for _, u := range []string{overview, payments, mobile} {
			if !strings.Contains(doc, u) {
				t.Errorf("%s: no link to %s", name, u)
			}
		}
	}
	if s := slackText(t, r, ""); !strings.Contains(s, "<"+payments+"|") || !strings.Contains(s, "<"+overview+"|") {
		t.Errorf("slack links are not <url|text>:\n%s", s)
	}

	plain := mustBuild(t, fullInput(t))
	rd, err = Render(plain)
	if err != nil {
		t.Fatal(err)
	}
	em, err = RenderEmail(plain)
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{"markdown": string(rd.Markdown), "html": string(rd.HTML), "email": string(em.HTML), "slack": slackText(t, plain, "")} {
		if strings.Contains(doc, "?week=") || strings.Contains(doc, "in the dashboard") || strings.Contains(doc, ">dashboard</a>") ||
			strings.Contains(doc, "|dashboard>") {
			t.Errorf("%s links to a dashboard without http.public_url", name)
		}
	}
}

// Issue keys link to Jira's browse page on the team's site: the escaped
// defects PAY-301, PAY-305 and PAY-307 and the carried-over PAY-210 in the
// callouts, the oldest work in progress PAY-180 in its table.
func TestIssueKeysLinkToJira(t *testing.T) {
	r := mustBuild(t, linkedInput(t))
	if got := teamByID(t, r, 12).SiteURL; got != "https://acme.atlassian.net" {
		t.Fatalf("site URL %q", got)
	}
	rd, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	em, err := RenderEmail(r)
	if err != nil {
		t.Fatal(err)
	}
	browse := func(k string) string { return "https://acme.atlassian.net/browse/" + k }
	for _, k := range []string{"PAY-301", "PAY-305", "PAY-307", "PAY-210", "PAY-180"} {
		for name, doc := range map[string]string{"html": string(rd.HTML), "email": string(em.HTML)} {
			if !strings.Contains(doc, `<a href="`+browse(k)+`">`+k+`</a>`) && !strings.Contains(doc, `href="`+browse(k)+`">`+k+`</a>`) {
				t.Errorf("%s: %s is not linked", name, k)
			}
		}
		if !strings.Contains(string(rd.Markdown), "["+k+"]("+browse(k)+")") {
			t.Errorf("markdown: %s is not linked", k)
		}
	}
	// Slack shows the callouts: their keys are <url|KEY> links.
	s := slackText(t, r, "")
	for _, k := range []string{"PAY-301", "PAY-305", "PAY-307", "PAY-210"} {
		if !strings.Contains(s, "<"+browse(k)+"|"+k+">") {
			t.Errorf("slack: %s is not linked:\n%s", k, s)
		}
	}
	// Without the site's URL nothing links to a browse page.
	plain, err := Render(mustBuild(t, fullInput(t)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plain.HTML), "/browse/") || strings.Contains(string(plain.Markdown), "/browse/") {
		t.Error("keys linked without a site URL")
	}
}

// Slack gets the PM section in short: each outcome's latest value, change
// and trend, each release's verdict, the alignment share and the flags.
func TestSlackPMSection(t *testing.T) {
	r := mustBuild(t, linkedInput(t))
	s := slackText(t, r, "")
	// Activation rate: latest 28.4 % (W47), 4 weeks earlier 25.5 % (W43)
	// → +2.9 (better: higher is better); its releases Onboarding 2.0 (improved) and 2.1 (not enough
	// data). Churn: Billing 3.4 within noise. Alignment 22 of 66 points = 33 %.
	for _, want := range []string{"*Delivery vs outcomes*", "Activation rate", "28.4%", "+2.9", "better",
		"Onboarding 2.0: improved", "Onboarding 2.1: not enough data", "Churn", "Billing 3.4: within noise",
		"Alignment", "33%", "22 of 66 points"} {
		if !strings.Contains(s, want) {
			t.Errorf("slack PM section lacks %q:\n%s", want, s)
		}
	}
	// Without outcomes, the PM section says so.
	in := fixtureInput(t)
	if s := slackText(t, mustBuild(t, in), ""); !strings.Contains(s, "no outcome metrics configured") {
		t.Errorf("no outcomes:\n%s", s)
	}
}
