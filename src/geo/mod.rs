//! Where `near` is: the offline gazetteer of US ZIP codes and places shipped in the binary
//! (`us.tsv.gz`, built by `scripts/geodata/build.js`; sources and licences in `README.md`
//! beside it), great-circle distances and the `radius` of the filter grammar.
//!
//! Pure and offline: nothing here makes a request, and nothing logs what was looked up. The
//! gazetteer is decompressed on first use (about 2 MB in memory), so a server whose visitors
//! never ask `near` never holds it.

pub mod map;

/// Whether a venue's country, as stored, is the United States or one of its territories (no
/// country: taken as at home, as the gazetteer is).
pub fn in_us(country: Option<&str>) -> bool {
    country.is_none_or(|c| {
        matches!(
            c.trim().to_ascii_lowercase().as_str(),
            "" | "us"
                | "usa"
                | "u.s."
                | "u.s.a."
                | "united states"
                | "united states of america"
                | "pr"
                | "puerto rico"
                | "vi"
                | "u.s. virgin islands"
        )
    })
}

use std::io::Read;
use std::sync::OnceLock;

use crate::domain::message::Msg;

const DATA: &[u8] = include_bytes!("us.tsv.gz");

/// The Earth's mean radius (IUGG), in km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;
pub const KM_PER_MILE: f64 = 1.609344;
/// The largest `radius`, in miles.
pub const MAX_RADIUS_MILES: f64 = 500.0;

/// A point on the Earth, in degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

impl Point {
    /// The great-circle distance to `other` in km (haversine; within 0.5 % of the ellipsoid).
    pub fn distance_km(self, other: Point) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
    }

    /// A box holding every point within `km` of this one: what a query may read before the
    /// exact distance decides (longitudes: the whole circle near a pole or the antimeridian).
    pub fn bounds(self, km: f64) -> Bounds {
        let dlat = (km / EARTH_RADIUS_KM).to_degrees();
        let (lat_min, lat_max) = (self.lat - dlat, self.lat + dlat);
        let whole = Bounds {
            lat_min: lat_min.max(-90.0),
            lat_max: lat_max.min(90.0),
            lon_min: -180.0,
            lon_max: 180.0,
        };
        if lat_min <= -90.0 || lat_max >= 90.0 {
            return whole;
        }
        // The widest longitude span is at the latitude farthest from the equator.
        let widest = lat_min.abs().max(lat_max.abs()).to_radians();
        let dlon = (km / (EARTH_RADIUS_KM * widest.cos())).to_degrees();
        if dlon >= 180.0 || self.lon - dlon < -180.0 || self.lon + dlon > 180.0 {
            return whole;
        }
        Bounds {
            lon_min: self.lon - dlon,
            lon_max: self.lon + dlon,
            ..whole
        }
    }
}

/// A latitude and longitude box (degrees, inclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub lat_min: f64,
    pub lat_max: f64,
    pub lon_min: f64,
    pub lon_max: f64,
}

/// The unit a `radius` was given in (and is written back in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Mi,
    Km,
}

/// A `radius`: `25mi` by default, `km` or `mi` (a bare number is miles), more than 0 and at
/// most [`MAX_RADIUS_MILES`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Radius {
    pub value: f64,
    pub unit: Unit,
}

impl Default for Radius {
    fn default() -> Self {
        Radius {
            value: 25.0,
            unit: Unit::Mi,
        }
    }
}

impl Radius {
    pub fn parse(input: &str) -> Result<Radius, Msg> {
        let t = input.trim().to_ascii_lowercase();
        let (number, unit) = if let Some(n) = t.strip_suffix("km") {
            (n, Unit::Km)
        } else if let Some(n) = t
            .strip_suffix("miles")
            .or_else(|| t.strip_suffix("mile"))
            .or_else(|| t.strip_suffix("mi"))
        {
            (n, Unit::Mi)
        } else {
            (t.as_str(), Unit::Mi)
        };
        let value: f64 = number.trim().parse().map_err(|_| Msg::NotRadius {
            input: input.trim().to_string(),
        })?;
        // Measured as written back (3 decimals), so one canonical filter is one radius.
        let r = Radius {
            value: round_to(value, 3),
            unit,
        };
        if !r.value.is_finite() || r.value <= 0.0 || r.km() > MAX_RADIUS_MILES * KM_PER_MILE + 1e-9
        {
            return Err(Msg::RadiusRange {
                max_mi: MAX_RADIUS_MILES as u32,
                max_km: (MAX_RADIUS_MILES * KM_PER_MILE).floor() as u32,
            });
        }
        Ok(r)
    }

    pub fn km(self) -> f64 {
        match self.unit {
            Unit::Km => self.value,
            Unit::Mi => self.value * KM_PER_MILE,
        }
    }

    /// `25mi`, `40km`, `2.5km`: the canonical text (shortest number that reads back the same).
    pub fn text(self) -> String {
        let unit = match self.unit {
            Unit::Mi => "mi",
            Unit::Km => "km",
        };
        format!("{}{unit}", round_to(self.value, 3))
    }
}

/// What a `near` value named, located.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// The canonical text of the value: `94301`, `Palo Alto, CA`, `37.44,-122.16`.
    pub label: String,
    pub point: Point,
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    let r = (x * f).round() / f;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Coordinates as `near` writes them: at most 4 decimals (about 11 m).
pub fn coordinates_text(p: Point) -> String {
    format!("{},{}", round_to(p.lat, 4), round_to(p.lon, 4))
}

/// Reads a `near` value: a US ZIP code (`94301`, `94301-1234`), coordinates (`37.44,-122.16`)
/// or a place (`Palo Alto, CA`, `Palo Alto CA`, `Chicago, Illinois`, `Saint Louis`).
pub fn locate(input: &str) -> Result<Located, Msg> {
    let t = input.trim();
    if let Some(p) = coordinates(t)? {
        // The point is the one its label names: two requests with the same canonical filter
        // (one cached answer) measure from the same place.
        let point = Point {
            lat: round_to(p.lat, 4),
            lon: round_to(p.lon, 4),
        };
        return Ok(Located {
            label: coordinates_text(point),
            point,
        });
    }
    let zip = t.split_once('-').map_or(t, |(z, plus4)| {
        if plus4.is_empty() || (plus4.len() == 4 && plus4.bytes().all(|b| b.is_ascii_digit())) {
            z
        } else {
            t
        }
    });
    if zip.len() == 5 && zip.bytes().all(|b| b.is_ascii_digit()) {
        return gazetteer().zip(zip).ok_or(Msg::NoZip {
            zip: zip.to_string(),
        });
    }
    gazetteer().place(t)
}

/// The centre `near` gives a venue without coordinates of its own: its postal code's (a US ZIP
/// code), else its city's (with its region when it has one). `None` abroad or when neither is
/// known.
pub fn centre_of(
    postal_code: Option<&str>,
    city: Option<&str>,
    region: Option<&str>,
    country: Option<&str>,
) -> Option<Point> {
    let us = country.is_none_or(|c| {
        matches!(
            fold(c).as_str(),
            "us" | "usa" | "u s" | "u s a" | "united states" | "united states of america" | "pr"
        )
    });
    // Without a country, a region that is no US state says it is abroad (a French or German
    // five-digit code must not land in Texas).
    let abroad = country.is_none()
        && region
            .map(str::trim)
            .is_some_and(|r| !r.is_empty() && state_code(r).is_none());
    if !us || abroad {
        return None;
    }
    let g = gazetteer();
    let zip = postal_code
        .map(str::trim)
        .and_then(|z| z.get(..5).filter(|z| z.bytes().all(|b| b.is_ascii_digit())));
    if let Some(found) = zip.and_then(|z| g.zip(z)) {
        return Some(found.point);
    }
    let city = city.map(str::trim).filter(|c| !c.is_empty())?;
    let name = match region.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!("{city}, {r}"),
        None => city.to_string(),
    };
    g.place(&name).ok().map(|l| l.point)
}

/// `lat,lon` when `t` is two numbers; out of range is an error.
fn coordinates(t: &str) -> Result<Option<Point>, Msg> {
    let Some((a, b)) = t.split_once(',') else {
        return Ok(None);
    };
    let (Ok(lat), Ok(lon)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) else {
        return Ok(None);
    };
    let valid = (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
    if !valid {
        return Err(Msg::NotCoordinates {
            input: t.to_string(),
        });
    }
    Ok(Some(Point { lat, lon }))
}

/// US states, the District of Columbia and the territories with ZIP codes.
const STATES: [(&str, &str); 56] = [
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AS", "American Samoa"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("GU", "Guam"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("MP", "Northern Mariana Islands"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("PR", "Puerto Rico"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VI", "Virgin Islands"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
];

/// The two-letter code of a state written as its code or its name (any case, accents aside).
pub fn state_code(s: &str) -> Option<&'static str> {
    let f = fold(s);
    STATES
        .iter()
        .find(|(code, name)| f == code.to_ascii_lowercase() || f == fold(name))
        .map(|(code, _)| *code)
}

/// A place name folded for matching: lower case, common accents dropped, punctuation as
/// spaces, `St`/`Ste`/`Ft`/`Mt` spelled out as the Postal Service writes them.
pub fn fold(s: &str) -> String {
    let mut plain = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            '\'' | '’' | '.' => continue,
            c if c.is_alphanumeric() => c,
            _ => ' ',
        };
        plain.push(c);
    }
    plain
        .split_whitespace()
        .map(|w| match w {
            "st" => "saint",
            "ste" => "sainte",
            "ft" => "fort",
            "mt" => "mount",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

struct Place {
    /// Folded name ([`fold`]): the sort and search key.
    key: Box<str>,
    name: Box<str>,
    state: &'static str,
    lat: f32,
    lon: f32,
}

impl Place {
    fn label(&self) -> String {
        format!("{}, {}", self.name, self.state)
    }

    fn point(&self) -> Point {
        Point {
            lat: f64::from(self.lat),
            lon: f64::from(self.lon),
        }
    }
}

struct Zip {
    code: u32,
    lat: f32,
    lon: f32,
}

/// The places and ZIP codes of `us.tsv.gz`, sorted for binary search.
pub struct Gazetteer {
    places: Vec<Place>,
    zips: Vec<Zip>,
}

/// The gazetteer, read on first use.
pub fn gazetteer() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| Gazetteer::read(DATA))
}

impl Gazetteer {
    /// Reads the gazetteer file (lines skipped that do not parse: the file is ours, built and
    /// tested, so none should).
    fn read(gz: &[u8]) -> Gazetteer {
        let mut text = String::new();
        if flate2::read::GzDecoder::new(gz)
            .read_to_string(&mut text)
            .is_err()
        {
            tracing::error!("the gazetteer does not decompress: `near` finds nothing");
            text.clear();
        }
        let mut places = Vec::new();
        let mut place_of_line: Vec<Option<(f32, f32)>> = Vec::new();
        let mut zips = Vec::new();
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f.as_slice() {
                ["P", state, name, lat, lon] => {
                    let at = lat.parse().ok().zip(lon.parse().ok());
                    place_of_line.push(at);
                    let state = STATES.iter().find(|(c, _)| c == state).map(|(c, _)| *c);
                    if let (Some((lat, lon)), Some(state)) = (at, state) {
                        places.push(Place {
                            key: fold(name).into(),
                            name: (*name).into(),
                            state,
                            lat,
                            lon,
                        });
                    }
                }
                ["Z", code, place, lat, lon] => {
                    let own = lat.parse().ok().zip(lon.parse().ok());
                    let at = own.or_else(|| {
                        place
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| place_of_line.get(i).copied().flatten())
                    });
                    if let (Ok(code), Some((lat, lon))) = (code.parse(), at) {
                        zips.push(Zip { code, lat, lon });
                    }
                }
                _ => {}
            }
        }
        places.sort_by(|a, b| (&a.key, a.state).cmp(&(&b.key, b.state)));
        zips.sort_by_key(|z| z.code);
        Gazetteer { places, zips }
    }

    /// How many places and ZIP codes it holds.
    pub fn len(&self) -> (usize, usize) {
        (self.places.len(), self.zips.len())
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty() && self.zips.is_empty()
    }

    /// The centre of a five-digit ZIP code.
    pub fn zip(&self, zip: &str) -> Option<Located> {
        let code: u32 = zip.parse().ok()?;
        let i = self.zips.binary_search_by_key(&code, |z| z.code).ok()?;
        let z = &self.zips[i];
        Some(Located {
            label: zip.to_string(),
            point: Point {
                lat: f64::from(z.lat),
                lon: f64::from(z.lon),
            },
        })
    }

    /// The places named `key` (folded), in state order.
    fn named(&self, key: &str) -> &[Place] {
        let start = self.places.partition_point(|p| &*p.key < key);
        let end = start + self.places[start..].partition_point(|p| &*p.key == key);
        &self.places[start..end]
    }

    /// The centre of a place: `Name, ST`, `Name ST`, `Name, State`, or a name found in one
    /// state only. An unknown name is an error with up to three near spellings; a name found
    /// in several states, one listing them.
    pub fn place(&self, input: &str) -> Result<Located, Msg> {
        let t = input.trim();
        let found = |p: &Place| Located {
            label: p.label(),
            point: p.point(),
        };
        // "Name, State": the part after the last comma is the state.
        if let Some((name, state)) = t.rsplit_once(',') {
            return match state_code(state) {
                Some(code) => self
                    .named(&fold(name))
                    .iter()
                    .find(|p| p.state == code)
                    .map(found)
                    .ok_or_else(|| self.not_found(t, &fold(name), Some(code))),
                None => Err(self.not_found(t, &fold(name), None)),
            };
        }
        let key = fold(t);
        match self.named(&key) {
            [one] => return Ok(found(one)),
            [] => {}
            several => {
                return Err(Msg::PlaceInStates {
                    input: t.to_string(),
                    choices: several.iter().take(8).map(Place::label).collect(),
                })
            }
        }
        // "Name ST" or "Name State": a state at the end, without a comma.
        // Longer state names first ("West Virginia" before "Virginia").
        let words: Vec<&str> = key.split(' ').collect();
        let mut miss = None;
        for n in (1..words.len().min(4)).rev() {
            let (name, state) = words.split_at(words.len() - n);
            if let Some(code) = state_code(&state.join(" ")) {
                if let Some(p) = self.named(&name.join(" ")).iter().find(|p| p.state == code) {
                    return Ok(found(p));
                }
                miss.get_or_insert((name.join(" "), code));
            }
        }
        Err(match miss {
            Some((name, code)) => self.not_found(t, &name, Some(code)),
            None => self.not_found(t, &key, None),
        })
    }

    /// The error for an unknown place, with the (up to three) places spelled most like `key`,
    /// in `state` when one was given.
    fn not_found(&self, input: &str, key: &str, state: Option<&str>) -> Msg {
        // No place name is this long: nothing to compare it with.
        if key.chars().count() > 60 {
            return Msg::NoPlace {
                input: input.to_string(),
                suggestions: Vec::new(),
            };
        }
        let mut scored: Vec<(f64, &Place)> = self
            .places
            .iter()
            .filter(|p| state.is_none_or(|s| p.state == s))
            .map(|p| (strsim::jaro_winkler(key, &p.key), p))
            .filter(|(s, _)| *s >= 0.88)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.key.cmp(&b.1.key)));
        Msg::NoPlace {
            input: input.to_string(),
            suggestions: scored.iter().take(3).map(|(_, p)| p.label()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_at_home() {
        for c in [
            None,
            Some("US"),
            Some("usa"),
            Some("United States"),
            Some("Puerto Rico"),
        ] {
            assert!(in_us(c), "{c:?}");
        }
        for c in ["GB", "Canada", "MX"] {
            assert!(!in_us(Some(c)), "{c}");
        }
    }

    fn at(input: &str) -> Located {
        locate(input).expect(input)
    }

    #[test]
    fn known_distances() {
        // 100 Hamilton Ave, Palo Alto (Palantir's headquarters) to San Francisco City Hall.
        let palantir = Point {
            lat: 37.4443,
            lon: -122.1615,
        };
        let city_hall = Point {
            lat: 37.7793,
            lon: -122.4193,
        };
        let d = palantir.distance_km(city_hall);
        assert!((42.5..44.0).contains(&d), "{d}");
        // New York to Los Angeles, about 3,940 km; a point to itself, 0.
        let nyc = Point {
            lat: 40.7128,
            lon: -74.0060,
        };
        let la = Point {
            lat: 34.0522,
            lon: -118.2437,
        };
        assert!((3930.0..3950.0).contains(&nyc.distance_km(la)));
        assert_eq!(nyc.distance_km(nyc), 0.0);
        // Across the antimeridian, the short way.
        let a = Point {
            lat: 0.0,
            lon: 179.5,
        };
        let b = Point {
            lat: 0.0,
            lon: -179.5,
        };
        assert!((a.distance_km(b) - 111.2).abs() < 0.5);
    }

    #[test]
    fn bounds_hold_the_circle() {
        let p = Point {
            lat: 37.44,
            lon: -122.16,
        };
        let b = p.bounds(40.0);
        for bearing in 0..360 {
            // A point 39.9 km away in each direction lies inside the box.
            let (lat1, lon1) = (p.lat.to_radians(), p.lon.to_radians());
            let d = 39.9 / EARTH_RADIUS_KM;
            let th = f64::from(bearing).to_radians();
            let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * th.cos()).asin();
            let lon2 =
                lon1 + (th.sin() * d.sin() * lat1.cos()).atan2(d.cos() - lat1.sin() * lat2.sin());
            let (lat2, lon2) = (lat2.to_degrees(), lon2.to_degrees());
            assert!((b.lat_min..=b.lat_max).contains(&lat2), "{bearing}");
            assert!((b.lon_min..=b.lon_max).contains(&lon2), "{bearing}");
        }
        assert!(b.lat_max - b.lat_min < 0.8);
        // Near the antimeridian or a pole: every longitude.
        let fiji = Point {
            lat: -17.7,
            lon: 179.9,
        };
        assert_eq!(
            (fiji.bounds(50.0).lon_min, fiji.bounds(50.0).lon_max),
            (-180.0, 180.0)
        );
    }

    #[test]
    fn zip_codes() {
        let z = at("94301");
        assert_eq!(z.label, "94301");
        assert!((z.point.lat - 37.444).abs() < 0.01 && (z.point.lon + 122.15).abs() < 0.01);
        assert_eq!(at("94301-1234").label, "94301");
        // A PO-box ZIP without a Census area: its place's centre.
        let po = at("94309");
        assert!(po.point.distance_km(z.point) < 5.0);
        assert_eq!(at("00901").label, "00901");
        assert_eq!(
            locate("99999"),
            Err(Msg::NoZip {
                zip: "99999".into()
            })
        );
        let (places, zips) = gazetteer().len();
        assert!(places > 25_000 && zips > 39_000, "{places} {zips}");
    }

    #[test]
    fn places_in_every_spelling() {
        let pa = at("Palo Alto, CA");
        assert_eq!(pa.label, "Palo Alto, CA");
        for same in [
            "palo alto, ca",
            "Palo Alto CA",
            "  Palo Alto,California ",
            "PALO ALTO, california",
        ] {
            assert_eq!(at(same), pa, "{same}");
        }
        assert!(pa.point.distance_km(at("94301").point) < 3.0);
        assert_eq!(at("St. Louis, MO").label, "Saint Louis, MO");
        assert_eq!(at("Charleston West Virginia").label, "Charleston, WV");
        assert_eq!(at("94301-").label, "94301");
        assert_eq!(at("New York").label, "New York, NY");
        assert_eq!(at("San Juan, PR").label, "San Juan, PR");
        assert_eq!(at("San José, CA").label, "San Jose, CA");
        // Found in one state only, no state needed.
        assert_eq!(at("Palo Alto").label, "Palo Alto, CA");
    }

    #[test]
    fn unknown_and_ambiguous_places_say_what_to_type() {
        match locate("Palo Alot, CA") {
            Err(Msg::NoPlace { suggestions, .. }) => {
                assert_eq!(
                    suggestions.first().map(String::as_str),
                    Some("Palo Alto, CA")
                )
            }
            other => panic!("{other:?}"),
        }
        match locate("Springfield") {
            Err(Msg::PlaceInStates { choices, .. }) => {
                assert!(
                    choices.contains(&"Springfield, IL".to_string()),
                    "{choices:?}"
                );
                assert!(choices.len() > 3);
            }
            other => panic!("{other:?}"),
        }
        // Not a state after the comma: the name is looked for in every state.
        match locate("Atlantis, Ocean") {
            Err(Msg::NoPlace { suggestions, .. }) => {
                assert!(
                    suggestions.contains(&"Atlantic, IA".to_string()),
                    "{suggestions:?}"
                )
            }
            other => panic!("{other:?}"),
        }
        match locate("Qqxzvw") {
            Err(m @ Msg::NoPlace { .. }) => {
                assert!(m.to_string().contains("give a ZIP code (94301)"), "{m}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn venue_centres() {
        let zip = centre_of(Some("94301"), Some("Palo Alto"), Some("CA"), Some("US"));
        assert_eq!(zip, Some(at("94301").point));
        // An unknown postal code falls back on the city.
        let city = centre_of(Some("00000"), Some("Palo Alto"), Some("California"), None);
        assert_eq!(city, Some(at("Palo Alto, CA").point));
        assert_eq!(
            centre_of(None, Some("Chicago"), Some("IL"), Some("USA")),
            Some(at("Chicago, IL").point)
        );
        assert_eq!(
            centre_of(Some("75001"), Some("Paris"), None, Some("FR")),
            None
        );
        assert_eq!(centre_of(None, None, None, None), None);
        assert_eq!(
            centre_of(Some("10115"), Some("Berlin"), Some("Berlin"), None),
            None
        );
        assert_eq!(centre_of(None, Some("Springfield"), None, None), None);
    }

    #[test]
    fn coordinates_read_and_written_back() {
        let c = at("37.44, -122.16");
        assert_eq!(c.label, "37.44,-122.16");
        let fine = at("37.444249,-122.160001");
        assert_eq!(fine.label, "37.4442,-122.16");
        assert_eq!(fine.point, at("37.4442,-122.16").point);
        assert_eq!(at("-0.00001,0").label, "0,0");
        assert!(matches!(locate("91,0"), Err(Msg::NotCoordinates { .. })));
        assert!(matches!(locate("10,181"), Err(Msg::NotCoordinates { .. })));
    }

    #[test]
    fn radius_units_and_limits() {
        assert_eq!(Radius::parse("25mi").map(Radius::text), Ok("25mi".into()));
        assert_eq!(
            Radius::parse(" 40 KM ").map(Radius::text),
            Ok("40km".into())
        );
        assert_eq!(Radius::parse("10").map(Radius::text), Ok("10mi".into()));
        assert_eq!(
            Radius::parse("2.5 miles").map(Radius::text),
            Ok("2.5mi".into())
        );
        assert!((Radius::default().km() - 40.2336).abs() < 1e-9);
        assert!(Radius::parse("500mi").is_ok());
        assert!(Radius::parse("804km").is_ok());
        assert_eq!(
            Radius::parse("2.0004km").map(Radius::text),
            Ok("2km".into())
        );
        for bad in ["501mi", "805km", "0", "0.0001", "-3km", "NaN", "inf"] {
            assert!(
                matches!(Radius::parse(bad), Err(Msg::RadiusRange { .. })),
                "{bad}"
            );
        }
        assert!(matches!(Radius::parse("far"), Err(Msg::NotRadius { .. })));
    }
}
