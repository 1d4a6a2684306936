package report

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// The definition links use the configured base, and the definitions
// handler, mounted at /docs/ as the dashboard does, serves every page they
// point at with a heading carrying each anchor they use: every link of a
// rendered report resolves offline.
func TestDefinitionLinksResolveOnTheHandler(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("GET /docs/", DefinitionsHandler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	in := fullInput(t)
	in.DocsBaseURL = srv.URL + "/docs"
	r := mustBuild(t, in)
	rd, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{}
	get := func(u string) (int, string, string) {
		resp, err := srv.Client().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	links := regexp.MustCompile(`href="([^"]+)"`).FindAllStringSubmatch(string(rd.HTML), -1)
	checked := 0
	for _, m := range links {
		u := strings.ReplaceAll(m[1], "&amp;", "&")
		if strings.HasPrefix(u, "#") || strings.Contains(u, "/browse/") {
			continue
		}
		if !strings.HasPrefix(u, srv.URL+"/docs/") {
			t.Errorf("link %q does not use the configured base", u)
			continue
		}
		page, anchor, _ := strings.Cut(u, "#")
		body, ok := pages[page]
		if !ok {
			code, ctype, b := get(page)
			if code != http.StatusOK || !strings.HasPrefix(ctype, "text/html") {
				t.Fatalf("%s: %d %s", page, code, ctype)
			}
			pages[page], body = b, b
		}
		if anchor != "" && !strings.Contains(body, `id="`+anchor+`"`) {
			t.Errorf("%s has no heading with id %q", page, anchor)
		}
		checked++
	}
	// Every anchor of the anchors map appears in the fixture report at least
	// once; the links are many more (each health row, callout, column).
	if checked < len(anchors) {
		t.Errorf("only %d definition links checked", checked)
	}
	// The page without ".md" is the same page; others are not served.
	code, _, b := get(srv.URL + "/docs/metrics")
	if code != http.StatusOK || b != pages[srv.URL+"/docs/metrics.md"] || !strings.Contains(b, "<h1") || !strings.Contains(b, "<table>") {
		t.Errorf("/docs/metrics: %d, same page %v", code, b == pages[srv.URL+"/docs/metrics.md"])
	}
	for _, p := range []string{"/docs/", "/docs/jira.md", "/docs/../go.mod", "/docs/metrics.md/x"} {
		if code, _, _ := get(srv.URL + p); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, code)
		}
	}
}
