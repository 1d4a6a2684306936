// Package sync pulls one Jira site's boards, sprints, issues and complete
// changelogs into the store.
//
// # Runs
//
// The first run of a board is full: every issue on the board, ordered by
// creation so that paging is stable. Later runs are incremental: issues with
// `updated >= watermark − overlap`, where the watermark is the time the
// previous complete run started (in the site's time zone, which is how Jira
// reads JQL dates). An issue changed while a run is under way is therefore
// fetched again by the next run; the overlap covers JQL's minute precision
// and clock skew.
//
// # Crash safety
//
// Each page of issues is written in one transaction together with the
// board's checkpoint (the next startAt and the run's parameters). A run
// killed at any point resumes from the last committed page; upserts on
// Jira's natural keys make the re-fetched page a no-op. The watermark moves
// only when the board's run completes.
//
// # Completeness
//
// Jira truncates the changelog embedded in search results (about 100
// histories). An issue whose embedded changelog is incomplete gets its full
// history from the changelog endpoint before it is stored; if that fails it
// is stored with changelog_complete = false, which the report's data-quality
// section shows.
//
// # Locking
//
// A PostgreSQL advisory lock per site and board, held on one connection for
// the board's run, keeps two workers from syncing the same board at once;
// the second one skips the board and says so.
package sync
