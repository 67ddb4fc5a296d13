-- Online actions (issue 16): petitions, letters, call-ins, pledges, donations beside the events.
-- Turnout links to where they are taken; it stores no signatures and no personal data.
CREATE TABLE online_actions (
    id INTEGER PRIMARY KEY NOT NULL,
    -- for the deadline's VEVENT in feeds; never reused
    uid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('petition', 'letter', 'call-in', 'pledge', 'donation', 'other')),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    action_id INTEGER REFERENCES actions(id) ON DELETE RESTRICT,
    url TEXT NOT NULL,
    -- as the organizer reports them ("37 of 100 signatures")
    goal INTEGER,
    count INTEGER,
    -- the last day it can be taken, in `timezone`
    deadline DATE,
    timezone TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'won')),
    sequence INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX online_actions_action ON online_actions(action_id);
CREATE INDEX online_actions_updated ON online_actions(updated_at);
CREATE INDEX online_actions_deleted ON online_actions(deleted_at);

CREATE TABLE online_action_partners (
    online_action_id INTEGER NOT NULL REFERENCES online_actions(id) ON DELETE CASCADE,
    partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE RESTRICT,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (online_action_id, partner_id)
);
CREATE INDEX online_action_partners_partner ON online_action_partners(partner_id, online_action_id);
