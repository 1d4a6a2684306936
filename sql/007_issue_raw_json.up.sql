-- 007_issue_raw_json: issues.raw as json instead of jsonb. raw is written
-- whole on every sync and read whole by the few rules that look inside an
-- issue (escaped defects); no query reaches into it. jsonb's binary
-- conversion cost PostgreSQL about twice the CPU per issue of json's
-- check-and-store, for nothing. (Rewrites the table once.)
ALTER TABLE issues ALTER COLUMN raw DROP DEFAULT;
ALTER TABLE issues ALTER COLUMN raw TYPE json USING raw::json;
ALTER TABLE issues ALTER COLUMN raw SET DEFAULT '{}';
