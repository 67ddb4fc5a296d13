//! Partners, actions, venues.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::AggregateExpressionMethods;

use crate::db::models::*;
use crate::db::schema::{
    action_partners, actions, event_partners, event_tags, events, partners, tags, venues,
};
use crate::db::DbConn;
use crate::domain::access::Accessibility;
use crate::domain::catalog::{ActionDraft, PartnerDraft, VenueDraft};
use crate::domain::event::Role;
use crate::domain::Errors;
use crate::error::AppError;

use super::now;

pub fn create_partner(conn: &mut DbConn, d: &PartnerDraft) -> Result<Partner, AppError> {
    crate::db::write_tx(conn, |conn| {
        let exists: i64 = partners::table
            .filter(partners::slug.eq(&d.slug))
            .count()
            .get_result(conn)?;
        if exists > 0 {
            return Err(AppError::Conflict(format!(
                "a partner with slug {:?} exists",
                d.slug
            )));
        }
        let t = now();
        let id: i32 = diesel::insert_into(partners::table)
            .values(NewPartner {
                slug: &d.slug,
                name: &d.name,
                website: d.website.as_deref(),
                description: &d.description,
                created_at: t,
                updated_at: t,
            })
            .returning(partners::id)
            .get_result(conn)?;
        Ok(partners::table
            .find(id)
            .select(Partner::as_select())
            .first(conn)?)
    })
}

pub fn list_partners(conn: &mut DbConn) -> QueryResult<Vec<Partner>> {
    partners::table
        .order(partners::name.asc())
        .select(Partner::as_select())
        .load(conn)
}

pub fn partner_by_slug(conn: &mut DbConn, slug: &str) -> Result<Partner, AppError> {
    partners::table
        .filter(partners::slug.eq(slug))
        .select(Partner::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("there is no partner {slug:?}")))
}

/// Resolves partner slugs, reporting each unknown one against `field_of(index)`.
/// The id of the action a record names by `slug`, if any; an unknown slug adds an error on the
/// field `action` (so the caller can report it beside the other fields' errors).
pub fn action_ref(
    conn: &mut DbConn,
    slug: Option<&str>,
    errors: &mut Vec<crate::error::FieldError>,
) -> QueryResult<Option<i32>> {
    let Some(slug) = slug else { return Ok(None) };
    let id = actions::table
        .filter(actions::slug.eq(slug))
        .select(actions::id)
        .first::<i32>(conn)
        .optional()?;
    if id.is_none() {
        errors.push(crate::error::FieldError::new(
            "action",
            crate::domain::message::Msg::NoAction {
                slug: slug.to_string(),
            },
        ));
    }
    Ok(id)
}

pub fn partner_ids(
    conn: &mut DbConn,
    slugs: &[&str],
    field_of: impl Fn(usize) -> String,
) -> Result<Vec<i32>, AppError> {
    let found: HashMap<String, i32> = partners::table
        .filter(partners::slug.eq_any(slugs))
        .select((partners::slug, partners::id))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect();
    let mut e = Errors::default();
    let ids = slugs
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let id = found.get(*s).copied();
            if id.is_none() {
                e.push(
                    field_of(i),
                    crate::domain::message::Msg::NoPartner {
                        slug: s.to_string(),
                    },
                );
            }
            id
        })
        .collect();
    e.finish(ids)
}

pub fn create_action(conn: &mut DbConn, d: &ActionDraft) -> Result<Action, AppError> {
    crate::db::write_tx(conn, |conn| {
        let exists: i64 = actions::table
            .filter(actions::slug.eq(&d.slug))
            .count()
            .get_result(conn)?;
        if exists > 0 {
            return Err(AppError::Conflict(format!(
                "an action with slug {:?} exists",
                d.slug
            )));
        }
        let slugs: Vec<&str> = d.partners.iter().map(String::as_str).collect();
        let partner_ids = partner_ids(conn, &slugs, |i| format!("partners[{i}]"))?;
        let t = now();
        let action_id: i32 = diesel::insert_into(actions::table)
            .values(NewAction {
                slug: &d.slug,
                title: &d.title,
                description: &d.description,
                hashtags: serde_json::to_string(&d.hashtags)?,
                first_day: d.first_day,
                last_day: d.last_day,
                created_at: t,
                updated_at: t,
            })
            .returning(actions::id)
            .get_result(conn)?;
        let action: Action = actions::table
            .find(action_id)
            .select(Action::as_select())
            .first(conn)?;
        let mut seen = std::collections::HashSet::new();
        for (pos, pid) in partner_ids.iter().enumerate() {
            if !seen.insert(*pid) {
                continue;
            }
            diesel::insert_into(action_partners::table)
                .values((
                    action_partners::action_id.eq(action.id),
                    action_partners::partner_id.eq(pid),
                    action_partners::position.eq(pos as i32),
                ))
                .execute(conn)?;
        }
        Ok(action)
    })
}

/// An action with what its public page and JSON show.
pub struct ActionView {
    pub action: Action,
    pub partners: Vec<(String, String)>,
    pub event_count: i64,
    pub city_count: i64,
}

fn action_views(conn: &mut DbConn, list: Vec<Action>) -> QueryResult<Vec<ActionView>> {
    let ids: Vec<i32> = list.iter().map(|a| a.id).collect();
    let mut leads: HashMap<i32, Vec<(String, String)>> = HashMap::new();
    for (aid, slug, name) in action_partners::table
        .inner_join(partners::table)
        .filter(action_partners::action_id.eq_any(&ids))
        .order((action_partners::action_id, action_partners::position))
        .select((action_partners::action_id, partners::slug, partners::name))
        .load::<(i32, String, String)>(conn)?
    {
        leads.entry(aid).or_default().push((slug, name));
    }
    let public = events::review
        .eq("approved")
        .and(events::deleted_at.is_null());
    let counts: HashMap<i32, i64> = events::table
        .filter(public)
        .filter(events::action_id.eq_any(&ids))
        .group_by(events::action_id)
        .select((
            events::action_id.assume_not_null(),
            diesel::dsl::count_star(),
        ))
        .load::<(i32, i64)>(conn)?
        .into_iter()
        .collect();
    // Distinct cities per action: the action's venues first (read from the index
    // events_action_public alone), then their cities; not a join of every event with its venue.
    let mut cities: HashMap<i32, i64> = HashMap::new();
    for &id in &ids {
        let n: i64 = venues::table
            .filter(venues::city.is_not_null())
            .filter(
                venues::id.nullable().eq_any(
                    events::table
                        .filter(public)
                        .filter(events::action_id.eq(id))
                        .select(events::venue_id),
                ),
            )
            .select(diesel::dsl::count(venues::city).aggregate_distinct())
            .first(conn)?;
        cities.insert(id, n);
    }
    Ok(list
        .into_iter()
        .map(|action| ActionView {
            partners: leads.remove(&action.id).unwrap_or_default(),
            event_count: counts.get(&action.id).copied().unwrap_or(0),
            city_count: cities.get(&action.id).copied().unwrap_or(0),
            action,
        })
        .collect())
}

pub fn list_actions(conn: &mut DbConn) -> QueryResult<Vec<ActionView>> {
    let list = actions::table
        .order((actions::first_day.desc(), actions::title.asc()))
        .select(Action::as_select())
        .load(conn)?;
    action_views(conn, list)
}

/// Every action as (slug, title), in `list_actions` order: what a `<select>` offers. No
/// counts, so its cost follows the number of actions, not of their events.
pub fn action_choices(conn: &mut DbConn) -> QueryResult<Vec<(String, String)>> {
    actions::table
        .order((actions::first_day.desc(), actions::title.asc()))
        .select((actions::slug, actions::title))
        .load(conn)
}

pub fn action_by_slug(conn: &mut DbConn, slug: &str) -> Result<Action, AppError> {
    actions::table
        .filter(actions::slug.eq(slug))
        .select(Action::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("there is no action {slug:?}")))
}

pub fn action_view(conn: &mut DbConn, action: Action) -> Result<ActionView, AppError> {
    action_views(conn, vec![action])?
        .pop()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("action view vanished")))
}

diesel::define_sql_function! {
    /// SQL `lower()`: case-insensitive comparisons written the same way on both backends.
    fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// A venue with the same name, address and city (case-insensitive; missing matches missing).
pub fn find_venue(conn: &mut DbConn, d: &VenueDraft) -> QueryResult<Option<Venue>> {
    let mut q = venues::table
        .filter(lower(venues::name.nullable()).eq(lower(Some(d.name.as_str()))))
        .into_boxed();
    q = match d.address.as_deref() {
        Some(a) => q.filter(lower(venues::address).eq(lower(Some(a)))),
        None => q.filter(venues::address.is_null()),
    };
    q = match d.city.as_deref() {
        Some(c) => q.filter(lower(venues::city).eq(lower(Some(c)))),
        None => q.filter(venues::city.is_null()),
    };
    q.order(venues::id)
        .select(Venue::as_select())
        .first(conn)
        .optional()
}

/// Finds the venue (see [`find_venue`]) or creates it.
pub fn find_or_create_venue(conn: &mut DbConn, d: &VenueDraft) -> Result<Venue, AppError> {
    match find_venue(conn, d)? {
        Some(v) => Ok(v),
        None => create_venue(conn, d),
    }
}

/// Where `near` places a venue at this place (`geo::centre_of`): `None` when it has
/// coordinates of its own.
fn centre(
    own: (Option<f64>, Option<f64>),
    postal_code: Option<&str>,
    city: Option<&str>,
    region: Option<&str>,
    country: Option<&str>,
) -> Option<crate::geo::Point> {
    match own {
        (Some(_), Some(_)) => None,
        _ => crate::geo::centre_of(postal_code, city, region, country),
    }
}

/// [`centre`] of a draft, with coordinates `own` (the draft's when created, the stored ones
/// when corrected: `update_venue` keeps them).
fn draft_centre(own: (Option<f64>, Option<f64>), d: &VenueDraft) -> Option<crate::geo::Point> {
    centre(
        own,
        d.postal_code.as_deref(),
        d.city.as_deref(),
        d.region.as_deref(),
        d.country.as_deref(),
    )
}

pub fn create_venue(conn: &mut DbConn, d: &VenueDraft) -> Result<Venue, AppError> {
    let t = now();
    let centre = draft_centre((d.lat, d.lon), d);
    let access = Accessibility::to_column(d.accessibility.as_ref());
    let id: i32 = diesel::insert_into(venues::table)
        .values(NewVenue {
            name: &d.name,
            address: d.address.as_deref(),
            city: d.city.as_deref(),
            region: d.region.as_deref(),
            postal_code: d.postal_code.as_deref(),
            country: d.country.as_deref(),
            lat: d.lat,
            lon: d.lon,
            timezone: d.timezone.map(|z| z.name()),
            created_at: t,
            updated_at: t,
            approx_lat: centre.map(|p| p.lat),
            approx_lon: centre.map(|p| p.lon),
            located: 1,
            accessibility: access.as_deref(),
        })
        .returning(venues::id)
        .get_result(conn)?;
    Ok(venues::table
        .find(id)
        .select(Venue::as_select())
        .first(conn)?)
}

pub fn venue_by_id(conn: &mut DbConn, id: i32) -> QueryResult<Option<Venue>> {
    venues::table
        .find(id)
        .select(Venue::as_select())
        .first(conn)
        .optional()
}

/// Venues of at least one public event (a venue of a pending submission stays private).
pub fn list_public_venues(conn: &mut DbConn) -> QueryResult<Vec<Venue>> {
    let used = events::table
        .filter(events::review.eq("approved"))
        .filter(events::deleted_at.is_null())
        .filter(events::venue_id.is_not_null())
        .select(events::venue_id.assume_not_null());
    venues::table
        .filter(venues::id.eq_any(used))
        // Unknown parts last, the same on both backends (SQLite sorts NULL first, PostgreSQL
        // last).
        .order((
            venues::country.is_null(),
            venues::country,
            venues::region.is_null(),
            venues::region,
            venues::city.is_null(),
            venues::city,
            venues::name,
            venues::id,
        ))
        .select(Venue::as_select())
        .load(conn)
}

/// Venues the event form offers. Admins get every venue; an organizer gets the venues of public
/// events, of the events its partner may edit, and venues no event uses yet (made by an admin),
/// but never a place known only from a pending submission or a removed event.
pub fn venues_for_editor(
    conn: &mut DbConn,
    who: &crate::auth::Principal,
) -> QueryResult<Vec<Venue>> {
    let mut q = venues::table.into_boxed();
    if !who.is_admin() {
        let pid = who.partner_id().unwrap_or(-1);
        let public = events::table
            .filter(events::review.eq("approved"))
            .filter(events::deleted_at.is_null())
            .filter(events::venue_id.is_not_null())
            .select(events::venue_id.assume_not_null());
        let editors = [Role::Host, Role::CoHost].map(Role::as_str);
        let own = events::table
            .filter(
                events::id.eq_any(
                    event_partners::table
                        .filter(event_partners::partner_id.eq(pid))
                        .filter(event_partners::role.eq_any(editors))
                        .select(event_partners::event_id),
                ),
            )
            .filter(events::venue_id.is_not_null())
            .select(events::venue_id.assume_not_null());
        let used = events::table
            .filter(events::venue_id.is_not_null())
            .select(events::venue_id.assume_not_null());
        q = q.filter(
            venues::id
                .eq_any(public)
                .or(venues::id.eq_any(own))
                .or(diesel::dsl::not(venues::id.eq_any(used))),
        );
    }
    q.order((venues::city, venues::name))
        .limit(2000)
        .select(Venue::as_select())
        .load(conn)
}

/// Partners an event lists, with their roles (for permission checks).
pub fn event_partner_roles(conn: &mut DbConn, event_id: i32) -> QueryResult<Vec<(i32, String)>> {
    event_partners::table
        .filter(event_partners::event_id.eq(event_id))
        .select((event_partners::partner_id, event_partners::role))
        .load(conn)
}

/// A tag's id by name, matched case-insensitively.
pub fn tag_id(conn: &mut DbConn, name: &str) -> QueryResult<Option<i32>> {
    tags::table
        .filter(lower(tags::name.nullable()).eq(lower(Some(name))))
        .select(tags::id)
        .first(conn)
        .optional()
}

/// A tag's stored spelling, matched case-insensitively — only if a public event carries it, so
/// that tags of pending submissions or removed events cannot be probed.
pub fn public_tag_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<String>> {
    let public_events = events::table
        .filter(events::review.eq("approved"))
        .filter(events::deleted_at.is_null())
        .select(events::id);
    tags::table
        .filter(lower(tags::name.nullable()).eq(lower(Some(name))))
        .filter(
            tags::id.eq_any(
                event_tags::table
                    .filter(event_tags::event_id.eq_any(public_events))
                    .select(event_tags::tag_id),
            ),
        )
        .select(tags::name)
        .first(conn)
        .optional()
}

/// The last edit of any partner, action or venue (names and places a VEVENT shows). New rows
/// do not count: no rendered event can show them yet.
pub fn catalog_stamp(conn: &mut DbConn) -> QueryResult<String> {
    use diesel::dsl::max;
    let partners: Option<chrono::NaiveDateTime> = partners::table
        .filter(partners::updated_at.gt(partners::created_at))
        .select(max(partners::updated_at))
        .first(conn)?;
    let actions: Option<chrono::NaiveDateTime> = actions::table
        .filter(actions::updated_at.gt(actions::created_at))
        .select(max(actions::updated_at))
        .first(conn)?;
    let venues: Option<chrono::NaiveDateTime> = venues::table
        .filter(venues::updated_at.gt(venues::created_at))
        .select(max(venues::updated_at))
        .first(conn)?;
    Ok(format!("{partners:?}|{actions:?}|{venues:?}"))
}

/// Changes whenever anything a feed shows changes (rows are never removed: deletes are soft).
pub fn change_fingerprint(conn: &mut DbConn) -> QueryResult<String> {
    use crate::db::schema::online_actions;
    use diesel::dsl::max;
    let events_changed: Option<chrono::NaiveDateTime> =
        events::table.select(max(events::updated_at)).first(conn)?;
    let events_last: Option<i32> = events::table.select(max(events::id)).first(conn)?;
    let partners: Option<chrono::NaiveDateTime> = partners::table
        .select(max(partners::updated_at))
        .first(conn)?;
    let actions: Option<chrono::NaiveDateTime> = actions::table
        .select(max(actions::updated_at))
        .first(conn)?;
    let venues_changed: Option<chrono::NaiveDateTime> =
        venues::table.select(max(venues::updated_at)).first(conn)?;
    let venues_last: Option<i32> = venues::table.select(max(venues::id)).first(conn)?;
    let online: Option<chrono::NaiveDateTime> = online_actions::table
        .select(max(online_actions::updated_at))
        .first(conn)?;
    Ok(format!(
        "{events_changed:?}|{events_last:?}|{partners:?}|{actions:?}|{venues_changed:?}|{venues_last:?}|{online:?}"
    ))
}

/// Replaces a partner's public fields (its slug stays: links and feeds use it).
pub fn update_partner(
    conn: &mut DbConn,
    slug: &str,
    d: &PartnerDraft,
) -> Result<Partner, AppError> {
    crate::db::write_tx(conn, |conn| {
        let p = partner_by_slug(conn, slug)?;
        let id: i32 = diesel::update(partners::table.find(p.id))
            .set((
                partners::name.eq(&d.name),
                partners::website.eq(d.website.as_deref()),
                partners::description.eq(&d.description),
                partners::updated_at.eq(now()),
            ))
            .returning(partners::id)
            .get_result(conn)?;
        Ok(partners::table
            .find(id)
            .select(Partner::as_select())
            .first(conn)?)
    })
}

/// Replaces an action's fields and lead partners (its slug stays).
pub fn update_action(conn: &mut DbConn, slug: &str, d: &ActionDraft) -> Result<Action, AppError> {
    crate::db::write_tx(conn, |conn| {
        let a = action_by_slug(conn, slug)?;
        let slugs: Vec<&str> = d.partners.iter().map(String::as_str).collect();
        let partner_ids = partner_ids(conn, &slugs, |i| format!("partners[{i}]"))?;
        let action_id: i32 = diesel::update(actions::table.find(a.id))
            .set((
                actions::title.eq(&d.title),
                actions::description.eq(&d.description),
                actions::hashtags.eq(serde_json::to_string(&d.hashtags)?),
                actions::first_day.eq(d.first_day),
                actions::last_day.eq(d.last_day),
                actions::updated_at.eq(now()),
            ))
            .returning(actions::id)
            .get_result(conn)?;
        let action: Action = actions::table
            .find(action_id)
            .select(Action::as_select())
            .first(conn)?;
        diesel::delete(action_partners::table.filter(action_partners::action_id.eq(a.id)))
            .execute(conn)?;
        let mut seen = std::collections::HashSet::new();
        for (pos, pid) in partner_ids.iter().enumerate() {
            if !seen.insert(*pid) {
                continue;
            }
            diesel::insert_into(action_partners::table)
                .values((
                    action_partners::action_id.eq(a.id),
                    action_partners::partner_id.eq(pid),
                    action_partners::position.eq(pos as i32),
                ))
                .execute(conn)?;
        }
        Ok(action)
    })
}

/// Gives the venues written before their centres were kept (`located = 0`) their postal
/// code's or city's centre; how many it looked at. Run at start, in the background.
pub fn locate_venues(conn: &mut DbConn) -> QueryResult<usize> {
    let todo: Vec<Venue> = venues::table
        .filter(venues::located.eq(0))
        .order(venues::id)
        .select(Venue::as_select())
        .load(conn)?;
    for v in &todo {
        let c = centre(
            (v.lat, v.lon),
            v.postal_code.as_deref(),
            v.city.as_deref(),
            v.region.as_deref(),
            v.country.as_deref(),
        );
        // Not over a venue written meanwhile (it placed itself).
        diesel::update(venues::table.find(v.id).filter(venues::located.eq(0)))
            .set((
                venues::approx_lat.eq(c.map(|p| p.lat)),
                venues::approx_lon.eq(c.map(|p| p.lon)),
                venues::located.eq(1),
            ))
            .execute(conn)?;
    }
    Ok(todo.len())
}

/// Corrects a venue (its events keep pointing at it; their feeds show the new text).
pub fn update_venue(conn: &mut DbConn, id: i32, d: &VenueDraft) -> Result<Venue, AppError> {
    crate::db::write_tx(conn, |conn| {
        let was = venue_by_id(conn, id)?
            .ok_or_else(|| AppError::NotFound(format!("there is no venue {id}")))?;
        // Its own coordinates stay; the centre follows the new postal code or city.
        let c = draft_centre((was.lat, was.lon), d);
        let access = Accessibility::to_column(d.accessibility.as_ref());
        diesel::update(venues::table.find(id))
            .set((
                venues::name.eq(&d.name),
                venues::address.eq(d.address.as_deref()),
                venues::city.eq(d.city.as_deref()),
                venues::region.eq(d.region.as_deref()),
                venues::postal_code.eq(d.postal_code.as_deref()),
                venues::country.eq(d.country.as_deref()),
                venues::timezone.eq(d.timezone.map(|z| z.name())),
                venues::updated_at.eq(now()),
                venues::approx_lat.eq(c.map(|p| p.lat)),
                venues::approx_lon.eq(c.map(|p| p.lon)),
                venues::located.eq(1),
                venues::accessibility.eq(access.as_deref()),
            ))
            .execute(conn)?;
        if access != was.accessibility {
            crate::db::queries::events::rekey_venue(
                conn,
                id,
                was.access().as_ref(),
                d.accessibility.as_ref(),
            )?;
        }
        Ok(venues::table
            .find(id)
            .select(Venue::as_select())
            .first(conn)?)
    })
}
