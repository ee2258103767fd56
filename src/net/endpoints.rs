//! Where Atlassian is: the real hosts, or (tests, proxies, the sandbox) the base URLs the
//! settings name, and the paths below them.

use url::Url;

pub(crate) const DEFAULT_AUTH_URL: &str = "https://auth.atlassian.com";
pub(crate) const DEFAULT_API_URL: &str = "https://api.atlassian.com";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// auth.atlassian.com: consent and the token endpoint.
    pub auth: Url,
    /// api.atlassian.com: accessible-resources, /me, and the Jira REST gateway.
    pub api: Url,
}

impl Endpoints {
    /// Atlassian's own hosts.
    pub fn atlassian() -> Endpoints {
        Endpoints {
            auth: Url::parse(DEFAULT_AUTH_URL).expect("a valid constant"),
            api: Url::parse(DEFAULT_API_URL).expect("a valid constant"),
        }
    }

    /// These are Atlassian's own hosts (no JIRA_AUTH_AUTH_URL or JIRA_AUTH_API_URL elsewhere).
    pub fn are_atlassians(&self) -> bool {
        let real = Endpoints::atlassian();
        self.auth == real.auth && self.api == real.api
    }

    /// The same servers, a trailing slash or not (`https://proxy/atl` is `https://proxy/atl/`).
    pub fn same_servers(&self, other: &Endpoints) -> bool {
        let text = |u: &Url| u.as_str().trim_end_matches('/').to_string();
        text(&self.auth) == text(&other.auth) && text(&self.api) == text(&other.api)
    }

    pub fn authorize(&self) -> Url {
        join(&self.auth, "authorize")
    }

    pub fn token(&self) -> Url {
        join(&self.auth, "oauth/token")
    }

    /// `path` is relative to the API base, without a leading slash.
    pub fn api(&self, path: &str) -> Url {
        join(&self.api, path)
    }

    /// The REST base of a Cloud site, e.g. `https://api.atlassian.com/ex/jira/CLOUD_ID`.
    pub fn jira_api_base(&self, cloud_id: &str) -> Url {
        self.api(&format!("ex/jira/{cloud_id}"))
    }
}

fn join(base: &Url, path: &str) -> Url {
    let mut s = base.as_str().trim_end_matches('/').to_string();
    s.push('/');
    s.push_str(path);
    Url::parse(&s).expect("a valid base URL joined with a constant path is valid")
}

/// Why a base URL is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BaseUrlError {
    NotAUrl(String),
    /// `http://` to a host that is not this machine: secrets would travel in clear text.
    PlainHttp,
    Scheme(String),
    QueryOrFragment,
}

/// Checks a base URL: https, or plain http on loopback only; no query or fragment.
pub(crate) fn base_url(raw: &str) -> Result<Url, BaseUrlError> {
    let url = Url::parse(raw).map_err(|e| BaseUrlError::NotAUrl(e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&url) => {}
        "http" => return Err(BaseUrlError::PlainHttp),
        other => return Err(BaseUrlError::Scheme(other.to_string())),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(BaseUrlError::QueryOrFragment);
    }
    Ok(url)
}

pub(crate) fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoints() -> Endpoints {
        Endpoints::atlassian()
    }

    #[test]
    fn paths_join_with_or_without_a_trailing_slash() {
        assert_eq!(
            endpoints().api("oauth/token/accessible-resources").as_str(),
            "https://api.atlassian.com/oauth/token/accessible-resources"
        );
        assert_eq!(
            endpoints().token().as_str(),
            "https://auth.atlassian.com/oauth/token"
        );
        assert_eq!(
            endpoints().jira_api_base("c1").as_str(),
            "https://api.atlassian.com/ex/jira/c1"
        );
    }

    #[test]
    fn loopback_hosts() {
        for ok in ["http://127.0.0.1:1", "http://localhost:2", "http://[::1]:3"] {
            assert!(is_loopback_host(&Url::parse(ok).unwrap()), "{ok}");
        }
        assert!(!is_loopback_host(
            &Url::parse("http://example.com").unwrap()
        ));
        assert!(!is_loopback_host(
            &Url::parse("http://127.example.com").unwrap()
        ));
    }

    #[test]
    fn base_urls() {
        assert!(base_url("https://auth.example.com/x").is_ok());
        assert!(base_url("http://localhost:8080").is_ok());
        assert_eq!(base_url("http://example.com"), Err(BaseUrlError::PlainHttp));
        assert_eq!(
            base_url("file:///etc"),
            Err(BaseUrlError::Scheme("file".into()))
        );
        assert_eq!(
            base_url("https://a.example#x"),
            Err(BaseUrlError::QueryOrFragment)
        );
        assert!(matches!(base_url("::"), Err(BaseUrlError::NotAUrl(_))));
    }
}
