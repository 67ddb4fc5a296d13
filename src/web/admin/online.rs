//! Online actions in the admin (issue 16): the list, the form (new, edit), delete, and the rows
//! the dashboard's "deadlines coming up" shows. The form becomes the API's `OnlineActionInput`
//! and goes through the same validation and write path; errors come back next to their fields,
//! as typed. Organizers see and change only what their partner is behind; admins everything.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::form::field_errors;
use super::{
    checked_form, choices, forbidden, form_status, own_partner_slug, principal, redirect, require,
    Notice,
};
use crate::db::queries;
use crate::db::queries::auth::SessionUser;
use crate::db::queries::online::{self as q, Filter, OnlineView};
use crate::db::{self};
use crate::domain::message::Msg;
use crate::domain::online::{Kind, OnlineActionDraft, OnlineActionInput, OnlineStatus};
use crate::error::{AppError, FieldError};
use crate::state::AppState;
use crate::web::i18n::Lang;
use crate::web::pages::view::day_label;
use crate::web::pages::{page, Ctx};

/// Partner rows the form shows at least (one more than are filled in, when that is more).
pub const MIN_PARTNER_ROWS: usize = 3;

/// How far ahead the dashboard looks for deadlines.
pub const DEADLINE_DAYS: i64 = 14;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/online-actions", web::get().to(list))
        .route("/admin/online-actions/new", web::get().to(new_form))
        .route("/admin/online-actions/new", web::post().to(save))
        .route("/admin/online-actions/{id}/edit", web::get().to(edit_form))
        .route("/admin/online-actions/{id}/edit", web::post().to(save))
        .route("/admin/online-actions/{id}/delete", web::post().to(delete));
}

// ---------------------------------------------------------------------------------------------
// The form's values

/// Every field of the online-action form as typed. Partner rows are renumbered without gaps
/// (`partner_0`, `partner_1`, …) so that an error on `partners[n]` lands on the row it is about.
#[derive(Debug, Clone, Default)]
pub struct OnlineForm {
    pub values: HashMap<String, String>,
}

fn partner_key(n: usize) -> String {
    format!("partner_{n}")
}

impl OnlineForm {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> OnlineForm {
        let mut rows: Vec<(usize, String)> = Vec::new();
        let mut values = HashMap::new();
        for (k, v) in pairs {
            match k
                .strip_prefix("partner_")
                .and_then(|n| n.parse::<usize>().ok())
            {
                Some(n) => {
                    if !v.trim().is_empty() {
                        rows.push((n, v));
                    }
                }
                None => {
                    values.insert(k, v);
                }
            }
        }
        rows.sort_by_key(|(n, _)| *n);
        for (i, (_, slug)) in rows.into_iter().enumerate() {
            values.insert(partner_key(i), slug);
        }
        OnlineForm { values }
    }

    /// The form filled in from a stored online action.
    pub fn from_view(v: &OnlineView) -> OnlineForm {
        let i = v.to_input();
        let mut pairs: Vec<(String, String)> = [
            ("kind", i.kind),
            ("title", i.title),
            ("description", i.description),
            ("action", i.action),
            ("url", i.url),
            ("goal", i.goal.map(|n| n.to_string())),
            ("count", i.count.map(|n| n.to_string())),
            ("deadline", i.deadline),
            ("timezone", i.timezone),
            ("status", i.status),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect();
        for (n, slug) in i.partners.unwrap_or_default().into_iter().enumerate() {
            pairs.push((partner_key(n), slug));
        }
        OnlineForm::from_pairs(pairs)
    }

    pub fn get(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// How many partner rows are filled in.
    pub fn partner_count(&self) -> usize {
        (0..)
            .take_while(|n| self.values.contains_key(&partner_key(*n)))
            .count()
    }

    /// The form as the API's input, and what the form alone can tell is wrong (a kind or status
    /// not on the list, a goal that is not a number). Validation proper happens once, in
    /// `OnlineActionDraft`, for every entry path.
    pub fn to_input(&self) -> (OnlineActionInput, Vec<FieldError>) {
        let mut errors = Vec::new();
        let mut choice = |field: &str, known: bool, msg: Msg| {
            let v = self.opt(field);
            if v.is_some() && !known {
                errors.push(FieldError::new(field, msg));
                return None;
            }
            v
        };
        let kind = choice(
            "kind",
            Kind::parse(self.get("kind").trim()).is_some(),
            Msg::ChooseKind,
        );
        let status = choice(
            "status",
            OnlineStatus::parse(self.get("status").trim()).is_some(),
            Msg::ChooseStatus,
        );
        let mut number = |field: &str| {
            let v = self.opt(field)?;
            v.parse::<i64>()
                .map_err(|_| errors.push(FieldError::new(field, Msg::NotWholeNumber { input: v })))
                .ok()
        };
        let goal = number("goal");
        let count = number("count");
        let input = OnlineActionInput {
            kind,
            title: self.opt("title"),
            description: self.opt("description"),
            action: self.opt("action"),
            partners: Some(
                (0..self.partner_count())
                    .map(|n| self.get(&partner_key(n)).trim().to_string())
                    .collect(),
            ),
            url: self.opt("url"),
            goal,
            count,
            deadline: self.opt("deadline"),
            timezone: self.opt("timezone"),
            status,
        };
        (input, errors)
    }
}

// ---------------------------------------------------------------------------------------------
// Rows (the list and the dashboard)

/// An online action as a line of the list or of the dashboard.
pub struct OnlineRow {
    pub id: i32,
    pub title: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub open: bool,
    /// "37 of 100", "37", or empty.
    pub progress: String,
    /// ISO date and the day in words.
    pub deadline: Option<(String, String)>,
    pub partners: String,
}

impl OnlineRow {
    pub fn new(v: &OnlineView, lang: Lang) -> OnlineRow {
        let r = &v.row;
        let progress = match (r.count, r.goal) {
            (count, Some(goal)) => lang
                .t("admin_online_progress")
                .replace("{count}", &count.unwrap_or(0).to_string())
                .replace("{goal}", &goal.to_string()),
            (Some(count), None) => count.to_string(),
            (None, None) => String::new(),
        };
        OnlineRow {
            id: r.id,
            title: r.title.clone(),
            kind: lang.t(&format!("admin_online_kind_{}", r.kind)),
            status: lang.t(&format!("admin_online_status_{}", r.status)),
            open: v.is_open(),
            progress,
            deadline: r.deadline.map(|d| (d.to_string(), day_label(lang, d))),
            partners: v
                .partners
                .iter()
                .map(|(_, name)| name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// The dashboard's "deadlines coming up": open ones due within [`DEADLINE_DAYS`], soonest first.
pub fn deadlines(
    conn: &mut crate::db::DbConn,
    partner_id: Option<i32>,
) -> Result<Vec<OnlineView>, AppError> {
    let today = queries::now().date();
    Ok(q::deadline_near(conn, partner_id, today, DEADLINE_DAYS)?)
}

// ---------------------------------------------------------------------------------------------
// Pages

#[derive(Template)]
#[template(path = "admin_online_list.html")]
struct ListPage {
    ctx: Ctx,
    user: SessionUser,
    rows: Vec<OnlineRow>,
    notice: Option<String>,
}

async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    let who = principal(&user);
    let views = db::run(&state.pool, move |c| {
        let f = Filter {
            partner_id: who.partner_id(),
            ..Filter::default()
        };
        Ok(q::for_page(c, &f)?)
    })
    .await?;
    let ctx = Ctx::new(
        &req,
        &state,
        Ctx::new(&req, &state, "").t("admin_online_actions"),
    );
    let lang = ctx.lang;
    let body = ListPage {
        rows: views.iter().map(|v| OnlineRow::new(v, lang)).collect(),
        notice: notice
            .done
            .as_deref()
            .filter(|d| ["created", "saved", "deleted"].contains(d))
            .map(|d| lang.t(&format!("admin_online_done_{d}")).to_string()),
        ctx,
        user,
    };
    page(StatusCode::OK, &body)
}

#[derive(Template)]
#[template(path = "admin_online_form.html")]
struct FormPage {
    ctx: Ctx,
    user: SessionUser,
    /// `Some(id)` when editing.
    editing: Option<i32>,
    form: OnlineForm,
    errors: HashMap<String, String>,
    kinds: Vec<&'static str>,
    statuses: Vec<&'static str>,
    actions: Vec<(String, String)>,
    partners: Vec<(String, String)>,
    zones: Vec<&'static str>,
    rows: Vec<usize>,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    fn is(&self, field: &str, value: &str) -> bool {
        self.form.get(field) == value
    }

    fn partner_is(&self, row: &usize, slug: &str) -> bool {
        self.form.get(&partner_key(*row)) == slug
    }

    fn kind_label(&self, kind: &str) -> &'static str {
        self.ctx.t(&format!("admin_online_kind_{kind}"))
    }

    fn status_label(&self, status: &str) -> &'static str {
        self.ctx.t(&format!("admin_online_status_{status}"))
    }
}

async fn render_form(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user: SessionUser,
    editing: Option<i32>,
    form: OnlineForm,
    errors: HashMap<String, String>,
) -> Result<HttpResponse, AppError> {
    let (actions, partners) = db::run(&state.pool, choices).await?;
    let lang = Ctx::new(req, state, "").lang;
    let title = lang.t(if editing.is_some() {
        "admin_online_edit"
    } else {
        "admin_online_new"
    });
    let status = form_status(&errors);
    let rows = (0..MIN_PARTNER_ROWS.max(form.partner_count() + 1)).collect();
    let body = FormPage {
        ctx: Ctx::new(req, state, title),
        user,
        editing,
        form,
        errors,
        kinds: Kind::ALL.map(Kind::as_str).to_vec(),
        statuses: OnlineStatus::ALL.map(OnlineStatus::as_str).to_vec(),
        actions,
        partners,
        zones: chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect(),
        rows,
    };
    page(status, &body)
}

/// The page for a write or read the user may not make, or that finds nothing; other errors pass.
fn refusal(req: &HttpRequest, state: &AppState, e: AppError) -> Result<HttpResponse, AppError> {
    let lang = Ctx::new(req, state, "").lang;
    match e {
        AppError::Forbidden(_) => forbidden(req, state, lang.t("admin_online_not_yours")),
        AppError::Gone(_) => forbidden(req, state, lang.t("admin_online_deleted")),
        AppError::NotFound(_) => crate::web::pages::not_found_page(req, state),
        e => Err(e),
    }
}

async fn new_form(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    let mut form = OnlineForm::default();
    form.values
        .insert("status".into(), OnlineStatus::Open.as_str().into());
    if let Some(slug) = own_partner_slug(&state, &user).await? {
        // An organizer's own partner is behind it by default (and always, once saved).
        form.values.insert(partner_key(0), slug);
    }
    render_form(&req, &state, user, None, form, HashMap::new()).await
}

async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    let id = id.into_inner();
    let who = principal(&user);
    let found = db::run(&state.pool, move |c| {
        let v = q::public_view(c, id).map_err(|e| match e {
            AppError::Gone(m) => AppError::NotFound(m),
            e => e,
        })?;
        q::authorize(c, &who, id)?;
        Ok(v)
    })
    .await;
    match found {
        Ok(v) => {
            let form = OnlineForm::from_view(&v);
            render_form(&req, &state, user, Some(id), form, HashMap::new()).await
        }
        Err(e) => refusal(&req, &state, e),
    }
}

/// Saves the form: creates (on `…/new`) or updates (on `…/{id}/edit`). Errors come back on the
/// form, as typed.
async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    let id = match req.match_info().get("id") {
        None => None,
        Some(raw) => match raw.parse::<i32>() {
            Ok(id) => Some(id),
            Err(_) => return crate::web::pages::not_found_page(&req, &state),
        },
    };
    let pairs = match checked_form(&req, &state, &user, &body)? {
        Ok(pairs) => pairs,
        Err(refused) => return Ok(refused),
    };
    let lang = Ctx::new(&req, &state, "").lang;
    let form = OnlineForm::from_pairs(pairs);
    let (input, mut form_errors) = form.to_input();
    if !form_errors.is_empty() {
        // Show every problem at once: what the form found, then what validation finds.
        if let Err(AppError::Validation(more)) = OnlineActionDraft::try_from(input) {
            form_errors.extend(more);
        }
        let errors = field_errors(lang, &form_errors);
        return render_form(&req, &state, user, id, form, errors).await;
    }
    let who = principal(&user);
    let host = state.links.host().to_string();
    let result = state
        .write(move |c| match id {
            None => q::create(c, &who, input, &host),
            Some(id) => q::update_with(c, &who, id, |_| Ok(input)),
        })
        .await;
    match result {
        Ok(_) => Ok(redirect(if id.is_some() {
            "/admin/online-actions?done=saved"
        } else {
            "/admin/online-actions?done=created"
        })),
        Err(AppError::Validation(fields)) => {
            let errors = field_errors(lang, &fields);
            render_form(&req, &state, user, id, form, errors).await
        }
        Err(e) => refusal(&req, &state, e),
    }
}

async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let user = require(&req, &state).await?;
    if let Err(refused) = checked_form(&req, &state, &user, &body)? {
        return Ok(refused);
    }
    let id = id.into_inner();
    let who = principal(&user);
    match state.write(move |c| q::delete(c, &who, id)).await {
        Ok(()) => Ok(redirect("/admin/online-actions?done=deleted")),
        Err(e) => refusal(&req, &state, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> OnlineForm {
        OnlineForm::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn fields_become_input_and_partner_rows_close_up() {
        let f = form(&[
            ("kind", "call-in"),
            ("title", " Call your senator "),
            ("url", "https://calls.example"),
            ("goal", "100"),
            ("count", " 37 "),
            ("partner_0", ""),
            ("partner_2", "cosecha"),
            ("partner_1", "mijente"),
            ("deadline", "2030-09-30"),
            ("timezone", ""),
            ("status", "open"),
        ]);
        assert_eq!(f.get("partner_0"), "mijente");
        assert_eq!(f.get("partner_1"), "cosecha");
        let (input, errors) = f.to_input();
        assert!(errors.is_empty());
        assert_eq!(input.kind.as_deref(), Some("call-in"));
        assert_eq!(input.title.as_deref(), Some("Call your senator"));
        assert_eq!(input.partners.unwrap(), ["mijente", "cosecha"]);
        assert_eq!((input.goal, input.count), (Some(100), Some(37)));
        assert_eq!(input.timezone, None);
    }

    #[test]
    fn what_only_the_form_can_tell() {
        let (input, errors) =
            form(&[("kind", "rally"), ("goal", "ten"), ("status", "x")]).to_input();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["kind", "status", "goal"]);
        assert_eq!(
            errors[2].message,
            "\"ten\" is not a whole number (like 100)"
        );
        assert_eq!((input.kind, input.goal), (None, None));
        let es = field_errors(Lang::Es, &errors);
        assert_eq!(es["goal"], "«ten» no es un número entero (como 100)");
    }
}
