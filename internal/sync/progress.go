package sync

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	gosync "sync"
	"time"
)

// Progress reports issues fetched against an estimated total: a redrawn bar
// on a terminal, a structured log line every Interval otherwise.
type Progress struct {
	// Terminal, when non-nil, receives a bar redrawn in place.
	Terminal io.Writer
	// Logger receives progress lines when Terminal is nil.
	Logger *slog.Logger
	// Interval between log lines (and the bar's minimum redraw interval). Default 5s.
	Interval time.Duration
	Now      func() time.Time

	mu         gosync.Mutex
	label      string
	done       int
	total      int
	started    time.Time
	lastReport time.Time
}

// Start begins a new phase, e.g. one board.
func (p *Progress) Start(label string, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Now == nil {
		p.Now = time.Now
	}
	p.label, p.done, p.total = label, 0, total
	p.started = p.Now()
	p.lastReport = p.started
}

// AddTotal adds n to the estimated total (Data Center reports a board's
// total with its first page; Cloud's token-paged lists report none).
func (p *Progress) AddTotal(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.total += n
	p.mu.Unlock()
}

// Add records n more issues fetched.
func (p *Progress) Add(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	now := p.Now()
	interval := p.Interval
	if interval == 0 {
		interval = 5 * time.Second
	}
	if p.Terminal != nil {
		interval = 200 * time.Millisecond
	}
	if now.Sub(p.lastReport) < interval && p.done < p.total {
		return
	}
	p.lastReport = now
	p.report(now, false)
}

// Finish prints the final state of the phase.
func (p *Progress) Finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.report(p.Now(), true)
}

func (p *Progress) report(now time.Time, final bool) {
	elapsed := now.Sub(p.started).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done) / elapsed
	}
	eta := "?"
	if rate > 0 && p.total >= p.done {
		eta = (time.Duration(float64(p.total-p.done)/rate) * time.Second).Round(time.Second).String()
	}
	if p.Terminal != nil {
		const width = 30
		filled := 0
		if p.total > 0 {
			filled = min(width, p.done*width/p.total)
		}
		bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
		fmt.Fprintf(p.Terminal, "\r%-24s %s %d/%d issues  %.0f/s  ETA %s   ", p.label, bar, p.done, p.total, rate, eta)
		if final {
			fmt.Fprintln(p.Terminal)
		}
		return
	}
	if p.Logger != nil {
		p.Logger.Info("sync progress", slog.String("board", p.label), slog.Int("issues_fetched", p.done),
			slog.Int("issues_estimated", p.total), slog.Float64("issues_per_second", float64(int(rate*10))/10),
			slog.String("eta", eta), slog.Bool("final", final))
	}
}
