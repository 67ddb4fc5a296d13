//! Privacy and access (issue 8): what a removed event leaves behind, what is never stored about
//! a submitter, what organizers see, redirects, proxies, throttling, headers, lost updates.

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{
    event, hidden, spawn_app, spawn_app_with, text, token, user, Browser, TestApp,
};
use crate::interop::parse_both;

const STREET: &str = "742 Evergreen Terrace";

fn private_event(title: &str, day: &str) -> Value {
    let mut e = event(
        title,
        &format!("{day}T16:00"),
        &format!("{day}T19:00"),
        "America/New_York",
    );
    e["description"] = json!("Meet at the side door; ask for Ana.");
    e["venue"]["name"] = json!("Ana's porch");
    e["venue"]["address"] = json!(STREET);
    e["venue"]["lat"] = json!(42.36);
    e["venue"]["lon"] = json!(-71.06);
    e
}

async fn feed(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status, 200, "{path}");
    text(&r)
}

/// The VEVENT of `uid` in a feed, unfolded.
fn vevent(ics: &str, uid: &str) -> String {
    let unfolded = ics.replace("\r\n ", "");
    unfolded
        .split("BEGIN:VEVENT")
        .find(|block| block.contains(&format!("UID:{uid}")))
        .unwrap_or_else(|| panic!("no VEVENT {uid} in {ics}"))
        .split("END:VEVENT")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Everything public that could show an event, for a removed one: 410s, a minimal VEVENT, a
/// tombstone, and its words and street address nowhere.
async fn assert_unpublished(app: &TestApp, e: &Value, since: &str) {
    let id = e["id"].as_i64().unwrap();
    let uid = e["uid"].as_str().unwrap();
    let title = e["title"].as_str().unwrap();
    let page = app.get(&format!("/events/{id}")).await;
    assert_eq!(page.status, 410);
    let body = text(&page);
    assert!(body.contains("This event was removed"), "{body}");
    for secret in [
        title,
        STREET,
        "side door",
        "Ana's porch",
        "Ana&#x27;s porch",
    ] {
        assert!(!body.contains(secret), "{secret} on the removed page");
    }
    assert_eq!(app.get(&format!("/events/{id}.ics")).await.status, 410);
    assert_eq!(app.get(&format!("/api/v1/events/{id}")).await.status, 410);

    for path in [
        "/actions/never-again.ics",
        "/calendar.ics",
        "/partners/mijente.ics",
    ] {
        let ics = feed(app, path).await;
        let block = vevent(&ics, uid);
        assert!(block.contains("STATUS:CANCELLED"), "{block}");
        assert!(block.contains("SUMMARY:Cancelled event"), "{block}");
        assert!(block.contains("DTSTART"), "{block}");
        for gone in [
            "DESCRIPTION",
            "LOCATION",
            "GEO",
            "URL",
            "CATEGORIES",
            "CONFERENCE",
        ] {
            assert!(!block.contains(gone), "{gone} in {block}");
        }
        for secret in [title, STREET, "side door", "Ana"] {
            assert!(!ics.contains(secret), "{secret} in {path}");
        }
        for parsed in parse_both(ics.as_bytes()) {
            let p = parsed.event(uid);
            assert_eq!(p.status, "CANCELLED", "{}", parsed.parser);
            assert!(p.description.is_empty() && p.location.is_empty());
        }
    }
    let sync = app
        .get(&format!("/api/v1/events?updated_since={since}"))
        .await
        .json();
    assert!(
        sync["deleted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["uid"] == uid && t["id"] == id),
        "tombstone: {sync}"
    );
    assert!(!sync["events"].to_string().contains(title));
    for path in [
        "/",
        "/archive",
        "/actions/never-again",
        "/partners/mijente",
        "/api/v1/venues",
        "/api/v1/events?from=2000-01-01",
        "/api/v1/events?q=Evergreen",
    ] {
        let r = app.get(path).await;
        assert!(!text(&r).contains(STREET), "{STREET} in {path}");
    }
}

fn now_rfc3339() -> String {
    (chrono::Utc::now() - chrono::Duration::seconds(5))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[actix_web::test]
async fn deleting_an_event_unpublishes_it_but_cancelling_keeps_it_public() {
    let app = spawn_app().await;
    app.seed().await;
    let since = now_rfc3339();
    let deleted = app
        .create_event(&private_event("Porch meeting", "2027-09-13"))
        .await;
    let cancelled = app
        .create_event(&event(
            "Rally, cancelled",
            "2027-09-14T16:00",
            "2027-09-14T19:00",
            "America/New_York",
        ))
        .await;
    // Cached before the changes: the write must reach the cached forms too.
    feed(&app, "/actions/never-again.ics").await;
    let id = &deleted["id"];
    let r = app
        .write(
            "DELETE",
            &format!("/api/v1/events/{id}"),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let r = app
        .write(
            "POST",
            &format!("/api/v1/events/{}/cancel", cancelled["id"]),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_unpublished(&app, &deleted, &since).await;
    let ics = feed(&app, "/actions/never-again.ics").await;
    assert!(vevent(&ics, deleted["uid"].as_str().unwrap()).contains("SEQUENCE:1"));

    // A cancelled event is news: it stays public, with its place.
    let page = app.get(&format!("/events/{}", cancelled["id"])).await;
    assert_eq!(page.status, 200);
    assert!(text(&page).contains("Rally, cancelled"));
    assert!(vevent(&ics, cancelled["uid"].as_str().unwrap()).contains("LOCATION:City Hall Plaza"));
}

#[actix_web::test]
async fn rejecting_an_approved_event_unpublishes_it_with_a_tombstone() {
    let app = spawn_app().await;
    app.seed().await;
    let since = now_rfc3339();
    let e = app
        .create_event(&private_event("Approved, then rejected", "2027-09-13"))
        .await;
    feed(&app, "/actions/never-again.ics").await;
    let password = user(&app, "admin@example.org", "admin", None);
    let mut admin = Browser::new(&app);
    admin.login("admin@example.org", &password).await;
    let csrf = admin.csrf().await;
    let r = admin
        .post(
            &format!("/admin/events/{}/reject", e["id"]),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_unpublished(&app, &e, &since).await;
    let ics = feed(&app, "/actions/never-again.ics").await;
    assert!(vevent(&ics, e["uid"].as_str().unwrap()).contains("SEQUENCE:1"));

    // Approved again: public again, and the tombstone goes.
    let r = admin
        .post(
            &format!("/admin/events/{}/approve", e["id"]),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(app.get(&format!("/events/{}", e["id"])).await.status, 200);
    let sync = app
        .get(&format!("/api/v1/events?updated_since={since}"))
        .await
        .json();
    assert_eq!(sync["deleted"], json!([]), "{sync}");
    assert_eq!(sync["events"][0]["uid"], e["uid"]);
}

fn submission_fields(title: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("title", title),
        ("start", "2030-09-13T16:00"),
        ("end", "2030-09-13T18:00"),
        ("timezone", "America/Chicago"),
        ("venue_name", "Somebody's living room"),
        ("venue_address", "12 Secret Lane"),
        ("venue_city", "Chicago"),
        ("description", "Teach-in."),
        ("tags", "quiet-tag"),
    ]
}

async fn submit(visitor: &mut Browser<'_>, title: &'static str) -> u16 {
    let form = text(&visitor.get("/submit").await);
    let csrf = hidden(&form, "csrf");
    let mut fields = submission_fields(title);
    fields.push(("csrf", &csrf));
    visitor.post("/submit", &fields).await.status.as_u16()
}

#[actix_web::test]
async fn public_submitters_are_recorded_as_public_and_their_address_is_stored_nowhere() {
    let app = spawn_app().await;
    app.seed().await;
    let mut visitor = Browser::new(&app);
    assert_eq!(submit(&mut visitor, "Living room teach-in").await, 200);
    let password = user(&app, "admin@example.org", "admin", None);
    let mut admin = Browser::new(&app);
    admin.login("admin@example.org", &password).await;
    let dash = text(&admin.get("/admin").await);
    assert!(dash.contains("Living room teach-in"));
    assert!(dash.contains("(public)"), "{dash}");
    assert!(!dash.contains("127.0.0.1"));

    let mut conn = turnout::db::connect(&app.settings).unwrap();
    use diesel::prelude::*;
    use turnout::db::schema::event_revisions;
    let actors: Vec<String> = event_revisions::table
        .select(event_revisions::actor)
        .load(&mut conn)
        .unwrap();
    assert!(actors.iter().any(|a| a == "public"), "{actors:?}");
    drop(conn);
    // Not in any table, nor in the database files at all (the WAL included).
    for entry in std::fs::read_dir(app.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let hay = String::from_utf8_lossy(&bytes);
        assert!(!hay.contains("127.0.0.1"), "an address is stored");
    }
}

#[test]
fn the_migration_forgets_addresses_recorded_by_earlier_versions() {
    use diesel::prelude::*;
    use diesel_migrations::MigrationHarness;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let mut conn = diesel::sqlite::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    // The schema as the first version left it (its two migrations), with its kind of data.
    for _ in 0..2 {
        conn.run_next_migration(turnout::db::MIGRATIONS).unwrap();
    }
    diesel::sql_query(
        "INSERT INTO events (id, uid, title, start_local, end_local, timezone, start_utc, end_utc, \
         review, created_at, updated_at) VALUES (1, 'u1', 'Old', '2027-01-01 10:00:00', \
         '2027-01-01 11:00:00', 'UTC', '2027-01-01 10:00:00', '2027-01-01 11:00:00', 'pending', \
         '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(
        "INSERT INTO event_revisions (event_id, kind, actor, created_at, snapshot) VALUES \
         (1, 'create', 'public:203.0.113.9', '2026-01-01 00:00:00', '{}'), \
         (1, 'update', 'user:ana@example.org', '2026-01-01 00:00:00', '{}')",
    )
    .execute(&mut conn)
    .unwrap();
    conn.run_pending_migrations(turnout::db::MIGRATIONS)
        .unwrap();
    use turnout::db::schema::event_revisions;
    let actors: Vec<String> = event_revisions::table
        .order(event_revisions::id)
        .select(event_revisions::actor)
        .load(&mut conn)
        .unwrap();
    assert_eq!(actors, ["public", "user:ana@example.org"]);
}

#[actix_web::test]
async fn organizers_see_only_what_their_partner_may_edit() {
    let app = spawn_app().await;
    app.seed().await;
    // Cosecha only endorses this one: not theirs to edit, so not in their recent changes.
    let mut endorsed = event(
        "Mijente's own march",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    endorsed["partners"] =
        json!([{"slug": "mijente", "role": "host"}, {"slug": "cosecha", "role": "endorser"}]);
    app.create_event(&endorsed).await;
    let mut own = endorsed.clone();
    own["title"] = json!("Cosecha vigil");
    own["partners"] = json!([{"slug": "cosecha", "role": "host"}]);
    app.create_event(&own).await;
    // A pending submission at a private place.
    let mut visitor = Browser::new(&app);
    assert_eq!(submit(&mut visitor, "Living room teach-in").await, 200);

    let password = user(&app, "org@example.org", "organizer", Some("cosecha"));
    let mut org = Browser::new(&app);
    org.login("org@example.org", &password).await;
    let dash = text(&org.get("/admin").await);
    assert!(dash.contains("Cosecha vigil"), "{dash}");
    assert!(!dash.contains("Mijente&#x27;s own march") && !dash.contains("Mijente's own march"));
    assert!(!dash.contains("Living room teach-in"));
    let form = text(&org.get("/admin/events/new").await);
    assert!(
        form.contains("City Hall Plaza"),
        "venues of public events are offered"
    );
    assert!(
        !form.contains("Secret Lane") && !form.contains("living room"),
        "{form}"
    );

    // An admin still sees everything.
    let password = user(&app, "admin@example.org", "admin", None);
    let mut admin = Browser::new(&app);
    admin.login("admin@example.org", &password).await;
    assert!(text(&admin.get("/admin/events/new").await).contains("living room"));
}

#[actix_web::test]
async fn redirects_stay_on_this_site() {
    let app = spawn_app().await;
    // (The switch to Spanish goes to the Spanish page, or else the Spanish home.)
    for (next, expected) in [
        ("/actions", "/es/actions"),
        ("/%3Ftag%3Da", "/es/?tag=a"),
        ("/%09/evil.example", "/es/"),
        ("//evil.example", "/es/"),
        ("/%5Cevil.example", "/es/"),
        ("https://evil.example/", "/es/"),
        ("/%0d%0aSet-Cookie:%20x=1", "/es/"),
        ("/%0a/evil.example", "/es/"),
        ("/.//evil.example", "/es/"),
        ("evil.example", "/es/"),
        ("/es//evil.example", "/es/es//evil.example"),
    ] {
        let r = app.get(&format!("/lang/es?next={next}")).await;
        assert_eq!(r.status, 303, "{next}");
        assert_eq!(r.header("location").as_deref(), Some(expected), "{next}");
    }
    // The login's `next` is held to the admin on this site.
    let page = text(&app.get("/admin/login?next=/%09/evil.example").await);
    assert_eq!(hidden(&page, "next"), "/admin");
    let page = text(&app.get("/admin/login?next=/admin/manage").await);
    assert_eq!(hidden(&page, "next"), "/admin/manage");
}

async fn proxied_app() -> TestApp {
    spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".into(), "::1".into()]).await
}

#[actix_web::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_limits() {
    let app = proxied_app().await;
    app.seed().await;
    let password = user(&app, "admin@example.org", "admin", None);
    let mut guesser = Browser::new(&app);
    // What the client wrote itself (left) is not believed; what the proxy appended is.
    guesser.forwarded_for = Some("198.51.100.1, 203.0.113.7".into());
    for _ in 0..5 {
        assert_eq!(
            guesser.login("admin@example.org", "guess").await.status,
            401
        );
    }
    assert_eq!(
        guesser.login("admin@example.org", "guess").await.status,
        429
    );
    let mut owner = Browser::new(&app);
    owner.forwarded_for = Some("203.0.113.7, 203.0.113.50".into());
    let r = owner.login("admin@example.org", &password).await;
    assert_eq!(r.status, 303, "{}", text(&r));

    // Submissions: one client's budget is its own.
    let mut spammer = Browser::new(&app);
    spammer.forwarded_for = Some("203.0.113.66".into());
    for _ in 0..5 {
        assert_eq!(submit(&mut spammer, "Spam").await, 200);
    }
    assert_eq!(submit(&mut spammer, "Spam").await, 429);
    let mut neighbour = Browser::new(&app);
    neighbour.forwarded_for = Some("203.0.113.67".into());
    assert_eq!(submit(&mut neighbour, "A real event").await, 200);
}

#[actix_web::test]
async fn without_a_trusted_proxy_the_forwarded_header_is_ignored() {
    let app = spawn_app().await;
    user(&app, "admin@example.org", "admin", None);
    let mut a = Browser::new(&app);
    a.forwarded_for = Some("203.0.113.1".into());
    for _ in 0..5 {
        assert_eq!(a.login("admin@example.org", "guess").await.status, 401);
    }
    let mut b = Browser::new(&app);
    b.forwarded_for = Some("203.0.113.2".into());
    assert_eq!(b.login("admin@example.org", "guess").await.status, 429);
}

#[test]
fn trusted_proxies_come_from_the_environment_comma_separated() {
    let bin = env!("CARGO_BIN_EXE_turnout");
    let dir = tempfile::tempdir().unwrap();
    let run = |value: &str| {
        std::process::Command::new(bin)
            .arg("migrate")
            .env("TURNOUT_DATABASE_URL", dir.path().join("t.db"))
            .env("TURNOUT_TRUSTED_PROXIES", value)
            .output()
            .unwrap()
    };
    assert!(run("10.0.0.0/8, 192.0.2.1,::1").status.success());
    let bad = run("10.0.0.0/8,not-an-address");
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("trusted_proxies") && err.contains("not-an-address"),
        "{err}"
    );
}

#[actix_web::test]
async fn parallel_guesses_get_the_limit_of_401s_and_never_lock_the_owner_out() {
    let app = proxied_app().await;
    let password = user(&app, "admin@example.org", "admin", None);
    // 30 parallel wrong passwords from one address, each with its own login form.
    let mut forms = Vec::new();
    for _ in 0..30 {
        let mut b = Browser::new(&app);
        b.forwarded_for = Some("203.0.113.9".into());
        let page = text(&b.get("/admin/login").await);
        let csrf = hidden(&page, "csrf");
        forms.push((b, csrf));
    }
    let statuses: Vec<u16> = join_all(forms.iter_mut().map(|(b, csrf)| {
        let csrf = csrf.clone();
        async move {
            b.post(
                "/admin/login",
                &[
                    ("csrf", csrf.as_str()),
                    ("next", "/admin"),
                    ("email", "admin@example.org"),
                    ("password", "guess"),
                ],
            )
            .await
            .status
            .as_u16()
        }
    }))
    .await;
    let unauthorized = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(unauthorized, 5, "{statuses:?}");
    assert_eq!(throttled, 25, "{statuses:?}");
    // Wrong passwords from many other addresses only slow the account down (past ten
    // failures, by growing delays).
    for i in 0..7 {
        let mut b = Browser::new(&app);
        b.forwarded_for = Some(format!("198.51.100.{i}"));
        assert_eq!(b.login("admin@example.org", "guess").await.status, 401);
    }
    let mut owner = Browser::new(&app);
    owner.forwarded_for = Some("192.0.2.200".into());
    let r = owner.login("admin@example.org", &password).await;
    assert_eq!(r.status, 303, "the owner gets in: {}", text(&r));
}

#[actix_web::test]
async fn organizers_cannot_undo_an_admins_moderation() {
    let app = spawn_app().await;
    app.seed().await;
    let org = token(&app.settings, "mijente-site", Some("mijente"));
    let create = |title: &str| {
        let e = event(
            title,
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        );
        let org = org.clone();
        let app = &app;
        async move {
            let r = app
                .write("POST", "/api/v1/events", Some(&org), Some(&e))
                .await;
            assert_eq!(r.status, 201);
            r.json()["id"].as_i64().unwrap()
        }
    };
    let theirs = create("Deleted by its organizer").await;
    let moderated = create("Deleted by an admin").await;
    let del = |id: i64, who: String| {
        let app = &app;
        async move {
            app.write("DELETE", &format!("/api/v1/events/{id}"), Some(&who), None)
                .await
                .status
        }
    };
    let restore = |id: i64, who: String| {
        let app = &app;
        async move {
            app.write(
                "POST",
                &format!("/api/v1/events/{id}/restore"),
                Some(&who),
                None,
            )
            .await
            .status
        }
    };
    assert_eq!(del(theirs, org.clone()).await, 204);
    assert_eq!(restore(theirs, org.clone()).await, 200);
    assert_eq!(del(moderated, app.admin_token.clone()).await, 204);
    assert_eq!(restore(moderated, org.clone()).await, 403);
    assert_eq!(app.get(&format!("/events/{moderated}")).await.status, 410);
    assert_eq!(restore(moderated, app.admin_token.clone()).await, 200);
    assert_eq!(app.get(&format!("/events/{moderated}")).await.status, 200);
}

#[actix_web::test]
async fn headers_keep_secrets_out_of_caches_and_types_unsniffed() {
    let app = spawn_app().await;
    let password = user(&app, "admin@example.org", "admin", None);
    let mut admin = Browser::new(&app);
    for r in [
        admin.get("/admin/login").await,
        admin.login("admin@example.org", &password).await,
        admin.get("/admin").await,
        admin.get("/admin/manage").await,
    ] {
        assert_eq!(
            r.header("cache-control").as_deref(),
            Some("private, no-store")
        );
    }
    // The page that shows a new token once.
    let csrf = admin.csrf().await;
    let r = admin
        .post(
            "/admin/manage/token",
            &[("csrf", csrf.as_str()), ("name", "partner-site")],
        )
        .await;
    assert!(text(&r).contains("tnt_"), "{}", text(&r));
    assert_eq!(
        r.header("cache-control").as_deref(),
        Some("private, no-store")
    );
    for path in ["/events/999.ics", "/healthz", "/tags/nothing.ics"] {
        let r = app.get(path).await;
        assert!(r.header("content-type").unwrap().starts_with("text/plain"));
        assert_eq!(
            r.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
    }
    // An https base URL (the tests' one): browsers are told to stay on https.
    for path in ["/", "/healthz", "/api/v1/events", "/admin/login"] {
        assert_eq!(
            app.get(path)
                .await
                .header("strict-transport-security")
                .as_deref(),
            Some("max-age=31536000"),
            "{path}"
        );
    }
    let plain = spawn_app_with(|s| s.base_url = "http://127.0.0.1:8080".into()).await;
    assert_eq!(
        plain.get("/").await.header("strict-transport-security"),
        None
    );
}

#[actix_web::test]
async fn tags_only_pending_or_removed_events_carry_cannot_be_probed() {
    let app = spawn_app().await;
    app.seed().await;
    let mut visitor = Browser::new(&app);
    assert_eq!(submit(&mut visitor, "Living room teach-in").await, 200);
    let mut gone = event(
        "Gone",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    gone["tags"] = json!(["removed-tag"]);
    let gone = app.create_event(&gone).await;
    assert_eq!(app.get("/tags/removed-tag.ics").await.status, 200);
    app.write(
        "DELETE",
        &format!("/api/v1/events/{}", gone["id"]),
        Some(&app.admin_token),
        None,
    )
    .await;
    assert_eq!(app.get("/tags/quiet-tag.ics").await.status, 404);
    assert_eq!(app.get("/tags/removed-tag.ics").await.status, 404);
    assert_eq!(app.get("/tags/never-used.ics").await.status, 404);
    assert_eq!(app.get("/tags/NoTechForICE.ics").await.status, 404);
    app.create_event(&event(
        "Public",
        "2027-09-14T16:00",
        "2027-09-14T19:00",
        "America/New_York",
    ))
    .await;
    assert_eq!(app.get("/tags/NoTechForICE.ics").await.status, 200);
}

#[actix_web::test]
async fn concurrent_patches_of_different_fields_both_stay() {
    let app = spawn_app().await;
    app.seed().await;
    let e = app
        .create_event(&event(
            "Start",
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let path = format!("/api/v1/events/{}", e["id"]);
    for round in 0..15 {
        let title = json!({ "title": format!("Title {round}") });
        let tags = json!({ "tags": [format!("tag-{round}")] });
        let (a, b) = futures_util::join!(app.patch(&path, &title), app.patch(&path, &tags));
        assert_eq!((a.status.as_u16(), b.status.as_u16()), (200, 200));
        let now = app.get(&path).await.json();
        assert_eq!(now["title"], format!("Title {round}"), "round {round}");
        assert_eq!(
            now["tags"],
            json!([format!("tag-{round}")]),
            "round {round}"
        );
    }
}

#[actix_web::test]
async fn admin_form_writes_reach_the_feeds_at_once() {
    // The change poller is far away: only the write path itself can refresh the feeds.
    let app = spawn_app_with(|s| s.database.change_poll_ms = 3_600_000).await;
    app.seed().await;
    let e = app
        .create_event(&event(
            "Before",
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
    assert!(feed(&app, "/actions/never-again.ics")
        .await
        .contains("SUMMARY:Before"));
    let password = user(&app, "admin@example.org", "admin", None);
    let mut admin = Browser::new(&app);
    admin.login("admin@example.org", &password).await;
    let form = text(&admin.get(&format!("/admin/events/{}/edit", e["id"])).await);
    let csrf = hidden(&form, "csrf");
    let r = admin
        .post(
            &format!("/admin/events/{}", e["id"]),
            &[
                ("csrf", csrf.as_str()),
                ("title", "After"),
                ("start", "2027-09-13T16:00"),
                ("end", "2027-09-13T19:00"),
                ("timezone", "America/New_York"),
                ("venue_name", "City Hall Plaza"),
                ("venue_city", "Boston"),
                ("action", "never-again"),
                ("partner_0", "mijente"),
                ("role_0", "host"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", text(&r));
    let ics = feed(&app, "/actions/never-again.ics").await;
    assert!(ics.contains("SUMMARY:After"), "{ics}");
    // And the delete button.
    let r = admin
        .post(
            &format!("/admin/events/{}/delete", e["id"]),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, 303);
    let ics = feed(&app, "/actions/never-again.ics").await;
    assert!(ics.contains("SUMMARY:Cancelled event") && !ics.contains("After"));
}

#[actix_web::test]
async fn bad_path_segments_on_pages_answer_an_html_error_page() {
    let app = spawn_app().await;
    for path in ["/admin/events/abc/edit", "/admin/events/abc/edit?x=1"] {
        let r = app.get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(
            r.header("content-type").unwrap().starts_with("text/html"),
            "{path}"
        );
        assert!(text(&r).contains("Page not found"));
    }
    let r = app.get("/lang/es?next=%ZZ").await;
    assert!(r.status.as_u16() < 500);
    // The API keeps problem+json.
    let r = app.get("/api/v1/events/abc").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    let r = app.get("/api/v1/events?limit=abc").await;
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/problem+json")
    );
}

#[actix_web::test]
async fn the_submission_form_compares_its_token_whole() {
    let app = spawn_app().await;
    app.seed().await;
    let mut visitor = Browser::new(&app);
    let form = text(&visitor.get("/submit").await);
    let csrf = hidden(&form, "csrf");
    // Same length, last character changed.
    let mut forged = csrf.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let mut fields = submission_fields("Forged");
    fields.push(("csrf", &forged));
    assert_eq!(visitor.post("/submit", &fields).await.status, 403);
}
