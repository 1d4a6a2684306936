// Package metrics computes the analyzer's KPIs from a board's stored Jira
// history. It is pure: no SQL, no HTTP, no time.Now. The caller loads a
// BoardData, passes an injected clock in Options.Now, and stores the Result
// (keyed by board and sprint, and by board and ISO week, with
// DefinitionVersion). The definitions are documented for users in
// docs/metrics.md; field comments link to its anchors.
//
// # History, not current state
//
// Every sprint number is rebuilt from the changelog. An issue's status and
// estimate at an instant are found by walking its status and estimate
// changes back from the current value; its sprint membership comes from
// SprintEvents (an issue created into a sprint has none: it is a member since
// creation). The state at t is the state after every change at or before t.
//
// # Entry points
//
//   - Compute: every sprint and weekly KPI, a summary and data-quality counts.
//   - SprintKPIs, WeekKPIs, CycleTimes: parts of the same computation.
//   - RunForecast: the Monte Carlo forecast (the report draws its samples).
//   - Percentile, Distribute, CalendarDays, WorkingDays, WeekStart: the
//     building blocks, exported so that other code (e.g. a simulator's own
//     truth) can use the same conventions.
//
// # Performance
//
// Compute is linear in issues, changes and sprint memberships, plus issues ×
// weeks they are open for the weekly state (WIP, backlog). 100,000 issues on
// 2,000 sprints compute in well under a second (see BenchmarkComputeAll).
package metrics
