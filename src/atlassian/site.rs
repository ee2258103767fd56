//! A Jira Cloud site as the command line names it (a subdomain, a URL or a cloud id), and what
//! a site answers without OAuth: its cloud id (`GET <site>/_edge/tenant_info`, no credentials)
//! and, for an API token, `/rest/api/3/myself` with Basic auth — on the site itself for a
//! classic token, only through the API gateway for a scoped one.

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::{ApiError, Auth, Myself, get_json};
use crate::net::endpoints::is_loopback_host;
use crate::net::{Endpoints, Http, Peer};

/// Atlassian's Cloud sites are `NAME.atlassian.net`.
const CLOUD_DOMAIN: &str = ".atlassian.net";

/// What `--site` (or `JIRA_AUTH_SITE`) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SiteRef {
    Url(SiteUrl),
    CloudId(String),
}

/// A site's address: its origin (scheme, host and port; a path, query or fragment pasted
/// from the browser's address bar is dropped), and the name it is shown by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteUrl {
    pub url: Url,
    /// The subdomain of an `atlassian.net` site, else the host.
    pub name: String,
}

impl SiteUrl {
    /// `https://acme.atlassian.net`, without a trailing slash.
    pub fn origin(&self) -> String {
        self.url.origin().ascii_serialization()
    }
}

/// Why a `--site` value names no site.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SiteRefError {
    #[error("it is empty")]
    Empty,
    #[error("it is not a subdomain (acme), a URL (https://acme.atlassian.net) or a cloud id")]
    NotASite,
    /// `http://` to a host that is not this machine: secrets would travel in clear text.
    #[error("plain http is only allowed for loopback hosts; use https")]
    PlainHttp,
    #[error("unsupported scheme '{0}'; use https")]
    Scheme(String),
}

/// Reads a site as people write it: `acme`, `acme.atlassian.net`,
/// `https://acme.atlassian.net/jira/your-work`, or a cloud id. Plain `http://` only for
/// loopback hosts (tests, a local proxy).
pub(crate) fn parse_site(raw: &str) -> Result<SiteRef, SiteRefError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(SiteRefError::Empty);
    }
    if is_cloud_id(raw) {
        return Ok(SiteRef::CloudId(raw.to_ascii_lowercase()));
    }
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else if raw.contains(['.', ':']) {
        format!("https://{raw}")
    } else if is_subdomain(raw) {
        format!("https://{}{CLOUD_DOMAIN}", raw.to_ascii_lowercase())
    } else {
        return Err(SiteRefError::NotASite);
    };
    let parsed = Url::parse(&with_scheme).map_err(|_| SiteRefError::NotASite)?;
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback_host(&parsed) => {}
        "http" => return Err(SiteRefError::PlainHttp),
        other => return Err(SiteRefError::Scheme(other.to_string())),
    }
    let host = match parsed.host_str() {
        Some(h) if !h.is_empty() => h.to_ascii_lowercase(),
        _ => return Err(SiteRefError::NotASite),
    };
    let name = host
        .strip_suffix(CLOUD_DOMAIN)
        .filter(|sub| is_subdomain(sub))
        .unwrap_or(&host)
        .to_string();
    let origin =
        Url::parse(&parsed.origin().ascii_serialization()).map_err(|_| SiteRefError::NotASite)?;
    Ok(SiteRef::Url(SiteUrl { url: origin, name }))
}

/// Cloud ids are UUIDs: 8-4-4-4-12 hexadecimal digits.
pub(crate) fn is_cloud_id(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// `GET <site>/_edge/tenant_info` (no credentials): `{"cloudId": "…"}`. Anything else than
/// such an answer means the address is not a Jira Cloud site.
pub(crate) async fn tenant_info(http: &Http, site: &SiteUrl) -> Result<String, ApiError> {
    #[derive(Deserialize)]
    struct TenantInfo {
        #[serde(rename = "cloudId")]
        cloud_id: String,
    }
    let url = site
        .url
        .join("_edge/tenant_info")
        .expect("an origin joined with a constant path is a URL");
    let unknown = |detail: String| ApiError::UnknownSite {
        url: site.origin(),
        detail,
    };
    match get_json::<TenantInfo>(
        http,
        "tenant_info",
        &Peer::Atlassian,
        url,
        Auth::None,
        "no cloudId",
    )
    .await
    {
        Ok(answer) if is_cloud_id(answer.value.cloud_id.trim()) => {
            Ok(answer.value.cloud_id.trim().to_ascii_lowercase())
        }
        Ok(_) => Err(unknown(
            "its /_edge/tenant_info did not give a cloud id".into(),
        )),
        Err(ApiError::Http(e)) => Err(ApiError::Http(e)),
        Err(ApiError::NotFound(_)) => Err(unknown("its /_edge/tenant_info answered 404".into())),
        Err(ApiError::Protocol { status, detail, .. }) => Err(unknown(format!(
            "its /_edge/tenant_info answered HTTP {status}, {detail}"
        ))),
        Err(other) => Err(unknown(format!("its /_edge/tenant_info: {other}"))),
    }
}

/// `GET {api_base_url}/rest/api/3/myself` with a whole `Authorization` header value: the
/// user (or service account) as the REST base of any credential sees them.
pub(crate) async fn myself_at(
    http: &Http,
    api_base_url: &str,
    authorization: &SecretString,
) -> Result<super::Dated<Myself>, ApiError> {
    let url = Url::parse(&format!(
        "{}/rest/api/3/myself",
        api_base_url.trim_end_matches('/')
    ))
    .map_err(|e| ApiError::Protocol {
        what: "Jira /myself",
        status: 0,
        detail: format!("the stored API base URL is not a URL: {e}"),
    })?;
    let auth = Auth::Header(authorization);
    get_json(
        http,
        "Jira /myself",
        &Peer::Atlassian,
        url,
        auth,
        "not the expected user object",
    )
    .await
}

/// An API token that works, and the REST base that took it: the site itself for a classic
/// token (`https://acme.atlassian.net`), the gateway (`…/ex/jira/{cloudId}`) for a scoped one.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedToken {
    pub api_base_url: String,
    /// Who the token belongs to; `None` when the gateway knew the token but it lacks the
    /// scope `/myself` needs (it still authenticates: the scopes it has may be enough).
    pub myself: Option<Myself>,
}

/// Proves an API token before it is stored: `/rest/api/3/myself` with `authorization`
/// (`Basic email:token`) on the site, which takes classic tokens, then through the gateway,
/// which takes scoped ones. The site cannot tell the two kinds apart from the token, and
/// neither can we.
pub(crate) async fn verify_api_token(
    http: &Http,
    endpoints: &Endpoints,
    site: &SiteUrl,
    cloud_id: &str,
    email: &str,
    authorization: &SecretString,
) -> Result<VerifiedToken, ApiError> {
    let myself = |what, url| {
        let auth = Auth::Header(authorization);
        get_json::<Myself>(
            http,
            what,
            &Peer::Atlassian,
            url,
            auth,
            "not the expected user object",
        )
    };
    let base = site.origin();
    let on_site = site
        .url
        .join("rest/api/3/myself")
        .expect("an origin joined with a constant path is a URL");
    match myself("the site's /myself", on_site).await {
        Ok(answer) => {
            return Ok(VerifiedToken {
                api_base_url: base,
                myself: Some(answer.value),
            });
        }
        // A scoped token is refused here; a site without Jira has no /myself: both may
        // still be answered by the gateway.
        Err(ApiError::Unauthorized(_) | ApiError::ScopeMismatch(_) | ApiError::NotFound(_)) => {}
        Err(other) => return Err(other),
    }
    let gateway = endpoints.jira_api_base(cloud_id);
    let through = endpoints.api(&format!("ex/jira/{cloud_id}/rest/api/3/myself"));
    let scoped = |who| VerifiedToken {
        api_base_url: gateway.to_string(),
        myself: who,
    };
    match myself("the gateway's /myself", through).await {
        Ok(answer) => Ok(scoped(Some(answer.value))),
        Err(ApiError::ScopeMismatch(_)) => Ok(scoped(None)),
        Err(ApiError::Unauthorized(_)) => Err(ApiError::ApiTokenRejected {
            email: email.to_string(),
            site: base,
        }),
        Err(ApiError::NotFound(_)) => Err(ApiError::UnknownSite {
            url: base,
            detail: format!(
                "it has no Jira (cloud id {cloud_id}: /rest/api/3/myself answered 404 on the site and through the gateway)"
            ),
        }),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(raw: &str) -> (String, String) {
        match parse_site(raw).unwrap() {
            SiteRef::Url(u) => (u.origin(), u.name),
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn sites_are_read_as_people_write_them() {
        let acme = ("https://acme.atlassian.net".to_string(), "acme".to_string());
        for raw in [
            "acme",
            " ACME ",
            "acme.atlassian.net",
            "https://acme.atlassian.net",
            "https://acme.atlassian.net/",
            "https://Acme.atlassian.net/jira/your-work?filter=1#top",
        ] {
            assert_eq!(url(raw), acme, "{raw}");
        }
        assert_eq!(
            url("http://127.0.0.1:8080/x"),
            ("http://127.0.0.1:8080".into(), "127.0.0.1".into())
        );
        assert_eq!(
            url("jira.example.com"),
            ("https://jira.example.com".into(), "jira.example.com".into())
        );
        assert_eq!(
            parse_site("1324A887-45db-1bf4-1e99-ef0ff456d421").unwrap(),
            SiteRef::CloudId("1324a887-45db-1bf4-1e99-ef0ff456d421".into())
        );
    }

    #[test]
    fn what_is_not_a_site_says_why() {
        assert_eq!(parse_site("  "), Err(SiteRefError::Empty));
        assert_eq!(
            parse_site("http://acme.atlassian.net"),
            Err(SiteRefError::PlainHttp)
        );
        assert_eq!(
            parse_site("ftp://acme.atlassian.net"),
            Err(SiteRefError::Scheme("ftp".into()))
        );
        for bad in ["acme corp", "-acme", "ac/me", "https://"] {
            assert_eq!(parse_site(bad), Err(SiteRefError::NotASite), "{bad}");
        }
    }

    #[test]
    fn cloud_ids_are_uuids() {
        assert!(is_cloud_id("0f3c9a4e-7d1b-4c2a-9e58-ac3e00000001"));
        assert!(!is_cloud_id("0f3c9a4e-7d1b-4c2a-9e58"));
        assert!(!is_cloud_id("0f3c9a4e-7d1b-4c2a-9e58-ac3e0000000g"));
    }
}
