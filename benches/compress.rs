//! `cargo bench --bench compress`: compressing the 2,000-event action feed (the shared data set,
//! rendered as `/actions/bench-action.ics` is) — whole-body gzip level 6, brotli quality 5, and
//! `turnout::compress::GzipStitcher` cold (empty chunk cache) and after one event changed.
//! Figures go to docs/PERFORMANCE.md ("Compression after a write").

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use turnout::compress::{brotli, chunks, gzip_whole, GzipStitcher, DEFAULT_BUDGET};
use turnout::config::Settings;
use turnout::db;
use turnout::domain::time::Bound;
use turnout::feeds::json::Links;
use turnout::feeds::render::{render, FragmentCache, Spec};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The database of benches/feeds.rs (built once, then reused by both benches).
fn database(count: usize) -> Settings {
    let dir = root().join("target/bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let db = dir.join(format!("feeds-{count}.db"));
    let mut settings = Settings::load(None).expect("settings");
    settings.database_url = db.to_string_lossy().into_owned();
    if !db.exists() {
        let events = dir.join(format!("events-{count}.json"));
        let import = dir.join(format!("import-{count}.json"));
        run(Command::new("python3")
            .arg(root().join("../shared/bench-data/gen_events.py"))
            .args(["--count", &count.to_string(), "--out"])
            .arg(&events));
        run(Command::new("python3")
            .arg(root().join("scripts/bench_data.py"))
            .arg(&events)
            .arg(&import));
        let partial = dir.join(format!("feeds-{count}.partial.db"));
        let _ = std::fs::remove_file(&partial);
        run(Command::new(env!("CARGO_BIN_EXE_turnout"))
            .arg("import")
            .arg(&import)
            .env("TURNOUT_DATABASE_URL", &partial)
            .env("RUST_LOG", "error"));
        std::fs::rename(&partial, &db).expect("move database into place");
    }
    settings
}

/// The feed as the server renders it: its parts (head, VTIMEZONEs, one part per VEVENT, end).
fn feed() -> Vec<actix_web::web::Bytes> {
    let settings = database(2000);
    let mut conn = db::connect(&settings).expect("connect");
    let fragments = FragmentCache::new(64 * 1024 * 1024);
    let links = Links::new(&settings.base_url);
    let from = Bound::Instant(
        NaiveDateTime::parse_from_str("2026-01-01T00:00:00", "%Y-%m-%dT%H:%M:%S").expect("date"),
    );
    let spec = Spec::Action("bench-action".into());
    render(&mut conn, &spec, &settings, &links, &fragments, from)
        .expect("render")
        .parts
}

fn slices(parts: &[actix_web::web::Bytes]) -> Vec<&[u8]> {
    parts.iter().map(|b| &b[..]).collect()
}

/// The server's path after a write: the body is kept as its parts (`cache::Rope`), and the
/// stitcher reads them in place; one VEVENT's part is replaced per write. Beside it, in the
/// same rounds, the path before: the parts joined into one buffer, then stitched.
fn stitched_parts(parts: &[actix_web::web::Bytes], prime: usize) {
    let events: Vec<usize> = (0..parts.len())
        .filter(|&i| parts[i].starts_with(b"BEGIN:VEVENT\r\n"))
        .collect();
    let from_parts = GzipStitcher::with_prime(DEFAULT_BUDGET, 6, prime);
    let joined = GzipStitcher::with_prime(DEFAULT_BUDGET, 6, prime);
    let mut current: Vec<actix_web::web::Bytes> = parts.to_vec();
    let _ = from_parts.gzip_parts(&slices(&current));
    let _ = joined.gzip(&current.concat());
    let rounds = 60;
    let (mut wall_p, mut cpu_p, mut wall_j, mut cpu_j) = (vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        let n = events[(round * 733 + 101) % events.len()];
        current[n] = actix_web::web::Bytes::from(edit_event(&current[n], 0, round));
        let (w, c, gz) = timed(|| from_parts.gzip_parts(&slices(&current)));
        wall_p.push(w);
        cpu_p.push(c);
        let (w, c, flat) = timed(|| joined.gzip(&current.concat()));
        wall_j.push(w);
        cpu_j.push(c);
        assert_eq!(gz, flat, "the same bytes either way");
    }
    println!(
        "one event changed, from the parts:  {} over {rounds} writes",
        summary(&mut wall_p, &mut cpu_p)
    );
    println!(
        "one event changed, parts joined:    {} (the same writes)",
        summary(&mut wall_j, &mut cpu_j)
    );
}

/// `body` with its `n`-th VEVENT edited as a write would: a longer SUMMARY, and new DTSTAMP,
/// LAST-MODIFIED and SEQUENCE values (`updated_at` moved).
fn edit_event(body: &[u8], n: usize, round: usize) -> Vec<u8> {
    let text = std::str::from_utf8(body).expect("utf-8 feed");
    let start = text
        .match_indices("BEGIN:VEVENT\r\n")
        .nth(n)
        .map(|(i, _)| i)
        .expect("event");
    let len = text[start..].find("END:VEVENT\r\n").expect("end") + "END:VEVENT\r\n".len();
    let mut event = String::new();
    for line in text[start..start + len].split_inclusive("\r\n") {
        if let Some(rest) = line.strip_prefix("SUMMARY:") {
            event.push_str(&format!("SUMMARY:Moved indoors ({round}): {rest}"));
        } else if line.starts_with("DTSTAMP:") || line.starts_with("LAST-MODIFIED:") {
            let (name, _) = line.split_once(':').expect("colon");
            event.push_str(&format!(
                "{name}:20261201T18{:02}{:02}Z\r\n",
                round / 60 % 60,
                round % 60
            ));
        } else if line.starts_with("SEQUENCE:") {
            event.push_str(&format!("SEQUENCE:{}\r\n", round + 1));
        } else {
            event.push_str(line);
        }
    }
    let mut out = Vec::with_capacity(body.len() + 64);
    out.extend_from_slice(&body[..start]);
    out.extend_from_slice(event.as_bytes());
    out.extend_from_slice(&body[start + len..]);
    out
}

fn gunzip(gz: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn kb(n: usize) -> String {
    format!("{:.1} KB", n as f64 / 1000.0)
}

/// CPU time of this thread: the machine is shared, and wall time includes waiting for a core.
fn cpu_now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

/// Wall and CPU time of one call.
fn timed<T>(f: impl FnOnce() -> T) -> (Duration, Duration, T) {
    let (w, c) = (Instant::now(), cpu_now());
    let out = f();
    (w.elapsed(), cpu_now().saturating_sub(c), out)
}

/// "wall median … p90 …, CPU median … p90 …" of samples.
fn summary(wall: &mut [Duration], cpu: &mut [Duration]) -> String {
    wall.sort();
    cpu.sort();
    let n = wall.len();
    format!(
        "wall median {} p90 {}, CPU median {} p90 {}",
        ms(wall[n / 2]),
        ms(wall[n * 9 / 10]),
        ms(cpu[n / 2]),
        ms(cpu[n * 9 / 10])
    )
}

/// Timing summary of `f` over `rounds` runs (after one unmeasured run).
fn time<T>(rounds: usize, mut f: impl FnMut() -> T) -> (String, T) {
    let mut last = f();
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (w, c, out) = timed(&mut f);
        last = out;
        wall.push(w);
        cpu.push(c);
    }
    (summary(&mut wall, &mut cpu), last)
}

fn stitched(body: &[u8], events: usize, whole: usize, prime: usize) {
    let (t, cold) = time(15, || {
        GzipStitcher::with_prime(DEFAULT_BUDGET, 6, prime).gzip(body)
    });
    assert_eq!(gunzip(&cold), body);
    println!(
        "stitched gzip, cold chunk cache:  {t}; {} ({:.3} x whole, +{:.1} %)",
        kb(cold.len()),
        cold.len() as f64 / whole as f64,
        (cold.len() as f64 / whole as f64 - 1.0) * 100.0
    );

    let stitcher = GzipStitcher::with_prime(DEFAULT_BUDGET, 6, prime);
    let _ = stitcher.gzip(body);
    let (t, same) = time(30, || stitcher.gzip(body));
    assert_eq!(same, cold, "output independent of the cache");
    println!("stitched gzip, nothing changed:   {t} (cut + hash + CRC + copy)");

    // Successive writes, each changing one event somewhere else in the feed.
    let rounds = 60;
    let mut current = body.to_vec();
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    let mut recompressed = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let n = (round * 733 + 101) % events;
        current = edit_event(&current, n, round);
        let misses = stitcher.counters().1;
        let (w, c, gz) = timed(|| stitcher.gzip(&current));
        wall.push(w);
        cpu.push(c);
        recompressed.push(stitcher.counters().1 - misses);
        assert_eq!(gunzip(&gz), current);
    }
    let max = wall.iter().max().copied().unwrap_or_default();
    let mut hist = [0usize; 6];
    for &m in &recompressed {
        hist[(m as usize).min(5)] += 1;
    }
    println!(
        "stitched gzip, one event changed: {} (wall max {}) over {rounds} successive writes; chunks recompressed per write: 1: {}, 2: {}, 3: {}, 4: {}, 5+: {}",
        summary(&mut wall, &mut cpu),
        ms(max),
        hist[1],
        hist[2],
        hist[3],
        hist[4],
        hist[5]
    );
    let (bytes, held) = stitcher.stats();
    println!(
        "chunk cache after that: {held} chunks, {} accounted",
        kb(bytes)
    );
}

fn main() {
    let parts = feed();
    let body = parts.concat();
    let events = std::str::from_utf8(&body)
        .expect("utf-8")
        .matches("BEGIN:VEVENT\r\n")
        .count();
    let lens: Vec<usize> = chunks(&body).map(<[u8]>::len).collect();
    println!(
        "feed: {} bytes, {events} VEVENTs; {} chunks, average {} bytes, smallest {}, largest {}",
        body.len(),
        lens.len(),
        body.len() / lens.len(),
        lens.iter().min().copied().unwrap_or(0),
        lens.iter().max().copied().unwrap_or(0)
    );

    let (t, whole) = time(15, || gzip_whole(&body, 6));
    assert_eq!(gunzip(&whole), body);
    println!("whole-body gzip level 6:          {t}; {}", kb(whole.len()));

    for prime in [0, 16 * 1024, 32 * 1024] {
        println!(
            "-- stitched, chunks primed with {} KiB of the chunk before",
            prime / 1024
        );
        stitched(&body, events, whole.len(), prime);
    }
    println!("-- the server's stitcher (primed with 32 KiB), from the feed's parts");
    stitched_parts(&parts, 32 * 1024);

    let (t, br) = time(5, || brotli(&body, 5));
    println!("brotli quality 5 (lgwin 22):      {t}; {}", kb(br.len()));
}
