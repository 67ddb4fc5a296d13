ALTER TABLE events DROP COLUMN access_keys;
ALTER TABLE venues DROP COLUMN accessibility;
ALTER TABLE events DROP COLUMN accessibility;
