//! Recurring events through the API: a series, its occurrences in a listing's window, one
//! occurrence changed or cancelled, excluded dates, and what a change of the series keeps.

use awc::http::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{event, spawn_app, TestApp};
use crate::interop::{expand_both, Occurrence};

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
    assert_eq!(one["occurrence"], Value::Null);
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
            &json!({"timezone": "UTC"}),
        )
        .await;
    assert_eq!(r.problem(422), ["timezone"]);

    // Moving the series to 17:00 drops the changes that no longer match, and says so; the
    // series' other edits keep them.
    let r = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"description": "Every week."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["dropped_occurrences"], json!([]));
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
    assert_eq!(moved["occurrences"], json!([]));
}

/// The changed occurrences of a series, by key: (title, status, start).
fn changed(series: &Value) -> Vec<(String, String, String, String)> {
    series["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["occurrence"].as_str().unwrap().into(),
                o["title"].as_str().unwrap().into(),
                o["status"].as_str().unwrap().into(),
                o["start"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn a_series_carries_its_changes_in_recurrence_changes() {
    let app = spawn_app().await;
    app.seed().await;
    let mut input = vigil("FREQ=WEEKLY;BYDAY=TU;COUNT=6");
    input["recurrence"]["changes"] = json!({
        "2027-01-12T18:00": {"title": "Vigil (late)", "start": "2027-01-12T19:00",
                             "end": "2027-01-12T20:00"},
        "2027-01-19T18:00": {"status": "cancelled"}
    });
    let s = app.create_event(&input).await;
    let id = s["id"].as_i64().unwrap();
    let vigil_title = "Tuesday vigil at Palantir";
    assert_eq!(
        changed(&s),
        [
            (
                "2027-01-12T18:00".into(),
                "Vigil (late)".into(),
                "confirmed".into(),
                "2027-01-12T19:00:00-08:00".into()
            ),
            (
                "2027-01-19T18:00".into(),
                vigil_title.into(),
                "cancelled".into(),
                "2027-01-19T18:00:00-08:00".into()
            ),
        ]
    );
    let seq = s["sequence"].as_i64().unwrap();

    // A merge patch drops one change (null) and edits the other; the dropped occurrence
    // returns to the rule, and the series' sequence rises so calendars take it back.
    let r = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"recurrence": {"changes": {"2027-01-12T18:00": {"title": "Vigil (later)"},
                                                "2027-01-19T18:00": null}}}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let s = r.json();
    assert_eq!(
        changed(&s),
        [(
            "2027-01-12T18:00".into(),
            "Vigil (later)".into(),
            "confirmed".into(),
            "2027-01-12T19:00:00-08:00".into()
        )]
    );
    assert!(s["sequence"].as_i64().unwrap() > seq);
    let list = listing(&app, "from=2027-01-18&to=2027-01-21").await;
    assert_eq!(list[0]["status"], "confirmed", "{list:?}");

    // The same changes again write nothing.
    let updated_at = s["updated_at"].clone();
    let r = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"recurrence": {"changes": {"2027-01-12T18:00": {"title": "Vigil (later)",
                     "start": "2027-01-12T19:00", "end": "2027-01-12T20:00"}}}}),
        )
        .await;
    assert_eq!(r.json()["updated_at"], updated_at);
    // Nor after the series' sequence rose (a date excluded): an empty patch changes nothing.
    let r = app
        .write(
            "DELETE",
            &format!("/api/v1/events/{id}/occurrences/2027-02-09T18:00"),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let revisions = || async {
        app.write(
            "GET",
            &format!("/api/v1/events/{id}/revisions"),
            Some(&app.admin_token),
            None,
        )
        .await
        .json()["revisions"]
            .as_array()
            .map(Vec::len)
    };
    let before = revisions().await;
    let r = app.patch(&format!("/api/v1/events/{id}"), &json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(revisions().await, before, "no revision for an empty patch");

    // An edit of the series alone keeps them.
    let r = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"description": "Every Tuesday."}),
        )
        .await;
    assert_eq!(changed(&r.json()).len(), 1);
    // A null inside a change is part of it: that date has no day of action, and keeps its title.
    let r = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"recurrence": {"changes": {"2027-01-12T18:00": {"action": null}}}}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(changed(&r.json())[0].1, "Vigil (later)");
    let day = "from=2027-01-12&to=2027-01-13";
    assert_eq!(listing(&app, day).await.len(), 1);
    assert!(listing(&app, &format!("{day}&action=never-again"))
        .await
        .is_empty());

    // Bad changes name their field, and nothing changes.
    for (changes, field) in [
        (
            json!({"2027-01-13T18:00": {"title": "Wednesday?"}}),
            "recurrence.changes.2027-01-13T18:00",
        ),
        (
            json!({"next tuesday": {}}),
            "recurrence.changes.next tuesday",
        ),
        (
            json!({"2027-01-26T18:00": {"timezone": "UTC"}}),
            "recurrence.changes.2027-01-26T18:00.timezone",
        ),
        (
            json!({"2027-01-26T18:00": {"start": "2027-05-26T18:00", "end": "2027-05-26T19:00"}}),
            "recurrence.changes.2027-01-26T18:00.start",
        ),
    ] {
        let r = app
            .patch(
                &format!("/api/v1/events/{id}"),
                &json!({"recurrence": {"changes": changes}}),
            )
            .await;
        assert_eq!(r.problem(422), [field], "{changes}");
    }
    let after = app.get(&format!("/api/v1/events/{id}")).await.json();
    assert_eq!(changed(&after).len(), 1);
    assert_eq!(after["description"], "Every Tuesday.");

    // `changes: null` returns every occurrence to the rule.
    let r = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"recurrence": {"changes": null}}),
        )
        .await;
    assert_eq!(r.json()["occurrences"], json!([]));
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

/// Every occurrence the JSON lists in 2027, as (start, uid, end, status, title), sorted.
async fn json_occurrences(app: &TestApp) -> Vec<Occurrence> {
    json_occurrences_where(app, "").await
}

/// Every occurrence of 2027 the JSON lists with the extra filter `filter` (`&city=…`).
async fn json_occurrences_where(app: &TestApp, filter: &str) -> Vec<Occurrence> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/events?from=2027-01-01&to=2027-12-31&limit=500{filter}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get(&path).await.json();
        for e in page["events"].as_array().unwrap() {
            all.push(Occurrence {
                start: e["start_utc"].as_str().unwrap().into(),
                uid: e["uid"].as_str().unwrap().into(),
                end: e["end_utc"].as_str().unwrap().into(),
                status: e["status"].as_str().unwrap().into(),
                summary: if e["status"] == "cancelled" {
                    format!("Cancelled: {}", e["title"].as_str().unwrap())
                } else {
                    e["title"].as_str().unwrap().into()
                },
            });
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    all.sort();
    all
}

/// The feed at `path`, expanded by both parsers over 2027, against the JSON's occurrences for
/// `filter` (UIDs of occurrences written as events of their own folded to their series').
async fn assert_feed_expands_like_json(app: &TestApp, path: &str, filter: &str) {
    let expected = json_occurrences_where(app, filter).await;
    let feed = app.get(path).await;
    assert_eq!(feed.status, StatusCode::OK, "{path}");
    for (parser, mut got) in expand_both(&feed.body, "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z")
    {
        for o in &mut got {
            if let Some((series, _)) = o.uid.split_once('#') {
                o.uid = series.to_string();
            }
        }
        got.sort();
        let extra: Vec<_> = got.iter().filter(|o| !expected.contains(o)).collect();
        let missing: Vec<_> = expected.iter().filter(|o| !got.contains(o)).collect();
        assert!(
            got == expected,
            "{parser} expands {path} to other occurrences than the JSON:\n  not in the JSON: {extra:#?}\n  missing: {missing:#?}"
        );
    }
}

#[actix_web::test]
async fn a_moved_occurrence_is_listed_where_it_is_and_search_finds_running_series() {
    let app = spawn_app().await;
    app.seed().await;
    let s = app
        .create_event(&vigil("FREQ=WEEKLY;BYDAY=TU;COUNT=6"))
        .await;
    let id = s["id"].as_i64().unwrap();
    // One week at the Mountain View campus; another at a second Palo Alto address.
    for (key, venue) in [
        (
            "2027-01-19T18:00",
            json!({"name": "Palantir Mountain View", "city": "Mountain View", "region": "CA",
                   "country": "US"}),
        ),
        (
            "2027-01-26T18:00",
            json!({"name": "University Avenue", "city": "Palo Alto", "region": "CA",
                   "country": "US"}),
        ),
    ] {
        let r = app
            .patch(
                &format!("/api/v1/events/{id}/occurrences/{key}"),
                &json!({ "venue": venue }),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
    }
    let palo_alto = listing(&app, "from=2027-01-01&to=2027-12-31&city=Palo%20Alto").await;
    assert_eq!(
        starts(&palo_alto),
        [
            "2027-01-05T18:00:00-08:00",
            "2027-01-12T18:00:00-08:00",
            "2027-01-26T18:00:00-08:00",
            "2027-02-02T18:00:00-08:00",
            "2027-02-09T18:00:00-08:00"
        ]
    );
    assert_eq!(palo_alto[2]["venue"]["name"], "University Avenue");
    let mountain_view = listing(&app, "from=2027-01-01&to=2027-12-31&city=mountain%20view").await;
    assert_eq!(starts(&mountain_view), ["2027-01-19T18:00:00-08:00"]);
    assert_eq!(mountain_view[0]["occurrence"], "2027-01-19T18:00");

    // The action page counts the series once in each city it meets in, and a series begun
    // long ago that still runs (the monthly meeting in Oakland) where it is.
    let mut meeting = event(
        "Coalition meeting",
        "2025-01-02T18:00",
        "2025-01-02T19:30",
        "America/Los_Angeles",
    );
    meeting["venue"] = json!({"name": "Oakland library", "city": "Oakland", "region": "CA",
                              "country": "US"});
    meeting["recurrence"] = json!({"rrule": "FREQ=MONTHLY;BYDAY=1TH"});
    app.create_event(&meeting).await;
    let page = app.get("/actions/never-again").await;
    let page = String::from_utf8_lossy(&page.body).to_string();
    for (path, city) in [
        ("CA/Mountain%20View", "Mountain View"),
        ("CA/Oakland", "Oakland"),
        ("CA/Palo%20Alto", "Palo Alto"),
    ] {
        assert!(
            page.contains(&format!(
                "<a href=\"/actions/never-again/places/{path}\">{city}</a> <span class=\"count\">(1)</span>"
            )),
            "{city}: {page}"
        );
    }

    // The city feeds hold exactly those occurrences, for both parsers.
    assert_feed_expands_like_json(&app, "/calendar.ics?city=Palo%20Alto", "&city=Palo%20Alto")
        .await;
    assert_feed_expands_like_json(
        &app,
        "/calendar.ics?city=Mountain%20View",
        "&city=Mountain%20View",
    )
    .await;

    // A search finds the series by its next occurrences, though its first has passed; paging
    // through two at a time gives each once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    for _ in 0..5 {
        let r = app
            .get(&format!(
                "/api/v1/events?q=vigil&from=2027-01-10&limit=2{cursor}"
            ))
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        let page = r.json();
        seen.extend(starts(page["events"].as_array().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "2027-01-12T18:00:00-08:00",
            "2027-01-19T18:00:00-08:00",
            "2027-01-26T18:00:00-08:00",
            "2027-02-02T18:00:00-08:00",
            "2027-02-09T18:00:00-08:00"
        ]
    );
}

#[actix_web::test]
async fn feeds_expand_to_exactly_the_occurrences_the_json_lists_across_dst_changes() {
    let app = spawn_app().await;
    app.seed().await;
    let series = [
        // New York: 02:30 does not exist on March 14 (shifted to 03:30 EDT); 01:30 happens twice
        // on November 7 (the first, EDT).
        (
            "Night shift vigil",
            "America/New_York",
            "2027-03-10T02:30",
            "2027-03-10T03:00",
            "FREQ=DAILY;UNTIL=20270320",
        ),
        (
            "Early vigil",
            "America/New_York",
            "2027-11-03T01:30",
            "2027-11-03T02:15",
            "FREQ=DAILY;UNTIL=20271110",
        ),
        // Lord Howe: half-hour changes; 02:15 skipped on October 3, 01:45 twice on April 4.
        (
            "Lord Howe watch",
            "Australia/Lord_Howe",
            "2027-09-29T02:15",
            "2027-09-29T03:00",
            "FREQ=DAILY;COUNT=8",
        ),
        (
            "Lord Howe dawn",
            "Australia/Lord_Howe",
            "2027-04-01T01:45",
            "2027-04-01T02:45",
            "FREQ=DAILY;COUNT=6",
        ),
        // A yearly watch whose first night (DTSTART, long before the feed's window) is
        // Chicago's repeated 01:30 of November 2, 2025; later years are plain.
        (
            "Overnight watch",
            "America/Chicago",
            "2025-11-02T01:30",
            "2025-11-02T02:00",
            "FREQ=YEARLY;COUNT=3",
        ),
        // The Tuesday vigil across both Los Angeles changes, and Kolkata (no DST) monthly.
        (
            "Tuesday vigil",
            "America/Los_Angeles",
            "2027-01-05T18:00",
            "2027-01-05T19:00",
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20271130",
        ),
        (
            "Coalition call",
            "Asia/Kolkata",
            "2027-01-07T19:00",
            "2027-01-07T20:00",
            "FREQ=MONTHLY;BYDAY=1TH;COUNT=11",
        ),
    ];
    let mut ids = Vec::new();
    for (title, tz, start, end, rrule) in series {
        let mut e = event(title, start, end, tz);
        e["venue"]["timezone"] = json!(tz);
        e["recurrence"] = json!({ "rrule": rrule });
        ids.push(app.create_event(&e).await["id"].as_i64().unwrap());
    }
    // One of each change on the Tuesday vigil: moved, cancelled, excluded.
    let vigil = ids[5];
    for (key, body) in [
        (
            "2027-03-16T18:00",
            json!({"start": "2027-03-16T19:00", "end": "2027-03-16T20:00", "title": "Tuesday vigil (late)"}),
        ),
        ("2027-11-09T18:00", json!({"status": "cancelled"})),
    ] {
        let r = app
            .patch(&format!("/api/v1/events/{vigil}/occurrences/{key}"), &body)
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
    }
    let r = app
        .write(
            "DELETE",
            &format!("/api/v1/events/{vigil}/occurrences/2027-07-06T18:00"),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // A changed occurrence in a gap: Lord Howe's 02:15 of October 3, cancelled.
    let r = app
        .patch(
            &format!("/api/v1/events/{}/occurrences/2027-10-03T02:15", ids[2]),
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );

    let expected = json_occurrences(&app).await;
    // The JSON itself: the gap and overlap occurrences where RFC 5545 puts them.
    let at = |title: &str, start: &str| {
        expected
            .iter()
            .any(|o| o.summary == title && o.start == start)
    };
    assert!(
        at("Night shift vigil", "2027-03-14T07:30:00Z"),
        "gap: 03:30 EDT"
    );
    assert!(
        at("Early vigil", "2027-11-07T05:30:00Z"),
        "overlap: the first 01:30"
    );
    assert!(
        at("Cancelled: Lord Howe watch", "2027-10-02T15:45:00Z"),
        "gap: 02:45 +11:00, cancelled"
    );
    assert!(
        at("Lord Howe dawn", "2027-04-03T14:45:00Z"),
        "overlap: the first 01:45 (+11:00)"
    );
    assert_eq!(
        expected
            .iter()
            .filter(|o| o.summary.contains("Tuesday vigil"))
            .count(),
        47
    );

    let feed = app.get("/calendar.ics").await;
    assert_eq!(feed.status, StatusCode::OK);
    let text = String::from_utf8_lossy(&feed.body).to_string();
    assert!(
        text.contains("RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20271201T075959Z"),
        "{text}"
    );
    assert!(text.contains("EXDATE;TZID=America/Los_Angeles:20270706T180000"));
    // The gap occurrence leaves the rule (ical.js would put it at 06:30Z) and is an event of
    // its own at its exact instant.
    assert!(
        text.contains("EXDATE;TZID=America/New_York:20270314T023000"),
        "{text}"
    );
    assert!(text.contains("#20270314T023000\r\n"), "{text}");
    assert!(
        !text.contains("RECURRENCE-ID;TZID=America/New_York:20270314T023000"),
        "{text}"
    );
    // The first occurrence in an overlap, before the window: left out of the rule too, and
    // written at the first 01:30 (CDT, 06:30Z), so no client picks the second.
    assert!(
        text.contains("EXDATE;TZID=America/Chicago:20251102T013000"),
        "{text}"
    );
    let own = text
        .split("BEGIN:VEVENT")
        .find(|v| v.contains("#20251102T013000\r\n"))
        .unwrap_or_else(|| panic!("no event of its own for the first night: {text}"));
    assert!(own.contains("DTSTART:20251102T063000Z"), "{own}");
    // An occurrence in a DST gap or overlap is its own VEVENT, UID `{series uid}#{start}`.
    assert_feed_expands_like_json(&app, "/calendar.ics", "").await;
}

#[actix_web::test]
async fn pages_show_the_rule_in_words_the_next_dates_and_each_occurrence_on_its_day() {
    let app = spawn_app().await;
    app.seed().await;
    let mut e = vigil("FREQ=WEEKLY;BYDAY=TU;UNTIL=20990630");
    e["start"] = json!("2026-01-06T18:00");
    e["end"] = json!("2026-01-06T19:00");
    let s = app.create_event(&e).await;
    let id = s["id"].as_i64().unwrap();
    let en = app.get(&format!("/events/{id}")).await;
    assert_eq!(en.status, StatusCode::OK);
    let en = String::from_utf8_lossy(&en.body).to_string();
    assert!(en.contains("Every Tuesday"), "{en}");
    assert!(en.contains("until June 30, 2099"), "{en}");
    assert!(en.contains("eventSchedule"), "{en}");
    assert!(en.contains("\"repeatFrequency\":\"P1W\""), "{en}");
    assert!(en.contains("https://schema.org/Tuesday"), "{en}");
    // The page shows the next occurrence, not the first (in January 2026, long past).
    assert!(!en.contains("January 6, 2026"), "{en}");
    let es = app.get(&format!("/es/events/{id}")).await;
    let es = String::from_utf8_lossy(&es.body).to_string();
    assert!(es.contains("Todos los martes"), "{es}");
    assert!(es.contains("Próximas fechas"), "{es}");

    // The listing puts each upcoming occurrence on its own Tuesday.
    let list = app.get("/").await;
    let list = String::from_utf8_lossy(&list.body).to_string();
    let shown = list.matches("Tuesday vigil at Palantir").count();
    assert!(shown >= 5, "one card per occurrence: {shown}");
}

#[actix_web::test]
async fn sync_returns_a_changed_series_whole_with_its_occurrence_changes() {
    let app = spawn_app().await;
    app.seed().await;
    let s = app
        .create_event(&vigil("FREQ=WEEKLY;BYDAY=TU;COUNT=20"))
        .await;
    let id = s["id"].as_i64().unwrap();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2500)).await;
    let first = app
        .get("/api/v1/events?updated_since=2000-01-01T00:00:00Z")
        .await
        .json();
    assert_eq!(
        first["events"].as_array().unwrap().len(),
        1,
        "the series, not 20 occurrences"
    );
    let since = first["synced_at"].as_str().unwrap().to_string();
    let r = app
        .patch(
            &format!("/api/v1/events/{id}/occurrences/2027-01-19T18:00"),
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2500)).await;
    let next = app
        .get(&format!("/api/v1/events?updated_since={since}"))
        .await
        .json();
    let events = next["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{next}");
    assert_eq!(events[0]["id"].as_i64(), Some(id));
    assert_eq!(events[0]["occurrence"], Value::Null);
    assert_eq!(
        events[0]["occurrences"][0]["occurrence"],
        "2027-01-19T18:00"
    );
    assert_eq!(events[0]["occurrences"][0]["status"], "cancelled");
    assert_eq!(
        events[0]["occurrences"][0]["changes"],
        json!({"status": "cancelled"})
    );
}

#[actix_web::test]
async fn a_changed_occurrence_moves_the_cached_listing_and_feed() {
    let app = spawn_app().await;
    app.seed().await;
    let s = app
        .create_event(&vigil("FREQ=WEEKLY;BYDAY=TU;COUNT=4"))
        .await;
    let id = s["id"].as_i64().unwrap();
    let before = app.get("/calendar.ics").await;
    let listing = listing(&app, "from=2027-01-01&to=2027-02-01").await;
    assert_eq!(listing.len(), 4);
    let r = app
        .patch(
            &format!("/api/v1/events/{id}/occurrences/2027-01-12T18:00"),
            &json!({"title": "Moved vigil"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let after = app.get("/calendar.ics").await;
    assert_ne!(before.header("etag"), after.header("etag"));
    let text = String::from_utf8_lossy(&after.body).to_string();
    assert!(text.contains("SUMMARY:Moved vigil"), "{text}");
    let listing = listing_titles(&app).await;
    assert!(listing.contains(&"Moved vigil".to_string()), "{listing:?}");
}

async fn listing_titles(app: &TestApp) -> Vec<String> {
    listing(app, "from=2027-01-01&to=2027-02-01")
        .await
        .iter()
        .map(|e| e["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[actix_web::test]
async fn the_archive_lists_past_occurrences_newest_first() {
    let app = spawn_app().await;
    app.seed().await;
    let mut e = vigil("FREQ=WEEKLY;BYDAY=TU;COUNT=3");
    e["title"] = json!("Past vigil");
    e["start"] = json!("2025-03-04T18:00");
    e["end"] = json!("2025-03-04T19:00");
    app.create_event(&e).await;
    let mut later = event(
        "Later rally",
        "2025-03-13T12:00",
        "2025-03-13T13:00",
        "America/Los_Angeles",
    );
    later["title"] = json!("Later rally");
    app.create_event(&later).await;
    let page = app.get("/archive").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = String::from_utf8_lossy(&page.body).to_string();
    assert_eq!(html.matches("Past vigil").count(), 3, "{html}");
    // Newest first: March 18, then the rally of March 13, then March 11 and March 4.
    let at = |needle: &str| html.find(needle).unwrap_or(usize::MAX);
    assert!(at("March 18, 2025") < at("March 13, 2025"), "{html}");
    assert!(at("March 13, 2025") < at("March 11, 2025"));
    assert!(at("March 11, 2025") < at("March 4, 2025"));
    assert!(at("March 4, 2025") < usize::MAX);
}

#[actix_web::test]
async fn an_overnight_series_keeps_its_wall_clock_times_on_the_nights_clocks_change() {
    let app = spawn_app().await;
    app.seed().await;
    // Saturday 11 pm to Sunday 5 am, every week: on the nights the clocks change it still ends
    // at 5 am (5 hours on the spring night, 7 on the autumn one).
    let mut e = event(
        "Overnight vigil",
        "2027-01-02T23:00",
        "2027-01-03T05:00",
        "America/New_York",
    );
    e["recurrence"] = json!({"rrule": "FREQ=WEEKLY;BYDAY=SA;UNTIL=20271231"});
    app.create_event(&e).await;
    // And one whose first night is itself a change of the clocks (both ends exact times).
    let mut first = event(
        "Spring night watch",
        "2027-03-13T23:00",
        "2027-03-14T05:00",
        "America/New_York",
    );
    first["recurrence"] = json!({"rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=4"});
    app.create_event(&first).await;
    let nights = |list: Vec<Value>| -> Vec<(String, String, String)> {
        list.iter()
            .map(|e| {
                (
                    e["title"].as_str().unwrap().into(),
                    e["start"].as_str().unwrap().into(),
                    e["end"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let night = |t: &str, s: &str, e: &str| (t.to_string(), s.to_string(), e.to_string());
    let march = nights(listing(&app, "from=2027-03-13&to=2027-03-21&limit=500").await);
    for expected in [
        // 5 hours: the clocks spring forward at 2 am.
        night(
            "Overnight vigil",
            "2027-03-13T23:00:00-05:00",
            "2027-03-14T05:00:00-04:00",
        ),
        night(
            "Spring night watch",
            "2027-03-13T23:00:00-05:00",
            "2027-03-14T05:00:00-04:00",
        ),
        // Its next night: 6 hours, to 5 am again.
        night(
            "Spring night watch",
            "2027-03-20T23:00:00-04:00",
            "2027-03-21T05:00:00-04:00",
        ),
    ] {
        assert!(march.contains(&expected), "{expected:?} not in {march:?}");
    }
    let november = nights(listing(&app, "from=2027-11-06&to=2027-11-07&limit=500").await);
    assert_eq!(
        november,
        // 7 hours: the clocks fall back at 2 am.
        [night(
            "Overnight vigil",
            "2027-11-06T23:00:00-04:00",
            "2027-11-07T05:00:00-05:00"
        )]
    );
    // Both parsers expand the feed to the same nights (the watch's master has a DURATION).
    let feed = app.get("/calendar.ics").await;
    let text = String::from_utf8_lossy(&feed.body).to_string();
    assert!(text.contains("DURATION:PT6H\r\n"), "{text}");
    // The nights that span a change of the clocks are events of their own, at their instants,
    // so that clients repeating the length exactly agree too.
    for night in ["#20270313T230000\r\n", "#20271106T230000\r\n"] {
        assert!(text.contains(night), "{night} in {text}");
    }
    assert_feed_expands_like_json(&app, "/calendar.ics", "").await;
}

#[actix_web::test]
async fn one_occurrence_has_its_own_partners_tags_and_day_of_action() {
    let app = spawn_app().await;
    app.seed().await;
    let r = app
        .post(
            "/api/v1/actions",
            &json!({"slug": "vigils", "title": "Standing vigils"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let s = app
        .create_event(&vigil("FREQ=WEEKLY;BYDAY=TU;COUNT=6"))
        .await;
    let id = s["id"].as_i64().unwrap();
    let change = |key: &str, body: Value| {
        let path = format!("/api/v1/events/{id}/occurrences/{key}");
        let app = &app;
        async move { app.patch(&path, &body).await }
    };
    // The week Cosecha co-hosts, as an interfaith vigil; another week counts for the vigils.
    let r = change(
        "2027-01-19T18:00",
        json!({"partners": [{"slug": "mijente", "role": "host"},
                            {"slug": "cosecha", "role": "co-host"}],
               "tags": ["NoTechForICE", "Interfaith"]}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let occ = r.json();
    assert_eq!(occ["partners"][1]["slug"], "cosecha");
    assert_eq!(occ["tags"], json!(["NoTechForICE", "Interfaith"]));
    let r = change("2027-01-26T18:00", json!({"action": "vigils"})).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.json()["action"]["slug"], "vigils");
    // What stays the series': refused, naming the field; unknown slugs named too.
    let r = change("2027-02-02T18:00", json!({"timezone": "UTC"})).await;
    assert_eq!(r.problem(422), ["timezone"]);
    let r = change(
        "2027-02-02T18:00",
        json!({"partners": [{"slug": "nobody"}]}),
    )
    .await;
    assert_eq!(r.problem(422), ["partners[0].slug"]);

    let window = "from=2027-01-01&to=2027-12-31";
    let cosecha = listing(&app, &format!("{window}&partner=cosecha")).await;
    assert_eq!(starts(&cosecha), ["2027-01-19T18:00:00-08:00"]);
    let interfaith = listing(&app, &format!("{window}&tag=interfaith")).await;
    assert_eq!(starts(&interfaith), ["2027-01-19T18:00:00-08:00"]);
    let vigils = listing(&app, &format!("{window}&action=vigils")).await;
    assert_eq!(starts(&vigils), ["2027-01-26T18:00:00-08:00"]);
    let never_again = listing(&app, &format!("{window}&action=never-again")).await;
    assert_eq!(never_again.len(), 5, "{never_again:?}");
    assert!(!starts(&never_again).contains(&"2027-01-26T18:00:00-08:00".to_string()));
    // Mijente hosts every week, the changed ones included.
    assert_eq!(
        listing(&app, &format!("{window}&partner=mijente"))
            .await
            .len(),
        6
    );

    // The feeds hold the same occurrences, for both parsers.
    for (path, filter) in [
        ("/partners/cosecha.ics", "&partner=cosecha"),
        ("/partners/mijente.ics", "&partner=mijente"),
        ("/actions/vigils.ics", "&action=vigils"),
        ("/actions/never-again.ics", "&action=never-again"),
        ("/calendar.ics?tag=Interfaith", "&tag=Interfaith"),
    ] {
        assert_feed_expands_like_json(&app, path, filter).await;
    }
    // The series keeps its own.
    let series = app.get(&format!("/api/v1/events/{id}")).await.json();
    assert_eq!(series["action"]["slug"], "never-again");
    assert_eq!(series["partners"].as_array().map(Vec::len), Some(1));
}
