package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	analyzer "github.com/backlog-health/analyzer"
	"github.com/backlog-health/analyzer/internal/jira"
	"github.com/backlog-health/analyzer/internal/store"
)

func (s *Syncer) syncBoard(ctx context.Context, b analyzer.Board, meta siteMeta, res *Result) error {
	log := s.log.With(slog.Int64("board_id", b.ID))
	lock, ok, err := s.store.BoardLockTry(ctx, s.cfg.SiteID, b.ID)
	if err != nil {
		return err
	}
	if !ok {
		log.Warn("board skipped: another worker is syncing it")
		res.BoardsLocked++
		return nil
	}
	defer lock.Release()

	bc, _, err := cachedFetch(ctx, s, fmt.Sprintf("board/%d/configuration", b.ID), func(ctx context.Context) (*jira.BoardConfig, error) {
		return s.src.BoardConfiguration(ctx, b.ID)
	})
	if err != nil {
		return fmt.Errorf("sync: board %d: %w", b.ID, err)
	}
	bc.Apply(&b, meta.fields, s.cfg.StoryPointsField)
	if err := s.store.BoardUpsert(ctx, b); err != nil {
		return err
	}
	log.Info("board configuration", slog.String("estimation_field", b.EstimationField),
		slog.String("estimation_source", b.EstimationSource), slog.Any("done_status_ids", b.DoneStatusIDs()))
	res.Boards++

	state, err := s.store.SyncStateGet(ctx, s.cfg.SiteID, b.ID)
	if err != nil {
		return err
	}
	cp, err := s.plan(ctx, state)
	if err != nil {
		return err
	}
	opts := meta.known.ParseOptions(s.cfg.SiteID, b.EstimationField)
	opts.Location = s.cfg.Location
	log.Info("board sync", slog.Bool("full", cp.Full), slog.Time("since", cp.Since),
		slog.Int("resume_start_at", cp.StartAt), slog.Bool("resume_token", cp.Token != ""), slog.Int("resume_done", cp.Done))

	l := listing{guard: &jira.PageGuard{}, lock: lock}
	// The next page is fetched while the current one is parsed and stored:
	// its cursor is known as soon as the current page arrives. The first
	// is fetched while the sprints are.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !cp.Listed {
		l.pending = []pending{s.fetch(fctx, b, cp, opts)}
	}
	if b.Type == "scrum" {
		sprints, err := s.src.Sprints(ctx, b.ID)
		if err != nil {
			return fmt.Errorf("sync: board %d: %w", b.ID, err)
		}
		for i := range sprints {
			sprints[i].SiteID = s.cfg.SiteID
		}
		if err := s.store.SprintUpsertMany(ctx, sprints); err != nil {
			return err
		}
		res.Sprints += len(sprints)
	}
	for !cp.Listed {
		done, err := s.page(ctx, fctx, b, &cp, &l, opts, meta, state, res)
		if err != nil {
			_ = s.store.SyncStateSetError(context.WithoutCancel(ctx), s.cfg.SiteID, b.ID, err.Error())
			return err
		}
		if done {
			break
		}
	}
	if err := s.refetchTruncated(ctx, b, lock, cp.StartedAt, opts, meta, res); err != nil {
		return err
	}
	if cp.Full {
		n, err := s.store.BoardIssueMarkUnseen(ctx, s.cfg.SiteID, b.ID, cp.StartedAt)
		if err != nil {
			return err
		}
		res.IssuesRemoved += n
		if n > 0 {
			log.Info("issues no longer on the board marked removed", slog.Int("issues_removed", n))
		}
	}
	if err := lock.Check(ctx); err != nil {
		return fmt.Errorf("sync: board %d: %w", b.ID, err)
	}
	wm := cp.StartedAt
	now := time.Now().UTC()
	state.Watermark, state.Checkpoint, state.LastFinishedAt, state.LastError = &wm, nil, &now, ""
	return s.store.SyncStatePut(ctx, state)
}

// plan resumes a stored checkpoint or starts a new full or incremental run.
func (s *Syncer) plan(ctx context.Context, state store.SyncState) (checkpoint, error) {
	if len(state.Checkpoint) > 0 {
		var cp checkpoint
		if err := json.Unmarshal(state.Checkpoint, &cp); err == nil && !cp.StartedAt.IsZero() {
			s.log.Info("resuming interrupted sync", slog.Int64("board_id", state.BoardID), slog.Int("start_at", cp.StartAt))
			return cp, nil
		}
	}
	now, err := s.store.DBNow(ctx)
	if err != nil {
		return checkpoint{}, err
	}
	cp := checkpoint{StartedAt: now, Full: s.cfg.Full || state.Watermark == nil}
	if !cp.Full {
		cp.Since = state.Watermark.Add(-s.cfg.Overlap)
	}
	return cp, nil
}
