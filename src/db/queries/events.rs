//! Events: write paths (each in one IMMEDIATE transaction with its revision row), the listing
//! with its filters and keyset cursor, and batch loading of what an event shows.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::catalog::lower;
use super::catalog::{event_partner_roles, find_or_create_venue, partner_ids};
use super::now;
use super::search;
use crate::auth::Principal;
use crate::db::models::*;
use crate::db::schema::{
    actions, event_partners, event_revisions, event_tags, events, partners, tags, venues,
};
use crate::db::DbConn;
use crate::domain::catalog::VenueInput;
use crate::domain::event::{
    EventDraft, EventInput, PartnerRef, Review, Role, Status, VenueChoice, VenueLookup,
};
use crate::domain::time::{self, Bound};
use crate::error::AppError;

/// An event with everything its JSON, feed entry and page show.
#[derive(Debug, Clone)]
pub struct EventView {
    pub event: Event,
    pub venue: Option<Venue>,
    /// (slug, title)
    pub action: Option<(String, String)>,
    pub partners: Vec<PartnerOnEvent>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerOnEvent {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub role: String,
}

impl EventView {
    pub fn tz(&self) -> chrono_tz::Tz {
        self.event.timezone.parse().unwrap_or(chrono_tz::Tz::UTC)
    }

    /// The event in input form: what an editor or `turnout export` gives back.
    /// `inline_venue` writes the venue's fields instead of its id (portable across databases).
    pub fn to_input(&self, inline_venue: bool) -> EventInput {
        let e = &self.event;
        let tz = self.tz();
        let (start, end) = if e.all_day {
            let last = e.end_local.date().pred_opt().unwrap_or(e.end_local.date());
            (e.start_local.date().to_string(), last.to_string())
        } else {
            (
                time::local_input_string(tz, e.start_local, e.start_utc),
                time::local_input_string(tz, e.end_local, e.end_utc),
            )
        };
        let (venue, venue_id) = match (&self.venue, inline_venue) {
            (Some(v), true) => (
                Some(VenueInput {
                    name: Some(v.name.clone()),
                    address: v.address.clone(),
                    city: v.city.clone(),
                    region: v.region.clone(),
                    postal_code: v.postal_code.clone(),
                    country: v.country.clone(),
                    lat: v.lat,
                    lon: v.lon,
                    timezone: v.timezone.clone(),
                }),
                None,
            ),
            (Some(v), false) => (None, Some(v.id)),
            (None, _) => (None, None),
        };
        EventInput {
            uid: Some(e.uid.clone()),
            title: Some(e.title.clone()),
            description: Some(e.description.clone()),
            start: Some(start),
            end: Some(end),
            timezone: Some(e.timezone.clone()),
            all_day: Some(e.all_day),
            venue,
            venue_id,
            online_url: e.online_url.clone(),
            info_url: e.info_url.clone(),
            action: self.action.as_ref().map(|(slug, _)| slug.clone()),
            partners: Some(
                self.partners
                    .iter()
                    .map(|p| PartnerRef {
                        slug: p.slug.clone(),
                        role: Role::parse(&p.role).unwrap_or_default(),
                    })
                    .collect(),
            ),
            tags: Some(self.tags.clone()),
            status: Status::parse(&e.status),
        }
    }
}

/// Loads venues, actions, partners and tags for `list` in a few batched queries, keeping order.
pub fn load_views(conn: &mut DbConn, list: Vec<Event>) -> QueryResult<Vec<EventView>> {
    let mut out = Vec::with_capacity(list.len());
    // SQLite caps bound parameters; batch large lists.
    let mut rest = list;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(5000));
        out.extend(load_batch(conn, rest)?);
        rest = tail;
    }
    Ok(out)
}

fn load_batch(conn: &mut DbConn, list: Vec<Event>) -> QueryResult<Vec<EventView>> {
    let ids: Vec<i32> = list.iter().map(|e| e.id).collect();
    let mut venue_ids: Vec<i32> = list.iter().filter_map(|e| e.venue_id).collect();
    venue_ids.sort_unstable();
    venue_ids.dedup();
    let mut action_ids: Vec<i32> = list.iter().filter_map(|e| e.action_id).collect();
    action_ids.sort_unstable();
    action_ids.dedup();

    let venue_map: HashMap<i32, Venue> = venues::table
        .filter(venues::id.eq_any(&venue_ids))
        .select(Venue::as_select())
        .load(conn)?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let action_map: HashMap<i32, (String, String)> = actions::table
        .filter(actions::id.eq_any(&action_ids))
        .select((actions::id, actions::slug, actions::title))
        .load::<(i32, String, String)>(conn)?
        .into_iter()
        .map(|(id, s, t)| (id, (s, t)))
        .collect();
    let mut partner_map: HashMap<i32, Vec<PartnerOnEvent>> = HashMap::new();
    for (eid, id, slug, name, role) in event_partners::table
        .inner_join(partners::table)
        .filter(event_partners::event_id.eq_any(&ids))
        .order((event_partners::event_id, event_partners::position))
        .select((
            event_partners::event_id,
            partners::id,
            partners::slug,
            partners::name,
            event_partners::role,
        ))
        .load::<(i32, i32, String, String, String)>(conn)?
    {
        partner_map.entry(eid).or_default().push(PartnerOnEvent {
            id,
            slug,
            name,
            role,
        });
    }
    let mut tag_map: HashMap<i32, Vec<String>> = HashMap::new();
    for (eid, name) in event_tags::table
        .inner_join(tags::table)
        .filter(event_tags::event_id.eq_any(&ids))
        .order((event_tags::event_id, event_tags::position))
        .select((event_tags::event_id, tags::name))
        .load::<(i32, String)>(conn)?
    {
        tag_map.entry(eid).or_default().push(name);
    }
    Ok(list
        .into_iter()
        .map(|event| EventView {
            venue: event.venue_id.and_then(|id| venue_map.get(&id).cloned()),
            action: event.action_id.and_then(|id| action_map.get(&id).cloned()),
            partners: partner_map.remove(&event.id).unwrap_or_default(),
            tags: tag_map.remove(&event.id).unwrap_or_default(),
            event,
        })
        .collect())
}

pub fn event_by_id(conn: &mut DbConn, id: i32) -> Result<Event, AppError> {
    events::table
        .find(id)
        .select(Event::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("there is no event {id}")))
}

pub fn event_by_uid(conn: &mut DbConn, uid: &str) -> QueryResult<Option<Event>> {
    events::table
        .filter(events::uid.eq(uid))
        .select(Event::as_select())
        .first(conn)
        .optional()
}

pub fn view_by_id(conn: &mut DbConn, id: i32) -> Result<EventView, AppError> {
    let event = event_by_id(conn, id)?;
    single_view(conn, event)
}

fn single_view(conn: &mut DbConn, event: Event) -> Result<EventView, AppError> {
    load_views(conn, vec![event])?
        .pop()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("event view vanished")))
}

/// The one public read of a single event: 410 once it was removed (deleted, or rejected after
/// it had been approved), 404 if it never was public.
pub fn public_view(conn: &mut DbConn, id: i32) -> Result<EventView, AppError> {
    let event = public_event(conn, id)?;
    single_view(conn, event)
}

/// The event row if the public may see it (see `public_view`).
pub fn public_event(conn: &mut DbConn, id: i32) -> Result<Event, AppError> {
    let event = event_by_id(conn, id)?;
    if event.is_public() {
        Ok(event)
    } else if event.is_unpublished() {
        Err(AppError::Gone(format!("event {id} was removed")))
    } else {
        Err(AppError::NotFound(format!("there is no event {id}")))
    }
}

/// Validates `input` against the database (venue zone), then resolves slugs.
pub fn validate(conn: &mut DbConn, input: EventInput) -> Result<EventDraft, AppError> {
    let mut lookup_err = None;
    let draft = input.validate(|id| match super::catalog::venue_by_id(conn, id) {
        Ok(Some(v)) => VenueLookup::Found {
            timezone: v.timezone,
        },
        Ok(None) => VenueLookup::Missing,
        Err(e) => {
            lookup_err = Some(e);
            VenueLookup::Missing
        }
    });
    if let Some(e) = lookup_err {
        return Err(e.into());
    }
    draft
}

struct Resolved {
    action_id: Option<i32>,
    partner_ids: Vec<(i32, Role)>,
    venue_id: Option<i32>,
}

fn resolve_refs(conn: &mut DbConn, d: &EventDraft) -> Result<Resolved, AppError> {
    let mut errors = Vec::new();
    let action_id = match &d.action {
        None => None,
        Some(slug) => {
            let id = actions::table
                .filter(actions::slug.eq(slug))
                .select(actions::id)
                .first::<i32>(conn)
                .optional()?;
            if id.is_none() {
                errors.push(crate::error::FieldError::new(
                    "action",
                    crate::domain::message::Msg::NoAction { slug: slug.clone() },
                ));
            }
            id
        }
    };
    let slugs: Vec<&str> = d.partners.iter().map(|p| p.slug.as_str()).collect();
    let partner_ids = match partner_ids(conn, &slugs, |i| format!("partners[{i}].slug")) {
        Ok(ids) => ids
            .into_iter()
            .zip(d.partners.iter().map(|p| p.role))
            .collect(),
        Err(AppError::Validation(e)) => {
            errors.extend(e);
            Vec::new()
        }
        Err(other) => return Err(other),
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let venue_id = match &d.venue {
        VenueChoice::None => None,
        VenueChoice::Existing(id) => Some(*id),
        VenueChoice::New(v) => Some(find_or_create_venue(conn, v)?.id),
    };
    Ok(Resolved {
        action_id,
        partner_ids,
        venue_id,
    })
}

fn fields<'a>(
    d: &'a EventDraft,
    r: &Resolved,
    sequence: i32,
    at: NaiveDateTime,
) -> EventFields<'a> {
    EventFields {
        title: &d.title,
        description: &d.description,
        start_local: d.timing.start_local,
        end_local: d.timing.end_local,
        timezone: d.timing.timezone.name(),
        start_utc: d.timing.start_utc,
        end_utc: d.timing.end_utc,
        all_day: d.timing.all_day,
        venue_id: r.venue_id,
        online_url: d.online_url.as_deref(),
        info_url: d.info_url.as_deref(),
        action_id: r.action_id,
        status: d.status.as_str(),
        sequence,
        updated_at: at,
    }
}

fn write_links(
    conn: &mut DbConn,
    event_id: i32,
    r: &Resolved,
    tag_names: &[String],
) -> QueryResult<()> {
    diesel::delete(event_partners::table.filter(event_partners::event_id.eq(event_id)))
        .execute(conn)?;
    for (pos, (pid, role)) in r.partner_ids.iter().enumerate() {
        diesel::insert_into(event_partners::table)
            .values((
                event_partners::event_id.eq(event_id),
                event_partners::partner_id.eq(pid),
                event_partners::role.eq(role.as_str()),
                event_partners::position.eq(pos as i32),
            ))
            .execute(conn)?;
    }
    diesel::delete(event_tags::table.filter(event_tags::event_id.eq(event_id))).execute(conn)?;
    // Inside the write transaction writers run one at a time, so look-then-insert is safe.
    let mut linked = std::collections::HashSet::new();
    for (pos, name) in tag_names.iter().enumerate() {
        let tag_id = match super::catalog::tag_id(conn, name)? {
            Some(id) => id,
            None => diesel::insert_into(tags::table)
                .values(tags::name.eq(name))
                .returning(tags::id)
                .get_result(conn)?,
        };
        if !linked.insert(tag_id) {
            continue;
        }
        diesel::insert_into(event_tags::table)
            .values((
                event_tags::event_id.eq(event_id),
                event_tags::tag_id.eq(tag_id),
                event_tags::position.eq(pos as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// What a revision row keeps: the event as its editor would see it, plus its state.
#[derive(Serialize)]
struct Snapshot<'a> {
    id: i32,
    uid: &'a str,
    sequence: i32,
    review: &'a str,
    /// RFC 3339, like every timestamp we write.
    deleted_at: Option<String>,
    event: EventInput,
}

fn record(
    conn: &mut DbConn,
    view: &EventView,
    kind: &str,
    actor: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let snapshot = serde_json::to_string(&Snapshot {
        id: view.event.id,
        uid: &view.event.uid,
        sequence: view.event.sequence,
        review: &view.event.review,
        deleted_at: view.event.deleted_at.map(time::utc_rfc3339),
        event: view.to_input(true),
    })?;
    diesel::insert_into(event_revisions::table)
        .values((
            event_revisions::event_id.eq(view.event.id),
            event_revisions::kind.eq(kind),
            event_revisions::actor.eq(actor),
            event_revisions::created_at.eq(at),
            event_revisions::snapshot.eq(snapshot),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn new_uid(host: &str) -> String {
    format!("{}@{host}", uuid::Uuid::new_v4())
}

/// Organizers must list their own partner as a host or co-host; an event an organizer creates
/// without naming their partner gets it added as host.
fn ensure_own_partner(
    conn: &mut DbConn,
    who: &Principal,
    draft: &mut EventDraft,
) -> Result<(), AppError> {
    let Some(pid) = who.partner_id() else {
        return Ok(());
    };
    let slug: String = partners::table
        .find(pid)
        .select(partners::slug)
        .first(conn)?;
    match draft.partners.iter().find(|p| p.slug == slug) {
        Some(p) if p.role.may_edit() => Ok(()),
        Some(_) => Err(AppError::field(
            "partners",
            crate::domain::message::Msg::OwnPartnerRole { slug: slug.clone() },
        )),
        None => {
            draft.partners.insert(
                0,
                PartnerRef {
                    slug,
                    role: Role::Host,
                },
            );
            Ok(())
        }
    }
}

/// Organizers may change only events their partner hosts or co-hosts; the public nothing.
pub fn authorize(conn: &mut DbConn, who: &Principal, event_id: i32) -> Result<(), AppError> {
    let pid = match who {
        Principal::Admin { .. } => return Ok(()),
        Principal::Public => {
            return Err(AppError::Forbidden(format!(
                "event {event_id} can only be changed by its hosts and admins"
            )))
        }
        Principal::Organizer { partner_id, .. } => *partner_id,
    };
    let roles = event_partner_roles(conn, event_id)?;
    let allowed = roles
        .iter()
        .any(|(p, role)| *p == pid && Role::parse(role).is_some_and(Role::may_edit));
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "event {event_id} belongs to another partner; only its hosts and admins may change it"
        )))
    }
}

/// Creates an event: approved for admins and organizers, pending (waiting for moderation) for
/// the public.
pub fn create(
    conn: &mut DbConn,
    who: &Principal,
    input: EventInput,
    uid_host: &str,
) -> Result<EventView, AppError> {
    let review = match who {
        Principal::Public => Review::Pending,
        _ => Review::Approved,
    }
    .as_str();
    crate::db::write_tx(conn, |conn| {
        let mut draft = validate(conn, input)?;
        ensure_own_partner(conn, who, &mut draft)?;
        if let Some(uid) = &draft.uid {
            if let Some(existing) = event_by_uid(conn, uid)? {
                return Err(AppError::Conflict(format!(
                    "an event with uid {uid:?} exists (id {}); PATCH it instead",
                    existing.id
                )));
            }
        }
        let refs = resolve_refs(conn, &draft)?;
        let at = now();
        let uid = draft.uid.clone().unwrap_or_else(|| new_uid(uid_host));
        let event_id: i32 = diesel::insert_into(events::table)
            .values(NewEvent {
                uid: &uid,
                review,
                created_at: at,
                fields: fields(&draft, &refs, 0, at),
            })
            .returning(events::id)
            .get_result(conn)?;
        let event = event_by_id(conn, event_id)?;
        write_links(conn, event.id, &refs, &draft.tags)?;
        let view = single_view(conn, event)?;
        record(conn, &view, "create", who.actor(), at)?;
        Ok(view)
    })
}

/// Replaces an event's content with `input`. Bumps `sequence` when time, place or status
/// changes; writes nothing when nothing changed.
pub fn update(
    conn: &mut DbConn,
    who: &Principal,
    id: i32,
    input: EventInput,
) -> Result<EventView, AppError> {
    update_with(conn, who, id, |_| Ok(input))
}

/// Updates an event with the input `change` makes of its current state (a merge patch, a
/// cancellation, a form that keeps the uid). The read, the permission check and the write
/// happen in one write transaction, so concurrent changes of different fields never undo each
/// other.
pub fn update_with(
    conn: &mut DbConn,
    who: &Principal,
    id: i32,
    change: impl FnOnce(&EventView) -> Result<EventInput, AppError>,
) -> Result<EventView, AppError> {
    crate::db::write_tx(conn, |conn| {
        let before = view_by_id(conn, id)?;
        authorize(conn, who, id)?;
        if before.event.deleted_at.is_some() {
            return Err(AppError::Gone(format!(
                "event {id} was deleted; restore it first"
            )));
        }
        let input = change(&before)?;
        let mut draft = validate(conn, input)?;
        ensure_own_partner(conn, who, &mut draft)?;
        let refs = resolve_refs(conn, &draft)?;
        let old = &before.event;
        let rescheduled = old.start_utc != draft.timing.start_utc
            || old.end_utc != draft.timing.end_utc
            || old.start_local != draft.timing.start_local
            || old.end_local != draft.timing.end_local
            || old.timezone != draft.timing.timezone.name()
            || old.all_day != draft.timing.all_day
            || old.venue_id != refs.venue_id
            || old.online_url != draft.online_url
            || old.status != draft.status.as_str();
        let sequence = old.sequence + i32::from(rescheduled);
        let at = now();
        let mut candidate = fields(&draft, &refs, sequence, old.updated_at);
        let unchanged = !rescheduled
            && old.title == candidate.title
            && old.description == candidate.description
            && old.info_url.as_deref() == candidate.info_url
            && old.action_id == candidate.action_id
            && before.tags == draft.tags
            && before
                .partners
                .iter()
                .map(|p| (p.id, p.role.as_str()))
                .eq(refs.partner_ids.iter().map(|(id, r)| (*id, r.as_str())));
        if unchanged {
            return Ok(before);
        }
        candidate.updated_at = at;
        diesel::update(events::table.find(id))
            .set(&candidate)
            .execute(conn)?;
        write_links(conn, id, &refs, &draft.tags)?;
        let view = view_by_id(conn, id)?;
        let kind = if draft.status == Status::Cancelled && old.status != "cancelled" {
            "cancel"
        } else {
            "update"
        };
        record(conn, &view, kind, who.actor(), at)?;
        Ok(view)
    })
}

/// Marks an event cancelled (it stays listed, so subscribers see the cancellation).
pub fn cancel(conn: &mut DbConn, who: &Principal, id: i32) -> Result<EventView, AppError> {
    update_with(conn, who, id, |current| {
        let mut input = current.to_input(false);
        input.status = Some(Status::Cancelled);
        Ok(input)
    })
}

/// Soft delete: the row stays (restorable) and its uid is never reused, but the event is
/// unpublished: its page and `.ics` answer 410, feeds keep only a minimal cancelled VEVENT, and
/// `updated_since` syncs get a tombstone (when it had been public).
pub fn delete(conn: &mut DbConn, who: &Principal, id: i32) -> Result<(), AppError> {
    crate::db::write_tx(conn, |conn| {
        let event = event_by_id(conn, id)?;
        authorize(conn, who, id)?;
        if event.deleted_at.is_some() {
            return Err(AppError::Gone(format!("event {id} was already deleted")));
        }
        let at = now();
        let unpublished_at = if event.is_public() {
            Some(at)
        } else {
            event.unpublished_at
        };
        diesel::update(events::table.find(id))
            .set((
                events::deleted_at.eq(Some(at)),
                events::unpublished_at.eq(unpublished_at),
                events::removed_by_admin.eq(who.is_admin()),
                events::updated_at.eq(at),
                events::sequence.eq(event.sequence + 1),
            ))
            .execute(conn)?;
        let view = view_by_id(conn, id)?;
        record(conn, &view, "delete", who.actor(), at)
    })
}

/// Undoes a delete. Only an admin may undo an admin's delete or rejection.
pub fn restore(conn: &mut DbConn, who: &Principal, id: i32) -> Result<EventView, AppError> {
    crate::db::write_tx(conn, |conn| {
        let event = event_by_id(conn, id)?;
        authorize(conn, who, id)?;
        if !who.is_admin() && (event.removed_by_admin || event.review == Review::Rejected.as_str())
        {
            return Err(AppError::Forbidden(format!(
                "event {id} was removed by an admin; only an admin may restore it"
            )));
        }
        if event.deleted_at.is_none() {
            return Err(AppError::Conflict(format!("event {id} is not deleted")));
        }
        let at = now();
        let approved = event.review == Review::Approved.as_str();
        diesel::update(events::table.find(id))
            .set((
                events::deleted_at.eq(None::<NaiveDateTime>),
                events::unpublished_at.eq(if approved { None } else { event.unpublished_at }),
                events::removed_by_admin.eq(!approved && event.removed_by_admin),
                events::updated_at.eq(at),
                events::sequence.eq(event.sequence + 1),
            ))
            .execute(conn)?;
        let view = view_by_id(conn, id)?;
        record(conn, &view, "restore", who.actor(), at)?;
        Ok(view)
    })
}

pub fn revisions(conn: &mut DbConn, event_id: i32) -> QueryResult<Vec<Revision>> {
    event_revisions::table
        .filter(event_revisions::event_id.eq(event_id))
        .order(event_revisions::id.asc())
        .select(Revision::as_select())
        .load(conn)
}

/// Upserts by uid, for `turnout import`: creates, updates when different, or leaves alone.
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
    /// The uid belongs to a deleted event; it stays deleted (restore it explicitly).
    SkippedDeleted,
}

pub fn upsert(
    conn: &mut DbConn,
    who: &Principal,
    input: EventInput,
    uid_host: &str,
) -> Result<Upserted, AppError> {
    let existing = match input.uid.as_deref() {
        Some(uid) => event_by_uid(conn, uid)?,
        None => None,
    };
    match existing {
        None => create(conn, who, input, uid_host).map(|_| Upserted::Created),
        Some(e) if e.deleted_at.is_some() => Ok(Upserted::SkippedDeleted),
        Some(e) => {
            let before = e.updated_at;
            let view = update(conn, who, e.id, input)?;
            Ok(if view.event.updated_at == before {
                Upserted::Unchanged
            } else {
                Upserted::Updated
            })
        }
    }
}

/// Filters of the public listing (`GET /api/v1/events`, the feeds, the pages).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from: Option<Bound>,
    pub to: Option<Bound>,
    pub action_id: Option<i32>,
    pub partner_id: Option<i32>,
    pub tag: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub q: Option<String>,
    pub statuses: Vec<String>,
    pub updated_since: Option<NaiveDateTime>,
    /// Include unpublished events (feeds keep them as minimal cancelled VEVENTs, so that
    /// subscribed calendars drop them).
    pub include_unpublished: bool,
    /// Latest first (the archive); otherwise soonest first.
    pub newest_first: bool,
    /// With `q` (and no `updated_since`): best match first, then soonest first.
    pub by_relevance: bool,
}

/// Keyset position: the sort key and id of the last row of the previous page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub key: NaiveDateTime,
    pub id: i32,
    /// In a sync, the `synced_at` of its first page, which every later page repeats.
    pub synced_at: Option<NaiveDateTime>,
    /// In a listing by relevance, the last row's score (it sorts before `key` and `id`).
    pub rank: Option<f64>,
}

const CURSOR_TIME: &str = "%Y-%m-%dT%H:%M:%S%.6f";

impl Cursor {
    pub fn encode(&self) -> String {
        use base64::Engine;
        let mut raw = format!("{}|{}", self.key.format(CURSOR_TIME), self.id);
        if let Some(t) = self.synced_at {
            raw.push('|');
            raw.push_str(&t.format(CURSOR_TIME).to_string());
        }
        if let Some(r) = self.rank {
            // `Display` of an f64 is the shortest text that parses back to the same value.
            raw.push_str(&format!("|r{r}"));
        }
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        use base64::Engine;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let mut parts = raw.split('|');
        let time = |t: &str| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").ok();
        let key = time(parts.next()?)?;
        let id = parts.next()?.parse().ok()?;
        let (synced_at, rank) = match parts.next() {
            Some(t) => match t.strip_prefix('r') {
                Some(r) => (None, Some(r.parse().ok().filter(|r: &f64| r.is_finite())?)),
                None => (Some(time(t)?), None),
            },
            None => (None, None),
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Cursor {
            key,
            id,
            synced_at,
            rank,
        })
    }
}

/// `$query` (a boxed query over `events`, or over a join with it) filtered by everything in the
/// filter `$f` but `q`: a macro, because the two query types differ only in their FROM clause.
macro_rules! public_filters {
    ($query:expr, $f:expr) => {{
        let f: &Filter = $f;
        let public = events::review
            .eq(Review::Approved.as_str())
            .and(events::deleted_at.is_null());
        let mut q = if f.include_unpublished {
            $query.filter(public.or(events::unpublished_at.is_not_null()))
        } else {
            $query.filter(public)
        };
        match f.from {
            Some(Bound::Date(d)) => {
                q = q.filter(events::end_local.gt(d.and_time(chrono::NaiveTime::MIN)))
            }
            Some(Bound::Instant(t)) => q = q.filter(events::end_utc.gt(t)),
            None => {}
        }
        match f.to {
            Some(Bound::Date(d)) => {
                if let Some(next) = d.succ_opt() {
                    q = q.filter(events::start_local.lt(next.and_time(chrono::NaiveTime::MIN)));
                }
            }
            Some(Bound::Instant(t)) => q = q.filter(events::start_utc.lt(t)),
            None => {}
        }
        if let Some(id) = f.action_id {
            q = q.filter(events::action_id.eq(id));
        }
        if let Some(pid) = f.partner_id {
            q = q.filter(
                events::id.eq_any(
                    event_partners::table
                        .filter(event_partners::partner_id.eq(pid))
                        .select(event_partners::event_id),
                ),
            );
        }
        if let Some(tag) = &f.tag {
            q = q.filter(
                events::id.eq_any(
                    event_tags::table
                        .inner_join(tags::table)
                        .filter(
                            lower(tags::name.nullable())
                                .eq(lower(Some(tag.trim_start_matches('#').to_string()))),
                        )
                        .select(event_tags::event_id),
                ),
            );
        }
        if let Some(city) = &f.city {
            q = q.filter(
                events::venue_id.eq_any(
                    venues::table
                        .filter(lower(venues::city).eq(lower(Some(city.clone()))))
                        .select(venues::id.nullable()),
                ),
            );
        }
        if let Some(region) = &f.region {
            q = q.filter(
                events::venue_id.eq_any(
                    venues::table
                        .filter(lower(venues::region).eq(lower(Some(region.clone()))))
                        .select(venues::id.nullable()),
                ),
            );
        }
        if let Some(country) = &f.country {
            q = q.filter(
                events::venue_id.eq_any(
                    venues::table
                        .filter(lower(venues::country).eq(lower(Some(country.clone()))))
                        .select(venues::id.nullable()),
                ),
            );
        }
        if !f.statuses.is_empty() {
            q = q.filter(events::status.eq_any(f.statuses.clone()));
        }
        q
    }};
}

/// Public events matching `f` (not yet ordered or limited).
fn filtered(f: &Filter, engine: search::Engine) -> events::BoxedQuery<'static, crate::db::Db> {
    let mut q = public_filters!(events::table.into_boxed(), f);
    if let Some(text) = &f.q {
        q = match search::query(text, engine) {
            Some(m) => q.filter(search::event_matches(m)),
            None => q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("FALSE")),
        };
    }
    q
}

/// One page of public events matching `f`, ordered by start (or by last change when syncing,
/// or best match first with `by_relevance`), and the cursor of the next page.
pub fn list(
    conn: &mut DbConn,
    f: &Filter,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<(Vec<EventView>, Option<Cursor>)> {
    let relevance =
        f.q.as_deref()
            .filter(|_| f.by_relevance && f.updated_since.is_none())
            .map(|text| search::query(text, search::Engine::of(conn)));
    if let Some(m) = relevance {
        return list_by_relevance(conn, f, m, cursor, limit);
    }
    let mut q = filtered(f, search::Engine::of(conn));
    let rows: Vec<Event> = if let Some(since) = f.updated_since {
        q = q.filter(events::updated_at.gt(since));
        if let Some(c) = cursor {
            q = q.filter(
                events::updated_at
                    .gt(c.key)
                    .or(events::updated_at.eq(c.key).and(events::id.gt(c.id))),
            );
        }
        q.order((events::updated_at.asc(), events::id.asc()))
            .limit(limit + 1)
            .select(Event::as_select())
            .load(conn)?
    } else if f.newest_first {
        if let Some(c) = cursor {
            q = q.filter(
                events::start_utc
                    .lt(c.key)
                    .or(events::start_utc.eq(c.key).and(events::id.lt(c.id))),
            );
        }
        q.order((events::start_utc.desc(), events::id.desc()))
            .limit(limit + 1)
            .select(Event::as_select())
            .load(conn)?
    } else {
        if let Some(c) = cursor {
            q = q.filter(
                events::start_utc
                    .gt(c.key)
                    .or(events::start_utc.eq(c.key).and(events::id.gt(c.id))),
            );
        }
        q.order((events::start_utc.asc(), events::id.asc()))
            .limit(limit + 1)
            .select(Event::as_select())
            .load(conn)?
    };
    let mut rows = rows;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|e| Cursor {
            key: if f.updated_since.is_some() {
                e.updated_at
            } else {
                e.start_utc
            },
            id: e.id,
            synced_at: None,
            rank: None,
        })
    } else {
        None
    };
    Ok((load_views(conn, rows)?, next))
}

/// [`list`] best match first: by score, then start and id (the cursor carries all three).
fn list_by_relevance(
    conn: &mut DbConn,
    f: &Filter,
    query: Option<search::Query>,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<(Vec<EventView>, Option<Cursor>)> {
    let Some(query) = query else {
        return Ok((Vec::new(), None));
    };
    use crate::db::schema::event_search;
    let score = || search::score(&query);
    let mut q = public_filters!(
        event_search::table
            .inner_join(events::table)
            .filter(search::row_matches(&query))
            .into_boxed(),
        f
    );
    if let Some(Cursor {
        key,
        id,
        rank: Some(rank),
        ..
    }) = cursor
    {
        q = q.filter(
            score().gt(rank).or(score().eq(rank).and(
                events::start_utc
                    .gt(key)
                    .or(events::start_utc.eq(key).and(events::id.gt(id))),
            )),
        );
    }
    // Only the keys go through the sort; the page's events load by id afterwards.
    #[derive(Queryable)]
    struct Key(
        i32,
        #[diesel(deserialize_as = FastTimestamp)] NaiveDateTime,
        f64,
    );
    let mut keys: Vec<Key> = q
        .order((score().asc(), events::start_utc.asc(), events::id.asc()))
        .limit(limit + 1)
        .select((events::id, events::start_utc, score()))
        .load(conn)?;
    let next = if keys.len() as i64 > limit {
        keys.truncate(limit as usize);
        keys.last().map(|Key(id, start, rank)| Cursor {
            key: *start,
            id: *id,
            synced_at: None,
            rank: Some(*rank),
        })
    } else {
        None
    };
    let ids: Vec<i32> = keys.iter().map(|Key(id, ..)| *id).collect();
    Ok((views_by_ids(conn, &ids)?, next))
}

/// The ids and last changes of every public event matching `f`, in start order: what a feed
/// needs to reuse the VEVENTs it rendered before.
pub fn list_keys(
    conn: &mut DbConn,
    f: &Filter,
    limit: i64,
) -> QueryResult<Vec<(i32, NaiveDateTime)>> {
    #[derive(Queryable)]
    struct Key(i32, #[diesel(deserialize_as = FastTimestamp)] NaiveDateTime);
    let keys: Vec<Key> = filtered(f, search::Engine::of(conn))
        .order((events::start_utc.asc(), events::id.asc()))
        .limit(limit)
        .select((events::id, events::updated_at))
        .load(conn)?;
    Ok(keys.into_iter().map(|Key(id, t)| (id, t)).collect())
}

/// Events by id, in the order given (missing ids are skipped).
pub fn views_by_ids(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<EventView>> {
    let mut rows: Vec<Event> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(5000) {
        rows.extend(
            events::table
                .filter(events::id.eq_any(chunk))
                .select(Event::as_select())
                .load::<Event>(conn)?,
        );
    }
    let order: HashMap<i32, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|e| order.get(&e.id).copied().unwrap_or(usize::MAX));
    load_views(conn, rows)
}

/// Tombstones for a sync: events that stopped being public after `since` (deleted, or
/// rejected after approval) and are not public again.
pub fn unpublished_since(
    conn: &mut DbConn,
    since: NaiveDateTime,
) -> QueryResult<Vec<(i32, String, NaiveDateTime)>> {
    events::table
        .filter(events::unpublished_at.gt(since))
        .filter(
            events::review
                .ne(Review::Approved.as_str())
                .or(events::deleted_at.is_not_null()),
        )
        .order((events::unpublished_at.asc(), events::id.asc()))
        .select((
            events::id,
            events::uid,
            events::unpublished_at.assume_not_null(),
        ))
        .load(conn)
}

/// Every event not deleted, in input form with inline venues (for `turnout export`).
pub fn export_all(conn: &mut DbConn) -> QueryResult<Vec<EventInput>> {
    let rows = events::table
        .filter(events::deleted_at.is_null())
        .order((events::start_utc.asc(), events::id.asc()))
        .select(Event::as_select())
        .load(conn)?;
    Ok(load_views(conn, rows)?
        .iter()
        .map(|v| v.to_input(true))
        .collect())
}

pub fn count_events(conn: &mut DbConn) -> QueryResult<i64> {
    events::table.count().get_result(conn)
}

/// Approves or rejects an event. Rejecting one that was public unpublishes it as a delete does
/// (410, tombstone, minimal cancelled VEVENT); approving publishes it (again).
pub fn set_review(
    conn: &mut DbConn,
    who: &Principal,
    id: i32,
    review: Review,
) -> Result<EventView, AppError> {
    crate::db::write_tx(conn, |conn| {
        let event = event_by_id(conn, id)?;
        if !who.is_admin() {
            return Err(AppError::Forbidden(
                "only admins moderate submissions".into(),
            ));
        }
        if event.review == review.as_str() {
            return single_view(conn, event);
        }
        let at = now();
        let (unpublished_at, removed_by_admin, sequence) = match review {
            Review::Rejected if event.is_public() => (Some(at), true, event.sequence + 1),
            Review::Rejected => (event.unpublished_at, true, event.sequence),
            // Published again: subscribers must take it back.
            _ if event.deleted_at.is_none() && event.unpublished_at.is_some() => {
                (None, false, event.sequence + 1)
            }
            _ => (event.unpublished_at, event.removed_by_admin, event.sequence),
        };
        diesel::update(events::table.find(id))
            .set((
                events::review.eq(review.as_str()),
                events::unpublished_at.eq(unpublished_at),
                events::removed_by_admin.eq(removed_by_admin),
                events::sequence.eq(sequence),
                events::updated_at.eq(at),
            ))
            .execute(conn)?;
        let view = view_by_id(conn, id)?;
        let kind = if review == Review::Approved {
            "approve"
        } else {
            "reject"
        };
        record(conn, &view, kind, who.actor(), at)?;
        Ok(view)
    })
}

/// Events waiting for moderation, oldest first.
pub fn pending(conn: &mut DbConn) -> QueryResult<Vec<EventView>> {
    let rows = events::table
        .filter(events::review.eq(Review::Pending.as_str()))
        .filter(events::deleted_at.is_null())
        .order(events::created_at.asc())
        .limit(200)
        .select(Event::as_select())
        .load(conn)?;
    load_views(conn, rows)
}

/// The latest changes, newest first, with the title each event has now. An organizer
/// (`partner_id`) sees only the events it may edit: those its partner hosts or co-hosts.
pub fn recent_revisions(
    conn: &mut DbConn,
    partner_id: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<(Revision, String, bool)>> {
    let mut q = event_revisions::table
        .inner_join(events::table)
        .into_boxed();
    if let Some(pid) = partner_id {
        let editors = [Role::Host, Role::CoHost].map(Role::as_str);
        q = q.filter(
            events::id.eq_any(
                event_partners::table
                    .filter(event_partners::partner_id.eq(pid))
                    .filter(event_partners::role.eq_any(editors))
                    .select(event_partners::event_id),
            ),
        );
    }
    let rows: Vec<(Revision, String, Option<NaiveDateTime>)> = q
        .order(event_revisions::id.desc())
        .limit(limit)
        .select((Revision::as_select(), events::title, events::deleted_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(r, t, d)| (r, t, d.is_some()))
        .collect())
}
