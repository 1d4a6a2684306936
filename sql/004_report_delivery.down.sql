ALTER TABLE report_runs
    DROP CONSTRAINT IF EXISTS report_runs_status_check,
    DROP COLUMN IF EXISTS attempts,
    DROP COLUMN IF EXISTS lease_until,
    DROP COLUMN IF EXISTS next_attempt_at,
    DROP COLUMN IF EXISTS claim_token;
