//! Online actions on pages: the "Take action online" sections (day of action, partner, home)
//! and a page per online action with JSON-LD.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde_json::json;

use super::view::day_label;
use super::{page, Ctx};
use crate::db::queries::online::{self as q, OnlineView};
use crate::error::AppError;
use crate::feeds::json::Links;
use crate::state::AppState;
use crate::web::i18n::Lang;

/// One online action as a card shows it.
pub struct OnlineCard {
    pub id: i32,
    pub kind: String,
    pub kind_label: &'static str,
    pub call: &'static str,
    pub title: String,
    pub description: String,
    pub url: String,
    pub partners: Vec<(String, String)>,
    pub action: Option<(String, String)>,
    pub open: bool,
    pub status_label: &'static str,
    /// "37 of 100 signatures (37%)", or "37 signatures" without a goal.
    pub progress: Option<String>,
    /// For `<progress>`: (count, goal), count capped at the goal.
    pub bar: Option<(i32, i32)>,
    pub deadline_iso: Option<String>,
    pub deadline_label: Option<String>,
    pub deadline_passed: bool,
}

impl OnlineCard {
    pub fn new(v: &OnlineView, lang: Lang, today: chrono::NaiveDate) -> OnlineCard {
        let r = &v.row;
        let unit = lang.t(&format!("online_unit_{}", r.kind));
        let progress = match (r.count, r.goal) {
            (Some(c), Some(g)) if g > 0 => {
                let pct = (i64::from(c) * 100 / i64::from(g)).min(999);
                Some(format!("{c} {} {g} {unit} ({pct}%)", lang.t("online_of")))
            }
            (Some(c), None) => Some(format!("{c} {unit}")),
            (None, Some(g)) => Some(format!("{} {g} {unit}", lang.t("online_goal"))),
            _ => None,
        };
        let bar = match (r.count, r.goal) {
            (Some(c), Some(g)) if g > 0 => Some((c.min(g), g)),
            _ => None,
        };
        OnlineCard {
            id: r.id,
            kind: r.kind.clone(),
            kind_label: lang.t(&format!("online_kind_{}", r.kind)),
            call: lang.t(&format!("online_call_{}", r.kind)),
            title: r.title.clone(),
            description: r.description.clone(),
            url: r.url.clone(),
            partners: v.partners.clone(),
            action: v.action.clone(),
            open: v.is_open(),
            status_label: lang.t(&format!("online_status_{}", r.status)),
            progress,
            bar,
            deadline_iso: r.deadline.map(|d| d.to_string()),
            deadline_label: r.deadline.map(|d| day_label(lang, d)),
            deadline_passed: r.deadline.is_some_and(|d| d < today),
        }
    }
}

/// Cards for `list`; whether a deadline has passed is judged by the day it is now in the
/// online action's own zone.
pub fn cards(list: &[OnlineView], lang: Lang) -> Vec<OnlineCard> {
    let now = chrono::Utc::now();
    list.iter()
        .map(|v| {
            let tz: chrono_tz::Tz = v.row.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
            OnlineCard::new(v, lang, now.with_timezone(&tz).date_naive())
        })
        .collect()
}

#[derive(Template)]
#[template(path = "online_action.html")]
struct OnlinePage {
    ctx: Ctx,
    o: OnlineCard,
    json_ld: String,
}

pub async fn online_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_path(&req);
    let Some(id) = id.parse::<i32>().ok().filter(|n| *n > 0) else {
        return super::not_found_page(&req, &state);
    };
    let found = state
        .read(move |c| match q::public_view(c, id) {
            Ok(v) => Ok(Some(v)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        })
        .await?;
    let Some(v) = found else {
        return super::not_found_page(&req, &state);
    };
    let card = cards(std::slice::from_ref(&v), lang)
        .pop()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no card")))?;
    let ctx = Ctx::new(&req, &state, v.row.title.clone()).describe(&v.row.description, || {
        format!("{} — {}", card.kind_label, v.row.title)
    });
    page(
        StatusCode::OK,
        &OnlinePage {
            ctx,
            json_ld: json_ld(&v, &state.links),
            o: card,
        },
    )
}

/// schema.org: an `Action` whose `target` is where it is taken.
pub fn json_ld(v: &OnlineView, links: &Links) -> String {
    let r = &v.row;
    let status = match r.status.as_str() {
        "open" => "https://schema.org/ActiveActionStatus",
        _ => "https://schema.org/CompletedActionStatus",
    };
    let agents: Vec<_> = v
        .partners
        .iter()
        .map(|(slug, name)| {
            json!({"@type": "Organization", "name": name, "url": links.page(&format!("/partners/{slug}"))})
        })
        .collect();
    let mut doc = json!({
        "@context": "https://schema.org",
        "@type": "Action",
        "name": r.title,
        "description": r.description,
        "actionStatus": status,
        "agent": agents,
        "target": {"@type": "EntryPoint", "urlTemplate": r.url},
        "url": links.page(&format!("/online-actions/{}", r.id)),
    });
    if let Some(d) = r.deadline {
        doc["endTime"] = json!(d.to_string());
    }
    if let Some((slug, title)) = &v.action {
        doc["isPartOf"] = json!({"@type": "Event", "name": title, "url": links.page(&format!("/actions/{slug}"))});
    }
    super::view::script_json(&doc)
}
