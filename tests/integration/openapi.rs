//! The OpenAPI document at `/api/v1/openapi.json` against the running server: every route is
//! documented and every documented operation is routed; every answer seen here has a documented
//! status, media type and headers, and a body matching its schema *exactly* (a key the schema
//! does not list is an error); record schemas list exactly the keys the server writes, input
//! schemas exactly the fields it accepts; every listing parameter is accepted and checked.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::{event, spawn_app, token, Response, TestApp, BASE_URL};

/// Every route under `/api/v1` (src/web/api/mod.rs), as (method, path template).
const ROUTES: [(&str, &str); 30] = [
    ("get", "/events"),
    ("post", "/events"),
    ("get", "/events/{id}"),
    ("patch", "/events/{id}"),
    ("delete", "/events/{id}"),
    ("post", "/events/{id}/cancel"),
    ("post", "/events/{id}/restore"),
    ("get", "/events/{id}/revisions"),
    ("patch", "/events/{id}/occurrences/{occurrence}"),
    ("delete", "/events/{id}/occurrences/{occurrence}"),
    ("get", "/partners"),
    ("post", "/partners"),
    ("get", "/partners/{slug}"),
    ("get", "/actions"),
    ("post", "/actions"),
    ("get", "/actions/{slug}"),
    ("get", "/venues"),
    ("post", "/venues"),
    ("get", "/online-actions"),
    ("post", "/online-actions"),
    ("get", "/online-actions/{id}"),
    ("patch", "/online-actions/{id}"),
    ("delete", "/online-actions/{id}"),
    ("get", "/imports"),
    ("post", "/imports"),
    ("get", "/imports/{id}"),
    ("patch", "/imports/{id}"),
    ("delete", "/imports/{id}"),
    ("post", "/imports/{id}/refresh"),
    ("get", "/openapi.json"),
];

/// The query parameters `GET /events` reads (`Param` in src/domain/filter.rs).
const LIST_PARAMS: [&str; 17] = [
    "from",
    "to",
    "action",
    "partner",
    "tag",
    "city",
    "region",
    "country",
    "near",
    "radius",
    "access",
    "q",
    "status",
    "sort",
    "updated_since",
    "limit",
    "cursor",
];

/// The query parameters `GET /online-actions` reads (`ListParams` in src/web/api/online.rs).
const ONLINE_LIST_PARAMS: [&str; 7] = [
    "action",
    "partner",
    "kind",
    "status",
    "updated_since",
    "limit",
    "cursor",
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

type Operation = (String, String);

fn operation(method: &str, path: &str) -> Operation {
    (method.to_string(), path.to_string())
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect()
}

fn body_text(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// The served document, with lookups and a checker for answers.
struct Doc(Value);

impl Doc {
    async fn fetch(app: &TestApp) -> Doc {
        let r = app.get("/api/v1/openapi.json").await;
        assert_eq!(r.status, 200, "{}", body_text(&r));
        Doc(r.json())
    }

    /// Follows local `$ref`s (`#/components/...`).
    fn deref<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        while let Some(r) = v.get("$ref").and_then(Value::as_str) {
            let pointer = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("$ref {r} is not local"));
            v = self
                .0
                .pointer(pointer)
                .unwrap_or_else(|| panic!("$ref {r} points nowhere"));
        }
        v
    }

    fn operations(&self) -> BTreeSet<Operation> {
        let mut out = BTreeSet::new();
        for (path, item) in self.0["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if METHODS.contains(&method.as_str()) {
                    out.insert(operation(method, path));
                }
            }
        }
        out
    }

    fn op(&self, method: &str, path: &str) -> &Value {
        self.0["paths"]
            .get(path)
            .and_then(|item| item.get(method))
            .unwrap_or_else(|| panic!("{method} {path} is not documented"))
    }

    fn schema(&self, name: &str) -> &Value {
        self.0["components"]["schemas"]
            .get(name)
            .unwrap_or_else(|| panic!("no schema {name}"))
    }

    /// The parameters of an operation: the path item's, then its own.
    fn parameters(&self, method: &str, path: &str) -> Vec<&Value> {
        let item = &self.0["paths"][path];
        [&item["parameters"], &self.op(method, path)["parameters"]]
            .into_iter()
            .filter_map(Value::as_array)
            .flatten()
            .map(|p| self.deref(p))
            .collect()
    }

    /// The 2xx status an operation answers its documented example with: the only one, or 201
    /// where a create may also find an existing record (200).
    fn success(&self, method: &str, path: &str) -> u16 {
        let codes: Vec<u16> = self.op(method, path)["responses"]
            .as_object()
            .expect("responses")
            .keys()
            .filter(|c| c.starts_with('2'))
            .map(|c| c.parse().expect("numeric status"))
            .collect();
        match codes.as_slice() {
            [one] => *one,
            many if many.contains(&201) && many.contains(&200) && many.len() == 2 => 201,
            other => panic!("{method} {path}: unexpected success statuses {other:?}"),
        }
    }

    /// The request bodies to send to an operation: each documented media type with its example
    /// (or the operation's first example).
    fn bodies(&self, method: &str, path: &str) -> Vec<(String, Value)> {
        let Some(content) = self
            .op(method, path)
            .get("requestBody")
            .map(|b| &self.deref(b)["content"])
        else {
            return Vec::new();
        };
        let content = content.as_object().expect("requestBody content");
        let first = content
            .values()
            .find_map(|m| m.get("example"))
            .unwrap_or_else(|| panic!("{method} {path}: the request body has no example"));
        content
            .iter()
            .map(|(media, m)| (media.clone(), m.get("example").unwrap_or(first).clone()))
            .collect()
    }

    /// Asserts that `r` is a documented answer of the operation: a listed status, the listed
    /// headers, a listed media type, and a body matching its schema exactly.
    fn check(&self, method: &str, path: &str, r: &Response) {
        let status = r.status.as_u16().to_string();
        let documented = self.op(method, path)["responses"]
            .get(&status)
            .map(|d| self.deref(d))
            .unwrap_or_else(|| {
                panic!(
                    "{method} {path} answered {status}, which is not documented: {}",
                    body_text(r)
                )
            });
        if let Some(headers) = documented.get("headers").and_then(Value::as_object) {
            for name in headers.keys() {
                assert!(
                    r.header(name).is_some(),
                    "{method} {path} {status}: no {name} header"
                );
            }
        }
        let Some(content) = documented.get("content").and_then(Value::as_object) else {
            assert!(
                r.body.is_empty(),
                "{method} {path} {status}: a body where none is documented: {}",
                body_text(r)
            );
            return;
        };
        let content_type = r.header("content-type").unwrap_or_default();
        let media = content_type.split(';').next().unwrap_or_default().trim();
        let entry = content.get(media).unwrap_or_else(|| {
            panic!(
                "{method} {path} {status}: answered as {media:?}, documented as {:?}",
                content.keys().collect::<Vec<_>>()
            )
        });
        let errors = self.validate(&entry["schema"], &r.json());
        assert!(
            errors.is_empty(),
            "{method} {path} {status} does not match its schema: {errors:#?}\n{}",
            body_text(r)
        );
    }

    /// Checks `v` against `schema`; every object key must be a documented property.
    fn validate(&self, schema: &Value, v: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.walk(schema, v, "$", &mut errors);
        errors
    }

    fn walk(&self, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        let s = schema
            .as_object()
            .unwrap_or_else(|| panic!("schema at {at} is not an object: {schema}"));
        for (keyword, want) in s {
            let problem = match keyword.as_str() {
                "$ref" => {
                    self.walk(self.deref(schema), v, at, errors);
                    None
                }
                "type" => {
                    let types: Vec<&str> = match want {
                        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                        other => vec![other.as_str().expect("type name")],
                    };
                    (!types.iter().any(|t| type_matches(t, v)))
                        .then(|| format!("{v} is not of type {types:?}"))
                }
                "enum" => (!want.as_array().expect("enum list").contains(v))
                    .then(|| format!("{v} is not one of {want}")),
                "format" => {
                    let format = want.as_str().expect("format name");
                    v.as_str()
                        .filter(|text| !format_matches(format, text))
                        .map(|text| format!("{text:?} is not a {format}"))
                }
                "anyOf" | "oneOf" => {
                    let passing = want
                        .as_array()
                        .expect("alternatives")
                        .iter()
                        .filter(|alt| self.validate(alt, v).is_empty())
                        .count();
                    (passing == 0 || (keyword == "oneOf" && passing > 1))
                        .then(|| format!("{v} matches {passing} of the {keyword} alternatives"))
                }
                "properties" => {
                    let props = want.as_object().expect("properties");
                    for (k, value) in v.as_object().into_iter().flatten() {
                        match props.get(k) {
                            Some(p) => self.walk(p, value, &format!("{at}.{k}"), errors),
                            None => errors.push(format!("{at}: key {k:?} is not documented")),
                        }
                    }
                    None
                }
                "required" => {
                    let missing: Vec<String> = match v.as_object() {
                        Some(obj) => strings(want)
                            .into_iter()
                            .filter(|k| !obj.contains_key(k))
                            .collect(),
                        None => Vec::new(),
                    };
                    (!missing.is_empty()).then(|| format!("required keys missing: {missing:?}"))
                }
                "additionalProperties" => {
                    assert_eq!(want, &json!(false), "at {at}: only `false` is understood");
                    (!s.contains_key("properties") && v.as_object().is_some_and(|o| !o.is_empty()))
                        .then(|| "no keys are allowed".to_string())
                }
                "items" => {
                    for (i, item) in v.as_array().into_iter().flatten().enumerate() {
                        self.walk(want, item, &format!("{at}[{i}]"), errors);
                    }
                    None
                }
                "minimum" | "maximum" => {
                    let limit = want.as_f64().expect("numeric limit");
                    v.as_f64()
                        .filter(|n| {
                            (keyword == "minimum" && *n < limit)
                                || (keyword == "maximum" && *n > limit)
                        })
                        .map(|n| format!("{n} is beyond the {keyword} {limit}"))
                }
                "maxLength" => {
                    let limit = want.as_u64().expect("length") as usize;
                    v.as_str()
                        .is_some_and(|t| t.chars().count() > limit)
                        .then(|| format!("longer than {limit} characters"))
                }
                "maxItems" => {
                    let limit = want.as_u64().expect("count") as usize;
                    v.as_array()
                        .is_some_and(|a| a.len() > limit)
                        .then(|| format!("more than {limit} items"))
                }
                "description" | "example" | "examples" | "default" | "title" => None,
                other => panic!("at {at}: this checker does not know the keyword {other:?}"),
            };
            if let Some(p) = problem {
                errors.push(format!("{at}: {p}"));
            }
        }
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        other => panic!("unknown type {other:?}"),
    }
}

fn format_matches(format: &str, text: &str) -> bool {
    match format {
        "date-time" => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
        "date" => text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
        "uri" => text.split_once("://").is_some_and(|(scheme, rest)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !rest.is_empty()
                && !text.contains(char::is_whitespace)
        }),
        other => panic!("this checker does not know the format {other:?}"),
    }
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Sends `body` with any content type.
async fn send_as(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> Response {
    let m = awc::http::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
    let mut req = app
        .client
        .request(m, app.url(path))
        .insert_header(("content-type", content_type));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let mut res = req.send_body(body).await.expect("request sent");
    let body = res.body().limit(16 * 1024 * 1024).await.expect("body read");
    Response {
        status: res.status(),
        headers: res.headers().clone(),
        body: body.to_vec(),
    }
}

/// Calls documented operations and checks every answer against the document.
struct Exercise<'a> {
    app: &'a TestApp,
    doc: &'a Doc,
    /// Operations that answered their documented success status.
    succeeded: BTreeSet<Operation>,
}

impl Exercise<'_> {
    /// Calls `path` (the operation's `template` filled in) once per documented request media
    /// type with its example body, or once without a body.
    async fn run(
        &mut self,
        method: &str,
        template: &str,
        path: &str,
        token: Option<&str>,
    ) -> Vec<Response> {
        let url = format!("/api/v1{path}");
        // An operation documented as public is called without a token.
        let token = token.filter(|_| self.doc.op(method, template).get("security").is_some());
        let bodies = self.doc.bodies(method, template);
        let mut answers = Vec::new();
        if bodies.is_empty() {
            answers.push(
                self.app
                    .write(&method.to_ascii_uppercase(), &url, token, None)
                    .await,
            );
        }
        for (media, body) in bodies {
            let bytes = serde_json::to_vec(&body).expect("JSON");
            answers.push(send_as(self.app, method, &url, token, &media, bytes).await);
        }
        for r in &answers {
            self.doc.check(method, template, r);
            if r.status.as_u16() == self.doc.success(method, template) {
                self.succeeded.insert(operation(method, template));
            }
            // A public read answers its own ETag with a documented 304.
            if let (true, Some(etag)) = (method == "get" && r.status == 200, r.header("etag")) {
                let again = self
                    .app
                    .send(
                        self.app
                            .client
                            .get(self.app.url(&url))
                            .insert_header(("if-none-match", etag.as_str())),
                        None,
                    )
                    .await;
                assert_eq!(again.status, 304, "GET {url} with If-None-Match: {etag}");
                self.doc.check(method, template, &again);
            }
        }
        answers
    }

    /// Like `run`, asserting `status`; returns the first answer.
    async fn expect(
        &mut self,
        status: u16,
        method: &str,
        template: &str,
        path: &str,
        token: Option<&str>,
    ) -> Response {
        let mut answers = self.run(method, template, path, token).await;
        for r in &answers {
            assert_eq!(
                r.status.as_u16(),
                status,
                "{method} {path}: {}",
                body_text(r)
            );
        }
        answers.swap_remove(0)
    }

    /// Like `run`, asserting the documented success status.
    async fn ok(
        &mut self,
        method: &str,
        template: &str,
        path: &str,
        token: Option<&str>,
    ) -> Response {
        let status = self.doc.success(method, template);
        self.expect(status, method, template, path, token).await
    }
}

#[actix_web::test]
async fn the_document_is_openapi_3_1_for_this_instance_and_well_formed() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    assert!(!body_text(&r).contains("{{BASE_URL}}"));
    let doc = Doc(r.json());
    assert_eq!(doc.0["openapi"], "3.1.0");
    assert_eq!(
        doc.0["servers"],
        json!([{"url": format!("{BASE_URL}/api/v1")}])
    );
    assert_eq!(doc.0["servers"][0]["url"], "https://turnout.test/api/v1");
    assert!(doc.0["info"]["title"].is_string() && doc.0["info"]["version"].is_string());
    doc.check("get", "/openapi.json", &r);

    // Every $ref resolves.
    let mut stack = vec![&doc.0];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(o) => {
                if o.contains_key("$ref") {
                    doc.deref(v);
                }
                stack.extend(o.values());
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }

    let bearer = &doc.0["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (&bearer["type"], &bearer["scheme"]),
        (&json!("http"), &json!("bearer"))
    );
    let mut ids = BTreeSet::new();
    for (method, path) in doc.operations() {
        let name = format!("{method} {path}");
        let op = doc.op(&method, &path);
        let id = op["operationId"].as_str().expect("operationId");
        assert!(ids.insert(id.to_string()), "{name}: operationId {id} twice");
        assert!(op["summary"].is_string(), "{name}: summary");

        // Path parameters: exactly those in the template, all required.
        let in_template: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(str::to_string)
            .collect();
        let declared: BTreeSet<String> = doc
            .parameters(&method, &path)
            .into_iter()
            .filter(|p| p["in"] == "path")
            .map(|p| {
                assert_eq!(p["required"], true, "{name}: path parameters are required");
                p["name"].as_str().expect("name").to_string()
            })
            .collect();
        assert_eq!(declared, in_template, "{name}: path parameters");
        for p in doc.parameters(&method, &path) {
            if let Some(example) = p.get("example") {
                let errors = doc.validate(&p["schema"], example);
                assert!(errors.is_empty(), "{name} {}: {errors:?}", p["name"]);
            }
        }

        // Responses: one success; 401 exactly where a token is needed; the body errors where
        // there is a body; problem+json for every error.
        let responses = op["responses"].as_object().expect("responses");
        doc.success(&method, &path);
        match op.get("security") {
            Some(security) => {
                assert_eq!(security, &json!([{"bearer": []}]), "{name}");
                assert!(responses.contains_key("401"), "{name}: 401");
            }
            None => assert!(!responses.contains_key("401"), "{name}: public, no 401"),
        }
        if op.get("requestBody").is_some() {
            for code in ["400", "413", "415", "422"] {
                assert!(responses.contains_key(code), "{name} takes a body: {code}");
            }
        }
        for (code, response) in responses {
            let response = doc.deref(response);
            assert!(response["description"].is_string(), "{name} {code}");
            if code.starts_with('4') {
                assert_eq!(
                    keys(&response["content"]),
                    BTreeSet::from(["application/problem+json".to_string()]),
                    "{name} {code}"
                );
                assert_eq!(
                    response["content"]["application/problem+json"]["schema"],
                    json!({"$ref": "#/components/schemas/Problem"})
                );
            }
        }

        // Request examples match their schemas.
        if let Some(body) = op.get("requestBody") {
            for (media, m) in doc.deref(body)["content"].as_object().expect("content") {
                if let Some(example) = m.get("example") {
                    let errors = doc.validate(&m["schema"], example);
                    assert!(errors.is_empty(), "{name} {media} example: {errors:?}");
                }
            }
        }
    }
}

#[actix_web::test]
async fn every_route_is_documented_and_every_operation_answers_as_documented() {
    let app = spawn_app().await;
    app.seed().await;
    let doc = Doc::fetch(&app).await;
    let routes: BTreeSet<Operation> = ROUTES.iter().map(|(m, p)| operation(m, p)).collect();
    assert_eq!(
        doc.operations(),
        routes,
        "documented operations vs routes in src/web/api/mod.rs"
    );

    let admin = Some(app.admin_token.as_str());
    let cosecha_token = token(&app.settings, "cosecha-site", Some("cosecha"));
    let cosecha = Some(cosecha_token.as_str());
    let mut ex = Exercise {
        app: &app,
        doc: &doc,
        succeeded: BTreeSet::new(),
    };

    // Without a token every secured operation is 401 (routed: not 404 or 405).
    let existing = app
        .create_event(&event(
            "Routed",
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
    for (method, template) in doc.operations() {
        if doc.op(&method, &template).get("security").is_none() {
            continue;
        }
        let path = template
            .replace("{id}", &existing["id"].to_string())
            .replace("{occurrence}", "2027-09-13T16:00");
        assert!(!path.contains('{'), "{path}");
        ex.expect(401, &method, &template, &path, None).await;
    }

    // Each operation with its documented example, answering its documented success status.
    ex.ok("get", "/openapi.json", "/openapi.json", None).await;
    let partner = ex.ok("post", "/partners", "/partners", admin).await.json();
    let slug = partner["slug"].as_str().expect("slug");
    ex.ok("get", "/partners", "/partners", None).await;
    ex.ok(
        "get",
        "/partners/{slug}",
        &format!("/partners/{slug}"),
        None,
    )
    .await;
    let action = ex.ok("post", "/actions", "/actions", admin).await.json();
    let slug = action["slug"].as_str().expect("slug");
    ex.ok("get", "/actions", "/actions", None).await;
    ex.ok("get", "/actions/{slug}", &format!("/actions/{slug}"), None)
        .await;
    // Any token may add a venue.
    ex.ok("post", "/venues", "/venues", cosecha).await;

    let r = ex.ok("post", "/events", "/events", admin).await;
    let created = r.json();
    let id = created["id"].as_i64().expect("id");
    assert_eq!(r.header("location"), Some(format!("/api/v1/events/{id}")));
    assert!(doc.op("post", "/events")["responses"]["201"]["headers"]
        .get("Location")
        .is_some());
    assert!(doc.0["components"]["responses"]["Unauthorized"]["headers"]
        .get("WWW-Authenticate")
        .is_some());
    let one = format!("/events/{id}");
    // A weekly series: its occurrence of January 12 changed (the documented example moves it an
    // hour later), that of January 19 removed.
    let mut weekly = event(
        "Weekly vigil",
        "2027-01-05T18:00",
        "2027-01-05T19:00",
        "America/Los_Angeles",
    );
    weekly["recurrence"] = json!({"rrule": "FREQ=WEEKLY;BYDAY=TU"});
    let series = app.create_event(&weekly).await["id"].clone();
    let occurrence = ex
        .ok(
            "patch",
            "/events/{id}/occurrences/{occurrence}",
            &format!("/events/{series}/occurrences/2027-01-12T18:00"),
            admin,
        )
        .await
        .json();
    assert_eq!(occurrence["occurrence"], "2027-01-12T18:00");
    assert_eq!(occurrence["start"], "2027-01-12T19:00:00-08:00");
    ex.ok(
        "delete",
        "/events/{id}/occurrences/{occurrence}",
        &format!("/events/{series}/occurrences/2027-01-19T18:00"),
        admin,
    )
    .await;
    ex.ok("get", "/venues", "/venues", None).await;
    ex.ok("get", "/events", "/events", None).await;
    ex.ok("get", "/events/{id}", &one, None).await;
    ex.ok("patch", "/events/{id}", &one, admin).await;
    ex.ok(
        "post",
        "/events/{id}/cancel",
        &format!("{one}/cancel"),
        admin,
    )
    .await;
    ex.ok(
        "get",
        "/events/{id}/revisions",
        &format!("{one}/revisions"),
        admin,
    )
    .await;

    // Online actions (the example is behind mijente and tech-workers-coalition, not cosecha).
    let r = ex
        .ok("post", "/online-actions", "/online-actions", admin)
        .await;
    let online_id = r.json()["id"].as_i64().expect("id");
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/online-actions/{online_id}"))
    );
    assert!(
        doc.op("post", "/online-actions")["responses"]["201"]["headers"]
            .get("Location")
            .is_some()
    );
    let online = format!("/online-actions/{online_id}");
    ex.ok("get", "/online-actions", "/online-actions", None)
        .await;
    ex.ok("get", "/online-actions/{id}", &online, None).await;
    ex.ok("patch", "/online-actions/{id}", &online, admin).await;
    ex.expect(403, "patch", "/online-actions/{id}", &online, cosecha)
        .await;
    ex.expect(403, "delete", "/online-actions/{id}", &online, cosecha)
        .await;
    for (status, query) in [(422, "kind=rally"), (400, "kind=letter&kind=petition")] {
        let path = format!("/online-actions?{query}");
        ex.expect(status, "get", "/online-actions", &path, None)
            .await;
    }

    // Documented refusals.
    ex.expect(403, "post", "/partners", "/partners", cosecha)
        .await;
    ex.expect(403, "post", "/actions", "/actions", cosecha)
        .await;
    ex.expect(403, "patch", "/events/{id}", &one, cosecha).await;
    ex.expect(403, "delete", "/events/{id}", &one, cosecha)
        .await;
    ex.expect(
        403,
        "post",
        "/events/{id}/cancel",
        &format!("{one}/cancel"),
        cosecha,
    )
    .await;
    ex.expect(
        403,
        "get",
        "/events/{id}/revisions",
        &format!("{one}/revisions"),
        cosecha,
    )
    .await;
    ex.expect(
        403,
        "post",
        "/events/{id}/restore",
        &format!("{one}/restore"),
        cosecha,
    )
    .await;
    ex.expect(409, "post", "/partners", "/partners", admin)
        .await;
    let mut again = doc.bodies("post", "/events").swap_remove(0).1;
    again["uid"] = created["uid"].clone();
    let r = app.post("/api/v1/events", &again).await;
    doc.check("post", "/events", &r);
    r.problem(409);
    ex.expect(409, "post", "/actions", "/actions", admin).await;
    ex.expect(
        409,
        "post",
        "/events/{id}/restore",
        &format!("{one}/restore"),
        admin,
    )
    .await;
    for (method, template) in doc.operations() {
        if template.contains("{id}") {
            let path = template.replace("{id}", "999999");
            ex.expect(404, &method, &template, &path, admin).await;
        }
    }
    ex.expect(
        404,
        "get",
        "/partners/{slug}",
        "/partners/no-such-partner",
        None,
    )
    .await;
    ex.expect(
        404,
        "get",
        "/actions/{slug}",
        "/actions/no-such-action",
        None,
    )
    .await;
    ex.expect(422, "get", "/events", "/events?limit=0", None)
        .await;
    ex.expect(422, "get", "/events", "/events?limit=1&limit=2", None)
        .await;

    // Bodies that are not JSON, not JSON-typed, or too large.
    let too_large = app.settings.api.max_body_bytes + 1;
    for (method, template) in doc.operations() {
        if doc.op(&method, &template).get("requestBody").is_none() {
            continue;
        }
        let record = if template.starts_with("/online-actions") {
            online_id
        } else {
            id
        };
        let path = format!(
            "/api/v1{}",
            template
                .replace("{id}", &record.to_string())
                .replace("{occurrence}", "2027-09-13T16:00")
        );
        for (status, content_type, body) in [
            (415, "text/plain", b"{}".to_vec()),
            (400, "application/json", b"not json".to_vec()),
            (413, "application/json", vec![b' '; too_large]),
        ] {
            let r = send_as(&app, &method, &path, admin, content_type, body).await;
            doc.check(&method, &template, &r);
            assert_eq!(r.status, status, "{method} {path}: {}", body_text(&r));
        }
    }

    // Delete (soft), then what a deleted event answers, then restore.
    ex.ok("delete", "/events/{id}", &one, admin).await;
    ex.expect(410, "get", "/events/{id}", &one, None).await;
    ex.expect(410, "delete", "/events/{id}", &one, admin).await;
    ex.expect(410, "patch", "/events/{id}", &one, admin).await;
    ex.expect(
        410,
        "post",
        "/events/{id}/cancel",
        &format!("{one}/cancel"),
        admin,
    )
    .await;

    // An online action likewise.
    ex.ok("delete", "/online-actions/{id}", &online, admin)
        .await;
    ex.expect(410, "get", "/online-actions/{id}", &online, None)
        .await;
    ex.expect(410, "delete", "/online-actions/{id}", &online, admin)
        .await;
    ex.expect(410, "patch", "/online-actions/{id}", &online, admin)
        .await;
    for (template, deleted) in [("/events", id), ("/online-actions", online_id)] {
        let path = format!("{template}?updated_since=2000-01-01T00:00:00Z");
        let sync = ex.ok("get", template, &path, None).await.json();
        assert_eq!(sync["deleted"][0]["id"], deleted, "{sync}");
    }
    // An event (not an online action) can be restored.
    ex.ok(
        "post",
        "/events/{id}/restore",
        &format!("{one}/restore"),
        admin,
    )
    .await;

    // A partner's feed: add, read, change, refresh (nothing answers at the example's address
    // here: a run with `status: error`, still a 200), stop.
    let imp = ex.ok("post", "/imports", "/imports", admin).await.json();
    let feed = format!("/imports/{}", imp["id"]);
    ex.ok("get", "/imports", "/imports", cosecha).await;
    ex.ok("get", "/imports/{id}", &feed, admin).await;
    ex.ok("patch", "/imports/{id}", &feed, admin).await;
    ex.expect(403, "get", "/imports/{id}", &feed, cosecha).await;
    ex.ok(
        "post",
        "/imports/{id}/refresh",
        &format!("{feed}/refresh"),
        admin,
    )
    .await;
    ex.ok("delete", "/imports/{id}", &feed, admin).await;
    ex.expect(404, "get", "/imports/{id}", &feed, admin).await;

    assert_eq!(
        ex.succeeded,
        doc.operations(),
        "every documented operation answered its documented success status"
    );
}

/// Asserts that `schema` lists exactly the keys of `value` as its properties, all required.
fn assert_keys(label: &str, schema: &Value, value: &Value) {
    let properties = keys(&schema["properties"]);
    assert_eq!(
        strings(&schema["required"]),
        properties,
        "{label}: the server always writes every key, so all are required"
    );
    assert_eq!(
        keys(value),
        properties,
        "{label}: documented vs served keys"
    );
}

/// The keys of a listing (`query` under `/api/v1`, with at least one record): the required ones;
/// after deleting record `id`, a sync's: all of them, with a tombstone.
async fn check_list_keys(
    app: &TestApp,
    doc: &Doc,
    query: &str,
    list_name: &str,
    key: &str,
    record_name: &str,
    id: &Value,
) {
    let list_schema = doc.schema(list_name);
    let list = app.get(&format!("/api/v1{query}")).await.json();
    assert_eq!(
        keys(&list),
        strings(&list_schema["required"]),
        "{list_name}"
    );
    assert_keys(record_name, doc.schema(record_name), &list[key][0]);
    let path = query.split('?').next().unwrap_or(query);
    app.write(
        "DELETE",
        &format!("/api/v1{path}/{id}"),
        Some(&app.admin_token),
        None,
    )
    .await;
    let sync = app
        .get(&format!("/api/v1{path}?updated_since=2000-01-01T00:00:00Z"))
        .await
        .json();
    assert_eq!(
        keys(&sync),
        keys(&list_schema["properties"]),
        "{list_name} with updated_since"
    );
    assert_keys("Tombstone", doc.schema("Tombstone"), &sync["deleted"][0]);
}

#[actix_web::test]
async fn record_schemas_list_exactly_the_keys_the_server_writes() {
    let app = spawn_app().await;
    app.seed().await;
    let doc = Doc::fetch(&app).await;
    let mut body = event(
        "Keys",
        "2027-09-13T16:00",
        "2027-09-13T19:00",
        "America/New_York",
    );
    body["online_url"] = json!("https://meet.example/keys");
    body["info_url"] = json!("https://rsvp.example/keys");
    let created = app.create_event(&body).await;
    let id = created["id"].clone();
    let served = app.get(&format!("/api/v1/events/{id}")).await.json();
    for e in [&created, &served] {
        assert_keys("Event", doc.schema("Event"), e);
        assert_keys("Venue", doc.schema("Venue"), &e["venue"]);
        assert_keys("ActionRef", doc.schema("ActionRef"), &e["action"]);
        assert_keys("PartnerRole", doc.schema("PartnerRole"), &e["partners"][0]);
    }

    let partner = app.get("/api/v1/partners/mijente").await.json();
    assert_keys("Partner", doc.schema("Partner"), &partner);
    let partners = app.get("/api/v1/partners").await.json();
    assert_keys("PartnerList", doc.schema("PartnerList"), &partners);
    assert_keys("Partner", doc.schema("Partner"), &partners["partners"][0]);
    let action = app.get("/api/v1/actions/never-again").await.json();
    assert_keys("Action", doc.schema("Action"), &action);
    assert_keys(
        "LeadPartner",
        doc.schema("LeadPartner"),
        &action["partners"][0],
    );
    let actions = app.get("/api/v1/actions").await.json();
    assert_keys("ActionList", doc.schema("ActionList"), &actions);
    assert_keys("Action", doc.schema("Action"), &actions["actions"][0]);
    let venues = app.get("/api/v1/venues").await.json();
    assert_keys("VenueList", doc.schema("VenueList"), &venues);
    assert_keys("Venue", doc.schema("Venue"), &venues["venues"][0]);

    let example = doc.bodies("post", "/online-actions").swap_remove(0).1;
    let r = app.post("/api/v1/online-actions", &example).await;
    assert_eq!(r.status, 201, "{}", body_text(&r));
    let created = r.json();
    let online_id = created["id"].clone();
    let served = app
        .get(&format!("/api/v1/online-actions/{online_id}"))
        .await
        .json();
    for o in [&created, &served] {
        assert_keys("OnlineAction", doc.schema("OnlineAction"), o);
        assert_keys("ActionRef", doc.schema("ActionRef"), &o["action"]);
        assert_keys("LeadPartner", doc.schema("LeadPartner"), &o["partners"][0]);
    }

    // Records with only their required fields: the nulls are documented too.
    for (template, body) in [
        ("/venues", json!({"name": "Somewhere"})),
        ("/partners", json!({"slug": "bare", "name": "Bare"})),
        ("/actions", json!({"slug": "bare", "title": "Bare"})),
        (
            "/events",
            json!({"title": "Online", "start": "2027-09-13T16:00", "end": "2027-09-13T17:00",
                   "timezone": "UTC", "online_url": "https://meet.example/online"}),
        ),
        (
            "/events",
            json!({"title": "All day", "start": "2027-09-13", "all_day": true,
                   "online_url": "https://meet.example/all-day"}),
        ),
        (
            "/online-actions",
            json!({"kind": "letter", "title": "Bare", "url": "https://letters.example/bare"}),
        ),
    ] {
        let r = app.post(&format!("/api/v1{template}"), &body).await;
        doc.check("post", template, &r);
        assert_eq!(r.status, 201, "{}", body_text(&r));
        let name = match template {
            "/venues" => "Venue",
            "/partners" => "Partner",
            "/actions" => "Action",
            "/online-actions" => "OnlineAction",
            _ => "Event",
        };
        assert_keys(name, doc.schema(name), &r.json());
    }

    // A listing has the required keys; a sync all of them.
    check_list_keys(
        &app,
        &doc,
        "/events?from=2000-01-01",
        "EventList",
        "events",
        "Event",
        &id,
    )
    .await;
    check_list_keys(
        &app,
        &doc,
        "/online-actions",
        "OnlineActionList",
        "online_actions",
        "OnlineAction",
        &online_id,
    )
    .await;

    let revisions = app
        .write(
            "GET",
            &format!("/api/v1/events/{id}/revisions"),
            Some(&app.admin_token),
            None,
        )
        .await
        .json();
    assert_keys("RevisionList", doc.schema("RevisionList"), &revisions);
    let revision_schema = doc.schema("Revision");
    for revision in revisions["revisions"].as_array().expect("revisions") {
        assert_keys("Revision", revision_schema, revision);
        assert_keys(
            "Revision snapshot",
            &revision_schema["properties"]["snapshot"],
            &revision["snapshot"],
        );
    }

    // A partner's feed and a run of it (a feed that skips an item).
    let imp = app
        .post(
            "/api/v1/imports",
            &json!({"url": "https://calendar.example.org/keys.ics", "partner": "mijente",
                    "action": "never-again"}),
        )
        .await
        .json();
    assert_keys("Import", doc.schema("Import"), &imp);
    let run = app
        .write(
            "POST",
            &format!("/api/v1/imports/{}/refresh", imp["id"]),
            Some(&app.admin_token),
            None,
        )
        .await
        .json();
    assert_keys("ImportRun", doc.schema("ImportRun"), &run);
    assert_keys("Import", doc.schema("Import"), &run["import"]);
    let list = app
        .write("GET", "/api/v1/imports", Some(&app.admin_token), None)
        .await
        .json();
    assert_keys("ImportList", doc.schema("ImportList"), &list);

    // Problems: a 422 has every documented key, any other problem the required ones.
    let r = app.post("/api/v1/events", &json!({"title": ""})).await;
    r.problem(422);
    let problem = doc.schema("Problem");
    assert_eq!(
        keys(&r.json()),
        keys(&problem["properties"]),
        "Problem (422)"
    );
    assert_keys(
        "FieldError",
        doc.schema("FieldError"),
        &r.json()["errors"][0],
    );
    for r in [
        app.get("/api/v1/events/999999").await,
        app.write("DELETE", "/api/v1/events/1", None, None).await,
    ] {
        assert_eq!(keys(&r.json()), strings(&problem["required"]), "Problem");
    }
}

/// The fields a serde "unknown field" message says are expected.
fn expected_fields(message: &str) -> BTreeSet<String> {
    let (_, list) = message
        .split_once("expected")
        .unwrap_or_else(|| panic!("not an unknown-field message: {message}"));
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[actix_web::test]
async fn input_schemas_list_exactly_the_fields_the_server_accepts() {
    let app = spawn_app().await;
    app.seed().await;
    let doc = Doc::fetch(&app).await;
    let e = app
        .create_event(&event(
            "Inputs",
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
    let one = format!("/events/{}", e["id"]);
    let example = doc.bodies("post", "/online-actions").swap_remove(0).1;
    let r = app.post("/api/v1/online-actions", &example).await;
    assert_eq!(r.status, 201, "{}", body_text(&r));
    let online = format!("/online-actions/{}", r.json()["id"]);
    let event_input = json!({"$ref": "#/components/schemas/EventInput"});
    let cases = [
        (
            "post",
            "/events",
            "/events",
            "EventInput",
            json!({"bogus": 1}),
            "bogus",
        ),
        (
            "patch",
            "/events/{id}",
            one.as_str(),
            "EventPatch",
            json!({"bogus": 1}),
            "bogus",
        ),
        (
            "post",
            "/partners",
            "/partners",
            "PartnerInput",
            json!({"bogus": 1}),
            "bogus",
        ),
        (
            "post",
            "/actions",
            "/actions",
            "ActionInput",
            json!({"bogus": 1}),
            "bogus",
        ),
        (
            "post",
            "/venues",
            "/venues",
            "VenueInput",
            json!({"bogus": 1}),
            "bogus",
        ),
        (
            "post",
            "/online-actions",
            "/online-actions",
            "OnlineActionInput",
            json!({"bogus": 1}),
            "bogus",
        ),
        (
            "patch",
            "/online-actions/{id}",
            online.as_str(),
            "OnlineActionPatch",
            json!({"bogus": 1}),
            "bogus",
        ),
        (
            "post",
            "/imports",
            "/imports",
            "ImportInput",
            json!({"bogus": 1}),
            "bogus",
        ),
        (
            "post",
            "/events",
            "/events",
            "VenueInput",
            json!({"venue": {"name": "x", "bogus": 1}}),
            "venue.bogus",
        ),
        (
            "post",
            "/events",
            "/events",
            "PartnerRef",
            json!({"partners": [{"slug": "mijente", "bogus": 1}]}),
            "partners[0].bogus",
        ),
    ];
    for (method, template, path, schema_name, body, field) in cases {
        let schema = doc.schema(schema_name);
        assert_eq!(
            schema["additionalProperties"], false,
            "{schema_name}: unknown fields are refused"
        );
        let r = app
            .write(
                &method.to_ascii_uppercase(),
                &format!("/api/v1{path}"),
                Some(&app.admin_token),
                Some(&body),
            )
            .await;
        doc.check(method, template, &r);
        assert_eq!(r.problem(422), [field]);
        assert_eq!(
            keys(&schema["properties"]),
            expected_fields(&r.message(field)),
            "{schema_name}: documented vs accepted fields"
        );
        if !field.contains('.') {
            let documented = &doc.deref(&doc.op(method, template)["requestBody"])["content"];
            for media in documented.as_object().expect("content").values() {
                assert_eq!(
                    media["schema"],
                    json!({"$ref": format!("#/components/schemas/{schema_name}")})
                );
            }
        }
    }
    assert_eq!(
        keys(&doc.schema("EventPatch")["properties"]),
        keys(&doc.schema("EventInput")["properties"]),
        "a patch takes the fields of an event"
    );
    assert_eq!(
        keys(&doc.schema("OnlineActionPatch")["properties"]),
        keys(&doc.schema("OnlineActionInput")["properties"]),
        "a patch takes the fields of an online action"
    );
    assert_eq!(
        doc.schema("Revision")["properties"]["snapshot"]["properties"]["event"]["$ref"],
        event_input["$ref"]
    );

    // A required field left out of the documented example is refused, naming it.
    for (method, template) in doc.operations() {
        for (media, example) in doc.bodies(&method, &template) {
            let schema = doc.deref(&doc.op(&method, &template)["requestBody"])["content"][&media]
                ["schema"]
                .clone();
            let Some(required) = doc.deref(&schema).get("required") else {
                continue;
            };
            for field in strings(required) {
                let mut body = example.clone();
                body.as_object_mut().expect("object").remove(&field);
                let path = format!("/api/v1{}", template.replace("{id}", &e["id"].to_string()));
                let r = send_as(
                    &app,
                    &method,
                    &path,
                    Some(&app.admin_token),
                    &media,
                    serde_json::to_vec(&body).expect("JSON"),
                )
                .await;
                doc.check(&method, &template, &r);
                assert!(
                    r.problem(422).contains(&field),
                    "{method} {template} without {field}: {}",
                    body_text(&r)
                );
            }
        }
    }
}

#[actix_web::test]
async fn every_listing_parameter_is_documented_accepted_and_checked() {
    let app = spawn_app().await;
    app.seed().await;
    let doc = Doc::fetch(&app).await;
    for title in ["Listed", "Listed too"] {
        app.create_event(&event(
            title,
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/New_York",
        ))
        .await;
        let r = app
            .post(
                "/api/v1/online-actions",
                &json!({"kind": "petition", "title": title, "action": "never-again",
                        "partners": ["mijente"], "url": "https://petitions.example/listed"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", body_text(&r));
    }
    check_listing(&app, &doc, "/events", &LIST_PARAMS).await;
    check_listing(&app, &doc, "/online-actions", &ONLINE_LIST_PARAMS).await;
}

/// The parameters of a listing with at least two records: documented exactly as `read`; each
/// accepts its example and values at its limits, and refuses others naming itself.
async fn check_listing(app: &TestApp, doc: &Doc, template: &str, read: &[&str]) {
    let list = |query: String| async move { app.get(&format!("/api/v1{template}?{query}")).await };

    // The query parameters; the header ones are the conditional-request validators.
    let params: Vec<&Value> = doc
        .parameters("get", template)
        .into_iter()
        .filter(|p| {
            p["in"] != "header" || {
                assert!(
                    ["If-None-Match", "If-Modified-Since"]
                        .contains(&p["name"].as_str().unwrap_or("")),
                    "{p}"
                );
                false
            }
        })
        .collect();
    let names: BTreeSet<String> = params
        .iter()
        .map(|p| {
            assert_eq!(p["in"], "query", "{p}");
            p["name"].as_str().expect("name").to_string()
        })
        .collect();
    let read: BTreeSet<String> = read.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        names, read,
        "{template}: documented vs read query parameters"
    );

    for p in params {
        let name = p["name"].as_str().expect("name");
        let schema = &p["schema"];
        // `radius` and `sort=distance` measure from a `near`.
        let list = |query: String| async move {
            let with = if matches!(name, "radius" | "sort") {
                "near=94301&"
            } else {
                ""
            };
            app.get(&format!("/api/v1{template}?{with}{query}")).await
        };
        let as_query = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Array(a) => a
                .iter()
                .map(|x| x.as_str().expect("string item"))
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        };

        // Accepted: the documented example, and values at the documented limits.
        let mut good = vec![as_query(
            p.get("example")
                .unwrap_or_else(|| panic!("{name} has no example")),
        )];
        // Refused, naming the parameter.
        let mut bad: Vec<String> = Vec::new();
        if let Some(n) = schema["maxLength"].as_u64() {
            bad.push("x".repeat(n as usize + 1));
            let at_limit = list(format!("{name}={}", "x".repeat(n as usize))).await;
            match name {
                // Not too long, only unknown.
                "action" | "partner" => assert!(
                    at_limit.message(name).starts_with("there is no"),
                    "{}",
                    body_text(&at_limit)
                ),
                "near" => assert!(
                    at_limit.message(name).contains("is not a US place"),
                    "{}",
                    body_text(&at_limit)
                ),
                "radius" => assert_eq!(
                    at_limit.message(name),
                    format!(
                        "\"{}\" is not a distance like 25mi or 40km",
                        "x".repeat(n as usize)
                    ),
                ),
                _ => assert_eq!(at_limit.status, 200, "{name} at its maxLength"),
            }
        }
        match schema["type"].as_str().expect("type") {
            "integer" => {
                let min = schema["minimum"].as_i64().expect("minimum");
                let max = schema["maximum"].as_i64().expect("maximum");
                good.extend([min.to_string(), max.to_string()]);
                bad.extend([(min - 1).to_string(), (max + 1).to_string(), "ten".into()]);
                assert_eq!(
                    schema["default"], app.settings.api.default_limit,
                    "{name} default"
                );
                assert_eq!(max, i64::from(app.settings.api.max_limit), "{name} maximum");
            }
            "array" if name == "access" => {
                // Named needs, or any language tag.
                let named = strings(&schema["items"]["anyOf"][0]["enum"]);
                good.extend(named.iter().cloned());
                good.push(named.iter().cloned().collect::<Vec<_>>().join(","));
                good.extend(["es-MX".to_string(), "wheelchair,zh-Hant".to_string()]);
                let most = schema["maxItems"].as_u64().expect("maxItems") as usize;
                let languages: Vec<String> = (0..=most)
                    .map(|i| format!("a{}", char::from(b'a' + i as u8)))
                    .collect();
                good.push(languages[..most].join(","));
                bad.extend([
                    "ramp".to_string(),
                    "wheelchair,ramp".to_string(),
                    "spanish".to_string(),
                    languages.join(","),
                ]);
            }
            "array" => {
                let values = strings(&schema["items"]["enum"]);
                good.extend(values.iter().cloned());
                good.push(values.into_iter().collect::<Vec<_>>().join(","));
                bad.extend(["maybe".to_string(), "confirmed,maybe".to_string()]);
            }
            "string" if schema.get("enum").is_some() => {
                // One value of the list, not several.
                let values = strings(&schema["enum"]);
                good.extend(values.iter().cloned());
                bad.extend([
                    "maybe".to_string(),
                    values.into_iter().collect::<Vec<_>>().join(","),
                ]);
            }
            "string" => {
                let formats: BTreeSet<String> = match &schema["anyOf"] {
                    Value::Array(alts) => alts
                        .iter()
                        .map(|a| a["format"].as_str().expect("format").to_string())
                        .collect(),
                    _ => schema["format"]
                        .as_str()
                        .map(str::to_string)
                        .into_iter()
                        .collect(),
                };
                if formats.contains("date-time") {
                    good.push("2027-09-13T16:00:00-07:00".into());
                    bad.extend(["soon".to_string(), "2027-09-13T16:00".to_string()]);
                }
                if formats.contains("date") {
                    good.push("2027-09-13".into());
                    bad.push("2027-13-45".into());
                } else if formats.contains("date-time") {
                    bad.push("2027-09-13".into());
                }
            }
            other => panic!("{name}: unexpected type {other}"),
        }
        match name {
            "action" | "partner" => bad.push("no-such-slug".into()),
            "cursor" => bad.push("bogus".into()),
            "near" => bad.extend(["99999".into(), "91,0".into(), "Palo Alot, CA".into()]),
            "radius" => bad.extend(["far".into(), "501mi".into(), "0km".into()]),
            _ => {}
        }
        assert!(!bad.is_empty(), "{name}: no value is refused?");

        for value in good {
            let r = list(format!("{name}={}", encode(&value))).await;
            doc.check("get", template, &r);
            assert_eq!(r.status, 200, "{name}={value}: {}", body_text(&r));
        }
        for value in bad {
            let r = list(format!("{name}={}", encode(&value))).await;
            doc.check("get", template, &r);
            assert_eq!(r.problem(422), [name], "{name}={value}");
        }
    }

    // Unknown parameters are ignored; a repeated one is refused: by the event listing (the
    // filter grammar of src/domain/filter.rs) as a 422 naming it, by the online-action listing
    // (still a serde query) as a 400.
    let r = list("bogus=1&bogus=2".into()).await;
    assert_eq!(r.status, 200);
    let r = list("limit=1&limit=2".into()).await;
    doc.check("get", template, &r);
    if template == "/events" {
        assert_eq!(r.problem(422), ["limit"]);
    } else {
        r.problem(400);
    }

    // The first page of a sync carries what the document says; a later page too.
    let since = "updated_since=2000-01-01T00:00:00Z";
    let first = list(format!("{since}&limit=1")).await;
    doc.check("get", template, &first);
    let first = first.json();
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = list(format!("{since}&limit=1&cursor={cursor}")).await;
    doc.check("get", template, &second);
    assert_eq!(second.json()["deleted"], json!([]));
}

#[actix_web::test]
async fn cors_is_as_the_document_says() {
    let app = spawn_app().await;
    let doc = Doc::fetch(&app).await;
    let note = doc.0["info"]["description"].as_str().expect("description");
    assert!(note.contains("Access-Control-Allow-Origin: *"), "{note}");
    assert!(
        note.contains("Preflight (`OPTIONS`) is not answered (405)"),
        "{note}"
    );
    for r in [
        app.get("/api/v1/events").await,
        app.get("/api/v1/openapi.json").await,
        app.get("/api/v1/events/999999").await,
        app.write("POST", "/api/v1/events", None, Some(&json!({})))
            .await,
    ] {
        assert_eq!(
            r.header("access-control-allow-origin").as_deref(),
            Some("*")
        );
    }
    let preflight = app
        .client
        .request(awc::http::Method::OPTIONS, app.url("/api/v1/events"))
        .insert_header(("origin", "https://partner.example"))
        .insert_header(("access-control-request-method", "POST"))
        .send()
        .await
        .expect("sent");
    assert_eq!(preflight.status(), 405);
}
