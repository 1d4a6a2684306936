package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

var errNoRows = sql.ErrNoRows

// IssueBatch is one page of synced issues with their history. It is written
// in a single transaction together with the sync checkpoint, so a crash
// leaves either the whole page and its checkpoint or neither.
type IssueBatch struct {
	SiteID       string
	BoardID      int64 // when non-zero, the issues are marked as on this board
	Issues       []analyzer.Issue
	Changes      []analyzer.ChangeItem
	SprintEvents []analyzer.SprintEvent
	// Skipped are issues of the page that could not be stored; recorded
	// for the data-quality section until a later batch stores them.
	Skipped []SkippedIssue
	// State, when non-nil, is written in the same transaction.
	State *SyncState
}

// IssueUpsertMany writes a batch: issues upserted on (site, id), changelog
// items on (site, issue, history, seq), sprint events de-duplicated, board
// membership refreshed, and the optional sync state. Writing the same batch
// twice leaves the same rows.
func (s *Store) IssueUpsertMany(ctx context.Context, b IssueBatch) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := issueUpsertMany(ctx, tx, b.SiteID, b.Issues); err != nil {
			return err
		}
		if err := changeItemUpsertMany(ctx, tx, b.SiteID, b.Changes); err != nil {
			return err
		}
		if err := sprintEventUpsertMany(ctx, tx, b.SiteID, b.SprintEvents); err != nil {
			return err
		}
		if err := syncSkippedWrite(ctx, tx, b); err != nil {
			return err
		}
		if b.BoardID != 0 && len(b.Issues) > 0 {
			ids := make([]int64, len(b.Issues))
			for i, is := range b.Issues {
				ids[i] = is.ID
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO board_issues (site_id, board_id, issue_id)
				SELECT $1, $2, unnest($3::bigint[])
				ON CONFLICT (site_id, board_id, issue_id) DO UPDATE SET seen_at = now(), removed_at = NULL`,
				b.SiteID, b.BoardID, pq.Array(ids)); err != nil {
				return fmt.Errorf("store: unable to mark board issues: %w", err)
			}
		}
		if b.State != nil {
			if err := syncStatePut(ctx, tx, *b.State); err != nil {
				return err
			}
		}
		return nil
	})
}

func jsonList(v []string) string {
	b, _ := json.Marshal(cleanTexts(append([]string{}, v...)))
	return string(b)
}

func timeText(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func issueUpsertMany(ctx context.Context, tx *sqlx.Tx, siteID string, issues []analyzer.Issue) error {
	if len(issues) == 0 {
		return nil
	}
	n := len(issues)
	var (
		ids                                                  = make([]int64, n)
		keys, projects, summaries, types                     = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		subtasks                                             = make([]bool, n)
		statusIDs, statusNames, statusCats, priorities       = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		estimates, parents, epics, labels, comps, fixes, env = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		sprintIDs, created, updated, resolved                = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		complete                                             = make([]bool, n)
		dropped                                              = make([]int64, n)
	)
	// The raw documents go as one JSON array, written by concatenation:
	// quoting them into a text array would escape every quote twice (here
	// and in PostgreSQL's array parser). PostgreSQL parses the array once,
	// which refuses invalid JSON; the element count is checked so a
	// document cannot pass for two.
	rawSize := 2
	for _, is := range issues {
		rawSize += len(is.Raw) + 1
	}
	raws := make([]byte, 0, rawSize)
	raws = append(raws, '[')
	for i, is := range issues {
		if i > 0 {
			raws = append(raws, ',')
		}
		if len(is.Raw) == 0 {
			raws = append(raws, "{}"...)
		} else {
			raws = append(raws, cleanJSON(is.Raw)...)
		}
		if is.SiteID != "" && is.SiteID != siteID {
			return fmt.Errorf("store: issue %s belongs to site %q, batch is for %q", is.Key, is.SiteID, siteID)
		}
		if is.Created.IsZero() {
			return fmt.Errorf("store: issue %s has no created time", is.Key)
		}
		ids[i], keys[i], projects[i], summaries[i], types[i] = is.ID, cleanText(is.Key), cleanText(is.ProjectKey), cleanText(is.Summary), cleanText(is.Type)
		subtasks[i] = is.Subtask
		statusIDs[i], statusNames[i], statusCats[i], priorities[i] = cleanText(is.StatusID), cleanText(is.StatusName), cleanText(is.StatusCategory), cleanText(is.Priority)
		if is.Estimate != nil {
			estimates[i] = strconv.FormatFloat(*is.Estimate, 'g', -1, 64)
		}
		parents[i], epics[i], env[i] = cleanText(is.ParentKey), cleanText(is.EpicKey), cleanText(is.Environment)
		labels[i], comps[i], fixes[i] = jsonList(is.Labels), jsonList(is.Components), jsonList(is.FixVersions)
		sids := make([]string, len(is.SprintIDs))
		for j, id := range is.SprintIDs {
			sids[j] = strconv.FormatInt(id, 10)
		}
		sprintIDs[i] = jsonList(sids)
		created[i] = timeText(&is.Created)
		upd := is.Updated
		if upd.IsZero() {
			upd = is.Created
		}
		updated[i] = timeText(&upd)
		resolved[i] = timeText(is.Resolved)
		complete[i] = is.ChangelogComplete
		dropped[i] = int64(is.ChangelogDropped)
	}
	raws = append(raws, ']')
	res, err := tx.ExecContext(ctx, `
		INSERT INTO issues (site_id, issue_id, issue_key, project_key, summary, issue_type, is_subtask,
			status_id, status_name, status_category, priority, estimate, parent_key, epic_key,
			labels, components, fix_versions, sprint_ids, environment,
			created_at, updated_at, resolved_at, raw, changelog_complete, changelog_dropped, synced_at)
		SELECT $1, u.id, u.key, u.project, u.summary, u.type, u.subtask,
			u.status_id, u.status_name, u.status_cat, u.priority, NULLIF(u.estimate, '')::float8, u.parent, u.epic,
			ARRAY(SELECT jsonb_array_elements_text(u.labels::jsonb)),
			ARRAY(SELECT jsonb_array_elements_text(u.comps::jsonb)),
			ARRAY(SELECT jsonb_array_elements_text(u.fixes::jsonb)),
			ARRAY(SELECT jsonb_array_elements_text(u.sprints::jsonb)::bigint),
			u.env, u.created::timestamptz, u.updated::timestamptz, NULLIF(u.resolved, '')::timestamptz,
			u.raw, u.complete, u.dropped, now()
		FROM ROWS FROM (unnest($2::bigint[]), unnest($3::text[]), unnest($4::text[]), unnest($5::text[]), unnest($6::text[]), unnest($7::bool[]),
			unnest($8::text[]), unnest($9::text[]), unnest($10::text[]), unnest($11::text[]), unnest($12::text[]), unnest($13::text[]), unnest($14::text[]),
			unnest($15::text[]), unnest($16::text[]), unnest($17::text[]), unnest($18::text[]), unnest($19::text[]),
			unnest($20::text[]), unnest($21::text[]), unnest($22::text[]), json_array_elements($23::json), unnest($24::bool[]), unnest($25::int[]))
			AS u(id, key, project, summary, type, subtask, status_id, status_name, status_cat, priority,
				estimate, parent, epic, labels, comps, fixes, sprints, env, created, updated, resolved, raw, complete, dropped)
		WHERE json_array_length($23::json) = $26
		ON CONFLICT (site_id, issue_id) DO UPDATE SET
			issue_key = EXCLUDED.issue_key, project_key = EXCLUDED.project_key, summary = EXCLUDED.summary,
			issue_type = EXCLUDED.issue_type, is_subtask = EXCLUDED.is_subtask, status_id = EXCLUDED.status_id,
			status_name = EXCLUDED.status_name, status_category = EXCLUDED.status_category,
			priority = EXCLUDED.priority, estimate = EXCLUDED.estimate, parent_key = EXCLUDED.parent_key,
			epic_key = EXCLUDED.epic_key, labels = EXCLUDED.labels, components = EXCLUDED.components,
			fix_versions = EXCLUDED.fix_versions, sprint_ids = EXCLUDED.sprint_ids,
			environment = EXCLUDED.environment, created_at = EXCLUDED.created_at,
			updated_at = EXCLUDED.updated_at, resolved_at = EXCLUDED.resolved_at, raw = EXCLUDED.raw,
			changelog_complete = EXCLUDED.changelog_complete, changelog_dropped = EXCLUDED.changelog_dropped,
			synced_at = EXCLUDED.synced_at`,
		siteID, pq.Array(ids), pq.Array(keys), pq.Array(projects), pq.Array(summaries), pq.Array(types), pq.Array(subtasks),
		pq.Array(statusIDs), pq.Array(statusNames), pq.Array(statusCats), pq.Array(priorities), pq.Array(estimates),
		pq.Array(parents), pq.Array(epics), pq.Array(labels), pq.Array(comps), pq.Array(fixes), pq.Array(sprintIDs),
		pq.Array(env), pq.Array(created), pq.Array(updated), pq.Array(resolved), string(raws), pq.Array(complete), pq.Array(dropped), n)
	var pqErr *pq.Error
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == "22P02": // invalid_text_representation
		return fmt.Errorf("store: %d issues: raw JSON is not valid: %w", n, err)
	case err != nil:
		return fmt.Errorf("store: unable to upsert %d issues: %w", n, err)
	}
	if rows, _ := res.RowsAffected(); rows != int64(n) {
		return fmt.Errorf("store: %d issues: raw JSON is not %d documents (%d rows written)", n, n, rows)
	}
	return nil
}

func changeItemUpsertMany(ctx context.Context, tx *sqlx.Tx, siteID string, items []analyzer.ChangeItem) error {
	if len(items) == 0 {
		return nil
	}
	n := len(items)
	issueIDs, historyIDs := make([]int64, n), make([]int64, n)
	seqs := make([]int64, n)
	at, author, field, fieldID := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	fromV, fromS, toV, toS := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, c := range items {
		issueIDs[i], historyIDs[i], seqs[i] = c.IssueID, c.HistoryID, int64(c.Seq)
		at[i] = timeText(&c.At)
		author[i], field[i], fieldID[i] = cleanText(c.Author), cleanText(c.Field), cleanText(c.FieldID)
		fromV[i], fromS[i], toV[i], toS[i] = cleanText(c.FromValue), cleanText(c.FromString), cleanText(c.ToValue), cleanText(c.ToString)
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO changelog_items (site_id, issue_id, history_id, seq, changed_at, author, field, field_id,
			from_value, from_string, to_value, to_string)
		SELECT $1, u.issue_id, u.history_id, u.seq, u.at::timestamptz, u.author, u.field, u.field_id,
			u.from_v, u.from_s, u.to_v, u.to_s
		FROM unnest($2::bigint[], $3::bigint[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::text[], $11::text[], $12::text[])
			AS u(issue_id, history_id, seq, at, author, field, field_id, from_v, from_s, to_v, to_s)
		ON CONFLICT (site_id, issue_id, history_id, seq) DO UPDATE SET
			changed_at = EXCLUDED.changed_at, author = EXCLUDED.author, field = EXCLUDED.field,
			field_id = EXCLUDED.field_id, from_value = EXCLUDED.from_value, from_string = EXCLUDED.from_string,
			to_value = EXCLUDED.to_value, to_string = EXCLUDED.to_string`,
		siteID, pq.Array(issueIDs), pq.Array(historyIDs), pq.Array(seqs), pq.Array(at), pq.Array(author),
		pq.Array(field), pq.Array(fieldID), pq.Array(fromV), pq.Array(fromS), pq.Array(toV), pq.Array(toS))
	if err != nil {
		return fmt.Errorf("store: unable to upsert %d changelog items: %w", n, err)
	}
	return nil
}

func sprintEventUpsertMany(ctx context.Context, tx *sqlx.Tx, siteID string, events []analyzer.SprintEvent) error {
	if len(events) == 0 {
		return nil
	}
	n := len(events)
	issueIDs, sprintIDs := make([]int64, n), make([]int64, n)
	at := make([]string, n)
	added := make([]bool, n)
	for i, e := range events {
		issueIDs[i], sprintIDs[i], added[i] = e.IssueID, e.SprintID, e.Added
		at[i] = timeText(&e.At)
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO sprint_events (site_id, issue_id, sprint_id, changed_at, added)
		SELECT $1, u.issue_id, u.sprint_id, u.at::timestamptz, u.added
		FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bool[]) AS u(issue_id, sprint_id, at, added)
		ON CONFLICT DO NOTHING`,
		siteID, pq.Array(issueIDs), pq.Array(sprintIDs), pq.Array(at), pq.Array(added))
	if err != nil {
		return fmt.Errorf("store: unable to upsert %d sprint events: %w", n, err)
	}
	return nil
}

type issueRow struct {
	analyzer.Issue
	LabelsA     pq.StringArray `db:"labels"`
	ComponentsA pq.StringArray `db:"components"`
	FixA        pq.StringArray `db:"fix_versions"`
	SprintsA    pq.Int64Array  `db:"sprint_ids"`
}

const issueColumns = `site_id, issue_id, issue_key, project_key, summary, issue_type, is_subtask, status_id,
	status_name, status_category, priority, estimate, parent_key, epic_key, labels, components, fix_versions,
	sprint_ids, environment, created_at, updated_at, resolved_at, raw, changelog_complete, changelog_dropped`

func (r issueRow) issue() analyzer.Issue {
	is := r.Issue
	is.Labels, is.Components, is.FixVersions = []string(r.LabelsA), []string(r.ComponentsA), []string(r.FixA)
	is.SprintIDs = []int64(r.SprintsA)
	is.Created, is.Updated = is.Created.UTC(), is.Updated.UTC()
	if is.Resolved != nil {
		t := is.Resolved.UTC()
		is.Resolved = &t
	}
	return is
}

// IssueGetByKey returns one issue; the error wraps sql.ErrNoRows when absent.
func (s *Store) IssueGetByKey(ctx context.Context, siteID, key string) (analyzer.Issue, error) {
	var r issueRow
	if err := s.db.GetContext(ctx, &r, `SELECT `+issueColumns+` FROM issues WHERE site_id = $1 AND issue_key = $2`, siteID, key); err != nil {
		return analyzer.Issue{}, fmt.Errorf("store: unable to get issue %s: %w", key, err)
	}
	return r.issue(), nil
}

// IssueListByBoard returns the issues currently on a board (removed ones
// excluded), ordered by id. The raw Jira JSON is left out unless withRaw:
// it is most of the row and few computations need it.
func (s *Store) IssueListByBoard(ctx context.Context, siteID string, boardID int64, withRaw bool) ([]analyzer.Issue, error) {
	cols := prefixed("i.", issueColumns)
	if !withRaw {
		cols = strings.Replace(cols, "i.raw", "'{}'::json AS raw", 1)
	}
	var rows []issueRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+cols+`
		FROM issues i JOIN board_issues b ON b.site_id = i.site_id AND b.issue_id = i.issue_id
		WHERE b.site_id = $1 AND b.board_id = $2 AND b.removed_at IS NULL ORDER BY i.issue_id`, siteID, boardID)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list issues of board %d: %w", boardID, err)
	}
	out := make([]analyzer.Issue, len(rows))
	for i, r := range rows {
		out[i] = r.issue()
	}
	return out, nil
}

// IssueListIncompleteChangelog returns up to limit issues on a board whose
// stored changelog is truncated (a full fetch failed when they were synced)
// and that were stored before syncedBefore, oldest update first: the sync's
// to-refetch list.
func (s *Store) IssueListIncompleteChangelog(ctx context.Context, siteID string, boardID int64, syncedBefore time.Time, limit int) ([]analyzer.Issue, error) {
	var rows []issueRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+prefixed("i.", issueColumns)+`
		FROM issues i JOIN board_issues b ON b.site_id = i.site_id AND b.issue_id = i.issue_id
		WHERE b.site_id = $1 AND b.board_id = $2 AND b.removed_at IS NULL AND NOT i.changelog_complete
			AND i.synced_at < $3
		ORDER BY i.updated_at, i.issue_id LIMIT $4`, siteID, boardID, syncedBefore, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list truncated changelogs of board %d: %w", boardID, err)
	}
	out := make([]analyzer.Issue, len(rows))
	for i, r := range rows {
		out[i] = r.issue()
	}
	return out, nil
}

// ChangeItemListByIssue returns an issue's changelog items, oldest first.
func (s *Store) ChangeItemListByIssue(ctx context.Context, siteID string, issueID int64) ([]analyzer.ChangeItem, error) {
	var out []analyzer.ChangeItem
	err := s.db.SelectContext(ctx, &out, `
		SELECT site_id, issue_id, history_id, seq, changed_at, author, field, field_id, from_value, from_string, to_value, to_string
		FROM changelog_items WHERE site_id = $1 AND issue_id = $2 ORDER BY changed_at, history_id, seq`, siteID, issueID)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list changelog of issue %d: %w", issueID, err)
	}
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	return out, nil
}

// IsNotFound reports whether err says a row was absent.
func IsNotFound(err error) bool { return errors.Is(err, sql.ErrNoRows) }
