//! What every handler shares, and the one way a handler writes.

use std::sync::Arc;

use crate::config::Settings;
use crate::db::{self, DbConn, Pool};
use crate::error::AppError;
use crate::feeds::cache::FeedCache;
use crate::feeds::json::Links;
use crate::feeds::render::FragmentCache;
use crate::limit::{AddressKeys, Counts, Limiter, LoginLimits};

pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub links: Links,
    pub feeds: FeedCache,
    /// Rendered VEVENTs reused across feed renders.
    pub fragments: FragmentCache,
    /// Keyed hashes of client addresses (the limiters never see an address).
    pub addresses: AddressKeys,
    /// Where the limits count: this process, or the database shared by every instance.
    pub counts: Counts,
    pub login_limits: LoginLimits,
    pub submit_limit: Limiter,
}

impl AppState {
    /// Runs a write (a function that changes the database in its own transaction) and, once it
    /// has succeeded, drops every cached output it may change, whatever route asked for it: API,
    /// admin form, submission. (Writes from other processes — `turnout import`, another server —
    /// reach the caches through the change poller in `startup`.)
    pub async fn write<F, T>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let result = db::run(&self.pool, f).await;
        if result.is_ok() {
            self.feeds.invalidate();
        }
        result
    }
}
