package dsn_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/backlog-health/analyzer/internal/dsn"
)

// One case per shape lib/pq accepts. secrets are the password as written,
// as lib/pq decodes it, and the parts a careless redaction would leave
// (the text after a "#", "/" or space); none may survive.
var cases = []struct {
	name, pw, in, want string // pw: the password lib/pq reads from in
	secrets            []string
}{
	{"URL", "hunter2pw", "postgres://bob:hunter2pw@db.example:5432/app?sslmode=disable",
		"postgres://bob:xxxxx@db.example:5432/app?sslmode=disable", []string{"hunter2pw"}},
	{"URLPostgresql", "hunter2pw", "postgresql://bob:hunter2pw@db.example/app",
		"postgresql://bob:xxxxx@db.example/app", []string{"hunter2pw"}},
	// url.Parse reads this as host "bob", port "12" and a fragment.
	{"URLHash", "12#secret", "postgres://bob:12#secret@db.example/app",
		"postgres://bob:xxxxx@db.example/app", []string{"12#secret", "#secret"}},
	{"URLSlash", "pa/ss/word", "postgres://bob:pa/ss/word@db.example/app",
		"postgres://bob:xxxxx@db.example/app", []string{"pa/ss/word", "ss/word"}},
	{"URLQuestionMark", "qq?zz99", "postgres://bob:qq?zz99@db.example/app",
		"postgres://bob:xxxxx@db.example/app", []string{"qq?zz99", "zz99"}},
	{"URLStrayPercent", "50%off-sale", "postgres://bob:50%off-sale@db.example/app",
		"postgres://bob:xxxxx@db.example/app", []string{"50%off-sale", "off-sale"}},
	{"URLPercentEncoded", "p@ss#word", "postgres://bob:p%40ss%23word@db.example/app",
		"postgres://bob:xxxxx@db.example/app", []string{"p%40ss%23word", "p@ss#word"}},
	{"URLAt", "p@ss@word", "postgres://bob:p@ss@word@db.example/app",
		"postgres://bob:xxxxx@db.example/app", []string{"p@ss@word", "ss@word"}},
	{"URLSpace", "a b c d", "postgres://bob:a b c d@db.example/app",
		"postgres://bob:xxxxx@db.example/app", []string{"a b c d"}},
	{"URLQueryParam", "hunter2pw", "postgres://bob@db.example/app?sslmode=disable&password=hunter2pw",
		"postgres://bob@db.example/app?sslmode=disable&password=xxxxx", []string{"hunter2pw"}},
	{"URLQueryParamHash", "hunt#er2#frag", "postgres://db.example/app?password=hunt%23er2#frag&sslmode=disable",
		"postgres://db.example/app?password=xxxxx&sslmode=disable", []string{"hunt%23er2", "hunt#er2", "er2#frag"}},
	{"URLQueryParamEncodedKey", "hunter2pw", "postgres://db.example/app?pass%77ord=hunter2pw",
		"postgres://db.example/app?pass%77ord=xxxxx", []string{"hunter2pw"}},
	{"URLSSLPassword", "keyphrase9", "postgres://bob@db.example/app?sslpassword=keyphrase9",
		"postgres://bob@db.example/app?sslpassword=xxxxx", []string{"keyphrase9"}},
	{"URLNoPassword", "", "postgres://bob@db.example/app", "postgres://bob@db.example/app", nil},
	{"KeyValue", "hunter2pw", "host=db user=bob password=hunter2pw dbname=app",
		"host=db user=bob password=xxxxx dbname=app", []string{"hunter2pw"}},
	{"KeyValueQuotedSpaces", "a b c secret", "host=db password='a b c secret' dbname=app",
		"host=db password=xxxxx dbname=app", []string{"a b c secret", "b c secret", "secret'"}},
	{"KeyValueEscapedQuote", "it's a secret", `host=db password='it\'s a secret' dbname=app`,
		"host=db password=xxxxx dbname=app", []string{"it's a secret", `it\'s`, "s a secret"}},
	{"KeyValueBackslashSpace", "sec ret99", `host=db password=sec\ ret99 dbname=app`,
		"host=db password=xxxxx dbname=app", []string{"sec ret99", `sec\ ret99`, "ret99"}},
	{"KeyValueSpacesAroundEquals", "hunter2pw", "host=db password = hunter2pw dbname=app",
		"host=db password=xxxxx dbname=app", []string{"hunter2pw"}},
	{"KeyValueUnterminatedQuote", "never ends dbname=app", "host=db password='never ends dbname=app",
		"host=db password=xxxxx", []string{"never ends", "ends"}},
	{"KeyValueUpperCaseKey", "hunter2pw", "host=db PASSWORD=hunter2pw", "host=db PASSWORD=xxxxx", []string{"hunter2pw"}},
	{"KeyValueSSLPassword", "key phrase", "host=db sslpassword='key phrase'", "host=db sslpassword=xxxxx", []string{"key phrase", "phrase"}},
	{"KeyValueMissingEquals", "", "host=db oops password=hunter2pw", "host=db oops xxxxx", []string{"hunter2pw"}},
	{"KeyValueNoPassword", "", "host=db user=bob dbname=app sslmode=disable", "host=db user=bob dbname=app sslmode=disable", nil},
}

func TestRedact(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := dsn.Redact(tc.in)
			if got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
			for _, s := range tc.secrets {
				if strings.Contains(got, s) {
					t.Errorf("Redact(%q) = %q shows %q", tc.in, got, s)
				}
			}
		})
	}
}

// An error that quotes the DSN, or any form of its password, is scrubbed.
func TestRedactErrorHidesEveryForm(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := errors.New("base")
			err := fmt.Errorf("connect to %s (password %s): %w", tc.in, tc.pw, base)
			got := dsn.RedactError(tc.in, err)
			for _, s := range tc.secrets {
				if strings.Contains(got.Error(), s) {
					t.Errorf("RedactError shows %q: %v", s, got)
				}
			}
			if !errors.Is(got, base) || !strings.Contains(got.Error(), "connect to ") {
				t.Errorf("RedactError lost the chain or the text: %v", got)
			}
		})
	}
	if dsn.RedactError("host=db", nil) != nil {
		t.Error("RedactError(nil) is not nil")
	}
}

// lib/pq's own errors for URLs that do not parse quote the whole URL; the
// redacted error keeps the *url.Error reachable but never shows the secret.
func TestRedactErrorOfLibPQ(t *testing.T) {
	for _, d := range []string{
		"postgres://bob:pa/ss/word@127.0.0.1:1/app",
		"postgres://bob:50%zzoff-sale@127.0.0.1:1/app",
		"postgres://bob:a b c d@127.0.0.1:1/app",
		"host=127.0.0.1 port=1 password='never ends",
		"host=127.0.0.1 port=1 connect_timeout=2 password='a b c d' sslmode=disable",
	} {
		db, err := sql.Open("postgres", d)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err = db.PingContext(ctx)
			cancel()
			_ = db.Close()
		}
		if err == nil {
			t.Fatalf("%q: connected to port 1", d)
		}
		red := dsn.RedactError(d, err)
		for _, s := range []string{"ss/word", "zzoff", "b c d", "never ends", "pa/ss"} {
			if strings.Contains(red.Error(), s) {
				t.Errorf("%q: %v shows %q", d, red, s)
			}
		}
		var ue *url.Error
		if strings.HasPrefix(d, "postgres://") && (!errors.As(red, &ue) || !strings.Contains(red.Error(), "percent-encode")) {
			t.Errorf("%q: %v: want the *url.Error kept and a hint", d, red)
		}
	}
}
