//! A subscription to a partner's feed as the API, the admin and the CLI give it, checked.

use serde::{Deserialize, Serialize};

use super::catalog::tags;
use super::event::MAX_TAGS;
use super::{time, Errors};
use crate::error::AppError;
use crate::import::fetch;

/// Shortest and longest time between two scheduled fetches of one feed, in minutes.
pub const MIN_INTERVAL_MINUTES: i64 = 15;
pub const MAX_INTERVAL_MINUTES: i64 = 7 * 24 * 60;
pub const DEFAULT_INTERVAL_MINUTES: i64 = 60;

/// What happens to the feed's new events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewMode {
    /// Public at once.
    Publish,
    /// New events wait in the moderation queue, as public submissions do.
    Moderate,
}

impl ReviewMode {
    pub fn parse(s: &str) -> Option<ReviewMode> {
        match s {
            "publish" => Some(ReviewMode::Publish),
            "moderate" => Some(ReviewMode::Moderate),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewMode::Publish => "publish",
            ReviewMode::Moderate => "moderate",
        }
    }
}

/// `POST /api/v1/imports` (and the merge-patch target of `PATCH`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImportInput {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub partner: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub review: Option<String>,
    #[serde(default)]
    pub interval_minutes: Option<i64>,
    /// Places floating times when the calendar names no zone of its own (IANA).
    #[serde(default)]
    pub timezone: Option<String>,
}

/// An `ImportInput` checked; the partner and action are still slugs (the store resolves them).
#[derive(Debug, Clone)]
pub struct ImportDraft {
    /// Normalized: `webcal://` is `https://`.
    pub url: String,
    pub partner: Option<String>,
    pub action: Option<String>,
    pub tags: Vec<String>,
    pub review: ReviewMode,
    pub interval_minutes: i32,
    pub timezone: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl TryFrom<ImportInput> for ImportDraft {
    type Error = AppError;

    fn try_from(input: ImportInput) -> Result<ImportDraft, AppError> {
        let (draft, e) = ImportDraft::checked(input);
        e.finish(draft)
    }
}

impl ImportDraft {
    /// The draft and what is wrong with it, so that the store can add what only it can tell
    /// (an unknown partner or action) and every problem is answered at once.
    pub fn checked(input: ImportInput) -> (ImportDraft, Errors) {
        let mut e = Errors::default();
        let url = match nonempty(&input.url) {
            None => {
                e.push("url", "is required: the address of the partner's .ics feed");
                String::new()
            }
            Some(raw) if raw.len() > 2048 => {
                e.push("url", "is longer than 2048 characters");
                String::new()
            }
            Some(raw) => match fetch::normalize(raw) {
                Ok(u) => u.to_string(),
                Err(err) => {
                    e.push("url", err.to_string());
                    String::new()
                }
            },
        };
        let review = match nonempty(&input.review) {
            None => ReviewMode::Publish,
            Some(s) => ReviewMode::parse(s).unwrap_or_else(|| {
                e.push("review", format!("{s:?} is not one of publish, moderate"));
                ReviewMode::Publish
            }),
        };
        let interval = input.interval_minutes.unwrap_or(DEFAULT_INTERVAL_MINUTES);
        if !(MIN_INTERVAL_MINUTES..=MAX_INTERVAL_MINUTES).contains(&interval) {
            e.push(
                "interval_minutes",
                format!(
                    "must be a whole number from {MIN_INTERVAL_MINUTES} to {MAX_INTERVAL_MINUTES}"
                ),
            );
        }
        let timezone = nonempty(&input.timezone).and_then(|name| match time::parse_zone(name) {
            Ok(tz) => Some(tz.name().to_string()),
            Err(m) => {
                e.push("timezone", m);
                None
            }
        });
        let tags = tags(&mut e, "tags", input.tags.as_deref(), MAX_TAGS);
        let draft = ImportDraft {
            url,
            partner: nonempty(&input.partner).map(str::to_string),
            action: nonempty(&input.action).map(str::to_string),
            tags,
            review,
            interval_minutes: i32::try_from(interval).unwrap_or(60),
            timezone,
        };
        (draft, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(json: &str) -> Result<ImportDraft, AppError> {
        let input: ImportInput = serde_json::from_str(json).unwrap();
        ImportDraft::try_from(input)
    }

    fn fields(r: Result<ImportDraft, AppError>) -> Vec<String> {
        match r {
            Err(AppError::Validation(list)) => list.into_iter().map(|f| f.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn webcal_urls_are_taken_as_https() {
        let d = draft(r#"{"url": "webcal://cal.example.org/basic.ics", "partner": "mijente"}"#)
            .unwrap();
        assert_eq!(d.url, "https://cal.example.org/basic.ics");
        assert_eq!(d.review, ReviewMode::Publish);
        assert_eq!(d.interval_minutes, 60);
    }

    #[test]
    fn every_bad_field_is_named() {
        let r = draft(
            r#"{"url": "ftp://x/y.ics", "review": "maybe", "interval_minutes": 1,
                "timezone": "Mars/Olympus"}"#,
        );
        assert_eq!(
            fields(r),
            ["url", "review", "interval_minutes", "timezone"].map(String::from)
        );
        assert_eq!(fields(draft("{}")), ["url".to_string()]);
    }
}
