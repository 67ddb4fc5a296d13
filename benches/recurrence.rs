//! `cargo bench --bench recurrence`: what listing one month of a series costs, for a daily series
//! that began in 1970 and never ends against one that lasts the year of the window: the expansion
//! jumps to the window, so the two should cost the same. Also the next 50 occurrences from a
//! date (the upcoming listing without an end). Figures go to docs/PERFORMANCE.md ("Recurring
//! events").

use std::time::Instant;

use chrono::{NaiveDate, NaiveDateTime};
use turnout::domain::recurrence::{Rule, Series};

fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h, 0, 0))
        .expect("date")
}

/// Median nanoseconds of `f` over `rounds` rounds of `per_round` calls.
fn median_ns(rounds: usize, per_round: u32, mut f: impl FnMut() -> usize) -> f64 {
    let mut times = Vec::with_capacity(rounds);
    let mut sink = 0usize;
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..per_round {
            sink = sink.wrapping_add(f());
        }
        times.push(t.elapsed().as_nanos() as f64 / f64::from(per_round));
    }
    assert!(sink > 0, "the expansions found occurrences");
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let tz: chrono_tz::Tz = "America/New_York".parse().expect("zone");
    let series = |rule: &str, start: NaiveDateTime| {
        Series::new(Rule::parse(rule).expect("rule"), tz, start).expect("series")
    };
    let since_1970 = series("FREQ=DAILY", at(1970, 1, 1, 9));
    let one_year = series("FREQ=DAILY;UNTIL=20901231", at(2090, 1, 1, 9));
    let weekly_1970 = series("FREQ=WEEKLY;BYDAY=TU,TH", at(1970, 1, 1, 18));
    let monthly_1970 = series("FREQ=MONTHLY;BYDAY=1TH", at(1970, 1, 1, 19));
    let (from, to) = (at(2090, 3, 1, 0), at(2090, 4, 1, 0));
    let rows = [
        ("daily since 1970, never ending", &since_1970),
        ("daily, the year 2090 only", &one_year),
        ("weekly Tu+Th since 1970", &weekly_1970),
        ("monthly first Thursday since 1970", &monthly_1970),
    ];
    println!("| series | March 2090 (`between`) | next 50 from 2090-03-01 (`after`) |");
    println!("|---|---:|---:|");
    let mut month = Vec::new();
    for (name, s) in rows {
        let m = median_ns(31, 2_000, || s.between(from, to).len());
        let n = median_ns(31, 2_000, || s.after(from, 50).len());
        month.push(m);
        println!("| {name} | {:.2} µs | {:.2} µs |", m / 1000.0, n / 1000.0);
    }
    println!(
        "\nMonth of the never-ending 1970 series / month of the one-year series: {:.2}",
        month[0] / month[1]
    );
}
