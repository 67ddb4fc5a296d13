//! Events: the input shape (API, import, admin form), PATCH merging, and validation into a draft
//! whose time is resolved (wall time + zone → UTC) before anything touches the database.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::access::Accessibility;
use super::catalog::{tags, VenueDraft, VenueInput};
use super::message::Msg;
use super::recurrence::{self, Rule, Series};
use super::time::{self, LocalInput};
use super::{line, required_line, text, url, Errors};
use crate::error::AppError;

pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 20_000;
pub const MAX_PARTNERS: usize = 50;
pub const MAX_TAGS: usize = 20;
/// Longest timed event; longer spans should be all-day events.
pub const MAX_TIMED_DAYS: i64 = 31;
pub const MAX_ALL_DAY_DAYS: i64 = 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Confirmed,
    Tentative,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Tentative => "tentative",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "confirmed" => Some(Status::Confirmed),
            "tentative" => Some(Status::Tentative),
            "cancelled" => Some(Status::Cancelled),
            _ => None,
        }
    }
}

/// Moderation state: only approved events are public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Approved,
    Pending,
    Rejected,
}

impl Review {
    pub fn as_str(self) -> &'static str {
        match self {
            Review::Approved => "approved",
            Review::Pending => "pending",
            Review::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Review> {
        match s {
            "approved" => Some(Review::Approved),
            "pending" => Some(Review::Pending),
            "rejected" => Some(Review::Rejected),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
pub enum Role {
    #[default]
    #[serde(rename = "host")]
    Host,
    #[serde(rename = "co-host")]
    CoHost,
    #[serde(rename = "endorser")]
    Endorser,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Host => "host",
            Role::CoHost => "co-host",
            Role::Endorser => "endorser",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "host" => Some(Role::Host),
            "co-host" => Some(Role::CoHost),
            "endorser" => Some(Role::Endorser),
            _ => None,
        }
    }

    /// Hosts and co-hosts may edit an event; endorsers only lend their name.
    pub fn may_edit(self) -> bool {
        matches!(self, Role::Host | Role::CoHost)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerRef {
    pub slug: String,
    #[serde(default)]
    pub role: Role,
}

/// An event as partner sites, `turnout import` and the admin send it (see shared/API.md).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub all_day: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<VenueInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_id: Option<i32>,
    #[serde(default)]
    pub online_url: Option<String>,
    #[serde(default)]
    pub info_url: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub partners: Option<Vec<PartnerRef>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub status: Option<Status>,
    /// A series: the rule and the excluded dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<RecurrenceInput>,
    /// Who can come: what the event offers (a field not given is its venue's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accessibility: Option<Accessibility>,
}

/// `recurrence` as given: `{"rrule": "FREQ=WEEKLY;BYDAY=TU", "exdates": ["2027-01-05T18:00"]}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecurrenceInput {
    #[serde(default)]
    pub rrule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exdates: Option<Vec<String>>,
    /// Changed or cancelled occurrences: key (`2027-01-12T18:00`) → the change, as
    /// `PATCH …/occurrences/{key}` takes it. Given, they become the series' changes (a key left
    /// out returns to the rule); left out, the stored changes stay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<BTreeMap<String, serde_json::Map<String, serde_json::Value>>>,
}

/// A validated series: the rule anchored at the event's start, the dates it skips, and when its
/// last occurrence ends (`None`: never).
#[derive(Debug, Clone, PartialEq)]
pub struct RecurrenceDraft {
    pub series: Series,
    pub exdates: Vec<NaiveDateTime>,
    pub end_utc: Option<NaiveDateTime>,
    /// `changes` as given, keys parsed (`None`: keep the stored ones).
    pub changes: Option<Vec<OccurrenceChange>>,
}

/// One occurrence's change as an event's input gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct OccurrenceChange {
    /// The occurrence's local start under the rule.
    pub key: NaiveDateTime,
    /// The key as given, for error fields (`recurrence.changes.{given}`).
    pub given: String,
    /// A merge patch over the series (fields `OCCURRENCE_FIELDS`, checked when written).
    pub patch: serde_json::Map<String, serde_json::Value>,
}

/// Where an event happens, as given.
#[derive(Debug, Clone, PartialEq)]
pub enum VenueChoice {
    None,
    Existing(i32),
    New(Box<VenueDraft>),
}

/// Resolved time of an event. `*_local` + `timezone` are the truth; `*_utc` derive from them
/// (the UTC value also records which occurrence of an ambiguous wall time was meant).
/// All-day events: `start_local` is the first day at 00:00, `end_local` the day *after* the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub timezone: Tz,
    pub all_day: bool,
    pub start_local: NaiveDateTime,
    pub end_local: NaiveDateTime,
    pub start_utc: NaiveDateTime,
    pub end_utc: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    pub uid: Option<String>,
    pub title: String,
    pub description: String,
    pub timing: Timing,
    pub venue: VenueChoice,
    pub online_url: Option<String>,
    pub info_url: Option<String>,
    pub action: Option<String>,
    pub partners: Vec<PartnerRef>,
    pub tags: Vec<String>,
    pub status: Status,
    pub recurrence: Option<RecurrenceDraft>,
    pub accessibility: Option<Accessibility>,
}

/// What validation needs to know about an existing venue named by `venue_id`.
pub enum VenueLookup {
    Missing,
    Found { timezone: Option<String> },
}

fn check_uid(e: &mut Errors, uid: Option<&str>) -> Option<String> {
    let uid = uid?.trim();
    if uid.is_empty() || uid.len() > 255 || !uid.bytes().all(|b| b.is_ascii_graphic()) {
        e.push("uid", Msg::BadUid);
        return None;
    }
    Some(uid.to_string())
}

impl EventInput {
    /// Validates everything; `venue_by_id` answers for `venue_id`.
    pub fn validate(
        self,
        venue_by_id: impl FnOnce(i32) -> VenueLookup,
    ) -> Result<EventDraft, AppError> {
        let mut e = Errors::default();
        let uid = check_uid(&mut e, self.uid.as_deref());
        let title = required_line(&mut e, "title", self.title.as_deref(), MAX_TITLE);
        let description = text(
            &mut e,
            "description",
            self.description.as_deref(),
            MAX_DESCRIPTION,
        );
        let online_url = url(&mut e, "online_url", self.online_url.as_deref());
        let info_url = url(&mut e, "info_url", self.info_url.as_deref());

        let mut venue_zone: Option<String> = None;
        let venue = match (self.venue, self.venue_id) {
            (Some(_), Some(_)) => {
                e.push("venue_id", Msg::VenueAndId);
                VenueChoice::None
            }
            (Some(v), None) => {
                let draft = v.check(&mut e, "venue.");
                venue_zone = draft.timezone.map(|z| z.name().to_string());
                VenueChoice::New(Box::new(draft))
            }
            (None, Some(id)) => match venue_by_id(id) {
                VenueLookup::Missing => {
                    e.push("venue_id", Msg::NoVenue { id });
                    VenueChoice::None
                }
                VenueLookup::Found { timezone } => {
                    venue_zone = timezone;
                    VenueChoice::Existing(id)
                }
            },
            (None, None) => VenueChoice::None,
        };
        if venue == VenueChoice::None && online_url.is_none() && e.is_empty() {
            e.push("venue", Msg::VenueOrOnline);
        }

        let all_day = self.all_day.unwrap_or(false);
        let zone_name = self
            .timezone
            .as_deref()
            .map(str::trim)
            .filter(|z| !z.is_empty())
            .map(str::to_string)
            .or(venue_zone);
        let zone = match zone_name {
            Some(name) => match time::parse_zone(&name) {
                Ok(tz) => Some(tz),
                Err(m) => {
                    e.push("timezone", m);
                    None
                }
            },
            None if all_day => Some(Tz::UTC),
            None => {
                e.push("timezone", Msg::ZoneRequired);
                None
            }
        };
        let timing = zone.and_then(|tz| {
            if all_day {
                all_day_timing(&mut e, tz, self.start.as_deref(), self.end.as_deref())
            } else {
                timed(&mut e, tz, self.start.as_deref(), self.end.as_deref())
            }
        });

        // A venue created inline without a zone takes the event's.
        let venue = match (venue, zone) {
            (VenueChoice::New(mut v), Some(tz)) if v.timezone.is_none() && !all_day => {
                v.timezone = Some(tz);
                VenueChoice::New(v)
            }
            (v, _) => v,
        };

        let partners = self.partners.unwrap_or_default();
        if partners.len() > MAX_PARTNERS {
            e.push(
                "partners",
                Msg::TooMany {
                    len: partners.len(),
                    max: MAX_PARTNERS,
                },
            );
        }
        for (i, p) in partners.iter().enumerate() {
            if partners[..i].iter().any(|q| q.slug == p.slug) {
                e.push(
                    format!("partners[{i}].slug"),
                    Msg::ListedTwice {
                        slug: p.slug.clone(),
                    },
                );
            }
        }
        let tags = tags(&mut e, "tags", self.tags.as_deref(), MAX_TAGS);
        let action = line(&mut e, "action", self.action.as_deref(), 64);
        let accessibility = self
            .accessibility
            .and_then(|a| a.check(&mut e, "accessibility."));
        let recurrence = match (&self.recurrence, &timing) {
            (Some(r), Some(t)) => recurrence(&mut e, r, t),
            _ => None,
        };

        match timing {
            Some(timing) if e.is_empty() => Ok(EventDraft {
                uid,
                title,
                description,
                timing,
                venue,
                online_url,
                info_url,
                action,
                partners,
                tags,
                status: self.status.unwrap_or_default(),
                recurrence,
                accessibility,
            }),
            _ => Err(AppError::Validation(e.into_vec())),
        }
    }
}

/// Checks `recurrence` against the event's resolved time: the rule (field `recurrence.rrule`),
/// anchored at the start, and each excluded date (`recurrence.exdates[i]`), which must be one
/// of the series' occurrences.
fn recurrence(e: &mut Errors, r: &RecurrenceInput, t: &Timing) -> Option<RecurrenceDraft> {
    let text = r.rrule.as_deref().map(str::trim).unwrap_or_default();
    if text.is_empty() {
        e.push("recurrence.rrule", Msg::Required);
        return None;
    }
    let series =
        match Rule::parse(text).and_then(|rule| Series::new(rule, t.timezone, t.start_local)) {
            Ok(s) => s,
            Err(m) => {
                e.push("recurrence.rrule", m);
                return None;
            }
        };
    let given = r.exdates.as_deref().unwrap_or_default();
    if given.len() > recurrence::MAX_EXDATES {
        e.push(
            "recurrence.exdates",
            Msg::TooMany {
                len: given.len(),
                max: recurrence::MAX_EXDATES,
            },
        );
        return None;
    }
    let mut exdates = Vec::with_capacity(given.len());
    for (i, text) in given.iter().enumerate() {
        let field = format!("recurrence.exdates[{i}]");
        let local = parse_occurrence_key(text, t.all_day);
        match local {
            Ok(local) if series.contains(local) => exdates.push(local),
            Ok(local) => e.push(
                field,
                Msg::NotOccurrence {
                    key: occurrence_key(local, t.all_day),
                },
            ),
            Err(m) => e.push(field, m),
        }
    }
    exdates.sort();
    exdates.dedup();
    let changes = r
        .changes
        .as_ref()
        .map(|given| occurrence_changes(e, given, t.all_day));
    let end_utc = series.last().map(|last| occurrence_timing(t, last).end_utc);
    Some(RecurrenceDraft {
        series,
        exdates,
        end_utc,
        changes,
    })
}

/// Reads the keys of `recurrence.changes` (field `recurrence.changes.{key}`). Whether each names
/// an occurrence, and whether its change fits, is checked when it is written: a change the
/// series already had and no longer fits after the series changed is dropped and reported.
fn occurrence_changes(
    e: &mut Errors,
    given: &BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    all_day: bool,
) -> Vec<OccurrenceChange> {
    if given.len() > recurrence::MAX_EXDATES {
        e.push(
            "recurrence.changes",
            Msg::TooMany {
                len: given.len(),
                max: recurrence::MAX_EXDATES,
            },
        );
        return Vec::new();
    }
    let mut out: Vec<OccurrenceChange> = Vec::with_capacity(given.len());
    for (text, patch) in given {
        let field = format!("recurrence.changes.{text}");
        let local = parse_occurrence_key(text, all_day);
        match local {
            Ok(key) if out.iter().any(|c| c.key == key) => e.push(
                field,
                Msg::Text(format!("{} is given twice", occurrence_key(key, all_day))),
            ),
            Ok(key) => out.push(OccurrenceChange {
                key,
                given: text.clone(),
                patch: patch.clone(),
            }),
            Err(m) => e.push(field, m),
        }
    }
    out.sort_by_key(|c| c.key);
    out
}

/// The local start an occurrence key names (see [`occurrence_key`]): a date for an all-day
/// series, else a local date and time (an offset, if given, is ignored: the key is the rule's
/// wall time).
pub fn parse_occurrence_key(text: &str, all_day: bool) -> Result<NaiveDateTime, Msg> {
    if all_day {
        time::parse_date(text).map(|d| d.and_time(chrono::NaiveTime::MIN))
    } else {
        time::parse_local(text).map(|l| l.wall)
    }
}

/// How an occurrence is named in the API (`PATCH …/occurrences/{key}`, `occurrence`, `exdates`):
/// its local start, `2027-01-12T18:00` (seconds only when not zero), or the date of an all-day
/// series.
pub fn occurrence_key(local: NaiveDateTime, all_day: bool) -> String {
    if all_day {
        local.date().to_string()
    } else if chrono::Timelike::second(&local) != 0 {
        local.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        local.format("%Y-%m-%dT%H:%M").to_string()
    }
}

/// The time of the occurrence of a series (timed by `t`, its first) that starts at local `start`:
/// its instant placed as RFC 5545 says (a wall time in a DST gap moves forward by the gap, one in
/// an overlap is the first), ending at the first occurrence's wall-clock end: the overnight vigil
/// from 11 pm to 5 am ends at 5 am on the nights the clocks change too (5 or 7 hours), as
/// calendar clients repeat DTSTART and DTEND (python's `recurring-ical-events` and ical.js both
/// do). An occurrence whose start a gap moved, or that starts in an overlap, lasts the first's
/// wall-clock length after its instant. The first occurrence is as stored. All-day occurrences
/// last the same number of days.
pub fn occurrence_timing(t: &Timing, start: NaiveDateTime) -> Timing {
    if t.all_day {
        let end = start + (t.end_local - t.start_local);
        return Timing {
            start_local: start,
            end_local: end,
            start_utc: time::start_of_day(t.timezone, start.date()),
            end_utc: time::start_of_day(t.timezone, end.date()),
            ..*t
        };
    }
    if start == t.start_local {
        return *t;
    }
    use chrono::TimeZone;
    let start_utc = recurrence::place(t.timezone, start).0;
    let length = t.end_local - t.start_local;
    let end_utc = if recurrence::exact(t.timezone, start) {
        recurrence::place(t.timezone, start + length).0
    } else {
        start_utc + length
    };
    let end_local = t.timezone.from_utc_datetime(&end_utc).naive_local();
    Timing {
        start_local: start,
        end_local,
        start_utc,
        end_utc,
        ..*t
    }
}

fn timed(e: &mut Errors, tz: Tz, start: Option<&str>, end: Option<&str>) -> Option<Timing> {
    let mut one = |field: &str, v: Option<&str>| -> Option<time::Resolved> {
        let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
            e.push(field, Msg::TimeRequired);
            return None;
        };
        let parsed: Result<LocalInput, Msg> = time::parse_local(v);
        match parsed.and_then(|input| time::resolve(tz, input)) {
            Ok(r) => Some(r),
            Err(m) => {
                e.push(field, m);
                None
            }
        }
    };
    let start = one("start", start);
    let end = one("end", end);
    let (start, end) = (start?, end?);
    if end.utc <= start.utc {
        e.push(
            "end",
            Msg::EndNotAfterStart {
                end: end.local.format("%Y-%m-%dT%H:%M").to_string(),
                start: start.local.format("%Y-%m-%dT%H:%M").to_string(),
            },
        );
        return None;
    }
    if end.utc - start.utc > Duration::days(MAX_TIMED_DAYS) {
        e.push(
            "end",
            Msg::TimedTooLong {
                days: MAX_TIMED_DAYS,
            },
        );
        return None;
    }
    Some(Timing {
        timezone: tz,
        all_day: false,
        start_local: start.local,
        end_local: end.local,
        start_utc: start.utc,
        end_utc: end.utc,
    })
}

fn all_day_timing(
    e: &mut Errors,
    tz: Tz,
    start: Option<&str>,
    end: Option<&str>,
) -> Option<Timing> {
    let mut day = |field: &str, v: &str| -> Option<chrono::NaiveDate> {
        if v.contains('T') || v.contains(':') {
            e.push(
                field,
                Msg::AllDayWithTime {
                    input: v.to_string(),
                },
            );
            return None;
        }
        match time::parse_date(v) {
            Ok(d) => Some(d),
            Err(m) => {
                e.push(field, m);
                None
            }
        }
    };
    let Some(start_text) = start.map(str::trim).filter(|v| !v.is_empty()) else {
        e.push("start", Msg::Required);
        return None;
    };
    let first = day("start", start_text);
    let last = match end.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => day("end", v),
        None => first,
    };
    let (first, last) = (first?, last?);
    if last < first {
        e.push(
            "end",
            Msg::AllDayLastBeforeFirst {
                last: last.to_string(),
                first: first.to_string(),
            },
        );
        return None;
    }
    if (last - first).num_days() >= MAX_ALL_DAY_DAYS {
        e.push(
            "end",
            Msg::AllDayTooLong {
                days: MAX_ALL_DAY_DAYS,
            },
        );
        return None;
    }
    let after = last.succ_opt()?;
    Some(Timing {
        timezone: tz,
        all_day: true,
        start_local: first.and_time(chrono::NaiveTime::MIN),
        end_local: after.and_time(chrono::NaiveTime::MIN),
        start_utc: time::start_of_day(tz, first),
        end_utc: time::start_of_day(tz, after),
    })
}

/// Applies a PATCH body (JSON merge patch, RFC 7386) to the current input form of an event.
/// Giving `venue` drops the current `venue_id` and the other way round.
pub fn merge_patch(
    current: &EventInput,
    patch: serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Value, AppError> {
    let mut base = serde_json::to_value(current)?;
    let serde_json::Value::Object(obj) = &mut base else {
        return Err(AppError::Unexpected(anyhow::anyhow!(
            "event input is not an object"
        )));
    };
    if patch.contains_key("venue") {
        obj.remove("venue_id");
    }
    if patch.contains_key("venue_id") {
        obj.remove("venue");
    }
    if let Some(uid) = patch.get("uid") {
        if uid.as_str() != current.uid.as_deref() {
            return Err(AppError::field("uid", "an event's uid never changes"));
        }
    }
    // Occurrence changes merge one level only: each is itself a patch over the series, whose
    // nulls mean something ("action": null, no day of action for that date). `"changes": null`
    // drops every change (absent, they would stay).
    let mut patch = patch;
    let changes = patch
        .get_mut("recurrence")
        .and_then(serde_json::Value::as_object_mut)
        .and_then(|r| r.remove("changes"));
    for (k, v) in patch {
        merge_value(obj.entry(k).or_insert(serde_json::Value::Null), v);
    }
    obj.retain(|_, v| !v.is_null());
    if let (Some(given), Some(serde_json::Value::Object(r))) = (changes, obj.get_mut("recurrence"))
    {
        match given {
            serde_json::Value::Object(given) => {
                let stored = r.entry("changes").or_insert_with(|| serde_json::json!({}));
                if let serde_json::Value::Object(stored) = stored {
                    for (key, change) in given {
                        match change {
                            serde_json::Value::Null => {
                                stored.remove(&key);
                            }
                            serde_json::Value::Object(change) => {
                                let entry =
                                    stored.entry(key).or_insert_with(|| serde_json::json!({}));
                                match entry {
                                    serde_json::Value::Object(entry) => {
                                        compose_change(entry, change)
                                    }
                                    other => *other = serde_json::Value::Object(change),
                                }
                            }
                            // Not an object: the input's own check names it.
                            other => {
                                stored.insert(key, other);
                            }
                        }
                    }
                }
            }
            serde_json::Value::Null => {
                r.insert("changes".into(), serde_json::json!({}));
            }
            other => {
                r.insert("changes".into(), other);
            }
        }
    }
    Ok(base)
}

/// One occurrence's change `patch` over the change it had (`stored`): its fields replace those
/// it names, nulls kept (a null is the change: no online link that date), and a venue given one
/// way (inline or by id) replaces one given the other.
pub fn compose_change(
    stored: &mut serde_json::Map<String, serde_json::Value>,
    patch: serde_json::Map<String, serde_json::Value>,
) {
    if patch.contains_key("venue") {
        stored.remove("venue_id");
    }
    if patch.contains_key("venue_id") {
        stored.remove("venue");
    }
    stored.extend(patch);
}

fn merge_value(target: &mut serde_json::Value, patch: serde_json::Value) {
    match (target, patch) {
        (serde_json::Value::Object(t), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(&k);
                } else {
                    merge_value(t.entry(k).or_insert(serde_json::Value::Null), v);
                }
            }
        }
        (t, p) => *t = p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(start: &str, end: &str, tz: &str) -> EventInput {
        EventInput {
            title: Some("March".into()),
            start: Some(start.into()),
            end: Some(end.into()),
            timezone: Some(tz.into()),
            online_url: Some("https://meet.example/x".into()),
            ..Default::default()
        }
    }

    fn fields(err: AppError) -> Vec<String> {
        match err {
            AppError::Validation(f) => f
                .into_iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn timed_event_resolves() {
        let d = input(
            "2027-09-13T16:00",
            "2027-09-13T19:00",
            "America/Los_Angeles",
        )
        .validate(|_| VenueLookup::Missing)
        .unwrap();
        assert_eq!(
            time::utc_rfc3339(d.timing.start_utc),
            "2027-09-13T23:00:00Z"
        );
        assert_eq!(time::utc_rfc3339(d.timing.end_utc), "2027-09-14T02:00:00Z");
    }

    #[test]
    fn end_before_start_names_end() {
        let err = input(
            "2027-09-13T16:00",
            "2027-09-13T15:00",
            "America/Los_Angeles",
        )
        .validate(|_| VenueLookup::Missing)
        .unwrap_err();
        assert_eq!(
            fields(err),
            ["end: 2027-09-13T15:00 is not after start 2027-09-13T16:00"]
        );
    }

    #[test]
    fn event_across_fall_back_uses_instants() {
        // 00:30 EDT → 01:30 EST is two hours.
        let d = input(
            "2027-11-07T00:30",
            "2027-11-07T01:30-05:00",
            "America/New_York",
        )
        .validate(|_| VenueLookup::Missing)
        .unwrap();
        assert_eq!((d.timing.end_utc - d.timing.start_utc).num_hours(), 2);
    }

    #[test]
    fn all_day_with_time_is_rejected() {
        let mut i = input("2027-09-13T16:00", "2027-09-14", "America/Chicago");
        i.all_day = Some(true);
        let f = fields(i.validate(|_| VenueLookup::Missing).unwrap_err());
        assert!(
            f[0].starts_with("start: \"2027-09-13T16:00\" has a time"),
            "{f:?}"
        );
    }

    #[test]
    fn all_day_end_is_inclusive_last_day() {
        let mut i = input("2027-09-13", "2027-09-15", "America/Chicago");
        i.all_day = Some(true);
        let d = i.validate(|_| VenueLookup::Missing).unwrap();
        assert_eq!(d.timing.end_local.date().to_string(), "2027-09-16");
        let mut one = input("2027-09-13", "", "America/Chicago");
        one.all_day = Some(true);
        one.end = None;
        let d = one.validate(|_| VenueLookup::Missing).unwrap();
        assert_eq!(d.timing.end_local.date().to_string(), "2027-09-14");
    }

    #[test]
    fn zone_defaults_to_venue() {
        let mut i = input("2027-09-13T16:00", "2027-09-13T19:00", "");
        i.timezone = None;
        i.venue_id = Some(3);
        let d = i
            .validate(|id| {
                assert_eq!(id, 3);
                VenueLookup::Found {
                    timezone: Some("Pacific/Honolulu".into()),
                }
            })
            .unwrap();
        assert_eq!(d.timing.timezone, chrono_tz::Pacific::Honolulu);
        let mut none = input("2027-09-13T16:00", "2027-09-13T19:00", "");
        none.timezone = None;
        let f = fields(none.validate(|_| VenueLookup::Missing).unwrap_err());
        assert!(f[0].starts_with("timezone: is required"), "{f:?}");
    }

    #[test]
    fn merge_patch_replaces_and_nulls() {
        let mut cur = input("2027-09-13T16:00", "2027-09-13T19:00", "America/New_York");
        cur.venue_id = Some(4);
        cur.info_url = Some("https://x.org".into());
        let patch =
            serde_json::json!({"title": "New", "info_url": null, "venue": {"name": "Park"}});
        let merged = merge_patch(&cur, patch.as_object().unwrap().clone()).unwrap();
        let back: EventInput = serde_json::from_value(merged).unwrap();
        assert_eq!(back.title.as_deref(), Some("New"));
        assert_eq!(back.info_url, None);
        assert_eq!(back.venue_id, None);
        assert_eq!(back.venue.and_then(|v| v.name).as_deref(), Some("Park"));
    }
}
