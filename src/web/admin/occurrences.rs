//! A series in the admin: the dates its form will store (the preview, computed by the domain
//! code that stores them), its next occurrences on the edit page, and the buttons that cancel,
//! restore, remove or change one of them (`POST /admin/events/{id}/occurrences/{op}`).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Datelike, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::form::EventForm;
use super::{checked_form, principal, redirect, refused, render_stored, require, Extras};
use crate::db::queries::events::{self as q, EventView};
use crate::domain::event::{occurrence_key, occurrence_timing, EventDraft, Timing};
use crate::domain::time;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::i18n::Lang;
use crate::web::pages::{view, Ctx};

/// How many dates the preview shows.
pub const PREVIEW: usize = 5;
/// How many of a series' next occurrences its edit page lists.
pub const LISTED: usize = 10;

/// The first three letters of a weekday or month name ("Tue", "mar").
fn short(name: &str) -> String {
    name.chars().take(3).collect()
}

/// One occurrence as the admin shows it, in the event's zone with its weekday and the zone's
/// abbreviation at that instant: "Tue, Mar 16, 2027, 6:00 PM PDT" / "mar, 16 mar 2027, 18:00
/// PDT"; an all-day one by its date.
pub fn date_label(lang: Lang, t: &Timing) -> String {
    let tz: Tz = t.timezone;
    let start = Utc.from_utc_datetime(&t.start_utc).with_timezone(&tz);
    let d = if t.all_day {
        t.start_local.date()
    } else {
        start.date_naive()
    };
    let (wd, mon) = (
        short(lang.weekday(d.weekday())),
        short(lang.month(d.month())),
    );
    let day = match lang {
        Lang::En => format!("{wd}, {mon} {}, {}", d.day(), d.year()),
        Lang::Es => format!("{wd}, {} {mon} {}", d.day(), d.year()),
    };
    if t.all_day {
        return day;
    }
    let clock = match lang {
        Lang::En => start.format("%-I:%M %p").to_string(),
        Lang::Es => start.format("%H:%M").to_string(),
    };
    format!(
        "{day}, {clock} {}",
        view::zone_abbreviation(tz, t.start_utc)
    )
}

/// The next `PREVIEW` dates a validated form will store (from now, or from its start if that is
/// later), excluded dates skipped; a single event's own date. `changes`: those the series has
/// (editing one), which the save keeps where the new rule still has their date: a moved one is
/// shown at its own time, and a changed or cancelled one says so.
pub fn preview(
    draft: &EventDraft,
    changes: &[q::Override],
    lang: Lang,
    now: NaiveDateTime,
) -> Vec<String> {
    let t = &draft.timing;
    let Some(r) = &draft.recurrence else {
        return vec![date_label(lang, t)];
    };
    let now_local = t.timezone.from_utc_datetime(&now).naive_local();
    let from = now_local.max(t.start_local);
    r.series
        .after(from, PREVIEW + r.exdates.len())
        .into_iter()
        .filter(|k| !r.exdates.contains(k))
        .take(PREVIEW)
        .map(|k| {
            let plain = occurrence_timing(t, k);
            let Some(o) = changes.iter().find(|o| o.row.occurrence_local == k) else {
                return date_label(lang, &plain);
            };
            // A change that gives its own time keeps it; the others follow the series.
            let moved = serde_json::from_str::<serde_json::Value>(&o.row.patch)
                .is_ok_and(|p| p.get("start").is_some() || p.get("end").is_some());
            let timing = if moved {
                Timing {
                    start_local: o.row.start_local,
                    end_local: o.row.end_local,
                    start_utc: o.row.start_utc,
                    end_utc: o.row.end_utc,
                    ..plain
                }
            } else {
                plain
            };
            let mark = if o.row.status == "cancelled" {
                lang.t("admin_occ_cancelled")
            } else {
                lang.t("admin_occ_changed")
            };
            format!("{} ({mark})", date_label(lang, &timing))
        })
        .collect()
}

/// One of a series' next occurrences on its edit page, with what its change form shows.
pub struct OccurrenceItem {
    /// Its key (`2027-03-16T18:00`).
    pub key: String,
    pub label: String,
    pub cancelled: bool,
    /// It has a change of its own.
    pub changed: bool,
    pub title: String,
    pub start: String,
    pub end: String,
    pub all_day: bool,
    /// Why its change was refused (the values above are then as typed).
    pub error: Option<String>,
}

/// What an occurrence's change form shows: title, start, end (dates for an all-day series).
fn shown_values(o: &EventView) -> (String, String, String) {
    let e = &o.event;
    if e.all_day {
        let last = e.end_local.date().pred_opt().unwrap_or(e.end_local.date());
        (
            e.title.clone(),
            e.start_local.date().to_string(),
            last.to_string(),
        )
    } else {
        let tz = o.tz();
        (
            e.title.clone(),
            time::local_input_string(tz, e.start_local, e.start_utc),
            time::local_input_string(tz, e.end_local, e.end_utc),
        )
    }
}

/// A series' next `LISTED` occurrences (changes applied, excluded dates left out).
pub fn items(v: &EventView, lang: Lang, now: NaiveDateTime) -> Vec<OccurrenceItem> {
    v.upcoming(now, LISTED)
        .iter()
        .filter_map(|o| {
            let key = o.occurrence?;
            let (title, start, end) = shown_values(o);
            Some(OccurrenceItem {
                key: occurrence_key(key, v.event.all_day),
                label: date_label(lang, &o.timing()),
                cancelled: o.event.status == "cancelled",
                changed: v.overrides.iter().any(|r| r.row.occurrence_local == key),
                title,
                start,
                end,
                all_day: v.event.all_day,
                error: None,
            })
        })
        .collect()
}

/// A change of one occurrence that was refused: its key, the message, and what was typed.
pub struct OccurrenceError {
    pub key: String,
    pub message: String,
    pub title: String,
    pub start: String,
    pub end: String,
}

/// Takes back the cancellation of one date: a date whose change was only that returns to the
/// rule (its change is dropped); one changed otherwise too keeps the rest.
fn restore_occurrence(
    c: &mut crate::db::DbConn,
    who: &crate::auth::Principal,
    id: i32,
    key: &str,
) -> Result<(), AppError> {
    let v = q::view_by_id(c, id)?;
    let local = q::occurrence_of(&v, key)?;
    let rest: Option<serde_json::Map<String, serde_json::Value>> = v
        .overrides
        .iter()
        .find(|o| o.row.occurrence_local == local)
        .and_then(|o| serde_json::from_str(&o.row.patch).ok())
        .map(|mut patch: serde_json::Map<String, serde_json::Value>| {
            patch.remove("status");
            patch
        });
    match rest {
        Some(rest) if rest.is_empty() => {
            let name = occurrence_key(local, v.event.all_day);
            q::update_with(c, who, id, |current| {
                let mut input = current.to_input(false);
                if let Some(changes) = input.recurrence.as_mut().and_then(|r| r.changes.as_mut()) {
                    changes.remove(&name);
                }
                Ok(input)
            })
            .map(|_| ())
        }
        _ => {
            let patch = serde_json::Map::from_iter([("status".to_string(), "confirmed".into())]);
            q::change_occurrence(c, who, id, key, patch).map(|_| ())
        }
    }
}

/// `POST /admin/events/{id}/occurrences/{op}` with `occurrence` (its key): `cancel`, `restore`,
/// `remove` (an excluded date) or `change` (`title`, `start`, `end`; only what differs from what
/// the occurrence shows becomes part of its change).
pub async fn occurrence_op(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i32, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    let pairs = match checked_form(&req, &state, &user, &body)? {
        Ok(pairs) => pairs,
        Err(refused) => return Ok(refused),
    };
    let (id, op) = path.into_inner();
    let form = EventForm::from_pairs(pairs);
    let key = form.get("occurrence").trim().to_string();
    let who = principal(&user);
    let lang = Ctx::new(&req, &state, "").lang;
    let typed = (
        form.get("title").trim().to_string(),
        form.get("start").trim().to_string(),
        form.get("end").trim().to_string(),
    );
    let result = match op.as_str() {
        "cancel" => {
            let patch = serde_json::Map::from_iter([("status".to_string(), "cancelled".into())]);
            let k = key.clone();
            state
                .write(move |c| q::change_occurrence(c, &who, id, &k, patch).map(|_| ()))
                .await
        }
        "restore" => {
            let k = key.clone();
            state
                .write(move |c| restore_occurrence(c, &who, id, &k))
                .await
        }
        "remove" => {
            let k = key.clone();
            state
                .write(move |c| q::exclude_occurrence(c, &who, id, &k).map(|_| ()))
                .await
        }
        "change" => {
            let (k, typed) = (key.clone(), typed.clone());
            state
                .write(move |c| {
                    let v = q::view_by_id(c, id)?;
                    q::authorize(c, &who, id)?;
                    let local = q::occurrence_of(&v, &k)?;
                    let (title, start, end) = shown_values(&v.occurrence_view(local));
                    let mut patch = serde_json::Map::new();
                    for (name, now, given) in [
                        ("title", title, typed.0),
                        ("start", start, typed.1),
                        ("end", end, typed.2),
                    ] {
                        if given != now {
                            patch.insert(name.to_string(), given.into());
                        }
                    }
                    if patch.is_empty() {
                        return Ok(());
                    }
                    q::change_occurrence(c, &who, id, &k, patch).map(|_| ())
                })
                .await
        }
        _ => Err(AppError::NotFound(format!("no operation {op:?}"))),
    };
    match result {
        Ok(()) => Ok(redirect(&format!(
            "/admin/events/{id}/edit?done=occurrence_{op}"
        ))),
        Err(AppError::Validation(fields)) => {
            let message = fields
                .iter()
                .map(|f| lang.field_message(f))
                .collect::<Vec<_>>()
                .join("; ");
            let who = principal(&user);
            let v = crate::db::run(&state.pool, move |c| {
                let v = q::view_by_id(c, id)?;
                q::authorize(c, &who, id)?;
                Ok(v)
            })
            .await?;
            render_stored(
                &req,
                &state,
                user,
                &v,
                Extras {
                    occurrence_error: Some(OccurrenceError {
                        key,
                        message,
                        title: typed.0,
                        start: typed.1,
                        end: typed.2,
                    }),
                    ..Extras::default()
                },
            )
            .await
        }
        Err(e) => refused(&req, &state, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn timing(tz: Tz, start: &str, hours: i64) -> Timing {
        let local = NaiveDateTime::parse_from_str(start, "%Y-%m-%dT%H:%M").unwrap();
        let (utc, _) = crate::domain::recurrence::place(tz, local);
        Timing {
            timezone: tz,
            all_day: false,
            start_local: local,
            end_local: local + chrono::Duration::hours(hours),
            start_utc: utc,
            end_utc: utc + chrono::Duration::hours(hours),
        }
    }

    #[test]
    fn labels_carry_weekday_and_the_zone_at_that_instant() {
        let la = chrono_tz::America::Los_Angeles;
        assert_eq!(
            date_label(Lang::En, &timing(la, "2027-03-16T18:00", 1)),
            "Tue, Mar 16, 2027, 6:00 PM PDT"
        );
        assert_eq!(
            date_label(Lang::En, &timing(la, "2027-03-09T18:00", 1)),
            "Tue, Mar 9, 2027, 6:00 PM PST"
        );
        assert_eq!(
            date_label(Lang::Es, &timing(la, "2027-03-16T18:00", 1)),
            "mar, 16 mar 2027, 18:00 PDT"
        );
        let day = NaiveDate::from_ymd_opt(2027, 1, 6)
            .unwrap()
            .and_time(chrono::NaiveTime::MIN);
        let all_day = Timing {
            all_day: true,
            start_local: day,
            end_local: day + chrono::Duration::days(1),
            ..timing(la, "2027-01-06T00:00", 24)
        };
        assert_eq!(date_label(Lang::Es, &all_day), "mié, 6 ene 2027");
    }
}
