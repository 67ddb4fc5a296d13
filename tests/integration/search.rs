//! `q`: full-text search over title, description, place, partners and tags (FTS5), best match
//! first in the API, the same matching in the feeds and pages.

use serde_json::{json, Value};
use turnout::auth::Principal;
use turnout::db;

use crate::helpers::{event, spawn_app, TestApp};

fn titles(v: &Value) -> Vec<String> {
    v["events"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["title"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_else(|| panic!("no events: {v}"))
}

async fn search(app: &TestApp, q: &str) -> Vec<String> {
    let path = format!(
        "/api/v1/events?from=2027-01-01&q={}",
        turnout::feeds::json::percent_encode(q)
    );
    let r = app.get(&path).await;
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    titles(&r.json())
}

/// Three events that differ in every searchable field.
async fn setup() -> TestApp {
    let app = spawn_app().await;
    app.seed().await;
    for (title, day, tz, description, venue, partner, tag) in [
        (
            VIGIL,
            "13",
            "America/New_York",
            "Candles provided. See you mañana.",
            [
                "Riverside Chapel",
                "77 Elm Street",
                "Worcester",
                "MA",
                "01608",
            ],
            "cosecha",
            "Sanctuary",
        ),
        (
            TEACH_IN,
            "14",
            "America/Los_Angeles",
            "How Palantir's contracts work.",
            [
                "Mission Library",
                "300 Bartlett St",
                "San Francisco",
                "CA",
                "94110",
            ],
            "tech-workers-coalition",
            "NoTechForICE",
        ),
        (
            POTLUCK,
            "15",
            "America/Chicago",
            "Food and music.",
            ["Union Hall", "5 Main St", "Chicago", "IL", "60601"],
            "mijente",
            "Community",
        ),
    ] {
        let mut e = event(
            title,
            &format!("2027-09-{day}T16:00"),
            &format!("2027-09-{day}T19:00"),
            tz,
        );
        let [name, address, city, region, postal_code] = venue;
        e["description"] = json!(description);
        e["venue"] = json!({"name": name, "address": address, "city": city, "region": region,
                            "postal_code": postal_code, "country": "US", "timezone": tz});
        e["partners"] = json!([{"slug": partner, "role": "host"}]);
        e["tags"] = json!([tag]);
        app.create_event(&e).await;
    }
    app
}

const VIGIL: &str = "Vigil at the Año Nuevo gate";
const TEACH_IN: &str = "Teach-in on surveillance";
const POTLUCK: &str = "Potluck";

#[actix_web::test]
async fn finds_by_every_field_ignoring_case_and_accents() {
    let app = setup().await;
    for (q, want) in [
        ("vigil", VIGIL),            // title
        ("candles", VIGIL),          // description
        ("riverside chapel", VIGIL), // venue name
        ("elm street", VIGIL),       // street address
        ("worcester", VIGIL),        // city
        ("01608", VIGIL),            // postal code
        ("cosecha", VIGIL),          // partner name
        ("movimiento", VIGIL),       // partner name, another word
        ("sanctuary", VIGIL),        // tag
        ("notechforice", TEACH_IN),  // tag
        ("Tech Workers", TEACH_IN),  // partner
        ("BARTLETT", TEACH_IN),      // case
        ("ano nuevo", VIGIL),        // accents
        ("AÑO", VIGIL),
        ("manana", VIGIL),
        ("pala", TEACH_IN), // prefix
        ("surv", TEACH_IN),
        ("teach-in", TEACH_IN),
        ("union chicago", POTLUCK), // every word, from different fields
    ] {
        assert_eq!(search(&app, q).await, [want], "q={q:?}");
    }
    // Every word must match.
    assert!(search(&app, "vigil chicago").await.is_empty());
    assert!(search(&app, "nothing-like-this").await.is_empty());
    // A sync keeps its own order and matches the same way.
    let r = app
        .get("/api/v1/events?updated_since=2000-01-01T00:00:00Z&q=manana")
        .await;
    assert_eq!(titles(&r.json()), [VIGIL]);
}

#[actix_web::test]
async fn best_match_first_and_paging_by_relevance() {
    let app = spawn_app().await;
    app.seed().await;
    // Soonest first: description only, then place, then title; the title match must lead.
    for (title, day, description, place) in [
        ("Potluck", "10", "After the rally we eat.", "Union Hall"),
        (
            "Banner making",
            "11",
            "Paint and cloth.",
            "Rally Point Hall",
        ),
        (
            "Rally at City Hall",
            "12",
            "Bring signs.",
            "City Hall Plaza",
        ),
        ("Teach-in", "13", "Bring questions.", "Mission Library"),
    ] {
        let mut e = event(
            title,
            &format!("2027-09-{day}T16:00"),
            &format!("2027-09-{day}T18:00"),
            "America/New_York",
        );
        e["description"] = json!(description);
        e["venue"]["name"] = json!(place);
        app.create_event(&e).await;
    }
    assert_eq!(
        search(&app, "rally").await,
        ["Rally at City Hall", "Banner making", "Potluck"]
    );
    // Without q the listing stays in start order.
    assert_eq!(
        titles(&app.get("/api/v1/events?from=2027-01-01").await.json()),
        ["Potluck", "Banner making", "Rally at City Hall", "Teach-in"]
    );

    // Equal scores (identical events) fall back to start time, then id.
    for day in ["20", "19", "19"] {
        let mut e = event(
            "Rally again",
            &format!("2027-09-{day}T16:00"),
            &format!("2027-09-{day}T18:00"),
            "America/New_York",
        );
        e["description"] = json!("Same text.");
        app.create_event(&e).await;
    }
    let all = app
        .get("/api/v1/events?from=2027-01-01&q=rally&limit=100")
        .await
        .json();
    let ids = |v: &Value| -> Vec<i64> {
        v["events"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["id"].as_i64()).collect())
            .unwrap_or_default()
    };
    let want = ids(&all);
    assert_eq!(want.len(), 6, "{all}");
    assert_eq!(all["next_cursor"], json!(null));
    // Limit 1: every page one event, no skip, no repeat.
    let mut got = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let mut path = "/api/v1/events?from=2027-01-01&q=rally&limit=1".to_string();
        if let Some(c) = &cursor {
            path.push_str("&cursor=");
            path.push_str(c);
        }
        let page = app.get(&path).await.json();
        got.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(got, want);
    let dates: Vec<String> = all["events"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e["title"] == "Rally again")
                .map(|e| e["start"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    assert!(dates[0] <= dates[1] && dates[1] <= dates[2], "{dates:?}");
    let again: Vec<i64> = all["events"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e["title"] == "Rally again" && e["start"] == dates[0])
                .filter_map(|e| e["id"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    assert!(again.len() == 2 && again[0] < again[1], "{again:?}");

    // A start-order cursor does not page a relevance listing (and the other way round).
    for (first, then) in [("", "&q=rally"), ("&q=rally", "")] {
        let page = app
            .get(&format!("/api/v1/events?from=2027-01-01&limit=1{first}"))
            .await
            .json();
        let cursor = page["next_cursor"].as_str().unwrap_or_default();
        let r = app
            .get(&format!(
                "/api/v1/events?from=2027-01-01&limit=1{then}&cursor={cursor}"
            ))
            .await;
        assert_eq!(r.problem(422), ["cursor"], "{first} then {then}");
    }
}

#[actix_web::test]
async fn finds_only_public_events() {
    let app = setup().await;
    // Deleted.
    let mut gone = event(
        "Vigil that was called off",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    gone["description"] = json!("Deleted.");
    let id = app.create_event(&gone).await["id"]
        .as_i64()
        .unwrap_or_default();
    let r = app
        .write(
            "DELETE",
            &format!("/api/v1/events/{id}"),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert!(r.status.is_success(), "{}", r.status);
    // Pending review.
    let mut conn = db::connect(&app.settings).expect("db");
    let pending = event(
        "Vigil waiting for review",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    db::queries::events::create(
        &mut conn,
        &Principal::Public,
        serde_json::from_value(pending).expect("input"),
        "turnout.test",
    )
    .expect("pending event");
    assert_eq!(search(&app, "vigil").await, [VIGIL]);
}

#[actix_web::test]
async fn renamed_partner_and_corrected_venue_are_found_by_their_new_names() {
    let app = setup().await;
    let mut conn = db::connect(&app.settings).expect("db");
    let draft = db::queries::catalog::partner_by_slug(&mut conn, "cosecha").expect("partner");
    db::queries::catalog::update_partner(
        &mut conn,
        "cosecha",
        &turnout::domain::catalog::PartnerDraft {
            slug: draft.slug,
            name: "Cosecha Massachusetts".into(),
            website: draft.website,
            description: draft.description,
        },
    )
    .expect("rename");
    assert!(search(&app, "movimiento").await.is_empty());
    assert_eq!(search(&app, "cosecha massachusetts").await, [VIGIL]);

    let venue = app.get("/api/v1/venues").await.json();
    let id = venue["venues"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["name"] == "Union Hall"))
        .and_then(|v| v["id"].as_i64())
        .unwrap_or_else(|| panic!("no Union Hall: {venue}"));
    db::queries::catalog::update_venue(
        &mut conn,
        i32::try_from(id).expect("id"),
        &turnout::domain::catalog::VenueDraft {
            name: "Union Hall".into(),
            address: Some("9 Wacker Drive".into()),
            city: Some("Chicago".into()),
            region: Some("IL".into()),
            postal_code: Some("60601".into()),
            country: Some("US".into()),
            lat: None,
            lon: None,
            timezone: None,
            accessibility: None,
        },
    )
    .expect("correct venue");
    assert_eq!(search(&app, "wacker").await, [POTLUCK]);
    assert!(search(&app, "main st").await.is_empty());

    // An edited event is found by its new text, not its old one.
    let list = app
        .get("/api/v1/events?from=2027-01-01&q=potluck")
        .await
        .json();
    let pid = list["events"][0]["id"].as_i64().unwrap_or_default();
    let r = app
        .patch(
            &format!("/api/v1/events/{pid}"),
            &json!({"title": "Community supper", "tags": ["SupperClub"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(search(&app, "potluck").await.is_empty());
    assert_eq!(
        search(&app, "community supperclub").await,
        ["Community supper"]
    );
}

#[actix_web::test]
async fn hostile_input_never_fails() {
    let app = setup().await;
    let long = "ñ".repeat(200);
    for q in [
        "\"",
        "\"\"",
        "\"vigil",
        "vigil\"",
        "*",
        "vigil*",
        "**",
        "NEAR(",
        "NEAR(vigil candles)",
        "-vigil",
        "vigil -candles",
        "title:vigil",
        ":",
        "^vigil",
        "(",
        ")",
        "AND",
        "OR OR",
        "vigil AND",
        "\\",
        "'; DROP TABLE events; --",
        "%",
        "_",
        "🎉",
        "✊🏽 vigil",
        "\u{0}",
        "a\u{301}",
        long.as_str(),
    ] {
        search(&app, q).await;
        let enc = turnout::feeds::json::percent_encode(q);
        for path in [format!("/calendar.ics?q={enc}"), format!("/?q={enc}")] {
            let r = app.get(&path).await;
            assert_eq!(r.status, 200, "{path}");
        }
    }
    // Words in quotes or with operators are plain words.
    assert_eq!(search(&app, "\"vigil\"").await, [VIGIL]);
    assert_eq!(search(&app, "NEAR(vigil").await, Vec::<String>::new());
    assert_eq!(search(&app, "title:vigil").await, Vec::<String>::new());
    assert_eq!(search(&app, "vigil AND candles").await, [VIGIL]);
    assert_eq!(search(&app, "-vigil").await, [VIGIL]);
    // A repeated word counts once; words after the tenth (here "zeppelin") are ignored.
    assert_eq!(search(&app, &"vigil ".repeat(33)).await, [VIGIL]);
    assert_eq!(
        search(
            &app,
            "vigil at the ano nuevo gate candles provided see you zeppelin"
        )
        .await,
        [VIGIL]
    );
    // Nothing searchable in q matches nothing (not everything).
    for q in ["*", "\"\"", "🎉", "- : ("] {
        assert!(search(&app, q).await.is_empty(), "q={q:?}");
    }
    // Too long is still a 422 naming q.
    let r = app
        .get(&format!(
            "/api/v1/events?q={}",
            turnout::feeds::json::percent_encode(&"x".repeat(201))
        ))
        .await;
    assert_eq!(r.problem(422), ["q"]);
}

#[actix_web::test]
async fn feeds_and_pages_match_the_same_way() {
    let app = setup().await;
    for (q, want) in [
        ("elm street", VIGIL),
        ("manana", VIGIL),
        ("cosecha", VIGIL),
        ("notech", TEACH_IN),
    ] {
        let enc = turnout::feeds::json::percent_encode(q);
        let r = app.get(&format!("/calendar.ics?q={enc}")).await;
        assert_eq!(r.status, 200);
        let ics = String::from_utf8_lossy(&r.body).replace("\r\n ", "");
        let summaries: Vec<&str> = ics
            .lines()
            .filter_map(|l| l.strip_prefix("SUMMARY:"))
            .collect();
        assert_eq!(summaries, [want], "feed q={q:?}");

        let r = app.get(&format!("/?q={enc}")).await;
        assert_eq!(r.status, 200);
        let html = String::from_utf8_lossy(&r.body);
        for title in [VIGIL, TEACH_IN, POTLUCK] {
            assert_eq!(
                html.contains(&format!(">{title}<")),
                title == want,
                "page q={q:?}, {title:?}"
            );
        }
    }
}
