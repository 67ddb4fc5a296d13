-- Listings whose cost follows the page, not the table (docs/PERFORMANCE.md, "Cache misses").
-- events_deleted indexed a column that is NULL on nearly every row; the listings walk
-- events_start (start_utc, id) in order instead (as on SQLite, which this mirrors). The venue
-- filters already have lower(...) expression indexes here (venues_city, venues_region, ...).
DROP INDEX events_deleted;
