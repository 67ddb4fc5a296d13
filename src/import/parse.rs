//! A partner's iCalendar feed read into event inputs, parsed with the `icalendar` crate (never a
//! line splitter of our own) and every time resolved to the source's exact instant:
//!
//! - `TZID` with an IANA name, a Windows name as Outlook and Exchange write it ("Pacific
//!   Standard Time", CLDR's table), a VTIMEZONE whose `X-LIC-LOCATION` names an IANA zone, or
//!   one whose TZID is only a label, matched to the IANA zone its rules describe (`zone_rules`);
//! - UTC (`…Z`) and floating times, placed in the calendar's `X-WR-TIMEZONE` or, without one, the
//!   partner's default zone (a UTC time keeps its instant and is shown in that zone);
//! - a wall time in a spring-forward gap moves forward by the gap, one in a fall-back overlap is
//!   the first (RFC 5545), and is written with its offset so the instant is kept;
//! - all-day `DATE` values with an exclusive `DTEND` (the last day is the day before), `DURATION`
//!   instead of `DTEND`, and no `DTEND` at all (an all-day event lasts its day; a timed one, which
//!   RFC 5545 would end at its start, gets an hour, since an event here has an end);
//! - `RRULE` and `EXDATE` make a series, and each `RECURRENCE-ID` override one of its changes
//!   (`recurrence.changes`); each `RDATE` is an event of its own (`UID#date`), as a series here
//!   has no extra dates.
//!
//! What cannot be read is skipped with its reason, never guessed.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use icalendar::parser::{read_calendar, unfold, Component, Property};

use super::windows_zones::WINDOWS_ZONES;
use crate::domain::catalog::VenueInput;
use crate::domain::event::{occurrence_key, EventInput, RecurrenceInput, Status};
use crate::domain::{recurrence, time};

/// A feed as read.
#[derive(Debug, Default)]
pub struct Feed {
    /// `X-WR-CALNAME`.
    pub name: Option<String>,
    pub items: Vec<Item>,
    pub skipped: Vec<Skipped>,
}

/// One event of the feed (a series with its changed occurrences), as the API would take it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The source's UID (also `input.uid`).
    pub uid: String,
    pub sequence: i32,
    /// `LAST-MODIFIED`, UTC.
    pub last_modified: Option<NaiveDateTime>,
    pub input: EventInput,
}

/// Something of the feed that was not imported, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub uid: Option<String>,
    pub summary: Option<String>,
    pub reason: String,
}

/// A calendar the parser refused as a whole, rebuilt from what does read: its head (everything
/// before the first VEVENT: its properties and VTIMEZONEs, which must read) and each VEVENT that
/// the parser reads on its own; the others are skipped with the parser's reason, and one cut off
/// by the end of the feed as such. `None` when even the head is not iCalendar.
fn salvage(unfolded: &str) -> Option<(String, Vec<Skipped>)> {
    let is = |line: &str, what: &str| line.trim_end_matches('\r').eq_ignore_ascii_case(what);
    let head_end = unfolded
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .find(|&i| {
            unfolded[i..]
                .lines()
                .next()
                .is_some_and(|l| is(l, "BEGIN:VEVENT"))
        })?;
    let head = &unfolded[..head_end];
    // In the feed's own line ending: the parser refuses a mix.
    let close = if head.contains("\r\n") {
        "END:VCALENDAR\r\n"
    } else {
        "END:VCALENDAR\n"
    };
    read_calendar(&format!("{head}{close}")).ok()?;
    let bare = if close.ends_with("\r\n") {
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
    } else {
        "BEGIN:VCALENDAR\nVERSION:2.0\n"
    };
    let mut out = head.to_string();
    let mut skipped = Vec::new();
    let uid_of = |block: &str| {
        block.lines().find_map(|l| {
            l.strip_prefix("UID:")
                .map(|u| u.trim_end_matches('\r').to_string())
        })
    };
    let mut rest = &unfolded[head_end..];
    while let Some(start) = rest
        .match_indices("BEGIN:VEVENT")
        .map(|(i, _)| i)
        .find(|&i| i == 0 || rest.as_bytes().get(i - 1) == Some(&b'\n'))
    {
        let block_text = &rest[start..];
        // The block ends after its END:VEVENT line, or (never closed) where the next VEVENT
        // begins, or with the feed.
        let mut end = None;
        let mut next = None;
        let mut offset = 0;
        for (n, line) in block_text.split_inclusive('\n').enumerate() {
            let bare_line = line.trim_end_matches(['\r', '\n']);
            if n > 0 && is(bare_line, "BEGIN:VEVENT") {
                next = Some(offset);
                break;
            }
            offset += line.len();
            if is(bare_line, "END:VEVENT") && line.ends_with('\n') {
                end = Some(offset);
                break;
            }
        }
        let Some(end) = end else {
            skipped.push(Skipped {
                uid: uid_of(block_text),
                summary: None,
                reason: if next.is_some() {
                    "an event without its END:VEVENT".into()
                } else {
                    "cut off: the feed ends inside this event".into()
                },
            });
            match next {
                Some(n) => {
                    rest = &block_text[n..];
                    continue;
                }
                None => break,
            }
        };
        let block = &block_text[..end];
        // Each block read on its own in a bare calendar (the head was read once, above).
        match read_calendar(&format!("{bare}{block}{close}")) {
            Ok(_) => out.push_str(block),
            Err(e) => skipped.push(Skipped {
                uid: uid_of(block),
                summary: None,
                reason: format!(
                    "a VEVENT that cannot be read: {}",
                    e.lines().next().unwrap_or_default()
                ),
            }),
        }
        rest = &block_text[end..];
    }
    out.push_str(close);
    Some((out, skipped))
}

/// A LOCATION: a link is where to join online; anything else is the venue, read into its
/// parts where the text allows (`text::venue`).
fn place_of(location: &str, tz: Tz) -> (Option<VenueInput>, Option<String>) {
    if location.starts_with("https://") || location.starts_with("http://") {
        return (None, Some(location.to_string()));
    }
    let venue = VenueInput {
        timezone: Some(tz.name().to_string()),
        ..super::text::venue(location)
    };
    (Some(venue), None)
}

/// DESCRIPTION as plain text: HTML in it turned into text, or, without one, the HTML form
/// (`X-ALT-DESC;FMTTYPE=text/html`) as text.
fn description(e: &Component) -> String {
    let plain = find(e, "DESCRIPTION").map(text_value).unwrap_or_default();
    if !plain.is_empty() {
        return if super::text::looks_like_html(&plain) {
            super::text::html_to_text(&plain)
        } else {
            plain
        };
    }
    find(e, "X-ALT-DESC")
        .map(text_value)
        .map(|html| super::text::html_to_text(&html))
        .unwrap_or_default()
}

/// The most extra dates (RDATE) one event may give.
const MAX_RDATES: usize = 200;

/// The most VTIMEZONEs with a label TZID one feed gets matched by their rules (each costs a
/// scan of the zone database).
const MAX_LABEL_ZONES: usize = 20;

/// Start and end as the API takes them, whether all-day, and (timed) the UTC instants.
type Span = (String, String, bool, Option<(NaiveDateTime, NaiveDateTime)>);

/// A time as a property gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum When {
    Date(NaiveDate),
    /// A wall time in a zone (`TZID`, or floating in the calendar's zone).
    Wall(NaiveDateTime, Tz),
    /// An instant (`…Z`).
    Utc(NaiveDateTime),
}

impl When {
    /// The instant, a wall time placed as RFC 5545 says.
    fn instant(self) -> Option<NaiveDateTime> {
        match self {
            When::Date(_) => None,
            When::Wall(wall, tz) => Some(recurrence::place(tz, wall).0),
            When::Utc(t) => Some(t),
        }
    }
}

/// Reads `text` (a whole `.ics` file); `default_zone` places floating and UTC times when the
/// calendar names no zone of its own. Errors only when the text is not iCalendar at all.
pub fn parse(text: &str, default_zone: Tz) -> Result<Feed, String> {
    let unfolded = unfold(text);
    let not_ical = |e: String| {
        let first = e.lines().take(3).collect::<Vec<_>>().join(" ");
        format!("not an iCalendar file: {first}")
    };
    let recovered;
    let mut salvaged = Vec::new();
    let calendar = match read_calendar(&unfolded) {
        Ok(c) => c,
        // A feed cut short or with a broken VEVENT: keep the events that read on their own.
        Err(e) => match salvage(&unfolded) {
            Some((text, skipped)) => {
                recovered = text;
                salvaged = skipped;
                read_calendar(&recovered).map_err(not_ical)?
            }
            None => return Err(not_ical(e)),
        },
    };
    let prop = |name: &str| {
        calendar
            .properties
            .iter()
            .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
            .map(text_value)
    };
    let mut feed = Feed {
        name: prop("X-WR-CALNAME"),
        skipped: salvaged,
        ..Feed::default()
    };
    let mut labels = 0;
    let zones: BTreeMap<String, Option<Tz>> = calendar
        .components
        .iter()
        .filter(|c| c.name.as_str().eq_ignore_ascii_case("VTIMEZONE"))
        .filter_map(|c| {
            let id = c.find_prop("TZID")?.val.as_str().to_string();
            let known = zone_named(&id)
                .or_else(|| {
                    c.find_prop("X-LIC-LOCATION")
                        .and_then(|p| zone_named(p.val.as_str()))
                })
                .or_else(|| {
                    labels += 1;
                    (labels <= MAX_LABEL_ZONES)
                        .then(|| super::zone_rules::matching_zone(c))
                        .flatten()
                });
            Some((id, known))
        })
        .collect();
    let reader = Reader {
        zones,
        calendar_zone: prop("X-WR-TIMEZONE")
            .and_then(|z| zone_named(&z))
            .unwrap_or(default_zone),
    };
    let events: Vec<&Component> = calendar
        .components
        .iter()
        .filter(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT"))
        .collect();
    // Masters first (of one UID given twice, the later version: higher SEQUENCE, then
    // LAST-MODIFIED), then each RECURRENCE-ID override onto its master.
    let mut masters: Vec<Master> = Vec::new();
    let older = "an older version of an event the feed gives twice";
    for e in events.iter().filter(|e| find(e, "RECURRENCE-ID").is_none()) {
        match reader.event(e) {
            Ok(master) => {
                let version = |m: &Master| (m.item.sequence, m.item.last_modified);
                match masters.iter_mut().find(|m| m.item.uid == master.item.uid) {
                    Some(kept) if version(kept) < version(&master) => {
                        feed.skipped.push(Skipped {
                            uid: Some(kept.item.uid.clone()),
                            summary: kept.item.input.title.clone(),
                            reason: older.into(),
                        });
                        *kept = master;
                    }
                    Some(_) => feed.skipped.push(skipped(e, older.into())),
                    None => masters.push(master),
                }
            }
            Err(reason) => feed.skipped.push(skipped(e, reason)),
        }
    }
    for e in events.iter().filter(|e| find(e, "RECURRENCE-ID").is_some()) {
        let uid = find(e, "UID").map(text_value);
        let Some(master) = masters
            .iter_mut()
            .find(|m| Some(&m.item.uid) == uid.as_ref())
        else {
            feed.skipped.push(skipped(
                e,
                "a changed occurrence (RECURRENCE-ID) of a series the feed does not have".into(),
            ));
            continue;
        };
        if let Err(reason) = reader.change(master, e) {
            feed.skipped.push(skipped(e, reason));
        }
    }
    feed.items = masters
        .into_iter()
        .flat_map(|m| std::iter::once(m.item).chain(m.extras))
        .collect();
    Ok(feed)
}

/// A master VEVENT as read: the item, the zone its times are shown in, its series (if it
/// repeats), and the SEQUENCE of each change taken so far.
struct Master {
    item: Item,
    /// Its `RDATE`s, as events of their own.
    extras: Vec<Item>,
    tz: Tz,
    series: Option<recurrence::Series>,
    change_sequences: BTreeMap<String, i32>,
}

fn skipped(e: &Component, reason: String) -> Skipped {
    Skipped {
        uid: find(e, "UID").map(text_value),
        summary: find(e, "SUMMARY").map(text_value),
        reason,
    }
}

fn find<'a>(e: &'a Component, name: &str) -> Option<&'a Property<'a>> {
    e.properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn find_all<'a>(e: &'a Component, name: &str) -> impl Iterator<Item = &'a Property<'a>> {
    let name = name.to_string();
    e.properties
        .iter()
        .filter(move |p| p.name.as_str().eq_ignore_ascii_case(&name))
}

fn param<'a>(p: &'a Property, key: &str) -> Option<&'a str> {
    p.params
        .iter()
        .find(|x| x.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|x| x.val.as_ref())
        .map(|v| v.as_str().trim_matches('"'))
}

/// The event's `CATEGORIES` (any number of them, each a comma-separated TEXT list) as tags:
/// `Immigrant Rights` becomes `Immigrant-Rights`, anything but letters, digits, `-` and `_` a
/// `-`, at most 50 characters (duplicates go when they join the import's tags).
fn categories(e: &Component) -> Vec<String> {
    find_all(e, "CATEGORIES")
        .flat_map(|p| text_list(p.val.as_str()))
        .map(|raw| as_tag(&raw))
        .filter(|tag| !tag.is_empty())
        .collect()
}

/// The items of an RFC 5545 TEXT list: split at commas not escaped, each unescaped.
fn text_list(raw: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut item = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n' | 'N') => item.push(' '),
                Some(other) => item.push(other),
                None => {}
            },
            ',' => items.push(std::mem::take(&mut item)),
            c => item.push(c),
        }
    }
    items.push(item);
    items
}

/// A category in the tag grammar (`catalog::tag`), or empty when nothing of it is left.
fn as_tag(raw: &str) -> String {
    let mut tag = String::new();
    for c in raw.trim().trim_start_matches('#').chars() {
        if c.is_alphanumeric() || c == '_' {
            tag.push(c);
        } else if !tag.is_empty() && !tag.ends_with('-') {
            tag.push('-');
        }
    }
    let tag: String = tag
        .chars()
        .take(crate::domain::catalog::MAX_TAG_CHARS)
        .collect();
    tag.trim_end_matches('-').to_string()
}

/// A TEXT value, unescaped (`\,` `\;` `\n`).
fn text_value(p: &Property) -> String {
    p.val.clone().unescape_text().as_str().trim().to_string()
}

/// An IANA zone name, or a Windows one.
fn zone_named(name: &str) -> Option<Tz> {
    let name = name.trim().trim_matches('"');
    if let Ok(tz) = name.parse::<Tz>() {
        return Some(tz);
    }
    WINDOWS_ZONES
        .iter()
        .find(|(windows, _)| windows.eq_ignore_ascii_case(name))
        .and_then(|(_, iana)| iana.parse().ok())
}

struct Reader {
    /// The feed's VTIMEZONEs by TZID, with the IANA zone each stands for when known.
    zones: BTreeMap<String, Option<Tz>>,
    /// Where floating and UTC times are shown.
    calendar_zone: Tz,
}

impl Reader {
    fn zone(&self, tzid: &str) -> Result<Tz, String> {
        match self.zones.get(tzid) {
            Some(Some(tz)) => Ok(*tz),
            _ => zone_named(tzid).ok_or_else(|| {
                format!("time zone {tzid:?} is neither an IANA nor a Windows zone name")
            }),
        }
    }

    /// One value of a DTSTART/DTEND/RECURRENCE-ID/EXDATE property.
    fn when(&self, p: &Property, value: &str) -> Result<When, String> {
        let value = value.trim();
        let name = p.name.as_str();
        let date_only = param(p, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
            || (value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit()));
        if date_only {
            return NaiveDate::parse_from_str(value, "%Y%m%d")
                .map(When::Date)
                .map_err(|_| format!("{name} {value:?} is not a date"));
        }
        let (text, utc) = match value.strip_suffix(['Z', 'z']) {
            Some(t) => (t, true),
            None => (value, false),
        };
        let wall = NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%S")
            .map_err(|_| format!("{name} {value:?} is not a date and time"))?;
        if utc {
            return Ok(When::Utc(wall));
        }
        match param(p, "TZID") {
            Some(tzid) => Ok(When::Wall(wall, self.zone(tzid)?)),
            None => Ok(When::Wall(wall, self.calendar_zone)),
        }
    }

    fn when_of(&self, e: &Component, name: &str) -> Result<Option<When>, String> {
        find(e, name)
            .map(|p| self.when(p, p.val.as_str()))
            .transpose()
    }

    /// A master VEVENT.
    fn event(&self, e: &Component) -> Result<Master, String> {
        let uid = find(e, "UID")
            .map(text_value)
            .filter(|u| !u.is_empty())
            .ok_or("no UID")?;
        let start = self.when_of(e, "DTSTART")?.ok_or("no DTSTART")?;
        let repeats = find(e, "RRULE").is_some();
        let tz = match start {
            When::Wall(_, tz) => tz,
            // A rule anchored at a UTC time repeats that UTC time: so does the series here.
            When::Utc(_) if repeats => chrono_tz::UTC,
            _ => self.calendar_zone,
        };
        if let (When::Wall(wall, zone), true) = (start, repeats) {
            if let recurrence::Placement::Gap { .. } = recurrence::place(zone, wall).1 {
                return Err(format!(
                    "the series starts at {}, a time {} skips (clocks spring forward)",
                    wall.format("%Y-%m-%dT%H:%M"),
                    zone.name()
                ));
            }
        }
        let span = self.span(e, start, tz)?;
        let (start_text, end_text, all_day) = (span.0.clone(), span.1.clone(), span.2);
        let title = find(e, "SUMMARY")
            .map(text_value)
            .filter(|s| !s.is_empty())
            .ok_or("no SUMMARY (title)")?;
        let location = find(e, "LOCATION")
            .map(text_value)
            .filter(|l| !l.is_empty());
        let url = find(e, "URL").map(text_value).filter(|u| !u.is_empty());
        let (mut venue, online_url) = match location {
            Some(l) => place_of(&l, tz),
            // No place at all (Mobilizon's online events): its page is where to find it.
            None => (None, url.clone()),
        };
        if let (Some(v), Some((lat, lon))) = (
            venue.as_mut(),
            find(e, "GEO").and_then(|g| super::text::geo(g.val.as_str())),
        ) {
            v.lat = Some(lat);
            v.lon = Some(lon);
        }
        let series = match (find(e, "RRULE"), start) {
            (None, _) => None,
            (Some(rule), start) => {
                let first = match start {
                    When::Date(d) => d.and_time(chrono::NaiveTime::MIN),
                    other => {
                        let utc = other.instant().ok_or("DTSTART has no time")?;
                        tz.from_utc_datetime(&utc).naive_local()
                    }
                };
                let parsed = recurrence::Rule::parse(rule.val.as_str().trim())
                    .and_then(|r| recurrence::Series::new(r, tz, first))
                    .map_err(|m| format!("RRULE: {m}"))?;
                Some(parsed)
            }
        };
        let recurrence = self.recurrence(e, tz, all_day, series.as_ref())?;
        let input = EventInput {
            uid: Some(uid.clone()),
            title: Some(title),
            description: Some(description(e)),
            start: Some(start_text),
            end: Some(end_text),
            timezone: Some(tz.name().to_string()),
            all_day: Some(all_day),
            venue,
            online_url,
            info_url: url,
            status: Some(status(e)),
            recurrence,
            tags: Some(categories(e)).filter(|t| !t.is_empty()),
            ..EventInput::default()
        };
        let item = Item {
            uid,
            sequence: find(e, "SEQUENCE")
                .and_then(|p| p.val.as_str().trim().parse().ok())
                .unwrap_or(0),
            last_modified: match self.when_of(e, "LAST-MODIFIED") {
                Ok(Some(w)) => w.instant(),
                _ => None,
            },
            input,
        };
        let extras = self.extra_dates(e, &item, tz, &span, series.as_ref())?;
        Ok(Master {
            item,
            extras,
            tz,
            series,
            change_sequences: BTreeMap::new(),
        })
    }

    /// Start and end as the API takes them (local wall times in `tz`, with an offset where the
    /// wall time alone would be ambiguous), and whether the event is all-day.
    fn span(&self, e: &Component, start: When, tz: Tz) -> Result<Span, String> {
        let end = self.when_of(e, "DTEND")?;
        let duration = find(e, "DURATION")
            .map(|p| parse_duration(p.val.as_str()))
            .transpose()?;
        if let When::Date(first) = start {
            let after = match (end, duration) {
                (Some(When::Date(d)), _) => d,
                (Some(_), _) => return Err("DTEND has a time, but DTSTART is a date".into()),
                (None, Some(d)) => first + Duration::days(d.days.max(1)),
                (None, None) => first + Duration::days(1),
            };
            if after <= first {
                return Err(format!("DTEND {after} is not after DTSTART {first}"));
            }
            let last = after.pred_opt().unwrap_or(first);
            return Ok((first.to_string(), last.to_string(), true, None));
        }
        let start_utc = start.instant().ok_or("DTSTART has no time")?;
        let start_wall = tz.from_utc_datetime(&start_utc).naive_local();
        let end_utc = match (end, duration) {
            (Some(When::Date(_)), _) => {
                return Err("DTEND is a date, but DTSTART has a time".into())
            }
            (Some(w), _) => w.instant().ok_or("DTEND has no time")?,
            // Days are nominal (the same wall time later), the rest exact.
            (None, Some(d)) => {
                recurrence::place(tz, start_wall + Duration::days(d.days)).0
                    + Duration::seconds(d.seconds)
            }
            (None, None) => start_utc + Duration::hours(1),
        };
        if end_utc <= start_utc {
            return Err("the event ends before it starts (DTEND or DURATION)".into());
        }
        let end_wall = tz.from_utc_datetime(&end_utc).naive_local();
        Ok((
            time::local_input_string(tz, start_wall, start_utc),
            time::local_input_string(tz, end_wall, end_utc),
            false,
            Some((start_utc, end_utc)),
        ))
    }

    /// `RDATE`s: each extra date an event of its own (the series here has no extra dates),
    /// with the master's content and length, and a UID of the master's with the date
    /// (`UID#20270310T180000`). A date the rule or DTSTART already gives adds nothing.
    fn extra_dates(
        &self,
        e: &Component,
        master: &Item,
        tz: Tz,
        span: &Span,
        series: Option<&recurrence::Series>,
    ) -> Result<Vec<Item>, String> {
        let mut out: Vec<Item> = Vec::new();
        let mut uids: std::collections::HashSet<String> = std::collections::HashSet::new();
        for p in find_all(e, "RDATE") {
            let period = param(p, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("PERIOD"));
            for value in p.val.as_str().split(',').filter(|v| !v.trim().is_empty()) {
                // A PERIOD's start; its length is the master's.
                let value = if period {
                    value.split('/').next().unwrap_or(value)
                } else {
                    value
                };
                let when = self.when(p, value).map_err(|m| format!("RDATE: {m}"))?;
                let (start, end, key) = match (when, span) {
                    (When::Date(d), (first, last, true, _)) => {
                        let parse = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok();
                        let days = match (parse(first), parse(last)) {
                            (Some(a), Some(b)) => (b - a).num_days(),
                            _ => 0,
                        };
                        let key = d.and_time(chrono::NaiveTime::MIN);
                        (d.to_string(), (d + Duration::days(days)).to_string(), key)
                    }
                    (When::Date(_), _) => {
                        return Err("RDATE is a date, but DTSTART has a time".into())
                    }
                    (_, (_, _, true, _)) => {
                        return Err("RDATE has a time, but DTSTART is a date".into())
                    }
                    (other, (_, _, false, Some((s, e)))) => {
                        let utc = other.instant().ok_or("RDATE has no time")?;
                        let end = utc + (*e - *s);
                        let wall = |t: NaiveDateTime| tz.from_utc_datetime(&t).naive_local();
                        (
                            time::local_input_string(tz, wall(utc), utc),
                            time::local_input_string(tz, wall(end), end),
                            wall(utc),
                        )
                    }
                    _ => return Err("RDATE: the event has no time".into()),
                };
                let given = series.is_some_and(|s| s.contains(key))
                    || master.input.start.as_deref() == Some(start.as_str());
                let uid = extra_uid(&master.uid, key);
                if given || !uids.insert(uid.clone()) {
                    continue;
                }
                if out.len() >= MAX_RDATES {
                    return Err(format!(
                        "more than {MAX_RDATES} extra dates (RDATE); give them as events of their own"
                    ));
                }
                let mut item = master.clone();
                item.uid = uid.clone();
                item.input.uid = Some(uid);
                item.input.start = Some(start);
                item.input.end = Some(end);
                item.input.recurrence = None;
                out.push(item);
            }
        }
        Ok(out)
    }

    /// RRULE and EXDATE as the API takes them (RDATEs are events of their own: `extra_dates`).
    fn recurrence(
        &self,
        e: &Component,
        tz: Tz,
        all_day: bool,
        series: Option<&recurrence::Series>,
    ) -> Result<Option<RecurrenceInput>, String> {
        let (Some(rule), Some(series)) = (find(e, "RRULE"), series) else {
            return Ok(None);
        };
        let mut exdates = Vec::new();
        for p in find_all(e, "EXDATE") {
            for value in p.val.as_str().split(',').filter(|v| !v.trim().is_empty()) {
                let key = self.key(p, value, tz)?;
                // An EXDATE the rule never gives excludes nothing.
                if series.contains(key) {
                    exdates.push(occurrence_key(key, all_day));
                }
            }
        }
        Ok(Some(RecurrenceInput {
            rrule: Some(rule.val.as_str().trim().to_string()),
            exdates: Some(exdates),
            changes: None,
        }))
    }

    /// The occurrence key (local start under the rule, in the series' zone) a RECURRENCE-ID or
    /// EXDATE value names.
    fn key(&self, p: &Property, value: &str, tz: Tz) -> Result<NaiveDateTime, String> {
        let local = match self.when(p, value)? {
            When::Date(d) => d.and_time(chrono::NaiveTime::MIN),
            // The wall time as written: the rule's own (a gap's wall time is its key too).
            When::Wall(wall, zone) if zone == tz => wall,
            other => {
                let utc = other.instant().ok_or("no time")?;
                tz.from_utc_datetime(&utc).naive_local()
            }
        };
        Ok(local)
    }

    /// A RECURRENCE-ID override (of two for one date, the one with the higher SEQUENCE): a
    /// change of `master`'s occurrence under its rule, or, on the date of one of its `RDATE`s,
    /// that extra date's own event as the override gives it.
    fn change(&self, master: &mut Master, e: &Component) -> Result<(), String> {
        let tz = master.tz;
        let id = find(e, "RECURRENCE-ID").ok_or("no RECURRENCE-ID")?;
        let all_day = master.item.input.all_day == Some(true);
        let local = self.key(id, id.val.as_str(), tz)?;
        let in_rule = master.series.as_ref().is_some_and(|s| s.contains(local));
        let extra_uid = extra_uid(&master.item.uid, local);
        let extra = master.extras.iter().position(|x| x.uid == extra_uid);
        if !in_rule && extra.is_none() {
            return Err(match master.series {
                None => "a RECURRENCE-ID of an event that does not repeat".into(),
                Some(_) => format!(
                    "RECURRENCE-ID {} is not a date of the series' rule",
                    id.val.as_str()
                ),
            });
        }
        let key = occurrence_key(local, all_day);
        let sequence = find(e, "SEQUENCE")
            .and_then(|p| p.val.as_str().trim().parse().ok())
            .unwrap_or(0);
        if master
            .change_sequences
            .get(&key)
            .is_some_and(|s| *s > sequence)
        {
            return Err("an older version of a changed occurrence the feed gives twice".into());
        }
        let patch = self.patch(e, &master.item, tz)?;
        master.change_sequences.insert(key.clone(), sequence);
        match extra {
            // The extra date's event: the master's content with the override's changes (built
            // afresh, so a later version of the override replaces an earlier one whole).
            Some(i) if !in_rule => {
                let mut input =
                    serde_json::to_value(&master.item.input).map_err(|e| e.to_string())?;
                if let Some(fields) = input.as_object_mut() {
                    // A place is a venue or a link, never both.
                    if patch.contains_key("online_url") {
                        fields.insert("venue".into(), serde_json::Value::Null);
                    } else if patch.contains_key("venue") {
                        fields.insert("online_url".into(), serde_json::Value::Null);
                    }
                    fields.extend(patch);
                }
                let mut input: EventInput =
                    serde_json::from_value(input).map_err(|e| format!("RECURRENCE-ID: {e}"))?;
                input.uid = Some(extra_uid.clone());
                input.recurrence = None;
                let x = &mut master.extras[i];
                x.input = input;
                x.sequence = master.item.sequence.max(sequence);
            }
            _ => {
                let item = &mut master.item;
                item.sequence = item.sequence.max(sequence);
                if let Some(recurrence) = item.input.recurrence.as_mut() {
                    recurrence
                        .changes
                        .get_or_insert_with(BTreeMap::new)
                        .insert(key, patch);
                }
            }
        }
        Ok(())
    }

    /// What an override changes of `item` (the master): its start and end always, and each of
    /// title, description, link, place and status that differs.
    fn patch(
        &self,
        e: &Component,
        item: &Item,
        tz: Tz,
    ) -> Result<serde_json::Map<String, serde_json::Value>, String> {
        let start = self.when_of(e, "DTSTART")?.ok_or("no DTSTART")?;
        let (start, end, _, _) = self.span(e, start, tz)?;
        let mut patch = serde_json::Map::new();
        patch.insert("start".into(), start.into());
        patch.insert("end".into(), end.into());
        let differs = |name: &str, given: Option<String>, master: &Option<String>| {
            given
                .filter(|g| Some(g) != master.as_ref())
                .map(|g| (name.to_string(), g))
        };
        let own = [
            differs(
                "title",
                find(e, "SUMMARY").map(text_value).filter(|t| !t.is_empty()),
                &item.input.title,
            ),
            differs(
                "description",
                find(e, "DESCRIPTION").map(|_| description(e)),
                &item.input.description,
            ),
            differs(
                "info_url",
                find(e, "URL").map(text_value).filter(|u| !u.is_empty()),
                &item.input.info_url,
            ),
        ];
        for (name, value) in own.into_iter().flatten() {
            patch.insert(name, value.into());
        }
        // Its own place: a link is where to join, anything else the venue's name.
        if let Some(location) = find(e, "LOCATION")
            .map(text_value)
            .filter(|l| !l.is_empty())
        {
            let (mut venue, online) = place_of(&location, tz);
            // The same place as the series' keeps the series' coordinates (from its GEO).
            if let (Some(v), Some(m)) = (venue.as_mut(), item.input.venue.as_ref()) {
                if v.name == m.name && v.address == m.address {
                    v.lat = m.lat;
                    v.lon = m.lon;
                }
            }
            if venue != item.input.venue || online != item.input.online_url {
                match (venue, online) {
                    (_, Some(link)) => {
                        patch.insert("online_url".into(), link.into());
                    }
                    (Some(venue), None) => {
                        patch.insert(
                            "venue".into(),
                            serde_json::to_value(venue).map_err(|e| e.to_string())?,
                        );
                    }
                    (None, None) => {}
                }
            }
        }
        let status = status(e);
        if Some(status) != item.input.status {
            patch.insert("status".into(), status.as_str().into());
        }
        Ok(patch)
    }
}

/// The UID of an `RDATE`'s own event: the master's with the date (`UID#20270310T180000`).
fn extra_uid(master: &str, local: NaiveDateTime) -> String {
    format!("{master}#{}", local.format("%Y%m%dT%H%M%S"))
}

fn status(e: &Component) -> Status {
    match find(e, "STATUS").map(|p| p.val.as_str().trim().to_ascii_uppercase()) {
        Some(s) if s == "CANCELLED" => Status::Cancelled,
        Some(s) if s == "TENTATIVE" => Status::Tentative,
        _ => Status::Confirmed,
    }
}

/// An RFC 5545 duration: its nominal days (weeks included) and exact seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Length {
    days: i64,
    seconds: i64,
}

/// The longest DURATION read (an event here lasts at most that anyway).
const MAX_DURATION_DAYS: i64 = 366;

fn parse_duration(text: &str) -> Result<Length, String> {
    let bad = || format!("DURATION {text:?} is not a duration like PT1H30M or P1D");
    let too_long = || format!("DURATION {text:?} is longer than a year");
    let t = text.trim().trim_start_matches('+');
    if t.starts_with('-') {
        return Err(format!("DURATION {text:?} is negative"));
    }
    let rest = t.strip_prefix('P').ok_or_else(bad)?;
    let (date_part, time_part) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let fault = |f: Fault| match f {
        Fault::Bad => bad(),
        Fault::TooLong => too_long(),
    };
    let (days, date_parts) =
        sum_units(date_part, &[('W', 7), ('D', 1)], MAX_DURATION_DAYS).map_err(fault)?;
    let (seconds, time_parts) = sum_units(
        time_part.unwrap_or_default(),
        &[('H', 3600), ('M', 60), ('S', 1)],
        MAX_DURATION_DAYS * 86_400,
    )
    .map_err(fault)?;
    if date_parts + time_parts == 0 || (time_part.is_some() && time_parts == 0) {
        return Err(bad());
    }
    let length = Length { days, seconds };
    if length.days * 86_400 + length.seconds > MAX_DURATION_DAYS * 86_400 {
        return Err(too_long());
    }
    Ok(length)
}

/// Why a part of a DURATION cannot be read.
enum Fault {
    Bad,
    TooLong,
}

/// The sum of one part of a DURATION (`1W2D`, `1H30M`): each number times its unit's factor
/// (`units`: letter → factor), at most `cap`; and how many numbers it had.
fn sum_units(part: &str, units: &[(char, i64)], cap: i64) -> Result<(i64, usize), Fault> {
    let (mut sum, mut count, mut number) = (0i64, 0usize, String::new());
    for c in part.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let factor = units
            .iter()
            .find(|(unit, _)| *unit == c)
            .map(|(_, f)| *f)
            .ok_or(Fault::Bad)?;
        let n: i64 = number.parse().map_err(|_| Fault::Bad)?;
        sum = n
            .checked_mul(factor)
            .and_then(|x| sum.checked_add(x))
            .filter(|x| *x <= cap)
            .ok_or(Fault::TooLong)?;
        number.clear();
        count += 1;
    }
    if number.is_empty() {
        Ok((sum, count))
    } else {
        Err(Fault::Bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::VenueLookup;

    #[test]
    fn categories_become_tags() {
        assert_eq!(
            text_list(r"Rally,Immigrant Rights\,Legal,a\\b,\nx"),
            ["Rally", "Immigrant Rights,Legal", "a\\b", " x"]
        );
        assert_eq!(
            as_tag(" #Immigrant Rights,Legal "),
            "Immigrant-Rights-Legal"
        );
        assert_eq!(as_tag("teach-in"), "teach-in");
        assert_eq!(as_tag("Día de acción"), "Día-de-acción");
        assert_eq!(as_tag(" - ; "), "");
        assert_eq!(as_tag(&"x".repeat(60)).len(), 50);
        assert_eq!(as_tag(&format!("{}  y", "x".repeat(49))), "x".repeat(49));
    }

    const LA: Tz = chrono_tz::America::Los_Angeles;

    fn ics(body: &str) -> String {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{}END:VCALENDAR\r\n",
            body.replace('\n', "\r\n")
        )
    }

    fn one(body: &str, zone: Tz) -> Item {
        let feed = parse(&ics(body), zone).expect("parses");
        assert_eq!(feed.skipped, [], "nothing skipped");
        assert_eq!(feed.items.len(), 1);
        let item = feed.items[0].clone();
        // What the API would make of it.
        item.input
            .clone()
            .validate(|_| VenueLookup::Missing)
            .expect("a valid event input");
        item
    }

    fn times(item: &Item) -> (String, String, String) {
        let i = &item.input;
        (
            i.start.clone().unwrap_or_default(),
            i.end.clone().unwrap_or_default(),
            i.timezone.clone().unwrap_or_default(),
        )
    }

    fn t(a: &str, b: &str, c: &str) -> (String, String, String) {
        (a.into(), b.into(), c.into())
    }

    #[test]
    fn iana_windows_and_labelled_zones() {
        let iana = one(
            "BEGIN:VEVENT\nUID:a@x\nSUMMARY:Vigil\nLOCATION:Palantir\\, Palo Alto\nDTSTART;TZID=America/New_York:20270913T160000\nDTEND;TZID=America/New_York:20270913T190000\nEND:VEVENT\n",
            LA,
        );
        assert_eq!(
            times(&iana),
            t("2027-09-13T16:00", "2027-09-13T19:00", "America/New_York")
        );
        assert_eq!(
            iana.input.venue.as_ref().and_then(|v| v.name.as_deref()),
            Some("Palantir, Palo Alto")
        );
        let windows = one(
            "BEGIN:VEVENT\nUID:b@x\nSUMMARY:Call\nURL:https://meet.example/c\nLOCATION:https://meet.example/c\nDTSTART;TZID=\"Pacific Standard Time\":20270105T180000\nDTEND;TZID=\"Pacific Standard Time\":20270105T190000\nEND:VEVENT\n",
            chrono_tz::UTC,
        );
        assert_eq!(
            times(&windows),
            t(
                "2027-01-05T18:00",
                "2027-01-05T19:00",
                "America/Los_Angeles"
            )
        );
        assert_eq!(
            windows.input.online_url.as_deref(),
            Some("https://meet.example/c")
        );
        let labelled = one(
            "BEGIN:VTIMEZONE\nTZID:(UTC+05:30) Chennai\\, Kolkata\nX-LIC-LOCATION:Asia/Kolkata\nBEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:+0530\nTZOFFSETTO:+0530\nEND:STANDARD\nEND:VTIMEZONE\nBEGIN:VEVENT\nUID:c@x\nSUMMARY:Teach-in\nLOCATION:Town hall\nDTSTART;TZID=\"(UTC+05:30) Chennai, Kolkata\":20270301T100000\nDURATION:PT1H30M\nEND:VEVENT\n",
            LA,
        );
        assert_eq!(
            times(&labelled),
            t("2027-03-01T10:00", "2027-03-01T11:30", "Asia/Kolkata")
        );
    }

    #[test]
    fn utc_and_floating_times_go_to_the_calendar_zone() {
        // Google writes UTC instants and names the calendar's zone.
        let body = "X-WR-TIMEZONE:America/Chicago\nBEGIN:VEVENT\nUID:g@google.com\nSUMMARY:Rally\nLOCATION:Plaza\nDTSTART:20271107T063000Z\nDTEND:20271107T083000Z\nSEQUENCE:3\nLAST-MODIFIED:20270101T120000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:f@x\nSUMMARY:Floating\nLOCATION:Park\nDTSTART:20270410T090000\nEND:VEVENT\n";
        let feed = parse(&ics(body), LA).unwrap();
        assert_eq!(feed.skipped, []);
        // 06:30Z on the fall-back night is the first 01:30 in Chicago (CDT): kept with its
        // offset; the end, 02:30 CST, is unambiguous.
        assert_eq!(
            times(&feed.items[0]),
            t(
                "2027-11-07T01:30-05:00",
                "2027-11-07T02:30",
                "America/Chicago"
            )
        );
        assert_eq!(feed.items[0].sequence, 3);
        assert_eq!(
            feed.items[0].last_modified,
            NaiveDate::from_ymd_opt(2027, 1, 1).and_then(|d| d.and_hms_opt(12, 0, 0))
        );
        // Floating: the calendar's zone; without DTEND, an hour.
        assert_eq!(
            times(&feed.items[1]),
            t("2027-04-10T09:00", "2027-04-10T10:00", "America/Chicago")
        );
        // Without X-WR-TIMEZONE, the partner's default zone.
        let item = one(
            "BEGIN:VEVENT\nUID:f@x\nSUMMARY:Floating\nLOCATION:Park\nDTSTART:20270410T090000\nDTEND:20270410T100000\nEND:VEVENT\n",
            LA,
        );
        assert_eq!(times(&item).2, "America/Los_Angeles");
    }

    #[test]
    fn all_day_end_is_exclusive_and_gaps_move_forward() {
        let item = one(
            "BEGIN:VEVENT\nUID:d@x\nSUMMARY:Week of action\nLOCATION:Everywhere\nDTSTART;VALUE=DATE:20270913\nDTEND;VALUE=DATE:20270920\nEND:VEVENT\n",
            LA,
        );
        assert_eq!(times(&item).0, "2027-09-13");
        assert_eq!(
            times(&item).1,
            "2027-09-19",
            "the last day is the day before DTEND"
        );
        assert_eq!(item.input.all_day, Some(true));
        let one_day = one(
            "BEGIN:VEVENT\nUID:e@x\nSUMMARY:Day\nLOCATION:Here\nDTSTART;VALUE=DATE:20270913\nEND:VEVENT\n",
            LA,
        );
        assert_eq!(
            (times(&one_day).0, times(&one_day).1),
            ("2027-09-13".into(), "2027-09-13".into())
        );
        // 02:30 does not exist in Los Angeles on March 14, 2027: 03:30 PDT.
        let gap = one(
            "BEGIN:VEVENT\nUID:h@x\nSUMMARY:Night\nLOCATION:Here\nDTSTART;TZID=America/Los_Angeles:20270314T023000\nDURATION:PT1H\nEND:VEVENT\n",
            LA,
        );
        assert_eq!(
            times(&gap),
            t(
                "2027-03-14T03:30",
                "2027-03-14T04:30",
                "America/Los_Angeles"
            )
        );
    }

    #[test]
    fn series_with_excluded_and_changed_occurrences() {
        let item = one(
            "BEGIN:VEVENT\nUID:s@x\nSUMMARY:Tuesday vigil\nLOCATION:Palantir\nDTSTART;TZID=America/Los_Angeles:20270105T180000\nDTEND;TZID=America/Los_Angeles:20270105T190000\nRRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6\nEXDATE;TZID=America/Los_Angeles:20270126T180000,20270202T180000\nEND:VEVENT\nBEGIN:VEVENT\nUID:s@x\nRECURRENCE-ID;TZID=America/Los_Angeles:20270112T180000\nSUMMARY:Vigil (late)\nDTSTART;TZID=America/Los_Angeles:20270112T190000\nDTEND;TZID=America/Los_Angeles:20270112T200000\nSEQUENCE:2\nEND:VEVENT\nBEGIN:VEVENT\nUID:s@x\nRECURRENCE-ID:20270120T020000Z\nSUMMARY:Tuesday vigil\nSTATUS:CANCELLED\nDTSTART;TZID=America/Los_Angeles:20270119T180000\nDTEND;TZID=America/Los_Angeles:20270119T190000\nEND:VEVENT\n",
            LA,
        );
        let r = item.input.recurrence.clone().unwrap();
        assert_eq!(r.rrule.as_deref(), Some("FREQ=WEEKLY;BYDAY=TU;COUNT=6"));
        assert_eq!(
            r.exdates,
            Some(vec![
                "2027-01-26T18:00".to_string(),
                "2027-02-02T18:00".to_string()
            ])
        );
        let changes = r.changes.unwrap();
        assert_eq!(changes["2027-01-12T18:00"]["title"], "Vigil (late)");
        assert_eq!(changes["2027-01-12T18:00"]["start"], "2027-01-12T19:00");
        // A RECURRENCE-ID in UTC names the same occurrence by its instant.
        assert_eq!(changes["2027-01-19T18:00"]["status"], "cancelled");
        assert_eq!(item.sequence, 2);
    }

    #[test]
    fn an_override_on_an_extra_date_changes_that_dates_event() {
        // A weekly vigil with an extra Saturday, moved and renamed by its RECURRENCE-ID (twice:
        // the higher SEQUENCE wins whole); a one-off with an extra date, that date cancelled.
        let body = "BEGIN:VEVENT\nUID:v@x\nSUMMARY:Vigil\nLOCATION:Plaza\nDTSTART;TZID=America/Chicago:20270105T180000\nDTEND;TZID=America/Chicago:20270105T190000\nRRULE:FREQ=WEEKLY;COUNT=3\nRDATE;TZID=America/Chicago:20270109T100000\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:v@x\nRECURRENCE-ID;TZID=America/Chicago:20270109T100000\nSUMMARY:Saturday vigil\nLOCATION:Park\nDTSTART;TZID=America/Chicago:20270109T110000\nDTEND;TZID=America/Chicago:20270109T130000\nSEQUENCE:3\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:v@x\nRECURRENCE-ID:20270109T160000Z\nSUMMARY:Older\nDTSTART;TZID=America/Chicago:20270109T100000\nDTEND;TZID=America/Chicago:20270109T110000\nSEQUENCE:1\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:o@x\nSUMMARY:Teach-in\nLOCATION:Library\nDTSTART;TZID=America/Chicago:20270201T180000\nDURATION:PT1H\nRDATE;TZID=America/Chicago:20270208T180000\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:o@x\nRECURRENCE-ID;TZID=America/Chicago:20270208T180000\nSUMMARY:Teach-in\nSTATUS:CANCELLED\nDTSTART;TZID=America/Chicago:20270208T180000\nDURATION:PT1H\nEND:VEVENT\n";
        let feed = parse(&ics(body), LA).unwrap();
        let reasons: Vec<&str> = feed.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(
            reasons,
            ["an older version of a changed occurrence the feed gives twice"]
        );
        let by_uid: std::collections::HashMap<&str, &Item> =
            feed.items.iter().map(|i| (i.uid.as_str(), i)).collect();
        let saturday = &by_uid["v@x#20270109T100000"];
        assert_eq!(
            (
                saturday.input.title.as_deref(),
                saturday.input.start.as_deref(),
                saturday.input.end.as_deref(),
                saturday
                    .input
                    .venue
                    .as_ref()
                    .and_then(|v| v.name.as_deref()),
                saturday.input.uid.as_deref(),
                saturday.sequence,
            ),
            (
                Some("Saturday vigil"),
                Some("2027-01-09T11:00"),
                Some("2027-01-09T13:00"),
                Some("Park"),
                Some("v@x#20270109T100000"),
                3,
            )
        );
        assert!(saturday.input.recurrence.is_none());
        // The series itself is untouched by it.
        let series = &by_uid["v@x"];
        assert_eq!(series.input.title.as_deref(), Some("Vigil"));
        assert!(series.input.recurrence.as_ref().unwrap().changes.is_none());
        // The one-off keeps its own date; its extra date is cancelled.
        assert_eq!(by_uid["o@x"].input.status, Some(Status::Confirmed));
        let extra = &by_uid["o@x#20270208T180000"];
        assert_eq!(extra.input.status, Some(Status::Cancelled));
        assert_eq!(extra.input.start.as_deref(), Some("2027-02-08T18:00"));
    }

    #[test]
    fn what_cannot_be_read_is_skipped_with_its_reason() {
        let body = "BEGIN:VEVENT\nSUMMARY:No uid\nDTSTART:20270101T100000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:z@x\nSUMMARY:Mars\nDTSTART;TZID=Olympus/Mons:20270101T100000\nEND:VEVENT\nBEGIN:VEVENT\nUID:r@x\nSUMMARY:Extra dates\nLOCATION:Here\nDTSTART:20270101T100000Z\nRRULE:FREQ=DAILY;COUNT=2\nRDATE:20270110T100000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:o@x\nRECURRENCE-ID:20270101T100000Z\nSUMMARY:Orphan\nDTSTART:20270101T110000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:k@x\nSUMMARY:Good\nLOCATION:Here\nDTSTART:20270101T100000Z\nDURATION:P1W\nEND:VEVENT\n";
        let feed = parse(&ics(body), LA).unwrap();
        let reasons: Vec<&str> = feed.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "no UID",
                "time zone \"Olympus/Mons\" is neither an IANA nor a Windows zone name",
                "a changed occurrence (RECURRENCE-ID) of a series the feed does not have",
            ]
        );
        let uids: Vec<&str> = feed.items.iter().map(|i| i.uid.as_str()).collect();
        assert_eq!(uids, ["r@x", "r@x#20270110T100000", "k@x"]);
        // The extra date: the master's content and length, at its own time.
        let extra = &feed.items[1].input;
        assert_eq!(
            (
                extra.start.as_deref(),
                extra.end.as_deref(),
                extra.title.as_deref()
            ),
            (
                Some("2027-01-10T10:00"),
                Some("2027-01-10T11:00"),
                Some("Extra dates")
            )
        );
        assert!(extra.recurrence.is_none());
        assert_eq!(
            times(&feed.items[2]).1,
            "2027-01-08T02:00",
            "P1W: a week later"
        );
        assert!(parse("this is not a calendar", LA).is_err());
    }

    #[test]
    fn utc_series_keep_their_instants_and_later_versions_win() {
        // Google anchors some series in UTC: the series repeats 17:00Z, in summer too.
        let body = "X-WR-TIMEZONE:Europe/Madrid\nBEGIN:VEVENT\nUID:u@x\nSUMMARY:Call\nLOCATION:https://meet.example/u\nDTSTART:20270112T170000Z\nDTEND:20270112T180000Z\nRRULE:FREQ=WEEKLY\nEXDATE:20270615T170000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:u@x\nRECURRENCE-ID:20270622T170000Z\nSUMMARY:Call\nLOCATION:Sala B\nDTSTART:20270622T170000Z\nDTEND:20270622T180000Z\nSEQUENCE:1\nEND:VEVENT\nBEGIN:VEVENT\nUID:u@x\nRECURRENCE-ID:20270622T170000Z\nSUMMARY:Old call\nDTSTART:20270622T170000Z\nDTEND:20270622T180000Z\nSEQUENCE:0\nEND:VEVENT\n";
        let feed = parse(&ics(body), LA).unwrap();
        assert_eq!(feed.items.len(), 1);
        let item = &feed.items[0];
        assert_eq!(
            times(item),
            t("2027-01-12T17:00", "2027-01-12T18:00", "UTC")
        );
        let r = item.input.recurrence.clone().unwrap();
        assert_eq!(r.exdates, Some(vec!["2027-06-15T17:00".to_string()]));
        let changes = r.changes.unwrap();
        // The override's own place, and the later of two versions of it.
        assert_eq!(changes["2027-06-22T17:00"]["venue"]["name"], "Sala B");
        assert!(!changes["2027-06-22T17:00"].contains_key("title"));
        assert_eq!(
            feed.skipped
                .iter()
                .map(|s| s.reason.as_str())
                .collect::<Vec<_>>(),
            ["an older version of a changed occurrence the feed gives twice"]
        );
        // Of one UID given twice, the higher SEQUENCE.
        let body = "BEGIN:VEVENT\nUID:v@x\nSUMMARY:New title\nLOCATION:Here\nDTSTART:20270101T100000Z\nSEQUENCE:2\nEND:VEVENT\nBEGIN:VEVENT\nUID:v@x\nSUMMARY:Old title\nLOCATION:Here\nDTSTART:20270101T100000Z\nSEQUENCE:1\nEND:VEVENT\n";
        let feed = parse(&ics(body), LA).unwrap();
        assert_eq!(feed.items.len(), 1);
        assert_eq!(feed.items[0].input.title.as_deref(), Some("New title"));
        assert_eq!(feed.skipped.len(), 1);
    }

    #[test]
    fn series_and_times_that_cannot_be_kept_are_skipped() {
        let body = "BEGIN:VEVENT\nUID:g@x\nSUMMARY:Gap\nLOCATION:Here\nDTSTART;TZID=America/New_York:20270314T023000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nBEGIN:VEVENT\nUID:b@x\nSUMMARY:Backwards\nLOCATION:Here\nDTSTART:20270101T100000Z\nDTEND:20270101T090000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:w@x\nSUMMARY:Weekly\nLOCATION:Here\nDTSTART:20270101T100000Z\nRRULE:FREQ=WEEKLY;BYSETPOS=1\nEND:VEVENT\nBEGIN:VEVENT\nUID:x@x\nSUMMARY:Other day\nLOCATION:Here\nDTSTART;TZID=America/New_York:20270105T180000\nRRULE:FREQ=WEEKLY;BYDAY=TU\nEND:VEVENT\nBEGIN:VEVENT\nUID:x@x\nRECURRENCE-ID;TZID=America/New_York:20270106T180000\nSUMMARY:Wednesday?\nDTSTART;TZID=America/New_York:20270106T180000\nEND:VEVENT\n";
        let feed = parse(&ics(body), LA).unwrap();
        let reasons: Vec<&str> = feed.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(
            reasons[0].contains("skips (clocks spring forward)"),
            "{reasons:?}"
        );
        assert_eq!(
            reasons[1],
            "the event ends before it starts (DTEND or DURATION)"
        );
        assert!(reasons[2].starts_with("RRULE: "), "{reasons:?}");
        assert!(
            reasons[3].starts_with("RECURRENCE-ID 20270106T180000 is not a date"),
            "{reasons:?}"
        );
        assert_eq!(feed.items.len(), 1);
    }

    #[test]
    fn durations() {
        let d = |s: &str| parse_duration(s).map(|l| (l.days, l.seconds));
        assert_eq!(d("PT1H30M"), Ok((0, 5400)));
        assert_eq!(d("P1DT2H"), Ok((1, 7200)));
        assert_eq!(d("P2W"), Ok((14, 0)));
        assert_eq!(d("+PT15M"), Ok((0, 900)));
        for bad in [
            "",
            "P",
            "PT",
            "1H",
            "PT1X",
            "-PT1H",
            "P9999999D",
            "PT9999999999999999H",
            "P9999999999999999999W",
            "P200DT4800H",
            "P1T2H",
        ] {
            assert!(d(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_feed_cut_short_or_with_a_broken_event_keeps_what_reads() {
        let good = |uid: &str| {
            format!(
                "BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:Vigil {uid}\r\nDTSTART:20270313T170000Z\r\n\
                 DTEND:20270313T180000Z\r\nEND:VEVENT\r\n"
            )
        };
        let head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Cut\r\n";
        // Cut inside the third event: the end of the calendar never came.
        let cut = format!(
            "{head}{}{}BEGIN:VEVENT\r\nUID:c@x\r\nSUMMARY:Half",
            good("a@x"),
            good("b@x")
        );
        let feed = parse(&cut, LA).expect("what is there reads");
        let uids: Vec<&str> = feed.items.iter().map(|i| i.uid.as_str()).collect();
        assert_eq!(uids, ["a@x", "b@x"]);
        assert_eq!(feed.name.as_deref(), Some("Cut"));
        assert_eq!(feed.skipped.len(), 1);
        assert!(
            feed.skipped[0].reason.contains("cut off"),
            "{:?}",
            feed.skipped
        );
        // A VEVENT the parser refuses, between two good ones.
        let broken = format!(
            "{head}{}BEGIN:VEVENT\r\nUID:bad@x\r\nthis line is no property\r\nEND:VEVENT\r\n{}END:VCALENDAR\r\n",
            good("a@x"),
            good("b@x")
        );
        let feed = parse(&broken, LA).expect("the good ones read");
        assert_eq!(feed.items.len(), 2);
        assert_eq!(feed.skipped.len(), 1, "{:?}", feed.skipped);
        assert_eq!(feed.skipped[0].uid.as_deref(), Some("bad@x"));
        // Not iCalendar at all: an error, not an empty feed.
        assert!(parse("\u{0}\u{1}garbage", LA).is_err());
        assert!(parse("<html><body>Moved</body></html>", LA).is_err());
    }
}
