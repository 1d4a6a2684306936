package jirasim

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

const (
	msgSearchRemoved = "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
	msgUnbounded     = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
	msgNoIssue       = "Issue does not exist or you do not have permission to see it."
	msgBadToken      = "The provided next page token is invalid or expired."
)

func (sv *Server) routes() {
	sv.mux = http.NewServeMux()
	cloud := sv.cfg.Mode == ModeCloud
	sv.handle("GET /rest/api/{v}/serverInfo", true, sv.apiV(sv.serverInfo))
	sv.handle("GET /rest/api/{v}/myself", false, sv.apiV(sv.myself))
	sv.handle("GET /rest/api/{v}/field", false, sv.apiV(sv.fields))
	sv.handle("GET /rest/api/{v}/status", false, sv.apiV(sv.statusList))
	sv.handle("GET /rest/agile/1.0/board", false, sv.boardList)
	sv.handle("GET /rest/agile/1.0/board/{id}", false, sv.boardGet)
	sv.handle("GET /rest/agile/1.0/board/{id}/configuration", false, sv.boardConfig)
	sv.handle("GET /rest/agile/1.0/board/{id}/sprint", false, sv.boardSprints)
	sv.handle("GET /rest/agile/1.0/board/{id}/issue", false, sv.boardIssues)
	sv.handle("GET /rest/agile/1.0/sprint/{id}", false, sv.sprintGet)
	sv.handle("GET /rest/agile/1.0/sprint/{id}/issue", false, sv.sprintIssues)
	sv.handle("/rest/api/{v}/search", false, sv.apiV(sv.searchLegacy))
	sv.handle("GET /rest/api/{v}/issue/{key}", false, sv.apiV(sv.issueGet))
	if cloud {
		sv.handle("/rest/api/{v}/search/jql", false, sv.apiV(sv.searchJQL))
		sv.handle("GET /rest/api/{v}/issue/{key}/changelog", false, sv.apiV(sv.changelog))
		sv.handle("POST /rest/api/{v}/changelog/bulkfetch", false, sv.apiV(sv.bulkfetch))
	}
	sv.handle("/", false, func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, http.StatusNotFound, "null for uri: "+baseURL(r)+r.URL.RequestURI())
	})
}

// apiV accepts /rest/api/2 everywhere and /rest/api/3 in cloud mode only.
func (sv *Server) apiV(fn handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := r.PathValue("v")
		if v != "2" && (v != "3" || sv.cfg.Mode != ModeCloud) {
			writeErr(w, http.StatusNotFound, "null for uri: "+baseURL(r)+r.URL.RequestURI())
			return
		}
		fn(w, r)
	}
}

func (sv *Server) serverInfo(w http.ResponseWriter, r *http.Request) {
	var out jw
	out.obj()
	base := baseURL(r)
	out.ks("baseUrl", base)
	if sv.cfg.Mode == ModeCloud {
		out.ks("displayUrl", base)
		out.ks("version", "1001.0.0-SNAPSHOT")
		out.kraw("versionNumbers", []byte("[1001,0,0]"))
		out.ks("deploymentType", "Cloud")
		out.ki("buildNumber", 100289)
	} else {
		out.ks("version", "9.12.15")
		out.kraw("versionNumbers", []byte("[9,12,15]"))
		out.ks("deploymentType", "Server")
		out.ki("buildNumber", 9120015)
	}
	out.k("buildDate")
	out.tf(sv.cfg.Now.AddDate(0, -1, 0), jiraTime)
	out.k("serverTime")
	out.tf(sv.cfg.Now, jiraTime)
	out.ks("scmInfo", "jirasim")
	out.ks("serverTitle", "Jira (jirasim)")
	out.end()
	writeJSON(w, http.StatusOK, out.b)
}

func (sv *Server) myself(w http.ResponseWriter, r *http.Request) {
	var out jw
	base := baseURL(r)
	out.obj()
	if sv.cfg.Mode == ModeCloud {
		out.ks("self", base+"/rest/api/2/user?accountId=5b10ac8d82e05b22cc7d4ef5")
		out.ks("accountId", "5b10ac8d82e05b22cc7d4ef5")
		out.ks("accountType", "atlassian")
		out.ks("emailAddress", sv.cfg.Email)
	} else {
		out.ks("self", base+"/rest/api/2/user?username=jirasim")
		out.ks("key", "JIRAUSER10000")
		out.ks("name", "jirasim")
		out.ks("emailAddress", "jirasim@example.com")
	}
	out.ks("displayName", "Jira Simulator")
	out.kb("active", true)
	out.ks("timeZone", "Etc/UTC")
	out.ks("locale", "en_US")
	out.kraw("groups", []byte(`{"size":1,"items":[]}`))
	out.kraw("applicationRoles", []byte(`{"size":1,"items":[]}`))
	out.ks("expand", "groups,applicationRoles")
	out.end()
	writeJSON(w, http.StatusOK, out.b)
}

func (sv *Server) fields(w http.ResponseWriter, r *http.Request) {
	if sv.data != nil {
		writeJSON(w, http.StatusOK, sv.data.fieldsJSON)
		return
	}
	writeJSON(w, http.StatusOK, sv.site.fieldsJSON())
}

func (sv *Server) statusList(w http.ResponseWriter, r *http.Request) {
	if sv.data != nil {
		if sv.data.statusesJSON != nil {
			writeJSON(w, http.StatusOK, sv.data.statusesJSON)
			return
		}
		writeJSON(w, http.StatusOK, []byte("[]"))
		return
	}
	var out jw
	out.arr()
	for i := range statuses {
		statusJSON(&out, baseURL(r), baseURL(r)+"/rest/api/"+r.PathValue("v"), i, sv.cfg.Mode == ModeCloud)
	}
	out.endA()
	writeJSON(w, http.StatusOK, out.b)
}

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

// agileIssues serves /board/{id}/issue and /sprint/{id}/issue: startAt paging.
func (sv *Server) agileIssues(w http.ResponseWriter, r *http.Request, sc scope) {
	q := r.URL.Query()
	startAt, maxResults, err := page(r, 50, 100)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	jq, err := parseJQL(q.Get("jql"), timeZone)
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
	sv.writeIssuePage(w, o, res, startAt, maxResults)
}

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

// ---- search -----------------------------------------------------------------

// searchReq is the union of GET query parameters and POST bodies.
type searchReq struct {
	JQL           string   `json:"jql"`
	StartAt       int      `json:"startAt"`
	MaxResults    int      `json:"maxResults"`
	Fields        []string `json:"fields"`
	Expand        any      `json:"expand"` // string (search/jql) or []string (search)
	NextPageToken string   `json:"nextPageToken"`
}

// readSearchJQL reads a GET or POST search and parses its JQL; on a bad
// method, body or JQL it answers Jira's error and returns false.
func readSearchJQL(w http.ResponseWriter, r *http.Request) (searchReq, *jqlQuery, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		writeErr(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return searchReq{}, nil, false
	}
	sr, err := readSearch(r)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return searchReq{}, nil, false
	}
	jq, err := parseJQL(sr.JQL, timeZone)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return searchReq{}, nil, false
	}
	return sr, jq, true
}

func readSearch(r *http.Request) (searchReq, error) {
	var sr searchReq
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return sr, err
		}
		if err := json.Unmarshal(body, &sr); err != nil {
			return sr, errors.New("Invalid request payload. Refer to the REST API documentation and try again.")
		}
		return sr, nil
	}
	q := r.URL.Query()
	sr.JQL = q.Get("jql")
	sr.NextPageToken = q.Get("nextPageToken")
	sr.Fields = q["fields"]
	sr.Expand = strings.Join(q["expand"], ",")
	var err error
	if sr.StartAt, err = intParam(r, "startAt", 0); err != nil {
		return sr, err
	}
	if sr.MaxResults, err = intParam(r, "maxResults", 0); err != nil {
		return sr, err
	}
	return sr, nil
}

func (sr searchReq) expand(what string) bool {
	switch e := sr.Expand.(type) {
	case string:
		return hasExpand([]string{e}, what)
	case []any:
		for _, v := range e {
			if s, ok := v.(string); ok && hasExpand([]string{s}, what) {
				return true
			}
		}
	}
	return false
}

// searchLegacy is /rest/api/{2,3}/search: 410 Gone on Cloud, startAt/total on DC.
func (sv *Server) searchLegacy(w http.ResponseWriter, r *http.Request) {
	if sv.cfg.Mode == ModeCloud {
		writeErr(w, http.StatusGone, msgSearchRemoved)
		return
	}
	sr, jq, ok := readSearchJQL(w, r)
	if !ok {
		return
	}
	res, err := sv.search(jq, scope{})
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	maxResults := sr.MaxResults
	if maxResults <= 0 {
		maxResults = 50
	}
	maxResults = min(maxResults, 1000)
	o := sv.opts(r, sr.Fields, "*navigable", sr.expand("changelog"))
	sv.writeIssuePage(w, o, res, max(sr.StartAt, 0), maxResults)
}

// searchJQL is Cloud's /rest/api/{2,3}/search/jql: nextPageToken + isLast.
func (sv *Server) searchJQL(w http.ResponseWriter, r *http.Request) {
	sr, jq, ok := readSearchJQL(w, r)
	if !ok {
		return
	}
	if !jq.bounded() {
		writeErr(w, http.StatusBadRequest, msgUnbounded)
		return
	}
	offset := 0
	if sr.NextPageToken != "" {
		var ok bool
		if offset, ok = decodeToken(sr.NextPageToken, sr.JQL); !ok {
			writeErr(w, http.StatusBadRequest, msgBadToken)
			return
		}
	}
	res, err := sv.search(jq, scope{})
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	o := sv.opts(r, sr.Fields, "id", sr.expand("changelog"))
	// Jira lowers maxResults when fields or changelogs are asked for.
	limit := 5000
	if o.sel.hasFields() || o.changelog {
		limit = 100
	}
	maxResults := sr.MaxResults
	if maxResults <= 0 {
		maxResults = 50
	}
	maxResults = min(maxResults, limit)
	vals := window(res, offset, maxResults)
	var out jw
	out.b = make([]byte, 0, pageCap(o, len(vals)))
	out.obj()
	out.ka("issues")
	for _, i := range vals {
		sv.writeIssue(&out, int(i), o)
	}
	out.endA()
	last := offset+len(vals) >= len(res)
	if !last {
		out.ks("nextPageToken", encodeToken(sr.JQL, offset+len(vals)))
	}
	out.kb("isLast", last)
	out.end()
	writeJSON(w, http.StatusOK, out.b)
}

func jqlHash(jql string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(jql))
	return h.Sum32()
}

func encodeToken(jql string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("jirasim:%08x:%d", jqlHash(jql), offset)))
}

func decodeToken(tok, jql string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 3 || parts[0] != "jirasim" || parts[1] != fmt.Sprintf("%08x", jqlHash(jql)) {
		return 0, false
	}
	n, err := strconv.Atoi(parts[2])
	return n, err == nil && n >= 0
}

// ---- issues and changelogs --------------------------------------------------

func (sv *Server) issueGet(w http.ResponseWriter, r *http.Request) {
	i, ok := sv.be.lookup(r.PathValue("key"))
	if !ok {
		writeErr(w, http.StatusNotFound, msgNoIssue)
		return
	}
	q := r.URL.Query()
	o := sv.opts(r, q["fields"], "*all", hasExpand(q["expand"], "changelog"))
	var out jw
	sv.writeIssue(&out, i, o)
	writeJSON(w, http.StatusOK, out.b)
}

// histories returns issue i's changelog histories, oldest first, as JSON.
func (sv *Server) histories(i int, base, v string) [][]byte {
	if sv.data != nil {
		return sv.data.issues[i].hist
	}
	is := sv.issue(i)
	f := sv.frags.get(sv.site, base, v)
	out := make([][]byte, len(is.hist))
	for h := range is.hist {
		var w jw
		sv.site.writeHistory(&w, is, h, f, base)
		out[h] = w.b
	}
	return out
}

func (sv *Server) issueIDString(i int) string {
	if sv.data != nil {
		return sv.data.issues[i].id
	}
	return strconv.FormatInt(sv.site.issueID(i), 10)
}

// changelog is Cloud's paged /rest/api/{2,3}/issue/{key}/changelog (oldest first).
func (sv *Server) changelog(w http.ResponseWriter, r *http.Request) {
	i, ok := sv.be.lookup(r.PathValue("key"))
	if !ok {
		writeErr(w, http.StatusNotFound, msgNoIssue)
		return
	}
	startAt, maxResults, err := page(r, 100, 100)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	all := sv.histories(i, baseURL(r), r.PathValue("v"))
	vals := window(all, startAt, maxResults)
	last := startAt+len(vals) >= len(all)
	self := baseURL(r) + "/rest/api/" + r.PathValue("v") + "/issue/" + r.PathValue("key") + "/changelog"
	var out jw
	out.obj()
	out.ks("self", self+"?maxResults="+itoa(maxResults)+"&startAt="+itoa(startAt))
	if !last {
		out.ks("nextPage", self+"?maxResults="+itoa(maxResults)+"&startAt="+itoa(startAt+len(vals)))
	}
	out.ki("maxResults", int64(maxResults))
	out.ki("startAt", int64(startAt))
	out.ki("total", int64(len(all)))
	out.kb("isLast", last)
	out.ka("values")
	for _, h := range vals {
		out.raw(h)
	}
	out.endA()
	out.end()
	writeJSON(w, http.StatusOK, out.b)
}

type bulkReq struct {
	IssueIDsOrKeys []string `json:"issueIdsOrKeys"`
	FieldIDs       []string `json:"fieldIds"`
	MaxResults     int      `json:"maxResults"`
	NextPageToken  string   `json:"nextPageToken"`
}

// bulkfetch is Cloud's POST /rest/api/3/changelog/bulkfetch: histories of up
// to 1000 issues, oldest first per issue, issues in the order asked, paged by
// history count with nextPageToken.
func (sv *Server) bulkfetch(w http.ResponseWriter, r *http.Request) {
	var br bulkReq
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err == nil {
		err = json.Unmarshal(body, &br)
	}
	switch {
	case err != nil:
		writeErr(w, http.StatusBadRequest, "Invalid request payload. Refer to the REST API documentation and try again.")
		return
	case len(br.IssueIDsOrKeys) == 0:
		writeErr(w, http.StatusBadRequest, "issueIdsOrKeys must not be empty.")
		return
	case len(br.IssueIDsOrKeys) > 1000:
		writeErr(w, http.StatusBadRequest, "The maximum number of issues is 1000.")
		return
	case len(br.FieldIDs) > 10:
		writeErr(w, http.StatusBadRequest, "The maximum number of field IDs is 10.")
		return
	}
	maxResults := br.MaxResults
	if maxResults <= 0 || maxResults > 1000 {
		maxResults = 1000
	}
	sig := strings.Join(br.IssueIDsOrKeys, ",") + "|" + strings.Join(br.FieldIDs, ",")
	offset := 0
	if br.NextPageToken != "" {
		var ok bool
		if offset, ok = decodeToken(br.NextPageToken, sig); !ok {
			writeErr(w, http.StatusBadRequest, msgBadToken)
			return
		}
	}
	var idxs []int
	seen := map[int]bool{}
	for _, k := range br.IssueIDsOrKeys {
		if i, ok := sv.be.lookup(k); ok && !seen[i] {
			seen[i] = true
			idxs = append(idxs, i)
		}
	}
	slices.SortFunc(idxs, func(a, b int) int {
		x, _ := strconv.ParseInt(sv.issueIDString(a), 10, 64)
		y, _ := strconv.ParseInt(sv.issueIDString(b), 10, 64)
		return int(x - y)
	})
	base := baseURL(r)
	var out jw
	out.obj()
	out.ka("issueChangeLogs")
	pos, written := 0, 0
	more := false
	for _, i := range idxs {
		hs := sv.histories(i, base, r.PathValue("v"))
		if len(br.FieldIDs) > 0 {
			hs = filterHistories(hs, br.FieldIDs)
		}
		if pos+len(hs) <= offset {
			pos += len(hs)
			continue
		}
		from := max(0, offset-pos)
		pos += len(hs)
		if written >= maxResults {
			more = true
			break
		}
		take := hs[from:]
		if len(take) > maxResults-written {
			take = take[:maxResults-written]
			more = true
		}
		out.obj()
		out.ks("issueId", sv.issueIDString(i))
		out.ka("changeHistories")
		for _, h := range take {
			out.raw(h)
		}
		out.endA()
		out.end()
		written += len(take)
		if more {
			break
		}
	}
	out.endA()
	if more {
		out.ks("nextPageToken", encodeToken(sig, offset+written))
	}
	out.end()
	writeJSON(w, http.StatusOK, out.b)
}

// filterHistories keeps the items whose fieldId (or field name) is in ids and
// drops histories left empty.
func filterHistories(hs [][]byte, ids []string) [][]byte {
	var out [][]byte
	for _, h := range hs {
		var m map[string]json.RawMessage
		if json.Unmarshal(h, &m) != nil {
			continue
		}
		var items []map[string]any
		if json.Unmarshal(m["items"], &items) != nil {
			continue
		}
		kept := slices.DeleteFunc(items, func(it map[string]any) bool {
			id, _ := it["fieldId"].(string)
			name, _ := it["field"].(string)
			return !slices.Contains(ids, id) && !slices.Contains(ids, name)
		})
		if len(kept) == 0 {
			continue
		}
		// Re-encode keeping the history's own key order for id/author/created.
		var w jw
		w.obj()
		for _, k := range []string{"id", "author", "created"} {
			if v, ok := m[k]; ok {
				w.kraw(k, v)
			}
		}
		b, _ := json.Marshal(kept)
		w.kraw("items", b)
		w.end()
		out = append(out, w.b)
	}
	return out
}
