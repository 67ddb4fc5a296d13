"""Reads an Atom feed as a feed reader does (python `feedparser`) and checks it against RFC 4287
with the standard library's XML parser. Prints JSON: what feedparser read, and every problem.

Usage: atom_check.py FILE
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

import feedparser

ATOM = "{http://www.w3.org/2005/Atom}"
# RFC 3339 date-time, as RFC 4287 section 3.3 requires (upper-case T and Z).
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")


def rfc4287(root):
    problems = []
    if root.tag != ATOM + "feed":
        return [f"root is {root.tag}, not atom:feed"]

    def one(el, name, where):
        found = el.findall(ATOM + name)
        if len(found) != 1:
            problems.append(f"{where}: {len(found)} atom:{name}, must be exactly one")
        return found[0] if found else None

    def date(el, where):
        if el is not None and not DATE.match(el.text or ""):
            problems.append(f"{where}: {el.text!r} is no RFC 3339 date-time")

    def text_construct(el, where):
        if el is not None and el.get("type", "text") not in ("text", "html", "xhtml"):
            problems.append(f"{where}: type {el.get('type')!r}")

    def links(el, where):
        seen = set()
        for link in el.findall(ATOM + "link"):
            if not link.get("href"):
                problems.append(f"{where}: a link without href")
            if link.get("rel", "alternate") == "alternate":
                key = (link.get("type"), link.get("hreflang"))
                if key in seen:
                    problems.append(f"{where}: two alternate links of type {key}")
                seen.add(key)

    def persons(el, name, where):
        for p in el.findall(ATOM + name):
            if len(p.findall(ATOM + "name")) != 1:
                problems.append(f"{where}: atom:{name} without exactly one name")

    fid = one(root, "id", "feed")
    if fid is not None and not IRI.match(fid.text or ""):
        problems.append(f"feed: id {fid.text!r} is no IRI")
    text_construct(one(root, "title", "feed"), "feed title")
    date(one(root, "updated", "feed"), "feed updated")
    links(root, "feed")
    persons(root, "author", "feed")
    if not any(l.get("rel") == "self" for l in root.findall(ATOM + "link")):
        problems.append("feed: no rel=self link (RFC 4287 4.1.1: SHOULD)")
    feed_author = bool(root.findall(ATOM + "author"))
    ids = set()
    for i, entry in enumerate(root.findall(ATOM + "entry")):
        where = f"entry {i}"
        eid = one(entry, "id", where)
        if eid is not None:
            if not IRI.match(eid.text or ""):
                problems.append(f"{where}: id {eid.text!r} is no IRI")
            if eid.text in ids:
                problems.append(f"{where}: id {eid.text!r} used twice")
            ids.add(eid.text)
        text_construct(one(entry, "title", where), where + " title")
        date(one(entry, "updated", where), where + " updated")
        for p in entry.findall(ATOM + "published"):
            date(p, where + " published")
        links(entry, where)
        persons(entry, "author", where)
        persons(entry, "contributor", where)
        if not feed_author and not entry.findall(ATOM + "author"):
            problems.append(f"{where}: no author, and the feed has none")
        contents = entry.findall(ATOM + "content")
        alternates = [l for l in entry.findall(ATOM + "link") if l.get("rel", "alternate") == "alternate"]
        if not contents and not alternates:
            problems.append(f"{where}: neither content nor an alternate link")
        if len(entry.findall(ATOM + "summary")) > 1:
            problems.append(f"{where}: more than one summary")
    return problems


def main():
    raw = open(sys.argv[1], "rb").read()
    problems = []
    try:
        root = ET.fromstring(raw)
        problems += rfc4287(root)
    except ET.ParseError as e:
        problems.append(f"not well-formed XML: {e}")
    d = feedparser.parse(raw)
    if d.bozo:
        problems.append(f"feedparser: {d.bozo_exception}")
    if d.version != "atom10":
        problems.append(f"feedparser reads it as {d.version!r}, not atom10")
    out = {
        "problems": problems,
        "title": d.feed.get("title"),
        "id": d.feed.get("id"),
        "updated": d.feed.get("updated"),
        "links": [{"rel": l.get("rel"), "href": l.get("href"), "type": l.get("type")} for l in d.feed.get("links", [])],
        "entries": [
            {
                "id": e.get("id"),
                "title": e.get("title"),
                "updated": e.get("updated"),
                "link": e.get("link"),
                "summary": e.get("summary"),
                "content": (e.get("content") or [{}])[0].get("value"),
                "authors": [a.get("name") for a in e.get("authors", [])],
                "tags": [t.get("term") for t in e.get("tags", [])],
            }
            for e in d.entries
        ],
    }
    print(json.dumps(out, ensure_ascii=False))


main()
