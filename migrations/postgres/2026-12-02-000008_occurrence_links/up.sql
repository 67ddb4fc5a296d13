-- One occurrence of a series may name its own day of action, partners and tags (a week
-- co-hosted by another group). NULL: the series' own (whether the change gives them is in its
-- patch: a change with "action": null has no action). partners: JSON [[partner id, role], …];
-- tags: JSON ["name", …].
ALTER TABLE event_occurrences ADD COLUMN action_id INTEGER;
ALTER TABLE event_occurrences ADD COLUMN partners TEXT;
ALTER TABLE event_occurrences ADD COLUMN tags TEXT;
