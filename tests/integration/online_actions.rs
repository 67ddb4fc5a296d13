//! The JSON contract of online actions (issue 16; shared/API.md conventions as for events):
//! output shape, filters, paging, sync with tombstones, merge-patch, bad input and auth, all
//! through the real HTTP server.

use serde_json::{json, Value};

use crate::helpers::{event, spawn_app, text, token, Response, TestApp, BASE_URL};

const ONLINE: &str = "/api/v1/online-actions";

/// A valid petition of the seeded day of action, behind mijente.
fn petition(title: &str) -> Value {
    json!({
        "kind": "petition",
        "title": title,
        "description": "Tell Palantir: no tech for ICE.",
        "action": "never-again",
        "partners": ["mijente"],
        "url": "https://actionnetwork.example/petitions/palantir",
        "goal": 100,
        "count": 37,
        "deadline": "2027-09-30",
        "timezone": "America/Los_Angeles",
    })
}

/// Creates an online action as admin, failing the test on any error.
async fn create(app: &TestApp, body: &Value) -> Value {
    let r = app.post(ONLINE, body).await;
    assert_eq!(r.status, 201, "{}", text(&r));
    r.json()
}

/// The partner slugs of an online action, in order.
fn slugs(o: &Value) -> Vec<String> {
    o["partners"]
        .as_array()
        .unwrap_or_else(|| panic!("no partners: {o}"))
        .iter()
        .map(|p| p["slug"].as_str().expect("slug").to_string())
        .collect()
}

/// Sends `DELETE path` as `token`.
async fn delete(app: &TestApp, path: &str, token: &str) -> Response {
    app.write("DELETE", path, Some(token), None).await
}

fn one(id: &Value) -> String {
    format!("{ONLINE}/{id}")
}

/// The ids of a listing, in order.
fn ids(list: &Value) -> Vec<i64> {
    list["online_actions"]
        .as_array()
        .unwrap_or_else(|| panic!("not a listing: {list}"))
        .iter()
        .map(|o| o["id"].as_i64().expect("id"))
        .collect()
}

async fn list(app: &TestApp, query: &str) -> Value {
    let r = app.get(&format!("{ONLINE}?{query}")).await;
    assert_eq!(r.status, 200, "{query}: {}", text(&r));
    r.json()
}

/// Sends a JSON merge patch (`application/merge-patch+json`) as `token`.
async fn merge_patch(app: &TestApp, path: &str, token: &str, body: &Value) -> Response {
    let mut res = app
        .client
        .patch(app.url(path))
        .bearer_auth(token)
        .insert_header(("content-type", "application/merge-patch+json"))
        .send_body(serde_json::to_vec(body).expect("JSON"))
        .await
        .expect("sent");
    let bytes = res.body().await.expect("body read");
    Response {
        status: res.status(),
        headers: res.headers().clone(),
        body: bytes.to_vec(),
    }
}

#[actix_web::test]
async fn created_online_action_has_the_contract_fields() {
    let app = spawn_app().await;
    app.seed().await;
    let mut body = petition("Palantir, End Your Contract with ICE or Leave Seattle");
    body["partners"] = json!(["mijente", "tech-workers-coalition"]);
    let r = app.post(ONLINE, &body).await;
    assert_eq!(r.status, 201, "{}", text(&r));
    let o = r.json();
    let id = o["id"].as_i64().expect("id");
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/online-actions/{id}"))
    );
    assert!(
        o["uid"]
            .as_str()
            .is_some_and(|u| u.starts_with("online-") && u.ends_with("@turnout.test")),
        "{o}"
    );
    assert_eq!(o["kind"], "petition");
    assert_eq!(
        o["title"],
        "Palantir, End Your Contract with ICE or Leave Seattle"
    );
    assert_eq!(o["description"], "Tell Palantir: no tech for ICE.");
    assert_eq!(
        o["action"],
        json!({"slug": "never-again", "title": "Never Again Is Now"})
    );
    assert_eq!(
        o["partners"],
        json!([{"slug": "mijente", "name": "Mijente"},
               {"slug": "tech-workers-coalition", "name": "Tech Workers Coalition"}])
    );
    assert_eq!(o["url"], "https://actionnetwork.example/petitions/palantir");
    assert_eq!(o["goal"], 100);
    assert_eq!(o["count"], 37);
    assert_eq!(o["deadline"], "2027-09-30");
    assert_eq!(o["timezone"], "America/Los_Angeles");
    assert_eq!(o["status"], "open", "open by default");
    assert_eq!(o["html_url"], format!("{BASE_URL}/online-actions/{id}"));
    for at in ["created_at", "updated_at"] {
        assert!(
            o[at].as_str().is_some_and(
                |s| s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok()
            ),
            "{at}: {o}"
        );
    }
    assert_eq!(
        o.as_object().expect("object").len(),
        16,
        "no key beyond the contract: {o}"
    );

    // The same object is served by GET without a token, with CORS for partner sites, and in
    // the listing.
    let r = app.get(&format!("{ONLINE}/{id}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert_eq!(r.json(), o);
    let all = list(&app, "").await;
    assert_eq!(all["online_actions"], json!([o]));
    assert_eq!(all["next_cursor"], Value::Null);
    assert!(all.get("deleted").is_none() && all.get("synced_at").is_none());
}

#[actix_web::test]
async fn only_required_fields_give_nulls_and_defaults() {
    let app = spawn_app().await;
    app.seed().await;
    let o = create(
        &app,
        &json!({"kind": "call-in", "title": "Call your senator", "url": "https://calls.example/senate"}),
    )
    .await;
    assert_eq!(o["kind"], "call-in");
    assert_eq!(o["description"], "");
    assert_eq!(o["action"], Value::Null);
    assert_eq!(o["partners"], json!([]));
    assert_eq!(o["goal"], Value::Null);
    assert_eq!(o["count"], Value::Null);
    assert_eq!(o["deadline"], Value::Null);
    assert_eq!(
        o["timezone"], "UTC",
        "a stand-alone one's deadline is in UTC"
    );
    assert_eq!(o["status"], "open");

    // Of a day of action: the zone most of its events use.
    for tz in ["America/Chicago", "America/Chicago", "America/New_York"] {
        app.create_event(&event("Rally", "2027-09-13T16:00", "2027-09-13T19:00", tz))
            .await;
    }
    let mut body = petition("Zoned");
    body.as_object_mut().expect("object").remove("timezone");
    assert_eq!(create(&app, &body).await["timezone"], "America/Chicago");
}

/// Three online actions: (petition, never-again, mijente, open), (letter, none,
/// tech-workers-coalition, closed), (call-in, never-again, mijente + cosecha, won).
async fn three(app: &TestApp) -> [i64; 3] {
    let a = create(app, &petition("Petition")).await;
    let b = create(
        app,
        &json!({"kind": "letter", "title": "Letter", "partners": ["tech-workers-coalition"],
                "url": "https://letters.example/1", "status": "closed"}),
    )
    .await;
    let c = create(
        app,
        &json!({"kind": "call-in", "title": "Call-in", "action": "never-again",
                "partners": ["mijente", "cosecha"], "url": "https://calls.example/1",
                "status": "won"}),
    )
    .await;
    [a, b, c].map(|o| o["id"].as_i64().expect("id"))
}

#[actix_web::test]
async fn listing_filters_by_action_partner_kind_and_status() {
    let app = spawn_app().await;
    app.seed().await;
    let [a, b, c] = three(&app).await;
    for (query, want) in [
        ("", vec![a, b, c]),
        ("action=never-again", vec![a, c]),
        ("partner=mijente", vec![a, c]),
        ("partner=cosecha", vec![c]),
        ("partner=tech-workers-coalition", vec![b]),
        ("kind=petition", vec![a]),
        ("kind=letter", vec![b]),
        ("kind=call-in", vec![c]),
        ("kind=pledge", vec![]),
        ("status=open", vec![a]),
        ("status=closed", vec![b]),
        ("status=won", vec![c]),
        ("action=never-again&status=won", vec![c]),
        ("partner=mijente&kind=petition", vec![a]),
        ("partner=cosecha&kind=petition", vec![]),
        // Empty and unknown parameters are ignored.
        ("kind=&status=&bogus=1", vec![a, b, c]),
    ] {
        assert_eq!(ids(&list(&app, query).await), want, "{query}");
    }

    // An unknown value is 422 naming its parameter; every bad one is named.
    for (query, fields) in [
        ("action=no-such-action", vec!["action"]),
        ("partner=no-such-partner", vec!["partner"]),
        ("kind=rally", vec!["kind"]),
        ("status=done", vec!["status"]),
        ("status=open,won", vec!["status"]),
        ("updated_since=yesterday", vec!["updated_since"]),
        ("limit=0", vec!["limit"]),
        ("limit=ten", vec!["limit"]),
        ("cursor=bogus", vec!["cursor"]),
        ("kind=rally&status=done", vec!["kind", "status"]),
    ] {
        let r = app.get(&format!("{ONLINE}?{query}")).await;
        assert_eq!(r.problem(422), fields, "{query}");
    }
    let r = app.get(&format!("{ONLINE}?kind=rally")).await;
    assert!(r.message("kind").contains("petition"), "{}", text(&r));
    // A parameter given twice is a 400.
    app.get(&format!("{ONLINE}?kind=letter&kind=petition"))
        .await
        .problem(400);
}

/// Follows `next_cursor` from `query` with `limit=1`; the ids seen and the answers.
async fn pages(app: &TestApp, query: &str) -> (Vec<i64>, Vec<Value>) {
    let mut seen = Vec::new();
    let mut answers = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("{query}&limit=1&cursor={c}"),
            None => format!("{query}&limit=1"),
        };
        let page = list(app, &q).await;
        let got = ids(&page);
        assert!(got.len() <= 1, "{page}");
        seen.extend(got);
        cursor = page["next_cursor"].as_str().map(str::to_string);
        answers.push(page);
        if cursor.is_none() {
            return (seen, answers);
        }
        assert!(answers.len() < 10, "paging does not end: {seen:?}");
    }
}

#[actix_web::test]
async fn paging_has_no_repeats_and_no_gaps() {
    let app = spawn_app().await;
    app.seed().await;
    let [a, b, c] = three(&app).await;
    let (seen, answers) = pages(&app, "bogus=1").await;
    assert_eq!(seen, [a, b, c]);
    assert!(answers.len() <= 4, "{answers:?}");
    // With a filter, the cursor keeps it.
    let (seen, _) = pages(&app, "partner=mijente").await;
    assert_eq!(seen, [a, c]);
    // A sync pages in order of last change; every page reports the first page's synced_at.
    app.patch(&format!("{ONLINE}/{a}"), &json!({"count": 40}))
        .await;
    let (seen, answers) = pages(&app, "updated_since=2000-01-01T00:00:00Z").await;
    assert_eq!(seen, [b, c, a]);
    let synced: Vec<&Value> = answers.iter().map(|p| &p["synced_at"]).collect();
    assert!(synced[0].is_string(), "{answers:?}");
    assert!(synced.iter().all(|s| *s == synced[0]), "{synced:?}");
    assert_eq!(
        answers[1]["deleted"],
        json!([]),
        "tombstones come on the first page"
    );
}

#[actix_web::test]
async fn sync_reports_changes_and_tombstones_and_deleted_ones_are_gone() {
    let app = spawn_app().await;
    app.seed().await;
    let [a, b, c] = three(&app).await;
    let first = list(&app, "updated_since=2000-01-01T00:00:00Z").await;
    assert_eq!(ids(&first), [a, b, c]);
    assert_eq!(first["deleted"], json!([]));
    let synced_at = first["synced_at"].as_str().expect("synced_at").to_string();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&synced_at).is_ok() && synced_at.ends_with('Z'),
        "{synced_at}"
    );
    let uid_b = app.get(&format!("{ONLINE}/{b}")).await.json()["uid"].clone();

    let r = delete(&app, &format!("{ONLINE}/{b}"), &app.admin_token).await;
    assert_eq!(r.status, 204, "{}", text(&r));
    assert!(r.body.is_empty());

    // The next sync (from the first one's synced_at) has the tombstone; the deleted one is in
    // no listing.
    let encoded = synced_at.replace('+', "%2B");
    let next = list(&app, &format!("updated_since={encoded}")).await;
    let deleted = next["deleted"].as_array().expect("deleted");
    assert_eq!(deleted.len(), 1, "{next}");
    assert_eq!(deleted[0]["id"], b);
    assert_eq!(deleted[0]["uid"], uid_b);
    assert!(
        deleted[0]["deleted_at"]
            .as_str()
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
        "{next}"
    );
    assert!(!ids(&next).contains(&b), "{next}");
    assert_eq!(ids(&list(&app, "").await), [a, c]);
    assert_eq!(ids(&list(&app, "kind=letter").await), Vec::<i64>::new());
    // Tombstones whatever the filters.
    let filtered = list(&app, "updated_since=2000-01-01T00:00:00Z&kind=petition").await;
    assert_eq!(ids(&filtered), [a]);
    assert_eq!(filtered["deleted"][0]["id"], b);
    // Nothing changed after a time in the future.
    let later = list(&app, "updated_since=2999-01-01T00:00:00Z").await;
    assert_eq!(later["online_actions"], json!([]));
    assert_eq!(later["deleted"], json!([]));

    // A deleted one answers 410 to reads and writes; an unknown one 404.
    let path = format!("{ONLINE}/{b}");
    app.get(&path).await.problem(410);
    app.patch(&path, &json!({"count": 1})).await.problem(410);
    delete(&app, &path, &app.admin_token).await.problem(410);
    for missing in ["999999", "0", "-1", "abc"] {
        app.get(&format!("{ONLINE}/{missing}")).await.problem(404);
        delete(&app, &format!("{ONLINE}/{missing}"), &app.admin_token)
            .await
            .problem(404);
    }
}

#[actix_web::test]
async fn patch_merges_and_null_clears() {
    let app = spawn_app().await;
    app.seed().await;
    let o = create(&app, &petition("Patched")).await;
    let path = one(&o["id"]);

    // The count updated by hand.
    let r = merge_patch(&app, &path, &app.admin_token, &json!({"count": 52})).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let p = r.json();
    assert_eq!(p["count"], 52);
    for kept in [
        "kind",
        "title",
        "description",
        "action",
        "partners",
        "url",
        "goal",
        "deadline",
        "timezone",
        "status",
        "uid",
        "created_at",
    ] {
        assert_eq!(p[kept], o[kept], "{kept} stays");
    }
    assert_eq!(app.get(&path).await.json(), p, "the change is stored");

    // `null` clears a field; plain application/json works too.
    let r = app
        .patch(&path, &json!({"goal": null, "deadline": null}))
        .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let p = r.json();
    assert_eq!(p["goal"], Value::Null);
    assert_eq!(p["deadline"], Value::Null);
    assert_eq!(p["count"], 52);

    // Lists are replaced; a status change; the action cleared.
    let r = app
        .patch(
            &path,
            &json!({"partners": ["cosecha", "tech-workers-coalition"], "status": "won",
                    "action": null}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let p = r.json();
    assert_eq!(
        p["partners"],
        json!([{"slug": "cosecha", "name": "Movimiento Cosecha"},
               {"slug": "tech-workers-coalition", "name": "Tech Workers Coalition"}])
    );
    assert_eq!(p["status"], "won");
    assert_eq!(p["action"], Value::Null);
    assert_eq!(
        ids(&list(&app, "status=won").await),
        [o["id"].as_i64().unwrap()]
    );

    // A patch that changes nothing writes nothing.
    let again = app.patch(&path, &json!({"count": 52})).await.json();
    assert_eq!(again["updated_at"], p["updated_at"]);

    // A bad patch is 422 naming the field and changes nothing.
    for (patch, field) in [
        (json!({"count": -1}), "count"),
        (json!({"goal": 0}), "goal"),
        (json!({"goal": "ten"}), "goal"),
        (json!({"url": "javascript:alert(1)"}), "url"),
        (json!({"url": null}), "url"),
        (json!({"kind": "rally"}), "kind"),
        (json!({"title": null}), "title"),
        (json!({"deadline": "30/09/2027"}), "deadline"),
        (json!({"partners": ["no-such-partner"]}), "partners[0]"),
        (json!({"bogus": 1}), "bogus"),
    ] {
        let r = app.patch(&path, &patch).await;
        assert_eq!(r.problem(422), [field], "{patch}");
    }
    assert_eq!(
        app.get(&path).await.json(),
        p,
        "refused patches changed nothing"
    );
    // A body that is not an object.
    assert_eq!(app.patch(&path, &json!([1])).await.status, 422);
}

#[actix_web::test]
async fn bad_input_is_422_naming_the_field() {
    let app = spawn_app().await;
    app.seed().await;
    for (change, field) in [
        (json!({"url": "javascript:alert(1)"}), "url"),
        (json!({"url": "ftp://files.example/petition"}), "url"),
        (json!({"count": -1}), "count"),
        (json!({"goal": 0}), "goal"),
        (json!({"goal": 1_000_000_001_i64}), "goal"),
        (json!({"kind": "rally"}), "kind"),
        (json!({"status": "done"}), "status"),
        (json!({"deadline": "30/09/2027"}), "deadline"),
        (json!({"deadline": "2027-02-30"}), "deadline"),
        (json!({"timezone": "Mars/Olympus_Mons"}), "timezone"),
        (json!({"action": "no-such-action"}), "action"),
        (json!({"partners": ["no-such-partner"]}), "partners[0]"),
        (
            json!({"partners": ["mijente", "no-such-partner"]}),
            "partners[1]",
        ),
        (json!({"partners": ["mijente", "mijente"]}), "partners[1]"),
        (json!({"title": ""}), "title"),
        (json!({"title": "x".repeat(201)}), "title"),
        // Wrong JSON types name the field too.
        (json!({"goal": "ten"}), "goal"),
        (json!({"count": 1.5}), "count"),
        (json!({"count": "37"}), "count"),
        (json!({"partners": "mijente"}), "partners"),
        (json!({"partners": [3]}), "partners[0]"),
        (json!({"title": 5}), "title"),
        (json!({"deadline": 20270930}), "deadline"),
        (json!({"kind": ["petition"]}), "kind"),
        (json!({"bogus": 1}), "bogus"),
    ] {
        let mut body = petition("Bad");
        for (k, v) in change.as_object().expect("object") {
            body[k] = v.clone();
        }
        let r = app.post(ONLINE, &body).await;
        assert_eq!(r.problem(422), [field], "{change}");
    }
    let r = app
        .post(ONLINE, &json!({"kind": "petition", "bogus": 1}))
        .await;
    assert!(r.message("bogus").contains("unknown field"), "{}", text(&r));
    // Missing required fields, all named.
    assert_eq!(
        app.post(ONLINE, &json!({})).await.problem(422),
        ["kind", "title", "url"]
    );
    // Not JSON, not JSON-typed.
    app.post_raw(ONLINE, "application/json", b"not json".to_vec())
        .await
        .problem(400);
    app.post_raw(ONLINE, "text/plain", b"{}".to_vec())
        .await
        .problem(415);
    assert_eq!(
        ids(&list(&app, "").await),
        Vec::<i64>::new(),
        "nothing was stored"
    );

    // A count above the goal is fine; so is a count of 0.
    let mut body = petition("Over the top");
    body["goal"] = json!(10);
    body["count"] = json!(250);
    let o = create(&app, &body).await;
    assert_eq!((&o["goal"], &o["count"]), (&json!(10), &json!(250)));
    body["count"] = json!(0);
    assert_eq!(create(&app, &body).await["count"], 0);
}

#[actix_web::test]
async fn writes_need_a_token_and_organizers_change_only_their_own() {
    let app = spawn_app().await;
    app.seed().await;
    let admin = app.admin_token.clone();
    let mijente = token(&app.settings, "mijente-site", Some("mijente"));
    let cosecha = token(&app.settings, "cosecha-site", Some("cosecha"));

    // No token, or a bad one: 401 on every write.
    let theirs = create(&app, &petition("Admin's")).await;
    let path = one(&theirs["id"]);
    for t in [None, Some("tnt_not-a-token")] {
        for (method, p, body) in [
            ("POST", ONLINE.to_string(), Some(petition("Anonymous"))),
            ("PATCH", path.clone(), Some(json!({"count": 1}))),
            ("DELETE", path.clone(), None),
        ] {
            let r = app.write(method, &p, t, body.as_ref()).await;
            r.problem(401);
            assert!(r.header("www-authenticate").is_some(), "{method} {p}");
        }
    }
    assert_eq!(
        ids(&list(&app, "").await).len(),
        1,
        "nothing anonymous was stored"
    );

    // An organizer's partner is added (first) when not listed, not listed twice when it is.
    let mut body = petition("Organized");
    body["partners"] = json!(["tech-workers-coalition"]);
    let r = app.write("POST", ONLINE, Some(&mijente), Some(&body)).await;
    assert_eq!(r.status, 201, "{}", text(&r));
    let own = r.json();
    assert_eq!(slugs(&own), ["mijente", "tech-workers-coalition"]);
    body["partners"] = json!(["tech-workers-coalition", "mijente"]);
    let r = app.write("POST", ONLINE, Some(&mijente), Some(&body)).await;
    assert_eq!(slugs(&r.json()), ["tech-workers-coalition", "mijente"]);
    body.as_object_mut().expect("object").remove("partners");
    let r = app.write("POST", ONLINE, Some(&cosecha), Some(&body)).await;
    assert_eq!(slugs(&r.json()), ["cosecha"]);

    // Another partner's: 403 for PATCH and DELETE, and nothing changes.
    let own_path = one(&own["id"]);
    let r = merge_patch(&app, &own_path, &cosecha, &json!({"count": 1})).await;
    r.problem(403);
    delete(&app, &own_path, &cosecha).await.problem(403);
    // Not even to add itself.
    merge_patch(&app, &own_path, &cosecha, &json!({"partners": ["cosecha"]}))
        .await
        .problem(403);
    assert_eq!(app.get(&own_path).await.json(), own);
    // The admin's (behind mijente) is not cosecha's either.
    assert_eq!(slugs(&theirs), ["mijente"]);
    delete(&app, &path, &cosecha).await.problem(403);

    // Its own: an organizer may patch it (and stays on it) and delete it.
    let r = merge_patch(
        &app,
        &own_path,
        &mijente,
        &json!({"count": 52, "partners": ["cosecha"]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let patched = r.json();
    assert_eq!(patched["count"], 52);
    assert_eq!(slugs(&patched), ["mijente", "cosecha"]);
    // Now cosecha is behind it too.
    let r = merge_patch(&app, &own_path, &cosecha, &json!({"count": 60})).await;
    assert_eq!(r.status, 200, "{}", text(&r));

    // An admin may change and delete anyone's.
    let r = merge_patch(&app, &own_path, &admin, &json!({"status": "closed"})).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let r = delete(&app, &own_path, &admin).await;
    assert_eq!(r.status, 204, "{}", text(&r));
    let r = delete(&app, &path, &mijente).await;
    assert_eq!(r.status, 204, "{}", text(&r));

    // Reads never need a token (none is sent by `get`).
    let left = list(&app, "").await;
    assert_eq!(ids(&left).len(), 2, "{left}");
    let r = app.get(&one(&left["online_actions"][0]["id"])).await;
    assert_eq!(r.status, 200);
    let r = app
        .get(&format!("{ONLINE}?updated_since=2000-01-01T00:00:00Z"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["deleted"].as_array().map(Vec::len), Some(2));
}

#[actix_web::test]
async fn patch_keeps_and_changes_the_order_of_partners() {
    let app = spawn_app().await;
    app.seed().await;
    let mut body = petition("Ordered");
    // Listed in the reverse of the order the partners were created in.
    body["partners"] = json!(["tech-workers-coalition", "mijente"]);
    let o = create(&app, &body).await;
    let path = one(&o["id"]);
    assert_eq!(slugs(&o), ["tech-workers-coalition", "mijente"]);
    let other = create(&app, &petition("Later")).await;
    // A sync lists by last change: written ones move to the end.
    let sync_order = || async { ids(&list(&app, "updated_since=2000-01-01T00:00:00Z").await) };
    let (first, second) = (o["id"].as_i64().unwrap(), other["id"].as_i64().unwrap());

    // A patch that changes nothing writes nothing.
    let same = app.patch(&path, &json!({"count": 37})).await;
    assert_eq!(same.status, 200, "{}", text(&same));
    assert_eq!(sync_order().await, [first, second], "a no-op patch wrote");

    // Reordering the partners is a change.
    let r = app
        .patch(
            &path,
            &json!({"partners": ["mijente", "tech-workers-coalition"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(slugs(&r.json()), ["mijente", "tech-workers-coalition"]);
    assert_eq!(
        slugs(&app.get(&path).await.json()),
        ["mijente", "tech-workers-coalition"]
    );
    assert_eq!(
        sync_order().await,
        [second, first],
        "the reorder was written"
    );
}
