package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
)

// cachedFetch returns what fetch returns, reusing the copy stored under key
// (store.JiraMetaGet) while it is younger than Config.MetaMaxAge, except on
// a full run. fresh reports whether it was fetched now. A stored copy that
// no longer decodes is fetched again.
func cachedFetch[T any](ctx context.Context, s *Syncer, key string, fetch func(context.Context) (T, error)) (v T, fresh bool, err error) {
	if !s.cfg.Full && s.cfg.MetaMaxAge > 0 {
		body, ok, err := s.store.JiraMetaGet(ctx, s.cfg.SiteID, key, s.cfg.MetaMaxAge)
		if err != nil {
			return v, false, err
		}
		if ok {
			if err := json.Unmarshal(body, &v); err == nil {
				return v, false, nil
			}
			s.log.Warn("stored jira metadata unreadable; fetching it again", slog.String("meta_key", key), slog.Any("error", err))
		}
	}
	v, err = fetch(ctx)
	if err != nil {
		return v, false, err
	}
	body, err := json.Marshal(v)
	if err != nil {
		return v, false, fmt.Errorf("sync: encode %s: %w", key, err)
	}
	return v, true, s.store.JiraMetaPut(ctx, s.cfg.SiteID, key, body)
}
