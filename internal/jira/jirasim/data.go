package jirasim

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// dataset is a site loaded from a --data directory (layout in README.md).
// It is held in memory: it is meant for recorded sites of modest size.
type dataset struct {
	boards       []boardVal
	boardProj    map[int64]projectRef
	boardLists   map[int64][]int // from board-<id>-issues.txt
	configs      map[int64][]byte
	sprints      map[int64][]sprintVal
	fieldsJSON   []byte
	statusesJSON []byte
	sprintField  string

	issues  []*dataIssue
	byKey   map[string]int
	projs   []projectRef
	types   []string
	stIDs   []string        // status ids seen on issues, by issueMeta.status
	stIdx   map[string]int  // status id -> index into stIDs
	members map[int64][]int // sprint id -> issues whose Sprint field holds it
	names   map[string]int64
}

type kv struct {
	k string
	v json.RawMessage
}

type dataIssue struct {
	id, key, self, expand string
	fields                []kv
	hist                  [][]byte // oldest first
	meta                  issueMeta
}

func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("jirasim: read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("jirasim: decode %s: %w", path, err)
	}
	return nil
}

func compact(raw []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return raw
	}
	return buf.Bytes()
}

var boardFileRE = regexp.MustCompile(`^board-(\d+)-(configuration\.json|sprints\.json|issues\.txt)$`)

func loadDataset(dir string) (*dataset, error) {
	d := &dataset{
		boardProj: map[int64]projectRef{}, boardLists: map[int64][]int{}, configs: map[int64][]byte{},
		sprints: map[int64][]sprintVal{}, byKey: map[string]int{}, members: map[int64][]int{}, names: map[string]int64{},
	}
	var boards []json.RawMessage
	if err := readJSONFile(filepath.Join(dir, "boards.json"), &boards); err != nil {
		return nil, err
	}
	for _, raw := range boards {
		var b struct {
			ID       int64 `json:"id"`
			Location struct {
				ProjectID   int64  `json:"projectId"`
				ProjectKey  string `json:"projectKey"`
				ProjectName string `json:"projectName"`
			} `json:"location"`
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, fmt.Errorf("jirasim: decode boards.json: %w", err)
		}
		d.boards = append(d.boards, boardVal{b.ID, compact(raw)})
		d.boardProj[b.ID] = projectRef{id: b.Location.ProjectID, key: b.Location.ProjectKey, name: b.Location.ProjectName}
	}
	if err := readJSONFile(filepath.Join(dir, "fields.json"), new([]json.RawMessage)); err != nil {
		return nil, err
	}
	fb, _ := os.ReadFile(filepath.Join(dir, "fields.json"))
	d.fieldsJSON = compact(fb)
	d.sprintField = "customfield_10020"
	var fields []struct {
		ID     string `json:"id"`
		Schema struct {
			Custom string `json:"custom"`
		} `json:"schema"`
	}
	_ = json.Unmarshal(fb, &fields)
	for _, f := range fields {
		if f.Schema.Custom == "com.pyxis.greenhopper.jira:gh-sprint" {
			d.sprintField = f.ID
		}
	}
	if sb, err := os.ReadFile(filepath.Join(dir, "statuses.json")); err == nil {
		d.statusesJSON = compact(sb)
	}

	// Issues.
	ents, err := os.ReadDir(filepath.Join(dir, "issues"))
	if err != nil {
		return nil, fmt.Errorf("jirasim: read issues dir: %w", err)
	}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		is, err := d.loadIssue(filepath.Join(dir, "issues", e.Name()))
		if err != nil {
			return nil, err
		}
		d.issues = append(d.issues, is)
	}
	slices.SortFunc(d.issues, func(a, b *dataIssue) int {
		pa, na := splitKey(a.key)
		pb, nb := splitKey(b.key)
		return cmp.Or(strings.Compare(pa, pb), cmp.Compare(na, nb))
	})
	projIdx := map[string]int{}
	typeIdx := map[string]int{}
	for _, id := range sortedBoardIDs(d.boardProj) {
		p := d.boardProj[id]
		if _, ok := projIdx[p.key]; !ok && p.key != "" {
			projIdx[p.key] = len(d.projs)
			d.projs = append(d.projs, p)
		}
	}
	for i, is := range d.issues {
		d.byKey[is.key] = i
		d.byKey[is.id] = i
		var f struct {
			Project struct {
				ID, Key, Name string
			} `json:"project"`
			IssueType struct {
				Name string `json:"name"`
			} `json:"issuetype"`
			Status struct {
				ID string `json:"id"`
			} `json:"status"`
		}
		_ = json.Unmarshal(is.field("project"), &f.Project)
		_ = json.Unmarshal(is.field("issuetype"), &f.IssueType)
		_ = json.Unmarshal(is.field("status"), &f.Status)
		is.meta.status = -1
		if f.Status.ID != "" {
			if d.stIdx == nil {
				d.stIdx = map[string]int{}
			}
			if _, ok := d.stIdx[f.Status.ID]; !ok {
				d.stIdx[f.Status.ID] = len(d.stIDs)
				d.stIDs = append(d.stIDs, f.Status.ID)
			}
			is.meta.status = d.stIdx[f.Status.ID]
		}
		pk := f.Project.Key
		if pk == "" {
			pk, _ = splitKey(is.key)
		}
		if _, ok := projIdx[pk]; !ok {
			pid, _ := strconv.ParseInt(f.Project.ID, 10, 64)
			projIdx[pk] = len(d.projs)
			d.projs = append(d.projs, projectRef{id: pid, key: pk, name: f.Project.Name})
		}
		if _, ok := typeIdx[f.IssueType.Name]; !ok {
			typeIdx[f.IssueType.Name] = len(d.types)
			d.types = append(d.types, f.IssueType.Name)
		}
		is.meta.proj = projIdx[pk]
		is.meta.typ = typeIdx[f.IssueType.Name]
		_, is.meta.num = splitKey(is.key)
		for _, id := range is.meta.sprints {
			d.members[id] = append(d.members[id], i)
		}
	}

	// Per-board files.
	all, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("jirasim: read %s: %w", dir, err)
	}
	for _, e := range all {
		m := boardFileRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		id, _ := strconv.ParseInt(m[1], 10, 64)
		path := filepath.Join(dir, e.Name())
		switch m[2] {
		case "configuration.json":
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("jirasim: read %s: %w", path, err)
			}
			if !json.Valid(b) {
				return nil, fmt.Errorf("jirasim: decode %s: invalid JSON", path)
			}
			d.configs[id] = compact(b)
		case "sprints.json":
			var vals []json.RawMessage
			if err := readJSONFile(path, &vals); err != nil {
				return nil, err
			}
			for _, raw := range vals {
				var s struct {
					ID    int64  `json:"id"`
					State string `json:"state"`
					Name  string `json:"name"`
				}
				if err := json.Unmarshal(raw, &s); err != nil {
					return nil, fmt.Errorf("jirasim: decode %s: %w", path, err)
				}
				d.sprints[id] = append(d.sprints[id], sprintVal{s.ID, strings.ToLower(s.State), compact(raw)})
				d.names[strings.ToLower(s.Name)] = s.ID
			}
		case "issues.txt":
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("jirasim: read %s: %w", path, err)
			}
			sc := bufio.NewScanner(f)
			list := []int{}
			for sc.Scan() {
				k := strings.TrimSpace(sc.Text())
				if i, ok := d.byKey[k]; ok {
					list = append(list, i)
				}
			}
			_ = f.Close()
			d.boardLists[id] = list
		}
	}
	return d, nil
}

func sortedBoardIDs(m map[int64]projectRef) []int64 {
	var ids []int64
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func splitKey(key string) (string, int64) {
	dash := strings.LastIndexByte(key, '-')
	if dash < 0 {
		return key, 0
	}
	n, _ := strconv.ParseInt(key[dash+1:], 10, 64)
	return key[:dash], n
}

func (is *dataIssue) field(name string) json.RawMessage {
	for _, f := range is.fields {
		if f.k == name {
			return f.v
		}
	}
	return nil
}

// orderedObject decodes a JSON object keeping its key order.
func orderedObject(raw []byte) ([]kv, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if t != json.Delim('{') {
		return nil, fmt.Errorf("not an object")
	}
	var out []kv
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, kv{t.(string), compact(v)})
	}
	return out, nil
}

var jiraLayouts = []string{jiraTime, "2006-01-02T15:04:05.000Z07:00", time.RFC3339Nano, "2006-01-02T15:04:05-0700"}

func parseAnyTime(s string) (time.Time, bool) {
	for _, l := range jiraLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

var dcSprintID = regexp.MustCompile(`\[id=(\d+),`)

func (d *dataset) loadIssue(path string) (*dataIssue, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("jirasim: read %s: %w", path, err)
	}
	top, err := orderedObject(b)
	if err != nil {
		return nil, fmt.Errorf("jirasim: decode %s: %w", path, err)
	}
	is := &dataIssue{}
	for _, f := range top {
		switch f.k {
		case "id":
			_ = json.Unmarshal(f.v, &is.id)
		case "key":
			_ = json.Unmarshal(f.v, &is.key)
		case "self":
			_ = json.Unmarshal(f.v, &is.self)
		case "expand":
			_ = json.Unmarshal(f.v, &is.expand)
		case "fields":
			if is.fields, err = orderedObject(f.v); err != nil {
				return nil, fmt.Errorf("jirasim: decode %s fields: %w", path, err)
			}
		case "changelog":
			var cl struct {
				Histories []json.RawMessage `json:"histories"`
			}
			if err := json.Unmarshal(f.v, &cl); err != nil {
				return nil, fmt.Errorf("jirasim: decode %s changelog: %w", path, err)
			}
			type h struct {
				at  time.Time
				raw []byte
			}
			var hs []h
			for _, raw := range cl.Histories {
				var x struct {
					Created string `json:"created"`
				}
				_ = json.Unmarshal(raw, &x)
				t, _ := parseAnyTime(x.Created)
				hs = append(hs, h{t, compact(raw)})
			}
			slices.SortStableFunc(hs, func(a, b h) int { return a.at.Compare(b.at) })
			for _, x := range hs {
				is.hist = append(is.hist, x.raw)
			}
		}
	}
	if is.id == "" || is.key == "" {
		return nil, fmt.Errorf("jirasim: %s: issue without id or key", path)
	}
	var ts string
	if json.Unmarshal(is.field("created"), &ts) == nil {
		if t, ok := parseAnyTime(ts); ok {
			is.meta.created = t.UnixMilli()
		}
	}
	if json.Unmarshal(is.field("updated"), &ts) == nil {
		if t, ok := parseAnyTime(ts); ok {
			is.meta.updated = t.UnixMilli()
		}
	}
	// Sprint field: Cloud objects or Server strings.
	var objs []struct {
		ID int64 `json:"id"`
	}
	var strs []string
	if raw := is.field(d.sprintField); raw != nil {
		if json.Unmarshal(raw, &objs) == nil {
			for _, o := range objs {
				is.meta.sprints = append(is.meta.sprints, o.ID)
			}
		} else if json.Unmarshal(raw, &strs) == nil {
			for _, s := range strs {
				if m := dcSprintID.FindStringSubmatch(s); m != nil {
					id, _ := strconv.ParseInt(m[1], 10, 64)
					is.meta.sprints = append(is.meta.sprints, id)
				}
			}
		}
	}
	return is, nil
}

// ---- backend ----------------------------------------------------------------

func (d *dataset) size() int              { return len(d.issues) }
func (d *dataset) meta(i int) issueMeta   { return d.issues[i].meta }
func (d *dataset) projects() []projectRef { return d.projs }
func (d *dataset) typeNames() []string    { return d.types }

func (d *dataset) lookup(k string) (int, bool) {
	i, ok := d.byKey[k]
	if !ok {
		i, ok = d.byKey[strings.ToUpper(k)]
	}
	return i, ok
}

func (d *dataset) sprintCandidates(id int64) []int { return d.members[id] }

func (d *dataset) sprintExists(id int64) bool {
	for _, vals := range d.sprints {
		for _, s := range vals {
			if s.id == id {
				return true
			}
		}
	}
	_, ok := d.members[id]
	return ok
}

func (d *dataset) sprintByName(name string) (int64, bool) {
	id, ok := d.names[strings.ToLower(name)]
	return id, ok
}

func (d *dataset) boardIssues(id int64) ([]int, int, bool) {
	p, ok := d.boardProj[id]
	if !ok {
		return nil, 0, false
	}
	if list, ok := d.boardLists[id]; ok {
		return list, -1, true
	}
	for i, ref := range d.projs {
		if ref.key == p.key {
			return nil, i, true
		}
	}
	return []int{}, -1, true
}

// boardRule reads the board's configuration file: its type, and the
// statuses mapped to its columns. Without a configuration every status
// counts as mapped (there is nothing to say otherwise).
func (d *dataset) boardRule(id int64) (bool, []bool) {
	var c struct {
		Type         string `json:"type"`
		ColumnConfig *struct {
			Columns []struct {
				Statuses []struct {
					ID string `json:"id"`
				} `json:"statuses"`
			} `json:"columns"`
		} `json:"columnConfig"`
	}
	raw, ok := d.configs[id]
	if !ok || json.Unmarshal(raw, &c) != nil {
		return false, nil
	}
	if c.ColumnConfig == nil {
		return c.Type == "scrum", nil
	}
	mapped := make([]bool, len(d.stIDs))
	for _, col := range c.ColumnConfig.Columns {
		for _, st := range col.Statuses {
			if i, ok := d.stIdx[st.ID]; ok {
				mapped[i] = true
			}
		}
	}
	return c.Type == "scrum", mapped
}

// writeIssue renders a loaded issue with the request's field selection and
// changelog rules; field values are served exactly as stored.
func (d *dataset) writeIssue(w *jw, i int, o renderOpts) {
	is := d.issues[i]
	w.obj()
	if !o.sel.hasFields() {
		w.ks("id", is.id)
		if o.sel.key {
			w.ks("key", is.key)
		}
		if o.changelog {
			d.writeChangelog(w, is, o)
		}
		w.end()
		return
	}
	w.ks("expand", cmp.Or(is.expand, issueExpand))
	w.ks("id", is.id)
	w.ks("self", is.self)
	w.ks("key", is.key)
	if o.changelog {
		d.writeChangelog(w, is, o)
	}
	w.ko("fields")
	agileOnly := map[string]bool{"sprint": true, "closedSprints": true, "epic": true, "flagged": true}
	for _, f := range is.fields {
		if agileOnly[f.k] && !o.agile && !o.sel.inc[f.k] {
			continue
		}
		if o.sel.want(f.k) {
			w.kraw(f.k, f.v)
		}
	}
	w.end()
	w.end()
}

func (d *dataset) writeChangelog(w *jw, is *dataIssue, o renderOpts) {
	hs := is.hist
	if o.truncate > 0 && len(hs) > o.truncate {
		hs = hs[len(hs)-o.truncate:]
	}
	w.ko("changelog")
	w.ki("startAt", 0)
	w.ki("maxResults", int64(len(hs)))
	w.ki("total", int64(len(is.hist)))
	w.ka("histories")
	for k := range hs {
		h := hs[k]
		if o.newestFirst {
			h = hs[len(hs)-1-k]
		}
		w.raw(h)
	}
	w.endA()
	w.end()
}
