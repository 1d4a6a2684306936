-- 002_kpi_board: one snapshot per board with what the weekly report needs
-- besides the sprint and week rows: the board's unit, its data-quality
-- summary, the recent per-issue cycle times (for the scatter chart) and the
-- throughput forecast. Reports read snapshots only, so a report always shows
-- what the last `compute` computed, and rendering never recomputes KPIs.
CREATE TABLE kpi_board (
    site_id            text NOT NULL,
    board_id           bigint NOT NULL,
    computed_at        timestamptz NOT NULL,
    definition_version integer NOT NULL,
    data               json NOT NULL, -- json like kpi_sprint and kpi_week: written whole, read whole
    PRIMARY KEY (site_id, board_id)
);
