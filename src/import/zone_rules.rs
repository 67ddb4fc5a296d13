//! A VTIMEZONE whose TZID is only a label ("(UTC-08:00) Pacific Time (US & Canada)", as
//! Exchange writes them) matched to the IANA zone its rules describe: the offsets its STANDARD
//! and DAYLIGHT observances give, hour by hour through the years events are in, must be the
//! zone's. Of several zones that agree (Los Angeles, Vancouver, Tijuana), the one Windows' table
//! names first wins, so a label reads like the Windows name it stands for.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Weekday};
use chrono_tz::Tz;
use icalendar::parser::Component;

use super::windows_zones::WINDOWS_ZONES;

/// The years compared: those partners' events fall in.
const FIRST_YEAR: i32 = 2024;
const LAST_YEAR: i32 = 2031;

/// One change of offset: at this instant (UTC) the offset becomes `to` (seconds east).
#[derive(Debug, Clone, Copy)]
struct Transition {
    at: NaiveDateTime,
    to: i32,
}

/// `+HHMM`, `-HHMM` or `±HHMMSS` as seconds east of UTC.
fn offset(text: &str) -> Option<i32> {
    let text = text.trim();
    let (sign, digits) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits.get(r).and_then(|s| s.parse::<i32>().ok());
    let secs = n(0..2)? * 3600 + n(2..4)? * 60 + if digits.len() == 6 { n(4..6)? } else { 0 };
    Some(sign * secs)
}

/// The `n`th (from the end when negative) `day` of a month.
fn nth_weekday(year: i32, month: u32, n: i32, day: Weekday) -> Option<NaiveDate> {
    if n > 0 {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let shift = (7 + day.num_days_from_monday() - first.weekday().num_days_from_monday()) % 7;
        let date = first + Duration::days(i64::from(shift) + 7 * i64::from(n - 1));
        (date.month() == month).then_some(date)
    } else {
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        let last = next - Duration::days(1);
        let shift = (7 + last.weekday().num_days_from_monday() - day.num_days_from_monday()) % 7;
        let date = last - Duration::days(i64::from(shift) + 7 * i64::from(-n - 1));
        (date.month() == month).then_some(date)
    }
}

/// The yearly dates a `FREQ=YEARLY;BYMONTH=m;BYDAY=nDD` rule (the only kind VTIMEZONEs carry in
/// practice) gives; `None` for any other rule.
fn yearly_dates(rule: &str, start: NaiveDateTime) -> Option<Vec<NaiveDateTime>> {
    let mut month = None;
    let mut byday = None;
    let mut until = None;
    for part in rule.split(';') {
        let (k, v) = part.split_once('=')?;
        match k.to_ascii_uppercase().as_str() {
            "FREQ" if v.eq_ignore_ascii_case("YEARLY") => {}
            "INTERVAL" if v == "1" => {}
            "BYMONTH" => month = v.parse::<u32>().ok(),
            "BYDAY" => {
                let v = v.to_ascii_uppercase();
                if !v.is_ascii() {
                    return None;
                }
                let (n, code) = v.split_at(v.len().checked_sub(2)?);
                let n = if n.is_empty() || n == "+" {
                    1
                } else {
                    n.trim_start_matches('+').parse::<i32>().ok()?
                };
                // The 1st to 5th, or the last to the 5th from last, of a month.
                if n == 0 || !(-5..=5).contains(&n) {
                    return None;
                }
                byday = Some((n, crate::domain::recurrence::parse_weekday(code)?));
            }
            "UNTIL" => {
                let v = v.trim_end_matches('Z');
                until = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S")
                    .ok()
                    .or_else(|| {
                        NaiveDate::parse_from_str(v, "%Y%m%d")
                            .ok()
                            .map(|d| d.and_time(chrono::NaiveTime::MIN))
                    });
            }
            _ => return None,
        }
    }
    let (month, (n, day)) = (month?, byday?);
    Some(
        (FIRST_YEAR - 1..=LAST_YEAR)
            .filter_map(|y| nth_weekday(y, month, n, day))
            .map(|d| d.and_time(start.time()))
            .filter(|t| *t >= start && until.is_none_or(|u| *t <= u))
            .collect(),
    )
}

/// The offset changes a VTIMEZONE describes, in order; `None` when it cannot be read.
fn transitions(vtimezone: &Component) -> Option<Vec<Transition>> {
    let mut out = Vec::new();
    for obs in &vtimezone.components {
        let name = obs.name.as_str();
        if !(name.eq_ignore_ascii_case("STANDARD") || name.eq_ignore_ascii_case("DAYLIGHT")) {
            continue;
        }
        let prop = |n: &str| obs.find_prop(n).map(|p| p.val.as_str());
        let from = offset(prop("TZOFFSETFROM")?)?;
        let to = offset(prop("TZOFFSETTO")?)?;
        let start = NaiveDateTime::parse_from_str(prop("DTSTART")?.trim(), "%Y%m%dT%H%M%S").ok()?;
        // A wall time in the offset before the change.
        let utc = |local: NaiveDateTime| local - Duration::seconds(i64::from(from));
        match prop("RRULE") {
            Some(rule) => {
                for local in yearly_dates(rule, start)? {
                    out.push(Transition { at: utc(local), to });
                }
            }
            None => out.push(Transition { at: utc(start), to }),
        }
        if obs.find_prop("RDATE").is_some() {
            return None;
        }
    }
    out.sort_by_key(|t| t.at);
    (!out.is_empty()).then_some(out)
}

fn offset_at(list: &[Transition], at: NaiveDateTime) -> i32 {
    match list.iter().rev().find(|t| t.at <= at) {
        Some(t) => t.to,
        // Before the first change: the offset it changes from is not kept; the first one's
        // own offset stands in (a VTIMEZONE starts its observances before the events it serves).
        None => list[0].to,
    }
}

fn zone_offset(tz: Tz, at: NaiveDateTime) -> i32 {
    tz.offset_from_utc_datetime(&at).fix().local_minus_utc()
}

/// The words of a name, lower-cased, for matching a label against it.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 2)
        .map(str::to_lowercase)
        .collect()
}

/// Zones in the order they are tried: those whose Windows name the label spells ("Pacific" of
/// "Pacific Standard Time"), then those whose city it names ("Brussels"), then Windows' other
/// zones, then every zone. Every zone tried must still match the rules.
fn candidates(label: &str) -> Vec<Tz> {
    let said = words(label);
    let says = |name: &str| {
        let w = words(name);
        !w.is_empty() && w.iter().all(|w| said.contains(w))
    };
    // Region/City names only: not the old aliases ("Canada/Pacific", "US/Arizona").
    const REGIONS: [&str; 9] = [
        "Africa/",
        "America/",
        "Antarctica/",
        "Asia/",
        "Atlantic/",
        "Australia/",
        "Europe/",
        "Indian/",
        "Pacific/",
    ];
    let by_city = chrono_tz::TZ_VARIANTS.iter().copied().filter(|tz| {
        let name = tz.name();
        REGIONS.iter().any(|r| name.starts_with(r))
            && name
                .rsplit('/')
                .next()
                .is_some_and(|city| says(&city.replace('_', " ")))
    });
    let windows = |spelled: bool| {
        WINDOWS_ZONES
            .iter()
            .filter(move |(name, _)| says(&name.replace("Standard Time", "")) == spelled)
            .filter_map(|(_, iana)| iana.parse::<Tz>().ok())
    };
    let mut out: Vec<Tz> = Vec::new();
    for tz in windows(true)
        .chain(by_city)
        .chain(windows(false))
        .chain(chrono_tz::TZ_VARIANTS.iter().copied())
    {
        if !out.contains(&tz) {
            out.push(tz);
        }
    }
    out
}

/// The IANA zone whose offsets are the VTIMEZONE's at every hour of the compared years.
pub fn matching_zone(vtimezone: &Component) -> Option<Tz> {
    let label = vtimezone
        .find_prop("TZID")
        .map(|p| p.val.as_str().to_string())
        .unwrap_or_default();
    let list = transitions(vtimezone)?;
    let start = NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1)?.and_time(chrono::NaiveTime::MIN);
    let end = NaiveDate::from_ymd_opt(LAST_YEAR, 12, 31)?.and_time(chrono::NaiveTime::MIN);
    // Cheap first: two instants a year apart in season.
    let probes: Vec<NaiveDateTime> = [(1, 15), (7, 15)]
        .iter()
        .filter_map(|&(m, d)| NaiveDate::from_ymd_opt(2027, m, d))
        .map(|d| d.and_hms_opt(12, 0, 0).unwrap_or_default())
        .collect();
    let agrees_at = |tz: Tz, at: &NaiveDateTime| zone_offset(tz, *at) == offset_at(&list, *at);
    candidates(&label)
        .into_iter()
        .filter(|tz| probes.iter().all(|p| agrees_at(*tz, p)))
        .find(|tz| {
            // Every transition of either side, and an hour either side of it, agree; between
            // transitions offsets do not move, so that is every hour.
            let zone_changes = (FIRST_YEAR..=LAST_YEAR)
                .flat_map(|y| (1..=12).filter_map(move |m| NaiveDate::from_ymd_opt(y, m, 1)));
            let mut instants: Vec<NaiveDateTime> = list
                .iter()
                .map(|t| t.at)
                .filter(|t| (start..=end).contains(t))
                .collect();
            instants.extend(zone_changes.map(|d| d.and_time(chrono::NaiveTime::MIN)));
            instants.iter().all(|t| {
                [-3600, 0, 3600].iter().all(|d| {
                    let at = *t + Duration::seconds(*d);
                    agrees_at(*tz, &at)
                })
            }) && month_by_month_agrees(*tz, &list)
        })
}

/// Every day at noon and midnight (UTC) of the compared years agree: catches a zone whose
/// changes fall on other days than the VTIMEZONE's.
fn month_by_month_agrees(tz: Tz, list: &[Transition]) -> bool {
    let Some(mut day) = NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1) else {
        return false;
    };
    while day.year() <= LAST_YEAR {
        for h in [0, 12] {
            let at = day.and_hms_opt(h, 0, 0).unwrap_or_default();
            if zone_offset(tz, at) != offset_at(list, at) {
                return false;
            }
        }
        day += Duration::days(1);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vtimezone(text: &str) -> Tz {
        let text = format!(
            "BEGIN:VCALENDAR\r\n{}END:VCALENDAR\r\n",
            text.replace('\n', "\r\n")
        );
        let unfolded = icalendar::parser::unfold(&text);
        let cal = icalendar::parser::read_calendar(&unfolded).expect("reads");
        let c = cal
            .components
            .iter()
            .find(|c| c.name.as_str() == "VTIMEZONE")
            .expect("a VTIMEZONE");
        matching_zone(c).expect("a zone matches")
    }

    #[test]
    fn exchange_labels_read_as_the_zone_their_rules_describe() {
        let pacific = "BEGIN:VTIMEZONE\nTZID:(UTC-08:00) Pacific Time (US & Canada)\n\
            BEGIN:STANDARD\nDTSTART:16010101T020000\nTZOFFSETFROM:-0700\nTZOFFSETTO:-0800\n\
            RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11\nEND:STANDARD\n\
            BEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:-0800\nTZOFFSETTO:-0700\n\
            RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\n";
        assert_eq!(vtimezone(pacific), chrono_tz::America::Los_Angeles);
        // Europe's last Sundays at 01:00 UTC.
        let berlin = "BEGIN:VTIMEZONE\nTZID:W. Europe (Amsterdam, Berlin, Bern)\n\
            BEGIN:STANDARD\nDTSTART:16010101T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\n\
            RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\n\
            BEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\n\
            RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\n";
        assert_eq!(vtimezone(berlin), chrono_tz::Europe::Berlin);
        // No daylight time at all: a zone at -07:00 all year (which one the label cannot say).
        let arizona = "BEGIN:VTIMEZONE\nTZID:(UTC-07:00) Arizona\nBEGIN:STANDARD\n\
            DTSTART:16010101T000000\nTZOFFSETFROM:-0700\nTZOFFSETTO:-0700\nEND:STANDARD\n\
            END:VTIMEZONE\n";
        let tz = vtimezone(arizona);
        for month in [1, 7] {
            let at = NaiveDate::from_ymd_opt(2027, month, 1)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap();
            assert_eq!(zone_offset(tz, at), -7 * 3600, "{tz}");
        }
        // The city a label names wins among zones with the same rules.
        let brussels = berlin.replace(
            "W. Europe (Amsterdam, Berlin, Bern)",
            "(UTC+01:00) Brussels",
        );
        assert_eq!(vtimezone(&brussels), chrono_tz::Europe::Brussels);
    }

    #[test]
    fn rules_no_zone_follows_match_none() {
        // Daylight time from the first Sunday of June: no zone does that.
        let odd = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Odd\r\nBEGIN:STANDARD\r\n\
            DTSTART:16010101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\n\
            RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=9\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n\
            DTSTART:16010101T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\n\
            RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=6\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
            END:VCALENDAR\r\n";
        let unfolded = icalendar::parser::unfold(odd);
        let cal = icalendar::parser::read_calendar(&unfolded).unwrap();
        assert_eq!(matching_zone(&cal.components[0]), None);
    }

    #[test]
    fn nth_weekdays() {
        assert_eq!(
            nth_weekday(2027, 3, 2, Weekday::Sun),
            NaiveDate::from_ymd_opt(2027, 3, 14)
        );
        assert_eq!(
            nth_weekday(2027, 10, -1, Weekday::Sun),
            NaiveDate::from_ymd_opt(2027, 10, 31)
        );
        assert_eq!(nth_weekday(2027, 2, 5, Weekday::Mon), None);
        // Rules no VTIMEZONE has are refused, never a panic.
        let start = NaiveDate::from_ymd_opt(1601, 1, 1)
            .unwrap()
            .and_hms_opt(2, 0, 0)
            .unwrap();
        for rule in [
            "FREQ=YEARLY;BYMONTH=3;BYDAY=99999999SU",
            "FREQ=YEARLY;BYMONTH=3;BYDAY=€",
            "FREQ=YEARLY;BYMONTH=3;BYDAY=-2147483648SU",
            "FREQ=YEARLY;BYMONTH=13;BYDAY=1SU",
        ] {
            assert!(
                yearly_dates(rule, start).is_none_or(|d| d.is_empty()),
                "{rule}"
            );
        }
    }
}
