//! One filter grammar (src/domain/filter.rs): the same query means the same events in the JSON
//! listing, the `/calendar.ics` feed and the HTML listing page, and a bad one gets the same
//! field and message in all three.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::{event, spawn_app, Response, TestApp};

/// Seeds five upcoming events that different filters tell apart; returns (id, uid) of each.
async fn seed(app: &TestApp) -> Vec<(i64, String)> {
    app.seed().await;
    let mut created = Vec::new();
    let mut add = |e: Value| {
        created.push(e);
    };
    // Boston, never-again, mijente, #NoTechForICE.
    add(event(
        "Rally at City Hall",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    ));
    // Chicago, no action, cosecha, #CloseTheCamps.
    let mut e = event(
        "Vigil at Daley Plaza",
        "2027-09-14T18:00",
        "2027-09-14T20:00",
        "America/Chicago",
    );
    e["venue"] = json!({"name": "Daley Plaza", "address": "50 W Washington St", "city": "Chicago",
                        "region": "IL", "country": "US", "timezone": "America/Chicago"});
    e["partners"] = json!([{"slug": "cosecha", "role": "host"}]);
    e["tags"] = json!(["CloseTheCamps"]);
    e.as_object_mut().map(|o| o.remove("action"));
    add(e);
    // Boston, never-again, tech workers, #CloseTheCamps, tentative, a week later.
    let mut e = event(
        "Teach-in on Palantir",
        "2027-09-21T10:00",
        "2027-09-21T12:00",
        "America/New_York",
    );
    e["partners"] = json!([{"slug": "tech-workers-coalition", "role": "host"}]);
    e["tags"] = json!(["CloseTheCamps"]);
    e["status"] = json!("tentative");
    add(e);
    // Los Angeles, never-again, mijente, cancelled.
    let mut e = event(
        "Picket in Palo Alto",
        "2027-10-02T09:00",
        "2027-10-02T11:00",
        "America/Los_Angeles",
    );
    e["venue"] = json!({"name": "Palantir HQ", "address": "100 Hamilton Ave", "city": "Palo Alto",
                        "region": "CA", "country": "US", "timezone": "America/Los_Angeles"});
    e["status"] = json!("cancelled");
    add(e);
    // Toronto: another country, mijente co-host with cosecha.
    let mut e = event(
        "Solidarity march",
        "2027-10-05T14:00",
        "2027-10-05T16:00",
        "America/Toronto",
    );
    e["venue"] = json!({"name": "Nathan Phillips Square", "city": "Toronto", "region": "ON",
                        "country": "CA", "timezone": "America/Toronto"});
    e["partners"] =
        json!([{"slug": "cosecha", "role": "host"}, {"slug": "mijente", "role": "co-host"}]);
    e.as_object_mut().map(|o| o.remove("action"));
    add(e);
    let mut out = Vec::new();
    for e in &created {
        let v = app.create_event(e).await;
        out.push((
            v["id"].as_i64().expect("id"),
            v["uid"].as_str().expect("uid").to_string(),
        ));
    }
    out
}

async fn page(app: &TestApp, path: &str, lang: &str) -> Response {
    let req = app
        .client
        .get(app.url(path))
        .insert_header(("accept-language", lang));
    app.send(req, None).await
}

fn body(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// Event ids linked from a listing page (`href="…/events/{id}"`).
fn page_ids(html: &str) -> BTreeSet<i64> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| {
            let link = &rest[..rest.find('"')?];
            let id = &link[link.find("/events/")? + "/events/".len()..];
            id.parse().ok()
        })
        .collect()
}

/// UIDs of the VEVENTs of a feed (a UID line may be folded).
fn feed_uids(ics: &str) -> BTreeSet<String> {
    let unfolded = ics.replace("\r\n ", "");
    unfolded
        .split("\r\n")
        .filter_map(|l| l.strip_prefix("UID:"))
        .map(str::to_string)
        .collect()
}

/// The text of the element with `id`, with askama's escapes undone.
fn element_text(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[start..];
    let text = &rest[rest.find('>')? + 1..];
    let text = &text[..text.find('<')?];
    Some(
        text.replace("&#34;", "\"")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

#[actix_web::test]
async fn the_same_filter_means_the_same_events_in_json_ics_and_html() {
    let app = spawn_app().await;
    let seeded = seed(&app).await;
    let uid_of = |id: i64| {
        seeded
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, u)| u.clone())
            .unwrap_or_else(|| format!("unknown event {id}"))
    };
    let all: BTreeSet<String> = seeded.iter().map(|(_, u)| u.clone()).collect();
    let pick = |titles: &[usize]| -> BTreeSet<String> {
        titles.iter().map(|i| seeded[*i].1.clone()).collect()
    };

    // (query, the seeded events it means)
    let cases: Vec<(&str, BTreeSet<String>)> = vec![
        ("", all.clone()),
        ("tag=notechforice", pick(&[0, 3, 4])),
        ("tag=%23NoTechForICE", pick(&[0, 3, 4])),
        ("tag=CLOSETHECAMPS", pick(&[1, 2])),
        ("city=BOSTON", pick(&[0, 2])),
        ("city=+chicago+", pick(&[1])),
        ("region=ca", pick(&[3])),
        ("country=ca", pick(&[4])),
        ("q=palantir", pick(&[2, 3])),
        ("action=never-again", pick(&[0, 2, 3])),
        ("partner=mijente", pick(&[0, 3, 4])),
        ("status=cancelled,tentative", pick(&[2, 3])),
        ("from=2027-09-20", pick(&[2, 3, 4])),
        ("to=2027-09-20&from=2027-09-14", pick(&[1])),
        (
            "action=never-again&city=boston&tag=NoTechForICE&partner=mijente",
            pick(&[0]),
        ),
        ("partner=mijente&country=US&status=confirmed", pick(&[0])),
        ("q=march&partner=cosecha&utm_source=newsletter", pick(&[4])),
    ];
    for (query, want) in cases {
        let api = app.get(&format!("/api/v1/events?{query}&limit=500")).await;
        assert_eq!(api.status, 200, "API {query}: {}", body(&api));
        let api: BTreeSet<String> = api.json()["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["uid"].as_str().expect("uid").to_string())
            .collect();

        let ics = app.get(&format!("/calendar.ics?{query}")).await;
        assert_eq!(ics.status, 200, "feed {query}: {}", body(&ics));
        let ics = feed_uids(&body(&ics));

        let html = page(&app, &format!("/?{query}"), "en").await;
        assert_eq!(html.status, 200, "page {query}: {}", body(&html));
        let html: BTreeSet<String> = page_ids(&body(&html)).into_iter().map(uid_of).collect();

        assert_eq!(api, want, "API {query}");
        assert_eq!(ics, want, "feed {query}");
        assert_eq!(html, want, "page {query}");
    }
}

#[actix_web::test]
async fn a_bad_filter_gets_the_same_field_and_message_everywhere() {
    let app = spawn_app().await;
    seed(&app).await;
    let long = "x".repeat(201);
    let cases: Vec<(String, &str, String, &str)> = vec![
        // (query, field, English message, a word of the Spanish one)
        (
            format!("city={long}"),
            "city",
            "is longer than 200 characters".into(),
            "tiene más de 200 caracteres",
        ),
        (
            "from=soon".into(),
            "from",
            "\"soon\" is neither a date (2027-09-13) nor an RFC 3339 instant (2027-09-13T16:00:00Z)"
                .into(),
            "ni una fecha",
        ),
        (
            "action=nope".into(),
            "action",
            "there is no action \"nope\"".into(),
            "no existe el día de acción",
        ),
        (
            "partner=nobody&tag=x".into(),
            "partner",
            "there is no partner \"nobody\"".into(),
            "no existe la organización",
        ),
        (
            "status=confirmed,maybe".into(),
            "status",
            "\"maybe\" is not one of confirmed, tentative, cancelled".into(),
            "no es ninguno de",
        ),
        (
            "tag=a&tag=b".into(),
            "tag",
            "is given more than once".into(),
            "más de una vez",
        ),
    ];
    for (query, field, message, spanish) in cases {
        let api = app.get(&format!("/api/v1/events?{query}")).await;
        assert_eq!(api.problem(422), [field], "API {query}");
        assert_eq!(api.message(field), message, "API {query}");

        let feed = app.get(&format!("/calendar.ics?{query}")).await;
        assert_eq!(feed.problem(422), [field], "feed {query}");
        assert_eq!(feed.message(field), message, "feed {query}");
        assert_eq!(
            feed.header("access-control-allow-origin").as_deref(),
            Some("*")
        );

        let html = page(&app, &format!("/?{query}"), "en").await;
        assert_eq!(html.status, 422, "page {query}");
        assert_eq!(
            html.header("content-type").as_deref(),
            Some("text/html; charset=utf-8")
        );
        let text = body(&html);
        let shown = element_text(&text, &format!("f-{field}-error"))
            .unwrap_or_else(|| panic!("page {query}: no error for {field}: {text}"));
        // Beside the form's own fields the message stands alone; above the form it is named.
        assert!(
            shown == message || shown == format!("{field}: {message}"),
            "page {query}: {shown:?}"
        );
        assert!(page_ids(&text).is_empty(), "page {query} lists events");

        let es = body(&page(&app, &format!("/es/?{query}"), "es").await);
        let shown = element_text(&es, &format!("f-{field}-error")).expect("Spanish error");
        assert!(
            shown.contains(spanish),
            "page {query} in Spanish: {shown:?}"
        );
    }

    // What was typed stays in the form.
    let html = body(&page(&app, &format!("/?city={long}&q=+vigil+"), "en").await);
    assert!(
        html.contains(&format!("name=\"city\" value=\"{long}\"")),
        "{html}"
    );
    assert!(
        html.contains("name=\"q\" type=\"search\" value=\"vigil\""),
        "{html}"
    );
}

#[actix_web::test]
async fn each_output_refuses_the_parameters_it_does_not_take() {
    let app = spawn_app().await;
    seed(&app).await;
    let not_here = "is not a filter of this listing (only GET /api/v1/events takes it)";
    for query in [
        "limit=5",
        "cursor=abc",
        "updated_since=2027-01-01T00:00:00Z",
    ] {
        let field = &query[..query.find('=').expect("=")];
        let feed = app.get(&format!("/calendar.ics?{query}")).await;
        assert_eq!(feed.problem(422), [field], "feed {query}");
        assert_eq!(feed.message(field), not_here);
    }
    for query in ["limit=5", "updated_since=2027-01-01T00:00:00Z"] {
        let field = &query[..query.find('=').expect("=")];
        let html = page(&app, &format!("/?{query}"), "en").await;
        assert_eq!(html.status, 422, "page {query}");
        assert_eq!(
            element_text(&body(&html), &format!("f-{field}-error")),
            Some(format!("{field}: {not_here}"))
        );
        let html = page(&app, &format!("/archive?{query}"), "en").await;
        assert_eq!(html.status, 422, "archive {query}");
    }
    // A page takes a cursor, and refuses one this server did not give out, as the API does.
    let html = page(&app, "/?cursor=bogus", "en").await;
    assert_eq!(html.status, 422);
    let api = app.get("/api/v1/events?cursor=bogus").await;
    assert_eq!(api.problem(422), ["cursor"]);
    assert_eq!(
        element_text(&body(&html), "f-cursor-error"),
        Some(format!("cursor: {}", api.message("cursor")))
    );
    // Empty values are absent everywhere (the page's own form sends every field).
    for path in [
        "/?action=&partner=&tag=&city=&region=&q=",
        "/calendar.ics?limit=&cursor=&updated_since=",
        "/api/v1/events?status=&from=",
    ] {
        assert_eq!(app.get(path).await.status, 200, "{path}");
    }
}

#[actix_web::test]
async fn links_and_cache_keys_use_the_canonical_form() {
    let app = spawn_app().await;
    seed(&app).await;
    let html = body(
        &page(
            &app,
            "/?q=Palantir&city=+BOSTON&tag=%23CloseTheCamps&x=1",
            "en",
        )
        .await,
    );
    // The subscribe link and the canonical URL carry the filter in canonical order and case.
    assert!(
        html.contains("/calendar.ics?tag=closethecamps&#38;city=boston&#38;q=Palantir"),
        "{html}"
    );
    assert!(
        html.contains(
            "<link rel=\"canonical\" href=\"https://turnout.test/?tag=closethecamps&#38;city=boston&#38;q=Palantir\">"
        ),
        "{html}"
    );
    assert_eq!(
        turnout::domain::filter::cache_key("q=Palantir&city=+BOSTON&tag=%23CloseTheCamps&x=1")
            .expect("valid"),
        "tag=closethecamps&city=boston&q=Palantir"
    );
    // The feed names itself after the filter, spelled as the venues spell it.
    let ics = body(&app.get("/calendar.ics?city=BOSTON&tag=closethecamps").await);
    assert!(
        ics.contains("NAME:Turnout — #CloseTheCamps · Boston\r\n"),
        "{ics}"
    );
}
