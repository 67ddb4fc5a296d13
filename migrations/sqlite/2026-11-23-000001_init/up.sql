-- Turnout schema. Wall time + IANA zone are the truth for events; *_utc columns are derived for
-- sorting and range queries. Timestamps are naive UTC unless the column name ends in _local.

CREATE TABLE partners (
    id INTEGER PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    website TEXT,
    description TEXT NOT NULL DEFAULT '',
    -- private: never in public output
    contact_email TEXT,
    contact_phone TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE actions (
    id INTEGER PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- JSON array of hashtags without '#'
    hashtags TEXT NOT NULL DEFAULT '[]',
    first_day DATE,
    last_day DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE action_partners (
    action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
    partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE RESTRICT,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (action_id, partner_id)
);

CREATE TABLE venues (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,
    address TEXT COLLATE NOCASE,
    city TEXT COLLATE NOCASE,
    region TEXT COLLATE NOCASE,
    postal_code TEXT,
    country TEXT COLLATE NOCASE,
    lat DOUBLE,
    lon DOUBLE,
    timezone TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX venues_city ON venues(city);
CREATE INDEX venues_region ON venues(region);
CREATE INDEX venues_country ON venues(country);
CREATE INDEX venues_identity ON venues(name, address, city);

CREATE TABLE events (
    id INTEGER PRIMARY KEY NOT NULL,
    uid TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    start_local TIMESTAMP NOT NULL,
    end_local TIMESTAMP NOT NULL,
    timezone TEXT NOT NULL,
    start_utc TIMESTAMP NOT NULL,
    end_utc TIMESTAMP NOT NULL,
    all_day BOOLEAN NOT NULL DEFAULT 0,
    venue_id INTEGER REFERENCES venues(id) ON DELETE RESTRICT,
    online_url TEXT,
    info_url TEXT,
    action_id INTEGER REFERENCES actions(id) ON DELETE RESTRICT,
    status TEXT NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed', 'tentative', 'cancelled')),
    -- moderation: only 'approved' events are public
    review TEXT NOT NULL DEFAULT 'approved' CHECK (review IN ('approved', 'pending', 'rejected')),
    sequence INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX events_start ON events(start_utc, id);
CREATE INDEX events_end ON events(end_utc);
CREATE INDEX events_updated ON events(updated_at);
CREATE INDEX events_deleted ON events(deleted_at);
CREATE INDEX events_action ON events(action_id, start_utc);
CREATE INDEX events_venue ON events(venue_id);

CREATE TABLE event_partners (
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE RESTRICT,
    role TEXT NOT NULL DEFAULT 'host' CHECK (role IN ('host', 'co-host', 'endorser')),
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, partner_id)
);
CREATE INDEX event_partners_partner ON event_partners(partner_id, event_id);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);

CREATE TABLE event_tags (
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE RESTRICT,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, tag_id)
);
CREATE INDEX event_tags_tag ON event_tags(tag_id, event_id);

CREATE TABLE event_revisions (
    id INTEGER PRIMARY KEY NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('create', 'update', 'cancel', 'delete', 'restore', 'approve', 'reject')),
    actor TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- full JSON snapshot of the event after the change
    snapshot TEXT NOT NULL
);
CREATE INDEX event_revisions_event ON event_revisions(event_id, id);
CREATE INDEX event_revisions_created ON event_revisions(created_at);

CREATE TABLE users (
    id INTEGER PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'organizer')),
    partner_id INTEGER REFERENCES partners(id) ON DELETE RESTRICT,
    created_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP,
    CHECK (role = 'admin' OR partner_id IS NOT NULL)
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- SHA-256 of the token, hex; the token itself is shown once and never stored
    token_hash TEXT NOT NULL UNIQUE,
    partner_id INTEGER REFERENCES partners(id) ON DELETE RESTRICT,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
