//! Admin-only management of partners, actions, venues, users and API tokens. Secrets (a new
//! user's password, a new token) are shown once, on the page that made them, and never stored.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::form::{access_input, access_values, form_field};
use super::{checked_form, forbidden, require};
use crate::db::models::{ApiToken, Partner, Venue};
use crate::db::queries::auth as qa;
use crate::db::queries::catalog::{self, ActionView};
use crate::db::{self};
use crate::domain::catalog::{
    ActionDraft, ActionInput, PartnerDraft, PartnerInput, VenueDraft, VenueInput,
};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::pages::{page, Ctx};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/manage", web::get().to(show))
        .route("/admin/manage/{kind}", web::post().to(create))
        .route("/admin/manage/token/{id}/revoke", web::post().to(revoke))
        .route("/admin/manage/user/{id}/{op}", web::post().to(user_op))
        .route("/admin/manage/{kind}/{slug}", web::get().to(edit_form))
        .route("/admin/manage/{kind}/{slug}", web::post().to(edit));
}

#[derive(Template)]
#[template(path = "admin_manage.html")]
struct ManagePage {
    ctx: Ctx,
    user: qa::SessionUser,
    partners: Vec<Partner>,
    actions: Vec<ActionView>,
    venues: Vec<Venue>,
    users: Vec<qa::UserRow>,
    tokens: Vec<ApiToken>,
    /// Which form the message and errors belong to.
    kind: String,
    message: Option<String>,
    secret: Option<String>,
    errors: HashMap<String, String>,
    values: HashMap<String, String>,
}

impl ManagePage {
    fn error(&self, kind: &str, field: &str) -> Option<&str> {
        (self.kind == kind)
            .then(|| self.errors.get(field).map(String::as_str))
            .flatten()
    }

    fn value(&self, kind: &str, field: &str) -> &str {
        if self.kind == kind {
            self.values.get(field).map(String::as_str).unwrap_or("")
        } else {
            ""
        }
    }

    fn partner_slug(&self, id: &Option<i32>) -> String {
        id.and_then(|id| self.partners.iter().find(|p| p.id == id))
            .map(|p| p.slug.clone())
            .unwrap_or_default()
    }
}

struct Outcome {
    kind: String,
    message: Option<String>,
    secret: Option<String>,
    errors: HashMap<String, String>,
    values: HashMap<String, String>,
    status: StatusCode,
}

async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: qa::SessionUser,
    o: Outcome,
) -> Result<HttpResponse, AppError> {
    let (partners, actions, venues, users, tokens) = db::run(&state.pool, |c| {
        use crate::db::schema::venues;
        use diesel::prelude::*;
        Ok((
            catalog::list_partners(c)?,
            catalog::list_actions(c)?,
            venues::table
                .order((venues::city, venues::name))
                .limit(500)
                .select(Venue::as_select())
                .load(c)?,
            qa::list_users(c)?,
            qa::list_tokens(c)?,
        ))
    })
    .await?;
    let lang = Ctx::new(req, state, "").lang;
    let body = ManagePage {
        ctx: Ctx::new(req, state, lang.t("manage_title")),
        user,
        partners,
        actions,
        venues,
        users,
        tokens,
        kind: o.kind,
        message: o.message,
        secret: o.secret,
        errors: o.errors,
        values: o.values,
    };
    page(o.status, &body)
}

/// The logged-in admin, or the page to answer with instead (an organizer is not allowed here).
async fn admin(
    req: &HttpRequest,
    state: &web::Data<AppState>,
) -> Result<Result<qa::SessionUser, HttpResponse>, AppError> {
    let user = require(req, state).await?;
    if user.role == "admin" {
        Ok(Ok(user))
    } else {
        let message = Ctx::new(req, state, "").t("manage_admins_only");
        Ok(Err(forbidden(req, state, message)?))
    }
}

async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user = match admin(&req, &state).await? {
        Ok(u) => u,
        Err(resp) => return Ok(resp),
    };
    let o = Outcome {
        kind: String::new(),
        message: None,
        secret: None,
        errors: HashMap::new(),
        values: HashMap::new(),
        status: StatusCode::OK,
    };
    render(&req, &state, user, o).await
}

fn opt(values: &HashMap<String, String>, k: &str) -> Option<String> {
    values
        .get(k)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn list(values: &HashMap<String, String>, k: &str) -> Option<Vec<String>> {
    opt(values, k).map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
}

/// The partner form as the API's input shape.
fn partner_input(v: &HashMap<String, String>, slug: Option<String>) -> PartnerInput {
    PartnerInput {
        slug,
        name: opt(v, "name"),
        website: opt(v, "website"),
        description: opt(v, "description"),
    }
}

/// The action form as the API's input shape.
fn action_input(v: &HashMap<String, String>, slug: Option<String>) -> ActionInput {
    ActionInput {
        slug,
        title: opt(v, "title"),
        description: opt(v, "description"),
        hashtags: list(v, "hashtags"),
        first_day: opt(v, "first_day"),
        last_day: opt(v, "last_day"),
        partners: list(v, "partners"),
    }
}

/// The venue form as the API's input shape.
fn venue_input(v: &HashMap<String, String>) -> Result<VenueInput, AppError> {
    let accessibility =
        access_input(|name| opt(v, name)).map_err(|e| AppError::Validation(vec![*e]))?;
    Ok(VenueInput {
        name: opt(v, "name"),
        address: opt(v, "address"),
        city: opt(v, "city"),
        region: opt(v, "region"),
        postal_code: opt(v, "postal_code"),
        country: opt(v, "country"),
        lat: None,
        lon: None,
        timezone: opt(v, "timezone"),
        accessibility,
    })
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    kind: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let user = match admin(&req, &state).await? {
        Ok(u) => u,
        Err(resp) => return Ok(resp),
    };
    let pairs = match checked_form(&req, &state, &user, &body)? {
        Ok(pairs) => pairs,
        Err(refused) => return Ok(refused),
    };
    let kind = kind.into_inner();
    let values: HashMap<String, String> = pairs.into_iter().filter(|(k, _)| k != "csrf").collect();
    let lang = Ctx::new(&req, &state, "").lang;
    let v = values.clone();
    let result: Result<(String, Option<String>), AppError> = match kind.as_str() {
        "partner" => {
            let draft = PartnerDraft::try_from(partner_input(&v, opt(&v, "slug")));
            match draft {
                Ok(d) => state
                    .write(move |c| catalog::create_partner(c, &d))
                    .await
                    .map(|p| (format!("{} {}", lang.t("manage_created"), p.name), None)),
                Err(e) => Err(e),
            }
        }
        "action" => {
            let draft = ActionDraft::try_from(action_input(&v, opt(&v, "slug")));
            match draft {
                Ok(d) => state
                    .write(move |c| catalog::create_action(c, &d))
                    .await
                    .map(|a| (format!("{} {}", lang.t("manage_created"), a.title), None)),
                Err(e) => Err(e),
            }
        }
        "venue" => {
            let draft = venue_input(&v).and_then(VenueDraft::try_from);
            match draft {
                Ok(d) => state
                    .write(move |c| catalog::find_or_create_venue(c, &d))
                    .await
                    .map(|x| (format!("{} {}", lang.t("manage_created"), x.name), None)),
                Err(e) => Err(e),
            }
        }
        "user" => {
            let (email, role, partner) = (
                opt(&v, "email").unwrap_or_default(),
                opt(&v, "role").unwrap_or_default(),
                opt(&v, "partner"),
            );
            db::run(&state.pool, move |c| {
                qa::create_user(c, &email, &role, partner.as_deref())
            })
            .await
            .map(|password| (lang.t("manage_user_created").to_string(), Some(password)))
        }
        "token" => {
            let (name, partner) = (opt(&v, "name").unwrap_or_default(), opt(&v, "partner"));
            db::run(&state.pool, move |c| {
                qa::create_token(c, &name, partner.as_deref())
            })
            .await
            .map(|token| (lang.t("manage_token_created").to_string(), Some(token)))
        }
        _ => Err(AppError::NotFound(format!(
            "nothing to manage called {kind:?}"
        ))),
    };
    let o = match result {
        Ok((message, secret)) => Outcome {
            kind,
            message: Some(message),
            secret,
            errors: HashMap::new(),
            values: HashMap::new(),
            status: StatusCode::OK,
        },
        Err(AppError::Validation(fields)) => Outcome {
            kind,
            message: None,
            secret: None,
            errors: fields
                .iter()
                .map(|f| {
                    (
                        f.field.clone(),
                        Ctx::new(&req, &state, "").lang.field_message(f),
                    )
                })
                .collect(),
            values,
            status: StatusCode::UNPROCESSABLE_ENTITY,
        },
        Err(e @ (AppError::Conflict(_) | AppError::NotFound(_))) => Outcome {
            kind,
            message: None,
            secret: None,
            errors: HashMap::from([(
                "form".to_string(),
                Ctx::new(&req, &state, "")
                    .t(if matches!(e, AppError::Conflict(_)) {
                        "manage_exists"
                    } else {
                        "manage_no_partner"
                    })
                    .to_string(),
            )]),
            values,
            status: StatusCode::UNPROCESSABLE_ENTITY,
        },
        Err(e) => return Err(e),
    };
    render(&req, &state, user, o).await
}

async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let user = match admin(&req, &state).await? {
        Ok(u) => u,
        Err(resp) => return Ok(resp),
    };
    if let Err(refused) = checked_form(&req, &state, &user, &body)? {
        return Ok(refused);
    }
    let id = id.into_inner().to_string();
    let lang = Ctx::new(&req, &state, "").lang;
    let revoked = db::run(&state.pool, move |c| qa::revoke_token(c, &id)).await;
    let message = match revoked {
        Ok(_) => lang.t("manage_token_revoked").to_string(),
        Err(AppError::NotFound(_)) => lang.t("admin_none").to_string(),
        Err(e) => return Err(e),
    };
    let o = Outcome {
        kind: "token".into(),
        message: Some(message),
        secret: None,
        errors: HashMap::new(),
        values: HashMap::new(),
        status: StatusCode::OK,
    };
    render(&req, &state, user, o).await
}

/// One field of an edit form: name, message key of its label, input type, value.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "admin_manage_edit.html")]
struct EditPage {
    ctx: Ctx,
    user: qa::SessionUser,
    action_path: String,
    fields: Vec<Field>,
    errors: HashMap<String, String>,
}

impl EditPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

fn field(
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    value: impl Into<String>,
) -> Field {
    Field {
        name,
        label,
        kind,
        value: value.into(),
    }
}

/// An edit form's fields, (name, label key, input type), filled from `v`.
fn fields(
    v: &HashMap<String, String>,
    spec: &[(&'static str, &'static str, &'static str)],
) -> Vec<Field> {
    spec.iter()
        .map(|(name, label, kind)| {
            field(name, label, kind, v.get(*name).cloned().unwrap_or_default())
        })
        .collect()
}

const PARTNER_FIELDS: &[(&str, &str, &str)] = &[
    ("name", "manage_name", "text"),
    ("website", "website", "url"),
    ("description", "form_description", "text"),
];

const ACTION_FIELDS: &[(&str, &str, &str)] = &[
    ("title", "form_title", "text"),
    ("description", "form_description", "text"),
    ("hashtags", "manage_hashtags", "text"),
    ("first_day", "manage_first_day", "date"),
    ("last_day", "manage_last_day", "date"),
    ("partners", "manage_lead_partners", "text"),
];

const VENUE_FIELDS: &[(&str, &str, &str)] = &[
    ("name", "form_venue_name", "text"),
    ("address", "form_address", "text"),
    ("city", "form_city", "text"),
    ("region", "form_region", "text"),
    ("postal_code", "form_postal", "text"),
    ("country", "form_country", "text"),
    ("timezone", "form_venue_tz", "text"),
    ("access_wheelchair", "access_wheelchair", "wheelchair"),
    ("access_asl", "access_asl", "yes-no"),
    ("access_captions", "access_captions", "yes-no"),
    ("access_childcare", "access_childcare", "yes-no"),
    ("access_interpretation", "access_interpretation", "text"),
    ("access_notes", "access_notes", "textarea"),
];

async fn edit_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: qa::SessionUser,
    kind: &str,
    slug: &str,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
) -> Result<HttpResponse, AppError> {
    let fields = match kind {
        "partner" => fields(&values, PARTNER_FIELDS),
        "venue" => fields(&values, VENUE_FIELDS),
        _ => fields(&values, ACTION_FIELDS),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = EditPage {
        ctx: Ctx::new(
            req,
            state,
            format!("{}: {slug}", Ctx::new(req, state, "").t("admin_edit")),
        ),
        user,
        action_path: format!("/admin/manage/{kind}/{slug}"),
        fields,
        errors,
    };
    page(status, &body)
}

async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let user = match admin(&req, &state).await? {
        Ok(u) => u,
        Err(resp) => return Ok(resp),
    };
    let (kind, slug) = path.into_inner();
    let lookup = slug.clone();
    let values: Option<HashMap<String, String>> = match kind.as_str() {
        "partner" => {
            db::run(&state.pool, move |c| {
                match catalog::partner_by_slug(c, &lookup) {
                    Ok(p) => Ok(Some(HashMap::from([
                        ("name".to_string(), p.name),
                        ("website".to_string(), p.website.unwrap_or_default()),
                        ("description".to_string(), p.description),
                    ]))),
                    Err(AppError::NotFound(_)) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await?
        }
        "action" => {
            db::run(&state.pool, move |c| {
                match catalog::action_by_slug(c, &lookup) {
                    Ok(a) => {
                        let view = catalog::action_view(c, a)?;
                        let a = &view.action;
                        Ok(Some(HashMap::from([
                            ("title".to_string(), a.title.clone()),
                            ("description".to_string(), a.description.clone()),
                            ("hashtags".to_string(), a.hashtag_list().join(", ")),
                            (
                                "first_day".to_string(),
                                a.first_day.map(|d| d.to_string()).unwrap_or_default(),
                            ),
                            (
                                "last_day".to_string(),
                                a.last_day.map(|d| d.to_string()).unwrap_or_default(),
                            ),
                            (
                                "partners".to_string(),
                                view.partners
                                    .iter()
                                    .map(|(s, _)| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            ),
                        ])))
                    }
                    Err(AppError::NotFound(_)) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .await?
        }
        "venue" => {
            let id = lookup.parse::<i32>().unwrap_or(0);
            db::run(&state.pool, move |c| {
                Ok(catalog::venue_by_id(c, id)?.map(|v| {
                    let access = v.access();
                    HashMap::from([
                        ("name".to_string(), v.name),
                        ("address".to_string(), v.address.unwrap_or_default()),
                        ("city".to_string(), v.city.unwrap_or_default()),
                        ("region".to_string(), v.region.unwrap_or_default()),
                        ("postal_code".to_string(), v.postal_code.unwrap_or_default()),
                        ("country".to_string(), v.country.unwrap_or_default()),
                        ("timezone".to_string(), v.timezone.unwrap_or_default()),
                    ])
                    .into_iter()
                    .chain(access.as_ref().map(access_values).unwrap_or_default())
                    .collect()
                }))
            })
            .await?
        }
        _ => None,
    };
    match values {
        Some(values) => edit_page(&req, &state, user, &kind, &slug, values, HashMap::new()).await,
        None => crate::web::pages::not_found_page(&req, &state),
    }
}

async fn edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let user = match admin(&req, &state).await? {
        Ok(u) => u,
        Err(resp) => return Ok(resp),
    };
    let pairs = match checked_form(&req, &state, &user, &body)? {
        Ok(pairs) => pairs,
        Err(refused) => return Ok(refused),
    };
    let (kind, slug) = path.into_inner();
    let values: HashMap<String, String> = pairs.into_iter().filter(|(k, _)| k != "csrf").collect();
    let v = values.clone();
    let target = slug.clone();
    let result = match kind.as_str() {
        "partner" => match PartnerDraft::try_from(partner_input(&v, Some(slug.clone()))) {
            Ok(d) => {
                state
                    .write(move |c| catalog::update_partner(c, &target, &d).map(|_| ()))
                    .await
            }
            Err(e) => Err(e),
        },
        "action" => match ActionDraft::try_from(action_input(&v, Some(slug.clone()))) {
            Ok(d) => {
                state
                    .write(move |c| catalog::update_action(c, &target, &d).map(|_| ()))
                    .await
            }
            Err(e) => Err(e),
        },
        "venue" => match venue_input(&v).and_then(VenueDraft::try_from) {
            Ok(d) => {
                let id = target.parse::<i32>().unwrap_or(0);
                state
                    .write(move |c| catalog::update_venue(c, id, &d).map(|_| ()))
                    .await
            }
            Err(e) => Err(e),
        },
        _ => Err(AppError::NotFound(format!(
            "nothing to edit called {kind:?}"
        ))),
    };
    match result {
        Ok(()) => {
            let lang = Ctx::new(&req, &state, "").lang;
            let o = Outcome {
                kind,
                message: Some(format!("{} {slug}", lang.t("manage_saved"))),
                secret: None,
                errors: HashMap::new(),
                values: HashMap::new(),
                status: StatusCode::OK,
            };
            render(&req, &state, user, o).await
        }
        Err(AppError::Validation(fields)) => {
            let errors = fields
                .iter()
                .map(|f| {
                    (
                        form_field(&f.field),
                        Ctx::new(&req, &state, "").lang.field_message(f),
                    )
                })
                .collect();
            edit_page(&req, &state, user, &kind, &slug, values, errors).await
        }
        Err(e) => Err(e),
    }
}

/// Disable or enable a user.
async fn user_op(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i32, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let user = match admin(&req, &state).await? {
        Ok(u) => u,
        Err(resp) => return Ok(resp),
    };
    if let Err(refused) = checked_form(&req, &state, &user, &body)? {
        return Ok(refused);
    }
    let (id, op) = path.into_inner();
    let disable = match op.as_str() {
        "disable" => true,
        "enable" => false,
        _ => return crate::web::pages::not_found_page(&req, &state),
    };
    if disable && id == user.user_id {
        return forbidden(
            &req,
            &state,
            Ctx::new(&req, &state, "").t("manage_not_yourself"),
        );
    }
    let lang = Ctx::new(&req, &state, "").lang;
    let message = match db::run(&state.pool, move |c| qa::set_user_disabled(c, id, disable)).await {
        Ok(()) => lang
            .t(if disable {
                "manage_user_disabled"
            } else {
                "manage_user_enabled"
            })
            .to_string(),
        Err(AppError::NotFound(_)) => lang.t("admin_none").to_string(),
        Err(e) => return Err(e),
    };
    let o = Outcome {
        kind: "user".into(),
        message: Some(message),
        secret: None,
        errors: HashMap::new(),
        values: HashMap::new(),
        status: StatusCode::OK,
    };
    render(&req, &state, user, o).await
}
