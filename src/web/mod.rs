//! The one route table.

pub mod admin;
pub mod api;
pub mod extract;
pub mod feeds;
pub mod i18n;
pub mod limit;
pub mod pages;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{middleware, web, HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PathConfig::default().error_handler(|err, req| {
        AppError::NotFound(format!(
            "{} does not name anything here ({err})",
            req.path()
        ))
        .into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|err, _| {
        AppError::BadRequest(format!("the query string could not be read: {err}")).into()
    }))
    .service(
        web::scope("/api/v1")
            .wrap(
                middleware::DefaultHeaders::new()
                    .add((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")),
            )
            .configure(api::configure),
    )
    .configure(feeds::configure)
    .configure(pages::configure)
    .configure(admin::configure)
    .route("/healthz", web::get().to(health))
    .default_service(web::to(not_found));
}

async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n")
}

/// Unknown paths: problem+json under /api, the friendly page elsewhere.
async fn not_found(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if req.path().starts_with("/api/") {
        return Err(AppError::NotFound(format!(
            "there is nothing at {}",
            req.path()
        )));
    }
    pages::not_found_page(&req, &state)
}

/// Any successful write may change what a feed shows: drop the cached feeds.
pub async fn invalidate_feeds_on_write(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?;
    if write && res.status().is_success() {
        if let Some(state) = state {
            state.feeds.invalidate();
        }
    }
    Ok(res)
}

/// gzip for HTML pages (small, rendered per request) when the browser accepts it. Feeds keep
/// their own cached compressed forms; JSON stays as it is (partner sites fetch it server-side).
/// Deliberately not actix's `Compress` for everything: its per-response encoders cost several
/// MB of resident memory under load for little gain on API answers.
pub async fn gzip_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use std::io::Write;
    let accepts_gzip = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|p| {
                let mut it = p.split(';');
                it.next()
                    .is_some_and(|c| c.trim().eq_ignore_ascii_case("gzip"))
                    && !it.any(|q| q.trim().replace(' ', "") == "q=0")
            })
        });
    let res = next.call(req).await?;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !accepts_gzip || !is_html || res.headers().contains_key(header::CONTENT_ENCODING) {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("reading the page body"))?;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::new(6),
    );
    let gz = enc.write_all(&bytes).and_then(|_| enc.finish());
    let res = match gz {
        Ok(gz) => {
            head.headers_mut().insert(
                header::CONTENT_ENCODING,
                header::HeaderValue::from_static("gzip"),
            );
            head.headers_mut().insert(
                header::VARY,
                header::HeaderValue::from_static("Accept-Encoding"),
            );
            head.set_body(gz).map_into_boxed_body()
        }
        Err(_) => head.set_body(bytes).map_into_boxed_body(),
    };
    Ok(ServiceResponse::new(req, res))
}
