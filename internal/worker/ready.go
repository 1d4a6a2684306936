package worker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/backlog-health/analyzer/internal/store"
)

// Pinger checks the database (*sql.DB and *sqlx.DB are Pingers).
type Pinger interface {
	PingContext(ctx context.Context) error
}

// BoardSync is when one board's last sync finished successfully.
type BoardSync struct {
	Site        string
	Board       int64
	LastSuccess time.Time
}

// SyncStateLister lists the boards' sync states (every replica's, since
// they share the database); *store.Store is one.
type SyncStateLister interface {
	SyncStateList(ctx context.Context) ([]store.SyncState, error)
}

// ReadyReport is the /readyz answer.
type ReadyReport struct {
	Ready     bool        `json:"ready"`
	Status    string      `json:"status"` // "ok" or "not ready"
	Reasons   []string    `json:"reasons,omitempty"`
	CheckedAt time.Time   `json:"checked_at"`
	Database  string      `json:"database"` // "ok", "unreachable: …" or "not checked"
	Sites     []SiteReady `json:"sites,omitempty"`
	Jobs      []JobReady  `json:"jobs"`

	boards []BoardSync
}

// SiteReady is one configured site's freshness.
type SiteReady struct {
	Site string `json:"site"`
	// LastSuccess is the newest successful board sync of the site; nil before the first.
	LastSuccess *time.Time `json:"last_success"`
	AgeSeconds  float64    `json:"age_seconds"`
	// MaxAgeSeconds is StaleFactor × the sync schedule's interval.
	MaxAgeSeconds float64 `json:"max_age_seconds"`
	Stale         bool    `json:"stale"`
}

// JobReady is one job's state.
type JobReady struct {
	Job                  string     `json:"job"`
	Running              bool       `json:"running"`
	RunningSince         *time.Time `json:"running_since,omitempty"`
	DeadlineSeconds      float64    `json:"deadline_seconds,omitempty"`
	PastDeadline         bool       `json:"past_deadline"`
	LastDeadlineExceeded *time.Time `json:"last_deadline_exceeded,omitempty"`
}

// Readiness checks the database, each configured site's last successful
// sync and the jobs' deadlines. It is not ready when:
//
//   - the database does not answer a ping within PingTimeout;
//   - a site's newest successful board sync (or, before its first, the
//     worker's start) is older than StaleFactor × the interval between the
//     next two activations of the StaleJob's schedule;
//   - a job runs past its deadline (it ignored the cancellation), or its
//     last run was cancelled by its deadline and it has not run since.
func (w *Worker) Readiness(ctx context.Context) ReadyReport {
	now := w.now()
	rep := ReadyReport{CheckedAt: now.UTC(), Database: "not checked"}
	dbOK := true
	if w.db != nil {
		pctx, cancel := context.WithTimeout(ctx, w.pingTimeout)
		err := w.db.PingContext(pctx)
		cancel()
		if err != nil {
			dbOK = false
			rep.Database = "unreachable: " + err.Error()
			rep.Reasons = append(rep.Reasons, "database unreachable: "+err.Error())
		} else {
			rep.Database = "ok"
		}
	}
	if sched, ok := w.schedules[w.staleJob]; ok && w.syncStates != nil && len(w.sites) > 0 && dbOK {
		rep.Sites, rep.boards, rep.Reasons = w.siteReadiness(ctx, now, sched.Next(sched.Next(now)).Sub(sched.Next(now)), rep.Reasons)
	}
	jobs := w.stats.snapshot()
	slices.SortFunc(jobs, func(a, b jobSnapshot) int { return strings.Compare(a.name, b.name) })
	for _, js := range jobs {
		jr := JobReady{Job: js.name, Running: js.running, DeadlineSeconds: js.timeout.Seconds()}
		if js.running {
			t := js.started.UTC()
			jr.RunningSince = &t
			if js.timeout > 0 && now.Sub(js.started) > js.timeout {
				jr.PastDeadline = true
				rep.Reasons = append(rep.Reasons, fmt.Sprintf("job %s: running for %s, past its %s deadline",
					js.name, now.Sub(js.started).Round(time.Second), js.timeout))
			}
		}
		if !js.deadlineHit.IsZero() {
			t := js.deadlineHit.UTC()
			jr.LastDeadlineExceeded = &t
			rep.Reasons = append(rep.Reasons, fmt.Sprintf("job %s: last run was cancelled at its %s deadline at %s",
				js.name, js.timeout, t.Format(time.RFC3339)))
		}
		rep.Jobs = append(rep.Jobs, jr)
	}
	rep.Ready = len(rep.Reasons) == 0
	rep.Status = "ok"
	if !rep.Ready {
		rep.Status = "not ready"
	}
	return rep
}

func (w *Worker) siteReadiness(ctx context.Context, now time.Time, interval time.Duration, reasons []string) ([]SiteReady, []BoardSync, []string) {
	states, err := w.syncStates.SyncStateList(ctx)
	if err != nil {
		return nil, nil, append(reasons, "sync state unreadable: "+err.Error())
	}
	var boards []BoardSync
	for _, st := range states {
		if st.LastFinishedAt != nil {
			boards = append(boards, BoardSync{Site: st.SiteID, Board: st.BoardID, LastSuccess: *st.LastFinishedAt})
		}
	}
	maxAge := time.Duration(finite(w.staleFactor * float64(interval)))
	newest := map[string]time.Time{}
	for _, b := range boards {
		if b.LastSuccess.After(newest[b.Site]) {
			newest[b.Site] = b.LastSuccess
		}
	}
	var sites []SiteReady
	for _, id := range w.sites {
		sr := SiteReady{Site: id, MaxAgeSeconds: maxAge.Seconds()}
		since := w.started
		if t, ok := newest[id]; ok {
			tu := t.UTC()
			sr.LastSuccess, since = &tu, t
		}
		age := now.Sub(since)
		sr.AgeSeconds = max(age, 0).Seconds()
		if age > maxAge {
			sr.Stale = true
			if sr.LastSuccess == nil {
				reasons = append(reasons, fmt.Sprintf("site %s: no successful sync since the worker started %s ago (limit %g × the sync interval %s = %s)",
					id, age.Round(time.Second), w.staleFactor, interval, maxAge))
			} else {
				reasons = append(reasons, fmt.Sprintf("site %s: last successful sync at %s, %s ago (limit %g × the sync interval %s = %s)",
					id, sr.LastSuccess.Format(time.RFC3339), age.Round(time.Second), w.staleFactor, interval, maxAge))
			}
		}
		sites = append(sites, sr)
	}
	return sites, boards, reasons
}
