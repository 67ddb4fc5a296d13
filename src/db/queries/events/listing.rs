//! The public listing with its filters and keyset cursor, and the other reads of many events
//! (sync tombstones, export, moderation queue, revisions).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::views::{load_views, views_by_ids, EventView};
use crate::db::models::*;
use crate::db::queries::catalog::{self, lower};
use crate::db::queries::search;
use crate::db::schema::{event_partners, event_revisions, event_tags, events, tags, venues};
use crate::db::DbConn;
use crate::domain::access::Need;
use crate::domain::event::{EventInput, Review, Role};
use crate::domain::filter::EventFilter;
use crate::domain::message::Msg;
use crate::domain::time::Bound;
use crate::domain::Errors;
use crate::error::AppError;

/// Filters of the public listing (`GET /api/v1/events`, the feeds, the pages).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from: Option<Bound>,
    pub to: Option<Bound>,
    pub action_id: Option<i32>,
    pub partner_id: Option<i32>,
    pub tag: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    /// Only events without a venue (online-only).
    pub no_venue: bool,
    pub q: Option<String>,
    pub statuses: Vec<String>,
    pub updated_since: Option<NaiveDateTime>,
    /// Include unpublished events (feeds keep them as minimal cancelled VEVENTs, so that
    /// subscribed calendars drop them).
    pub include_unpublished: bool,
    /// Latest first (the archive); otherwise soonest first.
    pub newest_first: bool,
    /// With `q` (and no `updated_since`): best match first, then soonest first.
    pub by_relevance: bool,
    /// A feed's window: only events ending after this (UTC), whatever `from` says.
    pub window_start: Option<NaiveDateTime>,
    /// `near`: only events at the venues within its radius.
    pub near: Option<NearVenues>,
    /// `access`: only events meeting every need (their own accessibility over their venue's).
    pub access: Vec<Need>,
}

/// The venues within a `near` filter's radius, each with its distance.
#[derive(Debug, Clone, PartialEq)]
pub struct NearVenues {
    pub point: crate::geo::Point,
    pub km: f64,
    /// `(venue id, km from the point)`, by id.
    pub venues: Vec<(i32, f64)>,
    /// `sort=distance`: nearest first, then by start.
    pub by_distance: bool,
}

impl NearVenues {
    /// How far venue `id` is, when it is within the radius.
    pub fn distance(&self, id: i32) -> Option<f64> {
        self.venues
            .binary_search_by_key(&id, |(v, _)| *v)
            .ok()
            .map(|i| self.venues[i].1)
    }

    /// `column IN (ids…)` with the ids written into the SQL: a radius may hold more venues
    /// than a statement takes bound parameters (SQLite: 32,766), and they are integers read
    /// from the database, never text from a request. `FALSE` for none.
    fn sql_in(&self, column: &str) -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
        if self.venues.is_empty() {
            return diesel::dsl::sql("(1 = 0)");
        }
        let mut list = String::with_capacity(self.venues.len() * 7);
        for (i, (id, _)) in self.venues.iter().enumerate() {
            if i > 0 {
                list.push(',');
            }
            list.push_str(&id.to_string());
        }
        diesel::dsl::sql(&format!("{column} IN ({list})"))
    }

    /// How far the venue of `v` is (`None`: online, or outside the radius).
    pub fn of(&self, v: &EventView) -> Option<f64> {
        v.venue.as_ref().and_then(|venue| self.distance(venue.id))
    }
}

/// The venues within `km` of `point` (their own coordinates, or their postal code's or city's
/// centre), by id: a box the database reads, then the exact distance.
pub fn venues_near(
    conn: &mut DbConn,
    point: crate::geo::Point,
    km: f64,
) -> QueryResult<Vec<(i32, f64)>> {
    let b = point.bounds(km);
    let rows: Vec<Venue> = venues::table
        .filter(
            venues::lat
                .between(b.lat_min, b.lat_max)
                .and(venues::lon.between(b.lon_min, b.lon_max))
                .or(venues::lat.is_null().and(
                    venues::approx_lat
                        .between(b.lat_min, b.lat_max)
                        .and(venues::approx_lon.between(b.lon_min, b.lon_max)),
                )),
        )
        .order(venues::id)
        .select(Venue::as_select())
        .load(conn)?;
    Ok(rows
        .iter()
        .filter_map(|v| {
            let (p, _) = v.point()?;
            let d = point.distance_km(p);
            // A venue on the circle is within it (and 1 mm of rounding aside).
            (d <= km + 1e-6).then_some((v.id, d))
        })
        .collect())
}

/// The one translation of a parsed listing filter (the grammar of `domain::filter`, shared by
/// the API, the feeds and the pages) into a query [`Filter`]: slugs become ids, an unknown
/// `action` or `partner` is a field error naming it. Each output adds its own defaults (date
/// window, order) to what this returns.
pub fn resolve_filter(conn: &mut DbConn, f: &EventFilter) -> Result<Filter, AppError> {
    let mut e = Errors::default();
    let action_id = match &f.action {
        None => None,
        Some(slug) => match catalog::action_by_slug(conn, slug) {
            Ok(a) => Some(a.id),
            Err(AppError::NotFound(_)) => {
                e.push("action", Msg::NoAction { slug: slug.clone() });
                None
            }
            Err(other) => return Err(other),
        },
    };
    let partner_id = match &f.partner {
        None => None,
        Some(slug) => match catalog::partner_by_slug(conn, slug) {
            Ok(p) => Some(p.id),
            Err(AppError::NotFound(_)) => {
                e.push("partner", Msg::NoPartner { slug: slug.clone() });
                None
            }
            Err(other) => return Err(other),
        },
    };
    let near = match &f.near {
        Some(n) => Some(NearVenues {
            point: n.at.point,
            km: n.radius.km(),
            venues: venues_near(conn, n.at.point, n.radius.km())?,
            by_distance: f.by_distance,
        }),
        None => None,
    };
    e.finish(Filter {
        near,
        from: f.from,
        to: f.to,
        action_id,
        partner_id,
        tag: f.tag.clone(),
        city: f.city.clone(),
        region: f.region.clone(),
        country: f.country.clone(),
        q: f.q.clone(),
        statuses: f.statuses.iter().map(|s| s.as_str().to_string()).collect(),
        access: f.access.clone(),
        updated_since: f.updated_since,
        ..Filter::default()
    })
}

impl Filter {
    /// The listing's default window: without `from`, `to` and `updated_since`, events that
    /// have not ended yet.
    pub fn upcoming_by_default(mut self, now: NaiveDateTime) -> Filter {
        if self.from.is_none() && self.to.is_none() && self.updated_since.is_none() {
            self.from = Some(Bound::Instant(now));
        }
        self
    }
}

/// Which place column of a venue [`place_spelling`] reads.
#[derive(Debug, Clone, Copy)]
pub enum Place {
    City,
    Region,
    Country,
}

/// How venues write a place that a filter names ignoring ASCII case (the first one's spelling),
/// so a feed named after `city=boston` says "Boston".
pub fn place_spelling(conn: &mut DbConn, place: Place, value: &str) -> QueryResult<Option<String>> {
    let v = Some(value.to_string());
    let found: Option<Option<String>> = match place {
        Place::City => venues::table
            .filter(lower(venues::city).eq(lower(v)))
            .order(venues::id.asc())
            .select(venues::city)
            .first(conn)
            .optional()?,
        Place::Region => venues::table
            .filter(lower(venues::region).eq(lower(v)))
            .order(venues::id.asc())
            .select(venues::region)
            .first(conn)
            .optional()?,
        Place::Country => venues::table
            .filter(lower(venues::country).eq(lower(v)))
            .order(venues::id.asc())
            .select(venues::country)
            .first(conn)
            .optional()?,
    };
    Ok(found.flatten())
}

/// Keyset position: the sort key and id of the last row of the previous page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub key: NaiveDateTime,
    pub id: i32,
    /// In a sync, the `synced_at` of its first page, which every later page repeats.
    pub synced_at: Option<NaiveDateTime>,
    /// In a listing by relevance, the last row's score (it sorts before `key` and `id`).
    pub rank: Option<f64>,
}

const CURSOR_TIME: &str = "%Y-%m-%dT%H:%M:%S%.6f";

impl Cursor {
    pub fn encode(&self) -> String {
        use base64::Engine;
        let mut raw = format!("{}|{}", self.key.format(CURSOR_TIME), self.id);
        if let Some(t) = self.synced_at {
            raw.push('|');
            raw.push_str(&t.format(CURSOR_TIME).to_string());
        }
        if let Some(r) = self.rank {
            // `Display` of an f64 is the shortest text that parses back to the same value.
            raw.push_str(&format!("|r{r}"));
        }
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    /// A listing's `cursor` parameter, decoded; one this server did not give out is a field
    /// error naming `cursor` (the same for the API and the pages).
    pub fn from_param(s: Option<&str>) -> Result<Option<Cursor>, AppError> {
        s.map(|s| Cursor::decode(s).ok_or_else(|| AppError::field("cursor", Msg::NotCursor)))
            .transpose()
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        use base64::Engine;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let mut parts = raw.split('|');
        let time = |t: &str| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").ok();
        let key = time(parts.next()?)?;
        let id = parts.next()?.parse().ok()?;
        let (synced_at, rank) = match parts.next() {
            Some(t) => match t.strip_prefix('r') {
                Some(r) => (None, Some(r.parse().ok().filter(|r: &f64| r.is_finite())?)),
                None => (Some(time(t)?), None),
            },
            None => (None, None),
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Cursor {
            key,
            id,
            synced_at,
            rank,
        })
    }
}

/// `$query` (a boxed query over `events`, or over a join with it) filtered by everything in the
/// filter `$f` but `q`: a macro, because the two query types differ only in their FROM clause.
/// The ids of the events partner `pid` hosts, co-hosts or endorses (a subquery).
macro_rules! partner_events {
    ($pid:expr) => {
        event_partners::table
            .filter(event_partners::partner_id.eq($pid))
            .select(event_partners::event_id)
    };
}

/// The ids of the events tagged `tag` (`#` and case aside; a subquery).
macro_rules! tag_events {
    ($tag:expr) => {
        event_tags::table
            .inner_join(tags::table)
            .filter(
                lower(tags::name.nullable())
                    .eq(lower(Some($tag.trim_start_matches('#').to_string()))),
            )
            .select(event_tags::event_id)
    };
}

macro_rules! public_filters {
    ($query:expr, $f:expr) => {{
        let f: &Filter = $f;
        let public = events::review
            .eq(Review::Approved.as_str())
            .and(events::deleted_at.is_null());
        let mut q = if f.include_unpublished {
            $query.filter(public.or(events::unpublished_at.is_not_null()))
        } else {
            $query.filter(public)
        };
        match f.from {
            Some(Bound::Date(d)) => {
                q = q.filter(events::end_local.gt(d.and_time(chrono::NaiveTime::MIN)))
            }
            Some(Bound::Instant(t)) => q = q.filter(events::end_utc.gt(t)),
            None => {}
        }
        if let Some(t) = f.window_start {
            q = q.filter(events::end_utc.gt(t));
        }
        match f.to {
            Some(Bound::Date(d)) => {
                if let Some(next) = d.succ_opt() {
                    q = q.filter(events::start_local.lt(next.and_time(chrono::NaiveTime::MIN)));
                }
            }
            Some(Bound::Instant(t)) => q = q.filter(events::start_utc.lt(t)),
            None => {}
        }
        if let Some(id) = f.action_id {
            q = q.filter(events::action_id.eq(id));
        }
        if let Some(pid) = f.partner_id {
            q = q.filter(events::id.eq_any(partner_events!(pid)));
        }
        if let Some(tag) = &f.tag {
            q = q.filter(events::id.eq_any(tag_events!(tag)));
        }
        if let Some(city) = &f.city {
            q = q.filter(
                events::venue_id.eq_any(
                    venues::table
                        .filter(lower(venues::city).eq(lower(Some(city.clone()))))
                        .select(venues::id.nullable()),
                ),
            );
        }
        if let Some(region) = &f.region {
            q = q.filter(
                events::venue_id.eq_any(
                    venues::table
                        .filter(lower(venues::region).eq(lower(Some(region.clone()))))
                        .select(venues::id.nullable()),
                ),
            );
        }
        if let Some(country) = &f.country {
            q = q.filter(
                events::venue_id.eq_any(
                    venues::table
                        .filter(lower(venues::country).eq(lower(Some(country.clone()))))
                        .select(venues::id.nullable()),
                ),
            );
        }
        if f.no_venue {
            q = q.filter(events::venue_id.is_null());
        }
        if let Some(near) = &f.near {
            q = q.filter(near.sql_in("events.venue_id"));
        }
        if !f.statuses.is_empty() {
            q = q.filter(events::status.eq_any(f.statuses.clone()));
        }
        for need in &f.access {
            q = q.filter(events::access_keys.like(format!("% {} %", need.column_key())));
        }
        q
    }};
}

/// Public events matching `f` (not yet ordered or limited).
/// `$query` (as [`public_filters`] takes it) narrowed to the events `q` finds, when `$f` has one
/// (a `q` with no words finds none).
macro_rules! matching_q {
    ($query:expr, $f:expr, $engine:expr) => {{
        let f: &Filter = $f;
        let mut q = $query;
        if let Some(text) = &f.q {
            q = match search::query(text, $engine) {
                Some(m) => q.filter(search::event_matches(m)),
                None => q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("FALSE")),
            };
        }
        q
    }};
}

fn filtered(f: &Filter, engine: search::Engine) -> events::BoxedQuery<'static, crate::db::Db> {
    matching_q!(public_filters!(events::table.into_boxed(), f), f, engine)
}

/// One page of public events matching `f`, ordered by start (or by last change when syncing,
/// or best match first with `by_relevance`), and the cursor of the next page.
pub fn list(
    conn: &mut DbConn,
    f: &Filter,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<(Vec<EventView>, Option<Cursor>)> {
    let relevance =
        f.q.as_deref()
            .filter(|_| f.by_relevance && f.updated_since.is_none())
            .map(|text| search::query(text, search::Engine::of(conn)));
    if let Some(near) = f.near.as_ref().filter(|n| n.by_distance) {
        if f.updated_since.is_none() {
            return list_by_distance(conn, f, near, cursor, limit);
        }
    }
    if let Some(m) = relevance {
        return list_by_relevance(conn, f, m, cursor, limit);
    }
    let mut q = filtered(f, search::Engine::of(conn));
    if let Some(since) = f.updated_since {
        // A sync gives changed series whole (with their changed occurrences), not occurrences.
        q = q.filter(events::updated_at.gt(since));
        if let Some(c) = cursor {
            q = q.filter(
                events::updated_at
                    .gt(c.key)
                    .or(events::updated_at.eq(c.key).and(events::id.gt(c.id))),
            );
        }
        let mut rows: Vec<Event> = q
            .order((events::updated_at.asc(), events::id.asc()))
            .limit(limit + 1)
            .select(Event::as_select())
            .load(conn)?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|e| Cursor {
                key: e.updated_at,
                id: e.id,
                synced_at: None,
                rank: None,
            })
        } else {
            None
        };
        return Ok((load_views(conn, rows)?, next));
    }
    // Single events from the index in order; the series reaching into the window expand into
    // their occurrences beside them, and the two merge by start.
    q = q.filter(events::rrule.is_null());
    let rows: Vec<Event> = if f.newest_first {
        if let Some(c) = cursor {
            q = q.filter(
                events::start_utc
                    .lt(c.key)
                    .or(events::start_utc.eq(c.key).and(events::id.lt(c.id))),
            );
        }
        q.order((events::start_utc.desc(), events::id.desc()))
            .limit(limit + 1)
            .select(Event::as_select())
            .load(conn)?
    } else {
        if let Some(c) = cursor {
            q = q.filter(
                events::start_utc
                    .gt(c.key)
                    .or(events::start_utc.eq(c.key).and(events::id.gt(c.id))),
            );
        }
        q.order((events::start_utc.asc(), events::id.asc()))
            .limit(limit + 1)
            .select(Event::as_select())
            .load(conn)?
    };
    let mut views = load_views(conn, rows)?;
    let occurrences = series_occurrences(conn, f, cursor, limit)?;
    if !occurrences.is_empty() {
        views.extend(occurrences);
        let key = |v: &EventView| (v.event.start_utc, v.event.id);
        if f.newest_first {
            views.sort_by_key(|v| std::cmp::Reverse(key(v)));
        } else {
            views.sort_by_key(key);
        }
    }
    let next = if views.len() as i64 > limit {
        views.truncate(limit as usize);
        views.last().map(|v| Cursor {
            key: v.event.start_utc,
            id: v.event.id,
            synced_at: None,
            rank: None,
        })
    } else {
        None
    };
    Ok((views, next))
}

/// The instant before which nothing of `f`'s window ends (a date bound widened by a day: zones
/// are at most 14 hours from UTC).
fn window_floor(f: &Filter) -> Option<NaiveDateTime> {
    let from = match f.from {
        Some(Bound::Instant(t)) => Some(t),
        Some(Bound::Date(d)) => {
            Some(d.and_time(chrono::NaiveTime::MIN) - chrono::Duration::days(1))
        }
        None => None,
    };
    match (from, f.window_start) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// True when occurrence `v` is in `f`'s window, has one of its statuses, and is where `f`'s
/// place filters ask (a changed occurrence may have moved to another venue).
fn occurrence_matches(f: &Filter, v: &EventView) -> bool {
    let e = &v.event;
    let after_from = match f.from {
        Some(Bound::Instant(t)) => e.end_utc > t,
        Some(Bound::Date(d)) => e.end_local > d.and_time(chrono::NaiveTime::MIN),
        None => true,
    };
    let before_to = match f.to {
        Some(Bound::Instant(t)) => e.start_utc < t,
        Some(Bound::Date(d)) => d
            .succ_opt()
            .is_none_or(|next| e.start_local < next.and_time(chrono::NaiveTime::MIN)),
        None => true,
    };
    after_from
        && before_to
        && f.window_start.is_none_or(|t| e.end_utc > t)
        && (f.statuses.is_empty() || f.statuses.contains(&e.status))
        && own_matches(f, v)
}

/// `f`'s filters that one occurrence of a series may answer differently from its series (place,
/// day of action, partner, tag), against occurrence `v`, folding case as the listing's SQL does.
fn own_matches(f: &Filter, v: &EventView) -> bool {
    let tag = f
        .tag
        .as_deref()
        .map(|t| t.trim_start_matches('#').to_lowercase());
    place_matches(f, v.venue.as_ref())
        && f.action_id.is_none_or(|a| v.event.action_id == Some(a))
        && f.partner_id
            .is_none_or(|p| v.partners.iter().any(|x| x.id == p))
        && tag.is_none_or(|t| v.tags.iter().any(|x| x.to_lowercase() == t))
        && (f.access.is_empty() || v.access().meets(&f.access))
}

/// `f`'s place filters (`city`, `region`, `country`, online-only) against a venue.
fn place_matches(f: &Filter, venue: Option<&Venue>) -> bool {
    let same = |want: &Option<String>, have: Option<&String>| {
        want.as_ref()
            .is_none_or(|w| have.is_some_and(|h| h.to_lowercase() == w.to_lowercase()))
    };
    if let Some(near) = &f.near {
        if venue.is_none_or(|v| near.distance(v.id).is_none()) {
            return false;
        }
    }
    match venue {
        Some(_) if f.no_venue => false,
        Some(v) => {
            same(&f.city, v.city.as_ref())
                && same(&f.region, v.region.as_ref())
                && same(&f.country, v.country.as_ref())
        }
        None => f.city.is_none() && f.region.is_none() && f.country.is_none(),
    }
}

/// A series as a feed with filter `f` holds it (see [`series_in_place`]).
pub enum SeriesInFeed {
    /// The series, without the changed occurrences that `f` no longer matches (moved to another
    /// city, given another day of action…: each an excluded date of this feed's copy instead).
    Whole(Box<EventView>),
    /// The series itself does not match `f`: only its changed occurrences that do, each as an
    /// event of its own.
    Parts(Vec<EventView>),
}

/// What of series `v` a feed with filter `f` holds: the occurrences the JSON lists for the same
/// filter, and no others.
pub fn series_in_place(f: &Filter, mut v: EventView) -> SeriesInFeed {
    if !per_occurrence(f) {
        return SeriesInFeed::Whole(Box::new(v));
    }
    if !own_matches(f, &v) {
        let parts = v
            .overrides
            .iter()
            .map(|o| v.occurrence_view(o.row.occurrence_local))
            .filter(|occ| own_matches(f, occ))
            .collect();
        return SeriesInFeed::Parts(parts);
    }
    let away: Vec<(NaiveDateTime, i32)> = v
        .overrides
        .iter()
        .filter(|o| !own_matches(f, &v.occurrence_view(o.row.occurrence_local)))
        .map(|o| (o.row.occurrence_local, o.row.sequence))
        .collect();
    if !away.is_empty() {
        let mut exdates = v.exdates();
        exdates.extend(away.iter().map(|(key, _)| *key));
        exdates.sort();
        v.event.exdates = super::writes::exdates_json(&exdates);
        // Calendars take the new exclusion as a change of the series.
        let moved = away.iter().map(|(_, seq)| *seq).max().unwrap_or(0);
        v.event.sequence = v.event.sequence.max(moved);
        v.overrides
            .retain(|o| !away.iter().any(|(key, _)| *key == o.row.occurrence_local));
    }
    SeriesInFeed::Whole(Box::new(v))
}

/// Whether `f` filters by place.
fn by_place(f: &Filter) -> bool {
    f.city.is_some() || f.region.is_some() || f.country.is_some() || f.no_venue || f.near.is_some()
}

/// Whether `f` has a filter one occurrence may answer differently from its series.
fn per_occurrence(f: &Filter) -> bool {
    by_place(f)
        || f.action_id.is_some()
        || f.partner_id.is_some()
        || f.tag.is_some()
        || !f.access.is_empty()
}

/// The series' side of `f`'s filters that occurrences may answer for themselves (place, day of
/// action, partner, tag): a series matches when it does or when one of its changed
/// occurrences may (each occurrence is checked again, [`own_matches`]).
macro_rules! series_places {
    ($query:expr, $f:expr) => {{
        use crate::db::schema::event_occurrences;
        let f: &Filter = $f;
        let mut q = $query;
        if f.no_venue {
            q = q.filter(
                events::venue_id.is_null().or(events::id.eq_any(
                    event_occurrences::table
                        .filter(event_occurrences::venue_id.is_null())
                        .select(event_occurrences::event_id),
                )),
            );
        } else if f.city.is_some() || f.region.is_some() || f.country.is_some() {
            // Unboxed (a boxed subquery does not fit the multi-backend query): a filter left
            // out binds TRUE.
            use diesel::sql_types::Bool;
            let (city, region, country) = (f.city.clone(), f.region.clone(), f.country.clone());
            let venue_ids = || {
                venues::table
                    .filter(
                        (city
                            .is_none()
                            .into_sql::<Bool>()
                            .or(lower(venues::city).eq(lower(city.clone()))))
                        .and(
                            region
                                .is_none()
                                .into_sql::<Bool>()
                                .or(lower(venues::region).eq(lower(region.clone()))),
                        )
                        .and(
                            country
                                .is_none()
                                .into_sql::<Bool>()
                                .or(lower(venues::country).eq(lower(country.clone()))),
                        ),
                    )
                    .select(venues::id.nullable())
            };
            q = q.filter(
                events::venue_id.eq_any(venue_ids()).or(events::id.eq_any(
                    event_occurrences::table
                        .filter(event_occurrences::venue_id.eq_any(venue_ids()))
                        .select(event_occurrences::event_id),
                )),
            );
        }
        if let Some(near) = &f.near {
            q = q.filter(
                near.sql_in("events.venue_id").or(events::id.eq_any(
                    event_occurrences::table
                        .filter(near.sql_in("event_occurrences.venue_id"))
                        .select(event_occurrences::event_id),
                )),
            );
        }
        if let Some(id) = f.action_id {
            q = q.filter(
                events::action_id.eq(id).or(events::id.eq_any(
                    event_occurrences::table
                        .filter(event_occurrences::action_id.eq(id))
                        .select(event_occurrences::event_id),
                )),
            );
        }
        // Partners and tags of an occurrence's own are JSON: any series with such a change is
        // a candidate, and each occurrence is checked ([`own_matches`]).
        if let Some(pid) = f.partner_id {
            q = q.filter(
                events::id
                    .eq_any(partner_events!(pid))
                    .or(events::id.eq_any(
                        event_occurrences::table
                            .filter(event_occurrences::partners.is_not_null())
                            .select(event_occurrences::event_id),
                    )),
            );
        }
        if let Some(tag) = &f.tag {
            q = q.filter(
                events::id.eq_any(tag_events!(tag)).or(events::id.eq_any(
                    event_occurrences::table
                        .filter(event_occurrences::tags.is_not_null())
                        .select(event_occurrences::event_id),
                )),
            );
        }
        // An occurrence at another venue has that venue's defaults: any series with a changed
        // occurrence is a candidate, and each occurrence is checked ([`own_matches`]).
        for need in &f.access {
            q = q.filter(
                events::access_keys
                    .like(format!("% {} %", need.column_key()))
                    .or(events::id
                        .eq_any(event_occurrences::table.select(event_occurrences::event_id))),
            );
        }
        q
    }};
}

/// `f` for the series themselves: their first occurrence need not be in the window, and status,
/// place, day of action, partners and tags are each occurrence's own (checked by
/// [`occurrence_matches`]; [`series_places`] finds the series).
fn series_filter(f: &Filter) -> Filter {
    Filter {
        from: None,
        window_start: None,
        statuses: Vec::new(),
        city: None,
        region: None,
        country: None,
        no_venue: false,
        near: None,
        action_id: None,
        partner_id: None,
        tag: None,
        access: Vec::new(),
        ..f.clone()
    }
}

fn to_local(tz: chrono_tz::Tz, utc: NaiveDateTime) -> NaiveDateTime {
    use chrono::TimeZone;
    chrono::Utc
        .from_utc_datetime(&utc)
        .with_timezone(&tz)
        .naive_local()
}

/// The series matching `f` (see [`series_filter`]) whose last occurrence ends after `floor`.
fn series_reaching(
    conn: &mut DbConn,
    f: &Filter,
    floor: Option<NaiveDateTime>,
) -> QueryResult<Option<events::BoxedQuery<'static, crate::db::Db>>> {
    // The series first, from their partial index alone (a handful of rows, often none): with a
    // filter such as `action` the planner would otherwise walk that filter's index over every
    // single event to find the few with a rule.
    let ids: Vec<i32> = events::table
        .filter(events::rrule.is_not_null())
        .select(events::id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(None);
    }
    let mut q = series_places!(
        filtered(&series_filter(f), search::Engine::of(conn)).filter(events::rrule.is_not_null()),
        f
    );
    if ids.len() <= 5_000 {
        q = q.filter(events::id.eq_any(ids));
    }
    if let Some(t) = floor {
        q = q.filter(
            events::series_end_utc
                .is_null()
                .or(events::series_end_utc.gt(t)),
        );
    }
    Ok(Some(q))
}

/// The ids and last changes of the series a feed with filter `f` holds (see [`list_keys`]).
pub fn series_keys(conn: &mut DbConn, f: &Filter) -> QueryResult<Vec<(i32, NaiveDateTime)>> {
    #[derive(Queryable)]
    struct Key(i32, #[diesel(deserialize_as = FastTimestamp)] NaiveDateTime);
    let Some(q) = series_reaching(conn, f, window_floor(f))? else {
        return Ok(Vec::new());
    };
    let keys: Vec<Key> = q
        .order((events::start_utc.asc(), events::id.asc()))
        .select((events::id, events::updated_at))
        .load(conn)?;
    Ok(keys.into_iter().map(|Key(id, t)| (id, t)).collect())
}

/// Occurrences of the public series matching `f` that fall in its window, past `cursor` in the
/// listing's order: at most `limit + 1` of each series (the caller merges and cuts). Each series
/// jumps straight to the window (`recurrence::Series::after` / `between`), so the cost follows
/// the page, not how long ago the series began.
pub fn series_occurrences(
    conn: &mut DbConn,
    f: &Filter,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<Vec<EventView>> {
    let want = usize::try_from(limit + 1).unwrap_or(usize::MAX);
    let mut floor = window_floor(f);
    if let (Some(c), false) = (cursor, f.newest_first) {
        floor = Some(floor.map_or(c.key, |t| t.max(c.key)));
    }
    let Some(mut q) = series_reaching(conn, f, floor)? else {
        return Ok(Vec::new());
    };
    if let (Some(c), true) = (cursor, f.newest_first) {
        q = q.filter(events::start_utc.le(c.key));
    }
    let rows: Vec<Event> = q
        .order((events::start_utc.asc(), events::id.asc()))
        .select(Event::as_select())
        .load(conn)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    Ok(expand(f, load_views(conn, rows)?, cursor, want, floor))
}

/// The occurrences of `series` in `f`'s window that match it, past `cursor` in the listing's
/// order (start, id): at most `want` of each series.
fn expand(
    f: &Filter,
    series: Vec<EventView>,
    cursor: Option<Cursor>,
    want: usize,
    floor: Option<NaiveDateTime>,
) -> Vec<EventView> {
    let past_cursor = |e: &Event| match cursor {
        None => true,
        Some(c) if f.newest_first => (e.start_utc, e.id) < (c.key, c.id),
        Some(c) => (e.start_utc, e.id) > (c.key, c.id),
    };
    let mut out = Vec::new();
    for v in series {
        let Some(series) = v.series() else { continue };
        let tz = v.tz();
        let exdates = v.exdates();
        let overridden =
            |k: &NaiveDateTime| v.overrides.iter().any(|o| o.row.occurrence_local == *k);
        // Changed occurrences may have moved: each is checked where it is now.
        for o in &v.overrides {
            let occ = v.occurrence_view(o.row.occurrence_local);
            if occurrence_matches(f, &occ) && past_cursor(&occ.event) {
                out.push(occ);
            }
        }
        let length = v.event.end_local - v.event.start_local;
        let margin = chrono::Duration::days(2);
        let mut taken = 0usize;
        let mut consider = |key: NaiveDateTime, out: &mut Vec<EventView>| -> bool {
            if exdates.contains(&key) || overridden(&key) {
                return false;
            }
            let occ = v.occurrence_view(key);
            if occurrence_matches(f, &occ) && past_cursor(&occ.event) {
                out.push(occ);
                taken += 1;
            }
            taken >= want
        };
        if f.newest_first {
            let upper = match (f.to, cursor) {
                (Some(Bound::Instant(t)), Some(c)) => Some(to_local(tz, t.min(c.key))),
                (Some(Bound::Instant(t)), None) => Some(to_local(tz, t)),
                (Some(Bound::Date(d)), c) => {
                    let end = d.succ_opt().unwrap_or(d).and_time(chrono::NaiveTime::MIN);
                    Some(c.map_or(end, |c| end.min(to_local(tz, c.key))))
                }
                (None, Some(c)) => Some(to_local(tz, c.key)),
                (None, None) => None,
            };
            // Without an upper bound a never-ending series has no last occurrence to walk back
            // from; the archive always has one (now).
            let Some(upper) = upper
                .map(|u| u + margin)
                .or(series.last().map(|l| l + margin))
            else {
                continue;
            };
            let lower = floor.map(|t| to_local(tz, t) - length - margin);
            let mut hi = upper;
            let mut span = chrono::Duration::days(62);
            'back: while hi > series.start {
                let lo = (hi - span).max(series.start);
                for key in series.between(lo, hi).into_iter().rev() {
                    if lower.is_some_and(|l| key < l) || consider(key, &mut out) {
                        break 'back;
                    }
                }
                if lower.is_some_and(|l| lo < l) {
                    break;
                }
                hi = lo;
                span = (span * 2).min(chrono::Duration::days(3660));
            }
        } else {
            let from = floor
                .map(|t| to_local(tz, t) - length - margin)
                .unwrap_or(series.start);
            let upper = match f.to {
                Some(Bound::Instant(t)) => Some(to_local(tz, t) + margin),
                Some(Bound::Date(d)) => d.succ_opt().map(|n| n.and_time(chrono::NaiveTime::MIN)),
                None => None,
            };
            let mut next = from;
            'forward: for _ in 0..10_000 {
                let batch = series.after(next, 64);
                for key in &batch {
                    if upper.is_some_and(|u| *key >= u) || consider(*key, &mut out) {
                        break 'forward;
                    }
                }
                match batch.last() {
                    Some(last) if batch.len() == 64 => next = *last + chrono::Duration::seconds(1),
                    _ => break,
                }
            }
        }
    }
    out
}

/// [`list`] nearest first (`sort=distance`): by distance, then start and id (the cursor carries
/// all three, the distance as its `rank`). Only the keys of the single events within the radius
/// go through the sort; the page's events load by id afterwards.
fn list_by_distance(
    conn: &mut DbConn,
    f: &Filter,
    near: &NearVenues,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<(Vec<EventView>, Option<Cursor>)> {
    use std::cmp::Ordering;
    let past = |d: f64, start: NaiveDateTime, id: i32| match cursor {
        None => true,
        Some(c) => {
            d.total_cmp(&c.rank.unwrap_or(f64::NEG_INFINITY))
                .then(start.cmp(&c.key))
                .then(id.cmp(&c.id))
                == Ordering::Greater
        }
    };
    let order = |a: &(f64, NaiveDateTime, i32), b: &(f64, NaiveDateTime, i32)| {
        a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
    };
    let want = usize::try_from(limit + 1).unwrap_or(usize::MAX);
    #[derive(Queryable)]
    struct Key(
        i32,
        Option<i32>,
        #[diesel(deserialize_as = FastTimestamp)] NaiveDateTime,
    );
    let keys: Vec<Key> = filtered(f, search::Engine::of(conn))
        .filter(events::rrule.is_null())
        .select((events::id, events::venue_id, events::start_utc))
        .load(conn)?;
    let mut singles: Vec<(f64, NaiveDateTime, i32)> = keys
        .into_iter()
        .filter_map(|Key(id, venue, start)| {
            let d = near.distance(venue?)?;
            past(d, start, id).then_some((d, start, id))
        })
        .collect();
    singles.sort_by(order);
    singles.truncate(want);
    let ids: Vec<i32> = singles.iter().map(|k| k.2).collect();
    let mut found: Vec<(f64, EventView)> = views_by_ids(conn, &ids)?
        .into_iter()
        .filter_map(|v| near.of(&v).map(|d| (d, v)))
        .collect();
    // Series within the radius, each as its occurrences in the window.
    let floor = window_floor(f);
    if let Some(q) = series_reaching(conn, f, floor)? {
        let rows: Vec<Event> = q.select(Event::as_select()).load(conn)?;
        for v in load_views(conn, rows)? {
            // Its occurrences where it is continue after the cursor when the cursor stopped at
            // its distance. Its changed occurrences are each measured where they are, whatever
            // the cursor's start: all of them are candidates, and `past` places each.
            let within = cursor.filter(|c| c.rank.is_some() && c.rank == near.of(&v));
            let changed: Vec<EventView> = v
                .overrides
                .iter()
                .map(|o| v.occurrence_view(o.row.occurrence_local))
                .filter(|occ| occurrence_matches(f, occ))
                .collect();
            let mut occurrences = expand(f, vec![v], within, want, floor);
            for c in changed {
                let key = (c.event.start_utc, c.event.id);
                if !occurrences
                    .iter()
                    .any(|o| (o.event.start_utc, o.event.id) == key)
                {
                    occurrences.push(c);
                }
            }
            for occ in occurrences {
                if let Some(d) = near.of(&occ) {
                    if past(d, occ.event.start_utc, occ.event.id) {
                        found.push((d, occ));
                    }
                }
            }
        }
    }
    found.sort_by(|(da, a), (db, b)| {
        order(
            &(*da, a.event.start_utc, a.event.id),
            &(*db, b.event.start_utc, b.event.id),
        )
    });
    let next = if found.len() > want - 1 {
        found.truncate(want - 1);
        found.last().map(|(d, v)| Cursor {
            key: v.event.start_utc,
            id: v.event.id,
            synced_at: None,
            rank: Some(*d),
        })
    } else {
        None
    };
    Ok((found.into_iter().map(|(_, v)| v).collect(), next))
}

/// [`list`] best match first: by score, then start and id (the cursor carries all three).
fn list_by_relevance(
    conn: &mut DbConn,
    f: &Filter,
    query: Option<search::Query>,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<(Vec<EventView>, Option<Cursor>)> {
    let Some(query) = query else {
        return Ok((Vec::new(), None));
    };
    use crate::db::schema::event_search;
    let score = || search::score(&query);
    let mut q = public_filters!(
        event_search::table
            .inner_join(events::table)
            .filter(search::row_matches(&query))
            .into_boxed(),
        f
    );
    if let Some(Cursor {
        key,
        id,
        rank: Some(rank),
        ..
    }) = cursor
    {
        q = q.filter(
            score().gt(rank).or(score().eq(rank).and(
                events::start_utc
                    .gt(key)
                    .or(events::start_utc.eq(key).and(events::id.gt(id))),
            )),
        );
    }
    // Only the keys go through the sort; the page's events load by id afterwards.
    #[derive(Queryable)]
    struct Key(i32, f64);
    let keys: Vec<Key> = q
        .filter(events::rrule.is_null())
        .order((score().asc(), events::start_utc.asc(), events::id.asc()))
        .limit(limit + 1)
        .select((events::id, score()))
        .load(conn)?;
    let ids: Vec<i32> = keys.iter().map(|Key(id, _)| *id).collect();
    let ranks: std::collections::HashMap<i32, f64> =
        keys.iter().map(|Key(id, rank)| (*id, *rank)).collect();
    let mut found: Vec<(f64, EventView)> = views_by_ids(conn, &ids)?
        .into_iter()
        .filter_map(|v| ranks.get(&v.event.id).map(|rank| (*rank, v)))
        .collect();

    // Series that match, each as its occurrences in the window, all with the series' score.
    #[derive(Queryable)]
    struct SeriesKey(i32, f64);
    let mut sq = series_places!(
        public_filters!(
            event_search::table
                .inner_join(events::table)
                .filter(search::row_matches(&query))
                .into_boxed(),
            &series_filter(f)
        )
        .filter(events::rrule.is_not_null()),
        f
    );
    let floor = window_floor(f);
    if let Some(t) = floor {
        sq = sq.filter(
            events::series_end_utc
                .is_null()
                .or(events::series_end_utc.gt(t)),
        );
    }
    let series: Vec<SeriesKey> = sq.select((events::id, score())).load(conn)?;
    if !series.is_empty() {
        let ids: Vec<i32> = series.iter().map(|SeriesKey(id, _)| *id).collect();
        let want = usize::try_from(limit + 1).unwrap_or(usize::MAX);
        let ranks: std::collections::HashMap<i32, f64> = series
            .iter()
            .map(|SeriesKey(id, rank)| (*id, *rank))
            .collect();
        for v in views_by_ids(conn, &ids)? {
            let Some(&rank) = ranks.get(&v.event.id) else {
                continue;
            };
            // Past the cursor in (score, start, id) order: all of a series that scores after
            // it, the rest of the one it stopped in, none of one before it.
            let within = match cursor.and_then(|c| c.rank.map(|r| (c, r))) {
                Some((_, r)) if rank < r => continue,
                Some((c, r)) if rank == r => Some(c),
                _ => None,
            };
            for occ in expand(f, vec![v], within, want, floor) {
                found.push((rank, occ));
            }
        }
        found.sort_by(|(ra, a), (rb, b)| {
            ra.total_cmp(rb)
                .then((a.event.start_utc, a.event.id).cmp(&(b.event.start_utc, b.event.id)))
        });
    }
    let next = if found.len() as i64 > limit {
        found.truncate(limit as usize);
        found.last().map(|(rank, v)| Cursor {
            key: v.event.start_utc,
            id: v.event.id,
            synced_at: None,
            rank: Some(*rank),
        })
    } else {
        None
    };
    Ok((found.into_iter().map(|(_, v)| v).collect(), next))
}

/// The ids and last changes of every public single event matching `f`, in start order: what a
/// feed needs to reuse the VEVENTs it rendered before (series: [`series_keys`]).
pub fn list_keys(
    conn: &mut DbConn,
    f: &Filter,
    limit: i64,
) -> QueryResult<Vec<(i32, NaiveDateTime)>> {
    #[derive(Queryable)]
    struct Key(i32, #[diesel(deserialize_as = FastTimestamp)] NaiveDateTime);
    let keys: Vec<Key> = filtered(f, search::Engine::of(conn))
        .filter(events::rrule.is_null())
        .order((events::start_utc.asc(), events::id.asc()))
        .limit(limit)
        .select((events::id, events::updated_at))
        .load(conn)?;
    Ok(keys.into_iter().map(|Key(id, t)| (id, t)).collect())
}

/// How many public events matching `f` take place in one region and city (as stored; spellings
/// that differ only in case count together, under the first spelling in sort order).
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceCount {
    pub region: Option<String>,
    pub city: Option<String>,
    /// Every event of the place.
    pub events: i64,
    /// Those of them without a venue (only in the place with neither region nor city).
    pub online: i64,
    /// Where its venues are on average (their own coordinates, or their postal code's or
    /// city's centre; `None` when none is placed), for a map's marker.
    pub centre: Option<crate::geo::Point>,
    /// Its venues' country as stored (the first in sort order).
    pub country: Option<String>,
}

diesel::define_sql_function! {
    /// SQL `coalesce()` of two coordinates.
    fn coalesce(a: diesel::sql_types::Nullable<diesel::sql_types::Double>, b: diesel::sql_types::Nullable<diesel::sql_types::Double>) -> diesel::sql_types::Nullable<diesel::sql_types::Double>;
}

/// Public events matching `f` (but `q`) counted by region and city, in one grouped query (and
/// the few series beside it); ordered by region, then city, case-insensitively, places without
/// one last.
pub fn place_counts(conn: &mut DbConn, f: &Filter) -> QueryResult<Vec<PlaceCount>> {
    use diesel::dsl::{avg, count, count_star, min};
    // The filters' venue conditions are subqueries on `venues`: the grouped venue is an alias.
    diesel::alias!(venues as place: PlaceAlias);
    let region = || place.field(venues::region).nullable();
    let city = || place.field(venues::city).nullable();
    let query = events::table
        .left_join(place.on(events::venue_id.eq(place.field(venues::id).nullable())))
        .group_by((lower(region()), lower(city())))
        .select((
            min(region()),
            min(city()),
            count_star(),
            count(place.field(venues::id).nullable()),
            avg(coalesce(
                place.field(venues::lat).nullable(),
                place.field(venues::approx_lat).nullable(),
            )),
            avg(coalesce(
                place.field(venues::lon).nullable(),
                place.field(venues::approx_lon).nullable(),
            )),
            min(place.field(venues::country).nullable()),
        ))
        .into_boxed();
    type Row = (
        Option<String>,
        Option<String>,
        i64,
        i64,
        Option<f64>,
        Option<f64>,
        Option<String>,
    );
    // `q` too, as the listing applies it (the map's counts are the listing's events).
    let engine = search::Engine::of(conn);
    let rows: Vec<Row> = matching_q!(public_filters!(query, f), f, engine)
        .filter(events::rrule.is_null())
        .load(conn)?;
    let mut places: Vec<PlaceCount> = rows
        .into_iter()
        .map(
            |(region, city, events, with_venue, lat, lon, country)| PlaceCount {
                region,
                city,
                events,
                online: events - with_venue,
                centre: lat
                    .zip(lon)
                    .map(|(lat, lon)| crate::geo::Point { lat, lon }),
                country,
            },
        )
        .collect();
    let key = |s: &Option<String>| (s.is_none(), s.as_deref().map(str::to_lowercase));
    // A series counts once in each place where it has an occurrence in the window: its own
    // venue's, and those its changed occurrences moved to.
    if let Some(q) = series_reaching(conn, f, window_floor(f))? {
        let rows: Vec<Event> = q.select(Event::as_select()).load(conn)?;
        for v in load_views(conn, rows)? {
            let mut seen = Vec::new();
            for occ in expand(f, vec![v], None, 1, window_floor(f)) {
                let (region, city) = match &occ.venue {
                    Some(venue) => (venue.region.clone(), venue.city.clone()),
                    None => (None, None),
                };
                let online = i64::from(occ.venue.is_none());
                let here = (key(&region), key(&city), online);
                if seen.contains(&here) {
                    continue;
                }
                seen.push(here);
                match places
                    .iter_mut()
                    .find(|p| key(&p.region) == key(&region) && key(&p.city) == key(&city))
                {
                    Some(p) => {
                        p.events += 1;
                        p.online += online;
                    }
                    None => places.push(PlaceCount {
                        region,
                        city,
                        events: 1,
                        online,
                        centre: occ.venue.as_ref().and_then(|v| v.point()).map(|(p, _)| p),
                        country: occ.venue.as_ref().and_then(|v| v.country.clone()),
                    }),
                }
            }
        }
    }
    places.sort_by(|a, b| {
        key(&a.region)
            .cmp(&key(&b.region))
            .then_with(|| key(&a.city).cmp(&key(&b.city)))
    });
    Ok(places)
}

/// The public events matching `f` (all its filters, `from` and `to` too) that have not ended
/// before `floor` (a series: its last occurrence), most recently changed first: the entries of
/// an Atom feed.
pub fn recent_changes(
    conn: &mut DbConn,
    f: &Filter,
    floor: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<EventView>> {
    let f = Filter {
        window_start: None,
        include_unpublished: false,
        ..f.clone()
    };
    let rows: Vec<Event> = filtered(&f, search::Engine::of(conn))
        .filter(
            events::end_utc
                .gt(floor)
                .or(events::rrule.is_not_null().and(
                    events::series_end_utc
                        .is_null()
                        .or(events::series_end_utc.gt(floor)),
                )),
        )
        .order((events::updated_at.desc(), events::id.desc()))
        .limit(limit)
        .select(Event::as_select())
        .load(conn)?;
    load_views(conn, rows)
}

/// Tombstones for a sync: events that stopped being public after `since` (deleted, or
/// rejected after approval) and are not public again.
pub fn unpublished_since(
    conn: &mut DbConn,
    since: NaiveDateTime,
) -> QueryResult<Vec<(i32, String, NaiveDateTime)>> {
    events::table
        .filter(events::unpublished_at.gt(since))
        .filter(
            events::review
                .ne(Review::Approved.as_str())
                .or(events::deleted_at.is_not_null()),
        )
        .order((events::unpublished_at.asc(), events::id.asc()))
        .select((
            events::id,
            events::uid,
            events::unpublished_at.assume_not_null(),
        ))
        .load(conn)
}

/// Every event not deleted, in input form with inline venues (for `turnout export`).
pub fn export_all(conn: &mut DbConn) -> QueryResult<Vec<EventInput>> {
    let rows = events::table
        .filter(events::deleted_at.is_null())
        .order((events::start_utc.asc(), events::id.asc()))
        .select(Event::as_select())
        .load(conn)?;
    Ok(load_views(conn, rows)?
        .iter()
        .map(|v| v.to_input(true))
        .collect())
}

pub fn count_events(conn: &mut DbConn) -> QueryResult<i64> {
    events::table.count().get_result(conn)
}

pub fn revisions(conn: &mut DbConn, event_id: i32) -> QueryResult<Vec<Revision>> {
    event_revisions::table
        .filter(event_revisions::event_id.eq(event_id))
        .order(event_revisions::id.asc())
        .select(Revision::as_select())
        .load(conn)
}

/// Events waiting for moderation, oldest first.
pub fn pending(conn: &mut DbConn) -> QueryResult<Vec<EventView>> {
    let rows = events::table
        .filter(events::review.eq(Review::Pending.as_str()))
        .filter(events::deleted_at.is_null())
        .order(events::created_at.asc())
        .limit(200)
        .select(Event::as_select())
        .load(conn)?;
    load_views(conn, rows)
}

/// The latest changes, newest first, with the title each event has now. An organizer
/// (`partner_id`) sees only the events it may edit: those its partner hosts or co-hosts.
pub fn recent_revisions(
    conn: &mut DbConn,
    partner_id: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<(Revision, String, bool)>> {
    let mut q = event_revisions::table
        .inner_join(events::table)
        .into_boxed();
    if let Some(pid) = partner_id {
        let editors = [Role::Host, Role::CoHost].map(Role::as_str);
        q = q.filter(
            events::id.eq_any(
                event_partners::table
                    .filter(event_partners::partner_id.eq(pid))
                    .filter(event_partners::role.eq_any(editors))
                    .select(event_partners::event_id),
            ),
        );
    }
    let rows: Vec<(Revision, String, Option<NaiveDateTime>)> = q
        .order(event_revisions::id.desc())
        .limit(limit)
        .select((Revision::as_select(), events::title, events::deleted_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(r, t, d)| (r, t, d.is_some()))
        .collect())
}
