DROP INDEX events_action_public;
DROP INDEX venues_country_lower;
DROP INDEX venues_region_lower;
DROP INDEX venues_city_lower;
CREATE INDEX events_deleted ON events(deleted_at);
