//! `/api/v1/events`: listing, sync, one event, and the writes.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::ok;
use crate::db::queries::events::{self as q, Cursor, Filter};
use crate::db::{self, queries};
use crate::domain::event::{merge_patch, EventInput, Status};
use crate::domain::time::{self, Bound};
use crate::domain::Errors;
use crate::error::AppError;
use crate::feeds::json::EventJson;
use crate::state::AppState;
use crate::web::extract::{parse_json, Auth, Body};

/// Query parameters of `GET /api/v1/events` (all optional, all strings so errors name them).
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub action: Option<String>,
    pub partner: Option<String>,
    pub tag: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub q: Option<String>,
    pub status: Option<String>,
    pub updated_since: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

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
                    format!("must be a whole number from 1 to {}", api.max_limit),
                ))
            }
        },
    };
    let cursor = match nonempty(cursor) {
        None => None,
        Some(s) => Some(Cursor::decode(s).ok_or_else(|| {
            AppError::field(
                "cursor",
                "is not a cursor this server gave out; start again without it",
            )
        })?),
    };
    Ok((limit, cursor))
}

/// An RFC 3339 `updated_since`, checked.
pub(super) fn since(e: &mut Errors, v: &Option<String>) -> Option<chrono::NaiveDateTime> {
    let s = nonempty(v)?;
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => Some(t.naive_utc()),
        Err(_) => {
            e.push(
                "updated_since",
                format!("{s:?} is not an RFC 3339 instant like 2027-09-01T00:00:00Z"),
            );
            None
        }
    }
}

pub(super) fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The parts of the listing filter that need no database: parsed and checked.
pub struct ParsedFilter {
    pub filter: Filter,
    pub action: Option<String>,
    pub partner: Option<String>,
}

impl ListParams {
    pub fn parse(&self) -> Result<ParsedFilter, AppError> {
        let mut e = Errors::default();
        let bound = |e: &mut Errors, field: &str, v: Option<&str>| {
            v.and_then(|s| match time::parse_bound(s) {
                Ok(b) => Some(b),
                Err(m) => {
                    e.push(field, m);
                    None
                }
            })
        };
        let from = bound(&mut e, "from", nonempty(&self.from));
        let to = bound(&mut e, "to", nonempty(&self.to));
        let updated_since = since(&mut e, &self.updated_since);
        let mut statuses = Vec::new();
        if let Some(s) = nonempty(&self.status) {
            for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match Status::parse(part) {
                    Some(st) => statuses.push(st.as_str().to_string()),
                    None => e.push(
                        "status",
                        format!("{part:?} is not one of confirmed, tentative, cancelled"),
                    ),
                }
            }
        }
        let short = |e: &mut Errors, field: &str, v: &Option<String>| {
            let v = nonempty(v)?;
            if v.chars().count() > 200 {
                e.push(field, "is longer than 200 characters");
                None
            } else {
                Some(v.to_string())
            }
        };
        let filter = Filter {
            from: match (from, to, updated_since) {
                (None, None, None) => Some(Bound::Instant(queries::now())),
                _ => from,
            },
            to,
            tag: short(&mut e, "tag", &self.tag),
            city: short(&mut e, "city", &self.city),
            region: short(&mut e, "region", &self.region),
            country: short(&mut e, "country", &self.country),
            q: short(&mut e, "q", &self.q),
            by_relevance: true,
            statuses,
            updated_since,
            ..Filter::default()
        };
        let action = short(&mut e, "action", &self.action);
        let partner = short(&mut e, "partner", &self.partner);
        e.finish(ParsedFilter {
            filter,
            action,
            partner,
        })
    }
}

/// Resolves `action` / `partner` slugs of a listing; an unknown one is a 422 naming it.
pub fn resolve_slugs(conn: &mut db::DbConn, p: &mut ParsedFilter) -> Result<(), AppError> {
    let mut e = Errors::default();
    if let Some(slug) = &p.action {
        match queries::catalog::action_by_slug(conn, slug) {
            Ok(a) => p.filter.action_id = Some(a.id),
            Err(AppError::NotFound(m)) => e.push("action", m),
            Err(other) => return Err(other),
        }
    }
    if let Some(slug) = &p.partner {
        match queries::catalog::partner_by_slug(conn, slug) {
            Ok(x) => p.filter.partner_id = Some(x.id),
            Err(AppError::NotFound(m)) => e.push("partner", m),
            Err(other) => return Err(other),
        }
    }
    e.finish(())
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

pub async fn list(
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, AppError> {
    let mut parsed = params.parse()?;
    let (limit, cursor) = paging(&state, &params.limit, &params.cursor)?;
    // Writes take their timestamp inside their transaction and may commit a moment after this
    // read begins; stepping back a little means a client may see a change twice, never miss one.
    // Every page of one sync reports the first page's time (it travels in the cursor).
    // A listing by relevance pages by score; a cursor of another order would restart it.
    let by_relevance = parsed.filter.q.is_some() && parsed.filter.updated_since.is_none();
    if cursor.is_some_and(|c| c.rank.is_some() != by_relevance) {
        return Err(AppError::field(
            "cursor",
            "belongs to a listing with other parameters; start again without it",
        ));
    }
    let synced_at = cursor
        .and_then(|c| c.synced_at)
        .unwrap_or_else(|| queries::now() - chrono::Duration::seconds(SYNC_MARGIN_SECS));
    let syncing = parsed.filter.updated_since.is_some();
    let (views, next, deleted) = state
        .read(move |conn| {
            resolve_slugs(conn, &mut parsed)?;
            let (views, next) = q::list(conn, &parsed.filter, cursor, limit)?;
            let deleted = first_page_tombstones(parsed.filter.updated_since, cursor, |since| {
                q::unpublished_since(conn, since)
            })?;
            Ok((views, next, deleted))
        })
        .await?;
    let next = next.map(|c| Cursor {
        synced_at: syncing.then_some(synced_at),
        ..c
    });
    let body = ListBody {
        events: views
            .iter()
            .map(|v| EventJson::new(v, &state.links))
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
