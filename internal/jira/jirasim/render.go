package jirasim

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// fieldSel is a parsed `fields` request parameter.
type fieldSel struct {
	all bool
	key bool // "key" asked for explicitly
	inc map[string]bool
	exc map[string]bool
}

// parseFields parses comma-separated `fields` values; def applies when none.
func parseFields(vals []string, def string) fieldSel {
	var toks []string
	for _, v := range vals {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				toks = append(toks, t)
			}
		}
	}
	if len(toks) == 0 {
		toks = strings.Split(def, ",")
	}
	sel := fieldSel{inc: map[string]bool{}, exc: map[string]bool{}}
	for _, t := range toks {
		switch {
		case t == "*all" || t == "*navigable":
			sel.all = true
		case t == "id":
		case t == "key":
			sel.key = true
		case strings.HasPrefix(t, "-"):
			sel.exc[t[1:]] = true
		default:
			sel.inc[t] = true
		}
	}
	if len(sel.exc) > 0 && len(sel.inc) == 0 {
		sel.all = true
	}
	return sel
}

func (f fieldSel) hasFields() bool { return f.all || len(f.inc) > 0 }

func (f fieldSel) want(name string) bool {
	if f.exc[name] {
		return false
	}
	return f.all || f.inc[name]
}

// renderOpts says how to render issues for one request.
type renderOpts struct {
	base        string // scheme://host of the request, for self links
	v3          bool   // /rest/api/3: ADF for rich text
	agile       bool   // agile endpoints add sprint, closedSprints, epic, flagged
	sel         fieldSel
	changelog   bool
	truncate    int  // embedded changelog keeps the latest N histories; 0: all
	newestFirst bool // embedded histories newest first (Jira Cloud)
}

const issueExpand = "operations,versionedRepresentations,editmeta,changelog,renderedFields"

// frags are JSON fragments that depend only on the base URL and mode.
type frags struct {
	status   [][]byte
	types    [][]byte
	prio     [][]byte
	users    [][]byte
	projects [][]byte
	resDone  []byte
}

type fragCache struct {
	mu sync.Mutex
	m  map[string]*frags
}

// get returns the fragments for a base URL and API version ("2" or "3").
func (c *fragCache) get(s *site, base, v string) *frags {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.m[base+"|"+v]; ok {
		return f
	}
	if c.m == nil || len(c.m) > 64 {
		c.m = map[string]*frags{}
	}
	f := s.buildFrags(base, base+"/rest/api/"+v)
	c.m[base+"|"+v] = f
	return f
}

func one(fn func(w *jw)) []byte {
	var w jw
	fn(&w)
	return w.b
}

func statusJSON(w *jw, base, api string, i int, untranslated bool) {
	st := statuses[i]
	c := categories[st.cat]
	w.obj()
	w.ks("self", api+"/status/"+st.id)
	w.ks("description", st.desc)
	w.ks("iconUrl", base+"/images/icons/statuses/generic.png")
	w.ks("name", st.name)
	if untranslated {
		w.ks("untranslatedName", st.name)
	}
	w.ks("id", st.id)
	w.ko("statusCategory")
	w.ks("self", api+"/statuscategory/"+itoa(c.id))
	w.ki("id", int64(c.id))
	w.ks("key", c.key)
	w.ks("colorName", c.color)
	w.ks("name", c.name)
	w.end()
	w.end()
}

func (s *site) buildFrags(base, api string) *frags {
	f := &frags{}
	for i := range statuses {
		f.status = append(f.status, one(func(w *jw) { statusJSON(w, base, api, i, false) }))
	}
	for _, t := range issueTypes {
		f.types = append(f.types, one(func(w *jw) {
			w.obj()
			w.ks("self", api+"/issuetype/"+t.id)
			w.ks("id", t.id)
			w.ks("description", t.desc)
			w.ks("iconUrl", base+"/rest/api/2/universal_avatar/view/type/issuetype/avatar/"+itoa(t.avatar)+"?size=medium")
			w.ks("name", t.name)
			w.kb("subtask", t.level < 0)
			w.ki("avatarId", int64(t.avatar))
			if s.cfg.Mode == ModeCloud {
				w.ki("hierarchyLevel", int64(t.level))
			}
			w.end()
		}))
	}
	for _, p := range priorities {
		f.prio = append(f.prio, one(func(w *jw) {
			w.obj()
			w.ks("self", api+"/priority/"+p.id)
			w.ks("iconUrl", base+"/images/icons/priorities/"+strings.ToLower(p.name)+".svg")
			w.ks("name", p.name)
			w.ks("id", p.id)
			w.end()
		}))
	}
	for _, u := range s.users {
		f.users = append(f.users, one(func(w *jw) { s.userJSON(w, base, api, u) }))
	}
	for _, bd := range s.boards {
		f.projects = append(f.projects, one(func(w *jw) {
			w.obj()
			w.ks("self", api+"/project/"+strconv.FormatInt(bd.projID, 10))
			w.ks("id", strconv.FormatInt(bd.projID, 10))
			w.ks("key", bd.projKey)
			w.ks("name", bd.projName)
			w.ks("projectTypeKey", "software")
			if s.cfg.Mode == ModeCloud {
				w.kb("simplified", false)
			}
			avatars(w, base+"/secure/projectavatar?pid="+strconv.FormatInt(bd.projID, 10))
			w.end()
		}))
	}
	f.resDone = one(func(w *jw) {
		w.obj()
		w.ks("self", api+"/resolution/10000")
		w.ks("id", "10000")
		w.ks("description", "Work has been completed on this issue.")
		w.ks("name", "Done")
		w.end()
	})
	return f
}

func avatars(w *jw, prefix string) {
	w.ko("avatarUrls")
	for _, sz := range []string{"48x48", "24x24", "16x16", "32x32"} {
		w.ks(sz, prefix+"&size="+sz)
	}
	w.end()
}

func (s *site) userJSON(w *jw, base, api string, u user) {
	w.obj()
	if s.cfg.Mode == ModeCloud {
		w.ks("self", api+"/user?accountId="+u.accountID)
		w.ks("accountId", u.accountID)
		avatars(w, base+"/avatar?a="+u.accountID)
		w.ks("displayName", u.display)
		w.kb("active", true)
		w.ks("timeZone", u.tz)
		w.ks("accountType", "atlassian")
	} else {
		w.ks("self", api+"/user?username="+u.name)
		w.ks("name", u.name)
		w.ks("key", u.name)
		w.ks("emailAddress", u.email)
		avatars(w, base+"/secure/useravatar?ownerId="+u.name)
		w.ks("displayName", u.display)
		w.kb("active", true)
		w.ks("timeZone", u.tz)
	}
	w.end()
}

// text is the generated prose of an issue, from its own random stream.
func (s *site) text(is *simIssue) (summary, desc string) {
	r := s.rng(is.idx, 2)
	summary = summaryFor(r, is.typ)
	return summary, descriptionFor(r, is.typ, summary)
}

// sprintDatesJSON writes a sprint's dates as Jira does: start and end once
// it has started, completeDate once closed.
func sprintDatesJSON(w *jw, sp *simSprint) {
	if sp.state != "future" {
		w.k("startDate")
		w.tf(sp.start, agileTime)
		w.k("endDate")
		w.tf(sp.end, agileTime)
	}
	if sp.state == "closed" {
		w.k("completeDate")
		w.tf(sp.complete, agileTime)
	}
}

func (s *site) sprintCloudJSON(w *jw, sp *simSprint) {
	w.obj()
	w.ki("id", sp.id)
	w.ks("name", sp.name)
	w.ks("state", sp.state)
	w.ki("boardId", s.boards[sp.board].id)
	w.ks("goal", sp.goal)
	sprintDatesJSON(w, sp)
	w.end()
}

// sprintAgileJSON writes a sprint as /rest/agile/1.0 returns it.
func (s *site) sprintAgileJSON(w *jw, base string, sp *simSprint) {
	w.obj()
	w.ki("id", sp.id)
	w.ks("self", base+"/rest/agile/1.0/sprint/"+strconv.FormatInt(sp.id, 10))
	w.ks("state", sp.state)
	w.ks("name", sp.name)
	sprintDatesJSON(w, sp)
	w.k("createdDate")
	w.tf(sp.start.Add(-5*24*time.Hour), agileTime)
	w.ki("originBoardId", s.boards[sp.board].id)
	w.ks("goal", sp.goal)
	w.end()
}

// sprintDCString is the Sprint field value Jira Server returns.
func (s *site) sprintDCString(sp *simSprint) string {
	d := func(t time.Time) string {
		if t.IsZero() {
			return "<null>"
		}
		return t.UTC().Format(agileTime)
	}
	var start, end time.Time
	if sp.state != "future" {
		start, end = sp.start, sp.end
	}
	return fmt.Sprintf("com.atlassian.greenhopper.service.sprint.Sprint@%x[id=%d,rapidViewId=%d,state=%s,name=%s,goal=%s,startDate=%s,endDate=%s,completeDate=%s,sequence=%d]",
		uint32(s.hash(uint64(sp.id), 11)), sp.id, s.boards[sp.board].id, strings.ToUpper(sp.state), sp.name, sp.goal,
		d(start), d(end), d(sp.complete), sp.id)
}

func adf(w *jw, text string) {
	w.obj()
	w.ks("type", "doc")
	w.ki("version", 1)
	w.ka("content")
	for _, para := range strings.Split(text, "\n") {
		w.obj()
		w.ks("type", "paragraph")
		w.ka("content")
		if para != "" {
			w.obj()
			w.ks("type", "text")
			w.ks("text", para)
			w.end()
		}
		w.endA()
		w.end()
	}
	w.endA()
	w.end()
}

func (s *site) richText(w *jw, o renderOpts, name, text string) {
	w.k(name)
	switch {
	case text == "":
		w.null()
	case o.v3:
		adf(w, text)
	default:
		w.s(text)
	}
}

func (s *site) apiBase(o renderOpts) string {
	if o.v3 {
		return o.base + "/rest/api/3"
	}
	return o.base + "/rest/api/2"
}

// writeIssue renders a generated issue.
func (s *site) writeIssue(w *jw, is *simIssue, f *frags, o renderOpts) {
	id := strconv.FormatInt(s.issueID(is.idx), 10)
	key := s.key(is.idx)
	w.obj()
	if !o.sel.hasFields() {
		w.ks("id", id)
		if o.sel.key {
			w.ks("key", key)
		}
		if o.changelog {
			s.writeChangelog(w, is, f, o)
		}
		w.end()
		return
	}
	w.ks("expand", issueExpand)
	w.ks("id", id)
	if o.agile {
		w.ks("self", o.base+"/rest/agile/1.0/issue/"+id)
	} else {
		w.ks("self", s.apiBase(o)+"/issue/"+id)
	}
	w.ks("key", key)
	if o.changelog {
		s.writeChangelog(w, is, f, o)
	}
	w.ko("fields")
	s.writeFields(w, is, f, o)
	w.end()
	w.end()
}

func (s *site) writeFields(w *jw, is *simIssue, f *frags, o renderOpts) {
	st, resolvedAt, statusAt := is.final()
	summary, desc := s.text(is)
	if st.descSet {
		desc = st.desc
	}
	want := o.sel.want
	cloud := s.cfg.Mode == ModeCloud
	if want("issuetype") {
		w.kraw("issuetype", f.types[is.typ])
	}
	if is.parent >= 0 && want("parent") {
		s.writeParent(w, is.parent, f, o)
	} else if cloud && is.epic >= 0 && want("parent") {
		s.writeParent(w, is.epic, f, o)
	}
	if want("timespent") {
		w.kn("timespent")
	}
	if want("project") {
		w.kraw("project", f.projects[is.b])
	}
	if want("fixVersions") {
		w.ka("fixVersions")
		w.endA()
	}
	if want("resolution") {
		if st.resolved {
			w.kraw("resolution", f.resDone)
		} else {
			w.kn("resolution")
		}
	}
	if want("resolutiondate") {
		w.kt("resolutiondate", resolvedAt)
	}
	if want("workratio") {
		w.ki("workratio", -1)
	}
	if want("watches") {
		w.ko("watches")
		w.ks("self", s.apiBase(o)+"/issue/"+s.key(is.idx)+"/watchers")
		w.ki("watchCount", 1)
		w.kb("isWatching", false)
		w.end()
	}
	if want("created") {
		w.kt("created", is.created)
	}
	if want("priority") {
		w.kraw("priority", f.prio[st.priority])
	}
	if want("labels") {
		w.ka("labels")
		if st.labels != "" {
			for _, l := range strings.Fields(st.labels) {
				w.s(l)
			}
		}
		w.endA()
	}
	if want("versions") {
		w.ka("versions")
		w.endA()
	}
	if want("issuelinks") {
		w.ka("issuelinks")
		w.endA()
	}
	if want("assignee") {
		if st.assignee >= 0 {
			w.kraw("assignee", f.users[st.assignee])
		} else {
			w.kn("assignee")
		}
	}
	if want("updated") {
		w.kt("updated", is.updated())
	}
	if want("status") {
		w.kraw("status", f.status[st.status])
	}
	if cloud && want("statuscategorychangedate") {
		w.kt("statuscategorychangedate", statusAt)
	}
	if want("components") {
		w.ka("components")
		w.endA()
	}
	if want("timeoriginalestimate") {
		w.kn("timeoriginalestimate")
	}
	if want("description") {
		s.richText(w, o, "description", desc)
	}
	if want("summary") {
		w.ks("summary", summary)
	}
	if want("creator") {
		w.kraw("creator", f.users[is.reporter])
	}
	if want("reporter") {
		w.kraw("reporter", f.users[is.reporter])
	}
	if want("subtasks") {
		w.ka("subtasks")
		for _, c := range s.children(is.idx) {
			s.writeRef(w, s.gen(c), f, o)
		}
		w.endA()
	}
	if want("aggregateprogress") {
		w.kraw("aggregateprogress", []byte(`{"progress":0,"total":0}`))
	}
	if want("progress") {
		w.kraw("progress", []byte(`{"progress":0,"total":0}`))
	}
	if want("environment") {
		s.richText(w, o, "environment", is.env)
	}
	if want("duedate") {
		w.kn("duedate")
	}
	// Custom fields.
	if want(s.f.estimate) {
		w.k(s.f.estimate)
		if math.IsNaN(st.est) {
			w.null()
		} else {
			w.f(st.est)
		}
	}
	if want(s.f.sprint) {
		w.k(s.f.sprint)
		if len(st.sprints) == 0 {
			w.null()
		} else {
			w.arr()
			for _, id := range st.sprints {
				if cloud {
					s.sprintCloudJSON(w, s.sprintByID(id))
				} else {
					w.s(s.sprintDCString(s.sprintByID(id)))
				}
			}
			w.endA()
		}
	}
	if want(s.f.epicLink) {
		if !cloud && is.epic >= 0 {
			w.ks(s.f.epicLink, s.key(is.epic))
		} else {
			w.kn(s.f.epicLink)
		}
	}
	if want(s.f.epicName) {
		if is.typ == typeEpic {
			w.ks(s.f.epicName, summary)
		} else {
			w.kn(s.f.epicName)
		}
	}
	if want(s.f.rank) {
		w.ks(s.f.rank, fmt.Sprintf("0|i%05x:", is.idx))
	}
	if cloud && want(s.f.legacyPoints) {
		w.kn(s.f.legacyPoints)
	}
	if o.agile {
		s.writeAgileExtras(w, is, st, o)
	}
}

func (s *site) writeAgileExtras(w *jw, is *simIssue, st state, o renderOpts) {
	want := o.sel.want
	var open *simSprint
	var closed []*simSprint
	for _, id := range st.sprints {
		sp := s.sprintByID(id)
		if sp.state == "closed" {
			closed = append(closed, sp)
		} else if open == nil {
			open = sp
		}
	}
	if want("sprint") {
		w.k("sprint")
		if open == nil {
			w.null()
		} else {
			s.sprintAgileJSON(w, o.base, open)
		}
	}
	if want("closedSprints") && len(closed) > 0 {
		w.ka("closedSprints")
		for _, sp := range closed {
			s.sprintAgileJSON(w, o.base, sp)
		}
		w.endA()
	}
	if want("flagged") {
		w.kb("flagged", false)
	}
	if want("epic") {
		w.k("epic")
		if is.epic < 0 {
			w.null()
		} else {
			ep := s.gen(is.epic)
			est, _, _ := ep.final()
			name, _ := s.text(ep)
			w.obj()
			w.ki("id", s.issueID(is.epic))
			w.ks("key", s.key(is.epic))
			w.ks("self", o.base+"/rest/agile/1.0/epic/"+strconv.FormatInt(s.issueID(is.epic), 10))
			w.ks("name", name)
			w.ks("summary", name)
			w.ko("color")
			w.ks("key", "color_"+itoa(1+is.epic%9))
			w.end()
			w.kb("done", statuses[est.status].cat == "done")
			w.end()
		}
	}
}

// writeParent writes the `parent` field: a reference to idx with a few fields.
func (s *site) writeParent(w *jw, idx int, f *frags, o renderOpts) {
	w.k("parent")
	s.writeRef(w, s.gen(idx), f, o)
}

// writeRef writes a short issue reference as used by parent and subtasks.
func (s *site) writeRef(w *jw, is *simIssue, f *frags, o renderOpts) {
	st, _, _ := is.final()
	summary, _ := s.text(is)
	id := strconv.FormatInt(s.issueID(is.idx), 10)
	w.obj()
	w.ks("id", id)
	w.ks("key", s.key(is.idx))
	w.ks("self", s.apiBase(o)+"/issue/"+id)
	w.ko("fields")
	w.ks("summary", summary)
	w.kraw("status", f.status[st.status])
	w.kraw("priority", f.prio[st.priority])
	w.kraw("issuetype", f.types[is.typ])
	w.end()
	w.end()
}

// writeChangelog writes the embedded changelog (expand=changelog).
func (s *site) writeChangelog(w *jw, is *simIssue, f *frags, o renderOpts) {
	total := len(is.hist)
	idx := make([]int, total)
	for i := range idx {
		idx[i] = i
	}
	if o.truncate > 0 && total > o.truncate {
		idx = idx[total-o.truncate:] // the latest N
	}
	if o.newestFirst {
		slices.Reverse(idx)
	}
	w.ko("changelog")
	w.ki("startAt", 0)
	w.ki("maxResults", int64(len(idx)))
	w.ki("total", int64(total))
	w.ka("histories")
	for _, i := range idx {
		s.writeHistory(w, is, i, f, o.base)
	}
	w.endA()
	w.end()
}

func (s *site) historyID(idx, i int) int64 { return int64(idx+1)*10000 + int64(i) + 1 }

func (s *site) writeHistory(w *jw, is *simIssue, i int, f *frags, base string) {
	h := is.hist[i]
	w.obj()
	w.ks("id", strconv.FormatInt(s.historyID(is.idx, i), 10))
	w.kraw("author", f.users[h.author])
	w.kt("created", h.at)
	w.ka("items")
	for _, it := range h.items {
		s.writeItem(w, it)
	}
	w.endA()
	w.end()
}

func (s *site) sprintList(ids []int64) (vals, names string) {
	var v, n []string
	for _, id := range ids {
		v = append(v, strconv.FormatInt(id, 10))
		n = append(n, s.sprintByID(id).name)
	}
	return strings.Join(v, ", "), strings.Join(n, ", ")
}

func (s *site) userRef(u int) (val, name string) {
	if u < 0 {
		return "", ""
	}
	if s.cfg.Mode == ModeCloud {
		return s.users[u].accountID, s.users[u].display
	}
	return s.users[u].name, s.users[u].display
}

func (s *site) writeItem(w *jw, it item) {
	cloud := s.cfg.Mode == ModeCloud
	w.obj()
	field, fieldID, ftype := "", "", "jira"
	var from, fromS, to, toS string
	// emptyFrom/emptyTo: how an empty side is written (null or "").
	nullFrom, nullTo := true, true
	switch it.kind {
	case kStatus:
		field, fieldID = "status", "status"
		from, fromS = statuses[it.from].id, statuses[it.from].name
		to, toS = statuses[it.to].id, statuses[it.to].name
	case kResolution:
		field, fieldID = "resolution", "resolution"
		if it.from == 1 {
			from, fromS = "10000", "Done"
		}
		if it.to == 1 {
			to, toS = "10000", "Done"
		}
	case kSprint:
		field, fieldID, ftype = "Sprint", s.f.sprint, "custom"
		from, fromS = s.sprintList(it.fromS)
		to, toS = s.sprintList(it.toS)
		// Cloud writes "" for an empty side; Server writes null before and "" after.
		nullFrom, nullTo = !cloud, false
	case kEstimate:
		field, fieldID, ftype = s.f.estimateName, s.f.estimate, "custom"
		if !math.IsNaN(it.fromE) {
			fromS = fmtNum(it.fromE)
		}
		if !math.IsNaN(it.toE) {
			toS = fmtNum(it.toE)
		}
	case kAssignee:
		field, fieldID = "assignee", "assignee"
		from, fromS = s.userRef(it.from)
		to, toS = s.userRef(it.to)
	case kPriority:
		field, fieldID = "priority", "priority"
		from, fromS = priorities[it.from].id, priorities[it.from].name
		to, toS = priorities[it.to].id, priorities[it.to].name
	case kDescription:
		field, fieldID = "description", "description"
		fromS, toS = it.fromStr, it.toStr
	case kLabels:
		field, fieldID = "labels", "labels"
		fromS, toS = it.fromStr, it.toStr
	}
	w.ks("field", field)
	w.ks("fieldtype", ftype)
	if cloud {
		w.ks("fieldId", fieldID)
	}
	side := func(k, v string, null bool) {
		if v == "" && null {
			w.kn(k)
		} else {
			w.ks(k, v)
		}
	}
	side("from", from, nullFrom)
	side("fromString", fromS, nullFrom)
	side("to", to, nullTo)
	side("toString", toS, nullTo)
	w.end()
}
