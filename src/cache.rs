//! Every public answer (pages, JSON reads, feeds) built once per change and kept in memory, so a
//! request for an unchanged answer costs a hash-map lookup: no database, no rendering, no
//! compression.
//!
//! - An entry is valid for one `generation`, bumped by every write (this process's, through
//!   `AppState::write`; other instances', through LISTEN/NOTIFY on PostgreSQL or the change
//!   poller on SQLite), and for at most `ttl` (answers that depend on "now", such as upcoming
//!   events or a feed's window, move on by themselves).
//! - The ETag is a hash of the identity bytes: a rebuild that produces the same bytes keeps its
//!   ETag and its `Last-Modified`, so clients and shared caches keep getting 304s.
//! - The gzip form is made when the entry is stored; brotli later, by one background thread
//!   (until it is ready, clients that accept brotli get gzip).
//! - The store is bounded in bytes, not entries. Bodies over `identity_max` keep only their
//!   compressed forms (an identity request decompresses them).

use std::collections::HashMap;
use std::io::Read;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header::{HeaderName, HeaderValue, HttpDate};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;

use crate::compress::{self, GzipStitcher};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity = 0,
    Gzip = 1,
    Brotli = 2,
}

/// gzip level of every cached body (nginx's `gzip_comp_level` in the benchmarks).
pub const GZIP_LEVEL: u32 = 6;
/// Brotli quality of every cached body.
const BROTLI_QUALITY: u32 = 5;
/// Large bodies get their brotli form only once writes have paused this long: a brotli of a
/// 2.4 MB feed costs about a hundred milliseconds of a core, wasted when the next write makes
/// it stale, and run beside the first answers after a write it slows them (its tables push
/// theirs out of the CPU's caches). Until then brotli clients get gzip.
const BROTLI_QUIET: Duration = Duration::from_millis(1500);
/// Each gzip chunk is primed with this much of the chunk before it (see `compress`): the whole
/// deflate window, for bodies within 1.2 % of whole-body gzip; as a preset dictionary it costs
/// no more after a write than 16 KiB (docs/PERFORMANCE.md, "Compression after a write").
const GZIP_PRIME: usize = 32 * 1024;
/// Share of the byte budget that keeps compressed chunks for the next build (1.5 MiB of the
/// default: a 2,000-event feed's gzip form is 300 KB).
const CHUNK_SHARE: usize = 6;
/// Bodies up to this size are brotli-compressed when stored, larger ones in the background.
const SMALL: usize = 32 * 1024;

/// A body kept as the buffers it was assembled from, without a copy: a feed's VEVENTs are the
/// fragment cache's own (`feeds::render`), so a cached feed does not hold its events twice. A
/// handler that has one sends it as its body ([`Rope::into_body`]) and puts it in its
/// response's extensions, where the cache takes it: hashed, stitched into gzip and brotli-
/// compressed part by part, never joined.
#[derive(Clone)]
pub struct Rope {
    parts: Arc<[Bytes]>,
    len: usize,
}

impl From<Bytes> for Rope {
    fn from(one: Bytes) -> Rope {
        Rope::new(vec![one])
    }
}

impl Rope {
    pub fn new(parts: Vec<Bytes>) -> Rope {
        let len = parts.iter().map(Bytes::len).sum();
        Rope {
            parts: parts.into(),
            len,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The parts in order, to read the body without joining it.
    pub fn slices(&self) -> Vec<&[u8]> {
        self.parts.iter().map(|p| &p[..]).collect()
    }

    /// Sent as its parts, one after another.
    pub fn into_body(self) -> Body {
        Body::Parts {
            rope: self,
            next: 0,
        }
    }

    /// The parts joined into one buffer.
    pub fn to_bytes(&self) -> Bytes {
        match &self.parts[..] {
            [one] => one.clone(),
            parts => {
                let mut out = Vec::with_capacity(self.len);
                for p in parts {
                    out.extend_from_slice(p);
                }
                Bytes::from(out)
            }
        }
    }
}

/// A body as sent: one buffer, or a rope's parts one after another (no copy).
pub enum Body {
    One(Option<Bytes>),
    Parts { rope: Rope, next: usize },
}

impl MessageBody for Body {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        match self {
            Body::One(b) => BodySize::Sized(b.as_ref().map_or(0, |b| b.len() as u64)),
            Body::Parts { rope, .. } => BodySize::Sized(rope.len as u64),
        }
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let next = match self.get_mut() {
            Body::One(b) => b.take(),
            Body::Parts { rope, next } => {
                let part = rope.parts.get(*next).cloned();
                *next += 1;
                part
            }
        };
        Poll::Ready(next.map(Ok))
    }

    fn try_into_bytes(self) -> Result<Bytes, Self> {
        match self {
            Body::One(b) => Ok(b.unwrap_or_default()),
            parts => Err(parts),
        }
    }
}

fn header(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

enum Identity {
    Flat(Bytes),
    Rope(Rope),
}

/// What a handler answered, as the cache keeps it.
pub struct Entry {
    pub generation: u64,
    built: Instant,
    ttl: Duration,
    pub status: StatusCode,
    /// The handler's own headers (content type, CSP, disposition, CORS…), without the ones the
    /// cache sets itself.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Hash of the identity bytes; the quoted ETag per encoding derives from it.
    pub tag: String,
    pub etags: [HeaderValue; 3],
    pub last_modified: SystemTime,
    pub last_modified_header: HeaderValue,
    pub cache_control: HeaderValue,
    /// The identity bytes, unless the body is too large to keep twice and came without a rope.
    identity: Option<Identity>,
    identity_len: usize,
    gzip: Bytes,
    brotli: OnceLock<Bytes>,
    last_used: AtomicU64,
}

impl Entry {
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

    fn fresh(&self, generation: u64, now: Instant) -> bool {
        self.generation == generation && now.duration_since(self.built) < self.ttl
    }

    /// The encoding to send when the client accepts `wanted`: brotli only once it is ready.
    pub fn available(&self, wanted: Encoding) -> Encoding {
        match wanted {
            Encoding::Brotli if self.brotli.get().is_none() => Encoding::Gzip,
            Encoding::Gzip if self.gzip.is_empty() => Encoding::Identity,
            other => other,
        }
    }

    /// The body to send in `encoding` (which `available` chose).
    pub fn body(&self, encoding: Encoding) -> Body {
        match (encoding, &self.identity) {
            (Encoding::Identity, Some(Identity::Rope(rope))) => Body::Parts {
                rope: rope.clone(),
                next: 0,
            },
            _ => Body::One(Some(self.bytes(encoding))),
        }
    }

    /// The brotli form of the identity bytes, read from where they are kept.
    fn brotli_of_identity(&self) -> Vec<u8> {
        match &self.identity {
            Some(Identity::Flat(b)) => compress::brotli(b, BROTLI_QUALITY),
            Some(Identity::Rope(rope)) => compress::brotli_parts(&rope.slices(), BROTLI_QUALITY),
            None => compress::brotli(&gunzip(&self.gzip, self.identity_len), BROTLI_QUALITY),
        }
    }

    /// The body in `encoding`, in one buffer.
    pub fn bytes(&self, encoding: Encoding) -> Bytes {
        match encoding {
            Encoding::Identity => match &self.identity {
                Some(Identity::Flat(b)) => b.clone(),
                Some(Identity::Rope(rope)) => rope.to_bytes(),
                None => gunzip(&self.gzip, self.identity_len),
            },
            Encoding::Gzip => self.gzip.clone(),
            Encoding::Brotli => self
                .brotli
                .get()
                .cloned()
                .unwrap_or_else(|| self.gzip.clone()),
        }
    }

    /// Bytes this entry holds. A rope's parts count in full though the fragment cache shares most of them: the bound
    /// holds even when that cache has moved on.
    fn size(&self) -> usize {
        self.identity.as_ref().map_or(0, |i| match i {
            Identity::Flat(b) => b.len(),
            Identity::Rope(r) => r.len() + r.parts.len() * std::mem::size_of::<Bytes>(),
        }) + self.gzip.len()
            + self.brotli.get().map_or(0, Bytes::len)
            + self
                .headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len())
                .sum::<usize>()
            + 256
    }
}

fn gunzip(data: &[u8], len: usize) -> Bytes {
    let mut out = Vec::with_capacity(len);
    match flate2::read::GzDecoder::new(data).read_to_end(&mut out) {
        Ok(_) => Bytes::from(out),
        Err(_) => Bytes::new(),
    }
}

/// A handler's answer, ready to be stored.
pub struct Fresh {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body as the handler built it: one buffer, or parts (kept as they are when large).
    pub body: Rope,
    pub cache_control: HeaderValue,
    pub ttl: Duration,
    /// When the handler knows (a feed's newest change): the `Last-Modified` of a first build.
    pub last_modified: Option<SystemTime>,
}

#[derive(Default)]
struct Store {
    entries: HashMap<String, Arc<Entry>>,
    bytes: usize,
    /// What a rebuild compares with, by key, for answers no longer valid: their bodies are
    /// dropped at once (a stale answer is never served again), their ETag and Last-Modified
    /// kept, so a rebuild with the same bytes still answers 304.
    validators: HashMap<String, Validator>,
    validator_bytes: usize,
}

struct Validator {
    tag: String,
    last_modified: SystemTime,
}

/// Bytes a validator costs: its key, its tag and the map's own share.
fn validator_cost(key: &str) -> usize {
    key.len() + 32 + 64
}

impl Store {
    /// Drops `key`'s body, keeping what a rebuild compares with.
    fn retire(&mut self, key: String, entry: &Entry, budget: usize) {
        self.bytes = self.bytes.saturating_sub(entry.size());
        self.remember(key, entry.tag.clone(), entry.last_modified, budget);
    }

    fn remember(&mut self, key: String, tag: String, last_modified: SystemTime, budget: usize) {
        // Validators take at most a sixteenth of the budget (thousands of keys); past it they
        // are forgotten together: a rebuild without one only gets a new Last-Modified.
        if self.validator_bytes > budget / 16 {
            self.validators.clear();
            self.validator_bytes = 0;
        }
        let cost = validator_cost(&key);
        if self
            .validators
            .insert(key, Validator { tag, last_modified })
            .is_none()
        {
            self.validator_bytes += cost;
        }
    }

    /// `key` is stored again: its body carries its validators.
    fn forget(&mut self, key: &str) {
        if self.validators.remove(key).is_some() {
            self.validator_bytes = self.validator_bytes.saturating_sub(validator_cost(key));
        }
    }

    /// The ETag and Last-Modified of what `key` answered last.
    fn previous(&self, key: &str) -> Option<(String, SystemTime)> {
        match self.entries.get(key) {
            Some(e) => Some((e.tag.clone(), e.last_modified)),
            None => self
                .validators
                .get(key)
                .map(|v| (v.tag.clone(), v.last_modified)),
        }
    }
}

pub struct ResponseCache {
    generation: AtomicU64,
    /// When the last write made every answer stale, in milliseconds since `started`.
    last_write_ms: AtomicU64,
    started: Instant,
    clock: AtomicU64,
    store: Mutex<Store>,
    budget: usize,
    identity_max: usize,
    fingerprint: Mutex<Option<String>>,
    brotli_jobs: Mutex<Option<mpsc::Sender<Weak<Entry>>>>,
    stitcher: GzipStitcher,
}

impl ResponseCache {
    /// A cache of at most `budget` bytes (a sixth of it for compressed chunks kept for the next
    /// build); bodies over `identity_max` are kept compressed only.
    pub fn new(budget: usize, identity_max: usize) -> Arc<ResponseCache> {
        let chunks = budget / CHUNK_SHARE;
        let cache = Arc::new(ResponseCache {
            generation: AtomicU64::new(0),
            last_write_ms: AtomicU64::new(0),
            started: Instant::now(),
            clock: AtomicU64::new(0),
            store: Mutex::new(Store::default()),
            budget: budget - chunks,
            stitcher: GzipStitcher::with_prime(chunks, GZIP_LEVEL, GZIP_PRIME),
            identity_max,
            fingerprint: Mutex::new(None),
            brotli_jobs: Mutex::new(None),
        });
        let (tx, rx) = mpsc::channel::<Weak<Entry>>();
        let weak = Arc::downgrade(&cache);
        let started = std::thread::Builder::new()
            .name("turnout-brotli".into())
            .spawn(move || {
                crate::memory::run_at_idle_priority();
                // Ends when the cache (and with it the sender) is dropped.
                for job in rx {
                    // Wait for writes to pause (holding no cache while asleep).
                    loop {
                        let Some(cache) = weak.upgrade() else { return };
                        let quiet = cache.since_last_write();
                        drop(cache);
                        match BROTLI_QUIET.checked_sub(quiet) {
                            Some(left) if !left.is_zero() => std::thread::sleep(left),
                            _ => break,
                        }
                    }
                    let Some(entry) = job.upgrade() else { continue };
                    let Some(cache) = weak.upgrade() else { return };
                    if entry.generation != cache.generation() {
                        continue;
                    }
                    let br = Bytes::from(entry.brotli_of_identity());
                    if entry.identity_len >= crate::memory::LARGE {
                        crate::memory::note_large_work();
                    }
                    if !br.is_empty() && entry.brotli.set(br).is_ok() {
                        cache.account(&entry);
                    }
                }
            });
        if let (Ok(_), Ok(mut jobs)) = (started, cache.brotli_jobs.lock()) {
            *jobs = Some(tx);
        }
        cache
    }

    /// How long since the last write made every answer stale (since the start, before any).
    fn since_last_write(&self) -> Duration {
        let last = Duration::from_millis(self.last_write_ms.load(Ordering::Acquire));
        self.started.elapsed().saturating_sub(last)
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Something any public answer may show has changed: every stored answer is stale, and
    /// its body's memory is given back at once (only its ETag and date are kept).
    pub fn invalidate(&self) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_write_ms.store(now, Ordering::Release);
        let mut store = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        let stale = std::mem::take(&mut store.entries);
        for (key, entry) in stale {
            store.retire(key, &entry, self.budget);
        }
        store.bytes = 0;
    }

    /// Called by the change poller with the database's change fingerprint.
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        match self.store.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// A stored answer still valid now.
    pub fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let mut store = self.lock();
        let entry = store.entries.get(key).cloned()?;
        if entry.fresh(self.generation(), Instant::now()) {
            entry.last_used.store(
                self.clock.fetch_add(1, Ordering::Relaxed),
                Ordering::Relaxed,
            );
            Some(entry)
        } else {
            // Past its time to live: never served again.
            if let Some((key, old)) = store.entries.remove_entry(key) {
                store.retire(key, &old, self.budget);
            }
            None
        }
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Stores a fresh answer built during `generation`. Same bytes as the entry it replaces keep
    /// that entry's ETag and Last-Modified; different bytes get now (or the handler's date when
    /// there was nothing to compare with).
    pub fn put(&self, key: String, generation: u64, fresh: Fresh) -> Arc<Entry> {
        let tag = content_tag(&fresh.body);
        let slices = fresh.body.slices();
        let previous = self.lock().previous(&key);
        let last_modified = match previous {
            Some((old_tag, old_date)) if old_tag == tag => old_date,
            Some((_, old_date)) => SystemTime::now().max(old_date),
            None => fresh.last_modified.unwrap_or_else(SystemTime::now),
        };
        // Compressed outside the lock; only the chunks that changed since the last build.
        let gz = Bytes::from(self.stitcher.gzip_parts(&slices));
        drop(slices);
        let identity_len = fresh.body.len();
        if identity_len >= crate::memory::LARGE {
            crate::memory::note_large_work();
        }
        // The identity form: as one buffer when small, as the parts it came in when large
        // (no second copy), else not at all (an identity request decompresses the gzip form).
        let body = fresh.body;
        let identity = if identity_len > SMALL && body.parts.len() > 1 {
            Some(Identity::Rope(body))
        } else if identity_len <= self.identity_max || gz.is_empty() {
            Some(Identity::Flat(body.to_bytes()))
        } else {
            None
        };
        // Small bodies get brotli at once (well under a millisecond); large ones in the background.
        let br = OnceLock::new();
        if identity_len <= SMALL {
            if let Some(Identity::Flat(b)) = &identity {
                let _ = br.set(Bytes::from(compress::brotli(b, BROTLI_QUALITY)));
            }
        }
        let entry = Arc::new(Entry {
            generation,
            built: Instant::now(),
            ttl: fresh.ttl,
            status: fresh.status,
            headers: fresh.headers,
            etags: [
                header(&format!("\"{tag}\"")),
                header(&format!("\"{tag}-gz\"")),
                header(&format!("\"{tag}-br\"")),
            ],
            tag,
            last_modified,
            last_modified_header: header(&HttpDate::from(last_modified).to_string()),
            cache_control: fresh.cache_control,
            identity,
            identity_len,
            gzip: gz,
            brotli: br,
            last_used: AtomicU64::new(self.clock.fetch_add(1, Ordering::Relaxed)),
        });
        let size = entry.size();
        if size > self.budget / 2 {
            // Too large to keep: served once, rebuilt next time (with the same validators).
            self.lock()
                .remember(key, entry.tag.clone(), entry.last_modified, self.budget);
            return entry;
        }
        {
            let mut store = self.lock();
            if generation != self.generation() {
                // A write came during the build: served once, remembered only for its ETag.
                store.remember(key, entry.tag.clone(), entry.last_modified, self.budget);
                return entry;
            }
            if let Some(old) = store.entries.insert(key.clone(), entry.clone()) {
                store.bytes = store.bytes.saturating_sub(old.size());
            }
            store.forget(&key);
            store.bytes += size;
            evict(&mut store, self.budget);
        }
        if entry.brotli.get().is_none() {
            if let Ok(jobs) = self.brotli_jobs.lock() {
                if let Some(tx) = jobs.as_ref() {
                    let _ = tx.send(Arc::downgrade(&entry));
                }
            }
        }
        entry
    }

    /// Counts an entry's brotli bytes once they exist (if it is still stored).
    fn account(&self, entry: &Arc<Entry>) {
        let mut store = self.lock();
        let held = store.entries.values().any(|e| Arc::ptr_eq(e, entry));
        if held {
            store.bytes += entry.brotli.get().map_or(0, Bytes::len);
            evict(&mut store, self.budget);
        }
    }
}

/// Drops the least recently used entries until the store fits its budget (stale ones are gone
/// already: see [`ResponseCache::invalidate`]).
fn evict(store: &mut Store, budget: usize) {
    if store.bytes <= budget {
        return;
    }
    let mut by_use: Vec<(u64, String)> = store
        .entries
        .iter()
        .map(|(k, e)| (e.last_used.load(Ordering::Relaxed), k.clone()))
        .collect();
    by_use.sort_unstable();
    for (_, key) in by_use {
        if store.bytes <= budget {
            break;
        }
        if let Some(old) = store.entries.remove(&key) {
            store.retire(key, &old, budget);
        }
    }
}

/// A hash of the bytes, as hex: the ETag's content. XXH3-128 (not a cryptographic hash: an
/// ETag only has to change when the bytes do, and this one costs 0.1 ms for a 2.4 MB feed
/// where SHA-256 cost 1.4 ms).
/// The 128-bit XXH3 of the body's bytes (the same as of the parts joined).
fn content_tag(body: &Rope) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for p in body.parts.iter() {
        h.update(p);
    }
    format!("{:032x}", h.digest128())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(body: &str) -> Fresh {
        Fresh {
            status: StatusCode::OK,
            headers: Vec::new(),
            body: Rope::from(Bytes::from(body.to_string())),
            cache_control: HeaderValue::from_static("public"),
            ttl: Duration::from_secs(60),
            last_modified: Some(SystemTime::UNIX_EPOCH),
        }
    }

    #[test]
    fn same_bytes_same_etag_and_date() {
        let c = ResponseCache::new(1 << 20, 1 << 20);
        let a = c.put("k".into(), 0, fresh("BODY"));
        c.invalidate();
        assert!(c.get("k").is_none());
        let b = c.put("k".into(), 1, fresh("BODY"));
        assert_eq!(a.tag, b.tag);
        assert_eq!(b.last_modified, SystemTime::UNIX_EPOCH);
        assert!(c.get("k").is_some());
        let d = c.put("k".into(), 1, fresh("OTHER"));
        assert_ne!(d.tag, a.tag);
        assert!(d.last_modified > SystemTime::UNIX_EPOCH);
    }

    #[test]
    fn if_none_match_forms() {
        let c = ResponseCache::new(1 << 20, 1 << 20);
        let e = c.put("k".into(), 0, fresh("BODY"));
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
    fn large_bodies_are_kept_compressed_and_still_served_whole() {
        let c = ResponseCache::new(1 << 20, 1000);
        let text = "BEGIN:VEVENT\r\nEND:VEVENT\r\n".repeat(2000);
        let e = c.put("k".into(), 0, fresh(&text));
        assert!(e.identity.is_none());
        assert_eq!(e.bytes(Encoding::Identity), text.as_bytes());
        let mut back = String::new();
        flate2::read::GzDecoder::new(&e.bytes(Encoding::Gzip)[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, text);
        assert!(c.bytes() < text.len() / 10);
    }

    #[test]
    fn a_large_body_with_a_rope_keeps_the_rope_not_a_copy() {
        let c = ResponseCache::new(16 << 20, 1000);
        let event = Bytes::from("BEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n".repeat(50));
        let mut parts = vec![Bytes::from_static(b"BEGIN:VCALENDAR\r\n")];
        parts.extend(std::iter::repeat_n(event.clone(), 100));
        parts.push(Bytes::from_static(b"END:VCALENDAR\r\n"));
        let rope = Rope::new(parts);
        let mut f = fresh("");
        f.body = rope.clone();
        let e = c.put("k".into(), 0, f);
        assert!(matches!(e.identity, Some(Identity::Rope(_))));
        // Sent as its parts, one after another: the same bytes, the same length.
        let body = e.body(Encoding::Identity);
        assert_eq!(body.size(), BodySize::Sized(rope.len() as u64));
        let sent = collect(body);
        assert_eq!(sent, rope.to_bytes());
        assert_eq!(e.bytes(Encoding::Identity), rope.to_bytes());
    }

    #[test]
    fn the_etag_of_parts_is_the_etag_of_the_bytes() {
        let text = "BEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n".repeat(3000);
        let whole = Rope::from(Bytes::from(text.clone()));
        let parts = Rope::new(
            text.as_bytes()
                .chunks(999)
                .map(Bytes::copy_from_slice)
                .collect(),
        );
        let tag = content_tag(&whole);
        assert_eq!(
            tag,
            format!("{:032x}", xxhash_rust::xxh3::xxh3_128(text.as_bytes()))
        );
        assert_eq!(content_tag(&parts), tag);
        // Stored either way, the same validators and the same compressed bytes.
        let c = ResponseCache::new(16 << 20, 16 << 20);
        let mut f = fresh("");
        f.body = parts;
        let a = c.put("a".into(), 0, f);
        let b = c.put("b".into(), 0, fresh(&text));
        assert_eq!(a.etag(Encoding::Gzip), b.etag(Encoding::Gzip));
        assert_eq!(a.bytes(Encoding::Gzip), b.bytes(Encoding::Gzip));
        assert_eq!(a.bytes(Encoding::Identity), text.as_bytes());
    }

    /// Collects a body's chunks (it never waits).
    fn collect(mut body: Body) -> Vec<u8> {
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut out = Vec::new();
        while let Poll::Ready(Some(Ok(chunk))) = Pin::new(&mut body).poll_next(&mut cx) {
            out.extend_from_slice(&chunk);
        }
        out
    }

    #[test]
    fn brotli_arrives_in_the_background() {
        let c = ResponseCache::new(1 << 20, 1 << 20);
        let text = "<li>an event</li>\n".repeat(5000);
        let e = c.put("k".into(), 0, fresh(&text));
        let deadline = Instant::now() + Duration::from_secs(10);
        while e.available(Encoding::Brotli) != Encoding::Brotli && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(e.available(Encoding::Brotli), Encoding::Brotli);
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut &e.bytes(Encoding::Brotli)[..], &mut back).unwrap();
        assert_eq!(back, text.as_bytes());
    }

    #[test]
    fn the_budget_is_in_bytes() {
        let c = ResponseCache::new(64 * 1024, 1 << 20);
        for i in 0..200 {
            // Incompressible-ish bodies of ~2 KB each.
            let body: String = (0..2000)
                .map(|j| char::from(b'a' + ((i * 7 + j * 13) % 26) as u8))
                .collect();
            c.put(format!("k{i}"), 0, fresh(&body));
        }
        assert!(c.bytes() <= 64 * 1024, "{}", c.bytes());
        assert!(c.get("k199").is_some());
        assert!(c.get("k0").is_none());
    }

    #[test]
    fn a_write_gives_stale_bodies_back_and_keeps_their_validators() {
        let c = ResponseCache::new(1 << 20, 1 << 20);
        let text = "<li>an event</li>\n".repeat(1000);
        let a = c.put("k".into(), 0, fresh(&text));
        c.put("other".into(), 0, fresh("OTHER"));
        assert!(c.bytes() > text.len());
        c.invalidate();
        assert_eq!(c.bytes(), 0, "nothing stale is held");
        assert!(c.get("k").is_none());
        // Rebuilt with the same bytes: the same ETag and date, so clients keep their 304s.
        let b = c.put("k".into(), 1, fresh(&text));
        assert_eq!(b.tag, a.tag);
        assert_eq!(b.last_modified, a.last_modified);
        assert!(c.get("k").is_some());
    }

    #[test]
    fn an_answer_built_across_a_write_is_not_kept() {
        let c = ResponseCache::new(1 << 20, 1 << 20);
        let generation = c.generation();
        c.invalidate();
        let e = c.put("k".into(), generation, fresh("BODY"));
        assert_eq!(e.bytes(Encoding::Identity), "BODY".as_bytes());
        assert!(c.get("k").is_none());
        assert_eq!(c.bytes(), 0);
        // …but its validators are: the next build of the same bytes keeps its date.
        let again = c.put("k".into(), c.generation(), fresh("BODY"));
        assert_eq!(again.last_modified, e.last_modified);
    }

    #[test]
    fn observe_bumps_on_change_only() {
        let c = ResponseCache::new(1 << 20, 1 << 20);
        c.observe("a".into());
        let g = c.generation();
        c.observe("a".into());
        assert_eq!(c.generation(), g);
        c.observe("b".into());
        assert_eq!(c.generation(), g + 1);
    }
}
