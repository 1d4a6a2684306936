package outcomes

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
)

// PushPath is where Handler serves.
const PushPath = "/api/v1/outcomes"

// Limits of one push request.
const (
	MaxPushBytes  = 1 << 20 // 1 MiB of JSON
	MaxPushValues = 10000
	maxPushErrors = 50
)

// PushRequest is the JSON body of POST /api/v1/outcomes.
type PushRequest struct {
	Values []PushValue `json:"values"`
}

// PushValue is one value in a push. Date is 2026-11-16, 2026-11 or
// 2026-W47; Value is a JSON number.
type PushValue struct {
	Metric  string   `json:"metric"`
	Date    string   `json:"date"`
	Value   *float64 `json:"value"`
	Segment string   `json:"segment"`
	Unit    string   `json:"unit"`
}

// PushResponse is the 200 answer: how many values were received and, when
// the sink can count (a CountingSink), what the write changed; the counts
// are absent otherwise. A replay of the same body answers with every value
// unchanged.
type PushResponse struct {
	Received int `json:"received"`
	*UpsertResult
}

// errorBody is the Jira-like error answer.
type errorBody struct {
	Errors []string `json:"errors"`
}

// Handler serves POST /api/v1/outcomes: it checks the bearer token in
// constant time, reads at most 1 MiB of JSON, validates every value (the
// metric must be in known unless known is empty; an empty unit takes the
// metric's unit) and writes them all through sink in one call, or none.
//
// Answers: 200 with PushResponse; 400 with one error per bad item
// ("values[3].date: …"), in {"errors":[…]}; 401 without or with a wrong
// token; 405 for another method; 413 for a larger body; 415 for a body that
// is not JSON; 500 when the sink fails; 503 when token is empty (push is
// then disabled, never open).
//
// Every answer given before the body is read (404, 503, 401, 405, 415)
// closes the connection: otherwise net/http would drain up to 256 KiB of an
// unread body before sending it, and a slow unauthenticated client would
// wait for its 401 as long as it takes to send that. Refused tokens are
// logged at most once per client host per 10 s (see NewHandler).
func Handler(sink Sink, token string, known map[string]Metric, logger *slog.Logger) http.Handler {
	return NewHandler(sink, token, known, PushOptions{Logger: logger})
}

// NewHandler is Handler with options.
func NewHandler(sink Sink, token string, known map[string]Metric, opts PushOptions) http.Handler {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	throttle := newLogThrottle(opts.RefusedLogInterval, opts.Now)
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Answers before the body is read: close rather than drain it.
		early := func(status int, msg string) {
			w.Header().Set("Connection", "close")
			writeErrors(w, status, msg)
		}
		if r.URL.Path != PushPath {
			early(http.StatusNotFound, "no such endpoint: "+r.URL.Path)
			return
		}
		if token == "" {
			early(http.StatusServiceUnavailable, "outcome push is disabled: no token is configured")
			return
		}
		if !bearerOK(r.Header.Get("Authorization"), want) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="analyzer"`)
			early(http.StatusUnauthorized, "a valid bearer token is required")
			host := remoteHost(r)
			if ok, suppressed := throttle.allow(host); ok {
				logger.WarnContext(r.Context(), "outcome push refused", slog.String("reason", "bad or missing token"),
					slog.String("remote_host", host), slog.Int("suppressed", suppressed))
			}
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			early(http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed; use POST")
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "" {
			if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
				early(http.StatusUnsupportedMediaType, "content type "+ct+" is not application/json")
				return
			}
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPushBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeErrors(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body is larger than %d bytes; send fewer values per request", MaxPushBytes))
				return
			}
			writeErrors(w, http.StatusBadRequest, "unable to read body: "+err.Error())
			return
		}
		values, problems := decodePush(body, known)
		if len(problems) > 0 {
			writeErrors(w, http.StatusBadRequest, problems...)
			return
		}
		resp := PushResponse{Received: len(values)}
		if cs, ok := sink.(CountingSink); ok {
			var res UpsertResult
			res, err = cs.OutcomeUpsertManyCount(r.Context(), values)
			resp.UpsertResult = &res
		} else {
			err = sink.OutcomeUpsertMany(r.Context(), values)
		}
		if err != nil {
			logger.ErrorContext(r.Context(), "outcome push not stored", slog.Int("values", len(values)), slog.Any("error", err))
			writeErrors(w, http.StatusInternalServerError, "values could not be stored; nothing was written")
			return
		}
		attrs := []any{slog.Int("values_received", resp.Received)}
		if c := resp.UpsertResult; c != nil {
			attrs = append(attrs, slog.Int("values_inserted", c.Inserted), slog.Int("values_updated", c.Updated),
				slog.Int("values_unchanged", c.Unchanged))
		}
		logger.InfoContext(r.Context(), "outcome push stored", attrs...)
		writeJSON(w, http.StatusOK, resp)
	})
}

// bearerOK compares the request's token with the configured one's SHA-256
// in constant time (hashing first hides the token's length too).
func bearerOK(header string, want [32]byte) bool {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// decodePush parses and validates a body; it returns every problem found
// (up to a limit), each naming its item.
func decodePush(body []byte, known map[string]Metric) ([]Value, []string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req PushRequest
	if err := dec.Decode(&req); err != nil {
		return nil, []string{"body is not valid JSON of the form {\"values\":[{\"metric\",\"date\",\"value\",\"segment\",\"unit\"}]}: " + err.Error()}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, []string{"body has data after the JSON object"}
	}
	switch {
	case len(req.Values) == 0:
		return nil, []string{"values: at least one value is required"}
	case len(req.Values) > MaxPushValues:
		return nil, []string{fmt.Sprintf("values: %d values, at most %d per request", len(req.Values), MaxPushValues)}
	}
	check := newValidator(known, len(known) > 0)
	var (
		out      = make([]Value, 0, len(req.Values))
		problems []string
		more     int
	)
	add := func(s string) {
		if len(problems) < maxPushErrors {
			problems = append(problems, s)
		} else {
			more++
		}
	}
	for i, pv := range req.Values {
		where := fmt.Sprintf("values[%d]", i)
		v := Value{Metric: pv.Metric, Segment: pv.Segment, Unit: pv.Unit, Source: "http"}
		bad := false
		d, err := ParseDate(pv.Date)
		if err != nil {
			add(where + ".date: " + err.Error())
			bad = true
		}
		v.Date = d
		if pv.Value == nil {
			add(where + ".value: required")
			bad = true
		} else {
			v.Value = *pv.Value
		}
		if bad {
			continue
		}
		if err := check.check(&v, where); err != nil {
			add(where + ": " + err.Error())
			continue
		}
		out = append(out, v)
	}
	if more > 0 {
		problems = append(problems, fmt.Sprintf("… and %d more problems", more))
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return out, nil
}

func writeErrors(w http.ResponseWriter, status int, msgs ...string) {
	writeJSON(w, status, errorBody{Errors: msgs})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
