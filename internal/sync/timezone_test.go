package sync_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"github.com/backlog-health/analyzer/internal/sync"
)

// Jira reads JQL dates in the API account's profile zone, not in the zone
// the analyzer is configured with. Written in the wrong zone, the
// incremental bound lands hours late and updates are lost for good: with
// Asia/Tokyo configured (UTC+9) against a UTC account, "updated >= 18:00"
// meant 09:00 UTC but is read as 18:00 UTC; with UTC configured against a
// Los Angeles account (UTC-8), "09:00" is read as 17:00 UTC. Either way the
// 10 issues touched a moment ago were not fetched. The sync writes the
// bound in the account's zone, so each run fetches exactly those 10.
func TestIncrementalUsesTheAccountTimeZone(t *testing.T) {
	for _, tc := range []struct{ account, configured string }{
		{"Etc/UTC", "Asia/Tokyo"},
		{"America/Los_Angeles", "UTC"},
		{"Asia/Kolkata", "America/New_York"},
	} {
		t.Run(tc.account+"/"+tc.configured, func(t *testing.T) {
			configured, err := time.LoadLocation(tc.configured)
			if err != nil {
				t.Fatal(err)
			}
			// The site's present is an hour ago, so only touched issues fall
			// inside the next run's overlap window.
			site := newSim(t, jirasim.Config{Issues: 300, Teams: 2, Seed: 5, Now: time.Now().Add(-time.Hour), AccountTimeZone: tc.account})
			st := storetest.MustOpen(t)
			runSync(t, st, site, sync.Config{Location: configured})
			site.sim.Touch(10, time.Now())
			res := runSync(t, st, site, sync.Config{Location: configured})
			if res.Issues != 10 {
				t.Fatalf("incremental run fetched %d issues, want the 10 touched", res.Issues)
			}
			var stored string
			_ = st.DB().GetContext(context.Background(), &stored, `SELECT time_zone FROM jira_sites WHERE site_id = 'sim'`)
			if want, _ := time.LoadLocation(tc.account); stored != want.String() {
				t.Errorf("site time zone stored as %q, want the account's %q", stored, tc.account)
			}
		})
	}
}

// AccountLocation falls back on the configured zone when the profile names
// none, or one this machine does not know.
func TestAccountLocationFallback(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		me   *jira.User
		want string
	}{
		{&jira.User{TimeZone: "Europe/Zurich"}, "Europe/Zurich"},
		{&jira.User{TimeZone: ""}, "Asia/Tokyo"},
		{&jira.User{TimeZone: "Mars/Olympus_Mons"}, "Asia/Tokyo"},
		{nil, "Asia/Tokyo"},
	} {
		if got := sync.AccountLocation(tc.me, tokyo, log).String(); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.me, got, tc.want)
		}
	}
}
