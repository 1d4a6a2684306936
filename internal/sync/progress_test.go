package sync

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// On a terminal the bar shows fetched/total, rate and ETA; elsewhere a
// structured log line says the same.
func TestProgress(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var term bytes.Buffer
	p := &Progress{Terminal: &term, Now: clock}
	p.Start("Team Apollo", 0)
	p.AddTotal(1000)
	now = now.Add(2 * time.Second)
	p.Add(250) // 250 in 2 s = 125/s; 750 left → 6 s
	if got := term.String(); !strings.Contains(got, "250/1000 issues") || !strings.Contains(got, "125/s") || !strings.Contains(got, "ETA 6s") {
		t.Fatalf("bar: %q", got)
	}
	p.Finish()
	if !strings.HasSuffix(term.String(), "\n") {
		t.Fatal("the finished bar does not end its line")
	}

	var logs bytes.Buffer
	lp := &Progress{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: clock, Interval: time.Minute}
	lp.Start("Team Apollo", 400)
	lp.Add(100) // within the interval: no line yet
	if logs.Len() != 0 {
		t.Fatalf("logged before the interval: %s", logs.String())
	}
	now = now.Add(2 * time.Minute)
	lp.Add(100) // 200 in 120 s
	if got := logs.String(); !strings.Contains(got, "issues_fetched=200") || !strings.Contains(got, "issues_estimated=400") || !strings.Contains(got, "eta=2m0s") {
		t.Fatalf("log line: %s", got)
	}
}
