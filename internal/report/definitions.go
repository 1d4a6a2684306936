package report

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"

	"github.com/backlog-health/analyzer/docs"
)

// definitionPages are the pages the definition links point into (see
// anchors), served by DefinitionsHandler.
var definitionPages = []string{"metrics", "outcomes"}

// DefinitionsHandler serves the KPI definitions (docs/metrics.md and
// docs/outcomes.md, embedded in the binary) as HTML pages, for networks that
// cannot reach GitHub. Mount it on a prefix ending in /docs/, e.g.
//
//	mux.Handle("GET /docs/", report.DefinitionsHandler())
//
// It answers <prefix>metrics and <prefix>metrics.md (and the same for
// outcomes) with the rendered page, whose headings carry GitHub's anchors
// (the ones the report links use), and 404 for anything else. With
// http.public_url set, the report's definition links point here by default
// (report.definitions_url).
func DefinitionsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(path.Base(r.URL.Path), ".md")
		page, ok := "", false
		for _, p := range definitionPages {
			if name == p && strings.HasSuffix(path.Dir(r.URL.Path), "docs") {
				page, ok = p, true
			}
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		body, err := renderedDefinitions()
		if err != nil {
			http.Error(w, "definitions unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'")
		_, _ = w.Write(body[page])
	})
}

// renderedDefinitions renders every page once.
var renderedDefinitions = sync.OnceValues(func() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, p := range definitionPages {
		src, err := docs.Definitions.ReadFile(p + ".md")
		if err != nil {
			return nil, fmt.Errorf("report: definitions: %w", err)
		}
		b, err := renderDefinitionPage(src)
		if err != nil {
			return nil, fmt.Errorf("report: definitions: %s: %w", p, err)
		}
		out[p] = b
	}
	return out, nil
})

var definitionsMarkdown = goldmark.New(goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()))

// renderDefinitionPage renders one Markdown page as a standalone HTML page.
// Relative links to pages it does not serve (README, other docs) go to the
// project's docs on GitHub.
func renderDefinitionPage(src []byte) ([]byte, error) {
	ctx := parser.NewContext(parser.WithIDs(&githubIDs{seen: map[string]int{}}))
	doc := definitionsMarkdown.Parser().Parse(text.NewReader(src), parser.WithContext(ctx))
	title := "KPI definitions"
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if n.Level == 1 {
				title = string(n.Lines().Value(src))
			}
		case *ast.Link:
			n.Destination = []byte(definitionLink(string(n.Destination)))
		}
		return ast.WalkContinue, nil
	})
	var body bytes.Buffer
	if err := definitionsMarkdown.Renderer().Render(&body, src, doc); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>%s</title>
<style>body{margin:0 auto;max-width:860px;padding:12px 16px 40px;font:15px/1.5 system-ui,sans-serif;color:#1d2329}
a{color:#1f5fa8}code{background:#f3f4f6;padding:0 3px}pre{background:#f3f4f6;padding:8px;overflow-x:auto}
table{border-collapse:collapse;display:block;overflow-x:auto}th,td{border:1px solid #dde2e6;padding:4px 6px;text-align:left}
h2{border-bottom:2px solid #dde2e6;padding-bottom:.2em;margin-top:1.6em}</style>
</head><body>
`, html.EscapeString(title))
	b.Write(body.Bytes())
	b.WriteString("</body></html>\n")
	return b.Bytes(), nil
}

// definitionLink keeps absolute links, anchors and links to the pages
// served here; other relative links point at the project's docs.
func definitionLink(dest string) string {
	if dest == "" || strings.HasPrefix(dest, "#") || strings.Contains(dest, "://") || strings.HasPrefix(dest, "mailto:") {
		return dest
	}
	page, _, _ := strings.Cut(dest, "#")
	for _, p := range definitionPages {
		if page == p+".md" {
			return dest
		}
	}
	return DefaultDocsBaseURL + dest
}

// githubIDs gives headings GitHub's anchors: lower case, punctuation
// dropped, spaces to hyphens, "-1", "-2" … on repeats. The report's anchors
// (format.go) are written by these rules.
type githubIDs struct{ seen map[string]int }

func (g *githubIDs) Generate(value []byte, kind ast.NodeKind) []byte {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(string(value))) {
		switch {
		case r == ' ' || r == '-':
			b.WriteRune('-')
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r > 127 && (r < 0x2000 || r > 0x2BFF):
			b.WriteRune(r)
		}
	}
	id := b.String()
	if id == "" {
		id = "section"
	}
	n := g.seen[id]
	g.seen[id] = n + 1
	if n > 0 {
		id += "-" + strconv.Itoa(n)
	}
	return []byte(id)
}

func (g *githubIDs) Put(value []byte) { g.seen[string(value)]++ }
