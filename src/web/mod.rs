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
