//! Demo data modeled on the #NoTechForICE campaign, shifted into the coming weeks.
//! `turnout serve --demo` loads it into an empty database only.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use crate::auth::Principal;
use crate::db::queries::{catalog, events, online};
use crate::db::{self, DbConn};
use crate::domain::catalog::{ActionDraft, ActionInput, PartnerDraft, PartnerInput, VenueInput};
use crate::domain::event::{EventInput, PartnerRef, RecurrenceInput, Status};
use crate::domain::online::OnlineActionInput;
use crate::error::AppError;

const DATA: &str = include_str!("demo/demo.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoSet {
    partners: Vec<PartnerInput>,
    venues: Vec<DemoVenue>,
    actions: Vec<DemoAction>,
    events: Vec<DemoEvent>,
    online_actions: Vec<DemoOnline>,
}

/// An online action; its deadline, like every demo date, relative to today.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoOnline {
    #[serde(flatten)]
    input: OnlineActionInput,
    deadline_offset: Option<i64>,
}

/// A venue of the demo set: `key` (how events name it) plus the venue input fields.
struct DemoVenue {
    key: String,
    venue: VenueInput,
}

impl<'de> Deserialize<'de> for DemoVenue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let key = match map.remove("key") {
            Some(serde_json::Value::String(k)) => k,
            _ => return Err(serde::de::Error::missing_field("key")),
        };
        let venue = serde_json::from_value(serde_json::Value::Object(map))
            .map_err(serde::de::Error::custom)?;
        Ok(DemoVenue { key, venue })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoAction {
    slug: String,
    title: String,
    description: String,
    hashtags: Vec<String>,
    first_day_offset: i64,
    last_day_offset: i64,
    partners: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoEvent {
    title: String,
    description: String,
    day_offset: i64,
    #[serde(default)]
    last_day_offset: Option<i64>,
    start: Option<String>,
    end: Option<String>,
    all_day: bool,
    timezone: String,
    venue: Option<String>,
    online_url: Option<String>,
    info_url: Option<String>,
    action: Option<String>,
    partners: Vec<PartnerRef>,
    tags: Vec<String>,
    status: Status,
    /// A series: its RRULE (the start's weekday is the rule's).
    #[serde(default)]
    repeat: Option<String>,
    #[serde(default)]
    accessibility: Option<crate::domain::access::Accessibility>,
}

/// Loads the demo set when the database holds no events and no partners. Returns events loaded.
pub fn load_if_empty(
    conn: &mut DbConn,
    today: NaiveDate,
    uid_host: &str,
) -> Result<usize, AppError> {
    let partner_count = catalog::list_partners(conn)?.len();
    if events::count_events(conn)? > 0 || partner_count > 0 {
        return Ok(0);
    }
    let set: DemoSet = serde_json::from_str(DATA)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("demo data is broken: {e}")))?;
    let day = |offset: i64| today + Duration::days(offset);
    let who = Principal::cli("demo");
    db::write_tx(conn, |conn| {
        for p in set.partners {
            catalog::create_partner(conn, &PartnerDraft::try_from(p)?)?;
        }
        for a in set.actions {
            let draft = ActionDraft::try_from(ActionInput {
                slug: Some(a.slug),
                title: Some(a.title),
                description: Some(a.description),
                hashtags: Some(a.hashtags),
                first_day: Some(day(a.first_day_offset).to_string()),
                last_day: Some(day(a.last_day_offset).to_string()),
                partners: Some(a.partners),
            })?;
            catalog::create_action(conn, &draft)?;
        }
        let venues: HashMap<String, VenueInput> =
            set.venues.into_iter().map(|v| (v.key, v.venue)).collect();
        let count = set.events.len();
        for (i, e) in set.events.into_iter().enumerate() {
            let date = day(e.day_offset);
            let (start, end) = if e.all_day {
                (
                    date.to_string(),
                    day(e.last_day_offset.unwrap_or(e.day_offset)).to_string(),
                )
            } else {
                let at = |t: Option<String>| t.map(|t| format!("{date}T{t}")).unwrap_or_default();
                (at(e.start), at(e.end))
            };
            let input = EventInput {
                uid: Some(format!("demo-{:03}@{uid_host}", i + 1)),
                title: Some(e.title),
                description: Some(e.description),
                start: Some(start),
                end: Some(end),
                timezone: Some(e.timezone),
                all_day: Some(e.all_day),
                venue: e.venue.and_then(|k| venues.get(&k).cloned()),
                venue_id: None,
                online_url: e.online_url,
                info_url: e.info_url,
                action: e.action,
                partners: Some(e.partners),
                tags: Some(e.tags),
                status: Some(e.status),
                recurrence: e.repeat.map(|rrule| RecurrenceInput {
                    rrule: Some(rrule),
                    exdates: None,
                    changes: None,
                }),
                accessibility: e.accessibility,
            };
            events::create(conn, &who, input, uid_host)?;
        }
        for o in set.online_actions {
            let mut input = o.input;
            input.deadline = o.deadline_offset.map(|d| day(d).to_string());
            online::create(conn, &who, input, uid_host)?;
        }
        Ok(count)
    })
}
