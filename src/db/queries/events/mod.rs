//! Events, in three files by responsibility: the read model (`views`: what an event shows,
//! loaded in batches), the writes (`writes`: each in one IMMEDIATE transaction with its revision
//! row) and the listing (`listing`: the filters, the keyset cursor and the other reads of many
//! events). Everything is re-exported here, so `queries::events::X` stays the one path.

mod listing;
mod views;
mod writes;

pub use listing::{
    count_events, export_all, list, list_keys, pending, place_counts, place_spelling,
    recent_changes, recent_revisions, resolve_filter, revisions, series_in_place, series_keys,
    unpublished_since, Cursor, Filter, NearVenues, Place, PlaceCount, SeriesInFeed,
};
pub use views::{
    event_by_id, event_by_uid, load_views, public_event, public_view, view_by_id, views_by_ids,
    EventView, Override, PartnerOnEvent,
};
pub use writes::{
    authorize, cancel, change_occurrence, create, create_reviewed, delete, exclude_occurrence,
    new_uid, occurrence_of, rekey_venue, restore, set_review, update, update_with, upsert,
    validate, Upserted,
};
