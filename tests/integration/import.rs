//! The feed importer reading a real calendar writer's output: Turnout's own feeds (VTIMEZONEs,
//! a series with a changed and a cancelled occurrence, DST-split occurrences as events of their
//! own, all-day events) come back as the same events at the same instants.

use chrono::TimeZone;
use serde_json::{json, Value};

use crate::helpers::{event, spawn_app};

/// An input's start or end as the UTC instant it names in its zone.
fn instant(text: &str, tz: &str, all_day: bool) -> String {
    use turnout::domain::time;
    let tz: chrono_tz::Tz = tz.parse().unwrap();
    if all_day {
        return text.to_string();
    }
    let local = time::parse_local(text).unwrap();
    let resolved = time::resolve(tz, local).unwrap();
    chrono::Utc
        .from_utc_datetime(&resolved.utc)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[actix_web::test]
async fn turnouts_own_feed_reads_back_as_the_same_events() {
    let app = spawn_app().await;
    app.seed().await;
    let single = app
        .create_event(&event(
            "Boston rally",
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let mut all_day = event(
        "Week of action",
        "2027-09-13",
        "2027-09-19",
        "America/Chicago",
    );
    all_day["all_day"] = json!(true);
    let all_day = app.create_event(&all_day).await;
    // Weekly at 02:30 in New York: March 14, 2027 has no 02:30 (an event of its own in feeds).
    let mut series = event(
        "Night shift vigil",
        "2027-03-07T02:30",
        "2027-03-07T03:30",
        "America/New_York",
    );
    series["recurrence"] = json!({"rrule": "FREQ=WEEKLY;BYDAY=SU;COUNT=5"});
    series["recurrence"]["changes"] = json!({
        "2027-03-21T02:30": {"title": "Night shift vigil (moved)", "start": "2027-03-21T04:00",
                             "end": "2027-03-21T05:00"},
        "2027-03-28T02:30": {"status": "cancelled"}
    });
    let series = app.create_event(&series).await;

    let feed = app.get("/calendar.ics").await;
    let text = String::from_utf8(feed.body.to_vec()).unwrap();
    let read = turnout::import::parse(&text, chrono_tz::UTC).expect("our feed parses");
    assert_eq!(read.skipped, [], "{text}");
    let by_uid = |uid: &Value| {
        read.items
            .iter()
            .find(|i| Some(i.uid.as_str()) == uid.as_str())
            .unwrap_or_else(|| panic!("{uid} not read back"))
    };

    for (original, all_day) in [(&single, false), (&all_day, true)] {
        let item = by_uid(&original["uid"]);
        let i = &item.input;
        assert_eq!(i.title.as_deref(), original["title"].as_str());
        assert_eq!(i.all_day, Some(all_day));
        // A DATE carries no zone: an all-day event lands in the partner's default zone.
        let zone = if all_day {
            "UTC"
        } else {
            original["timezone"].as_str().unwrap()
        };
        assert_eq!(i.timezone.as_deref(), Some(zone));
        let tz = original["timezone"].as_str().unwrap();
        if all_day {
            assert_eq!(i.start.as_deref(), original["start"].as_str());
            assert_eq!(i.end.as_deref(), original["end"].as_str());
        } else {
            assert_eq!(
                instant(i.start.as_deref().unwrap(), tz, false),
                original["start_utc"].as_str().unwrap()
            );
            assert_eq!(
                instant(i.end.as_deref().unwrap(), tz, false),
                original["end_utc"].as_str().unwrap()
            );
        }
        // LOCATION read back into the venue's parts.
        let v = i.venue.as_ref().expect("a venue");
        assert_eq!(
            [
                v.name.as_deref(),
                v.address.as_deref(),
                v.city.as_deref(),
                v.region.as_deref(),
                v.postal_code.as_deref(),
                v.country.as_deref()
            ],
            [
                Some("City Hall Plaza"),
                Some("1 City Hall Sq"),
                Some("Boston"),
                Some("MA"),
                Some("02201"),
                Some("US")
            ],
            "LOCATION becomes the venue's parts"
        );
    }

    // The series: its rule, the gap night excluded from it (and read as an event of its own at
    // its exact instant), the changed and cancelled nights as its changes.
    let item = by_uid(&series["uid"]);
    let r = item.input.recurrence.clone().expect("a series");
    assert_eq!(r.rrule.as_deref(), Some("FREQ=WEEKLY;BYDAY=SU;COUNT=5"));
    assert_eq!(r.exdates, Some(vec!["2027-03-14T02:30".to_string()]));
    let changes = r.changes.expect("its changes");
    assert_eq!(
        changes.keys().collect::<Vec<_>>(),
        ["2027-03-21T02:30", "2027-03-28T02:30"]
    );
    assert_eq!(
        changes["2027-03-21T02:30"]["title"],
        "Night shift vigil (moved)"
    );
    assert_eq!(changes["2027-03-21T02:30"]["start"], "2027-03-21T04:00");
    assert_eq!(changes["2027-03-28T02:30"]["status"], "cancelled");
    let gap_night = read
        .items
        .iter()
        .find(|i| i.uid.starts_with(series["uid"].as_str().unwrap()) && i.uid.contains('#'))
        .expect("the gap night, an event of its own");
    // 02:30 EST does not exist on March 14: 03:30 EDT, 07:30Z.
    assert_eq!(
        instant(
            gap_night.input.start.as_deref().unwrap(),
            "America/New_York",
            false
        ),
        "2027-03-14T07:30:00Z"
    );
    // What the importer gives is what the API takes.
    for item in &read.items {
        item.input
            .clone()
            .validate(|_| turnout::domain::event::VenueLookup::Missing)
            .unwrap_or_else(|e| panic!("{}: {e:?}", item.uid));
    }
}
