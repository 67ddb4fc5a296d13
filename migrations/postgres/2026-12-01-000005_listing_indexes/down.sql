CREATE INDEX events_deleted ON events(deleted_at);
