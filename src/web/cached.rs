//! The response cache in front of every public GET: pages, JSON reads, feeds, static files.
//!
//! A request is answered from [`crate::cache::ResponseCache`] when an entry for its key (the path
//! and the normalized query) is still valid; otherwise the handler runs once (concurrent misses
//! of one key wait for that one build) and its answer is stored. Every answer it serves carries
//! a strong ETag per encoding, `Last-Modified`, `Vary: Accept-Encoding` and a `Cache-Control` a
//! CDN may follow; `If-None-Match` and `If-Modified-Since` get 304; HEAD gets the GET's headers.
//! Admin, submission and anything asked for with credentials is never stored and is
//! `private, no-store`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue, HttpDate};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::cache::{Encoding, Entry, Fresh};
use crate::config::CacheSettings;
use crate::state::AppState;

/// What kind of public answer a path gives: it sets how long clients and CDNs may keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Page,
    Api,
    Feed,
    Static,
}

/// How a request is treated.
enum Route {
    Cached(Class),
    /// Personal or a form: never stored, `private, no-store`.
    Private,
    /// Not a cacheable read (writes, health checks): left alone.
    Other,
}

fn route(req: &ServiceRequest) -> Route {
    let path = req.path();
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return Route::Other;
    }
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if under("/admin") || under("/submit") || under("/es/submit") || under("/lang") {
        return Route::Private;
    }
    if path == "/healthz" {
        return Route::Other;
    }
    if let Some(api) = path.strip_prefix("/api/") {
        let personal = req.headers().contains_key(header::AUTHORIZATION)
            || api == "v1/imports"
            || api.starts_with("v1/imports/")
            || api.ends_with("/revisions")
            || api.contains("/revisions/");
        return if personal {
            Route::Private
        } else {
            Route::Cached(Class::Api)
        };
    }
    if path.ends_with(".ics") || path.ends_with(".atom") {
        return Route::Cached(Class::Feed);
    }
    if under("/static") || path == "/robots.txt" {
        return Route::Cached(Class::Static);
    }
    Route::Cached(Class::Page)
}

/// `Cache-Control` of each class, built once from the settings.
pub struct Policies {
    page: HeaderValue,
    api: HeaderValue,
    feed: HeaderValue,
    static_files: HeaderValue,
    ttl: Duration,
}

impl Policies {
    pub fn new(s: &CacheSettings) -> Policies {
        let public = |max_age: u32| {
            HeaderValue::from_str(&format!(
                "public, max-age={max_age}, s-maxage={max_age}, stale-while-revalidate={}",
                s.stale_while_revalidate_seconds
            ))
            .unwrap_or_else(|_| HeaderValue::from_static("public, max-age=60"))
        };
        Policies {
            page: public(s.page_max_age_seconds),
            api: public(s.api_max_age_seconds),
            feed: public(s.feed_max_age_seconds),
            static_files: HeaderValue::from_static("public, max-age=3600, s-maxage=3600"),
            ttl: Duration::from_secs(u64::from(s.server_ttl_seconds)),
        }
    }

    fn of(&self, class: Class) -> &HeaderValue {
        match class {
            Class::Page => &self.page,
            Class::Api => &self.api,
            Class::Feed => &self.feed,
            Class::Static => &self.static_files,
        }
    }
}

/// One build at a time per key: the requests that miss together wait for the first one's build.
#[derive(Default)]
pub struct Gates {
    gates: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl Gates {
    fn gate(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut gates = match self.gates.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(g) = gates.get(key).and_then(Weak::upgrade) {
            return g;
        }
        if gates.len() > 1024 {
            gates.retain(|_, g| g.strong_count() > 0);
        }
        let g = Arc::new(tokio::sync::Mutex::new(()));
        gates.insert(key.to_string(), Arc::downgrade(&g));
        g
    }
}

/// Paths whose query is the listing filter: their key is the filter's canonical form.
const LISTINGS: [&str; 7] = [
    "/",
    "/archive",
    "/es/",
    "/es/archive",
    "/api/v1/events",
    "/calendar.ics",
    "/calendar.atom",
];

/// The cache key: the path and, for a listing, its normalized filter (the one grammar's
/// canonical form: parameters in a fixed order, case folded where matching ignores it, unknown
/// ones dropped); for any other path the query with its parameters sorted and empty ones
/// dropped. So `?city=Oakland&tag=x` and `?tag=X&city=oakland&q=` share one entry.
pub fn key(path: &str, query: &str) -> String {
    // An embed: its filter's canonical form, and its theme (the one more thing it reads).
    if path == "/embed" || path == "/es/embed" {
        if let Ok(canonical) = crate::domain::filter::cache_key(query) {
            let pairs = crate::domain::filter::pairs(query);
            return match crate::web::pages::embed::Theme::of(&pairs) {
                Some(t) => format!("{path}?{canonical}#theme={}", t.as_str()),
                None => format!("{path}?{canonical}#theme=?"),
            };
        }
    }
    if LISTINGS.contains(&path) {
        if let Ok(canonical) = crate::domain::filter::cache_key(query) {
            return format!("{path}?{canonical}");
        }
    }
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    let normalized = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{normalized}")
}

/// Headers the cache sets itself (or that belong to one connection), not stored from handlers.
fn stored(name: &HeaderName) -> bool {
    !matches!(
        *name,
        header::CONTENT_LENGTH
            | header::CONTENT_ENCODING
            | header::TRANSFER_ENCODING
            | header::CONNECTION
            | header::DATE
            | header::ETAG
            | header::LAST_MODIFIED
            | header::CACHE_CONTROL
            | header::VARY
    )
}

pub async fn cache_public(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let class = match route(&req) {
        Route::Cached(class) => class,
        Route::Private => {
            let mut res = next.call(req).await?.map_into_boxed_body();
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            return Ok(res);
        }
        Route::Other => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    // The bare root is the English home, except that a browser preferring Spanish (by its
    // `lang` cookie, else Accept-Language) is sent to /es/ — by a redirect no shared cache
    // keeps, so the cacheable answer of `/` stays the one English home.
    if req.path() == "/"
        && req.query_string().is_empty()
        && crate::web::i18n::Lang::preferred(req.request()) == crate::web::i18n::Lang::Es
    {
        let res = HttpResponse::Found()
            .insert_header((header::LOCATION, "/es/"))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .insert_header((header::VARY, "Accept-Language, Cookie"))
            .finish();
        return Ok(req.into_response(res));
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // Public pages take their language from the path alone, so the URL is the whole key.
    let key = key(req.path(), req.query_string());
    if let Some(hit) = state.cache.get(&key) {
        let res = respond(req.request(), &hit);
        return Ok(req.into_response(res));
    }
    let gate = state.gates.gate(&key);
    let _turn = gate.lock().await;
    if let Some(hit) = state.cache.get(&key) {
        let res = respond(req.request(), &hit);
        return Ok(req.into_response(res));
    }
    // The generation before the build: a write during it leaves the entry already stale.
    let generation = state.cache.generation();
    // A HEAD is built as the GET it stands for; the connection drops the body.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let res = next.call(req).await?;
    let status = res.status();
    let cacheable = (status == StatusCode::OK || status == StatusCode::GONE)
        && !res.headers().contains_key(header::SET_COOKIE)
        && !res
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("no-store") || v.contains("private"));
    if !cacheable {
        let mut res = res.map_into_boxed_body();
        if !res.headers().contains_key(header::CACHE_CONTROL) {
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    // A handler that built its body from parts leaves them in the extensions (a feed's
    // VEVENTs): read as they are. Any other body is nearly always one buffer already: taken as
    // it is, not copied.
    let rope = head.extensions_mut().remove::<crate::cache::Rope>();
    let body = match rope {
        Some(rope) => rope,
        None => match body.try_into_bytes() {
            Ok(bytes) => bytes.into(),
            Err(stream) => actix_web::body::to_bytes(stream)
                .await
                .map_err(|_| actix_web::error::ErrorInternalServerError("reading the answer"))?
                .into(),
        },
    };
    let last_modified = head
        .headers()
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<HttpDate>().ok())
        .map(SystemTime::from);
    let headers = head
        .headers()
        .iter()
        .filter(|(name, _)| stored(name))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let policies = &state.cache_policies;
    let entry = state.cache.put(
        key,
        generation,
        Fresh {
            status,
            headers,
            body,
            cache_control: policies.of(class).clone(),
            ttl: policies.ttl,
            last_modified,
        },
    );
    let res = respond(&req, &entry);
    Ok(ServiceResponse::new(req, res))
}

/// Whole seconds since the epoch: HTTP dates carry no fractions.
fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The encoding the client prefers among brotli, gzip and identity (a `q=0` refuses one).
pub fn negotiate(req: &HttpRequest) -> Encoding {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Encoding::Identity;
    };
    let accepts = |name: &str| {
        accept.split(',').any(|part| {
            let mut it = part.split(';');
            let coding = it.next().unwrap_or("").trim();
            let q_zero = it.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            coding.eq_ignore_ascii_case(name) && !q_zero
        })
    };
    if accepts("br") {
        Encoding::Brotli
    } else if accepts("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// The answer to `req` from `entry`: 304 when the client has it, else the body in the best
/// encoding the client accepts and the entry has.
pub fn respond(req: &HttpRequest, entry: &Entry) -> HttpResponse {
    let encoding = entry.available(negotiate(req));
    let not_modified = entry.status == StatusCode::OK
        && match req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
        {
            Some(inm) => entry.matches(inm),
            None => req
                .headers()
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<HttpDate>().ok())
                .is_some_and(|since| unix_secs(since.into()) >= unix_secs(entry.last_modified)),
        };
    let mut builder = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::build(entry.status)
    };
    builder
        .insert_header((header::ETAG, entry.etag(encoding).clone()))
        .insert_header((header::LAST_MODIFIED, entry.last_modified_header.clone()))
        .insert_header((header::CACHE_CONTROL, entry.cache_control.clone()))
        .insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")));
    for (name, value) in &entry.headers {
        // A 304 repeats the validators and the caching headers, not the representation's.
        if !not_modified
            || *name == header::ACCESS_CONTROL_ALLOW_ORIGIN
            || *name == header::X_CONTENT_TYPE_OPTIONS
        {
            builder.insert_header((name.clone(), value.clone()));
        }
    }
    if not_modified {
        return builder.finish();
    }
    match encoding {
        Encoding::Identity => {}
        Encoding::Gzip => {
            builder.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
        }
        Encoding::Brotli => {
            builder.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("br")));
        }
    }
    builder.body(entry.body(encoding))
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn keys_ignore_order_and_empty_parameters() {
        assert_eq!(
            key("/", "city=Oakland&tag=x"),
            key("/", "tag=x&q=&city=Oakland")
        );
        assert_ne!(key("/", "city=Oakland"), key("/archive", "city=Oakland"));
        assert_ne!(key("/", "city=Oakland"), key("/", "city=Berkeley"));
        assert_eq!(key("/", "city=San+Jose"), key("/", "city=San%20Jose"));
        assert_eq!(
            key("/api/v1/events", "city=Oakland&utm_source=x"),
            key("/api/v1/events", "CITY=&city=oakland")
        );
        assert_eq!(
            key("/es/", "tag=%23NoTechForICE"),
            key("/es/", "tag=notechforice")
        );
        assert_ne!(key("/es/", "tag=x"), key("/", "tag=x"));
        assert_eq!(key("/events/3", "b=2&a=1"), key("/events/3", "a=1&b=2"));
    }
}
