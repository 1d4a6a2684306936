package jirasim

import (
	"fmt"
	"testing"
	"time"
)

// FuzzParseJQL: the simulator's JQL parser answers any text with a query or
// a *jqlError, never a panic; the incremental query a sync writes (updated
// >= "yyyy-MM-dd HH:mm" in a zone) reads back to the minute it names.
func FuzzParseJQL(f *testing.F) {
	for _, s := range []string{
		`ORDER BY created ASC, key ASC`,
		`updated >= "2026-11-16 10:05" ORDER BY created ASC, key ASC`,
		`project = APP AND issuetype in (Bug, "Story") AND sprint in openSprints() ORDER BY key DESC`,
		`key in (APP-1, APP-2) AND created < "2026-01-01"`, `updated >= "`, `(((`, `project = "unterminated`,
		`updated >= "0000-01-01 00:00"`, `updated >= -1d`, ``,
	} {
		f.Add(s, int64(1763287500), int8(9))
	}
	f.Fuzz(func(t *testing.T, src string, unix int64, zone int8) {
		q, err := parseJQL(src, time.UTC)
		if err == nil {
			_ = q.bounded()
		} else if _, ok := err.(*jqlError); !ok {
			t.Fatalf("parseJQL(%q): error %T %v is not a *jqlError", src, err, err)
		}
		// Round trip of sync's incremental clause.
		loc := time.FixedZone("", int(zone%15)*3600)
		at := time.Unix(unix%(8000*365*86400), 0).In(loc)
		if y := at.Year(); y < 1 || y > 9999 {
			return
		}
		clause := fmt.Sprintf(`updated >= "%s" ORDER BY created ASC, key ASC`, at.Format("2006-01-02 15:04"))
		q, err = parseJQL(clause, loc)
		if err != nil || len(q.times) != 1 || q.times[0].field != "updated" || q.times[0].op != ">=" ||
			!q.times[0].t.Equal(at.Truncate(time.Minute)) {
			t.Fatalf("parseJQL(%q) = %+v, %v; want updated >= %v", clause, q, err, at.Truncate(time.Minute))
		}
	})
}
