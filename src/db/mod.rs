//! Database access: the connection type, pool, per-connection PRAGMAs, embedded migrations, and
//! `run`, the one way handlers reach the database without blocking the async executor.
//!
//! SQLite is the embedded default. Everything outside this module names `DbConn`, so adding the
//! PostgreSQL backend (a `diesel::MultiConnection` enum) is a change here and in `migrations/`.

pub mod models;
pub mod queries;
pub mod schema;

use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool as R2d2Pool};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::Settings;
use crate::error::AppError;

pub type DbConn = diesel::sqlite::SqliteConnection;
pub type Pool = R2d2Pool<ConnectionManager<DbConn>>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

#[derive(Debug, Clone, Copy)]
struct Pragmas {
    busy_timeout_ms: u32,
}

impl Pragmas {
    fn apply(&self, conn: &mut DbConn) -> diesel::QueryResult<()> {
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
            self.busy_timeout_ms
        ))
    }
}

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        self.apply(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Opens one connection with the service's PRAGMAs (CLI commands that need no pool).
pub fn connect(settings: &Settings) -> anyhow::Result<DbConn> {
    let path = settings.database_path();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating database directory {}", dir.display()))?;
    }
    let url = path.to_string_lossy().into_owned();
    let mut conn = DbConn::establish(&url).with_context(|| format!("opening database {url}"))?;
    Pragmas {
        busy_timeout_ms: settings.database.busy_timeout_ms,
    }
    .apply(&mut conn)
    .context("setting PRAGMAs")?;
    Ok(conn)
}

/// Applies pending migrations and switches the file to WAL (persistent, done once).
pub fn migrate(conn: &mut DbConn) -> anyhow::Result<usize> {
    conn.batch_execute("PRAGMA journal_mode = WAL;")
        .context("enabling WAL")?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
    Ok(applied.len())
}

/// Migrates, then builds the pool.
pub fn build_pool(settings: &Settings) -> anyhow::Result<Pool> {
    let mut conn = connect(settings)?;
    let applied = migrate(&mut conn)?;
    if applied > 0 {
        tracing::info!(applied, "applied database migrations");
    }
    drop(conn);
    let manager = ConnectionManager::<DbConn>::new(settings.database_path().to_string_lossy());
    R2d2Pool::builder()
        .max_size(settings.database.pool_size)
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(Pragmas {
            busy_timeout_ms: settings.database.busy_timeout_ms,
        }))
        .build(manager)
        .context("building the connection pool")
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

/// A write transaction: `BEGIN IMMEDIATE` (take the write lock up front, so concurrent writers
/// queue on `busy_timeout` instead of failing on lock upgrade), or a savepoint when nested.
pub fn write_tx<T, F>(conn: &mut DbConn, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let nested = matches!(
        AnsiTransactionManager::transaction_manager_status_mut(conn).transaction_depth(),
        Ok(Some(_))
    );
    if nested {
        conn.transaction(f)
    } else {
        conn.immediate_transaction(f)
    }
}

/// A consistent copy of the live database (safe while the server runs): `VACUUM INTO`.
pub fn backup(conn: &mut DbConn, target: &std::path::Path) -> anyhow::Result<()> {
    if target.exists() {
        anyhow::bail!(
            "{} already exists; choose a new file name",
            target.display()
        );
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating backup directory {}", dir.display()))?;
    }
    let path = target.to_string_lossy().replace('\'', "''");
    conn.batch_execute(&format!("VACUUM INTO '{path}'"))
        .with_context(|| format!("writing backup to {}", target.display()))
}
