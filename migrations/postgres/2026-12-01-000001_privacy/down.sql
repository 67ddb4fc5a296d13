DROP INDEX events_unpublished;
ALTER TABLE events DROP COLUMN removed_by_admin;
ALTER TABLE events DROP COLUMN unpublished_at;
