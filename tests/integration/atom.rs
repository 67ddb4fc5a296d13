//! Atom feeds (issue 14): beside every list `.ics`, read by a real feed reader's parser (python
//! `feedparser`) and checked against RFC 4287; newest changes first, stable ids, the same
//! events as the calendar for the same filter, autodiscovery on the pages.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::{event, spawn_app, text, TestApp};
use crate::interop;
use crate::near::feed_uids;

async fn read(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", text(&r));
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/atom+xml; charset=utf-8")
    );
    let parsed = interop::atom(&r.body);
    assert_eq!(parsed["problems"], json!([]), "{path}");
    parsed
}

fn titles(feed: &Value) -> Vec<String> {
    feed["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["title"].as_str().expect("title").to_string())
        .collect()
}

fn entry<'a>(feed: &'a Value, title: &str) -> &'a Value {
    feed["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["title"] == title)
        .unwrap_or_else(|| panic!("no entry {title}: {feed}"))
}

#[actix_web::test]
async fn the_checker_finds_what_is_wrong() {
    // A test that cannot fail is none: the checker refuses a feed without ids and dates.
    let bad = interop::atom(
        b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>x</title><entry><title>y</title></entry></feed>",
    );
    let problems = bad["problems"].as_array().expect("problems");
    assert!(problems.len() >= 4, "{problems:?}");
}

#[actix_web::test]
async fn feeds_read_in_a_feed_reader_newest_changes_first() {
    let app = spawn_app().await;
    app.seed().await;
    let mut boston = event(
        "Boston rally",
        "2030-09-13T16:00",
        "2030-09-13T19:00",
        "America/New_York",
    );
    boston["accessibility"] = json!({"asl": true});
    let boston = app.create_event(&boston).await;
    let mut oakland = event(
        "Oakland march & vigil",
        "2030-09-14T10:00",
        "2030-09-14T12:00",
        "America/Los_Angeles",
    );
    oakland["venue"] = json!({"name": "Frank Ogawa Plaza", "city": "Oakland", "region": "CA",
                              "country": "US", "timezone": "America/Los_Angeles"});
    oakland["partners"] = json!([{"slug": "cosecha"}, {"slug": "mijente", "role": "endorser"}]);
    oakland["tags"] = json!(["CloseTheCamps"]);
    let oakland = app.create_event(&oakland).await;
    let gone = app
        .create_event(&event(
            "To delete",
            "2030-09-15T16:00",
            "2030-09-15T19:00",
            "America/New_York",
        ))
        .await;
    let past = app
        .create_event(&event(
            "Long over",
            "2020-09-15T16:00",
            "2020-09-15T19:00",
            "America/New_York",
        ))
        .await;

    // `to` and `from` mean what they mean in the calendar.
    let until = read(&app, "/calendar.atom?to=2030-09-13").await;
    assert_eq!(titles(&until), ["Boston rally"]);
    let feed = read(&app, "/calendar.atom").await;
    assert_eq!(feed["title"], "All events");
    assert_eq!(
        titles(&feed),
        ["To delete", "Oakland march & vigil", "Boston rally"],
        "newest change first, nothing that has ended"
    );
    let o = entry(&feed, "Oakland march & vigil");
    let oakland_id = o["id"].as_str().expect("id").to_string();
    assert!(
        oakland_id.starts_with(&format!(
            "tag:{},",
            app.settings
                .base_url
                .split("://")
                .nth(1)
                .and_then(|h| h.split([':', '/']).next())
                .expect("host")
        )) && oakland_id.ends_with(&format!(":event/{}", oakland["uid"].as_str().expect("uid"))),
        "{oakland_id}"
    );
    assert_eq!(
        o["link"],
        format!("{}/events/{}", app.settings.base_url, oakland["id"])
    );
    assert_eq!(
        o["summary"],
        "Saturday, September 14, 2030, 10:00 AM – 12:00 PM PDT · Frank Ogawa Plaza, Oakland"
    );
    assert_eq!(o["authors"], json!(["Movimiento Cosecha"]));
    assert_eq!(o["tags"], json!(["CloseTheCamps"]));
    assert!(entry(&feed, "Boston rally")["content"]
        .as_str()
        .expect("content")
        .ends_with("Access: ASL interpretation"));

    // A change moves the entry up and its `updated` on; its id stays.
    let before = o["updated"].clone();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = app
        .patch(
            &format!("/api/v1/events/{}", oakland["id"]),
            &json!({"title": "Oakland march moved indoors"}),
        )
        .await;
    assert_eq!(r.status, 200);
    app.write(
        "POST",
        &format!("/api/v1/events/{}/cancel", boston["id"]),
        Some(&app.admin_token),
        None,
    )
    .await;
    app.write(
        "DELETE",
        &format!("/api/v1/events/{}", gone["id"]),
        Some(&app.admin_token),
        None,
    )
    .await;
    let feed = read(&app, "/calendar.atom").await;
    assert_eq!(
        titles(&feed),
        ["Cancelled: Boston rally", "Oakland march moved indoors"],
        "a cancellation says so; a deleted event leaves"
    );
    let o = entry(&feed, "Oakland march moved indoors");
    assert_eq!(o["id"], oakland_id);
    assert_ne!(o["updated"], before);
    let _ = past;
}

#[actix_web::test]
async fn atom_holds_what_the_calendar_holds_for_each_filter() {
    let app = spawn_app().await;
    app.seed().await;
    let mut uids = Vec::new();
    for (title, city, tag, partner) in [
        ("Boston rally", "Boston", "NoTechForICE", "mijente"),
        (
            "Cambridge teach-in",
            "Cambridge",
            "CloseTheCamps",
            "cosecha",
        ),
        ("Boston vigil", "Boston", "CloseTheCamps", "cosecha"),
    ] {
        let mut e = event(
            title,
            "2030-09-13T16:00",
            "2030-09-13T19:00",
            "America/New_York",
        );
        e["venue"]["city"] = json!(city);
        e["tags"] = json!([tag]);
        e["partners"] = json!([{"slug": partner}]);
        uids.push(
            app.create_event(&e).await["uid"]
                .as_str()
                .expect("uid")
                .to_string(),
        );
    }
    for (atom, ics) in [
        ("/calendar.atom?city=boston", "/calendar.ics?city=boston"),
        (
            "/calendar.atom?city=Boston&q=vigil",
            "/calendar.ics?city=Boston&q=vigil",
        ),
        ("/actions/never-again.atom", "/actions/never-again.ics"),
        ("/partners/cosecha.atom", "/partners/cosecha.ics"),
        ("/tags/CloseTheCamps.atom", "/tags/CloseTheCamps.ics"),
    ] {
        let feed = read(&app, atom).await;
        let from_atom: BTreeSet<String> = feed["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                let id = e["id"].as_str().expect("id");
                id[id.find(":event/").expect("tag") + 7..].to_string()
            })
            .collect();
        let from_ics = feed_uids(&text(&app.get(ics).await));
        assert_eq!(from_atom, from_ics, "{atom}");
        assert!(!from_atom.is_empty(), "{atom}");
        // It calls itself by its own address and points at its page.
        assert!(feed["links"]
            .as_array()
            .expect("links")
            .iter()
            .any(|l| l["rel"] == "self"
                && l["href"]
                    .as_str()
                    .expect("href")
                    .contains(atom.split('?').next().expect("path"))));
    }
    // Cached like the calendar beside it: the same filter spelled differently is one answer.
    let a = app.get("/calendar.atom?city=boston&tag=x").await;
    let b = app.get("/calendar.atom?tag=X&city=Boston").await;
    assert_eq!(a.header("etag"), b.header("etag"));
    assert!(a
        .header("cache-control")
        .is_some_and(|c| c.starts_with("public")));
    // What cannot be read is said as the calendar says it.
    let r = app.get("/calendar.atom?city=boston&limit=5").await;
    assert_eq!(r.problem(422), ["limit"]);
    assert_eq!(app.get("/actions/no-such-action.atom").await.status, 404);
    let _ = uids;
}

#[actix_web::test]
async fn pages_point_readers_at_their_atom_feed() {
    let app = spawn_app().await;
    app.seed().await;
    app.create_event(&event(
        "Boston rally",
        "2030-09-13T16:00",
        "2030-09-13T19:00",
        "America/New_York",
    ))
    .await;
    let base = &app.settings.base_url;
    for (page, atom) in [
        ("/", "/calendar.atom".to_string()),
        ("/?city=Boston", "/calendar.atom?city=boston".to_string()),
        (
            "/actions/never-again",
            "/actions/never-again.atom".to_string(),
        ),
        ("/partners/mijente", "/partners/mijente.atom".to_string()),
        ("/es/partners/mijente", "/partners/mijente.atom".to_string()),
        (
            "/actions/never-again/places/MA/Boston",
            "/calendar.atom?action=never-again&region=MA&city=Boston".to_string(),
        ),
    ] {
        let html = text(&app.get(page).await);
        let link =
            format!("<link rel=\"alternate\" type=\"application/atom+xml\" href=\"{base}{atom}\"");
        assert!(
            html.contains(&link.replace('&', "&amp;"))
                || html.contains(&link.replace('&', "&#38;")),
            "{page}: {}",
            html.lines()
                .filter(|l| l.contains("atom"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        read(&app, &atom).await;
    }
}
