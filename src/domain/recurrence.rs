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

use chrono::{Duration, NaiveDate, NaiveDateTime, Weekday};
use chrono_tz::Tz;

use super::message::Msg;

/// Longest `COUNT` accepted (a weekly series of 20 years is ~1,040).
pub const MAX_COUNT: u32 = 5_000;
/// Most excluded dates one series carries.
pub const MAX_EXDATES: usize = 1_000;
/// Longest `INTERVAL` accepted.
pub const MAX_INTERVAL: u32 = 1_000;

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
        let _ = text;
        Err(Msg::Text("recurrence is not implemented yet".into()))
    }

    /// The canonical RRULE value Turnout stores and answers with: FREQ first, then INTERVAL (only
    /// when > 1), BYMONTH, BYMONTHDAY, BYDAY, WKST (only when not MO), COUNT, UNTIL (in the form
    /// given: `20270630`, `20270630T180000`, `20270630T010000Z`).
    pub fn to_text(&self) -> String {
        String::new()
    }

    /// The RRULE value for a feed, where RFC 5545 wants UNTIL in UTC when DTSTART has a TZID (the
    /// instant of the series' last possible start: a date means the end of that local day) and a
    /// DATE for all-day series.
    pub fn to_ical(&self, tz: Tz, all_day: bool) -> String {
        let _ = (tz, all_day);
        String::new()
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
        let _ = (&rule, tz, start);
        Err(Msg::Text("recurrence is not implemented yet".into()))
    }

    /// Local start of the last occurrence; `None` when the rule never ends.
    pub fn last(&self) -> Option<NaiveDateTime> {
        self.last
    }

    /// Local starts of the occurrences whose local start is in `[from, to)`, ascending. The cost
    /// grows with the number of periods (days, weeks, months, years) in the window, never with the
    /// distance from the series' start.
    pub fn between(&self, from: NaiveDateTime, to: NaiveDateTime) -> Vec<NaiveDateTime> {
        let _ = (from, to);
        Vec::new()
    }

    /// The first `n` occurrences whose local start is at or after `from`, ascending.
    pub fn after(&self, from: NaiveDateTime, n: usize) -> Vec<NaiveDateTime> {
        let _ = (from, n);
        Vec::new()
    }

    /// True when `local` is the local start of one of the series' occurrences.
    pub fn contains(&self, local: NaiveDateTime) -> bool {
        let _ = local;
        false
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

/// The UTC instant of a local occurrence start in `tz`, and how it was placed (RFC 5545 §3.3.5).
pub fn place(tz: Tz, local: NaiveDateTime) -> (NaiveDateTime, Placement) {
    let _ = tz;
    (local, Placement::Exact)
}
