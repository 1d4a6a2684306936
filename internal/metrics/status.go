package metrics

import (
	"slices"
	"strings"

	analyzer "github.com/backlog-health/analyzer"
)

// Status categories (docs/metrics.md#status-categories). The site's status
// list (GET /rest/api/2/status) names only the statuses of active
// workflows; changelogs and issues name others. A status's category comes
// from, in order:
//
//  1. the configured override (Options.StatusCategories, by id or name);
//  2. the site's status list;
//  3. any issue currently in that status (Issue.StatusCategory, which Jira
//     sends with every issue);
//  4. the board's columns: the first column is not started, the last one
//     done, the columns between in progress;
//
// and a status none of these knows is flagged (FlagStatusCategoryUnknown).

func knownCategory(c string) bool {
	return c == analyzer.CategoryNew || c == analyzer.CategoryInProgress || c == analyzer.CategoryDone
}

// statusNames maps every status id the board's data names to a name: from
// the status list first, then issues' current statuses, then changelogs.
// byName maps lower-case names back to ids (the listed ones first).
func statusNames(d *BoardData) (names map[string]string, byName map[string][]string) {
	names, byName = map[string]string{}, map[string][]string{}
	add := func(id, name string) {
		if id == "" || name == "" {
			return
		}
		if _, ok := names[id]; ok {
			return
		}
		names[id] = name
		k := strings.ToLower(name)
		byName[k] = append(byName[k], id)
	}
	ids := make([]string, 0, len(d.Statuses))
	for id := range d.Statuses {
		ids = append(ids, id)
	}
	slices.Sort(ids) // deterministic byName order
	for _, id := range ids {
		add(id, d.Statuses[id].Name)
	}
	for i := range d.Issues {
		add(d.Issues[i].StatusID, d.Issues[i].StatusName)
	}
	for i := range d.Issues {
		for _, c := range d.Changes[d.Issues[i].ID] {
			if c.FieldID == "status" || (c.FieldID == "" && strings.EqualFold(c.Field, "status")) {
				add(c.FromValue, c.FromString)
				add(c.ToValue, c.ToString)
			}
		}
	}
	return names, byName
}

// resolveCategories fills p.category for every status the list, the
// issues, the histories and the board's columns name, and returns the ids
// seen in some issue's history whose category stays unknown, sorted.
func (p *prepared) resolveCategories() []string {
	d := p.d
	seen := map[string]bool{}
	for i := range p.hist {
		for _, s := range p.hist[i].status {
			if s.id != "" {
				seen[s.id] = true
			}
		}
	}
	for id, s := range d.Statuses {
		if knownCategory(s.CategoryKey) {
			p.category[id] = s.CategoryKey
		}
	}
	for i := range d.Issues {
		is := &d.Issues[i]
		if _, ok := p.category[is.StatusID]; !ok && is.StatusID != "" && knownCategory(is.StatusCategory) {
			p.category[is.StatusID] = is.StatusCategory
		}
	}
	var cols [][]string
	for _, c := range d.Board.Columns {
		if len(c.StatusIDs) > 0 {
			cols = append(cols, c.StatusIDs)
		}
	}
	if len(cols) >= 2 { // one column says nothing about order
		for k, ids := range cols {
			cat := analyzer.CategoryInProgress
			switch k {
			case 0:
				cat = analyzer.CategoryNew
			case len(cols) - 1:
				cat = analyzer.CategoryDone
			}
			for _, id := range ids {
				if _, ok := p.category[id]; !ok {
					p.category[id] = cat
				}
			}
		}
	}
	for key, cat := range p.opt.StatusCategories {
		k := strings.TrimSpace(key)
		matched := false
		for _, id := range p.byName[strings.ToLower(k)] {
			p.category[id], matched = cat, true
		}
		if _, listed := d.Statuses[k]; listed || seen[k] || !matched {
			p.category[k] = cat // an id (or a name nothing else knows)
		}
	}
	var unknown []string
	for id := range seen {
		if _, ok := p.category[id]; !ok {
			unknown = append(unknown, id)
		}
	}
	slices.Sort(unknown)
	return unknown
}

// categorySet returns the ids of every status of category cat.
func (p *prepared) categorySet(cat string) map[string]bool {
	set := map[string]bool{}
	for id, c := range p.category {
		if c == cat {
			set[id] = true
		}
	}
	return set
}

// resolveStatuses turns configured ids or names into a set of status ids;
// no names selects every status of defaultCategory (none when it is "").
func (p *prepared) resolveStatuses(names []string, defaultCategory string) map[string]bool {
	if len(names) == 0 {
		if defaultCategory == "" {
			return map[string]bool{}
		}
		return p.categorySet(defaultCategory)
	}
	set := map[string]bool{}
	for _, n := range names {
		if _, ok := p.names[n]; ok {
			set[n] = true
			continue
		}
		if ids := p.byName[strings.ToLower(n)]; len(ids) > 0 {
			for _, id := range ids {
				set[id] = true
			}
			continue
		}
		set[n] = true // named nowhere: keep as an id
	}
	return set
}

// statusName is a status's name for display: from the status list, an issue
// or a changelog; the id when none names it.
func (p *prepared) statusName(id string) string {
	if n, ok := p.names[id]; ok {
		return n
	}
	return id
}
