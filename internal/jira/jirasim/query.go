package jirasim

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// issueMeta is what JQL and ordering need to know about one issue.
type issueMeta struct {
	created, updated int64 // unix milliseconds
	proj             int   // index into backend.projects()
	typ              int   // index into backend.typeNames()
	status           int   // index into the backend's statuses (boardRule); -1 unknown
	num              int64 // key number
	sprints          []int64
}

// backend is a source of issues: the generator or a loaded dataset.
type backend interface {
	size() int
	meta(i int) issueMeta
	projects() []projectRef
	typeNames() []string
	lookup(keyOrID string) (int, bool)
	// sprintCandidates returns the issues that may hold sprint id (a superset).
	sprintCandidates(id int64) []int
	sprintByName(name string) (int64, bool)
	sprintExists(id int64) bool
	// boardIssues returns the issues on a board; ok=false: no such board.
	// A nil list means "the project's issues that pass boardRule".
	boardIssues(id int64) (list []int, proj int, ok bool)
	// boardRule says which of a project's issues a board shows: on a scrum
	// board no epics; only issues whose status (issueMeta.status) is mapped
	// to one of its columns (mapped[status]; nil: every status).
	boardRule(id int64) (scrum bool, mapped []bool)
}

type projectRef struct {
	id        int64
	key, name string
}

// idxEntry is the compact per-issue index (24 bytes) used to filter and sort
// searches without regenerating every issue.
type idxEntry struct {
	created, updated int64
	num              int32
	proj             uint16
	typ              uint8
	status           uint8 // noStatus when unknown
}

const noStatus = 255

// index is built on the first search and kept up to date by Touch.
type index struct {
	entries []idxEntry
}

func buildIndex(be backend) *index {
	n := be.size()
	ix := &index{entries: make([]idxEntry, n)}
	workers := max(1, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				ix.entries[i] = entryOf(be.meta(i))
			}
		}()
	}
	wg.Wait()
	return ix
}

func entryOf(m issueMeta) idxEntry {
	st := uint8(noStatus)
	if m.status >= 0 && m.status < noStatus {
		st = uint8(m.status)
	}
	return idxEntry{created: m.created, updated: m.updated, num: int32(m.num), proj: uint16(m.proj), typ: uint8(m.typ), status: st}
}

// onBoard applies a board's rule (backend.boardRule) to one index entry.
func onBoard(e idxEntry, scrum bool, mapped []bool, epicTyp int) bool {
	if scrum && int(e.typ) == epicTyp {
		return false
	}
	return mapped == nil || int(e.status) < len(mapped) && mapped[e.status]
}

// scope narrows a search to a board or a sprint (agile endpoints).
type scope struct {
	board  int64
	sprint int64
}

func (sc scope) String() string { return fmt.Sprintf("b%d/s%d", sc.board, sc.sprint) }

// queryCache keeps the ordered results of recent searches so that paging
// through a large result does not redo the work per page.
type queryCache struct {
	mu   sync.Mutex
	gen  uint64
	keys []string
	vals map[string][]int32
}

func (c *queryCache) get(k string, gen uint64) ([]int32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		c.keys, c.vals, c.gen = nil, nil, gen
	}
	v, ok := c.vals[k]
	return v, ok
}

func (c *queryCache) put(k string, gen uint64, v []int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.vals == nil {
		c.vals = map[string][]int32{}
	}
	if _, ok := c.vals[k]; !ok {
		c.keys = append(c.keys, k)
	}
	c.vals[k] = v
	if len(c.keys) > 8 {
		delete(c.vals, c.keys[0])
		c.keys = c.keys[1:]
	}
}

// search runs q within sc and returns matching issue indexes in order.
func (sv *Server) search(q *jqlQuery, sc scope) ([]int32, error) {
	ck := sc.String() + "|" + fmt.Sprintf("%+v", *q)
	ix, gen := sv.index()
	if v, ok := sv.qcache.get(ck, gen); ok {
		return v, nil
	}
	be := sv.be

	var projSet map[int]bool
	if len(q.projects) > 0 {
		projSet = map[int]bool{}
		for _, p := range q.projects {
			found := false
			for i, ref := range be.projects() {
				if strings.EqualFold(p, ref.key) || strings.EqualFold(p, ref.name) || p == strconv.FormatInt(ref.id, 10) {
					projSet[i], found = true, true
				}
			}
			if !found {
				return nil, &jqlError{fmt.Sprintf("The value '%s' does not exist for the field 'project'.", p)}
			}
		}
	}
	var typeSet map[int]bool
	if len(q.types) > 0 {
		typeSet = map[int]bool{}
		for _, t := range q.types {
			found := false
			for i, name := range be.typeNames() {
				if strings.EqualFold(t, name) {
					typeSet[i], found = true, true
				}
			}
			if !found {
				return nil, &jqlError{fmt.Sprintf("The value '%s' does not exist for the field 'issuetype'.", t)}
			}
		}
	}
	var sprintIDs []int64
	for _, s := range q.sprints {
		if id, ok := atoi(s); ok && be.sprintExists(id) {
			sprintIDs = append(sprintIDs, id)
			continue
		}
		id, ok := be.sprintByName(s)
		if !ok {
			return nil, &jqlError{fmt.Sprintf("Sprint with name '%s' does not exist or you do not have permission to view it.", s)}
		}
		sprintIDs = append(sprintIDs, id)
	}
	var keySet map[int]bool
	if len(q.keys) > 0 {
		keySet = map[int]bool{}
		for _, k := range q.keys {
			i, ok := be.lookup(k)
			if !ok {
				return nil, &jqlError{fmt.Sprintf("An issue with key '%s' does not exist for field 'key'.", k)}
			}
			keySet[i] = true
		}
	}

	// Candidates, narrowest first.
	var cands []int
	all := false
	switch {
	case keySet != nil:
		for i := range keySet {
			cands = append(cands, i)
		}
	case sc.sprint != 0 || len(sprintIDs) > 0:
		seen := map[int]bool{}
		ids := sprintIDs
		if sc.sprint != 0 {
			ids = []int64{sc.sprint}
		}
		for _, id := range ids {
			for _, i := range be.sprintCandidates(id) {
				if !seen[i] {
					seen[i] = true
					cands = append(cands, i)
				}
			}
		}
	case sc.board != 0:
		list, proj, _ := be.boardIssues(sc.board)
		if list != nil {
			cands = list
		} else {
			scrum, mapped := be.boardRule(sc.board)
			epicTyp := slices.IndexFunc(be.typeNames(), func(n string) bool { return strings.EqualFold(n, "Epic") })
			for i, e := range ix.entries {
				if int(e.proj) == proj && onBoard(e, scrum, mapped, epicTyp) {
					cands = append(cands, i)
				}
			}
		}
	default:
		all = true
	}
	var boardSet map[int]bool
	boardProj := -1
	var bScrum bool
	var bMapped []bool
	bEpic := -1
	if sc.board != 0 && (keySet != nil || len(sprintIDs) > 0 || sc.sprint != 0) {
		list, proj, _ := be.boardIssues(sc.board)
		if list != nil {
			boardSet = map[int]bool{}
			for _, i := range list {
				boardSet[i] = true
			}
		} else {
			boardProj = proj
			bScrum, bMapped = be.boardRule(sc.board)
			bEpic = slices.IndexFunc(be.typeNames(), func(n string) bool { return strings.EqualFold(n, "Epic") })
		}
	}

	match := func(i int) bool {
		e := ix.entries[i]
		if projSet != nil && !projSet[int(e.proj)] {
			return false
		}
		if typeSet != nil && !typeSet[int(e.typ)] {
			return false
		}
		if boardSet != nil && !boardSet[i] || boardProj >= 0 && (int(e.proj) != boardProj || !onBoard(e, bScrum, bMapped, bEpic)) {
			return false
		}
		for _, tc := range q.times {
			v := e.updated
			if tc.field == "created" {
				v = e.created
			}
			ms := tc.t.UnixMilli()
			ok := false
			switch tc.op {
			case ">=":
				ok = v >= ms
			case ">":
				ok = v > ms
			case "<=":
				ok = v <= ms
			case "<":
				ok = v < ms
			case "=":
				ok = v == ms
			}
			if !ok {
				return false
			}
		}
		if sc.sprint != 0 || len(sprintIDs) > 0 {
			cur := be.meta(i).sprints
			if sc.sprint != 0 && !slices.Contains(cur, sc.sprint) {
				return false
			}
			if len(sprintIDs) > 0 && !slices.ContainsFunc(sprintIDs, func(id int64) bool { return slices.Contains(cur, id) }) {
				return false
			}
		}
		return true
	}
	var out []int32
	if all {
		for i := range ix.entries {
			if match(i) {
				out = append(out, int32(i))
			}
		}
	} else {
		for _, i := range cands {
			if match(i) {
				out = append(out, int32(i))
			}
		}
	}

	projs := be.projects()
	keyCmp := func(a, b idxEntry) int {
		if a.proj != b.proj {
			return strings.Compare(projs[a.proj].key, projs[b.proj].key)
		}
		return cmp.Compare(a.num, b.num)
	}
	order := q.order
	if len(order) == 0 {
		order = []orderBy{{field: "key"}}
	}
	slices.SortStableFunc(out, func(x, y int32) int {
		a, b := ix.entries[x], ix.entries[y]
		for _, o := range order {
			c := 0
			switch o.field {
			case "updated":
				c = cmp.Compare(a.updated, b.updated)
			case "created":
				c = cmp.Compare(a.created, b.created)
			default:
				c = keyCmp(a, b)
			}
			if o.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return keyCmp(a, b)
	})
	sv.qcache.put(ck, gen, out)
	return out, nil
}
