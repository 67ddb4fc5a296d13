//! Every bad input class: a clear 4xx problem+json naming the field, and nothing stored changes.

use serde_json::json;

use crate::helpers::{event, spawn_app};

#[actix_web::test]
async fn bad_bodies_are_4xx_and_store_nothing() {
    let app = spawn_app().await;
    app.seed().await;
    let good = event(
        "March",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    let existing = app.create_event(&good).await;

    // Malformed JSON.
    let r = app
        .post_raw(
            "/api/v1/events",
            "application/json",
            b"{\"title\": \"x\",".to_vec(),
        )
        .await;
    r.problem(400);
    assert!(r.json()["detail"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
    // Not JSON at all.
    app.post_raw("/api/v1/events", "text/plain", b"title=x".to_vec())
        .await
        .problem(415);
    // Wrong types, named by path.
    let mut wrong = good.clone();
    wrong["all_day"] = json!("yes");
    assert_eq!(
        app.post("/api/v1/events", &wrong).await.problem(422),
        ["all_day"]
    );
    let mut wrong = good.clone();
    wrong["partners"] = json!([{"slug": "mijente"}, {"slug": 7}]);
    assert_eq!(
        app.post("/api/v1/events", &wrong).await.problem(422),
        ["partners[1].slug"]
    );
    let mut wrong = good.clone();
    wrong["status"] = json!("maybe");
    assert_eq!(
        app.post("/api/v1/events", &wrong).await.problem(422),
        ["status"]
    );
    let mut wrong = good.clone();
    wrong["partners"] = json!([{"slug": "mijente", "role": "boss"}]);
    assert_eq!(
        app.post("/api/v1/events", &wrong).await.problem(422),
        ["partners[0].role"]
    );
    // A misspelt field is not silently ignored.
    let mut wrong = good.clone();
    wrong["timzone"] = json!("America/New_York");
    assert_eq!(
        app.post("/api/v1/events", &wrong).await.problem(422),
        ["timzone"]
    );
    app.post("/api/v1/events", &json!([1, 2]))
        .await
        .problem(422);

    // Unknown references.
    let mut wrong = good.clone();
    wrong["action"] = json!("no-such-action");
    wrong["partners"] = json!([{"slug": "mijente"}, {"slug": "nobody"}]);
    let r = app.post("/api/v1/events", &wrong).await;
    assert_eq!(r.problem(422), ["action", "partners[1].slug"]);
    assert!(r.message("partners[1].slug").contains("\"nobody\""));
    let mut wrong = good.clone();
    wrong.as_object_mut().unwrap().remove("venue");
    wrong["venue_id"] = json!(999);
    assert_eq!(
        app.post("/api/v1/events", &wrong).await.problem(422),
        ["venue_id"]
    );

    // Over-long fields are refused, never truncated.
    let mut long = good.clone();
    long["title"] = json!("x".repeat(201));
    let r = app.post("/api/v1/events", &long).await;
    assert_eq!(r.problem(422), ["title"]);
    assert!(r.message("title").contains("limit is 200"));
    let mut long = good.clone();
    long["venue"]["city"] = json!("c".repeat(101));
    assert_eq!(
        app.post("/api/v1/events", &long).await.problem(422),
        ["venue.city"]
    );
    let mut hostile = good.clone();
    hostile["title"] = json!("x\r\nATTENDEE:mailto:a@b");
    assert_eq!(
        app.post("/api/v1/events", &hostile).await.problem(422),
        ["title"]
    );
    let mut js = good.clone();
    js["info_url"] = json!("javascript:alert(1)");
    assert_eq!(
        app.post("/api/v1/events", &js).await.problem(422),
        ["info_url"]
    );
    let mut quote = good.clone();
    quote["online_url"] = json!("https://meet.example/\"onmouseover=\"alert(1)");
    assert_eq!(
        app.post("/api/v1/events", &quote).await.problem(422),
        ["online_url"]
    );
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("title");
    assert_eq!(
        app.post("/api/v1/events", &missing).await.problem(422),
        ["title"]
    );

    // Oversized bodies are capped before parsing.
    let mut huge = good.clone();
    huge["description"] = json!("y".repeat(200_000));
    app.post("/api/v1/events", &huge).await.problem(413);

    // Still exactly the one event, unchanged.
    let list = app.get("/api/v1/events?from=2000-01-01").await.json();
    assert_eq!(list["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["events"][0], existing);
}

#[actix_web::test]
async fn bad_query_parameters_and_paths() {
    let app = spawn_app().await;
    app.seed().await;
    assert_eq!(
        app.get("/api/v1/events?limit=0").await.problem(422),
        ["limit"]
    );
    assert_eq!(
        app.get("/api/v1/events?limit=501").await.problem(422),
        ["limit"]
    );
    assert_eq!(
        app.get("/api/v1/events?limit=ten").await.problem(422),
        ["limit"]
    );
    assert_eq!(
        app.get("/api/v1/events?cursor=bogus").await.problem(422),
        ["cursor"]
    );
    assert_eq!(
        app.get("/api/v1/events?from=yesterday").await.problem(422),
        ["from"]
    );
    assert_eq!(
        app.get("/api/v1/events?updated_since=2027-01-01")
            .await
            .problem(422),
        ["updated_since"]
    );
    assert_eq!(
        app.get("/api/v1/events?status=maybe").await.problem(422),
        ["status"]
    );
    assert_eq!(
        app.get("/api/v1/events?action=nope").await.problem(422),
        ["action"]
    );
    assert_eq!(
        app.get("/api/v1/events?partner=nope").await.problem(422),
        ["partner"]
    );
    app.get("/api/v1/events/abc").await.problem(404);
    app.get("/api/v1/events/99999999999").await.problem(404);
    app.get("/api/v1/events/42").await.problem(404);
    app.get("/api/v1/partners/nope").await.problem(404);
    app.get("/api/v1/actions/nope").await.problem(404);
    app.get("/api/v1/nothing-here").await.problem(404);
    app.patch("/api/v1/events/42", &json!({"title": "x"}))
        .await
        .problem(404);
}

#[actix_web::test]
async fn bad_partner_action_and_venue_inputs() {
    let app = spawn_app().await;
    app.seed().await;
    let r = app
        .post("/api/v1/partners", &json!({"slug": "Bad Slug", "name": ""}))
        .await;
    assert_eq!(r.problem(422), ["slug", "name"]);
    app.post(
        "/api/v1/partners",
        &json!({"slug": "mijente", "name": "Again"}),
    )
    .await
    .problem(409);
    let r = app.post("/api/v1/actions", &json!({"slug": "a", "title": "A", "first_day": "2027-09-14", "last_day": "2027-09-13", "partners": ["mijente", "ghost"]})).await;
    assert_eq!(r.problem(422), ["last_day"]);
    let r = app
        .post(
            "/api/v1/actions",
            &json!({"slug": "a", "title": "A", "partners": ["mijente", "ghost"]}),
        )
        .await;
    assert_eq!(r.problem(422), ["partners[1]"]);
    let r = app
        .post(
            "/api/v1/venues",
            &json!({"name": "Plaza", "lat": 100, "lon": 0, "timezone": "Nowhere/Land"}),
        )
        .await;
    let fields = r.problem(422);
    assert!(
        fields.contains(&"lat".to_string()) && fields.contains(&"timezone".to_string()),
        "{fields:?}"
    );
    let r = app
        .post(
            "/api/v1/venues",
            &json!({"name": "Plaza", "city": "Boston", "timezone": "America/New_York"}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["city"], "Boston");
}
