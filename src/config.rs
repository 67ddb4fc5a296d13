//! Settings: embedded `config/default.toml` → optional `--config FILE` → `TURNOUT_*` environment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub listen: String,
    pub base_url: String,
    pub database_url: String,
    /// A read replica of the PostgreSQL primary (env `TURNOUT_DATABASE_READ_URL`): public reads
    /// go there once it has replayed every write this instance has seen.
    #[serde(default)]
    pub database_read_url: Option<String>,
    /// Shown in page titles and feed names.
    pub site_name: String,
    /// Reverse proxies whose `X-Forwarded-For` is believed (CIDRs or addresses, as written).
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// `trusted_proxies`, parsed by `validate`.
    #[serde(skip)]
    pub proxies: Vec<ipnet::IpNet>,
    /// Shared by every instance of one site (env `TURNOUT_SECRET_KEY`): derives the daily key
    /// that hashes client addresses, so several instances share login and submission limits.
    #[serde(default)]
    pub secret_key: Option<String>,
    /// Whether partners' feeds may be fetched from private, loopback and link-local addresses
    /// (env `TURNOUT_IMPORT_ALLOW_PRIVATE`). Off: a feed URL, its every redirect and the address
    /// its name resolves to must be public.
    #[serde(default)]
    pub import_allow_private: bool,
    /// Private networks partners' feeds may still be fetched from when `import_allow_private`
    /// is off (env `TURNOUT_IMPORT_ALLOW_NETWORKS=10.1.2.0/24,fd00::5`): a partner's calendar
    /// server on this site's own network, and nothing else there.
    #[serde(default)]
    pub import_allow_networks: Vec<String>,
    /// `import_allow_networks`, parsed by `validate`.
    #[serde(skip)]
    pub import_networks: Vec<ipnet::IpNet>,
    pub imports: ImportSettings,
    pub database: DatabaseSettings,
    pub feeds: FeedSettings,
    pub api: ApiSettings,
    pub cache: CacheSettings,
    pub log: LogSettings,
}

/// The response cache and what public answers tell browsers and CDNs.
#[derive(Debug, Clone, Deserialize)]
pub struct CacheSettings {
    /// Bytes of answers kept in memory, in MiB.
    pub budget_mib: u32,
    /// Bodies larger than this (KiB) are kept compressed only.
    pub identity_max_kib: u32,
    /// Longest an answer is kept without a write (answers that depend on "now" move on).
    pub server_ttl_seconds: u32,
    pub page_max_age_seconds: u32,
    pub api_max_age_seconds: u32,
    pub feed_max_age_seconds: u32,
    pub stale_while_revalidate_seconds: u32,
}

/// Fetching partners' feeds (see `import`).
#[derive(Debug, Clone, Deserialize)]
pub struct ImportSettings {
    /// How often the server looks for feeds due a refresh, in seconds; 0: never (only
    /// `POST /api/v1/imports/{id}/refresh` and `turnout imports refresh` fetch).
    pub schedule_seconds: u32,
    /// Feeds fetched at once.
    pub concurrency: u32,
    /// Largest feed read, in MiB (after gzip is undone).
    pub max_mib: u32,
    /// Longest a fetch may take in all (connect, redirects, body), in seconds.
    pub timeout_seconds: u32,
    pub max_redirects: u8,
    /// Places floating times of feeds that name no zone, when their import names none either.
    pub default_timezone: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub pool_size: u32,
    pub busy_timeout_ms: u32,
    /// SQLite's page cache per connection, in KiB (the operating system caches the file too).
    pub sqlite_cache_kib: u32,
    /// How often the server looks for writes made by other processes, in milliseconds.
    pub change_poll_ms: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FeedSettings {
    pub past_days: u32,
    pub refresh_interval_minutes: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApiSettings {
    pub max_body_bytes: usize,
    pub default_limit: u32,
    pub max_limit: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Settings {
    /// Loads the embedded defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            if !path.is_file() {
                bail!("config file {} does not exist", path.display());
            }
            builder = builder.add_source(config::File::from(path).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("TURNOUT")
                .prefix_separator("_")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("trusted_proxies")
                .with_list_parse_key("import_allow_networks")
                .try_parsing(true),
        );
        let settings: Settings = builder
            .build()
            .context("reading configuration")?
            .try_deserialize()
            .context("invalid configuration")?;
        settings.validate()
    }

    /// Checks and normalizes settings (also after a test or the CLI changed them).
    pub fn validate(mut self) -> anyhow::Result<Settings> {
        self.listen.parse::<SocketAddr>().with_context(|| {
            format!(
                "listen: {:?} is not an address like 127.0.0.1:8080",
                self.listen
            )
        })?;
        let base = self.base_url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://"))
            || base.contains(char::is_whitespace)
        {
            bail!(
                "base_url: {:?} must be an http:// or https:// URL",
                self.base_url
            );
        }
        self.base_url = base;
        if self.database_url.trim().is_empty() {
            bail!("database_url must not be empty");
        }
        self.database()?;
        self.database_read_url = self
            .database_read_url
            .take()
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty());
        if let Some(read) = &self.database_read_url {
            let lower = read.to_ascii_lowercase();
            if !(lower.starts_with("postgres://") || lower.starts_with("postgresql://")) {
                bail!(
                    "database_read_url: {:?} must be a postgres:// URL",
                    redact(read)
                );
            }
            if !self.database()?.is_postgres() {
                bail!("database_read_url needs a PostgreSQL database_url (the replica's primary)");
            }
        }
        self.site_name = self.site_name.trim().to_string();
        if self.site_name.is_empty() || self.site_name.chars().any(char::is_control) {
            bail!("site_name must be a non-empty single line");
        }
        self.proxies = parse_networks("trusted_proxies", &self.trusted_proxies)?;
        self.import_networks =
            parse_networks("import_allow_networks", &self.import_allow_networks)?;
        self.secret_key = self.secret_key.take().filter(|k| !k.trim().is_empty());
        if self.secret_key.as_ref().is_some_and(|k| k.len() < 16) {
            bail!("secret_key must be at least 16 characters (use a long random string)");
        }
        if self.database.change_poll_ms < 100 {
            bail!("database.change_poll_ms must be at least 100");
        }
        if self.database.pool_size == 0 {
            bail!("database.pool_size must be at least 1");
        }
        if self.api.default_limit == 0 || self.api.default_limit > self.api.max_limit {
            bail!("api.default_limit must be between 1 and api.max_limit");
        }
        if self.cache.budget_mib == 0 {
            bail!("cache.budget_mib must be at least 1");
        }
        if self.cache.server_ttl_seconds == 0 {
            bail!("cache.server_ttl_seconds must be at least 1");
        }
        if self.imports.max_mib == 0 || self.imports.timeout_seconds == 0 {
            bail!("imports.max_mib and imports.timeout_seconds must be at least 1");
        }
        if self.imports.concurrency == 0 {
            bail!("imports.concurrency must be at least 1");
        }
        if self
            .imports
            .default_timezone
            .parse::<chrono_tz::Tz>()
            .is_err()
        {
            bail!(
                "imports.default_timezone: {:?} is not an IANA time zone",
                self.imports.default_timezone
            );
        }
        if self.feeds.refresh_interval_minutes == 0 {
            bail!("feeds.refresh_interval_minutes must be at least 1");
        }
        Ok(self)
    }

    /// The database `database_url` names, refused when this build cannot serve it (a
    /// `postgres://` URL never silently becomes a SQLite file of that name).
    pub fn database(&self) -> anyhow::Result<DatabaseUrl> {
        let url = self.database_url.trim();
        let lower = url.to_ascii_lowercase();
        let db = if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            DatabaseUrl::Postgres(url.to_string())
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            DatabaseUrl::Sqlite(PathBuf::from(path))
        } else if url.contains("://") {
            bail!(
                "database_url: {:?} is neither a postgres:// URL nor a SQLite file path",
                redact(url)
            );
        } else {
            DatabaseUrl::Sqlite(PathBuf::from(url))
        };
        match db {
            DatabaseUrl::Postgres(_) if !cfg!(feature = "postgres") => bail!(
                "database_url is a PostgreSQL URL, but this turnout was built without PostgreSQL \
                 support; build it with `cargo build --release --features postgres`"
            ),
            DatabaseUrl::Sqlite(_) if !cfg!(feature = "sqlite") => bail!(
                "database_url is a SQLite file, but this turnout was built without SQLite \
                 support; build it with `--features sqlite` or give a postgres:// URL"
            ),
            db => Ok(db),
        }
    }

    /// Path of the SQLite file named by `database_url` (for a PostgreSQL URL, the URL itself:
    /// callers that need a file check `database()` first).
    pub fn database_path(&self) -> PathBuf {
        match self.database() {
            Ok(DatabaseUrl::Sqlite(path)) => path,
            _ => PathBuf::from(self.database_url.trim()),
        }
    }

    /// Whether `ip` is one of the trusted reverse proxies.
    pub fn is_trusted_proxy(&self, ip: std::net::IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.proxies.iter().any(|net| net.contains(&ip))
    }

    /// True when links are served over https (cookies get `Secure`).
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// Which database `database_url` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseUrl::Postgres(_))
    }

    /// For messages and logs: a file path, or a URL without its password.
    pub fn describe(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => p.display().to_string(),
            DatabaseUrl::Postgres(url) => redact(url),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// `10.0.0.0/8`, `::1`, `192.0.2.10` (an address alone is that one host); blanks are ignored.
fn parse_networks(setting: &str, list: &[String]) -> anyhow::Result<Vec<ipnet::IpNet>> {
    let mut out = Vec::new();
    for raw in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let net = match raw.parse::<ipnet::IpNet>() {
            Ok(net) => net.trunc(),
            Err(_) => match raw.parse::<std::net::IpAddr>() {
                Ok(ip) => ipnet::IpNet::from(ip.to_canonical()),
                Err(_) => {
                    bail!("{setting}: {raw:?} is not an address or CIDR like 10.0.0.0/8 or ::1")
                }
            },
        };
        out.push(net);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_validate() {
        let s = Settings::load(None).expect("defaults are valid");
        assert_eq!(s.feeds.past_days, 90);
        assert_eq!(s.database_path(), PathBuf::from("data/turnout.db"));
    }

    #[test]
    fn sqlite_prefix_is_stripped() {
        let mut s = Settings::load(None).expect("defaults");
        s.database_url = "sqlite:///var/lib/t.db".into();
        assert_eq!(s.database_path(), PathBuf::from("/var/lib/t.db"));
    }

    #[test]
    fn trusted_proxies_parse_and_match() {
        let mut s = Settings::load(None).expect("defaults");
        assert!(s.proxies.is_empty());
        s.trusted_proxies = vec!["10.0.0.0/8".into(), " ::1 ".into(), "192.0.2.10".into()];
        let s = s.validate().expect("valid");
        let ip = |a: &str| a.parse::<std::net::IpAddr>().expect("address");
        assert!(s.is_trusted_proxy(ip("10.1.2.3")));
        assert!(s.is_trusted_proxy(ip("::ffff:10.1.2.3")));
        assert!(s.is_trusted_proxy(ip("::1")));
        assert!(s.is_trusted_proxy(ip("192.0.2.10")));
        assert!(!s.is_trusted_proxy(ip("192.0.2.11")));
        assert!(!s.is_trusted_proxy(ip("127.0.0.1")));
        let mut bad = Settings::load(None).expect("defaults");
        bad.trusted_proxies = vec!["10.0.0.0/33".into()];
        let err = bad.validate().expect_err("refused").to_string();
        assert!(err.contains("trusted_proxies"), "{err}");
    }

    #[test]
    fn database_urls_pick_their_backend_or_are_refused() {
        let mut s = Settings::load(None).expect("defaults");
        s.database_url = "postgres://turnout:secret@db.example/turnout".into();
        let r = s.clone().validate();
        if cfg!(feature = "postgres") {
            assert_eq!(
                r.expect("valid").database().expect("postgres"),
                DatabaseUrl::Postgres("postgres://turnout:secret@db.example/turnout".into())
            );
        } else {
            let err = r.expect_err("refused").to_string();
            assert!(err.contains("--features postgres"), "{err}");
        }
        s.database_url = "mysql://x@y/z".into();
        let err = s.clone().validate().expect_err("refused").to_string();
        assert!(err.contains("neither") && !err.contains("secret"), "{err}");
        assert_eq!(
            DatabaseUrl::Postgres("postgres://u:pw@h/db".into()).describe(),
            "postgres://u:***@h/db"
        );
    }

    #[test]
    fn bad_base_url_is_rejected() {
        let mut s = Settings::load(None).expect("defaults");
        s.base_url = "ftp://x".into();
        assert!(s.validate().is_err());
    }
}
