//! The `turnout` binary: tokens, users, import/export, backup; errors on stderr with exit 1.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::json;

use crate::helpers::{event, spawn_app};

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
    std::fs::write(
        &file,
        serde_json::to_vec(&json!([with_uid, without_uid])).unwrap(),
    )
    .unwrap();

    let out = stdout(&turnout(&db, &["import", file.to_str().unwrap()]));
    assert!(out.contains("2 created"), "{out}");
    let out = stdout(&turnout(&db, &["import", file.to_str().unwrap()]));
    assert!(out.contains("0 created, 0 updated, 2 unchanged"), "{out}");
    let list = app.get("/api/v1/events?from=2000-01-01").await.json();
    assert_eq!(list["events"].as_array().map(Vec::len), Some(2));

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

#[actix_web::test]
async fn backup_while_serving_is_a_consistent_copy() {
    let app = spawn_app().await;
    app.seed().await;
    app.create_event(&event(
        "Backed up",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    ))
    .await;
    let db = app.settings.database_path();
    let target = app.dir.path().join("backups/2027/backup.db");
    stdout(&turnout(&db, &["backup", target.to_str().unwrap()]));
    let out = stdout(&turnout(&target, &["export"]));
    assert!(out.contains("Backed up"));
    assert!(
        !turnout(&db, &["backup", target.to_str().unwrap()])
            .status
            .success(),
        "never overwrites"
    );
}
