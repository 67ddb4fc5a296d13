//! Maps drawn by Turnout, no tiles: the outlines in `outlines.txt.gz` (the Census Bureau's
//! states, Natural Earth's land; `scripts/geodata/outlines.js` builds it, README.md here says
//! from where) projected here into SVG path data once, and markers placed with the same
//! projections, so a page's map is a few kilobytes of inline SVG that asks no one for anything.
//!
//! - The country: Albers equal-area conics as `d3.geoAlbersUsa` sets them up, with Alaska,
//!   Hawaii and Puerto Rico (and the Virgin Islands) as insets.
//! - The world, for events abroad: the Equal Earth projection.
//! - Around a point (a listing filtered by `near`): an equal-area conic centred on it.

use std::fmt::Write;
use std::io::Read;
use std::sync::OnceLock;

use super::Point;

static OUTLINES_GZ: &[u8] = include_bytes!("outlines.txt.gz");

/// Width of every map's coordinate space (the SVG scales to its box).
pub const WIDTH: f64 = 960.0;

struct Outlines {
    /// The nation's land, rings of (lon, lat).
    nation: Vec<Vec<(f64, f64)>>,
    /// Borders between states.
    borders: Vec<Vec<(f64, f64)>>,
    /// The world's land.
    world: Vec<Vec<(f64, f64)>>,
}

fn outlines() -> &'static Outlines {
    static CELL: OnceLock<Outlines> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut text = String::new();
        // Compiled in and read by a test: it decompresses, or no build ships.
        let _ = flate2::read::GzDecoder::new(OUTLINES_GZ).read_to_string(&mut text);
        let mut o = Outlines {
            nation: Vec::new(),
            borders: Vec::new(),
            world: Vec::new(),
        };
        for line in text.lines() {
            let Some((kind, rest)) = line.split_once(' ') else {
                continue;
            };
            let points: Vec<(f64, f64)> = rest
                .split(' ')
                .filter_map(|p| {
                    let (x, y) = p.split_once(',')?;
                    Some((x.parse().ok()?, y.parse().ok()?))
                })
                .collect();
            match kind {
                "N" => o.nation.push(points),
                "B" => o.borders.push(points),
                "W" => o.world.push(points),
                _ => {}
            }
        }
        o
    })
}

/// An equal-area conic (`d3.geoConicEqualArea`): rotated by `rotate` degrees of longitude,
/// `centre` (after rotation) at `translate`, `scale` pixels per unit of the raw projection.
#[derive(Debug, Clone, Copy)]
struct Conic {
    rotate: f64,
    n: f64,
    c: f64,
    r0: f64,
    scale: f64,
    /// The raw projection of the centre.
    centre: (f64, f64),
    translate: (f64, f64),
}

impl Conic {
    fn new(
        rotate: f64,
        centre: (f64, f64),
        parallels: (f64, f64),
        scale: f64,
        translate: (f64, f64),
    ) -> Conic {
        let (s0, s1) = (
            parallels.0.to_radians().sin(),
            parallels.1.to_radians().sin(),
        );
        let n = (s0 + s1) / 2.0;
        let c = 1.0 + s0 * (2.0 * n - s0);
        let mut conic = Conic {
            rotate,
            n,
            c,
            r0: c.sqrt() / n,
            scale,
            centre: (0.0, 0.0),
            translate,
        };
        // The centre is given after rotation, as d3's `center`.
        conic.centre = conic.raw(centre.0, centre.1);
        conic
    }

    /// The raw projection of a point already rotated (degrees).
    fn raw(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (x, y) = (lon.to_radians(), lat.to_radians());
        let r = (self.c - 2.0 * self.n * y.sin()).max(0.0).sqrt() / self.n;
        let a = x * self.n;
        (r * a.sin(), self.r0 - r * a.cos())
    }

    fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (x, y) = self.raw(wrap(lon + self.rotate), lat);
        (
            self.translate.0 + self.scale * (x - self.centre.0),
            self.translate.1 - self.scale * (y - self.centre.1),
        )
    }
}

/// Longitude into [-180, 180).
fn wrap(lon: f64) -> f64 {
    (lon + 180.0).rem_euclid(360.0) - 180.0
}

/// Which part of the country map a point is drawn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Lower48,
    Alaska,
    Hawaii,
    PuertoRico,
}

fn part_of(lon: f64, lat: f64) -> Option<Part> {
    if (50.0..=72.0).contains(&lat) && (lon <= -129.0 || lon >= 170.0) {
        Some(Part::Alaska)
    } else if (18.0..23.5).contains(&lat) && (-161.5..-154.0).contains(&lon) {
        Some(Part::Hawaii)
    } else if (17.5..19.0).contains(&lat) && (-68.0..-64.0).contains(&lon) {
        Some(Part::PuertoRico)
    } else if (24.0..50.0).contains(&lat) && (-125.5..-66.5).contains(&lon) {
        Some(Part::Lower48)
    } else if (49.0..50.0).contains(&lat) && (-95.5..-94.5).contains(&lon) {
        // The Northwest Angle of Minnesota, just over the 49th parallel.
        Some(Part::Lower48)
    } else {
        None
    }
}

/// `d3.geoAlbersUsa`'s parts at its default scale (1070, for 960 × 500), with Puerto Rico
/// where `geo-albers-usa-territories` puts it.
fn albers_usa(part: Part) -> Conic {
    const K: f64 = 1070.0;
    let (x, y) = (480.0, 250.0);
    match part {
        Part::Lower48 => Conic::new(96.0, (-0.6, 38.7), (29.5, 45.5), K, (x, y)),
        Part::Alaska => Conic::new(
            154.0,
            (-2.0, 58.5),
            (55.0, 65.0),
            0.35 * K,
            (x - 0.307 * K, y + 0.201 * K),
        ),
        Part::Hawaii => Conic::new(
            157.0,
            (-3.0, 19.9),
            (8.0, 18.0),
            K,
            (x - 0.205 * K, y + 0.212 * K),
        ),
        Part::PuertoRico => Conic::new(
            66.0,
            (0.0, 18.0),
            (8.0, 18.0),
            K,
            (x + 0.335 * K, y + 0.224 * K),
        ),
    }
}

/// Where a point is on the country map (`None`: on none of its parts).
pub fn on_country(p: Point) -> Option<(f64, f64)> {
    part_of(p.lon, p.lat).map(|part| albers_usa(part).project(p.lon, p.lat))
}

/// The Equal Earth projection (Šavrič, Patterson, Jenny 2018), raw.
fn equal_earth(lon: f64, lat: f64) -> (f64, f64) {
    const A1: f64 = 1.340264;
    const A2: f64 = -0.081106;
    const A3: f64 = 0.000893;
    const A4: f64 = 0.003796;
    let m = 3f64.sqrt() / 2.0;
    let l = (m * lat.to_radians().sin()).asin();
    let (l2, l6) = (l * l, l.powi(6));
    let x =
        lon.to_radians() * l.cos() / (m * (A1 + 3.0 * A2 * l2 + l6 * (7.0 * A3 + 9.0 * A4 * l2)));
    let y = l * (A1 + A2 * l2 + l6 * (A3 + A4 * l2));
    (x, y)
}

/// The world map's scale: Equal Earth's full width (±180°) is [`WIDTH`].
fn world_scale() -> f64 {
    WIDTH / (2.0 * equal_earth(180.0, 0.0).0)
}

/// Where a point is on the world map.
pub fn on_world(p: Point) -> (f64, f64) {
    world_xy(wrap(p.lon), p.lat)
}

/// The world map's coordinates of a longitude in [-180, 180] (the outlines' own, not wrapped:
/// a ring touching the date line stays on its side).
fn world_xy(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = equal_earth(lon, lat);
    let k = world_scale();
    (WIDTH / 2.0 + k * x, world_height() / 2.0 - k * y)
}

fn world_height() -> f64 {
    2.0 * world_scale() * equal_earth(0.0, 90.0).1
}

/// Path data of rings or lines through `project` (whole pixels, relative moves, repeated
/// pixels dropped); `closed` rings end in `z`. With a `view` (x0, y0, x1, y1), rings are clipped
/// to it (a few pixels wider) and lines cut where they leave it.
fn path(
    lines: &[Vec<(f64, f64)>],
    project: impl Fn(f64, f64) -> Option<(f64, f64)>,
    closed: bool,
    view: Option<(f64, f64, f64, f64)>,
) -> String {
    let mut d = String::new();
    for line in lines {
        let pts: Vec<(f64, f64)> = line.iter().filter_map(|(x, y)| project(*x, *y)).collect();
        if pts.len() < 2 {
            continue;
        }
        match view {
            None => draw(&mut d, &pts, closed),
            Some((x0, y0, x1, y1)) => {
                let b = (x0 - 4.0, y0 - 4.0, x1 + 4.0, y1 + 4.0);
                if closed {
                    let ring = clip_ring(&pts, b);
                    if ring.len() >= 3 {
                        draw(&mut d, &ring, true);
                    }
                } else {
                    for run in clip_line(&pts, b) {
                        draw(&mut d, &run, false);
                    }
                }
            }
        }
    }
    d
}

fn draw(d: &mut String, pts: &[(f64, f64)], closed: bool) {
    let Some(first) = pts.first() else {
        return;
    };
    let mut last = (first.0.round() as i64, first.1.round() as i64);
    let _ = write!(d, "M{} {}", last.0, last.1);
    let mut wrote = 0;
    for (x, y) in &pts[1..] {
        let at = (x.round() as i64, y.round() as i64);
        if at == last {
            continue;
        }
        let _ = write!(d, "l{} {}", at.0 - last.0, at.1 - last.1);
        last = at;
        wrote += 1;
    }
    if wrote == 0 {
        // A ring smaller than a pixel: a dot's worth.
        d.push_str("h1");
    }
    if closed {
        d.push('z');
    }
}

/// A ring clipped to the box `b` (Sutherland–Hodgman, one edge of the box at a time).
fn clip_ring(pts: &[(f64, f64)], b: (f64, f64, f64, f64)) -> Vec<(f64, f64)> {
    let (x0, y0, x1, y1) = b;
    let mut ring = pts.to_vec();
    // Each edge: whether a point is inside, and where a segment crosses it.
    type Edge = (fn(&(f64, f64), f64) -> bool, f64, bool);
    let edges: [Edge; 4] = [
        (|p, v| p.0 >= v, x0, true),
        (|p, v| p.0 <= v, x1, true),
        (|p, v| p.1 >= v, y0, false),
        (|p, v| p.1 <= v, y1, false),
    ];
    for (inside, v, vertical) in edges {
        let mut out = Vec::with_capacity(ring.len());
        for i in 0..ring.len() {
            let cur = ring[i];
            let prev = ring[(i + ring.len() - 1) % ring.len()];
            let cross = |a: (f64, f64), c: (f64, f64)| {
                if vertical {
                    let t = (v - a.0) / (c.0 - a.0);
                    (v, a.1 + t * (c.1 - a.1))
                } else {
                    let t = (v - a.1) / (c.1 - a.1);
                    (a.0 + t * (c.0 - a.0), v)
                }
            };
            match (inside(&cur, v), inside(&prev, v)) {
                (true, true) => out.push(cur),
                (true, false) => {
                    out.push(cross(prev, cur));
                    out.push(cur);
                }
                (false, true) => out.push(cross(prev, cur)),
                (false, false) => {}
            }
        }
        ring = out;
        if ring.is_empty() {
            break;
        }
    }
    ring
}

/// The runs of a line within the box `b` (each with the points just outside it, so it reaches
/// the edge).
fn clip_line(pts: &[(f64, f64)], b: (f64, f64, f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let inside = |p: &(f64, f64)| p.0 >= b.0 && p.0 <= b.2 && p.1 >= b.1 && p.1 <= b.3;
    let mut runs = Vec::new();
    let mut run: Vec<(f64, f64)> = Vec::new();
    for (i, p) in pts.iter().enumerate() {
        let near =
            inside(p) || (i > 0 && inside(&pts[i - 1])) || pts.get(i + 1).is_some_and(inside);
        if near {
            run.push(*p);
        } else if run.len() >= 2 {
            runs.push(std::mem::take(&mut run));
        } else {
            run.clear();
        }
    }
    if run.len() >= 2 {
        runs.push(run);
    }
    runs
}

/// A ring's or line's part: that of its first point (a ring is drawn on one part whole).
fn line_part(line: &[(f64, f64)]) -> Option<Part> {
    line.first().and_then(|(x, y)| part_of(*x, *y))
}

fn country_paths(lines: &[Vec<(f64, f64)>], closed: bool) -> String {
    let mut d = String::new();
    for line in lines {
        let Some(part) = line_part(line) else {
            continue;
        };
        let conic = albers_usa(part);
        d.push_str(&path(
            std::slice::from_ref(line),
            |x, y| Some(conic.project(x, y)),
            closed,
            None,
        ));
    }
    d
}

/// The country map's outlines: (land, borders, inset frames), computed once.
fn country_base() -> &'static (String, String, String) {
    static CELL: OnceLock<(String, String, String)> = OnceLock::new();
    CELL.get_or_init(|| {
        let o = outlines();
        let land = country_paths(&o.nation, true);
        let borders = country_paths(&o.borders, false);
        // Frames around the insets: Alaska's and Hawaii's boxes as d3 draws them, and Puerto
        // Rico's.
        let mut frames = String::new();
        for (part, (w, s), (e, n)) in [
            (Part::Alaska, (-179.0, 51.0), (-129.0, 71.5)),
            (Part::Hawaii, (-160.6, 18.8), (-154.6, 22.4)),
            (Part::PuertoRico, (-67.4, 17.8), (-64.5, 18.6)),
        ] {
            let c = albers_usa(part);
            let (x0, y0) = c.project(w, n);
            let (x1, y1) = c.project(e, s);
            let (lx, ly) = (x0.min(x1) - 8.0, y0.min(y1) - 8.0);
            let (hx, hy) = (x0.max(x1) + 8.0, y0.max(y1) + 8.0);
            let _ = write!(
                frames,
                "M{:.0} {:.0}H{:.0}V{:.0}H{:.0}z",
                lx, ly, hx, hy, lx
            );
        }
        (land, borders, frames)
    })
}

fn world_base() -> &'static String {
    static CELL: OnceLock<String> = OnceLock::new();
    CELL.get_or_init(|| {
        path(
            &outlines().world,
            |lon, lat| Some(world_xy(lon, lat)),
            true,
            None,
        )
    })
}

/// One marker: where, how big, where it links, what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub y: f64,
    pub r: f64,
    pub href: String,
    /// "Boston, MA: 12 events" (its `<title>`).
    pub label: String,
}

/// A map ready for its template: the coordinate space, outlines and markers.
#[derive(Debug, Clone)]
pub struct Map {
    pub view_box: String,
    pub land: &'static str,
    pub borders: &'static str,
    pub frames: &'static str,
    /// Path data of this map's own (around a point: the outlines in view, the radius).
    pub own_land: String,
    pub own_borders: String,
    pub circle: Option<(f64, f64, f64)>,
    pub markers: Vec<Marker>,
}

/// A place to mark: its point, its number of events, its link and label.
#[derive(Debug, Clone)]
pub struct Place {
    pub point: Point,
    /// In the United States or its territories (a place elsewhere goes on the world map, even
    /// when it falls inside one of the country map's boxes, as Toronto or Tijuana do).
    pub in_us: bool,
    pub events: i64,
    pub href: String,
    pub label: String,
}

/// Marker radii: by area, 3 px for one event up to 14 px for the largest place.
fn radius(events: i64, most: i64) -> f64 {
    // Against at least 25, so that a day of few events gets small dots, not 14 px ones.
    let share = events.max(1) as f64 / most.max(25) as f64;
    (3.0 + 11.0 * share.sqrt()).min(14.0)
}

fn markers(places: &[Place], at: impl Fn(Point) -> Option<(f64, f64)>) -> Vec<Marker> {
    let most = places.iter().map(|p| p.events).max().unwrap_or(1);
    let mut out: Vec<Marker> = places
        .iter()
        .filter_map(|p| {
            let (x, y) = at(p.point)?;
            Some(Marker {
                x: (x * 10.0).round() / 10.0,
                y: (y * 10.0).round() / 10.0,
                r: (radius(p.events, most) * 10.0).round() / 10.0,
                href: p.href.clone(),
                label: p.label.clone(),
            })
        })
        .collect();
    // The big ones first, so the small ones stay on top and clickable.
    out.sort_by(|a, b| b.r.total_cmp(&a.r));
    out
}

/// The country map with a marker per place on it (`None` when no place is).
pub fn country(places: &[Place]) -> Option<Map> {
    let home: Vec<Place> = places.iter().filter(|p| p.in_us).cloned().collect();
    let markers = markers(&home, on_country);
    if markers.is_empty() {
        return None;
    }
    let (land, borders, frames) = country_base();
    Some(Map {
        view_box: "0 0 975 530".into(),
        land,
        borders,
        frames,
        own_land: String::new(),
        own_borders: String::new(),
        circle: None,
        markers,
    })
}

/// The world map with the places off the country map (`None` when there are none).
pub fn world(places: &[Place]) -> Option<Map> {
    let abroad: Vec<Place> = places
        .iter()
        .filter(|p| !p.in_us || on_country(p.point).is_none())
        .cloned()
        .collect();
    if abroad.is_empty() {
        return None;
    }
    Some(Map {
        view_box: format!("0 0 {WIDTH:.0} {:.0}", world_height().ceil()),
        land: world_base(),
        borders: "",
        frames: "",
        own_land: String::new(),
        own_borders: String::new(),
        circle: None,
        markers: markers(&abroad, |p| Some(on_world(p))),
    })
}

/// A map of `km` around `centre` (the radius drawn, 1.25 times it in view) with the places in
/// view.
pub fn around(centre: Point, km: f64, places: &[Place]) -> Map {
    const EARTH_KM: f64 = 6371.0088;
    let height = WIDTH * 0.625;
    // Lambert's azimuthal equal-area projection centred on the point: true to distance from
    // it (the radius is a circle), defined everywhere but the antipode, whatever the latitude.
    let (s0, c0) = centre.lat.to_radians().sin_cos();
    let raw = |lon: f64, lat: f64| -> Option<(f64, f64)> {
        let (s, c) = lat.to_radians().sin_cos();
        let (sd, cd) = wrap(lon - centre.lon).to_radians().sin_cos();
        let cos_dist = s0 * s + c0 * c * cd;
        // Only the hemisphere around the point: the far side would fold over the view.
        if cos_dist <= 0.0 {
            return None;
        }
        let k = (2.0 / (1.0 + cos_dist)).sqrt();
        Some((k * c * sd, k * (c0 * s - s0 * c * cd)))
    };
    // The radius (on the sphere, as the projection measures it) spans 40% of the height.
    let rho = 2.0 * (km / EARTH_KM / 2.0).sin();
    let scale = (height * 0.4) / rho.max(1e-9);
    let project = |lon: f64, lat: f64| {
        raw(lon, lat).map(|(x, y)| (WIDTH / 2.0 + scale * x, height / 2.0 - scale * y))
    };
    let view = (0.0, 0.0, WIDTH, height);
    let o = outlines();
    // The world's coarse land under the country's: a neighbour across a border is not sea.
    let mut own_land = path(&o.world, project, true, Some(view));
    own_land.push_str(&path(&o.nation, project, true, Some(view)));
    let own_borders = path(&o.borders, project, false, Some(view));
    let inside = |p: Point| {
        let (x, y) = project(p.lon, p.lat)?;
        ((0.0..=WIDTH).contains(&x) && (0.0..=height).contains(&y)).then_some((x, y))
    };
    Map {
        view_box: format!("0 0 {WIDTH:.0} {height:.0}"),
        land: "",
        borders: "",
        frames: "",
        own_land,
        own_borders,
        circle: Some((
            WIDTH / 2.0,
            height / 2.0,
            (height * 0.4 * 10.0).round() / 10.0,
        )),
        markers: markers(places, inside),
    }
}

/// Degrees to the nearest tenth of a pixel, for tests.
#[cfg(test)]
fn round1(v: (f64, f64)) -> (f64, f64) {
    ((v.0 * 10.0).round() / 10.0, (v.1 * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outlines_are_all_there() {
        let o = outlines();
        assert!(o.nation.len() > 100, "{} rings", o.nation.len());
        assert!(o.borders.len() > 40);
        assert!(o.world.len() > 100);
        for part in [Part::Lower48, Part::Alaska, Part::Hawaii, Part::PuertoRico] {
            assert!(
                o.nation.iter().any(|r| line_part(r) == Some(part)),
                "no land on {part:?}"
            );
        }
    }

    #[test]
    fn points_land_where_d3_geo_albers_usa_puts_them() {
        // d3.geoAlbersUsa()([-122.1598, 37.4443]) and the like, at its default scale (d3-geo 3.1).
        let at = |lon, lat| round1(on_country(Point { lat, lon }).expect("on the map"));
        let close =
            |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 1.0 && (a.1 - b.1).abs() < 1.0;
        for ((lon, lat), want) in [
            ((-122.1598, 37.4443), (109.4, 221.2)),
            ((-71.0589, 42.3601), (826.7, 136.5)),
            ((-97.7431, 30.2672), (460.6, 408.4)),
            ((-149.9003, 61.2181), (171.2, 446.9)),
            ((-157.8583, 21.3069), (298.5, 451.0)),
            // geo-albers-usa-territories' Puerto Rico.
            ((-66.1057, 18.4655), (836.6, 481.0)),
        ] {
            assert!(close(at(lon, lat), want), "{lon},{lat}: {:?}", at(lon, lat));
        }
        assert_eq!(
            on_country(Point {
                lat: 51.5072,
                lon: -0.1276
            }),
            None
        );
        assert_eq!(
            on_country(Point {
                lat: 13.4443,
                lon: 144.7937
            }),
            None
        );
    }

    #[test]
    fn the_world_fits_its_box() {
        let (x, y) = on_world(Point { lat: 0.0, lon: 0.0 });
        assert!((x - WIDTH / 2.0).abs() < 1e-9 && (y - world_height() / 2.0).abs() < 1e-9);
        let (x, _) = on_world(Point {
            lat: 0.0,
            lon: 179.999,
        });
        assert!((x - WIDTH).abs() < 0.1, "{x}");
        let (_, y) = on_world(Point {
            lat: 90.0,
            lon: 0.0,
        });
        assert!(y.abs() < 1e-6);
    }

    #[test]
    fn markers_grow_with_their_places() {
        let place = |lat, lon, events| Place {
            point: Point { lat, lon },
            in_us: lon < -60.0,
            events,
            href: format!("/?city={events}"),
            label: format!("{events} events"),
        };
        let map = country(&[
            place(37.44, -122.16, 1),
            place(42.36, -71.06, 100),
            place(51.51, -0.13, 3),
        ])
        .expect("a map");
        assert_eq!(map.markers.len(), 2, "London is not on the country map");
        assert_eq!(map.markers[0].r, 14.0);
        assert!(map.markers[1].r < 5.0);
        let world = world(&[place(51.51, -0.13, 3), place(42.36, -71.06, 9)]).expect("abroad");
        assert_eq!(world.markers.len(), 1);
        assert_eq!(world.markers[0].href, "/?city=3");
        assert!(country(&[place(51.51, -0.13, 3)]).is_none());
    }

    #[test]
    fn a_map_around_a_point_holds_what_is_near() {
        let palo_alto = Point {
            lat: 37.4443,
            lon: -122.1598,
        };
        let places = [
            Place {
                in_us: true,
                point: Point {
                    lat: 37.3382,
                    lon: -121.8863,
                },
                events: 2,
                href: "/?city=san+jose".into(),
                label: "San Jose".into(),
            },
            Place {
                in_us: true,
                point: Point {
                    lat: 42.36,
                    lon: -71.06,
                },
                events: 2,
                href: "/?city=boston".into(),
                label: "Boston".into(),
            },
        ];
        let map = around(palo_alto, 40.0, &places);
        assert_eq!(map.markers.len(), 1, "Boston is out of view");
        assert!(!map.own_land.is_empty(), "California's coast is in view");
        assert!(
            map.own_land.len() < 20_000,
            "{} bytes of land",
            map.own_land.len()
        );
        // San Jose is about 25 km south-east: right of and below the centre, inside the circle.
        let (cx, cy, r) = map.circle.expect("circle");
        let m = &map.markers[0];
        assert!(m.x > cx && m.y > cy);
        let d = ((m.x - cx).powi(2) + (m.y - cy).powi(2)).sqrt();
        assert!((d / r - 25.0 / 40.0).abs() < 0.06, "{d} of {r}");
    }

    #[test]
    fn a_map_around_any_point_has_its_land() {
        // The equator (where a conic's cone flattens), near the date line, near a pole.
        for (lat, lon) in [(0.0, -78.5), (-17.7, 179.9), (78.2, 15.6), (-33.9, 18.4)] {
            let map = around(Point { lat, lon }, 600.0, &[]);
            assert!(map.own_land.len() > 20, "{lat},{lon}: {}", map.own_land);
            assert!(!map.own_land.contains("NaN"));
        }
        // Across a border, the neighbour is land too (Detroit: Windsor, Canada).
        let detroit = around(
            Point {
                lat: 42.33,
                lon: -83.05,
            },
            40.0,
            &[],
        );
        assert!(detroit.own_land.matches('M').count() >= 2);
    }

    #[test]
    fn places_abroad_go_on_the_world_map_even_inside_a_box() {
        let toronto = Place {
            point: Point {
                lat: 43.65,
                lon: -79.38,
            },
            in_us: false,
            events: 2,
            href: "/t".into(),
            label: "Toronto".into(),
        };
        assert!(
            on_country(toronto.point).is_some(),
            "inside the lower 48's box"
        );
        assert!(country(std::slice::from_ref(&toronto)).is_none());
        assert_eq!(world(&[toronto]).expect("abroad").markers.len(), 1);
        assert_eq!(
            on_country(Point {
                lat: 89.0,
                lon: -150.0
            }),
            None
        );
    }

    #[test]
    fn rings_and_lines_are_cut_to_the_view() {
        let b = (0.0, 0.0, 10.0, 10.0);
        let ring = clip_ring(&[(-5.0, 5.0), (5.0, -5.0), (15.0, 5.0), (5.0, 15.0)], b);
        assert!(ring.len() >= 4);
        assert!(ring
            .iter()
            .all(|(x, y)| (0.0..=10.0).contains(x) && (0.0..=10.0).contains(y)));
        assert!(clip_ring(&[(20.0, 20.0), (30.0, 20.0), (30.0, 30.0)], b).is_empty());
        let runs = clip_line(
            &[
                (-9.0, 5.0),
                (-5.0, 5.0),
                (5.0, 5.0),
                (20.0, 5.0),
                (30.0, 5.0),
                (40.0, 5.0),
                (5.0, 6.0),
            ],
            b,
        );
        assert_eq!(
            runs,
            vec![
                vec![(-5.0, 5.0), (5.0, 5.0), (20.0, 5.0)],
                vec![(40.0, 5.0), (5.0, 6.0)]
            ]
        );
    }

    #[test]
    fn the_country_map_is_light() {
        let (land, borders, _) = country_base();
        assert!(
            land.len() + borders.len() < 60_000,
            "{} + {}",
            land.len(),
            borders.len()
        );
    }
}
