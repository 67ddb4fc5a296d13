//! `spawn_app`: the real application on a random port over a fresh SQLite file (or, in the
//! `integration_postgres` run, a fresh PostgreSQL database), and a client.

use std::collections::HashMap;
use std::sync::LazyLock;

use awc::http::StatusCode;
use serde_json::{json, Value};
use tempfile::TempDir;
use turnout::config::Settings;
use turnout::db;
use turnout::startup::Application;

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        let settings = Settings::load(None).expect("default settings");
        turnout::telemetry::init(&settings.log);
    }
});

pub const BASE_URL: &str = "https://turnout.test";

pub struct TestApp {
    pub address: String,
    pub settings: Settings,
    pub admin_token: String,
    pub client: awc::Client,
    // Dropped last: the database lives here.
    pub dir: TempDir,
}

impl TestApp {
    /// Whether this app runs on PostgreSQL.
    #[allow(dead_code)]
    pub fn on_postgres(&self) -> bool {
        self.settings.database_url.starts_with("postgres://")
    }
}

pub struct Response {
    pub status: StatusCode,
    pub headers: awc::http::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// Asserts a problem+json answer with `status` and returns the field names it lists.
    pub fn problem(&self, status: u16) -> Vec<String> {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        let body = self.json();
        assert_eq!(body["status"], status);
        assert!(
            body["title"].is_string() && body["detail"].is_string(),
            "{body}"
        );
        body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The message given for `field` in a problem body.
    pub fn message(&self, field: &str) -> String {
        let body = self.json();
        body["errors"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["field"] == field))
            .and_then(|e| e["message"].as_str())
            .unwrap_or_else(|| panic!("no error for {field}: {body}"))
            .to_string()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// `spawn_app` with settings changed by `change` (validated as the server would).
pub async fn spawn_app_with(change: impl FnOnce(&mut Settings)) -> TestApp {
    let (dir, mut settings) = test_settings();
    settings.database_url = dir.path().join("turnout.db").to_string_lossy().into_owned();
    if crate::postgres::wanted() {
        if let Some(url) = crate::postgres::fresh_database() {
            settings.database_url = url;
        }
    }
    change(&mut settings);
    start(settings, dir, None).await
}

/// The app on an existing database (one restored from a backup, say), reached with an admin
/// token that database already holds.
#[allow(dead_code)]
pub async fn spawn_app_on(database_url: &str, admin_token: &str) -> TestApp {
    let (dir, mut settings) = test_settings();
    settings.database_url = database_url.to_string();
    start(settings, dir, Some(admin_token.to_string())).await
}

/// A temporary directory and the default settings for a test server in it.
fn test_settings() -> (TempDir, Settings) {
    LazyLock::force(&TRACING);
    let dir = tempfile::Builder::new()
        .prefix("turnout-test")
        .tempdir()
        .expect("temp dir");
    let mut settings = Settings::load(None).expect("default settings");
    settings.listen = "127.0.0.1:0".into();
    settings.base_url = BASE_URL.into();
    // Fewer connections per test app: the suite runs many apps at once on one database server.
    settings.database.pool_size = 4;
    // Partners' feeds are fetched when a test asks (a scheduled run would race with it); the
    // scheduler's own test turns it on.
    settings.imports.schedule_seconds = 0;
    (dir, settings)
}

async fn start(settings: Settings, dir: TempDir, admin_token: Option<String>) -> TestApp {
    let settings = settings.validate().expect("valid settings");
    let app = Application::build(settings.clone()).expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let admin_token = admin_token.unwrap_or_else(|| token(&settings, "test-admin", None));
    TestApp {
        address,
        settings,
        admin_token,
        client: awc::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .max_redirects(0)
            // Idle connections are dropped well before the server's 5-second keep-alive ends:
            // a test that blocks its thread (hashing a password) must not then reuse a
            // connection the server is closing.
            .connector(awc::Connector::new().conn_keep_alive(std::time::Duration::from_secs(1)))
            .finish(),
        dir,
    }
}

/// Creates an API token the way `turnout token create` does.
pub fn token(settings: &Settings, name: &str, partner: Option<&str>) -> String {
    let mut conn = db::connect(settings).expect("db");
    db::queries::auth::create_token(&mut conn, name, partner).expect("token")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn send(&self, req: awc::ClientRequest, body: Option<&Value>) -> Response {
        let res = match body {
            Some(b) => req.send_json(b).await,
            None => req.send().await,
        };
        collect(res).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(self.client.get(self.url(path)), None).await
    }

    pub async fn write(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let m = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(m, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req, body).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.write("POST", path, Some(&self.admin_token), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.write("PATCH", path, Some(&self.admin_token), Some(body))
            .await
    }

    /// Posts raw bytes with a content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Response {
        let req = self
            .client
            .post(self.url(path))
            .bearer_auth(&self.admin_token)
            .insert_header(("content-type", content_type));
        collect(req.send_body(body).await).await
    }

    /// Creates an event and returns its JSON, failing the test on any error.
    pub async fn create_event(&self, body: &Value) -> Value {
        let r = self.post("/api/v1/events", body).await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        r.json()
    }

    /// Partners and an action most tests use.
    pub async fn seed(&self) {
        for (slug, name) in [
            ("mijente", "Mijente"),
            ("tech-workers-coalition", "Tech Workers Coalition"),
            ("cosecha", "Movimiento Cosecha"),
        ] {
            let r = self
                .post(
                    "/api/v1/partners",
                    &json!({"slug": slug, "name": name, "website": format!("https://{slug}.example"), "description": "A coalition partner."}),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::CREATED,
                "{}",
                String::from_utf8_lossy(&r.body)
            );
        }
        let r = self
            .post(
                "/api/v1/actions",
                &json!({"slug": "never-again", "title": "Never Again Is Now", "description": "Coast to coast.",
                        "hashtags": ["NoTechForICE"], "first_day": "2027-09-13", "last_day": "2027-09-13",
                        "partners": ["mijente", "tech-workers-coalition"]}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
    }
}

async fn collect<S>(res: Result<awc::ClientResponse<S>, awc::error::SendRequestError>) -> Response
where
    S: futures_core::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let mut res = res.expect("request sent");
    let body = res.body().limit(64 * 1024 * 1024).await.expect("body read");
    Response {
        status: res.status(),
        headers: res.headers().clone(),
        body: body.to_vec(),
    }
}

/// A minimal valid event at a venue, in `tz`.
pub fn event(title: &str, start: &str, end: &str, tz: &str) -> Value {
    json!({
        "title": title,
        "description": "Bring signs.",
        "start": start,
        "end": end,
        "timezone": tz,
        "venue": {"name": "City Hall Plaza", "address": "1 City Hall Sq", "city": "Boston", "region": "MA",
                  "postal_code": "02201", "country": "US", "timezone": tz},
        "action": "never-again",
        "partners": [{"slug": "mijente", "role": "host"}],
        "tags": ["NoTechForICE"]
    })
}

/// A client that keeps cookies, like a browser.
pub struct Browser<'a> {
    app: &'a TestApp,
    pub cookies: HashMap<String, String>,
    /// Sent as X-Forwarded-For (a client behind a trusted proxy).
    pub forwarded_for: Option<String>,
}

pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            cookies: HashMap::new(),
            forwarded_for: None,
        }
    }

    fn remember(&mut self, r: &Response) {
        for v in r.headers.get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            if val.is_empty() || v.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let req = self
            .app
            .client
            .get(self.app.url(path))
            .insert_header(("cookie", self.cookie_header()));
        let req = match &self.forwarded_for {
            Some(xff) => req.insert_header(("x-forwarded-for", xff.as_str())),
            None => req,
        };
        let r = self.app.send(req, None).await;
        self.remember(&r);
        r
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        let body = serde_urlencoded::to_string(form).unwrap();
        let req = self
            .app
            .client
            .post(self.app.url(path))
            .insert_header(("cookie", self.cookie_header()))
            .insert_header(("content-type", "application/x-www-form-urlencoded"));
        let req = match &self.forwarded_for {
            Some(xff) => req.insert_header(("x-forwarded-for", xff.as_str())),
            None => req,
        };
        let res = req.send_body(body).await;
        let mut res = res.expect("sent");
        let body = res.body().limit(16 * 1024 * 1024).await.unwrap().to_vec();
        let r = Response {
            status: res.status(),
            headers: res.headers().clone(),
            body,
        };
        self.remember(&r);
        r
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Response {
        let page = String::from_utf8(self.get("/admin/login").await.body).unwrap();
        let csrf = hidden(&page, "csrf");
        self.post(
            "/admin/login",
            &[
                ("csrf", &csrf),
                ("next", "/admin"),
                ("email", email),
                ("password", password),
            ],
        )
        .await
    }

    /// The CSRF token of the session (from any admin page).
    pub async fn csrf(&mut self) -> String {
        let page = String::from_utf8(self.get("/admin").await.body).unwrap();
        hidden(&page, "csrf")
    }
}

pub fn text(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

pub fn user(app: &TestApp, email: &str, role: &str, partner: Option<&str>) -> String {
    let mut conn = turnout::db::connect(&app.settings).unwrap();
    turnout::db::queries::auth::create_user(&mut conn, email, role, partner).unwrap()
}

/// Loads many events at once through `turnout import` (one transaction), for pages and feeds
/// of large days of action.
#[allow(dead_code)]
pub fn import_events(app: &TestApp, events: &[Value]) {
    let file = app.dir.path().join("import.json");
    std::fs::write(&file, serde_json::to_vec(events).expect("JSON")).expect("write import file");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_turnout"))
        .arg("import")
        .arg(&file)
        .env("TURNOUT_DATABASE_URL", &app.settings.database_url)
        .env("RUST_LOG", "error")
        .output()
        .expect("runs the binary");
    assert!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
