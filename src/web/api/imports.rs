//! `/api/v1/imports`: partners' feeds Turnout subscribes to. Organizers see and change their own
//! partner's, admins every one; nothing here is public.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::ok;
use crate::db::queries::imports::{self as q, ImportView, SkippedItem};
use crate::domain::imports::ImportInput;
use crate::domain::time;
use crate::error::AppError;
use crate::import::refresh::{self, Summary};
use crate::state::AppState;
use crate::web::extract::{parse_json, Auth, Body};

/// An import as the API answers it.
#[derive(Debug, Serialize)]
pub struct ImportJson {
    pub id: i32,
    pub url: String,
    pub partner: String,
    pub action: Option<String>,
    pub tags: Vec<String>,
    pub review: &'static str,
    pub interval_minutes: i32,
    pub timezone: Option<String>,
    /// The calendar's own name (`X-WR-CALNAME`), as last read.
    pub calendar_name: Option<String>,
    pub last_fetch_at: Option<String>,
    /// ok, not_modified or error; null before the first fetch.
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub next_fetch_at: String,
    /// Failed fetches in a row: each doubles the wait before the next, up to a day.
    pub failures: i32,
    /// What the last run that read the feed did.
    pub created: i32,
    pub updated: i32,
    pub cancelled: i32,
    pub unchanged: i32,
    pub skipped: i32,
    pub skipped_items: Vec<SkippedItem>,
    pub created_at: String,
    pub updated_at: String,
}

impl ImportJson {
    pub fn new(v: &ImportView) -> ImportJson {
        let r = &v.row;
        ImportJson {
            id: r.id,
            url: r.url.clone(),
            partner: v.partner_slug.clone(),
            action: v.action_slug.clone(),
            tags: v.tags(),
            review: v.review().as_str(),
            interval_minutes: r.interval_minutes,
            timezone: r.timezone.clone(),
            calendar_name: r.calendar_name.clone(),
            last_fetch_at: r.last_fetch_at.map(time::utc_rfc3339),
            last_status: r.last_status.clone(),
            last_error: r.last_error.clone(),
            next_fetch_at: time::utc_rfc3339(r.next_fetch_at),
            failures: r.failures,
            created: r.created,
            updated: r.updated,
            cancelled: r.cancelled,
            unchanged: r.unchanged,
            skipped: r.skipped,
            skipped_items: v.skipped_items(),
            created_at: time::utc_rfc3339(r.created_at),
            updated_at: time::utc_rfc3339(r.updated_at),
        }
    }
}

#[derive(Serialize)]
struct ListBody {
    imports: Vec<ImportJson>,
}

/// A run's summary with the import as it now stands.
#[derive(Serialize)]
pub struct SummaryJson {
    #[serde(flatten)]
    pub summary: Summary,
    pub import: Option<ImportJson>,
}

impl SummaryJson {
    pub fn new(summary: Summary) -> SummaryJson {
        let import = summary.import.as_ref().map(ImportJson::new);
        SummaryJson { summary, import }
    }
}

fn id_of(raw: &str) -> Result<i32, AppError> {
    super::path_id(raw, "import")
}

pub async fn list(state: web::Data<AppState>, Auth(who): Auth) -> Result<HttpResponse, AppError> {
    let views = state.read(move |c| q::list(c, &who)).await?;
    ok(&ListBody {
        imports: views.iter().map(ImportJson::new).collect(),
    })
}

pub async fn get(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id_of(&id)?;
    let view = state.read(move |c| q::get(c, &who, id)).await?;
    ok(&ImportJson::new(&view))
}

pub async fn create(
    state: web::Data<AppState>,
    Auth(who): Auth,
    body: Body,
) -> Result<HttpResponse, AppError> {
    let input: ImportInput = body.json()?;
    // Nothing public changes until the first run writes events: no cache is told.
    let view = crate::db::run(&state.pool, move |c| q::create(c, &who, input)).await?;
    let body = ImportJson::new(&view);
    super::created_at(&body, &format!("/api/v1/imports/{}", body.id))
}

pub async fn patch(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, AppError> {
    let patch: serde_json::Map<String, serde_json::Value> = body.json()?;
    let id = id_of(&id)?;
    let view = crate::db::run(&state.pool, move |c| {
        q::update_with(c, &who, id, |current| {
            let merged = crate::domain::merge_patch(&current.to_input(), patch)?;
            parse_json::<ImportInput>(&serde_json::to_vec(&merged)?)
        })
    })
    .await?;
    ok(&ImportJson::new(&view))
}

pub async fn delete(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id_of(&id)?;
    // The events stay as they are; only the event pages' "no longer synced" changes.
    state.write(move |c| q::delete(c, &who, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Fetches the feed now and answers what that run did, every skipped item with its reason.
pub async fn refresh(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id_of(&id)?;
    state.read(move |c| q::get(c, &who, id)).await?;
    let summary = refresh::refresh_detached(&state, id).await?;
    ok(&SummaryJson::new(summary))
}
