package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Every format states each site's as-of time. The fixture's week 2026-W47
// ends on Monday 2026-11-23 00:00 Europe/Berlin; acme's data is as of 06:00
// that Monday (after the end: covers the week), globex's as of Saturday
// 2026-11-21 18:00 (before it).
func TestAsOfInEveryFormat(t *testing.T) {
	r := mustBuild(t, fixtureInput(t))
	rendered, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	const line = "Data as of (last completed sync): acme 2026-11-23 06:00 CET · globex 2026-11-21 18:00 CET (before the week's end: later changes are missing)"
	if got := r.AsOfText(); got != line {
		t.Fatalf("as-of text\n got %q\nwant %q", got, line)
	}
	if !strings.Contains(string(rendered.HTML), "<p class=\"meta as-of\">Data as of (last completed sync): acme 2026-11-23 06:00 CET · globex 2026-11-21 18:00 CET (before the week&#39;s end: later changes are missing)</p>") {
		t.Error("HTML lacks the as-of line")
	}
	if !strings.Contains(string(rendered.Markdown), "acme 2026-11-23 06:00 CET · globex 2026-11-21 18:00 CET (before the week's end") {
		t.Error("Markdown lacks the as-of line")
	}
	var doc struct {
		SchemaVersion int `json:"schema_version"`
		DataAsOf      []struct {
			SiteID     string     `json:"site_id"`
			AsOf       *time.Time `json:"as_of"`
			CoversWeek bool       `json:"covers_week"`
		} `json:"data_as_of"`
	}
	if err := json.Unmarshal(rendered.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != 4 || len(doc.DataAsOf) != 2 || doc.DataAsOf[0].SiteID != "acme" || !doc.DataAsOf[0].CoversWeek ||
		doc.DataAsOf[1].CoversWeek || !doc.DataAsOf[1].AsOf.Equal(time.Date(2026, 11, 21, 17, 0, 0, 0, time.UTC)) {
		t.Fatalf("JSON data_as_of: %+v", doc)
	}
	// Slack's context line, and e-mail (whose parts are the Markdown and HTML above).
	b, _ := json.Marshal(SlackMessage(r, ""))
	if !bytes.Contains(b, []byte("acme 2026-11-23 06:00 CET · globex 2026-11-21 18:00 CET (before the week's end")) {
		t.Errorf("Slack message lacks the as-of line: %s", b)
	}
	// No data at all is said too.
	in := fixtureInput(t)
	in.DataAsOf = []SiteAsOf{{SiteID: "acme"}}
	if got := mustBuild(t, in).AsOfText(); got != "Data as of (last completed sync): acme has no completed sync yet" {
		t.Errorf("no sync: %q", got)
	}
}

// DataWait: a report for week W waits unless every site has data synced at
// or after end(W) − maxAge. W47 ends 2026-11-23 00:00 CET.
func TestDataWait(t *testing.T) {
	loc := mustLoc(t)
	at := func(day, hour int) *time.Time { return ptr(time.Date(2026, 11, day, hour, 0, 0, 0, loc)) }
	for name, c := range map[string]struct {
		sites  []SiteAsOf
		maxAge time.Duration
		want   *DataWait // Week is filled in below
	}{
		"NoSites":   {nil, 36 * time.Hour, &DataWait{Reason: WaitNoData}},
		"NoSync":    {[]SiteAsOf{{SiteID: "a", AsOf: at(23, 6)}, {SiteID: "b"}}, 36 * time.Hour, &DataWait{SiteID: "b", Reason: WaitNoData}},
		"Fresh":     {[]SiteAsOf{{SiteID: "a", AsOf: at(23, 6)}}, 36 * time.Hour, nil},
		"Tolerated": {[]SiteAsOf{{SiteID: "a", AsOf: at(21, 12)}}, 36 * time.Hour, nil}, // exactly end − 36 h
		// One hour older than end − 36 h.
		"Stale": {[]SiteAsOf{{SiteID: "a", AsOf: at(21, 11)}}, 36 * time.Hour, &DataWait{SiteID: "a", AsOf: at(21, 11), Reason: WaitStale}},
		// Two stale sites: the older is named.
		"Oldest": {[]SiteAsOf{{SiteID: "a", AsOf: at(20, 9)}, {SiteID: "b", AsOf: at(19, 9)}, {SiteID: "c", AsOf: at(23, 1)}}, 36 * time.Hour,
			&DataWait{SiteID: "b", AsOf: at(19, 9), Reason: WaitStale}},
		// Zero tolerance: Sunday 23:00 is before the end.
		"ZeroAge": {[]SiteAsOf{{SiteID: "a", AsOf: at(22, 23)}}, 0, &DataWait{SiteID: "a", AsOf: at(22, 23), Reason: WaitStale}},
	} {
		t.Run(name, func(t *testing.T) {
			in := fixtureInput(t)
			in.DataAsOf = c.sites
			got := mustBuild(t, in).DataWait(c.maxAge)
			if c.want == nil {
				if got != nil {
					t.Fatalf("got %+v, want nil", got)
				}
				return
			}
			c.want.Week = ISOWeek{2026, 47}
			if got == nil || got.Week != c.want.Week || got.SiteID != c.want.SiteID || got.Reason != c.want.Reason ||
				(got.AsOf == nil) != (c.want.AsOf == nil) || (got.AsOf != nil && !got.AsOf.Equal(*c.want.AsOf)) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
