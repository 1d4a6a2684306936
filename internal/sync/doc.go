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
// Board configurations, statuses and fields change rarely: they are
// fetched once a day (Config.MetaMaxAge) and on full runs, and otherwise
// read back from the store, so a no-change run costs 2 requests per board
// (sprints, one empty page), 2 per site (myself, boards) and one epic
// search per 50 epics the board issues point to.
//
// # Crash safety
//
// Each page of issues is written in one transaction together with the
// board's checkpoint: the run's parameters and the next startAt (Data
// Center) or the next page token, issues done and the last stored issue's
// creation time (Cloud, which pages board issues by token since RFC-127). A
// run killed at any point resumes from the last committed page; upserts on
// Jira's natural keys make a re-fetched page a no-op. A page token Jira
// refuses (400: expired) restarts the board's listing at the last stored
// issue's creation minute (the listing is in creation order). Paging that
// does not advance ends the board with jira.ErrPagingStalled. The watermark
// moves only when the board's run completes. See docs/jira.md.
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
