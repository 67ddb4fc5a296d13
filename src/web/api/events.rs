//! `/api/v1/events`: listing, sync, one event, and the writes.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::ok;
use crate::db::queries::events::{self as q, Cursor, Filter};
use crate::db::{self, queries};
use crate::domain::event::{merge_patch, EventInput};
use crate::domain::filter::{EventFilter, Output};
use crate::domain::message::Msg;
use crate::domain::time;
use crate::domain::Errors;
use crate::error::AppError;
use crate::feeds::json::EventJson;
use crate::state::AppState;
use crate::web::extract::{parse_json, Auth, Body};

/// `limit` and `cursor` of a listing, checked.
pub(super) fn paging(
    state: &AppState,
    limit: &Option<String>,
    cursor: &Option<String>,
) -> Result<(i64, Option<Cursor>), AppError> {
    let api = &state.settings.api;
    let limit = match nonempty(limit) {
        None => i64::from(api.default_limit),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=i64::from(api.max_limit)).contains(&n) => n,
            _ => {
                return Err(AppError::field(
                    "limit",
                    Msg::WholeNumberFrom {
                        min: 1,
                        max: i64::from(api.max_limit),
                    },
                ))
            }
        },
    };
    Ok((limit, Cursor::from_param(nonempty(cursor))?))
}

/// An RFC 3339 `updated_since`, checked.
pub(super) fn since(e: &mut Errors, v: &Option<String>) -> Option<chrono::NaiveDateTime> {
    let s = nonempty(v)?;
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => Some(t.naive_utc()),
        Err(_) => {
            e.push(
                "updated_since",
                Msg::NotInstant {
                    input: s.to_string(),
                },
            );
            None
        }
    }
}

pub(super) fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// How far `synced_at` trails the moment a sync read starts.
pub(super) const SYNC_MARGIN_SECS: i64 = 2;

/// A removed record as the queries give it: id, uid, when it was removed.
pub(super) type Removed = (i32, String, chrono::NaiveDateTime);

/// With `updated_since`, the tombstones of a sync: those `fetch` finds on its first page, none on
/// later pages (they came with the first); without it, none at all.
pub(super) fn first_page_tombstones(
    since: Option<chrono::NaiveDateTime>,
    cursor: Option<Cursor>,
    fetch: impl FnOnce(chrono::NaiveDateTime) -> diesel::QueryResult<Vec<Removed>>,
) -> Result<Option<Vec<Removed>>, AppError> {
    Ok(match (since, cursor) {
        (Some(since), None) => Some(fetch(since)?),
        (Some(_), Some(_)) => Some(Vec::new()),
        _ => None,
    })
}

pub(super) fn tombstones(list: Vec<Removed>) -> Vec<Tombstone> {
    list.into_iter()
        .map(|(id, uid, at)| Tombstone {
            id,
            uid,
            deleted_at: time::utc_rfc3339(at),
        })
        .collect()
}

/// `synced_at` as the answer writes it (RFC 3339, microseconds).
pub(super) fn synced_at_text(t: chrono::NaiveDateTime) -> String {
    chrono::TimeZone::from_utc_datetime(&chrono::Utc, &t)
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[derive(Serialize)]
pub(super) struct Tombstone {
    pub id: i32,
    pub uid: String,
    pub deleted_at: String,
}

#[derive(Serialize)]
struct ListBody {
    events: Vec<EventJson>,
    next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted: Option<Vec<Tombstone>>,
    /// With `updated_since`: pass this as the next `updated_since` to get only later changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    synced_at: Option<String>,
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let api = &state.settings.api;
    let wanted = EventFilter::parse(
        req.query_string(),
        Output::Api {
            max_limit: api.max_limit,
        },
    )?;
    let limit = i64::from(wanted.limit.unwrap_or(api.default_limit));
    let cursor = Cursor::from_param(wanted.cursor.as_deref())?;
    let by_relevance = wanted.q.is_some() && wanted.updated_since.is_none();
    // Nearest first pages by distance (the cursor's `rank`), as relevance pages by score.
    let by_rank = (by_relevance || wanted.by_distance) && wanted.updated_since.is_none();
    // Writes take their timestamp inside their transaction and may commit a moment after this
    // read begins; stepping back a little means a client may see a change twice, never miss one.
    // Every page of one sync reports the first page's time (it travels in the cursor).
    // A listing by relevance pages by score; a cursor of another order would restart it.
    if cursor.is_some_and(|c| c.rank.is_some() != by_rank) {
        return Err(AppError::field(
            "cursor",
            "belongs to a listing with other parameters; start again without it",
        ));
    }
    let synced_at = cursor
        .and_then(|c| c.synced_at)
        .unwrap_or_else(|| queries::now() - chrono::Duration::seconds(SYNC_MARGIN_SECS));
    let syncing = wanted.updated_since.is_some();
    let (views, next, deleted, near) = state
        .read(move |conn| {
            let filter = Filter {
                by_relevance: true,
                ..q::resolve_filter(conn, &wanted)?.upcoming_by_default(queries::now())
            };
            let (views, next) = q::list(conn, &filter, cursor, limit)?;
            let deleted = first_page_tombstones(filter.updated_since, cursor, |since| {
                q::unpublished_since(conn, since)
            })?;
            Ok((views, next, deleted, filter.near))
        })
        .await?;
    let next = next.map(|c| Cursor {
        synced_at: syncing.then_some(synced_at),
        ..c
    });
    let body = ListBody {
        events: views
            .iter()
            .map(|v| {
                EventJson::new(v, &state.links).at_distance(near.as_ref().and_then(|n| n.of(v)))
            })
            .collect(),
        next_cursor: next.map(|c| c.encode()),
        synced_at: deleted.as_ref().map(|_| synced_at_text(synced_at)),
        deleted: deleted.map(tombstones),
    };
    ok(&body)
}

fn event_id(raw: &str) -> Result<i32, AppError> {
    super::path_id(raw, "event")
}

pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = event_id(&id)?;
    let view = state.read(move |c| q::public_view(c, id)).await?;
    ok(&EventJson::new(&view, &state.links))
}

pub async fn create(
    state: web::Data<AppState>,
    Auth(who): Auth,
    body: Body,
) -> Result<HttpResponse, AppError> {
    let input: EventInput = body.json()?;
    let host = state.links.host().to_string();
    let view = state
        .write(move |c| q::create(c, &who, input, &host))
        .await?;
    let body = EventJson::new(&view, &state.links);
    super::created_at(&body, &format!("/api/v1/events/{}", body.id))
}

pub async fn patch(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, AppError> {
    let patch: serde_json::Map<String, serde_json::Value> = body.json()?;
    let id = event_id(&id)?;
    // The patch is parsed before the write lock; it is merged with the event as it is inside
    // the write transaction, so concurrent patches of different fields both stay.
    let view = state
        .write(move |c| {
            q::update_with(c, &who, id, |current| {
                let merged = merge_patch(&current.to_input(false), patch)?;
                let bytes = serde_json::to_vec(&merged)?;
                parse_json::<EventInput>(&bytes)
            })
        })
        .await?;
    ok(&EventJson::new(&view, &state.links))
}

/// `PATCH /api/v1/events/{id}/occurrences/{local start}`: changes or cancels one occurrence of
/// a series; answers the occurrence as it now shows.
pub async fn patch_occurrence(
    state: web::Data<AppState>,
    Auth(who): Auth,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, AppError> {
    let patch: serde_json::Map<String, serde_json::Value> = body.json()?;
    let (id, key) = path.into_inner();
    let id = event_id(&id)?;
    let view = state
        .write(move |c| q::change_occurrence(c, &who, id, &key, patch))
        .await?;
    ok(&EventJson::new(&view, &state.links))
}

/// `DELETE /api/v1/events/{id}/occurrences/{local start}`: the series skips that occurrence
/// (an EXDATE); answers the series.
pub async fn delete_occurrence(
    state: web::Data<AppState>,
    Auth(who): Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, key) = path.into_inner();
    let id = event_id(&id)?;
    let view = state
        .write(move |c| q::exclude_occurrence(c, &who, id, &key))
        .await?;
    ok(&EventJson::new(&view, &state.links))
}

pub async fn delete(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = event_id(&id)?;
    state.write(move |c| q::delete(c, &who, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn cancel(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = event_id(&id)?;
    let view = state.write(move |c| q::cancel(c, &who, id)).await?;
    ok(&EventJson::new(&view, &state.links))
}

pub async fn restore(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = event_id(&id)?;
    let view = state.write(move |c| q::restore(c, &who, id)).await?;
    ok(&EventJson::new(&view, &state.links))
}

#[derive(Serialize)]
struct RevisionJson {
    id: i32,
    kind: String,
    actor: String,
    created_at: String,
    snapshot: serde_json::Value,
}

pub async fn revisions(
    state: web::Data<AppState>,
    Auth(who): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = event_id(&id)?;
    let list = db::run(&state.pool, move |c| {
        q::event_by_id(c, id)?;
        q::authorize(c, &who, id)?;
        Ok(q::revisions(c, id)?)
    })
    .await?;
    let revisions: Vec<RevisionJson> = list
        .into_iter()
        .map(|r| RevisionJson {
            id: r.id,
            kind: r.kind,
            actor: r.actor,
            created_at: time::utc_rfc3339(r.created_at),
            snapshot: serde_json::from_str(&r.snapshot).unwrap_or(serde_json::Value::Null),
        })
        .collect();
    ok(&serde_json::json!({ "revisions": revisions }))
}
