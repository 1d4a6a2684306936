package report

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.MainNoLeaks(m)) }

func mustRender(t *testing.T) *Rendered {
	t.Helper()
	r, err := Render(mustBuild(t, fixtureInput(t)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDirTarget(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	r := mustRender(t)
	d := DirTarget{Dir: dir}
	if err := d.Deliver(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"report-2026-W47.md": r.Markdown, "report-2026-W47.html": r.HTML, "report-2026-W47.json": r.JSON}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 { // no temporary files left behind
		t.Fatalf("%d files in %s: %v", len(entries), dir, entries)
	}
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %v (equal %v)", name, err, bytes.Equal(got, data))
		}
	}
	if p := d.Paths(r); len(p) != 3 || p[0] != filepath.Join(dir, "report-2026-W47.md") {
		t.Errorf("paths %v", p)
	}
	// Writing again replaces the files in place.
	if err := d.Deliver(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if err := (DirTarget{Dir: dir, Formats: []string{"pdf"}}).Deliver(context.Background(), r); !errors.Is(err, ErrPermanent) {
		t.Errorf("unknown format: %v", err)
	}
}

// slackServer answers with the given statuses in turn (the last one repeats)
// and records the bodies it received.
func slackServer(t *testing.T, statuses ...int) (*httptest.Server, *[][]byte) {
	var mu sync.Mutex
	var bodies [][]byte
	n := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s with %q", r.Method, r.Header.Get("Content-Type"))
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		s := statuses[min(n, len(statuses)-1)]
		n++
		mu.Unlock()
		w.WriteHeader(s)
		if s == http.StatusNotFound {
			_, _ = io.WriteString(w, "no_service")
		}
	}))
	t.Cleanup(ts.Close)
	return ts, &bodies
}

const secretPath = "/services/T000/B000/s3cr3t-token"

func TestSlackTarget(t *testing.T) {
	r := mustRender(t)
	var slept []time.Duration
	deliverer := Deliverer{Retries: 3, Sleep: func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}}

	t.Run("Good", func(t *testing.T) {
		ts, bodies := slackServer(t, 200)
		target := SlackTarget{WebhookURL: ts.URL + secretPath, HTTPClient: ts.Client(), ReportURL: "https://reports.example.org/2026-W47.html"}
		res := deliverer.DeliverAll(context.Background(), []Target{target}, r)
		if len(res) != 1 || !res[0].OK() || res[0].Attempts != 1 {
			t.Fatalf("%+v", res)
		}
		var msg struct {
			Text   string `json:"text"`
			Blocks []struct {
				Type     string          `json:"type"`
				Text     json.RawMessage `json:"text"`
				Elements []struct {
					Text string `json:"text"`
				} `json:"elements"`
			} `json:"blocks"`
		}
		if err := json.Unmarshal((*bodies)[0], &msg); err != nil {
			t.Fatal(err)
		}
		// Header, one section per team, the PM section, context.
		if msg.Text != "Backlog health — week 2026-W47" || len(msg.Blocks) != 5 ||
			msg.Blocks[0].Type != "header" || msg.Blocks[1].Type != "section" || msg.Blocks[3].Type != "section" || msg.Blocks[4].Type != "context" {
			t.Fatalf("message %s", (*bodies)[0])
		}
		s := string(msg.Blocks[1].Text)
		for _, want := range []string{"*Payments*", "throughput 3", "WIP 14", "cycle time p85 7.5 d", "Say/do fell to 62%"} {
			if !strings.Contains(s, want) {
				t.Errorf("payments section lacks %q: %s", want, s)
			}
		}
		// Slack's control characters in a board name are escaped.
		if !strings.Contains(string(msg.Blocks[2].Text), `Mobile &amp;lt;iOS &amp;amp; Android&amp;gt;`) &&
			!strings.Contains(string(msg.Blocks[2].Text), `Mobile \u0026lt;iOS \u0026amp; Android\u0026gt;`) {
			t.Errorf("mobile section: %s", msg.Blocks[2].Text)
		}
		if c := msg.Blocks[4].Elements[0].Text; !strings.Contains(c, "<https://reports.example.org/2026-W47.html|full report>") {
			t.Errorf("context %q", c)
		}
		if pm := string(msg.Blocks[3].Text); !strings.Contains(pm, "no outcome metrics configured") {
			t.Errorf("PM section %s", pm)
		}
	})

	t.Run("ServerErrorThenSuccess", func(t *testing.T) {
		slept = nil
		ts, bodies := slackServer(t, 500, 500, 200)
		res := deliverer.DeliverAll(context.Background(), []Target{SlackTarget{WebhookURL: ts.URL + secretPath, HTTPClient: ts.Client()}}, r)
		// Two failures, then success on the third attempt after backoffs of 2 s and 8 s.
		if !res[0].OK() || res[0].Attempts != 3 || len(*bodies) != 3 {
			t.Fatalf("%+v, %d posts", res, len(*bodies))
		}
		if len(slept) != 2 || slept[0] != 2*time.Second || slept[1] != 8*time.Second {
			t.Errorf("backoff %v", slept)
		}
	})

	t.Run("PermanentFailure", func(t *testing.T) {
		ts, bodies := slackServer(t, 404)
		res := deliverer.DeliverAll(context.Background(), []Target{SlackTarget{WebhookURL: ts.URL + secretPath, HTTPClient: ts.Client()}}, r)
		// A 404 is not retried, and the error says why without the secret URL.
		if res[0].OK() || res[0].Attempts != 1 || len(*bodies) != 1 || !errors.Is(res[0].Err, ErrPermanent) {
			t.Fatalf("%+v", res)
		}
		if msg := res[0].Err.Error(); !strings.Contains(msg, "404 no_service") || strings.Contains(msg, "s3cr3t") {
			t.Errorf("error %q", msg)
		}
	})

	t.Run("AlwaysFailing", func(t *testing.T) {
		ts, bodies := slackServer(t, 503)
		res := deliverer.DeliverAll(context.Background(), []Target{SlackTarget{WebhookURL: ts.URL + secretPath, HTTPClient: ts.Client()}}, r)
		// 1 attempt + 3 retries.
		if res[0].OK() || res[0].Attempts != 4 || len(*bodies) != 4 || !strings.Contains(res[0].Err.Error(), "503") {
			t.Fatalf("%+v", res)
		}
	})

	t.Run("UnreachableDoesNotLeakURL", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close() // nothing listens there any more
		err := SlackTarget{WebhookURL: "http://" + addr + secretPath}.Deliver(context.Background(), r)
		if err == nil || strings.Contains(err.Error(), "s3cr3t") {
			t.Fatalf("error %v", err)
		}
	})
}

// fakeSMTP is an in-process SMTP server speaking EHLO, STARTTLS (when given
// a certificate), AUTH PLAIN, MAIL, RCPT, DATA and QUIT.
type fakeSMTP struct {
	ln       net.Listener
	tls      *tls.Config // nil: no STARTTLS
	user     string
	pass     string
	mu       sync.Mutex
	messages []smtpMessage
	wg       sync.WaitGroup
}

type smtpMessage struct {
	from   string
	rcpt   []string
	data   []byte
	tls    bool
	authed bool
}

func startSMTP(t *testing.T, tlsCfg *tls.Config) *fakeSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSMTP{ln: ln, tls: tlsCfg, user: "reporter", pass: "pa55"}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *fakeSMTP) got() []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMessage(nil), s.messages...)
}

func (s *fakeSMTP) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(c)
	say := func(l string) { _, _ = io.WriteString(c, l+"\r\n") }
	say("220 fake ESMTP")
	var m smtpMessage
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch cmd {
		case "EHLO":
			say("250-fake")
			if s.tls != nil && !m.tls {
				say("250-STARTTLS")
			}
			say("250 AUTH PLAIN")
		case "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, rd, m.tls = tc, bufio.NewReader(tc), true
		case "AUTH":
			f := strings.Fields(line)
			raw, _ := base64.StdEncoding.DecodeString(f[len(f)-1])
			if len(f) == 3 && f[1] == "PLAIN" && string(raw) == "\x00"+s.user+"\x00"+s.pass {
				m.authed = true
				say("235 2.7.0 authenticated")
			} else {
				say("535 5.7.8 bad credentials")
			}
		case "MAIL":
			m.from = line
			say("250 ok")
		case "RCPT":
			m.rcpt = append(m.rcpt, line)
			say("250 ok")
		case "DATA":
			say("354 end with .")
			var data bytes.Buffer
			for {
				l, err := rd.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, ".")) // undo dot-stuffing
			}
			m.data = data.Bytes()
			s.mu.Lock()
			s.messages = append(s.messages, m)
			s.mu.Unlock()
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown")
		}
	}
}

// selfSigned returns a server config for 127.0.0.1 and a client config that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// parts splits a received multipart/alternative message into its decoded parts by content type.
func TestEmailTarget(t *testing.T) {
	r := mustRender(t)
	email := func(port int) EmailTarget {
		return EmailTarget{Host: "127.0.0.1", Port: port, Username: "reporter", Password: "pa55",
			From: "Backlog Health <reports@example.org>", To: []string{"po@example.org", "pm@example.org"}}
	}

	t.Run("StartTLSAndAuth", func(t *testing.T) {
		srvTLS, cliTLS := selfSigned(t)
		s := startSMTP(t, srvTLS)
		e := email(s.port())
		e.StartTLS, e.TLSConfig = true, cliTLS
		if err := e.Deliver(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if len(s.got()) != 1 {
			t.Fatalf("%d messages", len(s.got()))
		}
		m := s.got()[0]
		if !m.tls || !m.authed || m.from != "MAIL FROM:<reports@example.org>" || len(m.rcpt) != 2 {
			t.Errorf("tls %v auth %v from %q rcpt %q", m.tls, m.authed, m.from, m.rcpt)
		}
		hdr, ps := walkMIME(t, m.data)
		subj, _ := new(mime.WordDecoder).DecodeHeader(hdr.Header.Get("Subject"))
		if subj != "Backlog health — week 2026-W47" {
			t.Errorf("subject %q", subj)
		}
		// Both text parts arrive intact (text lines end in CRLF on the wire),
		// the text one first; the HTML one is the e-mail rendering.
		em, err := RenderEmail(r.Report)
		if err != nil {
			t.Fatal(err)
		}
		crlf := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")) }
		got := map[string][]byte{}
		for _, p := range ps {
			got[p.ctype] = crlf(p.body)
		}
		if !bytes.Equal(got["text/plain"], r.Markdown) || !bytes.Equal(got["text/html"], em.HTML) {
			t.Errorf("parts: text equal %v, html equal %v", bytes.Equal(got["text/plain"], r.Markdown), bytes.Equal(got["text/html"], em.HTML))
		}
		if i, j := bytes.Index(m.data, []byte("text/plain")), bytes.Index(m.data, []byte("text/html")); i < 0 || j < i {
			t.Error("text part must come before the HTML part")
		}
	})

	t.Run("StartTLSRequiredButNotOffered", func(t *testing.T) {
		s := startSMTP(t, nil)
		e := email(s.port())
		e.StartTLS = true
		err := e.Deliver(context.Background(), r)
		if !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "STARTTLS") || len(s.got()) != 0 {
			t.Fatalf("err %v, %d messages", err, len(s.got()))
		}
	})

	t.Run("PlainOnLoopbackWhenNotRequired", func(t *testing.T) {
		s := startSMTP(t, nil)
		if err := email(s.port()).Deliver(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if len(s.got()) != 1 || s.got()[0].tls || !s.got()[0].authed {
			t.Fatalf("%+v", s.got())
		}
	})

	t.Run("BadPassword", func(t *testing.T) {
		s := startSMTP(t, nil)
		e := email(s.port())
		e.Password = "wrong"
		err := e.Deliver(context.Background(), r)
		if !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "535") || strings.Contains(err.Error(), "wrong") {
			t.Fatalf("err %v", err)
		}
	})
}

// countingTarget fails its first failures attempts.
type countingTarget struct {
	name     string
	failures int
	calls    atomic.Int32
}

func (c *countingTarget) Name() string { return c.name }
func (c *countingTarget) Deliver(context.Context, *Rendered) error {
	if n := int(c.calls.Add(1)); n <= c.failures {
		return errors.New("fake: attempt " + strconv.Itoa(n) + " failed")
	}
	return nil
}

// One target failing does not stop the others: a broken Slack webhook, a
// working SMTP server and a directory all get their turn.
func TestDeliverAllContinuesPastFailures(t *testing.T) {
	r := mustRender(t)
	slack, _ := slackServer(t, 500)
	smtpSrv := startSMTP(t, nil)
	dir := t.TempDir()
	flaky := &countingTarget{name: "flaky", failures: 1}
	targets := []Target{
		SlackTarget{WebhookURL: slack.URL + secretPath, HTTPClient: slack.Client()},
		EmailTarget{Host: "127.0.0.1", Port: smtpSrv.port(), From: "r@example.org", To: []string{"po@example.org"}},
		flaky,
		DirTarget{Dir: dir},
	}
	var waits int
	res := Deliverer{Retries: 2, Sleep: func(context.Context, time.Duration) error { waits++; return nil }}.DeliverAll(context.Background(), targets, r)
	if len(res) != 4 {
		t.Fatalf("%d results", len(res))
	}
	// slack: 3 attempts, failed; email: ok at once; flaky: ok on the second; dir: ok.
	want := []struct {
		name     string
		ok       bool
		attempts int
	}{{"slack", false, 3}, {"email", true, 1}, {"flaky", true, 2}, {"dir", true, 1}}
	for i, w := range want {
		if res[i].Target != w.name || res[i].OK() != w.ok || res[i].Attempts != w.attempts {
			t.Errorf("result %d: %+v, want %+v", i, res[i], w)
		}
	}
	if waits != 3 { // 2 for slack, 1 for flaky
		t.Errorf("%d waits", waits)
	}
	if len(smtpSrv.got()) != 1 {
		t.Errorf("%d emails", len(smtpSrv.got()))
	}
	if _, err := os.Stat(filepath.Join(dir, "report-2026-W47.html")); err != nil {
		t.Error(err)
	}
}

// A cancelled context stops the retries.
func TestDeliverAllCancelled(t *testing.T) {
	r := mustRender(t)
	ctx, cancel := context.WithCancel(context.Background())
	flaky := &countingTarget{name: "flaky", failures: 10}
	res := Deliverer{Retries: 5, Sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }}.
		DeliverAll(ctx, []Target{flaky}, r)
	if res[0].OK() || res[0].Attempts != 1 || !errors.Is(res[0].Err, context.Canceled) {
		t.Fatalf("%+v", res[0])
	}
}
