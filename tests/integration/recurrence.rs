//! Recurring events through the API: a series, its occurrences in a listing's window, one
//! occurrence changed or cancelled, excluded dates, and what a change of the series keeps.

use awc::http::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{event, spawn_app, TestApp};

fn vigil(rrule: &str) -> Value {
    let mut e = event(
        "Tuesday vigil at Palantir",
        "2027-01-05T18:00",
        "2027-01-05T19:00",
        "America/Los_Angeles",
    );
    e["venue"] = json!({"name": "Palantir office", "city": "Palo Alto", "region": "CA",
                        "country": "US", "timezone": "America/Los_Angeles"});
    e["recurrence"] = json!({ "rrule": rrule });
    e
}

async fn listing(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/events?{query}")).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()["events"].as_array().cloned().unwrap_or_default()
}

fn starts(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["start"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[actix_web::test]
async fn weekly_vigil_keeps_its_wall_time_across_both_dst_changes() {
    let app = spawn_app().await;
    app.seed().await;
    let s = app
        .create_event(&vigil("FREQ=WEEKLY;BYDAY=TU;UNTIL=20271231"))
        .await;
    let id = s["id"].as_i64().unwrap();
    assert_eq!(
        s["recurrence"]["rrule"],
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20271231"
    );
    assert_eq!(s["recurrence"]["exdates"], json!([]));

    // Around the spring change (March 14, 2027): 18:00 before and after, the offset moves.
    let march = listing(&app, "from=2027-03-01&to=2027-03-31").await;
    assert_eq!(
        starts(&march),
        [
            "2027-03-02T18:00:00-08:00",
            "2027-03-09T18:00:00-08:00",
            "2027-03-16T18:00:00-07:00",
            "2027-03-23T18:00:00-07:00",
            "2027-03-30T18:00:00-07:00",
        ]
    );
    for e in &march {
        assert_eq!(e["id"].as_i64(), Some(id));
        assert_eq!(
            e["recurrence"]["rrule"],
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20271231"
        );
        assert!(e["end"].as_str().unwrap().contains("T19:00:00"), "{e}");
    }
    assert_eq!(march[2]["occurrence"], "2027-03-16T18:00");
    assert_eq!(march[2]["start_utc"], "2027-03-17T01:00:00Z");

    // And the autumn change (November 7, 2027).
    let nov = listing(&app, "from=2027-11-01&to=2027-11-16").await;
    assert_eq!(
        starts(&nov),
        [
            "2027-11-02T18:00:00-07:00",
            "2027-11-09T18:00:00-08:00",
            "2027-11-16T18:00:00-08:00",
        ]
    );
    // UNTIL ends it: nothing in 2028.
    assert!(listing(&app, "from=2028-01-01&to=2028-03-01")
        .await
        .is_empty());
    // The series itself is one event.
    let one = app.get(&format!("/api/v1/events/{id}")).await.json();
    assert_eq!(one["start"], "2027-01-05T18:00:00-08:00");
    assert!(one.get("occurrence").is_none());
}

#[actix_web::test]
async fn a_listing_pages_through_occurrences_and_single_events_in_start_order() {
    let app = spawn_app().await;
    app.seed().await;
    app.create_event(&vigil("FREQ=WEEKLY;BYDAY=TU")).await;
    let single = app
        .create_event(&event(
            "Rally",
            "2027-01-13T12:00",
            "2027-01-13T14:00",
            "America/Los_Angeles",
        ))
        .await;
    let page = app
        .get("/api/v1/events?from=2027-01-01&to=2027-02-01&limit=3")
        .await
        .json();
    let titles: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Tuesday vigil at Palantir",
            "Tuesday vigil at Palantir",
            "Rally"
        ]
    );
    assert_eq!(page["events"][2]["id"], single["id"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get(&format!(
            "/api/v1/events?from=2027-01-01&to=2027-02-01&limit=3&cursor={cursor}"
        ))
        .await
        .json();
    assert_eq!(
        starts(rest["events"].as_array().unwrap()),
        ["2027-01-19T18:00:00-08:00", "2027-01-26T18:00:00-08:00"]
    );
    assert_eq!(rest["next_cursor"], Value::Null);
}

#[actix_web::test]
async fn an_unbounded_daily_series_from_1970_lists_just_the_window() {
    let app = spawn_app().await;
    app.seed().await;
    let mut e = event(
        "Daily check-in",
        "1970-01-01T09:00",
        "1970-01-01T09:30",
        "Asia/Kolkata",
    );
    e["recurrence"] = json!({"rrule": "FREQ=DAILY"});
    app.create_event(&e).await;
    let feb = listing(&app, "from=2090-02-01&to=2090-02-28&limit=100").await;
    assert_eq!(feb.len(), 28);
    assert_eq!(feb[0]["start"], "2090-02-01T09:00:00+05:30");
    assert_eq!(feb[27]["start"], "2090-02-28T09:00:00+05:30");
}

#[actix_web::test]
async fn one_occurrence_changed_cancelled_or_excluded() {
    let app = spawn_app().await;
    app.seed().await;
    let s = app
        .create_event(&vigil("FREQ=WEEKLY;BYDAY=TU;COUNT=6"))
        .await;
    let id = s["id"].as_i64().unwrap();
    let seq = s["sequence"].as_i64().unwrap();

    // Moved an hour later, with its own title.
    let r = app
        .patch(
            &format!("/api/v1/events/{id}/occurrences/2027-01-12T18:00"),
            &json!({"start": "2027-01-12T19:00", "end": "2027-01-12T20:30", "title": "Vigil (late)"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let occ = r.json();
    assert_eq!(occ["occurrence"], "2027-01-12T18:00");
    assert_eq!(occ["start"], "2027-01-12T19:00:00-08:00");
    assert_eq!(occ["title"], "Vigil (late)");

    // Cancelled.
    let r = app
        .patch(
            &format!("/api/v1/events/{id}/occurrences/2027-01-19T18:00"),
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    // Excluded altogether.
    let r = app
        .write(
            "DELETE",
            &format!("/api/v1/events/{id}/occurrences/2027-01-26T18:00"),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let series = r.json();
    assert_eq!(series["recurrence"]["exdates"], json!(["2027-01-26T18:00"]));
    assert!(series["sequence"].as_i64().unwrap() > seq);

    let list = listing(&app, "from=2027-01-01&to=2027-03-01").await;
    let seen: Vec<(String, String, String)> = list
        .iter()
        .map(|e| {
            (
                e["start"].as_str().unwrap().into(),
                e["title"].as_str().unwrap().into(),
                e["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    let vigil = "Tuesday vigil at Palantir";
    assert_eq!(
        seen,
        [
            (
                "2027-01-05T18:00:00-08:00".into(),
                vigil.into(),
                "confirmed".into()
            ),
            (
                "2027-01-12T19:00:00-08:00".into(),
                "Vigil (late)".into(),
                "confirmed".into()
            ),
            (
                "2027-01-19T18:00:00-08:00".into(),
                vigil.into(),
                "cancelled".into()
            ),
            (
                "2027-02-02T18:00:00-08:00".into(),
                vigil.into(),
                "confirmed".into()
            ),
            (
                "2027-02-09T18:00:00-08:00".into(),
                vigil.into(),
                "confirmed".into()
            ),
        ],
        "COUNT=6 with one excluded leaves five"
    );

    // The series lists its changed occurrences.
    let one = app.get(&format!("/api/v1/events/{id}")).await.json();
    let changed: Vec<&str> = one["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["occurrence"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["2027-01-12T18:00", "2027-01-19T18:00"]);

    // Not an occurrence: 404; the excluded one is gone too.
    for key in ["2027-01-13T18:00", "2027-01-26T18:00", "tuesday"] {
        let r = app
            .patch(
                &format!("/api/v1/events/{id}/occurrences/{key}"),
                &json!({"status": "cancelled"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{key}");
    }
    // Fields of the series are refused on one occurrence, naming the field.
    let r = app
        .patch(
            &format!("/api/v1/events/{id}/occurrences/2027-02-02T18:00"),
            &json!({"tags": ["x"]}),
        )
        .await;
    assert_eq!(r.problem(422), ["tags"]);

    // Moving the series to 17:00 drops the changes that no longer match, and says so; the
    // series' other edits keep them.
    let r = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"description": "Every week."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json().get("dropped_occurrences").is_none());
    let r = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"start": "2027-01-05T17:00", "end": "2027-01-05T18:00",
                    "recurrence": {"exdates": []}}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let moved = r.json();
    assert_eq!(
        moved["dropped_occurrences"],
        json!(["2027-01-12T18:00", "2027-01-19T18:00"])
    );
    assert!(moved.get("occurrences").is_none());
}

#[actix_web::test]
async fn bad_rules_and_dates_name_their_field() {
    let app = spawn_app().await;
    app.seed().await;
    for (rrule, field) in [
        ("FREQ=HOURLY", "recurrence.rrule"),
        ("FREQ=WEEKLY;BYSETPOS=1", "recurrence.rrule"),
        ("FREQ=WEEKLY;BYDAY=WE", "recurrence.rrule"),
        ("", "recurrence.rrule"),
    ] {
        let r = app.post("/api/v1/events", &vigil(rrule)).await;
        assert_eq!(r.problem(422), [field], "{rrule}");
    }
    let mut e = vigil("FREQ=WEEKLY;BYDAY=TU");
    e["recurrence"]["exdates"] = json!(["2027-01-06T18:00"]);
    let r = app.post("/api/v1/events", &e).await;
    assert_eq!(r.problem(422), ["recurrence.exdates[0]"]);
    let mut e = vigil("FREQ=WEEKLY;BYDAY=TU");
    e["recurrence"]["colour"] = json!("red");
    let r = app.post("/api/v1/events", &e).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}
