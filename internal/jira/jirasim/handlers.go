package jirasim

import (
	"encoding/json"
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
	out.ks("timeZone", sv.cfg.AccountTimeZone)
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
		if offset, _, ok = decodeToken(br.NextPageToken, sig); !ok {
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
		out.ks("nextPageToken", encodeToken(sig, offset+written, sv.cfg.Clock()))
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
