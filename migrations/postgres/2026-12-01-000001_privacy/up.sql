-- Privacy and moderation (issue 8).

-- Public submitters are not tracked: revisions of a submission name the actor `public`, never the
-- submitter's address (earlier versions wrote `public:<address>`).
UPDATE event_revisions SET actor = 'public' WHERE actor LIKE 'public:%';

-- When a public event stopped being public (deleted, or rejected after it had been approved).
-- Set only for events that had been public: these keep a tombstone in sync and a minimal
-- cancelled VEVENT in feeds; nothing else of them is public any more.
ALTER TABLE events ADD COLUMN unpublished_at TIMESTAMP;
-- Whether an admin deleted or rejected it: organizers may not undo an admin's moderation.
ALTER TABLE events ADD COLUMN removed_by_admin BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE events SET unpublished_at = deleted_at
 WHERE deleted_at IS NOT NULL AND review = 'approved';

UPDATE events SET removed_by_admin = TRUE
 WHERE review = 'rejected'
    OR (deleted_at IS NOT NULL AND EXISTS (
          SELECT 1 FROM event_revisions r
           WHERE r.id = (SELECT MAX(id) FROM event_revisions
                          WHERE event_id = events.id AND kind = 'delete')
             AND (r.actor LIKE 'cli:%'
                  OR EXISTS (SELECT 1 FROM users u
                              WHERE 'user:' || u.email = r.actor AND u.role = 'admin')
                  OR EXISTS (SELECT 1 FROM api_tokens t
                              WHERE 'token:' || t.name = r.actor AND t.partner_id IS NULL))));

CREATE INDEX events_unpublished ON events(unpublished_at);
