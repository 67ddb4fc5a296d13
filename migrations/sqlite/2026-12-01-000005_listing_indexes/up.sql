-- Listings whose cost follows the page, not the table (docs/PERFORMANCE.md, "Cache misses").
-- events_deleted indexed a column that is NULL on nearly every row: the planner took
-- `deleted_at IS NULL` for a selective equality, read every public event through it and sorted
-- them all for a 50-event page. Without it the listings walk events_start (start_utc, id) in
-- order and stop at the page's end; filtered listings keep their own indexes (events_action,
-- event_partners_partner, events_venue).
DROP INDEX events_deleted;
-- City, region and country filters compare lower(...) (catalog::lower), as PostgreSQL's indexes do.
CREATE INDEX venues_city_lower ON venues(lower(city));
CREATE INDEX venues_region_lower ON venues(lower(region));
CREATE INDEX venues_country_lower ON venues(lower(country));
-- An action's public event count and its venues, from the index alone (catalog::action_views).
CREATE INDEX events_action_public ON events(action_id, review, deleted_at, venue_id);
