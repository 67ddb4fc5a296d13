//! Wall time + IANA zone ⇄ UTC. The organizer's local time and zone are the truth; UTC is derived.
//!
//! Rules (RFC 5545 reading): a local time that falls in a spring-forward gap does not exist and is
//! rejected with words saying so; one that falls in a fall-back overlap means the *first*
//! occurrence unless an explicit offset picks the other. An explicit offset must agree with the zone.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use super::message::Msg;

/// Earliest and latest years accepted, to keep arithmetic and tz data meaningful.
pub const MIN_YEAR: i32 = 1970;
pub const MAX_YEAR: i32 = 2199;

/// A date-time as typed: wall time, optionally with the offset the writer meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalInput {
    pub wall: NaiveDateTime,
    pub offset: Option<FixedOffset>,
}

/// A wall time resolved in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub local: NaiveDateTime,
    pub utc: NaiveDateTime,
}

pub fn parse_zone(name: &str) -> Result<Tz, Msg> {
    name.parse::<Tz>().map_err(|_| Msg::NotZone {
        name: name.to_string(),
    })
}

fn check_year(year: i32) -> Result<(), Msg> {
    if (MIN_YEAR..=MAX_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(Msg::YearOutOfRange {
            year,
            min: MIN_YEAR,
            max: MAX_YEAR,
        })
    }
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<NaiveDate, Msg> {
    let date = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| Msg::NotDate {
        input: s.to_string(),
    })?;
    check_year(date.year())?;
    Ok(date)
}

/// Parses `YYYY-MM-DDTHH:MM[:SS]` with an optional `Z` or `±HH:MM` offset.
pub fn parse_local(s: &str) -> Result<LocalInput, Msg> {
    let text = s.trim();
    let bad = || Msg::NotLocalTime {
        input: s.to_string(),
    };
    if text.len() < 16 || !text.is_char_boundary(16) {
        return Err(bad());
    }
    // Split off an offset: everything after the time part that starts with Z, + or -.
    let (wall_text, offset) = match text[16..].find(['Z', 'z', '+', '-']) {
        Some(pos) => {
            let split = 16 + pos;
            let off_text = &text[split..];
            let offset = if off_text.eq_ignore_ascii_case("z") {
                FixedOffset::east_opt(0)
            } else {
                parse_offset(off_text)
            };
            (&text[..split], Some(offset.ok_or_else(bad)?))
        }
        None => (text, None),
    };
    let wall = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|fmt| NaiveDateTime::parse_from_str(wall_text, fmt).ok())
    .ok_or_else(bad)?;
    check_year(wall.year())?;
    // Sub-second precision means nothing for events; drop it so round trips are exact.
    let wall = wall.with_nanosecond(0).unwrap_or(wall);
    Ok(LocalInput { wall, offset })
}

fn parse_offset(s: &str) -> Option<FixedOffset> {
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &s[1..];
    let (h, m) = match rest.len() {
        5 if rest.as_bytes()[2] == b':' => (&rest[..2], &rest[3..]),
        4 => (&rest[..2], &rest[2..]),
        2 => (rest, "00"),
        _ => return None,
    };
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Formats a UTC offset like `-05:00` (or `+05:45`).
pub fn format_offset(offset_seconds: i32) -> String {
    let sign = if offset_seconds < 0 { '-' } else { '+' };
    let abs = offset_seconds.unsigned_abs();
    format!("{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60)
}

fn clock(t: NaiveTime) -> String {
    format!("{}:{:02}", t.hour(), t.minute())
}

/// The UTC offsets (seconds) in force just before and just after `around` (a UTC instant near a
/// transition), plus the transition instant itself, found by bisection to the second.
pub(crate) fn transition_near(tz: Tz, wall: NaiveDateTime) -> Option<(NaiveDateTime, i32, i32)> {
    let offset_at = |utc: NaiveDateTime| tz.offset_from_utc_datetime(&utc).fix().local_minus_utc();
    // Any transition that makes `wall` a gap or overlap lies within a day of it.
    let mut lo = wall - Duration::days(1);
    let mut hi = wall + Duration::days(1);
    let before = offset_at(lo);
    let after = offset_at(hi);
    if before == after {
        return None;
    }
    while hi - lo > Duration::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        if offset_at(mid) == before {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some((hi, before, after))
}

/// Explains why `wall` does not exist in `tz`: "clocks jump from 2:00 to 3:00".
fn gap_message(tz: Tz, wall: NaiveDateTime) -> Msg {
    let wall_text = wall.format("%Y-%m-%dT%H:%M").to_string();
    match transition_near(tz, wall) {
        Some((at, before, after)) => {
            let from = at + Duration::seconds(i64::from(before));
            let to = at + Duration::seconds(i64::from(after));
            Msg::Gap {
                wall: wall_text,
                zone: tz.name().to_string(),
                from: clock(from.time()),
                to: clock(to.time()),
            }
        }
        None => Msg::Text(format!(
            "{wall_text} does not exist in {}: the clocks skip it",
            tz.name()
        )),
    }
}

/// Resolves a typed local time in `tz`.
pub fn resolve(tz: Tz, input: LocalInput) -> Result<Resolved, Msg> {
    use chrono::LocalResult;
    let candidates: Vec<DateTime<Tz>> = match tz.from_local_datetime(&input.wall) {
        LocalResult::Single(t) => vec![t],
        LocalResult::Ambiguous(first, second) => vec![first, second],
        LocalResult::None => {
            return Err(gap_message(tz, input.wall));
        }
    };
    let chosen = match input.offset {
        None => candidates[0],
        Some(offset) => {
            let wanted = offset.local_minus_utc();
            match candidates
                .iter()
                .find(|c| c.offset().fix().local_minus_utc() == wanted)
            {
                Some(c) => *c,
                None => {
                    let valid: Vec<String> = candidates
                        .iter()
                        .map(|c| format_offset(c.offset().fix().local_minus_utc()))
                        .collect();
                    return Err(Msg::OffsetDisagrees {
                        offset: format_offset(wanted),
                        zone: tz.name().to_string(),
                        wall: input.wall.format("%Y-%m-%dT%H:%M").to_string(),
                        valid: valid.join(" or "),
                    });
                }
            }
        }
    };
    Ok(Resolved {
        local: input.wall,
        utc: chosen.naive_utc(),
    })
}

/// True when `wall` occurs twice in `tz` (fall-back overlap).
pub fn is_ambiguous(tz: Tz, wall: NaiveDateTime) -> bool {
    matches!(
        tz.from_local_datetime(&wall),
        chrono::LocalResult::Ambiguous(..)
    )
}

/// The first instant of `date` in `tz` (midnight, or the first existing time after a gap at midnight).
pub fn start_of_day(tz: Tz, date: NaiveDate) -> NaiveDateTime {
    let midnight = date.and_time(NaiveTime::MIN);
    match tz.from_local_datetime(&midnight).earliest() {
        Some(t) => t.naive_utc(),
        None => match transition_near(tz, midnight) {
            Some((at, _, _)) => at,
            None => midnight,
        },
    }
}

/// A UTC instant shown in `tz`, as RFC 3339 with the local offset (`2027-09-13T16:00:00-07:00`).
pub fn local_rfc3339(tz: Tz, utc: NaiveDateTime) -> String {
    let local = Utc.from_utc_datetime(&utc).with_timezone(&tz);
    local.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// A UTC instant as RFC 3339 with `Z`.
pub fn utc_rfc3339(utc: NaiveDateTime) -> String {
    Utc.from_utc_datetime(&utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The form to give back to an editor: wall time, with the offset only when it is needed to
/// pick the second occurrence of an ambiguous time.
pub fn local_input_string(tz: Tz, local: NaiveDateTime, utc: NaiveDateTime) -> String {
    let base = local.format("%Y-%m-%dT%H:%M").to_string();
    let with_secs = if local.second() != 0 {
        local.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        base
    };
    if is_ambiguous(tz, local) {
        let offset = tz.offset_from_utc_datetime(&utc).fix().local_minus_utc();
        format!("{with_secs}{}", format_offset(offset))
    } else {
        with_secs
    }
}

/// Parses a query bound: a date (`2027-09-13`) or an RFC 3339 instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Date(NaiveDate),
    Instant(NaiveDateTime),
}

pub fn parse_bound(s: &str) -> Result<Bound, Msg> {
    if s.len() == 10 {
        return parse_date(s).map(Bound::Date);
    }
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| Bound::Instant(t.naive_utc()))
        .map_err(|_| Msg::NotBound {
            input: s.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(tz: &str, s: &str) -> Result<String, String> {
        let tz = parse_zone(tz).map_err(|m| m.to_string())?;
        let input = parse_local(s).map_err(|m| m.to_string())?;
        let r = resolve(tz, input).map_err(|m| m.to_string())?;
        Ok(utc_rfc3339(r.utc))
    }

    #[test]
    fn ordinary_times_in_many_zones() {
        assert_eq!(
            at("America/Los_Angeles", "2027-09-13T16:00").unwrap(),
            "2027-09-13T23:00:00Z"
        );
        assert_eq!(
            at("America/New_York", "2027-01-10T09:30").unwrap(),
            "2027-01-10T14:30:00Z"
        );
        assert_eq!(
            at("America/Phoenix", "2027-07-01T16:00").unwrap(),
            "2027-07-01T23:00:00Z"
        );
        assert_eq!(
            at("America/Phoenix", "2027-01-01T16:00").unwrap(),
            "2027-01-01T23:00:00Z"
        );
        assert_eq!(
            at("Pacific/Honolulu", "2027-09-13T16:00").unwrap(),
            "2027-09-14T02:00:00Z"
        );
        assert_eq!(
            at("America/Puerto_Rico", "2027-09-13T16:00").unwrap(),
            "2027-09-13T20:00:00Z"
        );
        assert_eq!(
            at("Asia/Kolkata", "2027-09-13T16:00").unwrap(),
            "2027-09-13T10:30:00Z"
        );
    }

    #[test]
    fn lord_howe_half_hour_dst() {
        // Standard +10:30; DST +11:00 from the first Sunday of October, 2:00 → 2:30.
        assert_eq!(
            at("Australia/Lord_Howe", "2027-07-01T12:00").unwrap(),
            "2027-07-01T01:30:00Z"
        );
        assert_eq!(
            at("Australia/Lord_Howe", "2027-12-01T12:00").unwrap(),
            "2027-12-01T01:00:00Z"
        );
        let err = at("Australia/Lord_Howe", "2027-10-03T02:15").unwrap_err();
        assert!(err.contains("clocks jump from 2:00 to 2:30"), "{err}");
    }

    #[test]
    fn spring_forward_gap_is_rejected_in_words() {
        let err = at("America/New_York", "2027-03-14T02:30").unwrap_err();
        assert_eq!(
            err,
            "2027-03-14T02:30 does not exist in America/New_York: clocks jump from 2:00 to 3:00 that day"
        );
    }

    #[test]
    fn fall_back_overlap_means_first_unless_offset_given() {
        assert_eq!(
            at("America/New_York", "2027-11-07T01:30").unwrap(),
            "2027-11-07T05:30:00Z"
        );
        assert_eq!(
            at("America/New_York", "2027-11-07T01:30-04:00").unwrap(),
            "2027-11-07T05:30:00Z"
        );
        assert_eq!(
            at("America/New_York", "2027-11-07T01:30-05:00").unwrap(),
            "2027-11-07T06:30:00Z"
        );
        assert!(is_ambiguous(
            parse_zone("America/New_York").unwrap(),
            parse_local("2027-11-07T01:30").unwrap().wall
        ));
    }

    #[test]
    fn offset_must_agree_with_zone() {
        let err = at("America/Los_Angeles", "2027-09-13T16:00-05:00").unwrap_err();
        assert!(err.contains("does not agree"), "{err}");
        assert_eq!(
            at("UTC", "2027-09-13T16:00Z").unwrap(),
            "2027-09-13T16:00:00Z"
        );
    }

    #[test]
    fn input_forms() {
        assert!(parse_local("2027-09-13T16:00:30").is_ok());
        assert!(parse_local("2027-09-13 16:00").is_ok());
        assert!(parse_local("2027-09-13").is_err());
        assert!(parse_local("tomorrow at four").is_err());
        assert!(parse_local("2027-13-13T16:00").is_err());
        assert!(parse_local("2027-09-13T16:00+25:00").is_err());
        assert!(parse_local("0001-09-13T16:00").is_err());
        assert!(parse_local("2027-09-13T16:00ñ").is_err());
        assert!(parse_zone("Mars/Olympus_Mons").is_err());
    }

    #[test]
    fn second_occurrence_round_trips_through_editor_form() {
        let tz = parse_zone("America/New_York").unwrap();
        let r = resolve(tz, parse_local("2027-11-07T01:30-05:00").unwrap()).unwrap();
        assert_eq!(
            local_input_string(tz, r.local, r.utc),
            "2027-11-07T01:30-05:00"
        );
        assert_eq!(local_rfc3339(tz, r.utc), "2027-11-07T01:30:00-05:00");
    }

    #[test]
    fn bounds() {
        assert!(matches!(parse_bound("2027-09-13"), Ok(Bound::Date(_))));
        assert!(matches!(
            parse_bound("2027-09-13T00:00:00-07:00"),
            Ok(Bound::Instant(_))
        ));
        assert!(parse_bound("soon").is_err());
    }
}
