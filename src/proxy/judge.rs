//! What the proxy lets through, decided from the request head alone (pure, unit-tested):
//! the method and the form of its target, `Host` and `Origin`, the per-run key, and the path
//! joined to the upstream base. A request that fails any of these is answered by the proxy
//! and never forwarded.

use base64::Engine as _;
use hyper::header::{AUTHORIZATION, HOST, HeaderMap, ORIGIN};
use hyper::{Method, Uri};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use url::Url;

/// Why a request is answered by the proxy instead of being forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `CONNECT`: the proxy tunnels nothing.
    Connect,
    /// `GET http://elsewhere/…`: the proxy relays to its one upstream only.
    AbsoluteForm,
    /// `Host` names another machine than the proxy's own address (DNS rebinding).
    ForeignHost,
    /// A web page of another origin (its `Origin` header).
    ForeignOrigin,
    /// No `Authorization` header with the per-run key.
    NoKey,
    /// An `Authorization` header with something else than the per-run key.
    WrongKey,
    /// A path that could leave the upstream base: `..`, `.`, `//`, encoded slashes or dots,
    /// backslashes.
    Path,
}

impl Refusal {
    pub(crate) fn status(self) -> u16 {
        match self {
            Refusal::Connect => 405,
            Refusal::AbsoluteForm | Refusal::Path => 400,
            Refusal::ForeignHost => 421,
            Refusal::ForeignOrigin => 403,
            Refusal::NoKey | Refusal::WrongKey => 401,
        }
    }

    /// The machine-readable name, in the error body.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Refusal::Connect => "proxy_method_refused",
            Refusal::AbsoluteForm => "proxy_absolute_target_refused",
            Refusal::ForeignHost => "proxy_host_refused",
            Refusal::ForeignOrigin => "proxy_origin_refused",
            Refusal::NoKey => "proxy_key_missing",
            Refusal::WrongKey => "proxy_key_wrong",
            Refusal::Path => "proxy_path_refused",
        }
    }

    pub(crate) fn message(self) -> &'static str {
        match self {
            Refusal::Connect => "CONNECT is not served: this is a Jira endpoint, not a tunnel",
            Refusal::AbsoluteForm => {
                "absolute request targets are not served: send the path only (this proxy forwards to its own Jira only)"
            }
            Refusal::ForeignHost => {
                "the Host header names another address than this proxy's own (a DNS-rebinding request?)"
            }
            Refusal::ForeignOrigin => "requests from web pages of other origins are refused",
            Refusal::NoKey => {
                "no proxy key: send `Authorization: Bearer <key>` with the key `jira-auth proxy` printed (JIRA_PERSONAL_TOKEN, JIRA_API_TOKEN and JIRA_ACCESS_TOKEN hold it in its command's environment)"
            }
            Refusal::WrongKey => {
                "wrong proxy key: the key changes every time `jira-auth proxy` starts; use the one this run printed"
            }
            Refusal::Path => {
                "a path with `..`, `.`, `//`, an encoded slash, dot or backslash is refused: it could leave the Jira base"
            }
        }
    }
}

/// The per-run key: 256 random bits, base64url. It lives in this process's memory and in
/// the environment of the command it starts (or on its stdout) only.
pub(crate) struct Key(SecretString);

impl Key {
    pub(crate) fn generate() -> Key {
        use rand::RngCore as _;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        bytes.fill(0);
        Key(SecretString::from(text))
    }

    pub(crate) fn secret(&self) -> &SecretString {
        &self.0
    }

    /// Whether `presented` is this key, in constant time (a length difference is not
    /// hidden; every key has the same length).
    fn is(&self, presented: &[u8]) -> bool {
        bool::from(presented.ct_eq(self.0.expose_secret().as_bytes()))
    }

    /// The request's `Authorization`: `Bearer KEY`, or `Basic` with KEY as the password
    /// (any user name), for clients that only speak Basic.
    fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let mut values = headers.get_all(AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err(Refusal::NoKey);
        };
        let value = value.as_bytes();
        let Some(space) = value.iter().position(|b| *b == b' ') else {
            return Err(Refusal::WrongKey);
        };
        let (scheme, rest) = (&value[..space], value[space + 1..].trim_ascii());
        if scheme.eq_ignore_ascii_case(b"bearer") {
            return if self.is(rest) {
                Ok(())
            } else {
                Err(Refusal::WrongKey)
            };
        }
        if scheme.eq_ignore_ascii_case(b"basic") {
            let Ok(mut decoded) = base64::engine::general_purpose::STANDARD.decode(rest) else {
                return Err(Refusal::WrongKey);
            };
            let ok = decoded
                .iter()
                .position(|b| *b == b':')
                .is_some_and(|colon| self.is(&decoded[colon + 1..]));
            decoded.fill(0);
            return if ok { Ok(()) } else { Err(Refusal::WrongKey) };
        }
        Err(Refusal::WrongKey)
    }
}

/// The proxy's own names: the `Host` values and `Origin`s that are its own.
#[derive(Debug, Clone)]
pub(crate) struct Own {
    /// `127.0.0.1:PORT`, `localhost:PORT`; `None` on a Unix socket, which no web page can
    /// reach and whose clients send whatever Host they like.
    pub hosts: Option<Vec<String>>,
}

impl Own {
    /// The names of a TCP listener on `addr`.
    pub(crate) fn tcp(addr: std::net::SocketAddr) -> Own {
        let port = addr.port();
        let mut hosts = vec![addr.to_string(), format!("localhost:{port}")];
        if addr.ip().is_ipv4() {
            hosts.push(format!("127.0.0.1:{port}"));
        } else {
            hosts.push(format!("[::1]:{port}"));
        }
        hosts.dedup();
        Own { hosts: Some(hosts) }
    }

    #[cfg(unix)]
    pub(crate) fn socket() -> Own {
        Own { hosts: None }
    }

    fn host_ok(&self, headers: &HeaderMap) -> bool {
        let Some(hosts) = &self.hosts else {
            return true;
        };
        let mut values = headers.get_all(HOST).iter();
        match (values.next(), values.next()) {
            (Some(v), None) => v
                .to_str()
                .is_ok_and(|v| hosts.iter().any(|h| h.eq_ignore_ascii_case(v.trim()))),
            _ => false,
        }
    }

    /// No `Origin` (every client but a browser), or one of the proxy's own.
    fn origin_ok(&self, headers: &HeaderMap) -> bool {
        let mut values = headers.get_all(ORIGIN).iter();
        let Some(value) = values.next() else {
            return true;
        };
        if values.next().is_some() {
            return false;
        }
        let Some(hosts) = &self.hosts else {
            // On a socket, only a page could send one, and none can reach it.
            return false;
        };
        value.to_str().is_ok_and(|v| {
            v.strip_prefix("http://")
                .is_some_and(|h| hosts.iter().any(|own| own.eq_ignore_ascii_case(h)))
        })
    }
}

/// Everything about a request that does not depend on its body: `Ok` to forward it.
pub(crate) fn judge(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    own: &Own,
    key: &Key,
) -> Result<(), Refusal> {
    if method == Method::CONNECT {
        return Err(Refusal::Connect);
    }
    if uri.scheme().is_some() || uri.authority().is_some() {
        return Err(Refusal::AbsoluteForm);
    }
    if !own.host_ok(headers) {
        return Err(Refusal::ForeignHost);
    }
    if !own.origin_ok(headers) {
        return Err(Refusal::ForeignOrigin);
    }
    key.check(headers)
}

/// The upstream URL of a request for `path_and_query` (origin-form): `base` joined with a
/// path that cannot climb out of it. A path already under the base's own path (the gateway's
/// `/ex/jira/CLOUD_ID/…`, a Data Center context path, as `self` links carry them) is taken
/// as it is, not doubled.
pub(crate) fn upstream_url(base: &Url, path_and_query: &str) -> Result<Url, Refusal> {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    check_path(path)?;
    let base_path = base.path().trim_end_matches('/');
    let relative = if !base_path.is_empty()
        && (path == base_path
            || path
                .strip_prefix(base_path)
                .is_some_and(|rest| rest.starts_with('/')))
    {
        &path[base_path.len()..]
    } else {
        path
    };
    let mut url = base.clone();
    url.set_path(&format!("{base_path}{relative}"));
    url.set_query(query);
    url.set_fragment(None);
    // Belt and braces: whatever the path was, the result is on the base's origin, under its
    // path.
    let same_origin = url.scheme() == base.scheme()
        && url.host() == base.host()
        && url.port_or_known_default() == base.port_or_known_default();
    if !same_origin || !url.path().starts_with(base_path) {
        return Err(Refusal::Path);
    }
    Ok(url)
}

/// A path of segments that are names: no `.` or `..` (plain or percent-encoded), no empty
/// segment but a trailing one, no backslash, no encoded slash or backslash.
fn check_path(path: &str) -> Result<(), Refusal> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(Refusal::Path);
    };
    let lower = rest.to_ascii_lowercase();
    if lower.contains('\\') || lower.contains("%2f") || lower.contains("%5c") {
        return Err(Refusal::Path);
    }
    let segments: Vec<&str> = lower.split('/').collect();
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        if segment.is_empty() && i != last {
            return Err(Refusal::Path);
        }
        let dots = segment.replace("%2e", ".");
        if dots == "." || dots == ".." {
            return Err(Refusal::Path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key(SecretString::from("k".repeat(43)))
    }

    fn own() -> Own {
        Own::tcp("127.0.0.1:4000".parse().unwrap())
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }

    fn judged(method: &str, target: &str, pairs: &[(&str, &str)]) -> Result<(), Refusal> {
        let bearer = format!("Bearer {}", "k".repeat(43));
        let mut all = vec![
            ("host", "127.0.0.1:4000"),
            ("authorization", bearer.as_str()),
        ];
        all.retain(|(k, _)| !pairs.iter().any(|(p, _)| p == k));
        all.extend(pairs.iter().copied());
        all.retain(|(_, v)| !v.is_empty());
        judge(
            &method.parse().unwrap(),
            &target.parse().unwrap(),
            &headers(&all),
            &own(),
            &key(),
        )
    }

    #[test]
    fn a_keyed_request_for_this_address_passes() {
        assert_eq!(judged("GET", "/rest/api/3/myself", &[]), Ok(()));
        assert_eq!(
            judged("GET", "/rest/api/3/myself", &[("host", "localhost:4000")]),
            Ok(())
        );
        assert_eq!(
            judged(
                "POST",
                "/rest/api/3/issue",
                &[("origin", "http://127.0.0.1:4000")]
            ),
            Ok(())
        );
    }

    #[test]
    fn the_key_is_required_as_bearer_or_basic_password() {
        assert_eq!(
            judged("GET", "/", &[("authorization", "")]),
            Err(Refusal::NoKey)
        );
        assert_eq!(
            judged("GET", "/", &[("authorization", "Bearer nope")]),
            Err(Refusal::WrongKey)
        );
        assert_eq!(
            judged("GET", "/", &[("authorization", "Token kkk")]),
            Err(Refusal::WrongKey)
        );
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.format_basic("me@x", &"k".repeat(43))
        );
        assert_eq!(judged("GET", "/", &[("authorization", &basic)]), Ok(()));
        let wrong = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.format_basic("me@x", "k")
        );
        assert_eq!(
            judged("GET", "/", &[("authorization", &wrong)]),
            Err(Refusal::WrongKey)
        );
    }

    trait Basic {
        fn format_basic(&self, user: &str, password: &str) -> String;
    }
    impl Basic for base64::engine::GeneralPurpose {
        fn format_basic(&self, user: &str, password: &str) -> String {
            self.encode(format!("{user}:{password}"))
        }
    }

    #[test]
    fn other_hosts_origins_connect_and_absolute_targets_are_refused() {
        assert_eq!(
            judged("GET", "/", &[("host", "evil.example:4000")]),
            Err(Refusal::ForeignHost)
        );
        assert_eq!(
            judged("GET", "/", &[("host", "127.0.0.1:4001")]),
            Err(Refusal::ForeignHost)
        );
        assert_eq!(
            judged("GET", "/", &[("host", "")]),
            Err(Refusal::ForeignHost)
        );
        assert_eq!(
            judged("GET", "/", &[("origin", "https://evil.example")]),
            Err(Refusal::ForeignOrigin)
        );
        assert_eq!(
            judged("GET", "/", &[("origin", "null")]),
            Err(Refusal::ForeignOrigin)
        );
        assert_eq!(
            judged("CONNECT", "evil.example:443", &[]),
            Err(Refusal::Connect)
        );
        assert_eq!(
            judged("GET", "http://evil.example/rest", &[]),
            Err(Refusal::AbsoluteForm)
        );
        // A socket has no Host to check, and no page can send an Origin to it.
        let socket = Own { hosts: None };
        let bearer = format!("Bearer {}", "k".repeat(43));
        let h = headers(&[("host", "anything"), ("authorization", &bearer)]);
        assert_eq!(
            judge(&Method::GET, &"/".parse().unwrap(), &h, &socket, &key()),
            Ok(())
        );
    }

    #[test]
    fn paths_join_under_the_base_and_never_leave_it() {
        let gateway = Url::parse("https://api.example/ex/jira/c1").unwrap();
        let join = |p: &str| upstream_url(&gateway, p).map(|u| u.to_string());
        assert_eq!(
            join("/rest/api/3/myself?x=1").unwrap(),
            "https://api.example/ex/jira/c1/rest/api/3/myself?x=1"
        );
        assert_eq!(
            join("/ex/jira/c1/rest/api/3/issue/A-1").unwrap(),
            "https://api.example/ex/jira/c1/rest/api/3/issue/A-1"
        );
        assert_eq!(
            join("/rest/api/2/search?jql=project%20%3D%20A").unwrap(),
            "https://api.example/ex/jira/c1/rest/api/2/search?jql=project%20%3D%20A"
        );
        for escape in [
            "/../c2/rest",
            "/rest/../../c2",
            "/rest/%2e%2e/%2E%2E/x",
            "/rest/.%2e/x",
            "/rest/./x",
            "//evil.example/rest",
            "/rest//x",
            "/rest/%2fevil",
            "/rest\\..\\x",
            "/rest/%5c..",
            "rest",
        ] {
            assert_eq!(join(escape), Err(Refusal::Path), "{escape}");
        }
        let site = Url::parse("https://acme.atlassian.net").unwrap();
        assert_eq!(
            upstream_url(&site, "/rest/api/3/myself").unwrap().as_str(),
            "https://acme.atlassian.net/rest/api/3/myself"
        );
        let dc = Url::parse("http://127.0.0.1:9/jira").unwrap();
        assert_eq!(
            upstream_url(&dc, "/jira/rest/api/2/myself")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/jira/rest/api/2/myself"
        );
        assert_eq!(
            upstream_url(&dc, "/jirafoo").unwrap().as_str(),
            "http://127.0.0.1:9/jira/jirafoo"
        );
    }

    #[test]
    fn keys_are_256_random_bits() {
        let (a, b) = (Key::generate(), Key::generate());
        assert_eq!(a.secret().expose_secret().len(), 43);
        assert_ne!(a.secret().expose_secret(), b.secret().expose_secret());
    }
}
