-- 001_init: the analyzer's base schema.
--
-- Natural keys come from Jira (site_id + Jira's own numeric id) so that every
-- re-sync upserts instead of duplicating. site_id is the short name a user
-- gives a site in the config ("acme"), not its URL, so a site can move hosts
-- without losing history.

CREATE TABLE jira_sites (
    site_id      text PRIMARY KEY,
    base_url     text NOT NULL,
    flavor       text NOT NULL CHECK (flavor IN ('cloud', 'dc')),
    server_title text NOT NULL DEFAULT '',
    time_zone    text NOT NULL DEFAULT 'UTC',
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE statuses (
    site_id      text NOT NULL REFERENCES jira_sites ON DELETE CASCADE,
    status_id    text NOT NULL,
    name         text NOT NULL,
    category_key text NOT NULL,
    PRIMARY KEY (site_id, status_id)
);

-- columns holds the board's column configuration, left to right:
-- [{"name": "Done", "status_ids": ["10002"]}]. Velocity's "done" is the
-- rightmost column, which is why the order matters and is kept as JSON.
CREATE TABLE boards (
    site_id           text NOT NULL REFERENCES jira_sites ON DELETE CASCADE,
    board_id          bigint NOT NULL,
    name              text NOT NULL,
    board_type        text NOT NULL DEFAULT '',
    project_key       text NOT NULL DEFAULT '',
    columns           jsonb NOT NULL DEFAULT '[]',
    estimation_field  text NOT NULL DEFAULT '',
    estimation_source text NOT NULL DEFAULT 'none',
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, board_id)
);

-- board_id is the sprint's originBoardId; a sprint may show on other boards too.
CREATE TABLE sprints (
    site_id       text NOT NULL REFERENCES jira_sites ON DELETE CASCADE,
    sprint_id     bigint NOT NULL,
    board_id      bigint NOT NULL,
    name          text NOT NULL,
    state         text NOT NULL CHECK (state IN ('future', 'active', 'closed')),
    goal          text NOT NULL DEFAULT '',
    start_date    timestamptz,
    end_date      timestamptz,
    complete_date timestamptz,
    PRIMARY KEY (site_id, sprint_id)
);
CREATE INDEX sprints_board_idx ON sprints (site_id, board_id);

-- raw keeps the issue JSON as Jira returned it (minus the changelog, which is
-- normalised into changelog_items), so a later definition can be recomputed
-- without a re-sync.
CREATE TABLE issues (
    site_id            text NOT NULL REFERENCES jira_sites ON DELETE CASCADE,
    issue_id           bigint NOT NULL,
    issue_key          text NOT NULL,
    project_key        text NOT NULL DEFAULT '',
    summary            text NOT NULL DEFAULT '',
    issue_type         text NOT NULL DEFAULT '',
    is_subtask         boolean NOT NULL DEFAULT false,
    status_id          text NOT NULL DEFAULT '',
    status_name        text NOT NULL DEFAULT '',
    status_category    text NOT NULL DEFAULT '',
    priority           text NOT NULL DEFAULT '',
    estimate           double precision,
    parent_key         text NOT NULL DEFAULT '',
    epic_key           text NOT NULL DEFAULT '',
    labels             text[] NOT NULL DEFAULT '{}',
    components         text[] NOT NULL DEFAULT '{}',
    fix_versions       text[] NOT NULL DEFAULT '{}',
    sprint_ids         bigint[] NOT NULL DEFAULT '{}',
    environment        text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    resolved_at        timestamptz,
    changelog_complete boolean NOT NULL DEFAULT true,
    raw                jsonb NOT NULL DEFAULT '{}',
    synced_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, issue_id)
);
CREATE UNIQUE INDEX issues_key_idx ON issues (site_id, issue_key);
CREATE INDEX issues_updated_idx ON issues (site_id, updated_at);

-- Which issues a board shows. removed_at is set, never the row deleted, when an
-- issue leaves the board or is deleted in Jira: history must not be lost.
CREATE TABLE board_issues (
    site_id    text NOT NULL,
    board_id   bigint NOT NULL,
    issue_id   bigint NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now(),
    removed_at timestamptz,
    PRIMARY KEY (site_id, board_id, issue_id),
    FOREIGN KEY (site_id, board_id) REFERENCES boards ON DELETE CASCADE
);

-- One row per item of a changelog history; (history_id, seq) is Jira's identity.
--
-- No foreign key to issues, on purpose: the sync writes an issue and its
-- changelog in the same transaction, and a per-row RI check made a fresh
-- database's first full sync quadratic (the check's cached plan is made while
-- issues is empty, so it scans the table: 100,000 issues took 11 minutes
-- instead of 28 seconds). The same holds for sprint_events.
CREATE TABLE changelog_items (
    site_id     text NOT NULL,
    issue_id    bigint NOT NULL,
    history_id  bigint NOT NULL,
    seq         integer NOT NULL,
    changed_at  timestamptz NOT NULL,
    author      text NOT NULL DEFAULT '',
    field       text NOT NULL,
    field_id    text NOT NULL DEFAULT '',
    from_value  text NOT NULL DEFAULT '',
    from_string text NOT NULL DEFAULT '',
    to_value    text NOT NULL DEFAULT '',
    to_string   text NOT NULL DEFAULT '',
    PRIMARY KEY (site_id, issue_id, history_id, seq)
);
CREATE INDEX changelog_items_field_idx ON changelog_items (site_id, field, changed_at);

-- Sprint membership over time, derived from Sprint-field changelog items.
CREATE TABLE sprint_events (
    site_id    text NOT NULL,
    issue_id   bigint NOT NULL,
    sprint_id  bigint NOT NULL,
    changed_at timestamptz NOT NULL,
    added      boolean NOT NULL,
    PRIMARY KEY (site_id, issue_id, sprint_id, changed_at, added)
);
CREATE INDEX sprint_events_sprint_idx ON sprint_events (site_id, sprint_id);

-- Sync state per site and board. watermark is only advanced after the batch
-- that reached it has committed; checkpoint is the opaque resume point
-- (e.g. a nextPageToken or startAt) of a sync in progress.
CREATE TABLE sync_state (
    site_id          text NOT NULL,
    board_id         bigint NOT NULL,
    watermark        timestamptz,
    checkpoint       jsonb,
    last_started_at  timestamptz,
    last_finished_at timestamptz,
    last_error       text NOT NULL DEFAULT '',
    PRIMARY KEY (site_id, board_id)
);

-- KPI snapshots: one row per board and sprint, and per board and ISO week.
-- definition_version changes when a KPI's definition does, so old snapshots are
-- recognisable; recomputation overwrites (idempotent). data is json, not
-- jsonb: snapshots are written in bulk on every compute and read whole by the
-- report, never queried inside, and json skips the binary conversion (a
-- fifth of compute's time at 100,000 issues).
CREATE TABLE kpi_sprint (
    site_id            text NOT NULL,
    board_id           bigint NOT NULL,
    sprint_id          bigint NOT NULL,
    computed_at        timestamptz NOT NULL,
    definition_version integer NOT NULL,
    data               json NOT NULL,
    PRIMARY KEY (site_id, board_id, sprint_id)
);

CREATE TABLE kpi_week (
    site_id            text NOT NULL,
    board_id           bigint NOT NULL,
    week_start         date NOT NULL,
    computed_at        timestamptz NOT NULL,
    definition_version integer NOT NULL,
    data               json NOT NULL,
    PRIMARY KEY (site_id, board_id, week_start)
);

-- Product outcome metrics as dated values. segment '' means "all".
CREATE TABLE outcome_values (
    metric      text NOT NULL,
    value_date  date NOT NULL,
    segment     text NOT NULL DEFAULT '',
    value       double precision NOT NULL,
    unit        text NOT NULL DEFAULT '',
    source      text NOT NULL DEFAULT '',
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (metric, value_date, segment)
);

-- One row per report week and delivery target, claimed with
-- ON CONFLICT DO NOTHING before sending, so neither a restart nor a second
-- replica sends a report twice.
CREATE TABLE report_runs (
    week_start  date NOT NULL,
    target      text NOT NULL,
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'claimed',
    error       text NOT NULL DEFAULT '',
    PRIMARY KEY (week_start, target)
);
