package jira

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

// RawIssue is one issue as Jira returned it (search, board issues, issue
// get), changelog included when expanded. Parse it with ParseIssue.
type RawIssue = json.RawMessage

// ParseOptions says where a site keeps the fields that are custom fields.
type ParseOptions struct {
	SiteID string
	// EstimationField is the board's estimation field id (customfield_…,
	// timeoriginalestimate in seconds, or analyzer.EstimationIssueCount,
	// which makes every issue's estimate 1). Empty: no estimate.
	EstimationField string
	// SprintField is the Sprint custom field (schema gh-sprint). Empty: fall
	// back to the agile API's "sprint" and "closedSprints" fields.
	SprintField string
	// EpicLinkField is the Epic Link custom field (schema gh-epic-link);
	// used when the issue has no Epic parent.
	EpicLinkField string
	// EnvironmentField is the field read into Issue.Environment. Empty: the
	// system "environment" field.
	EnvironmentField string
	// Location reads date-only and zone-less times. Default UTC.
	Location *time.Location
}

// Fields is the explicit field list to request so ParseIssue has what it
// reads (Cloud's /search/jql returns only id without one).
func (o ParseOptions) Fields() []string {
	fs := []string{
		"summary", "issuetype", "status", "priority", "created", "updated", "resolutiondate",
		"labels", "components", "fixVersions", "parent", "project",
	}
	fs = append(fs, cmpOr(o.EnvironmentField, "environment"))
	switch o.EstimationField {
	case "", analyzer.EstimationIssueCount:
	default:
		fs = append(fs, o.EstimationField)
	}
	if o.SprintField != "" {
		fs = append(fs, o.SprintField)
	} else {
		fs = append(fs, "sprint", "closedSprints")
	}
	if o.EpicLinkField != "" {
		fs = append(fs, o.EpicLinkField)
	}
	slices.Sort(fs)
	return slices.Compact(fs)
}

// Layouts tried by ParseTime, most common first.
var timeLayouts = []string{
	"2006-01-02T15:04:05-0700",     // Jira: 2006-01-02T15:04:05.000-0700 (fraction accepted by Parse)
	time.RFC3339,                   // colon offset or Z, fraction accepted
	"2006-01-02T15:04Z07:00",       // X-RateLimit-Reset style
	"2006-01-02T15:04:05.000Z0700", // Z or -0700 with literal fraction
	"2006-01-02 15:04:05-0700",     // space separator
}

var localLayouts = []string{
	"2006-01-02T15:04:05", // no zone
	"2006-01-02 15:04",    // JQL style
	"2006-01-02",          // date only (duedate, releaseDate)
}

// ParseTime reads the time formats Jira emits: 2006-01-02T15:04:05.000-0700,
// RFC 3339 with a colon offset or Z, zone-less and date-only values (read in
// loc, default UTC). "", "<null>" and "null" give nil without error. A time
// outside the years 1 to 9999 (in UTC) is an error: PostgreSQL cannot store
// year 0000, which real exports contain.
func ParseTime(s string, loc *time.Location) (*time.Time, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", "<null>", "null":
		return nil, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return inYearRange(s, t)
		}
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return inYearRange(s, t)
		}
	}
	return nil, fmt.Errorf("unrecognised time %q", s)
}

// abbrevRaw shows a raw field value in an error, cut short.
func abbrevRaw(raw json.RawMessage) string {
	if raw == nil {
		return "absent"
	}
	s := string(raw)
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

// inYearRange refuses times outside the years 1-9999 in UTC (year 0000, or
// 0001-01-01 with a positive offset), which PostgreSQL and the week
// arithmetic cannot take. Found by FuzzParseTime.
func inYearRange(s string, t time.Time) (*time.Time, error) {
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return nil, fmt.Errorf("time %q is out of range (years 1 to 9999)", s)
	}
	return &t, nil
}

// parseTimeJSON reads a JSON time value: string (ParseTime), number (epoch
// milliseconds) or null.
func parseTimeJSON(raw json.RawMessage, loc *time.Location) (*time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return ParseTime(s, loc)
	}
	ms, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("unrecognised time %s", raw)
	}
	t := time.UnixMilli(ms).UTC()
	return &t, nil
}

// flexString decodes a JSON string, number, bool or null (→ "") into a
// string, so that one odd value does not fail a whole changelog.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		*f = flexString(b)
	}
	return nil
}

// HistoryAuthor is the author of a changelog history (Cloud: accountId;
// Server/DC: name and key).
type HistoryAuthor struct {
	AccountID   string `json:"accountId"`
	Name        string `json:"name"`
	Key         string `json:"key"`
	DisplayName string `json:"displayName"`
}

// ID returns the most stable identifier: accountId, then key, then name.
func (a *HistoryAuthor) ID() string {
	if a == nil {
		return ""
	}
	return cmpOr(a.AccountID, cmpOr(a.Key, cmpOr(a.Name, a.DisplayName)))
}

// HistoryItem is one field change of a history.
type HistoryItem struct {
	Field      flexString `json:"field"`
	FieldType  flexString `json:"fieldtype"`
	FieldID    flexString `json:"fieldId"`
	From       flexString `json:"from"`
	FromString flexString `json:"fromString"`
	To         flexString `json:"to"`
	ToString   flexString `json:"toString"`
}

// History is one changelog entry, as embedded (changelog.histories), paged
// (/issue/{key}/changelog values) or bulk-fetched (changeHistories).
type History struct {
	ID      flexString     `json:"id"`
	Author  *HistoryAuthor `json:"author"`
	Created flexString     `json:"created"`
	Items   []HistoryItem  `json:"items"`
}

// ConvertHistories turns histories into change items sorted by time, then
// history id, then position. A history with an unreadable id or time is
// skipped with a warning.
func ConvertHistories(siteID string, issueID int64, issueKey string, hs []History, loc *time.Location) ([]analyzer.ChangeItem, []error) {
	var items []analyzer.ChangeItem
	var warns []error
	for _, h := range hs {
		hid, err := strconv.ParseInt(strings.TrimSpace(string(h.ID)), 10, 64)
		if err != nil {
			warns = append(warns, newFieldError(issueKey, "changelog.histories.id", []byte(h.ID), err))
			continue
		}
		at, err := ParseTime(string(h.Created), loc)
		if err == nil && at == nil {
			err = errors.New("missing time")
		}
		if err != nil {
			warns = append(warns, newFieldError(issueKey, fmt.Sprintf("changelog.histories[%d].created", hid), []byte(h.Created), err))
			continue
		}
		for i, it := range h.Items {
			items = append(items, analyzer.ChangeItem{
				SiteID: siteID, IssueID: issueID, HistoryID: hid, Seq: i, At: *at,
				Author: h.Author.ID(), Field: string(it.Field), FieldID: string(it.FieldID),
				FromValue: string(it.From), FromString: string(it.FromString),
				ToValue: string(it.To), ToString: string(it.ToString),
			})
		}
	}
	slices.SortStableFunc(items, func(a, b analyzer.ChangeItem) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if a.HistoryID != b.HistoryID {
			if a.HistoryID < b.HistoryID {
				return -1
			}
			return 1
		}
		return a.Seq - b.Seq
	})
	return items, warns
}

func appendHistories(items []analyzer.ChangeItem, warns []error, siteID string, issueID int64, key string, hs []History, loc *time.Location) ([]analyzer.ChangeItem, []error) {
	its, ws := ConvertHistories(siteID, issueID, key, hs, loc)
	return append(items, its...), append(warns, ws...)
}

// cutTopLevelKey returns a copy of the JSON object raw without the member
// key at its top level (nested members of that name stay). raw must be valid
// JSON; when the key is absent the copy is unchanged.
func cutTopLevelKey(raw []byte, key string) []byte {
	raw = bytes.TrimSpace(raw)
	quoted := `"` + key + `"`
	depth, lastSep := 0, -1 // lastSep: index of the '{' or ',' before the current member
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '"':
			start := i
			for i++; i < len(raw) && raw[i] != '"'; i++ {
				if raw[i] == '\\' {
					i++
				}
			}
			if depth != 1 || lastSep < 0 || string(raw[start:i+1]) != quoted ||
				len(bytes.TrimSpace(raw[lastSep+1:start])) != 0 {
				continue
			}
			// A top-level key: find the end of its value.
			end := valueEnd(raw, i+1)
			out := make([]byte, 0, len(raw))
			if raw[lastSep] == ',' {
				out = append(append(out, raw[:lastSep]...), raw[end:]...)
			} else { // first member: drop the comma after the value instead
				rest := raw[end:]
				if t := bytes.TrimLeft(rest, " \t\r\n"); len(t) > 0 && t[0] == ',' {
					rest = t[1:]
				}
				out = append(append(out, raw[:lastSep+1]...), rest...)
			}
			return out
		case '{', '[':
			depth++
			if depth == 1 && c == '{' {
				lastSep = i
			}
		case '}', ']':
			depth--
		case ',':
			if depth == 1 {
				lastSep = i
			}
		}
	}
	return bytes.Clone(raw)
}

// valueEnd returns the index just past the value that starts after the
// colon at or after i (skipping the colon), for valid JSON.
func valueEnd(raw []byte, i int) int {
	depth := 0
	for ; i < len(raw); i++ {
		switch raw[i] {
		case '"':
			for i++; i < len(raw) && raw[i] != '"'; i++ {
				if raw[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // end of the enclosing object
			}
			depth--
		case ',':
			if depth == 0 {
				return i
			}
		}
	}
	return len(raw)
}

// decodeHistories decodes a JSON array of histories one by one, so one
// malformed history costs only itself.
func decodeHistories(raw json.RawMessage, issueKey string) ([]History, []error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, []error{newFieldError(issueKey, "changelog.histories", raw, err)}
	}
	hs := make([]History, 0, len(elems))
	var warns []error
	for i, e := range elems {
		var h History
		if err := json.Unmarshal(e, &h); err != nil {
			warns = append(warns, newFieldError(issueKey, fmt.Sprintf("changelog.histories[%d]", i), e, err))
			continue
		}
		hs = append(hs, h)
	}
	return hs, warns
}

// issueParser reads fields of one issue, collecting warnings.
type issueParser struct {
	key    string
	fields map[string]json.RawMessage
	loc    *time.Location
	warns  []error
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

func (p *issueParser) warn(field string, raw []byte, err error) {
	p.warns = append(p.warns, newFieldError(p.key, field, raw, err))
}

// decode unmarshals field name into v; false when absent, null or invalid
// (invalid adds a warning).
func (p *issueParser) decode(name string, v any) bool {
	raw, ok := p.fields[name]
	if !ok || isNull(raw) {
		return false
	}
	if err := json.Unmarshal(raw, v); err != nil {
		p.warn(name, raw, err)
		return false
	}
	return true
}

func (p *issueParser) str(name string) string {
	var s string
	p.decode(name, &s)
	return s
}

func (p *issueParser) time(name string) *time.Time {
	raw, ok := p.fields[name]
	if !ok {
		return nil
	}
	t, err := parseTimeJSON(raw, p.loc)
	if err != nil {
		p.warn(name, raw, err)
		return nil
	}
	return t
}

// names reads an array of strings or of objects with name/value.
func (p *issueParser) names(name string) []string {
	raw, ok := p.fields[name]
	if !ok || isNull(raw) {
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		p.warn(name, raw, err)
		return nil
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		if s := textOf(e); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// textOf extracts display text from a field value: a string, a number, an
// option object (value/name/key), an array of those (joined with ", "), or
// an Atlassian Document Format document (v3 text fields).
func textOf(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	case '[':
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil {
			return ""
		}
		var parts []string
		for _, e := range elems {
			if s := textOf(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	case '{':
		var o struct {
			Value   json.RawMessage   `json:"value"`
			Name    string            `json:"name"`
			Key     string            `json:"key"`
			Type    string            `json:"type"`
			Text    string            `json:"text"`
			Content []json.RawMessage `json:"content"`
		}
		if json.Unmarshal(raw, &o) != nil {
			return ""
		}
		if o.Type == "doc" || o.Type == "paragraph" || o.Type == "text" || len(o.Content) > 0 {
			var b strings.Builder
			adfText(raw, &b)
			return strings.TrimSpace(b.String())
		}
		if s := textOf(o.Value); s != "" {
			return s
		}
		return cmpOr(o.Name, o.Key)
	default:
		return string(raw)
	}
}

func adfText(raw json.RawMessage, b *strings.Builder) {
	var n struct {
		Type    string            `json:"type"`
		Text    string            `json:"text"`
		Content []json.RawMessage `json:"content"`
	}
	if json.Unmarshal(raw, &n) != nil {
		return
	}
	b.WriteString(n.Text)
	for _, c := range n.Content {
		adfText(c, b)
	}
	if n.Type == "paragraph" {
		b.WriteString("\n")
	}
}

// parseIssueID reads an issue id given as a JSON string or number.
func parseIssueID(raw json.RawMessage) (int64, error) {
	if isNull(raw) {
		return 0, errors.New("no id")
	}
	s := string(bytes.Trim(bytes.TrimSpace(raw), `"`))
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("bad id %s", raw)
	}
	return id, nil
}

// ParseIssue converts one raw issue into the domain issue and its change
// items (sorted by time). Per-field problems come back as warnings
// (*FieldError) and the field is left empty; the error is non-nil (and
// wraps ErrUnusableIssue) only when the issue has no readable id or key.
//
// Issue.Raw is the issue JSON without its changelog. ChangelogComplete is
// true only when an embedded changelog was present and held every history
// (startAt 0, total ≤ len(histories)).
func ParseIssue(raw json.RawMessage, opts ParseOptions) (analyzer.Issue, []analyzer.ChangeItem, []error, error) {
	// Fast path: one pass decodes the envelope, the fields as raw values and
	// the histories typed. Anything odd inside falls back to the slow,
	// defensive path, which decodes piece by piece.
	var env issueEnvelope
	fast := json.Unmarshal(raw, &env) == nil
	return parseIssue(raw, &env, fast, opts)
}

// issueEnvelope is an issue decoded in one pass: the fields as raw values,
// the embedded changelog typed.
type issueEnvelope struct {
	ID        json.RawMessage            `json:"id"`
	Key       json.RawMessage            `json:"key"`
	Fields    map[string]json.RawMessage `json:"fields"`
	Changelog *struct {
		StartAt   int       `json:"startAt"`
		Total     int       `json:"total"`
		Histories []History `json:"histories"`
	} `json:"changelog"`
}

// parseIssue is ParseIssue of raw, whose envelope env was decoded already
// when fast (else it is decoded piece by piece).
func parseIssue(raw json.RawMessage, env *issueEnvelope, fast bool, opts ParseOptions) (analyzer.Issue, []analyzer.ChangeItem, []error, error) {
	var top map[string]json.RawMessage
	if !fast {
		if err := json.Unmarshal(raw, &top); err != nil {
			return analyzer.Issue{}, nil, nil, fmt.Errorf("%w: %v", ErrUnusableIssue, err)
		}
		env.ID, env.Key = top["id"], top["key"]
	}
	var key string
	if err := json.Unmarshal(env.Key, &key); err != nil || strings.TrimSpace(key) == "" {
		return analyzer.Issue{}, nil, nil, fmt.Errorf("%w: no key", ErrUnusableIssue)
	}
	id, err := parseIssueID(env.ID)
	if err != nil {
		return analyzer.Issue{}, nil, nil, fmt.Errorf("%w: issue %s: %v", ErrUnusableIssue, key, err)
	}
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	p := &issueParser{key: key, loc: loc, fields: env.Fields}
	if !fast {
		if f, ok := top["fields"]; ok && !isNull(f) {
			if err := json.Unmarshal(f, &p.fields); err != nil {
				p.warn("fields", f, err)
			}
		}
	}

	is := analyzer.Issue{SiteID: opts.SiteID, ID: id, Key: key}
	var project struct {
		Key string `json:"key"`
	}
	p.decode("project", &project)
	is.ProjectKey = project.Key
	if is.ProjectKey == "" {
		if i := strings.LastIndexByte(key, '-'); i > 0 {
			is.ProjectKey = key[:i]
		}
	}
	is.Summary = p.str("summary")

	var itype struct {
		Name           string `json:"name"`
		Subtask        bool   `json:"subtask"`
		HierarchyLevel int    `json:"hierarchyLevel"`
	}
	p.decode("issuetype", &itype)
	is.Type, is.Subtask = itype.Name, itype.Subtask

	var status struct {
		ID             string `json:"id"`
		Name           string `json:"name"`
		StatusCategory struct {
			Key string `json:"key"`
		} `json:"statusCategory"`
	}
	p.decode("status", &status)
	is.StatusID, is.StatusName, is.StatusCategory = status.ID, status.Name, status.StatusCategory.Key

	var prio struct {
		Name string `json:"name"`
	}
	p.decode("priority", &prio)
	is.Priority = prio.Name

	is.Estimate = p.estimate(opts.EstimationField)
	p.parents(&is, opts.EpicLinkField)

	is.Labels = p.names("labels")
	is.Components = p.names("components")
	is.FixVersions = p.names("fixVersions")
	if raw, ok := p.fields[cmpOr(opts.EnvironmentField, "environment")]; ok {
		is.Environment = textOf(raw)
	}

	// Every figure and every incremental bound starts from created: an
	// issue without a usable one cannot be stored (the caller skips it).
	t := p.time("created")
	if t == nil {
		return analyzer.Issue{}, nil, nil, fmt.Errorf("%w: issue %s: created is missing or unreadable (%s)", ErrUnusableIssue, key, abbrevRaw(p.fields["created"]))
	}
	is.Created = *t
	if t := p.time("updated"); t != nil {
		is.Updated = *t
	}
	is.Resolved = p.time("resolutiondate")

	is.SprintIDs = p.sprintIDs(opts.SprintField)

	var items []analyzer.ChangeItem
	switch {
	case fast && env.Changelog != nil:
		cl := env.Changelog
		items, p.warns = appendHistories(items, p.warns, opts.SiteID, id, key, cl.Histories, loc)
		is.ChangelogComplete = cl.StartAt == 0 && cl.Total <= len(cl.Histories)
	case !fast:
		if cl, ok := top["changelog"]; ok && !isNull(cl) {
			var c struct {
				StartAt   int             `json:"startAt"`
				Total     int             `json:"total"`
				Histories json.RawMessage `json:"histories"`
			}
			if err := json.Unmarshal(cl, &c); err != nil {
				p.warn("changelog", cl, err)
			} else {
				hs, ws := decodeHistories(c.Histories, key)
				p.warns = append(p.warns, ws...)
				items, p.warns = appendHistories(items, p.warns, opts.SiteID, id, key, hs, loc)
				is.ChangelogComplete = c.StartAt == 0 && c.Total <= len(hs) && len(ws) == 0
			}
		}
	}
	is.Raw = cutTopLevelKey(raw, "changelog")
	return is, items, p.warns, nil
}

func (p *issueParser) estimate(field string) *float64 {
	switch field {
	case "":
		return nil
	case analyzer.EstimationIssueCount:
		one := 1.0
		return &one
	}
	raw, ok := p.fields[field]
	if !ok || isNull(raw) {
		return nil
	}
	raw = bytes.TrimSpace(raw)
	s := string(raw)
	if raw[0] == '"' {
		_ = json.Unmarshal(raw, &s)
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		p.warn(field, raw, errors.New("estimate is not a number"))
		return nil
	}
	return &v
}

// parents sets ParentKey (the parent of a sub-task or other child) and
// EpicKey (an Epic parent, the agile "epic" field, or the Epic Link field).
func (p *issueParser) parents(is *analyzer.Issue, epicLinkField string) {
	var parent struct {
		Key    string `json:"key"`
		Fields struct {
			IssueType struct {
				Name           string `json:"name"`
				HierarchyLevel int    `json:"hierarchyLevel"`
			} `json:"issuetype"`
		} `json:"fields"`
	}
	if p.decode("parent", &parent) && parent.Key != "" {
		it := parent.Fields.IssueType
		if strings.EqualFold(it.Name, "Epic") || (it.HierarchyLevel == 1 && !is.Subtask) {
			is.EpicKey = parent.Key
		} else {
			is.ParentKey = parent.Key
		}
	}
	if is.EpicKey == "" {
		var epic struct {
			Key string `json:"key"`
		}
		if p.decode("epic", &epic) {
			is.EpicKey = epic.Key
		}
	}
	if is.EpicKey == "" && epicLinkField != "" {
		if raw, ok := p.fields[epicLinkField]; ok {
			is.EpicKey = textOf(raw)
		}
	}
}

// sprintIDs reads the current Sprint field. It returns nil when the field
// was not in the answer and a non-nil (maybe empty) slice when it was.
func (p *issueParser) sprintIDs(field string) []int64 {
	var raws []json.RawMessage
	if field != "" {
		raw, ok := p.fields[field]
		if !ok {
			return nil
		}
		raws = append(raws, raw)
	} else {
		for _, f := range []string{"sprint", "closedSprints"} {
			if raw, ok := p.fields[f]; ok {
				raws = append(raws, raw)
			}
		}
		if len(raws) == 0 {
			return nil
		}
	}
	ids := []int64{}
	for _, raw := range raws {
		sprints, err := ParseSprintField(raw, p.loc)
		if err != nil {
			p.warn(cmpOr(field, "sprint"), raw, err)
		}
		for _, s := range sprints {
			ids = append(ids, s.ID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

type issueSprintJSON struct {
	ID            flexString `json:"id"`
	Name          string     `json:"name"`
	State         string     `json:"state"`
	BoardID       int64      `json:"boardId"`
	OriginBoardID int64      `json:"originBoardId"`
	Goal          string     `json:"goal"`
	StartDate     string     `json:"startDate"`
	EndDate       string     `json:"endDate"`
	CompleteDate  string     `json:"completeDate"`
}

// ParseSprintField reads a Sprint field value in either form: Cloud's array
// of sprint objects, or Server/DC's array of strings
// "com.atlassian.greenhopper.service.sprint.Sprint@…[id=…,rapidViewId=…,state=…,name=…,goal=…,startDate=…,…]".
// A single object or string is accepted too. Sprints that cannot be read
// are skipped and reported in the error; the rest are returned.
func ParseSprintField(raw json.RawMessage, loc *time.Location) ([]analyzer.Sprint, error) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return nil, nil
	}
	var elems []json.RawMessage
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, err
		}
	} else {
		elems = []json.RawMessage{raw}
	}
	var out []analyzer.Sprint
	var errs []error
	for _, e := range elems {
		e = bytes.TrimSpace(e)
		if isNull(e) {
			continue
		}
		var sp analyzer.Sprint
		var err error
		if e[0] == '"' {
			var s string
			if err = json.Unmarshal(e, &s); err == nil {
				sp, err = ParseDCSprint(s, loc)
			}
		} else {
			var j issueSprintJSON
			if err = json.Unmarshal(e, &j); err == nil {
				sp, err = j.toSprint(loc)
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, sp)
	}
	return out, errors.Join(errs...)
}

func (j issueSprintJSON) toSprint(loc *time.Location) (analyzer.Sprint, error) {
	id, err := strconv.ParseInt(string(j.ID), 10, 64)
	if err != nil {
		return analyzer.Sprint{}, fmt.Errorf("sprint id %q: %w", string(j.ID), err)
	}
	sp := analyzer.Sprint{ID: id, Name: j.Name, State: strings.ToLower(j.State), Goal: j.Goal, BoardID: j.OriginBoardID}
	if sp.BoardID == 0 {
		sp.BoardID = j.BoardID
	}
	var errs []error
	for _, d := range []struct {
		v   string
		dst **time.Time
	}{{j.StartDate, &sp.StartDate}, {j.EndDate, &sp.EndDate}, {j.CompleteDate, &sp.CompleteDate}} {
		t, err := ParseTime(d.v, loc)
		if err != nil {
			errs = append(errs, err)
		}
		*d.dst = t
	}
	return sp, errors.Join(errs...)
}

// dcSprintKeys are the attributes Jira Server/DC prints in Sprint@…[…].
var dcSprintKey = regexp.MustCompile(`(?:^|,)(id|rapidViewId|state|name|goal|startDate|endDate|completeDate|activatedDate|sequence|autoStartStop|synced|incompleteIssuesDestinationId)=`)

// ParseDCSprint reads Server/DC's sprint string. Values may contain commas
// and '=' (goals often do): a value runs until the next ",key=" of a known
// attribute not seen before, so "goal=Ship login, fix bugs, a=b" survives.
func ParseDCSprint(s string, loc *time.Location) (analyzer.Sprint, error) {
	i := strings.IndexByte(s, '[')
	j := strings.LastIndexByte(s, ']')
	if i < 0 || j < i {
		return analyzer.Sprint{}, fmt.Errorf("sprint string %.60q: no [...] attributes", s)
	}
	body := s[i+1 : j]
	type match struct {
		key        string
		start, val int // start of ",key=" and of the value
	}
	var ms []match
	seen := map[string]bool{}
	for _, m := range dcSprintKey.FindAllStringSubmatchIndex(body, -1) {
		k := body[m[2]:m[3]]
		if seen[k] {
			continue // a later ",name=" is part of the previous value
		}
		seen[k] = true
		ms = append(ms, match{key: k, start: m[0], val: m[1]})
	}
	vals := make(map[string]string, len(ms))
	for n, m := range ms {
		end := len(body)
		if n+1 < len(ms) {
			end = ms[n+1].start
		}
		v := body[m.val:end]
		if v == "<null>" {
			v = ""
		}
		vals[m.key] = v
	}
	id, err := strconv.ParseInt(vals["id"], 10, 64)
	if err != nil {
		return analyzer.Sprint{}, fmt.Errorf("sprint string %.60q: id: %w", s, err)
	}
	sp := analyzer.Sprint{ID: id, Name: vals["name"], Goal: vals["goal"], State: strings.ToLower(vals["state"])}
	if b, err := strconv.ParseInt(vals["rapidViewId"], 10, 64); err == nil {
		sp.BoardID = b
	}
	var errs []error
	for _, d := range []struct {
		k   string
		dst **time.Time
	}{{"startDate", &sp.StartDate}, {"endDate", &sp.EndDate}, {"completeDate", &sp.CompleteDate}} {
		t, err := ParseTime(vals[d.k], loc)
		if err != nil {
			errs = append(errs, fmt.Errorf("sprint %d %s: %w", id, d.k, err))
		}
		*d.dst = t
	}
	return sp, errors.Join(errs...)
}

// parseIDList reads a changelog Sprint value such as "12, 13" (or "[12, 13]"
// on some DC versions); non-numeric parts are ignored.
func parseIDList(s string) []int64 {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	var ids []int64
	for part := range strings.SplitSeq(s, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func isSprintItem(it analyzer.ChangeItem, fields []string) bool {
	if len(fields) == 0 {
		return strings.EqualFold(it.Field, "Sprint")
	}
	for _, f := range fields {
		if (it.FieldID != "" && it.FieldID == f) || strings.EqualFold(it.Field, f) {
			return true
		}
	}
	return false
}

// SprintEvents derives sprint membership events from Sprint-field change
// items: for each item, sprints in to but not in from were added, sprints in
// from but not in to were removed. sprintFields are field ids and/or display
// names to match (default: the field named "Sprint"). Events keep the
// items' order; within an item, additions come first, ids ascending.
func SprintEvents(items []analyzer.ChangeItem, sprintFields []string) []analyzer.SprintEvent {
	var evs []analyzer.SprintEvent
	for _, it := range items {
		if !isSprintItem(it, sprintFields) {
			continue
		}
		from, to := parseIDList(it.FromValue), parseIDList(it.ToValue)
		for _, id := range to {
			if !slices.Contains(from, id) {
				evs = append(evs, analyzer.SprintEvent{SiteID: it.SiteID, IssueID: it.IssueID, SprintID: id, At: it.At, Added: true})
			}
		}
		for _, id := range from {
			if !slices.Contains(to, id) {
				evs = append(evs, analyzer.SprintEvent{SiteID: it.SiteID, IssueID: it.IssueID, SprintID: id, At: it.At, Added: false})
			}
		}
	}
	return evs
}

// IssueSprintEvents is SprintEvents plus the sprints the issue was created
// in, which Jira does not always log: replaying the Sprint items backwards
// from the current Sprint field gives the membership at creation, emitted as
// additions at issue.Created. It needs a complete changelog and a fetched
// Sprint field (issue.SprintIDs non-nil); otherwise it equals SprintEvents.
func IssueSprintEvents(issue analyzer.Issue, items []analyzer.ChangeItem, sprintFields []string) []analyzer.SprintEvent {
	evs := SprintEvents(items, sprintFields)
	if issue.SprintIDs == nil || !issue.ChangelogComplete {
		return evs
	}
	state := map[int64]bool{}
	for _, id := range issue.SprintIDs {
		state[id] = true
	}
	for i := len(items) - 1; i >= 0; i-- {
		if !isSprintItem(items[i], sprintFields) {
			continue
		}
		for _, id := range parseIDList(items[i].ToValue) {
			delete(state, id)
		}
		for _, id := range parseIDList(items[i].FromValue) {
			state[id] = true
		}
	}
	if len(state) == 0 {
		return evs
	}
	initial := make([]int64, 0, len(state))
	for id := range state {
		initial = append(initial, id)
	}
	slices.Sort(initial)
	created := make([]analyzer.SprintEvent, 0, len(initial)+len(evs))
	for _, id := range initial {
		created = append(created, analyzer.SprintEvent{SiteID: issue.SiteID, IssueID: issue.ID, SprintID: id, At: issue.Created, Added: true})
	}
	return append(created, evs...)
}
