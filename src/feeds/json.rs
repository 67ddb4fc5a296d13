//! JSON API v1 output shapes (shared/API.md). Never carries private contact data: partner rows
//! are read without their contact columns, and these structs have no place for them.

use crate::domain::access::{Accessibility, Shown};
use chrono::NaiveDate;
use serde::Serialize;

use crate::db::models::{Partner, Venue};
use crate::db::queries::catalog::ActionView;
use crate::db::queries::events::EventView;
use crate::domain::event::occurrence_key;
use crate::domain::time;

/// Builds absolute links from the configured base URL.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
}

impl Links {
    pub fn new(base_url: &str) -> Links {
        Links {
            base: base_url.trim_end_matches('/').to_string(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn page(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `webcal://` form of a feed URL, for one-click subscribe.
    pub fn webcal(&self, path: &str) -> String {
        let full = self.page(path);
        match full.split_once("://") {
            Some((_, rest)) => format!("webcal://{rest}"),
            None => full,
        }
    }

    /// Google Calendar's "add by URL" link for a feed.
    pub fn google_subscribe(&self, path: &str) -> String {
        format!(
            "https://calendar.google.com/calendar/r?cid={}",
            percent_encode(&self.webcal(path))
        )
    }

    /// Outlook's "subscribe from web" link for a feed.
    pub fn outlook_subscribe(&self, path: &str, name: &str) -> String {
        format!(
            "https://outlook.live.com/calendar/0/addfromweb?url={}&name={}",
            percent_encode(&self.page(path)),
            percent_encode(name)
        )
    }

    /// Host part of the base URL, used as the right-hand side of generated UIDs.
    pub fn host(&self) -> &str {
        let rest = self
            .base
            .split_once("://")
            .map_or(self.base.as_str(), |(_, r)| r);
        let host = rest.split(['/', ':']).next().unwrap_or(rest);
        if host.is_empty() {
            "turnout.invalid"
        } else {
            host
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (for query values).
pub fn percent_encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Debug, Serialize)]
pub struct VenueJson {
    pub id: i32,
    pub name: String,
    pub address: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub timezone: Option<String>,
    /// Without `lat`/`lon` of its own: the centre of its postal code or city, where `near`
    /// places it.
    pub approximate_location: Option<LatLon>,
    /// The default of its events' accessibility.
    pub accessibility: Shown,
}

#[derive(Debug, Serialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl From<&Venue> for VenueJson {
    fn from(v: &Venue) -> Self {
        VenueJson {
            id: v.id,
            name: v.name.clone(),
            address: v.address.clone(),
            city: v.city.clone(),
            region: v.region.clone(),
            postal_code: v.postal_code.clone(),
            country: v.country.clone(),
            lat: v.lat,
            lon: v.lon,
            timezone: v.timezone.clone(),
            approximate_location: v.point().filter(|(_, approximate)| *approximate).map(
                |(p, _)| LatLon {
                    lat: p.lat,
                    lon: p.lon,
                },
            ),
            accessibility: Accessibility::over(v.access().as_ref(), None),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ActionRef {
    pub slug: String,
    pub title: String,
}

#[derive(Debug, Serialize)]
pub struct PartnerRole {
    pub slug: String,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Serialize)]
pub struct EventJson {
    pub id: i32,
    pub uid: String,
    pub title: String,
    pub description: String,
    pub start: String,
    pub end: String,
    pub start_utc: String,
    pub end_utc: String,
    pub timezone: String,
    pub all_day: bool,
    pub status: String,
    pub sequence: i32,
    pub venue: Option<VenueJson>,
    pub online_url: Option<String>,
    pub info_url: Option<String>,
    pub action: Option<ActionRef>,
    pub partners: Vec<PartnerRole>,
    pub tags: Vec<String>,
    pub url: String,
    pub html_url: String,
    pub ics_url: String,
    pub created_at: String,
    pub updated_at: String,
    /// A series (or one of its occurrences): the rule and the excluded dates.
    pub recurrence: Option<RecurrenceJson>,
    /// One occurrence of a series: its key, the local start under the rule.
    pub occurrence: Option<String>,
    /// A series: its changed or cancelled occurrences.
    pub occurrences: Vec<OccurrenceJson>,
    /// After a change of a series' rule or time: the changed occurrences it dropped.
    pub dropped_occurrences: Vec<String>,
    /// In a listing filtered by `near`: how far its venue is from that point, in km.
    pub distance_km: Option<f64>,
    /// Who can come: the event's own accessibility over its venue's, every field present.
    pub accessibility: Shown,
}

#[derive(Debug, Serialize)]
pub struct RecurrenceJson {
    pub rrule: String,
    pub exdates: Vec<String>,
}

/// A changed or cancelled occurrence, as its series lists it.
#[derive(Debug, Serialize)]
pub struct OccurrenceJson {
    pub occurrence: String,
    pub start: String,
    pub end: String,
    pub start_utc: String,
    pub end_utc: String,
    pub status: String,
    pub title: String,
    /// The change as given (event fields over the series).
    pub changes: serde_json::Value,
    pub updated_at: String,
}

impl EventJson {
    pub fn new(v: &EventView, links: &Links) -> EventJson {
        let e = &v.event;
        let tz = v.tz();
        let (start, end) = if e.all_day {
            let last = e.end_local.date().pred_opt().unwrap_or(e.end_local.date());
            (e.start_local.date().to_string(), last.to_string())
        } else {
            (
                time::local_rfc3339(tz, e.start_utc),
                time::local_rfc3339(tz, e.end_utc),
            )
        };
        let page = links.page(&format!("/events/{}", e.id));
        EventJson {
            id: e.id,
            uid: e.uid.clone(),
            title: e.title.clone(),
            description: e.description.clone(),
            start,
            end,
            start_utc: time::utc_rfc3339(e.start_utc),
            end_utc: time::utc_rfc3339(e.end_utc),
            timezone: e.timezone.clone(),
            all_day: e.all_day,
            // A deleted event that still shows (feeds) reads as cancelled.
            status: if e.deleted_at.is_some() {
                "cancelled".into()
            } else {
                e.status.clone()
            },
            sequence: e.sequence,
            venue: v.venue.as_ref().map(VenueJson::from),
            online_url: e.online_url.clone(),
            info_url: e.info_url.clone(),
            action: v.action.as_ref().map(|(slug, title)| ActionRef {
                slug: slug.clone(),
                title: title.clone(),
            }),
            partners: v
                .partners
                .iter()
                .map(|p| PartnerRole {
                    slug: p.slug.clone(),
                    name: p.name.clone(),
                    role: p.role.clone(),
                })
                .collect(),
            tags: v.tags.clone(),
            url: page.clone(),
            html_url: page,
            ics_url: links.page(&format!("/events/{}.ics", e.id)),
            created_at: time::utc_rfc3339(e.created_at),
            updated_at: time::utc_rfc3339(e.updated_at),
            recurrence: e.rrule.as_ref().map(|rrule| RecurrenceJson {
                rrule: rrule.clone(),
                exdates: v
                    .exdates()
                    .into_iter()
                    .map(|t| occurrence_key(t, e.all_day))
                    .collect(),
            }),
            occurrence: v.occurrence.map(|t| occurrence_key(t, e.all_day)),
            occurrences: v
                .overrides
                .iter()
                .map(|o| {
                    let r = &o.row;
                    let (start, end) = if e.all_day {
                        let last = r.end_local.date().pred_opt().unwrap_or(r.end_local.date());
                        (r.start_local.date().to_string(), last.to_string())
                    } else {
                        (
                            time::local_rfc3339(tz, r.start_utc),
                            time::local_rfc3339(tz, r.end_utc),
                        )
                    };
                    OccurrenceJson {
                        occurrence: occurrence_key(r.occurrence_local, e.all_day),
                        start,
                        end,
                        start_utc: time::utc_rfc3339(r.start_utc),
                        end_utc: time::utc_rfc3339(r.end_utc),
                        status: r.status.clone(),
                        title: r.title.clone(),
                        changes: serde_json::from_str(&r.patch)
                            .unwrap_or_else(|_| serde_json::json!({})),
                        updated_at: time::utc_rfc3339(r.updated_at),
                    }
                })
                .collect(),
            dropped_occurrences: v
                .dropped_occurrences
                .iter()
                .map(|t| occurrence_key(*t, e.all_day))
                .collect(),
            accessibility: v.access(),
            distance_km: None,
        }
    }

    /// With the distance of its venue from a `near` point (rounded to 10 m).
    pub fn at_distance(self, km: Option<f64>) -> EventJson {
        EventJson {
            distance_km: km.map(|d| (d * 100.0).round() / 100.0),
            ..self
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PartnerJson {
    pub slug: String,
    pub name: String,
    pub website: Option<String>,
    pub description: String,
    pub url: String,
    pub ics_url: String,
    pub webcal_url: String,
    pub google_calendar_url: String,
    pub outlook_url: String,
}

impl PartnerJson {
    pub fn new(p: &Partner, links: &Links) -> PartnerJson {
        PartnerJson {
            slug: p.slug.clone(),
            name: p.name.clone(),
            website: p.website.clone(),
            description: p.description.clone(),
            url: links.page(&format!("/partners/{}", p.slug)),
            ics_url: links.page(&format!("/partners/{}.ics", p.slug)),
            webcal_url: links.webcal(&format!("/partners/{}.ics", p.slug)),
            google_calendar_url: links.google_subscribe(&format!("/partners/{}.ics", p.slug)),
            outlook_url: links.outlook_subscribe(&format!("/partners/{}.ics", p.slug), &p.name),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct LeadPartner {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct ActionJson {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub hashtags: Vec<String>,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub partners: Vec<LeadPartner>,
    pub event_count: i64,
    pub city_count: i64,
    pub url: String,
    pub ics_url: String,
    pub webcal_url: String,
    pub google_calendar_url: String,
    pub outlook_url: String,
}

impl ActionJson {
    pub fn new(v: &ActionView, links: &Links) -> ActionJson {
        let a = &v.action;
        ActionJson {
            slug: a.slug.clone(),
            title: a.title.clone(),
            description: a.description.clone(),
            hashtags: a.hashtag_list(),
            first_day: a.first_day,
            last_day: a.last_day,
            partners: v
                .partners
                .iter()
                .map(|(slug, name)| LeadPartner {
                    slug: slug.clone(),
                    name: name.clone(),
                })
                .collect(),
            event_count: v.event_count,
            city_count: v.city_count,
            url: links.page(&format!("/actions/{}", a.slug)),
            ics_url: links.page(&format!("/actions/{}.ics", a.slug)),
            webcal_url: links.webcal(&format!("/actions/{}.ics", a.slug)),
            google_calendar_url: links.google_subscribe(&format!("/actions/{}.ics", a.slug)),
            outlook_url: links.outlook_subscribe(&format!("/actions/{}.ics", a.slug), &a.title),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links() {
        let l = Links::new("https://cal.example.org:8443/");
        assert_eq!(l.page("/x.ics"), "https://cal.example.org:8443/x.ics");
        assert_eq!(l.webcal("/x.ics"), "webcal://cal.example.org:8443/x.ics");
        assert_eq!(l.host(), "cal.example.org");
        assert_eq!(
            l.google_subscribe("/a.ics"),
            "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fcal.example.org%3A8443%2Fa.ics"
        );
        assert_eq!(
            l.outlook_subscribe("/a.ics", "Día de acción"),
            "https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fcal.example.org%3A8443%2Fa.ics&name=D%C3%ADa%20de%20acci%C3%B3n"
        );
    }
}

#[derive(Debug, Serialize)]
pub struct SlugTitle {
    pub slug: String,
    pub title: String,
}

#[derive(Debug, Serialize)]
pub struct SlugName {
    pub slug: String,
    pub name: String,
}

/// An online action as the API answers it.
#[derive(Debug, Serialize)]
pub struct OnlineActionJson {
    pub id: i32,
    pub uid: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub action: Option<SlugTitle>,
    pub partners: Vec<SlugName>,
    pub url: String,
    pub goal: Option<i32>,
    pub count: Option<i32>,
    pub deadline: Option<String>,
    pub timezone: String,
    pub status: String,
    pub html_url: String,
    pub created_at: String,
    pub updated_at: String,
}

impl OnlineActionJson {
    pub fn new(v: &crate::db::queries::online::OnlineView, links: &Links) -> OnlineActionJson {
        let r = &v.row;
        OnlineActionJson {
            id: r.id,
            uid: r.uid.clone(),
            kind: r.kind.clone(),
            title: r.title.clone(),
            description: r.description.clone(),
            action: v.action.as_ref().map(|(slug, title)| SlugTitle {
                slug: slug.clone(),
                title: title.clone(),
            }),
            partners: v
                .partners
                .iter()
                .map(|(slug, name)| SlugName {
                    slug: slug.clone(),
                    name: name.clone(),
                })
                .collect(),
            url: r.url.clone(),
            goal: r.goal,
            count: r.count,
            deadline: r.deadline.map(|d| d.to_string()),
            timezone: r.timezone.clone(),
            status: r.status.clone(),
            html_url: links.page(&format!("/online-actions/{}", r.id)),
            created_at: crate::domain::time::utc_rfc3339(r.created_at),
            updated_at: crate::domain::time::utc_rfc3339(r.updated_at),
        }
    }
}
