//! The callback URL, validated once: an `http://` URL on this machine with an explicit port,
//! so that the listener can bind exactly what the developer console has registered. `init`
//! parses it from its flags, `login` and `doctor` from the stored profile, and the listener
//! takes nothing else.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::Url;

use crate::net::endpoints::is_loopback_host;

/// The port of the default callback URL, `http://127.0.0.1:8976/callback`.
pub(crate) const DEFAULT_PORT: u16 = 8976;

/// Why a callback URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    #[error("is not a URL: {0}")]
    NotAUrl(String),
    /// Not `http://` on a loopback host: jira-auth listens on this machine.
    #[error(
        "jira-auth listens on this machine, so the callback must be http://127.0.0.1:PORT/PATH, http://localhost:PORT/PATH or http://[::1]:PORT/PATH"
    )]
    NotLoopback,
    /// Binding port 0 would pick some free port, never the one in the registered URL.
    #[error(
        "port 0 cannot be registered as a callback; give the app's callback port (e.g. http://127.0.0.1:{DEFAULT_PORT}/callback)"
    )]
    PortZero,
    #[error("give an explicit port (e.g. http://127.0.0.1:{DEFAULT_PORT}/callback)")]
    NoPort,
    /// Port 80, which URLs drop as http's default: what jira-auth sends and what the console
    /// registered would differ (and listening there needs root).
    #[error(
        "port 80 is http's default, which URLs drop (http://127.0.0.1/callback), so the callback could not match the registered one exactly; use another port (e.g. {DEFAULT_PORT})"
    )]
    DefaultPort,
    #[error("the callback URL cannot have a query or fragment")]
    QueryOrFragment,
    /// `http://user:password@127.0.0.1:…`: nothing a browser should be sent to carry.
    #[error("the callback URL cannot have a user name or password")]
    UserInfo,
}

/// A callback URL jira-auth can listen on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri {
    url: Url,
    port: u16,
}

impl RedirectUri {
    pub fn parse(raw: &str) -> Result<RedirectUri, RedirectError> {
        let url = Url::parse(raw.trim()).map_err(|e| RedirectError::NotAUrl(e.to_string()))?;
        if url.scheme() != "http" || !is_loopback_host(&url) {
            return Err(RedirectError::NotLoopback);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(RedirectError::UserInfo);
        }
        let port = match url.port() {
            Some(0) => return Err(RedirectError::PortZero),
            Some(p) => p,
            // The URL parser drops http's default port: 80 written out is a port given, but
            // one no URL keeps, so the callback could never match the registered one exactly.
            None if explicit_default_port(raw.trim()) => return Err(RedirectError::DefaultPort),
            None => return Err(RedirectError::NoPort),
        };
        if url.query().is_some() || url.fragment().is_some() {
            return Err(RedirectError::QueryOrFragment);
        }
        Ok(RedirectUri { url, port })
    }

    /// `http://127.0.0.1:PORT/callback`.
    pub fn on_port(port: u16) -> Result<RedirectUri, RedirectError> {
        RedirectUri::parse(&format!("http://127.0.0.1:{port}/callback"))
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn path(&self) -> &str {
        self.url.path()
    }

    /// The `Host` header a browser following this URL sends.
    pub fn host_header(&self) -> String {
        let host = self.url.host_str().unwrap_or_default().to_ascii_lowercase();
        format!("{host}:{}", self.port)
    }

    /// The addresses to listen on: browsers may resolve `localhost` to either family, so it
    /// means both.
    pub fn listen_addrs(&self) -> Vec<IpAddr> {
        match self.url.host() {
            Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
            Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
            _ => vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
        }
    }
}

/// Whether the authority of `raw` (an http URL) ends in ":80".
fn explicit_default_port(raw: &str) -> bool {
    let rest = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.ends_with(":80")
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_with_a_port_is_accepted() {
        let r = RedirectUri::on_port(DEFAULT_PORT).unwrap();
        assert_eq!(r.as_str(), "http://127.0.0.1:8976/callback");
        assert_eq!(r.port(), 8976);
        let r = RedirectUri::parse(" http://localhost:7777/oauth/cb ").unwrap();
        assert_eq!(r.path(), "/oauth/cb");
        assert_eq!(r.host_header(), "localhost:7777");
        assert_eq!(r.listen_addrs().len(), 2, "localhost is both families");
        let r = RedirectUri::parse("http://[::1]:9/cb").unwrap();
        assert_eq!(r.host_header(), "[::1]:9");
        assert_eq!(r.listen_addrs(), [IpAddr::V6(Ipv6Addr::LOCALHOST)]);
    }

    #[test]
    fn everything_else_is_refused_with_its_reason() {
        for (raw, why) in [
            ("https://127.0.0.1:1/cb", RedirectError::NotLoopback),
            ("http://example.com:1/cb", RedirectError::NotLoopback),
            ("http://192.168.1.2:8976/cb", RedirectError::NotLoopback),
            ("http://127.0.0.1/cb", RedirectError::NoPort),
            ("http://127.0.0.1:0/cb", RedirectError::PortZero),
            ("http://localhost:1/cb?x=1", RedirectError::QueryOrFragment),
            ("http://localhost:1/cb#x", RedirectError::QueryOrFragment),
            ("http://user:pw@127.0.0.1:1/cb", RedirectError::UserInfo),
            ("http://user@127.0.0.1:1/cb", RedirectError::UserInfo),
            ("http://127.0.0.1/cb:80", RedirectError::NoPort),
            ("http://127.0.0.1:80/cb", RedirectError::DefaultPort),
        ] {
            assert_eq!(RedirectUri::parse(raw), Err(why), "{raw}");
        }
        assert!(matches!(
            RedirectUri::parse("not a url"),
            Err(RedirectError::NotAUrl(_))
        ));
        assert_eq!(RedirectUri::on_port(0), Err(RedirectError::PortZero));
        assert_eq!(RedirectUri::on_port(80), Err(RedirectError::DefaultPort));
    }
}
