package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Golden files are regenerated with UPDATE_GOLDEN=1 go test ./internal/report/.
var update = os.Getenv("UPDATE_GOLDEN") == "1"

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := range max(len(gl), len(wl)) {
			var g, w []byte
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if !bytes.Equal(g, w) {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(run with UPDATE_GOLDEN=1 to accept)", path, i+1, g, w)
			}
		}
	}
}

func TestGolden(t *testing.T) {
	for name, in := range map[string]Input{
		"report":   fixtureInput(t),
		"outcomes": outcomesInput(t),
	} {
		t.Run(name, func(t *testing.T) {
			r := mustBuild(t, in)
			var md, html, js bytes.Buffer
			if err := RenderMarkdown(&md, r); err != nil {
				t.Fatal(err)
			}
			if err := RenderHTML(&html, r); err != nil {
				t.Fatal(err)
			}
			if err := RenderJSON(&js, r); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, name+".golden.md", md.Bytes())
			checkGolden(t, name+".golden.html", html.Bytes())
			checkGolden(t, name+".golden.json", js.Bytes())
		})
	}
}
