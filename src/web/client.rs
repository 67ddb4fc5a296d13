//! Who is asking: the client's address, believed from `X-Forwarded-For` only when the request
//! comes from a trusted reverse proxy, and the keyed hash the rate limits use instead of it.

use std::net::IpAddr;

use actix_web::http::header;
use actix_web::HttpRequest;

use crate::config::Settings;
use crate::state::AppState;

/// The client's address. When the peer is a trusted proxy, it is the right-most address of
/// `X-Forwarded-For` that is not a trusted proxy (each proxy appends the address it saw, so
/// everything to the left of that was written by the client and cannot be believed). If every
/// address is trusted, the left-most one. Otherwise the header is ignored.
pub fn client_ip(req: &HttpRequest, settings: &Settings) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip().to_canonical();
    if !settings.is_trusted_proxy(peer) {
        return Some(peer);
    }
    let mut client = peer;
    let hops = req
        .headers()
        .get_all(header::X_FORWARDED_FOR)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            // Not an address: nothing further left can be believed.
            break;
        };
        client = ip;
        if !settings.is_trusted_proxy(ip) {
            break;
        }
    }
    Some(client)
}

/// `203.0.113.7`, `2001:db8::1`, `[2001:db8::1]:443`, `203.0.113.7:5000`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|s| s.ip().to_canonical())
}

/// What the limiters key on for this request: a keyed hash of the client's address (see
/// `limit::AddressKeys`); never the address itself.
pub fn client_key(req: &HttpRequest, state: &AppState) -> String {
    match client_ip(req, &state.settings) {
        Some(ip) => state.addresses.key(ip),
        None => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn settings(trusted: &[&str]) -> Settings {
        let mut s = Settings::load(None).expect("defaults");
        s.trusted_proxies = trusted.iter().map(|t| t.to_string()).collect();
        s.validate().expect("valid")
    }

    fn request(peer: &str, xff: &[&str]) -> HttpRequest {
        let mut r = TestRequest::default().peer_addr(peer.parse().expect("socket address"));
        for v in xff {
            r = r.append_header((header::X_FORWARDED_FOR, *v));
        }
        r.to_http_request()
    }

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_trusted() {
        let none = settings(&[]);
        let r = request("198.51.100.1:1234", &["203.0.113.7"]);
        assert_eq!(client_ip(&r, &none), ip("198.51.100.1"));
        let other = settings(&["10.0.0.0/8"]);
        assert_eq!(client_ip(&r, &other), ip("198.51.100.1"));
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_address_is_the_client() {
        let s = settings(&["10.0.0.0/8"]);
        // The client wrote a fake address; the proxy appended the real one.
        let r = request("10.0.0.2:1234", &["6.6.6.6, 203.0.113.7"]);
        assert_eq!(client_ip(&r, &s), ip("203.0.113.7"));
        // Two proxies, the inner one trusted too; headers split over several lines.
        let r = request("10.0.0.2:1234", &["6.6.6.6", "203.0.113.7, 10.0.0.9"]);
        assert_eq!(client_ip(&r, &s), ip("203.0.113.7"));
        // Garbage to the right of the proxy's own entry stops the walk at the last good hop.
        let r = request("10.0.0.2:1234", &["203.0.113.7, nonsense"]);
        assert_eq!(client_ip(&r, &s), ip("10.0.0.2"));
        // No header: the proxy itself.
        let r = request("10.0.0.2:1234", &[]);
        assert_eq!(client_ip(&r, &s), ip("10.0.0.2"));
        // Everything trusted: the left-most.
        let r = request("10.0.0.2:1234", &["10.0.0.5, 10.0.0.9"]);
        assert_eq!(client_ip(&r, &s), ip("10.0.0.5"));
        // Ports and brackets.
        let r = request("10.0.0.2:1234", &["[2001:db8::1]:443"]);
        assert_eq!(client_ip(&r, &s), ip("2001:db8::1"));
    }
}
