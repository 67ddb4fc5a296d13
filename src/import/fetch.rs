//! Fetching a partner's feed, guarded: `http`/`https` only (`webcal://` read as `https://`), no
//! private, loopback or link-local address unless allowed (all of them, or named networks),
//! checked on the address the name resolves to (the connection then goes to that very address,
//! so a second lookup cannot swap it) and again on every redirect (at most `max_redirects`), a
//! body cap counted after gzip is undone, one deadline for the whole fetch, a conditional GET,
//! and one fetch at a time per host.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use url::{Host, Url};

/// How a fetch is limited.
#[derive(Debug, Clone)]
pub struct Limits {
    pub allow_private: bool,
    /// Networks allowed though not public (the operator's own calendar server, say).
    pub allow_networks: Vec<ipnet::IpNet>,
    pub max_bytes: usize,
    pub timeout: Duration,
    pub max_redirects: u8,
    pub user_agent: String,
}

/// What a fetch brought.
#[derive(Debug)]
pub enum Fetched {
    /// 304: the feed is as it was (nothing to parse).
    NotModified,
    Body {
        bytes: Bytes,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// Why a fetch brought nothing. The text is what the import's status shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Url(String),
    #[error("{0}")]
    Refused(String),
    #[error("the feed is larger than {0} bytes")]
    TooLarge(usize),
    #[error("no answer within {0} seconds")]
    Timeout(u64),
    #[error("more than {0} redirects")]
    TooManyRedirects(u8),
    #[error("the server answered {0}")]
    Status(u16),
    #[error("{0}")]
    Network(String),
}

/// A feed URL as stored: `webcal://` (and `webcals://`) become `https://`; only `http` and
/// `https` with a host are taken.
pub fn normalize(raw: &str) -> Result<Url, FetchError> {
    let raw = raw.trim();
    let rewritten = match raw.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("webcal") || scheme.eq_ignore_ascii_case("webcals") =>
        {
            format!("https://{rest}")
        }
        _ => raw.to_string(),
    };
    let url = Url::parse(&rewritten).map_err(|e| FetchError::Url(format!("not a URL: {e}")))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(FetchError::Url(format!(
                "only http, https and webcal feeds can be imported, not {other}:"
            )))
        }
    }
    if url.host().is_none() {
        return Err(FetchError::Url("the URL has no host".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::Url(
            "the URL carries a user name or password; use a feed that needs neither".into(),
        ));
    }
    Ok(url)
}

/// A feed's address as an event page may show it: without its query (where keys travel) and
/// not at all when a path segment says it is private (Google's secret addresses,
/// `/calendar/ical/…/private-…/basic.ics`): those let anyone read the whole calendar.
pub fn shown_url(raw: &str) -> Option<String> {
    let mut url = Url::parse(raw).ok()?;
    if url
        .path_segments()
        .is_some_and(|mut segs| segs.any(|s| s.to_ascii_lowercase().starts_with("private")))
    {
        return None;
    }
    url.set_query(None);
    url.set_fragment(None);
    Some(url.to_string())
}

/// Whether `ip` is an address on the public internet: not loopback, private, link-local,
/// shared (CGNAT), multicast, documentation, benchmarking, reserved or unspecified, also when an
/// IPv6 address carries an IPv4 one (mapped, NAT64, 6to4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address inside.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return is_public_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return is_public_v4(embedded(s[1], s[2]));
    }
    // Local-use NAT64 (64:ff9b:1::/48), IPv4-translated (::ffff:0:a.b.c.d) and Teredo
    // (2001::/32) can all carry an inner IPv4 address somewhere: refused.
    if (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)
        || (s[0..4] == [0, 0, 0, 0] && s[4] == 0xffff && s[5] == 0)
        || (s[0] == 0x2001 && s[1] == 0)
    {
        return false;
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // IPv4-compatible (deprecated) ::a.b.c.d
        || s[0..6] == [0, 0, 0, 0, 0, 0]
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0])) // discard-only
}

/// The address to connect to for `url`: its IP, or what its name resolves to; refused when any
/// of them is not public (a name that resolves to both is refused too) unless allowed.
async fn address(url: &Url, limits: &Limits) -> Result<SocketAddr, FetchError> {
    let port = url
        .port_or_known_default()
        .ok_or_else(|| FetchError::Url("the URL has no port".into()))?;
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(Host::Domain(name)) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|e| FetchError::Network(format!("cannot resolve {name}: {e}")))?
            .collect(),
        None => return Err(FetchError::Url("the URL has no host".into())),
    };
    if !limits.allow_private {
        let allowed = |ip: IpAddr| {
            let ip = ip.to_canonical();
            is_public(ip) || limits.allow_networks.iter().any(|net| net.contains(&ip))
        };
        if let Some(bad) = addrs.iter().find(|a| !allowed(a.ip())) {
            return Err(FetchError::Refused(format!(
                "{} is a private, loopback or link-local address ({}); such feeds are not fetched",
                url.host_str().unwrap_or_default(),
                bad.ip()
            )));
        }
    }
    addrs.first().copied().ok_or_else(|| {
        FetchError::Network(format!(
            "{} has no address",
            url.host_str().unwrap_or_default()
        ))
    })
}

/// One fetch at a time per host, in this process (across instances, an import is claimed by one
/// of them at a time).
fn host_lock(host: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut map = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Forget hosts nobody is fetching from.
    map.retain(|_, lock| Arc::strong_count(lock) > 1);
    map.entry(host.to_ascii_lowercase()).or_default().clone()
}

fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = match rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
            {
                Ok(builder) => builder.with_root_certificates(roots).with_no_client_auth(),
                // The ring provider supports the default versions; this branch is unreachable in
                // practice, and a config without versions would only fail each https fetch.
                Err(_) => rustls::ClientConfig::builder()
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth(),
            };
            Arc::new(config)
        })
        .clone()
}

/// The turn to fetch from a URL's host: one fetch at a time per host in this process.
pub struct HostTurn {
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

/// Waits for the turn of `url`'s host.
pub async fn host_turn(url: &Url) -> HostTurn {
    HostTurn {
        _guard: host_lock(url.host_str().unwrap_or_default())
            .lock_owned()
            .await,
    }
}

/// Fetches `url` (normalized), sending the validators of the last answer, in its host's turn.
pub async fn fetch(
    limits: &Limits,
    url: &Url,
    etag: Option<&str>,
    last_modified: Option<&str>,
    _turn: &HostTurn,
) -> Result<Fetched, FetchError> {
    let secs = limits.timeout.as_secs().max(1);
    match tokio::time::timeout(
        limits.timeout,
        follow(limits, url.clone(), etag, last_modified),
    )
    .await
    {
        Ok(result) => result,
        Err(_) => Err(FetchError::Timeout(secs)),
    }
}

async fn follow(
    limits: &Limits,
    mut url: Url,
    etag: Option<&str>,
    last_modified: Option<&str>,
) -> Result<Fetched, FetchError> {
    let client = awc::Client::builder()
        .connector(
            awc::Connector::new()
                .rustls_0_23(tls_config())
                .timeout(limits.timeout)
                .handshake_timeout(limits.timeout),
        )
        .disable_redirects()
        .timeout(limits.timeout)
        .add_default_header((header::USER_AGENT, limits.user_agent.as_str()))
        .finish();
    for _hop in 0..=limits.max_redirects {
        let addr = address(&url, limits).await?;
        let mut req = client
            .get(url.as_str())
            .address(addr)
            .insert_header((header::ACCEPT, "text/calendar, */*;q=0.5"))
            .insert_header((header::ACCEPT_ENCODING, "gzip"));
        if let Some(tag) = etag {
            req = req.insert_header((header::IF_NONE_MATCH, tag));
        }
        if let Some(date) = last_modified {
            req = req.insert_header((header::IF_MODIFIED_SINCE, date));
        }
        let mut resp = req.send().await.map_err(|e| network(&e.to_string()))?;
        let status = resp.status();
        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            let location = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    FetchError::Network(format!("a {} without a Location", status.as_u16()))
                })?;
            let next = url.join(location).map_err(|e| {
                FetchError::Url(format!("the redirect to {location:?} is not a URL: {e}"))
            })?;
            url = normalize(next.as_str())?;
            continue;
        }
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let text = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = text(header::ETAG);
        let last_modified = text(header::LAST_MODIFIED);
        let gzip = match text(header::CONTENT_ENCODING)
            .map(|e| e.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("identity") => false,
            Some("gzip" | "x-gzip") => true,
            Some(other) => {
                return Err(FetchError::Network(format!(
                    "the feed came in an encoding that was not asked for ({other})"
                )))
            }
        };
        if let Some(len) = resp
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
        {
            if len > limits.max_bytes as u64 {
                return Err(FetchError::TooLarge(limits.max_bytes));
            }
        }
        let body = resp
            .body()
            .limit(limits.max_bytes)
            .await
            .map_err(|e| match e {
                awc::error::PayloadError::Overflow => FetchError::TooLarge(limits.max_bytes),
                other => network(&other.to_string()),
            })?;
        let bytes = if gzip {
            gunzip(&body, limits.max_bytes)?
        } else {
            body
        };
        return Ok(Fetched::Body {
            bytes,
            etag,
            last_modified,
        });
    }
    Err(FetchError::TooManyRedirects(limits.max_redirects))
}

/// A gzip body undone, at most `max` bytes of it (a small body may unpack to gigabytes).
fn gunzip(body: &[u8], max: usize) -> Result<Bytes, FetchError> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(body)
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| FetchError::Network(format!("the feed's gzip could not be read: {e}")))?;
    if out.len() > max {
        return Err(FetchError::TooLarge(max));
    }
    Ok(Bytes::from(out))
}

fn network(e: &str) -> FetchError {
    FetchError::Network(format!("the feed could not be fetched: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webcal_is_https_and_other_schemes_are_refused() {
        assert_eq!(
            normalize("webcal://example.org/a.ics").map(|u| u.to_string()),
            Ok("https://example.org/a.ics".to_string())
        );
        assert!(normalize("ftp://example.org/a.ics").is_err());
        assert!(normalize("file:///etc/passwd").is_err());
        assert!(normalize("https://user:pw@example.org/a.ics").is_err());
        // Odd IPv4 spellings are read as the address they are.
        assert_eq!(
            normalize("http://0x7f000001/")
                .ok()
                .and_then(|u| u.host_str().map(str::to_string)),
            Some("127.0.0.1".to_string())
        );
    }

    #[test]
    fn gzip_is_undone_within_the_cap() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&[b'x'; 5000]).unwrap();
        let small = gz.finish().unwrap();
        assert_eq!(gunzip(&small, 5000).map(|b| b.len()), Ok(5000));
        assert_eq!(gunzip(&small, 4999), Err(FetchError::TooLarge(4999)));
        assert!(gunzip(b"not gzip", 100).is_err());
    }

    #[test]
    fn secret_feed_addresses_are_not_shown() {
        assert_eq!(
            shown_url(
                "https://calendar.google.com/calendar/ical/x%40group/private-0123abcd/basic.ics"
            ),
            None
        );
        assert_eq!(
            shown_url("https://example.org/feed.ics?key=secret"),
            Some("https://example.org/feed.ics".to_string())
        );
    }

    #[test]
    fn private_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "64:ff9b:1::a00:1",
            "::ffff:0:7f00:1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_public(ip), "{ip} taken as public");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_public(ip), "{ip} taken as private");
        }
    }
}
