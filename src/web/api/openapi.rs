//! The OpenAPI document of API v1 (checked against the running server by the integration tests).

use actix_web::{web, HttpResponse};

use crate::state::AppState;

const DOCUMENT: &str = include_str!("openapi.json");

pub async fn document(state: web::Data<AppState>) -> HttpResponse {
    // The server URL is the instance's own.
    let body = DOCUMENT.replace("{{BASE_URL}}", state.links.base());
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}
