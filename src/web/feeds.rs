//! `.ics` feeds over HTTP: cached bytes, strong ETags, 304s, gzip/brotli, HEAD, CORS.

use std::time::SystemTime;

use crate::domain::filter::{EventFilter, Output};
use crate::domain::time::Bound;
use crate::error::AppError;
use crate::feeds::cache::{CachedFeed, Encoding};
use crate::feeds::render::{render, Spec};
use crate::state::AppState;
use actix_web::http::header::{self, HeaderValue, HttpDate};
use actix_web::{guard, web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveTime, Utc};

pub fn configure(cfg: &mut web::ServiceConfig) {
    let get_or_head = || web::route().guard(guard::Any(guard::Get()).or(guard::Head()));
    cfg.route("/calendar.ics", get_or_head().to(calendar))
        .route("/actions/{slug}.ics", get_or_head().to(action))
        .route("/partners/{slug}.ics", get_or_head().to(partner))
        .route("/tags/{tag}.ics", get_or_head().to(tag))
        .route("/events/{id}.ics", get_or_head().to(event));
}

fn not_found(message: String) -> HttpResponse {
    plain(HttpResponse::NotFound(), message)
}

/// A removed event's feed: calendars that subscribed to it alone stop asking.
fn gone(message: String) -> HttpResponse {
    plain(HttpResponse::Gone(), message)
}

fn plain(mut builder: actix_web::HttpResponseBuilder, message: String) -> HttpResponse {
    builder
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(message + "\n")
}

/// `/calendar.ics?filters`: the listing grammar minus paging and sync (a feed is its whole
/// window); a bad filter answers the API's 422 problem+json naming the field.
async fn calendar(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match EventFilter::parse(req.query_string(), Output::Feed) {
        Ok(filter) => serve(req, state, Spec::All(Box::new(filter))).await,
        Err(e) => with_cors(actix_web::ResponseError::error_response(&AppError::from(e))),
    }
}

/// Feeds are read from any origin, their errors too.
fn with_cors(mut resp: HttpResponse) -> HttpResponse {
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
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
            match state
                .read(move |conn| {
                    let rendered = render(
                        conn,
                        &render_spec,
                        &st.settings,
                        &st.links,
                        &st.fragments,
                        from,
                    );
                    release_freed_memory();
                    rendered
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
                Err(AppError::Gone(m)) => return gone(m),
                Err(e) => return with_cors(actix_web::ResponseError::error_response(&e)),
            }
        }
    };
    respond(&req, &entry, &state.feeds.cache_control)
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

fn respond(req: &HttpRequest, entry: &CachedFeed, cache_control: &HeaderValue) -> HttpResponse {
    let encoding = negotiate(req);
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
        .insert_header((header::ETAG, entry.etag(encoding).clone()))
        .insert_header((header::LAST_MODIFIED, entry.last_modified_header.clone()))
        .insert_header((header::CACHE_CONTROL, cache_control.clone()))
        .insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
    if not_modified {
        return builder.finish();
    }
    builder
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/calendar; charset=utf-8"),
        ))
        .insert_header((header::CONTENT_DISPOSITION, entry.disposition.clone()));
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

/// A feed render allocates several times its size for a moment (rows, VEVENTs, the body); give
/// what was freed back to the operating system so a large render does not leave the process
/// holding it (glibc keeps freed memory in its arenas otherwise).
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused memory at the top of glibc's heaps to the OS; it
    // takes no pointers and is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
