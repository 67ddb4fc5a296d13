//! Rendered feeds kept in memory, so a calendar app polling an unchanged feed costs a hash-map
//! lookup: no database, no rendering, no compression.
//!
//! An entry is valid for one `generation` (bumped by every write this process makes, and by a
//! poller that notices writes from other processes such as `turnout import`) and one window day
//! (the feed window's first day moves daily). The ETag is a hash of the bytes, so a re-render
//! that produces the same bytes keeps the same ETag and clients keep getting 304s.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use actix_web::http::header::{HeaderValue, HttpDate};
use actix_web::web::Bytes;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};

/// Most feeds kept at once (free-text filters make the key space unbounded).
const MAX_ENTRIES: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity = 0,
    Gzip = 1,
    Brotli = 2,
}

fn header(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub struct CachedFeed {
    pub generation: u64,
    pub window_day: NaiveDate,
    /// Hash of the identity bytes; the quoted ETag per encoding derives from it.
    pub tag: String,
    pub last_modified: SystemTime,
    pub body: Bytes,
    /// Response headers, built once: the ETag per encoding, Last-Modified, Content-Disposition.
    pub etags: [HeaderValue; 3],
    pub last_modified_header: HeaderValue,
    pub disposition: HeaderValue,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
    last_used: AtomicU64,
}

impl CachedFeed {
    pub fn etag(&self, encoding: Encoding) -> &HeaderValue {
        &self.etags[encoding as usize]
    }

    /// Whether an `If-None-Match` value names this content (in any of its encodings).
    pub fn matches(&self, if_none_match: &str) -> bool {
        if_none_match.trim() == "*"
            || if_none_match.split(',').any(|candidate| {
                let c = candidate.trim().trim_start_matches("W/").trim_matches('"');
                c.strip_suffix("-gz")
                    .or_else(|| c.strip_suffix("-br"))
                    .unwrap_or(c)
                    == self.tag
            })
    }

    /// The body in `encoding`, compressed once and kept.
    pub fn body(&self, encoding: Encoding) -> Bytes {
        match encoding {
            Encoding::Identity => self.body.clone(),
            Encoding::Gzip => self.gzip.get_or_init(|| gzip(&self.body)).clone(),
            Encoding::Brotli => self.brotli.get_or_init(|| brotli(&self.body)).clone(),
        }
    }
}

fn gzip(data: &[u8]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 4),
        flate2::Compression::new(6),
    );
    match enc.write_all(data).and_then(|_| enc.finish()) {
        Ok(v) => Bytes::from(v),
        Err(_) => Bytes::new(),
    }
}

fn brotli(data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(data.len() / 4);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 5,
        lgwin: 22,
        ..Default::default()
    };
    match brotli::BrotliCompress(&mut &data[..], &mut out, &params) {
        Ok(_) => Bytes::from(out),
        Err(_) => Bytes::new(),
    }
}

pub struct FeedCache {
    generation: AtomicU64,
    clock: AtomicU64,
    entries: Mutex<HashMap<String, Arc<CachedFeed>>>,
    fingerprint: Mutex<Option<String>>,
    /// `Cache-Control` of every feed: max-age is the refresh interval.
    pub cache_control: HeaderValue,
}

impl FeedCache {
    pub fn new(refresh_minutes: u32) -> FeedCache {
        FeedCache {
            generation: AtomicU64::new(0),
            clock: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
            fingerprint: Mutex::new(None),
            cache_control: header(&format!(
                "public, max-age={}",
                u64::from(refresh_minutes) * 60
            )),
        }
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Something any feed may show has changed.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Called by the poller with the database's change fingerprint.
    pub fn observe(&self, fingerprint: String) {
        if let Ok(mut last) = self.fingerprint.lock() {
            if last.as_deref() != Some(fingerprint.as_str()) {
                if last.is_some() {
                    self.invalidate();
                }
                *last = Some(fingerprint);
            }
        }
    }

    /// A cached feed still valid for `generation` and `window_day`.
    pub fn get(
        &self,
        key: &str,
        generation: u64,
        window_day: NaiveDate,
    ) -> Option<Arc<CachedFeed>> {
        let entry = self.entries.lock().ok()?.get(key).cloned()?;
        if entry.generation == generation && entry.window_day == window_day {
            entry.last_used.store(
                self.clock.fetch_add(1, Ordering::Relaxed),
                Ordering::Relaxed,
            );
            Some(entry)
        } else {
            None
        }
    }

    /// Stores a fresh render. Same bytes as before keep the old ETag and Last-Modified;
    /// different bytes get `changed_at` (or the newest change among the feed's events when the
    /// process has no earlier render to compare with).
    pub fn put(
        &self,
        key: String,
        generation: u64,
        window_day: NaiveDate,
        body: String,
        filename: String,
        newest_change: SystemTime,
    ) -> Arc<CachedFeed> {
        let digest = Sha256::digest(body.as_bytes());
        let tag: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        let mut entries = match self.entries.lock() {
            Ok(e) => e,
            Err(poisoned) => poisoned.into_inner(),
        };
        let last_modified = match entries.get(&key) {
            Some(old) if old.tag == tag => old.last_modified,
            Some(old) => SystemTime::now().max(old.last_modified),
            None => newest_change,
        };
        let etags = [
            header(&format!("\"{tag}\"")),
            header(&format!("\"{tag}-gz\"")),
            header(&format!("\"{tag}-br\"")),
        ];
        let disposition = HeaderValue::from_str(&format!("inline; filename=\"{filename}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("inline"));
        let entry = Arc::new(CachedFeed {
            generation,
            window_day,
            tag,
            last_modified,
            last_modified_header: header(&HttpDate::from(last_modified).to_string()),
            body: Bytes::from(body),
            etags,
            disposition,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
            last_used: AtomicU64::new(self.clock.fetch_add(1, Ordering::Relaxed)),
        });
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            let oldest = entries
                .iter()
                .min_by_key(|(_, e)| e.last_used.load(Ordering::Relaxed))
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                entries.remove(&k);
            }
        }
        entries.insert(key, entry.clone());
        entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
    }

    #[test]
    fn same_bytes_same_etag_and_date() {
        let c = FeedCache::new(60);
        let t0 = SystemTime::UNIX_EPOCH;
        let a = c.put("k".into(), 0, day(), "BODY".into(), "f.ics".into(), t0);
        c.invalidate();
        assert!(c.get("k", c.generation(), day()).is_none());
        let b = c.put("k".into(), 1, day(), "BODY".into(), "f.ics".into(), t0);
        assert_eq!(a.tag, b.tag);
        assert_eq!(b.last_modified, t0);
        let d = c.put("k".into(), 2, day(), "OTHER".into(), "f.ics".into(), t0);
        assert_ne!(d.tag, a.tag);
        assert!(d.last_modified > t0);
    }

    #[test]
    fn if_none_match_forms() {
        let c = FeedCache::new(60);
        let e = c.put(
            "k".into(),
            0,
            day(),
            "BODY".into(),
            "f.ics".into(),
            SystemTime::now(),
        );
        assert!(e.matches(e.etag(Encoding::Identity).to_str().unwrap()));
        assert!(e.matches(&format!(
            "\"x\", {}",
            e.etag(Encoding::Gzip).to_str().unwrap()
        )));
        assert!(e.matches(&format!("W/{}", e.etag(Encoding::Brotli).to_str().unwrap())));
        assert!(e.matches("*"));
        assert!(!e.matches("\"nope\""));
    }

    #[test]
    fn compression_round_trips() {
        let c = FeedCache::new(60);
        let text = "BEGIN:VCALENDAR\r\n".repeat(1000);
        let e = c.put(
            "k".into(),
            0,
            day(),
            text.clone(),
            "f.ics".into(),
            SystemTime::now(),
        );
        let gz = e.body(Encoding::Gzip);
        assert!(gz.len() < text.len() / 10);
        let mut d = flate2::read::GzDecoder::new(&gz[..]);
        let mut back = String::new();
        std::io::Read::read_to_string(&mut d, &mut back).unwrap();
        assert_eq!(back, text);
        assert!(!e.body(Encoding::Brotli).is_empty());
    }

    #[test]
    fn observe_bumps_on_change_only() {
        let c = FeedCache::new(60);
        c.observe("a".into());
        let g = c.generation();
        c.observe("a".into());
        assert_eq!(c.generation(), g);
        c.observe("b".into());
        assert_eq!(c.generation(), g + 1);
    }
}
