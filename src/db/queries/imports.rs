//! Partners' feeds: the subscriptions (who may see and change which), claiming a feed for one
//! run at a time across instances, and applying what a feed gave to the events it brought.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::events::{self as ev, EventView};
use super::now;
use crate::auth::Principal;
use crate::db::models::{Import, ImportedEvent};
use crate::db::schema::{actions, imported_events, imports, partners};
use crate::db::DbConn;
use crate::domain::event::{EventInput, PartnerRef, Review, Role, Status};
use crate::domain::imports::{ImportDraft, ImportInput, ReviewMode};
use crate::domain::Errors;
use crate::error::AppError;
use crate::import::{Feed, Skipped};

/// An import with the names it shows.
#[derive(Debug, Clone)]
pub struct ImportView {
    pub row: Import,
    pub partner_slug: String,
    pub partner_name: String,
    pub action_slug: Option<String>,
}

impl ImportView {
    pub fn tags(&self) -> Vec<String> {
        serde_json::from_str(&self.row.tags).unwrap_or_default()
    }

    pub fn review(&self) -> ReviewMode {
        ReviewMode::parse(&self.row.review).unwrap_or(ReviewMode::Moderate)
    }

    pub fn skipped_items(&self) -> Vec<SkippedItem> {
        serde_json::from_str(&self.row.skipped_items).unwrap_or_default()
    }

    /// Its input form (what PATCH merges into).
    pub fn to_input(&self) -> ImportInput {
        ImportInput {
            url: Some(self.row.url.clone()),
            partner: Some(self.partner_slug.clone()),
            action: self.action_slug.clone(),
            tags: Some(self.tags()),
            review: Some(self.row.review.clone()),
            interval_minutes: Some(i64::from(self.row.interval_minutes)),
            timezone: self.row.timezone.clone(),
        }
    }

    /// Who the import's writes are made as: an organizer of its partner, named in revisions.
    pub fn principal(&self) -> Principal {
        Principal::Organizer {
            actor: format!("import:{}", self.row.id),
            partner_id: self.row.partner_id,
        }
    }
}

/// A skipped item as stored and answered.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SkippedItem {
    pub uid: Option<String>,
    pub summary: Option<String>,
    pub reason: String,
}

impl From<Skipped> for SkippedItem {
    fn from(s: Skipped) -> SkippedItem {
        SkippedItem {
            uid: s.uid,
            summary: s.summary,
            reason: s.reason,
        }
    }
}

fn view(conn: &mut DbConn, row: Import) -> Result<ImportView, AppError> {
    let (partner_slug, partner_name) = partners::table
        .find(row.partner_id)
        .select((partners::slug, partners::name))
        .first::<(String, String)>(conn)?;
    let action_slug = match row.action_id {
        Some(id) => Some(
            actions::table
                .find(id)
                .select(actions::slug)
                .first::<String>(conn)?,
        ),
        None => None,
    };
    Ok(ImportView {
        row,
        partner_slug,
        partner_name,
        action_slug,
    })
}

fn row(conn: &mut DbConn, id: i32) -> Result<Import, AppError> {
    imports::table
        .find(id)
        .select(Import::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("there is no import {id}")))
}

/// Admins see every import; an organizer those of their partner; the public none.
fn authorize(who: &Principal, row: &Import) -> Result<(), AppError> {
    match who {
        Principal::Admin { .. } => Ok(()),
        Principal::Organizer { partner_id, .. } if *partner_id == row.partner_id => Ok(()),
        _ => Err(AppError::Forbidden(format!(
            "import {} belongs to another partner; only its partner's organizers and admins may see or change it",
            row.id
        ))),
    }
}

/// One import, as `who` may see it.
pub fn get(conn: &mut DbConn, who: &Principal, id: i32) -> Result<ImportView, AppError> {
    let r = row(conn, id)?;
    authorize(who, &r)?;
    view(conn, r)
}

/// One import, for the scheduler and the CLI.
pub fn get_any(conn: &mut DbConn, id: i32) -> Result<ImportView, AppError> {
    let r = row(conn, id)?;
    view(conn, r)
}

/// The imports `who` may see, oldest first.
pub fn list(conn: &mut DbConn, who: &Principal) -> Result<Vec<ImportView>, AppError> {
    let mut q = imports::table
        .select(Import::as_select())
        .order(imports::id)
        .into_boxed();
    match who {
        Principal::Admin { .. } => {}
        Principal::Organizer { partner_id, .. } => {
            q = q.filter(imports::partner_id.eq(*partner_id))
        }
        Principal::Public => {
            return Err(AppError::Forbidden(
                "only organizers and admins see partners' feeds".into(),
            ))
        }
    }
    let rows = q.load(conn)?;
    rows.into_iter().map(|r| view(conn, r)).collect()
}

/// The partner and action a draft names: an organizer's own partner (the default for them),
/// any partner for an admin.
fn resolve(
    conn: &mut DbConn,
    who: &Principal,
    draft: &ImportDraft,
    mut e: Errors,
) -> Result<(i32, Option<i32>), AppError> {
    let partner_id = match (who, &draft.partner) {
        (Principal::Public, _) => {
            return Err(AppError::Forbidden(
                "only organizers and admins add partners' feeds".into(),
            ))
        }
        (Principal::Organizer { partner_id, .. }, None) => Some(*partner_id),
        (_, Some(slug)) => match super::catalog::partner_by_slug(conn, slug) {
            Ok(p) => {
                if who.partner_id().is_some_and(|own| own != p.id) {
                    return Err(AppError::Forbidden(format!(
                        "organizers add feeds for their own partner only, not {slug:?}"
                    )));
                }
                Some(p.id)
            }
            Err(AppError::NotFound(m)) => {
                e.push("partner", m);
                None
            }
            Err(other) => return Err(other),
        },
        (Principal::Admin { .. }, None) => {
            e.push("partner", "is required: the partner whose calendar this is");
            None
        }
    };
    let action_id = match &draft.action {
        None => None,
        Some(slug) => match super::catalog::action_by_slug(conn, slug) {
            Ok(a) => Some(a.id),
            Err(AppError::NotFound(m)) => {
                e.push("action", m);
                None
            }
            Err(other) => return Err(other),
        },
    };
    e.finish(())?;
    Ok((partner_id.unwrap_or_default(), action_id))
}

fn clash(
    conn: &mut DbConn,
    url: &str,
    partner_id: i32,
    except: Option<i32>,
) -> Result<(), AppError> {
    let existing: Option<i32> = imports::table
        .filter(imports::url.eq(url))
        .filter(imports::partner_id.eq(partner_id))
        .select(imports::id)
        .first(conn)
        .optional()?;
    match existing {
        Some(id) if Some(id) != except => Err(AppError::Conflict(format!(
            "this partner already imports {url} (import {id})"
        ))),
        _ => Ok(()),
    }
}

/// The columns a create or an update of an import writes.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = imports, treat_none_as_null = true)]
struct ImportFields<'a> {
    url: &'a str,
    partner_id: i32,
    action_id: Option<i32>,
    tags: &'a str,
    review: &'static str,
    interval_minutes: i32,
    timezone: Option<&'a str>,
    next_fetch_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn fields<'a>(
    draft: &'a ImportDraft,
    tags: &'a str,
    partner_id: i32,
    action_id: Option<i32>,
    next_fetch_at: NaiveDateTime,
    updated_at: NaiveDateTime,
) -> ImportFields<'a> {
    ImportFields {
        url: &draft.url,
        partner_id,
        action_id,
        tags,
        review: draft.review.as_str(),
        interval_minutes: draft.interval_minutes,
        timezone: draft.timezone.as_deref(),
        next_fetch_at,
        updated_at,
    }
}

/// Adds a feed; its first fetch is due at once.
pub fn create(
    conn: &mut DbConn,
    who: &Principal,
    input: ImportInput,
) -> Result<ImportView, AppError> {
    crate::db::write_tx(conn, |conn| {
        let (mut draft, problems) = ImportDraft::checked(input);
        let (partner_id, action_id) = resolve(conn, who, &draft, problems)?;
        clash(conn, &draft.url, partner_id, None)?;
        // No zone given: the partner's home zone, chosen once and shown (a PATCH changes it),
        // so floating times never move because the partner's events elsewhere did.
        if draft.timezone.is_none() {
            draft.timezone = partner_zone(conn, partner_id)?;
        }
        let at = now();
        let tags = serde_json::to_string(&draft.tags)?;
        let id: i32 = diesel::insert_into(imports::table)
            .values((
                fields(&draft, &tags, partner_id, action_id, at, at),
                imports::created_by.eq(who.actor()),
                imports::created_at.eq(at),
            ))
            .returning(imports::id)
            .get_result(conn)?;
        get(conn, who, id)
    })
}

/// Changes an import with the input `change` makes of its current form. A new URL starts
/// afresh (no validators, fetched at once).
pub fn update_with(
    conn: &mut DbConn,
    who: &Principal,
    id: i32,
    change: impl FnOnce(&ImportView) -> Result<ImportInput, AppError>,
) -> Result<ImportView, AppError> {
    crate::db::write_tx(conn, |conn| {
        let before = get(conn, who, id)?;
        let (draft, problems) = ImportDraft::checked(change(&before)?);
        let (partner_id, action_id) = resolve(conn, who, &draft, problems)?;
        clash(conn, &draft.url, partner_id, Some(id))?;
        let old = &before.row;
        let at = now();
        let new_url = draft.url != old.url;
        let next = if new_url {
            at
        } else if draft.interval_minutes != old.interval_minutes {
            old.last_fetch_at.map_or(at, |t| {
                t + Duration::minutes(i64::from(draft.interval_minutes))
            })
        } else {
            old.next_fetch_at
        };
        let tags = serde_json::to_string(&draft.tags)?;
        diesel::update(imports::table.find(id))
            .set(fields(&draft, &tags, partner_id, action_id, next, at))
            .execute(conn)?;
        // What the events are made with changed: the next fetch must read the feed again, not
        // take a 304 (which would leave its events as the old settings made them).
        let remade = new_url
            || partner_id != old.partner_id
            || action_id != old.action_id
            || tags != old.tags
            || draft.timezone != old.timezone
            || draft.review.as_str() != old.review;
        if remade {
            diesel::update(imports::table.find(id))
                .set((
                    imports::etag.eq(None::<String>),
                    imports::last_modified.eq(None::<String>),
                ))
                .execute(conn)?;
        }
        if new_url {
            diesel::update(imports::table.find(id))
                .set(imports::failures.eq(0))
                .execute(conn)?;
        }
        get(conn, who, id)
    })
}

/// Stops syncing a feed. Its events stay, marked as no longer synced.
pub fn delete(conn: &mut DbConn, who: &Principal, id: i32) -> Result<(), AppError> {
    crate::db::write_tx(conn, |conn| {
        get(conn, who, id)?;
        diesel::update(imported_events::table.filter(imported_events::import_id.eq(id)))
            .set(imported_events::import_id.eq(None::<i32>))
            .execute(conn)?;
        diesel::delete(imports::table.find(id)).execute(conn)?;
        Ok(())
    })
}

/// No run holds the feed at `at` (none ever did, or its lease ran out).
fn unclaimed(
    at: NaiveDateTime,
) -> diesel::dsl::Or<
    diesel::dsl::IsNull<imports::claimed_until>,
    diesel::dsl::Lt<imports::claimed_until, NaiveDateTime>,
> {
    imports::claimed_until
        .is_null()
        .or(imports::claimed_until.lt(at))
}

/// Takes import `id` for one run until `until`, unless another run holds it. Bookkeeping: no
/// one else sees a claim, so it notifies no cache.
pub fn claim(conn: &mut DbConn, id: i32, until: NaiveDateTime) -> Result<bool, AppError> {
    crate::db::bookkeeping_tx(conn, |conn| {
        let at = now();
        let n = diesel::update(imports::table.find(id).filter(unclaimed(at)))
            .set(imports::claimed_until.eq(Some(until)))
            .execute(conn)?;
        Ok(n == 1)
    })
}

/// Extends a run's claim on import `id` from `until` to `to`; false when the claim is no longer
/// that run's (it ran out and another run claimed the feed).
pub fn renew(
    conn: &mut DbConn,
    id: i32,
    until: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<bool, AppError> {
    crate::db::bookkeeping_tx(conn, |conn| {
        let n = diesel::update(
            imports::table
                .find(id)
                .filter(imports::claimed_until.eq(Some(until))),
        )
        .set(imports::claimed_until.eq(Some(to)))
        .execute(conn)?;
        Ok(n == 1)
    })
}

/// Claims the feed most overdue a refresh, if any (one instance gets each: claims are made in
/// the one write transaction).
pub fn claim_due(conn: &mut DbConn, until: NaiveDateTime) -> Result<Option<i32>, AppError> {
    crate::db::bookkeeping_tx(conn, |conn| {
        let at = now();
        let due: Option<i32> = imports::table
            .filter(imports::next_fetch_at.le(at))
            .filter(unclaimed(at))
            .order(imports::next_fetch_at)
            .select(imports::id)
            .first(conn)
            .optional()?;
        if let Some(id) = due {
            diesel::update(imports::table.find(id))
                .set(imports::claimed_until.eq(Some(until)))
                .execute(conn)?;
        }
        Ok(due)
    })
}

/// How a run ended, for the import's status.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RunCounts {
    pub created: i32,
    pub updated: i32,
    pub cancelled: i32,
    pub unchanged: i32,
    pub skipped: i32,
}

/// The longest backoff after failed fetches.
const MAX_BACKOFF_MINUTES: i64 = 24 * 60;

/// Minutes until the next try after `failures` failed fetches in a row: the interval, doubled
/// for each failure, at most a day (and never less than the interval).
pub fn backoff_minutes(interval: i32, failures: i32) -> i64 {
    let interval = i64::from(interval.max(1));
    let factor = 1_i64 << failures.clamp(0, 16);
    (interval * factor).min(MAX_BACKOFF_MINUTES.max(interval))
}

/// An error as the status shows it: one line of at most 500 characters, control characters (a
/// parser may quote the feed's bytes, NULs included) replaced.
fn status_line(error: &str) -> String {
    let mut line: String = error
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(500)
        .collect();
    if error.chars().count() > 500 {
        line.push('…');
    }
    line
}

/// Records a failed run (nothing else changed) and releases the claim.
pub fn record_failure(conn: &mut DbConn, id: i32, error: &str) -> Result<ImportView, AppError> {
    let error = status_line(error);
    let error = error.as_str();
    crate::db::bookkeeping_tx(conn, |conn| {
        let r = row(conn, id)?;
        let at = now();
        let failures = r.failures + 1;
        let next = at + Duration::minutes(backoff_minutes(r.interval_minutes, failures));
        diesel::update(imports::table.find(id))
            .set((
                imports::last_fetch_at.eq(Some(at)),
                imports::last_status.eq(Some("error")),
                imports::last_error.eq(Some(error)),
                imports::failures.eq(failures),
                imports::next_fetch_at.eq(next),
                imports::claimed_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        get_any(conn, id)
    })
}

/// Records a 304 (the feed is as it was) and releases the claim.
pub fn record_not_modified(conn: &mut DbConn, id: i32) -> Result<ImportView, AppError> {
    crate::db::bookkeeping_tx(conn, |conn| {
        let r = row(conn, id)?;
        let at = now();
        diesel::update(imports::table.find(id))
            .set((
                imports::last_fetch_at.eq(Some(at)),
                imports::last_status.eq(Some("not_modified")),
                imports::last_error.eq(None::<String>),
                imports::failures.eq(0),
                imports::next_fetch_at.eq(at + Duration::minutes(i64::from(r.interval_minutes))),
                imports::claimed_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        get_any(conn, id)
    })
}

/// Releases a claim without a run (the fetch could not even start).
pub fn release(conn: &mut DbConn, id: i32) -> Result<(), AppError> {
    crate::db::bookkeeping_tx(conn, |conn| {
        diesel::update(imports::table.find(id))
            .set(imports::claimed_until.eq(None::<NaiveDateTime>))
            .execute(conn)?;
        Ok(())
    })
}

/// A feed as read, with what its fetch said about it.
pub struct Read {
    pub feed: Feed,
    /// Ends with `END:VCALENDAR`: only then does an event missing from it count as removed.
    pub complete: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// One item of the feed as it will be written: the source's event with the import's partner,
/// action and tags, and the hash of that.
struct Prepared {
    uid: String,
    input: EventInput,
    hash: String,
}

fn prepare(imp: &ImportView, feed: &Feed) -> Vec<Prepared> {
    let tags = imp.tags();
    feed.items
        .iter()
        .map(|item| {
            let mut input = item.input.clone();
            input.uid = Some(item.uid.clone());
            input.partners = Some(vec![PartnerRef {
                slug: imp.partner_slug.clone(),
                role: Role::Host,
            }]);
            input.action = imp.action_slug.clone();
            // The import's tags, then the source's categories, as many as an event holds.
            let mut all = tags.clone();
            for t in input.tags.take().unwrap_or_default() {
                if all.len() < crate::domain::event::MAX_TAGS
                    && !all.iter().any(|a| a.eq_ignore_ascii_case(&t))
                {
                    all.push(t);
                }
            }
            input.tags = Some(all);
            let hash = serde_json::to_vec(&input)
                .map(|bytes| format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes)))
                .unwrap_or_default();
            Prepared {
                uid: item.uid.clone(),
                input,
                hash,
            }
        })
        .collect()
}

/// The partner's home zone: the time zone most of the events it hosts here use (those entered
/// here, not imported), the first by name on a tie; `None` while it has none. A new import of
/// the partner that names no zone gets it.
pub fn partner_zone(conn: &mut DbConn, partner_id: i32) -> QueryResult<Option<String>> {
    use crate::db::schema::{event_partners, events};
    use diesel::dsl::{count_star, not};
    events::table
        .inner_join(event_partners::table.on(event_partners::event_id.eq(events::id)))
        .filter(event_partners::partner_id.eq(partner_id))
        .filter(event_partners::role.eq(Role::Host.as_str()))
        .filter(events::deleted_at.is_null())
        .filter(not(events::id.eq_any(
            imported_events::table.select(imported_events::event_id),
        )))
        .group_by(events::timezone)
        .select((events::timezone, count_star()))
        .order((count_star().desc(), events::timezone))
        .first::<(String, i64)>(conn)
        .optional()
        .map(|found| found.map(|(zone, _)| zone))
}

/// The events this import brought, by uid.
fn brought(conn: &mut DbConn, import_id: i32) -> QueryResult<HashMap<String, ImportedEvent>> {
    Ok(imported_events::table
        .filter(imported_events::import_id.eq(import_id))
        .select(ImportedEvent::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| (r.uid.clone(), r))
        .collect())
}

/// How far back the import window reaches: an event that ended before this and left the feed
/// has simply passed (feeds drop old events); it stays here as it was.
pub const WINDOW_PAST_DAYS: i64 = 1;

/// The UIDs the feed has: its items and those it skipped (an event the feed still has but that
/// could not be read is not gone from it).
fn seen<'a>(items: &'a [Prepared], feed: &'a Feed) -> HashSet<&'a str> {
    items
        .iter()
        .map(|p| p.uid.as_str())
        .chain(feed.skipped.iter().filter_map(|s| s.uid.as_deref()))
        .collect()
}

/// Whether the event (or an occurrence of the series) has not ended at `at`.
fn ends_after(v: &EventView, at: NaiveDateTime) -> bool {
    if v.is_series() {
        !v.upcoming(at, 1).is_empty()
    } else {
        v.event.end_utc > at
    }
}

/// What an event that left the feed gets.
#[derive(Debug, PartialEq)]
enum Gone {
    Nothing,
    /// Still to come: cancelled (if it is not yet) and marked as gone.
    Cancel,
    /// Cancelled here when it left the feed, and past the window now: unpublished.
    Unpublish,
}

/// An event still to come that left the feed is cancelled; one that had already ended simply
/// passed (Meetup, Mobilize and The Events Calendar drop events once they are over) and stays
/// as it was; one cancelled for leaving is unpublished once it is out of the window.
fn gone(v: &EventView, rec: &ImportedEvent, now: NaiveDateTime) -> Gone {
    if v.event.deleted_at.is_some() {
        Gone::Nothing
    } else if ends_after(v, now) {
        if v.event.status != "cancelled" || rec.gone_at.is_none() {
            Gone::Cancel
        } else {
            Gone::Nothing
        }
    } else if rec.gone_at.is_some() && !ends_after(v, now - Duration::days(WINDOW_PAST_DAYS)) {
        Gone::Unpublish
    } else {
        Gone::Nothing
    }
}

/// Writes item `p` over `before`, an event that came from this feed, and counts what that did;
/// the reason when the item cannot be written (the rest of the run goes on). The parts edited
/// here since the feed last wrote them (and those kept before) stay as they are here; the rest
/// follow the feed. `rec`: what this feed last wrote (none for an event taken back into it).
fn write_over(
    conn: &mut DbConn,
    imp: &ImportView,
    before: &crate::db::models::Event,
    p: &Prepared,
    counts: &mut RunCounts,
    rec: Option<&ImportedEvent>,
) -> Result<Option<String>, AppError> {
    let mut kept = Vec::new();
    let upstream = &p.input;
    let merged = ev::update_with(conn, &imp.principal(), before.id, |current| {
        let here = current.to_input(false);
        kept = rec.map_or_else(Vec::new, |r| kept_and_edited(r, &input_fields(&here)));
        let mut input = with_parts(upstream, &here, |part| kept.iter().any(|k| k == part))?;
        // A feed does not say who can come: what was said here stays.
        if input.accessibility.is_none() {
            input.accessibility = here.accessibility;
        }
        Ok(input)
    });
    match merged {
        Ok(after) => {
            diesel::update(imported_events::table.find(before.id))
                .set((
                    imported_events::hash.eq(&p.hash),
                    imported_events::gone_at.eq(None::<NaiveDateTime>),
                    imported_events::source_url.eq(&imp.row.url),
                    imported_events::written.eq(Some(json(&input_fields(&after.to_input(false))))),
                    imported_events::kept.eq(json(&kept)),
                    imported_events::upstream.eq(Some(json(&input_fields(upstream)))),
                ))
                .execute(conn)?;
            if after.event.updated_at == before.updated_at {
                counts.unchanged += 1;
            } else if after.event.status == "cancelled" && before.status != "cancelled" {
                counts.cancelled += 1;
            } else {
                counts.updated += 1;
            }
            Ok(None)
        }
        Err(e @ (AppError::Validation(_) | AppError::Forbidden(_) | AppError::Gone(_))) => {
            Ok(Some(reason(&e)))
        }
        Err(e) => Err(e),
    }
}

/// The parts of an imported event an organizer may edit here, by the `EventInput` fields each
/// covers. Once edited here a part is kept as it is here when the feed changes; the others
/// still follow the feed. The day of action and the partners are the import's own.
pub const PARTS: &[(&str, &[&str])] = &[
    ("title", &["title"]),
    ("description", &["description"]),
    ("time", &["start", "end", "timezone", "all_day"]),
    ("repeats", &["recurrence"]),
    ("place", &["venue", "venue_id", "online_url"]),
    ("link", &["info_url"]),
    ("status", &["status"]),
    ("tags", &["tags"]),
];

type Fields = serde_json::Map<String, serde_json::Value>;

/// An event input as its JSON fields.
fn input_fields(input: &EventInput) -> Fields {
    match serde_json::to_value(input) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => Fields::new(),
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn kept_parts(rec: &ImportedEvent) -> Vec<String> {
    serde_json::from_str(&rec.kept).unwrap_or_default()
}

/// The parts kept before, and those in which the event as it is here (`here`, venue by id)
/// now differs from what the feed last wrote.
fn kept_and_edited(rec: &ImportedEvent, here: &Fields) -> Vec<String> {
    let mut parts = kept_parts(rec);
    if let Some(written) = written_fields(rec) {
        for part in edited_parts(here, &written) {
            if !parts.iter().any(|k| k == part) {
                parts.push(part.to_string());
            }
        }
    }
    parts
}

/// What a feed brought for event `id`, if it came from one.
fn record(conn: &mut DbConn, id: i32) -> QueryResult<Option<ImportedEvent>> {
    imported_events::table
        .find(id)
        .select(ImportedEvent::as_select())
        .first(conn)
        .optional()
}

fn written_fields(rec: &ImportedEvent) -> Option<Fields> {
    rec.written
        .as_deref()
        .and_then(|w| serde_json::from_str(w).ok())
}

fn upstream_fields(rec: &ImportedEvent) -> Option<Fields> {
    rec.upstream
        .as_deref()
        .and_then(|w| serde_json::from_str(w).ok())
}

/// The parts in which the event as it is here (`current`) differs from what the feed wrote.
fn edited_parts(current: &Fields, written: &Fields) -> Vec<&'static str> {
    PARTS
        .iter()
        .filter(|(_, names)| names.iter().any(|n| current.get(*n) != written.get(*n)))
        .map(|(part, _)| *part)
        .collect()
}

/// `base` with the fields of every part `take` picks from `other`.
fn with_parts(
    base: &EventInput,
    other: &EventInput,
    take: impl Fn(&str) -> bool,
) -> Result<EventInput, AppError> {
    let mut out = input_fields(base);
    let from = input_fields(other);
    for (_, names) in PARTS.iter().filter(|(part, _)| take(part)) {
        copy_fields(&mut out, &from, names);
    }
    serde_json::from_value(serde_json::Value::Object(out))
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("merging an imported event: {e}")))
}

/// `names` of `from` into `to` (a field `from` lacks is removed).
fn copy_fields(to: &mut Fields, from: &Fields, names: &[&str]) {
    for name in names {
        match from.get(*name) {
            Some(v) => to.insert((*name).to_string(), v.clone()),
            None => to.remove(*name),
        };
    }
}

/// One part of an imported event edited here: the event's value and the feed's, as text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LocalEdit {
    pub part: &'static str,
    pub here: String,
    /// `None` while the feed's version is not known (imported before edits were tracked).
    pub feed: Option<String>,
}

/// The parts of `view` edited here that its feed no longer changes (or will not, at its next
/// change), each beside the feed's version; empty for an event that came from no feed.
pub fn local_edits(conn: &mut DbConn, view: &EventView) -> QueryResult<Vec<LocalEdit>> {
    let Some(rec) = record(conn, view.event.id)? else {
        return Ok(Vec::new());
    };
    // Compared by venue id (an edit of a shared venue is no edit of this event), shown inline.
    let parts = kept_and_edited(&rec, &input_fields(&view.to_input(false)));
    let here = input_fields(&view.to_input(true));
    let feed = upstream_fields(&rec);
    Ok(PARTS
        .iter()
        .filter(|(part, _)| parts.iter().any(|k| k == part))
        .map(|(part, names)| LocalEdit {
            part,
            here: shown(part, names, &here),
            feed: feed.as_ref().map(|f| shown(part, names, f)),
        })
        .collect())
}

/// Event `id`'s `part` as its feed last gave it, no longer kept as edited here: the next change
/// of the feed changes it again.
pub fn take_feeds(
    conn: &mut DbConn,
    who: &Principal,
    id: i32,
    part: &str,
) -> Result<EventView, AppError> {
    let Some(&(part, names)) = PARTS.iter().find(|(p, _)| *p == part) else {
        return Err(AppError::NotFound(format!(
            "there is no part {part:?} of an event"
        )));
    };
    crate::db::write_tx(conn, |conn| {
        let rec = record(conn, id)?
            .ok_or_else(|| AppError::NotFound(format!("event {id} came from no feed")))?;
        let Some(feed) = upstream_fields(&rec) else {
            return Err(AppError::Conflict(format!(
                "the feed's version of event {id} is not known yet; refresh the feed first"
            )));
        };
        let feed: EventInput = serde_json::from_value(serde_json::Value::Object(feed))
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("a stored feed version: {e}")))?;
        let after = ev::update_with(conn, who, id, |current| {
            with_parts(&current.to_input(false), &feed, |p| p == part)
        })?;
        // Written as the feed's again: no longer an edit here.
        let now_fields = input_fields(&after.to_input(false));
        let mut written = written_fields(&rec).unwrap_or_else(|| now_fields.clone());
        copy_fields(&mut written, &now_fields, names);
        let kept: Vec<String> = kept_parts(&rec).into_iter().filter(|k| k != part).collect();
        diesel::update(imported_events::table.find(id))
            .set((
                imported_events::written.eq(Some(json(&written))),
                imported_events::kept.eq(json(&kept)),
            ))
            .execute(conn)?;
        Ok(after)
    })
}

/// A part's value as the admin shows it.
fn shown(part: &str, names: &[&str], f: &Fields) -> String {
    use serde_json::Value;
    let text = |name: &str| match f.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "yes".into(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    };
    let out = match part {
        "time" => {
            let all_day = if text("all_day").is_empty() {
                ""
            } else {
                ", all day"
            };
            format!(
                "{} – {} ({}{all_day})",
                text("start"),
                text("end"),
                text("timezone")
            )
        }
        "place" => match f.get("venue") {
            Some(Value::Object(v)) => ["name", "address", "city", "region", "country"]
                .iter()
                .filter_map(|k| v.get(*k).and_then(Value::as_str))
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
            _ => text("online_url"),
        },
        "repeats" => f
            .get("recurrence")
            .and_then(|r| r.get("rrule"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => names.iter().map(|n| text(n)).collect::<Vec<_>>().join(" "),
    };
    if out.trim().is_empty() {
        "—".into()
    } else {
        out
    }
}

/// Takes an event that came from a deleted import of the same partner into `imp` (the feed
/// subscribed to again); whether it did.
fn adopt(conn: &mut DbConn, event_id: i32, imp: &ImportView) -> QueryResult<bool> {
    let n = diesel::update(
        imported_events::table
            .find(event_id)
            .filter(imported_events::import_id.is_null())
            .filter(imported_events::partner_id.eq(imp.row.partner_id)),
    )
    .set((
        imported_events::import_id.eq(Some(imp.row.id)),
        imported_events::source_url.eq(&imp.row.url),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// An error as one line (a field error list joined).
pub fn reason(e: &AppError) -> String {
    match e {
        AppError::Validation(list) => list
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Writes a feed's events, in one write transaction: new ones created (waiting for moderation
/// with `review: moderate`), changed ones updated, unchanged ones left alone, ones gone from a
/// complete feed cancelled while they are in the window and unpublished once they have left
/// it. An item that cannot be written is skipped with its reason; the rest go on. Releases the
/// claim.
pub fn apply(
    conn: &mut DbConn,
    imp: &ImportView,
    read: Read,
    uid_host: &str,
) -> Result<Applied, AppError> {
    let applied = crate::db::write_tx_if_changed(conn, |conn| {
        // Anything anyone sees: an event created, changed, cancelled or unpublished, or one
        // taken back into a feed (its page says it is synced again). Items skipped again as
        // they were skipped before, counts and statuses are not.
        let mut seen_change = false;
        let who = imp.principal();
        let id = imp.row.id;
        let at = now();
        let mut counts = RunCounts::default();
        let mut skipped: Vec<SkippedItem> = read
            .feed
            .skipped
            .iter()
            .cloned()
            .map(SkippedItem::from)
            .collect();
        let had = brought(conn, id)?;
        let items = prepare(imp, &read.feed);
        let review = match imp.review() {
            ReviewMode::Publish => Review::Approved,
            ReviewMode::Moderate => Review::Pending,
        };
        for p in &items {
            let summary = p.input.title.clone();
            let skip = |skipped: &mut Vec<SkippedItem>, reason: String| {
                skipped.push(SkippedItem {
                    uid: Some(p.uid.clone()),
                    summary: summary.clone(),
                    reason,
                })
            };
            match had.get(&p.uid) {
                Some(rec) if rec.hash == p.hash && rec.gone_at.is_none() => counts.unchanged += 1,
                Some(rec) => {
                    let before = ev::event_by_id(conn, rec.event_id)?;
                    if before.deleted_at.is_some() {
                        skip(
                            &mut skipped,
                            format!(
                                "event {} was deleted here; restore it to sync it again",
                                rec.event_id
                            ),
                        );
                        continue;
                    }
                    if let Some(why) = write_over(conn, imp, &before, p, &mut counts, Some(rec))? {
                        skip(&mut skipped, why);
                    }
                }
                None => {
                    if let Some(other) = ev::event_by_uid(conn, &p.uid)? {
                        // A feed of this partner added again: its events, no longer synced
                        // since the old import went, are this import's again.
                        if adopt(conn, other.id, imp)? {
                            seen_change = true;
                            // What was kept here before the feed was subscribed again stays.
                            let row = record(conn, other.id)?;
                            if let Some(why) =
                                write_over(conn, imp, &other, p, &mut counts, row.as_ref())?
                            {
                                skip(&mut skipped, why);
                            }
                            continue;
                        }
                        skip(
                            &mut skipped,
                            format!(
                                "the uid belongs to event {}, which did not come from this feed",
                                other.id
                            ),
                        );
                        continue;
                    }
                    match ev::create_reviewed(conn, &who, p.input.clone(), uid_host, review) {
                        Ok(view) => {
                            diesel::insert_into(imported_events::table)
                                .values((
                                    imported_events::event_id.eq(view.event.id),
                                    imported_events::import_id.eq(Some(id)),
                                    imported_events::partner_id.eq(imp.row.partner_id),
                                    imported_events::source_url.eq(&imp.row.url),
                                    imported_events::uid.eq(&p.uid),
                                    imported_events::hash.eq(&p.hash),
                                    imported_events::written
                                        .eq(Some(json(&input_fields(&view.to_input(false))))),
                                    imported_events::upstream
                                        .eq(Some(json(&input_fields(&p.input)))),
                                ))
                                .execute(conn)?;
                            counts.created += 1;
                        }
                        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
                            skip(&mut skipped, reason(&e))
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        if read.complete {
            let seen = seen(&items, &read.feed);
            let left: Vec<&ImportedEvent> = had
                .values()
                .filter(|r| !seen.contains(r.uid.as_str()))
                .collect();
            let ids: Vec<i32> = left.iter().map(|r| r.event_id).collect();
            let views: HashMap<i32, EventView> = ev::views_by_ids(conn, &ids)?
                .into_iter()
                .map(|v| (v.event.id, v))
                .collect();
            for rec in left {
                let Some(v) = views.get(&rec.event_id) else {
                    continue;
                };
                // An event this import may no longer change (its hosts edited here, say) is
                // skipped with the reason; the rest of the run goes on.
                let mut cancelled_now = false;
                let done = match gone(v, rec, at) {
                    Gone::Nothing => Ok(()),
                    Gone::Cancel if v.event.status == "cancelled" => Ok(()),
                    Gone::Cancel => ev::update_with(conn, &who, rec.event_id, |current| {
                        let mut input = current.to_input(false);
                        input.status = Some(Status::Cancelled);
                        Ok(input)
                    })
                    .map(|_| {
                        counts.cancelled += 1;
                        cancelled_now = true;
                    }),
                    Gone::Unpublish => {
                        ev::delete(conn, &who, rec.event_id).map(|()| seen_change = true)
                    }
                };
                match done {
                    Ok(()) => {}
                    Err(
                        e @ (AppError::Validation(_) | AppError::Forbidden(_) | AppError::Gone(_)),
                    ) => {
                        skipped.push(SkippedItem {
                            uid: Some(rec.uid.clone()),
                            summary: Some(v.event.title.clone()),
                            reason: format!("gone from the feed, but {}", reason(&e)),
                        });
                        continue;
                    }
                    Err(e) => return Err(e),
                }
                if gone(v, rec, at) == Gone::Cancel && rec.gone_at.is_none() {
                    // This run's cancellation is the feed's doing, not an edit here (one made
                    // here before stays one).
                    let written = written_fields(rec).map(|mut w| {
                        if cancelled_now {
                            w.insert("status".into(), Status::Cancelled.as_str().into());
                        }
                        json(&w)
                    });
                    diesel::update(imported_events::table.find(rec.event_id))
                        .set((
                            imported_events::gone_at.eq(Some(at)),
                            imported_events::written.eq(written),
                        ))
                        .execute(conn)?;
                }
            }
        }
        counts.skipped = i32::try_from(skipped.len()).unwrap_or(i32::MAX);
        let stored = serde_json::to_string(&skipped)?;
        diesel::update(imports::table.find(id))
            .set((
                imports::calendar_name.eq(&read.feed.name),
                // A partial read is not kept as the feed's state: the next fetch reads it all.
                imports::etag.eq(read.etag.as_ref().filter(|_| read.complete)),
                imports::last_modified.eq(read.last_modified.as_ref().filter(|_| read.complete)),
                imports::last_fetch_at.eq(Some(at)),
                imports::last_status.eq(Some("ok")),
                imports::last_error.eq(None::<String>),
                imports::failures.eq(0),
                imports::next_fetch_at
                    .eq(at + Duration::minutes(i64::from(imp.row.interval_minutes))),
                imports::claimed_until.eq(None::<NaiveDateTime>),
                imports::created.eq(counts.created),
                imports::updated.eq(counts.updated),
                imports::cancelled.eq(counts.cancelled),
                imports::unchanged.eq(counts.unchanged),
                imports::skipped.eq(counts.skipped),
                imports::skipped_items.eq(stored),
            ))
            .execute(conn)?;
        let changed = seen_change || counts.created + counts.updated + counts.cancelled > 0;
        let view = get_any(conn, id)?;
        Ok((
            Applied {
                view,
                skipped,
                changed,
            },
            changed,
        ))
    })?;
    Ok(applied.0)
}

/// What a run wrote.
pub struct Applied {
    pub view: ImportView,
    pub skipped: Vec<SkippedItem>,
    /// Whether anything anyone sees changed (the caches must hear of it).
    pub changed: bool,
}

/// Where an event came from: the partner's name, the feed's URL, and whether it is still
/// synced. For the event page.
pub fn source_of(conn: &mut DbConn, event_id: i32) -> QueryResult<Option<(String, String, bool)>> {
    imported_events::table
        .inner_join(partners::table)
        .filter(imported_events::event_id.eq(event_id))
        .select((
            partners::name,
            imported_events::source_url,
            imported_events::import_id.is_not_null(),
        ))
        .first(conn)
        .optional()
}

#[cfg(test)]
mod tests {
    use super::backoff_minutes;

    #[test]
    fn a_status_line_carries_no_control_characters() {
        let line = super::status_line("not an iCalendar file: \u{0}\u{1}\nrest");
        assert_eq!(line, "not an iCalendar file:    rest");
        assert_eq!(super::status_line(&"x".repeat(600)).chars().count(), 501);
    }

    #[test]
    fn backoff_doubles_up_to_a_day() {
        assert_eq!(backoff_minutes(60, 1), 120);
        assert_eq!(backoff_minutes(60, 3), 480);
        assert_eq!(backoff_minutes(60, 10), 24 * 60);
        // A weekly feed never retries sooner than weekly.
        assert_eq!(backoff_minutes(7 * 24 * 60, 2), 7 * 24 * 60);
    }
}
