-- An action feed's keys (id, last change) of every event in its window, in start order, from
-- the index alone (listing::list_keys; an index-only scan): reading them from the table touched
-- every event's row for the first feed answer after a write (docs/PERFORMANCE.md, "The first
-- answer after a write"). SQLite widens events_action instead; here a partial index with the
-- columns the filter reads as payload, which keeps a long rule out of the index.
CREATE INDEX events_action_keys ON events(action_id, start_utc, id)
    INCLUDE (end_utc, updated_at, review, deleted_at, unpublished_at) WHERE rrule IS NULL;
