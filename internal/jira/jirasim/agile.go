package jirasim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ---- agile: boards and sprints ---------------------------------------------

type boardVal struct {
	id  int64
	raw []byte
}

func (sv *Server) boardVals(base string) []boardVal {
	if sv.data != nil {
		return sv.data.boards
	}
	var out []boardVal
	for _, b := range sv.site.boards {
		out = append(out, boardVal{b.id, sv.site.boardJSON(base, b)})
	}
	return out
}

func (sv *Server) boardList(w http.ResponseWriter, r *http.Request) {
	startAt, maxResults, err := page(r, 50, 50)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	all := sv.boardVals(baseURL(r))
	if t := r.URL.Query().Get("type"); t != "" && t != "scrum" {
		all = nil // every board here is a scrum board
	}
	if pk := r.URL.Query().Get("projectKeyOrId"); pk != "" {
		all = slices.DeleteFunc(slices.Clone(all), func(b boardVal) bool {
			k, id := sv.boardProject(b.id)
			return !strings.EqualFold(k, pk) && id != pk
		})
	}
	vals := window(all, startAt, maxResults)
	var out jw
	out.obj()
	out.ki("maxResults", int64(maxResults))
	out.ki("startAt", int64(startAt))
	out.ki("total", int64(len(all)))
	out.kb("isLast", startAt+len(vals) >= len(all))
	out.ka("values")
	for _, v := range vals {
		out.raw(v.raw)
	}
	out.endA()
	out.end()
	writeJSON(w, http.StatusOK, out.b)
}

func (sv *Server) boardProject(id int64) (key, projID string) {
	if sv.data != nil {
		p := sv.data.boardProj[id]
		return p.key, strconv.FormatInt(p.id, 10)
	}
	b := sv.site.boards[id-1]
	return b.projKey, strconv.FormatInt(b.projID, 10)
}

func window[T any](all []T, startAt, n int) []T {
	if startAt >= len(all) {
		return nil
	}
	return all[startAt:min(len(all), startAt+n)]
}

// boardID parses {id} and checks the board exists (404 otherwise).
func (sv *Server) boardID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		if _, _, ok := sv.be.boardIssues(id); ok {
			return id, true
		}
	}
	writeErr(w, http.StatusNotFound, "The requested board cannot be viewed because it either does not exist or you do not have permission to view it.")
	return 0, false
}

func (sv *Server) boardGet(w http.ResponseWriter, r *http.Request) {
	id, ok := sv.boardID(w, r)
	if !ok {
		return
	}
	for _, b := range sv.boardVals(baseURL(r)) {
		if b.id == id {
			writeJSON(w, http.StatusOK, b.raw)
			return
		}
	}
}

func (sv *Server) boardConfig(w http.ResponseWriter, r *http.Request) {
	id, ok := sv.boardID(w, r)
	if !ok {
		return
	}
	if sv.data != nil {
		raw, ok := sv.data.configs[id]
		if !ok {
			writeErr(w, http.StatusNotFound, "The board configuration is not available.")
			return
		}
		writeJSON(w, http.StatusOK, raw)
		return
	}
	writeJSON(w, http.StatusOK, sv.site.boardConfigJSON(baseURL(r), sv.site.boards[id-1]))
}

type sprintVal struct {
	id    int64
	state string
	raw   []byte
}

func (sv *Server) sprintVals(base string, boardID int64) []sprintVal {
	if sv.data != nil {
		return sv.data.sprints[boardID]
	}
	var out []sprintVal
	for _, sp := range sv.site.boards[boardID-1].sprints {
		var w jw
		sv.site.sprintAgileJSON(&w, base, sp)
		out = append(out, sprintVal{sp.id, sp.state, w.b})
	}
	return out
}

func (sv *Server) boardSprints(w http.ResponseWriter, r *http.Request) {
	id, ok := sv.boardID(w, r)
	if !ok {
		return
	}
	startAt, maxResults, err := page(r, 50, 50)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	all := sv.sprintVals(baseURL(r), id)
	if st := r.URL.Query().Get("state"); st != "" {
		want := map[string]bool{}
		for _, s := range strings.Split(st, ",") {
			s = strings.ToLower(strings.TrimSpace(s))
			if s != "future" && s != "active" && s != "closed" {
				writeErr(w, http.StatusBadRequest, fmt.Sprintf("The state '%s' is not valid. Valid states are: future, active, closed.", s))
				return
			}
			want[s] = true
		}
		all = slices.DeleteFunc(slices.Clone(all), func(s sprintVal) bool { return !want[s.state] })
	}
	vals := window(all, startAt, maxResults)
	var out jw
	out.obj()
	out.ki("maxResults", int64(maxResults))
	out.ki("startAt", int64(startAt))
	out.kb("isLast", startAt+len(vals) >= len(all))
	out.ka("values")
	for _, v := range vals {
		out.raw(v.raw)
	}
	out.endA()
	out.end()
	writeJSON(w, http.StatusOK, out.b)
}

func (sv *Server) findSprint(base string, id int64) (sprintVal, int64, bool) {
	for _, b := range sv.boardVals(base) {
		for _, s := range sv.sprintVals(base, b.id) {
			if s.id == id {
				return s, b.id, true
			}
		}
	}
	return sprintVal{}, 0, false
}

func (sv *Server) sprintGet(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s, _, ok := sv.findSprint(baseURL(r), id)
	if !ok {
		writeErr(w, http.StatusNotFound, "The requested sprint does not exist or you do not have permission to view it.")
		return
	}
	writeJSON(w, http.StatusOK, s.raw)
}

func (sv *Server) boardIssues(w http.ResponseWriter, r *http.Request) {
	id, ok := sv.boardID(w, r)
	if !ok {
		return
	}
	sv.agileIssues(w, r, scope{board: id})
}

func (sv *Server) sprintIssues(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if !sv.be.sprintExists(id) {
		writeErr(w, http.StatusNotFound, "The requested sprint does not exist or you do not have permission to view it.")
		return
	}
	sv.agileIssues(w, r, scope{sprint: id})
}

// agileIssues serves /board/{id}/issue and /sprint/{id}/issue. Data Center
// (and Cloud with CloudAgilePaging offset) pages by startAt/total; Cloud
// pages by token as RFC-127 describes: startAt is ignored, the page is
// {issues, isLast, nextPageToken} without startAt or total, and a token is
// refused with 400 once PageTokenTTL has passed.
func (sv *Server) agileIssues(w http.ResponseWriter, r *http.Request, sc scope) {
	q := r.URL.Query()
	startAt, maxResults, err := page(r, 50, 100)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	tokens := sv.cfg.Mode == ModeCloud && sv.cfg.CloudAgilePaging == PagingToken
	jql := q.Get("jql")
	if tokens {
		startAt = 0
		if tok := q.Get("nextPageToken"); tok != "" {
			var ok bool
			var issued time.Time
			startAt, issued, ok = decodeToken(tok, agileTokenKey(sc, jql))
			if !ok || sv.cfg.Clock().Sub(issued) > sv.cfg.PageTokenTTL { // unknown, or expired
				writeErr(w, http.StatusBadRequest, msgBadToken)
				return
			}
		}
	}
	jq, err := parseJQL(jql, sv.jqlLoc)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := sv.search(jq, sc)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	o := sv.opts(r, q["fields"], "*all", hasExpand(q["expand"], "changelog"))
	o.agile = true
	if !tokens {
		sv.writeIssuePage(w, o, res, startAt, maxResults)
		return
	}
	vals := window(res, startAt, maxResults)
	var out jw
	out.b = make([]byte, 0, pageCap(o, len(vals)))
	out.obj()
	out.ks("expand", "schema,names")
	out.ka("issues")
	for _, i := range vals {
		sv.writeIssue(&out, int(i), o)
	}
	out.endA()
	last := startAt+len(vals) >= len(res)
	if !last {
		out.ks("nextPageToken", encodeToken(agileTokenKey(sc, jql), startAt+len(vals), sv.cfg.Clock()))
	}
	out.kb("isLast", last)
	out.end()
	writeJSON(w, http.StatusOK, out.b)
}

// agileTokenKey binds an agile list's page token to the list and its JQL.
func agileTokenKey(sc scope, jql string) string { return sc.String() + "|" + jql }

// writeIssuePage writes {"expand","startAt","maxResults","total","issues"}.
func (sv *Server) writeIssuePage(w http.ResponseWriter, o renderOpts, res []int32, startAt, maxResults int) {
	var out jw
	out.b = make([]byte, 0, pageCap(o, len(window(res, startAt, maxResults))))
	out.obj()
	out.ks("expand", "schema,names")
	out.ki("startAt", int64(startAt))
	out.ki("maxResults", int64(maxResults))
	out.ki("total", int64(len(res)))
	out.ka("issues")
	for _, i := range window(res, startAt, maxResults) {
		sv.writeIssue(&out, int(i), o)
	}
	out.endA()
	out.end()
	writeJSON(w, http.StatusOK, out.b)
}

// pageCap guesses a page's size so the buffer rarely grows.
func pageCap(o renderOpts, n int) int {
	per := 64
	if o.sel.hasFields() {
		per = 3 << 10
	}
	if o.changelog {
		per += 4 << 10
	}
	return 256 + n*per
}

func apiVersion(o renderOpts) string {
	if o.v3 {
		return "3"
	}
	return "2"
}

func hasExpand(vals []string, what string) bool {
	for _, v := range vals {
		for _, e := range strings.Split(v, ",") {
			if strings.TrimSpace(e) == what {
				return true
			}
		}
	}
	return false
}

// opts builds render options for a request.
func (sv *Server) opts(r *http.Request, fields []string, def string, changelog bool) renderOpts {
	o := renderOpts{
		base:      baseURL(r),
		v3:        r.PathValue("v") == "3",
		sel:       parseFields(fields, def),
		changelog: changelog,
	}
	if sv.cfg.Mode == ModeCloud {
		o.truncate, o.newestFirst = 100, true
	}
	return o
}

func (sv *Server) writeIssue(out *jw, i int, o renderOpts) {
	if sv.data != nil {
		sv.data.writeIssue(out, i, o)
		return
	}
	sv.site.writeIssue(out, sv.issue(i), sv.frags.get(sv.site, o.base, apiVersion(o)), o)
}
