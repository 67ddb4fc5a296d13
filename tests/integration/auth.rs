//! Bearer tokens: admin vs organizer, revocation.

use serde_json::json;

use crate::helpers::{event, spawn_app, token};

#[actix_web::test]
async fn writes_need_a_valid_token() {
    let app = spawn_app().await;
    app.seed().await;
    let body = event(
        "March",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    let r = app.write("POST", "/api/v1/events", None, Some(&body)).await;
    assert_eq!(r.problem(401), Vec::<String>::new());
    assert_eq!(
        r.header("www-authenticate").as_deref(),
        Some("Bearer realm=\"turnout\"")
    );
    app.write(
        "POST",
        "/api/v1/events",
        Some("tnt_not-a-real-token"),
        Some(&body),
    )
    .await
    .problem(401);
    app.write(
        "POST",
        "/api/v1/partners",
        None,
        Some(&json!({"slug": "x", "name": "X"})),
    )
    .await
    .problem(401);
    app.write("DELETE", "/api/v1/events/1", None, None)
        .await
        .problem(401);

    // A revoked token stops working at once.
    let t = token(&app.settings, "short-lived", None);
    assert_eq!(
        app.write("POST", "/api/v1/events", Some(&t), Some(&body))
            .await
            .status,
        201
    );
    let mut conn = turnout::db::connect(&app.settings).unwrap();
    turnout::db::queries::auth::revoke_token(&mut conn, "short-lived").unwrap();
    app.write("POST", "/api/v1/events", Some(&t), Some(&body))
        .await
        .problem(401);
}

#[actix_web::test]
async fn organizers_touch_only_their_partners_events() {
    let app = spawn_app().await;
    app.seed().await;
    let mijente = token(&app.settings, "mijente-site", Some("mijente"));
    let cosecha = token(&app.settings, "cosecha-site", Some("cosecha"));

    // An organizer's event gets their partner as host even when not listed.
    let mut body = event(
        "Mijente march",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    body["partners"] = json!([]);
    let r = app
        .write("POST", "/api/v1/events", Some(&mijente), Some(&body))
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let e = r.json();
    assert_eq!(e["partners"][0]["slug"], "mijente");
    let path = format!("/api/v1/events/{}", e["id"]);

    let patch = json!({"title": "Hijacked"});
    app.write("PATCH", &path, Some(&cosecha), Some(&patch))
        .await
        .problem(403);
    app.write("DELETE", &path, Some(&cosecha), None)
        .await
        .problem(403);
    app.write("POST", &format!("{path}/cancel"), Some(&cosecha), None)
        .await
        .problem(403);
    assert_eq!(app.get(&path).await.json()["title"], "Mijente march");

    assert_eq!(
        app.write("PATCH", &path, Some(&mijente), Some(&patch))
            .await
            .status,
        200
    );
    // Admin tokens may change anything.
    assert_eq!(
        app.patch(&path, &json!({"title": "Back"})).await.status,
        200
    );
    // Only admins create partners and actions.
    app.write(
        "POST",
        "/api/v1/partners",
        Some(&mijente),
        Some(&json!({"slug": "x", "name": "X"})),
    )
    .await
    .problem(403);
    // An endorser is not an editor.
    let mut endorsed = event(
        "Endorsed",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    endorsed["partners"] =
        json!([{"slug": "cosecha", "role": "host"}, {"slug": "mijente", "role": "endorser"}]);
    let e2 = app.create_event(&endorsed).await;
    app.write(
        "PATCH",
        &format!("/api/v1/events/{}", e2["id"]),
        Some(&mijente),
        Some(&patch),
    )
    .await
    .problem(403);
}

#[actix_web::test]
async fn without_a_valid_token_nothing_about_the_body_is_revealed() {
    let app = spawn_app().await;
    app.seed().await;
    for _ in 0..20 {
        let r = app
            .write(
                "POST",
                "/api/v1/events",
                Some("tnt_wrong"),
                Some(&json!({"timzone": "x"})),
            )
            .await;
        assert_eq!(r.status, 401);
        let r = app
            .write("POST", "/api/v1/partners", None, Some(&json!({"slug": 5})))
            .await;
        assert_eq!(r.status, 401);
    }
    let organizer = token(&app.settings, "org", Some("mijente"));
    let r = app
        .write(
            "POST",
            "/api/v1/partners",
            Some(&organizer),
            Some(&json!({"slug": 5})),
        )
        .await;
    assert_eq!(r.status, 403, "permission is checked before the body");
}
