package jira

import "strings"

// Estimation sources, recorded on analyzer.Board.EstimationSource.
const (
	SourceOverride   = "config-override"
	SourceBoard      = "board-configuration"
	SourceFieldList  = "field-list"
	SourceNone       = "none"
	schemaStoryPoint = "com.pyxis.greenhopper.jira:jsw-story-points"
	schemaSprint     = "com.pyxis.greenhopper.jira:gh-sprint"
	schemaEpicLink   = "com.pyxis.greenhopper.jira:gh-epic-link"
)

// storyPointNames are the display names Jira uses for story point fields
// (company-managed Cloud, DC; team-managed Cloud).
var storyPointNames = []string{"Story Points", "Story point estimate"}

// EstimationField picks a board's estimation field and says why:
//
//   - override (from config), when set: "config-override";
//   - else the board configuration's estimation.field.fieldId (or
//     issueCount): "board-configuration";
//   - else from the field list, a field with schema custom jsw-story-points,
//     then a number field named "Story Points" or "Story point estimate":
//     "field-list";
//   - else "", "none".
func EstimationField(bc *BoardConfig, fields []Field, override string) (fieldID, source string) {
	if o := strings.TrimSpace(override); o != "" {
		return o, SourceOverride
	}
	if id := bc.EstimationFieldID(); id != "" {
		return id, SourceBoard
	}
	if id := StoryPointsField(fields); id != "" {
		return id, SourceFieldList
	}
	return "", SourceNone
}

// StoryPointsField finds the story point field in the field list: schema
// custom jsw-story-points first, then a number field named "Story Points" or
// "Story point estimate". It returns "" when there is none.
func StoryPointsField(fields []Field) string {
	for _, f := range fields {
		if f.Schema.Custom == schemaStoryPoint {
			return f.ID
		}
	}
	for _, name := range storyPointNames {
		for _, f := range fields {
			if strings.EqualFold(strings.TrimSpace(f.Name), name) && f.Schema.Type == "number" {
				return f.ID
			}
		}
	}
	return ""
}

// KnownFields are the custom field ids a site uses for the values the
// analyzer reads.
type KnownFields struct {
	Sprint      string // schema gh-sprint, e.g. customfield_10020
	EpicLink    string // schema gh-epic-link, e.g. customfield_10014
	Environment string // custom field named "Environment", else the system "environment"
	StoryPoints string // see StoryPointsField
}

// FindFields discovers the Sprint, Epic Link, Environment and story point
// fields from the field list.
func FindFields(fields []Field) KnownFields {
	var k KnownFields
	for _, f := range fields {
		switch {
		case f.Schema.Custom == schemaSprint && k.Sprint == "":
			k.Sprint = f.ID
		case f.Schema.Custom == schemaEpicLink && k.EpicLink == "":
			k.EpicLink = f.ID
		case f.Custom && strings.EqualFold(strings.TrimSpace(f.Name), "Environment") && k.Environment == "":
			k.Environment = f.ID
		}
	}
	if k.Sprint == "" {
		// Some sites lose the schema on the field list; the name is stable.
		for _, f := range fields {
			if f.Custom && strings.EqualFold(f.Name, "Sprint") {
				k.Sprint = f.ID
				break
			}
		}
	}
	if k.Environment == "" {
		for _, f := range fields {
			if f.ID == "environment" {
				k.Environment = f.ID
				break
			}
		}
	}
	k.StoryPoints = StoryPointsField(fields)
	return k
}

// ParseOptions returns the parse options for a board of siteID that
// estimates with estimationField.
func (k KnownFields) ParseOptions(siteID, estimationField string) ParseOptions {
	return ParseOptions{
		SiteID: siteID, EstimationField: estimationField, SprintField: k.Sprint,
		EpicLinkField: k.EpicLink, EnvironmentField: k.Environment,
	}
}

// SprintFieldMatchers are the values SprintEvents should match for this
// site: the Sprint field id (Cloud items carry fieldId) and its display name
// (old Server/DC items carry only the name).
func (k KnownFields) SprintFieldMatchers() []string {
	m := []string{"Sprint"}
	if k.Sprint != "" {
		m = append(m, k.Sprint)
	}
	return m
}
