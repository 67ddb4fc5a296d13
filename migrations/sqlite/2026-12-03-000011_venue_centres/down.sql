ALTER TABLE venues DROP COLUMN located;
ALTER TABLE venues DROP COLUMN approx_lon;
ALTER TABLE venues DROP COLUMN approx_lat;
