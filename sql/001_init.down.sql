DROP TABLE IF EXISTS report_runs, outcome_values, kpi_week, kpi_sprint, sync_state,
    sprint_events, changelog_items, board_issues, issues, sprints, boards, statuses, jira_sites;
