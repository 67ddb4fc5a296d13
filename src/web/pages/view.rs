//! View models for pages: events, days, places, links, as the templates show them.

use crate::domain::access::{said, Phrase, Shown, Wheelchair};
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::json;

use crate::db::queries::events::EventView;
use crate::feeds::ical::location;
use crate::feeds::json::{percent_encode, Links};
use crate::web::i18n::Lang;

/// The longest page description, in characters (what search results show of one).
pub const DESCRIPTION_MAX: usize = 155;

/// `text` as a page description: one line (every run of whitespace or control characters becomes
/// one space) of at most [`DESCRIPTION_MAX`] characters, cut at a word boundary with "…".
pub fn summary(text: &str) -> String {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let line = words.join(" ");
    if line.chars().count() <= DESCRIPTION_MAX {
        return line;
    }
    // Room for the ellipsis; then back to the last space, unless that leaves too little (one
    // very long word), where the word is cut instead.
    let cut: String = line.chars().take(DESCRIPTION_MAX - 1).collect();
    let kept = match cut.rfind(' ') {
        Some(i) if cut[..i].chars().count() >= DESCRIPTION_MAX / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    let kept = kept.trim_end_matches([' ', ',', ';', ':']);
    format!("{kept}…")
}

/// One event in a list.
pub struct EventCard {
    pub id: i32,
    pub title: String,
    pub path: String,
    /// RFC 3339 with the event's offset, for `<time datetime>` and the "your time" script.
    pub start_iso: String,
    pub end_iso: String,
    pub all_day: bool,
    pub local_date: NaiveDate,
    /// "Monday, September 13, 2027".
    pub date_label: String,
    pub time_label: String,
    pub venue_name: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub online: bool,
    pub cancelled: bool,
    pub tentative: bool,
    pub partners: Vec<PartnerRef>,
    pub action: Option<(String, String)>,
    /// In a listing filtered by `near`: "3.2 mi away" / "a 5,1 km".
    pub distance: Option<String>,
    /// Who can come, in the page's language (each with its icon's kind).
    pub access: Vec<Phrase>,
    pub access_notes: Option<String>,
}

/// Cards of a listing, each with how far it is when the listing is filtered by `near` (the
/// venues within its radius, and the unit its radius was asked in).
pub fn cards_near(
    views: &[EventView],
    near: Option<&crate::db::queries::events::NearVenues>,
    unit: Option<crate::geo::Unit>,
    lang: Lang,
) -> Vec<EventCard> {
    views
        .iter()
        .map(|v| EventCard {
            distance: near
                .and_then(|n| n.of(v))
                .zip(unit)
                .map(|(km, unit)| distance_label(lang, km, unit)),
            ..EventCard::new(v, lang)
        })
        .collect()
}

/// How far a venue is, in the unit the reader asked the radius in.
pub fn distance_label(lang: Lang, km: f64, unit: crate::geo::Unit) -> String {
    let (value, unit) = match unit {
        crate::geo::Unit::Km => (km, "km"),
        crate::geo::Unit::Mi => (km / crate::geo::KM_PER_MILE, "mi"),
    };
    let n = format!("{value:.1}");
    match lang {
        Lang::En => format!("{n} {unit} away"),
        Lang::Es => format!("a {} {unit}", n.replace('.', ",")),
    }
}

pub struct PartnerRef {
    pub slug: String,
    pub name: String,
    pub role: String,
}

fn clock(lang: Lang, t: &chrono::DateTime<Tz>) -> String {
    match lang {
        Lang::En => t.format("%-I:%M %p").to_string(),
        Lang::Es => t.format("%H:%M").to_string(),
    }
}

/// "Monday, September 13, 2027" / "lunes, 13 de septiembre de 2027".
pub fn day_label(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::En => format!(
            "{}, {} {}, {}",
            lang.weekday(d.weekday()),
            lang.month(d.month()),
            d.day(),
            d.year()
        ),
        Lang::Es => format!(
            "{}, {} de {} de {}",
            lang.weekday(d.weekday()),
            d.day(),
            lang.month(d.month()),
            d.year()
        ),
    }
}

fn short_day(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::En => format!("{} {}", lang.month(d.month()), d.day()),
        Lang::Es => format!("{} de {}", d.day(), lang.month(d.month())),
    }
}

impl EventCard {
    pub fn new(v: &EventView, lang: Lang) -> EventCard {
        let e = &v.event;
        let tz = v.tz();
        let access = v.access();
        let start = Utc.from_utc_datetime(&e.start_utc).with_timezone(&tz);
        let end = Utc.from_utc_datetime(&e.end_utc).with_timezone(&tz);
        let time_label = if e.all_day {
            let last = e.end_local.date().pred_opt().unwrap_or(e.end_local.date());
            if last == e.start_local.date() {
                lang.t("all_day").to_string()
            } else {
                format!("{} – {}", lang.t("all_day"), short_day(lang, last))
            }
        } else {
            let (sa, ea) = (start.format("%Z").to_string(), end.format("%Z").to_string());
            if start.date_naive() == end.date_naive() && sa == ea {
                format!("{} – {} {}", clock(lang, &start), clock(lang, &end), sa)
            } else if start.date_naive() == end.date_naive() {
                format!(
                    "{} {} – {} {}",
                    clock(lang, &start),
                    sa,
                    clock(lang, &end),
                    ea
                )
            } else {
                format!(
                    "{} {} – {}, {} {}",
                    clock(lang, &start),
                    sa,
                    short_day(lang, end.date_naive()),
                    clock(lang, &end),
                    ea
                )
            }
        };
        EventCard {
            id: e.id,
            title: e.title.clone(),
            path: format!("/events/{}", e.id),
            start_iso: crate::domain::time::local_rfc3339(tz, e.start_utc),
            end_iso: crate::domain::time::local_rfc3339(tz, e.end_utc),
            all_day: e.all_day,
            local_date: e.start_local.date(),
            date_label: day_label(lang, e.start_local.date()),
            time_label,
            venue_name: v.venue.as_ref().map(|x| x.name.clone()),
            city: v.venue.as_ref().and_then(|x| x.city.clone()),
            region: v.venue.as_ref().and_then(|x| x.region.clone()),
            online: e.online_url.is_some(),
            cancelled: e.status == "cancelled" || e.deleted_at.is_some(),
            tentative: e.status == "tentative",
            partners: v
                .partners
                .iter()
                .map(|p| PartnerRef {
                    slug: p.slug.clone(),
                    name: p.name.clone(),
                    role: p.role.clone(),
                })
                .collect(),
            distance: None,
            action: v.action.clone(),
            access: access.phrases(lang.code()),
            access_notes: access.notes,
        }
    }

    /// "Host: Mijente · co-host: Tech Workers Coalition" is shown as names only in lists.
    pub fn partner_names(&self) -> String {
        self.partners
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn place(&self) -> String {
        [self.venue_name.as_deref(), self.city.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Events of one local day.
pub struct Day {
    pub iso: String,
    pub label: String,
    pub events: Vec<EventCard>,
}

/// Groups cards by their local start date (each in its own zone), days in order.
pub fn by_day(cards: Vec<EventCard>, lang: Lang, newest_first: bool) -> Vec<Day> {
    let mut cards = cards;
    // Stable: within a day, the query's start order stays.
    if newest_first {
        cards.sort_by_key(|c| std::cmp::Reverse(c.local_date));
    } else {
        cards.sort_by_key(|c| c.local_date);
    }
    let mut days: Vec<Day> = Vec::new();
    for c in cards {
        match days.last_mut() {
            Some(d) if d.iso == c.local_date.to_string() => d.events.push(c),
            _ => days.push(Day {
                iso: c.local_date.to_string(),
                label: day_label(lang, c.local_date),
                events: vec![c],
            }),
        }
    }
    days
}

/// Subscribe links of one feed.
pub struct Subscribe {
    pub https: String,
    pub webcal: String,
    pub google: String,
    pub outlook: String,
    /// The same events as an Atom feed, for feed readers.
    pub atom: String,
}

impl Subscribe {
    pub fn new(links: &Links, feed_path: &str, name: &str) -> Subscribe {
        Subscribe {
            atom: links.page(&crate::feeds::atom::atom_path(feed_path)),
            https: links.page(feed_path),
            webcal: links.webcal(feed_path),
            google: links.google_subscribe(feed_path),
            outlook: links.outlook_subscribe(feed_path, name),
        }
    }
}

fn compact_utc(t: chrono::NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// "Add this one event" links for Google Calendar and Outlook.
pub fn add_event_links(v: &EventView, links: &Links) -> (String, String) {
    let e = &v.event;
    let page = links.page(&format!("/events/{}", e.id));
    let details = format!("{}\n\n{page}", e.description);
    let loc = location(v).unwrap_or_default();
    let dates = if e.all_day {
        format!(
            "{}/{}",
            e.start_local.format("%Y%m%d"),
            e.end_local.format("%Y%m%d")
        )
    } else {
        format!("{}/{}", compact_utc(e.start_utc), compact_utc(e.end_utc))
    };
    let google = format!(
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text={}&dates={}&details={}&location={}&ctz={}",
        percent_encode(&e.title),
        dates,
        percent_encode(&details),
        percent_encode(&loc),
        percent_encode(&e.timezone)
    );
    let (start, end) = if e.all_day {
        (
            e.start_local.format("%Y-%m-%d").to_string(),
            e.end_local.format("%Y-%m-%d").to_string(),
        )
    } else {
        (
            crate::domain::time::utc_rfc3339(e.start_utc),
            crate::domain::time::utc_rfc3339(e.end_utc),
        )
    };
    let outlook = format!(
        "https://outlook.live.com/calendar/0/deeplink/compose?path=%2Fcalendar%2Faction%2Fcompose&rru=addevent&subject={}&startdt={}&enddt={}&allday={}&location={}&body={}",
        percent_encode(&e.title),
        percent_encode(&start),
        percent_encode(&end),
        e.all_day,
        percent_encode(&loc),
        percent_encode(&details)
    );
    (google, outlook)
}

/// The abbreviation of `tz` at `utc` ("PST"; chrono-tz gives numeric ones like "+0530" where
/// the zone has none).
pub fn zone_abbreviation(tz: Tz, utc: chrono::NaiveDateTime) -> String {
    use chrono::{Offset, TimeZone};
    let offset = tz.offset_from_utc_datetime(&utc);
    match chrono_tz::OffsetName::abbreviation(&offset) {
        Some(a) if !a.is_empty() => a.to_string(),
        _ => crate::domain::time::format_offset(offset.fix().local_minus_utc()),
    }
}

/// schema.org `Event` as JSON-LD, safe to put inside `<script type="application/ld+json">`.
pub fn json_ld(v: &EventView, links: &Links) -> String {
    json_ld_shown(v, v, links)
}

/// [`json_ld`] of an event that `shown` stands for on its page: a series' next occurrence, its
/// rule as a schema.org `eventSchedule`.
pub fn json_ld_shown(series: &EventView, shown: &EventView, links: &Links) -> String {
    let v = shown;
    let e = &v.event;
    let tz = v.tz();
    let (start, end) = if e.all_day {
        let last = e.end_local.date().pred_opt().unwrap_or(e.end_local.date());
        (e.start_local.date().to_string(), last.to_string())
    } else {
        (
            crate::domain::time::local_rfc3339(tz, e.start_utc),
            crate::domain::time::local_rfc3339(tz, e.end_utc),
        )
    };
    let status = if e.status == "cancelled" || e.deleted_at.is_some() {
        "https://schema.org/EventCancelled"
    } else {
        "https://schema.org/EventScheduled"
    };
    let access = v.access();
    let mut locations = Vec::new();
    if let Some(venue) = &v.venue {
        let mut place = json!({
            "@type": "Place",
            "name": venue.name,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": venue.address,
                "addressLocality": venue.city,
                "addressRegion": venue.region,
                "postalCode": venue.postal_code,
                "addressCountry": venue.country,
            }
        });
        if let (Some(lat), Some(lon)) = (venue.lat, venue.lon) {
            place["geo"] = json!({"@type": "GeoCoordinates", "latitude": lat, "longitude": lon});
        }
        let features = amenity_features(&access);
        if !features.is_empty() {
            place["amenityFeature"] = json!(features);
        }
        locations.push(place);
    }
    if let Some(url) = &e.online_url {
        locations.push(json!({"@type": "VirtualLocation", "url": url}));
    }
    let mode = match (v.venue.is_some(), e.online_url.is_some()) {
        (true, true) => "https://schema.org/MixedEventAttendanceMode",
        (false, true) => "https://schema.org/OnlineEventAttendanceMode",
        _ => "https://schema.org/OfflineEventAttendanceMode",
    };
    let organizers: Vec<_> = v
        .partners
        .iter()
        .filter(|p| p.role != "endorser")
        .map(|p| json!({"@type": "Organization", "name": p.name, "url": links.page(&format!("/partners/{}", p.slug))}))
        .collect();
    let doc = json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": e.title,
        "description": e.description,
        "startDate": start,
        "endDate": end,
        "eventStatus": status,
        "eventAttendanceMode": mode,
        "location": locations,
        "organizer": organizers,
        "url": links.page(&format!("/events/{}", e.id)),
    });
    let mut doc = doc;
    if !access.interpretation.is_empty() {
        // The languages it is given in: interpreted into these.
        doc["inLanguage"] = json!(access.interpretation);
    }
    if let Some(schedule) = schedule(series) {
        doc["eventSchedule"] = schedule;
    }
    script_json(&doc)
}

/// What the place offers as schema.org `LocationFeatureSpecification`s (English names, as
/// schema.org's examples give them).
fn amenity_features(a: &Shown) -> Vec<serde_json::Value> {
    let feature = |name: &str, value: bool| json!({"@type": "LocationFeatureSpecification", "name": name, "value": value});
    let mut out = Vec::new();
    match a.wheelchair {
        Some(Wheelchair::Full) => out.push(feature(said("wheelchair", "en"), true)),
        Some(Wheelchair::Partial) => out.push(feature(said("wheelchair-partial", "en"), true)),
        Some(Wheelchair::None) => out.push(feature(said("wheelchair", "en"), false)),
        None => {}
    }
    for (offered, kind) in [
        (a.asl, "asl"),
        (a.captions, "captions"),
        (a.childcare, "childcare"),
    ] {
        if offered {
            out.push(feature(said(kind, "en"), true));
        }
    }
    out
}

/// A series' rule as schema.org `Schedule`.
fn schedule(v: &EventView) -> Option<serde_json::Value> {
    use crate::domain::recurrence::{Freq, Until};
    let s = v.series()?;
    let r = &s.rule;
    let unit = match r.freq {
        Freq::Daily => "D",
        Freq::Weekly => "W",
        Freq::Monthly => "M",
        Freq::Yearly => "Y",
    };
    let weekday = |d: chrono::Weekday| {
        format!(
            "https://schema.org/{}",
            WEEKDAY_NAMES[d.num_days_from_monday() as usize]
        )
    };
    let mut doc = json!({
        "@type": "Schedule",
        "repeatFrequency": format!("P{}{unit}", r.interval),
        "startDate": v.event.start_local.date().to_string(),
        "scheduleTimezone": v.event.timezone,
    });
    if !v.event.all_day {
        doc["startTime"] = json!(v.event.start_local.format("%H:%M").to_string());
        doc["endTime"] = json!(v.event.end_local.format("%H:%M").to_string());
    }
    if !r.by_day.is_empty() {
        // schema.org's byDay takes weekdays, or iCalendar BYDAY text for ordinals ("1TH").
        let days: Vec<String> = r
            .by_day
            .iter()
            .map(|d| match d.ordinal {
                None => weekday(d.weekday),
                Some(n) => format!("{n}{}", &format!("{:?}", d.weekday)[..2].to_uppercase()),
            })
            .collect();
        doc["byDay"] = json!(days);
    }
    if !r.by_month_day.is_empty() {
        doc["byMonthDay"] = json!(r.by_month_day);
    }
    if !r.by_month.is_empty() {
        doc["byMonth"] = json!(r.by_month);
    }
    if let Some(count) = r.count {
        doc["repeatCount"] = json!(count);
    }
    if let Some(until) = r.until {
        let date = match until {
            Until::Date(d) => d,
            Until::Local(t) => t.date(),
            Until::Utc(t) => {
                use chrono::TimeZone;
                v.tz().from_utc_datetime(&t).date_naive()
            }
        };
        doc["endDate"] = json!(date.to_string());
    }
    let except: Vec<String> = v.exdates().iter().map(|t| t.date().to_string()).collect();
    if !except.is_empty() {
        doc["exceptDate"] = json!(except);
    }
    Some(doc)
}

const WEEKDAY_NAMES: [&str; 7] = crate::domain::message::WEEKDAYS_EN;

/// JSON for a `<script type="application/ld+json">` element: `</script>` or `<!--` in user text
/// must not end or confuse the element.
pub fn script_json(doc: &serde_json::Value) -> String {
    doc.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::{summary, DESCRIPTION_MAX};

    #[test]
    fn summary_is_one_line() {
        assert_eq!(
            summary("  Bring signs.\r\n\tAnd\u{0}water.\u{2028}"),
            "Bring signs. And water."
        );
        assert_eq!(summary(" \n "), "");
    }

    #[test]
    fn summary_cuts_long_text_at_a_word() {
        let text = "March with us, ".repeat(20);
        let s = summary(&text);
        assert!(s.chars().count() <= DESCRIPTION_MAX, "{s}");
        let kept = s.strip_suffix('…').expect("an ellipsis");
        let line = text.trim_end();
        assert!(line.starts_with(kept), "{s}");
        assert!(
            line[kept.len()..].starts_with([' ', ',']),
            "ends on a word: {s}"
        );
        assert!(!kept.ends_with(','), "{s}");
        let exact = "x".repeat(DESCRIPTION_MAX);
        assert_eq!(summary(&exact), exact);
    }

    #[test]
    fn summary_cuts_a_long_word_on_a_character() {
        let s = summary(&"é".repeat(400));
        assert_eq!(s.chars().count(), DESCRIPTION_MAX);
        assert!(s.ends_with("é…"));
    }
}
