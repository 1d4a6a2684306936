package devlakeconv

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// fieldSchema and fieldEntry are one value of GET /rest/api/2/field.
type fieldSchema struct {
	Type     string `json:"type"`
	Items    string `json:"items,omitempty"`
	System   string `json:"system,omitempty"`
	Custom   string `json:"custom,omitempty"`
	CustomID int    `json:"customId,omitempty"`
}

type fieldEntry struct {
	ID          string       `json:"id"`
	Key         string       `json:"key"`
	Name        string       `json:"name"`
	Custom      bool         `json:"custom"`
	Orderable   bool         `json:"orderable"`
	Navigable   bool         `json:"navigable"`
	Searchable  bool         `json:"searchable"`
	ClauseNames []string     `json:"clauseNames"`
	Schema      *fieldSchema `json:"schema,omitempty"`
}

// systemField describes a Jira Cloud system field as /rest/api/2/field lists it.
type systemField struct {
	name      string
	typ       string // schema.type; "" for fields Jira lists without a schema
	items     string
	orderable bool
	clauses   []string // when not just the id
}

// systemFields are Jira Cloud's system fields, with the names and schemas
// GET /rest/api/2/field gives them.
var systemFields = map[string]systemField{
	"aggregateprogress":             {name: "Σ Progress", typ: "progress"},
	"aggregatetimeestimate":         {name: "Σ Remaining Estimate", typ: "number"},
	"aggregatetimeoriginalestimate": {name: "Σ Original Estimate", typ: "number"},
	"aggregatetimespent":            {name: "Σ Time Spent", typ: "number"},
	"assignee":                      {name: "Assignee", typ: "user", orderable: true},
	"attachment":                    {name: "Attachment", typ: "array", items: "attachment", orderable: true},
	"comment":                       {name: "Comment", typ: "comments-page", orderable: true},
	"components":                    {name: "Components", typ: "array", items: "component", orderable: true, clauses: []string{"component"}},
	"created":                       {name: "Created", typ: "datetime", clauses: []string{"created", "createdDate"}},
	"creator":                       {name: "Creator", typ: "user"},
	"description":                   {name: "Description", typ: "string", orderable: true},
	"duedate":                       {name: "Due date", typ: "date", orderable: true, clauses: []string{"due", "duedate"}},
	"environment":                   {name: "Environment", typ: "string", orderable: true},
	"fixVersions":                   {name: "Fix versions", typ: "array", items: "version", orderable: true, clauses: []string{"fixVersion"}},
	"issuelinks":                    {name: "Linked Issues", typ: "array", items: "issuelinks", orderable: true},
	"issuerestriction":              {name: "Restrict to", typ: "issuerestriction", orderable: true},
	"issuetype":                     {name: "Issue Type", typ: "issuetype", orderable: true, clauses: []string{"issuetype", "type"}},
	"labels":                        {name: "Labels", typ: "array", items: "string", orderable: true},
	"lastViewed":                    {name: "Last Viewed", typ: "datetime", clauses: []string{"lastViewed"}},
	"parent":                        {name: "Parent", clauses: []string{"parent"}},
	"priority":                      {name: "Priority", typ: "priority", orderable: true},
	"progress":                      {name: "Progress", typ: "progress"},
	"project":                       {name: "Project", typ: "project", orderable: true},
	"reporter":                      {name: "Reporter", typ: "user", orderable: true},
	"resolution":                    {name: "Resolution", typ: "resolution", orderable: true},
	"resolutiondate":                {name: "Resolved", typ: "datetime", clauses: []string{"resolutiondate", "resolved"}},
	"security":                      {name: "Security Level", typ: "securitylevel", orderable: true, clauses: []string{"level"}},
	"status":                        {name: "Status", typ: "status"},
	"statuscategorychangedate":      {name: "Status Category Changed", typ: "datetime", clauses: []string{"statusCategoryChangedDate"}},
	"subtasks":                      {name: "Sub-tasks", typ: "array", items: "issuelinks", clauses: []string{"subtasks"}},
	"summary":                       {name: "Summary", typ: "string", orderable: true},
	"timeestimate":                  {name: "Remaining Estimate", typ: "number", clauses: []string{"remainingEstimate", "timeestimate"}},
	"timeoriginalestimate":          {name: "Original estimate", typ: "number", clauses: []string{"originalEstimate", "timeoriginalestimate"}},
	"timespent":                     {name: "Time Spent", typ: "number", clauses: []string{"timespent"}},
	"timetracking":                  {name: "Time tracking", typ: "timetracking", orderable: true},
	"updated":                       {name: "Updated", typ: "datetime", clauses: []string{"updated", "updatedDate"}},
	"versions":                      {name: "Affects versions", typ: "array", items: "version", orderable: true, clauses: []string{"affectedVersion"}},
	"votes":                         {name: "Votes", typ: "votes"},
	"watches":                       {name: "Watchers", typ: "watches", clauses: []string{"watchers"}},
	"worklog":                       {name: "Log Work", typ: "array", items: "worklog", orderable: true},
	"workratio":                     {name: "Work Ratio", typ: "number"},
}

// agileOnlyFields are added to issues by /rest/agile/1.0 endpoints; they are
// not entries of /rest/api/2/field.
var agileOnlyFields = map[string]bool{"sprint": true, "closedSprints": true, "epic": true, "flagged": true}

// customField is a custom field whose name the converter knows.
type customField struct {
	name   string
	typ    string
	items  string
	plugin string // schema.custom
}

// knownCustomFields are the custom fields of the recorded site whose names are
// known. Sprint, Rank, Epic Link, Start date and End date are confirmed by the
// recorded changelog items (field + fieldId); Story Points
// (customfield_10024) by DevLake's e2e test configuration; the rest are Jira
// Cloud's default ids for those fields, matched against the recorded values
// (e.g. customfield_10013 holds "ghx-label-3", an epic colour).
var knownCustomFields = map[string]customField{
	"customfield_10000": {name: "Development", typ: "any", plugin: "com.atlassian.jira.plugins.jira-development-integration-plugin:devsummarycf"},
	"customfield_10011": {name: "Epic Name", typ: "string", plugin: "com.pyxis.greenhopper.jira:gh-epic-label"},
	"customfield_10012": {name: "Epic Status", typ: "option", plugin: "com.pyxis.greenhopper.jira:gh-epic-status"},
	"customfield_10013": {name: "Epic Color", typ: "string", plugin: "com.pyxis.greenhopper.jira:gh-epic-color"},
	"customfield_10014": {name: "Epic Link", typ: "any", plugin: "com.pyxis.greenhopper.jira:gh-epic-link"},
	"customfield_10015": {name: "Start date", typ: "date", plugin: "com.atlassian.jira.plugin.system.customfieldtypes:datepicker"},
	"customfield_10016": {name: "Story point estimate", typ: "number", plugin: "com.pyxis.greenhopper.jira:jsw-story-points"},
	"customfield_10017": {name: "Issue color", typ: "string", plugin: "com.pyxis.greenhopper.jira:jsw-issue-color"},
	"customfield_10018": {name: "Parent Link", typ: "any", plugin: "com.atlassian.jpo:jpo-custom-field-parent"},
	"customfield_10019": {name: "Rank", typ: "any", plugin: "com.pyxis.greenhopper.jira:gh-lexo-rank"},
	"customfield_10020": {name: "Sprint", typ: "array", items: "json", plugin: "com.pyxis.greenhopper.jira:gh-sprint"},
	"customfield_10021": {name: "Flagged", typ: "array", items: "option", plugin: "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes"},
	"customfield_10022": {name: "[CHART] Date of First Response", typ: "datetime", plugin: "com.atlassian.jira.ext.charting:firstresponsedate"},
	"customfield_10023": {name: "[CHART] Time in Status", typ: "any", plugin: "com.atlassian.jira.ext.charting:timeinstatus"},
	"customfield_10024": {name: "Story Points", typ: "number", plugin: "com.atlassian.jira.plugin.system.customfieldtypes:float"},
	"customfield_10060": {name: "End date", typ: "date", plugin: "com.atlassian.jira.plugin.system.customfieldtypes:datepicker"},
}

// synthFields builds the field list for the field ids the issues carry. It
// returns the entries and the custom field ids it could not name.
func synthFields(used map[string]bool) (entries []fieldEntry, unnamed []string) {
	var sys, custom []string
	for id := range used {
		switch {
		case agileOnlyFields[id]:
		case strings.HasPrefix(id, "customfield_"):
			custom = append(custom, id)
		default:
			sys = append(sys, id)
		}
	}
	slices.Sort(sys)
	slices.SortFunc(custom, func(a, b string) int { return cmp.Compare(customNum(a), customNum(b)) })
	for _, id := range sys {
		sf, ok := systemFields[id]
		if !ok {
			unnamed = append(unnamed, id)
			continue
		}
		clauses := sf.clauses
		if len(clauses) == 0 {
			clauses = []string{id}
		}
		e := fieldEntry{ID: id, Key: id, Name: sf.name, Orderable: sf.orderable, Navigable: true, Searchable: true,
			ClauseNames: clauses}
		if sf.typ != "" {
			e.Schema = &fieldSchema{Type: sf.typ, Items: sf.items, System: id}
		}
		entries = append(entries, e)
	}
	for _, id := range custom {
		cf, ok := knownCustomFields[id]
		if !ok {
			unnamed = append(unnamed, id)
			continue
		}
		n := customNum(id)
		entries = append(entries, fieldEntry{ID: id, Key: id, Name: cf.name, Custom: true, Orderable: true, Navigable: true,
			Searchable: true, ClauseNames: []string{"cf[" + strconv.Itoa(n) + "]", cf.name},
			Schema: &fieldSchema{Type: cf.typ, Items: cf.items, Custom: cf.plugin, CustomID: n}})
	}
	return entries, unnamed
}

func customNum(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "customfield_"))
	return n
}
