//! "Partner feeds" in the admin (issue 12): the feeds Turnout subscribes to, with their status
//! and errors; add one, refresh one now (the page then shows what that run did, every skipped
//! item with its reason), stop one. The form becomes the API's `ImportInput` and goes through the
//! same checks and writes; errors come back next to their fields, as typed. Organizers see and
//! add only their own partner's feeds; admins every one.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::form::field_errors;
use super::{checked_form, choices, form_status, principal, redirect, refused, require, Notice};
use crate::db;
use crate::db::queries::auth::SessionUser;
use crate::db::queries::imports::{self as q, ImportView, SkippedItem};
use crate::domain::imports::ImportInput;
use crate::error::AppError;
use crate::import::refresh::{self, Summary};
use crate::state::AppState;
use crate::web::pages::{page, Ctx};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/feeds", web::get().to(list))
        .route("/admin/feeds", web::post().to(add))
        .route("/admin/feeds/{id}/refresh", web::post().to(run))
        .route("/admin/feeds/{id}/delete", web::post().to(delete));
}

/// A feed as a row of the list.
pub struct FeedRow {
    pub id: i32,
    pub url: String,
    pub partner: String,
    pub name: Option<String>,
    pub review: &'static str,
    /// ok, not_modified, error, or empty before the first fetch.
    pub status: String,
    pub error: Option<String>,
    pub last_fetch: Option<String>,
    pub next_fetch: String,
    /// "3 created · 1 updated · …" of the last run that read the feed.
    pub counts: String,
}

fn minute(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

impl FeedRow {
    fn new(v: &ImportView, ctx: &Ctx) -> FeedRow {
        let r = &v.row;
        FeedRow {
            id: r.id,
            url: r.url.clone(),
            partner: v.partner_name.clone(),
            name: r.calendar_name.clone(),
            review: ctx.t(&format!("admin_feeds_review_{}", v.review().as_str())),
            status: r.last_status.clone().unwrap_or_default(),
            error: r.last_error.clone(),
            last_fetch: r.last_fetch_at.map(minute),
            next_fetch: minute(r.next_fetch_at),
            counts: counts(
                ctx,
                r.created,
                r.updated,
                r.cancelled,
                r.unchanged,
                r.skipped,
            ),
        }
    }
}

fn counts(
    ctx: &Ctx,
    created: i32,
    updated: i32,
    cancelled: i32,
    unchanged: i32,
    skipped: i32,
) -> String {
    ctx.t("admin_feeds_counts")
        .replace("{created}", &created.to_string())
        .replace("{updated}", &updated.to_string())
        .replace("{cancelled}", &cancelled.to_string())
        .replace("{unchanged}", &unchanged.to_string())
        .replace("{skipped}", &skipped.to_string())
}

/// What a refresh from this page did.
pub struct RunBox {
    pub id: i32,
    pub ok: bool,
    pub text: String,
    pub skipped: Vec<SkippedItem>,
}

#[derive(Template)]
#[template(path = "admin_feeds.html")]
struct FeedsPage {
    ctx: Ctx,
    user: SessionUser,
    rows: Vec<FeedRow>,
    notice: Option<String>,
    ran: Option<RunBox>,
    /// The add form as typed, and its errors.
    form: HashMap<String, String>,
    errors: HashMap<String, String>,
    actions: Vec<(String, String)>,
    partners: Vec<(String, String)>,
}

impl FeedsPage {
    fn value(&self, field: &str) -> &str {
        self.form.get(field).map(String::as_str).unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn is(&self, field: &str, value: &str) -> bool {
        self.value(field) == value
    }
}

/// What a render of the page shows beyond the list: a notice, a run's result, and the add
/// form as typed with its errors.
#[derive(Default)]
struct Extra {
    notice: Option<String>,
    ran: Option<RunBox>,
    form: HashMap<String, String>,
    errors: HashMap<String, String>,
}

async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: SessionUser,
    status: StatusCode,
    extra: Extra,
) -> Result<HttpResponse, AppError> {
    let who = principal(&user);
    let (views, (actions, partners)) =
        db::run(&state.pool, move |c| Ok((q::list(c, &who)?, choices(c)?))).await?;
    let ctx = Ctx::new(req, state, Ctx::new(req, state, "").t("admin_feeds"));
    let rows = views.iter().map(|v| FeedRow::new(v, &ctx)).collect();
    let Extra {
        notice,
        ran,
        form,
        errors,
    } = extra;
    page(
        status,
        &FeedsPage {
            ctx,
            user,
            rows,
            notice,
            ran,
            form,
            errors,
            actions,
            partners,
        },
    )
}

async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    let t = |key: &str| Ctx::new(&req, &state, "").t(key).to_string();
    let notice = notice
        .done
        .as_deref()
        .filter(|d| ["added", "deleted"].contains(d))
        .map(|d| t(&format!("admin_feeds_done_{d}")));
    let form = HashMap::from([
        ("review".to_string(), "publish".to_string()),
        ("interval_minutes".to_string(), "60".to_string()),
    ]);
    render(
        &req,
        &state,
        user,
        StatusCode::OK,
        Extra {
            notice,
            form,
            ..Extra::default()
        },
    )
    .await
}

fn input_of(form: &HashMap<String, String>) -> (ImportInput, Vec<crate::error::FieldError>) {
    let opt = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut errors = Vec::new();
    let interval = opt("interval_minutes").and_then(|v| match v.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(crate::error::FieldError::new(
                "interval_minutes",
                crate::domain::message::Msg::NotWholeNumber { input: v },
            ));
            None
        }
    });
    let tags = opt("tags").map(|t| {
        t.split(',')
            .map(|s| s.trim().trim_start_matches('#').to_string())
            .filter(|s| !s.is_empty())
            .collect()
    });
    (
        ImportInput {
            url: opt("url"),
            partner: opt("partner"),
            action: opt("action"),
            tags,
            review: opt("review"),
            interval_minutes: interval,
            timezone: opt("timezone"),
        },
        errors,
    )
}

async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    let pairs = match checked_form(&req, &state, &user, &body)? {
        Ok(p) => p,
        Err(resp) => return Ok(resp),
    };
    let form: HashMap<String, String> = pairs.into_iter().filter(|(k, _)| k != "csrf").collect();
    let lang = Ctx::new(&req, &state, "").lang;
    let (input, mut problems) = input_of(&form);
    if !problems.is_empty() {
        // Every problem at once: what the form could not read, and what the checks find.
        let (_, more) = crate::domain::imports::ImportDraft::checked(input.clone());
        problems.extend(more.into_vec());
    } else {
        let who = principal(&user);
        match db::run(&state.pool, move |c| q::create(c, &who, input)).await {
            Ok(_) => return Ok(redirect("/admin/feeds?done=added")),
            Err(AppError::Validation(list)) => problems = list,
            Err(AppError::Conflict(m)) => {
                problems.push(crate::error::FieldError::new("url", m));
            }
            Err(e) => return refused(&req, &state, e),
        }
    }
    let errors = field_errors(lang, &problems);
    let status = form_status(&errors);
    render(
        &req,
        &state,
        user,
        status,
        Extra {
            form,
            errors,
            ..Extra::default()
        },
    )
    .await
}

fn run_box(ctx_lang: &Ctx, id: i32, s: Summary) -> RunBox {
    let text = match &s.error {
        Some(e) => format!("{}: {e}", ctx_lang.t("admin_feeds_failed")),
        None if s.status == "not_modified" => ctx_lang.t("admin_feeds_not_modified").to_string(),
        None => counts(
            ctx_lang,
            s.created,
            s.updated,
            s.cancelled,
            s.unchanged,
            i32::try_from(s.skipped.len()).unwrap_or(i32::MAX),
        ),
    };
    RunBox {
        id,
        ok: s.error.is_none(),
        text,
        skipped: s.skipped,
    }
}

async fn run(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    if let Err(resp) = checked_form(&req, &state, &user, &body)? {
        return Ok(resp);
    }
    let id = id.into_inner();
    let who = principal(&user);
    if let Err(e) = db::run(&state.pool, move |c| q::get(c, &who, id)).await {
        return refused(&req, &state, e);
    }
    let ctx = Ctx::new(&req, &state, "");
    let ran = match refresh::refresh_detached(&state, id).await {
        Ok(summary) => run_box(&ctx, id, summary),
        Err(AppError::Conflict(m)) => RunBox {
            id,
            ok: false,
            text: m,
            skipped: Vec::new(),
        },
        Err(e) => return Err(e),
    };
    render(
        &req,
        &state,
        user,
        StatusCode::OK,
        Extra {
            ran: Some(ran),
            ..Extra::default()
        },
    )
    .await
}

async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    if let Err(resp) = checked_form(&req, &state, &user, &body)? {
        return Ok(resp);
    }
    let who = principal(&user);
    let id = id.into_inner();
    match state.write(move |c| q::delete(c, &who, id)).await {
        Ok(()) => Ok(redirect("/admin/feeds?done=deleted")),
        Err(e) => refused(&req, &state, e),
    }
}
