#!/usr/bin/env python3
"""Turns shared/bench-data/gen_events.py output into a `turnout import` file.

Every event joins one action ("bench-action", so its feed is the 2,000-event action feed), names
its partners by slug (first as host, the rest as co-hosts), and carries its venue inline. The
first ten events are also endorsed by "ten-event-partner", whose feed has ten events whatever
the size of the data set.

Usage: python3 scripts/bench_data.py events.json import.json
"""
import datetime as dt
import json
import re
import sys
from zoneinfo import ZoneInfo


def slugify(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64]


def exists(local, tz):
    """False for a wall time in a spring-forward gap (Turnout refuses those, as it should)."""
    t = dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz))
    return t.astimezone(dt.timezone.utc).astimezone(ZoneInfo(tz)).replace(tzinfo=None) == t.replace(tzinfo=None)


def main(src, dst):
    with open(src, encoding="utf-8") as f:
        events = json.load(f)
    partners = {"ten-event-partner": {"slug": "ten-event-partner", "name": "Ten Event Partner", "website": None,
                                      "description": "Endorses exactly ten events (the small-feed benchmark)."}}
    out = []
    skipped = 0
    for n, e in enumerate(events):
        if not (exists(e["start_local"], e["tz"]) and exists(e["end_local"], e["tz"])):
            skipped += 1
            continue
        refs = []
        for i, name in enumerate(e["partners"]):
            slug = slugify(name)
            partners.setdefault(slug, {"slug": slug, "name": name, "website": None,
                                       "description": f"{name}, a coalition partner."})
            refs.append({"slug": slug, "role": "host" if i == 0 else "co-host"})
        if n < 10:
            refs.append({"slug": "ten-event-partner", "role": "endorser"})
        v = e["venue"]
        out.append({
            "uid": e["uid"],
            "title": e["title"],
            "description": e["description"],
            "start": e["start_local"],
            "end": e["end_local"],
            "timezone": e["tz"],
            "all_day": e["all_day"],
            "venue": {"name": v["name"], "address": v["address"], "city": v["city"], "region": v["state"],
                      "postal_code": v["postal_code"], "country": "US", "timezone": e["tz"]},
            "info_url": e["url"],
            "action": "bench-action",
            "partners": refs,
            "tags": e["tags"],
        })
    action = {"slug": "bench-action", "title": "Bench Day of Action",
              "description": "Every event of the benchmark data set.", "hashtags": ["bench"],
              "partners": sorted(p for p in partners if p != "ten-event-partner")[:3]}
    with open(dst, "w", encoding="utf-8") as f:
        json.dump({"partners": list(partners.values()), "actions": [action], "events": out}, f, ensure_ascii=False)
    print(f"wrote {len(out)} events, {len(partners)} partners to {dst}"
          f" (skipped {skipped} whose local time falls in a DST gap)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
