//! `cargo bench --bench feeds`: the cost of a feed cache miss (query + render), on the shared
//! 2,000-event data set, and of a 10-event feed in databases of 100 and 100,000 events.
//! Figures go to docs/PERFORMANCE.md; HTTP throughput is measured by scripts/bench_cache.sh.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
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

/// A database holding `count` events of the shared generator (built once, then reused).
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

struct Stats {
    median: Duration,
    p90: Duration,
    bytes: usize,
    /// Storing the render in the feed cache (its ETag is a hash of the bytes).
    store: Duration,
}

/// Renders `spec` `rounds` times. `warm`: VEVENTs rendered before are reused (a feed re-rendered
/// after a write elsewhere); cold: every render starts with nothing (a first render).
fn measure(settings: &Settings, spec: &Spec, rounds: usize, warm: bool) -> Stats {
    let mut conn = db::connect(settings).expect("connect");
    let mut fragments = FragmentCache::new(64 * 1024 * 1024);
    let links = Links::new(&settings.base_url);
    let from = Bound::Instant(
        NaiveDateTime::parse_from_str("2026-01-01T00:00:00", "%Y-%m-%dT%H:%M:%S").expect("date"),
    );
    let mut times = Vec::with_capacity(rounds);
    let mut bytes = 0;
    let mut store = Duration::ZERO;
    let cache = turnout::cache::ResponseCache::new(256 * 1024 * 1024, 64 * 1024 * 1024);
    for i in 0..rounds + 3 {
        if !warm {
            fragments = FragmentCache::new(64 * 1024 * 1024);
        }
        let t = Instant::now();
        let r = render(&mut conn, spec, settings, &links, &fragments, from).expect("render");
        // As the handler answers: the parts, read by the cache as they are.
        let rope = turnout::cache::Rope::new(r.parts);
        let spent = t.elapsed();
        bytes = rope.len();
        let t = Instant::now();
        // A write before each store, as in the server (the entry it replaces is stale).
        cache.invalidate();
        cache.put(
            "k".into(),
            cache.generation(),
            turnout::cache::Fresh {
                status: actix_web::http::StatusCode::OK,
                headers: Vec::new(),
                body: rope,
                cache_control: actix_web::http::header::HeaderValue::from_static("public"),
                ttl: Duration::from_secs(60),
                last_modified: Some(r.newest_change),
            },
        );
        store = t.elapsed();
        if i >= 3 {
            times.push(spent);
        }
    }
    times.sort();
    Stats {
        median: times[times.len() / 2],
        p90: times[times.len() * 9 / 10],
        bytes,
        store,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // `cargo bench` passes harness flags; a name filter is all we honour.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));

    if wanted("action") {
        let s = database(2000);
        for (warm, what) in [
            (false, "cold (first render)"),
            (true, "warm (after a write)"),
        ] {
            let st = measure(&s, &Spec::Action("bench-action".into()), 30, warm);
            println!(
                "cache miss, 2,000-event action feed, {what}: query + render median {} p90 {} ({} bytes); + storing with its ETag {}",
                ms(st.median),
                ms(st.p90),
                st.bytes,
                ms(st.store)
            );
        }
    }
    if wanted("small") {
        let mut rows = Vec::new();
        for count in [100, 100_000] {
            let s = database(count);
            let st = measure(&s, &Spec::Partner("ten-event-partner".into()), 200, false);
            println!(
                "10-event feed, database of {count:>6} events: median {} p90 {} ({} bytes)",
                ms(st.median),
                ms(st.p90),
                st.bytes
            );
            rows.push(st.median);
        }
        println!(
            "ratio 100k / 100: {:.2}",
            rows[1].as_secs_f64() / rows[0].as_secs_f64()
        );
    }
}
