//! `updated_since`: partner sites keep an exact copy with changes and tombstones.

use serde_json::json;

use crate::helpers::{event, spawn_app};

#[actix_web::test]
async fn sync_returns_changes_and_tombstones() {
    let app = spawn_app().await;
    app.seed().await;
    let a = app
        .create_event(&event(
            "A",
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let b = app
        .create_event(&event(
            "B",
            "2027-09-14T16:00",
            "2027-09-14T19:00",
            "America/New_York",
        ))
        .await;
    let c = app
        .create_event(&event(
            "C",
            "2020-09-14T16:00",
            "2020-09-14T19:00",
            "America/New_York",
        ))
        .await;

    // synced_at trails the read by a safety margin; let it pass.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2500)).await;
    let first = app
        .get("/api/v1/events?updated_since=2000-01-01T00:00:00Z")
        .await
        .json();
    let uids: Vec<_> = first["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["uid"].clone())
        .collect();
    assert_eq!(
        uids,
        [a["uid"].clone(), b["uid"].clone(), c["uid"].clone()],
        "past events sync too"
    );
    assert_eq!(first["deleted"], json!([]));
    let since = first["synced_at"].as_str().unwrap().to_string();

    // Nothing changed: nothing to fetch.
    let none = app
        .get(&format!("/api/v1/events?updated_since={since}"))
        .await
        .json();
    assert_eq!(none["events"], json!([]));

    app.patch(
        &format!("/api/v1/events/{}", b["id"]),
        &json!({"title": "B moved"}),
    )
    .await;
    app.write(
        "DELETE",
        &format!("/api/v1/events/{}", a["id"]),
        Some(&app.admin_token),
        None,
    )
    .await;

    let delta = app
        .get(&format!("/api/v1/events?updated_since={since}"))
        .await
        .json();
    let titles: Vec<_> = delta["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].clone())
        .collect();
    assert_eq!(titles, [json!("B moved")]);
    let deleted = delta["deleted"].as_array().unwrap();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["id"], a["id"]);
    assert_eq!(deleted[0]["uid"], a["uid"]);
    assert!(deleted[0]["deleted_at"]
        .as_str()
        .is_some_and(|s| s.ends_with('Z')));
}

#[actix_web::test]
async fn sync_pages_do_not_skip_or_repeat() {
    let app = spawn_app().await;
    app.seed().await;
    for i in 0..7 {
        app.create_event(&event(
            &format!("E{i}"),
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/events?updated_since=2000-01-01T00:00:00Z&limit=3".to_string();
    loop {
        let page = app.get(&path).await.json();
        seen.extend(
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["title"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => {
                path =
                    format!("/api/v1/events?updated_since=2000-01-01T00:00:00Z&limit=3&cursor={c}")
            }
            None => break,
        }
    }
    assert_eq!(seen, ["E0", "E1", "E2", "E3", "E4", "E5", "E6"]);
}

#[actix_web::test]
async fn a_deletion_during_paging_is_not_lost() {
    let app = spawn_app().await;
    app.seed().await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let e = app
            .create_event(&event(
                &format!("E{i}"),
                "2027-09-13T16:00",
                "2027-09-13T19:00",
                "America/New_York",
            ))
            .await;
        ids.push(e["id"].clone());
    }
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2500)).await;
    let first = app
        .get("/api/v1/events?updated_since=2000-01-01T00:00:00Z&limit=2")
        .await
        .json();
    // Deleted while the client is between pages.
    app.write(
        "DELETE",
        &format!("/api/v1/events/{}", ids[0]),
        Some(&app.admin_token),
        None,
    )
    .await;
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = app
        .get(&format!(
            "/api/v1/events?updated_since=2000-01-01T00:00:00Z&limit=2&cursor={cursor}"
        ))
        .await
        .json();
    assert_eq!(
        second["synced_at"], first["synced_at"],
        "every page of a sync reports the same synced_at"
    );
    let since = second["synced_at"].as_str().unwrap();
    let next = app
        .get(&format!("/api/v1/events?updated_since={since}"))
        .await
        .json();
    let deleted: Vec<_> = next["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].clone())
        .collect();
    assert_eq!(deleted, [ids[0].clone()]);
}
