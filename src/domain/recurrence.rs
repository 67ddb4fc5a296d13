//! Recurring events: the RFC 5545 `RRULE` subset Turnout accepts, expanded in local wall time in
//! the series' zone and always within a window.
//!
//! Supported: `FREQ` DAILY/WEEKLY/MONTHLY/YEARLY, `INTERVAL`, `BYDAY` (ordinals `1TH`, `-1FR` with
//! MONTHLY and YEARLY), `BYMONTHDAY` (also negative), `BYMONTH`, `COUNT`, `UNTIL`, `WKST`. Anything
//! else (`BYSETPOS`, `BYHOUR`, `BYWEEKNO`, `BYYEARDAY`, sub-daily frequencies, …) is refused with
//! words naming the part. The time of day always comes from the series' start.
//!
//! Why our own expander rather than the `rrule` crate: that crate expands from DTSTART (listing a
//! month of a rule started in 1970 walks 56 years) and resolves occurrences that fall in DST gaps
//! and overlaps against RFC 5545 (fmeringdal/rust-rrule#109, #115). Here the expansion jumps to the
//! period holding the window's start, so its cost grows with the window, not the rule, and every
//! occurrence is placed as RFC 5545 §3.3.5 says of an explicit local time: in a spring-forward gap,
//! shifted forward by the gap's length; in a fall-back overlap, the first of the two.
//!
//! Invalid dates a rule generates (February 30, the 5th Friday of a month with four) are skipped and
//! not counted, as RFC 5545 §3.3.10 says.
//!
//! Nothing after the end of [`MAX_YEAR`] (time.rs) is generated: that horizon bounds every walk, so
//! a COUNT that would need longer (5,000 leap days) ends at the horizon's last occurrence.

use chrono::{
    Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
    Timelike, Utc, Weekday,
};
use chrono_tz::Tz;

use super::message::Msg;
use super::time::{transition_near, MAX_YEAR, MIN_YEAR};

/// Longest `COUNT` accepted (a weekly series of 20 years is ~1,040).
pub const MAX_COUNT: u32 = 5_000;
/// Most excluded dates one series carries.
pub const MAX_EXDATES: usize = 1_000;
/// Longest `INTERVAL` accepted.
pub const MAX_INTERVAL: u32 = 1_000;
/// Longest RRULE value accepted, in characters.
pub const MAX_RULE_LEN: usize = 500;
/// Most values one `BY…` part may list.
pub const MAX_BY_VALUES: usize = 31;

/// The parts Turnout accepts, as named in refusals.
const SUPPORTED: &str = "FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, COUNT, UNTIL, WKST";
const WEEKDAYS: &str = "MO, TU, WE, TH, FR, SA, SU";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// One `BYDAY` value: a weekday, optionally the Nth (negative: from the end) of the month or year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekdayNum {
    pub ordinal: Option<i8>,
    pub weekday: Weekday,
}

/// `UNTIL` as given: a date (through the end of that local day), a local date-time, or UTC (`Z`).
/// Inclusive: an occurrence starting exactly at UNTIL belongs to the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    Date(NaiveDate),
    Local(NaiveDateTime),
    Utc(NaiveDateTime),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub freq: Freq,
    pub interval: u32,
    pub by_day: Vec<WeekdayNum>,
    pub by_month_day: Vec<i8>,
    pub by_month: Vec<u8>,
    pub count: Option<u32>,
    pub until: Option<Until>,
    pub wkst: Weekday,
}

impl Rule {
    /// Parses an RRULE value (`FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630`, an optional leading `RRULE:`
    /// accepted, parts in any order, case-insensitive). Every refusal says which part and why.
    pub fn parse(text: &str) -> Result<Rule, Msg> {
        parse_rule(text)
    }

    /// The canonical RRULE value Turnout stores and answers with: FREQ first, then INTERVAL (only
    /// when > 1), BYMONTH, BYMONTHDAY, BYDAY, WKST (only when not MO), COUNT, UNTIL (in the form
    /// given: `20270630`, `20270630T180000`, `20270630T010000Z`).
    pub fn to_text(&self) -> String {
        let until = self.until.map(|u| match u {
            Until::Date(d) => d.format("%Y%m%d").to_string(),
            Until::Local(t) => t.format("%Y%m%dT%H%M%S").to_string(),
            Until::Utc(t) => t.format("%Y%m%dT%H%M%SZ").to_string(),
        });
        self.text_with_until(until)
    }

    /// The RRULE value for a feed, where RFC 5545 wants UNTIL in UTC when DTSTART has a TZID (the
    /// instant of the series' last possible start: a date means the end of that local day) and a
    /// DATE for all-day series.
    pub fn to_ical(&self, tz: Tz, all_day: bool) -> String {
        let until = self.until.map(|u| {
            if all_day {
                let date = match u {
                    Until::Date(d) => d,
                    Until::Local(t) => t.date(),
                    Until::Utc(t) => Utc.from_utc_datetime(&t).with_timezone(&tz).date_naive(),
                };
                date.format("%Y%m%d").to_string()
            } else {
                let utc = match u {
                    Until::Date(d) => place(tz, d.and_time(end_of_day())).0,
                    Until::Local(t) => place(tz, t).0,
                    Until::Utc(t) => t,
                };
                utc.format("%Y%m%dT%H%M%SZ").to_string()
            }
        });
        self.text_with_until(until)
    }

    fn text_with_until(&self, until: Option<String>) -> String {
        let mut parts = vec![format!("FREQ={}", freq_name(self.freq))];
        if self.interval > 1 {
            parts.push(format!("INTERVAL={}", self.interval));
        }
        if !self.by_month.is_empty() {
            parts.push(format!(
                "BYMONTH={}",
                join(&self.by_month, |m| m.to_string())
            ));
        }
        if !self.by_month_day.is_empty() {
            parts.push(format!(
                "BYMONTHDAY={}",
                join(&self.by_month_day, |d| d.to_string())
            ));
        }
        if !self.by_day.is_empty() {
            parts.push(format!(
                "BYDAY={}",
                join(&self.by_day, |w| match w.ordinal {
                    Some(n) => format!("{n}{}", weekday_code(w.weekday)),
                    None => weekday_code(w.weekday).to_string(),
                })
            ));
        }
        if self.wkst != Weekday::Mon {
            parts.push(format!("WKST={}", weekday_code(self.wkst)));
        }
        if let Some(count) = self.count {
            parts.push(format!("COUNT={count}"));
        }
        if let Some(until) = until {
            parts.push(format!("UNTIL={until}"));
        }
        parts.join(";")
    }
}

/// A rule anchored at its first occurrence's local start in a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub rule: Rule,
    pub tz: Tz,
    /// Local start of the first occurrence (DTSTART).
    pub start: NaiveDateTime,
    last: Option<NaiveDateTime>,
}

impl Series {
    /// Anchors `rule` at `start`. Refuses (with words) a start that is not itself an occurrence of
    /// the rule (clients disagree whether such a DTSTART counts), an UNTIL before the start, and a
    /// rule that yields no further occurrence. Computes the last occurrence of a COUNT or UNTIL rule.
    pub fn new(rule: Rule, tz: Tz, start: NaiveDateTime) -> Result<Series, Msg> {
        let start_text = start.format("%Y-%m-%dT%H:%M").to_string();
        if !(MIN_YEAR..=MAX_YEAR).contains(&start.year()) {
            return Err(Msg::SeriesYears {
                start: start_text,
                min: MIN_YEAR,
                max: MAX_YEAR,
            });
        }
        if rule.interval == 0 || rule.interval > MAX_INTERVAL {
            return Err(Msg::RuleNumberRange {
                what: "INTERVAL",
                max: MAX_INTERVAL,
            });
        }
        if rule.count == Some(0) || rule.count.is_some_and(|c| c > MAX_COUNT) {
            return Err(Msg::RuleNumberRange {
                what: "COUNT",
                max: MAX_COUNT,
            });
        }
        let mut series = Series {
            rule,
            tz,
            start,
            last: None,
        };
        if !series.in_rule(start) {
            return Err(series.not_an_occurrence());
        }
        if let Some(until) = series.rule.until {
            if !series.within_until(start, until) {
                let until_text = match until {
                    Until::Date(d) => d.format("%Y-%m-%d").to_string(),
                    Until::Local(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
                    Until::Utc(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                };
                return Err(Msg::UntilBeforeStart {
                    until: until_text,
                    start: start_text,
                });
            }
        }
        let by_count = series.rule.count.map(|count| series.count_last(count));
        let by_until = series.rule.until.map(|until| series.until_last(until));
        series.last = match (by_count, by_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(series)
    }

    /// Local start of the last occurrence; `None` when the rule never ends.
    pub fn last(&self) -> Option<NaiveDateTime> {
        self.last
    }

    /// Local starts of the occurrences whose local start is in `[from, to)`, ascending. The cost
    /// grows with the number of periods (days, weeks, months, years) in the window, never with the
    /// distance from the series' start.
    pub fn between(&self, from: NaiveDateTime, to: NaiveDateTime) -> Vec<NaiveDateTime> {
        let mut out = Vec::new();
        if to <= from {
            return out;
        }
        self.scan_from(from, |occurrence| {
            if occurrence >= to {
                return false;
            }
            out.push(occurrence);
            true
        });
        out
    }

    /// The first `n` occurrences whose local start is at or after `from`, ascending.
    pub fn after(&self, from: NaiveDateTime, n: usize) -> Vec<NaiveDateTime> {
        let mut out = Vec::with_capacity(n.min(1_000));
        if n == 0 {
            return out;
        }
        self.scan_from(from, |occurrence| {
            out.push(occurrence);
            out.len() < n
        });
        out
    }

    /// True when `local` is the local start of one of the series' occurrences.
    pub fn contains(&self, local: NaiveDateTime) -> bool {
        local >= self.start && self.last.is_none_or(|last| local <= last) && self.in_rule(local)
    }
}

/// How an occurrence's local start maps to an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The wall time exists once.
    Exact,
    /// The wall time falls in a spring-forward gap: the instant is shifted forward by the gap.
    Gap { shift: Duration },
    /// The wall time occurs twice (fall-back overlap): the instant is the first.
    Overlap,
}

/// Whether `local` exists exactly once in `tz` (neither in a gap nor in an overlap).
pub fn exact(tz: Tz, local: NaiveDateTime) -> bool {
    place(tz, local).1 == Placement::Exact
}

/// The UTC instant of a local occurrence start in `tz`, and how it was placed (RFC 5545 §3.3.5).
pub fn place(tz: Tz, local: NaiveDateTime) -> (NaiveDateTime, Placement) {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => (t.naive_utc(), Placement::Exact),
        LocalResult::Ambiguous(first, _) => (first.naive_utc(), Placement::Overlap),
        LocalResult::None => match transition_near(tz, local) {
            // The wall time read with the offset in force before the gap: the same as moving it
            // forward by the gap's length.
            Some((_, before, after)) => (
                local - Duration::seconds(i64::from(before)),
                Placement::Gap {
                    shift: Duration::seconds(i64::from(after - before)),
                },
            ),
            // Not reached with tz data (a gap always has a transition beside it); read the wall
            // time with the offset in force a day earlier.
            None => {
                let before = tz
                    .offset_from_utc_datetime(&(local - Duration::days(1)))
                    .fix()
                    .local_minus_utc();
                (
                    local - Duration::seconds(i64::from(before)),
                    Placement::Gap {
                        shift: Duration::zero(),
                    },
                )
            }
        },
    }
}

/// The last second of a day: a DATE `UNTIL` runs through it.
fn end_of_day() -> NaiveTime {
    NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN)
}

/// The last date any series reaches: occurrences after [`MAX_YEAR`] are not generated, which bounds
/// every walk (a COUNT that would need longer ends there).
fn horizon() -> NaiveDate {
    NaiveDate::from_ymd_opt(MAX_YEAR, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Most periods one scan visits, whatever the window: more than the days from [`MIN_YEAR`] to
/// [`MAX_YEAR`], so it only ever stops a walk the horizon would stop anyway.
const MAX_SCAN_PERIODS: u32 = 400 * 366;

fn freq_name(freq: Freq) -> &'static str {
    match freq {
        Freq::Daily => "DAILY",
        Freq::Weekly => "WEEKLY",
        Freq::Monthly => "MONTHLY",
        Freq::Yearly => "YEARLY",
    }
}

fn weekday_code(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

/// An iCalendar day code (`MO` … `SU`, any case).
pub fn parse_weekday(code: &str) -> Option<Weekday> {
    Some(match code.to_ascii_uppercase().as_str() {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

fn join<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join(",")
}

fn text(s: String) -> Msg {
    Msg::Text(s)
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// The values of a `BY…` part, at most [`MAX_BY_VALUES`] of them.
fn list_values<'a>(key: &str, value: &'a str) -> Result<Vec<&'a str>, Msg> {
    let values: Vec<&str> = value.split(',').map(str::trim).collect();
    if values.len() > MAX_BY_VALUES {
        return Err(text(format!(
            "{key} lists {} values; the limit is {MAX_BY_VALUES}",
            values.len()
        )));
    }
    if values.iter().any(|v| v.is_empty()) {
        return Err(text(format!("{key} has an empty value in \"{value}\"")));
    }
    Ok(values)
}

fn parse_int(key: &str, value: &str, min: i64, max: i64, what: &str) -> Result<i64, Msg> {
    match value.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(text(format!("{key} value \"{value}\" {what}"))),
    }
}

fn parse_until(value: &str) -> Result<Until, Msg> {
    let bad = || {
        text(format!(
            "UNTIL value \"{value}\" is not a date (20270630), a local time (20270630T180000) or a UTC time (20270630T010000Z)"
        ))
    };
    let digits = |s: Option<&str>| -> Result<u32, Msg> {
        match s {
            Some(s) if s.bytes().all(|b| b.is_ascii_digit()) => s.parse().map_err(|_| bad()),
            _ => Err(bad()),
        }
    };
    let bytes = value.as_bytes();
    if !value.is_ascii() || !matches!(bytes.len(), 8 | 15 | 16) {
        return Err(bad());
    }
    let year = digits(value.get(0..4))?;
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(year).map_err(|_| bad())?,
        digits(value.get(4..6))?,
        digits(value.get(6..8))?,
    )
    .ok_or_else(bad)?;
    if bytes.len() == 8 {
        return Ok(Until::Date(date));
    }
    if !bytes[8].eq_ignore_ascii_case(&b'T') {
        return Err(bad());
    }
    let time = NaiveTime::from_hms_opt(
        digits(value.get(9..11))?,
        digits(value.get(11..13))?,
        digits(value.get(13..15))?,
    )
    .ok_or_else(bad)?;
    match bytes.get(15) {
        None => Ok(Until::Local(date.and_time(time))),
        Some(b'Z' | b'z') => Ok(Until::Utc(date.and_time(time))),
        Some(_) => Err(bad()),
    }
}

fn parse_by_day(freq: Freq, value: &str) -> Result<WeekdayNum, Msg> {
    let split = value.len().saturating_sub(2);
    let (Some(prefix), Some(code)) = (value.get(..split), value.get(split..)) else {
        return Err(text(format!(
            "BYDAY value \"{value}\" is not a weekday ({WEEKDAYS})"
        )));
    };
    let Some(weekday) = parse_weekday(code) else {
        return Err(text(format!(
            "BYDAY value \"{value}\" is not a weekday ({WEEKDAYS})"
        )));
    };
    if prefix.is_empty() {
        return Ok(WeekdayNum {
            ordinal: None,
            weekday,
        });
    }
    let max: i64 = match freq {
        Freq::Monthly => 5,
        Freq::Yearly => 53,
        Freq::Daily | Freq::Weekly => {
            return Err(text(format!(
            "BYDAY value \"{value}\": an ordinal (1TH, -1FR) needs FREQ=MONTHLY or YEARLY, not {}",
            freq_name(freq)
        )))
        }
    };
    match prefix.parse::<i64>() {
        Ok(n) if n != 0 && (-max..=max).contains(&n) => Ok(WeekdayNum {
            ordinal: i8::try_from(n).ok(),
            weekday,
        }),
        _ => Err(text(format!(
            "BYDAY value \"{value}\": with FREQ={} the ordinal must be 1 to {max} or -1 to -{max}",
            freq_name(freq)
        ))),
    }
}

fn parse_rule(input: &str) -> Result<Rule, Msg> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(Msg::Required);
    }
    let len = trimmed.chars().count();
    if len > MAX_RULE_LEN {
        return Err(Msg::TooLong {
            len,
            max: MAX_RULE_LEN,
        });
    }
    let body = match trimmed.get(..6) {
        Some(prefix) if prefix.eq_ignore_ascii_case("RRULE:") => &trimmed[6..],
        _ => trimmed,
    };
    let mut parts: Vec<(String, &str)> = Vec::new();
    for part in body.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(text(format!(
                "\"{part}\" is not a KEY=VALUE part such as FREQ=WEEKLY"
            )));
        };
        let key = key.trim().to_ascii_uppercase();
        if key.is_empty() {
            return Err(text(format!("\"{part}\" has no key before its =")));
        }
        if !matches!(
            key.as_str(),
            "FREQ" | "INTERVAL" | "BYDAY" | "BYMONTHDAY" | "BYMONTH" | "COUNT" | "UNTIL" | "WKST"
        ) {
            return Err(text(format!(
                "{key} is not supported (supported: {SUPPORTED})"
            )));
        }
        if parts.iter().any(|(k, _)| *k == key) {
            return Err(text(format!("{key} is given twice")));
        }
        let value = value.trim();
        if value.is_empty() {
            return Err(text(format!("{key} has no value")));
        }
        parts.push((key, value));
    }
    let get = |key: &str| parts.iter().find(|(k, _)| k == key).map(|(_, v)| *v);

    let freq = match get("FREQ") {
        None => {
            return Err(text(
                "FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY)".to_string(),
            ))
        }
        Some(v) => match v.to_ascii_uppercase().as_str() {
            "DAILY" => Freq::Daily,
            "WEEKLY" => Freq::Weekly,
            "MONTHLY" => Freq::Monthly,
            "YEARLY" => Freq::Yearly,
            "HOURLY" | "MINUTELY" | "SECONDLY" => {
                return Err(text(format!(
                    "FREQ value \"{v}\": hourly and finer repeats are not supported"
                )))
            }
            _ => {
                return Err(text(format!(
                    "FREQ value \"{v}\" is not one of DAILY, WEEKLY, MONTHLY, YEARLY"
                )))
            }
        },
    };
    let interval = match get("INTERVAL") {
        None => 1,
        Some(v) => parse_int(
            "INTERVAL",
            v,
            1,
            i64::from(MAX_INTERVAL),
            &format!("is not a whole number from 1 to {MAX_INTERVAL}"),
        )? as u32,
    };
    let count = match get("COUNT") {
        None => None,
        Some(v) => Some(parse_int(
            "COUNT",
            v,
            1,
            i64::from(MAX_COUNT),
            &format!("is not a whole number from 1 to {MAX_COUNT}"),
        )? as u32),
    };
    let until = get("UNTIL").map(parse_until).transpose()?;
    if count.is_some() && until.is_some() {
        return Err(text(
            "COUNT and UNTIL cannot both be given (RFC 5545): end the series one way".to_string(),
        ));
    }
    let wkst = match get("WKST") {
        None => Weekday::Mon,
        Some(v) => parse_weekday(v)
            .ok_or_else(|| text(format!("WKST value \"{v}\" is not a weekday ({WEEKDAYS})")))?,
    };
    let mut by_day = Vec::new();
    if let Some(v) = get("BYDAY") {
        for item in list_values("BYDAY", v)? {
            push_unique(&mut by_day, parse_by_day(freq, item)?);
        }
    }
    let mut by_month_day = Vec::new();
    if let Some(v) = get("BYMONTHDAY") {
        if freq == Freq::Weekly {
            return Err(text(
                "BYMONTHDAY cannot be used with FREQ=WEEKLY (RFC 5545)".to_string(),
            ));
        }
        for item in list_values("BYMONTHDAY", v)? {
            let n = parse_int(
                "BYMONTHDAY",
                item,
                -31,
                31,
                "is not a day of the month (1 to 31, or -1 to -31 from the end)",
            )?;
            if n == 0 {
                return Err(text(format!(
                    "BYMONTHDAY value \"{item}\" is not a day of the month (1 to 31, or -1 to -31 from the end)"
                )));
            }
            push_unique(&mut by_month_day, n as i8);
        }
    }
    let mut by_month = Vec::new();
    if let Some(v) = get("BYMONTH") {
        for item in list_values("BYMONTH", v)? {
            let n = parse_int("BYMONTH", item, 1, 12, "is not a month (1 to 12)")?;
            push_unique(&mut by_month, n as u8);
        }
    }
    Ok(Rule {
        freq,
        interval,
        by_day,
        by_month_day,
        by_month,
        count,
        until,
        wkst,
    })
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|d| d.pred_opt()).map_or(28, |d| d.day())
}

/// A `BYMONTHDAY` value as a day of a month of `len` days, if it has one.
fn resolve_month_day(n: i8, len: u32) -> Option<u32> {
    let n = i64::from(n);
    let day = if n > 0 { n } else { i64::from(len) + 1 + n };
    (1..=i64::from(len)).contains(&day).then_some(day as u32)
}

/// Whether `BYDAY` counts its ordinals within the month or within the year.
#[derive(Clone, Copy)]
enum Scope {
    Month,
    Year,
}

/// True when `date` is the weekday of `wd` and, with an ordinal, its Nth (or Nth from the end).
fn day_matches(date: NaiveDate, wd: WeekdayNum, scope: Scope) -> bool {
    if date.weekday() != wd.weekday {
        return false;
    }
    let Some(n) = wd.ordinal else {
        return true;
    };
    let (index0, len) = match scope {
        Scope::Month => (date.day0(), days_in_month(date.year(), date.month())),
        Scope::Year => (date.ordinal0(), if date.leap_year() { 366 } else { 365 }),
    };
    let forward = i64::from(index0 / 7 + 1);
    let backward = -i64::from((len - 1 - index0) / 7 + 1);
    i64::from(n) == forward || i64::from(n) == backward
}

/// The dates in `[first, last]` that are weekday `wd` (with an ordinal, only the Nth counted within
/// that span).
fn weekdays_in(first: NaiveDate, last: NaiveDate, wd: WeekdayNum) -> Vec<NaiveDate> {
    let offset =
        (7 + wd.weekday.num_days_from_monday() - first.weekday().num_days_from_monday()) % 7;
    let mut all = Vec::new();
    let mut day = first + Duration::days(i64::from(offset));
    while day <= last {
        all.push(day);
        day += Duration::days(7);
    }
    match wd.ordinal {
        None => all,
        Some(n) => {
            let n = i64::from(n);
            let len = all.len() as i64;
            let index = if n > 0 { n - 1 } else { len + n };
            usize::try_from(index)
                .ok()
                .and_then(|i| all.get(i).copied())
                .into_iter()
                .collect()
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Periods expanded on this thread, so tests can see that a window does not walk from DTSTART.
    static PERIODS_VISITED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

impl Series {
    fn period_of(&self, date: NaiveDate) -> i64 {
        match self.rule.freq {
            Freq::Daily => i64::from(date.num_days_from_ce()),
            Freq::Weekly => {
                let back = (7 + date.weekday().num_days_from_monday()
                    - self.rule.wkst.num_days_from_monday())
                    % 7;
                let week_start = date
                    .checked_sub_signed(Duration::days(i64::from(back)))
                    .unwrap_or(date);
                i64::from(week_start.num_days_from_ce()).div_euclid(7)
            }
            Freq::Monthly => i64::from(date.year()) * 12 + i64::from(date.month0()),
            Freq::Yearly => i64::from(date.year()),
        }
    }

    fn period_start(&self, p: i64) -> Option<NaiveDate> {
        match self.rule.freq {
            Freq::Daily => NaiveDate::from_num_days_from_ce_opt(i32::try_from(p).ok()?),
            Freq::Weekly => {
                let d =
                    NaiveDate::from_num_days_from_ce_opt(i32::try_from(p.checked_mul(7)?).ok()?)?;
                let ahead = (7 + self.rule.wkst.num_days_from_monday()
                    - d.weekday().num_days_from_monday())
                    % 7;
                d.checked_add_signed(Duration::days(i64::from(ahead)))
            }
            Freq::Monthly => NaiveDate::from_ymd_opt(
                i32::try_from(p.div_euclid(12)).ok()?,
                u32::try_from(p.rem_euclid(12) + 1).ok()?,
                1,
            ),
            Freq::Yearly => NaiveDate::from_ymd_opt(i32::try_from(p).ok()?, 1, 1),
        }
    }

    fn first_period(&self) -> i64 {
        self.period_of(self.start.date())
    }

    fn step(&self) -> i64 {
        i64::from(self.rule.interval.max(1))
    }

    /// The first period at or after `p` that the INTERVAL reaches from DTSTART's period.
    fn aligned_at_or_after(&self, p: i64) -> i64 {
        let p0 = self.first_period();
        if p <= p0 {
            return p0;
        }
        let step = self.step();
        p0 + (p - p0 + step - 1).div_euclid(step) * step
    }

    /// The last period at or before `p` that the INTERVAL reaches from DTSTART's period.
    fn aligned_at_or_before(&self, p: i64) -> Option<i64> {
        let p0 = self.first_period();
        (p >= p0).then(|| p0 + (p - p0).div_euclid(self.step()) * self.step())
    }

    fn weekdays(&self) -> Vec<WeekdayNum> {
        if self.rule.by_day.is_empty() {
            vec![WeekdayNum {
                ordinal: None,
                weekday: self.start.weekday(),
            }]
        } else {
            self.rule.by_day.clone()
        }
    }

    fn month_ok(&self, date: NaiveDate) -> bool {
        self.rule.by_month.is_empty()
            || self
                .rule
                .by_month
                .iter()
                .any(|&m| u32::from(m) == date.month())
    }

    fn month_day_ok(&self, date: NaiveDate) -> bool {
        let len = days_in_month(date.year(), date.month());
        self.rule.by_month_day.is_empty()
            || self
                .rule
                .by_month_day
                .iter()
                .any(|&n| resolve_month_day(n, len) == Some(date.day()))
    }

    fn by_day_ok(&self, date: NaiveDate, scope: Scope) -> bool {
        self.rule.by_day.is_empty()
            || self
                .rule
                .by_day
                .iter()
                .any(|&wd| day_matches(date, wd, scope))
    }

    /// The candidate dates of one month of a MONTHLY rule, or of a YEARLY rule with BYMONTH.
    fn month_dates(&self, year: i32, month: u32) -> Vec<NaiveDate> {
        let len = days_in_month(year, month);
        let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
            return Vec::new();
        };
        let last = first + Duration::days(i64::from(len) - 1);
        if !self.rule.by_month_day.is_empty() {
            self.rule
                .by_month_day
                .iter()
                .filter_map(|&n| resolve_month_day(n, len))
                .filter_map(|d| NaiveDate::from_ymd_opt(year, month, d))
                .filter(|&d| self.by_day_ok(d, Scope::Month))
                .collect()
        } else if !self.rule.by_day.is_empty() {
            self.rule
                .by_day
                .iter()
                .flat_map(|&wd| weekdays_in(first, last, wd))
                .collect()
        } else {
            NaiveDate::from_ymd_opt(year, month, self.start.day())
                .into_iter()
                .collect()
        }
    }

    /// The dates period `p` yields, ascending, before DTSTART, COUNT and UNTIL are applied.
    fn dates_in_period(&self, p: i64) -> Vec<NaiveDate> {
        #[cfg(test)]
        PERIODS_VISITED.with(|v| v.set(v.get() + 1));
        let Some(first) = self.period_start(p) else {
            return Vec::new();
        };
        let mut dates: Vec<NaiveDate> = match self.rule.freq {
            Freq::Daily => {
                let ok = self.month_ok(first)
                    && self.month_day_ok(first)
                    && self.by_day_ok(first, Scope::Month);
                if ok {
                    vec![first]
                } else {
                    Vec::new()
                }
            }
            Freq::Weekly => {
                let weekdays = self.weekdays();
                (0..7)
                    .filter_map(|i| first.checked_add_signed(Duration::days(i)))
                    .filter(|&d| weekdays.iter().any(|wd| wd.weekday == d.weekday()))
                    .filter(|&d| self.month_ok(d) && self.month_day_ok(d))
                    .collect()
            }
            Freq::Monthly => {
                if self.month_ok(first) {
                    self.month_dates(first.year(), first.month())
                } else {
                    Vec::new()
                }
            }
            Freq::Yearly => {
                let year = first.year();
                if !self.rule.by_month.is_empty() {
                    self.rule
                        .by_month
                        .iter()
                        .flat_map(|&m| self.month_dates(year, u32::from(m)))
                        .collect()
                } else if !self.rule.by_month_day.is_empty() {
                    (1..=12)
                        .flat_map(|m| {
                            let len = days_in_month(year, m);
                            self.rule
                                .by_month_day
                                .iter()
                                .filter_map(move |&n| resolve_month_day(n, len))
                                .filter_map(move |d| NaiveDate::from_ymd_opt(year, m, d))
                        })
                        .filter(|&d| self.by_day_ok(d, Scope::Year))
                        .collect()
                } else if !self.rule.by_day.is_empty() {
                    match NaiveDate::from_ymd_opt(year, 12, 31) {
                        Some(last) => self
                            .rule
                            .by_day
                            .iter()
                            .flat_map(|&wd| weekdays_in(first, last, wd))
                            .collect(),
                        None => Vec::new(),
                    }
                } else {
                    NaiveDate::from_ymd_opt(year, self.start.month(), self.start.day())
                        .into_iter()
                        .collect()
                }
            }
        };
        dates.sort_unstable();
        dates.dedup();
        dates
    }

    /// Local starts period `p` yields: at or after DTSTART, not after `last` or the horizon.
    fn occurrences_in(&self, p: i64) -> impl Iterator<Item = NaiveDateTime> + '_ {
        let time = self.start.time();
        let horizon = horizon();
        self.dates_in_period(p)
            .into_iter()
            .filter(move |&d| d <= horizon)
            .map(move |d| d.and_time(time))
            .filter(move |&t| t >= self.start && self.last.is_none_or(|last| t <= last))
    }

    /// Feeds `f` the occurrences at or after `from`, ascending, until it answers false, starting at
    /// the period holding `from` (never at DTSTART's, unless that is the one).
    fn scan_from(&self, from: NaiveDateTime, mut f: impl FnMut(NaiveDateTime) -> bool) {
        let from = from.max(self.start);
        let end = match self.last {
            Some(last) => last.date().min(horizon()),
            None => horizon(),
        };
        if from.date() > end {
            return;
        }
        let mut p = self.aligned_at_or_after(self.period_of(from.date()));
        for _ in 0..MAX_SCAN_PERIODS {
            match self.period_start(p) {
                Some(first) if first <= end => {}
                _ => return,
            }
            for occurrence in self.occurrences_in(p) {
                if occurrence >= from && !f(occurrence) {
                    return;
                }
            }
            p += self.step();
        }
    }

    /// True when `local` is generated by the rule from DTSTART (COUNT and UNTIL aside).
    fn in_rule(&self, local: NaiveDateTime) -> bool {
        if local < self.start || local.time() != self.start.time() || local.date() > horizon() {
            return false;
        }
        let p = self.period_of(local.date());
        self.aligned_at_or_before(p) == Some(p) && self.dates_in_period(p).contains(&local.date())
    }

    fn within_until(&self, local: NaiveDateTime, until: Until) -> bool {
        match until {
            Until::Date(d) => local.date() <= d,
            Until::Local(t) => local <= t,
            Until::Utc(u) => place(self.tz, local).0 <= u,
        }
    }

    /// The `count`th occurrence (or the last before the horizon), walking from DTSTART: COUNT is at
    /// most [`MAX_COUNT`], so this walk is bounded.
    fn count_last(&self, count: u32) -> NaiveDateTime {
        let mut seen = 0;
        let mut last = self.start;
        self.scan_from(self.start, |occurrence| {
            seen += 1;
            last = occurrence;
            seen < count
        });
        last
    }

    /// The last occurrence at or before UNTIL: from the period holding UNTIL, walking back.
    fn until_last(&self, until: Until) -> NaiveDateTime {
        let bound = match until {
            Until::Date(d) => d,
            Until::Local(t) => t.date(),
            // No zone is more than a day ahead of UTC.
            Until::Utc(u) => u.checked_add_signed(Duration::days(1)).unwrap_or(u).date(),
        }
        .min(horizon());
        let Some(mut p) = self.aligned_at_or_before(self.period_of(bound)) else {
            return self.start;
        };
        let p0 = self.first_period();
        for _ in 0..MAX_SCAN_PERIODS {
            if p < p0 {
                break;
            }
            let found = self
                .occurrences_in(p)
                .filter(|&t| self.within_until(t, until))
                .last();
            if let Some(found) = found {
                return found;
            }
            p -= self.step();
        }
        self.start
    }

    fn not_an_occurrence(&self) -> Msg {
        let start_text = self.start.format("%Y-%m-%dT%H:%M");
        let weekday_only = self.rule.by_day.iter().all(|wd| wd.ordinal.is_none());
        let weekdays = self.weekdays();
        if self.rule.freq != Freq::Yearly
            && weekday_only
            && !weekdays.iter().any(|wd| wd.weekday == self.start.weekday())
        {
            return Msg::StartNotOnRuleDays {
                start: start_text.to_string(),
                weekday: self.start.weekday().num_days_from_monday() as u8,
                days: weekdays
                    .iter()
                    .map(|wd| wd.weekday.num_days_from_monday() as u8)
                    .collect(),
            };
        }
        let mut next = None;
        self.scan_from(self.start, |t| {
            next = Some(t);
            false
        });
        Msg::StartNotInRule {
            start: start_text.to_string(),
            weekday: self.start.weekday().num_days_from_monday() as u8,
            next: next.map(|n| n.format("%Y-%m-%dT%H:%M").to_string()),
        }
    }
}

fn english_weekday(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// "A", "A and B", "A, B and C".
fn english_list<S: AsRef<str>>(items: &[S]) -> String {
    list_with(items, " and ")
}

fn list_with<S: AsRef<str>>(items: &[S], last_sep: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => format!(
            "{}{last_sep}{}",
            init.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

/// The language of [`describe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
}

/// A series' rule in words ("Every Tuesday, 6–7 pm, until June 30, 2027"; "Todos los martes,
/// 18:00–19:00, hasta el 30 de junio de 2027"). `end_local_time` is the occurrences' end time of
/// day; `None` (an all-day series) leaves times out. No zone: the caller appends it.
pub fn describe(series: &Series, end_local_time: Option<NaiveTime>, lang: Lang) -> String {
    let mut out = match lang {
        Lang::En => describe_en(series),
        Lang::Es => describe_es(series),
    };
    if let Some(end) = end_local_time {
        out.push_str(", ");
        out.push_str(&time_range(series.start.time(), end, lang));
    }
    if let Some(count) = series.rule.count {
        out.push_str(&match (lang, count) {
            (Lang::En, 1) => ", once".to_string(),
            (Lang::En, n) => format!(", {n} times"),
            (Lang::Es, 1) => ", una vez".to_string(),
            (Lang::Es, n) => format!(", {n} veces"),
        });
    }
    if let Some(until) = series.rule.until {
        let date = match until {
            Until::Date(d) => d,
            Until::Local(t) => t.date(),
            Until::Utc(t) => Utc
                .from_utc_datetime(&t)
                .with_timezone(&series.tz)
                .date_naive(),
        };
        out.push_str(&match lang {
            Lang::En => format!(
                ", until {} {}, {}",
                MONTHS_EN[date.month0() as usize],
                date.day(),
                date.year()
            ),
            Lang::Es => format!(
                ", hasta el {} de {} de {}",
                date.day(),
                MONTHS_ES[date.month0() as usize],
                date.year()
            ),
        });
    }
    out
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

fn month_en(m: u8) -> &'static str {
    MONTHS_EN
        .get(usize::from(m.max(1) - 1))
        .copied()
        .unwrap_or("?")
}

fn month_es(m: u8) -> &'static str {
    MONTHS_ES
        .get(usize::from(m.max(1) - 1))
        .copied()
        .unwrap_or("?")
}

fn weekday_es(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "lunes",
        Weekday::Tue => "martes",
        Weekday::Wed => "miércoles",
        Weekday::Thu => "jueves",
        Weekday::Fri => "viernes",
        Weekday::Sat => "sábado",
        Weekday::Sun => "domingo",
    }
}

fn weekday_es_plural(w: Weekday) -> &'static str {
    match w {
        Weekday::Sat => "sábados",
        Weekday::Sun => "domingos",
        other => weekday_es(other),
    }
}

fn ordinal_en(n: i8) -> String {
    let word = |n: i8| -> String {
        match n {
            1 => "first".into(),
            2 => "second".into(),
            3 => "third".into(),
            4 => "fourth".into(),
            5 => "fifth".into(),
            n => {
                let suffix = match (n % 10, n % 100) {
                    (_, 11..=13) => "th",
                    (1, _) => "st",
                    (2, _) => "nd",
                    (3, _) => "rd",
                    _ => "th",
                };
                format!("{n}{suffix}")
            }
        }
    };
    match n {
        -1 => "last".into(),
        n if n < 0 => format!("{}-to-last", word(n.saturating_neg())),
        n => word(n),
    }
}

fn ordinal_es(n: i8) -> String {
    match n {
        1 => "primer".into(),
        2 => "segundo".into(),
        3 => "tercer".into(),
        4 => "cuarto".into(),
        5 => "quinto".into(),
        -1 => "último".into(),
        -2 => "penúltimo".into(),
        n if n < 0 => format!("{}.º desde el final", n.saturating_neg()),
        n => format!("{n}.º"),
    }
}

/// "6–7 pm", "9:30–11 am", "11 am–1 pm"; "18:00–19:00".
fn time_range(start: NaiveTime, end: NaiveTime, lang: Lang) -> String {
    match lang {
        Lang::Es => {
            if start == end {
                start.format("%H:%M").to_string()
            } else {
                format!("{}–{}", start.format("%H:%M"), end.format("%H:%M"))
            }
        }
        Lang::En => {
            let clock = |t: NaiveTime| {
                let h = t.hour() % 12;
                let h = if h == 0 { 12 } else { h };
                let text = if t.minute() == 0 {
                    h.to_string()
                } else {
                    format!("{h}:{:02}", t.minute())
                };
                (text, if t.hour() < 12 { "am" } else { "pm" })
            };
            let (a, am) = clock(start);
            let (b, bm) = clock(end);
            if start == end {
                format!("{a} {am}")
            } else if am == bm {
                format!("{a}–{b} {bm}")
            } else {
                format!("{a} {am}–{b} {bm}")
            }
        }
    }
}

/// "the second and fourth Monday", "the first Thursday and the last Friday", "every Tuesday".
fn by_day_en(by_day: &[WeekdayNum]) -> String {
    let same_weekday = by_day.windows(2).all(|w| w[0].weekday == w[1].weekday);
    if by_day.len() > 1 && same_weekday && by_day.iter().all(|wd| wd.ordinal.is_some()) {
        let ords: Vec<String> = by_day
            .iter()
            .filter_map(|wd| wd.ordinal)
            .map(ordinal_en)
            .collect();
        return format!(
            "the {} {}",
            english_list(&ords),
            english_weekday(by_day[0].weekday)
        );
    }
    let items: Vec<String> = by_day
        .iter()
        .map(|wd| match wd.ordinal {
            Some(n) => format!("the {} {}", ordinal_en(n), english_weekday(wd.weekday)),
            None => format!("every {}", english_weekday(wd.weekday)),
        })
        .collect();
    english_list(&items)
}

fn by_day_es(by_day: &[WeekdayNum]) -> String {
    let same_weekday = by_day.windows(2).all(|w| w[0].weekday == w[1].weekday);
    if by_day.len() > 1 && same_weekday && by_day.iter().all(|wd| wd.ordinal.is_some()) {
        let ords: Vec<String> = by_day
            .iter()
            .filter_map(|wd| wd.ordinal)
            .map(ordinal_es)
            .collect();
        return format!(
            "el {} {}",
            list_with(&ords, " y "),
            weekday_es(by_day[0].weekday)
        );
    }
    let items: Vec<String> = by_day
        .iter()
        .map(|wd| match wd.ordinal {
            Some(n) => format!("el {} {}", ordinal_es(n), weekday_es(wd.weekday)),
            None => format!("todos los {}", weekday_es_plural(wd.weekday)),
        })
        .collect();
    list_with(&items, " y ")
}

/// "day 15", "days 1 and 15", "the last day", "day 1 and the last day".
fn month_days_en(days: &[i8]) -> String {
    let positive: Vec<String> = days
        .iter()
        .filter(|&&d| d > 0)
        .map(|d| d.to_string())
        .collect();
    let mut items = Vec::new();
    match positive.len() {
        0 => {}
        1 => items.push(format!("day {}", positive[0])),
        _ => items.push(format!("days {}", english_list(&positive))),
    }
    for &d in days.iter().filter(|&&d| d < 0) {
        items.push(format!("the {} day", ordinal_en(d)));
    }
    english_list(&items)
}

/// "el día 15", "los días 1 y 15", "el último día".
fn month_days_es(days: &[i8]) -> String {
    let positive: Vec<String> = days
        .iter()
        .filter(|&&d| d > 0)
        .map(|d| d.to_string())
        .collect();
    let mut items = Vec::new();
    match positive.len() {
        0 => {}
        1 => items.push(format!("el día {}", positive[0])),
        _ => items.push(format!("los días {}", list_with(&positive, " y "))),
    }
    for &d in days.iter().filter(|&&d| d < 0) {
        items.push(format!("el {} día", ordinal_es(d)));
    }
    list_with(&items, " y ")
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn describe_en(series: &Series) -> String {
    let rule = &series.rule;
    let n = rule.interval;
    let start = series.start;
    let months: Vec<&str> = rule.by_month.iter().map(|&m| month_en(m)).collect();
    let in_months = if months.is_empty() {
        String::new()
    } else {
        format!(" in {}", english_list(&months))
    };
    let weekday_names = |by_day: &[WeekdayNum]| -> String {
        let names: Vec<&str> = by_day
            .iter()
            .map(|wd| english_weekday(wd.weekday))
            .collect();
        english_list(&names)
    };
    let only_if = if rule.by_day.is_empty() || rule.by_month_day.is_empty() {
        String::new()
    } else {
        format!(
            " when it is {}",
            by_day_en(&rule.by_day).replace("every ", "a ")
        )
    };
    match rule.freq {
        Freq::Daily => {
            let mut s = if n == 1 {
                "Every day".to_string()
            } else {
                format!("Every {n} days")
            };
            if !rule.by_day.is_empty() {
                s.push_str(
                    &format!(" that is a {}", weekday_names(&rule.by_day)).replace(" and ", " or "),
                );
            }
            if !rule.by_month_day.is_empty() {
                s.push_str(&format!(
                    " that is {} of the month",
                    month_days_en(&rule.by_month_day)
                ));
            }
            s + &in_months
        }
        Freq::Weekly => {
            let days = weekday_names(&series.weekdays());
            let s = if n == 1 {
                format!("Every {days}")
            } else {
                format!("Every {n} weeks on {days}")
            };
            s + &in_months
        }
        Freq::Monthly => {
            let unit = if n == 1 {
                "every month".to_string()
            } else {
                format!("every {n} months")
            };
            let s = if !rule.by_month_day.is_empty() {
                let days = month_days_en(&rule.by_month_day);
                if n == 1 {
                    format!("Monthly on {days}{only_if}")
                } else {
                    format!("Every {n} months on {days}{only_if}")
                }
            } else if !rule.by_day.is_empty() {
                format!("On {} of {unit}", by_day_en(&rule.by_day))
            } else if n == 1 {
                format!("Monthly on day {}", start.day())
            } else {
                format!("Every {n} months on day {}", start.day())
            };
            s + &in_months
        }
        Freq::Yearly => {
            let unit = if n == 1 {
                "Every year".to_string()
            } else {
                format!("Every {n} years")
            };
            let month_list = english_list(&months);
            if !rule.by_month.is_empty() {
                if !rule.by_month_day.is_empty() {
                    format!(
                        "{unit} on {} of {month_list}{only_if}",
                        month_days_en(&rule.by_month_day)
                    )
                } else if !rule.by_day.is_empty() {
                    format!("{unit} on {} of {month_list}", by_day_en(&rule.by_day))
                } else if months.len() == 1 {
                    format!("{unit} on {month_list} {}", start.day())
                } else {
                    format!("{unit} on day {} of {month_list}", start.day())
                }
            } else if !rule.by_month_day.is_empty() {
                format!(
                    "{unit} on {} of every month{only_if}",
                    month_days_en(&rule.by_month_day)
                )
            } else if !rule.by_day.is_empty() {
                format!("{unit} on {} of the year", by_day_en(&rule.by_day))
            } else {
                format!(
                    "{unit} on {} {}",
                    MONTHS_EN[start.month0() as usize],
                    start.day()
                )
            }
        }
    }
}

fn describe_es(series: &Series) -> String {
    let rule = &series.rule;
    let n = rule.interval;
    let start = series.start;
    let months: Vec<&str> = rule.by_month.iter().map(|&m| month_es(m)).collect();
    let in_months = if months.is_empty() {
        String::new()
    } else {
        format!(", en {}", list_with(&months, " y "))
    };
    let plural_names = |by_day: &[WeekdayNum]| -> String {
        let names: Vec<&str> = by_day
            .iter()
            .map(|wd| weekday_es_plural(wd.weekday))
            .collect();
        list_with(&names, " y ")
    };
    let only_if = if rule.by_day.is_empty() || rule.by_month_day.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = rule
            .by_day
            .iter()
            .map(|wd| weekday_es(wd.weekday))
            .collect();
        format!(", si es {}", list_with(&names, " o "))
    };
    match rule.freq {
        Freq::Daily => {
            let mut s = if n == 1 {
                "Todos los días".to_string()
            } else {
                format!("Cada {n} días")
            };
            if !rule.by_day.is_empty() {
                let names: Vec<&str> = rule
                    .by_day
                    .iter()
                    .map(|wd| weekday_es(wd.weekday))
                    .collect();
                s.push_str(&format!(" que sea {}", list_with(&names, " o ")));
            }
            if !rule.by_month_day.is_empty() {
                s.push_str(&format!(
                    " que sea {} del mes",
                    month_days_es(&rule.by_month_day)
                ));
            }
            s + &in_months
        }
        Freq::Weekly => {
            let days = plural_names(&series.weekdays());
            let s = if n == 1 {
                format!("Todos los {days}")
            } else {
                format!("Cada {n} semanas los {days}")
            };
            s + &in_months
        }
        Freq::Monthly => {
            let unit = if n == 1 {
                "cada mes".to_string()
            } else {
                format!("cada {n} meses")
            };
            let s = if !rule.by_month_day.is_empty() {
                format!("{} de {unit}{only_if}", month_days_es(&rule.by_month_day))
            } else if !rule.by_day.is_empty() {
                format!("{} de {unit}", by_day_es(&rule.by_day))
            } else {
                format!("el día {} de {unit}", start.day())
            };
            capitalize(&s) + &in_months
        }
        Freq::Yearly => {
            let unit = if n == 1 {
                "Cada año".to_string()
            } else {
                format!("Cada {n} años")
            };
            let month_list = list_with(&months, " y ");
            if !rule.by_month.is_empty() {
                if !rule.by_month_day.is_empty() {
                    format!(
                        "{unit} {} de {month_list}{only_if}",
                        month_days_es(&rule.by_month_day)
                    )
                } else if !rule.by_day.is_empty() {
                    format!("{unit} {} de {month_list}", by_day_es(&rule.by_day))
                } else if months.len() == 1 {
                    format!("{unit} el {} de {month_list}", start.day())
                } else {
                    format!("{unit} el día {} de {month_list}", start.day())
                }
            } else if !rule.by_month_day.is_empty() {
                format!(
                    "{unit} {} de cada mes{only_if}",
                    month_days_es(&rule.by_month_day)
                )
            } else if !rule.by_day.is_empty() {
                format!("{unit} {} del año", by_day_es(&rule.by_day))
            } else {
                format!(
                    "{unit} el {} de {}",
                    start.day(),
                    MONTHS_ES[start.month0() as usize]
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap()
    }

    fn zone(name: &str) -> Tz {
        name.parse().unwrap()
    }

    fn series_in(tz: &str, rule: &str, start: &str) -> Series {
        Series::new(Rule::parse(rule).unwrap(), zone(tz), dt(start)).unwrap()
    }

    fn series(rule: &str, start: &str) -> Series {
        series_in("UTC", rule, start)
    }

    fn days(list: &[NaiveDateTime]) -> Vec<String> {
        list.iter()
            .map(|t| t.format("%Y-%m-%d").to_string())
            .collect()
    }

    /// Every occurrence of a bounded series, from its start.
    fn all(s: &Series) -> Vec<String> {
        days(&s.after(s.start, 10_000))
    }

    fn parse_err(rule: &str) -> String {
        Rule::parse(rule).unwrap_err().to_string()
    }

    fn visited() -> u64 {
        PERIODS_VISITED.with(|v| v.get())
    }

    fn reset_visited() {
        PERIODS_VISITED.with(|v| v.set(0));
    }

    /// Expected dates below come from python-dateutil's naive `rrulestr` expansion.
    #[test]
    fn rfc_5545_weekly_interval_two_with_wkst() {
        let mo = series(
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
            "1997-08-05T09:00",
        );
        assert_eq!(
            all(&mo),
            ["1997-08-05", "1997-08-10", "1997-08-19", "1997-08-24"]
        );
        assert_eq!(mo.last(), Some(dt("1997-08-24T09:00")));
        let su = series(
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
            "1997-08-05T09:00",
        );
        assert_eq!(
            all(&su),
            ["1997-08-05", "1997-08-17", "1997-08-19", "1997-08-31"]
        );
    }

    #[test]
    fn every_freq_with_interval() {
        assert_eq!(
            all(&series("FREQ=DAILY;INTERVAL=3;COUNT=5", "2027-01-01T10:00")),
            [
                "2027-01-01",
                "2027-01-04",
                "2027-01-07",
                "2027-01-10",
                "2027-01-13"
            ]
        );
        assert_eq!(
            all(&series(
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=6",
                "2027-01-04T09:30"
            )),
            [
                "2027-01-04",
                "2027-01-06",
                "2027-01-18",
                "2027-01-20",
                "2027-02-01",
                "2027-02-03"
            ]
        );
        assert_eq!(
            all(&series(
                "FREQ=MONTHLY;INTERVAL=2;COUNT=4",
                "2027-01-15T19:00"
            )),
            ["2027-01-15", "2027-03-15", "2027-05-15", "2027-07-15"]
        );
        assert_eq!(
            all(&series(
                "FREQ=YEARLY;INTERVAL=2;COUNT=3",
                "2027-03-08T12:00"
            )),
            ["2027-03-08", "2029-03-08", "2031-03-08"]
        );
        // A window far from the start stays aligned to DTSTART's period.
        let s = series("FREQ=WEEKLY;INTERVAL=3;BYDAY=FR", "2027-01-01T12:00");
        assert_eq!(
            days(&s.between(dt("2027-03-01T00:00"), dt("2027-04-01T00:00"))),
            ["2027-03-05", "2027-03-26"]
        );
        let s = series("FREQ=DAILY;INTERVAL=10", "2027-01-01T12:00");
        assert_eq!(
            days(&s.after(dt("2027-02-01T00:00"), 2)),
            ["2027-02-10", "2027-02-20"]
        );
    }

    #[test]
    fn by_day_ordinals() {
        assert_eq!(
            all(&series(
                "FREQ=MONTHLY;BYDAY=1TH;COUNT=4",
                "2027-01-07T19:00"
            )),
            ["2027-01-07", "2027-02-04", "2027-03-04", "2027-04-01"]
        );
        assert_eq!(
            all(&series(
                "FREQ=MONTHLY;BYDAY=-1FR;COUNT=4",
                "2027-01-29T19:00"
            )),
            ["2027-01-29", "2027-02-26", "2027-03-26", "2027-04-30"]
        );
        assert_eq!(
            all(&series(
                "FREQ=MONTHLY;BYDAY=2MO,4MO;COUNT=6",
                "2027-01-11T19:00"
            )),
            [
                "2027-01-11",
                "2027-01-25",
                "2027-02-08",
                "2027-02-22",
                "2027-03-08",
                "2027-03-22"
            ]
        );
        // A fifth Friday exists only in some months: the others are skipped, not counted.
        assert_eq!(
            all(&series(
                "FREQ=MONTHLY;BYDAY=5FR;COUNT=4",
                "2027-01-29T12:00"
            )),
            ["2027-01-29", "2027-04-30", "2027-07-30", "2027-10-29"]
        );
        // YEARLY: Nth within the year, or within BYMONTH's months.
        assert_eq!(
            all(&series(
                "FREQ=YEARLY;BYDAY=20MO;COUNT=3",
                "2027-05-17T12:00"
            )),
            ["2027-05-17", "2028-05-15", "2029-05-14"]
        );
        assert_eq!(
            all(&series(
                "FREQ=YEARLY;BYDAY=-1SU;COUNT=2",
                "2027-12-26T12:00"
            )),
            ["2027-12-26", "2028-12-31"]
        );
        assert_eq!(
            all(&series(
                "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;COUNT=3",
                "2027-11-25T12:00"
            )),
            ["2027-11-25", "2028-11-23", "2029-11-22"]
        );
    }

    #[test]
    fn month_days_negative_and_limited() {
        assert_eq!(
            all(&series(
                "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=5",
                "2027-01-31T12:00"
            )),
            [
                "2027-01-31",
                "2027-02-28",
                "2027-03-31",
                "2027-04-30",
                "2027-05-31"
            ]
        );
        // BYDAY limits when BYMONTHDAY is present: Friday the 13th.
        assert_eq!(
            all(&series(
                "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13;COUNT=3",
                "2027-08-13T12:00"
            )),
            ["2027-08-13", "2028-10-13", "2029-04-13"]
        );
        assert_eq!(
            all(&series(
                "FREQ=YEARLY;BYMONTHDAY=1,15;COUNT=4",
                "2027-01-01T12:00"
            )),
            ["2027-01-01", "2027-01-15", "2027-02-01", "2027-02-15"]
        );
        assert_eq!(
            all(&series(
                "FREQ=YEARLY;BYMONTH=3,6;COUNT=4",
                "2027-03-10T12:00"
            )),
            ["2027-03-10", "2027-06-10", "2028-03-10", "2028-06-10"]
        );
        assert_eq!(
            all(&series(
                "FREQ=DAILY;BYDAY=TU,TH;COUNT=4",
                "2027-01-05T12:00"
            )),
            ["2027-01-05", "2027-01-07", "2027-01-12", "2027-01-14"]
        );
    }

    #[test]
    fn jan_31_monthly_skips_short_months_and_feb_29_yearly_leap_years() {
        assert_eq!(
            all(&series("FREQ=MONTHLY;COUNT=7", "2027-01-31T19:00")),
            [
                "2027-01-31",
                "2027-03-31",
                "2027-05-31",
                "2027-07-31",
                "2027-08-31",
                "2027-10-31",
                "2027-12-31"
            ]
        );
        let leap = series("FREQ=YEARLY;COUNT=3", "2028-02-29T12:00");
        assert_eq!(all(&leap), ["2028-02-29", "2032-02-29", "2036-02-29"]);
        let open = series("FREQ=YEARLY", "2028-02-29T12:00");
        assert_eq!(
            days(&open.after(dt("2029-01-01T00:00"), 3)),
            ["2032-02-29", "2036-02-29", "2040-02-29"]
        );
        // 2100 is not a leap year.
        assert_eq!(
            days(&open.after(dt("2097-01-01T00:00"), 2)),
            ["2104-02-29", "2108-02-29"]
        );
    }

    #[test]
    fn by_month_limits_weekly() {
        assert_eq!(
            all(&series(
                "FREQ=WEEKLY;BYMONTH=1,3;COUNT=10",
                "2027-01-05T18:00"
            )),
            [
                "2027-01-05",
                "2027-01-12",
                "2027-01-19",
                "2027-01-26",
                "2027-03-02",
                "2027-03-09",
                "2027-03-16",
                "2027-03-23",
                "2027-03-30",
                "2028-01-04"
            ]
        );
    }

    #[test]
    fn until_in_each_form_is_inclusive() {
        let la = "America/Los_Angeles";
        let last = |rule: &str| series_in(la, rule, "2027-01-05T18:00").last();
        assert_eq!(
            last("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630"),
            Some(dt("2027-06-29T18:00"))
        );
        assert_eq!(
            last("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270629"),
            Some(dt("2027-06-29T18:00"))
        );
        assert_eq!(
            last("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270629T180000"),
            Some(dt("2027-06-29T18:00"))
        );
        assert_eq!(
            last("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270629T175959"),
            Some(dt("2027-06-22T18:00"))
        );
        // 18:00 PDT is 01:00Z the next day.
        assert_eq!(
            last("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630T010000Z"),
            Some(dt("2027-06-29T18:00"))
        );
        assert_eq!(
            last("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630T005959Z"),
            Some(dt("2027-06-22T18:00"))
        );
        let s = series_in(
            la,
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630",
            "2027-01-05T18:00",
        );
        assert_eq!(s.after(dt("2027-06-01T00:00"), 10).len(), 5);
        assert!(s
            .between(dt("2027-06-30T00:00"), dt("2028-01-01T00:00"))
            .is_empty());
        assert!(s.contains(dt("2027-06-29T18:00")));
        assert!(!s.contains(dt("2027-07-06T18:00")));
        // UNTIL equal to the start: a series of one.
        let one = series("FREQ=DAILY;UNTIL=20270105T180000", "2027-01-05T18:00");
        assert_eq!(all(&one), ["2027-01-05"]);
    }

    #[test]
    fn until_last_does_not_walk_from_the_start() {
        reset_visited();
        let s = series("FREQ=DAILY;UNTIL=21901231", "1970-01-01T10:00");
        assert_eq!(s.last(), Some(dt("2190-12-31T10:00")));
        assert!(visited() < 10, "visited {} periods", visited());
        reset_visited();
        let s = series("FREQ=YEARLY;UNTIL=21000101", "2028-02-29T12:00");
        assert_eq!(s.last(), Some(dt("2096-02-29T12:00")));
        assert!(visited() < 10, "visited {} periods", visited());
    }

    #[test]
    fn count_stops_every_listing() {
        let s = series("FREQ=WEEKLY;BYDAY=MO,FR;COUNT=5", "2027-01-04T12:00");
        assert_eq!(s.last(), Some(dt("2027-01-18T12:00")));
        assert_eq!(
            days(&s.between(dt("2027-01-01T00:00"), dt("2028-01-01T00:00"))),
            [
                "2027-01-04",
                "2027-01-08",
                "2027-01-11",
                "2027-01-15",
                "2027-01-18"
            ]
        );
        assert_eq!(
            days(&s.after(dt("2027-01-12T00:00"), 10)),
            ["2027-01-15", "2027-01-18"]
        );
        assert!(s.after(dt("2027-01-19T00:00"), 10).is_empty());
        assert!(!s.contains(dt("2027-01-22T12:00")));
        assert!(s.contains(dt("2027-01-11T12:00")));
        assert!(!s.contains(dt("2027-01-11T12:01")));
        assert!(!s.contains(dt("2027-01-12T12:00")));
        assert!(!s.contains(dt("2027-01-01T12:00")));
    }

    #[test]
    fn a_month_in_2090_of_a_1970_daily_series_is_reached_directly() {
        let s = series("FREQ=DAILY", "1970-01-01T10:00");
        reset_visited();
        let march = s.between(dt("2090-03-01T00:00"), dt("2090-04-01T00:00"));
        assert_eq!(march.len(), 31);
        assert_eq!(march[0], dt("2090-03-01T10:00"));
        assert_eq!(march[30], dt("2090-03-31T10:00"));
        let april = s.between(dt("2090-04-01T00:00"), dt("2090-05-01T00:00"));
        assert_eq!(april.len(), 30);
        assert!(visited() <= 70, "visited {} periods", visited());
        reset_visited();
        assert_eq!(
            s.after(dt("2090-04-15T10:00"), 2),
            [dt("2090-04-15T10:00"), dt("2090-04-16T10:00")]
        );
        assert!(s.contains(dt("2090-04-15T10:00")));
        assert!(visited() <= 5, "visited {} periods", visited());
        // A window before the start begins at the start.
        assert_eq!(
            days(&s.between(dt("1960-01-01T00:00"), dt("1970-01-03T00:00"))),
            ["1970-01-01", "1970-01-02"]
        );
        assert!(s
            .between(dt("2090-04-02T00:00"), dt("2090-04-01T00:00"))
            .is_empty());
    }

    #[test]
    fn rare_rules_stop_at_the_horizon() {
        // Feb 29 by DAILY limits: one day in ~1,461 yields. Nothing after MAX_YEAR.
        let s = series("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29", "2028-02-29T12:00");
        assert_eq!(
            days(&s.after(dt("2190-01-01T00:00"), 5)),
            ["2192-02-29", "2196-02-29"]
        );
        reset_visited();
        assert!(s.after(dt("2197-01-01T00:00"), 5).is_empty());
        assert!(visited() <= 3 * 366, "visited {} periods", visited());
        assert!(s.after(dt("9000-01-01T00:00"), 5).is_empty());
        // A COUNT the horizon cuts short ends at the horizon's last occurrence.
        let s = series(
            &format!("FREQ=YEARLY;COUNT={MAX_COUNT}"),
            "2028-02-29T12:00",
        );
        assert_eq!(s.last(), Some(dt("2196-02-29T12:00")));
    }

    #[test]
    fn weekly_vigil_keeps_its_wall_time_across_both_dst_changes() {
        let tz = zone("America/Los_Angeles");
        let s = series_in(
            "America/Los_Angeles",
            "FREQ=WEEKLY;BYDAY=TU",
            "2027-01-05T18:00",
        );
        let march = s.between(dt("2027-03-08T00:00"), dt("2027-03-18T00:00"));
        assert_eq!(march, [dt("2027-03-09T18:00"), dt("2027-03-16T18:00")]);
        let utc: Vec<_> = march.iter().map(|&t| place(tz, t)).collect();
        assert_eq!(
            utc,
            [
                (dt("2027-03-10T02:00"), Placement::Exact),
                (dt("2027-03-17T01:00"), Placement::Exact)
            ]
        );
        let november = s.between(dt("2027-11-01T00:00"), dt("2027-11-11T00:00"));
        assert_eq!(november, [dt("2027-11-02T18:00"), dt("2027-11-09T18:00")]);
        assert_eq!(place(tz, november[0]).0, dt("2027-11-03T01:00"));
        assert_eq!(place(tz, november[1]).0, dt("2027-11-10T02:00"));
    }

    #[test]
    fn daily_series_through_a_gap_and_an_overlap() {
        let ny = zone("America/New_York");
        let s = series_in("America/New_York", "FREQ=DAILY", "2027-03-12T02:30");
        let around = s.between(dt("2027-03-13T00:00"), dt("2027-03-16T00:00"));
        assert_eq!(
            around,
            [
                dt("2027-03-13T02:30"),
                dt("2027-03-14T02:30"),
                dt("2027-03-15T02:30")
            ]
        );
        let placed: Vec<_> = around.iter().map(|&t| place(ny, t)).collect();
        assert_eq!(
            placed,
            [
                (dt("2027-03-13T07:30"), Placement::Exact),
                // 02:30 does not exist: read with EST (before the gap) = 03:30 EDT.
                (
                    dt("2027-03-14T07:30"),
                    Placement::Gap {
                        shift: Duration::hours(1)
                    }
                ),
                (dt("2027-03-15T06:30"), Placement::Exact),
            ]
        );
        let s = series_in("America/New_York", "FREQ=DAILY", "2027-11-01T01:30");
        let around = s.between(dt("2027-11-06T00:00"), dt("2027-11-09T00:00"));
        let placed: Vec<_> = around.iter().map(|&t| place(ny, t)).collect();
        assert_eq!(
            placed,
            [
                (dt("2027-11-06T05:30"), Placement::Exact),
                (dt("2027-11-07T05:30"), Placement::Overlap),
                (dt("2027-11-08T06:30"), Placement::Exact),
            ]
        );
    }

    #[test]
    fn lord_howe_half_hour_shifts_and_kolkata_never_gaps() {
        let lh = zone("Australia/Lord_Howe");
        assert_eq!(
            place(lh, dt("2027-10-03T02:15")),
            (
                dt("2027-10-02T15:45"),
                Placement::Gap {
                    shift: Duration::minutes(30)
                }
            )
        );
        // Clocks go back 2:00 → 1:30 (+11:00 → +10:30): 1:45 is first read at +11:00.
        assert_eq!(
            place(lh, dt("2027-04-04T01:45")),
            (dt("2027-04-03T14:45"), Placement::Overlap)
        );
        let s = series_in(
            "Australia/Lord_Howe",
            "FREQ=WEEKLY;BYDAY=SU",
            "2027-09-26T02:15",
        );
        let next = s.after(dt("2027-10-01T00:00"), 2);
        assert_eq!(next, [dt("2027-10-03T02:15"), dt("2027-10-10T02:15")]);
        assert_eq!(
            place(lh, next[1]),
            (dt("2027-10-09T15:15"), Placement::Exact)
        );

        let kolkata = zone("Asia/Kolkata");
        let s = series_in("Asia/Kolkata", "FREQ=DAILY", "2027-01-01T02:30");
        for t in s.between(dt("2027-01-01T00:00"), dt("2028-01-01T00:00")) {
            let (utc, how) = place(kolkata, t);
            assert_eq!(how, Placement::Exact, "{t}");
            assert_eq!(utc, t - Duration::minutes(330));
        }
    }

    #[test]
    fn a_start_that_is_not_an_occurrence_is_refused_in_words() {
        let la = zone("America/Los_Angeles");
        let err = Series::new(
            Rule::parse("FREQ=WEEKLY;BYDAY=TU").unwrap(),
            la,
            dt("2027-01-06T18:00"),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "2027-01-06T18:00 is a Wednesday; the rule repeats on Tuesday: start the series on one of its days"
        );
        let err = Series::new(
            Rule::parse("FREQ=MONTHLY;BYDAY=1TH").unwrap(),
            la,
            dt("2027-01-14T19:00"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("the first one after it is 2027-02-04T19:00"),
            "{err}"
        );
        let err = Series::new(
            Rule::parse("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270101").unwrap(),
            la,
            dt("2027-01-05T18:00"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("UNTIL 2027-01-01 is before"), "{err}");
        let err = Series::new(
            Rule::parse("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30").unwrap(),
            la,
            dt("2027-02-28T18:00"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("gives none after it"), "{err}");
        assert!(Series::new(
            Rule::parse("FREQ=DAILY").unwrap(),
            la,
            dt("1969-12-31T18:00")
        )
        .is_err());
    }

    #[test]
    fn parse_accepts_any_case_order_and_prefix() {
        let r =
            Rule::parse("rrule:byday=-1fr,+2sa;freq=monthly;interval=2;wkst=su;count=3").unwrap();
        assert_eq!(r.freq, Freq::Monthly);
        assert_eq!(r.interval, 2);
        assert_eq!(
            r.by_day,
            [
                WeekdayNum {
                    ordinal: Some(-1),
                    weekday: Weekday::Fri
                },
                WeekdayNum {
                    ordinal: Some(2),
                    weekday: Weekday::Sat
                }
            ]
        );
        assert_eq!(r.wkst, Weekday::Sun);
        assert_eq!(r.count, Some(3));
        assert_eq!(
            Rule::parse("FREQ=DAILY;UNTIL=20270630").unwrap().until,
            Some(Until::Date(NaiveDate::from_ymd_opt(2027, 6, 30).unwrap()))
        );
        assert_eq!(
            Rule::parse("FREQ=DAILY;UNTIL=20270630T180000")
                .unwrap()
                .until,
            Some(Until::Local(dt("2027-06-30T18:00")))
        );
        assert_eq!(
            Rule::parse("FREQ=DAILY;UNTIL=20270630T010000Z;")
                .unwrap()
                .until,
            Some(Until::Utc(dt("2027-06-30T01:00")))
        );
    }

    #[test]
    fn parse_errors_name_the_part() {
        assert_eq!(parse_err(""), "is required");
        assert_eq!(parse_err("  "), "is required");
        assert!(parse_err(&format!("FREQ=DAILY;{}", "X".repeat(600))).contains("limit is 500"));
        assert_eq!(
            parse_err("FREQ=WEEKLY;BYSETPOS=1"),
            "BYSETPOS is not supported (supported: FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, COUNT, UNTIL, WKST)"
        );
        for key in [
            "BYHOUR",
            "BYMINUTE",
            "BYSECOND",
            "BYWEEKNO",
            "BYYEARDAY",
            "RSCALE",
            "SKIP",
            "COLOR",
        ] {
            assert!(
                parse_err(&format!("FREQ=DAILY;{key}=1"))
                    .starts_with(&format!("{key} is not supported")),
                "{key}"
            );
        }
        assert_eq!(
            parse_err("FREQ=WEEKLY;BYDAY=XX"),
            "BYDAY value \"XX\" is not a weekday (MO, TU, WE, TH, FR, SA, SU)"
        );
        assert!(parse_err("FREQ=WEEKLY;BYDAY=é").contains("BYDAY value \"é\""));
        assert!(parse_err("FREQ=WEEKLY;BYDAY=ñMO").contains("BYDAY value"));
        assert!(parse_err("FREQ=HOURLY").contains("hourly and finer repeats are not supported"));
        assert!(parse_err("FREQ=SECONDLY").contains("hourly and finer"));
        assert!(parse_err("FREQ=FORTNIGHTLY").contains("FREQ value \"FORTNIGHTLY\""));
        assert!(parse_err("INTERVAL=2").starts_with("FREQ is required"));
        assert!(parse_err("FREQ=DAILY;INTERVAL=0").contains("INTERVAL value \"0\""));
        assert!(parse_err("FREQ=DAILY;INTERVAL=1001").contains("INTERVAL value \"1001\""));
        assert!(parse_err("FREQ=DAILY;COUNT=0").contains("COUNT value \"0\""));
        assert!(parse_err("FREQ=DAILY;COUNT=5001").contains("COUNT value"));
        assert!(parse_err("FREQ=DAILY;COUNT=x").contains("COUNT value \"x\""));
        assert!(parse_err("FREQ=DAILY;COUNT=3;UNTIL=20270101").contains("COUNT and UNTIL"));
        assert!(parse_err("FREQ=DAILY;FREQ=WEEKLY").contains("FREQ is given twice"));
        assert!(parse_err("FREQ=DAILY;count=2;COUNT=3").contains("COUNT is given twice"));
        assert!(parse_err("FREQ=WEEKLY;BYDAY=1TH").contains("needs FREQ=MONTHLY or YEARLY"));
        assert!(parse_err("FREQ=DAILY;BYDAY=-1FR").contains("needs FREQ=MONTHLY or YEARLY"));
        assert!(parse_err("FREQ=MONTHLY;BYDAY=6MO").contains("ordinal must be 1 to 5"));
        assert!(parse_err("FREQ=MONTHLY;BYDAY=0MO").contains("BYDAY value \"0MO\""));
        assert!(Rule::parse("FREQ=YEARLY;BYDAY=53MO").is_ok());
        assert!(parse_err("FREQ=YEARLY;BYDAY=54MO").contains("ordinal must be 1 to 53"));
        assert!(parse_err("FREQ=WEEKLY;BYMONTHDAY=1")
            .contains("BYMONTHDAY cannot be used with FREQ=WEEKLY"));
        assert!(parse_err("FREQ=MONTHLY;BYMONTHDAY=32").contains("BYMONTHDAY value \"32\""));
        assert!(parse_err("FREQ=MONTHLY;BYMONTHDAY=0").contains("BYMONTHDAY value \"0\""));
        assert!(Rule::parse("FREQ=MONTHLY;BYMONTHDAY=-31").is_ok());
        assert!(parse_err("FREQ=YEARLY;BYMONTH=13").contains("BYMONTH value \"13\""));
        assert!(parse_err("FREQ=YEARLY;BYMONTH=1,,2").contains("empty value"));
        let many = (0..32).map(|_| "MO").collect::<Vec<_>>().join(",");
        assert!(parse_err(&format!("FREQ=WEEKLY;BYDAY={many}")).contains("limit is 31"));
        assert!(parse_err("FREQ=DAILY;UNTIL=2027-06-30").contains("UNTIL value \"2027-06-30\""));
        assert!(parse_err("FREQ=DAILY;UNTIL=20270230").contains("UNTIL value"));
        assert!(parse_err("FREQ=DAILY;UNTIL=20270630T250000").contains("UNTIL value"));
        assert!(parse_err("FREQ=DAILY;UNTIL=20270630X180000").contains("UNTIL value"));
        assert!(parse_err("FREQ=DAILY;UNTIL=20270630T180000+").contains("UNTIL value"));
        assert!(parse_err("FREQ=DAILY;WKST=XY").contains("WKST value \"XY\""));
        assert!(parse_err("FREQ=DAILY;BYDAY=").contains("BYDAY has no value"));
        assert!(parse_err("FREQ=DAILY;WEEKLY").contains("not a KEY=VALUE part"));
        assert!(parse_err("=DAILY").contains("has no key"));
    }

    #[test]
    fn canonical_text_round_trips() {
        let rules = [
            "FREQ=DAILY",
            "FREQ=DAILY;INTERVAL=3;COUNT=5",
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU;COUNT=4",
            "FREQ=WEEKLY;BYMONTH=1,3;BYDAY=MO,WE,FR;UNTIL=20270630T180000",
            "FREQ=MONTHLY;BYDAY=1TH",
            "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270630T010000Z",
            "FREQ=MONTHLY;BYDAY=2MO,4MO;COUNT=10",
            "FREQ=MONTHLY;BYMONTHDAY=-1,15",
            "FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR",
            "FREQ=YEARLY",
            "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=1TU",
            "FREQ=YEARLY;BYDAY=20MO,-53SU",
            "rrule:until=20270630t180000z;byday=+1mo;freq=yearly;bymonth=3;wkst=mo",
        ];
        for text in rules {
            let rule = Rule::parse(text).unwrap();
            let canonical = rule.to_text();
            assert_eq!(
                Rule::parse(&canonical).unwrap(),
                rule,
                "{text} → {canonical}"
            );
            assert_eq!(Rule::parse(&canonical).unwrap().to_text(), canonical);
        }
        assert_eq!(
            Rule::parse("count=4;wkst=su;byday=tu,su;interval=2;freq=weekly")
                .unwrap()
                .to_text(),
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU;COUNT=4"
        );
        assert_eq!(
            Rule::parse(
                "UNTIL=20270630T010000Z;BYMONTHDAY=1;BYMONTH=3;INTERVAL=1;FREQ=YEARLY;BYDAY=+2SA"
            )
            .unwrap()
            .to_text(),
            "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1;BYDAY=2SA;UNTIL=20270630T010000Z"
        );
    }

    #[test]
    fn ical_until_is_utc_for_timed_series_and_a_date_for_all_day() {
        let la = zone("America/Los_Angeles");
        let ical = |rule: &str, all_day: bool| Rule::parse(rule).unwrap().to_ical(la, all_day);
        // The end of June 30 in Los Angeles (PDT) is 06:59:59Z on July 1.
        assert_eq!(
            ical("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630", false),
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270701T065959Z"
        );
        assert_eq!(
            ical("FREQ=WEEKLY;BYDAY=TU;UNTIL=20271230", false),
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20271231T075959Z"
        );
        assert_eq!(
            ical("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270629T180000", false),
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630T010000Z"
        );
        assert_eq!(
            ical("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630T010000Z", false),
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630T010000Z"
        );
        assert_eq!(
            ical("FREQ=DAILY;UNTIL=20270630", true),
            "FREQ=DAILY;UNTIL=20270630"
        );
        assert_eq!(
            ical("FREQ=DAILY;UNTIL=20270630T180000", true),
            "FREQ=DAILY;UNTIL=20270630"
        );
        // 01:00Z on June 30 is still June 29 in Los Angeles.
        assert_eq!(
            ical("FREQ=DAILY;UNTIL=20270630T010000Z", true),
            "FREQ=DAILY;UNTIL=20270629"
        );
        assert_eq!(ical("FREQ=DAILY;COUNT=3", false), "FREQ=DAILY;COUNT=3");
        // A local UNTIL in the spring-forward gap is placed like an occurrence.
        assert_eq!(
            Rule::parse("FREQ=DAILY;UNTIL=20270314T023000")
                .unwrap()
                .to_ical(zone("America/New_York"), false),
            "FREQ=DAILY;UNTIL=20270314T073000Z"
        );
    }

    #[test]
    fn describe_in_english_and_spanish() {
        let both = |rule: &str, start: &str, end: Option<&str>| {
            let s = series(rule, start);
            let end = end.map(|e| NaiveTime::parse_from_str(e, "%H:%M").unwrap());
            (describe(&s, end, Lang::En), describe(&s, end, Lang::Es))
        };
        assert_eq!(
            both(
                "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630",
                "2027-01-05T18:00",
                Some("19:00")
            ),
            (
                "Every Tuesday, 6–7 pm, until June 30, 2027".to_string(),
                "Todos los martes, 18:00–19:00, hasta el 30 de junio de 2027".to_string()
            )
        );
        assert_eq!(
            both(
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE",
                "2027-01-04T09:30",
                Some("11:00")
            ),
            (
                "Every 2 weeks on Monday and Wednesday, 9:30–11 am".to_string(),
                "Cada 2 semanas los lunes y miércoles, 09:30–11:00".to_string()
            )
        );
        assert_eq!(
            both("FREQ=DAILY;COUNT=10", "2027-01-04T09:30", None),
            (
                "Every day, 10 times".to_string(),
                "Todos los días, 10 veces".to_string()
            )
        );
        assert_eq!(
            both("FREQ=MONTHLY;BYDAY=1TH", "2027-01-07T19:00", Some("20:00")),
            (
                "On the first Thursday of every month, 7–8 pm".to_string(),
                "El primer jueves de cada mes, 19:00–20:00".to_string()
            )
        );
        assert_eq!(
            both("FREQ=MONTHLY;BYDAY=-1FR", "2027-01-29T19:00", None),
            (
                "On the last Friday of every month".to_string(),
                "El último viernes de cada mes".to_string()
            )
        );
        assert_eq!(
            both("FREQ=MONTHLY;BYDAY=2MO,4MO", "2027-01-11T19:00", None),
            (
                "On the second and fourth Monday of every month".to_string(),
                "El segundo y cuarto lunes de cada mes".to_string()
            )
        );
        assert_eq!(
            both("FREQ=MONTHLY;BYMONTHDAY=15", "2027-01-15T19:00", None),
            (
                "Monthly on day 15".to_string(),
                "El día 15 de cada mes".to_string()
            )
        );
        assert_eq!(
            both("FREQ=MONTHLY", "2027-01-15T19:00", None),
            (
                "Monthly on day 15".to_string(),
                "El día 15 de cada mes".to_string()
            )
        );
        assert_eq!(
            both("FREQ=MONTHLY;BYMONTHDAY=-1", "2027-01-31T19:00", None),
            (
                "Monthly on the last day".to_string(),
                "El último día de cada mes".to_string()
            )
        );
        assert_eq!(
            both("FREQ=YEARLY", "2027-03-08T11:00", Some("13:00")),
            (
                "Every year on March 8, 11 am–1 pm".to_string(),
                "Cada año el 8 de marzo, 11:00–13:00".to_string()
            )
        );
        assert_eq!(
            both(
                "FREQ=YEARLY;BYMONTH=5;BYDAY=2SU",
                "2027-05-09T12:00",
                Some("12:30")
            ),
            (
                "Every year on the second Sunday of May, 12–12:30 pm".to_string(),
                "Cada año el segundo domingo de mayo, 12:00–12:30".to_string()
            )
        );
        assert_eq!(
            both(
                "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=1",
                "2027-01-04T00:00",
                None
            ),
            (
                "Every Monday, Wednesday and Friday, once".to_string(),
                "Todos los lunes, miércoles y viernes, una vez".to_string()
            )
        );
        // A UTC UNTIL is told as the series' local date.
        let s = series_in(
            "America/Los_Angeles",
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630T010000Z",
            "2027-01-05T18:00",
        );
        assert_eq!(
            describe(&s, None, Lang::En),
            "Every Tuesday, until June 29, 2027"
        );
    }

    /// Windows, `after` and `contains` agree with one listing from the start, for many rules (each
    /// listing, up to 300 occurrences or the horizon, was checked against python-dateutil).
    #[test]
    fn windows_agree_with_a_listing_from_the_start() {
        let cases = [
            ("FREQ=DAILY;INTERVAL=3", "2027-01-01T10:00"),
            ("FREQ=DAILY;BYDAY=SA,SU;BYMONTH=6,7", "2027-06-05T10:00"),
            (
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU",
                "1997-08-05T09:00",
            ),
            (
                "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,SA;WKST=WE",
                "2027-01-02T09:00",
            ),
            ("FREQ=MONTHLY;BYDAY=2MO,-1MO", "2027-01-11T19:00"),
            (
                "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31,-31",
                "2027-01-01T19:00",
            ),
            ("FREQ=MONTHLY;BYDAY=TU;BYMONTH=2", "2027-02-02T19:00"),
            (
                "FREQ=YEARLY;INTERVAL=3;BYMONTH=2;BYMONTHDAY=29",
                "2028-02-29T12:00",
            ),
            ("FREQ=YEARLY;BYDAY=1MO,-1FR", "2027-01-04T12:00"),
            ("FREQ=YEARLY;BYMONTHDAY=-1;BYDAY=FR", "2027-04-30T12:00"),
            ("FREQ=YEARLY;BYMONTH=3,9;BYDAY=-1SU,1SA", "2027-03-06T12:00"),
            (
                "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1,-1;BYDAY=MO,TU",
                "2027-02-01T12:00",
            ),
        ];
        for (rule, start) in cases {
            let s = series_in("America/New_York", rule, start);
            let everything = s.after(s.start, 300);
            // Rare rules reach the MAX_YEAR horizon first.
            assert!(everything.len() >= 10, "{rule}");
            let half = everything.len() / 2;
            assert!(everything.windows(2).all(|w| w[0] < w[1]), "{rule}");
            let end = everything[everything.len() - 1];
            let span = (end - s.start).num_days().max(1);
            for k in 0..12 {
                let from = s.start + Duration::days(span * k / 12) - Duration::hours(5);
                // Only as far as the listing reaches.
                let to = (from + Duration::days(span / 7 + 1)).min(end);
                let expected: Vec<_> = everything
                    .iter()
                    .copied()
                    .filter(|&t| t >= from && t < to)
                    .collect();
                assert_eq!(s.between(from, to), expected, "{rule} [{from}, {to})");
                let next: Vec<_> = everything
                    .iter()
                    .copied()
                    .filter(|&t| t >= from)
                    .take(4)
                    .collect();
                if next.len() == 4 {
                    assert_eq!(s.after(from, 4), next, "{rule} after {from}");
                }
            }
            for &t in &everything {
                assert!(s.contains(t), "{rule} {t}");
                let next_day = t + Duration::days(1);
                assert_eq!(
                    s.contains(next_day),
                    everything.contains(&next_day),
                    "{rule} {next_day}"
                );
            }
            // The same rule ended by COUNT stops every listing at its last occurrence.
            let counted = Series::new(
                Rule {
                    count: Some(half as u32),
                    ..s.rule.clone()
                },
                s.tz,
                s.start,
            )
            .unwrap();
            assert_eq!(counted.last(), Some(everything[half - 1]), "{rule}");
            assert_eq!(
                counted.after(everything[half - 3], 100),
                everything[half - 3..half],
                "{rule}"
            );
            assert_eq!(counted.between(s.start, end), everything[..half], "{rule}");
            // And by UNTIL at an occurrence, in each form.
            let at = everything[everything.len() * 2 / 5];
            for until in [
                Until::Date(at.date()),
                Until::Local(at),
                Until::Utc(place(s.tz, at).0),
            ] {
                let bounded = Series::new(
                    Rule {
                        until: Some(until),
                        ..s.rule.clone()
                    },
                    s.tz,
                    s.start,
                )
                .unwrap();
                assert_eq!(bounded.last(), Some(at), "{rule} {until:?}");
                assert_eq!(bounded.after(at, 5), [at], "{rule} {until:?}");
            }
        }
    }
}
