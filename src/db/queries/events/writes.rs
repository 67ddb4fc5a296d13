//! Event write paths, each in one IMMEDIATE transaction with its revision row, and who may make
//! them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::views::{event_by_id, event_by_uid, single_view, view_by_id, EventView};
use crate::auth::Principal;
use crate::db::models::*;
use crate::db::queries::catalog::{self, event_partner_roles, find_or_create_venue, partner_ids};
use crate::db::queries::now;
use crate::db::schema::{
    event_occurrences, event_partners, event_revisions, event_tags, events, partners, tags,
};
use crate::db::DbConn;
use crate::domain::access::Accessibility;
use crate::domain::event::{
    compose_change, merge_patch, occurrence_key, occurrence_timing, parse_occurrence_key,
    EventDraft, EventInput, OccurrenceChange, PartnerRef, Review, Role, Status, VenueChoice,
    VenueLookup,
};
use crate::domain::message::Msg;
use crate::domain::time;
use crate::error::AppError;

/// Validates `input` against the database (venue zone), then resolves slugs.
pub fn validate(conn: &mut DbConn, input: EventInput) -> Result<EventDraft, AppError> {
    let mut lookup_err = None;
    let draft = input.validate(|id| match catalog::venue_by_id(conn, id) {
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
    /// The venue's own accessibility (the default of the event's).
    venue_access: Option<Accessibility>,
}

/// A day of action's id, and partners' ids with their roles.
type Links = (Option<i32>, Vec<(i32, Role)>);

/// The ids of `d`'s day of action and partners (with their roles); an unknown slug is a field
/// error naming it.
fn resolve_links(conn: &mut DbConn, d: &EventDraft) -> Result<Links, AppError> {
    let mut errors = Vec::new();
    let action_id = catalog::action_ref(conn, d.action.as_deref(), &mut errors)?;
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
    Ok((action_id, partner_ids))
}

fn resolve_refs(conn: &mut DbConn, d: &EventDraft) -> Result<Resolved, AppError> {
    let (action_id, partner_ids) = resolve_links(conn, d)?;
    let venue = match &d.venue {
        VenueChoice::None => None,
        VenueChoice::Existing(id) => catalog::venue_by_id(conn, *id)?,
        VenueChoice::New(v) => Some(find_or_create_venue(conn, v)?),
    };
    Ok(Resolved {
        action_id,
        partner_ids,
        venue_id: venue.as_ref().map(|v| v.id),
        venue_access: venue.as_ref().and_then(Venue::access),
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
        rrule: d.recurrence.as_ref().map(|r| r.series.rule.to_text()),
        exdates: exdates_json(
            d.recurrence
                .as_ref()
                .map(|r| r.exdates.as_slice())
                .unwrap_or_default(),
        ),
        series_end_utc: d.recurrence.as_ref().and_then(|r| r.end_utc),
        accessibility: Accessibility::to_column(d.accessibility.as_ref()),
        access_keys: Accessibility::over(d.accessibility.as_ref(), r.venue_access.as_ref()).keys(),
    }
}

/// After venue `venue_id`'s accessibility went from `was` to `now`: each of its events (and
/// each series with an occurrence there) that shows differently is changed as of now (so a
/// sync and subscribed calendars see it), and the `access` filter's keys are written again.
pub fn rekey_venue(
    conn: &mut DbConn,
    venue_id: i32,
    was: Option<&Accessibility>,
    now_access: Option<&Accessibility>,
) -> QueryResult<()> {
    use crate::db::schema::event_occurrences;
    let at = now();
    let rows: Vec<(i32, Option<String>, String)> = events::table
        .filter(events::venue_id.eq(venue_id))
        .select((events::id, events::accessibility, events::access_keys))
        .load(conn)?;
    for (id, own, keys) in rows {
        let own = Accessibility::from_column(own.as_deref());
        let before = Accessibility::over(own.as_ref(), was);
        let after = Accessibility::over(own.as_ref(), now_access);
        let now_keys = after.keys();
        if before != after {
            diesel::update(events::table.find(id))
                .set((events::access_keys.eq(now_keys), events::updated_at.eq(at)))
                .execute(conn)?;
        } else if now_keys != keys {
            diesel::update(events::table.find(id))
                .set(events::access_keys.eq(now_keys))
                .execute(conn)?;
        }
    }
    // Series whose changed occurrences are there: shown by that venue's defaults.
    let moved: Vec<(i32, Option<String>)> = events::table
        .filter(
            events::id.eq_any(
                event_occurrences::table
                    .filter(event_occurrences::venue_id.eq(venue_id))
                    .select(event_occurrences::event_id),
            ),
        )
        .filter(events::venue_id.is_null().or(events::venue_id.ne(venue_id)))
        .select((events::id, events::accessibility))
        .load(conn)?;
    for (id, own) in moved {
        let own = Accessibility::from_column(own.as_deref());
        if Accessibility::over(own.as_ref(), was) != Accessibility::over(own.as_ref(), now_access) {
            diesel::update(events::table.find(id))
                .set(events::updated_at.eq(at))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// A series' excluded local starts as stored (`["2027-01-05T18:00:00"]`).
pub fn exdates_json(exdates: &[NaiveDateTime]) -> String {
    let keys: Vec<String> = exdates
        .iter()
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
        .collect();
    serde_json::to_string(&keys).unwrap_or_else(|_| "[]".into())
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
        let tag_id = match catalog::tag_id(conn, name)? {
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
    /// A series' changed occurrences are in `event.recurrence.changes`.
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
    };
    create_reviewed(conn, who, input, uid_host, review)
}

/// `create` with the review state given (a moderated partner feed's events wait, as public
/// submissions do).
pub fn create_reviewed(
    conn: &mut DbConn,
    who: &Principal,
    input: EventInput,
    uid_host: &str,
    review: Review,
) -> Result<EventView, AppError> {
    let review = review.as_str();
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
        let mut view = single_view(conn, event)?;
        let desired = draft.recurrence.and_then(|r| r.changes).unwrap_or_default();
        if !desired.is_empty() {
            write_changes(conn, &view, &desired, at)?;
            view = view_by_id(conn, event_id)?;
        }
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
        // `recurrence.changes` given: the series' changes become these; else they stay.
        let desired = draft.recurrence.as_mut().and_then(|r| r.changes.take());
        let old = &before.event;
        let rescheduled = old.start_utc != draft.timing.start_utc
            || old.end_utc != draft.timing.end_utc
            || old.start_local != draft.timing.start_local
            || old.end_local != draft.timing.end_local
            || old.timezone != draft.timing.timezone.name()
            || old.all_day != draft.timing.all_day
            || old.venue_id != refs.venue_id
            || old.online_url != draft.online_url
            || old.status != draft.status.as_str()
            || old.rrule != draft.recurrence.as_ref().map(|r| r.series.rule.to_text())
            || old.exdates
                != exdates_json(
                    draft
                        .recurrence
                        .as_ref()
                        .map(|r| r.exdates.as_slice())
                        .unwrap_or_default(),
                );
        let sequence = old.sequence + i32::from(rescheduled);
        let at = now();
        let mut candidate = fields(&draft, &refs, sequence, old.updated_at);
        let unchanged = !rescheduled
            && old.title == candidate.title
            && old.description == candidate.description
            && old.info_url.as_deref() == candidate.info_url
            && old.accessibility == candidate.accessibility
            && old.access_keys == candidate.access_keys
            && old.action_id == candidate.action_id
            && before.tags == draft.tags
            && before
                .partners
                .iter()
                .map(|p| (p.id, p.role.as_str()))
                .eq(refs.partner_ids.iter().map(|(id, r)| (*id, r.as_str())));
        if unchanged {
            // Only the changed occurrences may differ.
            let Some(desired) = desired else {
                return Ok(before);
            };
            let written = write_changes(conn, &before, &desired, at)?;
            if !written.written {
                return Ok(before);
            }
            diesel::update(events::table.find(id))
                .set((
                    events::updated_at.eq(at),
                    events::sequence.eq(old.sequence + i32::from(written.removed)),
                ))
                .execute(conn)?;
            let mut view = view_by_id(conn, id)?;
            view.dropped_occurrences = written.dropped;
            record(conn, &view, "update", who.actor(), at)?;
            return Ok(view);
        }
        candidate.updated_at = at;
        diesel::update(events::table.find(id))
            .set(&candidate)
            .execute(conn)?;
        write_links(conn, id, &refs, &draft.tags)?;
        let mut view = view_by_id(conn, id)?;
        // Changed occurrences are rebuilt over the new series (and read again) only if there are
        // any, before or after.
        let desired = desired.unwrap_or_else(|| stored_changes(&view));
        if !view.overrides.is_empty() || !desired.is_empty() {
            let written = write_changes(conn, &view, &desired, at)?;
            if written.removed && !rescheduled {
                diesel::update(events::table.find(id))
                    .set(events::sequence.eq(sequence + 1))
                    .execute(conn)?;
            }
            view = view_by_id(conn, id)?;
            view.dropped_occurrences = written.dropped;
        }
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

/// The fields a change of one occurrence may touch; the rest belongs to the series.
const OCCURRENCE_FIELDS: &[&str] = &[
    "title",
    "description",
    "start",
    "end",
    "status",
    "venue",
    "venue_id",
    "online_url",
    "info_url",
    "action",
    "partners",
    "tags",
];

/// How far (either way) a changed occurrence may move from where its rule puts it.
const MAX_OCCURRENCE_MOVE_DAYS: i64 = 31;

/// The occurrence of series `v` named by `key` in a URL (`2027-01-12T18:00`, or a date for an
/// all-day series): 404 unless the rule has it and it is not excluded.
pub fn occurrence_of(v: &EventView, key: &str) -> Result<NaiveDateTime, AppError> {
    let id = v.event.id;
    let series = v
        .series()
        .ok_or_else(|| AppError::NotFound(format!("event {id} does not repeat")))?;
    let local = parse_occurrence_key(key, v.event.all_day);
    match local {
        Ok(local) if series.contains(local) && !v.exdates().contains(&local) => Ok(local),
        _ => Err(AppError::NotFound(format!(
            "{key} is not an occurrence of event {id}"
        ))),
    }
}

/// What occurrence `key` of series `v` shows once `patch` (a merge patch over the series) is
/// applied: validated like any event, an inline venue found or created (the patch keeps its id).
fn materialize(
    conn: &mut DbConn,
    v: &EventView,
    key: NaiveDateTime,
    patch: &mut serde_json::Map<String, serde_json::Value>,
    sequence: i32,
    created_at: NaiveDateTime,
    at: NaiveDateTime,
) -> Result<OccurrenceRow, AppError> {
    if let Some(bad) = patch
        .keys()
        .find(|k| !OCCURRENCE_FIELDS.contains(&k.as_str()))
    {
        return Err(AppError::field(
            bad.clone(),
            Msg::Text(
                "one occurrence changes only its title, description, start, end, status, place, \
                 links, day of action, partners and tags; change the series for the rest"
                    .into(),
            ),
        ));
    }
    let plain = occurrence_timing(&v.timing(), key);
    let tz = v.tz();
    let mut base = v.to_input(false);
    base.recurrence = None;
    if v.event.all_day {
        base.start = Some(plain.start_local.date().to_string());
        base.end = plain.end_local.date().pred_opt().map(|d| d.to_string());
    } else {
        // The wall time of the occurrence's instant: a key in a DST gap is not a valid time.
        let start_wall = chrono::TimeZone::from_utc_datetime(&tz, &plain.start_utc).naive_local();
        base.start = Some(time::local_input_string(tz, start_wall, plain.start_utc));
        base.end = Some(time::local_input_string(tz, plain.end_local, plain.end_utc));
    }
    let merged = merge_patch(&base, patch.clone())?;
    let input: EventInput = serde_json::from_value(merged).map_err(|e| {
        AppError::field("body", Msg::Text(format!("not an occurrence change: {e}")))
    })?;
    let draft = validate(conn, input)?;
    let moved = (draft.timing.start_utc - plain.start_utc).num_days().abs();
    if moved > MAX_OCCURRENCE_MOVE_DAYS {
        return Err(AppError::field(
            "start",
            Msg::Text(format!(
                "one occurrence may move at most {MAX_OCCURRENCE_MOVE_DAYS} days from {}; make a \
                 separate event for another date",
                occurrence_key(key, v.event.all_day)
            )),
        ));
    }
    let venue_id = match &draft.venue {
        VenueChoice::None => None,
        VenueChoice::Existing(id) => Some(*id),
        VenueChoice::New(venue) => {
            let id = find_or_create_venue(conn, venue)?.id;
            patch.remove("venue");
            patch.insert("venue_id".into(), id.into());
            Some(id)
        }
    };
    // Its own day of action, partners and tags, when the change names them.
    let (action_id, partners) = if patch.contains_key("action") || patch.contains_key("partners") {
        let (action_id, partner_ids) = resolve_links(conn, &draft)?;
        let pairs: Vec<(i32, &str)> = partner_ids
            .iter()
            .map(|(id, role)| (*id, role.as_str()))
            .collect();
        (
            action_id.filter(|_| patch.contains_key("action")),
            match patch.contains_key("partners") {
                true => Some(serde_json::to_string(&pairs)?),
                false => None,
            },
        )
    } else {
        (None, None)
    };
    let tags = if patch.contains_key("tags") {
        Some(serde_json::to_string(&draft.tags)?)
    } else {
        None
    };
    Ok(OccurrenceRow {
        action_id,
        partners,
        tags,
        event_id: v.event.id,
        occurrence_local: key,
        patch: serde_json::Value::Object(patch.clone()).to_string(),
        title: draft.title,
        description: draft.description,
        venue_id,
        online_url: draft.online_url,
        info_url: draft.info_url,
        start_local: draft.timing.start_local,
        end_local: draft.timing.end_local,
        start_utc: draft.timing.start_utc,
        end_utc: draft.timing.end_utc,
        status: draft.status.as_str().to_string(),
        sequence,
        created_at,
        updated_at: at,
    })
}

/// What `write_changes` did.
#[derive(Debug, Default)]
struct ChangesWritten {
    /// A change was added, changed or removed.
    written: bool,
    /// A change was removed on request: its occurrence returns to the rule.
    removed: bool,
    /// Changes the series had that no longer fit it, dropped.
    dropped: Vec<NaiveDateTime>,
}

/// Makes the changed occurrences of series `v` (as stored now) `desired`, each rebuilt from its
/// patch over the series. A change the series already had (same key, same patch) that no longer
/// fits — the rule or time moved away from it, it was excluded, its fields no longer validate —
/// is dropped and reported; a new or different one that does not fit is a 422 naming
/// `recurrence.changes.{key}`. The series' changes not in `desired` are removed.
fn write_changes(
    conn: &mut DbConn,
    v: &EventView,
    desired: &[OccurrenceChange],
    at: NaiveDateTime,
) -> Result<ChangesWritten, AppError> {
    let series = v.series();
    let exdates = v.exdates();
    let all_day = v.event.all_day;
    let mut out = ChangesWritten::default();
    for c in desired {
        let old = v.overrides.iter().find(|o| o.row.occurrence_local == c.key);
        let carried = old.is_some_and(|o| {
            serde_json::from_str::<serde_json::Value>(&o.row.patch).ok()
                == Some(serde_json::Value::Object(c.patch.clone()))
        });
        let field = format!("recurrence.changes.{}", c.given);
        let fits = series.as_ref().is_some_and(|s| s.contains(c.key)) && !exdates.contains(&c.key);
        let row = if !fits {
            Err(AppError::field(
                field.clone(),
                Msg::NotOccurrence {
                    key: occurrence_key(c.key, all_day),
                },
            ))
        } else {
            // As before (what shows takes the series' when higher); one more than the two when
            // what it shows changes.
            let sequence = match old {
                Some(o) => o.row.sequence,
                None => v.event.sequence + 1,
            };
            let created = old.map(|o| o.row.created_at).unwrap_or(at);
            let mut patch = c.patch.clone();
            materialize(conn, v, c.key, &mut patch, sequence, created, at)
        };
        match (row, old) {
            (Ok(row), Some(o)) if same_occurrence(&row, &o.row) => {}
            (Ok(mut row), old) => {
                if let Some(o) = old {
                    row.sequence = (o.row.sequence + 1).max(v.event.sequence);
                }
                replace_occurrence(conn, &row)?;
                out.written = true;
            }
            (Err(AppError::Validation(_)), Some(o)) if carried => {
                remove_occurrence(conn, v.event.id, o.row.occurrence_local)?;
                out.written = true;
                out.dropped.push(c.key);
            }
            (Err(AppError::Validation(errors)), _) if fits => {
                return Err(AppError::Validation(
                    errors
                        .into_iter()
                        .map(|mut e| {
                            e.field = format!("{field}.{}", e.field);
                            e
                        })
                        .collect(),
                ))
            }
            (Err(e), _) => return Err(e),
        }
    }
    for o in &v.overrides {
        if !desired.iter().any(|c| c.key == o.row.occurrence_local) {
            remove_occurrence(conn, v.event.id, o.row.occurrence_local)?;
            out.written = true;
            out.removed = true;
        }
    }
    Ok(out)
}

/// The changes series `v` has, in the form its input gives them.
fn stored_changes(v: &EventView) -> Vec<OccurrenceChange> {
    v.overrides
        .iter()
        .map(|o| OccurrenceChange {
            key: o.row.occurrence_local,
            given: occurrence_key(o.row.occurrence_local, v.event.all_day),
            patch: serde_json::from_str(&o.row.patch).unwrap_or_default(),
        })
        .collect()
}

/// Whether two rows of one occurrence are the same (when each was written aside).
fn same_occurrence(new: &OccurrenceRow, old: &OccurrenceRow) -> bool {
    let mut new = new.clone();
    new.updated_at = old.updated_at;
    new.created_at = old.created_at;
    new == *old
}

fn remove_occurrence(conn: &mut DbConn, event_id: i32, key: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        event_occurrences::table
            .filter(event_occurrences::event_id.eq(event_id))
            .filter(event_occurrences::occurrence_local.eq(key)),
    )
    .execute(conn)
}

fn replace_occurrence(conn: &mut DbConn, row: &OccurrenceRow) -> QueryResult<usize> {
    remove_occurrence(conn, row.event_id, row.occurrence_local)?;
    diesel::insert_into(event_occurrences::table)
        .values(row)
        .execute(conn)
}

/// Changes one occurrence of a series (`PATCH /api/v1/events/{id}/occurrences/{key}`): `patch`
/// is merged into the change it already had; the series itself stays as it is. Returns the
/// occurrence as it now shows.
pub fn change_occurrence(
    conn: &mut DbConn,
    who: &Principal,
    id: i32,
    key: &str,
    patch: serde_json::Map<String, serde_json::Value>,
) -> Result<EventView, AppError> {
    crate::db::write_tx(conn, |conn| {
        let v = view_by_id(conn, id)?;
        authorize(conn, who, id)?;
        if v.event.deleted_at.is_some() {
            return Err(AppError::Gone(format!(
                "event {id} was deleted; restore it first"
            )));
        }
        let key = occurrence_of(&v, key)?;
        let at = now();
        let old = v.overrides.iter().find(|o| o.row.occurrence_local == key);
        let mut composed: serde_json::Map<String, serde_json::Value> = old
            .and_then(|o| serde_json::from_str(&o.row.patch).ok())
            .unwrap_or_default();
        compose_change(&mut composed, patch);
        let sequence = old
            .map(|o| o.row.sequence + 1)
            .unwrap_or(v.event.sequence + 1)
            .max(v.event.sequence);
        let created = old.map(|o| o.row.created_at).unwrap_or(at);
        let row = materialize(conn, &v, key, &mut composed, sequence, created, at)?;
        if old.is_some_and(|o| same_occurrence(&row, &o.row)) {
            return Ok(v.occurrence_view(key));
        }
        replace_occurrence(conn, &row)?;
        diesel::update(events::table.find(id))
            .set(events::updated_at.eq(at))
            .execute(conn)?;
        let view = view_by_id(conn, id)?;
        // A revision of the series: its snapshot carries the changed occurrences.
        record(conn, &view, "update", who.actor(), at)?;
        Ok(view.occurrence_view(key))
    })
}

/// Removes one occurrence from a series (`DELETE …/occurrences/{key}`): an EXDATE, and any
/// change it had is dropped. Subscribed calendars remove it.
pub fn exclude_occurrence(
    conn: &mut DbConn,
    who: &Principal,
    id: i32,
    key: &str,
) -> Result<EventView, AppError> {
    crate::db::write_tx(conn, |conn| {
        let v = view_by_id(conn, id)?;
        authorize(conn, who, id)?;
        if v.event.deleted_at.is_some() {
            return Err(AppError::Gone(format!(
                "event {id} was deleted; restore it first"
            )));
        }
        let key = occurrence_of(&v, key)?;
        let mut exdates = v.exdates();
        if exdates.len() >= crate::domain::recurrence::MAX_EXDATES {
            return Err(AppError::field(
                "recurrence.exdates",
                Msg::TooMany {
                    len: exdates.len() + 1,
                    max: crate::domain::recurrence::MAX_EXDATES,
                },
            ));
        }
        exdates.push(key);
        exdates.sort();
        let at = now();
        remove_occurrence(conn, id, key)?;
        diesel::update(events::table.find(id))
            .set((
                events::exdates.eq(exdates_json(&exdates)),
                events::sequence.eq(v.event.sequence + 1),
                events::updated_at.eq(at),
            ))
            .execute(conn)?;
        let view = view_by_id(conn, id)?;
        record(conn, &view, "update", who.actor(), at)?;
        Ok(view)
    })
}
