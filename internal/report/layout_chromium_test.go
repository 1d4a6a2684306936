package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/metrics"
)

// layoutInput is a report with the pictures that used to mislead: the
// Payments team with a 147-day outlier and per-type figures, the outcome
// fixture's two outcomes, MRR with three releases a week apart, and series
// of one and two values.
func layoutInput(t testing.TB) Input {
	in, _ := outlierTeam(t)
	out := outcomesInput(t)
	in.Teams = in.Teams[:1]
	for i := range in.Teams[0].Weeks {
		if in.Teams[0].Weeks[i].ISOWeek == 47 {
			in.Teams[0].Weeks[i].ThroughputByType = map[string]int{"Story": 2, "Bug": 1}
			in.Teams[0].Weeks[i].CycleTimeByType = map[string]metrics.Distribution{
				"Story": {Count: 2, P50: 5.5, P85: 7.5, P95: 7.5, Mean: 6.5}, "Bug": {Count: 1, P50: 9, P85: 9, P95: 9, Mean: 9}}
		}
	}
	loc := in.Location
	end := in.Week.End(loc)
	var mrr []OutcomePoint
	for i := range 26 {
		mrr = append(mrr, OutcomePoint{Date: end.AddDate(0, 0, -7*(26-i)), Value: 120000 + 500*float64(i)})
	}
	var rels []OutcomeRelease
	for i, n := range []string{"Checkout 4.1", "Checkout 4.2", "Checkout 4.3", "Checkout 4.4"} {
		v := []string{VerdictImproved, VerdictWithinNoise, VerdictWorsened, VerdictImproved}[i]
		rels = append(rels, OutcomeRelease{Name: n, Date: end.AddDate(0, 0, -7*(12-i)), Verdict: v,
			AfterStart: end.AddDate(0, 0, -7*(11-i)), AfterEnd: end.AddDate(0, 0, -7*(7-i))})
	}
	in.Outcomes = append(out.Outcomes,
		OutcomeInput{Name: "MRR", Unit: "EUR", Points: mrr, Releases: rels},
		OutcomeInput{Name: "NPS", Unit: "score", Points: []OutcomePoint{{Date: end.AddDate(0, 0, -7), Value: 41}}},
		OutcomeInput{Name: "Activation (new)", Unit: "%", Points: []OutcomePoint{
			{Date: end.AddDate(0, 0, -14), Value: 24}, {Date: end.AddDate(0, 0, -7), Value: 24.3}}},
	)
	in.Alignment = out.Alignment
	return in
}

// layoutScript measures, in the browser, every text box of every chart
// (getBBox, in the chart's own units) and the computed colour of each
// health-table arrow, and writes the findings into the page as JSON.
const layoutScript = `<script>
(function () {
  var out = {overlaps: [], outside: [], clipped: 0, charts: 0, arrows: []};
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    out.charts++;
    var vb = svg.viewBox.baseVal, name = svg.getAttribute("aria-label");
    var ts = Array.prototype.slice.call(svg.querySelectorAll("text"));
    var bs = ts.map(function (t) { return t.getBBox(); });
    for (var i = 0; i < ts.length; i++) {
      var a = bs[i];
      if (a.x < vb.x - 0.5 || a.x + a.width > vb.x + vb.width + 0.5) {
        out.outside.push(name + ": " + ts[i].textContent);
      }
      for (var j = i + 1; j < ts.length; j++) {
        var b = bs[j], tol = 1;
        if (a.x + tol < b.x + b.width && b.x + tol < a.x + a.width && a.y + tol < b.y + b.height && b.y + tol < a.y + a.height) {
          out.overlaps.push(name + ": \"" + ts[i].textContent + "\" / \"" + ts[j].textContent + "\"");
        }
      }
    }
  });
  out.clipped = document.querySelectorAll("svg.chart .clipped").length;
  document.querySelectorAll("td.trend").forEach(function (td) {
    out.arrows.push({cls: td.className, text: td.textContent, color: getComputedStyle(td).color});
  });
  var pre = document.createElement("pre");
  pre.id = "layout-result";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>`

// The pictures, measured in a real browser at a phone's width: no two text
// boxes of a chart overlap and none leaves its chart, the outlier is marked
// as clipped, and the health arrows are green when the move is good and
// red when it is bad. UPDATE_GOLDEN=1 also refreshes
// docs/screenshot-report.png: this page at 412 px, its top (team health)
// and its PM section side by side.
func TestReportLayoutInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is absent (apt-get install -y chromium): headless browser check skipped", chromiumPath)
	}
	if testing.Short() {
		t.Skip("headless Chromium takes a few seconds; skipped in -short mode")
	}
	var page bytes.Buffer
	if err := RenderHTML(&page, mustBuild(t, layoutInput(t))); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clean, checked := filepath.Join(dir, "report.html"), filepath.Join(dir, "check.html")
	if err := os.WriteFile(clean, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	withScript := strings.Replace(page.String(), "</body>", layoutScript+"\n</body>", 1)
	if err := os.WriteFile(checked, []byte(withScript), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, stderr := runChromium(t, chromiumArgs(t, "--enable-logging=stderr", "--v=0", "--hide-scrollbars", "--window-size=412,900", "--dump-dom", "file://"+checked)...)
	if m := consoleProblem.FindAll(stderr, -1); len(m) > 0 {
		t.Errorf("console errors: %q\n%s", m, stderr)
	}
	m := regexp.MustCompile(`(?s)<pre id="layout-result">(.*?)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the layout script left no result:\n%s", stderr)
	}
	var res struct {
		Overlaps, Outside []string
		Clipped, Charts   int
		Arrows            []struct{ Cls, Text, Color string }
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &res); err != nil {
		t.Fatalf("layout result %s: %v", m[1], err)
	}
	// 4 team charts and 5 outcome charts.
	if res.Charts != 9 {
		t.Errorf("%d charts measured, want 9", res.Charts)
	}
	for _, o := range res.Overlaps {
		t.Errorf("overlapping text: %s", o)
	}
	for _, o := range res.Outside {
		t.Errorf("text outside its chart: %s", o)
	}
	if res.Clipped != 1 {
		t.Errorf("%d clipped-outlier markers, want 1 (PAY-999)", res.Clipped)
	}
	// Colours of --good (#23683f), --warn (#a8321f) and the text (#1d2329).
	want := map[string]string{"trend better": "rgb(35, 104, 63)", "trend worse": "rgb(168, 50, 31)", "trend": "rgb(29, 35, 41)"}
	seen := map[string]int{}
	for _, a := range res.Arrows {
		if w, ok := want[a.Cls]; !ok || a.Color != w {
			t.Errorf("arrow %q (class %q) is %s, want %s", a.Text, a.Cls, a.Color, w)
		}
		seen[a.Cls]++
	}
	if seen["trend worse"] == 0 || seen["trend"] == 0 {
		t.Errorf("arrow classes seen: %v; want worse and neutral ones", seen)
	}
	if !update {
		return
	}
	// Side by side at 412 px: the top of the report, and the same page with
	// the team section hidden (header, then the PM section), 1600 px each.
	pmOnly := filepath.Join(dir, "pm.html")
	if err := os.WriteFile(pmOnly, []byte(strings.Replace(page.String(), "</head>", "<style>#po{display:none}</style></head>", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	const crop, gap = 1600, 16
	shots := make([]image.Image, 2)
	for i, p := range []string{clean, pmOnly} {
		shot := filepath.Join(dir, fmt.Sprintf("shot%d.png", i))
		runChromium(t, chromiumArgs(t, "--hide-scrollbars", "--screenshot="+shot, fmt.Sprintf("--window-size=412,%d", crop), "file://"+p)...)
		f, err := os.Open(shot)
		if err != nil {
			t.Fatal(err)
		}
		shots[i], err = png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	out := image.NewRGBA(image.Rect(0, 0, 2*412+gap, crop))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(out, image.Rect(0, 0, 412, crop), shots[0], image.Point{}, draw.Src)
	draw.Draw(out, image.Rect(412+gap, 0, 2*412+gap, crop), shots[1], image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("../../docs/screenshot-report.png", buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
