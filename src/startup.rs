//! Building and running the HTTP application; tests use the same path with port 0.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;

use crate::config::Settings;
use crate::db::{self, Pool};
use crate::feeds::json::Links;
use crate::feeds::render::FragmentCache;

pub use crate::state::AppState;

/// Share of `cache.budget_mib` that keeps rendered VEVENTs between feed renders (a quarter: 3
/// MiB of the default 12 holds the 2,000 VEVENTs of a large day of action).
const FRAGMENT_SHARE: usize = 4;
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds `settings.listen` (port 0 picks a free one), migrates, builds the pool.
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        let pool = db::build_pool(&settings)?;
        Self::build_with_pool(settings, pool)
    }

    pub fn build_with_pool(settings: Settings, pool: Pool) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&settings.listen)
            .with_context(|| format!("binding {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        // One budget for every cache of answers: rendered VEVENTs, then the answers themselves
        // and the compressed chunks kept for their next build.
        let budget = settings.cache.budget_mib as usize * 1024 * 1024;
        let fragment_budget = budget / FRAGMENT_SHARE;
        let cache = crate::cache::ResponseCache::new(
            budget - fragment_budget,
            settings.cache.identity_max_kib as usize * 1024,
        );
        let cache_policies = crate::web::cached::Policies::new(&settings.cache);
        let shared_limits = settings.database().is_ok_and(|d| d.is_postgres());
        if settings.secret_key.is_none() && settings.database().is_ok_and(|d| d.is_postgres()) {
            tracing::warn!(
                "no secret_key: each instance hashes client addresses with its own key, so \
                 several instances do not share login and submission limits"
            );
        }
        let counts = if shared_limits {
            crate::limit::Counts::Shared(pool.clone())
        } else {
            crate::limit::Counts::memory()
        };
        let replica = db::build_read_pool(&settings)?.map(crate::state::Replica::new);
        let state = web::Data::new(AppState {
            pool,
            replica,
            cache,
            cache_policies,
            gates: crate::web::cached::Gates::default(),
            fragments: FragmentCache::new(fragment_budget),
            addresses: crate::limit::AddressKeys::new(settings.secret_key.as_deref()),
            counts,
            login_limits: crate::limit::LoginLimits::default(),
            leader: std::sync::atomic::AtomicBool::new(!shared_limits),
            submit_limit: crate::web::pages::submit::limiter(),
            links: Links::new(&settings.base_url),
            settings: Arc::new(settings),
        });
        // On PostgreSQL every instance hears of every other's write (LISTEN/NOTIFY below); the
        // fingerprint poller is for SQLite, where other processes cannot notify.
        if !shared_limits {
            actix_web::rt::spawn(watch_for_changes(state.clone()));
        }
        if state.replica.is_some() {
            actix_web::rt::spawn(watch_replica(state.clone()));
        }
        #[cfg(feature = "postgres")]
        {
            // Holds the state weakly: the thread ends when the server and its state do.
            let listening = Arc::downgrade(&state.clone().into_inner());
            let settings = state.settings.clone();
            // This server's own writes have told its caches already (`AppState::write`).
            let own = crate::db::writer_of(&state.pool);
            std::thread::Builder::new()
                .name("turnout-listen".into())
                .spawn(move || {
                    crate::db::listen_for_changes(
                        &settings,
                        own.as_deref(),
                        std::time::Duration::from_millis(100),
                        || listening.strong_count() > 0,
                        |lsn| {
                            if let Some(state) = listening.upgrade() {
                                if let (Some(r), Some(lsn)) = (&state.replica, lsn) {
                                    r.saw(lsn);
                                }
                                state.cache.invalidate();
                            }
                        },
                    )
                })
                .context("starting the change listener")?;
            let leading = Arc::downgrade(&state.clone().into_inner());
            let settings = state.settings.clone();
            std::thread::Builder::new()
                .name("turnout-lead".into())
                .spawn(move || {
                    crate::db::lead(
                        &settings,
                        std::time::Duration::from_millis(500),
                        || leading.strong_count() > 0,
                        |on| {
                            if let Some(state) = leading.upgrade() {
                                let was =
                                    state.leader.swap(on, std::sync::atomic::Ordering::AcqRel);
                                if was != on {
                                    tracing::info!(leader = on, "leadership changed");
                                }
                            }
                        },
                    )
                })
                .context("starting the leader election")?;
        }
        actix_web::rt::spawn(warm_feeds(state.clone()));
        actix_web::rt::spawn(crate::import::refresh::schedule(state.clone()));
        // Holds the state weakly: the thread ends with the server.
        crate::memory::tune_allocator();
        crate::memory::spawn_trimmer(Arc::downgrade(&state.clone().into_inner()))
            .context("starting the memory trimmer")?;
        let server = HttpServer::new(move || {
            App::new()
                .wrap(middleware::from_fn(crate::web::finish_responses))
                .wrap(middleware::from_fn(crate::web::cached::cache_public))
                .wrap(middleware::from_fn(crate::telemetry::log_requests))
                .app_data(state.clone())
                .configure(crate::web::configure)
        })
        .listen(listener)?
        .run();
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Notices writes made by other processes (`turnout import`, a second server) and drops cached
/// feeds; writes made through this server invalidate at once (see `AppState::write`).
async fn watch_for_changes(state: web::Data<AppState>) {
    let mut tick = actix_web::rt::time::interval(std::time::Duration::from_millis(u64::from(
        state.settings.database.change_poll_ms,
    )));
    loop {
        tick.tick().await;
        match db::run(&state.pool, |c| {
            Ok(db::queries::catalog::change_fingerprint(c)?)
        })
        .await
        {
            Ok(fp) => state.cache.observe(fp),
            Err(e) => tracing::warn!(error = %e, "checking for database changes failed"),
        }
    }
}

/// Keeps `Replica::replayed` fresh (every 50 ms), so reads move back to the replica soon after
/// it has caught up.
async fn watch_replica(state: web::Data<AppState>) {
    let mut tick = actix_web::rt::time::interval(std::time::Duration::from_millis(50));
    loop {
        tick.tick().await;
        let Some(r) = &state.replica else { return };
        let pool = r.pool.clone();
        match db::run(&pool, |c| Ok(db::wal_position(c, true)?)).await {
            Ok(Some(lsn)) => {
                r.replayed.store(lsn, std::sync::atomic::Ordering::Release);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "checking the read replica failed"),
        }
    }
}

/// Renders the soonest events once at start, so the first feed requests are cheap cache misses.
async fn warm_feeds(state: web::Data<AppState>) {
    // Venues written before their centres were kept get them (issue 13's migration 000011).
    let located = db::run(&state.pool, |c| {
        db::write_tx_if_changed(c, |c| {
            let n = crate::db::queries::catalog::locate_venues(c)?;
            Ok((n, n > 0))
        })
        .map(|(n, _)| n)
    })
    .await;
    match located {
        Ok(0) => {}
        Ok(n) => tracing::info!(venues = n, "placed venues without coordinates for `near`"),
        Err(e) => tracing::warn!(error = %e, "placing venues without coordinates failed"),
    }
    let st = state.clone();
    let days = i64::from(state.settings.feeds.past_days);
    let from = crate::domain::time::Bound::Instant(
        (chrono::Utc::now().date_naive() - chrono::Duration::days(days))
            .and_time(chrono::NaiveTime::MIN),
    );
    let warmed = db::run(&state.pool, move |c| {
        let n = st.fragments.warm(c, &st.links, from);
        crate::memory::release_freed_memory();
        n
    })
    .await;
    match warmed {
        Ok(n) => tracing::debug!(events = n, "rendered the soonest events for the feeds"),
        Err(e) => tracing::warn!(error = %e, "warming the feed cache failed"),
    }
}
