//! iCalendar feeds: read by real parsers, right instants everywhere, HTTP caching, safety.

use std::io::Read;

use serde_json::{json, Value};

use crate::helpers::{event, spawn_app, TestApp};
use crate::interop::parse_both;

async fn feed(app: &TestApp, path: &str) -> Vec<u8> {
    let r = app.get(path).await;
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("text/calendar; charset=utf-8")
    );
    r.body
}

fn text(ics: &[u8]) -> String {
    String::from_utf8(ics.to_vec()).expect("feed is UTF-8")
}

/// (title, zone, local start, local end, expected UTC start, expected UTC end)
const TIMED: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "LA",
        "America/Los_Angeles",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "2027-09-13T23:00:00Z",
        "2027-09-14T02:00:00Z",
    ),
    (
        "NY winter",
        "America/New_York",
        "2027-01-15T16:00",
        "2027-01-15T19:00",
        "2027-01-15T21:00:00Z",
        "2027-01-16T00:00:00Z",
    ),
    (
        "Phoenix summer",
        "America/Phoenix",
        "2027-07-04T16:00",
        "2027-07-04T19:00",
        "2027-07-04T23:00:00Z",
        "2027-07-05T02:00:00Z",
    ),
    (
        "Honolulu",
        "Pacific/Honolulu",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "2027-09-14T02:00:00Z",
        "2027-09-14T05:00:00Z",
    ),
    (
        "San Juan",
        "America/Puerto_Rico",
        "2027-11-07T01:30",
        "2027-11-07T03:00",
        "2027-11-07T05:30:00Z",
        "2027-11-07T07:00:00Z",
    ),
    (
        "Kolkata",
        "Asia/Kolkata",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "2027-09-13T10:30:00Z",
        "2027-09-13T13:30:00Z",
    ),
    (
        "Lord Howe winter",
        "Australia/Lord_Howe",
        "2027-07-01T18:00",
        "2027-07-01T20:00",
        "2027-07-01T07:30:00Z",
        "2027-07-01T09:30:00Z",
    ),
    (
        "Lord Howe summer",
        "Australia/Lord_Howe",
        "2027-12-01T18:00",
        "2027-12-01T20:00",
        "2027-12-01T07:00:00Z",
        "2027-12-01T09:00:00Z",
    ),
    (
        "Spring forward day",
        "America/New_York",
        "2027-03-14T01:30",
        "2027-03-14T03:30",
        "2027-03-14T06:30:00Z",
        "2027-03-14T07:30:00Z",
    ),
    (
        "Across fall back",
        "America/Los_Angeles",
        "2027-11-06T23:00",
        "2027-11-07T03:00",
        "2027-11-07T06:00:00Z",
        "2027-11-07T11:00:00Z",
    ),
    (
        "Ambiguous first",
        "America/New_York",
        "2027-11-07T01:30",
        "2027-11-07T02:30",
        "2027-11-07T05:30:00Z",
        "2027-11-07T07:30:00Z",
    ),
    (
        "Ambiguous second",
        "America/New_York",
        "2027-11-07T01:15-05:00",
        "2027-11-07T03:00",
        "2027-11-07T06:15:00Z",
        "2027-11-07T08:00:00Z",
    ),
    (
        "Lord Howe fall back",
        "Australia/Lord_Howe",
        "2027-04-04T01:45",
        "2027-04-04T03:00",
        "2027-04-03T14:45:00Z",
        "2027-04-03T16:30:00Z",
    ),
];

#[actix_web::test]
async fn real_parsers_read_the_right_instants() {
    let app = spawn_app().await;
    app.seed().await;
    let mut uids = Vec::new();
    for (title, tz, start, end, _, _) in TIMED {
        let e = app.create_event(&event(title, start, end, tz)).await;
        uids.push(e["uid"].as_str().unwrap().to_string());
    }
    let mut all_day = event(
        "Week of action",
        "2027-09-13",
        "2027-09-19",
        "America/Chicago",
    );
    all_day["all_day"] = json!(true);
    let all_day = app.create_event(&all_day).await;

    let ics = feed(&app, "/actions/never-again.ics").await;
    let body = text(&ics);
    // Fall-back overlap times are written in UTC: clients disagree on TZID'd ambiguous times.
    assert!(body.contains("DTSTART:20271107T053000Z"), "{body}");
    assert!(body.contains("DTSTART:20271107T061500Z"));
    assert!(body.contains("DTSTART;TZID=America/Los_Angeles:20270913T160000"));
    // All-day: dates, exclusive end (the last day is not lost).
    assert!(body.contains("DTSTART;VALUE=DATE:20270913\r\nDTEND;VALUE=DATE:20270920\r\n"));

    for parsed in parse_both(&ics) {
        assert_eq!(parsed.events.len(), TIMED.len() + 1, "{}", parsed.parser);
        for ((title, tz, _, _, start_utc, end_utc), uid) in TIMED.iter().zip(&uids) {
            let e = parsed.event(uid);
            assert_eq!(e.summary, *title);
            assert_eq!(
                e.start.as_deref(),
                Some(*start_utc),
                "{} start of {title} ({tz})",
                parsed.parser
            );
            assert_eq!(
                e.end.as_deref(),
                Some(*end_utc),
                "{} end of {title} ({tz})",
                parsed.parser
            );
        }
        let d = parsed.event(all_day["uid"].as_str().unwrap());
        assert_eq!(
            (d.start.as_deref(), d.end.as_deref()),
            (Some("2027-09-13"), Some("2027-09-20")),
            "{}",
            parsed.parser
        );
    }
}

#[actix_web::test]
async fn every_tzid_has_a_vtimezone_and_every_event_its_properties() {
    let app = spawn_app().await;
    app.seed().await;
    let mut e = event(
        "Rally",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "Pacific/Honolulu",
    );
    e["venue"]["lat"] = json!(21.3069);
    e["venue"]["lon"] = json!(-157.8583);
    e["info_url"] = json!("https://rsvp.example/rally");
    e["partners"] = json!([{"slug": "mijente"}, {"slug": "cosecha", "role": "endorser"}]);
    let created = app.create_event(&e).await;
    let body = text(&feed(&app, "/actions/never-again.ics").await);
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "NAME:Turnout — Never Again Is Now",
        "X-WR-CALNAME:Turnout — Never Again Is Now",
        "X-WR-CALDESC:Coast to coast.",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
        "BEGIN:VTIMEZONE",
        "TZID:Pacific/Honolulu",
        "TZOFFSETTO:-1000",
        "GEO:21.306900;-157.858300",
        "SEQUENCE:0",
        "STATUS:CONFIRMED",
        "CATEGORIES:NoTechForICE,Never Again Is Now",
    ] {
        assert!(
            body.contains(&format!("{line}\r\n")),
            "missing {line:?} in\n{body}"
        );
    }
    let id = created["id"].as_i64().unwrap();
    assert!(body.contains(&format!("URL:https://turnout.test/events/{id}\r\n")));
    let honolulu = body.matches("BEGIN:STANDARD").count();
    assert_eq!(
        honolulu, 1,
        "a zone without DST has one STANDARD observance"
    );
    assert!(!body.contains("BEGIN:DAYLIGHT"));
    assert!(!body.contains("RDATE"));
    for parsed in parse_both(body.as_bytes()) {
        let ev = parsed.event(created["uid"].as_str().unwrap());
        for p in [
            "UID",
            "DTSTAMP",
            "CREATED",
            "LAST-MODIFIED",
            "SEQUENCE",
            "STATUS",
            "SUMMARY",
            "DESCRIPTION",
            "LOCATION",
            "GEO",
            "URL",
            "CATEGORIES",
        ] {
            assert!(
                ev.properties.iter().any(|x| x == p),
                "{} misses {p}",
                parsed.parser
            );
        }
        assert_eq!(
            ev.location,
            "City Hall Plaza, 1 City Hall Sq, Boston, MA 02201, US"
        );
        assert!(ev.description.starts_with("Bring signs.\n\nHosted by: Mijente\nEndorsed by: Movimiento Cosecha\nPart of: Never Again Is Now\nInfo and RSVP: https://rsvp.example/rally\nDetails: https://turnout.test/events/"), "{}", ev.description);
    }
}

#[actix_web::test]
async fn friendly_aliases_filters_and_unknown_slugs() {
    let app = spawn_app().await;
    app.seed().await;
    let mut boston = event(
        "Boston",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    boston["tags"] = json!(["CloseTheCamps"]);
    let b = app.create_event(&boston).await;
    let mut other = event(
        "Elsewhere",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/Chicago",
    );
    other["venue"]["city"] = json!("Chicago");
    other["venue"]["name"] = json!("Daley Plaza");
    other["partners"] = json!([{"slug": "cosecha"}]);
    other.as_object_mut().unwrap().remove("action");
    app.create_event(&other).await;

    let count = |ics: &[u8]| text(ics).matches("BEGIN:VEVENT").count();
    assert_eq!(count(&feed(&app, "/calendar.ics").await), 2);
    assert_eq!(count(&feed(&app, "/calendar.ics?city=chicago").await), 1);
    assert_eq!(
        count(
            &feed(
                &app,
                "/calendar.ics?action=never-again&partner=mijente&tag=CloseTheCamps"
            )
            .await
        ),
        1
    );
    assert_eq!(count(&feed(&app, "/calendar.ics?q=daley").await), 1);
    assert_eq!(count(&feed(&app, "/partners/cosecha.ics").await), 1);
    assert_eq!(count(&feed(&app, "/tags/closethecamps.ics").await), 1);
    assert_eq!(
        count(&feed(&app, &format!("/events/{}.ics", b["id"])).await),
        1
    );
    assert!(
        text(&feed(&app, "/calendar.ics?city=Boston").await).contains("NAME:Turnout — Boston\r\n")
    );
    let partner = app.get("/partners/cosecha.ics").await;
    assert_eq!(
        partner.header("content-disposition").as_deref(),
        Some("inline; filename=\"cosecha.ics\"")
    );
    assert_eq!(
        partner.header("access-control-allow-origin").as_deref(),
        Some("*")
    );

    for path in [
        "/actions/nope.ics",
        "/partners/nope.ics",
        "/tags/nope.ics",
        "/events/999.ics",
        "/events/abc.ics",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(
            r.header("content-type").unwrap().starts_with("text/plain"),
            "{path}"
        );
        assert!(!String::from_utf8_lossy(&r.body).contains("BEGIN:VCALENDAR"));
    }
    // A filter of `/calendar.ics` is the listing's: a bad one is the API's 422 naming it.
    let r = app.get("/calendar.ics?action=nope").await;
    assert_eq!(r.problem(422), ["action"]);
    assert_eq!(
        r.json()["errors"][0]["message"],
        "there is no action \"nope\""
    );
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    // Feeds are never negotiated away, whatever the client accepts.
    let r = app
        .send(
            app.client
                .get(app.url("/calendar.ics"))
                .insert_header(("accept", "application/json")),
            None,
        )
        .await;
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("text/calendar; charset=utf-8")
    );
}

#[actix_web::test]
async fn conditional_get_head_and_compression() {
    let app = spawn_app().await;
    app.seed().await;
    let e = app
        .create_event(&event(
            "Rally",
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let path = "/actions/never-again.ics";
    let first = app.get(path).await;
    let etag = first.header("etag").expect("etag");
    let last_modified = first.header("last-modified").expect("last-modified");
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong ETag: {etag}"
    );
    assert_eq!(
        first.header("cache-control").as_deref(),
        Some("public, max-age=300, s-maxage=300, stale-while-revalidate=300")
    );

    let again = app.get(path).await;
    assert_eq!(
        again.body, first.body,
        "an unchanged feed has unchanged bytes"
    );
    assert_eq!(again.header("etag"), Some(etag.clone()));

    let r = app
        .send(
            app.client
                .get(app.url(path))
                .insert_header(("if-none-match", etag.as_str())),
            None,
        )
        .await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.clone()));
    let r = app
        .send(
            app.client
                .get(app.url(path))
                .insert_header(("if-modified-since", last_modified.as_str())),
            None,
        )
        .await;
    assert_eq!(r.status, 304);

    let head = app.send(app.client.head(app.url(path)), None).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("etag"), Some(etag.clone()));
    assert_eq!(
        head.header("content-length"),
        Some(first.body.len().to_string())
    );
    assert_eq!(
        app.send(app.client.head(app.url("/actions/nope.ics")), None)
            .await
            .status,
        404
    );

    let gz = app
        .send(
            app.client
                .get(app.url(path))
                .insert_header(("accept-encoding", "gzip")),
            None,
        )
        .await;
    assert_eq!(gz.header("content-encoding").as_deref(), Some("gzip"));
    assert_ne!(
        gz.header("etag"),
        Some(etag.clone()),
        "each encoding has its own strong ETag"
    );
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, first.body);
    let gz_etag = gz.header("etag").unwrap();
    let r = app
        .send(
            app.client
                .get(app.url(path))
                .insert_header(("accept-encoding", "gzip"))
                .insert_header(("if-none-match", gz_etag.as_str())),
            None,
        )
        .await;
    assert_eq!(r.status, 304);
    // Brotli is made in the background; gzip is sent until it is ready.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let br = loop {
        let br = app
            .send(
                app.client
                    .get(app.url(path))
                    .insert_header(("accept-encoding", "gzip, br")),
                None,
            )
            .await;
        if br.header("content-encoding").as_deref() == Some("br")
            || std::time::Instant::now() > deadline
        {
            break br;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(br.header("content-encoding").as_deref(), Some("br"));
    let no_gzip = app
        .send(
            app.client
                .get(app.url(path))
                .insert_header(("accept-encoding", "gzip;q=0")),
            None,
        )
        .await;
    assert_eq!(no_gzip.header("content-encoding"), None);

    // A write that changes the feed changes its ETag at once.
    app.patch(
        &format!("/api/v1/events/{}", e["id"]),
        &json!({"title": "Rally moved"}),
    )
    .await;
    let changed = app.get(path).await;
    assert_ne!(changed.header("etag"), Some(etag.clone()));
    assert!(text(&changed.body).contains("SUMMARY:Rally moved"));
    let r = app
        .send(
            app.client
                .get(app.url(path))
                .insert_header(("if-none-match", etag.as_str())),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    // A write that does not touch this feed leaves its bytes and ETag alone.
    let mut elsewhere = event(
        "Other action",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    elsewhere.as_object_mut().unwrap().remove("action");
    app.create_event(&elsewhere).await;
    assert_eq!(app.get(path).await.header("etag"), changed.header("etag"));
}

#[actix_web::test]
async fn cancelled_and_deleted_events_stay_as_cancelled_with_higher_sequence() {
    let app = spawn_app().await;
    app.seed().await;
    let a = app
        .create_event(&event(
            "To cancel",
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let mut quiet = event(
        "Cancelled without a word",
        "2027-09-15T16:00",
        "2027-09-15T19:00",
        "America/New_York",
    );
    quiet["description"] = json!("");
    let quiet = app.create_event(&quiet).await;
    app.write(
        "POST",
        &format!("/api/v1/events/{}/cancel", quiet["id"]),
        Some(&app.admin_token),
        None,
    )
    .await;
    let b = app
        .create_event(&event(
            "To delete",
            "2027-09-14T16:00",
            "2027-09-14T19:00",
            "America/New_York",
        ))
        .await;
    app.write(
        "POST",
        &format!("/api/v1/events/{}/cancel", a["id"]),
        Some(&app.admin_token),
        None,
    )
    .await;
    app.write(
        "DELETE",
        &format!("/api/v1/events/{}", b["id"]),
        Some(&app.admin_token),
        None,
    )
    .await;
    let ics = feed(&app, "/actions/never-again.ics").await;
    for parsed in parse_both(&ics) {
        for (e, summary) in [(&a, "Cancelled: To cancel"), (&b, "Cancelled event")] {
            let p = parsed.event(e["uid"].as_str().unwrap());
            assert_eq!(p.status, "CANCELLED", "{}", parsed.parser);
            assert_eq!(p.sequence, 1, "{}", parsed.parser);
            assert_eq!(p.summary, summary);
        }
    }
    // One blank line between the notice and the facts, not two.
    let text = String::from_utf8_lossy(&ics).replace("\r\n ", "");
    let entry = text
        .split("BEGIN:VEVENT")
        .find(|v| v.contains("Cancelled without a word"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        entry.contains("DESCRIPTION:This event is cancelled.\\n\\nHosted by: Mijente"),
        "{entry}"
    );
}

#[actix_web::test]
async fn window_keeps_recent_past_and_drops_old() {
    let app = spawn_app().await;
    app.seed().await;
    let today = chrono::Utc::now().date_naive();
    let day = |d: i64| (today + chrono::Duration::days(d)).to_string();
    for (title, offset) in [("Long ago", -120), ("Last month", -30), ("Next week", 7)] {
        app.create_event(&event(
            title,
            &format!("{}T10:00", day(offset)),
            &format!("{}T12:00", day(offset)),
            "UTC",
        ))
        .await;
    }
    let body = text(&feed(&app, "/calendar.ics").await);
    assert!(!body.contains("SUMMARY:Long ago"));
    assert!(body.contains("SUMMARY:Last month"));
    assert!(body.contains("SUMMARY:Next week"));
}

#[actix_web::test]
async fn hostile_text_cannot_add_or_break_properties() {
    let app = spawn_app().await;
    app.seed().await;
    let description = "Line one\r\nATTENDEE:mailto:spy@example.org\r\nEND:VEVENT\r\nBEGIN:VEVENT\nUID:evil\rSUMMARY:owned; a, b \\ c";
    let mut e = event(
        "Title; with, specials \\ and : colon END:VEVENT",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    e["description"] = json!(description);
    e["venue"]["name"] = json!("Hall, \"Main\"; Room \\1");
    e["tags"] = json!(["a_b", "Ñandú"]);
    let created = app.create_event(&e).await;
    let ics = feed(&app, "/actions/never-again.ics").await;
    let body = text(&ics);
    assert!(!body.contains("\r\nATTENDEE"), "{body}");
    assert!(!body.contains("\r\nUID:evil"));
    assert_eq!(body.matches("\r\nBEGIN:VEVENT\r\n").count(), 1);
    let expected_description = "Line one\nATTENDEE:mailto:spy@example.org\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil\nSUMMARY:owned; a, b \\ c";
    for parsed in parse_both(&ics) {
        assert_eq!(parsed.events.len(), 1, "{}", parsed.parser);
        let p = parsed.event(created["uid"].as_str().unwrap());
        assert_eq!(
            p.summary, "Title; with, specials \\ and : colon END:VEVENT",
            "{}",
            parsed.parser
        );
        assert!(
            p.description.starts_with(expected_description),
            "{}: {:?}",
            parsed.parser,
            p.description
        );
        assert!(
            p.location.starts_with("Hall, \"Main\"; Room \\1, "),
            "{}",
            parsed.parser
        );
        assert!(!p.properties.iter().any(|x| x == "ATTENDEE"));
        assert_eq!(
            p.categories,
            ["a_b", "Ñandú", "Never Again Is Now"],
            "{}",
            parsed.parser
        );
    }
}

#[actix_web::test]
async fn long_multibyte_text_folds_at_75_octets_with_crlf() {
    let app = spawn_app().await;
    app.seed().await;
    let title = "✊🏽 Marcha por la justicia migratoria — ¡Ni una deportación más! 👩‍👩‍👧‍👦 Mabuhay! Ipagtanggol ang karapatan ng mga manggagawa 🇵🇭";
    let description = format!(
        "{}\n\n{}\n\n{}",
        "Año tras año, las familias exigen justicia: ñandú, acción, corazón. ".repeat(8),
        "Sama-sama tayong lalaban para sa karapatan ng bawat migrante at manggagawa. ".repeat(6),
        "🌺📣✊🏾🏳️‍🌈 ".repeat(40)
    );
    let mut e = event(
        title,
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/Los_Angeles",
    );
    e["description"] = json!(description);
    let created = app.create_event(&e).await;
    let ics = feed(&app, "/actions/never-again.ics").await;
    assert!(ics.ends_with(b"END:VCALENDAR\r\n"));
    for raw in ics.split(|b| *b == b'\n') {
        if raw.is_empty() {
            continue;
        }
        assert_eq!(raw.last(), Some(&b'\r'), "every line ends in CRLF");
        let line = &raw[..raw.len() - 1];
        assert!(!line.contains(&b'\r'), "no bare CR");
        assert!(
            line.len() <= 75,
            "{} octets: {:?}",
            line.len(),
            String::from_utf8_lossy(line)
        );
        assert!(
            std::str::from_utf8(line).is_ok(),
            "a fold split a UTF-8 character: {line:?}"
        );
    }
    for parsed in parse_both(&ics) {
        let p = parsed.event(created["uid"].as_str().unwrap());
        assert_eq!(p.summary, title, "{}", parsed.parser);
        // Stored trimmed, as every text field is.
        assert!(
            p.description.starts_with(description.trim_end()),
            "{}",
            parsed.parser
        );
    }
}

#[actix_web::test]
async fn writes_from_another_process_reach_the_feed() {
    let app = spawn_app().await;
    app.seed().await;
    let path = "/actions/never-again.ics";
    let before = app.get(path).await.header("etag");
    let file = app.dir.path().join("import.json");
    let body: Value = json!([event(
        "Imported",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York"
    )]);
    std::fs::write(&file, serde_json::to_vec(&body).unwrap()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_turnout"))
        .args(["import", file.to_str().unwrap()])
        .env("TURNOUT_DATABASE_URL", app.settings.database_path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut seen = false;
    for _ in 0..40 {
        let r = app.get(path).await;
        if r.header("etag") != before && text(&r.body).contains("SUMMARY:Imported") {
            seen = true;
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        seen,
        "the feed did not pick up an import made by another process"
    );
}
