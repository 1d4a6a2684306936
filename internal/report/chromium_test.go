package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const chromiumPath = "/usr/bin/chromium"

func chromiumArgs(t *testing.T, extra ...string) []string {
	return append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(),
	}, extra...)
}

func runChromium(t *testing.T, args ...string) (stdout, stderr []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumPath, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errb.Bytes())
	}
	return out.Bytes(), errb.Bytes()
}

// consoleProblem matches what Chromium logs for page console messages
// (`INFO:CONSOLE:1] "boom", source: …`) and failed loads with
// --enable-logging=stderr. The report has no script, so any console line is a problem.
var consoleProblem = regexp.MustCompile(`(?i)CONSOLE[:(]\d+|Uncaught|ERR_FILE_NOT_FOUND|ERR_NAME_NOT_RESOLVED|ERR_CONNECTION|net::ERR_|Refused to`)

// The HTML report opened in a real headless Chromium at a phone's width:
// it renders, its charts are in the DOM, and nothing errs in the console.
// (TestReportLayoutInChromium measures the charts and refreshes the README's
// screenshot.)
func TestHTMLInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is absent (apt-get install -y chromium): headless browser check skipped", chromiumPath)
	}
	if testing.Short() {
		t.Skip("headless Chromium takes a few seconds; skipped in -short mode")
	}
	html, err := os.ReadFile(filepath.Join("testdata", "report.golden.html"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, html, 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page

	shot := filepath.Join(dir, "report.png")
	_, stderr := runChromium(t, chromiumArgs(t, "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
		"--screenshot="+shot, "--window-size=412,2400", url)...)
	if m := consoleProblem.FindAll(stderr, -1); len(m) > 0 {
		t.Errorf("console errors while rendering: %q\n%s", m, stderr)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, stderr)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 412 || b.Dy() != 2400 {
		t.Errorf("screenshot is %v, want 412×2400", b)
	}
	// Non-trivial: many distinct colours (text, charts), not a blank page.
	colours := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	if len(colours) < 50 {
		t.Errorf("screenshot has %d colours: blank?", len(colours))
	}

	dom, stderr := runChromium(t, chromiumArgs(t, "--enable-logging=stderr", "--v=0", "--dump-dom", url)...)
	if m := consoleProblem.FindAll(stderr, -1); len(m) > 0 {
		t.Errorf("console errors in dump-dom: %q", m)
	}
	d := string(dom)
	if n := strings.Count(d, `<svg class="chart"`); n != 8 {
		t.Errorf("DOM has %d charts, want 8 (4 per team)", n)
	}
	for _, want := range []string{"<rect", "<circle", "<polyline", "Team health (PO)", "Delivery vs outcomes (PM)"} {
		if !strings.Contains(d, want) {
			t.Errorf("DOM lacks %q", want)
		}
	}
}

// The outcomes page in headless Chromium: the outcome charts and their
// release markers are in the DOM, and nothing errs in the console.
func TestOutcomesHTMLInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is absent (apt-get install -y chromium): headless browser check skipped", chromiumPath)
	}
	if testing.Short() {
		t.Skip("headless Chromium takes a few seconds; skipped in -short mode")
	}
	html, err := os.ReadFile(filepath.Join("testdata", "outcomes.golden.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "outcomes.html")
	if err := os.WriteFile(page, html, 0o644); err != nil {
		t.Fatal(err)
	}
	dom, stderr := runChromium(t, chromiumArgs(t, "--enable-logging=stderr", "--v=0", "--dump-dom", "file://"+page)...)
	if m := consoleProblem.FindAll(stderr, -1); len(m) > 0 {
		t.Errorf("console errors in dump-dom: %q", m)
	}
	d := string(dom)
	// One team (4 charts) and two outcomes (one chart each); releases in
	// the charts: Onboarding 2.0 and 2.1, Billing 3.4.
	if n := strings.Count(d, `<svg class="chart"`); n != 6 {
		t.Errorf("DOM has %d charts, want 6", n)
	}
	if n := strings.Count(d, `<g class="release-marker">`); n != 3 {
		t.Errorf("DOM has %d release markers, want 3", n)
	}
	for _, want := range []string{`class="after-window"`, "Alignment", "not proof of cause and effect"} {
		if !strings.Contains(d, want) {
			t.Errorf("DOM lacks %q", want)
		}
	}
}
