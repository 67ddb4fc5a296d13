//! `/embed` (and `/es/embed`): a compact list of upcoming events made to sit in a partner's page
//! in an `<iframe>`, filtered by the one grammar (action, partner, city, tag, near…). The only
//! page any site may frame (`frame-ancestors *`); it needs no script, fits 280 px, follows the
//! reader's light or dark preference or `theme=light|dark`, and opens each event on Turnout in a
//! new tab. An optional script of ours (`/static/embed-host.js` on the partner's page, with
//! `/static/embed.js` in the frame) sizes the frame to its list.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::view::{self, EventCard};
use super::Ctx;
use crate::db::queries;
use crate::db::queries::events as q;
use crate::domain::filter::{self, EventFilter, Output};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::i18n::Lang;

/// Events an embed lists (the soonest; a link leads to the rest).
pub const EMBED_EVENTS: i64 = 20;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/embed", super::get_or_head().to(embed));
}

/// `theme`: the reader's preference, or the one the partner's page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Auto,
    Light,
    Dark,
}

impl Theme {
    /// The `theme` of a query (the last one given; absent or empty: auto). `None`: not one of
    /// light, dark, auto.
    pub fn of(pairs: &[(String, String)]) -> Option<Theme> {
        match pairs
            .iter()
            .rev()
            .find(|(k, _)| k == "theme")
            .map(|(_, v)| v.trim())
        {
            None | Some("") | Some("auto") => Some(Theme::Auto),
            Some("light") => Some(Theme::Light),
            Some("dark") => Some(Theme::Dark),
            Some(_) => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

#[derive(Template)]
#[template(path = "embed.html")]
struct EmbedPage {
    ctx: Ctx,
    theme: &'static str,
    cards: Vec<EventCard>,
    /// The full listing of the same filter on Turnout.
    more: String,
    errors: Vec<(String, String)>,
}

async fn embed(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_path(&req);
    let pairs = filter::pairs(req.query_string());
    let theme = Theme::of(&pairs);
    let wanted = EventFilter::from_pairs(&pairs, Output::Page).map_err(|e| e.into_vec());
    let now = queries::now();
    let listed = match wanted.clone() {
        Ok(w) => {
            let read = state
                .read(move |c| {
                    let f = q::resolve_filter(c, &w)?.upcoming_by_default(now);
                    let near = f.near.clone();
                    let (views, _) = q::list(c, &f, None, EMBED_EVENTS)?;
                    Ok((views, near))
                })
                .await;
            match read {
                Ok(v) => Ok(v),
                Err(AppError::Validation(e)) => Err(e),
                Err(other) => return Err(other),
            }
        }
        Err(e) => Err(e),
    };
    let (cards, mut errors) = match listed {
        Ok((views, near)) => {
            let unit = wanted
                .as_ref()
                .ok()
                .and_then(|w| w.near.as_ref())
                .map(|n| n.radius.unit);
            (
                view::cards_near(&views, near.as_ref(), unit, lang),
                Vec::new(),
            )
        }
        Err(fields) => (
            Vec::new(),
            fields
                .iter()
                .map(|f| (f.field.clone(), lang.field_message(f)))
                .collect(),
        ),
    };
    let theme = match theme {
        Some(t) => t,
        None => {
            errors.push(("theme".into(), lang.t("embed_bad_theme").to_string()));
            Theme::Auto
        }
    };
    let query = wanted.map(|w| w.canonical()).unwrap_or_default();
    let more = state.links.page(&if query.is_empty() {
        format!("{}/", lang.prefix())
    } else {
        format!("{}/?{query}", lang.prefix())
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = lang.t("embed_title");
    let mut ctx = Ctx::new(&req, &state, title);
    // Not a page of its own for search engines: the listing is.
    ctx.canonical = Some(more.clone());
    let page = EmbedPage {
        ctx,
        theme: theme.as_str(),
        cards,
        more,
        errors,
    };
    // Any site may frame it; it submits nothing.
    super::html(
        status,
        &page,
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
         form-action 'none'; base-uri 'none'; frame-ancestors *",
    )
}

/// "Put this on your site" on an action's or partner's page: the `<iframe>` a partner copies
/// (with the optional sizing script) and our own page's preview of it.
pub struct EmbedBox {
    pub snippet: String,
    pub src: String,
}

impl EmbedBox {
    /// For the listing filtered by `key=slug` (`action`, `partner`), titled `title`.
    pub fn new(state: &AppState, lang: Lang, key: &str, slug: &str, title: &str) -> EmbedBox {
        let src = format!(
            "{}/embed?{key}={}",
            lang.prefix(),
            crate::feeds::json::percent_encode(slug)
        );
        let script = state.links.page("/static/embed-host.js");
        let snippet = format!(
            "<iframe src=\"{}\" title=\"{}\" style=\"width:100%;max-width:40rem;border:0\" height=\"600\" loading=\"lazy\"></iframe>\n<script src=\"{script}\" async></script>",
            crate::feeds::atom::xml_text(&state.links.page(&src)),
            crate::feeds::atom::xml_text(title)
        );
        EmbedBox { snippet, src }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        filter::pairs(q)
    }

    #[test]
    fn themes() {
        assert_eq!(Theme::of(&pairs("")), Some(Theme::Auto));
        assert_eq!(Theme::of(&pairs("theme=dark")), Some(Theme::Dark));
        assert_eq!(Theme::of(&pairs("theme=light&city=x")), Some(Theme::Light));
        assert_eq!(Theme::of(&pairs("theme=neon")), None);
    }
}
