//! Partners' calendars flowing in (issue 12): reading a feed (`parse`) into the event inputs the
//! API takes, with every time resolved to the source's exact instant; fetching it, guarded
//! (`fetch`); and one run of a stored subscription with the scheduler that runs them
//! (`refresh`). The subscriptions and their writes are `db::queries::imports`.

pub mod fetch;
pub mod parse;
pub mod refresh;
mod text;
mod windows_zones;
mod zone_rules;

pub use parse::{parse, Feed, Item, Skipped};
