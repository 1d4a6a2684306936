package jirasim

import (
	"net/http/httptest"
	"testing"
)

// NewTestServer starts a simulated site on a loopback httptest server that
// is closed when the test ends. It fails the test on a bad config.
func NewTestServer(t testing.TB, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	sv, err := New(cfg)
	if err != nil {
		t.Fatalf("jirasim: %v", err)
	}
	ts := httptest.NewServer(sv)
	t.Cleanup(ts.Close)
	return sv, ts
}
