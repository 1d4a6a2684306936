-- 005_kpi_board_week: one snapshot per board and completed ISO week, as the
-- board stood at the end of that week. A report for a past week must show
-- what was true then, whenever it is rendered; kpi_board holds only the
-- latest computation (today's data quality, the last weeks' cycle times).
-- `compute` fills a row for every completed week within
-- metrics.history_weeks that has none, recomputing the metrics from the
-- stored history cut at the week's end (metrics.History), and deletes rows
-- older than that. A row is written once and kept: it is only recomputed
-- when the KPI definitions (definition_version) or the settings that shape
-- the figures (options_hash) changed, or when its data did not yet cover
-- the week (data_as_of before the week's end) and a later sync does.
--
-- week holds that week's metrics.WeekKPI alone, so a report reads the 24
-- weeks it charts and compares without reading their boards; board holds
-- the rest (data quality, the scatter's cycle times, the sprints, the
-- forecast), as compute.WeekSnapshot.
CREATE TABLE kpi_board_week (
    site_id            text NOT NULL,
    board_id           bigint NOT NULL,
    week_start         date NOT NULL,
    computed_at        timestamptz NOT NULL,
    definition_version integer NOT NULL,
    options_hash       text NOT NULL,
    data_as_of         timestamptz, -- the board's sync watermark when computed; NULL: no completed sync
    week               json NOT NULL,
    board              json NOT NULL,
    PRIMARY KEY (site_id, board_id, week_start)
);
