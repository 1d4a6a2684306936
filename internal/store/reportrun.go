package store

import (
	"context"
	"fmt"
	"time"
)

// Report run statuses.
const (
	ReportClaimed = "claimed"
	ReportSent    = "sent"
	ReportFailed  = "failed"
)

// ReportRunClaim claims the delivery of one week's report to one target.
// It returns true when this caller may send: no row existed, the previous
// attempt failed, or a claim older than staleAfter was abandoned by a
// crashed worker. A sent report is never claimed again, so neither a restart
// nor a second replica sends it twice.
func (s *Store) ReportRunClaim(ctx context.Context, weekStart time.Time, target string, staleAfter time.Duration) (bool, error) {
	var claimed []string
	err := s.db.SelectContext(ctx, &claimed, `
		INSERT INTO report_runs (week_start, target, status) VALUES ($1, $2, 'claimed')
		ON CONFLICT (week_start, target) DO UPDATE SET status = 'claimed', claimed_at = now(), error = '', finished_at = NULL
		WHERE report_runs.status = 'failed'
		   OR (report_runs.status = 'claimed' AND report_runs.claimed_at < now() - make_interval(secs => $3))
		RETURNING target`, weekStart.Format("2006-01-02"), target, staleAfter.Seconds())
	if err != nil {
		return false, fmt.Errorf("store: unable to claim report %s for %s: %w", weekStart.Format("2006-01-02"), target, err)
	}
	return len(claimed) == 1, nil
}

// ReportRunFinish records the outcome of a claimed delivery; a non-nil
// sendErr marks it failed so that a later run retries it.
func (s *Store) ReportRunFinish(ctx context.Context, weekStart time.Time, target string, sendErr error) error {
	status, msg := ReportSent, ""
	if sendErr != nil {
		status, msg = ReportFailed, sendErr.Error()
	}
	_, err := s.db.ExecContext(ctx, `
		UPDATE report_runs SET status = $3, error = $4, finished_at = now()
		WHERE week_start = $1 AND target = $2`, weekStart.Format("2006-01-02"), target, status, msg)
	if err != nil {
		return fmt.Errorf("store: unable to record report %s for %s: %w", weekStart.Format("2006-01-02"), target, err)
	}
	return nil
}

// ReportRun is one row of report_runs.
type ReportRun struct {
	WeekStart time.Time `db:"week_start"`
	Target    string    `db:"target"`
	Status    string    `db:"status"`
	Error     string    `db:"error"`
}

// ReportRunList returns every report run, newest week first.
func (s *Store) ReportRunList(ctx context.Context) ([]ReportRun, error) {
	var out []ReportRun
	if err := s.db.SelectContext(ctx, &out, `SELECT week_start, target, status, error FROM report_runs ORDER BY week_start DESC, target`); err != nil {
		return nil, fmt.Errorf("store: unable to list report runs: %w", err)
	}
	return out, nil
}
