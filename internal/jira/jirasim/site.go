package jirasim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Workflow statuses, by index into statuses.
const (
	stToDo = iota
	stInProgress
	stInReview
	stDone
	stReleased
)

type statusDef struct {
	id, name, desc, cat string // cat: new | indeterminate | done
}

var statuses = []statusDef{
	{"10000", "To Do", "", "new"},
	{"3", "In Progress", "This issue is being actively worked on at the moment by the assignee.", "indeterminate"},
	{"10100", "In Review", "Waiting for code review.", "indeterminate"},
	{"10001", "Done", "", "done"},
	{"10101", "Released", "Deployed to production.", "done"},
}

type categoryDef struct {
	id         int
	key, color string
	name       string
}

var categories = map[string]categoryDef{
	"new":           {2, "new", "blue-gray", "To Do"},
	"indeterminate": {4, "indeterminate", "yellow", "In Progress"},
	"done":          {3, "done", "green", "Done"},
}

type issueType uint8

const (
	typeEpic issueType = iota
	typeStory
	typeTask
	typeBug
	typeSubtask
)

type typeDef struct {
	id, name, desc string
	avatar         int
	level          int
}

var issueTypes = []typeDef{
	typeEpic:    {"10000", "Epic", "A big user story that needs to be broken down.", 10307, 1},
	typeStory:   {"10001", "Story", "Functionality or a feature expressed as a user goal.", 10315, 0},
	typeTask:    {"10002", "Task", "A small, distinct piece of work.", 10318, 0},
	typeBug:     {"10004", "Bug", "A problem or error.", 10303, 0},
	typeSubtask: {"10003", "Sub-task", "A small piece of work that's part of a larger task.", 10316, -1},
}

var priorities = []struct{ id, name string }{
	{"1", "Highest"}, {"2", "High"}, {"3", "Medium"}, {"4", "Low"}, {"5", "Lowest"},
}

// fieldIDs are the custom field ids of a mode.
type fieldIDs struct {
	estimate, estimateName, estimateSchema string
	sprint, epicLink, epicName, rank       string
	legacyPoints                           string // cloud only: the float "Story Points" field that boards here do not use
}

var cloudFields = fieldIDs{
	estimate: "customfield_10016", estimateName: "Story point estimate",
	estimateSchema: "com.pyxis.greenhopper.jira:jsw-story-points",
	sprint:         "customfield_10020", epicLink: "customfield_10014", epicName: "customfield_10011",
	rank: "customfield_10019", legacyPoints: "customfield_10026",
}

var dcFields = fieldIDs{
	estimate: "customfield_10002", estimateName: "Story Points",
	estimateSchema: "com.atlassian.jira.plugin.system.customfieldtypes:float",
	sprint:         "customfield_10005", epicLink: "customfield_10008", epicName: "customfield_10009",
	rank: "customfield_10010",
}

type user struct {
	accountID, name, display, email, tz string
}

type simSprint struct {
	id       int64
	board    int
	k        int
	name     string
	goal     string
	state    string // closed | active | future
	start    time.Time
	end      time.Time
	complete time.Time // zero unless closed
	// hypoComplete is when the sprint will (or did) complete; used to lay out
	// timelines, then events after Now are dropped.
	hypoComplete time.Time
}

type simBoard struct {
	idx      int
	id       int64
	name     string
	projKey  string
	projName string
	projID   int64
	doneCol  []int // status indexes of the rightmost column
	members  []int // user indexes
	sprints  []*simSprint
	n        int // issues on this board
	twoDone  bool
}

// site is the static part of a generated site: everything but the issues.
type site struct {
	cfg        Config
	f          fieldIDs
	boards     []*simBoard
	users      []user
	origin     time.Time // project creation
	nEpics     int
	blockStart int
	nClosed    int
	nSprints   int // per board: closed + active + future
	perSprint  int // P: issues laid out per sprint block
	minPer     int // issues on the smallest board
}

func newSite(cfg Config) *site {
	s := &site{cfg: cfg, f: cloudFields}
	if cfg.Mode == ModeDC {
		s.f = dcFields
	}
	T := cfg.Teams
	s.minPer = cfg.Issues / T
	s.nEpics = clamp(s.minPer/150, 2, 12)
	s.blockStart = s.nEpics + 1
	s.nClosed = clamp(s.minPer/120, 3, 26)
	s.nSprints = s.nClosed + 2
	s.perSprint = clamp((s.minPer-s.blockStart)*6/10/s.nSprints, 1, 30)

	// The active sprint started on the Monday 09:00 UTC a week before the
	// Monday of Now's week, so Now falls in its second week.
	now := cfg.Now
	monday := time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, time.UTC)
	for monday.Weekday() != time.Monday {
		monday = monday.AddDate(0, 0, -1)
	}
	if monday.After(now) {
		monday = monday.AddDate(0, 0, -7)
	}
	activeStart := monday.AddDate(0, 0, -7)
	firstStart := activeStart.AddDate(0, 0, -14*s.nClosed)
	s.origin = firstStart.AddDate(0, 0, -30)

	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5173))
	for b := 0; b < T; b++ {
		name, key := fmt.Sprintf("Team %d", b+1), fmt.Sprintf("TM%d", b+1)
		if b < len(teamNames) {
			name, key = teamNames[b].name, teamNames[b].key
		}
		bd := &simBoard{
			idx: b, id: int64(b + 1), name: key + " board", projKey: key, projName: name,
			projID: int64(10000 + b), n: s.minPer,
			doneCol: []int{stDone},
		}
		if b < cfg.Issues%T {
			bd.n++
		}
		if b == min(1, T-1) {
			bd.twoDone = true
			bd.doneCol = []int{stDone, stReleased}
		}
		for m := 0; m < 6; m++ {
			fn, ln := pick(r, firstNames), pick(r, lastNames)
			u := user{
				accountID: fmt.Sprintf("%012x%012x", r.Uint64()&0xffffffffffff, r.Uint64()&0xffffffffffff),
				name:      strings.ToLower(fn[:1] + strings.ReplaceAll(ln, "í", "i")),
				display:   fn + " " + ln,
				tz:        pick(r, timeZones),
			}
			u.name = fmt.Sprintf("%s%d", asciiOnly(u.name), len(s.users))
			u.email = u.name + "@example.com"
			bd.members = append(bd.members, len(s.users))
			s.users = append(s.users, u)
		}
		for k := 0; k < s.nSprints; k++ {
			sp := &simSprint{
				id: int64(b*s.nSprints + k + 1), board: b, k: k,
				name:  fmt.Sprintf("%s Sprint %d", key, k+1),
				goal:  goalFor(r),
				start: firstStart.AddDate(0, 0, 14*k),
			}
			sp.end = sp.start.AddDate(0, 0, 14)
			sp.hypoComplete = sp.end.Add(-66*time.Hour + time.Duration(r.IntN(180))*time.Minute)
			switch {
			case k < s.nClosed:
				sp.state = "closed"
				sp.complete = sp.hypoComplete
			case k == s.nClosed:
				sp.state = "active"
			default:
				sp.state = "future"
			}
			if k%5 == 3 {
				sp.goal = "" // some sprints have no goal
			}
			bd.sprints = append(bd.sprints, sp)
		}
		s.boards = append(s.boards, bd)
	}
	return s
}

func asciiOnly(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c < 128 {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

// sprintByID returns the sprint with that id, or nil.
func (s *site) sprintByID(id int64) *simSprint {
	if id < 1 {
		return nil
	}
	b, k := int((id-1)/int64(s.nSprints)), int((id-1)%int64(s.nSprints))
	if b >= len(s.boards) {
		return nil
	}
	return s.boards[b].sprints[k]
}

// Layout: issue idx ↔ (board b, local j). Keys are <PROJ>-<j+1>.
func (s *site) locate(idx int) (b, j int) { return idx % s.cfg.Teams, idx / s.cfg.Teams }
func (s *site) idxOf(b, j int) int        { return j*s.cfg.Teams + b }
func (s *site) issueID(idx int) int64     { return int64(10000 + idx + 1) }
func (s *site) key(idx int) string {
	b, j := s.locate(idx)
	return s.boards[b].projKey + "-" + itoa(j+1)
}

// lookup resolves an issue key or numeric id to an index.
func (s *site) lookup(keyOrID string) (int, bool) {
	if n, ok := atoi(keyOrID); ok {
		idx := int(n - 10001)
		return idx, idx >= 0 && idx < s.cfg.Issues
	}
	dash := strings.LastIndexByte(keyOrID, '-')
	if dash < 1 {
		return 0, false
	}
	n, ok := atoi(keyOrID[dash+1:])
	if !ok || n < 1 {
		return 0, false
	}
	proj := strings.ToUpper(keyOrID[:dash])
	for _, bd := range s.boards {
		if bd.projKey == proj {
			j := int(n - 1)
			if j >= bd.n {
				return 0, false
			}
			return s.idxOf(bd.idx, j), true
		}
	}
	return 0, false
}

// block returns the sprint block (k, t) of local index j, ok=false outside blocks.
func (s *site) block(j int) (k, t int, ok bool) {
	if j < s.blockStart || j >= s.blockStart+s.nSprints*s.perSprint {
		return 0, 0, false
	}
	off := j - s.blockStart
	return off / s.perSprint, off % s.perSprint, true
}

// sprintCandidates returns the issue indexes that can ever be in sprint id:
// the sprint's own block and the two before it (carry-over).
func (s *site) sprintCandidates(id int64) []int {
	sp := s.sprintByID(id)
	if sp == nil {
		return nil
	}
	var out []int
	for k := max(0, sp.k-2); k <= sp.k; k++ {
		for t := 0; t < s.perSprint; t++ {
			j := s.blockStart + k*s.perSprint + t
			if j < s.boards[sp.board].n {
				out = append(out, s.idxOf(sp.board, j))
			}
		}
	}
	return out
}

// hash mixes the seed with a few integers (splitmix64 finaliser).
func (s *site) hash(vals ...uint64) uint64 {
	h := uint64(s.cfg.Seed) ^ 0x9e3779b97f4a7c15
	for _, v := range vals {
		h ^= v + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h = mix64(h)
	}
	return h
}

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (s *site) rng(idx int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(s.cfg.Seed), mix64(uint64(idx)<<8|stream)))
}

func itoa(n int) string { return strconv.Itoa(n) }

func atoi(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
