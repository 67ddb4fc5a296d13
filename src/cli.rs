//! Command line: clap subcommands → library functions. Errors go to stderr, exit status 1.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use crate::auth::Principal;
use crate::config::Settings;
use crate::db::{self, queries};
use crate::domain::catalog::{ActionDraft, ActionInput, PartnerDraft, PartnerInput};
use crate::domain::event::EventInput;
use crate::error::AppError;
use crate::feeds::json::Links;
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(
    name = "turnout",
    version,
    about = "Event and day-of-action calendar: JSON API and iCalendar feeds"
)]
pub struct Cli {
    /// Settings file (TOML) layered over the built-in defaults; TURNOUT_* variables win over it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (migrations are applied first).
    Serve {
        /// Load the #NoTechForICE demo data set when the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage admin users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Import events from a JSON array in the API's input shape (idempotent by uid).
    Import { file: PathBuf },
    /// Partners' .ics feeds Turnout subscribes to and keeps current.
    #[command(subcommand)]
    Imports(ImportsCommand),
    /// Write every event as a JSON array in the API's input shape (stdout, or --out FILE).
    Export {
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Write a consistent copy of the database to PATH (safe while the server runs): a SQLite
    /// file when PATH ends in .db/.sqlite/.sqlite3 (SQLite only), else the portable JSON export
    /// of every table (either backend). The file holds password and token hashes: keep it safe.
    Backup { path: PathBuf },
    /// Load a backup (portable export or SQLite file) into an empty database, either backend.
    Restore { path: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints a generated password once.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["admin", "organizer"])]
        role: String,
        /// Partner an organizer belongs to.
        #[arg(long, value_name = "SLUG")]
        partner: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; prints it as the last line. Without --partner it acts as an admin.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "SLUG")]
        partner: Option<String>,
    },
    /// Revoke the active token with this name or id.
    Revoke { name_or_id: String },
    /// List tokens (never their secret).
    List,
}

#[derive(Debug, Subcommand)]
pub enum ImportsCommand {
    /// Subscribe to a partner's feed (http, https or webcal URL); fetched at once by the server,
    /// or by `turnout imports refresh`.
    Add {
        url: String,
        #[arg(long, value_name = "SLUG")]
        partner: String,
        /// The day of action its events belong to.
        #[arg(long, value_name = "SLUG")]
        action: Option<String>,
        /// A tag for every event of the feed (repeat for more).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// moderate: new events wait in the moderation queue.
        #[arg(long, default_value = "publish", value_parser = ["publish", "moderate"])]
        review: String,
        #[arg(long, value_name = "MINUTES", default_value_t = 60)]
        interval: i64,
        /// Zone for floating times when the calendar names none (IANA).
        #[arg(long, value_name = "ZONE")]
        timezone: Option<String>,
    },
    /// List the feeds with their status.
    List,
    /// Fetch one feed now (or every feed), and print what each run did.
    Refresh { id: Option<i32> },
    /// Stop syncing a feed; its events stay, marked as no longer synced.
    Remove { id: i32 },
}

/// Words for an error on the command line.
fn describe(err: AppError) -> anyhow::Error {
    match err {
        AppError::Validation(fields) => {
            let lines: Vec<String> = fields
                .iter()
                .map(|f| format!("  {}: {}", f.field, f.message))
                .collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        AppError::Unexpected(e) => e,
        other => anyhow::anyhow!("{}", other_message(&other)),
    }
}

fn other_message(err: &AppError) -> String {
    match err {
        AppError::NotFound(m)
        | AppError::Conflict(m)
        | AppError::BadRequest(m)
        | AppError::Gone(m)
        | AppError::Forbidden(m) => m.clone(),
        other => other.to_string(),
    }
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    crate::telemetry::init(&settings.log);
    match cli.command {
        Command::Serve { demo } => serve(settings, demo),
        Command::Migrate => {
            let mut conn = db::connect(&settings)?;
            let n = db::migrate(&mut conn)?;
            println!(
                "applied {n} migration(s); database {} is up to date",
                settings.database_path().display()
            );
            Ok(())
        }
        Command::User(UserCommand::Create {
            email,
            role,
            partner,
        }) => {
            let mut conn = open(&settings)?;
            let password = queries::auth::create_user(&mut conn, &email, &role, partner.as_deref())
                .map_err(describe)?;
            println!("created {role} {email}; password (shown once):");
            println!("{password}");
            Ok(())
        }
        Command::Token(TokenCommand::Create { name, partner }) => {
            let mut conn = open(&settings)?;
            let token = queries::auth::create_token(&mut conn, &name, partner.as_deref())
                .map_err(describe)?;
            let scope = partner.map_or("admin".to_string(), |p| format!("organizer of {p}"));
            println!("created token {name:?} ({scope}); it is shown once:");
            println!("{token}");
            Ok(())
        }
        Command::Token(TokenCommand::Revoke { name_or_id }) => {
            let mut conn = open(&settings)?;
            let n = queries::auth::revoke_token(&mut conn, &name_or_id).map_err(describe)?;
            println!("revoked {n} token(s)");
            Ok(())
        }
        Command::Token(TokenCommand::List) => {
            let mut conn = open(&settings)?;
            for t in queries::auth::list_tokens(&mut conn)? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                let scope = t
                    .partner_id
                    .map_or("admin".to_string(), |p| format!("partner #{p}"));
                println!(
                    "{}\t{}\t{}\t{}\tcreated {}",
                    t.id,
                    t.name,
                    scope,
                    state,
                    t.created_at.format("%Y-%m-%d")
                );
            }
            Ok(())
        }
        Command::Import { file } => import(&settings, &file),
        Command::Imports(cmd) => imports(&settings, cmd),
        Command::Export { out } => {
            let mut conn = open(&settings)?;
            let events = queries::events::export_all(&mut conn)?;
            let json = serde_json::to_string_pretty(&events)?;
            match out {
                Some(path) => std::fs::write(&path, json + "\n")
                    .with_context(|| format!("writing {}", path.display()))?,
                None => println!("{json}"),
            }
            Ok(())
        }
        Command::Backup { path } => {
            let mut conn = open(&settings)?;
            let kind = db::backup::backup(&mut conn, &path)?;
            let what = match kind {
                db::backup::Kind::SqliteFile => "SQLite file",
                db::backup::Kind::Portable => "portable export",
            };
            println!("backup ({what}) written to {}", path.display());
            Ok(())
        }
        Command::Restore { path } => {
            let backup = db::backup::read(&path)?;
            let mut conn = open(&settings)?;
            db::backup::restore(&mut conn, &backup)?;
            let rows: Vec<String> = backup
                .tables
                .counts()
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(|(t, n)| format!("{n} {t}"))
                .collect();
            println!(
                "restored {} into {}: {}",
                path.display(),
                settings.database()?.describe(),
                if rows.is_empty() {
                    "no rows".to_string()
                } else {
                    rows.join(", ")
                }
            );
            Ok(())
        }
    }
}

fn open(settings: &Settings) -> anyhow::Result<db::DbConn> {
    let mut conn = db::connect(settings)?;
    db::migrate(&mut conn)?;
    Ok(conn)
}

fn import(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let parse_error = |e: AppError| {
        match e {
        AppError::BadRequest(m) => anyhow::anyhow!("{}: {m}", file.display()),
        other => describe(other).context(format!(
            "{} is neither a JSON array of events nor an object {{\"partners\", \"actions\", \"events\"}}",
            file.display()
        )),
    }
    };
    let set: ImportSet = match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => crate::web::extract::parse_json(&bytes).map_err(parse_error)?,
        _ => ImportSet {
            events: crate::web::extract::parse_json(&bytes).map_err(parse_error)?,
            ..ImportSet::default()
        },
    };
    let partners = set
        .partners
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            PartnerDraft::try_from(p).map_err(|e| describe(e).context(format!("partners[{i}]")))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let actions = set
        .actions
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            ActionDraft::try_from(a).map_err(|e| describe(e).context(format!("actions[{i}]")))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let inputs = set.events;
    let mut conn = open(settings)?;
    let who = Principal::cli("import");
    let host = Links::new(&settings.base_url).host().to_string();
    // First check every record, so one run reports every problem; then write all or nothing.
    let mut problems = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        if let Err(e) = queries::events::validate(&mut conn, input.clone()) {
            problems.push(format!("event [{i}]{}: {:#}", label(input), describe(e)));
        }
    }
    if !problems.is_empty() {
        bail!(
            "nothing imported; fix these first:\n{}",
            problems.join("\n")
        );
    }
    let (mut created, mut updated, mut unchanged, mut skipped) = (0, 0, 0, 0);
    let mut catalog_created = 0;
    db::write_tx(&mut conn, |conn| {
        for p in &partners {
            if queries::catalog::partner_by_slug(conn, &p.slug).is_err() {
                queries::catalog::create_partner(conn, p)?;
                catalog_created += 1;
            }
        }
        for a in &actions {
            if queries::catalog::action_by_slug(conn, &a.slug).is_err() {
                queries::catalog::create_action(conn, a)?;
                catalog_created += 1;
            }
        }
        for (i, input) in inputs.into_iter().enumerate() {
            let what = label(&input);
            let input = with_import_uid(input, &host);
            match queries::events::upsert(conn, &who, input, &host) {
                Ok(queries::events::Upserted::Created) => created += 1,
                Ok(queries::events::Upserted::Updated) => updated += 1,
                Ok(queries::events::Upserted::Unchanged) => unchanged += 1,
                Ok(queries::events::Upserted::SkippedDeleted) => skipped += 1,
                Err(e) => {
                    return Err(AppError::Unexpected(
                        describe(e).context(format!("event [{i}]{what}; nothing imported")),
                    ))
                }
            }
        }
        Ok(())
    })
    .map_err(describe)?;
    if catalog_created > 0 {
        println!("created {catalog_created} partner(s) and action(s)");
    }
    println!("imported {}: {created} created, {updated} updated, {unchanged} unchanged, {skipped} skipped (deleted)", file.display());
    Ok(())
}

/// What `turnout import` reads: a JSON array of events, or an object that also carries the
/// partners and actions they name (created when their slug is new, left alone otherwise).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportSet {
    #[serde(default)]
    partners: Vec<PartnerInput>,
    #[serde(default)]
    actions: Vec<ActionInput>,
    #[serde(default)]
    events: Vec<EventInput>,
}

fn label(input: &EventInput) -> String {
    input
        .title
        .as_deref()
        .map(|t| format!(" {t:?}"))
        .unwrap_or_default()
}

/// Records without a uid get one derived from their content, so importing the same file twice
/// finds them again instead of duplicating them.
fn with_import_uid(mut input: EventInput, host: &str) -> EventInput {
    if input.uid.is_none() {
        use sha2::{Digest, Sha256};
        let key = serde_json::json!([
            input.title,
            input.start,
            input.timezone,
            input.venue,
            input.venue_id,
            input.online_url
        ]);
        let digest = Sha256::digest(key.to_string().as_bytes());
        let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        input.uid = Some(format!("import-{hex}@{host}"));
    }
    input
}

fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    let pool = db::build_pool(&settings)?;
    if demo {
        let mut conn = pool.get().context("opening a connection")?;
        let host = Links::new(&settings.base_url).host().to_string();
        let today = chrono::Utc::now().date_naive();
        let n = crate::demo::load_if_empty(&mut conn, today, &host).map_err(describe)?;
        if n > 0 {
            tracing::info!(events = n, "loaded demo data");
        } else {
            tracing::info!("database not empty; demo data not loaded");
        }
    }
    let listen = settings.listen.clone();
    let base = settings.base_url.clone();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build_with_pool(settings, pool)?;
        tracing::info!(%listen, %base, "Turnout is listening");
        eprintln!("Turnout is listening on http://{listen} (public URL {base})");
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn imports(settings: &Settings, cmd: ImportsCommand) -> anyhow::Result<()> {
    use crate::db::queries::imports as q;
    let who = Principal::cli("imports");
    match cmd {
        ImportsCommand::Add {
            url,
            partner,
            action,
            tags,
            review,
            interval,
            timezone,
        } => {
            let mut conn = open(settings)?;
            let input = crate::domain::imports::ImportInput {
                url: Some(url),
                partner: Some(partner),
                action,
                tags: Some(tags),
                review: Some(review),
                interval_minutes: Some(interval),
                timezone,
            };
            let v = q::create(&mut conn, &who, input).map_err(describe)?;
            println!(
                "added import {} of {} for {}; every {} minutes",
                v.row.id, v.row.url, v.partner_slug, v.row.interval_minutes
            );
            Ok(())
        }
        ImportsCommand::List => {
            let mut conn = open(settings)?;
            for v in q::list(&mut conn, &who).map_err(describe)? {
                let r = &v.row;
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    r.id,
                    v.partner_slug,
                    r.url,
                    r.last_status.as_deref().unwrap_or("never fetched"),
                    r.last_error.as_deref().unwrap_or("")
                );
            }
            Ok(())
        }
        ImportsCommand::Remove { id } => {
            let mut conn = open(settings)?;
            q::delete(&mut conn, &who, id).map_err(describe)?;
            println!("import {id} removed; its events stay, no longer synced");
            Ok(())
        }
        ImportsCommand::Refresh { id } => {
            // The fetch runs on the server's own runtime and HTTP client.
            open(settings)?;
            let pool = db::build_pool(settings)?;
            let host = Links::new(&settings.base_url).host().to_string();
            actix_web::rt::System::new().block_on(async {
                let ids = match id {
                    Some(id) => vec![id],
                    None => {
                        let p = pool.clone();
                        db::run(&p, move |c| q::list(c, &Principal::cli("imports")))
                            .await
                            .map_err(describe)?
                            .into_iter()
                            .map(|v| v.row.id)
                            .collect()
                    }
                };
                let runner = crate::import::refresh::Runner::new(&pool, settings, &host, None);
                let mut failed = 0;
                for id in ids {
                    let s = crate::import::refresh::refresh_now(&runner, id)
                        .await
                        .map_err(describe)?;
                    match &s.error {
                        Some(e) => {
                            failed += 1;
                            println!("import {id}: error: {e}");
                        }
                        None => println!(
                            "import {id}: {}: {} created, {} updated, {} cancelled, {} unchanged, {} skipped",
                            s.status,
                            s.created,
                            s.updated,
                            s.cancelled,
                            s.unchanged,
                            s.skipped.len()
                        ),
                    }
                    for item in &s.skipped {
                        println!(
                            "  skipped {}: {}",
                            item.summary.as_deref().or(item.uid.as_deref()).unwrap_or("an item"),
                            item.reason
                        );
                    }
                }
                if failed > 0 {
                    bail!("{failed} feed(s) could not be fetched or read");
                }
                Ok(())
            })
        }
    }
}
