-- Listings whose cost follows the page, not the table (docs/PERFORMANCE.md, "Cache misses").
-- events_deleted indexed a column that is NULL on nearly every row; the listings walk
-- events_start (start_utc, id) in order instead (as on SQLite, which this mirrors). The venue
-- filters already have lower(...) expression indexes here (venues_city, venues_region, ...).
DROP INDEX events_deleted;
-- An action's public event count and its venues, from the index alone (catalog::action_views).
CREATE INDEX events_action_public ON events(action_id, review, deleted_at, venue_id);
