package jira

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	analyzer "github.com/backlog-health/analyzer"
)

// bodyDecoder is a response type that decodes its 2xx body itself (doOnce
// hands it the whole body instead of go-jira's json.Decoder).
type bodyDecoder interface {
	decodeBody(body []byte) error
}

// decodeBody reads a page of issues in one pass over each issue: the
// page's own keys, and every issue both as its bytes (Issues) and decoded
// (issueEnvelope), so that ParseIssue need not scan it again. Decoding the
// page into raw issues and then each issue again cost four scans of every
// byte (the decoder's read and its skip, then json.Unmarshal's validation
// and decode); this is two. An issue whose envelope does not decode (a
// value of an unexpected type) keeps only its bytes and is parsed the slow,
// defensive way. Invalid JSON fails the page, as before, and leaves p as
// it was (the request is sent again and decoded into the same page).
func (p *SearchPage) decodeBody(body []byte) error {
	out := *p
	out.Issues, out.decoded = nil, nil
	if err := out.decode(body); err != nil {
		return err
	}
	*p = out
	return nil
}

func (p *SearchPage) decode(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var dst any
		switch key {
		case "issues":
			if err := p.decodeIssues(dec, body); err != nil {
				return err
			}
			continue
		case "nextPageToken":
			dst = &p.NextPageToken
		case "isLast":
			dst = &p.IsLast
		case "startAt":
			dst = &p.StartAt
		case "maxResults":
			dst = &p.MaxResults
		case "total":
			dst = &p.Total
		default:
			dst = new(json.RawMessage)
		}
		if err := dec.Decode(dst); err != nil {
			return fmt.Errorf("page key %q: %w", key, err)
		}
	}
	return expectDelim(dec, '}')
}

// decodeIssues reads the issues array (or null) at dec's position.
func (p *SearchPage) decodeIssues(dec *json.Decoder, body []byte) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("page key \"issues\": want an array, got %v", tok)
	}
	for dec.More() {
		start := dec.InputOffset()
		env := new(issueEnvelope)
		err := dec.Decode(env)
		var te *json.UnmarshalTypeError
		if err != nil && !errors.As(err, &te) {
			return err
		}
		raw := bytes.TrimLeft(body[start:dec.InputOffset()], " \t\r\n,")
		if err != nil {
			env = nil // decoded whole by ParseIssue's defensive path
		}
		p.Issues = append(p.Issues, raw)
		p.decoded = append(p.decoded, decodedIssue{raw: raw, env: env})
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}

// decodedIssue is an issue of a page as read: its bytes and, when they
// decoded in the page's pass, its envelope.
type decodedIssue struct {
	raw RawIssue
	env *issueEnvelope
}

// envelope returns the envelope decoded for the page's i-th issue, nil
// when there is none or Issues[i] is no longer the bytes it was decoded
// from (a caller replaced or removed issues).
func (p *SearchPage) envelope(i int) *issueEnvelope {
	if i >= len(p.decoded) || i >= len(p.Issues) {
		return nil
	}
	d, raw := p.decoded[i], p.Issues[i]
	if d.env == nil || len(raw) != len(d.raw) || len(raw) == 0 || &raw[0] != &d.raw[0] {
		return nil
	}
	return d.env
}

// ParseIssue is ParseIssue of the page's i-th issue, using what was decoded
// when the page was read.
func (p *SearchPage) ParseIssue(i int, opts ParseOptions) (analyzer.Issue, []analyzer.ChangeItem, []error, error) {
	if env := p.envelope(i); env != nil {
		return parseIssue(p.Issues[i], env, true, opts)
	}
	return ParseIssue(p.Issues[i], opts)
}

// issueKey is the key (or id) of the page's i-th issue, "" when unreadable.
func (p *SearchPage) issueKey(i int) string {
	if env := p.envelope(i); env != nil {
		var key string
		if json.Unmarshal(env.Key, &key) == nil && key != "" {
			return key
		}
		return string(env.ID)
	}
	return PeekKey(p.Issues[i])
}
