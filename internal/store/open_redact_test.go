package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/backlog-health/analyzer/internal/store"
)

// The main database URL in odd shapes: whatever lib/pq says about it, the
// error names the server but never the password.
func TestOpenHidesPassword(t *testing.T) {
	for _, d := range []string{
		"postgres://bob:pa/ss%word@127.0.0.1:1/app?sslmode=disable",
		"postgres://bob:12#hunter2x@127.0.0.1:1/app",
		"host=127.0.0.1 port=1 user=bob password='hunter2 x y' connect_timeout=2 sslmode=disable",
		"host=127.0.0.1 port=1 password='hunter2 never ends",
	} {
		_, err := store.Open(context.Background(), d)
		if err == nil {
			t.Fatalf("%q: connected to port 1", d)
		}
		for _, s := range []string{"hunter2", "ss%word", "pa/ss"} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("%q: %v shows %q", d, err, s)
			}
		}
		if !strings.Contains(err.Error(), "xxxxx") {
			t.Errorf("%q: %v: want the redacted URL named", d, err)
		}
	}
}
