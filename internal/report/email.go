package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	htmltemplate "html/template"
	"maps"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// The e-mail's HTML is its own rendering of the report, for clients that
// strip <style>, <svg> and classes (Gmail, Outlook): inline styles only,
// tables for layout, and the charts as PNG images (chartPNG) referenced by
// cid: and carried in the message.

// emailStyles are the inline styles of the e-mail template, by name.
var emailStyles = map[string]string{
	"body":     "margin:0;padding:0;background:#ffffff;color:#1d2329;font:15px/1.45 Arial,Helvetica,sans-serif",
	"outer":    "background:#ffffff",
	"main":     "max-width:720px;font:15px/1.45 Arial,Helvetica,sans-serif;color:#1d2329",
	"h1":       "font-size:22px;margin:8px 0 2px",
	"h2":       "font-size:19px;margin:24px 0 6px;border-bottom:2px solid #dde2e6;padding-bottom:3px",
	"h3":       "font-size:17px;margin:16px 0 4px",
	"h4":       "font-size:15px;margin:14px 0 4px",
	"p":        "margin:6px 0",
	"a":        "color:#1f5fa8;text-decoration:none",
	"meta":     "color:#5b6670;font-size:13px;font-weight:normal;margin:2px 0",
	"note":     "color:#5b6670;font-size:13px;margin:6px 0",
	"caption":  "color:#5b6670;font-size:13px;margin:12px 0 2px",
	"empty":    "padding:10px;background:#fff8e6;border:1px solid #f0d9a0",
	"card":     "background:#f7f8fa;border:1px solid #dde2e6;margin:12px 0",
	"kpi":      "background:#ffffff;border:1px solid #dde2e6;padding:6px 8px;vertical-align:top",
	"kpiLabel": "display:block;color:#5b6670;font-size:12px;text-decoration:none",
	"kpiValue": "display:block;font-size:19px;font-weight:bold",
	"table":    "border-collapse:collapse;background:#ffffff;font-size:14px;margin:6px 0",
	"th":       "text-align:left;border-bottom:1px solid #dde2e6;padding:4px 6px;vertical-align:top",
	"thn":      "text-align:right;border-bottom:1px solid #dde2e6;padding:4px 6px;vertical-align:top",
	"td":       "text-align:left;border-bottom:1px solid #dde2e6;padding:4px 6px;vertical-align:top",
	"tdn":      "text-align:right;border-bottom:1px solid #dde2e6;padding:4px 6px;vertical-align:top;white-space:nowrap",
	"img":      "display:block;width:100%;max-width:400px;height:auto;border:1px solid #dde2e6;background:#ffffff",

	"callout-warn": "margin:4px 0;padding:6px 8px;background:#ffffff;border-left:4px solid #a8321f",
	"callout-good": "margin:4px 0;padding:6px 8px;background:#ffffff;border-left:4px solid #23683f",
	"callout-info": "margin:4px 0;padding:6px 8px;background:#ffffff;border-left:4px solid #35597f",
}

func init() {
	base := map[string]string{"trend": emailStyles["td"], "tdn": emailStyles["tdn"]}
	for _, k := range []string{"trend", "tdn"} {
		emailStyles[k+"-"] = base[k]
		emailStyles[k+"-better"] = base[k] + ";color:#23683f"
		emailStyles[k+"-worse"] = base[k] + ";color:#a8321f"
	}
	for _, v := range []string{VerdictImproved, VerdictWorsened, VerdictContinuesTrend, VerdictWithinNoise, VerdictNoData} {
		emailStyles["verdict-"+v] = emailStyles["td"]
	}
	emailStyles["verdict-"+VerdictImproved] += ";color:#23683f"
	emailStyles["verdict-"+VerdictWorsened] += ";color:#a8321f"
}

// emailStyle returns a named inline style; an unknown name fails the render.
func emailStyle(name string) (htmltemplate.CSS, error) {
	s, ok := emailStyles[name]
	if !ok {
		return "", fmt.Errorf("no e-mail style %q", name)
	}
	return htmltemplate.CSS(s), nil //nolint:gosec // constants of this file
}

var emailTemplate = htmltemplate.Must(htmltemplate.New("report.email.tmpl").
	Funcs(maps.Collect(func(yield func(string, any) bool) {
		for k, v := range funcs {
			if !yield(k, v) {
				return
			}
		}
		yield("st", emailStyle)
	})).Option("missingkey=error").ParseFS(templateFS, "templates/report.email.tmpl"))

// InlineImage is an image of the e-mail, referenced from its HTML as
// "cid:" + CID.
type InlineImage struct {
	CID  string
	Name string // file name, e.g. "velocity-12.png"
	PNG  []byte
}

// Email is the report's e-mail body: the HTML and the images it references.
type Email struct {
	HTML   []byte
	Images []InlineImage
}

// emailDoc is the e-mail template's data: the report, and the images its
// Img calls have drawn so far.
type emailDoc struct {
	*Report
	images []InlineImage
}

// Img draws a chart of v (a Team for "velocity", "cycle", "flow" and
// "defects"; an Outcome for "outcome" and "spark") as PNG, adds it to the
// message and returns its cid: URL.
func (d *emailDoc) Img(kind string, v any) (htmltemplate.URL, error) {
	var svg htmltemplate.HTML
	name := kind
	switch x := v.(type) {
	case Team:
		name += fmt.Sprintf("-%d", x.BoardID)
		switch kind {
		case "velocity":
			svg = VelocityChart(x)
		case "cycle":
			svg = CycleScatter(x)
		case "flow":
			svg = FlowChart(x)
		case "defects":
			svg = DefectsChart(x)
		}
	case Outcome:
		switch kind {
		case "outcome":
			svg = OutcomeChart(x)
		case "spark":
			svg = Sparkline(x)
		}
	}
	if svg == "" {
		return "", fmt.Errorf("no %q chart of %T", kind, v)
	}
	b, err := chartPNG(string(svg))
	if err != nil {
		return "", err
	}
	n := len(d.images) + 1
	cid := fmt.Sprintf("chart%d.%s@backlog-health", n, name)
	d.images = append(d.images, InlineImage{CID: cid, Name: fmt.Sprintf("%02d-%s.png", n, name), PNG: b})
	return htmltemplate.URL("cid:" + cid), nil //nolint:gosec // built here from a counter and a board id
}

// RenderEmail renders the e-mail body of r.
func RenderEmail(r *Report) (*Email, error) {
	if r == nil {
		return nil, fmt.Errorf("report: render email: nil report")
	}
	d := &emailDoc{Report: r}
	var buf bytes.Buffer
	if err := emailTemplate.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("report: render email: %w", err)
	}
	return &Email{HTML: buf.Bytes(), Images: d.images}, nil
}

// buildMessage makes the RFC 5322 message, in the arrangement mail clients
// expect:
//
//	multipart/alternative
//	├── text/plain        the Markdown report
//	└── multipart/related
//	    ├── text/html     the e-mail HTML
//	    └── image/png …   one inline part per cid: of the HTML
//
// Clients show the last alternative they can; text-only ones never see the
// images as attachments.
func buildMessage(r *Rendered, from *mail.Address, to []*mail.Address) ([]byte, error) {
	em, err := RenderEmail(r.Report)
	if err != nil {
		return nil, err
	}
	var rel bytes.Buffer
	rw := multipart.NewWriter(&rel)
	if err := qpPart(rw, "text/html; charset=utf-8", em.HTML); err != nil {
		return nil, err
	}
	for _, img := range em.Images {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", mime.FormatMediaType("image/png", map[string]string{"name": img.Name}))
		h.Set("Content-Transfer-Encoding", "base64")
		h.Set("Content-ID", "<"+img.CID+">")
		h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": img.Name}))
		pw, err := rw.CreatePart(h)
		if err != nil {
			return nil, err
		}
		if _, err := pw.Write(base64Lines(img.PNG)); err != nil {
			return nil, err
		}
	}
	if err := rw.Close(); err != nil {
		return nil, err
	}

	var body bytes.Buffer
	aw := multipart.NewWriter(&body)
	if err := qpPart(aw, "text/plain; charset=utf-8", r.Markdown); err != nil {
		return nil, err
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", mime.FormatMediaType("multipart/related", map[string]string{"boundary": rw.Boundary(), "type": "text/html"}))
	pw, err := aw.CreatePart(h)
	if err != nil {
		return nil, err
	}
	if _, err := pw.Write(rel.Bytes()); err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}

	var tos []string
	for _, a := range to {
		tos = append(tos, a.String())
	}
	var m bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&m, "%s: %s\r\n", k, v) }
	hdr("From", from.String())
	hdr("To", strings.Join(tos, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", "Backlog health — week "+r.Report.Week))
	hdr("Date", r.Report.GeneratedAt.Format(time.RFC1123Z))
	hdr("Message-ID", fmt.Sprintf("<report-%s-%d@backlog-health>", r.Report.Week, r.Report.GeneratedAt.Unix()))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "multipart/alternative; boundary="+aw.Boundary())
	m.WriteString("\r\n")
	m.Write(body.Bytes())
	return m.Bytes(), nil
}

// qpPart writes a quoted-printable text part.
func qpPart(w *multipart.Writer, ctype string, data []byte) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", ctype)
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	pw, err := w.CreatePart(h)
	if err != nil {
		return err
	}
	qp := quotedprintable.NewWriter(pw)
	if _, err := qp.Write(data); err != nil {
		return err
	}
	return qp.Close()
}

// base64Lines encodes b in base64 lines of 76 characters (RFC 2045).
func base64Lines(b []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(b)
	var out bytes.Buffer
	for len(enc) > 76 {
		out.WriteString(enc[:76])
		out.WriteString("\r\n")
		enc = enc[76:]
	}
	out.WriteString(enc)
	out.WriteString("\r\n")
	return out.Bytes()
}
