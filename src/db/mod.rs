//! Database access: the connection type over both backends, the pool, per-connection settings,
//! embedded migrations per backend, `run` (the one way handlers reach the database without
//! blocking the async executor) and `write_tx` (the one write transaction).
//!
//! SQLite is the embedded default; PostgreSQL is chosen by a `postgres://` URL. Queries are
//! written once against `DbConn` (a `diesel::MultiConnection`), in the SQL both backends share;
//! the few backend-specific spots match on the variant.

pub mod backup;
pub mod models;
pub mod queries;
pub mod schema;

use std::time::Duration;

use anyhow::Context;
#[cfg(feature = "sqlite")]
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ManageConnection, Pool as R2d2Pool, R2D2Connection};
use diesel::{Connection, QueryResult};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::{DatabaseUrl, Settings};
use crate::error::AppError;

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("build with feature `sqlite` (the default), `postgres`, or both");

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    #[cfg(feature = "sqlite")]
    Sqlite(diesel::SqliteConnection),
    #[cfg(feature = "postgres")]
    Pg(diesel::PgConnection),
}

/// The backend every query is written for (both, through `DbConn`).
pub type Db = MultiBackend;

pub type Pool = R2d2Pool<Manager>;

#[cfg(feature = "sqlite")]
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The SQLite migrations (tests that build an old schema step by step use them).
#[cfg(feature = "sqlite")]
pub const MIGRATIONS: EmbeddedMigrations = SQLITE_MIGRATIONS;

/// Any lock key of our own for `pg_advisory_*`: the one write lock and the migration lock.
#[cfg(feature = "postgres")]
const PG_WRITE_LOCK: i64 = 0x7475_726e_6f75_7401; // "turnout" 1
#[cfg(feature = "postgres")]
const PG_MIGRATION_LOCK: i64 = 0x7475_726e_6f75_7402;

/// The PostgreSQL channel every committed write notifies (see `listen_for_changes`).
#[cfg(feature = "postgres")]
pub const CHANGES_CHANNEL: &str = "turnout_changes";

/// The session setting naming, on every PostgreSQL connection of one pool, the pool: each write
/// notifies with it, and the listener of the server owning that pool skips those notifications,
/// as `AppState::write` has told its caches already. (Hearing its own write again about 100 ms
/// later made each answer built in between be built twice, and one showing when it was built, a
/// sync's `synced_at`, change its ETag with nothing changed.)
#[cfg(feature = "postgres")]
const WRITER_SETTING: &str = "turnout.writer";

/// The name the connections of `pool` write with (see `WRITER_SETTING`); `None` on SQLite.
#[cfg(feature = "postgres")]
pub fn writer_of(pool: &Pool) -> Option<String> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Writer {
        #[diesel(sql_type = diesel::sql_types::Text)]
        writer: String,
    }
    let mut conn = pool.get().ok()?;
    match &mut *conn {
        DbConn::Pg(c) => diesel::sql_query(format!(
            "SELECT current_setting('{WRITER_SETTING}', true) AS writer"
        ))
        .get_result::<Writer>(c)
        .ok()
        .map(|w| w.writer)
        .filter(|w| !w.is_empty()),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// On PostgreSQL: calls `changed` whenever a connection not of `own` (another instance, the CLI)
/// commits a write, within about `poll` (LISTEN/NOTIFY; libpq reads the notifications without a query).
/// After a lost connection it reconnects and calls `changed` once, to catch up on whatever was
/// missed. Runs while `alive()` says so; returns at once on SQLite.
#[cfg(feature = "postgres")]
pub fn listen_for_changes(
    settings: &Settings,
    own: Option<&str>,
    poll: Duration,
    alive: impl Fn() -> bool,
    changed: impl Fn(Option<u64>),
) {
    use diesel::RunQueryDsl;
    let Ok(DatabaseUrl::Postgres(url)) = settings.database() else {
        return;
    };
    // Named, so an operator (and a test) can tell this connection from the pool's.
    let url = with_application_name(&url, "turnout-listen");
    let mut first = true;
    while alive() {
        let mut conn = match diesel::PgConnection::establish(&url) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "change listener cannot connect; retrying");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        if let Err(e) = diesel::sql_query(format!("LISTEN {CHANGES_CHANNEL}")).execute(&mut conn) {
            tracing::warn!(error = %e, "LISTEN failed; retrying");
            std::thread::sleep(Duration::from_secs(1));
            continue;
        }
        if !first {
            let lsn = primary_position(&mut conn);
            changed(lsn);
        }
        first = false;
        'listening: loop {
            std::thread::sleep(poll);
            if !alive() {
                return;
            }
            let mut any = false;
            for n in conn.notifications_iter() {
                match n {
                    Ok(n) => any |= own != Some(n.payload.as_str()),
                    Err(e) => {
                        tracing::warn!(error = %e, "change listener lost its connection");
                        break 'listening;
                    }
                }
            }
            if any {
                let lsn = primary_position(&mut conn);
                changed(lsn);
            }
        }
    }
}

/// `url` with `application_name` set (unless it sets one already).
#[cfg(feature = "postgres")]
fn with_application_name(url: &str, name: &str) -> String {
    if url.contains("application_name=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&application_name={name}")
    } else {
        format!("{url}?application_name={name}")
    }
}

/// Key of the advisory lock whose holder is the leader (see `lead`).
#[cfg(feature = "postgres")]
const PG_LEADER_LOCK: i64 = 0x7475_726e_6f75_7403;

/// On PostgreSQL: takes part in electing the one instance that runs work which must run once
/// across instances (feed imports and deliveries; nothing yet): the holder of a session-level
/// advisory lock on a connection of its own. `set(true)` when this instance holds it, `set(false)`
/// when its connection is lost (the lock goes with it, and another instance takes over within
/// about `every`). Runs while `alive()`; returns at once on SQLite, where the one instance leads.
#[cfg(feature = "postgres")]
pub fn lead(settings: &Settings, every: Duration, alive: impl Fn() -> bool, set: impl Fn(bool)) {
    use diesel::RunQueryDsl;
    let Ok(DatabaseUrl::Postgres(url)) = settings.database() else {
        set(true);
        return;
    };
    #[derive(diesel::QueryableByName)]
    struct Got {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        got: bool,
    }
    while alive() {
        let Ok(mut conn) = diesel::PgConnection::establish(&url) else {
            set(false);
            std::thread::sleep(every);
            continue;
        };
        while alive() {
            let got = diesel::sql_query(format!(
                "SELECT pg_try_advisory_lock({PG_LEADER_LOCK}) AS got"
            ))
            .get_result::<Got>(&mut conn);
            match got {
                Ok(Got { got: true }) => {
                    set(true);
                    // Hold it: check the connection (and so the lock) stays.
                    while alive() {
                        std::thread::sleep(every);
                        if diesel::sql_query("SELECT 1").execute(&mut conn).is_err() {
                            break;
                        }
                    }
                    set(false);
                    break;
                }
                Ok(Got { got: false }) => {
                    set(false);
                    std::thread::sleep(every);
                }
                Err(_) => {
                    set(false);
                    break;
                }
            }
        }
    }
}

#[cfg(feature = "postgres")]
fn primary_position(conn: &mut diesel::PgConnection) -> Option<u64> {
    pg_wal_position(conn, false).ok()
}

/// `pg_current_wal_lsn()` of a primary, or `pg_last_wal_replay_lsn()` of a standby (0 when it
/// has none), as a number.
#[cfg(feature = "postgres")]
fn pg_wal_position(conn: &mut diesel::PgConnection, replica: bool) -> QueryResult<u64> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Lsn {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        lsn: Option<String>,
    }
    let sql = if replica {
        "SELECT pg_last_wal_replay_lsn()::text AS lsn"
    } else {
        "SELECT pg_current_wal_lsn()::text AS lsn"
    };
    let row: Lsn = diesel::sql_query(sql).get_result(conn)?;
    Ok(row.lsn.as_deref().map_or(0, parse_lsn))
}

/// Opens connections the way the service wants them: by the URL's backend (never guessing),
/// with SQLite's PRAGMAs applied to each.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
    /// What this manager's connections notify with (see `WRITER_SETTING`).
    #[cfg(feature = "postgres")]
    writer: String,
    busy_timeout_ms: u32,
    cache_kib: u32,
}

impl Manager {
    pub fn new(settings: &Settings) -> anyhow::Result<Manager> {
        Ok(Manager {
            url: settings.database()?,
            #[cfg(feature = "postgres")]
            writer: uuid::Uuid::new_v4().simple().to_string(),
            busy_timeout_ms: settings.database.busy_timeout_ms,
            cache_kib: settings.database.sqlite_cache_kib,
        })
    }

    /// Connections to the read replica (`database_read_url`), if one is configured.
    pub fn replica(settings: &Settings) -> Option<Manager> {
        settings.database_read_url.as_ref().map(|url| Manager {
            url: DatabaseUrl::Postgres(url.clone()),
            #[cfg(feature = "postgres")]
            writer: String::new(),
            busy_timeout_ms: settings.database.busy_timeout_ms,
            cache_kib: settings.database.sqlite_cache_kib,
        })
    }

    fn open(&self) -> diesel::ConnectionResult<DbConn> {
        match &self.url {
            #[cfg(feature = "sqlite")]
            DatabaseUrl::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
                // cache_size: `database.sqlite_cache_kib` of pages per connection (SQLite's
                // default is 2 MiB), so the pool's connections together hold little; the
                // operating system keeps the file's pages anyway, and the listings read a page's
                // worth of rows, not the table.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{};",
                    self.busy_timeout_ms, self.cache_kib
                ))
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConn::Sqlite(conn))
            }
            #[cfg(feature = "postgres")]
            DatabaseUrl::Postgres(url) => {
                let mut conn = diesel::PgConnection::establish(url)?;
                // Timestamps are naive UTC on both backends; keep the session in UTC so that
                // now() and friends agree with what we store.
                // The writer's name is hex (a UUID's digits), safe in the statement.
                conn.batch_execute(&format!(
                    "SET TIME ZONE 'UTC'; SET {WRITER_SETTING} = '{}';",
                    self.writer
                ))
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConn::Pg(conn))
            }
            #[allow(unreachable_patterns)]
            other => Err(diesel::ConnectionError::BadConnection(format!(
                "this build cannot open {}",
                other.describe()
            ))),
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        self.open().map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

/// Opens one connection (CLI commands that need no pool). A SQLite file's directory is made.
pub fn connect(settings: &Settings) -> anyhow::Result<DbConn> {
    let manager = Manager::new(settings)?;
    #[cfg(feature = "sqlite")]
    if let DatabaseUrl::Sqlite(path) = &manager.url {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating database directory {}", dir.display()))?;
        }
    }
    let mut conn = manager
        .open()
        .with_context(|| format!("opening database {}", manager.url.describe()))?;
    // One connection doing one big job (an import or a restore is one transaction): 64 MiB of
    // pages rather than the pool's 1 MiB, or a 100,000-event import rereads the same pages from
    // the file half a million times a second (52 CPU-minutes instead of about two).
    #[cfg(feature = "sqlite")]
    if let DbConn::Sqlite(c) = &mut conn {
        c.batch_execute("PRAGMA cache_size = -65536;")
            .context("setting the page cache of a command's connection")?;
    }
    Ok(conn)
}

/// Applies pending migrations of the connection's backend. SQLite: also switches the file to
/// WAL (persistent). PostgreSQL: under an advisory lock, so instances starting together
/// migrate once.
pub fn migrate(conn: &mut DbConn) -> anyhow::Result<usize> {
    let applied = match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => {
            c.batch_execute("PRAGMA journal_mode = WAL;")
                .context("enabling WAL")?;
            let n = c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?
                .len();
            // Statistics for the query planner, gathered when missing or stale (about 0.5 s at
            // 100k events). (They used to be what kept the listings off `events_deleted`, which
            // read and sorted every public event for one page; that index is gone, see the
            // listing_indexes migration, and the plans no longer depend on them.)
            c.batch_execute("PRAGMA optimize = 0x10002;")
                .context("updating the query planner's statistics")?;
            n
        }
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => {
            use diesel::RunQueryDsl;
            diesel::sql_query(format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK})"))
                .execute(c)
                .context("taking the migration lock")?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len())
                .map_err(|e| anyhow::anyhow!("running migrations: {e}"));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})"))
                .execute(c)
                .context("releasing the migration lock")?;
            result?
        }
    };
    Ok(applied)
}

/// Migrates, then builds the pool.
pub fn build_pool(settings: &Settings) -> anyhow::Result<Pool> {
    let mut conn = connect(settings)?;
    let applied = migrate(&mut conn)?;
    if applied > 0 {
        tracing::info!(applied, "applied database migrations");
    }
    drop(conn);
    R2d2Pool::builder()
        .max_size(settings.database.pool_size)
        .connection_timeout(Duration::from_secs(10))
        .build(Manager::new(settings)?)
        .context("building the connection pool")
}

/// The pool of the read replica, if one is configured (no migrations: the replica follows the
/// primary).
pub fn build_read_pool(settings: &Settings) -> anyhow::Result<Option<Pool>> {
    let Some(manager) = Manager::replica(settings) else {
        return Ok(None);
    };
    R2d2Pool::builder()
        .max_size(settings.database.pool_size)
        .connection_timeout(Duration::from_secs(10))
        .build(manager)
        .map(Some)
        .context("building the read replica's connection pool")
}

/// A PostgreSQL WAL position (`16/B374D848`) as a number; 0 for anything else.
pub fn parse_lsn(text: &str) -> u64 {
    match text.trim().split_once('/') {
        Some((hi, lo)) => match (u64::from_str_radix(hi, 16), u64::from_str_radix(lo, 16)) {
            (Ok(hi), Ok(lo)) => (hi << 32) | lo,
            _ => 0,
        },
        None => 0,
    }
}

/// How far the primary's WAL goes now (after a write: at least as far as that write), or how
/// far a replica has replayed (`replica`). `None` on SQLite.
pub fn wal_position(conn: &mut DbConn, replica: bool) -> QueryResult<Option<u64>> {
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(_) => Ok(None),
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => pg_wal_position(c, replica).map(Some),
    }
}

/// Runs `f` with a pooled connection on the blocking thread pool.
pub async fn run<F, T>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}

/// The write transaction: writers take one lock up front and run one at a time, so a write
/// reads, checks and writes with nobody in between (no lost updates; uid and slug checks hold).
/// SQLite: `BEGIN IMMEDIATE` (queue on `busy_timeout` instead of failing on lock upgrade).
/// PostgreSQL: a transaction-scoped advisory lock, the same guarantee across every instance.
/// Nested calls become savepoints.
pub fn write_tx<T, F>(conn: &mut DbConn, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError>,
{
    serialized_tx(conn, |c| f(c).map(|v| (v, true))).map(|(v, _)| v)
}

/// `write_tx` for a write that may turn out to change nothing anyone sees (an import run that
/// found its feed as it was): `f` says whether it did, and only then are the instances told.
/// Returns that answer too, for the caller's own cache.
pub fn write_tx_if_changed<T, F>(conn: &mut DbConn, f: F) -> Result<(T, bool), AppError>
where
    F: FnOnce(&mut DbConn) -> Result<(T, bool), AppError>,
{
    serialized_tx(conn, f)
}

/// `write_tx` for bookkeeping that changes nothing anyone sees (rate-limit counts): the same
/// one-writer guarantee, but no change notification, so a flood of login attempts does not make
/// every instance drop its cached feeds.
pub fn bookkeeping_tx<T, F>(conn: &mut DbConn, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError>,
{
    serialized_tx(conn, |c| f(c).map(|v| (v, false))).map(|(v, _)| v)
}

/// One writer at a time; on PostgreSQL the change notification goes out when `f` says its
/// write changed something.
fn serialized_tx<T, F>(conn: &mut DbConn, f: F) -> Result<(T, bool), AppError>
where
    F: FnOnce(&mut DbConn) -> Result<(T, bool), AppError>,
{
    use diesel::connection::TransactionManager;
    let nested = matches!(
        DbConn::transaction_manager_status_mut(conn).transaction_depth(),
        Ok(Some(_))
    );
    if nested {
        return conn.transaction(f);
    }
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(c) => {
            use diesel::connection::AnsiTransactionManager;
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            match f(conn) {
                Ok(value) => {
                    DbConn::commit_transaction(conn)?;
                    Ok(value)
                }
                Err(e) => {
                    if let Err(rollback) = DbConn::rollback_transaction(conn) {
                        tracing::error!(error = %rollback, "rolling back a write failed");
                    }
                    Err(e)
                }
            }
        }
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => conn.transaction(|conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})"))
                .execute(conn)?;
            let (value, notify) = f(conn)?;
            if notify {
                // Delivered to every instance's listener when (and only if) this commits.
                diesel::sql_query(format!(
                    "SELECT pg_notify('{CHANGES_CHANNEL}', current_setting('{WRITER_SETTING}', true))"
                ))
                .execute(conn)?;
            }
            Ok((value, notify))
        }),
    }
}
