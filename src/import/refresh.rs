//! One run of an import: claim the feed, fetch it (guarded, conditional), read it, write what
//! changed, record the status. And the scheduler that runs the due ones.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use serde::Serialize;

use super::fetch::{self, Fetched, Limits};
use crate::cache::ResponseCache;
use crate::config::Settings;
use crate::db;
use crate::db::queries::imports::{self as q, ImportView, Read, SkippedItem};
use crate::db::queries::now;
use crate::error::AppError;
use crate::state::AppState;

/// What a run needs: the database, the settings, the host new uids are made with, and the
/// cached answers to drop once it has changed events (the server's; the CLI has none, and the
/// server notices the CLI's writes by itself).
pub struct Runner<'a> {
    pub pool: &'a db::Pool,
    pub settings: &'a Settings,
    pub host: &'a str,
    pub cache: Option<&'a ResponseCache>,
}

impl<'a> Runner<'a> {
    pub fn new(
        pool: &'a db::Pool,
        settings: &'a Settings,
        host: &'a str,
        cache: Option<&'a ResponseCache>,
    ) -> Runner<'a> {
        Runner {
            pool,
            settings,
            host,
            cache,
        }
    }

    /// The server's runs (the scheduler's and those asked for by a request).
    pub fn for_server(state: &'a AppState) -> Runner<'a> {
        Runner::new(
            &state.pool,
            &state.settings,
            state.links.host(),
            Some(&state.cache),
        )
    }
}

/// What one run did, as `POST /api/v1/imports/{id}/refresh` answers it.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// ok, not_modified or error
    pub status: &'static str,
    pub error: Option<String>,
    pub created: i32,
    pub updated: i32,
    pub cancelled: i32,
    pub unchanged: i32,
    /// Every item not imported, with its reason.
    pub skipped: Vec<SkippedItem>,
    /// Whether anything anyone sees changed here (false when the feed was as before, also when
    /// items skipped before were skipped again).
    pub changed: bool,
    #[serde(skip)]
    pub import: Option<ImportView>,
}

impl Summary {
    /// A run that read no feed: a failed fetch (`error`), or one not modified since.
    fn without_feed(status: &'static str, error: Option<String>, import: ImportView) -> Summary {
        Summary {
            status,
            error,
            created: 0,
            updated: 0,
            cancelled: 0,
            unchanged: 0,
            skipped: Vec::new(),
            changed: false,
            import: Some(import),
        }
    }

    /// A run that read the feed and applied it.
    fn applied(a: q::Applied) -> Summary {
        let row = &a.view.row;
        Summary {
            status: "ok",
            error: None,
            created: row.created,
            updated: row.updated,
            cancelled: row.cancelled,
            unchanged: row.unchanged,
            skipped: a.skipped,
            changed: a.changed,
            import: Some(a.view),
        }
    }
}

/// The limits of every fetch, from the settings.
pub fn limits(settings: &Settings) -> Limits {
    Limits {
        allow_private: settings.import_allow_private,
        allow_networks: settings.import_networks.clone(),
        max_bytes: usize::try_from(settings.imports.max_mib)
            .unwrap_or(10)
            .saturating_mul(1024 * 1024),
        timeout: Duration::from_secs(u64::from(settings.imports.timeout_seconds)),
        max_redirects: settings.imports.max_redirects,
        user_agent: format!(
            "Turnout/{} (+{}; calendar import)",
            env!("CARGO_PKG_VERSION"),
            settings.base_url
        ),
    }
}

/// How long a run holds its feed: the fetch's deadline and a margin for the writes. A run that
/// dies (kill -9) leaves a claim that simply runs out.
fn lease(settings: &Settings) -> chrono::Duration {
    chrono::Duration::seconds(i64::from(settings.imports.timeout_seconds) + 120)
}

/// Fetches and applies import `id` now for the server (the API's and the admin's "refresh"), in
/// a task of its own: a client that goes away mid-run (a closed tab, a proxy's timeout) no longer
/// cuts the run short between its writes; the run finishes and records its summary. 409 when
/// another run holds it.
pub async fn refresh_detached(
    state: &actix_web::web::Data<AppState>,
    id: i32,
) -> Result<Summary, AppError> {
    let st = state.clone();
    let task = actix_web::rt::spawn(async move { refresh_now(&Runner::for_server(&st), id).await });
    task.await.map_err(|e| {
        AppError::Unexpected(anyhow::anyhow!("the refresh of import {id} stopped: {e}"))
    })?
}

/// Fetches and applies import `id` now. 409 when another run holds it.
pub async fn refresh_now(r: &Runner<'_>, id: i32) -> Result<Summary, AppError> {
    let until = now() + lease(r.settings);
    let claimed = db::run(r.pool, move |c| q::claim(c, id, until)).await?;
    if !claimed {
        return Err(AppError::Conflict(format!(
            "import {id} is being refreshed right now; try again in a moment"
        )));
    }
    run_claimed(r, id, until).await
}

/// Runs an import claimed until `until` to its end, whatever happens: the claim is always
/// released (unless another run took the feed over, whose claim it then is).
async fn run_claimed(r: &Runner<'_>, id: i32, until: NaiveDateTime) -> Result<Summary, AppError> {
    match run(r, id, until).await {
        Ok(Some(summary)) => Ok(summary),
        // Another run holds the feed now: its claim and its records are left alone.
        Ok(None) => Err(AppError::Conflict(format!(
            "import {id} was taken over by another run while it waited for its host"
        ))),
        Err(e) => {
            // The run's own records release the claim; after an unexpected error (the database
            // away, say), record it as a failed run: the claim goes, and the backoff keeps the
            // scheduler from trying again at once.
            let message = format!("the run could not finish: {e}");
            if let Err(e) = db::run(r.pool, move |c| q::record_failure(c, id, &message)).await {
                tracing::warn!(import = id, error = %e, "recording a failed import run failed");
                if let Err(e) = db::run(r.pool, move |c| q::release(c, id)).await {
                    tracing::warn!(import = id, error = %e, "releasing an import's claim failed");
                }
            }
            Err(e)
        }
    }
}

/// One run; `None` when the claim ran out while it waited and another run took the feed over.
async fn run(r: &Runner<'_>, id: i32, until: NaiveDateTime) -> Result<Option<Summary>, AppError> {
    let imp = db::run(r.pool, move |c| q::get_any(c, id)).await?;
    let url = match fetch::normalize(&imp.row.url) {
        Ok(u) => u,
        Err(e) => return failure(r, id, e.to_string()).await.map(Some),
    };
    let limits = limits(r.settings);
    // Feeds on one host wait their turn, which may outlast the claim: renewed once the turn
    // comes, unless another run (another instance) has taken the feed over meanwhile.
    let turn = fetch::host_turn(&url).await;
    let renewed = now() + lease(r.settings);
    if !db::run(r.pool, move |c| q::renew(c, id, until, renewed)).await? {
        return Ok(None);
    }
    let fetched = fetch::fetch(
        &limits,
        &url,
        imp.row.etag.as_deref(),
        imp.row.last_modified.as_deref(),
        &turn,
    )
    .await;
    drop(turn);
    let (bytes, etag, last_modified) = match fetched {
        Err(e) => return failure(r, id, e.to_string()).await.map(Some),
        Ok(Fetched::NotModified) => {
            let view = db::run(r.pool, move |c| q::record_not_modified(c, id)).await?;
            return Ok(Some(Summary::without_feed("not_modified", None, view)));
        }
        Ok(Fetched::Body {
            bytes,
            etag,
            last_modified,
        }) => (bytes, etag, last_modified),
    };
    let zone: Tz = imp
        .row
        .timezone
        .as_deref()
        .unwrap_or(&r.settings.imports.default_timezone)
        .parse()
        .unwrap_or(Tz::UTC);
    // Reading is CPU work: off the async threads.
    let parsed = actix_web::web::block(move || {
        let text = String::from_utf8_lossy(&bytes);
        let complete = text
            .trim_end()
            .rsplit(['\n', '\r'])
            .next()
            .is_some_and(|last| last.trim().eq_ignore_ascii_case("END:VCALENDAR"));
        // A VEVENT the salvage could not place (no UID to know it by) leaves the feed partial:
        // nothing may count as gone from it.
        super::parse(&text, zone).map(|feed| {
            let complete = complete && feed.skipped.iter().all(|s| s.uid.is_some());
            (feed, complete)
        })
    })
    .await
    .map_err(|e| AppError::Unexpected(anyhow::anyhow!("reading a feed: {e}")))?;
    let (feed, complete) = match parsed {
        Ok(v) => v,
        Err(e) => return failure(r, id, e).await.map(Some),
    };
    let read = Read {
        feed,
        complete,
        etag,
        last_modified,
    };
    let host = r.host.to_string();
    // Nothing new upstream (or only what was skipped before, skipped again): only the status is
    // written, and no cache is told.
    let applied = db::run(r.pool, move |c| q::apply(c, &imp, read, &host)).await?;
    if let Some(cache) = r.cache.filter(|_| applied.changed) {
        cache.invalidate();
    }
    Ok(Some(Summary::applied(applied)))
}

async fn failure(r: &Runner<'_>, id: i32, error: String) -> Result<Summary, AppError> {
    let view = db::run(r.pool, move |c| q::record_failure(c, id, &error)).await?;
    // As stored: one clean line.
    let error = view.row.last_error.clone().unwrap_or_default();
    tracing::info!(import = id, error = %error, "a partner's feed could not be imported");
    Ok(Summary::without_feed("error", Some(error), view))
}

/// Runs due imports every `imports.schedule_seconds` while this instance leads (one instance
/// across several; claims keep two from running one feed), at most `imports.concurrency` at once.
pub async fn schedule(state: actix_web::web::Data<AppState>) {
    let every = state.settings.imports.schedule_seconds;
    if every == 0 {
        return;
    }
    let slots = Arc::new(tokio::sync::Semaphore::new(
        usize::try_from(state.settings.imports.concurrency).unwrap_or(1),
    ));
    let mut tick = actix_web::rt::time::interval(Duration::from_secs(u64::from(every)));
    loop {
        tick.tick().await;
        if !state.leader.load(std::sync::atomic::Ordering::Acquire) {
            continue;
        }
        loop {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let until = now() + lease(&state.settings);
            let due = db::run(&state.pool, move |c| q::claim_due(c, until)).await;
            let id = match due {
                Ok(Some(id)) => id,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "looking for partners' feeds due a refresh failed");
                    break;
                }
            };
            let st = state.clone();
            actix_web::rt::spawn(async move {
                let _permit = permit;
                match run_claimed(&Runner::for_server(&st), id, until).await {
                    Ok(s) => tracing::info!(
                        import = id,
                        status = s.status,
                        created = s.created,
                        updated = s.updated,
                        cancelled = s.cancelled,
                        skipped = s.skipped.len(),
                        "refreshed a partner's feed"
                    ),
                    Err(e) => {
                        tracing::warn!(import = id, error = %e, "refreshing a partner's feed failed")
                    }
                }
            });
        }
    }
}
