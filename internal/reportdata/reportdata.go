// Package reportdata assembles the weekly report's input from the store:
// the boards the configuration selects, each as it stood at the end of the
// week (compute.ReadBoard), and the data freshness per site. The weekly
// report (`analyzer report`, the scheduled delivery) and the dashboard
// read their figures through it, so both show the same numbers.
package reportdata

import (
	"context"
	"log/slog"
	"slices"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/compute"
	"github.com/backlog-health/analyzer/internal/config"
	"github.com/backlog-health/analyzer/internal/report"
	"github.com/backlog-health/analyzer/internal/store"
)

// Board is one board of the week: its report input and what was read.
type Board struct {
	Board analyzer.Board
	Team  report.TeamInput
	At    compute.BoardAt
}

// Week is every selected board of one week.
type Week struct {
	Boards   []Board
	DataAsOf []report.SiteAsOf
}

// Teams returns the report inputs.
func (w Week) Teams() []report.TeamInput {
	out := make([]report.TeamInput, len(w.Boards))
	for i, b := range w.Boards {
		out[i] = b.Team
	}
	return out
}

// Read reads every stored board the configured sites select (all when none
// is configured; only boardID when non-zero) as it stood at the end of
// week. Boards never computed, or without a snapshot for the week, are
// skipped with a warning and make their site's as-of time unknown.
func Read(ctx context.Context, s *store.Store, week report.ISOWeek, loc *time.Location, sites []config.SiteConfig, boardID int64, log *slog.Logger) (Week, error) {
	boards, err := s.BoardList(ctx)
	if err != nil {
		return Week{}, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var out Week
	asOf := newSiteAsOf(sites)
	for _, b := range boards {
		if !asOf.includes(b.SiteID, b.ID) {
			continue // a site or board no longer configured: no longer synced either
		}
		if boardID != 0 && b.ID != boardID {
			continue
		}
		team, at, err := TeamInput(ctx, s, b.SiteID, b.ID, week, loc)
		if store.IsNotFound(err) {
			log.Warn("board has no KPI snapshot for the week; run `analyzer compute`", slog.String("site", b.SiteID), slog.Int64("board_id", b.ID),
				slog.String("week", week.String()), slog.Any("error", err))
			asOf.add(b.SiteID, nil)
			continue
		}
		if err != nil {
			return Week{}, err
		}
		asOf.add(b.SiteID, at.Snapshot.DataAsOf)
		out.Boards = append(out.Boards, Board{Board: b, Team: team, At: at})
	}
	out.DataAsOf = asOf.list()
	return out, nil
}

// TeamInput reads one board as it stood at the end of the report week
// (compute.ReadBoard) into the report's team input.
func TeamInput(ctx context.Context, s *store.Store, siteID string, boardID int64, week report.ISOWeek, loc *time.Location) (report.TeamInput, compute.BoardAt, error) {
	b, err := compute.ReadBoard(ctx, s, siteID, boardID, week.Start(loc), week.End(loc))
	if err != nil {
		return report.TeamInput{}, b, err
	}
	snap := b.Snapshot
	return report.TeamInput{
		SiteID: siteID, BoardID: boardID, BoardName: snap.BoardName, Unit: snap.Unit, Cycles: snap.Cycles,
		DataQuality:     snap.DataQuality,
		EstimationField: snap.EstimationField, EstimationSource: snap.EstimationSource,
		Sprints: b.Sprints, Weeks: b.Weeks,
	}, b, nil
}

// siteAsOfs collects, per site, the oldest data as-of time of its boards,
// and says which stored boards the configuration still selects.
type siteAsOfs struct {
	configured map[string]config.SiteConfig // nil: no site configured, every stored board counts
	order      []string
	sites      map[string]*siteAsOf
}

type siteAsOf struct {
	boards  int
	missing bool       // a board without a completed sync or without KPIs
	oldest  *time.Time // the oldest as-of among the boards with one
}

func newSiteAsOf(sites []config.SiteConfig) *siteAsOfs {
	a := &siteAsOfs{sites: map[string]*siteAsOf{}}
	if len(sites) > 0 {
		a.configured = map[string]config.SiteConfig{}
		for _, s := range sites {
			a.configured[s.ID] = s
			a.site(s.ID)
		}
	}
	return a
}

func (a *siteAsOfs) site(id string) *siteAsOf {
	s := a.sites[id]
	if s == nil {
		s = &siteAsOf{}
		a.sites[id] = s
		a.order = append(a.order, id)
	}
	return s
}

// includes reports whether a stored board belongs in the report: its site
// is configured and selects it (or no site is configured at all).
func (a *siteAsOfs) includes(siteID string, boardID int64) bool {
	if a.configured == nil {
		return true
	}
	s, ok := a.configured[siteID]
	return ok && (s.Boards.All || slices.Contains(s.Boards.IDs, boardID))
}

// add records one board's as-of time (nil: no completed sync or no KPIs).
func (a *siteAsOfs) add(siteID string, asOf *time.Time) {
	s := a.site(siteID)
	s.boards++
	switch {
	case asOf == nil:
		s.missing = true
	case s.oldest == nil || asOf.Before(*s.oldest):
		s.oldest = asOf
	}
}

// list returns one entry per site; a site without boards, or with a board
// lacking data, has no as-of time.
func (a *siteAsOfs) list() []report.SiteAsOf {
	out := make([]report.SiteAsOf, 0, len(a.order))
	for _, id := range a.order {
		s := a.sites[id]
		e := report.SiteAsOf{SiteID: id}
		if s.boards > 0 && !s.missing {
			e.AsOf = s.oldest
		}
		out = append(out, e)
	}
	return out
}
