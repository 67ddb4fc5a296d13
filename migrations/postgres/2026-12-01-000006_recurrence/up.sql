-- Recurring events (as on SQLite, which this mirrors) (docs/ARCHITECTURE.md, "Recurring events"). A series is an event row with a
-- rule: its start_* and end_* are the first occurrence's, the truth is the rule + wall time +
-- zone; occurrences are expanded within each listing's window, never stored.
ALTER TABLE events ADD COLUMN rrule TEXT;
-- JSON array of local starts ("2027-01-05T18:00:00") the series skips (EXDATE).
ALTER TABLE events ADD COLUMN exdates TEXT NOT NULL DEFAULT '[]';
-- End (UTC) of the series' last occurrence; NULL when the rule never ends (or no rule).
ALTER TABLE events ADD COLUMN series_end_utc TIMESTAMP;
-- Listings find the series that reach into their window through this (few rows).
CREATE INDEX events_series ON events(start_utc, id) WHERE rrule IS NOT NULL;

-- One occurrence changed or cancelled without touching its series (a RECURRENCE-ID override).
-- `patch` is the change as the organizer gave it (a JSON merge patch of event fields over the
-- series, an inline venue resolved to venue_id); beside it, what the occurrence shows once the
-- patch is applied to the series, rebuilt whenever the series changes.
CREATE TABLE event_occurrences (
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    occurrence_local TIMESTAMP NOT NULL,
    patch TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    venue_id INTEGER REFERENCES venues(id) ON DELETE RESTRICT,
    online_url TEXT,
    info_url TEXT,
    start_local TIMESTAMP NOT NULL,
    end_local TIMESTAMP NOT NULL,
    start_utc TIMESTAMP NOT NULL,
    end_utc TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'tentative', 'cancelled')),
    sequence INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (event_id, occurrence_local)
);
