//! Online actions: petitions, letters, call-ins — what people can do from home, beside the
//! events. Turnout only links to where they are taken; it never collects signatures.

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::message::Msg;
use super::{line, required_line, text, url, Errors};
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Petition,
    Letter,
    CallIn,
    Pledge,
    Donation,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Petition,
        Kind::Letter,
        Kind::CallIn,
        Kind::Pledge,
        Kind::Donation,
        Kind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Petition => "petition",
            Kind::Letter => "letter",
            Kind::CallIn => "call-in",
            Kind::Pledge => "pledge",
            Kind::Donation => "donation",
            Kind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnlineStatus {
    #[default]
    Open,
    Closed,
    Won,
}

impl OnlineStatus {
    pub const ALL: [OnlineStatus; 3] =
        [OnlineStatus::Open, OnlineStatus::Closed, OnlineStatus::Won];

    pub fn as_str(self) -> &'static str {
        match self {
            OnlineStatus::Open => "open",
            OnlineStatus::Closed => "closed",
            OnlineStatus::Won => "won",
        }
    }

    pub fn parse(s: &str) -> Option<OnlineStatus> {
        OnlineStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An online action as the API and the admin send it. Strings where a wrong value must be
/// reported against its field (kind, status, deadline).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OnlineActionInput {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub partners: Option<Vec<String>>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub goal: Option<i64>,
    #[serde(default)]
    pub count: Option<i64>,
    #[serde(default)]
    pub deadline: Option<String>,
    /// The zone the deadline day is in; defaults to the zone most of the day of action's events
    /// use (UTC for a stand-alone action).
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// A checked online action; slugs are resolved against the database later.
#[derive(Debug, Clone, PartialEq)]
pub struct OnlineActionDraft {
    pub kind: Kind,
    pub title: String,
    pub description: String,
    pub action: Option<String>,
    pub partners: Vec<String>,
    pub url: String,
    pub goal: Option<i32>,
    pub count: Option<i32>,
    pub deadline: Option<NaiveDate>,
    pub timezone: Option<Tz>,
    pub status: OnlineStatus,
}

/// Counts people report by hand: whole numbers up to a billion.
const MAX_COUNT: i64 = 1_000_000_000;

impl TryFrom<OnlineActionInput> for OnlineActionDraft {
    type Error = AppError;

    fn try_from(i: OnlineActionInput) -> Result<Self, AppError> {
        let mut e = Errors::default();
        let kind = match i.kind.as_deref().map(str::trim) {
            None | Some("") => {
                e.push("kind", Msg::Required);
                Kind::Other
            }
            Some(k) => Kind::parse(k).unwrap_or_else(|| {
                e.push(
                    "kind",
                    format!(
                        "{k:?} is not one of {}",
                        Kind::ALL.map(Kind::as_str).join(", ")
                    ),
                );
                Kind::Other
            }),
        };
        let title = required_line(&mut e, "title", i.title.as_deref(), 200);
        let description = text(&mut e, "description", i.description.as_deref(), 10_000);
        let action = line(&mut e, "action", i.action.as_deref(), 64);
        let mut partners = Vec::new();
        for (n, slug) in i.partners.unwrap_or_default().iter().enumerate() {
            let field = format!("partners[{n}]");
            let slug = slug.trim();
            if !super::is_slug(slug) {
                e.push(
                    field,
                    Msg::NotPartnerSlug {
                        slug: slug.to_string(),
                    },
                );
            } else if partners.iter().any(|p| p == slug) {
                e.push(
                    field,
                    Msg::ListedTwice {
                        slug: slug.to_string(),
                    },
                );
            } else {
                partners.push(slug.to_string());
            }
        }
        if partners.len() > 20 {
            e.push(
                "partners",
                Msg::TooMany {
                    len: partners.len(),
                    max: 20,
                },
            );
        }
        let link = match i.url.as_deref().map(str::trim) {
            None | Some("") => {
                e.push("url", Msg::Required);
                String::new()
            }
            Some(_) => url(&mut e, "url", i.url.as_deref()).unwrap_or_default(),
        };
        let mut number = |field: &str, v: Option<i64>, min: i64| match v {
            None => None,
            Some(n) if (min..=MAX_COUNT).contains(&n) => i32::try_from(n).ok(),
            Some(_) => {
                e.push(
                    field,
                    Msg::WholeNumberFrom {
                        min,
                        max: MAX_COUNT,
                    },
                );
                None
            }
        };
        let goal = number("goal", i.goal, 1);
        let count = number("count", i.count, 0);
        let deadline = match i.deadline.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => match super::time::parse_date(d) {
                Ok(d) => Some(d),
                Err(m) => {
                    e.push("deadline", m);
                    None
                }
            },
        };
        let timezone = match i.timezone.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(z) => match super::time::parse_zone(z) {
                Ok(tz) => Some(tz),
                Err(m) => {
                    e.push("timezone", m);
                    None
                }
            },
        };
        let status = match i.status.as_deref().map(str::trim) {
            None | Some("") => OnlineStatus::Open,
            Some(s) => OnlineStatus::parse(s).unwrap_or_else(|| {
                e.push("status", format!("{s:?} is not one of open, closed, won"));
                OnlineStatus::Open
            }),
        };
        e.finish(OnlineActionDraft {
            kind,
            title,
            description,
            action,
            partners,
            url: link,
            goal,
            count,
            deadline,
            timezone,
            status,
        })
    }
}

/// JSON merge patch (RFC 7386) of an online action's input form.
pub fn merge_patch(
    current: &OnlineActionInput,
    patch: serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Value, AppError> {
    super::merge_patch(current, patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> OnlineActionInput {
        OnlineActionInput {
            kind: Some("petition".into()),
            title: Some("Palantir, End Your Contract with ICE or Leave Seattle".into()),
            url: Some("https://actionnetwork.example/petitions/palantir".into()),
            goal: Some(100),
            count: Some(0),
            deadline: Some("2027-09-30".into()),
            ..OnlineActionInput::default()
        }
    }

    fn fields(i: OnlineActionInput) -> Vec<String> {
        match OnlineActionDraft::try_from(i) {
            Ok(_) => Vec::new(),
            Err(AppError::Validation(f)) => f.into_iter().map(|f| f.field).collect(),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn a_petition_validates() {
        let d = OnlineActionDraft::try_from(input()).expect("valid");
        assert_eq!(d.kind, Kind::Petition);
        assert_eq!(d.status, OnlineStatus::Open);
        assert_eq!(d.deadline, NaiveDate::from_ymd_opt(2027, 9, 30));
    }

    #[test]
    fn bad_values_name_their_fields() {
        let mut i = input();
        i.url = Some("javascript:alert(1)".into());
        assert_eq!(fields(i), ["url"]);
        let mut i = input();
        i.count = Some(-1);
        assert_eq!(fields(i), ["count"]);
        let mut i = input();
        i.count = Some(250);
        assert!(fields(i).is_empty(), "a count above the goal is fine");
        let mut i = input();
        i.goal = Some(0);
        i.kind = Some("rally".into());
        i.status = Some("done".into());
        i.deadline = Some("30/09/2027".into());
        i.partners = Some(vec!["Mijente".into(), "x".into(), "x".into()]);
        assert_eq!(
            fields(i),
            [
                "kind",
                "partners[0]",
                "partners[2]",
                "goal",
                "deadline",
                "status"
            ]
        );
        assert_eq!(
            fields(OnlineActionInput::default()),
            ["kind", "title", "url"]
        );
    }
}
