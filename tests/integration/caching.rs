//! Every public answer is built once per change and served like a static file: strong ETags per
//! encoding, 304s, Last-Modified, HEAD, gzip and brotli, Cache-Control a CDN can follow; every
//! write reaches it at once; nothing personal is ever stored or shared.

use std::io::Read;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{event, spawn_app, Response, TestApp};

async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = app.client.get(app.url(path));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    app.send(req, None).await
}

/// Asks for brotli until the background compression has made it (gzip is sent until then).
async fn brotli_form(app: &TestApp, path: &str) -> Response {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = get_with(app, path, &[("accept-encoding", "br, gzip")]).await;
        match r.header("content-encoding").as_deref() {
            Some("br") => return r,
            Some("gzip") if Instant::now() < deadline => {
                actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            }
            other => panic!("{path}: brotli never came (content-encoding {other:?})"),
        }
    }
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

fn unbrotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &body[..], &mut out).expect("valid brotli");
    out
}

async fn seeded() -> (TestApp, i64) {
    let app = spawn_app().await;
    app.seed().await;
    let mut id = 0;
    for (i, title) in ["Rally at City Hall", "Teach-in", "Vigil"]
        .iter()
        .enumerate()
    {
        let e = app
            .create_event(&event(
                title,
                &format!("2027-09-1{}T16:00", i + 3),
                &format!("2027-09-1{}T19:00", i + 3),
                "America/New_York",
            ))
            .await;
        id = e["id"].as_i64().expect("id");
    }
    (app, id)
}

fn public_paths(id: i64) -> Vec<String> {
    vec![
        "/".into(),
        "/archive".into(),
        "/actions".into(),
        "/actions/never-again".into(),
        "/partners/mijente".into(),
        format!("/events/{id}"),
        "/api/v1/events".into(),
        "/api/v1/events?action=never-again&limit=500".into(),
        format!("/api/v1/events/{id}"),
        "/api/v1/partners".into(),
        "/calendar.ics".into(),
        "/actions/never-again.ics".into(),
        format!("/events/{id}.ics"),
    ]
}

#[actix_web::test]
async fn every_public_answer_is_validated_compressed_and_cacheable() {
    let (app, id) = seeded().await;
    for path in public_paths(id) {
        let first = app.get(&path).await;
        assert_eq!(first.status, 200, "{path}");
        let etag = first.header("etag").expect("an ETag");
        assert!(
            etag.starts_with('"') && !etag.starts_with("W/"),
            "{path}: strong ETag, got {etag}"
        );
        let cc = first.header("cache-control").expect("Cache-Control");
        assert!(
            cc.starts_with("public, max-age=")
                && cc.contains("s-maxage=")
                && cc.contains("stale-while-revalidate="),
            "{path}: {cc}"
        );
        assert_eq!(
            first.header("vary").as_deref(),
            Some("Accept-Encoding"),
            "{path}"
        );
        let last_modified = first.header("last-modified").expect("Last-Modified");

        let again = app.get(&path).await;
        assert_eq!(again.body, first.body, "{path}");
        assert_eq!(again.header("etag"), Some(etag.clone()), "{path}");

        let r = get_with(&app, &path, &[("if-none-match", &etag)]).await;
        assert_eq!(r.status, 304, "{path}");
        assert!(r.body.is_empty());
        assert_eq!(r.header("etag"), Some(etag.clone()), "{path}");
        assert_eq!(r.header("cache-control"), Some(cc.clone()), "{path}");
        let r = get_with(&app, &path, &[("if-modified-since", &last_modified)]).await;
        assert_eq!(r.status, 304, "{path}");

        let head = app.send(app.client.head(app.url(&path)), None).await;
        assert_eq!(head.status, 200, "{path}");
        assert!(head.body.is_empty(), "{path}");
        assert_eq!(head.header("etag"), Some(etag.clone()), "{path}");
        assert_eq!(
            head.header("content-length"),
            Some(first.body.len().to_string()),
            "{path}"
        );
        assert_eq!(
            head.header("content-type"),
            first.header("content-type"),
            "{path}"
        );

        let gz = get_with(&app, &path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(
            gz.header("content-encoding").as_deref(),
            Some("gzip"),
            "{path}"
        );
        assert_eq!(gunzip(&gz.body), first.body, "{path}");
        let gz_etag = gz.header("etag").expect("etag");
        assert_ne!(gz_etag, etag, "{path}: each encoding has its own ETag");
        let r = get_with(
            &app,
            &path,
            &[("accept-encoding", "gzip"), ("if-none-match", &gz_etag)],
        )
        .await;
        assert_eq!(r.status, 304, "{path}");

        let br = brotli_form(&app, &path).await;
        assert_eq!(unbrotli(&br.body), first.body, "{path}");
        assert_ne!(br.header("etag"), Some(etag.clone()), "{path}");
    }
}

#[actix_web::test]
async fn a_write_reaches_every_cached_answer_at_once() {
    let (app, id) = seeded().await;
    let paths = [
        "/actions/never-again".to_string(),
        format!("/events/{id}"),
        "/api/v1/events?action=never-again".to_string(),
        "/actions/never-again.ics".to_string(),
    ];
    let mut before = Vec::new();
    for p in &paths {
        let r = app.get(p).await;
        assert!(String::from_utf8_lossy(&r.body).contains("Vigil"), "{p}");
        before.push(r.header("etag").expect("etag"));
        // Cached now: the same ETag again.
        assert_eq!(app.get(p).await.header("etag"), before.last().cloned());
    }
    let r = app
        .patch(
            &format!("/api/v1/events/{id}"),
            &json!({"title": "Candlelight vigil"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    for (p, old) in paths.iter().zip(&before) {
        let r = get_with(&app, p, &[("if-none-match", old)]).await;
        assert_eq!(r.status, 200, "{p}: the old ETag no longer matches");
        assert!(
            String::from_utf8_lossy(&r.body).contains("Candlelight vigil"),
            "{p} shows the change at once"
        );
        assert_ne!(r.header("etag").as_ref(), Some(old), "{p}");
    }
}

#[actix_web::test]
async fn parameter_order_and_empty_parameters_share_one_answer() {
    let (app, _) = seeded().await;
    let a = app.get("/api/v1/events?action=never-again&limit=2").await;
    let b = app
        .get("/api/v1/events?limit=2&q=&action=never-again")
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("etag"), b.header("etag"));
    assert_eq!(a.body, b.body);
}

#[actix_web::test]
async fn cursor_pages_are_cacheable() {
    let (app, _) = seeded().await;
    let first = app.get("/api/v1/events?limit=2").await;
    let next = first.json()["next_cursor"]
        .as_str()
        .expect("a next cursor")
        .to_string();
    let path = format!("/api/v1/events?limit=2&cursor={next}");
    let page = app.get(&path).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.json()["events"].as_array().map(Vec::len), Some(1));
    let etag = page.header("etag").expect("etag");
    assert!(page
        .header("cache-control")
        .is_some_and(|c| c.starts_with("public")));
    let r = get_with(&app, &path, &[("if-none-match", &etag)]).await;
    assert_eq!(r.status, 304);
    // The listing page's "later" link (50 events a page) is cached the same way.
    for day in 0..50 {
        app.create_event(&event(
            &format!("Daily vigil {day}"),
            &format!("2027-10-{:02}T18:00", day % 28 + 1),
            &format!("2027-10-{:02}T19:00", day % 28 + 1),
            "America/Chicago",
        ))
        .await;
    }
    let home = String::from_utf8(app.get("/").await.body).expect("html");
    let marker = "rel=\"next\" href=\"";
    let start = home.find(marker).expect("a later link") + marker.len();
    let later = home[start..][..home[start..].find('"').expect("end")].replace("&amp;", "&");
    assert!(later.contains("cursor="), "{later}");
    let page = app.get(&later).await;
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("Daily vigil"));
    let etag = page.header("etag").expect("etag");
    assert_eq!(app.get(&later).await.header("etag"), Some(etag.clone()));
    let r = get_with(&app, &later, &[("if-none-match", &etag)]).await;
    assert_eq!(r.status, 304, "{later}");
}

#[actix_web::test]
async fn personal_answers_are_never_stored_or_shared() {
    let (app, id) = seeded().await;
    for path in ["/api/v1/events", &format!("/api/v1/events/{id}")] {
        let r = app
            .send(
                app.client.get(app.url(path)).bearer_auth(&app.admin_token),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(
            r.header("cache-control").as_deref(),
            Some("private, no-store"),
            "{path}"
        );
    }
    let revisions = app
        .send(
            app.client
                .get(app.url(&format!("/api/v1/events/{id}/revisions")))
                .bearer_auth(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(
        revisions.header("cache-control").as_deref(),
        Some("private, no-store")
    );
    for path in ["/submit", "/admin/login"] {
        let r = app.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(
            r.header("cache-control").as_deref(),
            Some("private, no-store"),
            "{path}"
        );
        assert_eq!(r.header("etag"), None, "{path}");
    }
    // Two visitors of the submission form get their own forms (own CSRF tokens).
    let a = app.get("/submit").await;
    let b = app.get("/submit").await;
    assert_ne!(a.header("set-cookie"), None);
    assert_ne!(a.body, b.body);
}

#[actix_web::test]
async fn errors_are_not_kept() {
    let (app, _) = seeded().await;
    let r = app.get("/events/99999").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-cache"));
    assert_eq!(r.header("etag"), None);
    let r = app.get("/api/v1/events?limit=0").await;
    assert_eq!(r.status, 422);
    assert_eq!(r.header("etag"), None);
}
