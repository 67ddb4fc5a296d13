//! Rows as stored, and their insert forms.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::*;

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
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: i32,
    pub uid: String,
    pub title: String,
    pub description: String,
    pub start_local: NaiveDateTime,
    pub end_local: NaiveDateTime,
    pub timezone: String,
    pub start_utc: NaiveDateTime,
    pub end_utc: NaiveDateTime,
    pub all_day: bool,
    pub venue_id: Option<i32>,
    pub online_url: Option<String>,
    pub info_url: Option<String>,
    pub action_id: Option<i32>,
    pub status: String,
    pub review: String,
    pub sequence: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

impl Event {
    pub fn is_public(&self) -> bool {
        self.review == "approved" && self.deleted_at.is_none()
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
