//! `turnout backup` and `turnout restore`: a complete, consistent copy of every table Turnout
//! writes and reads, on either backend, and loading one into an empty database.
//!
//! Two kinds of backup file, chosen by the name of PATH:
//! - `*.db`, `*.sqlite`, `*.sqlite3`: a SQLite database file (`VACUUM INTO`). Only a SQLite
//!   instance writes these.
//! - anything else (`*.json` is the usual name): the portable export, one JSON object
//!   `{"format": "turnout-backup", "version": 1, "migration": …, "backend": …, "created_at": …,
//!   "tables": {"partners": [rows…], …}}` with every table in foreign-key order and every column
//!   of every row, read in one read-only snapshot (PostgreSQL: a `REPEATABLE READ, READ ONLY`
//!   transaction; SQLite: a read transaction), so it is consistent while the server writes.
//!
//! Not in a backup: the search index `event_search` (derived from events, venues, partners and
//! tags; its triggers rebuild it as a restore inserts them) and diesel's migration bookkeeping
//! (a restore runs the migrations of its own build and checks they match the backup's).
//!
//! **A backup holds secrets**: partners' private contact details, users' password hashes,
//! API token hashes and session token hashes (a backup must restore logins and tokens too).
//! Files are created readable by their owner only; keep them like the database itself.
//!
//! `restore` reads either kind (a SQLite file is opened read-only and copied through the same
//! row types, so it also moves a SQLite instance to PostgreSQL) and writes every row, ids kept,
//! in one write transaction into a database that must be empty; on PostgreSQL every identity
//! sequence is then moved past the largest id.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{schema, DbConn};
use crate::error::AppError;

/// What the `format` field of a portable backup says.
pub const FORMAT: &str = "turnout-backup";
/// The version of the portable format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

diesel::table! {
    /// diesel_migrations' own bookkeeping: one row per applied migration.
    __diesel_schema_migrations (version) {
        version -> VarChar,
        run_on -> Timestamp,
    }
}

/// Declares, per table in foreign-key order, its backup row (every column, in the order of
/// schema.rs: rows are read with `all_columns`, so a column added to schema.rs but not here does
/// not compile) and `Tables`, the whole database.
macro_rules! backup_tables {
    ($($table:ident => $row:ident { $($(#[$m:meta])* $col:ident: $ty:ty),* $(,)? })*) => {
        $(
            #[derive(Debug, Clone, PartialEq, Queryable, Insertable, Serialize, Deserialize)]
            #[diesel(table_name = schema::$table, treat_none_as_default_value = false)]
            #[serde(deny_unknown_fields)]
            pub struct $row {
                $($(#[$m])* pub $col: $ty,)*
            }
        )*

        /// Every table's rows, parents before children.
        #[derive(Debug, Default, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Tables {
            $(pub $table: Vec<$row>,)*
        }

        impl Tables {
            /// The names of every table, in foreign-key order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($table)),*];

            fn read(conn: &mut DbConn) -> QueryResult<Tables> {
                Ok(Tables {
                    $($table: schema::$table::table
                        .select(schema::$table::all_columns)
                        .order_by(schema::$table::table.primary_key())
                        .load::<$row>(conn)?,)*
                })
            }

            /// Inserts every row: one statement per row on SQLite (cheap there: no round
            /// trips), multi-row statements on PostgreSQL (diesel's `MultiConnection` has no
            /// batch insert, so through the concrete connection, in the same transaction).
            fn write(&self, conn: &mut DbConn) -> QueryResult<()> {
                match conn {
                    #[cfg(feature = "sqlite")]
                    DbConn::Sqlite(c) => {
                        $(for row in &self.$table {
                            diesel::insert_into(schema::$table::table).values(row).execute(c)?;
                        })*
                    }
                    #[cfg(feature = "postgres")]
                    DbConn::Pg(c) => {
                        $(for chunk in self.$table.chunks(INSERT_CHUNK) {
                            diesel::insert_into(schema::$table::table).values(chunk).execute(c)?;
                        })*
                    }
                }
                Ok(())
            }

            /// Rows per table, in foreign-key order.
            pub fn counts(&self) -> Vec<(&'static str, usize)> {
                vec![$((stringify!($table), self.$table.len())),*]
            }

            /// Rows per table as stored in the database.
            fn count_stored(conn: &mut DbConn) -> QueryResult<Vec<(&'static str, i64)>> {
                Ok(vec![$((
                    stringify!($table),
                    schema::$table::table.count().get_result::<i64>(conn)?,
                )),*])
            }
        }
    };
}

/// Rows per INSERT on PostgreSQL: far below its limit of 65535 bind parameters for the widest
/// table.
const INSERT_CHUNK: usize = 500;

backup_tables! {
    partners => PartnerRow {
        id: i32,
        slug: String,
        name: String,
        website: Option<String>,
        description: String,
        contact_email: Option<String>,
        contact_phone: Option<String>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    actions => ActionRow {
        id: i32,
        slug: String,
        title: String,
        description: String,
        hashtags: String,
        first_day: Option<NaiveDate>,
        last_day: Option<NaiveDate>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    action_partners => ActionPartnerRow {
        action_id: i32,
        partner_id: i32,
        position: i32,
    }
    venues => VenueRow {
        id: i32,
        name: String,
        address: Option<String>,
        city: Option<String>,
        region: Option<String>,
        postal_code: Option<String>,
        country: Option<String>,
        lat: Option<f64>,
        lon: Option<f64>,
        timezone: Option<String>,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
        approx_lat: Option<f64>,
        approx_lon: Option<f64>,
        #[serde(default)]
        located: i32,
        #[serde(default)]
        accessibility: Option<String>,
    }
    events => EventRow {
        id: i32,
        uid: String,
        title: String,
        description: String,
        start_local: NaiveDateTime,
        end_local: NaiveDateTime,
        timezone: String,
        start_utc: NaiveDateTime,
        end_utc: NaiveDateTime,
        all_day: bool,
        venue_id: Option<i32>,
        online_url: Option<String>,
        info_url: Option<String>,
        action_id: Option<i32>,
        status: String,
        review: String,
        sequence: i32,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
        deleted_at: Option<NaiveDateTime>,
        unpublished_at: Option<NaiveDateTime>,
        removed_by_admin: bool,
        rrule: Option<String>,
        exdates: String,
        series_end_utc: Option<NaiveDateTime>,
        #[serde(default)]
        accessibility: Option<String>,
        #[serde(default)]
        access_keys: String,
    }
    event_occurrences => OccurrenceRow {
        event_id: i32,
        occurrence_local: NaiveDateTime,
        patch: String,
        title: String,
        description: String,
        venue_id: Option<i32>,
        online_url: Option<String>,
        info_url: Option<String>,
        start_local: NaiveDateTime,
        end_local: NaiveDateTime,
        start_utc: NaiveDateTime,
        end_utc: NaiveDateTime,
        status: String,
        sequence: i32,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
        action_id: Option<i32>,
        partners: Option<String>,
        tags: Option<String>,
    }
    event_partners => EventPartnerRow {
        event_id: i32,
        partner_id: i32,
        role: String,
        position: i32,
    }
    tags => TagRow {
        id: i32,
        name: String,
    }
    event_tags => EventTagRow {
        event_id: i32,
        tag_id: i32,
        position: i32,
    }
    event_revisions => RevisionRow {
        id: i32,
        event_id: i32,
        kind: String,
        actor: String,
        created_at: NaiveDateTime,
        snapshot: String,
    }
    users => UserRow {
        id: i32,
        email: String,
        password_hash: String,
        role: String,
        partner_id: Option<i32>,
        created_at: NaiveDateTime,
        disabled_at: Option<NaiveDateTime>,
    }
    api_tokens => ApiTokenRow {
        id: i32,
        name: String,
        token_hash: String,
        partner_id: Option<i32>,
        created_at: NaiveDateTime,
        last_used_at: Option<NaiveDateTime>,
        revoked_at: Option<NaiveDateTime>,
    }
    sessions => SessionRow {
        token_hash: String,
        user_id: i32,
        csrf: String,
        created_at: NaiveDateTime,
        expires_at: NaiveDateTime,
    }
    online_actions => OnlineActionRow {
        id: i32,
        uid: String,
        kind: String,
        title: String,
        description: String,
        action_id: Option<i32>,
        url: String,
        goal: Option<i32>,
        count: Option<i32>,
        deadline: Option<NaiveDate>,
        timezone: String,
        status: String,
        sequence: i32,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
        deleted_at: Option<NaiveDateTime>,
    }
    online_action_partners => OnlineActionPartnerRow {
        online_action_id: i32,
        partner_id: i32,
        position: i32,
    }
    rate_limits => RateLimitRow {
        key: String,
        hits: i32,
        window_start: NaiveDateTime,
    }
    imports => ImportRow {
        id: i32,
        url: String,
        partner_id: i32,
        action_id: Option<i32>,
        tags: String,
        review: String,
        interval_minutes: i32,
        timezone: Option<String>,
        calendar_name: Option<String>,
        etag: Option<String>,
        last_modified: Option<String>,
        last_fetch_at: Option<NaiveDateTime>,
        last_status: Option<String>,
        last_error: Option<String>,
        next_fetch_at: NaiveDateTime,
        claimed_until: Option<NaiveDateTime>,
        failures: i32,
        created: i32,
        updated: i32,
        cancelled: i32,
        unchanged: i32,
        skipped: i32,
        skipped_items: String,
        created_by: String,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    }
    imported_events => ImportedEventRow {
        event_id: i32,
        import_id: Option<i32>,
        partner_id: i32,
        source_url: String,
        uid: String,
        hash: String,
        gone_at: Option<NaiveDateTime>,
        written: Option<String>,
        kept: String,
        upstream: Option<String>,
    }
}

/// The tables with an `id` identity column (PostgreSQL sequences to reset after a restore).
const ID_TABLES: &[&str] = &[
    "partners",
    "actions",
    "venues",
    "events",
    "tags",
    "event_revisions",
    "users",
    "api_tokens",
    "online_actions",
    "imports",
];

/// A portable backup: the whole database and where it came from.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] of the writer.
    pub version: u32,
    /// The last migration applied to the database it was taken from (diesel's version string,
    /// e.g. `20261201000003`); a restore needs a database at the same migration.
    pub migration: String,
    /// `sqlite` or `postgres`: informational.
    pub backend: String,
    /// When it was taken (UTC).
    pub created_at: NaiveDateTime,
    pub tables: Tables,
}

/// Which kind of backup file a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A SQLite database file (`VACUUM INTO`).
    SqliteFile,
    /// The portable JSON export.
    Portable,
}

impl Kind {
    /// By the file name: `.db`, `.sqlite` and `.sqlite3` are SQLite files, anything else the
    /// portable export.
    pub fn of(path: &Path) -> Kind {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("db" | "sqlite" | "sqlite3") => Kind::SqliteFile,
            _ => Kind::Portable,
        }
    }
}

fn backend_name(conn: &DbConn) -> &'static str {
    match conn {
        #[cfg(feature = "sqlite")]
        DbConn::Sqlite(_) => "sqlite",
        #[cfg(feature = "postgres")]
        DbConn::Pg(_) => "postgres",
    }
}

/// The last migration applied to the database.
fn migration_version(conn: &mut DbConn) -> QueryResult<Option<String>> {
    __diesel_schema_migrations::table
        .select(diesel::dsl::max(__diesel_schema_migrations::version))
        .get_result(conn)
}

/// Reads the whole database in one read-only snapshot.
pub fn snapshot(conn: &mut DbConn) -> anyhow::Result<Backup> {
    let backend = backend_name(conn);
    let (migration, tables) = conn
        .transaction::<_, diesel::result::Error, _>(|conn| {
            #[cfg(feature = "postgres")]
            if let DbConn::Pg(_) = conn {
                // Must be the first statement of the transaction.
                diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(conn)?;
            }
            // On SQLite the first read starts the snapshot; it lasts until the commit.
            Ok((migration_version(conn)?, Tables::read(conn)?))
        })
        .context("reading the database")?;
    Ok(Backup {
        format: FORMAT.to_string(),
        version: FORMAT_VERSION,
        migration: migration.context("the database has no migrations applied")?,
        backend: backend.to_string(),
        created_at: chrono::Utc::now().naive_utc(),
        tables,
    })
}

/// Creates `target` (and its directory) for writing: never over an existing file, readable by
/// its owner only.
fn create_new(target: &Path) -> anyhow::Result<std::fs::File> {
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating backup directory {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(target).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} already exists; choose a new file name",
                target.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("creating {}", target.display()))
        }
    })
}

/// Writes a consistent copy of the live database to `target` (safe while the server runs): a
/// SQLite file or the portable export, by [`Kind::of`]. Never overwrites; the file holds secrets
/// (see the module documentation). Returns what was written.
pub fn backup(conn: &mut DbConn, target: &Path) -> anyhow::Result<Kind> {
    if target.exists() {
        bail!(
            "{} already exists; choose a new file name",
            target.display()
        );
    }
    let kind = Kind::of(target);
    match (kind, &mut *conn) {
        #[cfg(feature = "sqlite")]
        (Kind::SqliteFile, DbConn::Sqlite(c)) => {
            use diesel::connection::SimpleConnection;
            // Claim the name (and its permissions) first; VACUUM INTO writes into an empty file.
            drop(create_new(target)?);
            let path = target.to_string_lossy().replace('\'', "''");
            if let Err(e) = c.batch_execute(&format!("VACUUM INTO '{path}'")) {
                let _ = std::fs::remove_file(target);
                return Err(e).with_context(|| format!("writing backup to {}", target.display()));
            }
        }
        #[allow(unreachable_patterns)]
        (Kind::SqliteFile, _) => bail!(
            "{}: a .db/.sqlite backup is a SQLite file, which only a SQLite database writes; \
             name the backup .json for the portable export",
            target.display()
        ),
        (Kind::Portable, conn) => {
            let backup = snapshot(conn)?;
            let file = create_new(target)?;
            let written = write_portable(file, &backup);
            if written.is_err() {
                let _ = std::fs::remove_file(target);
            }
            written.with_context(|| format!("writing backup to {}", target.display()))?;
        }
    }
    Ok(kind)
}

fn write_portable(file: std::fs::File, backup: &Backup) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut out, backup)?;
    out.write_all(b"\n")?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(())
}

/// Reads a backup file of either kind.
pub fn read(path: &Path) -> anyhow::Result<Backup> {
    let reading = || format!("reading {}", path.display());
    let mut file = std::fs::File::open(path).with_context(reading)?;
    let mut bytes = Vec::new();
    (&mut file)
        .take(16)
        .read_to_end(&mut bytes)
        .with_context(reading)?;
    if bytes == b"SQLite format 3\0" {
        return read_sqlite_file(path);
    }
    file.read_to_end(&mut bytes).with_context(reading)?;
    read_portable(&bytes).with_context(|| format!("{} is not a Turnout backup", path.display()))
}

fn read_portable(bytes: &[u8]) -> anyhow::Result<Backup> {
    /// Only the header, so a wrong file gets a word about what it is before its rows are read.
    #[derive(Deserialize)]
    struct Header {
        format: Option<serde_json::Value>,
        version: Option<serde_json::Value>,
    }
    const EXPECTED: &str = "expected a portable backup (a JSON object written by `turnout \
                            backup FILE.json`) or a SQLite database file";
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        bail!("{EXPECTED}");
    }
    let header: Header = serde_json::from_slice(bytes).context(EXPECTED)?;
    if header.format.as_ref().and_then(|f| f.as_str()) != Some(FORMAT) {
        bail!("it has no \"format\": \"{FORMAT}\"");
    }
    match header.version.as_ref().and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(FORMAT_VERSION) => {}
        Some(v) => bail!(
            "it is format version {v}; this turnout reads version {FORMAT_VERSION} (use the \
             turnout that wrote it)"
        ),
        None => bail!("it has no format \"version\""),
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        anyhow::anyhow!("at {path}: {}", e.into_inner())
    })
}

/// Opens a SQLite database file read-only and reads it as a backup.
#[cfg(feature = "sqlite")]
fn read_sqlite_file(path: &Path) -> anyhow::Result<Backup> {
    let url = sqlite_read_only_uri(path)?;
    let conn = diesel::SqliteConnection::establish(&url)
        .with_context(|| format!("opening {} as a SQLite database", path.display()))?;
    let mut conn = DbConn::Sqlite(conn);
    if migration_version(&mut conn).is_err() {
        bail!(
            "{} is a SQLite file but not a Turnout database (no migrations table)",
            path.display()
        );
    }
    snapshot(&mut conn).with_context(|| format!("reading {}", path.display()))
}

#[cfg(not(feature = "sqlite"))]
fn read_sqlite_file(path: &Path) -> anyhow::Result<Backup> {
    bail!(
        "{} is a SQLite file, but this turnout was built without SQLite",
        path.display()
    )
}

/// `file:` URI opening `path` read-only (nothing is written to a backup while reading it).
#[cfg(feature = "sqlite")]
fn sqlite_read_only_uri(path: &Path) -> anyhow::Result<String> {
    let absolute: PathBuf =
        std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))?;
    let mut uri = String::from("file:");
    for c in absolute.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => uri.push_str(&format!("%{:02X}", c as u32)),
            c => uri.push(c),
        }
    }
    uri.push_str("?mode=ro");
    Ok(uri)
}

/// Loads `backup` into the database behind `conn`, which must be migrated to the backup's
/// migration and empty (refused otherwise, changing nothing): every row with its id, in one
/// write transaction; on PostgreSQL every identity sequence then continues after the largest id.
pub fn restore(conn: &mut DbConn, backup: &Backup) -> anyhow::Result<()> {
    let here = migration_version(conn)
        .context("reading the database's migrations")?
        .unwrap_or_default();
    if backup.migration != here {
        bail!(
            "the backup was taken at migration {}, this database is at {here}; restore it with \
             the turnout version that wrote it (a SQLite backup file can be brought up to date \
             first: TURNOUT_DATABASE_URL=COPY.db turnout migrate)",
            backup.migration
        );
    }
    super::write_tx(conn, |conn| {
        let stored = Tables::count_stored(conn)?;
        let not_empty: Vec<String> = stored
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(t, n)| format!("{t} ({n} rows)"))
            .collect();
        if !not_empty.is_empty() {
            return Err(AppError::Conflict(format!(
                "the database is not empty: {}; restore only into a new, empty database",
                not_empty.join(", ")
            )));
        }
        backup.tables.write(conn)?;
        #[cfg(feature = "postgres")]
        if let DbConn::Pg(_) = conn {
            for table in ID_TABLES {
                diesel::sql_query(format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     COALESCE(MAX(id), 0) + 1, false) FROM {table}"
                ))
                .execute(conn)?;
            }
        }
        Ok(())
    })
    .map_err(|e| match e {
        AppError::Conflict(m) => anyhow::anyhow!("{m}"),
        AppError::Unexpected(e) => e.context("restoring"),
        other => anyhow::anyhow!("restoring: {other}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_pick_the_kind() {
        assert_eq!(Kind::of(Path::new("b/x.db")), Kind::SqliteFile);
        assert_eq!(Kind::of(Path::new("x.SQLite")), Kind::SqliteFile);
        assert_eq!(Kind::of(Path::new("x.sqlite3")), Kind::SqliteFile);
        assert_eq!(Kind::of(Path::new("x.json")), Kind::Portable);
        assert_eq!(Kind::of(Path::new("x")), Kind::Portable);
    }

    #[test]
    fn id_tables_are_tables() {
        for t in ID_TABLES {
            assert!(Tables::NAMES.contains(t), "{t}");
        }
    }

    #[test]
    fn bad_files_are_named() {
        let err = |b: &[u8]| format!("{:#}", read_portable(b).unwrap_err());
        assert!(err(b"not json").contains("expected a portable backup"));
        assert!(err(b"[1, 2]").contains("expected a portable backup"));
        assert!(err(br#"{"format": "other"}"#).contains("no \"format\""));
        assert!(err(br#"{"format": "turnout-backup", "version": 9}"#).contains("version 9"));
        let e = err(
            br#"{"format": "turnout-backup", "version": 1, "migration": "1", "backend": "x",
                 "created_at": "2027-01-01T00:00:00", "tables": {"partners": [{"id": "x"}]}}"#,
        );
        assert!(e.contains("tables.partners[0].id"), "{e}");
    }
}
