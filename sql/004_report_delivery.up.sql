-- 004_report_delivery: report deliveries that failed or were missed are
-- retried, and a claim is a short lease instead of an hour-long lock.
--
-- Still one row per (week_start, target). A row is
--   claimed: someone is sending; lease_until is refreshed (a heartbeat) while
--            the send runs, so a crashed sender's claim expires within one
--            short lease (2 minutes) instead of the hour it used to block;
--   sent:    written right after the target accepted the report, never
--            claimed again;
--   failed:  the last attempt failed; the next one waits for next_attempt_at
--            (backoff over hours), as long as the week is in the catch-up
--            window.
-- attempts counts claims (a crashed attempt counts too). claim_token names
-- the current holder, so that a sender whose lease was taken over cannot
-- overwrite the new holder's state with its own failure.
ALTER TABLE report_runs
    ADD COLUMN attempts        integer     NOT NULL DEFAULT 0,
    ADD COLUMN lease_until     timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN claim_token     text        NOT NULL DEFAULT '';

-- Rows written by the previous version: one attempt each; an open claim keeps
-- the hour it was given then.
UPDATE report_runs SET attempts = 1, lease_until = claimed_at + interval '1 hour';

ALTER TABLE report_runs
    ADD CONSTRAINT report_runs_status_check CHECK (status IN ('claimed', 'sent', 'failed'));
