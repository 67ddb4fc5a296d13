//! Partners' calendars flowing in (issue 12). So far: reading a feed (`parse`) into the event
//! inputs the API takes, with every time resolved to the source's exact instant. Fetching,
//! the stored subscriptions and their refresh come next.

pub mod parse;
mod windows_zones;

pub use parse::{parse, Feed, Item, Skipped};
