-- Full-text search over events (issue 8, item 14), the PostgreSQL way: one weighted tsvector per
-- event (rowid = events.id, the name the SQLite FTS5 table uses), a GIN index, accents folded
-- by unaccent and case by the 'simple' configuration ("ano" finds "Año"). Weights: A title,
-- B partners and tags, C place (venue name, street address, city, region, postal code),
-- D description. Kept current by triggers, like the SQLite table.
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TABLE event_search (
    rowid INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    doc tsvector NOT NULL
);
CREATE INDEX event_search_doc ON event_search USING GIN (doc);

CREATE FUNCTION event_search_refresh(eid integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO event_search (rowid, doc)
    SELECT e.id,
        setweight(to_tsvector('simple', unaccent(coalesce(e.title, ''))), 'A') ||
        setweight(to_tsvector('simple', unaccent(
            coalesce((SELECT string_agg(p.name, ' ') FROM event_partners ep
                      JOIN partners p ON p.id = ep.partner_id WHERE ep.event_id = e.id), '')
            || ' ' ||
            coalesce((SELECT string_agg(t.name, ' ') FROM event_tags et
                      JOIN tags t ON t.id = et.tag_id WHERE et.event_id = e.id), ''))), 'B') ||
        setweight(to_tsvector('simple', unaccent(
            concat_ws(' ', v.name, v.address, v.city, v.region, v.postal_code))), 'C') ||
        setweight(to_tsvector('simple', unaccent(coalesce(e.description, ''))), 'D')
    FROM events e LEFT JOIN venues v ON v.id = e.venue_id
    WHERE e.id = eid
    ON CONFLICT (rowid) DO UPDATE SET doc = EXCLUDED.doc;
$$;

SELECT event_search_refresh(id) FROM events;

CREATE FUNCTION event_search_on_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM event_search_refresh(NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER event_search_event AFTER INSERT OR UPDATE OF title, description, venue_id
    ON events FOR EACH ROW EXECUTE FUNCTION event_search_on_event();

-- An event's partners and tags change row by row; each change rewrites that event's row.
CREATE FUNCTION event_search_on_link() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM event_search_refresh(OLD.event_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM event_search_refresh(NEW.event_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER event_search_partner_link AFTER INSERT OR UPDATE OR DELETE
    ON event_partners FOR EACH ROW EXECUTE FUNCTION event_search_on_link();
CREATE TRIGGER event_search_tag_link AFTER INSERT OR UPDATE OR DELETE
    ON event_tags FOR EACH ROW EXECUTE FUNCTION event_search_on_link();

-- A renamed partner or tag, a corrected venue: every event showing it is found by the new text.
CREATE FUNCTION event_search_on_partner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM event_search_refresh(ep.event_id) FROM event_partners ep WHERE ep.partner_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER event_search_partner AFTER UPDATE OF name
    ON partners FOR EACH ROW EXECUTE FUNCTION event_search_on_partner();

CREATE FUNCTION event_search_on_tag() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM event_search_refresh(et.event_id) FROM event_tags et WHERE et.tag_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER event_search_tag AFTER UPDATE OF name
    ON tags FOR EACH ROW EXECUTE FUNCTION event_search_on_tag();

CREATE FUNCTION event_search_on_venue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM event_search_refresh(e.id) FROM events e WHERE e.venue_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER event_search_venue AFTER UPDATE
    ON venues FOR EACH ROW EXECUTE FUNCTION event_search_on_venue();
