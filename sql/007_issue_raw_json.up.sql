-- 007_issue_raw_json: issues.raw as json instead of jsonb, compressed with
-- lz4. raw is written whole on every sync and read whole by the few rules
-- that look inside an issue (escaped defects); no query reaches into it.
-- jsonb's binary conversion cost PostgreSQL about twice the CPU of json's
-- check-and-store, for nothing. An issue's raw JSON is 5-35 KB, above the
-- 2 KB at which PostgreSQL compresses a value: its default compression
-- (pglz) costs several times lz4's CPU. A server built without lz4 keeps
-- pglz. (Rewrites the table once.)
ALTER TABLE issues ALTER COLUMN raw DROP DEFAULT;
ALTER TABLE issues ALTER COLUMN raw TYPE json USING raw::json;
ALTER TABLE issues ALTER COLUMN raw SET DEFAULT '{}';
DO $$
BEGIN
    ALTER TABLE issues ALTER COLUMN raw SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 not available; issues.raw keeps the default compression';
END $$;
