package dashboard

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
)

func num(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func optnum(p *float64) string {
	if p == nil {
		return "–"
	}
	return num(*p)
}

func pct(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", *p*100)
}

// sparkline draws a series as a small inline SVG polyline (no script).
func sparkline(label string, xs []float64) template.HTML {
	const w, h = 120.0, 28.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="%s">`, w, h, w, h, template.HTMLEscapeString(label))
	if len(xs) > 1 {
		top := 0.0
		for _, x := range xs {
			top = max(top, x)
		}
		if top == 0 {
			top = 1
		}
		b.WriteString(`<polyline fill="none" stroke="#35597f" stroke-width="1.5" points="`)
		for i, x := range xs {
			fmt.Fprintf(&b, "%.1f,%.1f ", float64(i)*(w-2)/float64(len(xs)-1)+1, h-1-x/top*(h-2))
		}
		b.WriteString(`"/>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and an escaped label only
}
