//! Partners, actions, venues; what public output may and may not show.

use diesel::prelude::*;
use serde_json::json;
use turnout::auth::Principal;
use turnout::db;

use crate::helpers::{event, spawn_app, BASE_URL};

#[actix_web::test]
async fn partners_and_actions_carry_links_and_counts() {
    let app = spawn_app().await;
    app.seed().await;
    let p = app.get("/api/v1/partners/mijente").await.json();
    assert_eq!(
        p,
        json!({"slug": "mijente", "name": "Mijente", "website": "https://mijente.example", "description": "A coalition partner.",
               "url": format!("{BASE_URL}/partners/mijente"), "ics_url": format!("{BASE_URL}/partners/mijente.ics"),
               "webcal_url": "webcal://turnout.test/partners/mijente.ics",
               "google_calendar_url": "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fturnout.test%2Fpartners%2Fmijente.ics",
               "outlook_url": "https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fturnout.test%2Fpartners%2Fmijente.ics&name=Mijente"})
    );
    let list = app.get("/api/v1/partners").await.json();
    assert_eq!(list["partners"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        app.get("/api/v1/partners")
            .await
            .header("access-control-allow-origin")
            .as_deref(),
        Some("*")
    );

    for (city, tz) in [
        ("Boston", "America/New_York"),
        ("Boston", "America/New_York"),
        ("Honolulu", "Pacific/Honolulu"),
    ] {
        let mut e = event("March", "2027-09-13T16:00", "2027-09-13T19:00", tz);
        e["venue"]["city"] = json!(city);
        e["venue"]["name"] = json!(format!("{city} square"));
        app.create_event(&e).await;
    }
    let a = app.get("/api/v1/actions/never-again").await.json();
    assert_eq!(a["event_count"], 3);
    assert_eq!(a["city_count"], 2);
    assert_eq!(a["hashtags"], json!(["NoTechForICE"]));
    assert_eq!(a["first_day"], "2027-09-13");
    assert_eq!(
        a["partners"],
        json!([{"slug": "mijente", "name": "Mijente"}, {"slug": "tech-workers-coalition", "name": "Tech Workers Coalition"}])
    );
    assert_eq!(a["ics_url"], format!("{BASE_URL}/actions/never-again.ics"));
    assert_eq!(
        a["webcal_url"],
        "webcal://turnout.test/actions/never-again.ics"
    );
    assert_eq!(app.get("/api/v1/actions").await.json()["actions"][0], a);
}

#[actix_web::test]
async fn private_data_and_unapproved_events_never_show() {
    let app = spawn_app().await;
    app.seed().await;
    let mut conn = db::connect(&app.settings).unwrap();
    diesel::sql_query(
        "UPDATE partners SET contact_email = 'secret@example.org', contact_phone = '+1 555 0100'",
    )
    .execute(&mut conn)
    .unwrap();
    // A pending submission (the moderation queue) at a private address.
    let mut pending = event(
        "Pending",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    pending["venue"]["name"] = json!("Somebody's living room");
    let input = serde_json::from_value(pending).unwrap();
    let view =
        db::queries::events::create(&mut conn, &Principal::Public, input, "turnout.test").unwrap();

    for path in [
        "/api/v1/partners",
        "/api/v1/partners/mijente",
        "/api/v1/actions",
        "/api/v1/venues",
        "/api/v1/events?from=2000-01-01",
        "/api/v1/events?updated_since=2000-01-01T00:00:00Z",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        let text = String::from_utf8_lossy(&r.body);
        for secret in [
            "secret@example.org",
            "555 0100",
            "contact",
            "Pending",
            "living room",
        ] {
            assert!(!text.contains(secret), "{path} shows {secret:?}: {text}");
        }
    }
    app.get(&format!("/api/v1/events/{}", view.event.id))
        .await
        .problem(404);
    assert_eq!(
        app.get("/api/v1/actions/never-again").await.json()["event_count"],
        0
    );
}
