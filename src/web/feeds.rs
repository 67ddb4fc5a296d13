//! `.ics` feeds over HTTP (cached, compressed and validated by `web::cached` in front), CORS.

use actix_web::http::header::{self, HeaderValue, HttpDate};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveTime, Utc};

use crate::domain::filter::{EventFilter, Output};
use crate::domain::time::Bound;
use crate::error::AppError;
use crate::feeds::render::{render, Spec};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // HEAD is answered by the response cache in front (as the GET it stands for).
    cfg.route("/calendar.ics", web::get().to(calendar))
        .route("/actions/{slug}.ics", web::get().to(action))
        .route("/partners/{slug}.ics", web::get().to(partner))
        .route("/tags/{tag}.ics", web::get().to(tag))
        .route("/events/{id}.ics", web::get().to(event))
        .route("/calendar.atom", web::get().to(calendar_atom))
        .route("/actions/{slug}.atom", web::get().to(action_atom))
        .route("/partners/{slug}.atom", web::get().to(partner_atom))
        .route("/tags/{tag}.atom", web::get().to(tag_atom));
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
        Ok(filter) => serve(state, Spec::All(Box::new(filter))).await,
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

async fn action(state: web::Data<AppState>, slug: web::Path<String>) -> HttpResponse {
    serve(state, Spec::Action(slug.into_inner())).await
}

async fn partner(state: web::Data<AppState>, slug: web::Path<String>) -> HttpResponse {
    serve(state, Spec::Partner(slug.into_inner())).await
}

async fn tag(state: web::Data<AppState>, tag: web::Path<String>) -> HttpResponse {
    serve(state, Spec::Tag(tag.into_inner())).await
}

async fn event(state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
    match id.parse::<i32>() {
        Ok(n) if n > 0 => serve(state, Spec::Event(n)).await,
        _ => not_found(format!("There is no event {:?}.", id.as_str())),
    }
}

/// Renders a feed (the response cache in front keeps it until the next change): the newest
/// change among its events becomes the `Last-Modified` of a first render.
async fn serve(state: web::Data<AppState>, spec: Spec) -> HttpResponse {
    let today = Utc::now().date_naive();
    let window_day = today - Duration::days(i64::from(state.settings.feeds.past_days));
    let st = state.clone();
    let from = Bound::Instant(window_day.and_time(NaiveTime::MIN));
    let rendered = state
        .read(move |conn| render(conn, &spec, &st.settings, &st.links, &st.fragments, from))
        .await;
    match rendered {
        Ok(r) => {
            // Sent as its parts; the cache in front takes them from the extensions.
            let rope = crate::cache::Rope::new(r.parts);
            let mut res = HttpResponse::Ok()
                .insert_header((
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/calendar; charset=utf-8"),
                ))
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_str(&format!("inline; filename=\"{}\"", r.filename))
                        .unwrap_or_else(|_| HeaderValue::from_static("inline")),
                ))
                .insert_header((
                    header::LAST_MODIFIED,
                    HttpDate::from(r.newest_change).to_string(),
                ))
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
                .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .body(rope.clone().into_body());
            res.extensions_mut().insert(rope);
            res
        }
        Err(AppError::NotFound(m)) => not_found(m),
        Err(AppError::Gone(m)) => gone(m),
        Err(e) => with_cors(actix_web::ResponseError::error_response(&e)),
    }
}

async fn calendar_atom(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match EventFilter::parse(req.query_string(), Output::Feed) {
        Ok(filter) => serve_atom(state, Spec::All(Box::new(filter))).await,
        Err(e) => with_cors(actix_web::ResponseError::error_response(&AppError::from(e))),
    }
}

async fn action_atom(state: web::Data<AppState>, slug: web::Path<String>) -> HttpResponse {
    serve_atom(state, Spec::Action(slug.into_inner())).await
}

async fn partner_atom(state: web::Data<AppState>, slug: web::Path<String>) -> HttpResponse {
    serve_atom(state, Spec::Partner(slug.into_inner())).await
}

async fn tag_atom(state: web::Data<AppState>, tag: web::Path<String>) -> HttpResponse {
    serve_atom(state, Spec::Tag(tag.into_inner())).await
}

/// Renders an Atom feed (cached in front like the `.ics` beside it).
async fn serve_atom(state: web::Data<AppState>, spec: Spec) -> HttpResponse {
    let today = Utc::now().date_naive();
    let st = state.clone();
    // Events that have not ended: a reader wants what is coming and what changed.
    let floor = today.and_time(NaiveTime::MIN);
    let rendered = state
        .read(move |conn| crate::feeds::atom::render(conn, &spec, &st.settings, &st.links, floor))
        .await;
    match rendered {
        // No Last-Modified of ours: an entry can leave (ended, deleted) without anything newer
        // in the feed, so the cache in front dates each new body itself.
        Ok(a) => HttpResponse::Ok()
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/atom+xml; charset=utf-8"),
            ))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(a.body),
        Err(AppError::NotFound(m)) => not_found(m),
        Err(e) => with_cors(actix_web::ResponseError::error_response(&e)),
    }
}
