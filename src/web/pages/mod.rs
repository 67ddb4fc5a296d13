//! Public HTML pages: the listing (and archive), days of action, partners, events, 404.
//! Server-rendered with askama (auto-escaping); work without JavaScript; no third-party requests.

pub mod online;
pub mod submit;
pub mod view;

use std::collections::BTreeMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use self::view::{by_day, Day, EventCard, Subscribe};
use crate::db::models::{Partner, Venue};
use crate::db::queries;
use crate::db::queries::catalog::{self, ActionView};
use crate::db::queries::events::{self as q, Cursor, EventView, Filter};
use crate::domain::time::Bound;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::i18n::{self, Lang};

const PAGE_SIZE: i64 = 50;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(listing))
        .route("/archive", web::get().to(archive))
        .route("/actions", web::get().to(actions))
        .route("/actions/{slug}", web::get().to(action))
        .route("/partners/{slug}", web::get().to(partner))
        .route("/events/{id}", web::get().to(event))
        .route("/online-actions/{id}", web::get().to(online::online_action))
        .route("/tags/{tag}", web::get().to(tag))
        .route("/lang/{code}", web::get().to(switch_language))
        .route("/robots.txt", web::get().to(robots))
        .route("/static/style.css", web::get().to(style))
        .route("/static/local-time.js", web::get().to(script))
        .configure(submit::configure);
}

/// What every page's layout needs.
pub struct Ctx {
    pub lang: Lang,
    pub site: String,
    pub title: String,
    /// Path and query of this page, for the language switch to come back to.
    pub here: String,
    /// `<meta name="description">`: one line, at most [`view::DESCRIPTION_MAX`] characters.
    pub description: String,
    /// `<link rel="canonical">`: this page's absolute URL under `base_url`.
    pub canonical: Option<String>,
    /// `<meta name="robots" content="noindex">`: admin and submission pages, the paths
    /// /robots.txt disallows.
    pub noindex: bool,
}

/// Paths search engines are asked to leave alone (/robots.txt and `noindex`).
const PRIVATE_PATHS: [&str; 2] = ["/admin", "/submit"];

fn is_private(path: &str) -> bool {
    PRIVATE_PATHS.iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

impl Ctx {
    pub fn new(req: &HttpRequest, state: &AppState, title: impl Into<String>) -> Ctx {
        let here = match req.query_string() {
            "" => req.path().to_string(),
            q => format!("{}?{q}", req.path()),
        };
        let lang = Lang::of(req);
        let noindex = is_private(req.path());
        Ctx {
            lang,
            site: state.settings.site_name.clone(),
            title: title.into(),
            here,
            description: lang.t("meta_default").to_string(),
            canonical: (!noindex).then(|| format!("{}{}", state.links.base(), req.path())),
            noindex,
        }
    }

    /// The page's description from `text` (a user-written one, shortened to one line), or, if
    /// that is empty, from `fallback`.
    pub fn describe(mut self, text: &str, fallback: impl FnOnce() -> String) -> Ctx {
        let mut d = view::summary(text);
        if d.is_empty() {
            d = view::summary(&fallback());
        }
        if !d.is_empty() {
            self.description = d;
        }
        self
    }

    /// The description from the catalog's message `key`.
    pub fn describe_key(self, key: &str) -> Ctx {
        let text = self.lang.t(key);
        self.describe(text, String::new)
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    pub fn switch_url(&self) -> String {
        format!(
            "/lang/{}?next={}",
            self.lang.other().code(),
            crate::feeds::json::percent_encode(&self.here)
        )
    }

    pub fn role(&self, role: &str) -> &'static str {
        self.lang.t(&format!("role_{role}"))
    }
}

/// Renders a page with the headers every page gets: a strict CSP (only this server's own
/// stylesheet and script), no framing, no referrer to other sites. `connect-src 'self'` lets
/// Lighthouse fetch /robots.txt from inside the page (it does so in the page's context, and with
/// `connect-src` falling back to `default-src 'none'` it reports robots.txt as not downloadable);
/// our own script makes no requests, and no other script may run.
pub fn page(status: StatusCode, t: &impl Template) -> Result<HttpResponse, AppError> {
    let body = t
        .render()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("rendering a page: {e}")))?;
    Ok(HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
             connect-src 'self'; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .body(body))
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub action: Option<String>,
    pub partner: Option<String>,
    pub tag: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub q: Option<String>,
    pub cursor: Option<String>,
}

fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(200).collect())
}

impl ListQuery {
    /// The filters as a query string (without the cursor), for links that keep them.
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("action", &self.action),
            ("partner", &self.partner),
            ("tag", &self.tag),
            ("city", &self.city),
            ("region", &self.region),
            ("q", &self.q),
        ] {
            if let Some(v) = clean(v) {
                parts.push(format!("{k}={}", crate::feeds::json::percent_encode(&v)));
            }
        }
        parts.join("&")
    }

    pub fn value(&self, name: &str) -> String {
        let v = match name {
            "action" => &self.action,
            "partner" => &self.partner,
            "tag" => &self.tag,
            "city" => &self.city,
            "region" => &self.region,
            _ => &self.q,
        };
        clean(v).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    ctx: Ctx,
    archive: bool,
    days: Vec<Day>,
    filters: ListQuery,
    actions: Vec<(String, String)>,
    partners: Vec<(String, String)>,
    next: Option<String>,
    paged: bool,
    subscribe: Subscribe,
    /// On the first page of the unfiltered home page: open online actions of current days of
    /// action.
    online: Vec<online::OnlineCard>,
}

async fn listing(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    list_page(req, state, query.into_inner(), false).await
}

async fn archive(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    list_page(req, state, query.into_inner(), true).await
}

async fn list_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    filters: ListQuery,
    archive: bool,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(&req);
    let now = queries::now();
    let mut f = Filter {
        tag: clean(&filters.tag),
        city: clean(&filters.city),
        region: clean(&filters.region),
        q: clean(&filters.q),
        newest_first: archive,
        ..Filter::default()
    };
    if archive {
        f.to = Some(Bound::Instant(now));
    } else {
        f.from = Some(Bound::Instant(now));
    }
    let cursor = clean(&filters.cursor).and_then(|c| Cursor::decode(&c));
    let (action, partner) = (clean(&filters.action), clean(&filters.partner));
    let home = !archive && filters.query().is_empty() && filters.cursor.is_none();
    let (views, next, actions, partners, open_online) = state
        .read(move |c| {
            // An unknown slug in a filter matches nothing rather than everything.
            if let Some(slug) = &action {
                f.action_id = Some(catalog::action_by_slug(c, slug).map(|a| a.id).unwrap_or(-1));
            }
            if let Some(slug) = &partner {
                f.partner_id = Some(
                    catalog::partner_by_slug(c, slug)
                        .map(|p| p.id)
                        .unwrap_or(-1),
                );
            }
            let (views, next) = q::list(c, &f, cursor, PAGE_SIZE)?;
            let actions = catalog::action_choices(c)?;
            let partners = catalog::list_partners(c)?
                .into_iter()
                .map(|p| (p.slug, p.name))
                .collect::<Vec<_>>();
            let open_online = if home {
                crate::db::queries::online::open_now(c, chrono::Utc::now().date_naive())?
            } else {
                Vec::new()
            };
            Ok((views, next, actions, partners, open_online))
        })
        .await?;
    let cards = views.iter().map(|v| EventCard::new(v, lang)).collect();
    let title = lang.t(if archive {
        "title_archive"
    } else {
        "title_upcoming"
    });
    let feed_query = filters.query();
    let feed_path = if feed_query.is_empty() {
        "/calendar.ics".to_string()
    } else {
        format!("/calendar.ics?{feed_query}")
    };
    let subscribe = Subscribe::new(
        &state.links,
        &feed_path,
        &format!("{} — {title}", state.settings.site_name),
    );
    let base = if archive { "/archive" } else { "/" };
    let next = next.map(|c| {
        let q = filters.query();
        if q.is_empty() {
            format!("{base}?cursor={}", c.encode())
        } else {
            format!("{base}?{q}&cursor={}", c.encode())
        }
    });
    let mut ctx = Ctx::new(&req, &state, title).describe_key(if archive {
        "meta_archive"
    } else {
        "meta_upcoming"
    });
    // A filtered listing or a later page is a page of its own; other query parameters are not.
    let mut own_query = filters.query();
    if let Some(c) = clean(&filters.cursor).filter(|c| Cursor::decode(c).is_some()) {
        let sep = if own_query.is_empty() { "" } else { "&" };
        own_query = format!(
            "{own_query}{sep}cursor={}",
            crate::feeds::json::percent_encode(&c)
        );
    }
    if let (Some(url), false) = (&mut ctx.canonical, own_query.is_empty()) {
        url.push('?');
        url.push_str(&own_query);
    }
    let page_ = ListingPage {
        ctx,
        archive,
        days: by_day(cards, lang, archive),
        paged: filters.cursor.is_some(),
        filters,
        actions,
        partners,
        next,
        subscribe,
        online: online::cards(&open_online, lang),
    };
    page(StatusCode::OK, &page_)
}

#[derive(Template)]
#[template(path = "actions.html")]
struct ActionsPage {
    ctx: Ctx,
    actions: Vec<ActionView>,
}

async fn actions(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let list = state.read(|c| Ok(catalog::list_actions(c)?)).await?;
    let ctx =
        Ctx::new(&req, &state, Lang::of(&req).t("title_actions")).describe_key("meta_actions");
    page(StatusCode::OK, &ActionsPage { ctx, actions: list })
}

/// Events of one city.
pub struct CityGroup {
    pub city: String,
    pub events: Vec<EventCard>,
}

/// Cities of one region.
pub struct RegionGroup {
    pub region: String,
    pub cities: Vec<CityGroup>,
}

fn by_place(cards: Vec<EventCard>, online_label: &str) -> Vec<RegionGroup> {
    let mut tree: BTreeMap<String, BTreeMap<String, Vec<EventCard>>> = BTreeMap::new();
    for c in cards {
        let (region, city) = match (&c.region, &c.city) {
            (_, None) if c.venue_name.is_none() => {
                (online_label.to_string(), online_label.to_string())
            }
            (r, city) => (
                r.clone().unwrap_or_default(),
                city.clone().unwrap_or_default(),
            ),
        };
        tree.entry(region)
            .or_default()
            .entry(city)
            .or_default()
            .push(c);
    }
    tree.into_iter()
        .map(|(region, cities)| RegionGroup {
            region,
            cities: cities
                .into_iter()
                .map(|(city, events)| CityGroup { city, events })
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "action.html")]
struct ActionPage {
    ctx: Ctx,
    action: ActionView,
    hashtags: Vec<String>,
    regions: Vec<RegionGroup>,
    subscribe: Subscribe,
    online: Vec<online::OnlineCard>,
}

async fn action(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(&req);
    let slug = slug.into_inner();
    let found = state
        .read(move |c| {
            let Ok(a) = catalog::action_by_slug(c, &slug) else {
                return Ok(None);
            };
            let view = catalog::action_view(c, a)?;
            let f = Filter {
                action_id: Some(view.action.id),
                ..Filter::default()
            };
            let (events, _) = q::list(c, &f, None, 5000)?;
            let online = crate::db::queries::online::for_page(
                c,
                &crate::db::queries::online::Filter {
                    action_id: Some(view.action.id),
                    ..Default::default()
                },
            )?;
            Ok(Some((view, events, online)))
        })
        .await?;
    let Some((view, events, online_list)) = found else {
        return not_found_page(&req, &state);
    };
    let cards = events.iter().map(|v| EventCard::new(v, lang)).collect();
    let feed = format!("/actions/{}.ics", view.action.slug);
    let subscribe = Subscribe::new(
        &state.links,
        &feed,
        &format!("{} — {}", state.settings.site_name, view.action.title),
    );
    let p = ActionPage {
        ctx: Ctx::new(&req, &state, view.action.title.clone())
            .describe(&view.action.description, || {
                lang.t("meta_action").replace("{name}", &view.action.title)
            }),
        hashtags: view.action.hashtag_list(),
        regions: by_place(cards, lang.t("online")),
        subscribe,
        action: view,
        online: online::cards(&online_list, lang),
    };
    page(StatusCode::OK, &p)
}

#[derive(Template)]
#[template(path = "partner.html")]
struct PartnerPage {
    ctx: Ctx,
    partner: Partner,
    days: Vec<Day>,
    subscribe: Subscribe,
    online: Vec<online::OnlineCard>,
}

async fn partner(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(&req);
    let slug = slug.into_inner();
    let found = state
        .read(move |c| {
            let Ok(p) = catalog::partner_by_slug(c, &slug) else {
                return Ok(None);
            };
            let f = Filter {
                partner_id: Some(p.id),
                from: Some(Bound::Instant(queries::now())),
                ..Filter::default()
            };
            let (events, _) = q::list(c, &f, None, 500)?;
            let online = crate::db::queries::online::for_page(
                c,
                &crate::db::queries::online::Filter {
                    partner_id: Some(p.id),
                    ..Default::default()
                },
            )?;
            Ok(Some((p, events, online)))
        })
        .await?;
    let Some((p, events, online_list)) = found else {
        return not_found_page(&req, &state);
    };
    let cards = events.iter().map(|v| EventCard::new(v, lang)).collect();
    let feed = format!("/partners/{}.ics", p.slug);
    let subscribe = Subscribe::new(
        &state.links,
        &feed,
        &format!("{} — {}", state.settings.site_name, p.name),
    );
    let pg = PartnerPage {
        ctx: Ctx::new(&req, &state, p.name.clone()).describe(&p.description, || {
            lang.t("meta_partner").replace("{name}", &p.name)
        }),
        days: by_day(cards, lang, false),
        partner: p,
        subscribe,
        online: online::cards(&online_list, lang),
    };
    page(StatusCode::OK, &pg)
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    ctx: Ctx,
    card: EventCard,
    description: String,
    venue: Option<Venue>,
    online_url: Option<String>,
    info_url: Option<String>,
    tags: Vec<String>,
    timezone: String,
    google: String,
    outlook: String,
    json_ld: String,
}

async fn event(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(&req);
    let Some(id) = id.parse::<i32>().ok().filter(|n| *n > 0) else {
        return not_found_page(&req, &state);
    };
    let found: Option<EventView> = state
        .read(move |c| match q::public_view(c, id) {
            Ok(v) => Ok(Some(v)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        })
        .await?;
    let Some(v) = found else {
        return not_found_page(&req, &state);
    };
    let (google, outlook) = view::add_event_links(&v, &state.links);
    let card = EventCard::new(&v, lang);
    let ctx = Ctx::new(&req, &state, v.event.title.clone()).describe(&v.event.description, || {
        // "Saturday, September 13, 2030 · Grand Park, Los Angeles · LA rally"
        let place = match card.place() {
            p if p.is_empty() && card.online => lang.t("online").to_string(),
            p => p,
        };
        [
            card.date_label.as_str(),
            place.as_str(),
            card.title.as_str(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
    });
    let p = EventPage {
        ctx,
        card,
        description: v.event.description.clone(),
        venue: v.venue.clone(),
        online_url: v.event.online_url.clone(),
        info_url: v.event.info_url.clone(),
        tags: v.tags.clone(),
        timezone: v.event.timezone.clone(),
        google,
        outlook,
        json_ld: view::json_ld(&v, &state.links),
    };
    page(StatusCode::OK, &p)
}

/// A tag's page is the listing filtered by it (with that filter's subscribe links).
async fn tag(tag: web::Path<String>) -> HttpResponse {
    let tag = tag.trim_start_matches('#');
    HttpResponse::Found()
        .insert_header((
            header::LOCATION,
            format!("/?tag={}", crate::feeds::json::percent_encode(tag)),
        ))
        .finish()
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    ctx: Ctx,
}

pub fn not_found_page(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(req);
    page(
        StatusCode::NOT_FOUND,
        &NotFoundPage {
            ctx: Ctx {
                // A missing page has no address of its own to recommend.
                canonical: None,
                ..Ctx::new(req, state, lang.t("not_found_title"))
            },
        },
    )
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: Ctx,
    message: String,
    home: &'static str,
    home_label: &'static str,
}

/// The one HTML rendering of an `AppError` (pages and admin; the API answers problem+json).
/// A removed event answers 410 with a short page that says only that.
pub fn error_page(req: &HttpRequest, state: &AppState, err: &AppError) -> HttpResponse {
    let lang = Lang::of(req);
    let status = actix_web::ResponseError::status_code(err);
    let (title, message) = match err {
        AppError::NotFound(_) => (lang.t("not_found_title"), lang.t("not_found_text").into()),
        AppError::Gone(_) if req.path().starts_with("/events/") => {
            (lang.t("removed_title"), lang.t("removed_text").into())
        }
        AppError::Gone(m) => (lang.t("error_gone"), m.clone()),
        AppError::Forbidden(m) | AppError::Unauthorized(m) => {
            (lang.t("error_forbidden"), m.clone())
        }
        AppError::Unexpected(_) => (lang.t("error_server"), lang.t("error_server_text").into()),
        other if status == StatusCode::TOO_MANY_REQUESTS => {
            (lang.t("error_too_many"), other.to_string())
        }
        other => (
            lang.t("error_bad_request"),
            match other {
                AppError::Validation(fields) => fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, lang.field_message(f)))
                    .collect::<Vec<_>>()
                    .join("; "),
                AppError::BadRequest(m) | AppError::Conflict(m) => m.clone(),
                other => other.to_string(),
            },
        ),
    };
    let admin = req.path().starts_with("/admin");
    let body = ErrorPage {
        ctx: Ctx::new(req, state, title),
        message,
        home: if admin { "/admin" } else { "/" },
        home_label: lang.t(if admin {
            "admin_dashboard"
        } else {
            "back_home"
        }),
    };
    page(status, &body).unwrap_or_else(|_| {
        HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(format!("{title}\n"))
    })
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// Sets the language cookie and goes back. Only local paths are followed.
async fn switch_language(code: web::Path<String>, next: web::Query<Next>) -> HttpResponse {
    let lang = Lang::parse(&code).unwrap_or(Lang::En);
    let target = crate::web::local_path(next.next.as_deref().unwrap_or(""))
        .unwrap_or_else(|| "/".to_string());
    let cookie = actix_web::cookie::Cookie::build(i18n::COOKIE, lang.code())
        .path("/")
        .max_age(actix_web::cookie::time::Duration::days(365))
        .same_site(actix_web::cookie::SameSite::Lax)
        .http_only(true)
        .finish();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target.to_string()))
        .cookie(cookie)
        .finish()
}

const STYLE: &str = include_str!("../../../static/style.css");
const SCRIPT: &str = include_str!("../../../static/local-time.js");

/// Asks crawlers to keep out of the admin and the submission form (those pages also say
/// `noindex`, for links from elsewhere); everything else may be crawled.
async fn robots() -> HttpResponse {
    let mut body = String::from("User-agent: *\n");
    for p in PRIVATE_PATHS {
        body.push_str("Disallow: ");
        body.push_str(p);
        body.push('\n');
    }
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(body)
}

async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLE)
}

async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(SCRIPT)
}
