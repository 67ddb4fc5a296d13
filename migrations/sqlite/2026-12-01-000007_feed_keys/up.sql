-- An action feed's keys (id, last change) of every event in its window, in start order, from
-- the index alone (listing::list_keys): reading them from the table touched every event's row,
-- descriptions and all, for the first feed answer after a write (docs/PERFORMANCE.md, "The
-- first answer after a write"). The same prefix as before, so the action listings keep it.
DROP INDEX events_action;
CREATE INDEX events_action ON events(action_id, start_utc, id, end_utc, updated_at, review, deleted_at, unpublished_at, rrule);
