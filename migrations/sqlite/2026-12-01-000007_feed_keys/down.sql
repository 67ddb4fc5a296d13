DROP INDEX events_action;
CREATE INDEX events_action ON events(action_id, start_utc);
