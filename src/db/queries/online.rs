//! Online actions: writes (one IMMEDIATE transaction each, read-check-write inside it), the API
//! listing with its keyset cursor and sync, and the lists pages, feeds and the dashboard show.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::events::Cursor;
use super::now;
use crate::auth::Principal;
use crate::db::models::{OnlineAction, OnlineActionFields};
use crate::db::schema::{actions, events, online_action_partners, online_actions, partners};
use crate::db::DbConn;
use crate::domain::online::{OnlineActionDraft, OnlineActionInput, OnlineStatus};
use crate::error::AppError;

/// An online action with what it shows: its day of action and partners.
#[derive(Debug, Clone)]
pub struct OnlineView {
    pub row: OnlineAction,
    /// (slug, title)
    pub action: Option<(String, String)>,
    /// (slug, name)
    pub partners: Vec<(String, String)>,
}

impl OnlineView {
    pub fn is_open(&self) -> bool {
        self.row.status == OnlineStatus::Open.as_str()
    }

    /// Its input form (what PATCH merges into).
    pub fn to_input(&self) -> OnlineActionInput {
        let r = &self.row;
        OnlineActionInput {
            kind: Some(r.kind.clone()),
            title: Some(r.title.clone()),
            description: Some(r.description.clone()),
            action: self.action.as_ref().map(|(slug, _)| slug.clone()),
            partners: Some(self.partners.iter().map(|(s, _)| s.clone()).collect()),
            url: Some(r.url.clone()),
            goal: r.goal.map(i64::from),
            count: r.count.map(i64::from),
            deadline: r.deadline.map(|d| d.to_string()),
            timezone: Some(r.timezone.clone()),
            status: Some(r.status.clone()),
        }
    }
}

pub fn load_views(conn: &mut DbConn, rows: Vec<OnlineAction>) -> QueryResult<Vec<OnlineView>> {
    if rows.is_empty() {
        return Ok(Vec::new()); // most feeds: no queries for the names of nothing
    }
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let action_ids: Vec<i32> = rows.iter().filter_map(|r| r.action_id).collect();
    let action_map: HashMap<i32, (String, String)> = actions::table
        .filter(actions::id.eq_any(&action_ids))
        .select((actions::id, actions::slug, actions::title))
        .load::<(i32, String, String)>(conn)?
        .into_iter()
        .map(|(id, s, t)| (id, (s, t)))
        .collect();
    let mut partner_map: HashMap<i32, Vec<(String, String)>> = HashMap::new();
    for (oid, slug, name) in online_action_partners::table
        .inner_join(partners::table)
        .filter(online_action_partners::online_action_id.eq_any(&ids))
        .order((
            online_action_partners::online_action_id,
            online_action_partners::position,
        ))
        .select((
            online_action_partners::online_action_id,
            partners::slug,
            partners::name,
        ))
        .load::<(i32, String, String)>(conn)?
    {
        partner_map.entry(oid).or_default().push((slug, name));
    }
    Ok(rows
        .into_iter()
        .map(|row| OnlineView {
            action: row.action_id.and_then(|id| action_map.get(&id).cloned()),
            partners: partner_map.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

fn single(conn: &mut DbConn, row: OnlineAction) -> Result<OnlineView, AppError> {
    load_views(conn, vec![row])?
        .pop()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("online action view vanished")))
}

pub fn by_id(conn: &mut DbConn, id: i32) -> Result<OnlineAction, AppError> {
    online_actions::table
        .find(id)
        .select(OnlineAction::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("there is no online action {id}")))
}

/// The public read of one: 410 once deleted.
pub fn public_view(conn: &mut DbConn, id: i32) -> Result<OnlineView, AppError> {
    let row = by_id(conn, id)?;
    if row.deleted_at.is_some() {
        return Err(AppError::Gone(format!("online action {id} was removed")));
    }
    single(conn, row)
}

/// Its partners' ids in their listed order (a patch that only reorders them is a change).
fn partner_ids_of(conn: &mut DbConn, id: i32) -> QueryResult<Vec<i32>> {
    online_action_partners::table
        .filter(online_action_partners::online_action_id.eq(id))
        .order(online_action_partners::position)
        .select(online_action_partners::partner_id)
        .load(conn)
}

/// Organizers may change the online actions their partner is behind; the public none.
pub fn authorize(conn: &mut DbConn, who: &Principal, id: i32) -> Result<(), AppError> {
    match who {
        Principal::Admin { .. } => Ok(()),
        Principal::Organizer { partner_id, .. } if partner_ids_of(conn, id)?.contains(partner_id) => {
            Ok(())
        }
        _ => Err(AppError::Forbidden(format!(
            "online action {id} belongs to another partner; only its partners and admins may change it"
        ))),
    }
}

struct Resolved {
    action_id: Option<i32>,
    partner_ids: Vec<i32>,
    timezone: String,
}

/// Resolves slugs (an unknown one is a 422 naming it); an organizer's own partner is added
/// first when missing; the deadline's zone defaults to the one most of the day's events use.
fn resolve(
    conn: &mut DbConn,
    who: &Principal,
    d: &OnlineActionDraft,
) -> Result<Resolved, AppError> {
    let mut errors = Vec::new();
    let action_id = super::catalog::action_ref(conn, d.action.as_deref(), &mut errors)?;
    let slugs: Vec<&str> = d.partners.iter().map(String::as_str).collect();
    let mut partner_ids =
        match super::catalog::partner_ids(conn, &slugs, |n| format!("partners[{n}]")) {
            Ok(ids) => ids,
            Err(AppError::Validation(e)) => {
                errors.extend(e);
                Vec::new()
            }
            Err(other) => return Err(other),
        };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if let Some(own) = who.partner_id() {
        if !partner_ids.contains(&own) {
            partner_ids.insert(0, own);
        }
    }
    let timezone = match (d.timezone, action_id) {
        (Some(tz), _) => tz.name().to_string(),
        (None, Some(aid)) => events::table
            .filter(events::action_id.eq(aid))
            .filter(events::deleted_at.is_null())
            .group_by(events::timezone)
            .order((diesel::dsl::count_star().desc(), events::timezone))
            .select(events::timezone)
            .first::<String>(conn)
            .optional()?
            .unwrap_or_else(|| "UTC".to_string()),
        (None, None) => "UTC".to_string(),
    };
    Ok(Resolved {
        action_id,
        partner_ids,
        timezone,
    })
}

fn fields<'a>(
    d: &'a OnlineActionDraft,
    r: &'a Resolved,
    sequence: i32,
    at: NaiveDateTime,
) -> OnlineActionFields<'a> {
    OnlineActionFields {
        kind: d.kind.as_str(),
        title: &d.title,
        description: &d.description,
        action_id: r.action_id,
        url: &d.url,
        goal: d.goal,
        count: d.count,
        deadline: d.deadline,
        timezone: &r.timezone,
        status: d.status.as_str(),
        sequence,
        updated_at: at,
    }
}

fn write_partners(conn: &mut DbConn, id: i32, partner_ids: &[i32]) -> QueryResult<()> {
    diesel::delete(
        online_action_partners::table.filter(online_action_partners::online_action_id.eq(id)),
    )
    .execute(conn)?;
    for (pos, pid) in partner_ids.iter().enumerate() {
        diesel::insert_into(online_action_partners::table)
            .values((
                online_action_partners::online_action_id.eq(id),
                online_action_partners::partner_id.eq(pid),
                online_action_partners::position.eq(pos as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn create(
    conn: &mut DbConn,
    who: &Principal,
    input: OnlineActionInput,
    uid_host: &str,
) -> Result<OnlineView, AppError> {
    if matches!(who, Principal::Public) {
        return Err(AppError::Forbidden(
            "only organizers and admins add online actions".into(),
        ));
    }
    let draft = OnlineActionDraft::try_from(input)?;
    crate::db::write_tx(conn, |conn| {
        let r = resolve(conn, who, &draft)?;
        let at = now();
        let uid = format!("online-{}@{uid_host}", uuid::Uuid::new_v4());
        let id: i32 = diesel::insert_into(online_actions::table)
            .values((
                online_actions::uid.eq(&uid),
                online_actions::created_at.eq(at),
                fields(&draft, &r, 0, at),
            ))
            .returning(online_actions::id)
            .get_result(conn)?;
        let row = by_id(conn, id)?;
        write_partners(conn, row.id, &r.partner_ids)?;
        single(conn, row)
    })
}

/// Updates with the input `change` makes of the current state, inside one write transaction.
/// `sequence` rises when what a calendar shows changes (title, deadline, status, link).
pub fn update_with(
    conn: &mut DbConn,
    who: &Principal,
    id: i32,
    change: impl FnOnce(&OnlineView) -> Result<OnlineActionInput, AppError>,
) -> Result<OnlineView, AppError> {
    crate::db::write_tx(conn, |conn| {
        let row = by_id(conn, id)?;
        let before = single(conn, row)?;
        authorize(conn, who, id)?;
        if before.row.deleted_at.is_some() {
            return Err(AppError::Gone(format!("online action {id} was removed")));
        }
        let draft = OnlineActionDraft::try_from(change(&before)?)?;
        let r = resolve(conn, who, &draft)?;
        let old = &before.row;
        let shown_changed = old.title != draft.title
            || old.deadline != draft.deadline
            || old.status != draft.status.as_str()
            || old.url != draft.url
            || old.kind != draft.kind.as_str()
            || old.timezone != r.timezone;
        let sequence = old.sequence + i32::from(shown_changed);
        let candidate = fields(&draft, &r, sequence, now());
        let old_partners: Vec<i32> = partner_ids_of(conn, id)?;
        let unchanged = !shown_changed
            && old.description == candidate.description
            && old.action_id == candidate.action_id
            && old.goal == candidate.goal
            && old.count == candidate.count
            && old_partners == r.partner_ids;
        if unchanged {
            return Ok(before);
        }
        diesel::update(online_actions::table.find(id))
            .set(&candidate)
            .execute(conn)?;
        write_partners(conn, id, &r.partner_ids)?;
        let row = by_id(conn, id)?;
        single(conn, row)
    })
}

/// Soft delete: it leaves every page and feed; syncs get a tombstone.
pub fn delete(conn: &mut DbConn, who: &Principal, id: i32) -> Result<(), AppError> {
    crate::db::write_tx(conn, |conn| {
        let row = by_id(conn, id)?;
        authorize(conn, who, id)?;
        if row.deleted_at.is_some() {
            return Err(AppError::Gone(format!(
                "online action {id} was already removed"
            )));
        }
        let at = now();
        diesel::update(online_actions::table.find(id))
            .set((
                online_actions::deleted_at.eq(Some(at)),
                online_actions::updated_at.eq(at),
                online_actions::sequence.eq(row.sequence + 1),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Filters of `GET /api/v1/online-actions`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action_id: Option<i32>,
    pub partner_id: Option<i32>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
}

fn filtered(f: &Filter) -> online_actions::BoxedQuery<'static, crate::db::Db> {
    let mut q = online_actions::table
        .filter(online_actions::deleted_at.is_null())
        .into_boxed();
    if let Some(id) = f.action_id {
        q = q.filter(online_actions::action_id.eq(id));
    }
    if let Some(pid) = f.partner_id {
        q = q.filter(
            online_actions::id.eq_any(
                online_action_partners::table
                    .filter(online_action_partners::partner_id.eq(pid))
                    .select(online_action_partners::online_action_id),
            ),
        );
    }
    if let Some(kind) = &f.kind {
        q = q.filter(online_actions::kind.eq(kind.clone()));
    }
    if let Some(status) = &f.status {
        q = q.filter(online_actions::status.eq(status.clone()));
    }
    q
}

/// One page in creation order (or, syncing, in order of last change), and the next cursor.
pub fn list(
    conn: &mut DbConn,
    f: &Filter,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<(Vec<OnlineView>, Option<Cursor>)> {
    let mut q = filtered(f);
    let syncing = f.updated_since.is_some();
    let mut rows: Vec<OnlineAction> = if let Some(since) = f.updated_since {
        q = q.filter(online_actions::updated_at.gt(since));
        if let Some(c) = cursor {
            q = q.filter(
                online_actions::updated_at
                    .gt(c.key)
                    .or(online_actions::updated_at
                        .eq(c.key)
                        .and(online_actions::id.gt(c.id))),
            );
        }
        q.order((online_actions::updated_at.asc(), online_actions::id.asc()))
            .limit(limit + 1)
            .select(OnlineAction::as_select())
            .load(conn)?
    } else {
        if let Some(c) = cursor {
            q = q.filter(online_actions::id.gt(c.id));
        }
        q.order(online_actions::id.asc())
            .limit(limit + 1)
            .select(OnlineAction::as_select())
            .load(conn)?
    };
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| Cursor {
            key: if syncing { r.updated_at } else { r.created_at },
            id: r.id,
            synced_at: None,
            rank: None,
        })
    } else {
        None
    };
    Ok((load_views(conn, rows)?, next))
}

/// Tombstones: online actions removed after `since`.
pub fn deleted_since(
    conn: &mut DbConn,
    since: NaiveDateTime,
) -> QueryResult<Vec<(i32, String, NaiveDateTime)>> {
    online_actions::table
        .filter(online_actions::deleted_at.gt(since))
        .order((online_actions::deleted_at.asc(), online_actions::id.asc()))
        .select((
            online_actions::id,
            online_actions::uid,
            online_actions::deleted_at.assume_not_null(),
        ))
        .load(conn)
}

/// Open ones first, then by deadline (soonest first, none last), then oldest first: the order
/// pages show them in.
fn sort_for_pages(list: &mut [OnlineView]) {
    list.sort_by_key(|v| {
        (
            !v.is_open(),
            v.row.deadline.is_none(),
            v.row.deadline,
            v.row.id,
        )
    });
}

/// What a day of action's or partner's page (and feed) shows.
pub fn for_page(conn: &mut DbConn, f: &Filter) -> QueryResult<Vec<OnlineView>> {
    let rows = filtered(f)
        .order(online_actions::id.asc())
        .limit(500)
        .select(OnlineAction::as_select())
        .load(conn)?;
    let mut list = load_views(conn, rows)?;
    sort_for_pages(&mut list);
    Ok(list)
}

/// The open online actions of days of action that are current (no last day, or a last day not
/// yet past) and stand-alone ones, for the home page.
pub fn open_now(conn: &mut DbConn, today: NaiveDate) -> QueryResult<Vec<OnlineView>> {
    let past_actions = actions::table
        .filter(actions::last_day.lt(today))
        .select(actions::id.nullable());
    let rows = online_actions::table
        .filter(online_actions::deleted_at.is_null())
        .filter(online_actions::status.eq(OnlineStatus::Open.as_str()))
        .filter(online_actions::action_id.is_null().or(diesel::dsl::not(
            online_actions::action_id.eq_any(past_actions),
        )))
        .filter(
            online_actions::deadline
                .is_null()
                .or(online_actions::deadline.ge(today)),
        )
        .limit(100)
        .select(OnlineAction::as_select())
        .load(conn)?;
    let mut list = load_views(conn, rows)?;
    sort_for_pages(&mut list);
    Ok(list)
}

/// Open ones whose deadline is within `days` from `today` (the dashboard); an organizer's own.
pub fn deadline_near(
    conn: &mut DbConn,
    partner_id: Option<i32>,
    today: NaiveDate,
    days: i64,
) -> QueryResult<Vec<OnlineView>> {
    let f = Filter {
        partner_id,
        status: Some(OnlineStatus::Open.as_str().to_string()),
        ..Filter::default()
    };
    let until = today + chrono::Duration::days(days);
    let rows = filtered(&f)
        .filter(online_actions::deadline.ge(today))
        .filter(online_actions::deadline.le(until))
        .order((online_actions::deadline.asc(), online_actions::id.asc()))
        .limit(50)
        .select(OnlineAction::as_select())
        .load(conn)?;
    load_views(conn, rows)
}

/// Online actions with a deadline on or after `from` for a day of action's or partner's feed,
/// removed ones included (their feed entry stays, cancelled, so calendars drop it).
pub fn for_feed(
    conn: &mut DbConn,
    action_id: Option<i32>,
    partner_id: Option<i32>,
    from: NaiveDate,
) -> QueryResult<Vec<OnlineView>> {
    if action_id.is_none() && partner_id.is_none() {
        return Ok(Vec::new());
    }
    let mut q = online_actions::table
        .filter(online_actions::deadline.ge(from))
        .into_boxed();
    if let Some(id) = action_id {
        q = q.filter(online_actions::action_id.eq(id));
    }
    if let Some(pid) = partner_id {
        q = q.filter(
            online_actions::id.eq_any(
                online_action_partners::table
                    .filter(online_action_partners::partner_id.eq(pid))
                    .select(online_action_partners::online_action_id),
            ),
        );
    }
    let rows = q
        .order((online_actions::deadline.asc(), online_actions::id.asc()))
        .limit(1000)
        .select(OnlineAction::as_select())
        .load(conn)?;
    load_views(conn, rows)
}
