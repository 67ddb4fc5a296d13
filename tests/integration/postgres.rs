//! A throwaway PostgreSQL server for the `integration_postgres` run of this suite: Debian's
//! `postgresql` binaries, a cluster made with `initdb` in a temporary directory and started with
//! `pg_ctl` on a free port (as the `postgres` user when the tests run as root), one fresh
//! database per test, stopped when the test process exits.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{LazyLock, Mutex};

/// Whether this binary runs the suite on PostgreSQL (the `integration_postgres` target).
pub fn wanted() -> bool {
    env!("CARGO_CRATE_NAME") == "integration_postgres"
}

pub struct Cluster {
    port: u16,
    socket_dir: PathBuf,
}

/// A streaming standby of the test cluster (`pg_basebackup -R`), started on first use.
pub struct Standby {
    port: u16,
}

static STANDBY: LazyLock<Result<Standby, String>> = LazyLock::new(start_standby);
static STANDBY_DIR: Mutex<Option<PathBuf>> = Mutex::new(None);

static CLUSTER: LazyLock<Result<Cluster, String>> = LazyLock::new(start);
static DATA_DIR: Mutex<Option<(PathBuf, Option<String>)>> = Mutex::new(None);
static NEXT: AtomicU32 = AtomicU32::new(0);

fn bindir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return Some(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

/// Runs a PostgreSQL tool, as `user` when given.
fn run(bin: &Path, args: &[&str], user: Option<&str>) -> Result<(), String> {
    let mut cmd = match user {
        Some(u) => {
            let mut c = Command::new("runuser");
            c.arg("-u").arg(u).arg("--").arg(bin);
            c
        }
        None => Command::new(bin),
    };
    let out = cmd
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} {args:?} failed: {}{}",
            bin.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

extern "C" fn stop_at_exit() {
    if let (Ok(guard), Some(bin)) = (STANDBY_DIR.lock(), bindir()) {
        if let Some(dir) = guard.as_ref() {
            let user = DATA_DIR
                .lock()
                .ok()
                .and_then(|g| g.as_ref().and_then(|(_, u)| u.clone()));
            let _ = run(
                &bin.join("pg_ctl"),
                &[
                    "-D",
                    &dir.to_string_lossy(),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                user.as_deref(),
            );
        }
    }
    let Ok(guard) = DATA_DIR.lock() else { return };
    if let (Some((dir, user)), Some(bin)) = (guard.as_ref(), bindir()) {
        let data = dir.join("data");
        let _ = run(
            &bin.join("pg_ctl"),
            &[
                "-D",
                &data.to_string_lossy(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            user.as_deref(),
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn start() -> Result<Cluster, String> {
    let bin = bindir().ok_or("no PostgreSQL server binaries (Debian package postgresql)")?;
    let root = unsafe { libc_geteuid() } == 0;
    let user = root.then(|| "postgres".to_string());
    let dir = tempfile::Builder::new()
        .prefix("turnout-pg")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    if let Some(u) = &user {
        run(Path::new("chown"), &[u, &dir.to_string_lossy()], None)?;
    }
    let data = dir.join("data");
    run(
        &bin.join("initdb"),
        &[
            "-D",
            &data.to_string_lossy(),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        user.as_deref(),
    )?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let opts = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 -c shared_buffers=32MB",
        dir.display()
    );
    if let Ok(mut g) = DATA_DIR.lock() {
        *g = Some((dir.clone(), user.clone()));
    }
    unsafe { libc_atexit(stop_at_exit) };
    run(
        &bin.join("pg_ctl"),
        &[
            "-D",
            &data.to_string_lossy(),
            "-o",
            &opts,
            "-l",
            &dir.join("log").to_string_lossy(),
            "-w",
            "start",
        ],
        user.as_deref(),
    )?;
    Ok(Cluster {
        port,
        socket_dir: dir,
    })
}

fn start_standby() -> Result<Standby, String> {
    let cluster = CLUSTER.as_ref().map_err(|e| e.clone())?;
    let bin = bindir().ok_or("no PostgreSQL server binaries")?;
    let user = DATA_DIR
        .lock()
        .ok()
        .and_then(|g| g.as_ref().and_then(|(_, u)| u.clone()));
    let dir = cluster.socket_dir.join("standby");
    run(
        &bin.join("pg_basebackup"),
        &[
            "-D",
            &dir.to_string_lossy(),
            "-R",
            "-c",
            "fast",
            "-X",
            "stream",
            "-h",
            "127.0.0.1",
            "-p",
            &cluster.port.to_string(),
            "-U",
            "postgres",
        ],
        user.as_deref(),
    )?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    if let Ok(mut g) = STANDBY_DIR.lock() {
        *g = Some(dir.clone());
    }
    let opts = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c hot_standby=on",
        cluster.socket_dir.display()
    );
    run(
        &bin.join("pg_ctl"),
        &[
            "-D",
            &dir.to_string_lossy(),
            "-o",
            &opts,
            "-l",
            &cluster.socket_dir.join("standby.log").to_string_lossy(),
            "-w",
            "start",
        ],
        user.as_deref(),
    )?;
    Ok(Standby { port })
}

/// The URL of `primary_url`'s database on the streaming standby (it replicates the whole
/// cluster, databases made later included). `None` when there is no standby here.
pub fn replica_of(primary_url: &str) -> Option<String> {
    let standby = match &*STANDBY {
        Ok(s) => s,
        Err(why) => {
            eprintln!("\n*** replica tests SKIPPED: {why} ***\n");
            return None;
        }
    };
    let db = primary_url.rsplit('/').next()?;
    let url = format!("postgres://postgres@127.0.0.1:{}/{db}", standby.port);
    // The standby has the database once it has replayed its creation.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    use diesel::Connection;
    while std::time::Instant::now() < until {
        if diesel::PgConnection::establish(&url).is_ok() {
            return Some(url);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    None
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
    #[link_name = "atexit"]
    fn libc_atexit(f: extern "C" fn()) -> i32;
}

/// A fresh, empty database on the test cluster: its URL. `None` (with a notice) when no
/// PostgreSQL server can be started here.
pub fn fresh_database() -> Option<String> {
    let cluster = match &*CLUSTER {
        Ok(c) => c,
        Err(why) => {
            static NOTICE: std::sync::Once = std::sync::Once::new();
            NOTICE.call_once(|| {
                eprintln!(
                    "\n*** PostgreSQL tests SKIPPED: {why}. This run used SQLite instead; \
                     install Debian's postgresql package to run them (CI does). ***\n"
                )
            });
            return None;
        }
    };
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let name = format!("t{}_{n}", std::process::id());
    let admin = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port);
    use diesel::{Connection, RunQueryDsl};
    let mut conn =
        diesel::PgConnection::establish(&admin).expect("test cluster accepts connections");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .expect("create test database");
    let _ = &cluster.socket_dir;
    Some(format!(
        "postgres://postgres@127.0.0.1:{}/{name}",
        cluster.port
    ))
}

/// A fresh, empty database on the same backend as `database_url` (a test app's): a new
/// database on the test cluster, or the SQLite file `dir/name`.
#[allow(dead_code)]
pub fn fresh_database_beside(database_url: &str, dir: &Path, name: &str) -> String {
    if database_url.starts_with("postgres://") {
        fresh_database().expect("the test cluster runs")
    } else {
        dir.join(name).to_string_lossy().into_owned()
    }
}
