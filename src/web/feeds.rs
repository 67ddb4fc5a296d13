//! `.ics` feeds over HTTP: cached bytes, strong ETags, 304s, gzip/brotli, HEAD, CORS.

use std::time::SystemTime;

use actix_web::http::header::{self, HeaderValue, HttpDate};
use actix_web::{guard, web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveTime, Utc};
use serde::Deserialize;

use crate::db::queries::{catalog, events as q};
use crate::db::{self, DbConn};
use crate::domain::time::Bound;
use crate::error::AppError;
use crate::feeds::cache::{CachedFeed, Encoding};
use crate::feeds::ical::{self, CalendarMeta};
use crate::startup::AppState;

/// Largest number of events one feed carries (a guard against unbounded memory on the
/// all-events feed of a huge instance; the window keeps real feeds far below it).
pub const MAX_FEED_EVENTS: i64 = 20_000;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let get_or_head = || web::route().guard(guard::Any(guard::Get()).or(guard::Head()));
    cfg.route("/calendar.ics", get_or_head().to(calendar))
        .route("/actions/{slug}.ics", get_or_head().to(action))
        .route("/partners/{slug}.ics", get_or_head().to(partner))
        .route("/tags/{tag}.ics", get_or_head().to(tag))
        .route("/events/{id}.ics", get_or_head().to(event));
}

/// Filters `/calendar.ics` takes (the same names as `GET /api/v1/events`).
#[derive(Debug, Default, Deserialize)]
pub struct FeedParams {
    pub action: Option<String>,
    pub partner: Option<String>,
    pub tag: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub q: Option<String>,
}

#[derive(Debug, Clone)]
enum Spec {
    All(Vec<(&'static str, String)>),
    Action(String),
    Partner(String),
    Tag(String),
    Event(i32),
}

impl Spec {
    fn key(&self) -> String {
        match self {
            Spec::All(filters) => {
                let parts: Vec<String> = filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("all?{}", parts.join("&"))
            }
            Spec::Action(s) => format!("action/{s}"),
            Spec::Partner(s) => format!("partner/{s}"),
            Spec::Tag(s) => format!("tag/{}", s.to_lowercase()),
            Spec::Event(id) => format!("event/{id}"),
        }
    }
}

fn not_found(message: String) -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(message + "\n")
}

fn bad_request(message: String) -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type("text/plain; charset=utf-8")
        .body(message + "\n")
}

async fn calendar(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<FeedParams>,
) -> HttpResponse {
    let mut filters = Vec::new();
    for (name, value) in [
        ("action", &params.action),
        ("partner", &params.partner),
        ("tag", &params.tag),
        ("city", &params.city),
        ("region", &params.region),
        ("country", &params.country),
        ("q", &params.q),
    ] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            if v.chars().count() > 200 {
                return bad_request(format!("{name} is longer than 200 characters"));
            }
            filters.push((name, v.to_string()));
        }
    }
    serve(req, state, Spec::All(filters)).await
}

async fn action(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> HttpResponse {
    serve(req, state, Spec::Action(slug.into_inner())).await
}

async fn partner(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> HttpResponse {
    serve(req, state, Spec::Partner(slug.into_inner())).await
}

async fn tag(req: HttpRequest, state: web::Data<AppState>, tag: web::Path<String>) -> HttpResponse {
    serve(req, state, Spec::Tag(tag.into_inner())).await
}

async fn event(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    match id.parse::<i32>() {
        Ok(n) if n > 0 => serve(req, state, Spec::Event(n)).await,
        _ => not_found(format!("There is no event {:?}.", id.as_str())),
    }
}

/// A finished render.
struct Rendered {
    body: String,
    filename: String,
    newest_change: SystemTime,
}

/// How a feed describes itself.
struct Header {
    name: String,
    description: String,
    page_path: String,
    feed_path: String,
    filename: String,
}

fn unknown(what: &str, name: &str) -> AppError {
    AppError::NotFound(format!("There is no {what} named {name:?}."))
}

/// Narrows `filter` to a list feed and says what the feed is called.
fn list_header(
    conn: &mut DbConn,
    spec: &Spec,
    site: &str,
    filter: &mut q::Filter,
) -> Result<Header, AppError> {
    Ok(match spec {
        Spec::Action(slug) => {
            let a = catalog::action_by_slug(conn, slug).map_err(|_| unknown("action", slug))?;
            filter.action_id = Some(a.id);
            let description = if a.description.is_empty() {
                format!("Every event of {}, kept up to date by {site}.", a.title)
            } else {
                a.description.clone()
            };
            Header {
                name: a.title,
                description,
                page_path: format!("/actions/{slug}"),
                feed_path: format!("/actions/{slug}.ics"),
                filename: format!("{slug}.ics"),
            }
        }
        Spec::Partner(slug) => {
            let p = catalog::partner_by_slug(conn, slug).map_err(|_| unknown("partner", slug))?;
            filter.partner_id = Some(p.id);
            Header {
                description: format!(
                    "Events {} hosts, co-hosts or endorses, kept up to date by {site}.",
                    p.name
                ),
                name: p.name,
                page_path: format!("/partners/{slug}"),
                feed_path: format!("/partners/{slug}.ics"),
                filename: format!("{slug}.ics"),
            }
        }
        Spec::Tag(tag) => {
            let name = catalog::tag_name(conn, tag.trim_start_matches('#'))?
                .ok_or_else(|| unknown("tag", tag))?;
            filter.tag = Some(name.clone());
            Header {
                name: format!("#{name}"),
                description: format!("Events tagged #{name}, kept up to date by {site}."),
                page_path: format!("/tags/{name}"),
                feed_path: format!("/tags/{name}.ics"),
                filename: format!("{}.ics", name.to_lowercase()),
            }
        }
        Spec::All(filters) => {
            let mut words = Vec::new();
            for (k, v) in filters {
                match *k {
                    "action" => {
                        let a =
                            catalog::action_by_slug(conn, v).map_err(|_| unknown("action", v))?;
                        filter.action_id = Some(a.id);
                        words.push(a.title);
                    }
                    "partner" => {
                        let p =
                            catalog::partner_by_slug(conn, v).map_err(|_| unknown("partner", v))?;
                        filter.partner_id = Some(p.id);
                        words.push(p.name);
                    }
                    "tag" => {
                        filter.tag = Some(v.clone());
                        words.push(format!("#{}", v.trim_start_matches('#')));
                    }
                    "city" => {
                        filter.city = Some(v.clone());
                        words.push(v.clone());
                    }
                    "region" => {
                        filter.region = Some(v.clone());
                        words.push(v.clone());
                    }
                    "country" => {
                        filter.country = Some(v.clone());
                        words.push(v.clone());
                    }
                    _ => {
                        filter.q = Some(v.clone());
                        words.push(format!("“{v}”"));
                    }
                }
            }
            let query: Vec<String> = filters
                .iter()
                .map(|(k, v)| format!("{k}={}", encode(v)))
                .collect();
            let suffix = if query.is_empty() {
                String::new()
            } else {
                format!("?{}", query.join("&"))
            };
            let name = if words.is_empty() {
                "All events".to_string()
            } else {
                words.join(" · ")
            };
            Header {
                description: format!("{name}: events on {site}, kept up to date."),
                name,
                page_path: format!("/{suffix}"),
                feed_path: format!("/calendar.ics{suffix}"),
                filename: "calendar.ics".to_string(),
            }
        }
        Spec::Event(_) => {
            return Err(AppError::Unexpected(anyhow::anyhow!(
                "event feed is not a list"
            )))
        }
    })
}

fn render(
    conn: &mut DbConn,
    spec: &Spec,
    state: &AppState,
    from: Bound,
) -> Result<Rendered, AppError> {
    let site = &state.settings.site_name;
    let (header, views) = match spec {
        Spec::Event(id) => {
            let view = q::view_by_id(conn, *id)?;
            if view.event.review != "approved" {
                return Err(AppError::NotFound(format!("There is no event {id}.")));
            }
            let header = Header {
                name: view.event.title.clone(),
                description: format!("{} — from {site}", view.event.title),
                page_path: format!("/events/{id}"),
                feed_path: format!("/events/{id}.ics"),
                filename: format!("event-{id}.ics"),
            };
            (header, vec![view])
        }
        list => {
            let mut filter = q::Filter {
                from: Some(from),
                include_deleted: true,
                ..q::Filter::default()
            };
            let header = list_header(conn, list, site, &mut filter)?;
            let (views, _) = q::list(conn, &filter, None, MAX_FEED_EVENTS)?;
            (header, views)
        }
    };
    let newest = views.iter().map(|v| v.event.updated_at).max();
    let meta = CalendarMeta {
        name: format!("{site} — {}", header.name),
        description: header.description,
        page_url: state.links.page(&header.page_path),
        feed_url: state.links.page(&header.feed_path),
        refresh_minutes: state.settings.feeds.refresh_interval_minutes,
    };
    Ok(Rendered {
        body: ical::render(&meta, &views, &state.links),
        filename: header.filename,
        newest_change: newest.map_or_else(SystemTime::now, |t| t.and_utc().into()),
    })
}

/// Percent-encodes a query value for the SOURCE/URL links.
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn serve(req: HttpRequest, state: web::Data<AppState>, spec: Spec) -> HttpResponse {
    let key = spec.key();
    let today = Utc::now().date_naive();
    let window_day = today - Duration::days(i64::from(state.settings.feeds.past_days));
    let generation = state.feeds.generation();
    let entry = match state.feeds.get(&key, generation, window_day) {
        Some(hit) => hit,
        None => {
            let st = state.clone();
            let render_spec = spec.clone();
            let from = Bound::Instant(window_day.and_time(NaiveTime::MIN));
            match db::run(&state.pool, move |conn| {
                render(conn, &render_spec, &st, from)
            })
            .await
            {
                Ok(r) => state.feeds.put(
                    key,
                    generation,
                    window_day,
                    r.body,
                    r.filename,
                    r.newest_change,
                ),
                Err(AppError::NotFound(m)) => return not_found(m),
                Err(e) => return actix_web::ResponseError::error_response(&e),
            }
        }
    };
    respond(&req, &entry, state.settings.feeds.refresh_interval_minutes)
}

/// Whole seconds since the epoch: HTTP dates carry no fractions.
fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The encoding to send: brotli, then gzip, when the client accepts them.
fn negotiate(req: &HttpRequest) -> Encoding {
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

fn respond(req: &HttpRequest, entry: &CachedFeed, refresh_minutes: u32) -> HttpResponse {
    let encoding = negotiate(req);
    let etag = entry.etag(encoding);
    let last_modified = HttpDate::from(entry.last_modified);
    let not_modified = match req
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
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::ETAG, etag))
        .insert_header((header::LAST_MODIFIED, last_modified))
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={}", u64::from(refresh_minutes) * 60),
        ))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if not_modified {
        return builder.finish();
    }
    builder
        .insert_header((header::CONTENT_TYPE, "text/calendar; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&format!("inline; filename=\"{}\"", entry.filename))
                .unwrap_or_else(|_| HeaderValue::from_static("inline")),
        ));
    match encoding {
        Encoding::Identity => {}
        Encoding::Gzip => {
            builder.insert_header((header::CONTENT_ENCODING, "gzip"));
        }
        Encoding::Brotli => {
            builder.insert_header((header::CONTENT_ENCODING, "br"));
        }
    }
    builder.body(entry.body(encoding))
}
