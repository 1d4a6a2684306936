package jirasim

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a simulated Jira site; it is an http.Handler.
type Server struct {
	cfg   Config
	site  *site    // generated mode
	data  *dataset // --data mode
	be    backend
	mux   *http.ServeMux
	frags fragCache
	// jqlLoc is the account's zone (Config.AccountTimeZone): JQL date
	// literals are read in it.
	jqlLoc *time.Location

	mu       sync.RWMutex
	overlay  map[int][]history // Touch additions, by issue index
	touchSeq uint64
	ix       *index
	ixGen    uint64 // bumped by Touch: invalidates cached searches
	qcache   queryCache

	reqSeq   atomic.Uint64
	inFlight atomic.Int64

	statsMu sync.Mutex
	stats   Stats
	rlSec   int64
	rlCount int
}

// Stats counts what the server has answered since New or ResetStats.
type Stats struct {
	Total        int64            `json:"total"`
	ByPattern    map[string]int64 `json:"by_pattern"` // e.g. "GET /rest/agile/1.0/board/{id}/sprint"
	RateLimited  int64            `json:"rate_limited"`
	Unavailable  int64            `json:"unavailable"`
	Malformed    int64            `json:"malformed"`
	Unauthorized int64            `json:"unauthorized"`
	MaxInFlight  int64            `json:"max_in_flight"`
}

// New builds a simulated site: generated from cfg, or loaded from cfg.DataDir.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	sv := &Server{cfg: cfg, overlay: map[int][]history{}}
	sv.jqlLoc, _ = time.LoadLocation(cfg.AccountTimeZone) // validated by withDefaults
	if cfg.DataDir != "" {
		d, err := loadDataset(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		sv.data, sv.be = d, d
	} else {
		sv.site = newSite(cfg)
		sv.be = &genBackend{sv: sv, s: sv.site}
	}
	sv.routes()
	sv.stats.ByPattern = map[string]int64{}
	return sv, nil
}

// Mode reports the mode the server runs in.
func (sv *Server) Mode() Mode { return sv.cfg.Mode }

// Config returns the effective configuration (defaults applied).
func (sv *Server) Config() Config { return sv.cfg }

// Stats returns a copy of the request counters.
func (sv *Server) Stats() Stats {
	sv.statsMu.Lock()
	defer sv.statsMu.Unlock()
	st := sv.stats
	st.ByPattern = maps.Clone(sv.stats.ByPattern)
	return st
}

// ResetStats zeroes the request counters.
func (sv *Server) ResetStats() {
	sv.statsMu.Lock()
	defer sv.statsMu.Unlock()
	sv.stats = Stats{ByPattern: map[string]int64{}}
}

// issue returns generated issue idx including Touch additions.
func (sv *Server) issue(idx int) *simIssue {
	is := sv.site.gen(idx)
	sv.mu.RLock()
	extra := sv.overlay[idx]
	sv.mu.RUnlock()
	if len(extra) > 0 {
		is.hist = append(is.hist, extra...)
	}
	return is
}

// index returns the search index (built on first use) and its generation.
func (sv *Server) index() (*index, uint64) {
	for {
		sv.mu.RLock()
		ix, gen := sv.ix, sv.ixGen
		sv.mu.RUnlock()
		if ix != nil {
			return ix, gen
		}
		built := buildIndex(sv.be)
		sv.mu.Lock()
		if sv.ix == nil && sv.ixGen == gen { // no Touch while building
			sv.ix = built
		}
		sv.mu.Unlock()
	}
}

// ---- request pipeline -------------------------------------------------------

type handlerFunc func(w http.ResponseWriter, r *http.Request)

// handle registers fn under pattern behind the fault, auth and stats layers.
func (sv *Server) handle(pattern string, public bool, fn handlerFunc) {
	sv.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		sv.serve(pattern, public, fn, w, r)
	})
}

// ServeHTTP answers one request like Jira would.
func (sv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sv.mux.ServeHTTP(w, r)
}

func (sv *Server) serve(pattern string, public bool, fn handlerFunc, w http.ResponseWriter, r *http.Request) {
	n := sv.reqSeq.Add(1)
	cur := sv.inFlight.Add(1)
	defer sv.inFlight.Add(-1)
	sv.statsMu.Lock()
	sv.stats.Total++
	sv.stats.ByPattern[pattern]++
	if cur > sv.stats.MaxInFlight {
		sv.stats.MaxInFlight = cur
	}
	sv.statsMu.Unlock()

	f := sv.cfg.Faults
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	w.Header().Set("X-Arequestid", strconv.FormatUint(n, 10))
	if f.RateLimitPerSecond > 0 {
		if retry, limited := sv.rateLimited(); limited {
			sv.count(func(s *Stats) { s.RateLimited++ })
			sv.write429(w, retry)
			return
		}
	}
	if f.Fail503Every > 0 && n%uint64(f.Fail503Every) == 0 {
		sv.count(func(s *Stats) { s.Unavailable++ })
		writeErr(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	if !sv.authorized(r, public) {
		sv.count(func(s *Stats) { s.Unauthorized++ })
		sv.write401(w)
		return
	}
	if f.MalformedFraction > 0 {
		u := float64(mix64(uint64(sv.cfg.Seed)^n*0x9e3779b97f4a7c15)>>11) / (1 << 53)
		if u < f.MalformedFraction {
			rec := &bufWriter{h: w.Header(), status: http.StatusOK}
			fn(rec, r)
			body := rec.buf
			if rec.status == http.StatusOK {
				sv.count(func(s *Stats) { s.Malformed++ })
				if n%2 == 0 {
					body = body[:len(body)/2]
				} else {
					w.Header().Set("Content-Type", "text/html;charset=UTF-8")
					body = []byte("<html><head><title>Oops</title></head><body>Something went wrong.</body></html>")
				}
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.status)
			_, _ = w.Write(body)
			return
		}
	}
	fn(w, r)
}

type bufWriter struct {
	h      http.Header
	status int
	buf    []byte
}

func (b *bufWriter) Header() http.Header         { return b.h }
func (b *bufWriter) WriteHeader(code int)        { b.status = code }
func (b *bufWriter) Write(p []byte) (int, error) { b.buf = append(b.buf, p...); return len(p), nil }

func (sv *Server) count(fn func(*Stats)) {
	sv.statsMu.Lock()
	fn(&sv.stats)
	sv.statsMu.Unlock()
}

// rateLimited counts the request in the current clock second.
func (sv *Server) rateLimited() (retry time.Duration, limited bool) {
	now := sv.cfg.Clock()
	sec := now.Unix()
	sv.statsMu.Lock()
	defer sv.statsMu.Unlock()
	if sec != sv.rlSec {
		sv.rlSec, sv.rlCount = sec, 0
	}
	sv.rlCount++
	if sv.rlCount <= sv.cfg.Faults.RateLimitPerSecond {
		return 0, false
	}
	return time.Unix(sec+1, 0).Sub(now), true
}

func (sv *Server) write429(w http.ResponseWriter, retry time.Duration) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(sv.cfg.Faults.RateLimitPerSecond))
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("RateLimit-Reason", "jira-burst-based")
	if sv.cfg.Faults.RateLimitHeader == HeaderRateLimitReset {
		h.Set("X-RateLimit-Reset", sv.cfg.Clock().Add(retry).UTC().Format(time.RFC3339))
	} else {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
	}
	writeErr(w, http.StatusTooManyRequests, "Rate limit exceeded.")
}

func (sv *Server) authorized(r *http.Request, public bool) bool {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return public
	}
	if sv.cfg.Mode == ModeCloud {
		u, p, ok := r.BasicAuth()
		return ok && u == sv.cfg.Email && p == sv.cfg.Token
	}
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	return ok && tok == sv.cfg.PAT
}

func (sv *Server) write401(w http.ResponseWriter) {
	if sv.cfg.Mode == ModeCloud {
		w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
		writeErr(w, http.StatusUnauthorized, "Client must be authenticated to access this resource.")
		return
	}
	w.Header().Set("WWW-Authenticate", `OAuth realm="jirasim"`)
	w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
	w.Header().Set("X-Ausername", "anonymous")
	writeErr(w, http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
}

// ---- response helpers -------------------------------------------------------

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeErr answers in Jira's error shape: {"errorMessages":[msg],"errors":{}}.
func writeErr(w http.ResponseWriter, status int, msgs ...string) {
	b, _ := json.Marshal(struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}{msgs, map[string]string{}})
	writeJSON(w, status, b)
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// intParam reads a non-negative integer query parameter.
func intParam(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("the '%s' parameter must be a number, got '%s'", name, v)
	}
	return max(n, 0), nil
}

// page reads startAt and maxResults (default def, at most limit).
func page(r *http.Request, def, limit int) (startAt, maxResults int, err error) {
	if startAt, err = intParam(r, "startAt", 0); err != nil {
		return 0, 0, err
	}
	if maxResults, err = intParam(r, "maxResults", def); err != nil {
		return 0, 0, err
	}
	if maxResults == 0 {
		maxResults = def
	}
	return startAt, min(maxResults, limit), nil
}

// ---- generated backend ------------------------------------------------------

type genBackend struct {
	sv *Server
	s  *site
}

func (g *genBackend) size() int { return g.s.cfg.Issues }

func (g *genBackend) meta(i int) issueMeta {
	is := g.sv.issue(i)
	st, _, _ := is.final()
	return issueMeta{
		created: is.created.UnixMilli(), updated: is.updated().UnixMilli(),
		proj: is.b, typ: int(is.typ), status: st.status, num: int64(is.j + 1), sprints: st.sprints,
	}
}

func (g *genBackend) projects() []projectRef {
	var out []projectRef
	for _, b := range g.s.boards {
		out = append(out, projectRef{id: b.projID, key: b.projKey, name: b.projName})
	}
	return out
}

func (g *genBackend) typeNames() []string {
	var out []string
	for _, t := range issueTypes {
		out = append(out, t.name)
	}
	return out
}

func (g *genBackend) lookup(k string) (int, bool)     { return g.s.lookup(k) }
func (g *genBackend) sprintCandidates(id int64) []int { return g.s.sprintCandidates(id) }
func (g *genBackend) sprintExists(id int64) bool      { return g.s.sprintByID(id) != nil }
func (g *genBackend) boardIssues(id int64) ([]int, int, bool) {
	if id < 1 || id > int64(len(g.s.boards)) {
		return nil, 0, false
	}
	return nil, int(id - 1), true
}

// boardRule: generated boards are scrum boards whose columns map To Do, In
// Progress, In Review and the board's done statuses (Released only on the
// board that has it; no other board's issues ever reach it).
func (g *genBackend) boardRule(id int64) (bool, []bool) {
	mapped := make([]bool, len(statuses))
	mapped[stToDo], mapped[stInProgress], mapped[stInReview] = true, true, true
	for _, st := range g.s.boards[id-1].doneCol {
		mapped[st] = true
	}
	return true, mapped
}

func (g *genBackend) sprintByName(name string) (int64, bool) {
	for _, b := range g.s.boards {
		for _, sp := range b.sprints {
			if strings.EqualFold(sp.name, name) {
				return sp.id, true
			}
		}
	}
	return 0, false
}

// ---- Touch ----------------------------------------------------------------

// Touch changes n issues (chosen deterministically from the seed and the
// number of earlier calls): each gets one more changelog history at `at` (a
// status step, or an estimate change on done issues) and so `updated` = at.
// It returns the touched keys. at should not be before Now. In --data mode it
// touches nothing and returns nil.
func (sv *Server) Touch(n int, at time.Time) []string {
	if sv.site == nil || n <= 0 {
		return nil
	}
	at = at.UTC().Truncate(time.Millisecond)
	sv.mu.Lock()
	seq := sv.touchSeq
	sv.touchSeq++
	sv.mu.Unlock()

	total := sv.site.cfg.Issues
	n = min(n, total)
	r := sv.site.rng(int(seq), 0xC0)
	chosen := map[int]bool{}
	var keys []string
	var idxs []int
	for len(idxs) < n {
		i := r.IntN(total)
		if chosen[i] {
			continue
		}
		chosen[i] = true
		idxs = append(idxs, i)
	}
	slices.Sort(idxs)
	hs := make([]history, len(idxs))
	for n, i := range idxs {
		is := sv.issue(i)
		st, _, _ := is.final()
		a := act(at, pick(r, sv.site.boards[is.b].members))
		switch st.status {
		case stToDo:
			a.status = stInProgress
		case stInProgress:
			a.status = stInReview
		case stInReview:
			a.status = sv.site.doneStatus(r, is.b)
		default:
			a.setEst = true
			a.est = pick(r, pointValues)
			for sameEst(a.est, st.est) {
				a.est = pick(r, pointValues)
			}
		}
		hs[n] = sv.site.historyFor(&st, a, at)
		keys = append(keys, sv.site.key(i))
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	for n, i := range idxs {
		sv.overlay[i] = append(sv.overlay[i], hs[n])
	}
	if sv.ix != nil {
		// Copy on write: searches read the old index without a lock.
		ix := &index{entries: slices.Clone(sv.ix.entries)}
		for _, i := range idxs {
			ix.entries[i].updated = at.UnixMilli()
		}
		sv.ix = ix
	}
	sv.ixGen++
	return keys
}
