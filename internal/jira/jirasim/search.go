package jirasim

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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
func (sv *Server) readSearchJQL(w http.ResponseWriter, r *http.Request) (searchReq, *jqlQuery, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		writeErr(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return searchReq{}, nil, false
	}
	sr, err := readSearch(r)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return searchReq{}, nil, false
	}
	jq, err := parseJQL(sr.JQL, sv.jqlLoc)
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
	sr, jq, ok := sv.readSearchJQL(w, r)
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
	sr, jq, ok := sv.readSearchJQL(w, r)
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
		if offset, _, ok = decodeToken(sr.NextPageToken, sr.JQL); !ok {
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
		out.ks("nextPageToken", encodeToken(sr.JQL, offset+len(vals), sv.cfg.Clock()))
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

// encodeToken makes a page token: opaque to clients, bound to key (the
// query, and the list it pages), and stamped with the time it was issued.
func encodeToken(key string, offset int, issued time.Time) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("jirasim:%08x:%d:%d", jqlHash(key), offset, issued.UnixMilli())))
}

// decodeToken returns a token's offset and issue time; false when it is
// malformed or belongs to another key.
func decodeToken(tok, key string) (offset int, issued time.Time, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, time.Time{}, false
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 4 || parts[0] != "jirasim" || parts[1] != fmt.Sprintf("%08x", jqlHash(key)) {
		return 0, time.Time{}, false
	}
	n, err1 := strconv.Atoi(parts[2])
	ms, err2 := strconv.ParseInt(parts[3], 10, 64)
	return n, time.UnixMilli(ms), err1 == nil && err2 == nil && n >= 0
}
