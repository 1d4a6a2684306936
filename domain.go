// Package analyzer holds the domain types shared by every step of the
// pipeline (sync → store → metrics → report) and the embedded SQL migrations.
//
// The types are plain data: no methods that do I/O. Packages under internal/
// convert Jira's JSON into these types (internal/jira, internal/sync), persist
// them (internal/store) and compute over them (internal/metrics).
package analyzer

import (
	"encoding/json"
	"time"
)

// Flavor is the kind of Jira deployment a site runs.
type Flavor string

const (
	FlavorCloud Flavor = "cloud" // Jira Cloud: /rest/api/3/search/jql, basic auth with an API token.
	FlavorDC    Flavor = "dc"    // Jira Server / Data Center: /rest/api/2/search, bearer personal access token.
)

// Status category keys as Jira names them (statusCategory.key).
const (
	CategoryNew           = "new"
	CategoryInProgress    = "indeterminate"
	CategoryDone          = "done"
	CategoryUndefined     = "undefined"
	EstimationIssueCount  = "issueCount"           // board estimates by counting issues
	EstimationOriginalEst = "timeoriginalestimate" // board estimates in seconds of original estimate
)

// Status is a workflow status of a Jira site.
type Status struct {
	SiteID      string `db:"site_id" json:"site_id"`
	ID          string `db:"status_id" json:"id"`
	Name        string `db:"name" json:"name"`
	CategoryKey string `db:"category_key" json:"category_key"` // new | indeterminate | done
}

// Column is one column of a board, left to right, with the statuses mapped to it.
type Column struct {
	Name      string   `json:"name"`
	StatusIDs []string `json:"status_ids"`
}

// Board is an agile board of a site; a board is what the analyzer calls a team.
type Board struct {
	SiteID     string   `db:"site_id" json:"site_id"`
	ID         int64    `db:"board_id" json:"id"`
	Name       string   `db:"name" json:"name"`
	Type       string   `db:"board_type" json:"type"` // scrum | kanban | simple
	ProjectKey string   `db:"project_key" json:"project_key"`
	Columns    []Column `db:"-" json:"columns"`
	// EstimationField is the field id the board estimates with
	// (e.g. customfield_10016, timeoriginalestimate, or issueCount); empty when unknown.
	EstimationField string `db:"estimation_field" json:"estimation_field"`
	// EstimationSource says how EstimationField was chosen:
	// "board-configuration", "field-list", "config-override" or "none".
	EstimationSource string `db:"estimation_source" json:"estimation_source"`
}

// DoneStatusIDs returns the status ids of the board's rightmost column, which
// is what Jira's velocity chart counts as done. It returns nil for a board with
// no columns.
func (b Board) DoneStatusIDs() []string {
	for i := len(b.Columns) - 1; i >= 0; i-- {
		if len(b.Columns[i].StatusIDs) > 0 {
			return b.Columns[i].StatusIDs
		}
	}
	return nil
}

// Sprint states as Jira names them.
const (
	SprintFuture = "future"
	SprintActive = "active"
	SprintClosed = "closed"
)

// Sprint is a sprint of a scrum board.
type Sprint struct {
	SiteID       string     `db:"site_id" json:"site_id"`
	ID           int64      `db:"sprint_id" json:"id"`
	BoardID      int64      `db:"board_id" json:"board_id"` // originBoardId
	Name         string     `db:"name" json:"name"`
	State        string     `db:"state" json:"state"`
	Goal         string     `db:"goal" json:"goal"`
	StartDate    *time.Time `db:"start_date" json:"start_date,omitempty"`
	EndDate      *time.Time `db:"end_date" json:"end_date,omitempty"`
	CompleteDate *time.Time `db:"complete_date" json:"complete_date,omitempty"`
}

// Issue is the current state of a Jira issue. History lives in ChangeItem.
type Issue struct {
	SiteID         string          `db:"site_id" json:"site_id"`
	ID             int64           `db:"issue_id" json:"id"`
	Key            string          `db:"issue_key" json:"key"`
	ProjectKey     string          `db:"project_key" json:"project_key"`
	Summary        string          `db:"summary" json:"summary"`
	Type           string          `db:"issue_type" json:"type"`
	Subtask        bool            `db:"is_subtask" json:"subtask"`
	StatusID       string          `db:"status_id" json:"status_id"`
	StatusName     string          `db:"status_name" json:"status_name"`
	StatusCategory string          `db:"status_category" json:"status_category"`
	Priority       string          `db:"priority" json:"priority"`
	Estimate       *float64        `db:"estimate" json:"estimate,omitempty"` // in the board's estimation unit; nil when unestimated
	ParentKey      string          `db:"parent_key" json:"parent_key,omitempty"`
	EpicKey        string          `db:"epic_key" json:"epic_key,omitempty"`
	Labels         []string        `db:"-" json:"labels"`
	Components     []string        `db:"-" json:"components"`
	FixVersions    []string        `db:"-" json:"fix_versions"`
	Environment    string          `db:"environment" json:"environment,omitempty"`
	Created        time.Time       `db:"created_at" json:"created"`
	Updated        time.Time       `db:"updated_at" json:"updated"`
	Resolved       *time.Time      `db:"resolved_at" json:"resolved,omitempty"`
	SprintIDs      []int64         `db:"-" json:"sprint_ids"` // current value of the Sprint field
	Raw            json.RawMessage `db:"raw" json:"-"`        // the issue JSON as Jira returned it, without the changelog
	// ChangelogComplete is false when only a truncated embedded changelog could be read.
	ChangelogComplete bool `db:"changelog_complete" json:"changelog_complete"`
	// ChangelogDropped counts changelog entries left out because their
	// timestamp could not be read.
	ChangelogDropped int `db:"changelog_dropped" json:"changelog_dropped,omitempty"`
}

// ChangeItem is one item of one changelog history entry.
type ChangeItem struct {
	SiteID     string    `db:"site_id" json:"site_id"`
	IssueID    int64     `db:"issue_id" json:"issue_id"`
	HistoryID  int64     `db:"history_id" json:"history_id"`
	Seq        int       `db:"seq" json:"seq"` // position of the item within its history
	At         time.Time `db:"changed_at" json:"at"`
	Author     string    `db:"author" json:"author,omitempty"`
	Field      string    `db:"field" json:"field"`       // display name, e.g. "status", "Sprint", "Story Points"
	FieldID    string    `db:"field_id" json:"field_id"` // e.g. "status", "customfield_10020"; empty on old DC data
	FromValue  string    `db:"from_value" json:"from"`
	FromString string    `db:"from_string" json:"from_string"`
	ToValue    string    `db:"to_value" json:"to"`
	ToString   string    `db:"to_string" json:"to_string"`
}

// SprintEvent records an issue entering or leaving a sprint, derived from
// Sprint-field changelog items (or the issue's creation into a sprint).
type SprintEvent struct {
	SiteID   string    `db:"site_id" json:"site_id"`
	IssueID  int64     `db:"issue_id" json:"issue_id"`
	SprintID int64     `db:"sprint_id" json:"sprint_id"`
	At       time.Time `db:"changed_at" json:"at"`
	Added    bool      `db:"added" json:"added"` // true: entered the sprint; false: left it
}
