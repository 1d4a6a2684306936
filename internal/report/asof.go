package report

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// SiteAsOf says how fresh one Jira site's data in a report is.
type SiteAsOf struct {
	SiteID string `json:"site_id"`
	// AsOf is the oldest sync watermark among the site's boards when their
	// KPIs were computed: every change made in Jira before it is in the
	// figures. Null when a board of the site has no completed sync or no
	// computed KPIs yet.
	AsOf *time.Time `json:"as_of"`
	// CoversWeek is true when AsOf is at or after the end of the report week,
	// so every change of the week is in the figures.
	CoversWeek bool `json:"covers_week"`
}

// Reasons a week's report waits for data.
const (
	WaitNoData = "no_data" // a site has no completed sync or no computed KPIs
	WaitStale  = "stale"   // a site's data is older than the week's end minus the allowed age
)

// DataWait says why a week's report is not delivered yet.
type DataWait struct {
	Week   ISOWeek
	SiteID string     // "" when no site has any data
	AsOf   *time.Time // the site's as-of time; nil with WaitNoData
	Reason string     // WaitNoData or WaitStale
}

// siteAsOf orders and localises the input's as-of times.
func siteAsOf(in []SiteAsOf, end time.Time, loc *time.Location) []SiteAsOf {
	out := make([]SiteAsOf, 0, len(in))
	for _, s := range in {
		o := SiteAsOf{SiteID: s.SiteID}
		if s.AsOf != nil {
			o.AsOf = ptr(s.AsOf.In(loc))
			o.CoversWeek = !s.AsOf.Before(end)
		}
		out = append(out, o)
	}
	slices.SortStableFunc(out, func(a, b SiteAsOf) int { return cmp.Compare(a.SiteID, b.SiteID) })
	return out
}

// DataWait returns why r must not be delivered yet as its week's report, or
// nil when it may be. The data must exist for every site (a completed sync
// and computed KPIs) and must be at least as fresh as the week's end minus
// maxAge: a report for week W is based on data synced at or after
// end(W) − maxAge. A site without data is named before a stale one; among
// stale sites the oldest is named.
func (r *Report) DataWait(maxAge time.Duration) *DataWait {
	if len(r.DataAsOf) == 0 {
		return &DataWait{Week: r.week, Reason: WaitNoData}
	}
	limit := r.week.End(r.loc).Add(-maxAge)
	var stale *DataWait
	for _, s := range r.DataAsOf {
		if s.AsOf == nil {
			return &DataWait{Week: r.week, SiteID: s.SiteID, Reason: WaitNoData}
		}
		if s.AsOf.Before(limit) && (stale == nil || s.AsOf.Before(*stale.AsOf)) {
			stale = &DataWait{Week: r.week, SiteID: s.SiteID, AsOf: s.AsOf, Reason: WaitStale}
		}
	}
	return stale
}

// AsOfText is the report's "data as of" line, the same in every format:
// each site's as-of time, and what is missing.
func (r *Report) AsOfText() string {
	if len(r.DataAsOf) == 0 {
		return "Data as of: no site has synced data yet."
	}
	parts := make([]string, 0, len(r.DataAsOf))
	for _, s := range r.DataAsOf {
		switch {
		case s.AsOf == nil:
			parts = append(parts, s.SiteID+" has no completed sync yet")
		case !s.CoversWeek:
			parts = append(parts, s.SiteID+" "+stamp(*s.AsOf)+" (before the week's end: later changes are missing)")
		default:
			parts = append(parts, s.SiteID+" "+stamp(*s.AsOf))
		}
	}
	return "Data as of (last completed sync): " + strings.Join(parts, " · ")
}

func stamp(t time.Time) string { return t.Format("2006-01-02 15:04 MST") }
