ALTER TABLE event_occurrences DROP COLUMN tags;
ALTER TABLE event_occurrences DROP COLUMN partners;
ALTER TABLE event_occurrences DROP COLUMN action_id;
