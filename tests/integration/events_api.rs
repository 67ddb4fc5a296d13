//! The JSON contract of events (shared/API.md).

use serde_json::json;

use crate::helpers::{event, spawn_app, BASE_URL};

#[actix_web::test]
async fn created_event_has_the_contract_fields() {
    let app = spawn_app().await;
    app.seed().await;
    let mut body = event(
        "Palantir: Never Again Is Now!",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/Los_Angeles",
    );
    body["partners"] = json!([{"slug": "mijente", "role": "host"}, {"slug": "tech-workers-coalition", "role": "co-host"}]);
    body["info_url"] = json!("https://rsvp.example/never-again");
    let e = app.create_event(&body).await;

    let id = e["id"].as_i64().expect("id");
    assert!(
        e["uid"]
            .as_str()
            .is_some_and(|u| u.ends_with("@turnout.test")),
        "{e}"
    );
    assert_eq!(e["start"], "2027-09-13T16:00:00-07:00");
    assert_eq!(e["end"], "2027-09-13T19:00:00-07:00");
    assert_eq!(e["start_utc"], "2027-09-13T23:00:00Z");
    assert_eq!(e["end_utc"], "2027-09-14T02:00:00Z");
    assert_eq!(e["timezone"], "America/Los_Angeles");
    assert_eq!(e["all_day"], false);
    assert_eq!(e["status"], "confirmed");
    assert_eq!(e["sequence"], 0);
    assert_eq!(e["venue"]["city"], "Boston");
    assert!(e["venue"]["id"].is_i64());
    assert_eq!(e["online_url"], json!(null));
    assert_eq!(e["info_url"], "https://rsvp.example/never-again");
    assert_eq!(
        e["action"],
        json!({"slug": "never-again", "title": "Never Again Is Now"})
    );
    assert_eq!(
        e["partners"],
        json!([{"slug": "mijente", "name": "Mijente", "role": "host"},
               {"slug": "tech-workers-coalition", "name": "Tech Workers Coalition", "role": "co-host"}])
    );
    assert_eq!(e["tags"], json!(["NoTechForICE"]));
    assert_eq!(e["url"], format!("{BASE_URL}/events/{id}"));
    assert_eq!(e["html_url"], format!("{BASE_URL}/events/{id}"));
    assert_eq!(e["ics_url"], format!("{BASE_URL}/events/{id}.ics"));
    assert!(e["created_at"].as_str().is_some_and(|s| s.ends_with('Z')));
    assert!(e["updated_at"].is_string());

    // The same object is served by GET, with CORS for partner sites.
    let r = app.get(&format!("/api/v1/events/{id}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert_eq!(r.json(), e);
}

#[actix_web::test]
async fn all_day_event_end_is_the_last_day() {
    let app = spawn_app().await;
    app.seed().await;
    let mut body = event("Encampment", "2027-09-13", "2027-09-15", "America/Chicago");
    body["all_day"] = json!(true);
    let e = app.create_event(&body).await;
    assert_eq!(e["start"], "2027-09-13");
    assert_eq!(e["end"], "2027-09-15");
    assert_eq!(e["start_utc"], "2027-09-13T05:00:00Z");
    assert_eq!(e["end_utc"], "2027-09-16T05:00:00Z");
    // A one-day event may omit its end.
    let mut one = event("Day of action", "2027-09-13", "", "America/Chicago");
    one["all_day"] = json!(true);
    one.as_object_mut().unwrap().remove("end");
    let e = app.create_event(&one).await;
    assert_eq!(e["end"], "2027-09-13");
}

#[actix_web::test]
async fn online_event_needs_no_venue_and_venue_is_reused() {
    let app = spawn_app().await;
    app.seed().await;
    let online = json!({"title": "Phone bank", "start": "2027-09-10T18:00", "end": "2027-09-10T20:00",
                        "timezone": "America/New_York", "online_url": "https://meet.example/phonebank"});
    let e = app.create_event(&online).await;
    assert_eq!(e["venue"], json!(null));
    assert_eq!(e["online_url"], "https://meet.example/phonebank");

    let a = app
        .create_event(&event(
            "A",
            "2027-09-13T10:00",
            "2027-09-13T11:00",
            "America/New_York",
        ))
        .await;
    let b = app
        .create_event(&event(
            "B",
            "2027-09-13T12:00",
            "2027-09-13T13:00",
            "America/New_York",
        ))
        .await;
    assert_eq!(
        a["venue"]["id"], b["venue"]["id"],
        "same name+address+city is one venue"
    );
    let by_id = json!({"title": "C", "start": "2027-09-14T10:00", "end": "2027-09-14T11:00", "venue_id": a["venue"]["id"]});
    let c = app.create_event(&by_id).await;
    assert_eq!(c["venue"]["id"], a["venue"]["id"]);
    assert_eq!(
        c["timezone"], "America/New_York",
        "zone defaults to the venue's"
    );
    let venues = app.get("/api/v1/venues").await.json();
    assert_eq!(venues["venues"].as_array().map(Vec::len), Some(1));
}

#[actix_web::test]
async fn list_filters_and_paginates_in_start_order() {
    let app = spawn_app().await;
    app.seed().await;
    let mut ids = Vec::new();
    for (i, (city, tz)) in [
        ("Boston", "America/New_York"),
        ("Phoenix", "America/Phoenix"),
        ("Honolulu", "Pacific/Honolulu"),
    ]
    .iter()
    .enumerate()
    {
        let mut body = event(
            &format!("March in {city}"),
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            tz,
        );
        body["venue"]["city"] = json!(city);
        body["venue"]["name"] = json!(format!("{city} plaza"));
        if i == 1 {
            body["partners"] = json!([{"slug": "cosecha"}]);
            body["tags"] = json!(["CloseTheCamps"]);
            body.as_object_mut().unwrap().remove("action");
        }
        ids.push(app.create_event(&body).await["id"].as_i64().unwrap());
    }
    let titles = |v: &serde_json::Value| -> Vec<String> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["title"].as_str().unwrap().to_string())
            .collect()
    };
    // 16:00 in Boston, Phoenix, Honolulu: UTC 20:00, 23:00, 02:00 next day.
    let all = app.get("/api/v1/events?from=2027-01-01").await.json();
    assert_eq!(
        titles(&all),
        ["March in Boston", "March in Phoenix", "March in Honolulu"]
    );
    assert_eq!(all["next_cursor"], json!(null));

    assert_eq!(
        titles(
            &app.get("/api/v1/events?from=2027-01-01&city=phoenix")
                .await
                .json()
        ),
        ["March in Phoenix"]
    );
    assert_eq!(
        titles(
            &app.get("/api/v1/events?from=2027-01-01&partner=cosecha")
                .await
                .json()
        ),
        ["March in Phoenix"]
    );
    assert_eq!(
        titles(
            &app.get("/api/v1/events?from=2027-01-01&tag=closethecamps")
                .await
                .json()
        ),
        ["March in Phoenix"]
    );
    assert_eq!(
        titles(
            &app.get("/api/v1/events?from=2027-01-01&action=never-again")
                .await
                .json()
        )
        .len(),
        2
    );
    assert_eq!(
        titles(
            &app.get("/api/v1/events?from=2027-01-01&q=honolulu")
                .await
                .json()
        ),
        ["March in Honolulu"]
    );
    assert_eq!(
        titles(
            &app.get("/api/v1/events?from=2027-01-01&region=MA&country=us")
                .await
                .json()
        )
        .len(),
        3
    );
    assert_eq!(
        titles(
            &app.get("/api/v1/events?from=2027-01-01&q=100%25")
                .await
                .json()
        )
        .len(),
        0,
        "LIKE wildcards are literal"
    );
    // A date bound means the local date, wherever the event is.
    assert_eq!(
        titles(
            &app.get("/api/v1/events?from=2027-09-13&to=2027-09-13")
                .await
                .json()
        )
        .len(),
        3
    );
    assert_eq!(
        titles(&app.get("/api/v1/events?to=2027-09-12").await.json()).len(),
        0
    );
    // An instant bound is an instant.
    assert_eq!(
        titles(
            &app.get("/api/v1/events?from=2027-09-13T22:00:00Z&to=2027-09-14T00:00:00Z")
                .await
                .json()
        ),
        ["March in Boston", "March in Phoenix"]
    );

    // Pages of one, following next_cursor, give every event once, in order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/events?from=2027-01-01&limit=1&cursor={c}"),
            None => "/api/v1/events?from=2027-01-01&limit=1".to_string(),
        };
        let page = app.get(&path).await.json();
        seen.extend(titles(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["March in Boston", "March in Phoenix", "March in Honolulu"]
    );
}

#[actix_web::test]
async fn default_listing_is_upcoming_only() {
    let app = spawn_app().await;
    app.seed().await;
    app.create_event(&event(
        "Past",
        "2020-09-13T16:00",
        "2020-09-13T19:00",
        "America/New_York",
    ))
    .await;
    app.create_event(&event(
        "Future",
        "2030-09-13T16:00",
        "2030-09-13T19:00",
        "America/New_York",
    ))
    .await;
    let list = app.get("/api/v1/events").await.json();
    let titles: Vec<_> = list["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].clone())
        .collect();
    assert_eq!(titles, [json!("Future")]);
}

#[actix_web::test]
async fn patch_changes_only_what_is_given_and_bumps_sequence_on_reschedule() {
    let app = spawn_app().await;
    app.seed().await;
    let e = app
        .create_event(&event(
            "March",
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let path = format!("/api/v1/events/{}", e["id"]);

    let r = app
        .patch(&path, &json!({"title": "March for justice"}))
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let p = r.json();
    assert_eq!(p["title"], "March for justice");
    assert_eq!(p["start"], e["start"]);
    assert_eq!(p["partners"], e["partners"]);
    assert_eq!(p["sequence"], 0, "a title change is not a reschedule");

    let p = app
        .patch(
            &path,
            &json!({"start": "2027-09-13T17:00", "end": "2027-09-13T20:00"}),
        )
        .await
        .json();
    assert_eq!(p["start_utc"], "2027-09-13T21:00:00Z");
    assert_eq!(p["sequence"], 1);
    let p = app
        .patch(
            &path,
            &json!({"venue": {"name": "Copley Square", "city": "Boston"}}),
        )
        .await
        .json();
    assert_eq!(p["venue"]["name"], "Copley Square");
    assert_eq!(p["sequence"], 2, "a new place bumps the sequence");
    let p = app
        .patch(&path, &json!({"info_url": null, "tags": []}))
        .await
        .json();
    assert_eq!(p["tags"], json!([]));
    assert_eq!(p["sequence"], 2);

    // A no-op PATCH changes nothing, not even updated_at.
    let before = p["updated_at"].clone();
    let again = app
        .patch(&path, &json!({"title": "March for justice"}))
        .await
        .json();
    assert_eq!(again["updated_at"], before);

    // A bad PATCH leaves the event as it was.
    let r = app.patch(&path, &json!({"end": "2027-09-13T10:00"})).await;
    assert_eq!(r.problem(422), ["end"]);
    assert_eq!(
        app.get(&path).await.json()["end_utc"],
        "2027-09-14T00:00:00Z"
    );
}

#[actix_web::test]
async fn cancel_keeps_the_event_listed_and_raises_sequence() {
    let app = spawn_app().await;
    app.seed().await;
    let e = app
        .create_event(&event(
            "March",
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let r = app
        .write(
            "POST",
            &format!("/api/v1/events/{}/cancel", e["id"]),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let c = r.json();
    assert_eq!(c["status"], "cancelled");
    assert_eq!(c["sequence"], 1);
    let list = app.get("/api/v1/events?from=2027-01-01").await.json();
    assert_eq!(list["events"][0]["status"], "cancelled");
    let confirmed = app
        .get("/api/v1/events?from=2027-01-01&status=confirmed,tentative")
        .await
        .json();
    assert_eq!(confirmed["events"].as_array().map(Vec::len), Some(0));
}

#[actix_web::test]
async fn delete_is_soft_and_restorable_with_revisions() {
    let app = spawn_app().await;
    app.seed().await;
    let e = app
        .create_event(&event(
            "March",
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let path = format!("/api/v1/events/{}", e["id"]);
    app.patch(&path, &json!({"description": "Meet at the fountain."}))
        .await;
    let r = app
        .write("DELETE", &path, Some(&app.admin_token), None)
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(app.get(&path).await.problem(410), Vec::<String>::new());
    assert_eq!(
        app.get("/api/v1/events?from=2027-01-01").await.json()["events"],
        json!([])
    );
    app.write("DELETE", &path, Some(&app.admin_token), None)
        .await
        .problem(410);

    let r = app
        .write(
            "POST",
            &format!("{path}/restore"),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["description"], "Meet at the fountain.");
    assert_eq!(app.get(&path).await.status, 200);

    let revs = app
        .write(
            "GET",
            &format!("{path}/revisions"),
            Some(&app.admin_token),
            None,
        )
        .await
        .json();
    let kinds: Vec<_> = revs["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["create", "update", "delete", "restore"]);
    assert_eq!(
        revs["revisions"][0]["snapshot"]["event"]["description"],
        "Bring signs."
    );
    assert_eq!(revs["revisions"][0]["actor"], "token:test-admin");
}

#[actix_web::test]
async fn uid_given_is_kept_and_never_reused() {
    let app = spawn_app().await;
    app.seed().await;
    let mut body = event(
        "March",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    body["uid"] = json!("evt-00001@peers.bench");
    let e = app.create_event(&body).await;
    assert_eq!(e["uid"], "evt-00001@peers.bench");
    app.post("/api/v1/events", &body).await.problem(409);
    // Even once deleted, the uid stays taken.
    app.write(
        "DELETE",
        &format!("/api/v1/events/{}", e["id"]),
        Some(&app.admin_token),
        None,
    )
    .await;
    app.post("/api/v1/events", &body).await.problem(409);
}

#[actix_web::test]
async fn public_reads_carry_validators_and_authenticated_ones_stay_private() {
    let app = spawn_app().await;
    app.seed().await;
    let e = app
        .create_event(&event(
            "Cached",
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let path = "/api/v1/events?from=2027-01-01";
    let first = app.get(path).await;
    let etag = first.header("etag").expect("an ETag");
    assert!(first
        .header("cache-control")
        .is_some_and(|c| c.starts_with("public")));
    let again = app
        .send(
            app.client
                .get(app.url(path))
                .insert_header(("if-none-match", etag.as_str())),
            None,
        )
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag").as_deref(), Some(etag.as_str()));
    assert_eq!(
        again.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    // A change gives another ETag, so the old one no longer matches.
    let id = e["id"].as_i64().unwrap();
    app.patch(
        &format!("/api/v1/events/{id}"),
        &json!({"title": "Changed"}),
    )
    .await;
    let changed = app
        .send(
            app.client
                .get(app.url(path))
                .insert_header(("if-none-match", etag.as_str())),
            None,
        )
        .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(etag));
    // With a token, or the revision history: never stored by a cache.
    let r = app
        .send(
            app.client
                .get(app.url(&format!("/api/v1/events/{id}/revisions")))
                .bearer_auth(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("cache-control").as_deref(),
        Some("private, no-store")
    );
    assert_eq!(r.header("etag"), None);
}
