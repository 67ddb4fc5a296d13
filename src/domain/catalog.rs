//! Partners, actions and venues: inputs and their validated forms.

use super::access::Accessibility;
use super::message::Msg;
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::{line, required_line, slug, text, time, url, Errors};
use crate::error::AppError;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerInput {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub website: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PartnerDraft {
    pub slug: String,
    pub name: String,
    pub website: Option<String>,
    pub description: String,
}

impl TryFrom<PartnerInput> for PartnerDraft {
    type Error = AppError;

    fn try_from(input: PartnerInput) -> Result<Self, AppError> {
        let mut e = Errors::default();
        let draft = PartnerDraft {
            slug: slug(&mut e, "slug", input.slug.as_deref()),
            name: required_line(&mut e, "name", input.name.as_deref(), 200),
            website: url(&mut e, "website", input.website.as_deref()),
            description: text(&mut e, "description", input.description.as_deref(), 10_000),
        };
        e.finish(draft)
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub slug: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub hashtags: Option<Vec<String>>,
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    pub partners: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionDraft {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub hashtags: Vec<String>,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub partners: Vec<String>,
}

/// The longest tag or hashtag, in characters.
pub const MAX_TAG_CHARS: usize = 50;

/// A tag or hashtag: leading `#` dropped; letters, digits, `-` and `_`; 1–50 characters.
pub fn tag(errors: &mut Errors, field: &str, raw: &str) -> Option<String> {
    let v = raw.trim().trim_start_matches('#');
    if v.is_empty() {
        errors.push(field, Msg::NotEmpty);
        return None;
    }
    if v.chars().count() > MAX_TAG_CHARS
        || !v
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        errors.push(
            field,
            Msg::NotTag {
                raw: raw.to_string(),
            },
        );
        return None;
    }
    Some(v.to_string())
}

/// A list of tags, without case-insensitive duplicates, at most `max`.
pub fn tags(errors: &mut Errors, field: &str, raw: Option<&[String]>, max: usize) -> Vec<String> {
    let raw = raw.unwrap_or_default();
    if raw.len() > max {
        errors.push(
            field,
            Msg::TooMany {
                len: raw.len(),
                max,
            },
        );
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        if let Some(t) = tag(errors, &format!("{field}[{i}]"), t) {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&t)) {
                out.push(t);
            }
        }
    }
    out
}

impl TryFrom<ActionInput> for ActionDraft {
    type Error = AppError;

    fn try_from(input: ActionInput) -> Result<Self, AppError> {
        let mut e = Errors::default();
        let day = |e: &mut Errors, field: &str, v: Option<&str>| match v {
            None => None,
            Some(s) => match time::parse_date(s) {
                Ok(d) => Some(d),
                Err(m) => {
                    e.push(field, m);
                    None
                }
            },
        };
        let first_day = day(&mut e, "first_day", input.first_day.as_deref());
        let last_day = day(&mut e, "last_day", input.last_day.as_deref());
        if let (Some(f), Some(l)) = (first_day, last_day) {
            if l < f {
                e.push(
                    "last_day",
                    Msg::LastDayBeforeFirstDay {
                        last: l.to_string(),
                        first: f.to_string(),
                    },
                );
            }
        }
        let partners = input.partners.unwrap_or_default();
        if partners.len() > 100 {
            e.push(
                "partners",
                Msg::TooMany {
                    len: partners.len(),
                    max: 100,
                },
            );
        }
        for (i, p) in partners.iter().enumerate() {
            if !super::is_slug(p) {
                e.push(
                    format!("partners[{i}]"),
                    Msg::NotPartnerSlug { slug: p.clone() },
                );
            }
        }
        let draft = ActionDraft {
            slug: slug(&mut e, "slug", input.slug.as_deref()),
            title: required_line(&mut e, "title", input.title.as_deref(), 200),
            description: text(&mut e, "description", input.description.as_deref(), 10_000),
            hashtags: tags(&mut e, "hashtags", input.hashtags.as_deref(), 20),
            first_day,
            last_day,
            partners,
        };
        e.finish(draft)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VenueInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The default of its events' accessibility (wheelchair access, most often).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accessibility: Option<Accessibility>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VenueDraft {
    pub name: String,
    pub address: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub timezone: Option<Tz>,
    pub accessibility: Option<Accessibility>,
}

impl VenueInput {
    /// Validates with field names under `prefix` (`venue.` inside an event, empty on its own).
    pub fn check(&self, e: &mut Errors, prefix: &str) -> VenueDraft {
        let f = |name: &str| format!("{prefix}{name}");
        let timezone = match self.timezone.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(z) => match time::parse_zone(z) {
                Ok(tz) => Some(tz),
                Err(m) => {
                    e.push(f("timezone"), m);
                    None
                }
            },
        };
        let coord = |e: &mut Errors, name: &str, v: Option<f64>, limit: f64| match v {
            Some(x) if !x.is_finite() || x.abs() > limit => {
                e.push(f(name), Msg::Between { limit });
                None
            }
            other => other,
        };
        let lat = coord(e, "lat", self.lat, 90.0);
        let lon = coord(e, "lon", self.lon, 180.0);
        if lat.is_some() != lon.is_some() {
            e.push(f("lon"), Msg::LatLonTogether);
        }
        VenueDraft {
            name: required_line(e, &f("name"), self.name.as_deref(), 200),
            address: line(e, &f("address"), self.address.as_deref(), 300),
            city: line(e, &f("city"), self.city.as_deref(), 100),
            region: line(e, &f("region"), self.region.as_deref(), 100),
            postal_code: line(e, &f("postal_code"), self.postal_code.as_deref(), 20),
            country: line(e, &f("country"), self.country.as_deref(), 64),
            lat,
            lon,
            timezone,
            accessibility: self
                .accessibility
                .clone()
                .and_then(|a| a.check(e, &f("accessibility."))),
        }
    }
}

impl TryFrom<VenueInput> for VenueDraft {
    type Error = AppError;

    fn try_from(input: VenueInput) -> Result<Self, AppError> {
        let mut e = Errors::default();
        let draft = input.check(&mut e, "");
        e.finish(draft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_needs_slug_and_name() {
        let err = PartnerDraft::try_from(PartnerInput::default()).unwrap_err();
        let AppError::Validation(fields) = err else {
            panic!("not validation")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["slug", "name"]);
    }

    #[test]
    fn action_days_in_order() {
        let input = ActionInput {
            slug: Some("x".into()),
            title: Some("X".into()),
            first_day: Some("2027-09-13".into()),
            last_day: Some("2027-09-12".into()),
            hashtags: Some(vec!["#NoTechForICE".into(), "notechforice".into()]),
            ..Default::default()
        };
        let AppError::Validation(fields) = ActionDraft::try_from(input).unwrap_err() else {
            panic!()
        };
        assert_eq!(fields[0].field, "last_day");
    }

    #[test]
    fn hashtags_are_normalised() {
        let mut e = Errors::default();
        let t = tags(
            &mut e,
            "tags",
            Some(&[
                "#NoTechForICE".into(),
                "notechforice".into(),
                "Cierre_Ya".into(),
            ]),
            20,
        );
        assert_eq!(t, ["NoTechForICE", "Cierre_Ya"]);
        assert!(tag(&mut e, "t", "two words").is_none());
    }

    #[test]
    fn venue_coordinates() {
        let mut e = Errors::default();
        let v = VenueInput {
            name: Some("Plaza".into()),
            lat: Some(91.0),
            lon: Some(0.0),
            ..Default::default()
        };
        v.check(&mut e, "venue.");
        assert_eq!(e.into_vec()[0].field, "venue.lat");
    }
}
