package jira

import (
	"context"
	"fmt"
	gojira "github.com/andygrunwald/go-jira"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	analyzer "github.com/backlog-health/analyzer"
)

// ServerInfo is the answer of /rest/api/2/serverInfo.
type ServerInfo struct {
	BaseURL        string `json:"baseUrl"`
	Version        string `json:"version"`
	VersionNumbers []int  `json:"versionNumbers"`
	DeploymentType string `json:"deploymentType"` // Cloud | Server | DataCenter
	BuildNumber    int    `json:"buildNumber"`
	ServerTime     string `json:"serverTime"`
	ServerTitle    string `json:"serverTitle"`
}

// ServerInfo returns the site's version and deployment type. It works
// without authentication on most sites.
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-server-info/#api-rest-api-2-serverinfo-get
func (c *Client) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	var si ServerInfo
	if err := c.get(ctx, "rest/api/2/serverInfo", nil, &si); err != nil {
		return nil, fmt.Errorf("jira: server info: %w", err)
	}
	return &si, nil
}

// Detect tells Cloud from Data Center by serverInfo.deploymentType
// ("Cloud" → cloud; "Server", "DataCenter" or anything else → dc).
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-server-info/#api-rest-api-2-serverinfo-get
func (c *Client) Detect(ctx context.Context) (analyzer.Flavor, error) {
	si, err := c.ServerInfo(ctx)
	if err != nil {
		return "", fmt.Errorf("jira: detect flavor of %s: %w", c.base, err)
	}
	if strings.EqualFold(si.DeploymentType, "Cloud") {
		return analyzer.FlavorCloud, nil
	}
	return analyzer.FlavorDC, nil
}

// User is the authenticated account (Cloud: accountId; DC: name/key).
type User struct {
	AccountID    string
	Name         string
	Key          string
	DisplayName  string
	EmailAddress string
	// TimeZone is the account's zone (e.g. "Europe/Zurich"). JQL date
	// literals such as updated >= "2024-01-02 15:04" are read in it.
	TimeZone string
}

// Myself returns the authenticated user; use it as the auth check. A wrong
// token gives an error wrapping ErrUnauthorized.
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-myself/#api-rest-api-2-myself-get
func (c *Client) Myself(ctx context.Context) (*User, error) {
	u, err := retryMalformed(c, http.MethodGet, "/rest/api/2/myself", func() (*gojira.User, *gojira.Response, error) { return c.jc.User.GetSelfWithContext(ctx) })
	if err != nil {
		return nil, fmt.Errorf("jira: myself: %w", err)
	}
	return &User{
		AccountID: u.AccountID, Name: u.Name, Key: u.Key, DisplayName: u.DisplayName,
		EmailAddress: u.EmailAddress, TimeZone: u.TimeZone,
	}, nil
}

// Field is an issue field of the site.
type Field struct {
	ID     string
	Name   string
	Custom bool
	Schema FieldSchema
}

// FieldSchema is a field's type; Custom is the plugin key, e.g.
// com.pyxis.greenhopper.jira:gh-sprint.
type FieldSchema struct {
	Type   string
	Items  string
	Custom string
	System string
}

// Fields lists every system and custom field.
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issue-fields/#api-rest-api-2-field-get
func (c *Client) Fields(ctx context.Context) ([]Field, error) {
	fs, err := retryMalformed(c, http.MethodGet, "/rest/api/2/field", func() ([]gojira.Field, *gojira.Response, error) { return c.jc.Field.GetListWithContext(ctx) })
	if err != nil {
		return nil, fmt.Errorf("jira: fields: %w", err)
	}
	out := make([]Field, 0, len(fs))
	for _, f := range fs {
		out = append(out, Field{
			ID: f.ID, Name: f.Name, Custom: f.Custom,
			Schema: FieldSchema{Type: f.Schema.Type, Items: f.Schema.Items, Custom: f.Schema.Custom, System: f.Schema.System},
		})
	}
	return out, nil
}

// Statuses lists the site's workflow statuses with their category key
// (new | indeterminate | done).
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-workflow-statuses/#api-rest-api-2-status-get
func (c *Client) Statuses(ctx context.Context) ([]analyzer.Status, error) {
	ss, err := retryMalformed(c, http.MethodGet, "/rest/api/2/status", func() ([]gojira.Status, *gojira.Response, error) { return c.jc.Status.GetAllStatusesWithContext(ctx) })
	if err != nil {
		return nil, fmt.Errorf("jira: statuses: %w", err)
	}
	out := make([]analyzer.Status, 0, len(ss))
	for _, s := range ss {
		out = append(out, analyzer.Status{
			SiteID: c.siteID, ID: s.ID, Name: s.Name,
			CategoryKey: cmpOr(s.StatusCategory.Key, analyzer.CategoryUndefined),
		})
	}
	return out, nil
}

// agilePage is the paging envelope of the agile API lists.
type agilePage struct {
	StartAt    int  `json:"startAt"`
	MaxResults int  `json:"maxResults"`
	Total      int  `json:"total"`
	IsLast     bool `json:"isLast"`
}

// next reports the startAt of the following page, or false on the last one.
// Servers may return fewer items than asked, so it advances by n, not by
// the requested page size.
func (p agilePage) next(n int) (int, bool) {
	if p.IsLast || n == 0 {
		return 0, false
	}
	next := p.StartAt + n
	if p.Total > 0 && next >= p.Total {
		return 0, false
	}
	return next, true
}

type boardJSON struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Location struct {
		ProjectID   int64  `json:"projectId"`
		ProjectKey  string `json:"projectKey"`
		ProjectName string `json:"projectName"`
	} `json:"location"`
}

// Boards lists every board the account can see (all pages). Columns and the
// estimation field are filled by BoardConfiguration.Apply. go-jira's Board
// lacks location, so this is an own request.
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/software/rest/api-group-board/#api-rest-agile-1-0-board-get
func (c *Client) Boards(ctx context.Context) ([]analyzer.Board, error) {
	var out []analyzer.Board
	startAt := 0
	for {
		var page struct {
			agilePage
			Values []boardJSON `json:"values"`
		}
		q := url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {"50"}}
		if err := c.get(ctx, "rest/agile/1.0/board", q, &page); err != nil {
			return nil, fmt.Errorf("jira: boards: %w", err)
		}
		for _, b := range page.Values {
			out = append(out, analyzer.Board{
				SiteID: c.siteID, ID: b.ID, Name: b.Name, Type: b.Type, ProjectKey: b.Location.ProjectKey,
			})
		}
		next, ok := page.next(len(page.Values))
		if !ok {
			return out, nil
		}
		startAt = next
	}
}

// BoardConfig is a board's configuration: column → status mapping and the
// estimation field, which go-jira's BoardConfiguration lacks.
type BoardConfig struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Location struct {
		Type string `json:"type"` // project | user
		Key  string `json:"key"`
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"location"`
	Filter struct {
		ID string `json:"id"`
	} `json:"filter"`
	SubQuery struct {
		Query string `json:"query"`
	} `json:"subQuery"`
	ColumnConfig struct {
		Columns []struct {
			Name     string `json:"name"`
			Statuses []struct {
				ID string `json:"id"`
			} `json:"statuses"`
		} `json:"columns"`
		ConstraintType string `json:"constraintType"`
	} `json:"columnConfig"`
	Estimation struct {
		Type  string `json:"type"` // field | issueCount | none
		Field struct {
			FieldID     string `json:"fieldId"`
			DisplayName string `json:"displayName"`
		} `json:"field"`
	} `json:"estimation"`
	Ranking struct {
		RankCustomFieldID int64 `json:"rankCustomFieldId"`
	} `json:"ranking"`
}

// Columns returns the board's columns left to right with their status ids.
func (bc *BoardConfig) Columns() []analyzer.Column {
	if bc == nil {
		return nil
	}
	cols := make([]analyzer.Column, 0, len(bc.ColumnConfig.Columns))
	for _, col := range bc.ColumnConfig.Columns {
		ids := make([]string, 0, len(col.Statuses))
		for _, s := range col.Statuses {
			ids = append(ids, s.ID)
		}
		cols = append(cols, analyzer.Column{Name: col.Name, StatusIDs: ids})
	}
	return cols
}

// EstimationFieldID is the field the board estimates with according to its
// configuration: a field id, analyzer.EstimationIssueCount, or "" when the
// configuration does not say.
func (bc *BoardConfig) EstimationFieldID() string {
	if bc == nil {
		return ""
	}
	if id := bc.Estimation.Field.FieldID; id != "" {
		return id
	}
	if strings.EqualFold(bc.Estimation.Type, analyzer.EstimationIssueCount) {
		return analyzer.EstimationIssueCount
	}
	return ""
}

// Apply fills b's columns, project key (when the board list had none) and
// estimation field with its source (see EstimationField).
func (bc *BoardConfig) Apply(b *analyzer.Board, fields []Field, override string) {
	b.Columns = bc.Columns()
	if b.ProjectKey == "" && bc != nil && bc.Location.Type == "project" {
		b.ProjectKey = bc.Location.Key
	}
	b.EstimationField, b.EstimationSource = EstimationField(bc, fields, override)
}

// BoardConfiguration returns a board's columns and estimation field.
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/software/rest/api-group-board/#api-rest-agile-1-0-board-boardid-configuration-get
func (c *Client) BoardConfiguration(ctx context.Context, boardID int64) (*BoardConfig, error) {
	var bc BoardConfig
	if err := c.get(ctx, fmt.Sprintf("rest/agile/1.0/board/%d/configuration", boardID), nil, &bc); err != nil {
		return nil, fmt.Errorf("jira: board %d configuration: %w", boardID, err)
	}
	return &bc, nil
}

type sprintJSON struct {
	ID            int64  `json:"id"`
	State         string `json:"state"`
	Name          string `json:"name"`
	Goal          string `json:"goal"`
	StartDate     string `json:"startDate"`
	EndDate       string `json:"endDate"`
	CompleteDate  string `json:"completeDate"`
	OriginBoardID int64  `json:"originBoardId"`
}

// Sprints lists every sprint of a scrum board, all states, all pages, with
// goal and dates (go-jira's Sprint lacks goal). A sprint whose origin board
// is another board is returned with that board id. Kanban boards answer
// 400 (*APIError). Unparseable dates are logged and left nil.
//
// Jira API docs: https://developer.atlassian.com/cloud/jira/software/rest/api-group-board/#api-rest-agile-1-0-board-boardid-sprint-get
func (c *Client) Sprints(ctx context.Context, boardID int64) ([]analyzer.Sprint, error) {
	var out []analyzer.Sprint
	startAt := 0
	for {
		var page struct {
			agilePage
			Values []sprintJSON `json:"values"`
		}
		q := url.Values{"startAt": {strconv.Itoa(startAt)}, "maxResults": {"50"}}
		if err := c.get(ctx, fmt.Sprintf("rest/agile/1.0/board/%d/sprint", boardID), q, &page); err != nil {
			return nil, fmt.Errorf("jira: board %d sprints: %w", boardID, err)
		}
		for _, s := range page.Values {
			sp := analyzer.Sprint{
				SiteID: c.siteID, ID: s.ID, BoardID: s.OriginBoardID, Name: s.Name,
				State: strings.ToLower(s.State), Goal: s.Goal,
			}
			if sp.BoardID == 0 {
				sp.BoardID = boardID
			}
			for _, d := range []struct {
				name string
				v    string
				dst  **time.Time
			}{{"startDate", s.StartDate, &sp.StartDate}, {"endDate", s.EndDate, &sp.EndDate}, {"completeDate", s.CompleteDate, &sp.CompleteDate}} {
				t, err := ParseTime(d.v, nil)
				if err != nil {
					c.log.Warn("jira sprint date unreadable", "site", c.base, "sprint_id", s.ID, "field", d.name, "error", err)
					continue
				}
				*d.dst = t
			}
			out = append(out, sp)
		}
		next, ok := page.next(len(page.Values))
		if !ok {
			return out, nil
		}
		startAt = next
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
