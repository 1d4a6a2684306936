package sync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/store"
)

// epicBatch is how many epic keys one `key in (…)` search asks for.
const epicBatch = 50

// syncEpics stores the epics the site's board issues point to. Epics are on
// no scrum board (Jira's board membership), so the board listings never
// bring them; the outcome analysis needs them all the same (a linked epic
// reaching done is a release). Epics referenced but not stored yet are
// fetched whole; stored ones only when updated since the last complete
// epic pass (its watermark, less the overlap; all of them on a full run).
// They are stored without board membership. Keys Jira does not know
// (deleted, or not visible to the account) are logged and left out.
func (s *Syncer) syncEpics(ctx context.Context, meta siteMeta, res *Result) error {
	started, err := s.store.DBNow(ctx)
	if err != nil {
		return err
	}
	wm, err := s.store.EpicWatermarkGet(ctx, s.cfg.SiteID)
	if err != nil {
		return err
	}
	var since time.Time
	if wm != nil && !s.cfg.Full {
		since = wm.Add(-s.cfg.Overlap)
	}
	missing, known, err := s.store.EpicKeysReferenced(ctx, s.cfg.SiteID)
	if err != nil {
		return err
	}
	opts := meta.known.ParseOptions(s.cfg.SiteID, "")
	opts.Location = s.cfg.Location
	var bound string
	if !since.IsZero() {
		bound = fmt.Sprintf(` AND updated >= "%s"`, s.jqlTime(since))
	}
	type job struct {
		keys  []string
		bound string
	}
	var jobs []job
	for chunk := range slices.Chunk(missing, epicBatch) {
		jobs = append(jobs, job{chunk, ""})
	}
	for chunk := range slices.Chunk(known, epicBatch) {
		jobs = append(jobs, job{chunk, bound})
	}
	// The batches are independent: Concurrency of them at once.
	var (
		mu       gosync.Mutex
		firstErr error
		wg       gosync.WaitGroup
		sem      = make(chan struct{}, s.cfg.Concurrency)
	)
	for _, j := range jobs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			var r Result
			err := s.fetchEpics(ctx, j.keys, j.bound, opts, meta, &r)
			mu.Lock()
			defer mu.Unlock()
			res.Epics += r.Epics
			res.ChangelogEntriesDropped += r.ChangelogEntriesDropped
			firstErr = cmp.Or(firstErr, err)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return s.store.EpicWatermarkPut(ctx, s.cfg.SiteID, started)
}

// fetchEpics searches `key in (keys)` (plus bound) and stores what it finds.
// Jira refuses the whole query when one key is unknown (400): the batch is
// then halved until the unknown keys stand alone, and those are skipped.
func (s *Syncer) fetchEpics(ctx context.Context, keys []string, bound string, opts jira.ParseOptions, meta siteMeta, res *Result) error {
	jql := "key in (" + strings.Join(keys, ", ") + ")" + bound + " ORDER BY key ASC"
	batch := store.IssueBatch{SiteID: s.cfg.SiteID}
	for pg, err := range s.src.SearchPages(ctx, jql, jira.SearchOptions{Fields: opts.Fields(), Expand: []string{"changelog"}, PageSize: s.cfg.PageSize}) {
		var ae *jira.APIError
		switch {
		case errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest && len(keys) > 1:
			half := len(keys) / 2
			if err := s.fetchEpics(ctx, keys[:half], bound, opts, meta, res); err != nil {
				return err
			}
			return s.fetchEpics(ctx, keys[half:], bound, opts, meta, res)
		case errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest:
			s.log.Warn("epic referenced by board issues not found in Jira", slog.String("issue_key", keys[0]), slog.Any("error", err))
			return nil
		case err != nil:
			return fmt.Errorf("sync: site %s: epics: %w", s.cfg.SiteID, err)
		}
		// Like a board page, but an unusable epic is only logged (there is
		// no board to record it on) and an epic's sprint events are not
		// kept (epics are in no sprint of a scrum board).
		s.parsePage(ctx, &batch, pg, opts, meta, res)
		batch.Skipped, batch.SprintEvents = nil, nil
	}
	if len(batch.Issues) == 0 {
		return nil
	}
	res.Epics += len(batch.Issues)
	return s.store.IssueUpsertMany(ctx, batch)
}
