// Package devlakeconv converts Apache DevLake's recording of a real Jira Cloud
// site (the e2e CSVs of DevLake's Jira plugin, see
// ../shared/testdata/real/devlake-jira-e2e/SOURCE.md) into the data directory
// the Jira simulator serves with --data.
//
// Every `_raw_jira_api_*.csv` row holds, in its `data` column, one JSON object
// as Jira Cloud returned it. Convert copies those objects byte for byte
// wherever the target file is a Jira response of the same shape, and
// synthesises only what the recording lacks. What it writes into dstDir:
//
//   - boards.json: the board list values of GET /rest/agile/1.0/board. Board 8
//     comes from snapshot_tables/_tool_jira_boards.csv (id, name, self, type,
//     project). Any other board that issues were recorded for (board 93 in
//     the recording) is synthesised: name "<project key> board" (Jira's
//     default board name), type "scrum", self on the recording's host. The
//     board's "location" is built from the project: the recorded
//     _raw_jira_api_projects.csv row if there is one, otherwise the
//     fields.project object of the board's issues.
//   - board-<id>-configuration.json: SYNTHESISED, because DevLake does not
//     record board configurations. Three columns "To Do", "In Progress" and
//     "Done" hold the statuses of _raw_jira_api_status.csv whose
//     statusCategory.key is new, indeterminate and done, in the order of the
//     status list; statuses scoped to another project (team-managed
//     projects, "scope":{"type":"PROJECT"}) are left out. The estimation field
//     is customfield_10024 "Story Points", as DevLake's e2e test configures
//     (StoryPointField). The filter id is set to the board id because the
//     real one is unknown; ranking uses customfield_10019 ("Rank" in the
//     recorded changelogs). Statuses that appear in changelogs but no longer
//     exist on the site (ids 10020, 10000, 10029 and 5 in the recording) are
//     in no column: that is what a real board shows for deleted statuses.
//   - board-<id>-sprints.json: the sprint list values of
//     GET /rest/agile/1.0/board/{id}/sprint, from _raw_jira_api_sprints.csv
//     (board 8: 30 closed sprints, including "Emma Sprint 1" whose
//     originBoardId is 13, as Jira lists it). For a board without recorded
//     sprints the list is built from the agile "sprint" and "closedSprints"
//     fields of the board's issues, which Jira already returns in the sprint
//     list shape.
//   - board-<id>-issues.txt: the keys of the issues recorded for the board
//     (from the row's params BoardId, else from the /board/{id}/issue url),
//     one per line, in recorded order.
//   - fields.json: the recording's _raw_jira_api_issue_fields.csv holds only
//     two fields of another host, not a field list, so the list is
//     SYNTHESISED: every system field the issues carry, with Jira Cloud's
//     names and schemas, and every custom field the issues carry whose name is
//     known (from changelog items' field/fieldId, from DevLake's test config
//     for customfield_10024, or from Jira Cloud's default custom field ids
//     matched against the recorded values, e.g. customfield_10011 "Epic
//     Name"), followed by the two recorded rows verbatim. Custom fields whose
//     name cannot be known are omitted (Summary.UnnamedFields lists them).
//     The agile-only fields sprint, closedSprints, epic and flagged are not
//     /rest/api/2/field entries and are not listed.
//   - statuses.json: the values of GET /rest/api/2/status, verbatim.
//   - issues/<KEY>.json: each issue as GET /rest/api/2/issue/{key}?expand=changelog
//     returns it, with every top-level member kept byte for byte and in
//     order, except "changelog", which is replaced by the full history:
//     the embedded histories merged with the histories of
//     _raw_jira_api_issue_changelogs.csv for the same issue id, de-duplicated
//     by history id (the first copy read wins, embedded first) and sorted
//     oldest first by created, then by id (the recording embeds them newest
//     first; the changelog endpoint pages oldest first).
//     {"startAt":0,"maxResults":N,"total":N,"histories":[...]}.
//     The issues were recorded through the agile API, so they keep its extra
//     fields (sprint, closedSprints, epic, flagged) and its "self" url.
//   - unattached-changelogs/<issue id>.json: histories of
//     _raw_jira_api_issue_changelogs.csv whose issue is not among the recorded
//     issues (in the recording: all 279 rows, of issues 13383, 13954 and
//     13491), as a Cloud changelog page
//     {"startAt":0,"maxResults":N,"total":N,"isLast":true,"values":[...]}.
//     Without the issue's own JSON they cannot become issue files.
//
// The package is used by tests and the simulator's binary only; the recorded
// data is never copied into this repository.
package devlakeconv
