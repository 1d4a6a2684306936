package jirasim

import (
	"strconv"
	"strings"
)

type fieldDef struct {
	id, name, typ, items, system, custom string
	clause                               []string
}

func (s *site) fieldDefs() []fieldDef {
	defs := []fieldDef{
		{id: "summary", name: "Summary", typ: "string", system: "summary", clause: []string{"summary"}},
		{id: "issuetype", name: "Issue Type", typ: "issuetype", system: "issuetype", clause: []string{"issuetype", "type"}},
		{id: "status", name: "Status", typ: "status", system: "status", clause: []string{"status"}},
		{id: "priority", name: "Priority", typ: "priority", system: "priority", clause: []string{"priority"}},
		{id: "labels", name: "Labels", typ: "array", items: "string", system: "labels", clause: []string{"labels"}},
		{id: "environment", name: "Environment", typ: "string", system: "environment", clause: []string{"environment"}},
		{id: "description", name: "Description", typ: "string", system: "description", clause: []string{"description"}},
		{id: "created", name: "Created", typ: "datetime", system: "created", clause: []string{"created", "createdDate"}},
		{id: "updated", name: "Updated", typ: "datetime", system: "updated", clause: []string{"updated", "updatedDate"}},
		{id: "resolutiondate", name: "Resolved", typ: "datetime", system: "resolutiondate", clause: []string{"resolved", "resolutiondate"}},
		{id: "resolution", name: "Resolution", typ: "resolution", system: "resolution", clause: []string{"resolution"}},
		{id: "assignee", name: "Assignee", typ: "user", system: "assignee", clause: []string{"assignee"}},
		{id: "reporter", name: "Reporter", typ: "user", system: "reporter", clause: []string{"reporter"}},
		{id: "creator", name: "Creator", typ: "user", system: "creator", clause: []string{"creator"}},
		{id: "project", name: "Project", typ: "project", system: "project", clause: []string{"project"}},
		{id: "subtasks", name: "Sub-tasks", typ: "array", items: "issuelinks", system: "subtasks", clause: []string{"subtasks"}},
		{id: "fixVersions", name: "Fix versions", typ: "array", items: "version", system: "fixVersions", clause: []string{"fixVersion"}},
		{id: "components", name: "Components", typ: "array", items: "component", system: "components", clause: []string{"component"}},
		{id: "timeoriginalestimate", name: "Original estimate", typ: "number", system: "timeoriginalestimate", clause: []string{"originalEstimate", "timeoriginalestimate"}},
		{id: "issuelinks", name: "Linked Issues", typ: "array", items: "issuelinks", system: "issuelinks", clause: []string{"issueLink"}},
	}
	if s.cfg.Mode == ModeCloud {
		defs = append(defs,
			fieldDef{id: "parent", name: "Parent", typ: "issuelink", system: "parent", clause: []string{"parent"}},
			fieldDef{id: "statuscategorychangedate", name: "Status Category Changed", typ: "datetime", system: "statuscategorychangedate", clause: []string{"statusCategoryChangedDate"}},
			fieldDef{id: s.f.legacyPoints, name: "Story Points", typ: "number", custom: "com.atlassian.jira.plugin.system.customfieldtypes:float"},
		)
	}
	defs = append(defs,
		fieldDef{id: s.f.estimate, name: s.f.estimateName, typ: "number", custom: s.f.estimateSchema},
		fieldDef{id: s.f.sprint, name: "Sprint", typ: "array", items: sprintItems(s.cfg.Mode), custom: "com.pyxis.greenhopper.jira:gh-sprint"},
		fieldDef{id: s.f.epicLink, name: "Epic Link", typ: "any", custom: "com.pyxis.greenhopper.jira:gh-epic-link"},
		fieldDef{id: s.f.epicName, name: "Epic Name", typ: "string", custom: "com.pyxis.greenhopper.jira:gh-epic-label"},
		fieldDef{id: s.f.rank, name: "Rank", typ: "any", custom: "com.pyxis.greenhopper.jira:gh-lexo-rank"},
	)
	return defs
}

func sprintItems(m Mode) string {
	if m == ModeCloud {
		return "json"
	}
	return "string"
}

func (s *site) fieldsJSON() []byte {
	var w jw
	w.arr()
	for _, d := range s.fieldDefs() {
		w.obj()
		w.ks("id", d.id)
		if s.cfg.Mode == ModeCloud {
			w.ks("key", d.id)
		}
		w.ks("name", d.name)
		w.kb("custom", d.custom != "")
		w.kb("orderable", true)
		w.kb("navigable", true)
		w.kb("searchable", true)
		w.ka("clauseNames")
		clause := d.clause
		if d.custom != "" {
			n := strings.TrimPrefix(d.id, "customfield_")
			clause = []string{"cf[" + n + "]", d.name}
		}
		for _, c := range clause {
			w.s(c)
		}
		w.endA()
		w.ko("schema")
		w.ks("type", d.typ)
		if d.items != "" {
			w.ks("items", d.items)
		}
		if d.system != "" {
			w.ks("system", d.system)
		} else {
			w.ks("custom", d.custom)
			n, _ := strconv.ParseInt(strings.TrimPrefix(d.id, "customfield_"), 10, 64)
			w.ki("customId", n)
		}
		w.end()
		w.end()
	}
	w.endA()
	return w.b
}

func (s *site) boardJSON(base string, b *simBoard) []byte {
	var w jw
	w.obj()
	w.ki("id", b.id)
	w.ks("self", base+"/rest/agile/1.0/board/"+strconv.FormatInt(b.id, 10))
	w.ks("name", b.name)
	w.ks("type", "scrum")
	w.ko("location")
	w.ki("projectId", b.projID)
	w.ks("displayName", b.projName+" ("+b.projKey+")")
	w.ks("projectName", b.projName)
	w.ks("projectKey", b.projKey)
	w.ks("projectTypeKey", "software")
	w.ks("avatarURI", "/secure/projectavatar?size=small&pid="+strconv.FormatInt(b.projID, 10))
	w.ks("name", b.projName+" ("+b.projKey+")")
	w.end()
	w.end()
	return w.b
}

func (s *site) boardConfigJSON(base string, b *simBoard) []byte {
	id := strconv.FormatInt(b.id, 10)
	pid := strconv.FormatInt(b.projID, 10)
	filter := strconv.FormatInt(10000+b.id, 10)
	var w jw
	w.obj()
	w.ki("id", b.id)
	w.ks("name", b.name)
	w.ks("type", "scrum")
	w.ks("self", base+"/rest/agile/1.0/board/"+id+"/configuration")
	w.ko("location")
	w.ks("type", "project")
	w.ks("key", b.projKey)
	w.ks("id", pid)
	w.ks("self", base+"/rest/api/2/project/"+pid)
	w.ks("name", b.projName)
	w.end()
	w.ko("filter")
	w.ks("id", filter)
	w.ks("self", base+"/rest/api/2/filter/"+filter)
	w.end()
	w.ko("subQuery")
	w.ks("query", "fixVersion in unreleasedVersions() OR fixVersion is EMPTY")
	w.end()
	w.ko("columnConfig")
	w.ka("columns")
	cols := []struct {
		name string
		sts  []int
	}{
		{"To Do", []int{stToDo}},
		{"In Progress", []int{stInProgress}},
		{"In Review", []int{stInReview}},
		{"Done", b.doneCol},
	}
	for _, c := range cols {
		w.obj()
		w.ks("name", c.name)
		w.ka("statuses")
		for _, st := range c.sts {
			w.obj()
			w.ks("id", statuses[st].id)
			w.ks("self", base+"/rest/api/2/status/"+statuses[st].id)
			w.end()
		}
		w.endA()
		w.end()
	}
	w.endA()
	w.ks("constraintType", "issueCount")
	w.end()
	w.ko("estimation")
	w.ks("type", "field")
	w.ko("field")
	w.ks("fieldId", s.f.estimate)
	w.ks("displayName", s.f.estimateName)
	w.end()
	w.end()
	w.ko("ranking")
	n, _ := strconv.ParseInt(strings.TrimPrefix(s.f.rank, "customfield_"), 10, 64)
	w.ki("rankCustomFieldId", n)
	w.end()
	w.end()
	return w.b
}
