// Package jirasim is a faithful fake Jira, Cloud or Data Center, for tests,
// demos and benchmarks.
//
// # Sites
//
// A site is either generated, deterministically from Config.Seed, with
// Config.Teams scrum boards and Config.Issues issues, or loaded from a
// directory of files in Jira's own JSON shapes (Config.DataDir; layout in
// README.md). Generated issues are built on demand from (seed, index), so a
// site of 1,000,000 issues holds no issue JSON in memory; searches keep a
// 24-byte index entry per issue.
//
// # Faithfulness
//
// Responses have the JSON shapes Jira returns (checked against recorded
// Jira Cloud and Jira Server payloads and against go-jira v1.17.0's
// structs): agile boards, board configuration, sprints, board and sprint
// issues, Cloud /search/jql with nextPageToken and 410 Gone on the removed
// /search, DC /search with startAt/total, issues with embedded changelogs
// (Cloud keeps the latest 100 histories, newest first), the paged changelog
// endpoint and bulkfetch, fields, statuses, serverInfo and myself. Basic auth
// (Cloud) or bearer PAT (DC) is enforced. Faults (latency, 429 with
// Retry-After or X-RateLimit-Reset, 503s, malformed bodies) are injectable.
//
// # Truth
//
// Server.Truth computes, from the generator's own event model, the expected
// sprint scope, committed and completed points, cycle and lead times and
// escaped bugs, so that tests of the sync and metrics can compare.
package jirasim
