-- An organizer's edits to an imported event, kept against its feed (issue 12).
-- JSON of the event's fields as the feed last wrote them here: a field that differs now was
-- edited here. NULL: not known yet (events imported before this migration).
ALTER TABLE imported_events ADD COLUMN written TEXT;
-- JSON ["title", "time", …]: the parts edited here, which the feed no longer changes.
ALTER TABLE imported_events ADD COLUMN kept TEXT NOT NULL DEFAULT '[]';
-- JSON of the event as the feed last gave it (what the admin shows beside an edit).
ALTER TABLE imported_events ADD COLUMN upstream TEXT;
