-- Who can come (issue 13): what an event (and, as its default, its venue) says about wheelchair
-- access, ASL, interpretation, captions, childcare and notes, as canonical JSON of its own
-- fields (`domain::access::Accessibility`; NULL: nothing said).
ALTER TABLE events ADD COLUMN accessibility TEXT;
ALTER TABLE venues ADD COLUMN accessibility TEXT;
-- What the `access` filter matches: the event's own fields over its venue's, as space-separated
-- keys with a space before and after, languages marked (' wheelchair asl l:es l:es-mx ').
-- Written with the event and again for every event of a venue whose accessibility changes.
ALTER TABLE events ADD COLUMN access_keys TEXT NOT NULL DEFAULT '';
