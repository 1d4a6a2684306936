package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/backlog-health/analyzer/internal/jira/jirasim"
	"github.com/backlog-health/analyzer/internal/store/storetest"
	"github.com/backlog-health/analyzer/internal/sync"
)

// A run killed after a board's last page was stored but before its
// watermark was written left a checkpoint with no next cursor: the resumed
// run read the whole board again (seen as a flaky count in
// TestKillAndResumeConcurrent503). The last page's checkpoint now says the
// listing is done, and the resumed run only finishes the board.
func TestResumeAfterLastPage(t *testing.T) {
	ctx := context.Background()
	site := newSim(t, jirasim.Config{Issues: 300, Teams: 1, Seed: 4, Now: time.Now().Add(-time.Hour)})
	st := storetest.MustOpen(t)
	first := runSync(t, st, site, sync.Config{PageSize: 50})
	want := checksum(t, st)
	// The state the killed run leaves: the last page's checkpoint, as page()
	// writes it, and no watermark. 300 issues less 2 epics (not on a scrum board) in 6 pages: done 298, no token.
	cp := `{"full":true,"started_at":"` + time.Now().UTC().Add(-time.Minute).Format(time.RFC3339Nano) + `","start_at":0,"done":298,"listed":true}`
	if _, err := st.DB().ExecContext(ctx, `UPDATE sync_state SET watermark = NULL, checkpoint = $1 WHERE board_id = 1`, cp); err != nil {
		t.Fatal(err)
	}
	site.sim.ResetStats()
	res := runSync(t, st, site, sync.Config{PageSize: 50})
	if first.Issues != 298 || res.Issues != 0 {
		t.Fatalf("first run %d issues, resumed run %d: want 298, then none read again", first.Issues, res.Issues)
	}
	if n := site.sim.Stats().ByPattern["GET /rest/agile/1.0/board/{id}/issue"]; n != 0 {
		t.Fatalf("the resumed run asked for %d issue pages, want none", n)
	}
	if got := checksum(t, st); got["issues"] != want["issues"] || count(t, st, `SELECT count(*) FROM sync_state WHERE watermark IS NOT NULL AND checkpoint IS NULL`) != 1 {
		t.Fatalf("after the resumed run: issues %s (want %s), or the board has no watermark", got["issues"], want["issues"])
	}
}
