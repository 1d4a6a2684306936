package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// The e-mail shows the charts as PNG images, since Gmail and Outlook strip
// inline SVG. chartPNG draws the very SVG the HTML report embeds (so the
// two cannot disagree on the data) with golang.org/x/image: the vector
// rasteriser for shapes, the Go font for text. It knows exactly the subset
// charts.go and outcome_chart.go write: rect, line, circle, polyline, the
// "M x y l dx dy h dx z" path, text and g; title elements are tooltips and
// are skipped.

// pngScale is pixels per SVG unit: 2 keeps the text sharp on high-density
// screens when the image is shown at the SVG's size.
const pngScale = 2

// chartPNG rasterises one chart's SVG to PNG bytes.
func chartPNG(svgText string) ([]byte, error) {
	dec := xml.NewDecoder(strings.NewReader(svgText))
	var c *canvas
	skip := 0 // depth inside <title>
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("report: chart png: %w", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			a := attrs(el)
			if el.Name.Local == "title" {
				skip++
				continue
			}
			if skip > 0 {
				continue
			}
			if el.Name.Local == "svg" {
				var w, h float64
				if _, err := fmt.Sscanf(a["viewBox"], "0 0 %g %g", &w, &h); err != nil || w <= 0 || h <= 0 || w > 2000 || h > 2000 {
					return nil, fmt.Errorf("report: chart png: bad viewBox %q", a["viewBox"])
				}
				c = newCanvas(w, h)
				continue
			}
			if c == nil {
				return nil, fmt.Errorf("report: chart png: <%s> outside <svg>", el.Name.Local)
			}
			if el.Name.Local == "text" {
				var txt string
				if err := dec.DecodeElement(&txt, &el); err != nil {
					return nil, fmt.Errorf("report: chart png: text: %w", err)
				}
				c.text(a, txt)
				continue
			}
			if err := c.shape(el.Name.Local, a); err != nil {
				return nil, fmt.Errorf("report: chart png: %w", err)
			}
		case xml.EndElement:
			if el.Name.Local == "title" {
				skip--
			}
		}
	}
	if c == nil {
		return nil, fmt.Errorf("report: chart png: no <svg> element")
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, c.img); err != nil {
		return nil, fmt.Errorf("report: chart png: %w", err)
	}
	return buf.Bytes(), nil
}

func attrs(el xml.StartElement) map[string]string {
	m := make(map[string]string, len(el.Attr))
	for _, a := range el.Attr {
		m[a.Name.Local] = a.Value
	}
	return m
}

type canvas struct {
	img   *image.RGBA
	r     *vector.Rasterizer
	faces map[float64]font.Face
}

func newCanvas(w, h float64) *canvas {
	img := image.NewRGBA(image.Rect(0, 0, int(math.Ceil(w*pngScale)), int(math.Ceil(h*pngScale))))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	return &canvas{img: img, r: vector.NewRasterizer(img.Bounds().Dx(), img.Bounds().Dy()), faces: map[float64]font.Face{}}
}

type pt struct{ x, y float64 }

func num(a map[string]string, k string) float64 {
	v, _ := strconv.ParseFloat(a[k], 64)
	return v
}

// shape draws one element; unknown elements are an error, so that a new
// kind of mark in the SVG charts cannot silently vanish from the e-mail.
func (c *canvas) shape(name string, a map[string]string) error {
	fill, hasFill, err := paint(a["fill"], a["fill-opacity"])
	if err != nil {
		return err
	}
	stroke, hasStroke, err := paint(a["stroke"], "")
	if err != nil {
		return err
	}
	sw := num(a, "stroke-width")
	if sw == 0 {
		sw = 1
	}
	dash := parseDash(a["stroke-dasharray"])
	switch name {
	case "g":
	case "rect":
		x, y, w, h := num(a, "x"), num(a, "y"), num(a, "width"), num(a, "height")
		if hasFill && w > 0 && h > 0 {
			c.fill(fill, []pt{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}})
		}
	case "line":
		if hasStroke {
			c.stroke(stroke, sw, dash, []pt{{num(a, "x1"), num(a, "y1")}, {num(a, "x2"), num(a, "y2")}})
		}
	case "circle":
		if hasFill {
			c.fill(fill, circle(num(a, "cx"), num(a, "cy"), num(a, "r")))
		}
	case "polyline":
		var ps []pt
		for _, f := range strings.Fields(a["points"]) {
			x, y, ok := strings.Cut(f, ",")
			xv, err1 := strconv.ParseFloat(x, 64)
			yv, err2 := strconv.ParseFloat(y, 64)
			if !ok || err1 != nil || err2 != nil {
				return fmt.Errorf("polyline point %q", f)
			}
			ps = append(ps, pt{xv, yv})
		}
		if hasStroke && len(ps) > 1 {
			c.stroke(stroke, sw, dash, ps)
		}
	case "path":
		ps, err := parsePath(a["d"])
		if err != nil {
			return err
		}
		if hasFill {
			c.fill(fill, ps)
		}
	default:
		return fmt.Errorf("unsupported element <%s>", name)
	}
	return nil
}

// paint parses a fill or stroke: "#rrggbb" or "none"/"" (no paint).
func paint(v, opacity string) (color.NRGBA, bool, error) {
	if v == "" || v == "none" {
		return color.NRGBA{}, false, nil
	}
	op := 1.0
	if opacity != "" {
		var err error
		if op, err = strconv.ParseFloat(opacity, 64); err != nil {
			return color.NRGBA{}, false, fmt.Errorf("opacity %q", opacity)
		}
	}
	c, err := parseColour(v, op)
	return c, err == nil, err
}

// parseColour parses "#rrggbb" or "#rgb" with an opacity 0..1.
func parseColour(hex string, opacity float64) (color.NRGBA, error) {
	if len(hex) == 4 && hex[0] == '#' {
		hex = string([]byte{'#', hex[1], hex[1], hex[2], hex[2], hex[3], hex[3]})
	}
	if len(hex) != 7 || hex[0] != '#' {
		return color.NRGBA{}, fmt.Errorf("colour %q", hex)
	}
	v, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil {
		return color.NRGBA{}, fmt.Errorf("colour %q", hex)
	}
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: uint8(math.Round(255 * min(1, max(0, opacity))))}, nil
}

func parseDash(v string) []float64 {
	var out []float64
	for _, f := range strings.Fields(strings.ReplaceAll(v, ",", " ")) {
		if x, err := strconv.ParseFloat(f, 64); err == nil && x > 0 {
			out = append(out, x)
		}
	}
	if len(out)%2 == 1 {
		out = append(out, out...)
	}
	return out
}

// parsePath reads the relative path the charts use for clipped markers:
// "M x y" then "l dx dy", "h dx", "v dy" and "z".
func parsePath(d string) ([]pt, error) {
	r := strings.NewReplacer("M", " M ", "l", " l ", "h", " h ", "v", " v ", "z", " z ", ",", " ")
	fs := strings.Fields(r.Replace(d))
	var ps []pt
	var cur pt
	numAt := func(i int) (float64, error) {
		if i >= len(fs) {
			return 0, fmt.Errorf("path %q: missing number", d)
		}
		return strconv.ParseFloat(fs[i], 64)
	}
	for i := 0; i < len(fs); i++ {
		var err error
		var x, y float64
		switch fs[i] {
		case "M":
			if x, err = numAt(i + 1); err == nil {
				y, err = numAt(i + 2)
			}
			cur, i = pt{x, y}, i+2
		case "l":
			if x, err = numAt(i + 1); err == nil {
				y, err = numAt(i + 2)
			}
			cur, i = pt{cur.x + x, cur.y + y}, i+2
		case "h":
			x, err = numAt(i + 1)
			cur, i = pt{cur.x + x, cur.y}, i+1
		case "v":
			y, err = numAt(i + 1)
			cur, i = pt{cur.x, cur.y + y}, i+1
		case "z":
			continue
		default:
			return nil, fmt.Errorf("path %q: unsupported command %q", d, fs[i])
		}
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", d, err)
		}
		ps = append(ps, cur)
	}
	return ps, nil
}

func circle(cx, cy, r float64) []pt {
	const n = 24
	ps := make([]pt, n)
	for i := range ps {
		a := 2 * math.Pi * float64(i) / n
		ps[i] = pt{cx + r*math.Cos(a), cy + r*math.Sin(a)}
	}
	return ps
}

// fill fills the polygon ps (in SVG units) with col. The rasteriser covers
// only the polygon's bounding box: clearing a full-size one per mark would
// cost more than drawing.
func (c *canvas) fill(col color.NRGBA, ps []pt) {
	if len(ps) < 3 {
		return
	}
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range ps {
		x0, y0 = min(x0, p.x*pngScale), min(y0, p.y*pngScale)
		x1, y1 = max(x1, p.x*pngScale), max(y1, p.y*pngScale)
	}
	box := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1))).Intersect(c.img.Bounds())
	if box.Empty() {
		return
	}
	ox, oy := float64(box.Min.X), float64(box.Min.Y)
	c.r.Reset(box.Dx(), box.Dy())
	c.r.DrawOp = draw.Over
	c.r.MoveTo(float32(ps[0].x*pngScale-ox), float32(ps[0].y*pngScale-oy))
	for _, p := range ps[1:] {
		c.r.LineTo(float32(p.x*pngScale-ox), float32(p.y*pngScale-oy))
	}
	c.r.ClosePath()
	c.r.Draw(c.img, box, image.NewUniform(col), image.Point{})
}

// stroke draws the polyline ps with width w, dashed by dash (on, off, …),
// as one filled quadrilateral per (dash) segment and round joins.
func (c *canvas) stroke(col color.NRGBA, w float64, dash []float64, ps []pt) {
	var segs [][2]pt
	di, left, on := 0, 0.0, true
	if len(dash) > 0 {
		left = dash[0]
	}
	for i := 1; i < len(ps); i++ {
		a, b := ps[i-1], ps[i]
		if len(dash) == 0 {
			segs = append(segs, [2]pt{a, b})
			continue
		}
		l := math.Hypot(b.x-a.x, b.y-a.y)
		for pos := 0.0; pos < l; {
			step := min(left, l-pos)
			p := pt{a.x + (b.x-a.x)*pos/l, a.y + (b.y-a.y)*pos/l}
			q := pt{a.x + (b.x-a.x)*(pos+step)/l, a.y + (b.y-a.y)*(pos+step)/l}
			if on {
				segs = append(segs, [2]pt{p, q})
			}
			pos += step
			left -= step
			if left <= 1e-9 {
				di = (di + 1) % len(dash)
				left, on = dash[di], !on
			}
		}
	}
	for _, s := range segs {
		a, b := s[0], s[1]
		l := math.Hypot(b.x-a.x, b.y-a.y)
		if l == 0 {
			continue
		}
		nx, ny := -(b.y-a.y)/l*w/2, (b.x-a.x)/l*w/2
		c.fill(col, []pt{{a.x + nx, a.y + ny}, {b.x + nx, b.y + ny}, {b.x - nx, b.y - ny}, {a.x - nx, a.y - ny}})
	}
	if len(dash) == 0 && w >= 1.5 {
		for _, p := range ps[1 : len(ps)-1] {
			c.fill(col, circle(p.x, p.y, w/2))
		}
	}
}

// goFont is the Go font, parsed once. Faces are not safe for concurrent
// use, so each canvas makes its own.
var goFont = sync.OnceValues(func() (*opentype.Font, error) { return opentype.Parse(goregular.TTF) })

func (c *canvas) face(px float64) (font.Face, error) {
	if f, ok := c.faces[px]; ok {
		return f, nil
	}
	gf, err := goFont()
	if err != nil {
		return nil, err
	}
	f, err := opentype.NewFace(gf, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	c.faces[px] = f
	return f, nil
}

// glyphFallback replaces the few symbols the charts use that the Go font
// lacks.
var glyphFallback = strings.NewReplacer("▲", "^", "↑", "^", "↓", "v")

// text draws a <text> element at its baseline with its anchor.
func (c *canvas) text(a map[string]string, txt string) {
	size := num(a, "font-size")
	if size <= 0 {
		size = 10
	}
	col, ok, err := paint(a["fill"], "")
	if err != nil || !ok {
		col = color.NRGBA{0x33, 0x33, 0x33, 0xff}
	}
	f, err := c.face(size * pngScale)
	if err != nil {
		return
	}
	txt = glyphFallback.Replace(txt)
	d := font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: f}
	x := num(a, "x") * pngScale
	switch a["text-anchor"] {
	case "middle":
		x -= float64(d.MeasureString(txt)) / 64 / 2
	case "end":
		x -= float64(d.MeasureString(txt)) / 64
	}
	d.Dot = fixed.Point26_6{X: fixed.Int26_6(x * 64), Y: fixed.Int26_6(num(a, "y") * pngScale * 64)}
	d.DrawString(txt)
}
