package outcomes_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/outcomes"
)

const testToken = "s3cret-token"

type pushResult struct {
	status int
	body   string
}

func push(t *testing.T, srv *httptest.Server, method, auth, contentType, body string) pushResult {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, srv.URL+outcomes.PushPath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("answer content type %q, want JSON", ct)
	}
	return pushResult{resp.StatusCode, string(b)}
}

func jsonErrors(t *testing.T, body string) []string {
	t.Helper()
	var e struct {
		Errors []string `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || len(e.Errors) == 0 {
		t.Fatalf("error body %q is not {\"errors\":[…]} (%v)", body, err)
	}
	return e.Errors
}

const goodBody = `{"values":[
	{"metric":"mrr","date":"2026-11-16","value":123.4,"segment":"","unit":"EUR"},
	{"metric":"mrr","date":"2026-11-16","value":50,"segment":"emea"},
	{"metric":"nps","date":"2026-W47","value":31}
]}`

func TestHandlerAuth(t *testing.T) {
	s := storetest.MustOpen(t)
	srv := httptest.NewServer(outcomes.Handler(s, testToken, known, nil))
	defer srv.Close()
	for name, auth := range map[string]string{
		"NoToken":       "",
		"WrongToken":    "Bearer not-the-token",
		"PrefixOfToken": "Bearer s3cret",
		"BasicScheme":   "Basic czNjcmV0LXRva2Vu",
		"NoScheme":      testToken,
	} {
		t.Run(name, func(t *testing.T) {
			r := push(t, srv, http.MethodPost, auth, "application/json", goodBody)
			if r.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", r.status, r.body)
			}
			jsonErrors(t, r.body)
		})
	}
	if n := countRows(t, s); n != 0 {
		t.Fatalf("%d rows stored by refused requests", n)
	}
	// The scheme is case-insensitive.
	if r := push(t, srv, http.MethodPost, "bearer "+testToken, "", goodBody); r.status != http.StatusOK {
		t.Fatalf("lower-case scheme: %d %s", r.status, r.body)
	}
}

func TestHandlerDisabledWithoutToken(t *testing.T) {
	srv := httptest.NewServer(outcomes.Handler(nopSink{}, "", nil, nil))
	defer srv.Close()
	// With no token configured, not even an empty bearer gets in.
	if r := push(t, srv, http.MethodPost, "Bearer ", "application/json", goodBody); r.status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", r.status)
	}
}

type nopSink struct{}

func (nopSink) OutcomeUpsertMany(context.Context, []outcomes.Value) error { return nil }

type failSink struct{}

func (failSink) OutcomeUpsertMany(context.Context, []outcomes.Value) error {
	return errors.New("database down")
}

func TestHandlerStoresAndReplayIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	srv := httptest.NewServer(outcomes.Handler(s, testToken, known, nil))
	defer srv.Close()

	r := push(t, srv, http.MethodPost, "Bearer "+testToken, "application/json; charset=utf-8", goodBody)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if strings.TrimSpace(r.body) != `{"received":3,"inserted":3,"updated":0,"unchanged":0}` {
		t.Fatalf("first push: %s", r.body)
	}
	if n := countRows(t, s); n != 3 {
		t.Fatalf("%d rows after the first push, want 3", n)
	}
	// The same body again: 200, nothing new stored.
	r = push(t, srv, http.MethodPost, "Bearer "+testToken, "application/json", goodBody)
	if r.status != http.StatusOK || strings.TrimSpace(r.body) != `{"received":3,"inserted":0,"updated":0,"unchanged":3}` {
		t.Fatalf("replay: %d %s", r.status, r.body)
	}
	if n := countRows(t, s); n != 3 {
		t.Fatalf("%d rows after the replay, want 3", n)
	}
	vals, err := s.OutcomeList(ctx, "mrr", day(2026, 11, 16), day(2026, 11, 16))
	if err != nil {
		t.Fatal(err)
	}
	// The emea value had no unit: it gets the configured "EUR".
	if len(vals) != 2 || vals[0].Value != 123.4 || vals[1].Segment != "emea" || vals[1].Unit != "EUR" || vals[0].Source != "http" {
		t.Fatalf("stored: %+v", vals)
	}
	nps, _ := s.OutcomeList(ctx, "nps", day(2026, 11, 16), day(2026, 11, 16)) // 2026-W47 is Monday 16 November
	if len(nps) != 1 || nps[0].Value != 31 || nps[0].Unit != "score" {
		t.Fatalf("nps stored: %+v", nps)
	}
	// A corrected value replaces the stored one: 1 updated, 2 unchanged.
	r = push(t, srv, http.MethodPost, "Bearer "+testToken, "", strings.Replace(goodBody, "123.4", "130", 1))
	var got outcomes.PushResponse
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || got.UpsertResult == nil {
		t.Fatalf("correction: %s (%v)", r.body, err)
	}
	if *got.UpsertResult != (outcomes.UpsertResult{Updated: 1, Unchanged: 2}) || countRows(t, s) != 3 {
		t.Fatalf("correction: %s", r.body)
	}
}

func TestHandlerBadRequests(t *testing.T) {
	s := storetest.MustOpen(t)
	srv := httptest.NewServer(outcomes.Handler(s, testToken, known, nil))
	defer srv.Close()
	auth := "Bearer " + testToken
	big := `{"values":[` + strings.Repeat(`{"metric":"mrr","date":"2026-11-16","value":1},`, 30000) + `{"metric":"mrr","date":"2026-11-17","value":1}]}`
	cases := map[string]struct {
		method, contentType, body string
		status                    int
		want                      []string // error texts, each a prefix of the matching error
	}{
		"BadJSON":       {"POST", "application/json", `{"values":[{"metric":"mrr",}]}`, 400, []string{"body is not valid JSON"}},
		"NotAnObject":   {"POST", "", `[1,2]`, 400, []string{"body is not valid JSON"}},
		"ValueAsString": {"POST", "", `{"values":[{"metric":"mrr","date":"2026-11-16","value":"12"}]}`, 400, []string{"body is not valid JSON"}},
		"UnknownField":  {"POST", "", `{"values":[{"metric":"mrr","date":"2026-11-16","value":1,"colour":"red"}]}`, 400, []string{"body is not valid JSON"}},
		"TrailingData":  {"POST", "", `{"values":[{"metric":"mrr","date":"2026-11-16","value":1}]} {}`, 400, []string{"body has data after"}},
		"NoValues":      {"POST", "", `{"values":[]}`, 400, []string{"values: at least one value"}},
		"PerItem": {"POST", "", `{"values":[
			{"metric":"mrr","date":"2026-11-16","value":1},
			{"metric":"mrr","date":"16.11.2026","value":1},
			{"metric":"mrr","date":"2026-11-17"},
			{"metric":"arr","date":"2026-11-16","value":1},
			{"metric":"mrr","date":"2026-11-16","value":2},
			{"metric":"mrr","date":"2026-11-18","value":2,"unit":"USD"}]}`, 400, []string{
			`values[1].date: date "16.11.2026" is not a date`,
			`values[2].value: required`,
			`values[3]: unknown metric "arr"`,
			`values[4]: duplicate of values[0]`,
			`values[5]: unit "USD" differs`,
		}},
		"TooLarge":    {"POST", "", big, 413, []string{"body is larger than 1048576 bytes"}},
		"WrongMethod": {"GET", "", "", 405, []string{"method GET is not allowed"}},
		"NotJSONType": {"POST", "text/csv", "date,metric,value\n", 415, []string{"content type text/csv"}},
		"Control":     {"POST", "", goodBody, 200, nil}, // control: the good body is accepted
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := push(t, srv, tc.method, auth, tc.contentType, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.want == nil {
				return
			}
			errs := jsonErrors(t, r.body)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %q, want %d", errs, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(errs[i], w) {
					t.Errorf("error %d = %q, want prefix %q", i, errs[i], w)
				}
			}
		})
	}
	// Only the control stored anything: its 3 values.
	if n := countRows(t, s); n != 3 {
		t.Fatalf("%d rows after the bad requests, want 3 (from the control)", n)
	}
}

func TestHandlerSinkFailure(t *testing.T) {
	srv := httptest.NewServer(outcomes.Handler(failSink{}, testToken, nil, nil))
	defer srv.Close()
	r := push(t, srv, http.MethodPost, "Bearer "+testToken, "", goodBody)
	if r.status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", r.status)
	}
	// The database's error stays in the log, not in the answer.
	if errs := jsonErrors(t, r.body); strings.Contains(errs[0], "database down") {
		t.Fatalf("internal error leaked: %q", errs)
	}
}

type recordSink struct{ got []outcomes.Value }

func (r *recordSink) OutcomeUpsertMany(_ context.Context, v []outcomes.Value) error {
	r.got = append(r.got, v...)
	return nil
}

// With no metric definitions any metric is accepted; a sink that cannot
// count gets the received count only.
func TestHandlerNoDefinitions(t *testing.T) {
	sink := &recordSink{}
	srv := httptest.NewServer(outcomes.Handler(sink, testToken, nil, nil))
	defer srv.Close()
	r := push(t, srv, http.MethodPost, "Bearer "+testToken, "", `{"values":[{"metric":"anything","date":"2026-11","value":-1.5}]}`)
	if r.status != http.StatusOK || strings.TrimSpace(r.body) != `{"received":1}` {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if len(sink.got) != 1 || sink.got[0].Metric != "anything" || !sink.got[0].Date.Equal(day(2026, 11, 1)) || sink.got[0].Value != -1.5 {
		t.Fatalf("sink got %+v", sink.got)
	}
	// Another path under the same server is not this endpoint.
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/api/v1/outcomes/x", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("other path: %d, want 404", resp.StatusCode)
	}
}
