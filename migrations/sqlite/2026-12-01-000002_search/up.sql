-- Full-text search over events (issue 8, item 14). One FTS5 row per event, rowid = events.id,
-- for every event whatever its review or deletion state: the listing's own filters decide what
-- is public. unicode61 with remove_diacritics 2 folds case and accents ("ano" finds "Año").
-- Contentless (the text stays in events, venues, partners and tags); contentless_delete lets the
-- triggers below replace a row.
CREATE VIRTUAL TABLE event_search USING fts5(
    title,
    description,
    place,
    partners,
    tags,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- What event_search holds for one event. `place` is the venue's name, street address, city,
-- region and postal code.
CREATE VIEW event_search_doc AS
SELECT
    e.id AS id,
    e.title AS title,
    e.description AS description,
    concat_ws(' ', v.name, v.address, v.city, v.region, v.postal_code) AS place,
    (SELECT group_concat(p.name, ' ') FROM event_partners ep JOIN partners p ON p.id = ep.partner_id
        WHERE ep.event_id = e.id) AS partners,
    (SELECT group_concat(t.name, ' ') FROM event_tags et JOIN tags t ON t.id = et.tag_id
        WHERE et.event_id = e.id) AS tags
FROM events e LEFT JOIN venues v ON v.id = e.venue_id;

INSERT INTO event_search (rowid, title, description, place, partners, tags)
SELECT id, title, description, place, partners, tags FROM event_search_doc;

-- Kept current by triggers, so every write path (API, pages, import) keeps it right by itself.

CREATE TRIGGER event_search_event_insert AFTER INSERT ON events BEGIN
    INSERT INTO event_search (rowid, title, description, place, partners, tags)
    SELECT id, title, description, place, partners, tags FROM event_search_doc WHERE id = NEW.id;
END;

CREATE TRIGGER event_search_event_update AFTER UPDATE OF id, title, description, venue_id ON events BEGIN
    DELETE FROM event_search WHERE rowid = OLD.id;
    INSERT INTO event_search (rowid, title, description, place, partners, tags)
    SELECT id, title, description, place, partners, tags FROM event_search_doc WHERE id = NEW.id;
END;

CREATE TRIGGER event_search_event_delete AFTER DELETE ON events BEGIN
    DELETE FROM event_search WHERE rowid = OLD.id;
END;

-- An event's partners and tags change row by row; each change rewrites that event's row.

CREATE TRIGGER event_search_partner_link_insert AFTER INSERT ON event_partners BEGIN
    DELETE FROM event_search WHERE rowid = NEW.event_id;
    INSERT INTO event_search (rowid, title, description, place, partners, tags)
    SELECT id, title, description, place, partners, tags FROM event_search_doc WHERE id = NEW.event_id;
END;

CREATE TRIGGER event_search_partner_link_update AFTER UPDATE ON event_partners BEGIN
    DELETE FROM event_search WHERE rowid IN (OLD.event_id, NEW.event_id);
    INSERT INTO event_search (rowid, title, description, place, partners, tags)
    SELECT id, title, description, place, partners, tags FROM event_search_doc
    WHERE id IN (OLD.event_id, NEW.event_id);
END;

CREATE TRIGGER event_search_partner_link_delete AFTER DELETE ON event_partners BEGIN
    DELETE FROM event_search WHERE rowid = OLD.event_id;
    INSERT INTO event_search (rowid, title, description, place, partners, tags)
    SELECT id, title, description, place, partners, tags FROM event_search_doc WHERE id = OLD.event_id;
END;

CREATE TRIGGER event_search_tag_link_insert AFTER INSERT ON event_tags BEGIN
    DELETE FROM event_search WHERE rowid = NEW.event_id;
    INSERT INTO event_search (rowid, title, description, place, partners, tags)
    SELECT id, title, description, place, partners, tags FROM event_search_doc WHERE id = NEW.event_id;
END;

CREATE TRIGGER event_search_tag_link_update AFTER UPDATE ON event_tags BEGIN
    DELETE FROM event_search WHERE rowid IN (OLD.event_id, NEW.event_id);
    INSERT INTO event_search (rowid, title, description, place, partners, tags)
    SELECT id, title, description, place, partners, tags FROM event_search_doc
    WHERE id IN (OLD.event_id, NEW.event_id);
END;

CREATE TRIGGER event_search_tag_link_delete AFTER DELETE ON event_tags BEGIN
    DELETE FROM event_search WHERE rowid = OLD.event_id;
    INSERT INTO event_search (rowid, title, description, place, partners, tags)
    SELECT id, title, description, place, partners, tags FROM event_search_doc WHERE id = OLD.event_id;
END;

-- A renamed partner, a corrected venue or a renamed tag is found under its new name.

CREATE TRIGGER event_search_partner_update AFTER UPDATE OF name ON partners BEGIN
    DELETE FROM event_search
    WHERE rowid IN (SELECT event_id FROM event_partners WHERE partner_id = NEW.id);
    INSERT INTO event_search (rowid, title, description, place, partners, tags)
    SELECT id, title, description, place, partners, tags FROM event_search_doc
    WHERE id IN (SELECT event_id FROM event_partners WHERE partner_id = NEW.id);
END;

CREATE TRIGGER event_search_venue_update
AFTER UPDATE OF name, address, city, region, postal_code ON venues BEGIN
    DELETE FROM event_search WHERE rowid IN (SELECT id FROM events WHERE venue_id = NEW.id);
    INSERT INTO event_search (rowid, title, description, place, partners, tags)
    SELECT id, title, description, place, partners, tags FROM event_search_doc
    WHERE id IN (SELECT id FROM events WHERE venue_id = NEW.id);
END;

CREATE TRIGGER event_search_tag_update AFTER UPDATE OF name ON tags BEGIN
    DELETE FROM event_search WHERE rowid IN (SELECT event_id FROM event_tags WHERE tag_id = NEW.id);
    INSERT INTO event_search (rowid, title, description, place, partners, tags)
    SELECT id, title, description, place, partners, tags FROM event_search_doc
    WHERE id IN (SELECT event_id FROM event_tags WHERE tag_id = NEW.id);
END;
