package worker

import (
	"context"
	"log/slog"
	"sync"
)

// captured is a slog handler that keeps every record, for counting lines.
type captured struct {
	mu   sync.Mutex
	recs []capturedRec
}

type capturedRec struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (c *captured) Enabled(context.Context, slog.Level) bool { return true }
func (c *captured) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *captured) WithGroup(string) slog.Handler            { return c }
func (c *captured) Handle(_ context.Context, r slog.Record) error {
	rec := capturedRec{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool { rec.attrs[a.Key] = a.Value.String(); return true })
	c.mu.Lock()
	c.recs = append(c.recs, rec)
	c.mu.Unlock()
	return nil
}

// lines returns the records with message msg.
func (c *captured) lines(msg string) []capturedRec {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []capturedRec
	for _, r := range c.recs {
		if r.msg == msg {
			out = append(out, r)
		}
	}
	return out
}
