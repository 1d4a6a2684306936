DROP TABLE IF EXISTS kpi_board_week;
