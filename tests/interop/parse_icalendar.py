#!/usr/bin/env python3
"""Reads an .ics file with python `icalendar` and prints what it understood as JSON.

Each event: uid, summary, description, location, status, sequence, categories, and start/end as
UTC instants (`2027-09-13T23:00:00Z`) or dates (`2027-09-13`) for all-day events. Parse problems
go to "errors"; the calling test fails on any.
"""
import datetime as dt
import json
import sys

import icalendar


def show(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return "floating:" + value.isoformat()
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return None


def main(path):
    out = {"parser": f"icalendar {icalendar.__version__}", "errors": [], "events": [], "calendar": {}}
    with open(path, "rb") as f:
        data = f.read()
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception as e:  # noqa: BLE001 - report any parse failure
        out["errors"].append(f"parse: {e}")
        print(json.dumps(out))
        return
    for key in ("NAME", "X-WR-CALNAME", "REFRESH-INTERVAL", "X-PUBLISHED-TTL", "METHOD"):
        if key in cal:
            out["calendar"][key] = str(cal[key].to_ical().decode() if hasattr(cal[key], "to_ical") else cal[key])
    for comp in cal.walk():
        for err in getattr(comp, "errors", []) or []:
            out["errors"].append(f"{comp.name}: {err}")
    for ev in cal.walk("VEVENT"):
        cats = []
        for c in ev.get("CATEGORIES", []) if isinstance(ev.get("CATEGORIES"), list) else [ev.get("CATEGORIES")]:
            if c is not None:
                cats.extend(str(x) for x in c.cats)
        out["events"].append({
            "uid": str(ev.get("UID")),
            "summary": str(ev.get("SUMMARY")),
            "description": str(ev.get("DESCRIPTION", "")),
            "location": str(ev.get("LOCATION", "")),
            "status": str(ev.get("STATUS", "CONFIRMED")),
            "sequence": int(ev.get("SEQUENCE", 0)),
            "categories": cats,
            "properties": sorted(set(ev.keys())),
            "start": show(ev.decoded("DTSTART")),
            "end": show(ev.decoded("DTEND")) if "DTEND" in ev else None,
        })
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
