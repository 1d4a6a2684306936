// Package outcomes brings the outcome metrics a Product Manager owns (MRR,
// revenue, ARPU, NPS, CSAT, retention, activation or any named series) into
// the analyzer and sets them beside the work the teams delivered.
//
// # Values
//
// An outcome is a series of dated [Value]s (one per metric, date and
// optional segment; segment "" means "all"). A [Metric] gives the series its
// unit, its direction (higher or lower is better) and its granularity.
//
// # Ingest
//
// Three ways in, all validated the same way and all idempotent on
// (metric, date, segment):
//
//   - [ParseCSV] reads a file with the columns date,metric,value[,segment,unit].
//     Every error names its line and the whole file is rejected on any error.
//   - [Handler] serves POST /api/v1/outcomes with a bearer token and a JSON body.
//   - [PullSQL] runs a query on the user's own PostgreSQL in a read-only
//     transaction with a statement timeout.
//
// Values are written through a [Sink] (internal/store implements it).
//
// # Analysis
//
// [Analyze] is a pure function of plain inputs and an injected clock: per
// outcome and ISO week the value, its week-over-week change and its change
// against a 4-week baseline; the delivery on the work linked to the outcome
// (see [Link]); per linked release a verdict ([ReleaseWindow]): the weeks
// after it (shifted by the link's lag) against what a least-squares line
// through the weeks before it predicts, a change called only beyond the 95 %
// prediction band of that line's own noise; the alignment ratio (share of delivered points linked to
// any outcome) and flags. The texts it writes state correlation only: an
// outcome "moved together with" a release, never "because of" it.
//
// # Demo
//
// [DemoSeries] generates deterministic series for the demo site: an
// activation rate that rises about two weeks after each onboarding release,
// a trending MRR and a flat NPS.
package outcomes
