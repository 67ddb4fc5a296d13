//! What every handler shares, and the one way a handler writes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::cache::ResponseCache;
use crate::config::Settings;
use crate::db::{self, DbConn, Pool};
use crate::error::AppError;
use crate::feeds::json::Links;
use crate::feeds::render::FragmentCache;
use crate::limit::{AddressKeys, Counts, Limiter, LoginLimits};

pub struct AppState {
    pub pool: Pool,
    /// The read replica's pool, if one is configured, and how far it is known to be behind.
    pub replica: Option<Replica>,
    pub settings: Arc<Settings>,
    pub links: Links,
    /// Every public answer, built once per change (see `cache`).
    pub cache: Arc<ResponseCache>,
    pub cache_policies: crate::web::cached::Policies,
    pub gates: crate::web::cached::Gates,
    /// Rendered VEVENTs reused across feed renders.
    pub fragments: FragmentCache,
    /// Keyed hashes of client addresses (the limiters never see an address).
    pub addresses: AddressKeys,
    /// Where the limits count: this process, or the database shared by every instance.
    pub counts: Counts,
    pub login_limits: LoginLimits,
    /// Whether this instance runs the work that must run once across instances (see
    /// `db::lead`); always on SQLite.
    pub leader: std::sync::atomic::AtomicBool,
    pub submit_limit: Limiter,
}

/// A read replica and the WAL positions that decide whether it may answer.
pub struct Replica {
    pub pool: Pool,
    /// The newest primary position this instance has seen: after its own writes (read your
    /// writes), and after every change another instance notified.
    pub seen: AtomicU64,
    /// How far the replica has replayed, as last checked.
    pub replayed: AtomicU64,
}

impl Replica {
    pub fn new(pool: Pool) -> Replica {
        Replica {
            pool,
            seen: AtomicU64::new(0),
            replayed: AtomicU64::new(0),
        }
    }

    /// Whether the replica has everything this instance has seen: then what it answers is never
    /// older than what this instance served before (an ETag never goes backwards).
    pub fn caught_up(&self) -> bool {
        self.replayed.load(Ordering::Acquire) >= self.seen.load(Ordering::Acquire)
    }

    pub fn saw(&self, lsn: u64) {
        self.seen.fetch_max(lsn, Ordering::AcqRel);
    }
}

impl AppState {
    /// Runs a public read (pages, feeds, JSON GETs): on the read replica when there is one and
    /// it has caught up with everything this instance has seen, on the primary otherwise.
    pub async fn read<F, T>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        match &self.replica {
            Some(r) if r.caught_up() => db::run(&r.pool, f).await,
            _ => db::run(&self.pool, f).await,
        }
    }

    /// Runs a write (a function that changes the database in its own transaction) and, once it
    /// has succeeded, drops every cached output it may change, whatever route asked for it: API,
    /// admin form, submission. (Writes from other processes — `turnout import`, another server —
    /// reach the caches through the change poller in `startup`.)
    pub async fn write<F, T>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let track = self.replica.is_some();
        let result = db::run(&self.pool, move |c| {
            let value = f(c)?;
            // Where the primary is now, past this write: reads wait for the replica to get here.
            let lsn = if track {
                db::wal_position(c, false)?
            } else {
                None
            };
            Ok((value, lsn))
        })
        .await;
        match result {
            Ok((value, lsn)) => {
                if let (Some(r), Some(lsn)) = (&self.replica, lsn) {
                    r.saw(lsn);
                }
                self.cache.invalidate();
                Ok(value)
            }
            Err(e) => Err(e),
        }
    }
}
