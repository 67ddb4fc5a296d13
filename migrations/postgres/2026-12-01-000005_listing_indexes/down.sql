DROP INDEX events_action_public;
CREATE INDEX events_deleted ON events(deleted_at);
