//! The `turnout` binary: tokens, users, import/export, backup and restore; errors on stderr with
//! exit 1.

use std::path::Path;
use std::process::{Command, Output};

use diesel::RunQueryDsl;
use serde_json::{json, Value};
use turnout::auth::Principal;

use crate::helpers::{
    event, spawn_app, spawn_app_on, spawn_app_with, text, user, Browser, TestApp,
};

fn turnout(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_turnout"))
        .args(args)
        .env("TURNOUT_DATABASE_URL", db)
        .env("RUST_LOG", "error")
        .output()
        .expect("runs the binary")
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[actix_web::test]
async fn tokens_made_by_the_cli_work_over_http() {
    let app = spawn_app().await;
    app.seed().await;
    let db = app.settings.database_path();
    let out = stdout(&turnout(
        &db,
        &["token", "create", "--name", "site", "--partner", "mijente"],
    ));
    let token = out.lines().last().unwrap().trim().to_string();
    assert!(token.starts_with("tnt_"));
    let body = event(
        "CLI",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    assert_eq!(
        app.write("POST", "/api/v1/events", Some(&token), Some(&body))
            .await
            .status,
        201
    );
    assert!(stdout(&turnout(&db, &["token", "list"])).contains("site"));
    assert!(!stdout(&turnout(&db, &["token", "list"])).contains(&token));
    stdout(&turnout(&db, &["token", "revoke", "site"]));
    app.write("POST", "/api/v1/events", Some(&token), Some(&body))
        .await
        .problem(401);

    let bad = turnout(
        &db,
        &["token", "create", "--name", "x", "--partner", "ghost"],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("there is no partner \"ghost\""));
}

#[actix_web::test]
async fn users_get_a_generated_password_once() {
    let app = spawn_app().await;
    app.seed().await;
    let db = app.settings.database_path();
    let out = stdout(&turnout(
        &db,
        &[
            "user",
            "create",
            "--email",
            "ana@example.org",
            "--role",
            "organizer",
            "--partner",
            "mijente",
        ],
    ));
    let password = out.lines().last().unwrap().trim();
    assert!(password.len() >= 20);
    let mut conn = turnout::db::connect(&app.settings).unwrap();
    let user = turnout::db::queries::auth::user_by_email(&mut conn, "ANA@example.org")
        .unwrap()
        .unwrap();
    assert!(user.password_hash.starts_with("$argon2id$"));
    assert!(turnout::auth::verify_password(
        password,
        Some(&user.password_hash)
    ));
    assert!(!turnout(
        &db,
        &[
            "user",
            "create",
            "--email",
            "ana@example.org",
            "--role",
            "admin"
        ]
    )
    .status
    .success());
    let o = turnout(
        &db,
        &[
            "user",
            "create",
            "--email",
            "bob@example.org",
            "--role",
            "organizer",
        ],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--partner"));
}

#[actix_web::test]
async fn import_is_idempotent_and_export_round_trips() {
    let app = spawn_app().await;
    app.seed().await;
    let db = app.settings.database_path();
    let file = app.dir.path().join("events.json");
    let mut with_uid = event(
        "Boston march",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    with_uid["uid"] = json!("evt-1@partner.example");
    let without_uid = event(
        "Honolulu rally",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "Pacific/Honolulu",
    );
    // A series carries its rule, excluded dates and changed occurrences through import and
    // export.
    let mut series = event(
        "Monday vigil",
        "2027-09-13T18:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    series["uid"] = json!("series-1@partner.example");
    series["recurrence"] = json!({
        "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=5",
        "exdates": ["2027-09-20T18:00"],
        "changes": {
            "2027-09-27T18:00": {"title": "Vigil at the State House", "start": "2027-09-27T17:30",
                                 "venue": {"name": "Massachusetts State House",
                                           "address": "24 Beacon St", "city": "Boston",
                                           "region": "MA", "country": "US"}},
            "2027-10-04T18:00": {"status": "cancelled"}
        }
    });
    std::fs::write(
        &file,
        serde_json::to_vec(&json!([with_uid, without_uid, series])).unwrap(),
    )
    .unwrap();

    let out = stdout(&turnout(&db, &["import", file.to_str().unwrap()]));
    assert!(out.contains("3 created"), "{out}");
    let out = stdout(&turnout(&db, &["import", file.to_str().unwrap()]));
    assert!(out.contains("0 created, 0 updated, 3 unchanged"), "{out}");
    let list = app.get("/api/v1/events?from=2000-01-01").await.json();
    // Two single events and the series' four occurrences (five, one excluded).
    assert_eq!(list["events"].as_array().map(Vec::len), Some(6), "{list}");
    let shown: Vec<(&str, &str, &str, &str)> = list["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["uid"] == "series-1@partner.example")
        .map(|e| {
            (
                e["start"].as_str().unwrap(),
                e["title"].as_str().unwrap(),
                e["status"].as_str().unwrap(),
                e["venue"]["name"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let hall = "City Hall Plaza";
    assert_eq!(
        shown,
        [
            (
                "2027-09-13T18:00:00-04:00",
                "Monday vigil",
                "confirmed",
                hall
            ),
            (
                "2027-09-27T17:30:00-04:00",
                "Vigil at the State House",
                "confirmed",
                "Massachusetts State House"
            ),
            (
                "2027-10-04T18:00:00-04:00",
                "Monday vigil",
                "cancelled",
                hall
            ),
            (
                "2027-10-11T18:00:00-04:00",
                "Monday vigil",
                "confirmed",
                hall
            ),
        ]
    );

    // Export, then import into an empty database: the same events.
    let exported = app.dir.path().join("export.json");
    stdout(&turnout(
        &db,
        &["export", "--out", exported.to_str().unwrap()],
    ));
    let other = app.dir.path().join("other.db");
    stdout(&turnout(&other, &["migrate"]));
    let mut conn = turnout::db::connect(&{
        let mut s = app.settings.clone();
        s.database_url = other.to_string_lossy().into_owned();
        s
    })
    .unwrap();
    let d =
        turnout::domain::catalog::PartnerDraft::try_from(turnout::domain::catalog::PartnerInput {
            slug: Some("mijente".into()),
            name: Some("Mijente".into()),
            ..Default::default()
        })
        .unwrap();
    turnout::db::queries::catalog::create_partner(&mut conn, &d).unwrap();
    let a =
        turnout::domain::catalog::ActionDraft::try_from(turnout::domain::catalog::ActionInput {
            slug: Some("never-again".into()),
            title: Some("Never Again".into()),
            ..Default::default()
        })
        .unwrap();
    turnout::db::queries::catalog::create_action(&mut conn, &a).unwrap();
    stdout(&turnout(&other, &["import", exported.to_str().unwrap()]));
    let again = turnout::db::queries::events::export_all(&mut conn).unwrap();
    let first: Vec<turnout::domain::event::EventInput> =
        serde_json::from_slice(&std::fs::read(&exported).unwrap()).unwrap();
    assert_eq!(again, first);
    let rule = first
        .iter()
        .find_map(|e| e.recurrence.clone())
        .expect("the series keeps its rule");
    assert_eq!(rule.rrule.as_deref(), Some("FREQ=WEEKLY;BYDAY=MO;COUNT=5"));
    assert_eq!(rule.exdates, Some(vec!["2027-09-20T18:00".to_string()]));
    // The changes travel with their venue inline (an id means nothing to another database).
    let changes = rule.changes.expect("the series keeps its changes");
    assert_eq!(
        changes.keys().collect::<Vec<_>>(),
        ["2027-09-27T18:00", "2027-10-04T18:00"]
    );
    let moved = &changes["2027-09-27T18:00"];
    assert_eq!(moved["venue"]["name"], "Massachusetts State House");
    assert!(!moved.contains_key("venue_id"), "{moved:?}");
    assert_eq!(changes["2027-10-04T18:00"]["status"], "cancelled");
    // Importing the export again changes nothing: no revision, no new sequence.
    let revisions = |conn: &mut turnout::db::DbConn| -> i64 {
        use diesel::prelude::*;
        turnout::db::schema::event_revisions::table
            .count()
            .get_result(conn)
            .unwrap()
    };
    let before = revisions(&mut conn);
    let out = stdout(&turnout(&other, &["import", exported.to_str().unwrap()]));
    assert!(out.contains("0 created, 0 updated, 3 unchanged"), "{out}");
    assert_eq!(revisions(&mut conn), before);
    assert_eq!(
        turnout::db::queries::events::export_all(&mut conn).unwrap(),
        first
    );
}

#[actix_web::test]
async fn a_bad_import_reports_every_problem_and_changes_nothing() {
    let app = spawn_app().await;
    app.seed().await;
    let db = app.settings.database_path();
    let file = app.dir.path().join("bad.json");
    let good = event(
        "Good",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    let gap = event(
        "Gap",
        "2027-03-14T02:30",
        "2027-03-14T04:00",
        "America/New_York",
    );
    let mut ghost = event(
        "Ghost",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    ghost["partners"] = json!([{"slug": "nobody"}]);
    std::fs::write(
        &file,
        serde_json::to_vec(&json!([good, gap, ghost])).unwrap(),
    )
    .unwrap();
    let o = turnout(&db, &["import", file.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("[1] \"Gap\"") && err.contains("does not exist"),
        "{err}"
    );
    let list = app.get("/api/v1/events?from=2000-01-01").await.json();
    assert_eq!(list["events"], json!([]), "all or nothing");

    std::fs::write(&file, b"[{\"title\": 5}]").unwrap();
    let o = turnout(&db, &["import", file.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("[0].title"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = turnout(&db, &["import", "/nonexistent.json"]);
    assert!(!o.status.success());
}

/// Events (one updated, one deleted, one pending), a partner's private contact details, an
/// online action, an organizer and an admin with a session: something of every table.
/// Returns the session's cookies.
async fn rich_data(app: &TestApp) -> std::collections::HashMap<String, String> {
    app.seed().await;
    let mut conn = turnout::db::connect(&app.settings).unwrap();
    diesel::sql_query(
        "UPDATE partners SET contact_email = 'secret@example.org', contact_phone = '+1 555 0100'",
    )
    .execute(&mut conn)
    .unwrap();
    let kept = app
        .create_event(&event(
            "Backed up",
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let r = app
        .patch(
            &format!("/api/v1/events/{}", kept["id"]),
            &json!({"title": "Backed up, renamed"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let gone = app
        .create_event(&event(
            "Deleted",
            "2027-09-14T16:00",
            "2027-09-14T19:00",
            "America/Chicago",
        ))
        .await;
    let r = app
        .write(
            "DELETE",
            &format!("/api/v1/events/{}", gone["id"]),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert!(r.status.is_success(), "{}", text(&r));
    // A series with one changed occurrence (event_occurrences) and one excluded date.
    let mut weekly = event(
        "Weekly vigil",
        "2027-09-07T18:00",
        "2027-09-07T19:00",
        "America/New_York",
    );
    weekly["recurrence"] =
        json!({"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=10", "exdates": ["2027-09-21T18:00"]});
    let weekly = app.create_event(&weekly).await;
    let r = app
        .patch(
            &format!(
                "/api/v1/events/{}/occurrences/2027-09-14T18:00",
                weekly["id"]
            ),
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let input = serde_json::from_value(event(
        "Pending",
        "2027-09-15T16:00",
        "2027-09-15T19:00",
        "Pacific/Honolulu",
    ))
    .unwrap();
    turnout::db::queries::events::create(&mut conn, &Principal::Public, input, "turnout.test")
        .unwrap();
    let r = app
        .post(
            "/api/v1/online-actions",
            &json!({"kind": "petition", "title": "Sign it", "action": "never-again",
                    "partners": ["mijente", "cosecha"], "url": "https://petitions.example/1",
                    "goal": 100, "count": 37, "deadline": "2027-09-30",
                    "timezone": "America/Los_Angeles"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", text(&r));
    // A partner's feed and an event it brought (read from text: no fetch needed here).
    {
        use turnout::db::queries::imports as iq;
        let who = Principal::cli("test");
        let input = turnout::domain::imports::ImportInput {
            url: Some("https://calendar.example.org/mijente.ics".into()),
            partner: Some("mijente".into()),
            action: Some("never-again".into()),
            tags: Some(vec!["bay-area".into()]),
            ..Default::default()
        };
        let imp = iq::create(&mut conn, &who, input).unwrap();
        let feed = turnout::import::parse(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Mijente\r\nBEGIN:VEVENT\r\n\
             UID:imported@example.org\r\nSUMMARY:Imported\r\nLOCATION:Oakland\r\n\
             DTSTART;TZID=America/Los_Angeles:20270913T100000\r\n\
             DTEND;TZID=America/Los_Angeles:20270913T120000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            chrono_tz::UTC,
        )
        .unwrap();
        let read = iq::Read {
            feed,
            complete: true,
            etag: Some("\"v1\"".into()),
            last_modified: None,
        };
        iq::apply(&mut conn, &imp, read, "turnout.test").unwrap();
    }
    user(app, "ana@example.org", "organizer", Some("mijente"));
    let password = user(app, "admin@example.org", "admin", None);
    let mut browser = Browser::new(app);
    browser.login("admin@example.org", &password).await;
    assert_eq!(browser.get("/admin").await.status, 200, "logged in");
    browser.cookies
}

/// Everything the API shows an admin: every listing, every event (pending ones too) and its
/// revisions, and the sync feed's tombstones.
async fn everything(app: &TestApp) -> Value {
    let mut all = serde_json::Map::new();
    let get = |path: String| async move {
        let r = app.write("GET", &path, Some(&app.admin_token), None).await;
        assert_eq!(r.status, 200, "{path}: {}", text(&r));
        (path, r.json())
    };
    for path in [
        "/api/v1/events?from=2000-01-01&limit=500",
        "/api/v1/events?from=2000-01-01&q=renamed",
        "/api/v1/events?from=2000-01-01&q=mijente%20boston",
        "/api/v1/partners",
        "/api/v1/actions",
        "/api/v1/venues",
        "/api/v1/online-actions?limit=500",
    ] {
        let (path, mut body) = get(path.to_string()).await;
        // Best match first ranks by each backend's own scoring (SQLite's bm25, PostgreSQL's
        // ts_rank): what a search finds must agree, not its order.
        if path.contains("&q=") {
            if let Some(events) = body["events"].as_array_mut() {
                events
                    .sort_by_key(|e| (e["id"].as_i64(), e["start_utc"].as_str().map(String::from)));
            }
        }
        all.insert(path, body);
    }
    let (path, mut sync) = get("/api/v1/events?updated_since=2000-01-01T00:00:00Z".into()).await;
    sync.as_object_mut().unwrap().remove("synced_at");
    all.insert(path, sync);
    let snapshot = stored(&app.settings);
    for e in snapshot["events"].as_array().unwrap() {
        for path in [
            format!("/api/v1/events/{}", e["id"]),
            format!("/api/v1/events/{}/revisions", e["id"]),
        ] {
            let r = app.write("GET", &path, Some(&app.admin_token), None).await;
            all.insert(path, json!({"status": r.status.as_u16(), "body": text(&r)}));
        }
    }
    Value::Object(all)
}

/// Every row of every table, as a backup holds them.
fn stored(settings: &turnout::config::Settings) -> Value {
    let mut conn = turnout::db::connect(settings).unwrap();
    serde_json::to_value(turnout::db::backup::snapshot(&mut conn).unwrap().tables).unwrap()
}

fn failure(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "succeeded: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[actix_web::test]
async fn backup_while_serving_then_restore_gives_the_same_data() {
    let app = spawn_app().await;
    let cookies = rich_data(&app).await;
    let db = app.settings.database_path();
    let target = app.dir.path().join("backups/2027/backup.json");
    let out = stdout(&turnout(&db, &["backup", target.to_str().unwrap()]));
    assert!(out.contains("portable export"), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "a backup holds secrets: owner only");
    }
    let file: Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(file["format"], "turnout-backup");
    assert_eq!(file["version"], 1);
    assert!(file["migration"].is_string());
    assert_eq!(
        file["tables"]["partners"][0]["contact_email"],
        "secret@example.org"
    );
    assert!(file["tables"]["users"][0]["password_hash"]
        .as_str()
        .is_some_and(|h| h.starts_with("$argon2")));
    assert_eq!(file["tables"]["sessions"].as_array().map(Vec::len), Some(1));
    assert!(
        !turnout(&db, &["backup", target.to_str().unwrap()])
            .status
            .success(),
        "never overwrites"
    );

    let fresh = crate::postgres::fresh_database_beside(
        &app.settings.database_url,
        app.dir.path(),
        "restored.db",
    );
    let out = stdout(&turnout(
        Path::new(&fresh),
        &["restore", target.to_str().unwrap()],
    ));
    assert!(out.contains("restored"), "{out}");
    for (table, rows) in file["tables"].as_object().unwrap() {
        // rate_limits: only PostgreSQL keeps login limits in the database.
        if table != "rate_limits" {
            assert!(
                rows.as_array().is_some_and(|r| !r.is_empty()),
                "rich data has {table}"
            );
        }
    }
    let restored = spawn_app_on(&fresh, &app.admin_token).await;
    assert_eq!(restored.on_postgres(), app.on_postgres());
    assert_eq!(
        stored(&restored.settings),
        stored(&app.settings),
        "every row"
    );
    assert_eq!(everything(&restored).await, everything(&app).await);
    let found = restored
        .get("/api/v1/events?from=2000-01-01&q=renamed")
        .await;
    assert_eq!(
        found.json()["events"].as_array().map(Vec::len),
        Some(1),
        "the search index was rebuilt"
    );
    // Logins and tokens came along (the admin token above already worked).
    let mut browser = Browser::new(&restored);
    browser.cookies = cookies;
    assert_eq!(browser.get("/admin").await.status, 200, "the session holds");
    // New rows get new ids (PostgreSQL: the sequences moved past the restored ids).
    let new = restored
        .create_event(&event(
            "After the restore",
            "2027-10-01T16:00",
            "2027-10-01T19:00",
            "America/New_York",
        ))
        .await;
    let max = stored(&app.settings)["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .max()
        .unwrap();
    assert!(new["id"].as_i64().unwrap() > max, "{new}");

    if !app.on_postgres() {
        // SQLite's own copy: a .db name is a VACUUM INTO file, and restore reads it too.
        let copy = app.dir.path().join("backups/copy.db");
        let out = stdout(&turnout(&db, &["backup", copy.to_str().unwrap()]));
        assert!(out.contains("SQLite file"), "{out}");
        assert!(stdout(&turnout(&copy, &["export"])).contains("Backed up"));
        let again = app.dir.path().join("from-copy.db");
        stdout(&turnout(&again, &["restore", copy.to_str().unwrap()]));
        let mut s = app.settings.clone();
        s.database_url = again.to_string_lossy().into_owned();
        assert_eq!(stored(&s), stored(&app.settings));
    }
}

#[actix_web::test]
async fn backup_during_writes_is_consistent() {
    let app = spawn_app().await;
    app.seed().await;
    let settings = app.settings.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut conn = turnout::db::connect(&settings).unwrap();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) || n < 5 {
                let input = serde_json::from_value(event(
                    &format!("Concurrent {n}"),
                    "2027-09-13T16:00",
                    "2027-09-13T19:00",
                    "America/New_York",
                ))
                .unwrap();
                turnout::db::queries::events::create(
                    &mut conn,
                    &Principal::cli("test"),
                    input,
                    "turnout.test",
                )
                .unwrap();
                n += 1;
            }
            n
        })
    };
    let db = app.settings.database_path();
    let target = app.dir.path().join("during.json");
    stdout(&turnout(&db, &["backup", target.to_str().unwrap()]));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let written = writer.join().unwrap();
    let fresh = crate::postgres::fresh_database_beside(
        &app.settings.database_url,
        app.dir.path(),
        "restored.db",
    );
    // Foreign keys hold on restore: every event came with its partners, tags and revisions.
    stdout(&turnout(
        Path::new(&fresh),
        &["restore", target.to_str().unwrap()],
    ));
    let file: Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    let t = &file["tables"];
    let events = t["events"].as_array().unwrap().len();
    assert!(events <= written, "{events} of {written}");
    assert_eq!(t["event_revisions"].as_array().unwrap().len(), events);
    assert_eq!(t["event_partners"].as_array().unwrap().len(), events);
    assert_eq!(t["event_tags"].as_array().unwrap().len(), events);
}

#[actix_web::test]
async fn restore_into_a_database_that_is_not_empty_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    rich_data(&app).await;
    let db = app.settings.database_path();
    let target = app.dir.path().join("backup.json");
    stdout(&turnout(&db, &["backup", target.to_str().unwrap()]));
    let before = stored(&app.settings);
    let err = failure(&turnout(&db, &["restore", target.to_str().unwrap()]));
    assert!(
        err.contains("not empty") && err.contains("events ("),
        "{err}"
    );
    assert_eq!(stored(&app.settings), before);

    // One row anywhere is enough to refuse.
    let fresh = crate::postgres::fresh_database_beside(
        &app.settings.database_url,
        app.dir.path(),
        "one-token.db",
    );
    stdout(&turnout(Path::new(&fresh), &["migrate"]));
    let mut s = app.settings.clone();
    s.database_url = fresh.clone();
    crate::helpers::token(&s, "only", None);
    let err = failure(&turnout(
        Path::new(&fresh),
        &["restore", target.to_str().unwrap()],
    ));
    assert!(err.contains("api_tokens (1 rows)"), "{err}");
    assert_eq!(stored(&s)["events"], json!([]));
}

#[actix_web::test]
async fn a_sqlite_backup_restores_into_postgres() {
    // The source is always SQLite; the target is PostgreSQL in the integration_postgres run
    // (SQLite, without a cluster or in the SQLite run).
    let src_dir = tempfile::tempdir().unwrap();
    let source = spawn_app_with(|s| {
        s.database_url = src_dir
            .path()
            .join("source.db")
            .to_string_lossy()
            .into_owned()
    })
    .await;
    assert!(!source.on_postgres());
    rich_data(&source).await;
    let db = source.settings.database_path();
    let target = source.dir.path().join("instance.db");
    stdout(&turnout(&db, &["backup", target.to_str().unwrap()]));
    let fresh = crate::postgres::wanted()
        .then(crate::postgres::fresh_database)
        .flatten()
        .unwrap_or_else(|| {
            source
                .dir
                .path()
                .join("moved.db")
                .to_string_lossy()
                .into_owned()
        });
    stdout(&turnout(
        Path::new(&fresh),
        &["restore", target.to_str().unwrap()],
    ));
    let moved = spawn_app_on(&fresh, &source.admin_token).await;
    assert_eq!(moved.on_postgres(), fresh.starts_with("postgres://"));
    assert_eq!(
        stored(&moved.settings),
        stored(&source.settings),
        "every row"
    );
    assert_eq!(everything(&moved).await, everything(&source).await);
}

#[actix_web::test]
async fn a_bad_backup_file_is_a_clear_error() {
    let app = spawn_app().await;
    let fresh = crate::postgres::fresh_database_beside(
        &app.settings.database_url,
        app.dir.path(),
        "fresh.db",
    );
    let fresh = Path::new(&fresh);
    stdout(&turnout(fresh, &["migrate"]));
    let dir = app.dir.path();
    let file = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_string_lossy().into_owned()
    };
    let err = failure(&turnout(fresh, &["restore", "/nonexistent/backup.json"]));
    assert!(err.contains("reading /nonexistent/backup.json"), "{err}");
    let err = failure(&turnout(fresh, &["restore", &file("junk.json", b"hello")]));
    assert!(err.contains("is not a Turnout backup"), "{err}");
    let err = failure(&turnout(
        fresh,
        &["restore", &file("events.json", b"[{\"title\": \"x\"}]")],
    ));
    assert!(err.contains("is not a Turnout backup"), "{err}");
    let err = failure(&turnout(
        fresh,
        &["restore", &file("other.json", br#"{"format": "pg_dump"}"#)],
    ));
    assert!(err.contains("\"format\": \"turnout-backup\""), "{err}");
    let err = failure(&turnout(
        fresh,
        &[
            "restore",
            &file(
                "future.json",
                br#"{"format": "turnout-backup", "version": 2}"#,
            ),
        ],
    ));
    assert!(err.contains("format version 2"), "{err}");

    app.seed().await;
    let db = app.settings.database_path();
    let good = dir.join("good.json");
    stdout(&turnout(&db, &["backup", good.to_str().unwrap()]));
    let bytes = std::fs::read(&good).unwrap();
    let err = failure(&turnout(
        fresh,
        &[
            "restore",
            &file("truncated.json", &bytes[..bytes.len() / 2]),
        ],
    ));
    assert!(err.contains("is not a Turnout backup"), "{err}");
    let mut broken: Value = serde_json::from_slice(&bytes).unwrap();
    broken["tables"]["partners"][1]["slug"] = json!(5);
    let err = failure(&turnout(
        fresh,
        &[
            "restore",
            &file("broken.json", &serde_json::to_vec(&broken).unwrap()),
        ],
    ));
    assert!(err.contains("tables.partners[1].slug"), "{err}");
    let mut old: Value = serde_json::from_slice(&bytes).unwrap();
    old["migration"] = json!("20261123000001");
    let err = failure(&turnout(
        fresh,
        &[
            "restore",
            &file("old.json", &serde_json::to_vec(&old).unwrap()),
        ],
    ));
    assert!(err.contains("migration 20261123000001"), "{err}");
    // A SQLite file that is not Turnout's.
    let foreign = dir.join("foreign.db");
    {
        use diesel::Connection;
        let mut c = diesel::SqliteConnection::establish(&foreign.to_string_lossy()).unwrap();
        diesel::sql_query("CREATE TABLE t (x INTEGER)")
            .execute(&mut c)
            .unwrap();
    }
    let err = failure(&turnout(fresh, &["restore", foreign.to_str().unwrap()]));
    assert!(err.contains("not a Turnout database"), "{err}");
    // Nothing was written by any of them.
    let mut s = app.settings.clone();
    s.database_url = fresh.to_string_lossy().into_owned();
    let empty = stored(&s);
    for (table, rows) in empty.as_object().unwrap() {
        assert_eq!(rows, &json!([]), "{table}");
    }
    if app.on_postgres() {
        let err = failure(&turnout(
            &db,
            &["backup", dir.join("pg.db").to_str().unwrap()],
        ));
        assert!(err.contains("name the backup .json"), "{err}");
        assert!(!dir.join("pg.db").exists());
    }
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

fn names(conn: &mut turnout::db::DbConn, sql: &str) -> Vec<String> {
    let mut v: Vec<String> = diesel::sql_query(sql)
        .load::<Name>(conn)
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect();
    v.sort();
    v
}

#[actix_web::test]
async fn a_backup_holds_every_table_and_every_column() {
    let app = spawn_app().await;
    rich_data(&app).await;
    let target = app.dir.path().join("all.json");
    stdout(&turnout(
        &app.settings.database_path(),
        &["backup", target.to_str().unwrap()],
    ));
    let file: Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    let tables = file["tables"].as_object().unwrap();
    let mut conn = turnout::db::connect(&app.settings).unwrap();
    let (list, columns) = if app.on_postgres() {
        (
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = '{}'",
        )
    } else {
        (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            "SELECT name FROM pragma_table_info('{}')",
        )
    };
    let mut in_db = names(&mut conn, list);
    // Not backed up: diesel's bookkeeping, and the search index (with SQLite's FTS5 shadow
    // tables) that triggers rebuild on restore.
    in_db.retain(|t| t != "__diesel_schema_migrations" && !t.starts_with("event_search"));
    let mut in_backup: Vec<String> = tables.keys().cloned().collect();
    in_backup.sort();
    assert_eq!(in_backup, in_db, "every table");
    for (table, rows) in tables {
        let Some(row) = rows.get(0) else {
            assert_eq!(table, "rate_limits", "rich data has every other table");
            continue;
        };
        let mut keys: Vec<String> = row.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            names(&mut conn, &columns.replace("{}", table)),
            "every column of {table}"
        );
    }
}
