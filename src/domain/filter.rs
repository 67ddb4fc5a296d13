//! The one filter grammar of the public listings: `GET /api/v1/events`, `/calendar.ics` and the
//! listing pages (`/`, `/archive`) read their query string into an [`EventFilter`] here, with
//! the same names, trimming, limits and messages; [`EventFilter::canonical`] writes it back in
//! one normal form, which is also the cache key ([`cache_key`]).
//!
//! Pure: no database (slugs are resolved by `db::queries::events::resolve_filter`), no HTTP.

use chrono::NaiveDateTime;

use super::access::Need;
use super::event::Status;
use super::message::Msg;
use super::time::{self, Bound};
use super::Errors;
use crate::feeds::json::percent_encode;
use crate::geo;

/// Longest text filter (`tag`, `city`, `q`, a slug, …), in characters.
pub const MAX_FILTER_CHARS: usize = 200;

/// The output a filter is read for; each takes a part of the grammar (see [`Param::taken_by`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// `GET /api/v1/events`: every parameter; `limit` at most `max_limit`.
    Api { max_limit: u32 },
    /// `/calendar.ics`: no `limit`, `cursor`, `updated_since` (a feed is its whole window).
    Feed,
    /// The listing pages `/` and `/archive`: no `updated_since`, `limit`.
    Page,
}

/// The parameters of the grammar, in the order [`EventFilter::canonical`] writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    From,
    To,
    Action,
    Partner,
    Tag,
    City,
    Region,
    Country,
    Near,
    Radius,
    Access,
    Q,
    Status,
    Sort,
    UpdatedSince,
    Limit,
    Cursor,
}

impl Param {
    pub const ALL: [Param; 17] = [
        Param::From,
        Param::To,
        Param::Action,
        Param::Partner,
        Param::Tag,
        Param::City,
        Param::Region,
        Param::Country,
        Param::Near,
        Param::Radius,
        Param::Access,
        Param::Q,
        Param::Status,
        Param::Sort,
        Param::UpdatedSince,
        Param::Limit,
        Param::Cursor,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Param::From => "from",
            Param::To => "to",
            Param::Action => "action",
            Param::Partner => "partner",
            Param::Tag => "tag",
            Param::City => "city",
            Param::Region => "region",
            Param::Country => "country",
            Param::Near => "near",
            Param::Radius => "radius",
            Param::Access => "access",
            Param::Q => "q",
            Param::Status => "status",
            Param::Sort => "sort",
            Param::UpdatedSince => "updated_since",
            Param::Limit => "limit",
            Param::Cursor => "cursor",
        }
    }

    pub fn parse(name: &str) -> Option<Param> {
        Param::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether `output` takes this parameter; one it does not take is a field error.
    pub fn taken_by(self, output: Output) -> bool {
        match output {
            Output::Api { .. } => true,
            // A calendar orders events itself.
            Output::Feed => !matches!(
                self,
                Param::Limit | Param::Cursor | Param::UpdatedSince | Param::Sort
            ),
            // A page lists by day.
            Output::Page => !matches!(self, Param::Limit | Param::UpdatedSince | Param::Sort),
        }
    }
}

/// A listing filter, parsed and normalised: what was asked for, before any slug is looked up.
/// Text values are trimmed; values the listing matches ignoring ASCII case (`tag`, `city`,
/// `region`, `country`) are lower-cased, and `tag` loses a leading `#`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    pub from: Option<Bound>,
    pub to: Option<Bound>,
    /// Slug of an action (matched exactly).
    pub action: Option<String>,
    /// Slug of a partner (matched exactly).
    pub partner: Option<String>,
    pub tag: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    /// Events within `radius` of a point (`near`, located by the gazetteer).
    pub near: Option<Near>,
    /// `access`: needs every event must meet (sorted, without repeats).
    pub access: Vec<Need>,
    pub q: Option<String>,
    /// Sorted, without duplicates; empty when every status is wanted (all three, or none given).
    pub statuses: Vec<Status>,
    /// `sort=distance` (with `near`): nearest first, then by start; otherwise by start.
    pub by_distance: bool,
    /// UTC.
    pub updated_since: Option<NaiveDateTime>,
    pub limit: Option<u32>,
    /// Opaque here; `db::queries::events::Cursor::decode` reads it.
    pub cursor: Option<String>,
}

/// `near` and `radius`: a located point and the distance around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Near {
    pub at: geo::Located,
    pub radius: geo::Radius,
}

/// The key/value pairs of a query string, in order, percent-decoded (`+` is a space).
pub fn pairs(query_string: &str) -> Vec<(String, String)> {
    // Decoding a query string into strings cannot fail (bad UTF-8 is replaced); should it
    // anyway, the query is read as empty rather than refused.
    serde_urlencoded::from_str::<Vec<(String, String)>>(query_string).unwrap_or_default()
}

/// The canonical form of a listing query string under the whole grammar (every parameter, any
/// `limit`): equal for requests that mean the same events, and the cache key of a listing.
/// Which parameters a given output takes (and the configured largest `limit`) its handler
/// checks; a query it refuses gets the same error whatever it is cached under.
pub fn cache_key(query_string: &str) -> Result<String, Errors> {
    EventFilter::parse(
        query_string,
        Output::Api {
            max_limit: u32::MAX,
        },
    )
    .map(|f| f.canonical())
}

/// One text filter: trimmed, empty = absent, at most [`MAX_FILTER_CHARS`].
fn short(e: &mut Errors, param: Param, v: &str) -> Option<String> {
    if v.chars().count() > MAX_FILTER_CHARS {
        e.push(
            param.name(),
            Msg::LongerThan {
                max: MAX_FILTER_CHARS,
            },
        );
        return None;
    }
    Some(v.to_string())
}

fn bound(e: &mut Errors, param: Param, v: &str) -> Option<Bound> {
    time::parse_bound(v)
        .map_err(|m| e.push(param.name(), m))
        .ok()
}

fn statuses(e: &mut Errors, v: &str) -> Vec<Status> {
    let mut list = Vec::new();
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match Status::parse(part) {
            Some(s) => list.push(s),
            None => e.push(
                Param::Status.name(),
                Msg::NotStatus {
                    input: part.to_string(),
                },
            ),
        }
    }
    list.sort_by_key(|s| s.as_str());
    list.dedup();
    if list.len() == 3 {
        list.clear();
    }
    list
}

/// `access=wheelchair,asl,es`: each need added to `list` (kept sorted, without repeats).
fn needs(e: &mut Errors, v: &str, list: &mut Vec<Need>) {
    if short(e, Param::Access, v).is_none() {
        return;
    }
    let before = list.len();
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match Need::parse(part) {
            Some(n) => list.push(n),
            None => e.push(
                Param::Access.name(),
                Msg::NotAccess {
                    input: part.chars().take(MAX_FILTER_CHARS).collect(),
                },
            ),
        }
    }
    list.sort();
    list.dedup();
    // Said once, however many `access` parameters go over.
    if list.len() > MAX_NEEDS && before <= MAX_NEEDS {
        e.push(
            Param::Access.name(),
            Msg::TooMany {
                len: list.len(),
                max: MAX_NEEDS,
            },
        );
    }
}

/// Most needs one `access` filter may name.
pub const MAX_NEEDS: usize = 10;

fn instant(e: &mut Errors, v: &str) -> Option<NaiveDateTime> {
    match chrono::DateTime::parse_from_rfc3339(v) {
        Ok(t) => Some(t.naive_utc()),
        Err(_) => {
            e.push(
                Param::UpdatedSince.name(),
                Msg::NotInstant {
                    input: v.to_string(),
                },
            );
            None
        }
    }
}

fn limit(e: &mut Errors, v: &str, max: u32) -> Option<u32> {
    match v.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Some(n),
        _ => {
            e.push(
                Param::Limit.name(),
                Msg::WholeNumberFrom {
                    min: 1,
                    max: i64::from(max),
                },
            );
            None
        }
    }
}

/// A UTC instant as the canonical form writes it (fractions only when there are any).
fn utc_text(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string()
}

fn bound_text(b: Bound) -> String {
    match b {
        Bound::Date(d) => d.format("%Y-%m-%d").to_string(),
        Bound::Instant(t) => utc_text(t),
    }
}

impl EventFilter {
    /// Reads a query string for `output`. Unknown keys are ignored, and so are empty values; a
    /// known key given twice, a parameter `output` does not take, and a bad value are errors
    /// naming the parameter (every problem at once).
    pub fn parse(query_string: &str, output: Output) -> Result<EventFilter, Errors> {
        EventFilter::from_pairs(&pairs(query_string), output)
    }

    /// [`EventFilter::parse`] of decoded pairs.
    pub fn from_pairs(pairs: &[(String, String)], output: Output) -> Result<EventFilter, Errors> {
        let mut e = Errors::default();
        let mut f = EventFilter::default();
        let mut seen: Vec<Param> = Vec::new();
        let mut near: Option<geo::Located> = None;
        // A `near` with a value (which, if it did not parse, has its own error).
        let mut near_given = false;
        let mut radius: Option<geo::Radius> = None;
        for (key, raw) in pairs {
            let Some(param) = Param::parse(key) else {
                continue;
            };
            // `access` may come once per need (a form's boxes): the needs add up.
            if seen.contains(&param) && param != Param::Access {
                if seen.iter().filter(|p| **p == param).count() == 1 {
                    e.push(param.name(), Msg::GivenTwice);
                }
                seen.push(param);
                continue;
            }
            seen.push(param);
            let v = raw.trim();
            if v.is_empty() {
                continue;
            }
            if !param.taken_by(output) {
                e.push(param.name(), Msg::NotTakenHere);
                continue;
            }
            match param {
                Param::From => f.from = bound(&mut e, param, v),
                Param::To => f.to = bound(&mut e, param, v),
                Param::Action => f.action = short(&mut e, param, v),
                Param::Partner => f.partner = short(&mut e, param, v),
                Param::Tag => {
                    f.tag = short(&mut e, param, v)
                        .map(|t| t.trim_start_matches('#').to_ascii_lowercase())
                        .filter(|t| !t.is_empty())
                }
                Param::City => f.city = short(&mut e, param, v).map(|s| s.to_ascii_lowercase()),
                Param::Region => f.region = short(&mut e, param, v).map(|s| s.to_ascii_lowercase()),
                Param::Country => {
                    f.country = short(&mut e, param, v).map(|s| s.to_ascii_lowercase())
                }
                Param::Near => {
                    near_given = true;
                    near = short(&mut e, param, v)
                        .and_then(|v| geo::locate(&v).map_err(|m| e.push(param.name(), m)).ok())
                }
                Param::Radius => {
                    radius = geo::Radius::parse(v)
                        .map_err(|m| e.push(param.name(), m))
                        .ok()
                }
                Param::Access => needs(&mut e, v, &mut f.access),
                Param::Q => f.q = short(&mut e, param, v),
                Param::Status => f.statuses = statuses(&mut e, v),
                Param::Sort => match v {
                    "start" => {}
                    "distance" => f.by_distance = true,
                    _ => e.push(
                        param.name(),
                        Msg::NotSort {
                            input: v.to_string(),
                        },
                    ),
                },
                Param::UpdatedSince => f.updated_since = instant(&mut e, v),
                Param::Limit => {
                    if let Output::Api { max_limit } = output {
                        f.limit = limit(&mut e, v, max_limit);
                    }
                }
                Param::Cursor => f.cursor = short(&mut e, param, v),
            }
        }
        match near {
            Some(at) => {
                f.near = Some(Near {
                    at,
                    radius: radius.unwrap_or_default(),
                })
            }
            None if !near_given => {
                if radius.is_some() {
                    e.push(Param::Radius.name(), Msg::NeedsNear);
                }
                if f.by_distance {
                    e.push(Param::Sort.name(), Msg::NeedsNear);
                }
            }
            // A `near` that did not parse has its own error.
            None => {}
        }
        if e.is_empty() {
            Ok(f)
        } else {
            Err(e)
        }
    }

    /// Whether nothing is asked for (every value absent).
    pub fn is_empty(&self) -> bool {
        *self == EventFilter::default()
    }

    /// The same filter without paging (`limit`, `cursor`): what a link to the first page or
    /// to the feed of a listing keeps.
    pub fn without_paging(&self) -> EventFilter {
        EventFilter {
            limit: None,
            cursor: None,
            ..self.clone()
        }
    }

    /// The parameters as canonical text, in [`Param::ALL`] order, absent ones left out.
    pub fn values(&self) -> Vec<(Param, String)> {
        let mut out = Vec::new();
        let mut put = |p: Param, v: Option<String>| {
            if let Some(v) = v {
                out.push((p, v));
            }
        };
        put(Param::From, self.from.map(bound_text));
        put(Param::To, self.to.map(bound_text));
        put(Param::Action, self.action.clone());
        put(Param::Partner, self.partner.clone());
        put(Param::Tag, self.tag.clone());
        put(Param::City, self.city.clone());
        put(Param::Region, self.region.clone());
        put(Param::Country, self.country.clone());
        put(Param::Near, self.near.as_ref().map(|n| n.at.label.clone()));
        put(
            Param::Radius,
            self.near
                .as_ref()
                .filter(|n| n.radius != geo::Radius::default())
                .map(|n| n.radius.text()),
        );
        put(
            Param::Access,
            (!self.access.is_empty()).then(|| {
                self.access
                    .iter()
                    .map(Need::key)
                    .collect::<Vec<_>>()
                    .join(",")
            }),
        );
        put(Param::Q, self.q.clone());
        put(
            Param::Status,
            (!self.statuses.is_empty()).then(|| {
                self.statuses
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            }),
        );
        put(
            Param::Sort,
            self.by_distance.then(|| "distance".to_string()),
        );
        put(Param::UpdatedSince, self.updated_since.map(utc_text));
        put(Param::Limit, self.limit.map(|n| n.to_string()));
        put(Param::Cursor, self.cursor.clone());
        out
    }

    /// The normalised filter as a query string (no leading `?`; empty for no filter): keys in
    /// [`Param::ALL`] order, values normalised and percent-encoded, absent ones left out. Two
    /// queries that mean the same events give the same text.
    pub fn canonical(&self) -> String {
        self.values()
            .into_iter()
            .map(|(p, v)| format!("{}={}", p.name(), percent_encode(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: Output = Output::Api { max_limit: 500 };

    fn canon(q: &str) -> String {
        EventFilter::parse(q, API).expect("valid").canonical()
    }

    fn fields(q: &str, output: Output) -> Vec<(String, String)> {
        EventFilter::parse(q, output)
            .expect_err("invalid")
            .into_vec()
            .into_iter()
            .map(|f| (f.field, f.message))
            .collect()
    }

    #[test]
    fn canonical_orders_keys() {
        assert_eq!(
            canon("q=vigil&city=Boston&tag=x&action=never-again&from=2027-09-13"),
            "from=2027-09-13&action=never-again&tag=x&city=boston&q=vigil"
        );
        assert_eq!(canon("city=boston&tag=x"), canon("tag=x&city=boston"));
    }

    #[test]
    fn canonical_normalises_case_where_matching_ignores_it() {
        assert_eq!(canon("tag=%23CloseTheCamps"), "tag=closethecamps");
        assert_eq!(canon("tag=CLOSETHECAMPS"), canon("tag=closethecamps"));
        assert_eq!(
            canon("city=CHICAGO&region=Il&country=Us"),
            "city=chicago&region=il&country=us"
        );
        // Slugs are matched exactly, and so are search words (the search decides about case).
        assert_eq!(canon("action=Never-Again"), "action=Never-Again");
        assert_eq!(canon("q=Daley"), "q=Daley");
        // Only ASCII case is ignored by the listing, so only ASCII case is folded.
        assert_eq!(canon("city=M%C3%9CNCHEN"), "city=m%C3%9Cnchen");
    }

    #[test]
    fn canonical_trims_and_drops_empty_and_unknown() {
        assert_eq!(
            canon("city=+Boston+&tag=&q=%20%20&utm_source=x&lang=es"),
            "city=boston"
        );
        assert_eq!(canon(""), "");
        assert_eq!(canon("tag=%23"), "");
        assert!(EventFilter::parse("foo=1&tag=", API)
            .expect("ok")
            .is_empty());
    }

    #[test]
    fn canonical_status_sorted_deduplicated_default_omitted() {
        assert_eq!(
            canon("status=tentative,+confirmed,tentative"),
            "status=confirmed%2Ctentative"
        );
        assert_eq!(canon("status=cancelled,tentative,confirmed"), "");
        assert_eq!(canon("status=,"), "");
    }

    #[test]
    fn canonical_bounds_and_instants_in_utc() {
        assert_eq!(
            canon("from=2027-09-13T09:00:00-07:00"),
            canon("from=2027-09-13T16:00:00Z")
        );
        assert_eq!(
            canon("to=2027-09-13T16:00:00Z"),
            "to=2027-09-13T16%3A00%3A00Z"
        );
        assert_eq!(
            canon("updated_since=2027-01-01T01:00:00.5%2B01:00"),
            "updated_since=2027-01-01T00%3A00%3A00.500Z"
        );
        assert_eq!(canon("limit=007&cursor=abc"), "limit=7&cursor=abc");
    }

    #[test]
    fn repeated_known_key_is_an_error_naming_it_once() {
        assert_eq!(
            fields("tag=a&tag=b&tag=c&foo=1&foo=2", API),
            vec![("tag".into(), "is given more than once".into())]
        );
    }

    #[test]
    fn bad_values_name_their_field_with_the_listing_messages() {
        let long = "x".repeat(201);
        assert_eq!(
            fields(&format!("city={long}"), API),
            vec![("city".into(), "is longer than 200 characters".into())]
        );
        assert!(EventFilter::parse(&format!("city={}", "x".repeat(200)), API).is_ok());
        assert_eq!(
            fields("from=soon&status=confirmed,maybe&limit=0&updated_since=x", API),
            vec![
                (
                    "from".into(),
                    "\"soon\" is neither a date (2027-09-13) nor an RFC 3339 instant (2027-09-13T16:00:00Z)".into()
                ),
                (
                    "status".into(),
                    "\"maybe\" is not one of confirmed, tentative, cancelled".into()
                ),
                ("limit".into(), "must be a whole number from 1 to 500".into()),
                (
                    "updated_since".into(),
                    "\"x\" is not an RFC 3339 instant like 2027-09-01T00:00:00Z".into()
                ),
            ]
        );
    }

    #[test]
    fn each_output_takes_its_part_of_the_grammar() {
        let not_here = |f: &str| (f.to_string(), Msg::NotTakenHere.to_string());
        assert_eq!(
            fields(
                "limit=5&cursor=x&updated_since=2027-01-01T00:00:00Z",
                Output::Feed
            ),
            vec![
                not_here("limit"),
                not_here("cursor"),
                not_here("updated_since")
            ]
        );
        assert_eq!(
            fields(
                "limit=5&cursor=x&updated_since=2027-01-01T00:00:00Z",
                Output::Page
            ),
            vec![not_here("limit"), not_here("updated_since")]
        );
        // Empty values are absent, whoever reads them.
        assert!(EventFilter::parse("limit=&updated_since=", Output::Page).is_ok());
        let all = "from=2027-01-01&to=2027-02-01&action=a&partner=p&tag=t&city=c&region=r\
                   &country=us&q=w&status=confirmed";
        assert_eq!(
            EventFilter::parse(all, Output::Feed)
                .expect("feed")
                .canonical(),
            canon(all)
        );
        assert_eq!(
            EventFilter::parse(all, Output::Page)
                .expect("page")
                .canonical(),
            canon(all)
        );
    }

    #[test]
    fn near_radius_and_sort() {
        assert_eq!(
            canon("near=palo+alto%2C+california&radius=10"),
            "near=Palo%20Alto%2C%20CA&radius=10mi"
        );
        // The default radius is left out; coordinates lose what is finer than 11 m.
        assert_eq!(canon("near=94301&radius=25mi"), "near=94301");
        assert_eq!(
            canon("sort=distance&near=37.444249,-122.16&radius=40+km"),
            "near=37.4442%2C-122.16&radius=40km&sort=distance"
        );
        assert_eq!(canon("sort=start"), "");
        let f = EventFilter::parse("near=94301", API).expect("ok");
        let n = f.near.expect("near");
        assert!((n.radius.km() - 40.2336).abs() < 1e-6);
        assert_eq!(
            fields("radius=10mi&sort=distance", API),
            vec![
                ("radius".into(), Msg::NeedsNear.to_string()),
                ("sort".into(), Msg::NeedsNear.to_string())
            ]
        );
        assert_eq!(
            fields("near=99999&radius=900mi&sort=far", API),
            vec![
                ("near".into(), "there is no US ZIP code 99999".into()),
                (
                    "radius".into(),
                    "must be more than 0 and at most 500 mi (804 km)".into()
                ),
                (
                    "sort".into(),
                    "\"far\" is not one of start, distance".into()
                ),
            ]
        );
        // A near that does not parse is the one error (not also radius needing it).
        assert_eq!(fields("near=Palo+Alot%2C+CA&radius=5", API).len(), 1);
        assert_eq!(
            fields("near=94301&sort=distance", Output::Feed),
            vec![("sort".into(), Msg::NotTakenHere.to_string())]
        );
        assert!(EventFilter::parse("near=94301&radius=5km", Output::Feed).is_ok());
        assert!(EventFilter::parse("near=94301&radius=5km", Output::Page).is_ok());
        assert!(EventFilter::parse("near=94301&sort=distance", Output::Page).is_err());
    }

    #[test]
    fn cache_key_is_the_canonical_form() {
        assert_eq!(
            cache_key("tag=X&city=%20Boston").expect("ok"),
            cache_key("city=boston&tag=%23x&other=1").expect("ok")
        );
        assert!(cache_key("tag=a&tag=b").is_err());
    }
}
