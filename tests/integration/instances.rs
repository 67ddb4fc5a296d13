//! Several `turnout serve` processes on one PostgreSQL database (the `integration_postgres` run):
//! a write through one reaches the others' cached answers within a second, by LISTEN/NOTIFY.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{event, text, Response};

/// An admin API token made the way `turnout token create` makes it.
fn cli_token(db: &str, name: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_turnout"))
        .args(["token", "create", "--name", name])
        .env("TURNOUT_DATABASE_URL", db)
        .output()
        .expect("token");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

/// The partner and day of action the tests post events to, made through `base`'s API.
async fn seed_through(client: &awc::Client, base: &str, token: &str) {
    let partner = json!({"slug": "mijente", "name": "Mijente"});
    let url = format!("{base}/api/v1/partners");
    assert_eq!(send(client, "POST", &url, token, Some(partner)).await, 201);
    let action =
        json!({"slug": "never-again", "title": "Never Again Is Now", "partners": ["mijente"]});
    let url = format!("{base}/api/v1/actions");
    assert_eq!(send(client, "POST", &url, token, Some(action)).await, 201);
}

/// One `turnout serve`, stopped when dropped.
struct Instance {
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn serve(db: &str) -> Instance {
    serve_with(db, &[])
}

fn serve_with(db: &str, env: &[(&str, &str)]) -> Instance {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_turnout"))
        .arg("serve")
        .envs(env.iter().copied())
        .env("TURNOUT_DATABASE_URL", db)
        .env("TURNOUT_LISTEN", format!("127.0.0.1:{port}"))
        .env("TURNOUT_BASE_URL", "http://turnout.test")
        // The change poller is far away: only NOTIFY can explain a follow within a second.
        .env("TURNOUT_DATABASE__CHANGE_POLL_MS", "3600000")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .expect("starts turnout serve");
    Instance {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

async fn get(client: &awc::Client, url: &str) -> Option<Response> {
    let mut res = client.get(url).send().await.ok()?;
    let body = res.body().limit(16 << 20).await.ok()?.to_vec();
    Some(Response {
        status: res.status(),
        headers: res.headers().clone(),
        body,
    })
}

async fn wait_up(client: &awc::Client, i: &Instance) {
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        if get(client, &format!("{}/healthz", i.base)).await.is_some() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} did not come up", i.base);
}

/// Polls `path` on `i` until `ok(body)` holds; how long that took.
async fn follows(
    client: &awc::Client,
    i: &Instance,
    path: &str,
    ok: impl Fn(&str) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        if let Some(r) = get(client, &format!("{}{path}", i.base)).await {
            if ok(&text(&r)) {
                return start.elapsed();
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{path} on the other instance never followed"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn send(
    client: &awc::Client,
    method: &str,
    url: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> u16 {
    let req = client
        .request(
            awc::http::Method::from_bytes(method.as_bytes()).expect("method"),
            url,
        )
        .bearer_auth(token);
    let res = match body {
        Some(b) => req.send_json(&b).await,
        None => req.send().await,
    };
    res.expect("sent").status().as_u16()
}

#[actix_web::test]
async fn a_write_through_one_instance_reaches_the_other_within_a_second() {
    if !crate::postgres::wanted() {
        return;
    }
    let Some(db) = crate::postgres::fresh_database() else {
        return;
    };
    let a = serve(&db);
    let b = serve(&db);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    wait_up(&client, &a).await;
    wait_up(&client, &b).await;
    let token = cli_token(&db, "instances");
    let api = |i: &Instance, p: &str| format!("{}{p}", i.base);
    seed_through(&client, &a.base, &token).await;
    // B has the (empty) feed, JSON listing and action page cached before the write.
    follows(&client, &b, "/actions/never-again.ics", |t| {
        t.contains("BEGIN:VCALENDAR")
    })
    .await;
    follows(&client, &b, "/api/v1/events?action=never-again", |t| {
        t.contains("\"events\"")
    })
    .await;
    follows(&client, &b, "/actions/never-again", |t| {
        t.contains("</html>")
    })
    .await;

    let e = event(
        "Through A",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    let mut res = client
        .post(api(&a, "/api/v1/events"))
        .bearer_auth(&token)
        .send_json(&e)
        .await
        .expect("created");
    assert_eq!(res.status(), 201);
    let created: serde_json::Value = res.json().await.expect("json");
    let id = created["id"].as_i64().expect("id");
    let mut waited = Vec::new();
    waited.push(
        follows(&client, &b, "/actions/never-again.ics", |t| {
            t.contains("SUMMARY:Through A")
        })
        .await,
    );
    waited.push(
        follows(&client, &b, "/api/v1/events?action=never-again", |t| {
            t.contains("Through A")
        })
        .await,
    );
    waited.push(
        follows(&client, &b, "/actions/never-again", |t| {
            t.contains("Through A")
        })
        .await,
    );

    let patch = json!({"title": "Renamed through A"});
    let url = api(&a, &format!("/api/v1/events/{id}"));
    assert_eq!(send(&client, "PATCH", &url, &token, Some(patch)).await, 200);
    waited.push(
        follows(&client, &b, "/actions/never-again.ics", |t| {
            t.contains("SUMMARY:Renamed through A")
        })
        .await,
    );
    let url = api(&a, &format!("/api/v1/events/{id}/cancel"));
    assert_eq!(send(&client, "POST", &url, &token, None).await, 200);
    waited.push(
        follows(&client, &b, "/actions/never-again.ics", |t| {
            t.contains("STATUS:CANCELLED")
        })
        .await,
    );
    for w in &waited {
        assert!(
            *w < Duration::from_secs(1),
            "followed after {w:?}: {waited:?}"
        );
    }
}

/// One login attempt on `i` (a fresh form each time, as a browser would): its status.
async fn login(client: &awc::Client, i: &Instance, email: &str, password: &str) -> u16 {
    let mut form = client
        .get(format!("{}/admin/login", i.base))
        .send()
        .await
        .expect("login form");
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("turnout_login_csrf="))
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .to_string();
    let page = String::from_utf8_lossy(&form.body().await.expect("page")).into_owned();
    let csrf = crate::helpers::hidden(&page, "csrf");
    let body = serde_urlencoded::to_string([
        ("csrf", csrf.as_str()),
        ("next", "/admin"),
        ("email", email),
        ("password", password),
    ])
    .expect("form");
    client
        .post(format!("{}/admin/login", i.base))
        .insert_header(("cookie", cookie))
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .send_body(body)
        .await
        .expect("login")
        .status()
        .as_u16()
}

#[actix_web::test]
async fn failed_logins_spread_over_two_instances_throttle_as_on_one() {
    if !crate::postgres::wanted() {
        return;
    }
    let Some(db) = crate::postgres::fresh_database() else {
        return;
    };
    let secret = [(
        "TURNOUT_SECRET_KEY",
        "a long shared secret for both instances",
    )];
    let a = serve_with(&db, &secret);
    let b = serve_with(&db, &secret);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .max_redirects(0)
        .finish();
    wait_up(&client, &a).await;
    wait_up(&client, &b).await;
    let made = Command::new(env!("CARGO_BIN_EXE_turnout"))
        .args([
            "user",
            "create",
            "--email",
            "ana@example.org",
            "--role",
            "admin",
        ])
        .env("TURNOUT_DATABASE_URL", &db)
        .output()
        .expect("user");
    assert!(made.status.success());
    let mut statuses = Vec::new();
    for n in 0..20 {
        let i = if n % 2 == 0 { &a } else { &b };
        statuses.push(login(&client, i, "ana@example.org", "guess").await);
    }
    // Five tries per address and account, whichever instance gets them.
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        15,
        "{statuses:?}"
    );
}

/// A number from the standby's statistics of `db` (`pg_stat_database`).
fn standby_stat(replica_url: &str, column: &str) -> i64 {
    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut c = diesel::PgConnection::establish(replica_url).expect("standby");
    diesel::sql_query(format!(
        "SELECT {column}::bigint AS n FROM pg_stat_database WHERE datname = current_database()"
    ))
    .get_result::<N>(&mut c)
    .map(|r| r.n)
    .unwrap_or(0)
}

fn on_standby(replica_url: &str, sql: &str) {
    use diesel::{Connection, RunQueryDsl};
    let mut c = diesel::PgConnection::establish(replica_url).expect("standby");
    diesel::sql_query(sql).execute(&mut c).expect(sql);
}

#[actix_web::test]
async fn public_reads_use_the_replica_and_a_writer_sees_its_write_at_once() {
    if !crate::postgres::wanted() {
        return;
    }
    let Some(db) = crate::postgres::fresh_database() else {
        return;
    };
    let Some(replica) = crate::postgres::replica_of(&db) else {
        return;
    };
    let r = serve_with(&db, &[("TURNOUT_DATABASE_READ_URL", replica.as_str())]);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    wait_up(&client, &r).await;
    let token = cli_token(&db, "replica");
    let url = |p: &str| format!("{}{p}", r.base);
    seed_through(&client, &r.base, &token).await;

    // The replica stops replaying: only the primary has what follows.
    on_standby(&replica, "SELECT pg_wal_replay_pause()");
    let e = event(
        "Written",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    let mut res = client
        .post(url("/api/v1/events"))
        .bearer_auth(&token)
        .send_json(&e)
        .await
        .expect("created");
    assert_eq!(res.status(), 201);
    let created: serde_json::Value = res.json().await.expect("json");
    let id = created["id"].as_i64().expect("id");
    // Read your writes: at once, although the replica has not got it.
    let got = get(&client, &url(&format!("/api/v1/events/{id}")))
        .await
        .expect("get");
    assert_eq!(got.status, 200);
    assert!(text(&got).contains("Written"));
    let feed = get(&client, &url("/actions/never-again.ics"))
        .await
        .expect("feed");
    assert!(text(&feed).contains("SUMMARY:Written"));

    // Replaying again: public reads follow within a second, and go to the replica.
    on_standby(&replica, "SELECT pg_wal_replay_resume()");
    let waited = follows(&client, &r, "/api/v1/events?action=never-again", |t| {
        t.contains("Written")
    })
    .await;
    assert!(waited < Duration::from_secs(1), "{waited:?}");
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let before = standby_stat(&replica, "xact_commit");
    for _ in 0..20 {
        let r = get(&client, &url("/api/v1/events?action=never-again"))
            .await
            .expect("list");
        assert!(text(&r).contains("Written"));
    }
    let until = Instant::now() + Duration::from_secs(5);
    let mut after = standby_stat(&replica, "xact_commit");
    while after < before + 20 && Instant::now() < until {
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        after = standby_stat(&replica, "xact_commit");
    }
    assert!(
        after >= before + 20,
        "the replica answered {} reads",
        after - before
    );
}

/// The database of a fresh test: a PostgreSQL database in the postgres run, else a SQLite file.
fn fresh_db(dir: &std::path::Path) -> String {
    if crate::postgres::wanted() {
        if let Some(url) = crate::postgres::fresh_database() {
            return url;
        }
    }
    dir.join("durable.db").to_string_lossy().into_owned()
}

#[actix_web::test]
async fn kill_9_under_write_load_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().expect("dir");
    let db = fresh_db(dir.path());
    let server = serve(&db);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    wait_up(&client, &server).await;
    let token = cli_token(&db, "load");
    seed_through(&client, &server.base, &token).await;

    // Four writers post as fast as they can; the server is killed in the middle of it.
    let url = format!("{}/api/v1/events", server.base);
    let stop_at = Instant::now() + Duration::from_millis(1500);
    let writer = |w: usize| {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        async move {
            let mut acknowledged = Vec::new();
            for n in 0.. {
                if Instant::now() > stop_at + Duration::from_secs(2) {
                    break;
                }
                let mut e = event(
                    &format!("Load {w}-{n}"),
                    "2027-09-13T16:00",
                    "2027-09-13T19:00",
                    "America/New_York",
                );
                e["uid"] = json!(format!("load-{w}-{n}@turnout.test"));
                match client.post(&url).bearer_auth(&token).send_json(&e).await {
                    Ok(res) if res.status() == 201 => acknowledged.push(format!("load-{w}-{n}")),
                    Ok(_) => {}
                    Err(_) => break, // the server is gone
                }
            }
            acknowledged
        }
    };
    let killer = async {
        let now = Instant::now();
        if stop_at > now {
            actix_web::rt::time::sleep(stop_at - now).await;
        }
        let pid = server.child.id();
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    };
    let (a, b, c, d, ()) = futures_util::join!(writer(0), writer(1), writer(2), writer(3), killer);
    let acknowledged: Vec<String> = [a, b, c, d].concat();
    assert!(
        acknowledged.len() > 10,
        "only {} writes before the kill",
        acknowledged.len()
    );
    drop(server);

    // Every acknowledged write is there after a restart.
    let again = serve(&db);
    wait_up(&client, &again).await;
    let mut found = 0;
    let mut cursor: Option<String> = None;
    let mut uids = std::collections::HashSet::new();
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/events?from=2027-01-01&limit=500&cursor={c}"),
            None => "/api/v1/events?from=2027-01-01&limit=500".to_string(),
        };
        let r = get(&client, &format!("{}{path}", again.base))
            .await
            .expect("list");
        let page: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
        for e in page["events"].as_array().cloned().unwrap_or_default() {
            if let Some(uid) = e["uid"].as_str() {
                uids.insert(uid.trim_end_matches("@turnout.test").to_string());
                found += 1;
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let lost: Vec<&String> = acknowledged.iter().filter(|u| !uids.contains(*u)).collect();
    assert!(
        lost.is_empty(),
        "lost {} of {} acknowledged writes ({found} stored): {lost:?}",
        lost.len(),
        acknowledged.len()
    );
}

async fn is_leader(client: &awc::Client, i: &Instance) -> bool {
    match get(client, &format!("{}/healthz", i.base)).await {
        Some(r) => text(&r).contains("leader"),
        None => false,
    }
}

#[actix_web::test]
async fn exactly_one_instance_leads_and_another_takes_over_when_it_dies() {
    if !crate::postgres::wanted() {
        return;
    }
    let Some(db) = crate::postgres::fresh_database() else {
        return;
    };
    let a = serve(&db);
    let b = serve(&db);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    wait_up(&client, &a).await;
    wait_up(&client, &b).await;
    let until = Instant::now() + Duration::from_secs(10);
    let (mut la, mut lb) = (false, false);
    while Instant::now() < until {
        la = is_leader(&client, &a).await;
        lb = is_leader(&client, &b).await;
        if la || lb {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(la != lb, "exactly one leads: a={la} b={lb}");
    // Stays that way.
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        (is_leader(&client, &a).await, is_leader(&client, &b).await),
        (la, lb)
    );
    let (dead, other) = if la { (a, b) } else { (b, a) };
    let pid = dead.child.id();
    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    drop(dead);
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until && !is_leader(&client, &other).await {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        is_leader(&client, &other).await,
        "the other instance took over"
    );
}

#[actix_web::test]
async fn a_listener_that_lost_its_connection_catches_up() {
    if !crate::postgres::wanted() {
        return;
    }
    let Some(db) = crate::postgres::fresh_database() else {
        return;
    };
    let a = serve(&db);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    wait_up(&client, &a).await;
    let dir = tempfile::tempdir().expect("dir");
    let import = |body: serde_json::Value| {
        let file = dir.path().join("import.json");
        std::fs::write(&file, body.to_string()).expect("write");
        let out = Command::new(env!("CARGO_BIN_EXE_turnout"))
            .arg("import")
            .arg(&file)
            .env("TURNOUT_DATABASE_URL", &db)
            .env("RUST_LOG", "error")
            .output()
            .expect("import");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    import(json!({
        "partners": [{"slug": "mijente", "name": "Mijente"}],
        "actions": [{"slug": "never-again", "title": "Never Again Is Now", "partners": ["mijente"]}],
        "events": []
    }));
    follows(&client, &a, "/actions/never-again.ics", |t| {
        t.contains("BEGIN:VCALENDAR")
    })
    .await;
    // Cut the instance's LISTEN connection, then write from another process while it is away.
    {
        use diesel::{Connection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct Done {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            done: bool,
        }
        let mut c = diesel::PgConnection::establish(&db).expect("db");
        let cut: Vec<Done> = diesel::sql_query(
            "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity \
             WHERE application_name = 'turnout-listen' AND datname = current_database()",
        )
        .load(&mut c)
        .expect("terminate");
        assert_eq!(cut.len(), 1, "the listener's connection was found");
        assert!(cut.iter().all(|d| d.done));
    }
    let mut e = event(
        "While away",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    e["uid"] = json!("away@turnout.test");
    import(json!([e]));
    let waited = follows(&client, &a, "/actions/never-again.ics", |t| {
        t.contains("SUMMARY:While away")
    })
    .await;
    assert!(
        waited < Duration::from_secs(3),
        "caught up after {waited:?}"
    );
}

#[actix_web::test]
async fn two_instances_refreshing_one_feed_run_it_once() {
    if !crate::postgres::wanted() {
        return;
    }
    let Some(db) = crate::postgres::fresh_database() else {
        return;
    };
    let local = [("TURNOUT_IMPORT_ALLOW_PRIVATE", "true")];
    let a = serve_with(&db, &local);
    let b = serve_with(&db, &local);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(20))
        .finish();
    wait_up(&client, &a).await;
    wait_up(&client, &b).await;
    let token = cli_token(&db, "instances");
    seed_through(&client, &a.base, &token).await;
    // A partner's calendar server that takes a second and a half to answer.
    let up = crate::imports::upstream().await;
    let start = (chrono::Utc::now() + chrono::Duration::days(5)).format("%Y%m%dT%H%M%SZ");
    let events: String = (1..=3)
        .map(|n| {
            format!(
                "BEGIN:VEVENT\r\nUID:race-{n}@partner.example\r\nSUMMARY:Race {n}\r\n\
                 LOCATION:Oakland\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nEND:VEVENT\r\n"
            )
        })
        .collect();
    up.put(
        "race.ics",
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{events}END:VCALENDAR\r\n"),
        None,
    );
    let mut res = client
        .post(format!("{}/api/v1/imports", a.base))
        .bearer_auth(&token)
        .send_json(&json!({"url": up.url("/slow/race.ics"), "partner": "mijente"}))
        .await
        .expect("added");
    assert_eq!(res.status(), 201);
    let imp: serde_json::Value = res.json().await.expect("json");
    // Three refreshes through each instance at once, while both schedulers find the new feed
    // due: one run holds the feed, the others are told so.
    let refreshes = [&a, &b, &a, &b, &a, &b].map(|i| {
        let url = format!("{}/api/v1/imports/{}/refresh", i.base, imp["id"]);
        let (client, token) = (client.clone(), token.clone());
        actix_web::rt::spawn(async move { send(&client, "POST", &url, &token, None).await })
    });
    let mut statuses = Vec::new();
    for r in refreshes {
        statuses.push(r.await.expect("a refresh"));
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s == 200).count() <= 1,
        "{statuses:?}"
    );
    // The run that held it (a refresh's or a scheduler's) finishes; seen through the other one.
    let path = format!("/api/v1/imports/{}", imp["id"]);
    let until = Instant::now() + Duration::from_secs(30);
    let record = loop {
        let mut res = client
            .get(format!("{}{path}", b.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("import");
        let record: serde_json::Value = res.json().await.expect("json");
        if !record["last_status"].is_null() || Instant::now() > until {
            break record;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        (&record["last_status"], &record["created"]),
        (&json!("ok"), &json!(3)),
        "{record}"
    );
    assert_eq!(up.hits("race.ics").0, 1, "the feed was fetched once");
    for i in [&a, &b] {
        let listed = get(
            &client,
            &format!("{}/api/v1/events?partner=mijente&limit=100", i.base),
        )
        .await
        .expect("listing");
        let mut uids: Vec<String> = listed.json()["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["uid"].as_str().unwrap_or_default().to_string())
            .collect();
        uids.sort();
        assert_eq!(
            uids,
            [
                "race-1@partner.example",
                "race-2@partner.example",
                "race-3@partner.example"
            ],
            "{}",
            i.base
        );
    }
}
