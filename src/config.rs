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
    /// Shown in page titles and feed names.
    pub site_name: String,
    pub database: DatabaseSettings,
    pub feeds: FeedSettings,
    pub api: ApiSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub pool_size: u32,
    pub busy_timeout_ms: u32,
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
                .try_parsing(true),
        );
        let settings: Settings = builder
            .build()
            .context("reading configuration")?
            .try_deserialize()
            .context("invalid configuration")?;
        settings.validate()
    }

    fn validate(mut self) -> anyhow::Result<Settings> {
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
        self.site_name = self.site_name.trim().to_string();
        if self.site_name.is_empty() || self.site_name.chars().any(char::is_control) {
            bail!("site_name must be a non-empty single line");
        }
        if self.database.pool_size == 0 {
            bail!("database.pool_size must be at least 1");
        }
        if self.api.default_limit == 0 || self.api.default_limit > self.api.max_limit {
            bail!("api.default_limit must be between 1 and api.max_limit");
        }
        if self.feeds.refresh_interval_minutes == 0 {
            bail!("feeds.refresh_interval_minutes must be at least 1");
        }
        Ok(self)
    }

    /// Path of the SQLite file named by `database_url`.
    pub fn database_path(&self) -> PathBuf {
        let url = self.database_url.trim();
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        PathBuf::from(path)
    }

    /// True when links are served over https (cookies get `Secure`).
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
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
    fn bad_base_url_is_rejected() {
        let mut s = Settings::load(None).expect("defaults");
        s.base_url = "ftp://x".into();
        assert!(s.validate().is_err());
    }
}
