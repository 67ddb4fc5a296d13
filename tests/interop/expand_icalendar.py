"""Expands the recurring events of an .ics file with python `icalendar` + `recurring-ical-events`
and prints every occurrence that overlaps [FROM, TO) (UTC) as JSON, sorted by start.
Usage: python expand_icalendar.py FILE FROM TO   (FROM/TO like 2027-01-01T00:00:00Z)"""

import datetime as dt
import json
import sys

out = {"parser": "icalendar + recurring-ical-events", "errors": [], "occurrences": []}


def utc(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return "floating:" + value.isoformat()
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


try:
    import icalendar
    import recurring_ical_events

    with open(sys.argv[1], "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    start = dt.datetime.fromisoformat(sys.argv[2].replace("Z", "+00:00"))
    end = dt.datetime.fromisoformat(sys.argv[3].replace("Z", "+00:00"))
    for ev in recurring_ical_events.of(cal).between(start, end):
        out["occurrences"].append(
            {
                "uid": str(ev.get("UID")),
                "start": utc(ev.decoded("DTSTART")),
                "end": utc(ev.decoded("DTEND")),
                "status": str(ev.get("STATUS", "CONFIRMED")).lower(),
                "summary": str(ev.get("SUMMARY", "")),
            }
        )
    out["occurrences"].sort(key=lambda o: (o["start"], o["uid"]))
except Exception as e:  # noqa: BLE001 - any failure is reported, not raised
    out["errors"].append(f"{type(e).__name__}: {e}")
print(json.dumps(out))
