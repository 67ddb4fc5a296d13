ALTER TABLE imported_events DROP COLUMN upstream;
ALTER TABLE imported_events DROP COLUMN kept;
ALTER TABLE imported_events DROP COLUMN written;
