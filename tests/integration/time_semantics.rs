//! Wall time + zone → instants, over HTTP, in the zones organizers actually use.

use serde_json::json;

use crate::helpers::{event, spawn_app};

/// (zone, local start, local end, start_utc, end_utc, start with local offset)
const CASES: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "America/Los_Angeles",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "2027-09-13T23:00:00Z",
        "2027-09-14T02:00:00Z",
        "2027-09-13T16:00:00-07:00",
    ),
    (
        "America/New_York",
        "2027-01-15T16:00",
        "2027-01-15T19:00",
        "2027-01-15T21:00:00Z",
        "2027-01-16T00:00:00Z",
        "2027-01-15T16:00:00-05:00",
    ),
    (
        "America/Phoenix",
        "2027-07-04T16:00",
        "2027-07-04T19:00",
        "2027-07-04T23:00:00Z",
        "2027-07-05T02:00:00Z",
        "2027-07-04T16:00:00-07:00",
    ),
    (
        "America/Phoenix",
        "2027-03-14T02:30",
        "2027-03-14T03:30",
        "2027-03-14T09:30:00Z",
        "2027-03-14T10:30:00Z",
        "2027-03-14T02:30:00-07:00",
    ),
    (
        "Pacific/Honolulu",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "2027-09-14T02:00:00Z",
        "2027-09-14T05:00:00Z",
        "2027-09-13T16:00:00-10:00",
    ),
    (
        "America/Puerto_Rico",
        "2027-11-07T01:30",
        "2027-11-07T03:00",
        "2027-11-07T05:30:00Z",
        "2027-11-07T07:00:00Z",
        "2027-11-07T01:30:00-04:00",
    ),
    (
        "Asia/Kolkata",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "2027-09-13T10:30:00Z",
        "2027-09-13T13:30:00Z",
        "2027-09-13T16:00:00+05:30",
    ),
    (
        "Australia/Lord_Howe",
        "2027-07-01T18:00",
        "2027-07-01T20:00",
        "2027-07-01T07:30:00Z",
        "2027-07-01T09:30:00Z",
        "2027-07-01T18:00:00+10:30",
    ),
    (
        "Australia/Lord_Howe",
        "2027-12-01T18:00",
        "2027-12-01T20:00",
        "2027-12-01T07:00:00Z",
        "2027-12-01T09:00:00Z",
        "2027-12-01T18:00:00+11:00",
    ),
    // US spring forward (2027-03-14): 01:30 EST, 03:30 EDT — one hour apart.
    (
        "America/New_York",
        "2027-03-14T01:30",
        "2027-03-14T03:30",
        "2027-03-14T06:30:00Z",
        "2027-03-14T07:30:00Z",
        "2027-03-14T01:30:00-05:00",
    ),
    // US fall back (2027-11-07): an evening event crossing no change, and one spanning it.
    (
        "America/Los_Angeles",
        "2027-11-06T23:00",
        "2027-11-07T03:00",
        "2027-11-07T06:00:00Z",
        "2027-11-07T11:00:00Z",
        "2027-11-06T23:00:00-07:00",
    ),
];

#[actix_web::test]
async fn every_zone_resolves_to_the_right_instants() {
    let app = spawn_app().await;
    app.seed().await;
    for (tz, start, end, start_utc, end_utc, start_local) in CASES {
        let e = app.create_event(&event("Rally", start, end, tz)).await;
        assert_eq!(e["start_utc"], *start_utc, "{tz} {start}");
        assert_eq!(e["end_utc"], *end_utc, "{tz} {end}");
        assert_eq!(e["start"], *start_local, "{tz} {start}");
        assert_eq!(e["timezone"], *tz);
    }
}

#[actix_web::test]
async fn spring_forward_gap_is_rejected_in_words() {
    let app = spawn_app().await;
    app.seed().await;
    let r = app
        .post(
            "/api/v1/events",
            &event(
                "Rally",
                "2027-03-14T02:30",
                "2027-03-14T04:00",
                "America/New_York",
            ),
        )
        .await;
    assert_eq!(r.problem(422), ["start"]);
    assert_eq!(
        r.message("start"),
        "2027-03-14T02:30 does not exist in America/New_York: clocks jump from 2:00 to 3:00 that day"
    );
    let r = app
        .post(
            "/api/v1/events",
            &event(
                "Rally",
                "2027-03-14T01:00",
                "2027-03-14T02:15",
                "America/Los_Angeles",
            ),
        )
        .await;
    assert_eq!(r.problem(422), ["end"]);
    let r = app
        .post(
            "/api/v1/events",
            &event(
                "Rally",
                "2027-10-03T02:10",
                "2027-10-03T04:00",
                "Australia/Lord_Howe",
            ),
        )
        .await;
    assert!(
        r.message("start").contains("clocks jump from 2:00 to 2:30"),
        "{}",
        r.message("start")
    );
}

#[actix_web::test]
async fn fall_back_overlap_is_the_first_occurrence_unless_an_offset_says_otherwise() {
    let app = spawn_app().await;
    app.seed().await;
    let first = app
        .create_event(&event(
            "Vigil",
            "2027-11-07T01:30",
            "2027-11-07T02:30",
            "America/New_York",
        ))
        .await;
    assert_eq!(first["start_utc"], "2027-11-07T05:30:00Z");
    assert_eq!(first["start"], "2027-11-07T01:30:00-04:00");
    let second = app
        .create_event(&event(
            "Vigil 2",
            "2027-11-07T01:30-05:00",
            "2027-11-07T02:30",
            "America/New_York",
        ))
        .await;
    assert_eq!(second["start_utc"], "2027-11-07T06:30:00Z");
    assert_eq!(second["start"], "2027-11-07T01:30:00-05:00");

    // Editing something else keeps the second occurrence.
    let p = app
        .patch(
            &format!("/api/v1/events/{}", second["id"]),
            &json!({"title": "Vigil two"}),
        )
        .await
        .json();
    assert_eq!(p["start_utc"], "2027-11-07T06:30:00Z");

    let r = app
        .post(
            "/api/v1/events",
            &event(
                "Bad",
                "2027-09-13T16:00-05:00",
                "2027-09-13T19:00",
                "America/Los_Angeles",
            ),
        )
        .await;
    assert_eq!(r.problem(422), ["start"]);
    assert!(r
        .message("start")
        .contains("does not agree with America/Los_Angeles"));
}

#[actix_web::test]
async fn bad_times_name_their_field() {
    let app = spawn_app().await;
    app.seed().await;
    let r = app
        .post(
            "/api/v1/events",
            &event(
                "R",
                "2027-09-13T16:00",
                "2027-09-13T15:00",
                "America/Chicago",
            ),
        )
        .await;
    assert_eq!(r.problem(422), ["end"]);
    let r = app
        .post(
            "/api/v1/events",
            &event(
                "R",
                "2027-09-13T16:00",
                "2027-09-13T17:00",
                "America/Chicgo",
            ),
        )
        .await;
    assert!(r.problem(422).contains(&"timezone".to_string()));
    let r = app
        .post(
            "/api/v1/events",
            &event("R", "Sept 13 4pm", "2027-09-13T17:00", "America/Chicago"),
        )
        .await;
    assert_eq!(r.problem(422), ["start"]);
    let mut all_day = event("R", "2027-09-13T16:00", "2027-09-13", "America/Chicago");
    all_day["all_day"] = json!(true);
    let r = app.post("/api/v1/events", &all_day).await;
    assert_eq!(r.problem(422), ["start"]);
    assert!(r
        .message("start")
        .contains("all-day events take dates only"));
    let mut no_end = event("R", "2027-09-13T16:00", "", "America/Chicago");
    no_end.as_object_mut().unwrap().remove("end");
    assert_eq!(
        app.post("/api/v1/events", &no_end).await.problem(422),
        ["end"]
    );
}
