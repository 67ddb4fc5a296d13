//! API tokens and users.

use crate::domain::message::Msg;
use diesel::prelude::*;

use super::catalog::lower;
use super::now;
use crate::auth::{self, Principal};
use crate::db::models::{ApiToken, User};
use crate::db::schema::{api_tokens, partners, users};
use crate::db::DbConn;
use crate::error::AppError;

/// The principal behind a bearer token, if it is valid and not revoked.
pub fn principal_for_token(conn: &mut DbConn, token: &str) -> QueryResult<Option<Principal>> {
    let hash = auth::hash_token(token);
    let found = api_tokens::table
        .filter(api_tokens::token_hash.eq(hash))
        .filter(api_tokens::revoked_at.is_null())
        .select(ApiToken::as_select())
        .first(conn)
        .optional()?;
    Ok(found.map(|t| Principal::new(format!("token:{}", t.name), t.partner_id)))
}

fn partner_id(conn: &mut DbConn, slug: Option<&str>) -> Result<Option<i32>, AppError> {
    match slug {
        None => Ok(None),
        Some(s) => partners::table
            .filter(partners::slug.eq(s))
            .select(partners::id)
            .first(conn)
            .optional()?
            .map(Some)
            .ok_or_else(|| AppError::NotFound(format!("there is no partner {s:?}"))),
    }
}

/// Creates a token; returns the plaintext (shown once).
pub fn create_token(
    conn: &mut DbConn,
    name: &str,
    partner: Option<&str>,
) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::field("name", Msg::BadTokenName));
    }
    let pid = partner_id(conn, partner)?;
    let active: i64 = api_tokens::table
        .filter(api_tokens::name.eq(name))
        .filter(api_tokens::revoked_at.is_null())
        .count()
        .get_result(conn)?;
    if active > 0 {
        return Err(AppError::Conflict(format!(
            "an active token named {name:?} exists; revoke it first or choose another name"
        )));
    }
    let token = auth::new_token();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::name.eq(name),
            api_tokens::token_hash.eq(&token.hash),
            api_tokens::partner_id.eq(pid),
            api_tokens::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(token.plaintext)
}

/// Revokes the active token with this name (or numeric id). Returns how many were revoked.
pub fn revoke_token(conn: &mut DbConn, name_or_id: &str) -> Result<usize, AppError> {
    let target = api_tokens::table
        .filter(api_tokens::revoked_at.is_null())
        .into_boxed();
    let target = match name_or_id.parse::<i32>() {
        Ok(id) => target.filter(api_tokens::id.eq(id).or(api_tokens::name.eq(name_or_id))),
        Err(_) => target.filter(api_tokens::name.eq(name_or_id)),
    };
    let ids: Vec<i32> = target.select(api_tokens::id).load(conn)?;
    if ids.is_empty() {
        return Err(AppError::NotFound(format!(
            "no active token {name_or_id:?}"
        )));
    }
    Ok(
        diesel::update(api_tokens::table.filter(api_tokens::id.eq_any(ids)))
            .set(api_tokens::revoked_at.eq(Some(now())))
            .execute(conn)?,
    )
}

pub fn list_tokens(conn: &mut DbConn) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .order(api_tokens::id)
        .select(ApiToken::as_select())
        .load(conn)
}

/// Creates a user with a generated password; returns the password (shown once).
pub fn create_user(
    conn: &mut DbConn,
    email: &str,
    role: &str,
    partner: Option<&str>,
) -> Result<String, AppError> {
    let email = email.trim();
    let valid_email = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'))
        && !email.contains(char::is_whitespace);
    if !valid_email {
        return Err(AppError::field(
            "email",
            Msg::NotEmail {
                email: email.to_string(),
            },
        ));
    }
    match (role, partner) {
        ("admin", Some(_)) => return Err(AppError::field("partner", Msg::AdminNoPartner)),
        ("organizer", None) => return Err(AppError::field("partner", Msg::OrganizerNeedsPartner)),
        ("admin", None) | ("organizer", Some(_)) => {}
        _ => return Err(AppError::field("role", Msg::BadRole)),
    }
    let pid = partner_id(conn, partner)?;
    let exists: i64 = users::table
        .filter(lower(users::email.nullable()).eq(lower(Some(email))))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Err(AppError::Conflict(format!("a user {email:?} exists")));
    }
    let password = auth::new_password();
    let hash = auth::hash_password(&password)?;
    diesel::insert_into(users::table)
        .values((
            users::email.eq(email),
            users::password_hash.eq(hash),
            users::role.eq(role),
            users::partner_id.eq(pid),
            users::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(password)
}

pub fn user_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(lower(users::email.nullable()).eq(lower(Some(email.trim()))))
        .filter(users::disabled_at.is_null())
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// A logged-in admin user, from a session cookie.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user_id: i32,
    pub email: String,
    pub role: String,
    pub partner_id: Option<i32>,
    pub csrf: String,
}

/// Starts a session for `user_id`; returns the cookie token (shown once) and the CSRF token.
pub fn create_session(
    conn: &mut DbConn,
    user_id: i32,
    hours: i64,
) -> QueryResult<(String, String)> {
    use crate::db::schema::sessions;
    let token = auth::new_token();
    let csrf = auth::new_password();
    let now = now();
    // Expired sessions go when anyone logs in.
    diesel::delete(sessions::table.filter(sessions::expires_at.lt(now))).execute(conn)?;
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(&token.hash),
            sessions::user_id.eq(user_id),
            sessions::csrf.eq(&csrf),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(now + chrono::Duration::hours(hours)),
        ))
        .execute(conn)?;
    Ok((token.plaintext, csrf))
}

pub fn session_user(conn: &mut DbConn, token: &str) -> QueryResult<Option<SessionUser>> {
    use crate::db::schema::sessions;
    let found = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(auth::hash_token(token)))
        .filter(sessions::expires_at.gt(now()))
        .filter(users::disabled_at.is_null())
        .select((
            users::id,
            users::email,
            users::role,
            users::partner_id,
            sessions::csrf,
        ))
        .first::<(i32, String, String, Option<i32>, String)>(conn)
        .optional()?;
    Ok(
        found.map(|(user_id, email, role, partner_id, csrf)| SessionUser {
            user_id,
            email,
            role,
            partner_id,
            csrf,
        }),
    )
}

pub fn end_session(conn: &mut DbConn, token: &str) -> QueryResult<usize> {
    use crate::db::schema::sessions;
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(auth::hash_token(token))))
        .execute(conn)
}

/// A user as the admin lists them (never their hash).
#[derive(Debug, Clone, Queryable)]
pub struct UserRow {
    pub id: i32,
    pub email: String,
    pub role: String,
    pub partner: Option<String>,
    pub disabled: Option<chrono::NaiveDateTime>,
}

/// Users for the admin's list.
pub fn list_users(conn: &mut DbConn) -> QueryResult<Vec<UserRow>> {
    users::table
        .left_join(partners::table)
        .order(users::email)
        .select((
            users::id,
            users::email,
            users::role,
            partners::slug.nullable(),
            users::disabled_at,
        ))
        .load(conn)
}

/// Disables a user (or enables them again); disabling ends their sessions at once.
pub fn set_user_disabled(conn: &mut DbConn, id: i32, disabled: bool) -> Result<(), AppError> {
    use crate::db::schema::sessions;
    crate::db::write_tx(conn, |conn| {
        let n = diesel::update(users::table.find(id))
            .set(users::disabled_at.eq(disabled.then(now)))
            .execute(conn)?;
        if n == 0 {
            return Err(AppError::NotFound(format!("there is no user {id}")));
        }
        if disabled {
            diesel::delete(sessions::table.filter(sessions::user_id.eq(id))).execute(conn)?;
        }
        Ok(())
    })
}
