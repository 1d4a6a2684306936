package sync

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// Progress lines: the default log interval is 5 s (a report exactly at the
// interval is due), the terminal redraws at most every 200 ms, the last
// issue of a phase is always reported, and the ETA is "?" until a rate is
// known, 0s when everything is fetched.
func TestProgressIntervalsAndETA(t *testing.T) {
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	now := start
	clock := func() time.Time { return now }
	lines := func(b *bytes.Buffer) int { return strings.Count(b.String(), "sync progress") }

	t.Run("LogDefaultInterval", func(t *testing.T) {
		now = start
		var logs bytes.Buffer
		p := &Progress{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: clock}
		p.Start("B", 100)
		now = start.Add(4 * time.Second)
		p.Add(10) // 4 s < 5 s: not yet
		if n := lines(&logs); n != 0 {
			t.Fatalf("%d lines after 4 s, want 0: %s", n, logs.String())
		}
		now = start.Add(5 * time.Second)
		p.Add(10) // exactly 5 s: due; 20 in 5 s = 4/s, 80 left → 20 s
		if got := logs.String(); lines(&logs) != 1 || !strings.Contains(got, "issues_per_second=4 ") || !strings.Contains(got, "eta=20s") {
			t.Fatalf("after 5 s: %s", got)
		}
		now = start.Add(6 * time.Second)
		p.Add(80) // 1 s later, but the last issue: reported; 0 left → 0s; 100 in 6 s = 16.67/s, shown cut to 16.6
		if got := logs.String(); lines(&logs) != 2 || !strings.Contains(got, "issues_fetched=100") || !strings.Contains(got, "eta=0s") ||
			!strings.Contains(got, "issues_per_second=16.6 ") {
			t.Fatalf("at the last issue: %s", got)
		}
	})
	t.Run("NoRateYet", func(t *testing.T) {
		now = start
		var logs bytes.Buffer
		p := &Progress{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: clock}
		p.Start("B", 10)
		p.Add(10) // all at once, 0 s elapsed: no rate, ETA unknown
		if got := logs.String(); !strings.Contains(got, "issues_per_second=0 ") || !strings.Contains(got, "eta=?") {
			t.Fatalf("no time elapsed: %s", got)
		}
		logs.Reset()
		p.Start("C", 10)
		now = start.Add(time.Second)
		p.Finish() // nothing fetched in 1 s: rate 0, ETA unknown
		if got := logs.String(); !strings.Contains(got, "eta=?") || !strings.Contains(got, "final=true") {
			t.Fatalf("nothing fetched: %s", got)
		}
	})
	t.Run("TerminalRedraw", func(t *testing.T) {
		now = start
		var term bytes.Buffer
		p := &Progress{Terminal: &term, Now: clock}
		p.Start("B", 100)
		now = start.Add(100 * time.Millisecond)
		p.Add(1) // 100 ms: no redraw
		if term.Len() != 0 {
			t.Fatalf("redrawn after 100 ms: %q", term.String())
		}
		now = start.Add(200 * time.Millisecond)
		p.Add(1) // 200 ms: redraw
		if got := term.String(); !strings.Contains(got, "2/100 issues") {
			t.Fatalf("after 200 ms: %q", got)
		}
	})
}

// The bar is 30 cells: done × 30 ÷ total filled (rounded down), the rest
// empty; with no total known yet, all empty.
func TestProgressBarCells(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	var term bytes.Buffer
	p := &Progress{Terminal: &term, Now: func() time.Time { return now }}
	p.Start("B", 1000)
	now = now.Add(time.Second)
	p.Add(250) // 250 × 30 ÷ 1000 = 7.5 → 7 filled, 23 empty
	if want := strings.Repeat("█", 7) + strings.Repeat("░", 23) + " 250/1000"; !strings.Contains(term.String(), want) {
		t.Errorf("bar %q, want %q", term.String(), want)
	}
	term.Reset()
	p.Start("C", 0)
	now = now.Add(time.Second)
	p.Add(5) // total unknown: 30 empty cells
	if want := " " + strings.Repeat("░", 30) + " 5/0"; !strings.Contains(term.String(), want) {
		t.Errorf("bar %q, want %q", term.String(), want)
	}
}
