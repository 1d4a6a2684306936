package devlakeconv

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Input files, relative to the Jira plugin's e2e directory.
const (
	fileIssues     = "raw_tables/_raw_jira_api_issues.csv"
	fileChangelogs = "raw_tables/_raw_jira_api_issue_changelogs.csv"
	fileSprints    = "raw_tables/_raw_jira_api_sprints.csv"
	fileStatus     = "raw_tables/_raw_jira_api_status.csv"
	fileFields     = "raw_tables/_raw_jira_api_issue_fields.csv"
	fileProjects   = "raw_tables/_raw_jira_api_projects.csv"
	fileBoards     = "snapshot_tables/_tool_jira_boards.csv"
)

// What the synthesised board configuration uses (see the package comment).
const (
	EstimationFieldID   = "customfield_10024"
	EstimationFieldName = "Story Points"
	rankCustomFieldID   = 10019
)

// Summary says what Convert read and wrote.
type Summary struct {
	IssueRows   int                // rows of _raw_jira_api_issues.csv
	Issues      []string           // issue files written (distinct keys), in recorded order
	Histories   map[string]int     // changelog histories written per issue key (the merged, de-duplicated union)
	Boards      []int64            // boards in boards.json, ascending
	BoardIssues map[int64][]string // issue keys per board
	Sprints     map[int64]int      // sprints written per board
	Statuses    int                // entries of statuses.json
	Fields      int                // entries of fields.json
	// UnnamedFields are field ids the issues carry that fields.json leaves out
	// because their name is unknown.
	UnnamedFields []string
	// UnattachedChangelogs counts, per issue id, the changelog histories whose
	// issue was not recorded (written to unattached-changelogs/).
	UnattachedChangelogs map[string]int
	Missing              []string // optional input files that were absent
}

// Convert reads DevLake's Jira recording under srcDir (the devlake-jira-e2e
// directory, or its backend/plugins/jira/e2e directory) and writes the
// simulator's --data layout into dstDir, creating it if needed.
func Convert(srcDir, dstDir string) error {
	_, err := ConvertSummary(srcDir, dstDir)
	return err
}

// ConvertSummary is Convert, also returning what it converted.
func ConvertSummary(srcDir, dstDir string) (*Summary, error) {
	root := srcDir
	if fi, err := os.Stat(filepath.Join(srcDir, "backend", "plugins", "jira", "e2e")); err == nil && fi.IsDir() {
		root = filepath.Join(srcDir, "backend", "plugins", "jira", "e2e")
	}
	c := &converter{
		root:       root,
		sum:        &Summary{Histories: map[string]int{}, BoardIssues: map[int64][]string{}, Sprints: map[int64]int{}, UnattachedChangelogs: map[string]int{}},
		byID:       map[string]*issueRec{},
		byKey:      map[string]*issueRec{},
		projects:   map[string]project{},
		boards:     map[int64]*boardRec{},
		unattached: map[string]*historySet{},
		fieldsUsed: map[string]bool{},
	}
	steps := []func() error{c.readIssues, c.readChangelogs, c.readProjects, c.readBoards, c.readSprints, c.readStatuses, c.readFields}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	if err := c.write(dstDir); err != nil {
		return nil, err
	}
	return c.sum, nil
}

type converter struct {
	root string
	sum  *Summary

	issues     []*issueRec
	byID       map[string]*issueRec
	byKey      map[string]*issueRec
	unattached map[string]*historySet
	projects   map[string]project // by project id
	boards     map[int64]*boardRec
	baseURL    string
	statuses   []statusRec
	fieldsUsed map[string]bool
	fieldRows  []json.RawMessage
}

type issueRec struct {
	id, key   string
	members   []member
	boards    []int64
	hist      historySet
	projectID string
}

type boardRec struct {
	id          int64
	name, typ   string
	self        string
	projectID   string
	issues      []string
	sprints     []json.RawMessage // recorded sprint list values
	sprintSeen  map[string]bool
	seenSprints []json.RawMessage // sprints found on the board's issues
	seenIDs     map[string]bool
}

type project struct {
	ID             flexID            `json:"id"`
	Key            string            `json:"key"`
	Name           string            `json:"name"`
	Self           string            `json:"self"`
	ProjectTypeKey string            `json:"projectTypeKey"`
	AvatarURLs     map[string]string `json:"avatarUrls"`
}

type statusRec struct {
	raw            json.RawMessage
	ID             flexID `json:"id"`
	Self           string `json:"self"`
	StatusCategory struct {
		Key string `json:"key"`
	} `json:"statusCategory"`
	Scope *struct {
		Type    string `json:"type"`
		Project struct {
			ID flexID `json:"id"`
		} `json:"project"`
	} `json:"scope"`
}

func (c *converter) board(id int64) *boardRec {
	b, ok := c.boards[id]
	if !ok {
		b = &boardRec{id: id, sprintSeen: map[string]bool{}, seenIDs: map[string]bool{}}
		c.boards[id] = b
	}
	return b
}

func (c *converter) missing(rel string) {
	c.sum.Missing = append(c.sum.Missing, rel)
}

// readIssues reads the issues with their embedded changelogs.
func (c *converter) readIssues() error {
	t, rows, err := rawRows(c.root, fileIssues)
	if err != nil {
		return err
	}
	if t == nil {
		return fmt.Errorf("devlakeconv: %s has no %s: %w", c.root, fileIssues, os.ErrNotExist)
	}
	c.sum.IssueRows = len(rows)
	for _, r := range rows {
		var head struct {
			ID        flexID                     `json:"id"`
			Key       string                     `json:"key"`
			Fields    map[string]json.RawMessage `json:"fields"`
			Changelog *struct {
				Histories []json.RawMessage `json:"histories"`
			} `json:"changelog"`
		}
		if err := json.Unmarshal(r.data, &head); err != nil {
			return t.rowErr(r.idx, "decode issue: %w", err)
		}
		if head.ID == "" || head.Key == "" {
			return t.rowErr(r.idx, "issue without id or key")
		}
		boardID, ok := boardOf(r)
		if !ok {
			return t.rowErr(r.idx, "no BoardId in params and no /board/{id}/ in url %q", r.url)
		}
		if c.baseURL == "" {
			if u, err := url.Parse(r.url); err == nil && u.Host != "" {
				c.baseURL = u.Scheme + "://" + u.Host
			}
		}
		rec := c.byKey[head.Key]
		if rec == nil {
			members, err := objectMembers(r.data)
			if err != nil {
				return t.rowErr(r.idx, "issue %s: %w", head.Key, err)
			}
			rec = &issueRec{id: string(head.ID), key: head.Key, members: members}
			c.issues = append(c.issues, rec)
			c.byKey[rec.key] = rec
			c.byID[rec.id] = rec
		}
		if !slices.Contains(rec.boards, boardID) {
			rec.boards = append(rec.boards, boardID)
			b := c.board(boardID)
			b.issues = append(b.issues, rec.key)
		}
		for name := range head.Fields {
			c.fieldsUsed[name] = true
		}
		if p := head.Fields["project"]; len(p) > 0 && string(p) != "null" {
			var pr project
			if err := json.Unmarshal(p, &pr); err != nil {
				return t.rowErr(r.idx, "issue %s: fields.project: %w", head.Key, err)
			}
			rec.projectID = string(pr.ID)
			if _, ok := c.projects[rec.projectID]; !ok {
				c.projects[rec.projectID] = pr
			}
		}
		if err := c.board(boardID).noteIssueSprints(head.Fields); err != nil {
			return t.rowErr(r.idx, "issue %s: %w", head.Key, err)
		}
		if head.Changelog != nil {
			for _, h := range head.Changelog.Histories {
				if err := rec.hist.add(h); err != nil {
					return t.rowErr(r.idx, "issue %s: changelog: %w", head.Key, err)
				}
			}
		}
	}
	return nil
}

// noteIssueSprints remembers the sprints of an issue's agile "sprint" and
// "closedSprints" fields, which are sprint list values already.
func (b *boardRec) noteIssueSprints(fields map[string]json.RawMessage) error {
	var vals []json.RawMessage
	if s := fields["sprint"]; len(s) > 0 && string(s) != "null" {
		vals = append(vals, s)
	}
	if s := fields["closedSprints"]; len(s) > 0 && string(s) != "null" {
		var arr []json.RawMessage
		if err := json.Unmarshal(s, &arr); err != nil {
			return fmt.Errorf("closedSprints: %w", err)
		}
		vals = append(vals, arr...)
	}
	for _, v := range vals {
		var sp struct {
			ID flexID `json:"id"`
		}
		if err := json.Unmarshal(v, &sp); err != nil || sp.ID == "" {
			return fmt.Errorf("sprint without id: %.80s", v)
		}
		if !b.seenIDs[string(sp.ID)] {
			b.seenIDs[string(sp.ID)] = true
			b.seenSprints = append(b.seenSprints, v)
		}
	}
	return nil
}

// readChangelogs merges the paged /issue/{id}/changelog rows into the issues.
// DevLake stores one history per row; a row holding a whole page
// ({"values":[...]}) is accepted too.
func (c *converter) readChangelogs() error {
	t, rows, err := rawRows(c.root, fileChangelogs)
	if err != nil {
		return err
	}
	if t == nil {
		c.missing(fileChangelogs)
		return nil
	}
	for _, r := range rows {
		target, ok := changelogIssueOf(r)
		if !ok {
			return t.rowErr(r.idx, "no issue_id in input and no /issue/{id}/changelog in url %q", r.url)
		}
		var page struct {
			Values    []json.RawMessage `json:"values"`
			Histories []json.RawMessage `json:"histories"`
		}
		if err := json.Unmarshal(r.data, &page); err != nil {
			return t.rowErr(r.idx, "decode changelog: %w", err)
		}
		hs := append(page.Values, page.Histories...)
		if page.Values == nil && page.Histories == nil {
			hs = []json.RawMessage{r.data}
		}
		var dst *historySet
		if rec := cmp.Or(c.byID[target], c.byKey[target]); rec != nil {
			dst = &rec.hist
		} else {
			if c.unattached[target] == nil {
				c.unattached[target] = &historySet{}
			}
			dst = c.unattached[target]
		}
		for _, h := range hs {
			if err := dst.add(h); err != nil {
				return t.rowErr(r.idx, "issue %s: %w", target, err)
			}
		}
	}
	return nil
}

func (c *converter) readProjects() error {
	t, rows, err := rawRows(c.root, fileProjects)
	if err != nil {
		return err
	}
	if t == nil {
		c.missing(fileProjects)
		return nil
	}
	for _, r := range rows {
		var p project
		if err := json.Unmarshal(r.data, &p); err != nil {
			return t.rowErr(r.idx, "decode project: %w", err)
		}
		if p.ID == "" {
			return t.rowErr(r.idx, "project without id")
		}
		c.projects[string(p.ID)] = p // the project list is richer than an issue's fields.project
	}
	return nil
}

// readBoards reads DevLake's board snapshot (DevLake keeps no raw board rows).
func (c *converter) readBoards() error {
	t, err := readTable(c.root, fileBoards)
	if err != nil {
		return err
	}
	if t == nil {
		c.missing(fileBoards)
		return nil
	}
	if err := t.need("board_id", "name", "self", "type", "project_id"); err != nil {
		return err
	}
	for i := range t.rows {
		id, err := strconv.ParseInt(t.get(i, "board_id"), 10, 64)
		if err != nil {
			return t.rowErr(i, "board_id: %w", err)
		}
		b := c.board(id)
		b.name, b.self, b.typ, b.projectID = t.get(i, "name"), t.get(i, "self"), t.get(i, "type"), t.get(i, "project_id")
	}
	return nil
}

func (c *converter) readSprints() error {
	t, rows, err := rawRows(c.root, fileSprints)
	if err != nil {
		return err
	}
	if t == nil {
		c.missing(fileSprints)
		return nil
	}
	for _, r := range rows {
		boardID, ok := boardOf(r)
		if !ok {
			return t.rowErr(r.idx, "no BoardId in params and no /board/{id}/ in url %q", r.url)
		}
		var sp struct {
			ID flexID `json:"id"`
		}
		if err := json.Unmarshal(r.data, &sp); err != nil {
			return t.rowErr(r.idx, "decode sprint: %w", err)
		}
		if sp.ID == "" {
			return t.rowErr(r.idx, "sprint without id")
		}
		b := c.board(boardID)
		if !b.sprintSeen[string(sp.ID)] {
			b.sprintSeen[string(sp.ID)] = true
			b.sprints = append(b.sprints, r.data)
		}
	}
	return nil
}

func (c *converter) readStatuses() error {
	t, rows, err := rawRows(c.root, fileStatus)
	if err != nil {
		return err
	}
	if t == nil {
		c.missing(fileStatus)
		return nil
	}
	seen := map[flexID]bool{}
	for _, r := range rows {
		var s statusRec
		if err := json.Unmarshal(r.data, &s); err != nil {
			return t.rowErr(r.idx, "decode status: %w", err)
		}
		if s.ID == "" {
			return t.rowErr(r.idx, "status without id")
		}
		if seen[s.ID] {
			continue
		}
		seen[s.ID] = true
		s.raw = r.data
		c.statuses = append(c.statuses, s)
	}
	return nil
}

// readFields keeps the recorded field list rows (the recording has two).
func (c *converter) readFields() error {
	t, rows, err := rawRows(c.root, fileFields)
	if err != nil {
		return err
	}
	if t == nil {
		c.missing(fileFields)
		return nil
	}
	for _, r := range rows {
		var f struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(r.data, &f); err != nil || f.ID == "" {
			return t.rowErr(r.idx, "field without id")
		}
		c.fieldRows = append(c.fieldRows, r.data)
	}
	return nil
}

// historySet is a changelog being merged: histories de-duplicated by id.
type historySet struct {
	list []history
	seen map[string]bool
}

type history struct {
	id      string
	created time.Time
	raw     json.RawMessage
}

func (s *historySet) add(raw json.RawMessage) error {
	var h struct {
		ID      flexID `json:"id"`
		Created string `json:"created"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return fmt.Errorf("decode history: %w", err)
	}
	if h.ID == "" {
		return errors.New("history without id")
	}
	at, err := parseJiraTime(h.Created)
	if err != nil {
		return fmt.Errorf("history %s: created: %w", h.ID, err)
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if s.seen[string(h.ID)] {
		return nil
	}
	s.seen[string(h.ID)] = true
	s.list = append(s.list, history{id: string(h.ID), created: at, raw: raw})
	return nil
}

// sorted returns the histories oldest first, ties broken by id.
func (s *historySet) sorted() []json.RawMessage {
	slices.SortStableFunc(s.list, func(a, b history) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return compareIDs(a.id, b.id)
	})
	out := make([]json.RawMessage, len(s.list))
	for i, h := range s.list {
		out[i] = h.raw
	}
	return out
}

// compareIDs orders numeric ids numerically, others as strings.
func compareIDs(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return strings.Compare(a, b)
}

var jiraTimeLayouts = []string{
	"2006-01-02T15:04:05.000-0700", // Jira's own
	"2006-01-02T15:04:05-0700",
	time.RFC3339Nano, // colon offsets and Z
}

func parseJiraTime(s string) (time.Time, error) {
	for _, l := range jiraTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unparseable time %q", s)
}

// write writes the data directory.
func (c *converter) write(dst string) error {
	if err := os.MkdirAll(filepath.Join(dst, "issues"), 0o755); err != nil {
		return fmt.Errorf("devlakeconv: create %s: %w", dst, err)
	}
	for _, rec := range c.issues {
		if err := c.writeIssue(dst, rec); err != nil {
			return err
		}
	}
	if err := c.writeUnattached(dst); err != nil {
		return err
	}
	if err := c.writeBoards(dst); err != nil {
		return err
	}
	if err := c.writeStatuses(dst); err != nil {
		return err
	}
	return c.writeFields(dst)
}

func (c *converter) writeIssue(dst string, rec *issueRec) error {
	hist := rec.hist.sorted()
	var buf bytes.Buffer
	writeChangelog(&buf, hist, "histories", false)
	cl := json.RawMessage(bytes.Clone(buf.Bytes()))
	members := slices.Clone(rec.members)
	i := slices.IndexFunc(members, func(m member) bool { return m.key == "changelog" })
	if i >= 0 {
		members[i].val = cl
	} else {
		members = append(members, member{key: "changelog", val: cl})
	}
	buf.Reset()
	if err := writeObject(&buf, members); err != nil {
		return fmt.Errorf("devlakeconv: issue %s: %w", rec.key, err)
	}
	buf.WriteByte('\n')
	if strings.ContainsAny(rec.key, `/\`) || rec.key == "." || rec.key == ".." {
		return fmt.Errorf("devlakeconv: issue key %q cannot be a file name: %w", rec.key, ErrBadInput)
	}
	if err := writeFile(filepath.Join(dst, "issues", rec.key+".json"), buf.Bytes()); err != nil {
		return err
	}
	c.sum.Issues = append(c.sum.Issues, rec.key)
	c.sum.Histories[rec.key] = len(hist)
	return nil
}

// writeChangelog writes an embedded changelog ({..., "histories": [...]}) or a
// changelog endpoint page ({..., "isLast": true, "values": [...]}).
func writeChangelog(buf *bytes.Buffer, hist []json.RawMessage, listKey string, isLast bool) {
	n := strconv.Itoa(len(hist))
	buf.WriteString(`{"startAt":0,"maxResults":` + n + `,"total":` + n)
	if isLast {
		buf.WriteString(`,"isLast":true`)
	}
	buf.WriteString(`,"` + listKey + `":[`)
	for i, h := range hist {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(h)
	}
	buf.WriteString("]}")
}

func (c *converter) writeUnattached(dst string) error {
	if len(c.unattached) == 0 {
		return nil
	}
	dir := filepath.Join(dst, "unattached-changelogs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("devlakeconv: create %s: %w", dir, err)
	}
	for id, set := range c.unattached {
		if strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
			return fmt.Errorf("devlakeconv: issue id %q cannot be a file name: %w", id, ErrBadInput)
		}
		var buf bytes.Buffer
		hist := set.sorted()
		writeChangelog(&buf, hist, "values", true)
		buf.WriteByte('\n')
		if err := writeFile(filepath.Join(dir, id+".json"), buf.Bytes()); err != nil {
			return err
		}
		c.sum.UnattachedChangelogs[id] = len(hist)
	}
	return nil
}

// Board list value and board configuration, as the agile API returns them.
type boardLocation struct {
	ProjectID      int64  `json:"projectId"`
	DisplayName    string `json:"displayName"`
	ProjectName    string `json:"projectName"`
	ProjectKey     string `json:"projectKey"`
	ProjectTypeKey string `json:"projectTypeKey,omitempty"`
	AvatarURI      string `json:"avatarURI,omitempty"`
	Name           string `json:"name"`
}

type boardValue struct {
	ID       int64          `json:"id"`
	Self     string         `json:"self"`
	Name     string         `json:"name"`
	Type     string         `json:"type"`
	Location *boardLocation `json:"location,omitempty"`
}

type statusRef struct {
	ID   string `json:"id"`
	Self string `json:"self"`
}

type boardColumn struct {
	Name     string      `json:"name"`
	Statuses []statusRef `json:"statuses"`
}

type configLocation struct {
	Type string `json:"type"`
	Key  string `json:"key"`
	ID   string `json:"id"`
	Self string `json:"self"`
	Name string `json:"name"`
}

type boardConfig struct {
	ID           int64           `json:"id"`
	Name         string          `json:"name"`
	Type         string          `json:"type"`
	Self         string          `json:"self"`
	Location     *configLocation `json:"location,omitempty"`
	Filter       statusRef       `json:"filter"`
	ColumnConfig struct {
		Columns        []boardColumn `json:"columns"`
		ConstraintType string        `json:"constraintType"`
	} `json:"columnConfig"`
	Estimation struct {
		Type  string `json:"type"`
		Field struct {
			FieldID     string `json:"fieldId"`
			DisplayName string `json:"displayName"`
		} `json:"field"`
	} `json:"estimation"`
	Ranking struct {
		RankCustomFieldID int `json:"rankCustomFieldId"`
	} `json:"ranking"`
}

// boardProject returns the board's project: the snapshot's project_id, else
// the project of the board's first issue.
func (c *converter) boardProject(b *boardRec) (project, bool) {
	if p, ok := c.projects[b.projectID]; ok && b.projectID != "" {
		return p, true
	}
	for _, key := range b.issues {
		if p, ok := c.projects[c.byKey[key].projectID]; ok {
			return p, true
		}
	}
	return project{}, false
}

func (c *converter) writeBoards(dst string) error {
	ids := make([]int64, 0, len(c.boards))
	for id := range c.boards {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var list []json.RawMessage
	for _, id := range ids {
		b := c.boards[id]
		p, hasProject := c.boardProject(b)
		bv := boardValue{ID: id, Self: b.self, Name: b.name, Type: cmp.Or(b.typ, "scrum")}
		if bv.Self == "" {
			bv.Self = c.baseURL + "/rest/agile/1.0/board/" + strconv.FormatInt(id, 10)
		}
		if bv.Name == "" { // Jira names a project's default board "<KEY> board"
			bv.Name = "Board " + strconv.FormatInt(id, 10)
			if hasProject {
				bv.Name = p.Key + " board"
			}
		}
		if hasProject {
			pid, _ := strconv.ParseInt(string(p.ID), 10, 64)
			display := fmt.Sprintf("%s (%s)", p.Name, p.Key)
			bv.Location = &boardLocation{ProjectID: pid, DisplayName: display, ProjectName: p.Name, ProjectKey: p.Key,
				ProjectTypeKey: p.ProjectTypeKey, AvatarURI: p.AvatarURLs["48x48"], Name: display}
		}
		raw, err := marshal(bv)
		if err != nil {
			return fmt.Errorf("devlakeconv: board %d: %w", id, err)
		}
		list = append(list, raw)

		if err := c.writeBoardConfig(dst, bv, p, hasProject); err != nil {
			return err
		}
		sprints := b.sprints
		if len(sprints) == 0 {
			sprints = b.seenSprints
			slices.SortStableFunc(sprints, func(x, y json.RawMessage) int { return compareIDs(sprintID(x), sprintID(y)) })
		}
		var buf bytes.Buffer
		writeArray(&buf, sprints)
		if err := writeFile(filepath.Join(dst, fmt.Sprintf("board-%d-sprints.json", id)), buf.Bytes()); err != nil {
			return err
		}
		c.sum.Sprints[id] = len(sprints)
		var keys strings.Builder
		for _, k := range b.issues {
			keys.WriteString(k + "\n")
		}
		if err := writeFile(filepath.Join(dst, fmt.Sprintf("board-%d-issues.txt", id)), []byte(keys.String())); err != nil {
			return err
		}
		c.sum.BoardIssues[id] = slices.Clone(b.issues)
		c.sum.Boards = append(c.sum.Boards, id)
	}
	var buf bytes.Buffer
	writeArray(&buf, list)
	return writeFile(filepath.Join(dst, "boards.json"), buf.Bytes())
}

func sprintID(raw json.RawMessage) string {
	var sp struct {
		ID flexID `json:"id"`
	}
	_ = json.Unmarshal(raw, &sp) // ids were checked when the sprint was read
	return string(sp.ID)
}

func (c *converter) writeBoardConfig(dst string, bv boardValue, p project, hasProject bool) error {
	cfg := boardConfig{ID: bv.ID, Name: bv.Name, Type: bv.Type, Self: bv.Self + "/configuration"}
	if hasProject {
		cfg.Location = &configLocation{Type: "project", Key: p.Key, ID: string(p.ID),
			Self: cmp.Or(p.Self, c.baseURL+"/rest/api/2/project/"+string(p.ID)), Name: p.Name}
	}
	fid := strconv.FormatInt(bv.ID, 10)
	cfg.Filter = statusRef{ID: fid, Self: c.baseURL + "/rest/api/2/filter/" + fid}
	cfg.ColumnConfig.ConstraintType = "none"
	cols := []boardColumn{{Name: "To Do"}, {Name: "In Progress"}, {Name: "Done"}}
	for _, s := range c.statuses {
		if s.Scope != nil && (!hasProject || s.Scope.Project.ID != p.ID) {
			continue // a team-managed project's status: not on this board
		}
		ref := statusRef{ID: string(s.ID), Self: cmp.Or(s.Self, c.baseURL+"/rest/api/2/status/"+string(s.ID))}
		switch s.StatusCategory.Key {
		case "new":
			cols[0].Statuses = append(cols[0].Statuses, ref)
		case "indeterminate":
			cols[1].Statuses = append(cols[1].Statuses, ref)
		case "done":
			cols[2].Statuses = append(cols[2].Statuses, ref)
		}
	}
	for i := range cols {
		if cols[i].Statuses == nil {
			cols[i].Statuses = []statusRef{}
		}
	}
	cfg.ColumnConfig.Columns = cols
	cfg.Estimation.Type = "field"
	cfg.Estimation.Field.FieldID = EstimationFieldID
	cfg.Estimation.Field.DisplayName = EstimationFieldName
	cfg.Ranking.RankCustomFieldID = rankCustomFieldID
	raw, err := marshalIndent(cfg)
	if err != nil {
		return fmt.Errorf("devlakeconv: board %d configuration: %w", bv.ID, err)
	}
	return writeFile(filepath.Join(dst, fmt.Sprintf("board-%d-configuration.json", bv.ID)), raw)
}

func (c *converter) writeStatuses(dst string) error {
	vals := make([]json.RawMessage, len(c.statuses))
	for i, s := range c.statuses {
		vals[i] = s.raw
	}
	var buf bytes.Buffer
	writeArray(&buf, vals)
	c.sum.Statuses = len(vals)
	return writeFile(filepath.Join(dst, "statuses.json"), buf.Bytes())
}

func (c *converter) writeFields(dst string) error {
	entries, unnamed := synthFields(c.fieldsUsed)
	c.sum.UnnamedFields = unnamed
	have := map[string]bool{}
	var vals []json.RawMessage
	for _, e := range entries {
		raw, err := marshal(e)
		if err != nil {
			return fmt.Errorf("devlakeconv: field %s: %w", e.ID, err)
		}
		have[e.ID] = true
		vals = append(vals, raw)
	}
	for _, raw := range c.fieldRows {
		var f struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &f) // checked in readFields
		if !have[f.ID] {
			have[f.ID] = true
			vals = append(vals, raw)
		}
	}
	var buf bytes.Buffer
	writeArray(&buf, vals)
	c.sum.Fields = len(vals)
	return writeFile(filepath.Join(dst, "fields.json"), buf.Bytes())
}
