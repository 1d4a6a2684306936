package report

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io"
	"math"
	"strconv"
	"strings"
	texttemplate "text/template"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

//go:embed templates/report.css
var stylesheet string

// Stylesheet is the HTML report's CSS, for pages that show the report's
// pieces (the dashboard serves it with its own additions).
func Stylesheet() string { return stylesheet }

// funcs are shared by both templates. html/template escapes their string
// results in context; text/template (Markdown) relies on md for text that
// comes from Jira.
var funcs = map[string]any{
	"stamp":      stamp,
	"pct":        optPct,
	"days":       optDays,
	"num":        optNum,
	"qty":        fmtNum,
	"num1":       fmtNum,
	"days1":      fmtDays,
	"kind":       fmtKind,
	"goal":       fmtGoal,
	"arrow":      trendArrow,
	"trendClass": trendClass,
	"icon":       severityIcon,
	"join":       func(s []string) string { return strings.Join(s, ", ") },
	"signed":     signed,
	"md":         mdEscape,
	// Issue keys linked to Jira (<site url>/browse/KEY) when the site is known.
	"issue":         issueHTML,
	"issues":        issuesHTML,
	"keys":          linkKeysHTML,
	"mdKeys":        linkKeysMD,
	"sprintGoal":    sprintGoalText,
	"forecastItems": forecastItems,
	"forecastNone":  forecastNone,
	"forecastBasis": forecastBasis,
	"sprintState":   sprintStateText,
	"unitNote": func(unit string) string {
		if unit == "issues" {
			return "Sprint figures count issues: the board has no story-point estimates."
		}
		return "Sprint figures are in " + unit + "."
	},
	// Charts (HTML only; they return trusted SVG).
	"velocityChart": VelocityChart,
	"cycleChart":    CycleScatter,
	"flowChart":     FlowChart,
	"defectsChart":  DefectsChart,
	"sparkline":     Sparkline,
	"outcomeChart":  OutcomeChart,
	// Outcomes.
	"dirText":   directionText,
	"lagText":   lagText,
	"judge":     func(o Outcome, d *float64) string { return [...]string{"worse", "", "better"}[o.Better(d)+1] },
	"signedPct": signedPct,
	"verdict":   verdictText,
	"linked":    linkedText,
	"val":       optVal,
	"signedVal": signedVal,
	"withUnit":  withUnit,
	"count":     plural,
}

// The templates are parsed once, at package initialisation: a broken
// template fails every test and the binary's start, never a Monday report.
var (
	mdTemplate = texttemplate.Must(texttemplate.New("report.md.tmpl").Funcs(funcs).
			Option("missingkey=error").ParseFS(templateFS, "templates/report.md.tmpl"))
	htmlTemplate = htmltemplate.Must(htmltemplate.New("report.html.tmpl").Funcs(funcs).
			Funcs(htmltemplate.FuncMap{"stylesheet": func() htmltemplate.CSS { return htmltemplate.CSS(strings.TrimSuffix(stylesheet, "\n")) }}).
			Option("missingkey=error").ParseFS(templateFS, "templates/report.html.tmpl"))
)

// RenderMarkdown writes the report as GitHub-flavoured Markdown.
func RenderMarkdown(w io.Writer, r *Report) error {
	return render(w, r, "markdown", mdTemplate.Execute)
}

// RenderHTML writes the report as one self-contained HTML page: inline CSS
// and SVG charts, no scripts, no external assets.
func RenderHTML(w io.Writer, r *Report) error {
	return render(w, r, "html", htmlTemplate.Execute)
}

func render(w io.Writer, r *Report, what string, exec func(io.Writer, any) error) error {
	if r == nil {
		return fmt.Errorf("report: render %s: nil report", what)
	}
	// Render to memory first so that a template error never leaves half a
	// report in w.
	var buf bytes.Buffer
	if err := exec(&buf, r); err != nil {
		return fmt.Errorf("report: render %s: %w", what, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: write %s: %w", what, err)
	}
	return nil
}

// RenderJSON writes the report as indented JSON. Keys come in the order of
// the struct fields, so the output is stable byte for byte.
func RenderJSON(w io.Writer, r *Report) error {
	if r == nil {
		return fmt.Errorf("report: render json: nil report")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report: render json: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: write json: %w", err)
	}
	return nil
}

// Rendered holds a report and its three renderings, ready to deliver.
type Rendered struct {
	Report   *Report
	Markdown []byte
	HTML     []byte
	JSON     []byte
}

// Render renders r in every format.
func Render(r *Report) (*Rendered, error) {
	var md, h, j bytes.Buffer
	if err := RenderMarkdown(&md, r); err != nil {
		return nil, err
	}
	if err := RenderHTML(&h, r); err != nil {
		return nil, err
	}
	if err := RenderJSON(&j, r); err != nil {
		return nil, err
	}
	return &Rendered{Report: r, Markdown: md.Bytes(), HTML: h.Bytes(), JSON: j.Bytes()}, nil
}

func severityIcon(s string) string {
	switch s {
	case SeverityWarn:
		return "⚠"
	case SeverityGood:
		return "✓"
	}
	return "ℹ"
}

func signed(p *float64) string {
	if p == nil {
		return NA
	}
	if *p > 0 {
		return "+" + fmtNum(*p)
	}
	if *p < 0 {
		return "−" + fmtNum(-*p)
	}
	return "0"
}

func signedPct(p *float64) string {
	if p == nil {
		return NA
	}
	v := math.Round(*p*10) / 10
	switch {
	case v > 0:
		return "+" + strconv.FormatFloat(v, 'f', -1, 64) + "%"
	case v < 0:
		return "−" + strconv.FormatFloat(-v, 'f', -1, 64) + "%"
	}
	return "0%"
}

// fmtVal formats an outcome value with the precision its size needs:
// 133500, 28.4, 2.41, 0.0025.
func fmtVal(x float64) string {
	a := math.Abs(x)
	dec := 0
	switch {
	case a == 0:
		return "0"
	case a >= 100:
	case a >= 10:
		dec = 1
	case a >= 1:
		dec = 2
	default: // two significant digits
		dec = min(6, int(-math.Floor(math.Log10(a)))+1)
	}
	s := strconv.FormatFloat(x, 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return strings.Replace(s, "-", "−", 1)
}

func optVal(p *float64) string {
	if p == nil {
		return NA
	}
	return fmtVal(*p)
}

func signedVal(p *float64) string {
	if p == nil {
		return NA
	}
	if s := fmtVal(*p); *p > 0 && s != "0" {
		return "+" + s
	} else {
		return s
	}
}

// withUnit formats an outcome value with its unit: "28.4%", "133500 EUR".
func withUnit(p *float64, unit string) string {
	switch {
	case p == nil:
		return NA
	case unit == "":
		return fmtVal(*p)
	case unit == "%":
		return fmtVal(*p) + "%"
	}
	return fmtVal(*p) + " " + unit
}

func directionText(d string) string {
	if d == DirectionLowerIsBetter {
		return "lower is better"
	}
	return "higher is better"
}

func lagText(weeks int) string {
	switch weeks {
	case 0:
		return "no expected lag"
	case 1:
		return "expected lag 1 week"
	}
	return fmt.Sprintf("expected lag %d weeks", weeks)
}

// linkedText lists what the config links to an outcome.
func linkedText(l LinkedDelivery) string {
	var parts []string
	for _, p := range []struct {
		what string
		xs   []string
	}{{"epics", l.Epics}, {"labels", l.Labels}, {"components", l.Components}, {"fix versions", l.FixVersions}} {
		if len(p.xs) > 0 {
			parts = append(parts, p.what+" "+strings.Join(p.xs, ", "))
		}
	}
	if len(parts) == 0 {
		return "no work is linked in the config"
	}
	return strings.Join(parts, "; ")
}

var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "`", "\\`",
	"\r\n", " ", "\n", " ", "\r", " ",
)

// mdEscape makes Jira text safe inside Markdown (and table cells).
func mdEscape(s string) string { return mdReplacer.Replace(s) }
