//! A small in-memory rate limiter: at most `max` hits per key within `window`.
//! (Per process; enough for one server. Keys are client addresses or e-mail addresses.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
        let mut map = match self.hits.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let now = Instant::now();
        if map.len() > 10_000 {
            map.retain(|_, (_, since)| now.duration_since(*since) < self.window);
        }
        f(&mut map)
    }

    /// Whether `key` may go on (without counting a hit).
    pub fn allowed(&self, key: &str) -> bool {
        self.with(|map| match map.get(key) {
            Some((n, since)) if since.elapsed() < self.window => *n < self.max,
            _ => true,
        })
    }

    /// Counts a hit for `key`.
    pub fn hit(&self, key: &str) {
        self.with(|map| {
            let entry = map.entry(key.to_string()).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= self.window {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        });
    }

    /// Forgets `key` (a successful login clears its failures).
    pub fn clear(&self, key: &str) {
        self.with(|map| {
            map.remove(key);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_within_the_window() {
        let l = Limiter::new(2, Duration::from_secs(60));
        assert!(l.allowed("a"));
        l.hit("a");
        l.hit("a");
        assert!(!l.allowed("a"));
        assert!(l.allowed("b"));
        l.clear("a");
        assert!(l.allowed("a"));
        let short = Limiter::new(1, Duration::from_millis(1));
        short.hit("x");
        std::thread::sleep(Duration::from_millis(5));
        assert!(short.allowed("x"));
    }
}
