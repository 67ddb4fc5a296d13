//! VTIMEZONE generation from chrono-tz's copy of the IANA tz database.
//!
//! chrono-tz does not expose its transition table, so [`transitions`] recovers it by probing
//! `offset_from_utc_datetime`: a coarse scan every [`PROBE_STEP_SECS`] seconds, then a binary
//! search down to the second wherever the offset differs between two probes.
//!
//! [`write_vtimezone`] turns those transitions into a VTIMEZONE with **one observance per
//! transition**, each with a single DTSTART and no RRULE or RDATE, preceded by one observance
//! that starts at local midnight of `from`'s day and carries the offset in force at `from`.
//! That form was chosen because it is the simplest one to get exactly right:
//!
//! * it reproduces tzdata second for second, including zones whose rules changed (US 2007,
//!   Brazil 2019), Morocco's Ramadan switches and 30-minute shifts, without inferring any rule;
//! * every client reads it the same way: there is no RRULE expansion (BYDAY/UNTIL quirks) and no
//!   comma-separated RDATE list (ical.js and vobject take only its first value);
//! * the first observance starts no later than `from`, so no instant in the range precedes
//!   every observance (libical and ical.js would otherwise apply offset 0 there).
//!
//! The cost is size (about 150 octets per transition) and that the VTIMEZONE only covers
//! `[from, to]`: after `to` clients keep the last offset. Callers with open-ended recurring
//! events should therefore pass a `to` far enough ahead (e.g. now + 5 years).
//!
//! Local times that do not name a unique instant (fall-back overlap, spring-forward gap) must
//! not be written with TZID; [`is_ambiguous_or_gap`] detects them and [`datetime_property`]
//! writes a date-time property in UTC in that case.

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike, Utc,
};
use chrono_tz::{OffsetComponents, OffsetName, Tz, TzOffset};

/// Step of the coarse scan in [`transitions`]. Two transitions closer together than this (an
/// offset change that is undone within six hours) would be missed; tzdata has none in the era a
/// calendar feed cares about.
pub const PROBE_STEP_SECS: i64 = 6 * 60 * 60;

/// Local-time format of DATE-TIME values (RFC 5545 §3.3.5, form #1/#3 without the `Z`).
const ICAL_LOCAL_FORMAT: &str = "%Y%m%dT%H%M%S";

/// One change of a zone's UTC offset (or of its DST flag or abbreviation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The first instant at which `after` applies.
    pub utc: DateTime<Utc>,
    /// Offset in force up to one second before `utc`.
    pub before: TzOffset,
    /// Offset in force from `utc` on.
    pub after: TzOffset,
}

impl Transition {
    /// Total UTC offset before the transition, in seconds east of UTC.
    pub fn offset_before_secs(&self) -> i32 {
        self.before.fix().local_minus_utc()
    }

    /// Total UTC offset after the transition, in seconds east of UTC.
    pub fn offset_after_secs(&self) -> i32 {
        self.after.fix().local_minus_utc()
    }

    /// Wall-clock reading at which the clocks are changed, on the old clock: the "2:00" of
    /// "clocks jump from 2:00 to 3:00". This is also the VTIMEZONE observance's DTSTART.
    pub fn local_before(&self) -> NaiveDateTime {
        local_time(self.utc, self.offset_before_secs())
    }

    /// Wall-clock reading right after the change: the "3:00" of "clocks jump from 2:00 to 3:00"
    /// (or the "1:00" of "clocks go back from 2:00 to 1:00").
    pub fn local_after(&self) -> NaiveDateTime {
        local_time(self.utc, self.offset_after_secs())
    }

    /// The clocks jump forward: local times in `[local_before, local_after)` do not exist.
    pub fn is_gap(&self) -> bool {
        self.offset_after_secs() > self.offset_before_secs()
    }

    /// The clocks go back: local times in `[local_after, local_before)` happen twice.
    pub fn is_overlap(&self) -> bool {
        self.offset_after_secs() < self.offset_before_secs()
    }

    /// Whether the period starting here is daylight saving time (a DAYLIGHT observance).
    ///
    /// Normally that is "DST offset is positive". Zones that tzdata models with *negative* DST
    /// (Europe/Dublin's winter, Morocco's Ramadan time) are mapped the conventional way: the
    /// negative period is STANDARD and the period that ends it is DAYLIGHT.
    pub fn is_daylight(&self) -> bool {
        is_daylight(&self.after, Some(&self.before))
    }
}

/// Wall-clock time of `utc` at `offset_secs` east of UTC, saturating at chrono's limits (only
/// reachable with instants far outside tzdata's range).
fn local_time(utc: DateTime<Utc>, offset_secs: i32) -> NaiveDateTime {
    let delta = TimeDelta::seconds(i64::from(offset_secs));
    utc.naive_utc()
        .checked_add_signed(delta)
        .unwrap_or(if offset_secs < 0 {
            NaiveDateTime::MIN
        } else {
            NaiveDateTime::MAX
        })
}

/// Classifies `offset` as daylight time, given a neighbouring offset of the same zone.
fn is_daylight(offset: &TzOffset, neighbour: Option<&TzOffset>) -> bool {
    let dst = offset.dst_offset();
    dst > TimeDelta::zero()
        || (dst.is_zero() && neighbour.is_some_and(|n| n.dst_offset() < TimeDelta::zero()))
}

/// First instant handled, 0001-01-02T00:00:00Z: local times stay within four-digit years.
const MIN_TIMESTAMP: i64 = -62_135_510_400;
/// Last instant handled, 9999-12-30T00:00:00Z.
const MAX_TIMESTAMP: i64 = 253_402_128_000;

/// Truncates `dt` to whole seconds and clamps it to [`MIN_TIMESTAMP`, `MAX_TIMESTAMP`], so that
/// adding a UTC offset can never overflow and every local time formats as `YYYYMMDD`.
fn clamp_to_ical_range(dt: DateTime<Utc>) -> DateTime<Utc> {
    let ts = dt.timestamp().clamp(MIN_TIMESTAMP, MAX_TIMESTAMP);
    DateTime::from_timestamp(ts, 0).unwrap_or(dt)
}

/// Offset of `tz` at the Unix timestamp `ts`, or `None` if `ts` is outside chrono's range.
fn offset_at(tz: Tz, ts: i64) -> Option<TzOffset> {
    DateTime::from_timestamp(ts, 0).map(|dt| tz.offset_from_utc_datetime(&dt.naive_utc()))
}

/// All transitions of `tz` at instants `t` with `from < t <= to`, in order, to the second.
///
/// A transition is reported whenever anything about the offset changes — the total UTC offset,
/// its split into base and DST, or its abbreviation — so a transition may have
/// `offset_before_secs() == offset_after_secs()`; use [`Transition::is_gap`] /
/// [`Transition::is_overlap`] to find the ones that move the clocks. Empty if `to <= from`.
pub fn transitions(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Transition> {
    let mut found = Vec::new();
    let end = clamp_to_ical_range(to).timestamp();
    let mut lo = clamp_to_ical_range(from).timestamp();
    let Some(mut lo_offset) = offset_at(tz, lo) else {
        return found;
    };
    while lo < end {
        let hi = lo.saturating_add(PROBE_STEP_SECS).min(end);
        let Some(hi_offset) = offset_at(tz, hi) else {
            break;
        };
        if hi_offset == lo_offset {
            lo = hi;
            continue;
        }
        // Invariant: offset(a) == lo_offset, offset(b) != lo_offset.
        let (mut a, mut b) = (lo, hi);
        let mut after = hi_offset;
        while b - a > 1 {
            let mid = a + (b - a) / 2;
            let Some(mid_offset) = offset_at(tz, mid) else {
                break;
            };
            if mid_offset == lo_offset {
                a = mid;
            } else {
                b = mid;
                after = mid_offset;
            }
        }
        let Some(utc) = DateTime::from_timestamp(b, 0) else {
            break;
        };
        found.push(Transition {
            utc,
            before: lo_offset,
            after,
        });
        // Continue from the transition itself, so that a second change before `hi` is found too.
        lo = b;
        lo_offset = after;
    }
    found
}

/// Whether the wall-clock time `local` in `tz` does not name exactly one instant: it falls in a
/// fall-back overlap (happens twice) or a spring-forward gap (never happens).
///
/// Such a time must not be written as `DTSTART;TZID=…:local` because clients disagree on it;
/// write the instant in UTC instead (see [`datetime_property`]).
pub fn is_ambiguous_or_gap(tz: Tz, local: NaiveDateTime) -> bool {
    !matches!(tz.from_local_datetime(&local), LocalResult::Single(_))
}

/// Formats a DATE-TIME property (e.g. `DTSTART`) for the instant `at` shown in `tz`.
///
/// Returns `NAME;TZID=<IANA name>:YYYYMMDDTHHMMSS` when the local time is unambiguous, else
/// `NAME:YYYYMMDDTHHMMSSZ` (UTC); also UTC when `tz` is UTC itself. Sub-second precision is
/// dropped. The result is an unfolded content line without CRLF (it is always short); a feed
/// that uses TZID must also contain the VTIMEZONE from [`write_vtimezone`] covering `at`.
pub fn datetime_property(name: &str, tz: Tz, at: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(name.len() + 40);
    push_datetime_property(&mut out, name, tz, at.naive_utc());
    out
}

/// [`datetime_property`] appended to `out` (the feed writer's hot path; no chrono formatting).
/// `utc` is the instant as naive UTC. Returns whether the property names `TZID=tz`.
pub fn push_datetime_property(out: &mut String, name: &str, tz: Tz, utc: NaiveDateTime) -> bool {
    let local = utc
        + TimeDelta::seconds(i64::from(
            tz.offset_from_utc_datetime(&utc).fix().local_minus_utc(),
        ));
    out.push_str(name);
    if tz == Tz::UTC || tz == Tz::Etc__UTC || is_ambiguous_or_gap(tz, local) {
        out.push(':');
        push_ical_datetime(out, utc);
        out.push('Z');
        false
    } else {
        out.push_str(";TZID=");
        out.push_str(tz.name());
        out.push(':');
        push_ical_datetime(out, local);
        true
    }
}

/// Appends `YYYYMMDDTHHMMSS` (RFC 5545 DATE-TIME without the `Z`), years 0–9999.
pub fn push_ical_datetime(out: &mut String, t: NaiveDateTime) {
    push_ical_date(out, t.date());
    out.push('T');
    let secs = t.time().num_seconds_from_midnight();
    push_digits(out, secs / 3600, 2);
    push_digits(out, secs / 60 % 60, 2);
    push_digits(out, secs % 60, 2);
}

/// Appends `YYYYMMDD` (RFC 5545 DATE).
pub fn push_ical_date(out: &mut String, d: chrono::NaiveDate) {
    push_digits(out, u32::try_from(d.year()).unwrap_or(0).min(9999), 4);
    push_digits(out, d.month(), 2);
    push_digits(out, d.day(), 2);
}

fn push_digits(out: &mut String, value: u32, width: u32) {
    for i in (0..width).rev() {
        let digit = value / 10u32.pow(i) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

/// Formats a UTC offset as RFC 5545 `utc-offset`: `±HHMM`, or `±HHMMSS` if the seconds are not
/// zero. Zero is `+0000` (`-0000` is not allowed).
pub fn format_utc_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

/// TZNAME for an offset: its tz abbreviation (`PDT`), or a numeric one in tzdata's style
/// (`+01`, `+1030`) when chrono-tz has none or it contains anything but ASCII letters, digits,
/// `+` and `-`.
fn tzname(offset: &TzOffset) -> String {
    match offset.abbreviation() {
        Some(abbr)
            if !abbr.is_empty()
                && abbr
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-') =>
        {
            abbr.to_owned()
        }
        _ => numeric_tzname(offset.fix().local_minus_utc()),
    }
}

/// tzdata's style of numeric abbreviation: `+00`, `-03`, `+0530` (minutes only when non-zero,
/// seconds only when non-zero).
fn numeric_tzname(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
    match (m, s) {
        (0, 0) => format!("{sign}{h:02}"),
        (m, 0) => format!("{sign}{h:02}{m:02}"),
        (m, s) => format!("{sign}{h:02}{m:02}{s:02}"),
    }
}

/// Appends one `NAME:value` line with CRLF. Every line written here is far below 75 octets.
fn push_line(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push(':');
    out.push_str(value);
    out.push_str("\r\n");
}

/// Appends one STANDARD/DAYLIGHT observance.
fn push_observance(
    out: &mut String,
    daylight: bool,
    dtstart: NaiveDateTime,
    offset_from: i32,
    to: &TzOffset,
) {
    let kind = if daylight { "DAYLIGHT" } else { "STANDARD" };
    push_line(out, "BEGIN", kind);
    push_line(
        out,
        "DTSTART",
        &dtstart.format(ICAL_LOCAL_FORMAT).to_string(),
    );
    push_line(out, "TZOFFSETFROM", &format_utc_offset(offset_from));
    push_line(
        out,
        "TZOFFSETTO",
        &format_utc_offset(to.fix().local_minus_utc()),
    );
    push_line(out, "TZNAME", &tzname(to));
    push_line(out, "END", kind);
}

/// Appends a complete `BEGIN:VTIMEZONE … END:VTIMEZONE` block (CRLF line endings) for `tz`,
/// valid for every instant in `[from, to]`.
///
/// Shape: `TZID` is the IANA name; the first observance covers `from` (its DTSTART is local
/// midnight of the day of `from`, TZOFFSETFROM = TZOFFSETTO = the offset in force at `from`)
/// and is followed by one observance per [`transitions`] entry in `(from, to]`, whose DTSTART
/// is the local time of the change in the previous offset (TZOFFSETFROM), as RFC 5545
/// requires. A zone without transitions in the range gets exactly one STANDARD observance.
/// No RRULE, no RDATE.
///
/// `to < from` is treated as the single instant `from`. For a stable output (ETags), pass
/// stable bounds, e.g. rounded to whole days or years.
pub fn write_vtimezone(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>, out: &mut String) {
    let from = clamp_to_ical_range(from);
    let changes = transitions(tz, from, to);
    let initial = tz.offset_from_utc_datetime(&from.naive_utc());
    let initial_secs = initial.fix().local_minus_utc();
    // Start at local midnight of `from`'s day: still at or before `from`, before every
    // transition listed (they all follow `from`), and stable while `from` moves within a day.
    let start = local_time(from, initial_secs)
        .date()
        .and_time(chrono::NaiveTime::MIN);

    push_line(out, "BEGIN", "VTIMEZONE");
    push_line(out, "TZID", tz.name());
    let initial_daylight =
        !changes.is_empty() && is_daylight(&initial, changes.first().map(|t| &t.after));
    push_observance(out, initial_daylight, start, initial_secs, &initial);
    for t in &changes {
        push_observance(
            out,
            t.is_daylight(),
            t.local_before(),
            t.offset_before_secs(),
            &t.after,
        );
    }
    push_line(out, "END", "VTIMEZONE");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, Timelike};
    use chrono_tz::Tz;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    fn tz(name: &str) -> Tz {
        name.parse().unwrap()
    }

    fn vtimezone(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
        let mut out = String::new();
        write_vtimezone(tz, from, to, &mut out);
        out
    }

    // ----- A tiny interpreter for our own output -------------------------------------------

    #[derive(Debug, Clone)]
    struct Observance {
        daylight: bool,
        dtstart: NaiveDateTime,
        from: i32,
        to: i32,
        name: String,
    }

    impl Observance {
        /// UTC onset: DTSTART is local time in TZOFFSETFROM.
        fn onset(&self) -> NaiveDateTime {
            self.dtstart - TimeDelta::seconds(i64::from(self.from))
        }
    }

    #[derive(Debug)]
    struct ParsedTz {
        tzid: String,
        observances: Vec<Observance>,
    }

    fn parse_offset(s: &str) -> i32 {
        let sign = match &s[..1] {
            "+" => 1,
            "-" => -1,
            _ => panic!("offset without sign: {s}"),
        };
        assert!(s.len() == 5 || s.len() == 7, "bad offset {s}");
        let h: i32 = s[1..3].parse().unwrap();
        let m: i32 = s[3..5].parse().unwrap();
        let sec: i32 = if s.len() == 7 {
            let v = s[5..7].parse().unwrap();
            assert_ne!(v, 0, "seconds written although zero: {s}");
            v
        } else {
            0
        };
        assert!(m < 60 && sec < 60);
        assert_ne!(s, "-0000");
        sign * (h * 3600 + m * 60 + sec)
    }

    /// Parses one VTIMEZONE block and checks its structure strictly.
    fn parse(text: &str) -> ParsedTz {
        assert!(text.ends_with("\r\n"), "not CRLF-terminated");
        let body = &text[..text.len() - 2];
        let lines: Vec<&str> = body.split("\r\n").collect();
        for l in &lines {
            assert!(!l.contains(['\r', '\n']), "bare CR/LF in {l:?}");
            assert!(l.len() <= 75, "long line {l:?}");
            assert!(!l.starts_with(' '), "folded line {l:?}");
            let name = l.split(':').next().unwrap();
            assert!(
                !matches!(name, "RDATE" | "RRULE" | "EXDATE"),
                "unexpected {l:?}"
            );
        }
        assert_eq!(lines.first(), Some(&"BEGIN:VTIMEZONE"));
        assert_eq!(lines.last(), Some(&"END:VTIMEZONE"));
        let mut tzid = None;
        let mut observances = Vec::new();
        let mut cur: Option<(bool, Vec<(&str, &str)>)> = None;
        for l in &lines[1..lines.len() - 1] {
            let (name, value) = l.split_once(':').unwrap();
            match (name, &mut cur) {
                ("BEGIN", None) => {
                    let daylight = match value {
                        "DAYLIGHT" => true,
                        "STANDARD" => false,
                        other => panic!("unknown component {other}"),
                    };
                    cur = Some((daylight, Vec::new()));
                }
                ("END", Some((daylight, props))) => {
                    assert_eq!(value, if *daylight { "DAYLIGHT" } else { "STANDARD" });
                    let get = |n: &str| {
                        let v: Vec<&str> = props
                            .iter()
                            .filter(|(k, _)| *k == n)
                            .map(|(_, v)| *v)
                            .collect();
                        assert_eq!(v.len(), 1, "{n} must appear once in {props:?}");
                        v[0]
                    };
                    let dtstart = get("DTSTART");
                    assert!(!dtstart.contains([',', 'Z']), "DTSTART {dtstart}");
                    observances.push(Observance {
                        daylight: *daylight,
                        dtstart: NaiveDateTime::parse_from_str(dtstart, ICAL_LOCAL_FORMAT).unwrap(),
                        from: parse_offset(get("TZOFFSETFROM")),
                        to: parse_offset(get("TZOFFSETTO")),
                        name: get("TZNAME").to_owned(),
                    });
                    assert_eq!(props.len(), 4, "{props:?}");
                    cur = None;
                }
                (_, Some((_, props))) => props.push((name, value)),
                ("TZID", None) => {
                    assert!(tzid.is_none());
                    tzid = Some(value.to_owned());
                }
                _ => panic!("unexpected line {l:?}"),
            }
        }
        assert!(cur.is_none());
        assert!(!observances.is_empty());
        // Observances are in order and chain: each starts from the previous one's offset.
        for w in observances.windows(2) {
            assert!(w[0].onset() < w[1].onset(), "{w:?}");
            assert_eq!(w[0].to, w[1].from, "{w:?}");
        }
        assert_eq!(observances[0].from, observances[0].to);
        ParsedTz {
            tzid: tzid.unwrap(),
            observances,
        }
    }

    impl ParsedTz {
        /// Offset in force at the UTC instant `u`, as RFC 5545 defines it: the observance with
        /// the latest onset at or before `u`. `None` before the first observance.
        fn offset_at_utc(&self, u: NaiveDateTime) -> Option<i32> {
            self.observances
                .iter()
                .filter(|o| o.onset() <= u)
                .max_by_key(|o| o.onset())
                .map(|o| o.to)
        }

        /// Converts a (unique) local time to UTC the way libical and dateutil do: the
        /// observance with the latest DTSTART at or before the local time applies.
        fn local_to_utc(&self, l: NaiveDateTime) -> Option<NaiveDateTime> {
            self.observances
                .iter()
                .filter(|o| o.dtstart <= l)
                .max_by_key(|o| o.dtstart)
                .map(|o| l - TimeDelta::seconds(i64::from(o.to)))
        }
    }

    fn chrono_offset(tz: Tz, u: NaiveDateTime) -> i32 {
        tz.offset_from_utc_datetime(&u).fix().local_minus_utc()
    }

    /// Checks the generated VTIMEZONE of `name` against chrono-tz over `[from, to]`: every hour
    /// and around every transition in UTC, and every 15 minutes of local time.
    fn assert_matches_chrono_tz(name: &str, from: DateTime<Utc>, to: DateTime<Utc>) {
        let zone = tz(name);
        let text = vtimezone(zone, from, to);
        let parsed = parse(&text);
        assert_eq!(parsed.tzid, name);
        let changes = transitions(zone, from, to);
        assert_eq!(parsed.observances.len(), changes.len() + 1);
        if changes.is_empty() {
            assert!(
                !parsed.observances[0].daylight,
                "no-DST zone must be STANDARD"
            );
        }

        // UTC instants: hourly plus ±1 s around each transition, plus both ends.
        let mut instants = vec![from.naive_utc(), to.naive_utc()];
        let mut u = from.naive_utc();
        while u <= to.naive_utc() {
            instants.push(u);
            u += TimeDelta::hours(1);
        }
        for t in &changes {
            let at = t.utc.naive_utc();
            instants.extend([at - TimeDelta::seconds(1), at, at + TimeDelta::seconds(1)]);
        }
        for u in instants {
            assert_eq!(
                parsed.offset_at_utc(u),
                Some(chrono_offset(zone, u)),
                "{name} at {u} UTC"
            );
        }

        // Local times: every 15 minutes, skipping the first and last day (where a local time
        // may lie outside [from, to]).
        let mut l = (from + TimeDelta::days(1)).naive_utc();
        let end = (to - TimeDelta::days(1)).naive_utc();
        let mut unique = 0;
        while l <= end {
            if let LocalResult::Single(dt) = zone.from_local_datetime(&l) {
                unique += 1;
                assert_eq!(
                    parsed.local_to_utc(l),
                    Some(dt.naive_utc()),
                    "{name} at local {l}"
                );
            } else {
                assert!(is_ambiguous_or_gap(zone, l));
            }
            l += TimeDelta::minutes(15);
        }
        assert!(unique > 0);

        // TZNAME and DAYLIGHT flags agree with chrono-tz after every transition.
        for (o, t) in parsed.observances[1..].iter().zip(&changes) {
            assert_eq!(o.dtstart, t.local_before());
            assert_eq!(o.to, t.offset_after_secs());
            assert_eq!(o.daylight, t.is_daylight());
            if let Some(abbr) = t.after.abbreviation() {
                assert_eq!(o.name, abbr);
            }
        }
    }

    const ZONES: [&str; 10] = [
        "America/Los_Angeles",
        "America/New_York",
        "America/Phoenix",
        "Pacific/Honolulu",
        "America/Puerto_Rico",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
        "Europe/Berlin",
        "America/Sao_Paulo",
        "Africa/Casablanca",
    ];

    #[test]
    fn matches_chrono_tz_2024_to_2030() {
        for name in ZONES {
            assert_matches_chrono_tz(name, utc(2024, 1, 1, 0, 0, 0), utc(2031, 1, 1, 0, 0, 0));
        }
    }

    #[test]
    fn matches_chrono_tz_across_rule_changes() {
        // US 2007 rule change, Brazil abolishing DST in 2019, Morocco's 2018 switch to +01 with
        // Ramadan breaks, Moscow's 2011 permanent summer time and 2014 reversal, Samoa skipping
        // a day in 2011, plus a zone with a 45-minute offset.
        let cases = [
            ("America/New_York", 2004, 2010),
            ("America/Sao_Paulo", 2015, 2022),
            ("Africa/Casablanca", 2016, 2020),
            ("Europe/Moscow", 2009, 2016),
            ("Pacific/Apia", 2010, 2022),
            ("Asia/Kathmandu", 1985, 1987),
            ("Europe/Dublin", 2020, 2025),
            ("Australia/Sydney", 2006, 2010),
            ("America/Santiago", 2020, 2026),
        ];
        for (name, y0, y1) in cases {
            assert_matches_chrono_tz(name, utc(y0, 1, 1, 0, 0, 0), utc(y1, 12, 31, 0, 0, 0));
        }
    }

    #[test]
    fn odd_bounds_are_covered() {
        // Bounds that are not whole hours, with sub-second parts, right at transitions.
        let la = tz("America/Los_Angeles");
        let spring = utc(2026, 3, 8, 10, 0, 0);
        let from = utc(2026, 3, 8, 9, 59, 59) + TimeDelta::milliseconds(999);
        let parsed = parse(&vtimezone(la, from, spring));
        assert_eq!(parsed.observances.len(), 2);
        assert_eq!(parsed.observances[0].dtstart, local(2026, 3, 8, 0, 0));
        assert_eq!(parsed.offset_at_utc(from.naive_utc()), Some(-8 * 3600));
        assert_eq!(parsed.offset_at_utc(spring.naive_utc()), Some(-7 * 3600));

        // A transition exactly at `from` is already in force: no second observance.
        let parsed = parse(&vtimezone(la, spring, spring + TimeDelta::days(1)));
        assert_eq!(parsed.observances.len(), 1);
        assert_eq!(parsed.observances[0].to, -7 * 3600);
        assert!(!parsed.observances[0].daylight, "no transitions: STANDARD");

        // `to` before `from`: just the offset at `from`.
        let parsed = parse(&vtimezone(la, spring, utc(2020, 1, 1, 0, 0, 0)));
        assert_eq!(parsed.observances.len(), 1);
        assert!(transitions(la, spring, utc(2020, 1, 1, 0, 0, 0)).is_empty());

        // Extreme bounds do not panic and are clamped to four-digit years.
        assert_eq!(
            clamp_to_ical_range(DateTime::<Utc>::MIN_UTC),
            utc(1, 1, 2, 0, 0, 0)
        );
        assert_eq!(
            clamp_to_ical_range(DateTime::<Utc>::MAX_UTC),
            utc(9999, 12, 30, 0, 0, 0)
        );
        let mut out = String::new();
        write_vtimezone(
            la,
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MIN_UTC,
            &mut out,
        );
        write_vtimezone(
            la,
            DateTime::<Utc>::MAX_UTC,
            DateTime::<Utc>::MAX_UTC,
            &mut out,
        );
        assert!(transitions(
            la,
            DateTime::<Utc>::MAX_UTC - TimeDelta::days(1),
            DateTime::<Utc>::MAX_UTC
        )
        .is_empty());
    }

    #[test]
    fn ranges_starting_next_to_transitions() {
        // `from` inside an overlap, just before/after a change, at odd seconds: the first
        // observance (local midnight) must still precede every transition.
        let cases = [
            ("America/New_York", utc(2026, 11, 1, 5, 30, 0)),
            ("America/New_York", utc(2026, 11, 1, 5, 59, 59)),
            ("America/New_York", utc(2026, 3, 8, 6, 59, 59)),
            ("Australia/Lord_Howe", utc(2026, 4, 4, 14, 59, 59)),
            ("Australia/Lord_Howe", utc(2026, 10, 3, 15, 29, 13)),
            ("Pacific/Apia", utc(2011, 12, 30, 9, 59, 59)),
            ("Africa/Casablanca", utc(2026, 2, 15, 1, 59, 59)),
        ];
        for (name, from) in cases {
            assert_matches_chrono_tz(name, from, from + TimeDelta::days(10));
            let parsed = parse(&vtimezone(tz(name), from, from + TimeDelta::days(10)));
            assert_eq!(parsed.observances[0].dtstart.time(), chrono::NaiveTime::MIN);
            assert!(parsed.observances[0].onset() <= from.naive_utc());
        }
    }

    #[test]
    fn numeric_tznames_follow_tzdata_style() {
        assert_eq!(numeric_tzname(0), "+00");
        assert_eq!(numeric_tzname(3600), "+01");
        assert_eq!(numeric_tzname(-3 * 3600), "-03");
        assert_eq!(numeric_tzname(37800), "+1030");
        assert_eq!(numeric_tzname(-(4 * 3600 + 56 * 60 + 2)), "-045602");
    }

    #[test]
    fn los_angeles_2026_exact_output() {
        let text = vtimezone(
            tz("America/Los_Angeles"),
            utc(2026, 1, 1, 8, 0, 0),
            utc(2027, 1, 1, 8, 0, 0),
        );
        let expected = "BEGIN:VTIMEZONE\r\n\
            TZID:America/Los_Angeles\r\n\
            BEGIN:STANDARD\r\n\
            DTSTART:20260101T000000\r\n\
            TZOFFSETFROM:-0800\r\n\
            TZOFFSETTO:-0800\r\n\
            TZNAME:PST\r\n\
            END:STANDARD\r\n\
            BEGIN:DAYLIGHT\r\n\
            DTSTART:20260308T020000\r\n\
            TZOFFSETFROM:-0800\r\n\
            TZOFFSETTO:-0700\r\n\
            TZNAME:PDT\r\n\
            END:DAYLIGHT\r\n\
            BEGIN:STANDARD\r\n\
            DTSTART:20261101T020000\r\n\
            TZOFFSETFROM:-0700\r\n\
            TZOFFSETTO:-0800\r\n\
            TZNAME:PST\r\n\
            END:STANDARD\r\n\
            END:VTIMEZONE\r\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn zones_without_dst_get_one_standard_observance() {
        for (name, offset, abbr) in [
            ("America/Phoenix", "-0700", "MST"),
            ("Pacific/Honolulu", "-1000", "HST"),
            ("America/Puerto_Rico", "-0400", "AST"),
            ("Asia/Kolkata", "+0530", "IST"),
            ("Asia/Kathmandu", "+0545", "+0545"),
            ("Asia/Dubai", "+0400", "+04"),
            ("America/Sao_Paulo", "-0300", "-03"),
            ("UTC", "+0000", "UTC"),
        ] {
            let text = vtimezone(tz(name), utc(2024, 1, 1, 0, 0, 0), utc(2031, 1, 1, 0, 0, 0));
            assert_eq!(text.matches("BEGIN:STANDARD").count(), 1, "{text}");
            assert!(!text.contains("DAYLIGHT"), "{text}");
            assert!(
                text.contains(&format!("TZOFFSETFROM:{offset}\r\n")),
                "{text}"
            );
            assert!(text.contains(&format!("TZOFFSETTO:{offset}\r\n")), "{text}");
            assert!(text.contains(&format!("TZNAME:{abbr}\r\n")), "{text}");
            assert!(text.contains(&format!("TZID:{name}\r\n")), "{text}");
        }
    }

    #[test]
    fn sao_paulo_after_2019_has_no_dst() {
        let sp = tz("America/Sao_Paulo");
        let t = transitions(sp, utc(2018, 1, 1, 0, 0, 0), utc(2030, 1, 1, 0, 0, 0));
        // 2018-02-18 end, 2018-11-04 start, 2019-02-17 end; nothing after.
        assert_eq!(t.len(), 3, "{t:?}");
        assert_eq!(t[2].utc, utc(2019, 2, 17, 2, 0, 0));
        assert_eq!(t[2].offset_after_secs(), -3 * 3600);
        assert!(t[1].is_daylight() && !t[2].is_daylight());
        let text = vtimezone(sp, utc(2020, 1, 1, 0, 0, 0), utc(2030, 1, 1, 0, 0, 0));
        assert_eq!(text.matches("BEGIN:STANDARD").count(), 1);
    }

    #[test]
    fn lord_howe_half_hour_shifts() {
        let lh = tz("Australia/Lord_Howe");
        let t = transitions(lh, utc(2026, 1, 1, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0));
        assert_eq!(t.len(), 2, "{t:?}");
        // Fall back: 02:00 (+11) -> 01:30 (+10:30) on 2026-04-05.
        assert_eq!(t[0].utc, utc(2026, 4, 4, 15, 0, 0));
        assert_eq!(t[0].local_before(), local(2026, 4, 5, 2, 0));
        assert_eq!(t[0].local_after(), local(2026, 4, 5, 1, 30));
        assert!(t[0].is_overlap() && !t[0].is_gap() && !t[0].is_daylight());
        // Spring forward: 02:00 (+10:30) -> 02:30 (+11) on 2026-10-04.
        assert_eq!(t[1].utc, utc(2026, 10, 3, 15, 30, 0));
        assert_eq!(t[1].local_before(), local(2026, 10, 4, 2, 0));
        assert_eq!(t[1].local_after(), local(2026, 10, 4, 2, 30));
        assert!(t[1].is_gap() && t[1].is_daylight());
        let text = vtimezone(lh, utc(2026, 1, 1, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0));
        assert!(text.contains("TZOFFSETFROM:+1100\r\nTZOFFSETTO:+1030\r\nTZNAME:+1030\r\n"));
        assert!(
            text.contains("DTSTART:20261004T020000\r\nTZOFFSETFROM:+1030\r\nTZOFFSETTO:+1100\r\n")
        );
    }

    #[test]
    fn explains_us_dst_changes() {
        let ny = tz("America/New_York");
        let t = transitions(ny, utc(2026, 1, 1, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0));
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].utc, utc(2026, 3, 8, 7, 0, 0));
        assert_eq!(
            (
                t[0].local_before().time().hour(),
                t[0].local_after().time().hour()
            ),
            (2, 3)
        );
        assert_eq!(t[0].before.abbreviation(), Some("EST"));
        assert_eq!(t[0].after.abbreviation(), Some("EDT"));
        assert_eq!(t[1].utc, utc(2026, 11, 1, 6, 0, 0));
        assert_eq!(
            (
                t[1].local_before().time().hour(),
                t[1].local_after().time().hour()
            ),
            (2, 1)
        );
        assert!(t[1].is_overlap());
    }

    #[test]
    fn offsets_with_seconds_use_hhmmss() {
        assert_eq!(format_utc_offset(0), "+0000");
        assert_eq!(format_utc_offset(19800), "+0530");
        assert_eq!(format_utc_offset(-37800), "-1030");
        assert_eq!(format_utc_offset(-(4 * 3600 + 56 * 60 + 2)), "-045602");
        assert_eq!(format_utc_offset(-59), "-000059");
        // New York switched from local mean time (-4:56:02) to EST on 1883-11-18.
        let ny = tz("America/New_York");
        let text = vtimezone(ny, utc(1883, 1, 1, 0, 0, 0), utc(1884, 1, 1, 0, 0, 0));
        assert!(
            text.contains("TZOFFSETFROM:-045602\r\nTZOFFSETTO:-045602\r\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "DTSTART:18831118T120358\r\nTZOFFSETFROM:-045602\r\nTZOFFSETTO:-0500\r\n"
            ),
            "{text}"
        );
        parse(&text);
    }

    #[test]
    fn negative_dst_zones_map_summer_to_daylight() {
        // Dublin: tzdata uses negative DST in winter; iCalendar wants summer as DAYLIGHT.
        let dublin = tz("Europe/Dublin");
        for t in transitions(dublin, utc(2024, 1, 1, 0, 0, 0), utc(2026, 1, 1, 0, 0, 0)) {
            assert_eq!(t.is_daylight(), t.is_gap(), "{t:?}");
        }
        let text = vtimezone(dublin, utc(2024, 7, 1, 0, 0, 0), utc(2025, 1, 1, 0, 0, 0));
        assert!(
            text.starts_with("BEGIN:VTIMEZONE\r\nTZID:Europe/Dublin\r\nBEGIN:DAYLIGHT\r\n"),
            "{text}"
        );
    }

    #[test]
    fn casablanca_ramadan_switches() {
        let c = tz("Africa/Casablanca");
        let t = transitions(c, utc(2026, 1, 1, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0));
        // Morocco goes back to +00 for Ramadan (Feb–Mar 2026) and returns to +01 afterwards.
        assert_eq!(t.len(), 2, "{t:?}");
        assert!(t[0].is_overlap() && !t[0].is_daylight());
        assert!(t[1].is_gap() && t[1].is_daylight());
    }

    #[test]
    fn ambiguous_and_gap_local_times() {
        let ny = tz("America/New_York");
        // Fall back 2026-11-01: 01:00–01:59 happens twice.
        assert!(is_ambiguous_or_gap(ny, local(2026, 11, 1, 1, 0)));
        assert!(is_ambiguous_or_gap(ny, local(2026, 11, 1, 1, 59)));
        assert!(!is_ambiguous_or_gap(ny, local(2026, 11, 1, 0, 59)));
        assert!(!is_ambiguous_or_gap(ny, local(2026, 11, 1, 2, 0)));
        // Spring forward 2026-03-08: 02:00–02:59 does not exist.
        assert!(is_ambiguous_or_gap(ny, local(2026, 3, 8, 2, 0)));
        assert!(is_ambiguous_or_gap(ny, local(2026, 3, 8, 2, 30)));
        assert!(!is_ambiguous_or_gap(ny, local(2026, 3, 8, 1, 59)));
        assert!(!is_ambiguous_or_gap(ny, local(2026, 3, 8, 3, 0)));
        // Lord Howe: 01:30–01:59 twice in April, 02:00–02:29 missing in October.
        let lh = tz("Australia/Lord_Howe");
        assert!(is_ambiguous_or_gap(lh, local(2026, 4, 5, 1, 45)));
        assert!(!is_ambiguous_or_gap(lh, local(2026, 4, 5, 1, 29)));
        assert!(is_ambiguous_or_gap(lh, local(2026, 10, 4, 2, 15)));
        assert!(!is_ambiguous_or_gap(lh, local(2026, 10, 4, 2, 30)));
        // Zones without DST never are.
        assert!(!is_ambiguous_or_gap(
            tz("America/Phoenix"),
            local(2026, 3, 8, 2, 30)
        ));
    }

    #[test]
    fn datetime_property_falls_back_to_utc() {
        let ny = tz("America/New_York");
        assert_eq!(
            datetime_property("DTSTART", ny, utc(2026, 7, 4, 16, 0, 0)),
            "DTSTART;TZID=America/New_York:20260704T120000"
        );
        // 01:30 EDT and 01:30 EST on the fall-back day are both written in UTC.
        assert_eq!(
            datetime_property("DTSTART", ny, utc(2026, 11, 1, 5, 30, 0)),
            "DTSTART:20261101T053000Z"
        );
        assert_eq!(
            datetime_property("DTEND", ny, utc(2026, 11, 1, 6, 30, 0)),
            "DTEND:20261101T063000Z"
        );
        assert_eq!(
            datetime_property(
                "DTSTART",
                ny,
                utc(2026, 3, 8, 7, 0, 0) + TimeDelta::milliseconds(5)
            ),
            "DTSTART;TZID=America/New_York:20260308T030000"
        );
        assert_eq!(
            datetime_property("DTSTAMP", Tz::UTC, utc(2026, 1, 2, 3, 4, 5)),
            "DTSTAMP:20260102T030405Z"
        );
    }

    #[test]
    fn probing_finds_close_transitions() {
        // Two transitions within one probe step are both found (Samoa skipped 2011-12-30;
        // here we check a range starting between two close changes as well).
        let apia = tz("Pacific/Apia");
        let t = transitions(apia, utc(2011, 12, 29, 0, 0, 0), utc(2012, 1, 2, 0, 0, 0));
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(
            t[0].offset_after_secs() - t[0].offset_before_secs(),
            24 * 3600
        );
        // Every transition is exact: one second earlier the old offset still applies.
        for name in ZONES {
            let zone = tz(name);
            for t in transitions(zone, utc(2020, 1, 1, 0, 0, 0), utc(2030, 1, 1, 0, 0, 0)) {
                let before = t.utc - TimeDelta::seconds(1);
                assert_eq!(zone.offset_from_utc_datetime(&before.naive_utc()), t.before);
                assert_eq!(zone.offset_from_utc_datetime(&t.utc.naive_utc()), t.after);
                assert_ne!(t.before, t.after);
            }
        }
    }
}
