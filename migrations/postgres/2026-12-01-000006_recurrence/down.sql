DROP TABLE event_occurrences;
DROP INDEX events_series;
ALTER TABLE events DROP COLUMN series_end_utc;
ALTER TABLE events DROP COLUMN exdates;
ALTER TABLE events DROP COLUMN rrule;
