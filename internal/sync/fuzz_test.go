package sync

import (
	"strings"
	"testing"
	"time"
)

// FuzzJQL: the board query of a run is either the full query or one
// "updated >=" clause whose quoted minute, read back in the zone it was
// written in, is at most the watermark and less than an hour and a minute
// before it (a repeated hour when clocks go back may read as its first
// pass): never later, which would lose updates.
func FuzzJQL(f *testing.F) {
	f.Add(int64(1763287500), uint8(0), false)
	f.Add(int64(1762045200), uint8(2), false) // 2025-11-02 01:00 in New York, the repeated hour
	f.Add(int64(0), uint8(4), true)
	f.Add(int64(-62135596800), uint8(1), false) // 0001-01-01 UTC
	zones := []string{"UTC", "Asia/Tokyo", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Kiritimati"}
	f.Fuzz(func(t *testing.T, unix int64, zone uint8, full bool) {
		loc, err := time.LoadLocation(zones[int(zone)%len(zones)])
		if err != nil {
			t.Fatal(err)
		}
		since := time.Unix(unix%(9000*365*86400), 0).UTC()
		if y := since.In(loc).Year(); y < 1 || y > 9999 {
			return
		}
		s := &Syncer{cfg: Config{Location: loc}, jqlLoc: loc}
		q := s.jql(checkpoint{Full: full, Since: since})
		const order = "ORDER BY created ASC, key ASC"
		if full {
			if q != order {
				t.Fatalf("full query %q", q)
			}
			return
		}
		rest, ok := strings.CutPrefix(q, `updated >= "`)
		minute, tail, ok2 := strings.Cut(rest, `"`)
		if !ok || !ok2 || tail != " "+order {
			t.Fatalf("query %q is not updated >= \"…\" %s", q, order)
		}
		at, err := time.ParseInLocation("2006-01-02 15:04", minute, loc)
		if err != nil || at.After(since) || since.Sub(at) >= time.Hour+time.Minute {
			t.Fatalf("query %q reads as %v (%v) for watermark %v in %s", q, at, err, since, loc)
		}
	})
}
