-- Where `near` places a venue without coordinates of its own (issue 13): the centre of its
-- postal code or of its city, from the gazetteer shipped with Turnout. Set on every venue write
-- and, for venues written before this migration, at start. NULL with lat/lon given, or when
-- neither the postal code nor the city is known.
ALTER TABLE venues ADD COLUMN approx_lat DOUBLE PRECISION;
ALTER TABLE venues ADD COLUMN approx_lon DOUBLE PRECISION;
-- The venues no centre was looked for yet (0) or was (1): the start-up pass reads only the 0s.
ALTER TABLE venues ADD COLUMN located INTEGER NOT NULL DEFAULT 0;
