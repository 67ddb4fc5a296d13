//! Compression of cached bodies, cheap after a small change: gzip stitched from independently
//! compressed, content-defined chunks that are kept between renders.
//!
//! After a write every cached body is rebuilt, and gzip level 6 of a 2.4 MB feed costs tens of
//! milliseconds although one VEVENT changed. [`GzipStitcher::gzip`] instead cuts the body into
//! chunks at content-defined positions, looks each chunk up in a byte-bounded LRU cache of
//! compressed chunks, compresses only the chunks it has not seen, and stitches the pieces into
//! one valid single-member gzip file. The figures are in docs/PERFORMANCE.md ("Compression after
//! a write"; `cargo bench --bench compress`).
//!
//! # Chunking
//!
//! Content-defined, so that an edit changes the chunk holding it (and, when it moves a cut,
//! the next one or two) while the cuts after that fall where they fell before. No chunk is
//! shorter than [`MIN_CHUNK`] (16 KiB) except the last one, none longer than [`MAX_CHUNK`]
//! (64 KiB). Past [`MIN_CHUNK`], text is cut after a delimiter ([`DELIMITERS`]: a line end, the
//! end of a JSON object), found with `memchr` at memory speed: a delimiter qualifies when the
//! 64-bit XXH3 of the [`DELIMITER_WINDOW`] bytes ending at it is below the distance from the
//! delimiter before it times 2^(64 − [`BITS_BEFORE_AVG`]) up to [`AVG_CHUNK`], and times
//! 2^(64 − [`BITS_AFTER_AVG`]) after ("normalised chunking", Xia et al., FastCDC, 2016). So
//! each byte carries the same chance of a cut however dense the delimiters are (ICS lines of
//! 40 bytes, HTML, single-line JSON), and only the delimiters past the minimum are hashed: a
//! 2.4 MB feed is cut in about 0.2 ms, where a hash of every byte took 1.8 ms.
//!
//! When no delimiter qualifies before [`MAX_CHUNK`] (binary content, a long run without line
//! ends), a byte-level gear hash, `h = (h << 1) + GEAR[byte]`, whose top bits depend on the last
//! 48–64 bytes only, cuts after the first byte at which its top [`BITS_BEFORE_AVG`] (then
//! [`BITS_AFTER_AVG`]) bits are zero, at [`MAX_CHUNK`] at the latest. The hash is warmed up over
//! the 64 bytes before the first tested position. Both tests depend on the bytes around a
//! position alone, not on where the chunk started, and use no per-process seed, so the cuts —
//! and so the output bytes — are the same in every process.
//!
//! # Framing (RFC 1951, RFC 1952)
//!
//! ```text
//! 1f 8b 08 00  00 00 00 00  XFL ff     gzip header: ID1 ID2, CM=8 deflate, FLG=0 (no name,
//!                                      no extra, no header CRC), MTIME=0 (none), XFL (2 for
//!                                      level 9, 4 for level 1, 0 otherwise), OS=255 (unknown)
//! chunk 1 deflate … chunk n deflate    each from a fresh raw-deflate compressor (no zlib
//!                                      header), ended by a full flush and never by a final
//!                                      block: non-final blocks, then the empty stored block
//!                                      00 00 ff ff that byte-aligns; no back-reference reaches
//!                                      before the chunk's own start, so the bytes are valid
//!                                      at any byte-aligned place of a deflate stream
//! 03 00                                final empty block: BFINAL=1, BTYPE=01 (fixed Huffman),
//!                                      then end-of-block (code 256 = seven 0 bits); read LSB
//!                                      first that is bits 1,1,0,0000000 then padding: 03 00
//! CRC32 (4 bytes LE)                   of the whole uncompressed body, combined from the
//!                                      per-chunk CRCs (`crc32fast::Hasher::combine`)
//! ISIZE (4 bytes LE)                   body length mod 2^32
//! ```
//!
//! One member, so a plain `GzDecoder` (and `gzip -d`, browsers, Python's `gzip`) reads it all.
//!
//! # Priming
//!
//! Independent chunks pay for the dictionary reset: the start of each chunk cannot refer to the
//! end of the one before, and on a feed (many short, similar VEVENTs) that costs more than one
//! would guess (see the figures). [`GzipStitcher::with_prime`] gives each chunk's compressor
//! the last `prime` bytes of the chunk before it as its preset dictionary (`set_dictionary` of
//! the zlib-rs backend, the technique of pigz): the chunk's blocks may refer back into them,
//! which is valid because the decoder has just produced exactly those bytes. The cache key then
//! includes the previous chunk's hash and CRC32, and an edit recompresses two chunks (the
//! changed one and the next).
//!
//! # Chunk cache and collisions
//!
//! Compressed chunks are keyed by a 128-bit XXH3 of the chunk's bytes, with a seed drawn at
//! random per stitcher, plus the chunk's length (and, primed, the previous chunk's XXH3); each
//! entry also keeps the chunk's CRC32 (primed: and the previous chunk's), and a lookup is a hit
//! only when key, length and CRC32 all match (the CRC32 is computed for every
//! chunk anyway, for the gzip trailer). XXH3 and CRC32 are unrelated functions (multiply-mix
//! versus a linear code), so an accidental false hit needs a 128-bit and a 32-bit collision at
//! the same length at once; a crafted one needs the secret seed, which never leaves the process
//! (the ETag is a SHA-256 of the body, not this hash). Neither is a cryptographic guarantee, and
//! a false hit would put another chunk's bytes of the same length in the answer (never a
//! malformed stream). The cache is bounded in bytes (compressed bytes plus a fixed per-entry
//! overhead) and evicts least recently used entries; a `Mutex` guards it, held only for the
//! lookups and the inserts, never while compressing. Unchanged chunks are shared by every body
//! that contains them (a feed and its filtered variants, a page and its JSON twin).
//!
//! A body may come as parts ([`GzipStitcher::gzip_parts`]: a feed's VEVENTs, as
//! `cache::Rope` keeps them): the cuts, hashes and CRCs run over the parts in place, a chunk is
//! copied out only when it must be compressed again and spans parts, and the output is the one
//! the joined body gives.
//!
//! Output is a pure function of (body, level): cached and fresh chunks are the same bytes, so
//! the gzip form of a body is identical whatever the cache held, and the `-gz` ETag stays a
//! strong validator across processes.
//!
//! # Brotli
//!
//! Brotli does not stitch this simply (its window and meta-block framing carry state across the
//! stream). Strategy for the cache: after a write answer `Accept-Encoding: br` clients with the
//! stitched gzip (a few ms), compress brotli ([`brotli`], quality 5, lgwin 22 as the feed cache
//! does) on a background thread (`actix_web::rt::task::spawn_blocking`), and serve brotli once
//! it is stored. The ETag differs per encoding (`-gz`, `-br`) and `Vary: Accept-Encoding` is
//! sent, so caches keep the two apart. [`gzip_whole`] and [`brotli`] are here so the caches
//! have one place for their compression functions.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::io::Write;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use flate2::{Compress, Compression, FlushCompress};

/// No chunk is shorter (but the last); a body shorter than this is compressed whole.
pub const MIN_CHUNK: usize = 16 * 1024;
/// Where the cut test loosens from [`BITS_BEFORE_AVG`] to [`BITS_AFTER_AVG`].
pub const AVG_CHUNK: usize = 32 * 1024;
/// No chunk is longer: the hard cut.
pub const MAX_CHUNK: usize = 64 * 1024;
/// Top hash bits that must be zero for a cut between [`MIN_CHUNK`] and [`AVG_CHUNK`]
/// (one position in 2^17 qualifies: a cut there in about one chunk in nine).
pub const BITS_BEFORE_AVG: u32 = 17;
/// Top hash bits that must be zero for a cut past [`AVG_CHUNK`] (one in 2^13: a cut within
/// the next 8 KiB on average, before [`MAX_CHUNK`] in 98 % of chunks).
pub const BITS_AFTER_AVG: u32 = 13;
/// Budget of [`GzipStitcher::default`]: 8 MiB holds about a dozen 2.4 MB feeds' chunks.
pub const DEFAULT_BUDGET: usize = 8 * 1024 * 1024;
/// History each chunk is compressed with by [`GzipStitcher::new`] (see
/// [`GzipStitcher::with_prime`]). 0: independent chunks (1.2 ms CPU for the 2.4 MB feed, one
/// event changed) at 1.41 × the bytes of whole-body gzip; 32 KiB gives 1.01 × for 1.5 ms
/// (docs/PERFORMANCE.md).
pub const DEFAULT_PRIME: usize = 0;
/// Bytes counted per cached chunk on top of its compressed bytes (map, LRU index, `Arc`).
const ENTRY_OVERHEAD: usize = 128;
/// Bytes the gear hash is warmed up over before the first position tested.
const WARMUP: usize = 64;

/// Bytes after which text chunks are cut: line ends, and the ends of JSON objects.
const DELIMITERS: [u8; 2] = [b'\n', b'}'];
/// Bytes ending at a delimiter whose hash decides whether a chunk ends there.
const DELIMITER_WINDOW: usize = 64;
/// A delimiter qualifies when the window's 64-bit hash is below the bytes since the delimiter
/// before it times this: the same chance per byte as the gear hash's test, however far apart
/// the delimiters are.
const PER_BYTE_BEFORE_AVG: u128 = 1 << (64 - BITS_BEFORE_AVG);
const PER_BYTE_AFTER_AVG: u128 = 1 << (64 - BITS_AFTER_AVG);

const MASK_BEFORE_AVG: u64 = !0u64 << (64 - BITS_BEFORE_AVG);
const MASK_AFTER_AVG: u64 = !0u64 << (64 - BITS_AFTER_AVG);

/// 256 pseudo-random words (SplitMix64 from a fixed seed): the same in every build.
const GEAR: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut state: u64 = 0x7475_726e_6f75_7421; // "turnout!"
    let mut i = 0;
    while i < 256 {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        table[i] = z ^ (z >> 31);
        i += 1;
    }
    table
};

/// A body given as consecutive buffers (a feed's VEVENTs as `cache::Rope` holds them), read
/// in place: cutting, hashing and CRC run over the buffers, and only a chunk that must be
/// compressed again (and the history it is primed with) is copied out when it spans several.
/// Every result is the one the joined body would give.
struct Parts<'a> {
    parts: Vec<&'a [u8]>,
    /// Offset of each part in the body.
    starts: Vec<usize>,
    len: usize,
}

impl<'a> Parts<'a> {
    fn new(parts: &[&'a [u8]]) -> Parts<'a> {
        let parts: Vec<&'a [u8]> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
        let mut starts = Vec::with_capacity(parts.len());
        let mut len = 0;
        for p in &parts {
            starts.push(len);
            len += p.len();
        }
        Parts { parts, starts, len }
    }

    /// The pieces of `range` in order, each with its offset in the body.
    fn pieces(&self, range: Range<usize>) -> impl Iterator<Item = (usize, &'a [u8])> + '_ {
        let first = self
            .starts
            .partition_point(|&s| s <= range.start)
            .saturating_sub(1);
        self.parts[first..]
            .iter()
            .zip(&self.starts[first..])
            .take_while(move |(_, &s)| s < range.end)
            .map(move |(p, &s)| {
                let from = range.start.saturating_sub(s);
                let to = (range.end - s).min(p.len());
                (s + from, &p[from..to])
            })
    }

    /// `range` in place when one part holds it.
    fn contiguous(&self, range: Range<usize>) -> Option<&'a [u8]> {
        if range.is_empty() {
            return Some(&[]);
        }
        let mut pieces = self.pieces(range.clone());
        match (pieces.next(), pieces.next()) {
            (Some((_, p)), None) if p.len() == range.len() => Some(p),
            _ => None,
        }
    }

    /// `range` in place, or copied into `scratch` when it spans parts.
    fn slice<'s>(&'s self, range: Range<usize>, scratch: &'s mut Vec<u8>) -> &'s [u8] {
        if let Some(one) = self.contiguous(range.clone()) {
            return one;
        }
        scratch.clear();
        for (_, p) in self.pieces(range) {
            scratch.extend_from_slice(p);
        }
        scratch
    }

    /// The 128-bit XXH3 of `range` with `seed`, as of the bytes joined.
    fn hash128(&self, range: Range<usize>, seed: u64) -> u128 {
        if let Some(one) = self.contiguous(range.clone()) {
            return xxhash_rust::xxh3::xxh3_128_with_seed(one, seed);
        }
        let mut h = xxhash_rust::xxh3::Xxh3::with_seed(seed);
        for (_, p) in self.pieces(range) {
            h.update(p);
        }
        h.digest128()
    }

    fn crc(&self, range: Range<usize>) -> crc32fast::Hasher {
        let mut crc = crc32fast::Hasher::new();
        for (_, p) in self.pieces(range) {
            crc.update(p);
        }
        crc
    }

    /// The chunks' ranges, in order; they cover the body.
    fn chunks(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        let mut at = 0;
        std::iter::from_fn(move || {
            if at >= self.len {
                return None;
            }
            let start = at;
            at += cut(self, start);
            Some(start..at)
        })
    }
}

/// Length of the chunk starting at `start` (all the rest when that is at most [`MIN_CHUNK`]).
fn cut(body: &Parts<'_>, start: usize) -> usize {
    let n = body.len - start;
    if n <= MIN_CHUNK {
        return n;
    }
    delimited_cut(body, start).unwrap_or_else(|| gear_cut(body, start))
}

/// A cut after a delimiter ([`DELIMITERS`]) between [`MIN_CHUNK`] and [`MAX_CHUNK`] past
/// `start`, or `None` when none qualifies (see the module documentation, "Chunking").
fn delimited_cut(body: &Parts<'_>, start: usize) -> Option<usize> {
    let n = body.len - start;
    let max = n.min(MAX_CHUNK);
    let avg = n.min(AVG_CHUNK);
    let [a, b] = DELIMITERS;
    // The gap before the first candidate runs from the delimiter before it.
    let first = MIN_CHUNK - 1;
    let mut previous = body
        .pieces(start..start + first)
        .filter_map(|(at, p)| memchr::memrchr2(a, b, p).map(|i| at + i - start))
        .last()
        .unwrap_or(0);
    let mut window = Vec::with_capacity(DELIMITER_WINDOW);
    for (offset, piece) in body.pieces(start + first..start + max) {
        // The piece's own bytes before it, when it is a later part of the body.
        let whole = piece_with_history(body, offset, piece);
        let before = whole.len() - piece.len();
        for i in memchr::memchr2_iter(a, b, piece) {
            let at = offset + i - start;
            let end = at + 1;
            let gap = (at - previous) as u128;
            previous = at;
            let per_byte = if end <= avg {
                PER_BYTE_BEFORE_AVG
            } else {
                PER_BYTE_AFTER_AVG
            };
            // The window in place when this part holds it (nearly always), else copied.
            let bytes = match (before + i + 1).checked_sub(DELIMITER_WINDOW) {
                Some(from) => &whole[from..before + i + 1],
                None => body.slice(start + end - DELIMITER_WINDOW..start + end, &mut window),
            };
            let h = xxhash_rust::xxh3::xxh3_64(bytes);
            if u128::from(h) < gap * per_byte {
                return Some(end);
            }
        }
    }
    None
}

/// `piece` (the bytes of `body` from `offset`) extended back to the start of the part holding it.
fn piece_with_history<'a>(body: &Parts<'a>, offset: usize, piece: &'a [u8]) -> &'a [u8] {
    let i = body
        .starts
        .partition_point(|&s| s <= offset)
        .saturating_sub(1);
    match (body.parts.get(i), body.starts.get(i)) {
        (Some(part), Some(&s)) => &part[..offset - s + piece.len()],
        _ => piece,
    }
}

/// The gear-hash cut of content without (qualifying) delimiters.
fn gear_cut(body: &Parts<'_>, start: usize) -> usize {
    let n = body.len - start;
    let max = n.min(MAX_CHUNK);
    let avg = n.min(AVG_CHUNK);
    let mut bytes = body
        .pieces(start + MIN_CHUNK - WARMUP..start + max)
        .flat_map(|(_, p)| p.iter().copied());
    let mut h = 0u64;
    let mut step = |h: u64| (h << 1).wrapping_add(GEAR[usize::from(bytes.next().unwrap_or(0))]);
    // Warm up: the hash at the first tested position already covers a full window.
    for _ in MIN_CHUNK - WARMUP..MIN_CHUNK - 1 {
        h = step(h);
    }
    // Position i is tested after hashing byte i; a match cuts after it (length i + 1).
    let mut i = MIN_CHUNK - 1;
    while i < avg - 1 {
        h = step(h);
        if h & MASK_BEFORE_AVG == 0 {
            return i + 1;
        }
        i += 1;
    }
    while i < max - 1 {
        h = step(h);
        if h & MASK_AFTER_AVG == 0 {
            return i + 1;
        }
        i += 1;
    }
    max
}

/// The content-defined chunks of a body, in order; they concatenate to the body.
pub fn chunks(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let parts = Parts::new(&[body]);
    let ranges: Vec<Range<usize>> = parts.chunks().collect();
    ranges.into_iter().map(move |r| &body[r])
}

fn level_of(level: u32) -> Compression {
    Compression::new(level.min(9))
}

/// XFL of RFC 1952: 2 for the slowest algorithm, 4 for the fastest.
fn xfl(level: u32) -> u8 {
    match level.min(9) {
        9 => 2,
        1 => 4,
        _ => 0,
    }
}

/// Whole-body gzip (a plain `GzEncoder`); empty on an encoder error, which writing to memory
/// does not produce.
pub fn gzip_whole(body: &[u8], level: u32) -> Vec<u8> {
    let mut enc =
        flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4 + 64), level_of(level));
    enc.write_all(body)
        .and_then(|_| enc.finish())
        .unwrap_or_default()
}

/// Brotli with the feed cache's window (lgwin 22); `quality` 0–11 (the feeds use 5). Empty on
/// an encoder error.
pub fn brotli(body: &[u8], quality: u32) -> Vec<u8> {
    brotli_parts(&[body], quality)
}

/// [`brotli`] of the parts joined (the same bytes), without joining them.
pub fn brotli_parts(parts: &[&[u8]], quality: u32) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(len / 4 + 64);
    let params = brotli::enc::BrotliEncoderParams {
        quality: i32::try_from(quality.min(11)).unwrap_or(11),
        lgwin: 22,
        ..Default::default()
    };
    let mut input = PartsReader { parts, at: 0 };
    match brotli::BrotliCompress(&mut input, &mut out, &params) {
        Ok(_) => out,
        Err(_) => Vec::new(),
    }
}

/// Reads parts as one body. Every read fills the buffer as far as the body goes, as a slice's
/// does, so an encoder reading it sees the input in the same steps and writes the same bytes.
struct PartsReader<'a> {
    parts: &'a [&'a [u8]],
    /// Bytes of the first part already read.
    at: usize,
}

impl std::io::Read for PartsReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            let Some((first, rest)) = self.parts.split_first() else {
                break;
            };
            let left = &first[self.at..];
            let take = left.len().min(buf.len() - n);
            buf[n..n + take].copy_from_slice(&left[..take]);
            n += take;
            self.at += take;
            if self.at == first.len() {
                self.parts = rest;
                self.at = 0;
            }
        }
        Ok(n)
    }
}

/// Feeds all of `data` to `c` and completes `flush`, appending the output to `out`.
fn feed(
    c: &mut Compress,
    data: &[u8],
    out: &mut Vec<u8>,
    flush: FlushCompress,
) -> Result<(), flate2::CompressError> {
    let base = c.total_in();
    let done = |c: &Compress| usize::try_from(c.total_in() - base).unwrap_or(data.len());
    loop {
        let consumed = done(c).min(data.len());
        c.compress_vec(&data[consumed..], out, flush)?;
        // The flush is complete once a call returns with output space to spare.
        if done(c) >= data.len() && out.len() < out.capacity() {
            return Ok(());
        }
        let more = out.capacity().max(4096);
        out.reserve(more);
    }
}

/// Raw deflate of one chunk, ended by a full flush (byte-aligned, non-final). `c` is reset.
/// With a `prime` (the bytes just before the chunk in the body) as the compressor's preset
/// dictionary, the chunk's blocks may refer back into those bytes, which a decoder has in its
/// window because they precede the chunk.
fn deflate_chunk(
    c: &mut Compress,
    prime: &[u8],
    data: &[u8],
) -> Result<Vec<u8>, flate2::CompressError> {
    c.reset();
    if !prime.is_empty() {
        c.set_dictionary(prime)?;
    }
    // Room for compressible text; grown by `feed` for anything else.
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    feed(c, data, &mut out, FlushCompress::Full)?;
    Ok(out)
}

/// The gzip file around the chunks' deflate bytes; `crc` and `len` are of the whole body.
fn stitch(pieces: &[Arc<[u8]>], crc: u32, len: usize, level: u32) -> Vec<u8> {
    let total = 10 + pieces.iter().map(|p| p.len()).sum::<usize>() + 2 + 8;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl(level), 0xff]);
    for p in pieces {
        out.extend_from_slice(p);
    }
    out.extend_from_slice(&[0x03, 0x00]);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&((len as u64 & 0xffff_ffff) as u32).to_le_bytes());
    out
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    hash: u128,
    len: usize,
    /// Hash of the chunk before it when chunks are primed (their bytes depend on it), else 0.
    prev: u128,
}

struct Entry {
    /// CRC32 of the chunk and, when primed, of the one before it (high half).
    crc: u64,
    deflate: Arc<[u8]>,
    tick: u64,
}

impl Entry {
    fn cost(&self) -> usize {
        self.deflate.len() + ENTRY_OVERHEAD
    }
}

#[derive(Default)]
struct Inner {
    map: HashMap<Key, Entry>,
    /// Last-use tick → key: the first entry is the least recently used.
    lru: BTreeMap<u64, Key>,
    bytes: usize,
    tick: u64,
}

impl Inner {
    fn next_tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    /// The chunk's deflate bytes when cached under the same key, length and CRC32.
    fn get(&mut self, key: Key, crc: u64) -> Option<Arc<[u8]>> {
        let tick = self.next_tick();
        let entry = self.map.get_mut(&key)?;
        if entry.crc != crc {
            return None; // same XXH3 and length, other bytes: never serve it
        }
        self.lru.remove(&entry.tick);
        entry.tick = tick;
        self.lru.insert(tick, key);
        Some(entry.deflate.clone())
    }

    fn remove(&mut self, key: &Key) {
        if let Some(old) = self.map.remove(key) {
            self.lru.remove(&old.tick);
            self.bytes -= old.cost();
        }
    }

    fn insert(&mut self, key: Key, crc: u64, deflate: Arc<[u8]>, budget: usize) {
        self.remove(&key);
        let tick = self.next_tick();
        let entry = Entry { crc, deflate, tick };
        if entry.cost() > budget {
            return;
        }
        self.bytes += entry.cost();
        self.map.insert(key, entry);
        self.lru.insert(tick, key);
        while self.bytes > budget {
            let Some((_, oldest)) = self.lru.pop_first() else {
                break;
            };
            if let Some(old) = self.map.remove(&oldest) {
                self.bytes -= old.cost();
            }
        }
    }
}

/// Gzip of large bodies from cached, content-defined chunks (see the module documentation).
pub struct GzipStitcher {
    level: u32,
    prime: usize,
    budget: usize,
    seed: u64,
    inner: Mutex<Inner>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Default for GzipStitcher {
    /// [`DEFAULT_BUDGET`], level 6.
    fn default() -> Self {
        GzipStitcher::new(DEFAULT_BUDGET, 6)
    }
}

impl GzipStitcher {
    /// A stitcher keeping at most `budget_bytes` of compressed chunks, compressing at `level`
    /// (0–9; higher is taken as 9).
    pub fn new(budget_bytes: usize, level: u32) -> Self {
        GzipStitcher::with_prime(budget_bytes, level, DEFAULT_PRIME)
    }

    /// As [`GzipStitcher::new`], each chunk compressed with up to `prime_bytes` (at most
    /// 32 KiB, the deflate window) of the chunk before it as history. 0: chunks are independent
    /// (an edit recompresses the chunk holding it); more: smaller output (the start of a chunk
    /// can refer back), but an edit also recompresses the next chunk, and every chunk costs
    /// `prime_bytes` more to compress.
    pub fn with_prime(budget_bytes: usize, level: u32, prime_bytes: usize) -> Self {
        GzipStitcher {
            level: level.min(9),
            prime: prime_bytes.min(32 * 1024),
            budget: budget_bytes,
            seed: RandomState::new().hash_one(0x6775_6e7a_6970_u64),
            inner: Mutex::new(Inner::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The cache stays usable after a panic elsewhere: every update leaves it consistent.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `body` as one gzip member. Bodies under [`MIN_CHUNK`] are compressed whole; larger ones
    /// are stitched, compressing only the chunks not in the cache.
    pub fn gzip(&self, body: &[u8]) -> Vec<u8> {
        self.gzip_parts(&[body])
    }

    /// [`GzipStitcher::gzip`] of the parts joined (the same bytes), without joining them.
    pub fn gzip_parts(&self, parts: &[&[u8]]) -> Vec<u8> {
        let body = Parts::new(parts);
        if body.len < MIN_CHUNK {
            // Joined (at most 16 KiB) when in parts, for the same bytes as a flat body.
            return match body.parts[..] {
                [one] => gzip_whole(one, self.level),
                _ => gzip_whole(&parts.concat(), self.level),
            };
        }
        // Outside the lock: cut, hash and CRC every chunk.
        let mut chunks: Vec<(Range<usize>, Key, crc32fast::Hasher)> = body
            .chunks()
            .map(|range| {
                let key = Key {
                    hash: body.hash128(range.clone(), self.seed),
                    len: range.len(),
                    prev: 0,
                };
                let crc = body.crc(range.clone());
                (range, key, crc)
            })
            .collect();
        let mut total_crc = crc32fast::Hasher::new();
        for (_, _, crc) in &chunks {
            total_crc.combine(crc);
        }
        let own: Vec<u32> = chunks
            .iter()
            .map(|(_, _, c)| c.clone().finalize())
            .collect();
        // Primed, a chunk's deflate bytes depend on the chunk before it too.
        let primed = self.prime > 0;
        let crcs: Vec<u64> = (0..chunks.len())
            .map(|i| match i.checked_sub(1) {
                Some(p) if primed => u64::from(own[p]) << 32 | u64::from(own[i]),
                _ => u64::from(own[i]),
            })
            .collect();
        if primed {
            for i in 1..chunks.len() {
                chunks[i].1.prev = chunks[i - 1].1.hash;
            }
        }

        let mut pieces: Vec<Option<Arc<[u8]>>> = {
            let mut inner = self.lock();
            chunks
                .iter()
                .zip(&crcs)
                .map(|((_, key, _), &crc)| inner.get(*key, crc))
                .collect()
        };

        // Compress the misses, each distinct chunk once, without the lock.
        let mut fresh: Vec<(Key, u64, Arc<[u8]>)> = Vec::new();
        let mut compressor: Option<Compress> = None;
        let (mut data_scratch, mut prime_scratch) = (Vec::new(), Vec::new());
        let mut hits = 0u64;
        for i in 0..chunks.len() {
            if pieces[i].is_some() {
                hits += 1;
                continue;
            }
            let (range, key, _) = &chunks[i];
            let crc = crcs[i];
            if let Some((_, _, done)) = fresh.iter().find(|(k, c, _)| k == key && *c == crc) {
                pieces[i] = Some(done.clone());
                continue;
            }
            let c = compressor.get_or_insert_with(|| Compress::new(level_of(self.level), false));
            let prime = match i.checked_sub(1) {
                Some(p) if primed => {
                    let before = &chunks[p].0;
                    let from = before.end - before.len().min(self.prime);
                    body.slice(from..before.end, &mut prime_scratch)
                }
                _ => &[],
            };
            let data = body.slice(range.clone(), &mut data_scratch);
            match deflate_chunk(c, prime, data) {
                Ok(d) => {
                    let d: Arc<[u8]> = d.into();
                    pieces[i] = Some(d.clone());
                    fresh.push((*key, crc, d));
                }
                // Not produced by an in-memory encoder; a whole-body gzip is still an answer.
                Err(_) => return gzip_whole(&parts.concat(), self.level),
            }
        }
        self.hits.fetch_add(hits, Ordering::Relaxed);
        self.misses.fetch_add(fresh.len() as u64, Ordering::Relaxed);

        if !fresh.is_empty() {
            let mut inner = self.lock();
            for (key, crc, d) in &fresh {
                inner.insert(*key, *crc, d.clone(), self.budget);
            }
        }

        let pieces: Vec<Arc<[u8]>> = pieces.into_iter().flatten().collect();
        stitch(&pieces, total_crc.finalize(), body.len, self.level)
    }

    /// Bytes accounted to the cache (compressed bytes plus per-entry overhead) and chunks held.
    pub fn stats(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.bytes, inner.map.len())
    }

    /// Chunks served from the cache and chunks compressed, since the stitcher was made.
    pub fn counters(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// The byte budget given to [`GzipStitcher::new`].
    pub fn budget(&self) -> usize {
        self.budget
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::process::{Command, Stdio};

    /// Deterministic iCalendar-like text: CRLF lines, varied enough to compress like a feed.
    fn ics(bytes: usize, seed: u64) -> Vec<u8> {
        let mut s = seed;
        let mut rnd = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s >> 33
        };
        let words = [
            "rally",
            "march",
            "town",
            "hall",
            "vigil",
            "teach-in",
            "Main St",
            "Park",
            "city",
            "workers",
            "climate",
            "housing",
            "vote",
            "library",
            "community",
            "bring",
            "signs",
        ];
        let mut out = String::new();
        let mut n = 0;
        while out.len() < bytes {
            n += 1;
            out.push_str("BEGIN:VEVENT\r\n");
            out.push_str(&format!("UID:event-{n}-{}@turnout.example\r\n", rnd()));
            out.push_str(&format!(
                "DTSTART;TZID=America/Chicago:2026{:02}{:02}T{:02}0000\r\n",
                rnd() % 12 + 1,
                rnd() % 28 + 1,
                rnd() % 24
            ));
            let mut summary = String::from("SUMMARY:");
            for _ in 0..(rnd() % 6 + 2) {
                summary.push_str(words[(rnd() % words.len() as u64) as usize]);
                summary.push(' ');
            }
            out.push_str(summary.trim_end());
            out.push_str("\r\nDESCRIPTION:");
            for _ in 0..(rnd() % 40 + 5) {
                out.push_str(words[(rnd() % words.len() as u64) as usize]);
                out.push(' ');
            }
            out.push_str(&format!("\r\nSEQUENCE:{}\r\nEND:VEVENT\r\n", rnd() % 5));
        }
        out.truncate(bytes);
        out.into_bytes()
    }

    /// One-line JSON of about `bytes` bytes.
    fn json(bytes: usize) -> Vec<u8> {
        let mut out = String::from("[");
        let mut i = 0u64;
        while out.len() < bytes {
            out.push_str(&format!(
                "{{\"id\":{i},\"title\":\"Event number {}\",\"city\":\"City {}\",\"tags\":[\"t{}\",\"u{}\"]}},",
                i.wrapping_mul(2654435761) % 100_000,
                i % 97,
                i % 13,
                i % 7
            ));
            i += 1;
        }
        out.push(']');
        out.into_bytes()
    }

    fn random(bytes: usize) -> Vec<u8> {
        let mut s = 0x1234_5678_u64;
        (0..bytes)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                s as u8
            })
            .collect()
    }

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut out)
            .expect("GzDecoder reads it");
        out
    }

    fn assert_round_trip(body: &[u8], gz: &[u8]) {
        assert_eq!(gunzip(gz), body, "GzDecoder");
        let mut multi = Vec::new();
        flate2::read::MultiGzDecoder::new(gz)
            .read_to_end(&mut multi)
            .expect("MultiGzDecoder reads it");
        assert_eq!(multi, body, "MultiGzDecoder");
        // The trailer, byte by byte.
        let n = gz.len();
        assert_eq!(
            &gz[n - 8..n - 4],
            crc32fast::hash(body).to_le_bytes(),
            "CRC32"
        );
        assert_eq!(&gz[n - 4..], (body.len() as u32).to_le_bytes(), "ISIZE");
    }

    /// Decodes with an outside program; None when it is not installed.
    fn external(program: &str, args: &[&str], gz: &[u8]) -> Option<Vec<u8>> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .ok()?;
        let mut stdin = child.stdin.take().expect("stdin");
        let input = gz.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().expect("wait");
        writer.join().expect("writer").expect("write stdin");
        assert!(
            out.status.success(),
            "{program}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(out.stdout)
    }

    #[test]
    fn round_trips_at_every_size() {
        let s = GzipStitcher::new(DEFAULT_BUDGET, 6);
        let big = ics(1_200_000, 1);
        for len in [
            0,
            1,
            100,
            MIN_CHUNK - 1,
            MIN_CHUNK,
            MIN_CHUNK + 1,
            AVG_CHUNK,
            MAX_CHUNK,
            MAX_CHUNK + 1,
            3 * MAX_CHUNK + 7,
            big.len(),
        ] {
            let body = &big[..len];
            assert_round_trip(body, &s.gzip(body));
        }
    }

    #[test]
    fn framing_is_rfc_1952() {
        let body = ics(300_000, 2);
        let gz = GzipStitcher::new(DEFAULT_BUDGET, 6).gzip(&body);
        assert_eq!(&gz[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
        assert_eq!(&gz[gz.len() - 10..gz.len() - 8], &[0x03, 0x00]);
        let gz9 = GzipStitcher::new(DEFAULT_BUDGET, 9).gzip(&body);
        assert_eq!(gz9[8], 2, "XFL for level 9");
        assert_eq!(gunzip(&gz9), body);
        // Every chunk: byte-aligned, ends with the full flush's empty stored block, no final
        // block (BFINAL of the first block header is 0).
        let mut c = Compress::new(Compression::new(6), false);
        for chunk in chunks(&body) {
            let d = deflate_chunk(&mut c, &[], chunk).expect("deflate");
            assert_eq!(&d[d.len() - 4..], &[0, 0, 0xff, 0xff]);
            assert_eq!(d[0] & 1, 0, "BFINAL");
        }
    }

    #[test]
    fn no_chunks_is_an_empty_gzip() {
        let gz = stitch(&[], 0, 0, 6);
        assert_eq!(gz.len(), 20);
        assert_round_trip(b"", &gz);
        if let Some(out) = external("gzip", &["-dc"], &gz) {
            assert!(out.is_empty());
        }
    }

    #[test]
    fn third_party_decoders_agree() {
        let s = GzipStitcher::new(DEFAULT_BUDGET, 6);
        for body in [ics(700_000, 3), json(400_000), random(150_000), Vec::new()] {
            let gz = s.gzip(&body);
            // `gzip -t` checks CRC and length as well as `-dc` decoding.
            if let Some(out) = external("gzip", &["-dc"], &gz) {
                assert_eq!(out, body, "gzip -dc");
            }
            let py = "import gzip,sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))";
            if let Some(out) = external("python3", &["-c", py], &gz) {
                assert_eq!(out, body, "python3 gzip");
            }
        }
    }

    fn assert_chunk_sizes(body: &[u8]) {
        let lens: Vec<usize> = chunks(body).map(<[u8]>::len).collect();
        assert_eq!(lens.iter().sum::<usize>(), body.len());
        if let Some((_, all_but_last)) = lens.split_last() {
            for &l in all_but_last {
                assert!((MIN_CHUNK..=MAX_CHUNK).contains(&l), "chunk of {l} bytes");
            }
        }
    }

    #[test]
    fn chunks_are_bounded_for_any_content() {
        assert_eq!(chunks(b"").count(), 0);
        for body in [
            ics(1_000_000, 4),
            json(1_000_000),
            random(500_000),
            vec![b'a'; 500_000],
            vec![0; 300_000],
        ] {
            assert_chunk_sizes(&body);
            let s = GzipStitcher::new(DEFAULT_BUDGET, 6);
            assert_round_trip(&body, &s.gzip(&body));
        }
        // Text cuts by content, not at the hard maximum every time.
        let body = ics(2_000_000, 5);
        let lens: Vec<usize> = chunks(&body).map(<[u8]>::len).collect();
        let at_max = lens.iter().filter(|&&l| l == MAX_CHUNK).count();
        assert!(
            at_max * 10 < lens.len(),
            "{at_max} of {} at MAX",
            lens.len()
        );
        let avg = body.len() / lens.len();
        assert!((24 * 1024..48 * 1024).contains(&avg), "average chunk {avg}");
    }

    #[test]
    fn cuts_resynchronise_after_an_offset() {
        // The same text after a different prefix is cut at the same places once past it.
        let body = ics(1_500_000, 6);
        let cuts = |b: &[u8], skip: usize| {
            let mut at = 0;
            chunks(b)
                .map(|c| {
                    at += c.len();
                    at
                })
                .filter(|&p| p > skip)
                .map(|p| p - skip)
                .collect::<std::collections::HashSet<usize>>()
        };
        let whole = cuts(&body, 12_345);
        let tail = cuts(&body[12_345..], 0);
        let shared = tail.intersection(&whole).count();
        assert!(shared + 3 >= tail.len(), "{shared} of {}", tail.len());
    }

    /// Chunks compressed by `gzip(body)`.
    fn misses(s: &GzipStitcher, body: &[u8]) -> u64 {
        let before = s.counters().1;
        assert_round_trip(body, &s.gzip(body));
        s.counters().1 - before
    }

    #[test]
    fn one_edit_recompresses_few_chunks() {
        for a in [ics(1_200_000, 7), json(1_200_000)] {
            let s = GzipStitcher::new(DEFAULT_BUDGET, 6);
            let all = misses(&s, &a);
            assert_eq!(all as usize, chunks(&a).count());
            assert_eq!(misses(&s, &a), 0, "unchanged body");

            // 1 KB changed in place in the middle.
            let mut b = a.clone();
            let mid = b.len() / 2;
            for x in &mut b[mid..mid + 1024] {
                *x = x.to_ascii_uppercase() ^ 1;
            }
            let m = misses(&s, &b);
            assert!(
                (1..=3).contains(&m),
                "in-place edit recompressed {m} of {all}"
            );

            // 300 bytes inserted (every later byte moves).
            let mut c = a.clone();
            c.splice(mid..mid, std::iter::repeat_n(b'x', 300));
            let m = misses(&s, &c);
            assert!((1..=3).contains(&m), "insertion recompressed {m} of {all}");

            // Thirty edits spread over the body (replace up to 1.5 KB by up to 1.5 KB): most
            // touch one chunk; when an edit moves a cut, the next chunks take a step or two
            // to fall back onto the old cuts.
            let mut seed = 99u64;
            let mut rnd = |m: usize| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((seed >> 33) as usize) % m
            };
            let mut counts = Vec::new();
            for _ in 0..30 {
                let at = rnd(a.len() - 2000);
                let (del, ins) = (rnd(1500) + 1, rnd(1500) + 1);
                let mut e = a.clone();
                e.splice(at..at + del, std::iter::repeat_n(b'Q', ins));
                let before = s.counters().1;
                let _ = s.gzip(&e);
                counts.push(s.counters().1 - before);
            }
            let total: u64 = counts.iter().sum();
            let max = counts.iter().copied().max().unwrap_or(0);
            // (The tail is a property of content-defined chunking: over 400 such edits of a
            // 2.4 MB feed the gear hash alone reached 7, the delimiter cuts 6 to 12.)
            assert!(total <= 45 && max <= 8, "recompressed per edit: {counts:?}");
        }
    }

    #[test]
    fn output_does_not_depend_on_the_cache() {
        let a = ics(900_000, 8);
        let mut b = a.clone();
        b[450_000] ^= 0x20;
        let warm = GzipStitcher::new(DEFAULT_BUDGET, 6);
        let _ = warm.gzip(&a);
        let from_warm = warm.gzip(&b);
        let from_cold = GzipStitcher::new(DEFAULT_BUDGET, 6).gzip(&b);
        assert_eq!(from_warm, from_cold);
        assert_round_trip(&b, &from_warm);
    }

    #[test]
    fn cache_respects_its_byte_budget() {
        let budget = 200 * 1024;
        let s = GzipStitcher::new(budget, 6);
        for seed in 0..6 {
            let body = ics(600_000, 100 + seed);
            assert_round_trip(&body, &s.gzip(&body));
            let (bytes, n) = s.stats();
            assert!(bytes <= budget, "{bytes} > {budget}");
            assert!(n > 0);
        }
        // Least recently used go first: the last body is still (mostly) cached.
        let last = ics(600_000, 105);
        let total = chunks(&last).count() as u64;
        assert!(misses(&s, &last) < total);
        // The first one was evicted.
        let first = ics(600_000, 100);
        assert_eq!(misses(&s, &first), chunks(&first).count() as u64);

        // No budget: nothing kept, output still right.
        let none = GzipStitcher::new(0, 6);
        let body = ics(200_000, 9);
        assert_round_trip(&body, &none.gzip(&body));
        assert_eq!(none.stats(), (0, 0));
    }

    #[test]
    fn a_key_collision_is_not_a_hit() {
        let mut inner = Inner::default();
        let key = Key {
            hash: 42,
            len: 3,
            prev: 0,
        };
        inner.insert(key, 1, Arc::from(&b"abc"[..]), 1 << 20);
        assert!(inner.get(key, 2).is_none(), "other CRC32");
        assert!(
            inner.get(Key { len: 4, ..key }, 1).is_none(),
            "other length"
        );
        assert_eq!(inner.get(key, 1).as_deref(), Some(&b"abc"[..]));
        // Replacing an entry keeps the accounting right.
        inner.insert(key, 2, Arc::from(&b"abcdef"[..]), 1 << 20);
        assert_eq!(inner.bytes, 6 + ENTRY_OVERHEAD);
        assert_eq!((inner.map.len(), inner.lru.len()), (1, 1));
    }

    #[test]
    fn shared_between_threads() {
        let s = GzipStitcher::new(DEFAULT_BUDGET, 6);
        let bodies: Vec<Vec<u8>> = (0..4).map(|i| ics(400_000, 200 + i % 2)).collect();
        std::thread::scope(|scope| {
            for body in &bodies {
                let s = &s;
                scope.spawn(move || assert_round_trip(body, &s.gzip(body)));
            }
        });
        let (bytes, n) = s.stats();
        assert!(bytes > 0 && n > 0);
    }

    #[test]
    fn primed_chunks_round_trip_smaller() {
        let a = ics(900_000, 11);
        let plain = GzipStitcher::with_prime(DEFAULT_BUDGET, 6, 0).gzip(&a);
        for prime in [4096, 16 * 1024, 32 * 1024, 1 << 20] {
            let s = GzipStitcher::with_prime(DEFAULT_BUDGET, 6, prime);
            let gz = s.gzip(&a);
            assert_round_trip(&a, &gz);
            assert!(
                gz.len() < plain.len(),
                "{prime}: {} >= {}",
                gz.len(),
                plain.len()
            );
            if let Some(out) = external("gzip", &["-dc"], &gz) {
                assert_eq!(out, a, "gzip -dc, prime {prime}");
            }
            // An in-place edit: its chunk and the next one (primed with it) are recompressed.
            let mut b = a.clone();
            for x in &mut b[450_000..451_000] {
                *x ^= 1;
            }
            let m = misses(&s, &b);
            assert!((1..=4).contains(&m), "prime {prime}: {m}");
            let cold = GzipStitcher::with_prime(DEFAULT_BUDGET, 6, prime).gzip(&b);
            assert_eq!(s.gzip(&b), cold, "output independent of the cache");
            for body in [json(300_000), random(200_000)] {
                assert_round_trip(&body, &s.gzip(&body));
            }
        }
    }

    /// `body` cut into parts of lengths drawn from `sizes` in turn (empty parts among them).
    fn split<'a>(body: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
        let mut parts = Vec::new();
        let mut rest = body;
        for &n in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (part, tail) = rest.split_at(n.min(rest.len()));
            parts.push(part);
            rest = tail;
        }
        parts
    }

    #[test]
    fn parts_give_the_bytes_of_the_body_joined() {
        // Parts the size of VEVENTs, of single bytes around windows, larger than a chunk, and
        // empty ones; content cut after delimiters (ICS, JSON) and by the gear hash (random).
        let splits: [&[usize]; 5] = [
            &[1_213],
            &[1, 0, 63, 64, 65, 0, 700],
            &[MAX_CHUNK + 3, 17],
            &[MIN_CHUNK - 1, 1, 2],
            &[5_000, 0, 40_000, 30],
        ];
        for (body, primes) in [
            (ics(600_000, 21), [0, 32 * 1024]),
            (json(300_000), [0, 16 * 1024]),
            (random(300_000), [0, 32 * 1024]),
        ] {
            let whole: Vec<Range<usize>> = Parts::new(&[&body]).chunks().collect();
            for sizes in splits {
                let parts = split(&body, sizes);
                let seg = Parts::new(&parts);
                assert_eq!(
                    seg.chunks().collect::<Vec<_>>(),
                    whole,
                    "cuts for {sizes:?}"
                );
                for prime in primes {
                    let flat = GzipStitcher::with_prime(DEFAULT_BUDGET, 6, prime).gzip(&body);
                    // A cold cache and a warm one (the flat body's chunks already held).
                    let s = GzipStitcher::with_prime(DEFAULT_BUDGET, 6, prime);
                    let cold = s.gzip_parts(&parts);
                    assert_eq!(cold, flat, "{sizes:?}, prime {prime}");
                    let _ = s.gzip(&body);
                    assert_eq!(s.gzip_parts(&parts), flat);
                }
            }
        }
        // Small bodies and empty parts are compressed whole, the same.
        let small = ics(9_000, 4);
        let parts = split(&small, &[0, 100, 7]);
        let s = GzipStitcher::default();
        assert_eq!(s.gzip_parts(&parts), s.gzip(&small));
        assert_round_trip(b"", &s.gzip_parts(&[]));
        assert_round_trip(b"", &s.gzip_parts(&[b"", b""]));
    }

    #[test]
    fn one_edit_in_a_part_recompresses_few_chunks() {
        let body = ics(1_000_000, 22);
        let s = GzipStitcher::with_prime(DEFAULT_BUDGET, 6, 32 * 1024);
        let parts = split(&body, &[1_200]);
        let _ = s.gzip_parts(&parts);
        // One part replaced by a longer one, as a changed VEVENT is.
        let mut edited: Vec<&[u8]> = parts.clone();
        let longer = [parts[400], b"X-EDIT:1\r\n"].concat();
        edited[400] = &longer;
        let before = s.counters().1;
        let gz = s.gzip_parts(&edited);
        assert!(
            s.counters().1 - before <= 4,
            "{} chunks",
            s.counters().1 - before
        );
        assert_round_trip(&edited.concat(), &gz);
    }

    #[test]
    fn whole_and_brotli_helpers_round_trip() {
        let body = ics(100_000, 10);
        assert_round_trip(&body, &gzip_whole(&body, 6));
        assert_round_trip(b"", &gzip_whole(b"", 6));
        let br = brotli(&body, 5);
        let mut out = Vec::new();
        ::brotli::BrotliDecompress(&mut &br[..], &mut out).expect("brotli decodes");
        assert_eq!(out, body);
        // From parts: the same bytes as from the body joined.
        for sizes in [&[1_000, 0, 7][..], &[4096], &[100_000], &[3, 70_000]] {
            assert_eq!(brotli_parts(&split(&body, sizes), 5), br, "{sizes:?}");
        }
    }
}
