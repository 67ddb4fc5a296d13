//! Rate limits (per process; several instances sharing limits is the PostgreSQL issue's work).
//!
//! No client address is ever stored, not even in memory: limits key on [`AddressKeys`], a keyed
//! hash of the address whose key is random, held only in memory and replaced every UTC day, so
//! yesterday's keys cannot be linked to an address by anyone, the operator included.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Keyed hashes of client addresses, with a key that changes daily.
pub struct AddressKeys {
    key: Mutex<(i64, [u8; 32])>,
}

impl Default for AddressKeys {
    fn default() -> Self {
        AddressKeys {
            key: Mutex::new((i64::MIN, [0; 32])),
        }
    }
}

impl AddressKeys {
    /// The limiter key of `ip` today: 128 bits of HMAC-SHA256, hex.
    pub fn key(&self, ip: IpAddr) -> String {
        let today = i64::from(chrono::Datelike::num_days_from_ce(
            &chrono::Utc::now().date_naive(),
        ));
        let key = {
            let mut k = lock(&self.key);
            if k.0 != today {
                let mut fresh = [0u8; 32];
                rand::Rng::fill_bytes(&mut rand::rng(), &mut fresh);
                *k = (today, fresh);
            }
            k.1
        };
        let ip = ip.to_canonical();
        let Ok(mut mac) = HmacSha256::new_from_slice(&key) else {
            // HMAC takes keys of any length; this cannot happen.
            return String::new();
        };
        match ip {
            IpAddr::V4(v4) => mac.update(&v4.octets()),
            IpAddr::V6(v6) => mac.update(&v6.octets()),
        }
        let digest = mac.finalize().into_bytes();
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// At most `max` hits per key within `window` (a fixed window from the first hit).
pub struct Limiter {
    max: u32,
    window: Duration,
    hits: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Limiter {
    pub fn new(max: u32, window: Duration) -> Limiter {
        Limiter {
            max,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, (u32, Instant)>) -> T) -> T {
        let mut map = lock(&self.hits);
        let now = Instant::now();
        if map.len() > 10_000 {
            map.retain(|_, (_, since)| now.duration_since(*since) < self.window);
        }
        f(&mut map)
    }

    /// Counts an attempt for `key` if it is still within the limit: true when it may go on.
    /// Counting and checking are one step, so parallel attempts cannot all slip through.
    pub fn try_hit(&self, key: &str) -> bool {
        self.with(|map| {
            let entry = map.entry(key.to_string()).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= self.window {
                *entry = (0, Instant::now());
            }
            if entry.0 < self.max {
                entry.0 += 1;
                true
            } else {
                false
            }
        })
    }

    /// Gives back one counted attempt (it turned out not to count: a typo in a form).
    pub fn refund(&self, key: &str) {
        self.with(|map| {
            if let Some(entry) = map.get_mut(key) {
                entry.0 = entry.0.saturating_sub(1);
            }
        });
    }

    /// Forgets `key` (a successful login clears its failures).
    pub fn clear(&self, key: &str) {
        self.with(|map| {
            map.remove(key);
        });
    }
}

/// Growing delays instead of a lockout: after `free` failures for a key within `window`, each
/// further attempt waits `base` × 2^(failures − free), at most `max`. Used per account, so that
/// someone guessing passwords from many addresses slows the account down but can never stop
/// its owner from logging in.
pub struct Backoff {
    free: u32,
    base: Duration,
    max: Duration,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Backoff {
    pub fn new(free: u32, base: Duration, max: Duration, window: Duration) -> Backoff {
        Backoff {
            free,
            base,
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// How long an attempt for `key` waits now.
    pub fn delay(&self, key: &str) -> Duration {
        let failures = match lock(&self.failures).get(key) {
            Some((n, since)) if since.elapsed() < self.window => *n,
            _ => 0,
        };
        if failures < self.free {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free).min(20);
        self.base.saturating_mul(1 << doublings).min(self.max)
    }

    pub fn fail(&self, key: &str) {
        let mut map = lock(&self.failures);
        let now = Instant::now();
        if map.len() > 10_000 {
            map.retain(|_, (_, since)| now.duration_since(*since) < self.window);
        }
        let entry = map.entry(key.to_string()).or_insert((0, now));
        if entry.1.elapsed() >= self.window {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn clear(&self, key: &str) {
        lock(&self.failures).remove(key);
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
            by_address_and_account: Limiter::new(5, window),
            by_address: Limiter::new(30, window),
            by_account: Backoff::new(
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

    #[test]
    fn limits_within_the_window() {
        let l = Limiter::new(2, Duration::from_secs(60));
        assert!(l.try_hit("a"));
        assert!(l.try_hit("a"));
        assert!(!l.try_hit("a"));
        assert!(l.try_hit("b"));
        l.refund("a");
        assert!(l.try_hit("a"));
        assert!(!l.try_hit("a"));
        l.clear("a");
        assert!(l.try_hit("a"));
        let short = Limiter::new(1, Duration::from_millis(1));
        assert!(short.try_hit("x"));
        std::thread::sleep(Duration::from_millis(5));
        assert!(short.try_hit("x"));
    }

    #[test]
    fn parallel_attempts_never_exceed_the_limit() {
        let l = std::sync::Arc::new(Limiter::new(5, Duration::from_secs(60)));
        let passed: usize = (0..30)
            .map(|_| {
                let l = l.clone();
                std::thread::spawn(move || l.try_hit("k"))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| usize::from(h.join().unwrap_or(false)))
            .sum();
        assert_eq!(passed, 5);
    }

    #[test]
    fn backoff_only_slows_down_and_grows() {
        let b = Backoff::new(
            2,
            Duration::from_millis(100),
            Duration::from_secs(1),
            Duration::from_secs(60),
        );
        assert_eq!(b.delay("acct"), Duration::ZERO);
        b.fail("acct");
        b.fail("acct");
        assert_eq!(b.delay("acct"), Duration::from_millis(100));
        b.fail("acct");
        assert_eq!(b.delay("acct"), Duration::from_millis(200));
        for _ in 0..10 {
            b.fail("acct");
        }
        assert_eq!(b.delay("acct"), Duration::from_secs(1));
        assert_eq!(b.delay("other"), Duration::ZERO);
        b.clear("acct");
        assert_eq!(b.delay("acct"), Duration::ZERO);
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
        // Another process (or tomorrow) has another key.
        assert_ne!(k, AddressKeys::default().key(a));
    }
}
