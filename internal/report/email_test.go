package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// mimePart is one leaf part of a parsed message, with its decoded body and
// the chain of multipart types it sits in (outermost first).
type mimePart struct {
	ctype   string
	params  map[string]string
	header  map[string][]string
	body    []byte
	parents []string
}

// walkMIME parses a message with net/mail and mime/multipart into its leaf
// parts, decoding quoted-printable and base64 bodies.
func walkMIME(t *testing.T, raw []byte) (*mail.Message, []mimePart) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out []mimePart
	var walk func(ctype string, hdr map[string][]string, body io.Reader, parents []string)
	walk = func(ctype string, hdr map[string][]string, body io.Reader, parents []string) {
		mt, params, err := mime.ParseMediaType(ctype)
		if err != nil {
			t.Fatalf("content type %q: %v", ctype, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header.Get("Content-Type"), p.Header, p, append(slices.Clone(parents), mt))
			}
		}
		var r io.Reader = body
		switch enc := first(hdr["Content-Transfer-Encoding"]); enc {
		case "quoted-printable":
			r = quotedprintable.NewReader(body)
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, body)
		default:
			t.Errorf("%s: transfer encoding %q", mt, enc)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", mt, err)
		}
		out = append(out, mimePart{ctype: mt, params: params, header: hdr, body: b, parents: parents})
	}
	walk(msg.Header.Get("Content-Type"), msg.Header, msg.Body, nil)
	return msg, out
}

func first(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[0]
}

// fullInput is the fixture's two teams with the outcomes and alignment of
// outcomesInput.
func fullInput(t testing.TB) Input {
	in := outcomesInput(t)
	in.Teams = fixtureInput(t).Teams
	return in
}

// The e-mail must survive clients that strip <svg> and <style> (Gmail,
// Outlook): the HTML part carries inline styles only and shows the charts
// as PNG images referenced by cid:, each carried in the message as an
// inline part of multipart/related, beside the text part.
func TestEmailForClientsWithoutSVG(t *testing.T) {
	r, err := Render(mustBuild(t, fullInput(t)))
	if err != nil {
		t.Fatal(err)
	}
	s := startSMTP(t, nil)
	e := EmailTarget{Host: "127.0.0.1", Port: s.port(), From: "reports@example.org", To: []string{"po@example.org"}}
	if err := e.Deliver(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if len(s.got()) != 1 {
		t.Fatalf("%d messages", len(s.got()))
	}
	_, ps := walkMIME(t, s.got()[0].data)

	// Structure: multipart/alternative of the text part and a
	// multipart/related holding the HTML and its images.
	var text, htmlPart *mimePart
	var images []mimePart
	for i, p := range ps {
		switch p.ctype {
		case "text/plain":
			text = &ps[i]
			if !slices.Equal(p.parents, []string{"multipart/alternative"}) {
				t.Errorf("text part inside %v", p.parents)
			}
		case "text/html":
			htmlPart = &ps[i]
			if !slices.Equal(p.parents, []string{"multipart/alternative", "multipart/related"}) {
				t.Errorf("html part inside %v", p.parents)
			}
		case "image/png":
			images = append(images, p)
			if !slices.Equal(p.parents, []string{"multipart/alternative", "multipart/related"}) {
				t.Errorf("image inside %v", p.parents)
			}
		default:
			t.Errorf("unexpected part %s", p.ctype)
		}
	}
	if text == nil || htmlPart == nil {
		t.Fatalf("text part %v, html part %v", text != nil, htmlPart != nil)
	}
	if !bytes.Equal(bytes.ReplaceAll(text.body, []byte("\r\n"), []byte("\n")), r.Markdown) {
		t.Error("the text part is not the Markdown report")
	}
	h := string(htmlPart.body)
	for _, banned := range []string{"<svg", "<style", "class=\"", "<script"} {
		if strings.Contains(strings.ToLower(h), banned) {
			t.Errorf("the e-mail HTML contains %q", banned)
		}
	}
	if !strings.Contains(h, "<table") || !strings.Contains(h, `style="`) {
		t.Error("the e-mail HTML has no tables with inline styles")
	}

	// Every cid: in the HTML has its part, and every image part is used.
	var refs []string
	for _, m := range regexp.MustCompile(`src="cid:([^"]+)"`).FindAllStringSubmatch(h, -1) {
		refs = append(refs, m[1])
	}
	// The fixture has 2 teams × 4 charts (velocity, cycle time, flow,
	// defects), 1 outcome chart and 1 sparkline per outcome: outcomesInput
	// configures 2 outcomes, so 8 + 2 + 2 = 12 images.
	if len(refs) != 12 {
		t.Errorf("%d cid references, want 12", len(refs))
	}
	parts := map[string]mimePart{}
	for _, p := range images {
		cid := strings.TrimSuffix(strings.TrimPrefix(first(p.header["Content-Id"]), "<"), ">")
		if cid == "" {
			t.Errorf("image part without Content-ID")
			continue
		}
		if d, _, _ := mime.ParseMediaType(first(p.header["Content-Disposition"])); d != "inline" {
			t.Errorf("%s: disposition %q", cid, first(p.header["Content-Disposition"]))
		}
		parts[cid] = p
	}
	for _, ref := range refs {
		if _, ok := parts[ref]; !ok {
			t.Errorf("cid:%s has no part", ref)
		}
	}
	for cid := range parts {
		if !slices.Contains(refs, cid) {
			t.Errorf("part %s is not referenced by the HTML", cid)
		}
	}
	if len(parts) != len(refs) {
		t.Errorf("%d image parts for %d references", len(parts), len(refs))
	}

	// Each image is a PNG of a plausible size: charts are drawn at twice the
	// SVG's 400×210 units (800×420 pixels), sparklines at twice 120×28.
	for cid, p := range parts {
		img, err := png.Decode(bytes.NewReader(p.body))
		if err != nil {
			t.Errorf("%s: %v", cid, err)
			continue
		}
		b := img.Bounds()
		if (b.Dx() != 800 || b.Dy() != 420) && (b.Dx() != 240 || b.Dy() != 56) {
			t.Errorf("%s: %dx%d", cid, b.Dx(), b.Dy())
		}
	}
}

// The PNG charts carry the same data as the SVG ones: the velocity chart of
// Payments shows bars in the committed and completed colours, the flow
// chart in the throughput and WIP colours, the outcome chart its series
// colour and release markers; an empty chart shows no data colour at all.
func TestPNGChartsDrawTheData(t *testing.T) {
	r := mustBuild(t, fullInput(t))
	pay := teamByID(t, r, 12)
	has := func(t *testing.T, svgChart string, colours ...string) {
		t.Helper()
		b, err := chartPNG(svgChart)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range colours {
			if n := countColour(img, c); n < 20 {
				t.Errorf("%d pixels of %s", n, c)
			}
		}
	}
	t.Run("Velocity", func(t *testing.T) { has(t, string(VelocityChart(pay)), colCommitted, colCompleted) })
	t.Run("Flow", func(t *testing.T) { has(t, string(FlowChart(pay)), colThroughput, colWIP) })
	t.Run("Cycle", func(t *testing.T) { has(t, string(CycleScatter(pay)), colP85, colWeeklyP85) })
	t.Run("Outcome", func(t *testing.T) { has(t, string(OutcomeChart(r.Outcomes[0])), colOutcome, colRelease) })
	t.Run("Empty", func(t *testing.T) {
		b, err := chartPNG(string(VelocityChart(Team{BoardName: "none"})))
		if err != nil {
			t.Fatal(err)
		}
		img, _ := png.Decode(bytes.NewReader(b))
		if n := countColour(img, colCompleted); n != 0 {
			t.Errorf("%d pixels of the completed colour on an empty chart", n)
		}
	})
}

// countColour counts the pixels of exactly the colour "#rrggbb".
func countColour(img image.Image, hex string) int {
	want, _ := parseColour(hex, 1)
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if c == want {
				n++
			}
		}
	}
	return n
}
