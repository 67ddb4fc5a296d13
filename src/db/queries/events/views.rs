//! The read model: an event with everything it shows (`EventView`), loaded in a few batched
//! queries, and the reads of single events.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::models::*;
use crate::db::schema::{
    actions, event_occurrences, event_partners, event_tags, events, partners, tags, venues,
};
use crate::db::DbConn;
use crate::domain::access::{Accessibility, Shown};
use crate::domain::catalog::VenueInput;
use crate::domain::event::{
    occurrence_key, occurrence_timing, EventInput, PartnerRef, RecurrenceInput, Role, Status,
    Timing,
};
use crate::domain::recurrence::{Rule, Series};
use crate::domain::time;
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
    /// This view is one occurrence of its series (`event` shows that occurrence): its key, the
    /// local start under the rule.
    pub occurrence: Option<NaiveDateTime>,
    /// A series: its changed or cancelled occurrences, by key.
    pub overrides: Vec<Override>,
    /// After a change of a series' rule or time: the changed occurrences it no longer has.
    pub dropped_occurrences: Vec<NaiveDateTime>,
}

/// One changed or cancelled occurrence of a series, with the venue it shows and the day of
/// action, partners and tags of its own (`None`: the series').
#[derive(Debug, Clone)]
pub struct Override {
    pub row: OccurrenceRow,
    pub venue: Option<Venue>,
    /// Its own day of action (slug, title), or none (`Some(None)`).
    pub action: Option<Option<(String, String)>>,
    pub partners: Option<Vec<PartnerOnEvent>>,
    pub tags: Option<Vec<String>>,
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

    pub fn is_series(&self) -> bool {
        self.event.rrule.is_some()
    }

    /// The series anchored at its first occurrence (`None` for a single event, or a stored rule
    /// this build no longer reads).
    pub fn series(&self) -> Option<Series> {
        let rule = Rule::parse(self.event.rrule.as_deref()?).ok()?;
        Series::new(rule, self.tz(), self.event.start_local).ok()
    }

    /// The occurrence of this series that starts at local `key`, as a view of its own: the
    /// series' fields with the occurrence's time, and what an override changed.
    pub fn occurrence_view(&self, key: NaiveDateTime) -> EventView {
        let mut v = EventView {
            event: self.event.clone(),
            venue: self.venue.clone(),
            action: self.action.clone(),
            partners: self.partners.clone(),
            tags: self.tags.clone(),
            occurrence: Some(key),
            overrides: Vec::new(),
            dropped_occurrences: Vec::new(),
        };
        match self
            .overrides
            .iter()
            .find(|o| o.row.occurrence_local == key)
        {
            Some(o) => {
                let (e, r) = (&mut v.event, &o.row);
                e.title = r.title.clone();
                e.description = r.description.clone();
                e.venue_id = r.venue_id;
                e.online_url = r.online_url.clone();
                e.info_url = r.info_url.clone();
                e.start_local = r.start_local;
                e.end_local = r.end_local;
                e.start_utc = r.start_utc;
                e.end_utc = r.end_utc;
                e.status = r.status.clone();
                e.sequence = e.sequence.max(r.sequence);
                e.updated_at = e.updated_at.max(r.updated_at);
                v.venue = o.venue.clone();
                if let Some(action) = &o.action {
                    v.event.action_id = r.action_id;
                    v.action = action.clone();
                }
                if let Some(partners) = &o.partners {
                    v.partners = partners.clone();
                }
                if let Some(tags) = &o.tags {
                    v.tags = tags.clone();
                }
            }
            None => {
                let t = occurrence_timing(&self.timing(), key);
                let e = &mut v.event;
                e.start_local = t.start_local;
                e.end_local = t.end_local;
                e.start_utc = t.start_utc;
                e.end_utc = t.end_utc;
            }
        }
        v
    }

    /// A series' next `n` occurrences that have not ended at `now` (UTC), changes applied,
    /// excluded dates skipped.
    pub fn upcoming(&self, now: NaiveDateTime, n: usize) -> Vec<EventView> {
        use chrono::TimeZone;
        let Some(series) = self.series() else {
            return Vec::new();
        };
        let exdates = self.exdates();
        let tz = self.tz();
        let from = tz.from_utc_datetime(&now).naive_local()
            - (self.event.end_local - self.event.start_local)
            - chrono::Duration::days(2);
        let mut out: Vec<EventView> = series
            .after(from, n + exdates.len() + 8)
            .into_iter()
            .filter(|k| !exdates.contains(k))
            .map(|k| self.occurrence_view(k))
            .filter(|o| o.event.end_utc > now)
            .collect();
        out.sort_by_key(|o| o.event.start_utc);
        out.truncate(n);
        out
    }

    /// The event's stored time.
    pub fn timing(&self) -> Timing {
        let e = &self.event;
        Timing {
            timezone: self.tz(),
            all_day: e.all_day,
            start_local: e.start_local,
            end_local: e.end_local,
            start_utc: e.start_utc,
            end_utc: e.end_utc,
        }
    }

    /// A series' excluded local starts (none for a single event).
    pub fn exdates(&self) -> Vec<NaiveDateTime> {
        parse_exdates(&self.event.exdates)
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
            (Some(v), true) => (Some(venue_input(v)), None),
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
            recurrence: e.rrule.as_ref().map(|rrule| RecurrenceInput {
                rrule: Some(rrule.clone()),
                exdates: Some(
                    self.exdates()
                        .into_iter()
                        .map(|t| occurrence_key(t, e.all_day))
                        .collect(),
                ),
                changes: Some(self.changes(inline_venue)),
            }),
            accessibility: Accessibility::from_column(e.accessibility.as_deref()),
        }
    }

    /// Who can come, as the outputs show it: the event's own accessibility over its venue's
    /// (an occurrence moved elsewhere takes that venue's).
    pub fn access(&self) -> Shown {
        Accessibility::over(
            Accessibility::from_column(self.event.accessibility.as_deref()).as_ref(),
            self.venue.as_ref().and_then(Venue::access).as_ref(),
        )
    }

    /// A series' changed occurrences as its input gives them: key → the change as stored, its
    /// venue inline when `inline_venue` (a venue id means nothing to another database).
    pub fn changes(
        &self,
        inline_venue: bool,
    ) -> BTreeMap<String, serde_json::Map<String, serde_json::Value>> {
        self.overrides
            .iter()
            .map(|o| {
                let mut patch: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(&o.row.patch).unwrap_or_default();
                if let (true, Some(v)) = (inline_venue && patch.contains_key("venue_id"), &o.venue)
                {
                    patch.remove("venue_id");
                    if let Ok(venue) = serde_json::to_value(venue_input(v)) {
                        patch.insert("venue".into(), venue);
                    }
                }
                (
                    occurrence_key(o.row.occurrence_local, self.event.all_day),
                    patch,
                )
            })
            .collect()
    }
}

/// A stored venue in input form.
fn venue_input(v: &Venue) -> VenueInput {
    VenueInput {
        name: Some(v.name.clone()),
        address: v.address.clone(),
        city: v.city.clone(),
        region: v.region.clone(),
        postal_code: v.postal_code.clone(),
        country: v.country.clone(),
        lat: v.lat,
        lon: v.lon,
        timezone: v.timezone.clone(),
        accessibility: v.access(),
    }
}

/// The stored JSON array of excluded local starts (see `writes::exdates_json`).
pub fn parse_exdates(json: &str) -> Vec<NaiveDateTime> {
    serde_json::from_str::<Vec<String>>(json)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S").ok())
        .collect()
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

    let series_ids: Vec<i32> = list
        .iter()
        .filter(|e| e.rrule.is_some())
        .map(|e| e.id)
        .collect();
    let mut override_rows: Vec<OccurrenceRow> = Vec::new();
    if !series_ids.is_empty() {
        override_rows = event_occurrences::table
            .filter(event_occurrences::event_id.eq_any(&series_ids))
            .order((
                event_occurrences::event_id,
                event_occurrences::occurrence_local,
            ))
            .select(OccurrenceRow::as_select())
            .load(conn)?;
        venue_ids.extend(override_rows.iter().filter_map(|o| o.venue_id));
        venue_ids.sort_unstable();
        venue_ids.dedup();
        action_ids.extend(override_rows.iter().filter_map(|o| o.action_id));
        action_ids.sort_unstable();
        action_ids.dedup();
    }
    // Partners an occurrence names of its own: [[id, role], …].
    let own_partners: HashMap<(i32, NaiveDateTime), Vec<(i32, String)>> = override_rows
        .iter()
        .filter_map(|o| {
            let list = serde_json::from_str(o.partners.as_deref()?).ok()?;
            Some(((o.event_id, o.occurrence_local), list))
        })
        .collect();
    let mut own_partner_ids: Vec<i32> =
        own_partners.values().flatten().map(|(id, _)| *id).collect();
    own_partner_ids.sort_unstable();
    own_partner_ids.dedup();
    let partner_info: HashMap<i32, (String, String)> = if own_partner_ids.is_empty() {
        HashMap::new()
    } else {
        partners::table
            .filter(partners::id.eq_any(&own_partner_ids))
            .select((partners::id, partners::slug, partners::name))
            .load::<(i32, String, String)>(conn)?
            .into_iter()
            .map(|(id, slug, name)| (id, (slug, name)))
            .collect()
    };
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
    let mut override_map: HashMap<i32, Vec<Override>> = HashMap::new();
    for row in override_rows {
        override_map.entry(row.event_id).or_default().push({
            let names_action =
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&row.patch)
                    .is_ok_and(|p| p.contains_key("action"));
            Override {
                venue: row.venue_id.and_then(|id| venue_map.get(&id).cloned()),
                action: names_action
                    .then(|| row.action_id.and_then(|id| action_map.get(&id).cloned())),
                partners: own_partners
                    .get(&(row.event_id, row.occurrence_local))
                    .map(|list| {
                        list.iter()
                            .filter_map(|(id, role)| {
                                partner_info.get(id).map(|(slug, name)| PartnerOnEvent {
                                    id: *id,
                                    slug: slug.clone(),
                                    name: name.clone(),
                                    role: role.clone(),
                                })
                            })
                            .collect()
                    }),
                tags: row
                    .tags
                    .as_deref()
                    .and_then(|t| serde_json::from_str(t).ok()),
                row,
            }
        });
    }
    Ok(list
        .into_iter()
        .map(|event| EventView {
            occurrence: None,
            overrides: override_map.remove(&event.id).unwrap_or_default(),
            dropped_occurrences: Vec::new(),
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

pub(super) fn single_view(conn: &mut DbConn, event: Event) -> Result<EventView, AppError> {
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

/// Events by id, in the order given (missing ids are skipped).
pub fn views_by_ids(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<EventView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
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
