//! A day of action by place: the counts its page leads with (state by state, city by city), and
//! a page per state, per city and for the online-only events, each with its own feed.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::view::{by_day, Day, EventCard, Subscribe};
use super::{not_found_page, page, Ctx, PAGE_SIZE};
use crate::db::models::Action;
use crate::db::queries;
use crate::db::queries::catalog;
use crate::db::queries::events::{self as q, Cursor, Filter, PlaceCount};
use crate::domain::time::Bound;
use crate::error::AppError;
use crate::feeds::json::percent_encode;
use crate::state::AppState;
use crate::web::i18n::Lang;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/actions/{slug}/places/{region}",
        super::get_or_head().to(region),
    )
    .route(
        "/actions/{slug}/places/{region}/{city}",
        super::get_or_head().to(city),
    )
    .route("/actions/{slug}/online", super::get_or_head().to(online));
}

/// "12 events" / "1 event", in the page's language.
pub fn count_label(lang: Lang, n: i64) -> String {
    if n == 1 {
        lang.t("one_event").to_string()
    } else {
        lang.t("n_events").replace("{n}", &n.to_string())
    }
}

/// The page of a state (`city` None) or of a city of a day of action.
pub fn place_path(lang: Lang, action: &str, region: &str, city: Option<&str>) -> String {
    let mut p = format!(
        "{}/actions/{action}/places/{}",
        lang.prefix(),
        percent_encode(region)
    );
    if let Some(c) = city {
        p.push('/');
        p.push_str(&percent_encode(c));
    }
    p
}

/// The places of `counts` a map marks (those placed, with events at a venue), each linking to
/// `path(region, city)` and labelled "City, ST: 12 events".
pub fn map_places(
    counts: &[PlaceCount],
    lang: Lang,
    path: impl Fn(Option<&str>, Option<&str>) -> String,
) -> Vec<crate::geo::map::Place> {
    counts
        .iter()
        .filter_map(|p| {
            let point = p.centre?;
            let events = p.events - p.online;
            if events == 0 {
                return None;
            }
            let name = match (&p.city, &p.region) {
                (Some(c), Some(r)) => format!("{c}, {r}"),
                (Some(c), None) => c.clone(),
                (None, Some(r)) => r.clone(),
                // Venues of no named place, scattered: no one point stands for them.
                (None, None) => return None,
            };
            Some(crate::geo::map::Place {
                in_us: crate::geo::in_us(p.country.as_deref()),
                point,
                events,
                href: path(p.region.as_deref(), p.city.as_deref()),
                label: format!("{name}: {}", count_label(lang, events)),
            })
        })
        .collect()
}

/// The page a map's marker of a day of action links to: its city's (or state's) page, or the
/// listing's city filter for a place without a state.
pub fn action_place_path(
    lang: Lang,
    slug: &str,
    region: Option<&str>,
    city: Option<&str>,
) -> String {
    match (region, city) {
        (Some(r), c) => place_path(lang, slug, r, c),
        (None, Some(c)) => format!(
            "{}/?action={slug}&city={}",
            lang.prefix(),
            percent_encode(c)
        ),
        (None, None) => format!("{}/?action={slug}", lang.prefix()),
    }
}

/// One line of the place list: a name, its number of events and its page (if it has one).
pub struct PlaceLink {
    pub name: String,
    pub count: i64,
    pub count_label: String,
    pub path: Option<String>,
}

/// A state (or the places without one, or the online-only events) with its cities.
pub struct RegionLinks {
    pub place: PlaceLink,
    pub cities: Vec<PlaceLink>,
    /// The online-only events: no cities, a link of its own.
    pub online: bool,
}

/// The counts of [`q::place_counts`] as the action page's list: states in order, each with its
/// cities; then the places with no state; the online-only events last.
pub fn place_links(slug: &str, counts: &[PlaceCount], lang: Lang) -> Vec<RegionLinks> {
    let link = |name: String, count: i64, path: Option<String>| PlaceLink {
        name,
        count,
        count_label: count_label(lang, count),
        path,
    };
    let mut out: Vec<RegionLinks> = Vec::new();
    let mut other: Option<RegionLinks> = None;
    let mut online = 0;
    for p in counts {
        online += p.online;
        let in_person = p.events - p.online;
        if in_person == 0 {
            continue;
        }
        let Some(region) = &p.region else {
            // No state: the listing's city filter is the closest page there is.
            let group = other.get_or_insert_with(|| RegionLinks {
                place: link(lang.t("places_other").to_string(), 0, None),
                cities: Vec::new(),
                online: false,
            });
            group.place.count += in_person;
            group.cities.push(match &p.city {
                Some(c) => link(
                    c.clone(),
                    in_person,
                    Some(format!(
                        "{}/?action={slug}&city={}",
                        lang.prefix(),
                        percent_encode(c)
                    )),
                ),
                None => link(lang.t("places_unnamed").to_string(), in_person, None),
            });
            continue;
        };
        let same = out
            .last()
            .is_some_and(|r| r.place.name.to_lowercase() == region.to_lowercase());
        if !same {
            out.push(RegionLinks {
                place: link(
                    region.clone(),
                    0,
                    Some(place_path(lang, slug, region, None)),
                ),
                cities: Vec::new(),
                online: false,
            });
        }
        let Some(group) = out.last_mut() else {
            continue;
        };
        group.place.count += in_person;
        let city = match &p.city {
            Some(c) => link(
                c.clone(),
                in_person,
                Some(place_path(lang, slug, &group.place.name, Some(c))),
            ),
            None => link(
                lang.t("places_elsewhere").replace("{place}", region),
                in_person,
                None,
            ),
        };
        group.cities.push(city);
    }
    for g in out.iter_mut().chain(other.iter_mut()) {
        g.place.count_label = count_label(lang, g.place.count);
    }
    out.extend(other);
    if online > 0 {
        out.push(RegionLinks {
            place: link(
                lang.t("online").to_string(),
                online,
                Some(format!("{}/actions/{slug}/online", lang.prefix())),
            ),
            cities: Vec::new(),
            online: true,
        });
    }
    out
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "place.html")]
struct PlacePage {
    ctx: Ctx,
    action: Action,
    /// The state's name and page, on a city's page.
    region: Option<(String, String)>,
    place_name: String,
    count_label: String,
    /// On a state's page: its cities.
    cities: Vec<PlaceLink>,
    days: Vec<Day>,
    paged: bool,
    first: String,
    next: Option<String>,
    archive: String,
    subscribe: Subscribe,
}

/// Where on the action the page is.
enum Place {
    Region(String),
    City(String, String),
    Online,
}

async fn region(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (slug, region) = path.into_inner();
    place_page(req, state, slug, Place::Region(region), query.into_inner()).await
}

async fn city(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (slug, region, city) = path.into_inner();
    place_page(
        req,
        state,
        slug,
        Place::City(region, city),
        query.into_inner(),
    )
    .await
}

async fn online(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    place_page(
        req,
        state,
        slug.into_inner(),
        Place::Online,
        query.into_inner(),
    )
    .await
}

async fn place_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: String,
    place: Place,
    query: PageQuery,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_path(&req);
    let cursor_text = query
        .cursor
        .as_deref()
        .map(str::trim)
        .filter(|c| Cursor::decode(c).is_some())
        .map(str::to_string);
    let cursor = cursor_text.as_deref().and_then(Cursor::decode);
    let mut every = Filter::default();
    match &place {
        Place::Region(r) => every.region = Some(r.clone()),
        Place::City(r, c) => {
            every.region = Some(r.clone());
            every.city = Some(c.clone());
        }
        Place::Online => every.no_venue = true,
    }
    let found = state
        .read(move |c| {
            let Ok(action) = catalog::action_by_slug(c, &slug) else {
                return Ok(None);
            };
            every.action_id = Some(action.id);
            let upcoming = Filter {
                from: Some(Bound::Instant(queries::now())),
                ..every.clone()
            };
            let counts = q::place_counts(c, &upcoming)?;
            // A place of past events only still has its page (with a link to them).
            let known = if counts.is_empty() {
                q::place_counts(c, &every)?
            } else {
                counts.clone()
            };
            if known.is_empty() {
                return Ok(None);
            }
            let (events, next) = q::list(c, &upcoming, cursor, PAGE_SIZE)?;
            Ok(Some((action, counts, known, events, next)))
        })
        .await?;
    let Some((action, counts, known, events, next)) = found else {
        return not_found_page(&req, &state);
    };
    let slug = action.slug.clone();
    // The stored spelling names the page, whatever the case of the address.
    let region_name = known
        .iter()
        .find_map(|p| p.region.clone())
        .unwrap_or_default();
    let city_name = known
        .iter()
        .find_map(|p| p.city.clone())
        .unwrap_or_default();
    let total: i64 = counts.iter().map(|p| p.events).sum();
    let (heading, own_path, feed, region_link, cities, archive) = match &place {
        Place::Region(_) => {
            let cities = place_links(&slug, &counts, lang)
                .into_iter()
                .flat_map(|r| r.cities)
                .collect();
            (
                region_name.clone(),
                place_path(lang, &slug, &region_name, None),
                format!(
                    "/calendar.ics?action={slug}&region={}",
                    percent_encode(&region_name)
                ),
                None,
                cities,
                format!(
                    "{}/archive?action={slug}&region={}",
                    lang.prefix(),
                    percent_encode(&region_name)
                ),
            )
        }
        Place::City(..) => (
            format!("{city_name}, {region_name}"),
            place_path(lang, &slug, &region_name, Some(&city_name)),
            format!(
                "/calendar.ics?action={slug}&region={}&city={}",
                percent_encode(&region_name),
                percent_encode(&city_name)
            ),
            Some((
                region_name.clone(),
                place_path(lang, &slug, &region_name, None),
            )),
            Vec::new(),
            format!(
                "{}/archive?action={slug}&region={}&city={}",
                lang.prefix(),
                percent_encode(&region_name),
                percent_encode(&city_name)
            ),
        ),
        Place::Online => (
            lang.t("online").to_string(),
            format!("{}/actions/{slug}/online", lang.prefix()),
            format!("/actions/{slug}.ics"),
            None,
            Vec::new(),
            format!("{}/archive?action={slug}", lang.prefix()),
        ),
    };
    let title = format!("{heading} · {}", action.title);
    let mut ctx = Ctx::new(&req, &state, title.clone()).describe(
        &lang
            .t("meta_place")
            .replace("{count}", &total.to_string())
            .replace("{action}", &action.title)
            .replace("{place}", &heading),
        String::new,
    );
    ctx.canonical = Some(match &cursor_text {
        Some(c) => format!(
            "{}{own_path}?cursor={}",
            state.links.base(),
            percent_encode(c)
        ),
        None => format!("{}{own_path}", state.links.base()),
    });
    let subscribe = Subscribe::new(
        &state.links,
        &feed,
        &format!("{} — {title}", state.settings.site_name),
    );
    let cards = events.iter().map(|v| EventCard::new(v, lang)).collect();
    let p = PlacePage {
        ctx: ctx.with_feeds(&subscribe, &title),
        region: region_link,
        place_name: heading,
        count_label: count_label(lang, total),
        cities,
        days: by_day(cards, lang, false),
        paged: cursor.is_some(),
        next: next.map(|c| format!("{own_path}?cursor={}", c.encode())),
        first: own_path,
        archive,
        subscribe,
        action,
    };
    page(StatusCode::OK, &p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(region: Option<&str>, city: Option<&str>, events: i64, online: i64) -> PlaceCount {
        PlaceCount {
            region: region.map(str::to_string),
            city: city.map(str::to_string),
            events,
            online,
            centre: None,
            country: None,
        }
    }

    #[test]
    fn states_then_places_without_one_then_online() {
        // As `place_counts` orders them: by state, then city, places without one last.
        let counts = [
            count(Some("CA"), Some("Los Angeles"), 2, 0),
            count(Some("ca"), Some("Oakland"), 1, 0),
            count(Some("CA"), None, 1, 0),
            count(Some("MA"), Some("Boston"), 3, 0),
            count(None, Some("Springfield"), 1, 0),
            count(None, None, 4, 3),
        ];
        let list = place_links("day", &counts, Lang::En);
        let names: Vec<&str> = list.iter().map(|r| r.place.name.as_str()).collect();
        assert_eq!(names, ["CA", "MA", "Other places", "Online"]);
        let ca = &list[0];
        assert_eq!(
            (ca.place.count, ca.place.count_label.as_str()),
            (4, "4 events")
        );
        assert_eq!(ca.place.path.as_deref(), Some("/actions/day/places/CA"));
        let cities: Vec<(&str, i64, Option<&str>)> = ca
            .cities
            .iter()
            .map(|c| (c.name.as_str(), c.count, c.path.as_deref()))
            .collect();
        assert_eq!(
            cities,
            [
                (
                    "Los Angeles",
                    2,
                    Some("/actions/day/places/CA/Los%20Angeles")
                ),
                ("Oakland", 1, Some("/actions/day/places/CA/Oakland")),
                ("Elsewhere in CA", 1, None),
            ]
        );
        let other = &list[2];
        assert_eq!(other.place.count, 2);
        assert_eq!(other.place.path, None);
        assert_eq!(
            other.cities[0].path.as_deref(),
            Some("/?action=day&city=Springfield")
        );
        assert_eq!(other.cities[1].name, "Place not given");
        let online = &list[3];
        assert!(online.online);
        assert_eq!(
            (online.place.count, online.place.count_label.as_str()),
            (3, "3 events")
        );
        assert_eq!(online.place.path.as_deref(), Some("/actions/day/online"));
        assert_eq!(place_links("day", &[], Lang::Es).len(), 0);
        assert_eq!(count_label(Lang::Es, 1), "1 evento");
    }
}
