//! The iCalendar writer (RFC 5545, RFC 7986).
//!
//! We write the feed ourselves rather than through the `icalendar` crate's `Display`, which
//! leaves `\r` unescaped in TEXT, does not escape X- properties, and adds a fresh `DTSTAMP` and
//! random `UID` to VTIMEZONE sub-components, so the bytes (and the ETag) would change on every
//! render. The tests read our output back with python `icalendar` and Mozilla `ical.js`. Every line goes through
//! [`text::fold_line`]; every TEXT value through [`text::escape_text_into`].

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use actix_web::web::Bytes;

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::json::Links;
use super::text::{escape_text_into, fold_line, MAX_LINE_OCTETS};
use super::vtimezone::{
    push_datetime_property, push_ical_date, push_ical_datetime, write_vtimezone,
};
use crate::db::queries::events::EventView;

pub const PRODID: &str = concat!("-//Turnout//Turnout ", env!("CARGO_PKG_VERSION"), "//EN");

/// What the calendar as a whole says about itself.
#[derive(Debug, Clone)]
pub struct CalendarMeta {
    /// `NAME` / `X-WR-CALNAME`: "Turnout — Never Again Is Now".
    pub name: String,
    /// `DESCRIPTION` / `X-WR-CALDESC`.
    pub description: String,
    /// The HTML page this feed belongs to (RFC 7986 `URL`).
    pub page_url: String,
    /// The feed's own URL (RFC 7986 `SOURCE`).
    pub feed_url: String,
    /// `REFRESH-INTERVAL` and `X-PUBLISHED-TTL`.
    pub refresh_minutes: u32,
}

/// Appends `NAME:` + escaped `value` as one folded content line.
fn text_line(out: &mut String, line: &mut String, name: &str, value: &str) {
    line.clear();
    line.push_str(name);
    line.push(':');
    escape_text_into(value, line);
    fold_line(line, out);
}

/// Appends a line whose value needs no escaping (URIs we built, numbers, dates).
fn raw_line(out: &mut String, name: &str, value: &str) {
    if name.len() + 1 + value.len() <= MAX_LINE_OCTETS {
        out.push_str(name);
        out.push(':');
        out.push_str(value);
        out.push_str("\r\n");
    } else {
        let mut line = String::with_capacity(name.len() + value.len() + 1);
        line.push_str(name);
        line.push(':');
        line.push_str(value);
        fold_line(&line, out);
    }
}

/// Appends `NAME:YYYYMMDDTHHMMSSZ` (a UTC timestamp line; always short).
fn stamp_line(out: &mut String, name: &str, t: NaiveDateTime) {
    out.push_str(name);
    out.push(':');
    push_ical_datetime(out, t);
    out.push_str("Z\r\n");
}

/// Appends `NAME;VALUE=DATE:YYYYMMDD`.
fn date_line(out: &mut String, name: &str, d: NaiveDate) {
    out.push_str(name);
    out.push_str(";VALUE=DATE:");
    push_ical_date(out, d);
    out.push_str("\r\n");
}

fn duration(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (h, 0) => format!("PT{h}H"),
        (0, m) => format!("PT{m}M"),
        (h, m) => format!("PT{h}H{m}M"),
    }
}

/// An RFC 5545 duration (`PT5H`, `PT1H30M`, `P1DT2H`) of a positive length.
fn duration_of(length: chrono::Duration) -> String {
    let total = length.num_seconds().max(0);
    let (days, rest) = (total / 86_400, total % 86_400);
    let (h, m, sec) = (rest / 3600, rest % 3600 / 60, rest % 60);
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if rest > 0 || days == 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if sec > 0 || (h == 0 && m == 0) {
            out.push_str(&format!("{sec}S"));
        }
    }
    out
}

/// The venue as one line: "Palantir HQ, 100 Hamilton Ave, Palo Alto, CA 94301, US".
pub fn location(v: &EventView) -> Option<String> {
    match &v.venue {
        Some(venue) => {
            let region_postal = [venue.region.as_deref(), venue.postal_code.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let parts: Vec<&str> = [
                Some(venue.name.as_str()),
                venue.address.as_deref(),
                venue.city.as_deref(),
                Some(region_postal.as_str()).filter(|s| !s.is_empty()),
                venue.country.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect();
            Some(parts.join(", "))
        }
        None => v.event.online_url.clone(),
    }
}

/// DESCRIPTION: the organizer's text, then who, which action, the links.
fn description(v: &EventView, page: &str) -> String {
    let e = &v.event;
    let mut d = String::with_capacity(e.description.len() + 256);
    if e.shows_as_cancelled() {
        d.push_str("This event is cancelled.\n\n");
    }
    d.push_str(&e.description);
    let names = |roles: &[&str]| {
        v.partners
            .iter()
            .filter(|p| roles.contains(&p.role.as_str()))
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut facts = Vec::new();
    let hosts = names(&["host", "co-host"]);
    if !hosts.is_empty() {
        facts.push(format!("Hosted by: {hosts}"));
    }
    let endorsers = names(&["endorser"]);
    if !endorsers.is_empty() {
        facts.push(format!("Endorsed by: {endorsers}"));
    }
    if let Some((_, title)) = &v.action {
        facts.push(format!("Part of: {title}"));
    }
    if let Some(url) = &e.online_url {
        facts.push(format!("Join online: {url}"));
    }
    if let Some(line) = v.access().line() {
        facts.push(line);
    }
    if let Some(url) = &e.info_url {
        facts.push(format!("Info and RSVP: {url}"));
    }
    facts.push(format!("Details: {page}"));
    // One blank line before the facts (a cancelled event without text has one already).
    if !d.is_empty() && !d.ends_with("\n\n") {
        d.push_str("\n\n");
    }
    d.push_str(&facts.join("\n"));
    d
}

/// Instants a zone's VTIMEZONE must cover, widened to whole years so the block (and the feed's
/// bytes) stay the same while events come and go within those years.
#[derive(Debug, Clone, Copy)]
struct Span {
    first_year: i32,
    last_year: i32,
}

/// VTIMEZONE blocks by (zone, first year, last year).
type VtimezoneCache = Mutex<HashMap<(Tz, i32, i32), Arc<str>>>;

static VTIMEZONES: LazyLock<VtimezoneCache> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The VTIMEZONE of `tz` for whole years, computed once per process.
fn vtimezone(tz: Tz, span: Span) -> Arc<str> {
    let key = (tz, span.first_year, span.last_year);
    if let Some(hit) = VTIMEZONES.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return hit;
    }
    let year_start = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .map(|d| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
            .unwrap_or_else(Utc::now)
    };
    // A day of margin before: the first observance must precede every local time in the span.
    let from = year_start(span.first_year) - chrono::Duration::days(1);
    let to = year_start(span.last_year + 1);
    let mut block = String::with_capacity(1024);
    write_vtimezone(tz, from, to, &mut block);
    let block: Arc<str> = Arc::from(block);
    if let Ok(mut m) = VTIMEZONES.lock() {
        m.insert(key, block.clone());
    }
    block
}

/// What a series' master VEVENT says of its rule.
struct MasterRule {
    /// The RRULE value (UNTIL in UTC, or a DATE for all-day series).
    rule: String,
    exdates: Vec<NaiveDateTime>,
    /// The year up to which its VTIMEZONE must reach (the last occurrence, or the feed's horizon).
    last_year: Option<i32>,
    /// Occurrences (by key) whose wall time falls in a DST gap or overlap: excluded from the
    /// rule, and written as events of their own.
    shifted: Vec<NaiveDateTime>,
}

/// Appends `NAME;TZID=zone:local` and a CRLF (`NAME:localZ` in UTC); returns whether it names a
/// TZID. Used where a value must be the rule's wall time even when it is ambiguous or skipped
/// (DTSTART of a series, RECURRENCE-ID, EXDATE): clients place those as they place the rule's
/// occurrences, which is what lets the two match.
fn push_local_property(out: &mut String, name: &str, tz: Tz, local: NaiveDateTime) -> bool {
    out.push_str(name);
    let zoned = !(tz == Tz::UTC || tz == Tz::Etc__UTC);
    if zoned {
        out.push_str(";TZID=");
        out.push_str(tz.name());
    }
    out.push(':');
    push_ical_datetime(out, local);
    if !zoned {
        out.push('Z');
    }
    let ends_line = name != "DTSTART";
    if ends_line {
        out.push_str("\r\n");
    }
    zoned
}

/// Writes one VEVENT; records the zones its TZID lines name.
fn write_event(
    out: &mut String,
    line: &mut String,
    v: &EventView,
    links: &Links,
    zones: &mut BTreeMap<&'static str, (Tz, Span)>,
    recurrence: Option<&MasterRule>,
) {
    let e = &v.event;
    let page = links.page(&format!("/events/{}", e.id));
    let cancelled = e.shows_as_cancelled();
    // A removed event (deleted, or rejected after approval) stays only so that subscribed
    // calendars drop it: its identity, time and cancellation, nothing of what it said or where.
    let removed = !e.is_public();
    raw_line(out, "BEGIN", "VEVENT");
    text_line(out, line, "UID", &e.uid);
    stamp_line(out, "DTSTAMP", e.updated_at);
    if !removed {
        stamp_line(out, "CREATED", e.created_at);
        stamp_line(out, "LAST-MODIFIED", e.updated_at);
    }
    out.push_str("SEQUENCE:");
    out.push_str(&e.sequence.to_string());
    out.push_str("\r\n");
    let status = if cancelled {
        "CANCELLED"
    } else if e.status == "tentative" {
        "TENTATIVE"
    } else {
        "CONFIRMED"
    };
    raw_line(out, "STATUS", status);
    let tz = v.tz();
    let note_year = |zones: &mut BTreeMap<&'static str, (Tz, Span)>, year: i32| {
        let (_, span) = zones.entry(tz.name()).or_insert((
            tz,
            Span {
                first_year: year,
                last_year: year,
            },
        ));
        span.first_year = span.first_year.min(year);
        span.last_year = span.last_year.max(year);
    };
    // One occurrence of a series: which one it replaces, named as the rule names it.
    if let Some(key) = v.occurrence {
        if e.all_day {
            date_line(out, "RECURRENCE-ID", key.date());
        } else if push_local_property(out, "RECURRENCE-ID", tz, key) {
            note_year(zones, key.year());
        }
    }
    let master = recurrence.filter(|_| v.occurrence.is_none());
    if e.all_day {
        date_line(out, "DTSTART", e.start_local.date());
        date_line(out, "DTEND", e.end_local.date());
    } else {
        // A series whose first occurrence spans a change of the clocks (11 pm to 5 am on the
        // spring night: 5 hours) has a DURATION of its wall-clock length instead of a DTEND
        // (with a DTEND, ical.js repeats the exact length and python the wall-clock one); that
        // first night, like every night that spans a change, is an event of its own.
        let wall = e.end_local - e.start_local;
        let by_duration = master.is_some() && wall != e.end_utc - e.start_utc;
        for (name, at) in [("DTSTART", e.start_utc), ("DTEND", e.end_utc)] {
            if by_duration && name == "DTEND" {
                raw_line(out, "DURATION", &duration_of(wall));
                continue;
            }
            line.clear();
            // A series' DTSTART is its wall time in its zone, whatever it is: the rule repeats
            // that wall time (an ambiguous first start is also written as an override).
            let zoned = if master.is_some() && name == "DTSTART" {
                push_local_property(line, name, tz, e.start_local)
            } else {
                push_datetime_property(line, name, tz, at)
            };
            if zoned {
                note_year(zones, at.year());
            }
            fold_line(line, out);
        }
    }
    if let Some(r) = master {
        raw_line(out, "RRULE", &r.rule);
        if let Some(year) = r.last_year {
            note_year(zones, year);
        }
        // Occurrences in a DST gap or overlap leave the rule too (each is written as an event of
        // its own, see `render_series`). An EXDATE names the rule's wall time, even one in a gap
        // or an overlap: each client reads it as it reads the rule's instance, so they match
        // (one at an instant a client never generates would stall ical.js's later EXDATEs).
        let mut excluded: Vec<NaiveDateTime> =
            r.exdates.iter().chain(&r.shifted).copied().collect();
        excluded.sort();
        excluded.dedup();
        for x in &excluded {
            if e.all_day {
                date_line(out, "EXDATE", x.date());
            } else if push_local_property(out, "EXDATE", tz, *x) {
                note_year(zones, x.year());
            }
        }
    }
    if removed {
        raw_line(out, "SUMMARY", "Cancelled event");
        raw_line(out, "END", "VEVENT");
        return;
    }
    let summary = if cancelled {
        format!("Cancelled: {}", e.title)
    } else {
        e.title.clone()
    };
    text_line(out, line, "SUMMARY", &summary);
    text_line(out, line, "DESCRIPTION", &description(v, &page));
    if let Some(loc) = location(v) {
        text_line(out, line, "LOCATION", &loc);
    }
    if let Some(venue) = &v.venue {
        if let (Some(lat), Some(lon)) = (venue.lat, venue.lon) {
            raw_line(out, "GEO", &format!("{lat:.6};{lon:.6}"));
        }
    }
    raw_line(out, "URL", &page);
    if let Some(url) = &e.online_url {
        // RFC 7986: the link to join. URIs are not TEXT; ours are validated http(s) URLs
        // without whitespace or control characters, so they cannot break the line.
        raw_line(out, "CONFERENCE;VALUE=URI;FEATURE=VIDEO", url);
    }
    let mut categories: Vec<&str> = v.tags.iter().map(String::as_str).collect();
    if let Some((_, title)) = &v.action {
        categories.push(title);
    }
    if !categories.is_empty() {
        line.clear();
        line.push_str("CATEGORIES:");
        for (i, c) in categories.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            escape_text_into(c, line);
        }
        fold_line(line, out);
    }
    raw_line(out, "END", "VEVENT");
}

/// One rendered VEVENT and the zone span its TZID lines need a VTIMEZONE for.
#[derive(Debug, Clone)]
pub struct Fragment {
    /// The VEVENT's lines (UTF-8), shared with the bodies assembled from it.
    pub text: Bytes,
    zone: Option<(Tz, Span)>,
}

impl Fragment {
    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// Renders one event as a VEVENT (reusable across feeds and renders while the event, its venue,
/// action and partners are unchanged).
pub fn render_event(v: &EventView, links: &Links) -> Fragment {
    let mut out = String::with_capacity(v.event.description.len() + 1024);
    let mut line = String::with_capacity(1024);
    let mut zones: BTreeMap<&'static str, (Tz, Span)> = BTreeMap::new();
    write_event(&mut out, &mut line, v, links, &mut zones, None);
    Fragment {
        text: Bytes::from(out),
        zone: zones.into_values().next(),
    }
}

/// How many years past the feed's window start a never-ending series' VTIMEZONE and DST
/// overrides reach.
pub const SERIES_HORIZON_YEARS: i32 = 3;

/// The UID a feed gives an occurrence in a DST gap or overlap, written as an event of its own.
pub fn shifted_uid(series_uid: &str, key: NaiveDateTime) -> String {
    let mut uid = String::with_capacity(series_uid.len() + 16);
    uid.push_str(series_uid);
    uid.push('#');
    push_ical_datetime(&mut uid, key);
    uid
}

/// Renders a series: its master VEVENT (`RRULE`, `EXDATE` with the TZID of `DTSTART`), each
/// occurrence from `from` (UTC) to the horizon whose start falls in a DST gap or overlap as an
/// event of its own at its exact instant (excluded from the rule), then one VEVENT with
/// `RECURRENCE-ID` per other changed or cancelled occurrence.
pub fn render_series(v: &EventView, links: &Links, from: NaiveDateTime) -> Fragment {
    let mut out = String::with_capacity(v.event.description.len() * 2 + 2048);
    let mut line = String::with_capacity(1024);
    let mut zones: BTreeMap<&'static str, (Tz, Span)> = BTreeMap::new();
    let Some(series) = v.series() else {
        return render_event(v, links);
    };
    let tz = v.tz();
    let exdates = v.exdates();
    let from_local = tz.from_utc_datetime(&from).naive_local() - chrono::Duration::days(2);
    let horizon = NaiveDate::from_ymd_opt(from.year() + SERIES_HORIZON_YEARS + 1, 1, 1)
        .map(|d| d.and_time(chrono::NaiveTime::MIN));
    let last = series.last();
    let until = match (last, horizon) {
        (Some(l), Some(h)) => Some(l.min(h)),
        (l, h) => l.or(h),
    };
    // Occurrences from the window to the horizon, and changed ones, whose wall time falls in a
    // gap or an overlap. Clients place those differently (ical.js: a gap an hour early, an
    // overlap at the second; python's recurring-ical-events keeps the wall-clock length), and
    // neither an RDATE (python keeps the rule's instance beside it) nor a RECURRENCE-ID (a
    // nonexistent or ambiguous wall time, which libical versions read differently) makes them
    // agree. So the rule's instance is excluded (EXDATE of its wall time) and the occurrence is
    // an event of its own at its exact instant, UID `{series uid}#{local start}`.
    // Also those that span a change of the clocks (the overnight vigil on the spring night):
    // clients that repeat the first's length as wall time (python, ical.js) and those that
    // repeat it exactly (RFC 5545's DURATION) would end them an hour apart.
    let timing = v.timing();
    let is_shifted = |k: &NaiveDateTime| {
        if !crate::domain::recurrence::exact(tz, *k) {
            return true;
        }
        let t = crate::domain::event::occurrence_timing(&timing, *k);
        t.end_local - t.start_local != t.end_utc - t.start_utc
    };
    let mut shifted: Vec<NaiveDateTime> = Vec::new();
    if !v.event.all_day {
        if let Some(end) = until {
            shifted = series
                .between(
                    from_local.max(series.start),
                    end + chrono::Duration::seconds(1),
                )
                .into_iter()
                .filter(|k| !exdates.contains(k) && is_shifted(k))
                .collect();
        }
        shifted.extend(
            v.overrides
                .iter()
                .map(|o| o.row.occurrence_local)
                .filter(is_shifted),
        );
        // The first occurrence is DTSTART's: however far before the window, its wall time must
        // not be left for each client to place.
        if !exdates.contains(&series.start) && is_shifted(&series.start) {
            shifted.push(series.start);
        }
        shifted.sort();
        shifted.dedup();
    }
    let master = MasterRule {
        rule: series.rule.to_ical(tz, v.event.all_day),
        exdates: exdates.clone(),
        shifted: shifted.clone(),
        last_year: until.map(|t| t.year()),
    };
    write_event(&mut out, &mut line, v, links, &mut zones, Some(&master));
    for key in &shifted {
        let mut own = v.occurrence_view(*key);
        own.occurrence = None;
        own.event.uid = shifted_uid(&v.event.uid, *key);
        write_event(&mut out, &mut line, &own, links, &mut zones, None);
    }
    // Changed and cancelled occurrences.
    for o in v
        .overrides
        .iter()
        .filter(|o| !shifted.contains(&o.row.occurrence_local))
    {
        write_event(
            &mut out,
            &mut line,
            &v.occurrence_view(o.row.occurrence_local),
            links,
            &mut zones,
            None,
        );
    }
    Fragment {
        text: Bytes::from(out),
        zone: zones.into_values().next(),
    }
}

/// What an online action's deadline entry asks people to do.
pub fn online_verb(kind: &str) -> &'static str {
    match kind {
        "petition" => "sign the petition",
        "letter" => "send the letter",
        "call-in" => "make the call",
        "pledge" => "take the pledge",
        "donation" => "give",
        _ => "take action",
    }
}

/// An online action's deadline as an all-day VEVENT on that day ("Deadline: … — sign the
/// petition"), free time (TRANSP:TRANSPARENT). Cancelled when the action was closed (or won)
/// before its deadline; a removed one stays only as a bare cancelled entry so that calendars
/// drop it.
pub fn render_online_action(
    v: &crate::db::queries::online::OnlineView,
    links: &Links,
) -> Option<Fragment> {
    let r = &v.row;
    let deadline = r.deadline?;
    let tz: Tz = r.timezone.parse().unwrap_or(Tz::UTC);
    let removed = r.deleted_at.is_some();
    let day_after = deadline.succ_opt().unwrap_or(deadline);
    let ended_at = tz
        .from_local_datetime(&day_after.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.naive_utc());
    let closed_early = r.status != "open" && ended_at.is_some_and(|end| r.updated_at < end);
    let mut out = String::with_capacity(r.description.len() + 512);
    let mut line = String::with_capacity(512);
    raw_line(&mut out, "BEGIN", "VEVENT");
    text_line(&mut out, &mut line, "UID", &r.uid);
    stamp_line(&mut out, "DTSTAMP", r.updated_at);
    out.push_str("SEQUENCE:");
    out.push_str(&r.sequence.to_string());
    out.push_str("\r\n");
    let cancelled = removed || closed_early;
    raw_line(
        &mut out,
        "STATUS",
        if cancelled { "CANCELLED" } else { "CONFIRMED" },
    );
    date_line(&mut out, "DTSTART", deadline);
    date_line(&mut out, "DTEND", day_after);
    raw_line(&mut out, "TRANSP", "TRANSPARENT");
    if removed {
        raw_line(&mut out, "SUMMARY", "Cancelled deadline");
        raw_line(&mut out, "END", "VEVENT");
        return Some(Fragment {
            text: Bytes::from(out),
            zone: None,
        });
    }
    let summary = format!(
        "{}Deadline: {} — {}",
        if cancelled { "Cancelled: " } else { "" },
        r.title,
        online_verb(&r.kind)
    );
    text_line(&mut out, &mut line, "SUMMARY", &summary);
    let page = links.page(&format!("/online-actions/{}", r.id));
    let mut d = String::new();
    if cancelled {
        d.push_str(if r.status == "won" {
            "Won before its deadline.\n\n"
        } else {
            "Closed before its deadline.\n\n"
        });
    }
    d.push_str(&r.description);
    if !d.is_empty() {
        d.push_str("\n\n");
    }
    if let (Some(count), Some(goal)) = (r.count, r.goal) {
        d.push_str(&format!("{count} of {goal} so far.\n"));
    }
    let names: Vec<&str> = v.partners.iter().map(|(_, n)| n.as_str()).collect();
    if !names.is_empty() {
        d.push_str(&format!("From: {}\n", names.join(", ")));
    }
    if let Some((_, title)) = &v.action {
        d.push_str(&format!("Part of: {title}\n"));
    }
    d.push_str(&format!("Take action: {}\nDetails: {page}", r.url));
    text_line(&mut out, &mut line, "DESCRIPTION", &d);
    raw_line(&mut out, "URL", &page);
    raw_line(&mut out, "END", "VEVENT");
    Some(Fragment {
        text: Bytes::from(out),
        zone: None,
    })
}

/// Puts a VCALENDAR together from rendered events (in the order given), adding the VTIMEZONEs
/// their TZIDs name, as the buffers it is made of: its head (properties and VTIMEZONEs), each
/// event's VEVENT as rendered (shared, not copied) and its end. [`crate::cache::Rope`] keeps it
/// so and joins it.
pub fn assemble_parts<'a>(
    meta: &CalendarMeta,
    events: impl IntoIterator<Item = &'a Fragment> + Clone,
) -> Vec<Bytes> {
    let mut zones: BTreeMap<&'static str, (Tz, Span)> = BTreeMap::new();
    let mut count = 0;
    for f in events.clone() {
        count += 1;
        if let Some((tz, span)) = f.zone {
            let (_, known) = zones.entry(tz.name()).or_insert((tz, span));
            known.first_year = known.first_year.min(span.first_year);
            known.last_year = known.last_year.max(span.last_year);
        }
    }
    let mut parts = Vec::with_capacity(count + 2);
    let mut out = String::with_capacity(zones.len() * 2048 + 1024);
    let mut line = String::with_capacity(1024);
    raw_line(&mut out, "BEGIN", "VCALENDAR");
    raw_line(&mut out, "VERSION", "2.0");
    raw_line(&mut out, "PRODID", PRODID);
    raw_line(&mut out, "CALSCALE", "GREGORIAN");
    raw_line(&mut out, "METHOD", "PUBLISH");
    text_line(&mut out, &mut line, "NAME", &meta.name);
    text_line(&mut out, &mut line, "X-WR-CALNAME", &meta.name);
    text_line(&mut out, &mut line, "DESCRIPTION", &meta.description);
    text_line(&mut out, &mut line, "X-WR-CALDESC", &meta.description);
    raw_line(&mut out, "URL", &meta.page_url);
    raw_line(&mut out, "SOURCE;VALUE=URI", &meta.feed_url);
    let every = duration(meta.refresh_minutes);
    raw_line(&mut out, "REFRESH-INTERVAL;VALUE=DURATION", &every);
    raw_line(&mut out, "X-PUBLISHED-TTL", &every);
    for (tz, span) in zones.values() {
        out.push_str(&vtimezone(*tz, *span));
    }
    parts.push(Bytes::from(out));
    parts.extend(events.into_iter().map(|f| f.text.clone()));
    parts.push(Bytes::from_static(b"END:VCALENDAR\r\n"));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_durations() {
        let d = |s: i64| duration_of(chrono::Duration::seconds(s));
        assert_eq!(d(5 * 3600), "PT5H");
        assert_eq!(d(5400), "PT1H30M");
        assert_eq!(d(90_061), "P1DT1H1M1S");
        assert_eq!(d(2 * 86_400), "P2D");
        assert_eq!(d(0), "PT0S");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(60), "PT1H");
        assert_eq!(duration(90), "PT1H30M");
        assert_eq!(duration(15), "PT15M");
    }
}
