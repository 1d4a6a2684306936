package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// Report run statuses (report_runs.status).
const (
	ReportClaimed = "claimed"
	ReportSent    = "sent"
	ReportFailed  = "failed"
)

// ReportClaim is the right to deliver one week's report to one target,
// held until its lease ends. Token identifies the holder.
type ReportClaim struct {
	WeekStart time.Time
	Target    string
	Token     string
	Attempt   int // 1 for the first claim of this (week, target)
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

// ReportRunClaim claims the delivery of one week's report to one target
// for lease from now. It succeeds when no row exists, when the last attempt
// failed and its next_attempt_at has come (or force is set: an operator's
// explicit `report --deliver`), or when a previous claim's lease ran out (a
// crashed sender). A sent report is never claimed again, and a live lease is
// never taken over, so neither a restart nor a second replica sends twice.
// now is the caller's clock: replicas are expected to run NTP, and a skew
// well under the lease is harmless.
func (s *Store) ReportRunClaim(ctx context.Context, weekStart time.Time, target string, now time.Time, lease time.Duration, force bool) (ReportClaim, bool, error) {
	tok := make([]byte, 12)
	_, _ = rand.Read(tok)
	c := ReportClaim{WeekStart: weekStart, Target: target, Token: hex.EncodeToString(tok)}
	var attempts []int
	err := s.db.SelectContext(ctx, &attempts, `
		INSERT INTO report_runs (week_start, target, status, claimed_at, lease_until, attempts, claim_token)
		VALUES ($1, $2, 'claimed', $3, $3::timestamptz + make_interval(secs => $4), 1, $5)
		ON CONFLICT (week_start, target) DO UPDATE SET
			status = 'claimed', claimed_at = EXCLUDED.claimed_at, lease_until = EXCLUDED.lease_until,
			attempts = report_runs.attempts + 1, claim_token = EXCLUDED.claim_token, finished_at = NULL
		WHERE (report_runs.status = 'failed' AND ($6 OR report_runs.next_attempt_at IS NULL OR report_runs.next_attempt_at <= $3))
		   OR (report_runs.status = 'claimed' AND report_runs.lease_until <= $3)
		RETURNING attempts`, day(weekStart), target, now, lease.Seconds(), c.Token, force)
	if err != nil {
		return ReportClaim{}, false, fmt.Errorf("store: unable to claim report %s for %s: %w", day(weekStart), target, err)
	}
	if len(attempts) != 1 {
		return ReportClaim{}, false, nil
	}
	c.Attempt = attempts[0]
	return c, true, nil
}

// ReportRunRenew extends c's lease to now+lease (the heartbeat of a send in
// progress). It returns false when c no longer holds the claim: its lease
// ran out and another sender took it over, or the row was finished.
func (s *Store) ReportRunRenew(ctx context.Context, c ReportClaim, now time.Time, lease time.Duration) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
		UPDATE report_runs SET lease_until = $4::timestamptz + make_interval(secs => $5)
		WHERE week_start = $1 AND target = $2 AND status = 'claimed' AND claim_token = $3`,
		day(c.WeekStart), c.Target, c.Token, now, lease.Seconds())
	if err != nil {
		return false, fmt.Errorf("store: unable to renew the claim on report %s for %s: %w", day(c.WeekStart), c.Target, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReportRunSent records that the target accepted the report. It is written
// whoever holds the claim by now: the report went out, so nobody may send
// it again.
func (s *Store) ReportRunSent(ctx context.Context, c ReportClaim, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `
		UPDATE report_runs SET status = 'sent', error = '', finished_at = $3, next_attempt_at = NULL,
			lease_until = $3, claim_token = ''
		WHERE week_start = $1 AND target = $2 AND status <> 'sent'`, day(c.WeekStart), c.Target, now)
	if err != nil {
		return fmt.Errorf("store: unable to record report %s sent to %s: %w", day(c.WeekStart), c.Target, err)
	}
	return nil
}

// ReportRunFailed records a failed attempt and when the next one may start.
// It changes nothing when c no longer holds the claim.
func (s *Store) ReportRunFailed(ctx context.Context, c ReportClaim, now time.Time, sendErr error, next time.Time) error {
	msg := ""
	if sendErr != nil {
		msg = sendErr.Error()
	}
	_, err := s.db.ExecContext(ctx, `
		UPDATE report_runs SET status = 'failed', error = $4, finished_at = $5, next_attempt_at = $6,
			lease_until = $5, claim_token = ''
		WHERE week_start = $1 AND target = $2 AND status = 'claimed' AND claim_token = $3`,
		day(c.WeekStart), c.Target, c.Token, cleanText(msg), now, next)
	if err != nil {
		return fmt.Errorf("store: unable to record report %s failing for %s: %w", day(c.WeekStart), c.Target, err)
	}
	return nil
}

// ReportRun is one row of report_runs.
type ReportRun struct {
	WeekStart     time.Time  `db:"week_start"`
	Target        string     `db:"target"`
	Status        string     `db:"status"`
	Error         string     `db:"error"`
	Attempts      int        `db:"attempts"`
	LeaseUntil    time.Time  `db:"lease_until"`
	NextAttemptAt *time.Time `db:"next_attempt_at"`
}

// Claimable reports whether ReportRunClaim (without force) would succeed at now.
func (r ReportRun) Claimable(now time.Time) bool {
	switch r.Status {
	case ReportFailed:
		return r.NextAttemptAt == nil || !r.NextAttemptAt.After(now)
	case ReportClaimed:
		return !r.LeaseUntil.After(now)
	}
	return false
}

const reportRunColumns = `week_start, target, status, error, attempts, lease_until, next_attempt_at`

// ReportRunList returns every report run, newest week first.
func (s *Store) ReportRunList(ctx context.Context) ([]ReportRun, error) {
	var out []ReportRun
	if err := s.db.SelectContext(ctx, &out, `SELECT `+reportRunColumns+` FROM report_runs ORDER BY week_start DESC, target`); err != nil {
		return nil, fmt.Errorf("store: unable to list report runs: %w", err)
	}
	return out, nil
}

// ReportRunListSince returns the report runs of the weeks starting on or
// after since, oldest week first, and the first week each target ever had a
// row for (all weeks, not only those since).
func (s *Store) ReportRunListSince(ctx context.Context, since time.Time) (runs []ReportRun, first map[string]time.Time, err error) {
	if err := s.db.SelectContext(ctx, &runs, `SELECT `+reportRunColumns+` FROM report_runs
		WHERE week_start >= $1 ORDER BY week_start, target`, day(since)); err != nil {
		return nil, nil, fmt.Errorf("store: unable to list report runs: %w", err)
	}
	var rows []struct {
		Target string    `db:"target"`
		First  time.Time `db:"first"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT target, min(week_start) AS first FROM report_runs GROUP BY target`); err != nil {
		return nil, nil, fmt.Errorf("store: unable to list report targets: %w", err)
	}
	first = make(map[string]time.Time, len(rows))
	for _, r := range rows {
		first[r.Target] = r.First
	}
	return runs, first, nil
}
