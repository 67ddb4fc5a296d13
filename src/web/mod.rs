//! The one route table.

pub mod admin;
pub mod api;
pub mod cached;
pub mod client;
pub mod extract;
pub mod feeds;
pub mod i18n;
pub mod pages;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{middleware, web, HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::state::AppState;

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

/// `ok`, and `leader` on the instance that runs the once-only background work.
async fn health(state: web::Data<AppState>) -> HttpResponse {
    let leader = state.leader.load(std::sync::atomic::Ordering::Acquire);
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(if leader { "ok\nleader\n" } else { "ok\n" })
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

/// `next` (where to go after a language switch or a login) as a path on this site, or `None`.
/// It must be an absolute path that a browser's (WHATWG) URL parser resolves to this origin:
/// no scheme, no `//host` or `/\host`, no control characters (a tab or newline is dropped by
/// the parser, so `/%09/evil.example` would become `//evil.example`). The answer is the path
/// as that parser serializes it, so what the `Location` header says is what a browser follows.
pub fn local_path(next: &str) -> Option<String> {
    if !next.starts_with('/')
        || next.starts_with("//")
        || next.starts_with("/\\")
        || next.chars().any(char::is_control)
    {
        return None;
    }
    let base = url::Url::parse("http://turnout.invalid/").ok()?;
    let resolved = base.join(next).ok()?;
    if resolved.origin() != base.origin() || resolved.path().starts_with("//") {
        return None;
    }
    let mut out = resolved.path().to_string();
    if let Some(q) = resolved.query() {
        out.push('?');
        out.push_str(q);
    }
    Some(out)
}

/// What every response gets on its way out:
/// - an `AppError` from a page or admin route becomes the HTML error page (the API keeps its
///   problem+json), so handlers return errors and never choose how they look;
/// - every `/admin` response is `Cache-Control: private, no-store` (a page may show a new token or
///   password once; a shared computer's cache must not keep it);
/// - plain-text bodies are `nosniff`; with an https `base_url`, `Strict-Transport-Security`.
pub async fn finish_responses(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let path = req.path();
    let api = path.starts_with("/api/");
    let admin = path == "/admin" || path.starts_with("/admin/");
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?;
    let page = match (&state, api) {
        (Some(state), false) => res
            .response()
            .error()
            .and_then(|e| e.as_error::<AppError>())
            .filter(|e| !matches!(e, AppError::Redirect(_)))
            .map(|e| pages::error_page(res.request(), state, e)),
        _ => None,
    };
    let mut res = match page {
        Some(page) => res.into_response(page),
        None => res.map_into_boxed_body(),
    };
    let headers = res.headers_mut();
    if admin {
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("private, no-store"),
        );
    }
    let plain = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if plain {
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            header::HeaderValue::from_static("nosniff"),
        );
    }
    if state.is_some_and(|s| s.settings.is_https()) {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            header::HeaderValue::from_static("max-age=31536000"),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        for ok in [
            "/",
            "/actions/x",
            "/?tag=a&city=b",
            "/events/1#x",
            "/a/../b",
        ] {
            assert!(local_path(ok).is_some(), "{ok}");
        }
        assert_eq!(local_path("/a/../b").as_deref(), Some("/b"));
        assert_eq!(local_path("/x y").as_deref(), Some("/x%20y"));
        for bad in [
            "",
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/\tevil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nSet-Cookie: a=b",
            "/.//evil.example",
            "\\\\evil.example",
            "evil.example",
            "javascript:alert(1)",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}
