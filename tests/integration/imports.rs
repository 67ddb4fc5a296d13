//! Partners' feeds flowing in: a real HTTP server of the test's own serves feeds modelled on what
//! Google Calendar and Outlook export; Turnout subscribes, and the events land at the instants
//! python `icalendar` and `ical.js` give for them, follow edits, cancellations and removals
//! upstream, and survive hostile feeds.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::helpers::{event, spawn_app_with, text, token, user, Browser, TestApp};
use crate::interop::expand_both;

const GOOGLE: &str = include_str!("../fixtures/imports/google.ics");
const OUTLOOK: &str = include_str!("../fixtures/imports/outlook.ics");

/// What the upstream server serves under `/feeds/NAME`, and how often it answered.
#[derive(Clone, Default)]
pub(crate) struct Upstream {
    files: Arc<Mutex<HashMap<String, Served>>>,
    /// name → (200s, 304s)
    hits: Arc<Mutex<HashMap<String, (u32, u32)>>>,
    base: String,
}

#[derive(Clone)]
struct Served {
    body: Vec<u8>,
    etag: Option<String>,
    /// Sent gzip-encoded (the body given is already compressed).
    gzip: bool,
}

impl Upstream {
    pub(crate) fn put(&self, name: &str, body: impl Into<Vec<u8>>, etag: Option<&str>) {
        self.files.lock().unwrap().insert(
            name.into(),
            Served {
                body: body.into(),
                etag: etag.map(str::to_string),
                gzip: false,
            },
        );
    }

    fn put_gzip(&self, name: &str, compressed: Vec<u8>) {
        self.files.lock().unwrap().insert(
            name.into(),
            Served {
                body: compressed,
                etag: None,
                gzip: true,
            },
        );
    }

    pub(crate) fn hits(&self, name: &str) -> (u32, u32) {
        self.hits
            .lock()
            .unwrap()
            .get(name)
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

async fn serve(req: HttpRequest, up: web::Data<Upstream>) -> HttpResponse {
    let name = req.match_info().query("name").to_string();
    let Some(file) = up.files.lock().unwrap().get(&name).cloned() else {
        return HttpResponse::NotFound().finish();
    };
    let matches = file.etag.as_deref().is_some_and(|tag| {
        req.headers()
            .get("if-none-match")
            .and_then(|v| v.to_str().ok())
            == Some(tag)
    });
    let mut hits = up.hits.lock().unwrap();
    let count = hits.entry(name).or_default();
    if matches {
        count.1 += 1;
        return HttpResponse::NotModified().finish();
    }
    count.0 += 1;
    let mut resp = HttpResponse::Ok();
    resp.content_type("text/calendar; charset=utf-8");
    if let Some(tag) = &file.etag {
        resp.insert_header(("etag", tag.as_str()));
    }
    if file.gzip {
        resp.insert_header(("content-encoding", "gzip"));
        // The body is compressed already: do not let the server touch it.
        return resp.body(file.body);
    }
    resp.body(file.body)
}

/// A feed of `files` sent after a second and a half (a partner's slow calendar server).
async fn slow(req: HttpRequest, up: web::Data<Upstream>) -> HttpResponse {
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
    serve(req, up).await
}

/// Redirects forever: /loop/1 → /loop/2 → …
async fn endless(n: web::Path<u32>) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("location", format!("/loop/{}", *n + 1)))
        .finish()
}

/// Redirects once, to the Google feed.
async fn moved() -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header(("location", "/feeds/google.ics"))
        .finish()
}

/// Redirects once, to the Google feed on 127.0.0.2 at the port given.
async fn away(port: web::Path<u16>) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((
            "location",
            format!("http://127.0.0.2:{}/feeds/google.ics", *port),
        ))
        .finish()
}

pub(crate) async fn upstream() -> Upstream {
    upstream_on("127.0.0.1").await
}

/// The upstream server on one loopback address (Linux answers all of 127.0.0.0/8).
async fn upstream_on(ip: &str) -> Upstream {
    let listener = std::net::TcpListener::bind((ip, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let up = Upstream {
        base: format!("http://{ip}:{port}"),
        ..Upstream::default()
    };
    let data = web::Data::new(up.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/feeds/{name}", web::get().to(serve))
            .route("/loop/{n}", web::get().to(endless))
            .route("/moved.ics", web::get().to(moved))
            .route("/away/{port}", web::get().to(away))
            .route("/slow/{name}", web::get().to(slow))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    up
}

async fn app_fetching_locally() -> TestApp {
    let app = spawn_app_with(|s| s.import_allow_private = true).await;
    app.seed().await;
    app
}

async fn add(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/imports", &body).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

async fn refresh(app: &TestApp, id: &Value) -> Value {
    let r = refresh_answer(app, id).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

/// The API's answer to a refresh of import `id`, whatever it is.
async fn refresh_answer(app: &TestApp, id: &Value) -> crate::helpers::Response {
    app.write(
        "POST",
        &format!("/api/v1/imports/{id}/refresh"),
        Some(&app.admin_token),
        None,
    )
    .await
}

/// The import's record once a run has recorded its status (within 20 s), as the API shows it.
async fn first_run(app: &TestApp, imp: &Value) -> Value {
    let path = format!("/api/v1/imports/{}", imp["id"]);
    let mut status = Value::Null;
    for _ in 0..100 {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
        status = app
            .write("GET", &path, Some(&app.admin_token), None)
            .await
            .json();
        if !status["last_status"].is_null() {
            break;
        }
    }
    status
}

/// Every event of `partner` as the API lists it (any time), by uid.
async fn events_of(app: &TestApp, partner: &str) -> HashMap<String, Value> {
    let r = app
        .get(&format!(
            "/api/v1/events?partner={partner}&from=2000-01-01&limit=500"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["uid"].as_str().unwrap().to_string(), e.clone()))
        .collect()
}

/// (uid, start, end, summary) of every occurrence in March 2027 as one parser expands a feed.
type Seen = BTreeSet<(String, String, String, String)>;

fn expanded(ics: &[u8]) -> Seen {
    expanded_by(ics, true)
}

/// `expanded`; with `both` false, as python `icalendar` reads it (ical.js reads a TZID without
/// a VTIMEZONE, which Mobilizon writes, as floating time; python and Turnout as the IANA zone).
fn expanded_by(ics: &[u8], both: bool) -> Seen {
    let [(p1, a), (p2, b)] = expand_both(ics, "2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z");
    let b = if both { b } else { a.clone() };
    let a: Seen = a
        .into_iter()
        .map(|o| (o.uid, o.start, o.end, o.summary))
        .collect();
    let b: Seen = b
        .into_iter()
        .map(|o| (o.uid, o.start, o.end, o.summary))
        .collect();
    assert_eq!(a, b, "{p1} and {p2} disagree on the fixture");
    a
}

/// The partner's feed here, read by the same parsers, has every occurrence of the source at the
/// same instants.
async fn lands_where_parsers_put_it(app: &TestApp, source: &str, partner: &str) {
    // A TZID no VTIMEZONE defines: only python reads it as its IANA zone.
    let defined = source.contains("BEGIN:VTIMEZONE") || !source.contains("TZID=");
    let want = expanded_by(source.as_bytes(), defined);
    assert!(!want.is_empty(), "the fixture has events in March 2027");
    let ours = app.get(&format!("/partners/{partner}.ics")).await;
    assert_eq!(ours.status, 200);
    let got = expanded(&ours.body);
    assert_eq!(
        got, want,
        "the imported events are not where the source has them"
    );
}

/// How many revisions event `id` has.
async fn revisions(app: &TestApp, id: Value) -> usize {
    let path = format!("/api/v1/events/{id}/revisions");
    let r = app.write("GET", &path, Some(&app.admin_token), None).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["revisions"].as_array().unwrap().len()
}

#[actix_web::test]
async fn a_google_calendar_flows_in_and_stays_current() {
    let app = app_fetching_locally().await;
    let up = upstream().await;
    up.put("google.ics", GOOGLE, Some("\"v1\""));
    let imp = add(
        &app,
        json!({"url": up.url("/feeds/google.ics"), "partner": "mijente", "action": "never-again",
               "tags": ["bay-area"], "review": "publish", "interval_minutes": 60}),
    )
    .await;
    assert_eq!(imp["last_status"], Value::Null);
    assert_eq!(imp["partner"], "mijente");
    let id = &imp["id"];

    let run = refresh(&app, id).await;
    assert_eq!(run["status"], "ok", "{run}");
    assert_eq!(
        (&run["created"], &run["updated"], &run["cancelled"]),
        (&json!(3), &json!(0), &json!(0)),
        "{run}"
    );
    assert_eq!(run["skipped"], json!([]));
    assert_eq!(run["import"]["calendar_name"], "Mijente Bay Area");
    lands_where_parsers_put_it(&app, GOOGLE, "mijente").await;
    let events = events_of(&app, "mijente").await;
    let march = &events["0a1b2c3d4emarch@google.com"];
    assert_eq!(march["action"]["slug"], "never-again", "{march}");
    assert!(march["tags"].to_string().contains("bay-area"), "{march}");
    assert_eq!(march["partners"][0]["slug"], "mijente");
    // Shown where the calendar is (X-WR-TIMEZONE), at the source's instant.
    assert_eq!(march["timezone"], "America/Los_Angeles");
    // March 13 is the day before clocks spring forward: still PST.
    assert_eq!(march["start"], "2027-03-13T09:00:00-08:00");
    let march_id = march["id"].clone();
    let page = text(&app.get(&format!("/events/{march_id}")).await);
    assert!(page.contains("From the calendar of"), "{page}");
    assert!(
        page.contains(">Mijente</a>"),
        "the source is named and linked"
    );
    assert!(page.contains(&up.url("/feeds/google.ics")));
    let page = text(&app.get(&format!("/es/events/{march_id}")).await);
    assert!(page.contains("Del calendario de"));
    let before = revisions(&app, march_id.clone()).await;

    // Nothing changed upstream: a 304, nothing parsed, nothing written.
    let run = refresh(&app, id).await;
    assert_eq!(run["status"], "not_modified", "{run}");
    assert_eq!(up.hits("google.ics"), (1, 1));
    assert_eq!(revisions(&app, march_id.clone()).await, before);

    // Upstream: the march is renamed, the weekend removed.
    let edited = GOOGLE.replace(
        "SUMMARY:March on the ICE field office",
        "SUMMARY:March on the ICE field office (new route)",
    );
    let start = edited.find("BEGIN:VEVENT\nDTSTART;VALUE=DATE").unwrap();
    let end = edited[start..].find("END:VEVENT\n").unwrap() + start + "END:VEVENT\n".len();
    let edited = format!("{}{}", &edited[..start], &edited[end..]);
    up.put("google.ics", edited.clone(), Some("\"v2\""));
    let run = refresh(&app, id).await;
    assert_eq!(run["status"], "ok", "{run}");
    assert_eq!(
        (
            &run["created"],
            &run["updated"],
            &run["cancelled"],
            &run["unchanged"]
        ),
        (&json!(0), &json!(1), &json!(1), &json!(1)),
        "{run}"
    );
    let events = events_of(&app, "mijente").await;
    assert_eq!(
        events["0a1b2c3d4emarch@google.com"]["title"],
        "March on the ICE field office (new route)"
    );
    // Gone upstream, cancelled here (still listed, so subscribers see it).
    assert_eq!(events["9z8y7x6wweekend@google.com"]["status"], "cancelled");
    let after_edit = revisions(&app, march_id.clone()).await;
    assert_eq!(after_edit, before + 1);

    // The same content under a new ETag: read, but nothing is written.
    up.put("google.ics", edited.clone(), Some("\"v3\""));
    let run = refresh(&app, id).await;
    assert_eq!(
        (
            &run["status"],
            &run["created"],
            &run["updated"],
            &run["cancelled"],
            &run["unchanged"]
        ),
        (&json!("ok"), &json!(0), &json!(0), &json!(0), &json!(2)),
        "{run}"
    );
    assert_eq!(revisions(&app, march_id.clone()).await, after_edit);

    // A broken fetch never cancels anything: binary garbage, then a feed cut short.
    up.put(
        "google.ics",
        vec![0_u8, 159, 146, 150, 255, 7, 1],
        Some("\"v4\""),
    );
    let run = refresh(&app, id).await;
    assert_eq!(run["status"], "error", "{run}");
    assert!(!run["error"].as_str().unwrap().is_empty());
    assert_eq!(run["import"]["last_status"], "error");
    assert_eq!(run["import"]["failures"], 1);
    let cut = &edited[..edited.find("BEGIN:VEVENT\nDTSTART:20270313").unwrap()];
    up.put("google.ics", cut.to_string(), Some("\"v5\""));
    let run = refresh(&app, id).await;
    assert_eq!(run["status"], "ok", "{run}");
    assert_eq!(run["cancelled"], 0, "{run}");
    assert_eq!(run["import"]["failures"], 0);
    let events = events_of(&app, "mijente").await;
    assert_eq!(events["0a1b2c3d4emarch@google.com"]["status"], "confirmed");

    // Deleting the import leaves its events.
    let r = app
        .write(
            "DELETE",
            &format!("/api/v1/imports/{id}"),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let r = app.get(&format!("/api/v1/events/{march_id}")).await;
    assert_eq!(r.status, 200);
    let page = text(&app.get(&format!("/events/{march_id}")).await);
    assert!(page.contains("no longer kept in sync"), "{page}");
    let r = app
        .write(
            "GET",
            &format!("/api/v1/imports/{id}"),
            Some(&app.admin_token),
            None,
        )
        .await;
    assert_eq!(r.status, 404);

    // Subscribed again: its events are the new import's (nothing created twice).
    let again = add(
        &app,
        json!({"url": up.url("/feeds/google.ics"), "partner": "mijente", "action": "never-again",
               "tags": ["bay-area"]}),
    )
    .await;
    let run = refresh(&app, &again["id"]).await;
    assert_eq!(
        (&run["created"], &run["unchanged"], &run["skipped"]),
        (&json!(0), &json!(1), &json!([])),
        "{run}"
    );
    let series_id = events_of(&app, "mijente").await["7kq3b1m2rapid@google.com"]["id"].clone();
    let page = text(&app.get(&format!("/events/{series_id}")).await);
    assert!(
        page.contains("From the calendar of") && !page.contains("no longer kept in sync"),
        "{page}"
    );
}

#[actix_web::test]
async fn outlook_windows_zones_land_at_their_instants() {
    let app = app_fetching_locally().await;
    let up = upstream().await;
    // Served from behind a redirect, as feeds that moved are.
    up.put("google.ics", OUTLOOK, None);
    let imp = add(
        &app,
        json!({"url": up.url("/moved.ics"), "partner": "tech-workers-coalition"}),
    )
    .await;
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(
        (&run["status"], &run["created"]),
        (&json!("ok"), &json!(2)),
        "{run}"
    );
    lands_where_parsers_put_it(&app, OUTLOOK, "tech-workers-coalition").await;
    let events = events_of(&app, "tech-workers-coalition").await;
    let call = events
        .values()
        .find(|e| e["title"] == "East Coast organizing call")
        .unwrap();
    assert_eq!(call["timezone"], "America/New_York");
    assert_eq!(call["online_url"], "https://meet.example/twc-east");
    // Without an ETag or Last-Modified, a second run reads the feed and changes nothing.
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(
        (&run["status"], &run["unchanged"]),
        (&json!("ok"), &json!(2)),
        "{run}"
    );
}

#[actix_web::test]
async fn hostile_feeds_are_refused_with_a_clear_status() {
    let app = app_fetching_locally().await;
    let up = upstream().await;
    // Good events first: nothing later may take them away.
    up.put("good.ics", GOOGLE, None);
    let good = add(
        &app,
        json!({"url": up.url("/feeds/good.ics"), "partner": "cosecha"}),
    )
    .await;
    assert_eq!(refresh(&app, &good["id"]).await["created"], 3);

    let mut huge = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
    while huge.len() < 11 * 1024 * 1024 {
        huge.push_str(
            "X-FILLER:0123456789012345678901234567890123456789012345678901234567890123\r\n",
        );
    }
    huge.push_str("END:VCALENDAR\r\n");
    up.put("huge.ics", huge.clone(), None);
    // The same size, but gzip-encoded into a few kilobytes: the cap counts what it unpacks to.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(huge.as_bytes()).unwrap();
    up.put_gzip("bomb.ics", gz.finish().unwrap());
    let mut wide = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:wide@x\r\nSUMMARY:Wide\r\n\
         DTSTART:20270313T170000Z\r\nDTEND:20270313T180000Z\r\nLOCATION:Oakland\r\n",
    );
    for i in 0..10_000 {
        wide.push_str(&format!("X-PROP-{i}:value {i}\r\n"));
    }
    wide.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    up.put("wide.ics", wide, None);

    for (path, expect) in [
        ("/feeds/huge.ics", "larger than"),
        ("/feeds/bomb.ics", "larger than"),
        ("/loop/1", "more than 5 redirects"),
        ("/feeds/missing.ics", "answered 404"),
    ] {
        let imp = add(&app, json!({"url": up.url(path), "partner": "cosecha"})).await;
        let run = refresh(&app, &imp["id"]).await;
        assert_eq!(run["status"], "error", "{path}: {run}");
        let error = run["error"].as_str().unwrap();
        assert!(error.contains(expect), "{path}: {error}");
        assert_eq!(run["import"]["last_error"], error);
        // Backed off: the next try waits longer than the interval.
        let next =
            chrono::DateTime::parse_from_rfc3339(run["import"]["next_fetch_at"].as_str().unwrap())
                .unwrap();
        let last =
            chrono::DateTime::parse_from_rfc3339(run["import"]["last_fetch_at"].as_str().unwrap())
                .unwrap();
        assert!(next - last >= chrono::Duration::minutes(119), "{run}");
    }
    // Ten thousand properties on one event: read, and imported.
    let imp = add(
        &app,
        json!({"url": up.url("/feeds/wide.ics"), "partner": "cosecha"}),
    )
    .await;
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(
        (&run["status"], &run["created"]),
        (&json!("ok"), &json!(1)),
        "{run}"
    );
    let events = events_of(&app, "cosecha").await;
    assert_eq!(events.len(), 4);
    assert!(events.values().all(|e| e["status"] == "confirmed"));
}

#[actix_web::test]
async fn private_addresses_are_refused_unless_allowed() {
    let app = spawn_app_with(|_| {}).await;
    app.seed().await;
    let up = upstream().await;
    up.put("google.ics", GOOGLE, None);
    let port = up.base.rsplit(':').next().unwrap().to_string();
    for (i, url) in [
        up.url("/feeds/google.ics"),
        format!("http://localhost:{port}/feeds/google.ics"),
        format!("http://[::1]:{port}/feeds/google.ics"),
        format!("http://0x7f000001:{port}/feeds/google.ics"),
    ]
    .into_iter()
    .enumerate()
    {
        // Each its own subscription (0x7f000001 is 127.0.0.1 once read).
        let url = format!("{url}?try={i}");
        let imp = add(&app, json!({"url": url, "partner": "mijente"})).await;
        let run = refresh(&app, &imp["id"]).await;
        assert_eq!(run["status"], "error", "{url}: {run}");
        assert!(
            run["error"].as_str().unwrap().contains("private"),
            "{url}: {run}"
        );
    }
    assert_eq!(
        up.hits("google.ics"),
        (0, 0),
        "a private address was fetched"
    );
    assert!(events_of(&app, "mijente").await.is_empty());
}

#[actix_web::test]
async fn an_allowed_network_opens_only_itself_and_redirects_out_of_it_are_refused() {
    // The operator allows 127.0.0.1 alone (their own calendar server, say); 127.0.0.2 is as
    // private as ever.
    let app = spawn_app_with(|s| s.import_allow_networks = vec!["127.0.0.1/32".into()]).await;
    app.seed().await;
    let allowed = upstream().await;
    allowed.put("google.ics", GOOGLE, None);
    let other = upstream_on("127.0.0.2").await;
    other.put("google.ics", GOOGLE, None);
    let other_port = other.base.rsplit(':').next().unwrap().to_string();

    // Straight from the allowed address: fetched, and its events land.
    let imp = add(
        &app,
        json!({"url": allowed.url("/feeds/google.ics"), "partner": "mijente"}),
    )
    .await;
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(run["status"], "ok", "{run}");
    assert_eq!(allowed.hits("google.ics"), (1, 0));
    let landed = events_of(&app, "mijente").await.len();
    assert!(landed > 0, "the allowed feed's events landed");

    // A redirect from the allowed address to another private one: refused at the hop, and the
    // other server never asked.
    let imp = add(
        &app,
        json!({"url": allowed.url(&format!("/away/{other_port}")), "partner": "cosecha"}),
    )
    .await;
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(run["status"], "error", "{run}");
    let error = run["error"].as_str().unwrap();
    assert!(
        error.contains("private") && error.contains("127.0.0.2"),
        "{run}"
    );
    // And straight to the other one: refused too.
    let imp = add(
        &app,
        json!({"url": other.url("/feeds/google.ics"), "partner": "cosecha"}),
    )
    .await;
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(run["status"], "error", "{run}");
    assert_eq!(other.hits("google.ics"), (0, 0), "127.0.0.2 was fetched");
    assert!(events_of(&app, "cosecha").await.is_empty());

    // A bad network is named at start.
    let mut bad = turnout::config::Settings::load(None).unwrap();
    bad.import_allow_networks = vec!["10.0.0.0/40".into()];
    let err = bad.validate().unwrap_err().to_string();
    assert!(err.contains("import_allow_networks"), "{err}");
}

#[actix_web::test]
async fn organizers_manage_their_own_partners_feeds_and_bad_input_is_named() {
    let app = app_fetching_locally().await;
    let up = upstream().await;
    up.put("google.ics", GOOGLE, None);
    let mijente = token(&app.settings, "mijente-site", Some("mijente"));
    let cosecha = token(&app.settings, "cosecha-site", Some("cosecha"));
    // An organizer's feed is their partner's; webcal:// is read as https://.
    let r = app
        .write(
            "POST",
            "/api/v1/imports",
            Some(&mijente),
            Some(
                &json!({"url": "webcal://calendar.example.org/mijente.ics", "review": "moderate"}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let imp = r.json();
    assert_eq!(imp["partner"], "mijente");
    assert_eq!(imp["url"], "https://calendar.example.org/mijente.ics");
    let r = app
        .write(
            "POST",
            "/api/v1/imports",
            Some(&mijente),
            Some(&json!({"url": "https://calendar.example.org/other.ics", "partner": "cosecha"})),
        )
        .await;
    r.problem(403);
    let path = format!("/api/v1/imports/{}", imp["id"]);
    app.write("GET", &path, Some(&cosecha), None)
        .await
        .problem(403);
    app.write("DELETE", &path, Some(&cosecha), None)
        .await
        .problem(403);
    let listed = app
        .write("GET", "/api/v1/imports", Some(&cosecha), None)
        .await;
    assert_eq!(listed.json()["imports"], json!([]));
    app.write("GET", "/api/v1/imports", None, None)
        .await
        .problem(401);
    // The same feed twice for one partner: 409.
    app.write(
        "POST",
        "/api/v1/imports",
        Some(&mijente),
        Some(&json!({"url": "https://calendar.example.org/mijente.ics"})),
    )
    .await
    .problem(409);
    // Every bad field named.
    let r = app
        .post(
            "/api/v1/imports",
            &json!({"url": "ftp://example.org/x.ics", "partner": "nobody", "review": "later",
                    "interval_minutes": 2, "timezone": "Mars/Base"}),
        )
        .await;
    let mut fields = r.problem(422);
    fields.sort();
    assert_eq!(
        fields,
        ["interval_minutes", "partner", "review", "timezone", "url"]
    );
    // A PATCH changes what it names and keeps the rest.
    let r = app
        .write(
            "PATCH",
            &path,
            Some(&mijente),
            Some(&json!({"interval_minutes": 240})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        (&r.json()["interval_minutes"], &r.json()["review"]),
        (&json!(240), &json!("moderate"))
    );

    // A moderated feed's events wait in the queue.
    let moderated = add(
        &app,
        json!({"url": up.url("/feeds/google.ics"), "partner": "cosecha", "review": "moderate"}),
    )
    .await;
    let run = refresh(&app, &moderated["id"]).await;
    assert_eq!(run["created"], 3, "{run}");
    assert!(events_of(&app, "cosecha").await.is_empty());
    let mut conn = turnout::db::connect(&app.settings).unwrap();
    let pending = turnout::db::queries::events::pending(&mut conn).unwrap();
    assert_eq!(pending.len(), 3);
}

#[actix_web::test]
async fn a_refresh_whose_client_hangs_up_still_finishes_its_run() {
    use std::io::Write;
    let app = app_fetching_locally().await;
    let up = upstream().await;
    up.put("google.ics", GOOGLE, None);
    let imp = add(
        &app,
        json!({"url": up.url("/slow/google.ics"), "partner": "mijente"}),
    )
    .await;
    // The organizer's request goes out, then the tab is closed while the feed is on its way.
    let host = app.address.trim_start_matches("http://").to_string();
    let request = format!(
        "POST /api/v1/imports/{}/refresh HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Length: 0\r\n\r\n",
        imp["id"], app.admin_token
    );
    let mut conn = std::net::TcpStream::connect(&host).unwrap();
    conn.write_all(request.as_bytes()).unwrap();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(conn);
    // The run goes on without it: the feed is read, its events written, the run recorded.
    let status = first_run(&app, &imp).await;
    assert_eq!(status["last_status"], "ok", "{status}");
    assert_eq!(status["created"], 3, "{status}");
    assert_eq!(events_of(&app, "mijente").await.len(), 3);
    assert_eq!(up.hits("google.ics"), (1, 0));
}

#[actix_web::test]
async fn the_scheduler_fetches_due_feeds_by_itself() {
    let app = spawn_app_with(|s| {
        s.import_allow_private = true;
        s.imports.schedule_seconds = 1;
    })
    .await;
    app.seed().await;
    let up = upstream().await;
    up.put("google.ics", GOOGLE, Some("\"v1\""));
    let imp = add(
        &app,
        json!({"url": up.url("/feeds/google.ics"), "partner": "mijente"}),
    )
    .await;
    let status = first_run(&app, &imp).await;
    assert_eq!(status["last_status"], "ok", "{status}");
    assert_eq!(status["created"], 3);
    assert_eq!(events_of(&app, "mijente").await.len(), 3);
    // Due again only after its interval: no second fetch.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(up.hits("google.ics"), (1, 0));
}

#[actix_web::test]
async fn the_admin_partner_feeds_page_adds_refreshes_and_shows_errors() {
    let app = app_fetching_locally().await;
    let up = upstream().await;
    up.put("google.ics", GOOGLE, None);
    let password = user(&app, "admin@example.org", "admin", None);
    let mut b = Browser::new(&app);
    b.login("admin@example.org", &password).await;
    let csrf = b.csrf().await;
    let page = b.get("/admin/feeds").await;
    assert_eq!(page.status, 200);
    assert!(text(&page).contains("Add a feed"));
    // A bad address: the error beside its field, what was typed kept.
    let r = b
        .post(
            "/admin/feeds",
            &[
                ("csrf", &csrf),
                ("url", "gopher://old.example/feed"),
                ("partner", "mijente"),
                ("review", "moderate"),
                ("interval_minutes", "sixty"),
                ("tags", "bay-area"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let body = text(&r);
    assert!(
        body.contains("value=\"gopher://old.example/feed\""),
        "{body}"
    );
    assert!(body.contains("id=\"url-error\""), "{body}");
    assert!(body.contains("id=\"interval_minutes-error\""), "{body}");
    assert!(body.contains("value=\"moderate\" checked"), "{body}");
    let url = up.url("/feeds/google.ics");
    let r = b
        .post(
            "/admin/feeds",
            &[
                ("csrf", &csrf),
                ("url", &url),
                ("partner", "mijente"),
                ("review", "publish"),
                ("interval_minutes", "60"),
                ("tags", "bay-area, #NoTechForICE"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", text(&r));
    let page = text(&b.get("/admin/feeds").await);
    assert!(
        page.contains(&url) && page.contains("not fetched yet"),
        "{page}"
    );
    let id = app
        .write("GET", "/api/v1/imports", Some(&app.admin_token), None)
        .await
        .json()["imports"][0]["id"]
        .clone();
    let r = b
        .post(&format!("/admin/feeds/{id}/refresh"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, 200);
    let body = text(&r);
    assert!(
        body.contains("3 created · 0 updated · 0 cancelled · 0 unchanged · 0 skipped"),
        "{body}"
    );
    // A failing feed shows why.
    up.put("google.ics", "<html>moved</html>", None);
    let body = text(
        &b.post(&format!("/admin/feeds/{id}/refresh"), &[("csrf", &csrf)])
            .await,
    );
    assert!(
        body.contains("Could not be read: not an iCalendar file"),
        "{body}"
    );
    // Without the session's token, nothing runs.
    let r = b
        .post(&format!("/admin/feeds/{id}/refresh"), &[("csrf", "forged")])
        .await;
    assert_eq!(r.status, 403);
    let r = b
        .post(&format!("/admin/feeds/{id}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, 303);
    assert!(text(&b.get("/admin/feeds?done=deleted").await).contains("Feed removed"));
}

#[actix_web::test]
async fn the_cli_adds_and_refreshes_feeds() {
    let app = app_fetching_locally().await;
    let up = upstream().await;
    up.put("google.ics", GOOGLE, Some("\"v1\""));
    // Run off the test's own thread: the upstream server's connections are served on it.
    let db = app.settings.database_url.clone();
    let run = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let db = db.clone();
        async move {
            actix_web::rt::task::spawn_blocking(move || {
                std::process::Command::new(env!("CARGO_BIN_EXE_turnout"))
                    .args(&args)
                    .env("TURNOUT_DATABASE_URL", &db)
                    .env("TURNOUT_IMPORT_ALLOW_PRIVATE", "true")
                    .env("RUST_LOG", "error")
                    .output()
                    .expect("runs the binary")
            })
            .await
            .unwrap()
        }
    };
    let url = up.url("/feeds/google.ics");
    let out = run(&[
        "imports",
        "add",
        &url,
        "--partner",
        "mijente",
        "--tag",
        "bay-area",
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["imports", "refresh"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("ok: 3 created, 0 updated, 0 cancelled, 0 unchanged, 0 skipped"),
        "{stdout}"
    );
    let out = run(&["imports", "refresh", "1"]).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("not_modified"));
    // The server sees the CLI's events.
    assert_eq!(events_of(&app, "mijente").await.len(), 3);
    let out = run(&["imports", "list"]).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains(&url));
    // A feed that fails: exit 1, with the reason.
    up.put("google.ics", "nothing", Some("\"v2\""));
    let out = run(&["imports", "refresh", "1"]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("not an iCalendar file"));
}

#[actix_web::test]
async fn feeds_as_seven_more_services_write_them_land_at_their_instants() {
    let app = app_fetching_locally().await;
    let up = upstream().await;
    for (file, text, events) in [
        (
            "apple.ics",
            include_str!("../fixtures/imports/apple.ics"),
            2,
        ),
        (
            "mobilize.ics",
            include_str!("../fixtures/imports/mobilize.ics"),
            2,
        ),
        (
            "gancio.ics",
            include_str!("../fixtures/imports/gancio.ics"),
            2,
        ),
        (
            "mobilizon.ics",
            include_str!("../fixtures/imports/mobilizon.ics"),
            2,
        ),
        ("tec.ics", include_str!("../fixtures/imports/tec.ics"), 2),
        (
            "meetup.ics",
            include_str!("../fixtures/imports/meetup.ics"),
            1,
        ),
        // Exchange's labels for zones, matched by their rules.
        (
            "exchange.ics",
            include_str!("../fixtures/imports/exchange.ics"),
            1,
        ),
    ] {
        let slug = file.trim_end_matches(".ics");
        let r = app
            .post(
                "/api/v1/partners",
                &json!({"slug": slug, "name": format!("Partner on {slug}")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        up.put(file, text, None);
        let imp = add(
            &app,
            json!({"url": up.url(&format!("/feeds/{file}")), "partner": slug}),
        )
        .await;
        let run = refresh(&app, &imp["id"]).await;
        assert_eq!(run["status"], "ok", "{file}: {run}");
        assert_eq!(run["created"], events, "{file}: {run}");
        assert_eq!(run["skipped"], json!([]), "{file}: {run}");
        lands_where_parsers_put_it(&app, text, slug).await;
        let run = refresh(&app, &imp["id"]).await;
        assert_eq!(
            run["unchanged"], events,
            "{file}: a second run changes nothing: {run}"
        );
    }
    // Places read into their parts, coordinates from GEO, HTML descriptions as plain text.
    let find = |list: HashMap<String, Value>, title: &str| {
        list.into_values()
            .find(|e| e["title"] == title)
            .unwrap_or_else(|| panic!("no {title}"))
    };
    let rally = find(
        events_of(&app, "mobilize").await,
        "Rally at the Palantir office",
    );
    let v = &rally["venue"];
    assert_eq!(
        (&v["name"], &v["city"], &v["region"], &v["postal_code"]),
        (
            &json!("Palantir Technologies"),
            &json!("Denver"),
            &json!("CO"),
            &json!("80202")
        ),
        "{rally}"
    );
    let workshop = find(
        events_of(&app, "meetup").await,
        "Surveillance self-defense workshop",
    );
    assert_eq!(workshop["venue"]["lat"], 30.2672, "{workshop}");
    let assembly = find(events_of(&app, "gancio").await, "Community assembly");
    assert_eq!(
        assembly["description"],
        "Monthly assembly of the neighborhood network."
    );
    let teach_in = find(events_of(&app, "apple").await, "Know your rights teach-in");
    let v = &teach_in["venue"];
    assert_eq!(
        (&v["name"], &v["address"], &v["city"]),
        (
            &json!("Boston Common"),
            &json!("139 Tremont St"),
            &json!("Boston")
        ),
        "{teach_in}"
    );
}

#[actix_web::test]
async fn an_event_that_has_passed_and_left_the_feed_stays_as_it_was() {
    let app = app_fetching_locally().await;
    let up = upstream().await;
    let at = |hours: i64| {
        (chrono::Utc::now() + chrono::Duration::hours(hours))
            .format("%Y%m%dT%H%M%SZ")
            .to_string()
    };
    let event = |uid: &str, title: &str, from: i64, to: i64| {
        format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{title}\r\nLOCATION:Oakland\r\nDTSTART:{}\r\nDTEND:{}\r\nEND:VEVENT\r\n",
            at(from),
            at(to)
        )
    };
    let feed = |body: &str| format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n");
    up.put(
        "rolling.ics",
        feed(&format!(
            "{}{}",
            event("past@x", "This morning's rally", -5, -3),
            event("soon@x", "Tomorrow's rally", 20, 22)
        )),
        Some("\"1\""),
    );
    let imp = add(
        &app,
        json!({"url": up.url("/feeds/rolling.ics"), "partner": "cosecha"}),
    )
    .await;
    assert_eq!(refresh(&app, &imp["id"]).await["created"], 2);
    // Mobilize and Meetup drop what is over: both leave the feed.
    up.put("rolling.ics", feed(""), Some("\"2\""));
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(run["cancelled"], 1, "{run}");
    let events = events_of(&app, "cosecha").await;
    assert_eq!(events["past@x"]["status"], "confirmed", "it happened");
    assert_eq!(events["soon@x"]["status"], "cancelled");
}

#[actix_web::test]
async fn categories_become_tags_beside_the_imports_own() {
    let app = app_fetching_locally().await;
    let up = upstream().await;
    let start = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y%m%dT%H%M%SZ");
    up.put(
        "tagged.ics",
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:tagged@x\r\nSUMMARY:Know your rights\r\nLOCATION:Oakland\r\n\
             DTSTART:{start}\r\nDURATION:PT2H\r\nCATEGORIES:Teach-in,Immigrant Rights\\,Legal\r\n\
             CATEGORIES:#NoTechForICE,teach-in\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        ),
        None,
    );
    let imp = add(
        &app,
        json!({"url": up.url("/feeds/tagged.ics"), "partner": "cosecha", "tags": ["notechforice"]}),
    )
    .await;
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(run["created"], 1, "{run}");
    let event = &events_of(&app, "cosecha").await["tagged@x"];
    assert_eq!(
        event["tags"],
        json!(["notechforice", "Teach-in", "Immigrant-Rights-Legal"]),
        "{event}"
    );
    // The tags filter the calendar like any other event's.
    let r = app.get("/api/v1/events?tag=immigrant-rights-legal").await;
    assert_eq!(r.status, 200);
    let found: Vec<String> = r.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["uid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(found, ["tagged@x"]);
    // Nothing changed upstream: nothing changes here.
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(run["unchanged"], 1, "{run}");
}

#[actix_web::test]
async fn items_skipped_again_change_nothing() {
    let app = app_fetching_locally().await;
    let up = upstream().await;
    // An event of this calendar already holds the uid the feed gives its second item.
    let mut own = event(
        "Our own vigil",
        "2027-05-01T18:00:00",
        "2027-05-01T19:00:00",
        "America/Chicago",
    );
    own["uid"] = json!("clash@partner.example");
    let own = app.create_event(&own).await;
    let start = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y%m%dT%H%M%SZ");
    let feed = |clash_title: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n\
             BEGIN:VEVENT\r\nUID:good@partner.example\r\nSUMMARY:Teach-in\r\nLOCATION:Oakland\r\n\
             DTSTART:{start}\r\nDURATION:PT2H\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:clash@partner.example\r\nSUMMARY:{clash_title}\r\nLOCATION:Oakland\r\n\
             DTSTART:{start}\r\nDURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    up.put("clash.ics", feed("Their vigil"), None);
    let imp = add(
        &app,
        json!({"url": up.url("/feeds/clash.ics"), "partner": "cosecha"}),
    )
    .await;
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(
        (&run["created"], &run["changed"]),
        (&json!(1), &json!(true)),
        "{run}"
    );
    let skipped = run["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{run}");
    assert_eq!(skipped[0]["uid"], "clash@partner.example");
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("belongs to event {}", own["id"])),
        "{run}"
    );

    // The same feed again, and then with the skipped item edited upstream: still skipped, so
    // nothing here changes and no cache is emptied.
    for clash_title in ["Their vigil", "Their vigil (moved)"] {
        up.put("clash.ics", feed(clash_title), None);
        let run = refresh(&app, &imp["id"]).await;
        assert_eq!(
            (&run["status"], &run["unchanged"], &run["changed"]),
            (&json!("ok"), &json!(1), &json!(false)),
            "{run}"
        );
        assert_eq!(run["skipped"].as_array().unwrap().len(), 1, "{run}");
    }
    // Our own event is as it was.
    let r = app.get(&format!("/api/v1/events/{}", own["id"])).await;
    assert_eq!(r.json()["title"], "Our own vigil");

    // A real change upstream is one.
    up.put(
        "clash.ics",
        feed("Their vigil").replace("SUMMARY:Teach-in", "SUMMARY:Teach-in (new room)"),
        None,
    );
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(
        (&run["updated"], &run["changed"]),
        (&json!(1), &json!(true)),
        "{run}"
    );
}

#[actix_web::test]
async fn an_edit_made_here_is_kept_when_the_feed_changes_and_the_admin_shows_both() {
    let app = app_fetching_locally().await;
    let up = upstream().await;
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
    let feed = |title: &str, hour: u32, description: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:teach@partner.example\r\n\
             SUMMARY:{title}\r\nDESCRIPTION:{description}\r\nLOCATION:Oakland Library\r\n\
             DTSTART;TZID=America/Los_Angeles:{}T{hour:02}0000\r\nDURATION:PT2H\r\n\
             END:VEVENT\r\nEND:VCALENDAR\r\n",
            day.format("%Y%m%d")
        )
    };
    up.put("teach.ics", feed("Teach-in", 18, "Know your rights."), None);
    let imp = add(
        &app,
        json!({"url": up.url("/feeds/teach.ics"), "partner": "cosecha"}),
    )
    .await;
    assert_eq!(refresh(&app, &imp["id"]).await["created"], 1);
    let id = events_of(&app, "cosecha").await["teach@partner.example"]["id"].clone();
    let event_path = format!("/api/v1/events/{id}");

    // An organizer fixes the room here.
    let r = app
        .patch(&event_path, &json!({"title": "Teach-in (room 4)"}))
        .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    // The partner moves it an hour later and rewords it: the time and the description follow
    // the feed, the title stays as it was edited here.
    up.put(
        "teach.ics",
        feed("Teach-in (moved)", 19, "Know your rights. Bring ID."),
        None,
    );
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(
        (&run["updated"], &run["changed"]),
        (&json!(1), &json!(true)),
        "{run}"
    );
    let e = app.get(&event_path).await.json();
    assert_eq!(e["title"], "Teach-in (room 4)", "{e}");
    assert_eq!(e["description"], "Know your rights. Bring ID.", "{e}");
    assert_eq!(e["start"], format!("{day}T19:00:00-08:00"), "{e}");

    // The admin shows the part kept beside the feed's version, and can take the feed's.
    let password = user(&app, "admin@example.org", "admin", None);
    let mut b = Browser::new(&app);
    b.login("admin@example.org", &password).await;
    let page = b.get(&format!("/admin/events/{id}/edit")).await;
    assert_eq!(page.status, 200);
    let body = text(&page);
    let section = body
        .split("class=\"feed-edits\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap_or_default();
    assert!(
        section.contains("From the calendar of Movimiento Cosecha"),
        "{body}"
    );
    assert!(
        section.contains(
            "<th scope=\"row\">Title</th><td>Teach-in (room 4)</td><td>Teach-in (moved)</td>"
        ),
        "{section}"
    );
    assert!(
        !section.contains(">Time<"),
        "the time follows the feed: {section}"
    );
    let csrf = b.csrf().await;
    let r = b
        .post(
            &format!("/admin/events/{id}/feed/title"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", text(&r));
    assert_eq!(
        app.get(&event_path).await.json()["title"],
        "Teach-in (moved)"
    );
    let page = text(
        &b.get(&format!("/admin/events/{id}/edit?done=feed_taken"))
            .await,
    );
    assert!(page.contains("That part follows the feed again."), "{page}");
    assert!(page.contains("Nothing was edited here"), "{page}");
    // A part that is not one, and a forged form, change nothing.
    let r = b
        .post(
            &format!("/admin/events/{id}/feed/uid"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_ne!(r.status, 303);
    let r = b
        .post(
            &format!("/admin/events/{id}/feed/title"),
            &[("csrf", "forged")],
        )
        .await;
    assert_eq!(r.status, 403);

    // From now on the title follows the feed again.
    up.put(
        "teach.ics",
        feed("Teach-in (final)", 19, "Know your rights. Bring ID."),
        None,
    );
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(run["updated"], 1, "{run}");
    assert_eq!(
        app.get(&event_path).await.json()["title"],
        "Teach-in (final)"
    );

    // Cancelled here, then gone from the feed and back with a new title: still cancelled here
    // (the cancellation was this calendar's, not the feed's), the title follows.
    let r = app
        .patch(&event_path, &json!({"status": "cancelled"}))
        .await;
    assert_eq!(r.status, 200, "{}", text(&r));
    up.put(
        "teach.ics",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
        None,
    );
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(run["changed"], false, "already cancelled here: {run}");
    up.put(
        "teach.ics",
        feed("Teach-in (back)", 19, "Know your rights. Bring ID."),
        None,
    );
    let run = refresh(&app, &imp["id"]).await;
    assert_eq!(run["updated"], 1, "{run}");
    let e = app.get(&event_path).await.json();
    assert_eq!(
        (&e["title"], &e["status"]),
        (&json!("Teach-in (back)"), &json!("cancelled")),
        "{e}"
    );
}

#[actix_web::test]
async fn floating_times_land_in_the_partners_home_zone() {
    let app = app_fetching_locally().await;
    let up = upstream().await;
    // Cosecha's own events here are mostly in Chicago; Mijente has none.
    for (n, tz) in [
        (1, "America/Chicago"),
        (2, "America/New_York"),
        (3, "America/Chicago"),
    ] {
        let mut e = event(
            &format!("Cosecha meeting {n}"),
            &format!("2027-03-0{n}T18:00:00"),
            &format!("2027-03-0{n}T19:00:00"),
            tz,
        );
        e["partners"] = json!([{"slug": "cosecha", "role": "host"}]);
        app.create_event(&e).await;
    }
    // Feeds with no zone of their own and a floating time.
    for (partner, zone, start) in [
        ("cosecha", "America/Chicago", "2027-04-10T09:00:00-05:00"),
        // Without events of its own: the instance's default (UTC).
        ("mijente", "UTC", "2027-04-10T09:00:00+00:00"),
    ] {
        let uid = format!("floating-{partner}@partner.example");
        up.put(
            &format!("{partner}.ics"),
            format!(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
                 SUMMARY:Know your rights\r\nLOCATION:Union hall\r\nDTSTART:20270410T090000\r\n\
                 DURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            ),
            None,
        );
        let imp = add(
            &app,
            json!({"url": up.url(&format!("/feeds/{partner}.ics")), "partner": partner}),
        )
        .await;
        // Chosen when the feed is added, and shown (a PATCH changes it).
        let chosen = if partner == "cosecha" {
            json!(zone)
        } else {
            Value::Null
        };
        assert_eq!(imp["timezone"], chosen, "{imp}");
        let run = refresh(&app, &imp["id"]).await;
        assert_eq!(run["created"], 1, "{run}");
        let e = &events_of(&app, partner).await[&uid];
        assert_eq!(
            (&e["timezone"], &e["start"]),
            (&json!(zone), &json!(start)),
            "{e}"
        );
    }
}

#[actix_web::test]
async fn a_run_whose_claim_ran_out_while_waiting_stops_where_another_took_over() {
    use turnout::db::queries::imports as iq;
    let app = app_fetching_locally().await;
    let imp = add(
        &app,
        json!({"url": "https://calendar.example.org/slow-host.ics", "partner": "cosecha"}),
    )
    .await;
    let id = i32::try_from(imp["id"].as_i64().unwrap()).unwrap();
    let mut conn = turnout::db::connect(&app.settings).unwrap();
    let at = turnout::db::queries::now();
    // A run claimed the feed, then waited for its host longer than its claim.
    let first = at - chrono::Duration::seconds(1);
    assert!(iq::claim(&mut conn, id, first).unwrap());
    // Another run (another instance, its scheduler) finds it free and claims it.
    let second = at + chrono::Duration::minutes(5);
    assert!(iq::claim(&mut conn, id, second).unwrap());
    // The first run's turn comes: it may not renew what is no longer its claim, and stops.
    let later = at + chrono::Duration::minutes(6);
    assert!(!iq::renew(&mut conn, id, first, later).unwrap());
    // The second renews its own, and holds the feed: a refresh now is told so.
    assert!(iq::renew(&mut conn, id, second, later).unwrap());
    let r = refresh_answer(&app, &imp["id"]).await;
    assert_eq!(r.status, 409, "{}", text(&r));
    assert!(
        text(&r).contains("being refreshed right now"),
        "{}",
        text(&r)
    );
}
