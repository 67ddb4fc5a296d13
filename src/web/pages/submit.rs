//! Public submission: anyone may propose an event; it waits in the moderation queue (review
//! `pending`) and is not public until an admin approves it. A honeypot field and a per-address
//! rate limit keep spam out; a double-submit cookie keeps other sites from posting the form.

use std::collections::HashMap;
use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{page, Ctx};
use crate::auth::{self, Principal};
use crate::db::{self, queries::catalog, queries::events as q};
use crate::error::AppError;
use crate::limit::Limiter;
use crate::state::AppState;
use crate::web::admin::form::{form_field, EventForm};
use crate::web::admin::form_pairs;

const CSRF_COOKIE: &str = "turnout_submit_csrf";
/// The field people leave empty and form-filling bots fill in.
pub const HONEYPOT: &str = "website";

/// Submissions per client address and hour.
pub fn limiter() -> Limiter {
    Limiter::new("submit", 5, Duration::from_secs(3600))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/submit", super::get_or_head().to(form))
        .route("/submit", web::post().to(submit));
}

#[derive(Template)]
#[template(path = "submit.html")]
struct SubmitPage {
    ctx: Ctx,
    csrf: String,
    form: EventForm,
    errors: HashMap<String, String>,
    actions: Vec<(String, String)>,
    zones: Vec<&'static str>,
    honeypot: &'static str,
}

impl SubmitPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

#[derive(Template)]
#[template(path = "submit_done.html")]
struct DonePage {
    ctx: Ctx,
}

async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    form: EventForm,
    errors: HashMap<String, String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actions = db::run(&state.pool, |c| Ok(catalog::action_choices(c)?)).await?;
    let csrf = auth::new_password();
    let lang = Ctx::new(req, state, "").lang;
    let body = SubmitPage {
        ctx: Ctx::new(req, state, lang.t("submit_title")).describe_key("meta_submit"),
        csrf: csrf.clone(),
        form,
        errors,
        actions,
        zones: chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect(),
        honeypot: HONEYPOT,
    };
    // Each language's form posts to its own address and gets its own cookie.
    let path = format!("{}/submit", body.ctx.prefix());
    let mut resp = page(status, &body)?;
    let cookie = Cookie::build(CSRF_COOKIE, csrf)
        .path(path)
        .http_only(true)
        .secure(state.settings.is_https())
        .same_site(SameSite::Strict)
        .finish();
    resp.add_cookie(&cookie)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("cookie: {e}")))?;
    Ok(resp)
}

async fn form(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    render(
        &req,
        &state,
        EventForm::default(),
        HashMap::new(),
        StatusCode::OK,
    )
    .await
}

async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let pairs = form_pairs(&body)?;
    let form = EventForm::from_pairs(pairs);
    let lang = Ctx::new(&req, &state, "").lang;
    let expected = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if expected.is_empty() || !auth::same_secret(form.get("csrf"), &expected) {
        let errors = HashMap::from([("form".to_string(), lang.t("admin_csrf_failed").to_string())]);
        return render(&req, &state, form, errors, StatusCode::FORBIDDEN).await;
    }
    // The limit keys on a keyed hash of the address that changes daily; the address itself is
    // never stored. An attempt counts before anything is written (and is given back when the
    // form only needs correcting), so parallel posts cannot exceed the limit.
    let client = crate::web::client::client_key(&req, &state);
    if !state.submit_limit.try_hit(&state.counts, &client).await? {
        let errors = HashMap::from([("form".to_string(), lang.t("submit_too_many").to_string())]);
        return render(&req, &state, form, errors, StatusCode::TOO_MANY_REQUESTS).await;
    }
    let ctx = Ctx::new(&req, &state, lang.t("submit_done_title")).describe_key("meta_submit");
    if !form.get(HONEYPOT).is_empty() {
        // A bot: thank it and store nothing.
        return page(StatusCode::OK, &DonePage { ctx });
    }
    let mut input = match form.to_input() {
        Ok(i) => i,
        Err(fe) => {
            state.submit_limit.refund(&state.counts, &client).await?;
            return render(
                &req,
                &state,
                form,
                HashMap::from([(
                    fe.field.clone(),
                    Ctx::new(&req, &state, "").lang.field_message(&fe),
                )]),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    // Submitters do not set partners or status; moderators do.
    input.partners = Some(Vec::new());
    input.status = None;
    input.venue_id = None;
    let host = state.links.host().to_string();
    match state
        .write(move |c| q::create(c, &Principal::Public, input, &host))
        .await
    {
        Ok(_) => page(StatusCode::OK, &DonePage { ctx }),
        Err(AppError::Validation(fields)) => {
            state.submit_limit.refund(&state.counts, &client).await?;
            let mut errors = HashMap::new();
            for f in fields {
                let message = Ctx::new(&req, &state, "").lang.field_message(&f);
                errors.entry(form_field(&f.field)).or_insert(message);
            }
            render(&req, &state, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}
