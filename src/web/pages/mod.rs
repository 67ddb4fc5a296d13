//! Public HTML pages: the listing (and archive), days of action, partners, events, 404.
//! Server-rendered with askama (auto-escaping); work without JavaScript; no third-party requests.

pub mod embed;
pub mod online;
pub mod places;
pub mod submit;
pub mod view;

use actix_web::http::{header, StatusCode};
use actix_web::{guard, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use self::view::{by_day, Day, EventCard, Subscribe};
use crate::db::models::{Partner, Venue};
use crate::db::queries;
use crate::db::queries::catalog::{self, ActionView};
use crate::db::queries::events::{self as q, Cursor, Filter};
use crate::domain::filter::{self, EventFilter, Output};
use crate::domain::time::Bound;
use crate::error::{AppError, FieldError};
use crate::state::AppState;
use crate::web::i18n::{self, Lang};

const PAGE_SIZE: i64 = 50;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(public_pages)
        .service(
            web::scope("/es")
                .route("", get_or_head().to(spanish_home))
                .configure(public_pages),
        )
        .route("/lang/{code}", web::get().to(switch_language))
        .route("/robots.txt", web::get().to(robots))
        .route("/static/style.css", web::get().to(style))
        .route("/static/local-time.js", web::get().to(script))
        .route("/static/embed.css", web::get().to(embed_style))
        .route("/static/embed.js", web::get().to(embed_script))
        .route("/static/embed-host.js", web::get().to(embed_host_script));
}

pub fn get_or_head() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// The public pages: in English at the root and in Spanish under `/es`, each handler taking the
/// language from the path ([`Lang::of_path`]), never from the visitor, so that one URL answers
/// the same for everyone (shared caches and CDNs key on the URL alone).
fn public_pages(cfg: &mut web::ServiceConfig) {
    cfg.route("/", get_or_head().to(listing))
        .route("/archive", get_or_head().to(archive))
        .route("/actions", get_or_head().to(actions))
        .route("/actions/{slug}", get_or_head().to(action))
        .configure(places::configure)
        .route("/partners/{slug}", get_or_head().to(partner))
        .route("/events/{id}", get_or_head().to(event))
        .route(
            "/online-actions/{id}",
            get_or_head().to(online::online_action),
        )
        .route("/tags/{tag}", get_or_head().to(tag))
        .configure(embed::configure)
        .configure(submit::configure);
}

/// `/es` is the Spanish home's address without its slash.
async fn spanish_home(req: HttpRequest) -> HttpResponse {
    let location = match req.query_string() {
        "" => "/es/".to_string(),
        q => format!("/es/?{q}"),
    };
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Paths that are not pages and so are the same in both languages.
const NOT_PAGES: [&str; 6] = [
    "/admin",
    "/api",
    "/lang",
    "/static",
    "/healthz",
    "/robots.txt",
];

/// `target` (a local path, maybe with a query) as the same page in `lang`: `/es` put in front of
/// or taken off a public page's path (`/archive?q=x` ⇄ `/es/archive?q=x`, `/` ⇄ `/es/`); the
/// admin, feeds and API are the same in both languages and are left as they are.
pub fn in_language(target: &str, lang: Lang) -> String {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let english = match path.strip_prefix("/es") {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') && !rest.starts_with("//") => rest,
        _ => path,
    };
    let page = !english.ends_with(".ics")
        && !NOT_PAGES.iter().any(|p| {
            english
                .strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
    let mut out = if page {
        format!("{}{english}", lang.prefix())
    } else {
        english.to_string()
    };
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// What every page's layout needs.
pub struct Ctx {
    /// From the path on public pages, the visitor's preference on admin pages
    /// ([`Lang::of_page`]).
    pub lang: Lang,
    pub site: String,
    /// `base_url`, for absolute links (the `hreflang` alternates).
    pub base: String,
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
    /// `<link rel="alternate" type="application/atom+xml">`: the Atom feed of what this page
    /// lists (its address, its title).
    pub atom: Option<(String, String)>,
}

/// Paths search engines are asked to leave alone (/robots.txt and `noindex`).
const PRIVATE_PATHS: [&str; 3] = ["/admin", "/submit", "/es/submit"];

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
        let lang = Lang::of_page(req);
        let noindex = is_private(req.path());
        Ctx {
            lang,
            site: state.settings.site_name.clone(),
            base: state.links.base().to_string(),
            title: title.into(),
            here,
            description: lang.t("meta_default").to_string(),
            canonical: (!noindex).then(|| format!("{}{}", state.links.base(), req.path())),
            noindex,
            atom: None,
        }
    }

    /// The page lists what `subscribe`'s feeds hold: readers find its Atom feed.
    pub fn with_feeds(mut self, subscribe: &view::Subscribe, title: &str) -> Ctx {
        self.atom = Some((subscribe.atom.clone(), title.to_string()));
        self
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

    /// What every link to a public page starts with: `""` in English, `"/es"` in Spanish, so
    /// links keep the page's language (`{{ ctx.prefix() }}/actions`, `{{ ctx.prefix() }}/`).
    pub fn prefix(&self) -> &'static str {
        self.lang.prefix()
    }

    /// `<link rel="alternate" hreflang>`: this page's canonical URL in each language (none on
    /// pages without a canonical URL).
    pub fn alternates(&self) -> Vec<(&'static str, String)> {
        let Some(here) = self
            .canonical
            .as_deref()
            .and_then(|url| url.strip_prefix(self.base.as_str()))
        else {
            return Vec::new();
        };
        [Lang::En, Lang::Es]
            .into_iter()
            .map(|l| (l.code(), format!("{}{}", self.base, in_language(here, l))))
            .collect()
    }

    /// The switch goes through `/lang/{code}` (which also sets the admin's preference) to this
    /// page's address in the other language.
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
    let mut res = html(
        status,
        t,
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-src 'self'; \
         form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    )?;
    res.headers_mut().insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    Ok(res)
}

/// A rendered page with `csp` and the headers every page gets (no sniffing, no referrer to
/// other sites); [`page`] adds that it may not be framed, the embed that any site may.
pub fn html(
    status: StatusCode,
    t: &impl Template,
    csp: &'static str,
) -> Result<HttpResponse, AppError> {
    let body = t
        .render()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("rendering a page: {e}")))?;
    Ok(HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .body(body))
}

/// The listing's filter form: what was typed (trimmed, the first of each name), and the
/// filter's errors in the page's language, each beside its field (or above the form for the
/// parameters the form has no field for).
pub struct FilterForm {
    typed: Vec<(String, String)>,
    errors: Vec<(String, String)>,
}

/// The filters the form has a field for; errors on other parameters go above it.
const FORM_FIELDS: [&str; 9] = [
    "action", "partner", "tag", "city", "region", "near", "radius", "access", "q",
];

/// The boxes of the listing's `access` field: need, label key.
pub const ACCESS_BOXES: [(&str, &str); 5] = [
    ("wheelchair", "filter_access_wheelchair"),
    ("asl", "access_asl"),
    ("es", "filter_access_es"),
    ("captions", "access_captions"),
    ("childcare", "access_childcare"),
];

impl FilterForm {
    fn new(pairs: &[(String, String)], errors: &[FieldError], lang: Lang) -> FilterForm {
        let mut typed: Vec<(String, String)> = Vec::new();
        for (k, v) in pairs {
            match typed.iter_mut().find(|(seen, _)| seen == k) {
                // `access` may come once per box ticked.
                Some((_, all)) if k == "access" => {
                    all.push(',');
                    all.push_str(v.trim());
                }
                Some(_) => {}
                None => typed.push((k.clone(), v.trim().to_string())),
            }
        }
        FilterForm {
            typed,
            errors: errors
                .iter()
                .map(|f| (f.field.clone(), lang.field_message(f)))
                .collect(),
        }
    }

    pub fn value(&self, name: &str) -> String {
        self.typed
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The needs of `access` as typed (lower-case, one each), for its boxes.
    fn needs(&self) -> Vec<String> {
        let mut list: Vec<String> = self
            .value("access")
            .split(',')
            .map(|n| n.trim().to_ascii_lowercase())
            .filter(|n| !n.is_empty())
            .collect();
        list.sort();
        list.dedup();
        list
    }

    /// Whether the box of need `key` is ticked.
    pub fn ticked(&self, key: &str) -> bool {
        self.needs().iter().any(|n| n == key)
    }

    /// Needs asked for that have no box (another language): kept as hidden fields.
    pub fn unboxed_needs(&self) -> Vec<String> {
        // Only needs that read: a bad one is not sent again (the form could never go through).
        self.needs()
            .into_iter()
            .filter(|n| !ACCESS_BOXES.iter().any(|(k, _)| k == n))
            .filter(|n| crate::domain::access::Need::parse(n).is_some())
            .collect()
    }

    /// The error of a field of the form, if any.
    pub fn error(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, m)| m.as_str())
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Errors on parameters the form has no field for (`from`, `status`, `cursor`, …).
    pub fn other_errors(&self) -> Vec<(&str, &str)> {
        self.errors
            .iter()
            .filter(|(k, _)| !FORM_FIELDS.contains(&k.as_str()))
            .map(|(k, m)| (k.as_str(), m.as_str()))
            .collect()
    }
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    ctx: Ctx,
    archive: bool,
    days: Vec<Day>,
    filters: FilterForm,
    actions: Vec<(String, String)>,
    partners: Vec<(String, String)>,
    next: Option<String>,
    paged: bool,
    subscribe: Subscribe,
    /// On the first page of the unfiltered home page: open online actions of current days of
    /// action.
    online: Vec<online::OnlineCard>,
    access_boxes: [(&'static str, &'static str); 5],
    /// Filtered by `near`: the map around its point.
    map: Option<crate::geo::map::Map>,
}

async fn listing(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    list_page(req, state, false).await
}

async fn archive(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    list_page(req, state, true).await
}

/// `/` and `/archive`: the listing grammar of `domain::filter` (all but `limit` and
/// `updated_since`). A bad filter re-renders the page with the errors beside their fields, what
/// was typed kept, and no events (422).
async fn list_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    archive: bool,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_path(&req);
    let now = queries::now();
    let pairs = filter::pairs(req.query_string());
    let wanted = EventFilter::from_pairs(&pairs, Output::Page)
        .map_err(AppError::from)
        .and_then(|w| Ok((Cursor::from_param(w.cursor.as_deref())?, w)));
    let home = !archive && wanted.as_ref().is_ok_and(|(_, w)| w.is_empty());
    let query_wanted = wanted.as_ref().ok().map(|(_, w)| w.clone());
    let (listed, actions, partners, open_online) = state
        .read(move |c| {
            let listed = match wanted {
                Ok((cursor, w)) => match q::resolve_filter(c, &w) {
                    Ok(f) => {
                        let f = if archive {
                            Filter {
                                to: f.to.or(Some(Bound::Instant(now))),
                                newest_first: true,
                                ..f
                            }
                        } else {
                            f.upcoming_by_default(now)
                        };
                        let near = f.near.clone();
                        // Around a `near` point: where its events are, for the map (the
                        // first page only).
                        let around = match (&near, cursor) {
                            (Some(_), None) => q::place_counts(c, &f)?,
                            _ => Vec::new(),
                        };
                        Ok((q::list(c, &f, cursor, PAGE_SIZE)?, near, around))
                    }
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            let listed = match listed {
                Ok(page) => Ok(page),
                Err(AppError::Validation(errors)) => Err(errors),
                Err(other) => return Err(other),
            };
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
            Ok((listed, actions, partners, open_online))
        })
        .await?;
    let (views, next, near, around, errors, status) = match listed {
        Ok(((views, next), near, around)) => {
            (views, next, near, around, Vec::new(), StatusCode::OK)
        }
        Err(errors) => (
            Vec::new(),
            None,
            None,
            Vec::new(),
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    // Links keep the filter in its canonical form (a bad one is not kept).
    let wanted = if errors.is_empty() {
        query_wanted.unwrap_or_default()
    } else {
        EventFilter::default()
    };
    let filter_query = wanted.without_paging().canonical();
    let map = wanted.near.as_ref().zip(near.as_ref()).map(|(n, found)| {
        // Each marker: this listing narrowed to its city.
        let base = if archive { "/archive" } else { "/" };
        let marked = places::map_places(&around, lang, |region, city| {
            let narrowed = EventFilter {
                region: region.map(str::to_ascii_lowercase),
                city: city.map(str::to_ascii_lowercase),
                cursor: None,
                ..wanted.clone()
            };
            format!("{}{base}?{}", lang.prefix(), narrowed.canonical())
        });
        crate::geo::map::around(n.at.point, found.km, &marked)
    });
    let unit = wanted.near.as_ref().map(|n| n.radius.unit);
    let cards = view::cards_near(&views, near.as_ref(), unit, lang);
    let title = lang.t(if archive {
        "title_archive"
    } else {
        "title_upcoming"
    });
    let with_query = |path: &str, query: &str| {
        if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        }
    };
    let subscribe = Subscribe::new(
        &state.links,
        &with_query("/calendar.ics", &filter_query),
        &format!("{} — {title}", state.settings.site_name),
    );
    let base = if archive { "/archive" } else { "/" };
    let next = next.map(|c| {
        let sep = if filter_query.is_empty() { "" } else { "&" };
        format!("{base}?{filter_query}{sep}cursor={}", c.encode())
    });
    let mut ctx = Ctx::new(&req, &state, title)
        .describe_key(if archive {
            "meta_archive"
        } else {
            "meta_upcoming"
        })
        .with_feeds(&subscribe, title);
    // A filtered listing or a later page is a page of its own; other query parameters are not.
    let own_query = wanted.canonical();
    // Links to this page in the other language carry the filter as cached, not as typed; a
    // refused filter (a 422, never cached) as typed, so that the other language shows the same
    // message beside the same input.
    ctx.here = if errors.is_empty() {
        with_query(req.path(), &own_query)
    } else {
        with_query(req.path(), req.query_string())
    };
    if let (Some(url), false) = (&mut ctx.canonical, own_query.is_empty()) {
        url.push('?');
        url.push_str(&own_query);
    }
    let page_ = ListingPage {
        ctx,
        archive,
        days: by_day(cards, lang, archive),
        paged: wanted.cursor.is_some(),
        filters: FilterForm::new(&form_pairs(&pairs, &wanted), &errors, lang),
        actions,
        partners,
        next,
        subscribe,
        online: online::cards(&open_online, lang),
        access_boxes: ACCESS_BOXES,
        map,
    };
    page(status, &page_)
}

/// What the filter form shows: what was typed, but `near` as located. A page is cached under
/// its canonical filter, so the coordinates one visitor typed (finer than the 11 m the filter
/// keeps) must not show in the answer another visitor gets.
fn form_pairs(pairs: &[(String, String)], wanted: &EventFilter) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "access")
        .map(|(k, v)| match (k.as_str(), &wanted.near) {
            ("near", Some(near)) => (k.clone(), near.at.label.clone()),
            ("radius", Some(near)) => (k.clone(), near.radius.text()),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    // The needs as parsed, once (the boxes may have sent them one by one).
    if !wanted.access.is_empty() {
        let keys: Vec<String> = wanted.access.iter().map(|n| n.key()).collect();
        out.push(("access".into(), keys.join(",")));
    }
    out
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
        Ctx::new(&req, &state, Lang::of_path(&req).t("title_actions")).describe_key("meta_actions");
    page(StatusCode::OK, &ActionsPage { ctx, actions: list })
}

/// How many of the soonest events the action page shows before its places.
const SOONEST: i64 = 10;

#[derive(Template)]
#[template(path = "action.html")]
struct ActionPage {
    ctx: Ctx,
    action: ActionView,
    hashtags: Vec<String>,
    /// The soonest upcoming events.
    soonest: Vec<EventCard>,
    /// "All 2,000 upcoming events" (the listing filtered by the action), if there are more.
    upcoming_label: Option<String>,
    /// Upcoming events by state and city, each with its page.
    places: Vec<places::RegionLinks>,
    /// The same places on the country map, and those abroad on the world's.
    map: Option<crate::geo::map::Map>,
    world_map: Option<crate::geo::map::Map>,
    /// "Put this on your site".
    embed: embed::EmbedBox,
    subscribe: Subscribe,
    online: Vec<online::OnlineCard>,
}

/// The page of a day of action: what it is, how to follow it, its soonest events and its
/// upcoming events counted by state and city (the events themselves are on each place's page,
/// so that the page stays light whatever the number of events).
async fn action(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_path(&req);
    let slug = slug.into_inner();
    let found = state
        .read(move |c| {
            let Ok(a) = catalog::action_by_slug(c, &slug) else {
                return Ok(None);
            };
            let view = catalog::action_view(c, a)?;
            let f = Filter {
                action_id: Some(view.action.id),
                from: Some(Bound::Instant(queries::now())),
                ..Filter::default()
            };
            let (soonest, _) = q::list(c, &f, None, SOONEST)?;
            let counts = q::place_counts(c, &f)?;
            let online = crate::db::queries::online::for_page(
                c,
                &crate::db::queries::online::Filter {
                    action_id: Some(view.action.id),
                    ..Default::default()
                },
            )?;
            Ok(Some((view, soonest, counts, online)))
        })
        .await?;
    let Some((view, soonest, counts, online_list)) = found else {
        return not_found_page(&req, &state);
    };
    let upcoming: i64 = counts.iter().map(|p| p.events).sum();
    let marked = places::map_places(&counts, lang, |region, city| {
        places::action_place_path(lang, &view.action.slug, region, city)
    });
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
            })
            .with_feeds(&subscribe, &view.action.title),
        hashtags: view.action.hashtag_list(),
        upcoming_label: (upcoming > soonest.len() as i64)
            .then(|| lang.t("all_upcoming").replace("{n}", &upcoming.to_string())),
        soonest: soonest.iter().map(|v| EventCard::new(v, lang)).collect(),
        places: places::place_links(&view.action.slug, &counts, lang),
        map: crate::geo::map::country(&marked),
        world_map: crate::geo::map::world(&marked),
        embed: embed::EmbedBox::new(
            &state,
            lang,
            "action",
            &view.action.slug,
            &view.action.title,
        ),
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
    embed: embed::EmbedBox,
    subscribe: Subscribe,
    online: Vec<online::OnlineCard>,
}

async fn partner(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_path(&req);
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
        ctx: Ctx::new(&req, &state, p.name.clone())
            .describe(&p.description, || {
                lang.t("meta_partner").replace("{name}", &p.name)
            })
            .with_feeds(&subscribe, &p.name),
        days: by_day(cards, lang, false),
        embed: embed::EmbedBox::new(&state, lang, "partner", &p.slug, &p.name),
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
    /// A series: its rule in words ("Every Tuesday, 6–7 pm, until June 30, 2027 (PST)").
    repeats: Option<String>,
    /// A series: its next dates (the first is the one the page shows).
    next: Vec<EventCard>,
    /// Imported from a partner's feed.
    source: Option<Source>,
}

/// The partner's calendar an event came from.
struct Source {
    name: String,
    /// The feed's address, when it is fit to show (see `fetch::shown_url`).
    url: Option<String>,
    /// Still kept current from there.
    synced: bool,
}

async fn event(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_path(&req);
    let Some(id) = id.parse::<i32>().ok().filter(|n| *n > 0) else {
        return not_found_page(&req, &state);
    };
    let found = state
        .read(move |c| match q::public_view(c, id) {
            Ok(v) => {
                let source = queries::imports::source_of(c, id)?;
                Ok(Some((v, source)))
            }
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        })
        .await?;
    let Some((v, source)) = found else {
        return not_found_page(&req, &state);
    };
    let source = source.map(|(name, url, synced)| Source {
        name,
        url: crate::import::fetch::shown_url(&url),
        synced,
    });
    // A series shows its next occurrence (or its first, once all are past) and its rule.
    let upcoming = v.upcoming(queries::now(), 6);
    let shown = upcoming.first().unwrap_or(&v);
    let repeats = v.series().map(|s| {
        let end = (!v.event.all_day).then(|| v.event.end_local.time());
        let words = crate::domain::recurrence::describe(
            &s,
            end,
            match lang {
                Lang::En => crate::domain::recurrence::Lang::En,
                Lang::Es => crate::domain::recurrence::Lang::Es,
            },
        );
        if v.event.all_day {
            words
        } else {
            format!(
                "{words} ({})",
                view::zone_abbreviation(v.tz(), shown.event.start_utc)
            )
        }
    });
    let next: Vec<EventCard> = upcoming.iter().map(|o| EventCard::new(o, lang)).collect();
    let (google, outlook) = view::add_event_links(shown, &state.links);
    let card = EventCard::new(shown, lang);
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
        json_ld: view::json_ld_shown(&v, shown, &state.links),
        repeats,
        next,
        source,
    };
    page(StatusCode::OK, &p)
}

/// A tag's page is the listing filtered by it (with that filter's subscribe links).
async fn tag(req: HttpRequest, tag: web::Path<String>) -> HttpResponse {
    let tag = tag.trim_start_matches('#');
    HttpResponse::Found()
        .insert_header((
            header::LOCATION,
            format!(
                "{}/?tag={}",
                Lang::of_path(&req).prefix(),
                crate::feeds::json::percent_encode(tag)
            ),
        ))
        .finish()
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    ctx: Ctx,
}

pub fn not_found_page(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, AppError> {
    let lang = Lang::of_page(req);
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
    home: String,
    home_label: &'static str,
}

/// The one HTML rendering of an `AppError` (pages and admin; the API answers problem+json).
/// A removed event answers 410 with a short page that says only that.
pub fn error_page(req: &HttpRequest, state: &AppState, err: &AppError) -> HttpResponse {
    let lang = Lang::of_page(req);
    let status = actix_web::ResponseError::status_code(err);
    let (title, message) = match err {
        AppError::NotFound(_) => (lang.t("not_found_title"), lang.t("not_found_text").into()),
        AppError::Gone(_) if in_language(req.path(), Lang::En).starts_with("/events/") => {
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
        home: if admin {
            "/admin".to_string()
        } else {
            format!("{}/", lang.prefix())
        },
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

/// Sets the language cookie (the admin's preference) and goes to `next` in that language
/// (`/lang/es?next=/archive` → `/es/archive`). Only local paths are followed.
async fn switch_language(code: web::Path<String>, next: web::Query<Next>) -> HttpResponse {
    let lang = Lang::parse(&code).unwrap_or(Lang::En);
    let target = crate::web::local_path(next.next.as_deref().unwrap_or(""))
        .and_then(|t| crate::web::local_path(&in_language(&t, lang)))
        .unwrap_or_else(|| format!("{}/", lang.prefix()));
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
const EMBED_STYLE: &str = include_str!("../../../static/embed.css");
const EMBED_SCRIPT: &str = include_str!("../../../static/embed.js");
const EMBED_HOST_SCRIPT: &str = include_str!("../../../static/embed-host.js");

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
    static_file("text/css; charset=utf-8", STYLE)
}

async fn script() -> HttpResponse {
    static_file("text/javascript; charset=utf-8", SCRIPT)
}

async fn embed_style() -> HttpResponse {
    static_file("text/css; charset=utf-8", EMBED_STYLE)
}

async fn embed_script() -> HttpResponse {
    static_file("text/javascript; charset=utf-8", EMBED_SCRIPT)
}

/// The sizing script partners' pages load: any site may (it is what it is for).
async fn embed_host_script() -> HttpResponse {
    let mut r = static_file("text/javascript; charset=utf-8", EMBED_HOST_SCRIPT);
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    r
}

fn static_file(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::{in_language, is_private};
    use crate::web::i18n::Lang;

    #[test]
    fn pages_move_between_languages_and_the_rest_stays() {
        for (target, en, es) in [
            ("/", "/", "/es/"),
            ("/es", "/", "/es/"),
            ("/es/", "/", "/es/"),
            ("/archive?q=x", "/archive?q=x", "/es/archive?q=x"),
            ("/es/archive?q=x", "/archive?q=x", "/es/archive?q=x"),
            ("/?tag=a", "/?tag=a", "/es/?tag=a"),
            (
                "/actions/never-again",
                "/actions/never-again",
                "/es/actions/never-again",
            ),
            ("/es/submit", "/submit", "/es/submit"),
            ("/estonia", "/estonia", "/es/estonia"),
            ("/admin/manage", "/admin/manage", "/admin/manage"),
            ("/es/admin", "/admin", "/admin"),
            (
                "/calendar.ics?tag=a",
                "/calendar.ics?tag=a",
                "/calendar.ics?tag=a",
            ),
            ("/api/v1/events", "/api/v1/events", "/api/v1/events"),
            ("/lang/es", "/lang/es", "/lang/es"),
            // Never turned into a path to another host.
            (
                "/es//evil.example",
                "/es//evil.example",
                "/es/es//evil.example",
            ),
        ] {
            assert_eq!(in_language(target, Lang::En), en, "{target}");
            assert_eq!(in_language(target, Lang::Es), es, "{target}");
        }
    }

    #[test]
    fn the_spanish_form_is_private_too() {
        assert!(is_private("/es/submit") && is_private("/submit") && is_private("/admin/x"));
        assert!(!is_private("/es/") && !is_private("/es/submitted"));
    }
}
