-- 003_sync_quality: what the sync could not store, for the data-quality
-- section. An issue Jira serves without a usable `created` (missing,
-- unreadable, year 0000) cannot enter any figure, and used to fail its whole
-- board on every run; it is skipped and remembered here until a later run
-- stores it. Changelog entries whose timestamp cannot be read are left out
-- of an issue's history; how many is kept on the issue, since its cycle time
-- may then be wrong.
CREATE TABLE sync_skipped (
    site_id   text NOT NULL,
    board_id  bigint NOT NULL,
    issue_key text NOT NULL,
    reason    text NOT NULL,
    seen_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, board_id, issue_key)
);

ALTER TABLE issues ADD COLUMN changelog_dropped integer NOT NULL DEFAULT 0;

-- Epics are on no scrum board, so no board listing brings them; the sync
-- fetches the epics that board issues point to by key, incrementally from
-- this per-site watermark (the start of the last complete epic pass).
CREATE TABLE sync_epics (
    site_id   text PRIMARY KEY,
    watermark timestamptz NOT NULL
);
