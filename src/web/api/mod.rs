//! JSON API v1.

mod catalog;
mod events;
pub mod imports;
mod online;
mod openapi;

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/events")
            .route(web::get().to(events::list))
            .route(web::post().to(events::create)),
    )
    .service(
        web::resource("/events/{id}")
            .route(web::get().to(events::get))
            .route(web::patch().to(events::patch))
            .route(web::delete().to(events::delete)),
    )
    .service(
        web::resource("/events/{id}/occurrences/{occurrence}")
            .route(web::patch().to(events::patch_occurrence))
            .route(web::delete().to(events::delete_occurrence)),
    )
    .route("/events/{id}/cancel", web::post().to(events::cancel))
    .route("/events/{id}/restore", web::post().to(events::restore))
    .route("/events/{id}/revisions", web::get().to(events::revisions))
    .service(
        web::resource("/partners")
            .route(web::get().to(catalog::list_partners))
            .route(web::post().to(catalog::create_partner)),
    )
    .route("/partners/{slug}", web::get().to(catalog::get_partner))
    .service(
        web::resource("/actions")
            .route(web::get().to(catalog::list_actions))
            .route(web::post().to(catalog::create_action)),
    )
    .route("/actions/{slug}", web::get().to(catalog::get_action))
    .service(
        web::resource("/venues")
            .route(web::get().to(catalog::list_venues))
            .route(web::post().to(catalog::create_venue)),
    )
    .service(
        web::resource("/online-actions")
            .route(web::get().to(online::list))
            .route(web::post().to(online::create)),
    )
    .service(
        web::resource("/online-actions/{id}")
            .route(web::get().to(online::get))
            .route(web::patch().to(online::patch))
            .route(web::delete().to(online::delete)),
    )
    .service(
        web::resource("/imports")
            .route(web::get().to(imports::list))
            .route(web::post().to(imports::create)),
    )
    .service(
        web::resource("/imports/{id}")
            .route(web::get().to(imports::get))
            .route(web::patch().to(imports::patch))
            .route(web::delete().to(imports::delete)),
    )
    .route("/imports/{id}/refresh", web::post().to(imports::refresh))
    .route("/openapi.json", web::get().to(openapi::document));
}

fn json<T: Serialize>(
    status: actix_web::http::StatusCode,
    body: &T,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type("application/json")
        .body(serde_json::to_vec(body)?))
}

fn ok<T: Serialize>(body: &T) -> Result<HttpResponse, AppError> {
    json(actix_web::http::StatusCode::OK, body)
}

fn created<T: Serialize>(body: &T) -> Result<HttpResponse, AppError> {
    json(actix_web::http::StatusCode::CREATED, body)
}

/// 201 with the new record and its `Location`.
fn created_at<T: Serialize>(body: &T, location: &str) -> Result<HttpResponse, AppError> {
    let mut resp = created(body)?;
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(location) {
        resp.headers_mut()
            .insert(actix_web::http::header::LOCATION, v);
    }
    Ok(resp)
}

/// A record id from the path; anything but a positive number names no `what` (404).
fn path_id(raw: &str, what: &str) -> Result<i32, AppError> {
    raw.parse::<i32>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::NotFound(format!("there is no {what} {raw:?}")))
}
