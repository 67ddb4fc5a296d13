//! Rate limits: counted in this process (one instance) or in the database (several instances
//! on one PostgreSQL database share them).
//!
//! No client address is ever stored, not even in memory: limits key on [`AddressKeys`], a keyed
//! hash of the address whose key is random, held only in memory and replaced every UTC day, so
//! yesterday's keys cannot be linked to an address by anyone, the operator included.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hmac::{KeyInit, Mac};

use crate::db::queries;
use crate::db::schema::rate_limits;
use crate::db::{self, Pool};
use crate::error::AppError;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Keyed hashes of client addresses (and of typed account names), with a key that changes
/// every UTC day. Without `secret_key` the key is random and lives only in this process; with
/// it, every instance derives the same daily key (HMAC of the secret and the day), so limits
/// kept in the database hold across instances while the database still holds only hashes.
pub struct AddressKeys {
    secret: Option<Vec<u8>>,
    key: Mutex<(i64, [u8; 32])>,
}

impl Default for AddressKeys {
    fn default() -> Self {
        AddressKeys::new(None)
    }
}

impl AddressKeys {
    pub fn new(secret: Option<&str>) -> AddressKeys {
        AddressKeys {
            secret: secret.map(|s| s.as_bytes().to_vec()),
            key: Mutex::new((i64::MIN, [0; 32])),
        }
    }

    fn today_key(&self) -> [u8; 32] {
        let today = i64::from(chrono::Datelike::num_days_from_ce(
            &chrono::Utc::now().date_naive(),
        ));
        let mut k = lock(&self.key);
        if k.0 != today {
            let mut fresh = [0u8; 32];
            match &self.secret {
                Some(secret) => {
                    if let Ok(mut mac) = HmacSha256::new_from_slice(secret) {
                        mac.update(b"turnout limit key ");
                        mac.update(&today.to_be_bytes());
                        fresh.copy_from_slice(&mac.finalize().into_bytes());
                    }
                }
                None => rand::Rng::fill_bytes(&mut rand::rng(), &mut fresh),
            }
            *k = (today, fresh);
        }
        k.1
    }

    /// 128 bits of HMAC-SHA256 of `bytes` under today's key, hex.
    pub fn hash(&self, bytes: &[u8]) -> String {
        let Ok(mut mac) = HmacSha256::new_from_slice(&self.today_key()) else {
            // HMAC takes keys of any length; this cannot happen.
            return String::new();
        };
        mac.update(bytes);
        let digest = mac.finalize().into_bytes();
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The limiter key of `ip` today.
    pub fn key(&self, ip: IpAddr) -> String {
        match ip.to_canonical() {
            IpAddr::V4(v4) => self.hash(&v4.octets()),
            IpAddr::V6(v6) => self.hash(&v6.octets()),
        }
    }
}

/// Where counts live: in this process, or in the database (table `rate_limits`), shared by
/// every instance on it.
pub enum Counts {
    Memory(Mutex<HashMap<String, (u32, Instant)>>),
    Shared(Pool),
}

impl Counts {
    pub fn memory() -> Counts {
        Counts::Memory(Mutex::new(HashMap::new()))
    }

    /// Counts one for `key` unless it already has `max` (`None`: no limit) within `window`;
    /// answers whether it was counted, and the count after.
    async fn hit(
        &self,
        key: String,
        max: Option<u32>,
        window: Duration,
    ) -> Result<(bool, u32), AppError> {
        match self {
            Counts::Memory(m) => {
                let mut map = lock(m);
                let now = Instant::now();
                if map.len() > 10_000 {
                    map.retain(|_, (_, since)| now.duration_since(*since) < window);
                }
                let entry = map.entry(key).or_insert((0, now));
                if entry.1.elapsed() >= window {
                    *entry = (0, now);
                }
                if max.is_some_and(|max| entry.0 >= max) {
                    return Ok((false, entry.0));
                }
                entry.0 += 1;
                Ok((true, entry.0))
            }
            Counts::Shared(pool) => {
                db::run(pool, move |c| {
                    db::bookkeeping_tx(c, |c| shared_hit(c, &key, max, window))
                })
                .await
            }
        }
    }

    async fn count(&self, key: String, window: Duration) -> Result<u32, AppError> {
        match self {
            Counts::Memory(m) => Ok(match lock(m).get(&key) {
                Some((n, since)) if since.elapsed() < window => *n,
                _ => 0,
            }),
            Counts::Shared(pool) => {
                db::run(pool, move |c| {
                    use diesel::prelude::*;
                    let row: Option<(i32, chrono::NaiveDateTime)> = rate_limits::table
                        .find(&key)
                        .select((rate_limits::hits, rate_limits::window_start))
                        .first(c)
                        .optional()?;
                    let since = queries::now() - chrono_window(window);
                    Ok(match row {
                        Some((n, start)) if start > since => u32::try_from(n).unwrap_or(0),
                        _ => 0,
                    })
                })
                .await
            }
        }
    }

    async fn refund(&self, key: String) -> Result<(), AppError> {
        match self {
            Counts::Memory(m) => {
                if let Some(entry) = lock(m).get_mut(&key) {
                    entry.0 = entry.0.saturating_sub(1);
                }
                Ok(())
            }
            Counts::Shared(pool) => {
                db::run(pool, move |c| {
                    use diesel::prelude::*;
                    diesel::update(
                        rate_limits::table
                            .find(&key)
                            .filter(rate_limits::hits.gt(0)),
                    )
                    .set(rate_limits::hits.eq(rate_limits::hits - 1))
                    .execute(c)?;
                    Ok(())
                })
                .await
            }
        }
    }

    async fn clear(&self, key: String) -> Result<(), AppError> {
        match self {
            Counts::Memory(m) => {
                lock(m).remove(&key);
                Ok(())
            }
            Counts::Shared(pool) => {
                db::run(pool, move |c| {
                    use diesel::prelude::*;
                    diesel::delete(rate_limits::table.find(&key)).execute(c)?;
                    Ok(())
                })
                .await
            }
        }
    }
}

fn chrono_window(window: Duration) -> chrono::Duration {
    chrono::Duration::from_std(window).unwrap_or(chrono::Duration::days(1))
}

/// `Counts::hit` in the database, inside the write transaction (so parallel attempts on any
/// instance are counted one after another). Rows older than a day go on the way.
fn shared_hit(
    c: &mut db::DbConn,
    key: &str,
    max: Option<u32>,
    window: Duration,
) -> Result<(bool, u32), AppError> {
    use diesel::prelude::*;
    let now = queries::now();
    diesel::delete(
        rate_limits::table.filter(rate_limits::window_start.lt(now - chrono::Duration::days(1))),
    )
    .execute(c)?;
    let row: Option<(i32, chrono::NaiveDateTime)> = rate_limits::table
        .find(key)
        .select((rate_limits::hits, rate_limits::window_start))
        .first(c)
        .optional()?;
    let current = match row {
        Some((n, start)) if start > now - chrono_window(window) => {
            Some(u32::try_from(n).unwrap_or(0))
        }
        Some(_) => {
            diesel::delete(rate_limits::table.find(key)).execute(c)?;
            None
        }
        None => None,
    };
    match current {
        Some(n) if max.is_some_and(|max| n >= max) => Ok((false, n)),
        Some(n) => {
            diesel::update(rate_limits::table.find(key))
                .set(rate_limits::hits.eq(rate_limits::hits + 1))
                .execute(c)?;
            Ok((true, n + 1))
        }
        None => {
            diesel::insert_into(rate_limits::table)
                .values((
                    rate_limits::key.eq(key),
                    rate_limits::hits.eq(1),
                    rate_limits::window_start.eq(now),
                ))
                .execute(c)?;
            Ok((true, 1))
        }
    }
}

/// At most `max` hits per key within `window` (a fixed window from the first hit).
pub struct Limiter {
    name: &'static str,
    max: u32,
    window: Duration,
}

impl Limiter {
    pub fn new(name: &'static str, max: u32, window: Duration) -> Limiter {
        Limiter { name, max, window }
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.name)
    }

    /// Counts an attempt for `key` if it is still within the limit: true when it may go on.
    /// Counting and checking are one step, so parallel attempts cannot all slip through.
    pub async fn try_hit(&self, counts: &Counts, key: &str) -> Result<bool, AppError> {
        Ok(counts
            .hit(self.key(key), Some(self.max), self.window)
            .await?
            .0)
    }

    /// Gives back one counted attempt (it turned out not to count: a typo in a form).
    pub async fn refund(&self, counts: &Counts, key: &str) -> Result<(), AppError> {
        counts.refund(self.key(key)).await
    }

    /// Forgets `key` (a successful login clears its failures).
    pub async fn clear(&self, counts: &Counts, key: &str) -> Result<(), AppError> {
        counts.clear(self.key(key)).await
    }
}

/// Growing delays instead of a lockout: after `free` failures for a key within `window`, each
/// further attempt waits `base` × 2^(failures − free), at most `max`. Used per account, so that
/// someone guessing passwords from many addresses slows the account down but can never stop
/// its owner from logging in.
pub struct Backoff {
    name: &'static str,
    free: u32,
    base: Duration,
    max: Duration,
    window: Duration,
}

impl Backoff {
    pub fn new(
        name: &'static str,
        free: u32,
        base: Duration,
        max: Duration,
        window: Duration,
    ) -> Backoff {
        Backoff {
            name,
            free,
            base,
            max,
            window,
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.name)
    }

    /// The wait after `failures` failures.
    pub fn delay_after(&self, failures: u32) -> Duration {
        if failures < self.free {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free).min(20);
        self.base.saturating_mul(1 << doublings).min(self.max)
    }

    /// How long an attempt for `key` waits now.
    pub async fn delay(&self, counts: &Counts, key: &str) -> Result<Duration, AppError> {
        Ok(self.delay_after(counts.count(self.key(key), self.window).await?))
    }

    pub async fn fail(&self, counts: &Counts, key: &str) -> Result<(), AppError> {
        counts
            .hit(self.key(key), None, self.window)
            .await
            .map(|_| ())
    }

    pub async fn clear(&self, counts: &Counts, key: &str) -> Result<(), AppError> {
        counts.clear(self.key(key)).await
    }
}

/// Login throttles. Per address and account: a few tries, then 429 (one person guessing one
/// account). Per address: more, then 429 (one person guessing many accounts). Per account: only
/// growing delays (many addresses guessing one account), never a refusal.
pub struct LoginLimits {
    pub by_address_and_account: Limiter,
    pub by_address: Limiter,
    pub by_account: Backoff,
}

impl Default for LoginLimits {
    fn default() -> Self {
        let window = Duration::from_secs(15 * 60);
        LoginLimits {
            by_address_and_account: Limiter::new("login-pair", 5, window),
            by_address: Limiter::new("login-address", 30, window),
            by_account: Backoff::new(
                "login-account",
                10,
                Duration::from_millis(250),
                Duration::from_secs(8),
                window,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn limits_within_the_window() {
        let c = Counts::memory();
        let l = Limiter::new("t", 2, Duration::from_secs(60));
        assert!(l.try_hit(&c, "a").await.unwrap_or(false));
        assert!(l.try_hit(&c, "a").await.unwrap_or(false));
        assert!(!l.try_hit(&c, "a").await.unwrap_or(true));
        assert!(l.try_hit(&c, "b").await.unwrap_or(false));
        let _ = l.refund(&c, "a").await;
        assert!(l.try_hit(&c, "a").await.unwrap_or(false));
        assert!(!l.try_hit(&c, "a").await.unwrap_or(true));
        let _ = l.clear(&c, "a").await;
        assert!(l.try_hit(&c, "a").await.unwrap_or(false));
        let short = Limiter::new("s", 1, Duration::from_millis(1));
        assert!(short.try_hit(&c, "x").await.unwrap_or(false));
        std::thread::sleep(Duration::from_millis(5));
        assert!(short.try_hit(&c, "x").await.unwrap_or(false));
    }

    #[test]
    fn backoff_only_slows_down_and_grows() {
        let b = Backoff::new(
            "b",
            2,
            Duration::from_millis(100),
            Duration::from_secs(1),
            Duration::from_secs(60),
        );
        assert_eq!(b.delay_after(0), Duration::ZERO);
        assert_eq!(b.delay_after(1), Duration::ZERO);
        assert_eq!(b.delay_after(2), Duration::from_millis(100));
        assert_eq!(b.delay_after(3), Duration::from_millis(200));
        assert_eq!(b.delay_after(13), Duration::from_secs(1));
        assert_eq!(b.delay_after(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn address_keys_are_stable_within_a_day_and_reveal_nothing() {
        let keys = AddressKeys::default();
        let a: IpAddr = "203.0.113.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let k = keys.key(a);
        assert_eq!(k, keys.key(a));
        assert_eq!(k.len(), 32);
        assert!(!k.contains("203"));
        assert_ne!(k, keys.key("203.0.113.8".parse().unwrap_or(a)));
        // A v4 address seen through a v6 socket is the same client.
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap_or(a);
        assert_eq!(k, keys.key(mapped));
        // Another process (or tomorrow) has another key...
        assert_ne!(k, AddressKeys::default().key(a));
        // ...unless the instances share a secret.
        let one = AddressKeys::new(Some("shared secret"));
        assert_eq!(one.key(a), AddressKeys::new(Some("shared secret")).key(a));
        assert_ne!(one.key(a), AddressKeys::new(Some("another")).key(a));
    }
}
