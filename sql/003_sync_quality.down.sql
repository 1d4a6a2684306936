DROP TABLE sync_epics;
ALTER TABLE issues DROP COLUMN changelog_dropped;
DROP TABLE sync_skipped;
