-- 006_jira_meta: what a sync fetched from Jira that rarely changes (a board's
-- configuration, the site's statuses and fields), kept with the time it was
-- fetched. A no-change incremental run used to ask for all of it every time
-- (the board configuration alone was a third of its requests); now it reuses
-- what is younger than a day and fetches it again once a day and on every
-- full sync. body is Jira's answer as the sync decoded it, written and read
-- whole (json, not jsonb).
CREATE TABLE jira_meta (
    site_id    text NOT NULL REFERENCES jira_sites ON DELETE CASCADE,
    meta_key   text NOT NULL, -- "fields", "statuses", "board/<id>/configuration"
    body       json NOT NULL,
    fetched_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, meta_key)
);
