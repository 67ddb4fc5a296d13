//! Which events a feed holds and what it is called: the database side of a feed, shared by
//! the HTTP handlers (`web::feeds`) and the benchmarks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use actix_web::web::Bytes;

use chrono::NaiveDateTime;

use crate::config::Settings;
use crate::db::queries::{catalog, events as q};
use crate::db::DbConn;
use crate::domain::filter::{EventFilter, Param};
use crate::domain::time::Bound;
use crate::error::AppError;
use crate::feeds::ical::{self, CalendarMeta, Fragment};
use crate::feeds::json::Links;

/// Largest number of events one feed carries (a guard against unbounded memory on the
/// all-events feed of a huge instance; the window keeps real feeds far below it).
pub const MAX_FEED_EVENTS: i64 = 20_000;

/// One feed: `/calendar.ics?filters`, or an alias.
#[derive(Debug, Clone)]
pub enum Spec {
    /// `/calendar.ics` with a listing filter (no paging: the feed is its whole window).
    All(Box<EventFilter>),
    Action(String),
    Partner(String),
    Tag(String),
    Event(i32),
}

impl Spec {
    /// The cache key: equal for requests that must get the same bytes.
    pub fn key(&self) -> String {
        match self {
            Spec::All(filter) => format!("all?{}", filter.canonical()),
            Spec::Action(s) => format!("action/{s}"),
            Spec::Partner(s) => format!("partner/{s}"),
            Spec::Tag(s) => format!("tag/{}", s.to_lowercase()),
            Spec::Event(id) => format!("event/{id}"),
        }
    }
}

/// A finished render.
pub struct Rendered {
    /// The VCALENDAR as its parts: the VEVENTs are the fragment cache's own buffers, so a
    /// cached feed need not hold a second copy of them.
    pub parts: Vec<Bytes>,
    pub filename: String,
    /// The newest `updated_at` among the feed's events (Last-Modified of a first render).
    pub newest_change: SystemTime,
}

/// How a feed describes itself.
pub(crate) struct Header {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) page_path: String,
    /// The `.ics` feed's path (the Atom feed's is the same with `.atom`).
    pub(crate) feed_path: String,
    pub(crate) filename: String,
}

fn unknown(what: &str, name: &str) -> AppError {
    AppError::NotFound(format!("There is no {what} named {name:?}."))
}

/// Narrows `filter` to a list feed and says what the feed is called.
pub(crate) fn list_header(
    conn: &mut DbConn,
    spec: &Spec,
    site: &str,
    filter: &mut q::Filter,
) -> Result<Header, AppError> {
    Ok(match spec {
        Spec::Action(slug) => {
            let a = catalog::action_by_slug(conn, slug).map_err(|_| unknown("action", slug))?;
            filter.action_id = Some(a.id);
            let description = if a.description.is_empty() {
                format!("Every event of {}, kept up to date by {site}.", a.title)
            } else {
                a.description.clone()
            };
            Header {
                name: a.title,
                description,
                page_path: format!("/actions/{slug}"),
                feed_path: format!("/actions/{slug}.ics"),
                filename: format!("{slug}.ics"),
            }
        }
        Spec::Partner(slug) => {
            let p = catalog::partner_by_slug(conn, slug).map_err(|_| unknown("partner", slug))?;
            filter.partner_id = Some(p.id);
            Header {
                description: format!(
                    "Events {} hosts, co-hosts or endorses, kept up to date by {site}.",
                    p.name
                ),
                name: p.name,
                page_path: format!("/partners/{slug}"),
                feed_path: format!("/partners/{slug}.ics"),
                filename: format!("{slug}.ics"),
            }
        }
        Spec::Tag(tag) => {
            let name = catalog::public_tag_name(conn, tag.trim_start_matches('#'))?
                .ok_or_else(|| unknown("tag", tag))?;
            filter.tag = Some(name.clone());
            Header {
                name: format!("#{name}"),
                description: format!("Events tagged #{name}, kept up to date by {site}."),
                page_path: format!("/tags/{name}"),
                feed_path: format!("/tags/{name}.ics"),
                filename: format!("{}.ics", name.to_lowercase()),
            }
        }
        Spec::All(wanted) => {
            // The grammar's filter, inside the feed's window: `from` may narrow it, not widen it.
            let window_start = match filter.from {
                Some(Bound::Instant(t)) => Some(t),
                Some(Bound::Date(d)) => Some(d.and_time(chrono::NaiveTime::MIN)),
                None => None,
            };
            let resolved = q::resolve_filter(conn, wanted)?;
            *filter = q::Filter {
                from: resolved.from.or(filter.from),
                window_start,
                include_unpublished: true,
                ..resolved
            };
            let mut words = Vec::new();
            for (param, v) in wanted.values() {
                let place = |conn: &mut DbConn, p: q::Place| -> Result<String, AppError> {
                    Ok(q::place_spelling(conn, p, &v)?.unwrap_or_else(|| v.clone()))
                };
                match param {
                    Param::Action => words.push(catalog::action_by_slug(conn, &v)?.title),
                    Param::Partner => words.push(catalog::partner_by_slug(conn, &v)?.name),
                    Param::Tag => {
                        let name = catalog::public_tag_name(conn, &v)?.unwrap_or_else(|| v.clone());
                        words.push(format!("#{name}"));
                    }
                    Param::City => words.push(place(conn, q::Place::City)?),
                    Param::Region => words.push(place(conn, q::Place::Region)?),
                    Param::Country => words.push(place(conn, q::Place::Country)?),
                    Param::Q => words.push(format!("“{v}”")),
                    Param::Access => {
                        let needs: Vec<String> =
                            wanted.access.iter().map(|n| n.describe()).collect();
                        words.push(format!("with {}", needs.join(", ")));
                    }
                    other => words.push(format!("{} {v}", other.name())),
                }
            }
            let query = wanted.canonical();
            let suffix = if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            };
            let name = if words.is_empty() {
                "All events".to_string()
            } else {
                words.join(" · ")
            };
            Header {
                description: format!("{name}: events on {site}, kept up to date."),
                name,
                page_path: format!("/{suffix}"),
                feed_path: format!("/calendar.ics{suffix}"),
                filename: "calendar.ics".to_string(),
            }
        }
        Spec::Event(_) => {
            return Err(AppError::Unexpected(anyhow::anyhow!(
                "event feed is not a list"
            )))
        }
    })
}

/// Rendered VEVENTs kept between renders, so that after a write only the changed events are
/// rendered again. An entry is good while the event's `updated_at` and the catalog stamp (last
/// change of any partner, action or venue, whose names a VEVENT shows) are the same. Bounded by
/// bytes: when full, it starts over.
pub struct FragmentCache {
    entries: Mutex<FragmentMap>,
    budget: usize,
}

#[derive(Default)]
struct FragmentMap {
    stamp: String,
    bytes: usize,
    by_id: HashMap<i32, (NaiveDateTime, Arc<Fragment>)>,
}

impl FragmentCache {
    pub fn new(budget_bytes: usize) -> FragmentCache {
        FragmentCache {
            entries: Mutex::new(FragmentMap::default()),
            budget: budget_bytes,
        }
    }

    /// Renders the soonest events of the feed window ahead of time (as many as the budget holds,
    /// at about 1.4 KB each), so the first feed requests after a start find them ready.
    pub fn warm(&self, conn: &mut DbConn, links: &Links, from: Bound) -> Result<usize, AppError> {
        let filter = q::Filter {
            from: Some(from),
            include_unpublished: true,
            ..q::Filter::default()
        };
        let most = i64::try_from(self.budget / 1400).unwrap_or(0);
        let keys = q::list_keys(conn, &filter, most)?;
        let ids: Vec<i32> = keys.iter().map(|(id, _)| *id).collect();
        let stamp = catalog::catalog_stamp(conn)?;
        let views = q::views_by_ids(conn, &ids)?;
        let mut cache = self.lock();
        if cache.stamp != stamp {
            cache.by_id.clear();
            cache.bytes = 0;
            cache.stamp = stamp;
        }
        for v in &views {
            let fragment = Arc::new(ical::render_event(v, links));
            if cache.bytes + fragment.len() > self.budget {
                break;
            }
            cache.bytes += fragment.len();
            if let Some((_, old)) = cache
                .by_id
                .insert(v.event.id, (v.event.updated_at, fragment))
            {
                cache.bytes = cache.bytes.saturating_sub(old.len());
            }
        }
        Ok(cache.by_id.len())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FragmentMap> {
        match self.entries.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// Queries and renders one feed: the whole cost of a cache miss.
pub fn render(
    conn: &mut DbConn,
    spec: &Spec,
    settings: &Settings,
    links: &Links,
    fragments: &FragmentCache,
    from: Bound,
) -> Result<Rendered, AppError> {
    let site = &settings.site_name;
    let mut online = Vec::new();
    let mut series_keys = Vec::new();
    let mut list_filter = None;
    let (header, keys) = match spec {
        Spec::Event(id) => {
            // A removed event's own feed is gone (410); list feeds keep a minimal VEVENT.
            let event = q::public_event(conn, *id)?;
            let header = Header {
                name: event.title.clone(),
                description: format!("{} — from {site}", event.title),
                page_path: format!("/events/{id}"),
                feed_path: format!("/events/{id}.ics"),
                filename: format!("event-{id}.ics"),
            };
            if event.rrule.is_some() {
                series_keys.push((event.id, event.updated_at));
                (header, Vec::new())
            } else {
                (header, vec![(event.id, event.updated_at)])
            }
        }
        list => {
            let mut filter = q::Filter {
                from: Some(from),
                include_unpublished: true,
                ..q::Filter::default()
            };
            let mut header = list_header(conn, list, site, &mut filter)?;
            if matches!(list, Spec::Action(_) | Spec::Partner(_)) {
                let from_day = match from {
                    Bound::Date(d) => d,
                    Bound::Instant(t) => t.date(),
                };
                online = crate::db::queries::online::for_feed(
                    conn,
                    filter.action_id,
                    filter.partner_id,
                    from_day,
                )?;
            }
            series_keys = q::series_keys(conn, &filter)?;
            let mut keys = q::list_keys(conn, &filter, MAX_FEED_EVENTS + 1)?;
            list_filter = Some(filter);
            if keys.len() as i64 > MAX_FEED_EVENTS {
                // Never cut silently: the calendar says so, and the log too.
                keys.truncate(MAX_FEED_EVENTS as usize);
                // The path alone: a query string (a `near`, say) is never logged.
                let path = header.feed_path.split('?').next().unwrap_or_default();
                tracing::warn!(feed = %path, "feed holds more than {MAX_FEED_EVENTS} events; truncated");
                header.description.push_str(&format!(
                    " (This feed shows the first {MAX_FEED_EVENTS} events; subscribe to a narrower one: an action, a partner, a city or a tag.)"
                ));
            }
            (header, keys)
        }
    };
    let stamp = catalog::catalog_stamp(conn)?;
    // Reuse what is still current; render the rest.
    let mut found: Vec<Option<Arc<Fragment>>> = {
        let mut cache = fragments.lock();
        if cache.stamp != stamp {
            cache.by_id.clear();
            cache.bytes = 0;
            cache.stamp.clone_from(&stamp);
        }
        keys.iter()
            .map(|(id, updated)| match cache.by_id.get(id) {
                Some((at, f)) if at == updated => Some(f.clone()),
                _ => None,
            })
            .collect()
    };
    let missing: Vec<i32> = keys
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|((id, _), _)| *id)
        .collect();
    if !missing.is_empty() {
        let views = q::views_by_ids(conn, &missing)?;
        let fresh: HashMap<i32, (NaiveDateTime, Arc<Fragment>)> = views
            .iter()
            .map(|v| {
                (
                    v.event.id,
                    (v.event.updated_at, Arc::new(ical::render_event(v, links))),
                )
            })
            .collect();
        for (slot, (id, _)) in found.iter_mut().zip(&keys) {
            if slot.is_none() {
                *slot = fresh.get(id).map(|(_, f)| f.clone());
            }
        }
        let mut cache = fragments.lock();
        if cache.stamp == stamp {
            let added: usize = fresh.values().map(|(_, f)| f.len()).sum();
            if cache.bytes + added > fragments.budget {
                cache.by_id.clear();
                cache.bytes = 0;
            }
            if added <= fragments.budget {
                for (id, entry) in fresh {
                    let size = entry.1.len();
                    if let Some((_, old)) = cache.by_id.insert(id, entry) {
                        cache.bytes = cache.bytes.saturating_sub(old.len());
                    }
                    cache.bytes += size;
                }
            }
        }
    }
    // Series render on every miss (few, and what they hold follows the window).
    let window_start = match from {
        Bound::Instant(t) => t,
        Bound::Date(d) => d.and_time(chrono::NaiveTime::MIN),
    };
    let series_ids: Vec<i32> = series_keys.iter().map(|(id, _)| *id).collect();
    let mut series: Vec<Fragment> = Vec::with_capacity(series_ids.len());
    for v in q::views_by_ids(conn, &series_ids)? {
        // A feed filtered by place holds the occurrences that are there (changed ones move).
        let placed = match &list_filter {
            Some(f) => q::series_in_place(f, v),
            None => q::SeriesInFeed::Whole(Box::new(v)),
        };
        match placed {
            q::SeriesInFeed::Whole(v) => series.push(ical::render_series(&v, links, window_start)),
            q::SeriesInFeed::Parts(parts) => {
                for mut own in parts {
                    if let Some(key) = own.occurrence.take() {
                        own.event.uid = ical::shifted_uid(&own.event.uid, key);
                    }
                    series.push(ical::render_event(&own, links));
                }
            }
        }
    }
    let newest = keys
        .iter()
        .chain(series_keys.iter())
        .map(|(_, t)| *t)
        .chain(online.iter().map(|o| o.row.updated_at))
        .max();
    let deadlines: Vec<Fragment> = online
        .iter()
        .filter_map(|o| ical::render_online_action(o, links))
        .collect();
    let meta = CalendarMeta {
        name: format!("{site} — {}", header.name),
        description: header.description,
        page_url: links.page(&header.page_path),
        feed_url: links.page(&header.feed_path),
        refresh_minutes: settings.feeds.refresh_interval_minutes,
    };
    let events: Vec<&Fragment> = found
        .iter()
        .flatten()
        .map(|f| f.as_ref())
        .chain(series.iter())
        .chain(deadlines.iter())
        .collect();
    Ok(Rendered {
        parts: ical::assemble_parts(&meta, events.iter().copied()),
        filename: header.filename,
        newest_change: newest.map_or_else(SystemTime::now, |t| t.and_utc().into()),
    })
}
