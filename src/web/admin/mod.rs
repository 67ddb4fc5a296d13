//! The organizers' admin: login (argon2, server-side sessions, CSRF on every form, rate limit),
//! dashboard, the event form (create, edit, duplicate), cancel, delete, restore, moderation;
//! online actions (online.rs).
//! Organizers see and change only their own partner's events; admins everything.

mod feeds;
pub mod form;
mod manage;
mod occurrences;
mod online;

use std::collections::HashMap;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use self::form::{field_errors, EventForm, DAYS, PARTNER_ROWS};
use self::occurrences::{OccurrenceError, OccurrenceItem};
use crate::auth::{self, Principal};
use crate::db::models::{Revision, Venue};
use crate::db::queries::auth::{self as qa, SessionUser};
use crate::db::queries::events::{self as q, EventView, Filter};
use crate::db::queries::imports::LocalEdit;
use crate::db::queries::{self, catalog};
use crate::db::{self};
use crate::domain::event::Review;
use crate::domain::time::Bound;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::view::EventCard;
use crate::web::pages::{page, Ctx};

pub const SESSION_COOKIE: &str = "turnout_session";
const LOGIN_CSRF_COOKIE: &str = "turnout_login_csrf";
const SESSION_HOURS: i64 = 12;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(dashboard))
        .route("/admin/", web::get().to(dashboard))
        .route("/admin/login", web::get().to(login_form))
        .route("/admin/login", web::post().to(login))
        .route("/admin/logout", web::post().to(logout))
        .route("/admin/events/new", web::get().to(new_event))
        .route("/admin/events", web::post().to(create_event))
        .route("/admin/events/{id}/edit", web::get().to(edit_event))
        .route("/admin/events/{id}", web::post().to(update_event))
        .route(
            "/admin/events/{id}/occurrences/{op}",
            web::post().to(occurrences::occurrence_op),
        )
        .route("/admin/events/{id}/feed/{part}", web::post().to(take_feeds))
        .route("/admin/events/{id}/{op}", web::post().to(event_op))
        .configure(manage::configure)
        .configure(online::configure)
        .configure(feeds::configure);
}

fn cookie<'a>(state: &AppState, name: &'a str, value: String, path: &'a str) -> Cookie<'a> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .secure(state.settings.is_https())
        .same_site(SameSite::Strict)
        .finish()
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_string()))
        .finish()
}

/// The way to the login page, coming back here after.
fn to_login(req: &HttpRequest) -> AppError {
    let next = match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    };
    AppError::Redirect(format!(
        "/admin/login?next={}",
        crate::feeds::json::percent_encode(&next)
    ))
}

/// The logged-in user; without one, the way to the login page (a 303).
async fn require(req: &HttpRequest, state: &web::Data<AppState>) -> Result<SessionUser, AppError> {
    let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Err(to_login(req));
    };
    if token.len() > 200 {
        return Err(to_login(req));
    }
    let user = db::run(&state.pool, move |c| Ok(qa::session_user(c, &token)?)).await?;
    user.ok_or_else(|| to_login(req))
}

fn principal(user: &SessionUser) -> Principal {
    Principal::new(
        format!("user:{}", user.email),
        if user.role == "admin" {
            None
        } else {
            user.partner_id
        },
    )
}

/// Reads a urlencoded form body (keeps repeated and unknown fields as typed).
pub(crate) fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")))
}

/// A form posted in a session: its fields, or — without the session's CSRF token — the
/// not-allowed page to answer with.
fn checked_form(
    req: &HttpRequest,
    state: &AppState,
    user: &SessionUser,
    body: &[u8],
) -> Result<Result<Vec<(String, String)>, HttpResponse>, AppError> {
    let pairs = form_pairs(body)?;
    if csrf_ok(user, &pairs) {
        Ok(Ok(pairs))
    } else {
        forbidden(req, state, Ctx::new(req, state, "").t("admin_csrf_failed")).map(Err)
    }
}

fn csrf_ok(user: &SessionUser, pairs: &[(String, String)]) -> bool {
    pairs
        .iter()
        .any(|(k, v)| k == "csrf" && auth::same_secret(v, &user.csrf))
}

#[derive(Template)]
#[template(path = "admin_message.html")]
struct MessagePage {
    ctx: Ctx,
    message: String,
}

fn forbidden(req: &HttpRequest, state: &AppState, message: &str) -> Result<HttpResponse, AppError> {
    page(
        StatusCode::FORBIDDEN,
        &MessagePage {
            ctx: Ctx::new(req, state, Ctx::new(req, state, "").t("admin_forbidden")),
            message: message.to_string(),
        },
    )
}

/// The admin's page for a write the data layer refused: another partner's event (403), or a
/// deleted one; any other error goes on as it is.
fn refused(req: &HttpRequest, state: &AppState, err: AppError) -> Result<HttpResponse, AppError> {
    let t = |key| Ctx::new(req, state, "").t(key);
    match err {
        AppError::Forbidden(_) => forbidden(req, state, t("admin_not_yours")),
        AppError::Gone(_) => forbidden(req, state, t("admin_event_deleted")),
        other => Err(other),
    }
}

// ---------------------------------------------------------------------------------------------
// Login

#[derive(Template)]
#[template(path = "admin_login.html")]
struct LoginPage {
    ctx: Ctx,
    csrf: String,
    email: String,
    next: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Where to go after logging in: a path of the admin on this site, or the dashboard.
fn safe_next(next: Option<&str>) -> String {
    crate::web::local_path(next.unwrap_or(""))
        .filter(|p| p == "/admin" || p.starts_with("/admin/") || p.starts_with("/admin?"))
        .unwrap_or_else(|| "/admin".to_string())
}

async fn login_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let csrf = auth::new_password();
    let ctx = Ctx::new(&req, &state, Ctx::new(&req, &state, "").t("admin_login"));
    let body = LoginPage {
        ctx,
        csrf: csrf.clone(),
        email: String::new(),
        next: safe_next(query.next.as_deref()),
        error: None,
    };
    let mut resp = page(StatusCode::OK, &body)?;
    resp.add_cookie(&cookie(&state, LOGIN_CSRF_COOKIE, csrf, "/admin/login"))
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("cookie: {e}")))?;
    Ok(resp)
}

async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let pairs = form_pairs(&body)?;
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (email, password, csrf) = (
        field("email").trim().to_string(),
        field("password"),
        field("csrf"),
    );
    let next = safe_next(Some(field("next").as_str()));
    let expected = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let again = |error: &'static str, status: StatusCode| -> Result<HttpResponse, AppError> {
        let new_csrf = auth::new_password();
        let ctx = Ctx::new(&req, &state, Ctx::new(&req, &state, "").t("admin_login"));
        let mut resp = page(
            status,
            &LoginPage {
                ctx,
                csrf: new_csrf.clone(),
                email: email.clone(),
                next: next.clone(),
                error: Some(error),
            },
        )?;
        resp.add_cookie(&cookie(&state, LOGIN_CSRF_COOKIE, new_csrf, "/admin/login"))
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("cookie: {e}")))?;
        Ok(resp)
    };
    let lang = Ctx::new(&req, &state, "").lang;
    if expected.is_empty() || !auth::same_secret(&csrf, &expected) {
        return again(lang.t("admin_csrf_failed"), StatusCode::FORBIDDEN);
    }
    // Every attempt counts before the password is checked, so parallel guesses cannot slip
    // past the limits; the account itself is only ever slowed down, never locked.
    let (limits, counts) = (&state.login_limits, &state.counts);
    let client = crate::web::client::client_key(&req, &state);
    // The account as typed is stored nowhere either: only its keyed hash.
    let account = state.addresses.hash(email.to_lowercase().as_bytes());
    let pair = format!("{account}:{client}");
    if !limits.by_address.try_hit(counts, &client).await? {
        return again(lang.t("admin_too_many"), StatusCode::TOO_MANY_REQUESTS);
    }
    if !limits.by_address_and_account.try_hit(counts, &pair).await? {
        return again(lang.t("admin_too_many"), StatusCode::TOO_MANY_REQUESTS);
    }
    let wait = limits.by_account.delay(counts, &account).await?;
    if !wait.is_zero() {
        actix_web::rt::time::sleep(wait).await;
    }
    let lookup = email.clone();
    let user = db::run(&state.pool, move |c| Ok(qa::user_by_email(c, &lookup)?)).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let ok = web::block(move || auth::verify_password(&password, hash.as_deref())).await?;
    let Some(user) = user.filter(|_| ok) else {
        limits.by_account.fail(counts, &account).await?;
        return again(lang.t("admin_bad_login"), StatusCode::UNAUTHORIZED);
    };
    limits.by_address_and_account.clear(counts, &pair).await?;
    limits.by_address.refund(counts, &client).await?;
    limits.by_account.clear(counts, &account).await?;
    let user_id = user.id;
    let (token, _) = db::run(&state.pool, move |c| {
        Ok(qa::create_session(c, user_id, SESSION_HOURS)?)
    })
    .await?;
    let mut resp = redirect(&next);
    resp.add_cookie(&cookie(&state, SESSION_COOKIE, token, "/admin"))
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("cookie: {e}")))?;
    resp.add_removal_cookie(&cookie(
        &state,
        LOGIN_CSRF_COOKIE,
        String::new(),
        "/admin/login",
    ))
    .map_err(|e| AppError::Unexpected(anyhow::anyhow!("cookie: {e}")))?;
    Ok(resp)
}

async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    if let Err(refused) = checked_form(&req, &state, &user, &body)? {
        return Ok(refused);
    }
    if let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()) {
        db::run(&state.pool, move |c| Ok(qa::end_session(c, &token)?)).await?;
    }
    let mut resp = redirect("/admin/login");
    resp.add_removal_cookie(&cookie(&state, SESSION_COOKIE, String::new(), "/admin"))
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("cookie: {e}")))?;
    Ok(resp)
}

// ---------------------------------------------------------------------------------------------
// Dashboard

pub struct RevisionRow {
    pub revision: Revision,
    pub title: String,
    pub deleted: bool,
}

#[derive(Template)]
#[template(path = "admin_dashboard.html")]
struct DashboardPage {
    ctx: Ctx,
    user: SessionUser,
    upcoming: Vec<EventCard>,
    pending: Vec<EventCard>,
    /// Open online actions due within two weeks, soonest first.
    deadlines: Vec<online::OnlineRow>,
    revisions: Vec<RevisionRow>,
    notice: Option<String>,
}

#[derive(Deserialize)]
struct Notice {
    done: Option<String>,
}

async fn dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    let who = principal(&user);
    let (upcoming, pending, deadlines, revisions) = db::run(&state.pool, move |c| {
        let f = Filter {
            from: Some(Bound::Instant(queries::now())),
            partner_id: who.partner_id(),
            ..Filter::default()
        };
        let (upcoming, _) = q::list(c, &f, None, 100)?;
        let pending = if who.is_admin() {
            q::pending(c)?
        } else {
            Vec::new()
        };
        let deadlines = online::deadlines(c, who.partner_id())?;
        let revisions = q::recent_revisions(c, who.partner_id(), 30)?;
        Ok((upcoming, pending, deadlines, revisions))
    })
    .await?;
    let ctx = Ctx::new(
        &req,
        &state,
        Ctx::new(&req, &state, "").t("admin_dashboard"),
    );
    let lang = ctx.lang;
    let body = DashboardPage {
        upcoming: upcoming.iter().map(|v| EventCard::new(v, lang)).collect(),
        pending: pending.iter().map(|v| EventCard::new(v, lang)).collect(),
        deadlines: deadlines
            .iter()
            .map(|v| online::OnlineRow::new(v, lang))
            .collect(),
        revisions: revisions
            .into_iter()
            .map(|(revision, title, deleted)| RevisionRow {
                revision,
                title,
                deleted,
            })
            .collect(),
        notice: notice
            .done
            .as_deref()
            .map(|d| lang.t(&format!("admin_done_{d}")).to_string())
            .filter(|s| !s.is_empty()),
        ctx,
        user,
    };
    page(StatusCode::OK, &body)
}

// ---------------------------------------------------------------------------------------------
// The event form

#[derive(Template)]
#[template(path = "admin_event_form.html")]
struct FormPage {
    ctx: Ctx,
    user: SessionUser,
    /// `Some(id)` when editing.
    editing: Option<i32>,
    form: EventForm,
    errors: HashMap<String, String>,
    venues: Vec<Venue>,
    actions: Vec<(String, String)>,
    partners: Vec<(String, String)>,
    zones: Vec<&'static str>,
    rows: Vec<usize>,
    cancelled: bool,
    /// The weekday checkboxes: (BYDAY code, name), Monday first.
    days: Vec<(&'static str, &'static str)>,
    /// A message after an occurrence was cancelled, restored, removed or changed.
    notice: Option<String>,
    /// The dates the form will store, after "Preview dates".
    preview: Option<Vec<String>>,
    /// A series' next occurrences (editing only).
    occurrences: Vec<OccurrenceItem>,
    /// Editing an event from a partner's feed: the partner's name, and the parts edited here
    /// (kept when the feed changes), each beside the feed's version.
    feed: Option<(String, Vec<LocalEdit>)>,
}

/// What the event form shows besides the form itself.
#[derive(Default)]
struct Extras {
    notice: Option<String>,
    preview: Option<Vec<String>>,
    occurrence_error: Option<OccurrenceError>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn partner(&self, row: &usize) -> String {
        self.form.get(&format!("partner_{row}")).to_string()
    }

    fn role_is(&self, row: &usize, role: &str) -> bool {
        self.form.get(&format!("role_{row}")) == role
    }

    fn value_is(&self, field: &str, value: &str) -> bool {
        self.form.get(field) == value
    }

    fn venue_selected(&self, id: &i32) -> bool {
        self.form.get("venue_id") == id.to_string()
    }

    /// The repeat controls are in use (anything but "never").
    fn repeats(&self) -> bool {
        !matches!(self.form.get("repeat"), "" | "never")
    }

    fn day_checked(&self, code: &&str) -> bool {
        self.form.checked(&format!("byday_{code}"))
    }

    /// Its error, if any, for `aria-invalid` on a repeat control.
    fn invalid(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }
}

async fn render_form(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: SessionUser,
    editing: Option<i32>,
    form: EventForm,
    errors: HashMap<String, String>,
    cancelled: bool,
) -> Result<HttpResponse, AppError> {
    render_form_with(
        req,
        state,
        user,
        editing,
        form,
        errors,
        cancelled,
        Extras::default(),
    )
    .await
}

/// The edit page of a stored event as stored (no typed values, no field errors), with `extras`.
async fn render_stored(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: SessionUser,
    v: &EventView,
    extras: Extras,
) -> Result<HttpResponse, AppError> {
    render_form_with(
        req,
        state,
        user,
        Some(v.event.id),
        EventForm::from_event(v),
        HashMap::new(),
        v.event.status == "cancelled",
        extras,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render_form_with(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: SessionUser,
    editing: Option<i32>,
    form: EventForm,
    errors: HashMap<String, String>,
    cancelled: bool,
    extras: Extras,
) -> Result<HttpResponse, AppError> {
    let who = principal(&user);
    let (venues, (actions, partners), (series, feed)) = db::run(&state.pool, move |c| {
        // A series being edited lists its next occurrences, an event from a feed what was
        // edited here (only to those who may change it).
        let shown = match editing {
            Some(id) => match q::authorize(c, &who, id) {
                Ok(()) => match q::view_by_id(c, id) {
                    Ok(v) => {
                        let feed = match queries::imports::source_of(c, id)? {
                            Some((name, _, _)) => {
                                Some((name, queries::imports::local_edits(c, &v)?))
                            }
                            None => None,
                        };
                        (Some(v).filter(EventView::is_series), feed)
                    }
                    Err(AppError::NotFound(_)) => (None, None),
                    Err(e) => return Err(e),
                },
                Err(AppError::Forbidden(_) | AppError::NotFound(_)) => (None, None),
                Err(e) => return Err(e),
            },
            None => (None, None),
        };
        Ok((catalog::venues_for_editor(c, &who)?, choices(c)?, shown))
    })
    .await?;
    let lang = Ctx::new(req, state, "").lang;
    let status = if extras.occurrence_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        form_status(&errors)
    };
    let mut occurrences = series
        .as_ref()
        .map(|v| occurrences::items(v, lang, queries::now()))
        .unwrap_or_default();
    if let Some(err) = extras.occurrence_error {
        if let Some(item) = occurrences.iter_mut().find(|i| i.key == err.key) {
            item.title = err.title;
            item.start = err.start;
            item.end = err.end;
            item.error = Some(err.message);
        }
    }
    let title = lang.t(if editing.is_some() {
        "admin_edit_event"
    } else {
        "admin_new_event"
    });

    let body = FormPage {
        ctx: Ctx::new(req, state, title),
        user,
        editing,
        form,
        errors,
        venues,
        actions,
        partners,
        zones: chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect(),
        rows: (0..PARTNER_ROWS).collect(),
        cancelled,
        days: DAYS
            .iter()
            .zip([
                chrono::Weekday::Mon,
                chrono::Weekday::Tue,
                chrono::Weekday::Wed,
                chrono::Weekday::Thu,
                chrono::Weekday::Fri,
                chrono::Weekday::Sat,
                chrono::Weekday::Sun,
            ])
            .map(|(code, d)| (*code, lang.weekday(d)))
            .collect(),
        notice: extras.notice,
        preview: extras.preview,
        occurrences,
        feed,
    };
    page(status, &body)
}

/// A form page's status: 422 when it comes back with errors.
fn form_status(errors: &HashMap<String, String>) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// An organizer's partner's slug (what their new events and online actions start with).
async fn own_partner_slug(
    state: &AppState,
    user: &SessionUser,
) -> Result<Option<String>, AppError> {
    let Some(pid) = principal(user).partner_id() else {
        return Ok(None);
    };
    db::run(&state.pool, move |c| {
        use crate::db::schema::partners;
        use diesel::prelude::*;
        Ok(Some(
            partners::table
                .find(pid)
                .select(partners::slug)
                .first::<String>(c)?,
        ))
    })
    .await
}

/// What a form's day-of-action and partner selects offer: (slug, title) and (slug, name).
type Choices = (Vec<(String, String)>, Vec<(String, String)>);

fn choices(c: &mut db::DbConn) -> Result<Choices, AppError> {
    let actions = catalog::action_choices(c)?;
    let partners = catalog::list_partners(c)?
        .into_iter()
        .map(|p| (p.slug, p.name))
        .collect();
    Ok((actions, partners))
}

#[derive(Deserialize)]
struct NewQuery {
    /// Duplicate this event ("same event, another city").
    from: Option<i32>,
}

async fn new_event(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    let mut form = EventForm::default();
    if let Some(id) = query.from {
        let who = principal(&user);
        let found = db::run(&state.pool, move |c| {
            let v = q::view_by_id(c, id)?;
            q::authorize(c, &who, id)?;
            Ok(v)
        })
        .await;
        match found {
            Ok(v) => {
                form = EventForm::from_event(&v);
                // Another city: the place is chosen anew; the rest stays.
                form.values.remove("venue_id");
                form.values.remove("status");
            }
            Err(AppError::Forbidden(_)) => {
                return forbidden(
                    &req,
                    &state,
                    Ctx::new(&req, &state, "").t("admin_not_yours"),
                )
            }
            Err(AppError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    } else if let Some(slug) = own_partner_slug(&state, &user).await? {
        // An organizer's own partner is the host by default.
        form.values.insert("partner_0".into(), slug);
        form.values.insert("role_0".into(), "host".into());
    }
    render_form(&req, &state, user, None, form, HashMap::new(), false).await
}

async fn edit_event(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    let id = id.into_inner();
    let who = principal(&user);
    let found = db::run(&state.pool, move |c| {
        let v = q::view_by_id(c, id)?;
        q::authorize(c, &who, id)?;
        Ok(v)
    })
    .await;
    let v: EventView = match found {
        Ok(v) => v,
        Err(AppError::Forbidden(_)) => {
            return forbidden(
                &req,
                &state,
                Ctx::new(&req, &state, "").t("admin_not_yours"),
            )
        }
        Err(e) => return Err(e),
    };
    let lang = Ctx::new(&req, &state, "").lang;
    let notice = notice
        .done
        .as_deref()
        .filter(|d| d.starts_with("occurrence_") || *d == "feed_taken")
        .map(|d| lang.t(&format!("admin_done_{d}")).to_string())
        .filter(|s| !s.is_empty());
    render_stored(
        &req,
        &state,
        user,
        &v,
        Extras {
            notice,
            ..Extras::default()
        },
    )
    .await
}

/// Saves the form: creates (`id` None) or updates. Errors come back on the form, as typed.
async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
    id: Option<i32>,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    let pairs = match checked_form(&req, &state, &user, &body)? {
        Ok(pairs) => pairs,
        Err(refused) => return Ok(refused),
    };
    let preview = pairs.iter().any(|(k, _)| k == "preview");
    let form = EventForm::from_pairs(pairs);
    let input = match form.to_input() {
        Ok(i) => i,
        Err(fe) => {
            let errors = HashMap::from([(
                fe.field.clone(),
                Ctx::new(&req, &state, "").lang.field_message(&fe),
            )]);
            return render_form(&req, &state, user, id, form, errors, false).await;
        }
    };
    if preview {
        // The dates as they will be stored: the same validation, the same expansion.
        let lang = Ctx::new(&req, &state, "").lang;
        let who = principal(&user);
        let checked = db::run(&state.pool, move |c| {
            let changes = match id {
                Some(id) => {
                    q::authorize(c, &who, id)?;
                    q::view_by_id(c, id)?.overrides
                }
                None => Vec::new(),
            };
            q::validate(c, input).map(|draft| (draft, changes))
        })
        .await;
        let (dates, errors) = match checked {
            Ok((draft, changes)) => (
                Some(occurrences::preview(&draft, &changes, lang, queries::now())),
                HashMap::new(),
            ),
            Err(AppError::Validation(fields)) => (None, field_errors(lang, &fields)),
            Err(e) => return Err(e),
        };
        return render_form_with(
            &req,
            &state,
            user,
            id,
            form,
            errors,
            false,
            Extras {
                preview: dates,
                ..Extras::default()
            },
        )
        .await;
    }
    let who = principal(&user);
    let host = state.links.host().to_string();
    let result = state
        .write(move |c| match id {
            None => q::create(c, &who, input, &host),
            Some(id) => q::update_with(c, &who, id, |current| {
                // Keep what the form does not show (uid).
                let mut input = input;
                input.uid = Some(current.event.uid.clone());
                Ok(input)
            }),
        })
        .await;
    match result {
        Ok(_) => Ok(redirect(if id.is_some() {
            "/admin?done=saved"
        } else {
            "/admin?done=created"
        })),
        Err(AppError::Validation(fields)) => {
            let errors = field_errors(Ctx::new(&req, &state, "").lang, &fields);
            render_form(&req, &state, user, id, form, errors, false).await
        }
        Err(e) => refused(&req, &state, e),
    }
}

async fn create_event(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    save(req, state, body, None).await
}

async fn update_event(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    save(req, state, body, Some(id.into_inner())).await
}

/// "Take the feed's": one part of an imported event back as its feed gives it, no longer kept
/// as edited here.
async fn take_feeds(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i32, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    if let Err(refused) = checked_form(&req, &state, &user, &body)? {
        return Ok(refused);
    }
    let (id, part) = path.into_inner();
    let who = principal(&user);
    let result = state
        .write(move |c| queries::imports::take_feeds(c, &who, id, &part))
        .await;
    match result {
        Ok(_) => Ok(redirect(&format!(
            "/admin/events/{id}/edit?done=feed_taken"
        ))),
        // The feed's version no longer fits (or is not known yet): said above the form.
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_) | AppError::NotFound(_))) => {
            let v = db::run(&state.pool, move |c| q::view_by_id(c, id)).await?;
            let extras = Extras {
                notice: Some(queries::imports::reason(&e)),
                ..Extras::default()
            };
            render_stored(&req, &state, user, &v, extras).await
        }
        Err(e) => refused(&req, &state, e),
    }
}

/// Cancel, delete, restore, approve, reject.
async fn event_op(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i32, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    if let Err(refused) = checked_form(&req, &state, &user, &body)? {
        return Ok(refused);
    }
    let (id, op) = path.into_inner();
    let who = principal(&user);
    let op_name = op.clone();
    let result = state
        .write(move |c| match op_name.as_str() {
            "cancel" => q::cancel(c, &who, id).map(|_| ()),
            "delete" => q::delete(c, &who, id),
            "restore" => q::restore(c, &who, id).map(|_| ()),
            "approve" => q::set_review(c, &who, id, Review::Approved).map(|_| ()),
            "reject" => q::set_review(c, &who, id, Review::Rejected).map(|_| ()),
            _ => Err(AppError::NotFound(format!("no operation {op_name:?}"))),
        })
        .await;
    match result {
        Ok(()) => Ok(redirect(&format!("/admin?done={op}"))),
        Err(AppError::Conflict(_)) => forbidden(
            &req,
            &state,
            Ctx::new(&req, &state, "").t("admin_not_deleted"),
        ),
        Err(e) => refused(&req, &state, e),
    }
}
