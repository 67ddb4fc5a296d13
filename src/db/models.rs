//! Rows as stored, and their insert forms.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::*;
use crate::domain::event::Review;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = partners)]
pub struct Partner {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub website: Option<String>,
    pub description: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = partners)]
pub struct NewPartner<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub website: Option<&'a str>,
    pub description: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = actions)]
pub struct Action {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub hashtags: String,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Action {
    pub fn hashtag_list(&self) -> Vec<String> {
        serde_json::from_str(&self.hashtags).unwrap_or_default()
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = actions)]
pub struct NewAction<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub hashtags: String,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = venues)]
pub struct Venue {
    pub id: i32,
    pub name: String,
    pub address: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub timezone: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Without `lat`/`lon`: the centre of its postal code or city (`geo::centre_of`).
    pub approx_lat: Option<f64>,
    pub approx_lon: Option<f64>,
    pub located: i32,
    /// The default of its events' accessibility, canonical JSON.
    pub accessibility: Option<String>,
}

impl Venue {
    /// Its own accessibility (what its events say unless they say otherwise).
    pub fn access(&self) -> Option<crate::domain::access::Accessibility> {
        crate::domain::access::Accessibility::from_column(self.accessibility.as_deref())
    }

    /// Where `near` measures from: its own coordinates, or its approximate centre (`true`).
    pub fn point(&self) -> Option<(crate::geo::Point, bool)> {
        match (self.lat, self.lon, self.approx_lat, self.approx_lon) {
            (Some(lat), Some(lon), _, _) => Some((crate::geo::Point { lat, lon }, false)),
            (_, _, Some(lat), Some(lon)) => Some((crate::geo::Point { lat, lon }, true)),
            _ => None,
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = venues)]
pub struct NewVenue<'a> {
    pub name: &'a str,
    pub address: Option<&'a str>,
    pub city: Option<&'a str>,
    pub region: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub country: Option<&'a str>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub timezone: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub approx_lat: Option<f64>,
    pub approx_lon: Option<f64>,
    pub located: i32,
    pub accessibility: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: i32,
    pub uid: String,
    pub title: String,
    pub description: String,
    #[diesel(deserialize_as = FastTimestamp)]
    pub start_local: NaiveDateTime,
    #[diesel(deserialize_as = FastTimestamp)]
    pub end_local: NaiveDateTime,
    pub timezone: String,
    #[diesel(deserialize_as = FastTimestamp)]
    pub start_utc: NaiveDateTime,
    #[diesel(deserialize_as = FastTimestamp)]
    pub end_utc: NaiveDateTime,
    pub all_day: bool,
    pub venue_id: Option<i32>,
    pub online_url: Option<String>,
    pub info_url: Option<String>,
    pub action_id: Option<i32>,
    pub status: String,
    pub review: String,
    pub sequence: i32,
    #[diesel(deserialize_as = FastTimestamp)]
    pub created_at: NaiveDateTime,
    #[diesel(deserialize_as = FastTimestamp)]
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    /// When it stopped being public (deleted or rejected after approval); only events that had
    /// been public have it.
    pub unpublished_at: Option<NaiveDateTime>,
    /// An admin deleted or rejected it; only an admin may undo that.
    pub removed_by_admin: bool,
    /// A series: its RRULE (canonical text, `domain::recurrence::Rule::to_text`).
    pub rrule: Option<String>,
    /// A series' excluded local starts, a JSON array.
    pub exdates: String,
    /// A series: the end of its last occurrence (UTC); `None` when it never ends.
    pub series_end_utc: Option<NaiveDateTime>,
    /// Its own accessibility, canonical JSON (`domain::access::Accessibility`).
    pub accessibility: Option<String>,
    /// What the `access` filter matches (its own accessibility over its venue's).
    pub access_keys: String,
}

impl Event {
    /// Approved and not deleted: everything of it may be shown.
    pub fn is_public(&self) -> bool {
        self.review == Review::Approved.as_str() && self.deleted_at.is_none()
    }

    /// Was public and is not any more (deleted, or rejected after approval). Public outputs
    /// show it only as a removed event: a 410, a tombstone, a minimal cancelled VEVENT.
    pub fn is_unpublished(&self) -> bool {
        !self.is_public() && self.unpublished_at.is_some()
    }

    /// What subscribers see as cancelled: cancelled by its organizers, or removed.
    pub fn shows_as_cancelled(&self) -> bool {
        self.status == "cancelled" || !self.is_public()
    }
}

/// The columns a create or an update writes.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = events, treat_none_as_null = true)]
pub struct EventFields<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub start_local: NaiveDateTime,
    pub end_local: NaiveDateTime,
    pub timezone: &'a str,
    pub start_utc: NaiveDateTime,
    pub end_utc: NaiveDateTime,
    pub all_day: bool,
    pub venue_id: Option<i32>,
    pub online_url: Option<&'a str>,
    pub info_url: Option<&'a str>,
    pub action_id: Option<i32>,
    pub status: &'a str,
    pub sequence: i32,
    pub updated_at: NaiveDateTime,
    pub rrule: Option<String>,
    pub exdates: String,
    pub series_end_utc: Option<NaiveDateTime>,
    pub accessibility: Option<String>,
    pub access_keys: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = events)]
pub struct NewEvent<'a> {
    pub uid: &'a str,
    pub review: &'a str,
    pub created_at: NaiveDateTime,
    #[diesel(embed)]
    pub fields: EventFields<'a>,
}

/// One occurrence of a series changed or cancelled (an override, `RECURRENCE-ID` in feeds).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = event_occurrences)]
pub struct OccurrenceRow {
    pub event_id: i32,
    /// The occurrence's local start under the series' rule: its key.
    pub occurrence_local: NaiveDateTime,
    /// The change as given (a JSON merge patch of event fields over the series).
    pub patch: String,
    pub title: String,
    pub description: String,
    pub venue_id: Option<i32>,
    pub online_url: Option<String>,
    pub info_url: Option<String>,
    pub start_local: NaiveDateTime,
    pub end_local: NaiveDateTime,
    pub start_utc: NaiveDateTime,
    pub end_utc: NaiveDateTime,
    pub status: String,
    pub sequence: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Its own day of action, when its change names one (`patch` says whether it does).
    pub action_id: Option<i32>,
    /// Its own partners, JSON `[[id, role], …]`; NULL: the series'.
    pub partners: Option<String>,
    /// Its own tags, JSON `["name", …]`; NULL: the series'.
    pub tags: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = event_revisions)]
pub struct Revision {
    pub id: i32,
    pub event_id: i32,
    pub kind: String,
    pub actor: String,
    pub created_at: NaiveDateTime,
    pub snapshot: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i32,
    pub name: String,
    pub partner_id: Option<i32>,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub partner_id: Option<i32>,
    pub disabled_at: Option<NaiveDateTime>,
}

/// Reads a TIMESTAMP column fast. diesel's SQLite `NaiveDateTime` tries chrono format strings one
/// after another (about a microsecond each); feeds read six timestamps per event, so this parses
/// our own stored form (`YYYY-MM-DD HH:MM:SS[.ffffff]`) by hand and falls back to diesel for
/// anything else.
#[derive(Debug, Clone, Copy, diesel::deserialize::FromSqlRow)]
pub struct FastTimestamp(pub NaiveDateTime);

impl From<FastTimestamp> for NaiveDateTime {
    fn from(t: FastTimestamp) -> Self {
        t.0
    }
}

fn parse_stored_timestamp(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let nanos = match b.get(19) {
        None => 0,
        Some(b'.') => {
            let frac = &b[20..];
            if frac.is_empty() || frac.len() > 9 || !frac.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let v = frac
                .iter()
                .fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'));
            v * 10u32.pow(9 - frac.len() as u32)
        }
        Some(_) => return None,
    };
    let date =
        chrono::NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)?;
    let time =
        chrono::NaiveTime::from_hms_nano_opt(num(11..13)?, num(14..16)?, num(17..19)?, nanos)?;
    Some(date.and_time(time))
}

#[cfg(feature = "sqlite")]
impl diesel::deserialize::FromSql<diesel::sql_types::Timestamp, diesel::sqlite::Sqlite>
    for FastTimestamp
{
    fn from_sql(
        mut value: diesel::sqlite::SqliteValue<'_, '_, '_>,
    ) -> diesel::deserialize::Result<Self> {
        if value.value_type() == Some(diesel::sqlite::SqliteType::Text) {
            if let Some(t) = parse_stored_timestamp(value.read_text()) {
                return Ok(FastTimestamp(t));
            }
        }
        <NaiveDateTime as diesel::deserialize::FromSql<
            diesel::sql_types::Timestamp,
            diesel::sqlite::Sqlite,
        >>::from_sql(value)
        .map(FastTimestamp)
    }
}

/// PostgreSQL sends timestamps in binary: nothing to speed up.
#[cfg(feature = "postgres")]
impl diesel::deserialize::FromSql<diesel::sql_types::Timestamp, diesel::pg::Pg> for FastTimestamp {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        <NaiveDateTime as diesel::deserialize::FromSql<
            diesel::sql_types::Timestamp,
            diesel::pg::Pg,
        >>::from_sql(value)
        .map(FastTimestamp)
    }
}

impl diesel::deserialize::FromSql<diesel::sql_types::Timestamp, crate::db::Db> for FastTimestamp {
    fn from_sql(
        value: <crate::db::Db as diesel::backend::Backend>::RawValue<'_>,
    ) -> diesel::deserialize::Result<Self> {
        value.from_sql::<FastTimestamp, diesel::sql_types::Timestamp>()
    }
}

#[cfg(test)]
mod tests {
    use super::parse_stored_timestamp;

    #[test]
    fn stored_timestamps() {
        let t = |s| parse_stored_timestamp(s).map(|t| t.to_string());
        assert_eq!(
            t("2027-09-13 16:00:00").as_deref(),
            Some("2027-09-13 16:00:00")
        );
        assert_eq!(
            t("2027-09-13 16:00:00.123456").as_deref(),
            Some("2027-09-13 16:00:00.123456")
        );
        assert_eq!(
            t("2027-09-13T16:00:00.5").as_deref(),
            Some("2027-09-13 16:00:00.500")
        );
        assert_eq!(t("2027-02-30 16:00:00"), None);
        assert_eq!(t("2459000.5"), None);
        assert_eq!(t("2027-09-13 16:00:00Z"), None);
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = online_actions)]
pub struct OnlineAction {
    pub id: i32,
    pub uid: String,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub action_id: Option<i32>,
    pub url: String,
    pub goal: Option<i32>,
    pub count: Option<i32>,
    pub deadline: Option<NaiveDate>,
    pub timezone: String,
    pub status: String,
    pub sequence: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// The columns a create or an update of an online action writes.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = online_actions, treat_none_as_null = true)]
pub struct OnlineActionFields<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub action_id: Option<i32>,
    pub url: &'a str,
    pub goal: Option<i32>,
    pub count: Option<i32>,
    pub deadline: Option<NaiveDate>,
    pub timezone: &'a str,
    pub status: &'a str,
    pub sequence: i32,
    pub updated_at: NaiveDateTime,
}

/// A subscription to a partner's feed (see `import`).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = imports)]
pub struct Import {
    pub id: i32,
    pub url: String,
    pub partner_id: i32,
    pub action_id: Option<i32>,
    pub tags: String,
    pub review: String,
    pub interval_minutes: i32,
    pub timezone: Option<String>,
    pub calendar_name: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_fetch_at: Option<NaiveDateTime>,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub next_fetch_at: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    pub failures: i32,
    pub created: i32,
    pub updated: i32,
    pub cancelled: i32,
    pub unchanged: i32,
    pub skipped: i32,
    pub skipped_items: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An event that came from a feed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = imported_events)]
pub struct ImportedEvent {
    pub event_id: i32,
    pub import_id: Option<i32>,
    pub partner_id: i32,
    pub source_url: String,
    pub uid: String,
    pub hash: String,
    pub gone_at: Option<NaiveDateTime>,
    /// JSON of the event's fields as the feed last wrote them (NULL: not known yet).
    pub written: Option<String>,
    /// JSON list of the parts edited here, which the feed no longer changes.
    pub kept: String,
    /// JSON of the event as the feed last gave it.
    pub upstream: Option<String>,
}
