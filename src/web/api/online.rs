//! `/api/v1/online-actions`: petitions, letters, call-ins. Same conventions as events: filters,
//! keyset cursor, `updated_since` with tombstones, merge-patch, problem+json.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::events::{
    first_page_tombstones, nonempty, paging, since, synced_at_text, tombstones, Tombstone,
    SYNC_MARGIN_SECS,
};
use super::ok;
use crate::db::queries;
use crate::db::queries::events::Cursor;
use crate::db::queries::online::{self as q, Filter};
use crate::domain::online::{merge_patch, Kind, OnlineActionInput, OnlineStatus};
use crate::domain::Errors;
use crate::error::AppError;
use crate::feeds::json::OnlineActionJson;
use crate::state::AppState;
use crate::web::extract::{parse_json, Auth, Body};

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    pub action: Option<String>,
    pub partner: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub updated_since: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Serialize)]
struct ListBody {
    online_actions: Vec<OnlineActionJson>,
    next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted: Option<Vec<Tombstone>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    synced_at: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, AppError> {
    let mut e = Errors::default();
    let kind = nonempty(&params.kind).and_then(|k| match Kind::parse(k) {
        Some(k) => Some(k.as_str().to_string()),
        None => {
            e.push(
                "kind",
                format!(
                    "{k:?} is not one of {}",
                    Kind::ALL.map(Kind::as_str).join(", ")
                ),
            );
            None
        }
    });
    let status = nonempty(&params.status).and_then(|s| match OnlineStatus::parse(s) {
        Some(s) => Some(s.as_str().to_string()),
        None => {
            e.push("status", format!("{s:?} is not one of open, closed, won"));
            None
        }
    });
    let updated_since = since(&mut e, &params.updated_since);
    let action = nonempty(&params.action).map(str::to_string);
    let partner = nonempty(&params.partner).map(str::to_string);
    e.finish(())?;
    let (limit, cursor) = paging(&state, &params.limit, &params.cursor)?;
    let synced_at = cursor
        .and_then(|c| c.synced_at)
        .unwrap_or_else(|| queries::now() - chrono::Duration::seconds(SYNC_MARGIN_SECS));
    let (views, next, deleted) = state
        .read(move |c| {
            let mut e = Errors::default();
            let mut f = Filter {
                kind,
                status,
                updated_since,
                ..Filter::default()
            };
            if let Some(slug) = &action {
                match queries::catalog::action_by_slug(c, slug) {
                    Ok(a) => f.action_id = Some(a.id),
                    Err(AppError::NotFound(m)) => e.push("action", m),
                    Err(other) => return Err(other),
                }
            }
            if let Some(slug) = &partner {
                match queries::catalog::partner_by_slug(c, slug) {
                    Ok(p) => f.partner_id = Some(p.id),
                    Err(AppError::NotFound(m)) => e.push("partner", m),
                    Err(other) => return Err(other),
                }
            }
            e.finish(())?;
            let (views, next) = q::list(c, &f, cursor, limit)?;
            let deleted =
                first_page_tombstones(updated_since, cursor, |since| q::deleted_since(c, since))?;
            Ok((views, next, deleted))
        })
        .await?;
    let next = next.map(|c| Cursor {
        synced_at: updated_since.is_some().then_some(synced_at),
        ..c
    });
    ok(&ListBody {
        online_actions: views
            .iter()
            .map(|v| OnlineActionJson::new(v, &state.links))
            .collect(),
        next_cursor: next.map(|c| c.encode()),
        synced_at: deleted.as_ref().map(|_| synced_at_text(synced_at)),
        deleted: deleted.map(tombstones),
    })
}

fn id_of(raw: &str) -> Result<i32, AppError> {
    super::path_id(raw, "online action")
}

pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id_of(&id)?;
    let view = state.read(move |c| q::public_view(c, id)).await?;
    ok(&OnlineActionJson::new(&view, &state.links))
}

pub async fn create(
    state: web::Data<AppState>,
    Auth(who): Auth,
    body: Body,
) -> Result<HttpResponse, AppError> {
    let input: OnlineActionInput = body.json()?;
    let host = state.links.host().to_string();
    let view = state
        .write(move |c| q::create(c, &who, input, &host))
        .await?;
    let body = OnlineActionJson::new(&view, &state.links);
    super::created_at(&body, &format!("/api/v1/online-actions/{}", body.id))
}

pub async fn patch(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, AppError> {
    let patch: serde_json::Map<String, serde_json::Value> = body.json()?;
    let id = id_of(&id)?;
    let view = state
        .write(move |c| {
            q::update_with(c, &who, id, |current| {
                let merged = merge_patch(&current.to_input(), patch)?;
                parse_json::<OnlineActionInput>(&serde_json::to_vec(&merged)?)
            })
        })
        .await?;
    ok(&OnlineActionJson::new(&view, &state.links))
}

pub async fn delete(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id_of(&id)?;
    state.write(move |c| q::delete(c, &who, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
