package report

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrPermanent marks a delivery error that retrying cannot fix (a 4xx from
// Slack, a rejected address): DeliverAll does not retry it.
var ErrPermanent = errors.New("report: permanent delivery failure")

// Target delivers a rendered report somewhere.
type Target interface {
	// Name identifies the target in logs and results ("dir", "slack",
	// "email"); it never contains a secret.
	Name() string
	// Deliver sends or writes the report. It returns an error wrapping
	// ErrPermanent when a retry cannot succeed.
	Deliver(ctx context.Context, r *Rendered) error
}

// FileName returns the dated file name of a report: report-2026-W47.md.
func FileName(w ISOWeek, ext string) string { return "report-" + w.String() + "." + ext }

// DirTarget writes report-YYYY-Www.{md,html,json} into Dir, each atomically
// (a temporary file in Dir renamed over the final name), so that a reader
// never sees half a report.
type DirTarget struct {
	Dir string
	// Formats to write: "md", "html", "json". Default all three.
	Formats []string
}

func (DirTarget) Name() string { return "dir" }

// Paths returns the files Deliver writes for r.
func (d DirTarget) Paths(r *Rendered) []string {
	var out []string
	for _, f := range d.formats() {
		out = append(out, filepath.Join(d.Dir, FileName(r.Report.week, f)))
	}
	return out
}

func (d DirTarget) formats() []string {
	if len(d.Formats) == 0 {
		return []string{"md", "html", "json"}
	}
	return d.Formats
}

func (d DirTarget) Deliver(ctx context.Context, r *Rendered) error {
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return fmt.Errorf("report: dir: %w", err)
	}
	for _, f := range d.formats() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("report: dir: %w", err)
		}
		var data []byte
		switch f {
		case "md":
			data = r.Markdown
		case "html":
			data = r.HTML
		case "json":
			data = r.JSON
		default:
			return fmt.Errorf("%w: dir: unknown format %q", ErrPermanent, f)
		}
		if err := writeAtomic(filepath.Join(d.Dir, FileName(r.Report.week, f)), data); err != nil {
			return fmt.Errorf("report: dir: %w", err)
		}
	}
	return nil
}

func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err = tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// SlackTarget posts a summary to a Slack incoming webhook. The webhook URL
// is a secret: it never appears in errors or logs.
type SlackTarget struct {
	WebhookURL string
	HTTPClient *http.Client // default: a client with a 30 s timeout
	// ReportURL, when set, is linked from the message (e.g. where DirTarget's
	// files are served).
	ReportURL string
}

func (SlackTarget) Name() string { return "slack" }

func (s SlackTarget) Deliver(ctx context.Context, r *Rendered) error {
	body, err := json.Marshal(SlackMessage(r.Report, s.ReportURL))
	if err != nil {
		return fmt.Errorf("report: slack: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: slack: invalid webhook URL", ErrPermanent) // the parse error would quote the URL
	}
	req.Header.Set("Content-Type", "application/json")
	c := s.HTTPClient
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		// *url.Error quotes the URL: keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("report: slack: post: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("report: slack: webhook answered %d %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusRequestTimeout {
		return permanent{err}
	}
	return err
}

// Slack limits: a section's text is at most 3000 characters, a message at
// most 50 blocks.
const (
	slackTextMax   = 3000
	slackBlocksMax = 50
)

// SlackMessage builds the incoming-webhook payload: a header, one section
// per team with its key figures and callouts (issue keys linked to Jira, a
// link to the board's dashboard page), the PM section in short (slackPM)
// and a context line.
func SlackMessage(r *Report, reportURL string) map[string]any {
	blocks := []any{map[string]any{"type": "header", "text": map[string]any{"type": "plain_text",
		"text": "Backlog health — week " + r.Week}}}
	for _, t := range r.Teams {
		if len(blocks) >= slackBlocksMax-3 {
			break
		}
		var b strings.Builder
		velocity := "velocity"
		if v := t.Velocity(); v != nil {
			velocity = fmt.Sprintf("velocity (avg of %d)", v.Window)
		}
		fmt.Fprintf(&b, "*%s*", slackEscape(t.BoardName))
		if t.DashboardURL != "" {
			fmt.Fprintf(&b, " · <%s|dashboard>", t.DashboardURL)
		}
		fmt.Fprintf(&b, "\nthroughput %d · WIP %d · cycle time p85 %s d · escaped defects %d · say/do (avg of 7) %s · %s %s %s",
			t.Throughput, t.WIP, optDays(t.CycleTimeDays.P85), t.EscapedDefects,
			optPct(t.SayDoAvg7), velocity, optNum(t.VelocityValue()), t.Unit)
		for _, c := range t.Callouts {
			fmt.Fprintf(&b, "\n%s %s", severityIcon(c.Severity), linkKeysSlack(t.SiteURL, c.Text))
		}
		blocks = append(blocks, slackSection(b.String()))
	}
	blocks = append(blocks, slackSection(slackPM(r)))
	ctx := fmt.Sprintf("%s to %s (%s) · %s", r.WeekStart, r.WeekEnd, r.TimeZone, slackEscape(r.AsOfText()))
	if r.DashboardURL != "" {
		ctx += " · <" + r.DashboardURL + "|open this week in the dashboard>"
	}
	if reportURL != "" {
		ctx += " · <" + reportURL + "|full report>"
	}
	blocks = append(blocks, map[string]any{"type": "context", "elements": []any{slackMrkdwn(ctx)}})
	return map[string]any{"text": "Backlog health — week " + r.Week, "blocks": blocks}
}

func slackMrkdwn(s string) map[string]any {
	if len([]rune(s)) > slackTextMax {
		s = string([]rune(s)[:slackTextMax-1]) + "…"
	}
	return map[string]any{"type": "mrkdwn", "text": s}
}

func slackSection(s string) map[string]any {
	return map[string]any{"type": "section", "text": slackMrkdwn(s)}
}

// slackPM is the PM section in short: per outcome its latest value, the
// change over 4 weeks and the verdict of each release in the chart, then
// the alignment share; flags as warnings.
func slackPM(r *Report) string {
	var b strings.Builder
	b.WriteString("*Delivery vs outcomes*")
	if len(r.Outcomes) == 0 {
		b.WriteString("\nno outcome metrics configured")
	}
	for _, o := range r.Outcomes {
		fmt.Fprintf(&b, "\n• *%s*: %s, change %s %s", slackEscape(o.Name), withUnit(o.Latest, o.Unit), signedVal(o.Change), trendArrow(o.Trend))
		if j := [...]string{"worse", "", "better"}[o.Better(o.Change)+1]; j != "" {
			b.WriteString(" " + j)
		}
		var rels []string
		for _, rel := range o.Releases {
			rels = append(rels, slackEscape(rel.Name)+": "+verdictText(rel.Verdict))
		}
		if len(rels) > 0 {
			b.WriteString(" · releases " + strings.Join(rels, "; "))
		}
		for _, f := range o.FlagTexts {
			b.WriteString("\n  ⚠ " + slackEscape(f))
		}
	}
	if a := r.Alignment; a != nil {
		fmt.Fprintf(&b, "\n• *Alignment* %s to %s: %s of the delivered %s linked to an outcome (%s of %s points; %d of %d issues)",
			a.From, a.To, optPct(a.Ratio), a.Basis, fmtNum(a.LinkedPoints), fmtNum(a.DeliveredPoints), a.LinkedIssues, a.DeliveredIssues)
		for _, f := range a.FlagTexts {
			b.WriteString("\n  ⚠ " + slackEscape(f))
		}
	}
	return b.String()
}

var slackReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackEscape(s string) string { return slackReplacer.Replace(s) }

// EmailTarget sends the report by SMTP as multipart/alternative: the
// Markdown as the text part, and the e-mail HTML (inline styles, tables,
// charts as PNG images) with its images as multipart/related (buildMessage).
type EmailTarget struct {
	Host     string
	Port     int // default 587
	Username string
	Password string // with Username: AUTH PLAIN, only over TLS (or to localhost)
	From     string
	To       []string
	// StartTLS requires STARTTLS: without it the target refuses to send.
	// When false, STARTTLS is still used if the server offers it.
	StartTLS bool
	// TLSConfig overrides the TLS settings (tests: a private root CA).
	TLSConfig *tls.Config
	// Timeout bounds the whole exchange when ctx has no deadline. Default 60 s.
	Timeout time.Duration
}

func (EmailTarget) Name() string { return "email" }

func (e EmailTarget) Deliver(ctx context.Context, r *Rendered) error {
	from, err := mail.ParseAddress(e.From)
	if err != nil {
		return fmt.Errorf("%w: email: from: %w", ErrPermanent, err)
	}
	if len(e.To) == 0 {
		return fmt.Errorf("%w: email: no recipients", ErrPermanent)
	}
	var to []*mail.Address
	for _, a := range e.To {
		addr, err := mail.ParseAddress(a)
		if err != nil {
			return fmt.Errorf("%w: email: to: %w", ErrPermanent, err)
		}
		to = append(to, addr)
	}
	msg, err := buildMessage(r, from, to)
	if err != nil {
		return fmt.Errorf("report: email: %w", err)
	}

	port := e.Port
	if port == 0 {
		port = 587
	}
	addr := net.JoinHostPort(e.Host, strconv.Itoa(port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("report: email: dial %s: %w", addr, err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(cmpOr(e.Timeout, 60*time.Second))
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) }) // cancel aborts the exchange
	defer stop()

	c, err := smtp.NewClient(conn, e.Host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("report: email: %w", err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("report: email: hello: %w", smtpErr(err))
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := e.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{ServerName: e.Host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("report: email: starttls: %w", err)
		}
	} else if e.StartTLS {
		return fmt.Errorf("%w: email: %s does not offer STARTTLS and starttls is required", ErrPermanent, addr)
	}
	if e.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", e.Username, e.Password, e.Host)); err != nil {
			return fmt.Errorf("report: email: auth: %w", smtpErr(err))
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("report: email: mail from: %w", smtpErr(err))
	}
	for _, a := range to {
		if err := c.Rcpt(a.Address); err != nil {
			return fmt.Errorf("report: email: rcpt %s: %w", a.Address, smtpErr(err))
		}
	}
	wc, err := c.Data()
	if err != nil {
		return fmt.Errorf("report: email: data: %w", smtpErr(err))
	}
	if _, err := wc.Write(msg); err != nil {
		return fmt.Errorf("report: email: data: %w", err)
	}
	if err := wc.Close(); err != nil {
		return fmt.Errorf("report: email: data: %w", smtpErr(err))
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("report: email: quit: %w", smtpErr(err))
	}
	return nil
}

// smtpErr marks 5xx replies permanent.
func smtpErr(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return permanent{err}
	}
	return err
}

// permanent marks err as ErrPermanent without adding a second "report:"
// prefix to a message that already names the target.
type permanent struct{ err error }

func (p permanent) Error() string        { return p.err.Error() }
func (p permanent) Unwrap() error        { return p.err }
func (p permanent) Is(target error) bool { return target == ErrPermanent }

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Result is the outcome of delivering to one target.
type Result struct {
	Target   string `json:"target"`
	Attempts int    `json:"attempts"`
	Err      error  `json:"-"`
}

// OK reports whether the target received the report.
func (r Result) OK() bool { return r.Err == nil }

// Deliverer delivers to several targets with retries.
type Deliverer struct {
	// Retries is how many times a failing target is tried again (0: once only).
	Retries int
	// Backoff is the wait before retry n (1-based). Default 2 s × 4^(n−1): 2 s, 8 s, 32 s.
	Backoff func(n int) time.Duration
	// Sleep waits d or until ctx is done. Default: a timer. Tests inject a fake.
	Sleep  func(ctx context.Context, d time.Duration) error
	Logger *slog.Logger
}

// DeliverAll delivers rendered to every target with the default backoff,
// retrying each failing target up to retries times.
func DeliverAll(ctx context.Context, targets []Target, rendered *Rendered, retries int) []Result {
	return Deliverer{Retries: retries}.DeliverAll(ctx, targets, rendered)
}

// DeliverAll delivers to each target in order. A failing target is retried
// with backoff (unless the error is ErrPermanent) and never stops the
// others. It returns one Result per target, in the targets' order.
func (d Deliverer) DeliverAll(ctx context.Context, targets []Target, rendered *Rendered) []Result {
	backoff := d.Backoff
	if backoff == nil {
		backoff = func(n int) time.Duration { return 2 * time.Second << (2 * (n - 1)) }
	}
	sleep := d.Sleep
	if sleep == nil {
		sleep = func(ctx context.Context, dur time.Duration) error {
			t := time.NewTimer(dur)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	results := make([]Result, 0, len(targets))
	for _, t := range targets {
		res := Result{Target: t.Name()}
		for {
			res.Attempts++
			res.Err = t.Deliver(ctx, rendered)
			if res.Err == nil {
				log.InfoContext(ctx, "report delivered", slog.String("target", res.Target),
					slog.String("week", rendered.Report.Week), slog.Int("attempts", res.Attempts))
				break
			}
			last := res.Attempts > d.Retries || errors.Is(res.Err, ErrPermanent) || ctx.Err() != nil
			log.WarnContext(ctx, "report delivery failed", slog.String("target", res.Target),
				slog.Int("attempt", res.Attempts), slog.Bool("will_retry", !last), slog.Any("error", res.Err))
			if last {
				break
			}
			if err := sleep(ctx, backoff(res.Attempts)); err != nil {
				res.Err = fmt.Errorf("%w (retry cancelled: %w)", res.Err, err)
				break
			}
		}
		results = append(results, res)
	}
	return results
}
