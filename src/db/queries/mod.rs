//! Plain synchronous queries over `&mut DbConn`, one module per aggregate.

pub mod auth;
pub mod catalog;
pub mod events;
pub mod imports;
pub mod online;
pub mod search;

use chrono::{NaiveDateTime, Utc};

/// Now, as stored (naive UTC, microseconds).
pub fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    chrono::Timelike::with_nanosecond(&t, (chrono::Timelike::nanosecond(&t) / 1000) * 1000)
        .unwrap_or(t)
}
