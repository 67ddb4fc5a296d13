-- Partners' calendars flowing in (issue 12): a subscription to a partner's .ics feed, and which
-- events came from one.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    -- the host of every event of the feed
    partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE RESTRICT,
    action_id INTEGER REFERENCES actions(id) ON DELETE RESTRICT,
    -- JSON ["tag", …] given to every event of the feed
    tags TEXT NOT NULL DEFAULT '[]',
    -- publish: events go public at once; moderate: new ones wait in the moderation queue
    review TEXT NOT NULL CHECK (review IN ('publish', 'moderate')),
    interval_minutes INTEGER NOT NULL,
    -- places floating times when the calendar names no zone (IANA); NULL: the instance's default
    timezone TEXT,
    -- X-WR-CALNAME of the last feed read
    calendar_name TEXT,
    -- validators of the last 200, for a conditional GET
    etag TEXT,
    last_modified TEXT,
    last_fetch_at TIMESTAMP,
    -- ok, not_modified or error
    last_status TEXT,
    last_error TEXT,
    next_fetch_at TIMESTAMP NOT NULL,
    -- a run holds the feed until then (one run at a time, across instances)
    claimed_until TIMESTAMP,
    -- failed fetches in a row (the backoff)
    failures INTEGER NOT NULL DEFAULT 0,
    -- the last run that read a feed
    created INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    cancelled INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    -- JSON [{"uid", "summary", "reason"}, …] of that run
    skipped_items TEXT NOT NULL DEFAULT '[]',
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX imports_url_partner ON imports(url, partner_id);
CREATE INDEX imports_due ON imports(next_fetch_at);

-- An event that came from a feed. import_id NULL: its import was deleted (no longer synced).
CREATE TABLE imported_events (
    event_id INTEGER PRIMARY KEY NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    import_id INTEGER REFERENCES imports(id) ON DELETE SET NULL,
    partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE RESTRICT,
    source_url TEXT NOT NULL,
    -- the source's UID (also the event's uid)
    uid TEXT NOT NULL,
    -- of the event as the feed last gave it: the same hash writes nothing
    hash TEXT NOT NULL,
    -- when it left the feed (and was cancelled here)
    gone_at TIMESTAMP
);
CREATE INDEX imported_events_import ON imported_events(import_id);
