//! Atlassian's API side: accessible-resources and the choice of site among them, and the
//! "who am I" probes (`/myself` of a Jira site, `/me` of the User Identity API); site.rs has
//! what a site answers without OAuth (its cloud id, an API token's `/myself`); datacenter.rs
//! which deployment a site is, and what a Data Center instance answers.

pub(crate) mod datacenter;
pub(crate) mod site;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::net::{Endpoints, Http, HttpError, Peer, Retry};

/// One entry of `GET /oauth/token/accessible-resources`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Resource {
    /// The cloud id.
    pub id: String,
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default, rename = "avatarUrl")]
    pub avatar_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Atlassian refused the access token ({0})")]
    Unauthorized(String),
    /// Atlassian's `401 {"message": "Unauthorized; scope does not match"}`: the token is
    /// fine, but it was not granted a scope this call needs.
    #[error(
        "{0}: Atlassian answered 401 \"scope does not match\": the token lacks a scope this call needs"
    )]
    ScopeMismatch(&'static str),
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("{what}: unexpected response from Atlassian (HTTP {status}, {detail})")]
    Protocol {
        what: &'static str,
        status: u16,
        detail: String,
    },
    /// For `/myself`: the site is unknown or no longer accessible with this grant.
    #[error("{0} answered 404: the site is not accessible with this grant")]
    NotFound(&'static str),
    /// What `--site` names is not a Jira Cloud site (site.rs: tenant_info, `/myself`).
    #[error("{url} is not a Jira Cloud site: {detail}")]
    UnknownSite { url: String, detail: String },
    /// An API token that neither the site (classic tokens) nor the API gateway (scoped
    /// tokens) accepted with this email.
    #[error(
        "the API token was not accepted for {email}: neither {site} (classic API tokens) nor Atlassian's API gateway (scoped API tokens) took it"
    )]
    ApiTokenRejected { email: String, site: String },
    /// `--deployment data-center` for a `*.atlassian.net` site.
    #[error("{url} is a Jira Cloud site (every *.atlassian.net site is), not Data Center")]
    AlwaysCloud { url: String },
    /// What `--site` names answers no Jira REST API (datacenter.rs: serverInfo).
    #[error("{url} is not a Jira site jira-auth can reach: {detail}")]
    NotJira { url: String, detail: String },
    /// A personal access token the Data Center instance refused (401 on `/myself`).
    #[error("{site} did not accept the personal access token (401 on /rest/api/2/myself)")]
    PatRejected { site: String },
}

/// Sorts a response that is not a success. The body is read only for Atlassian's error
/// `message`, and only the known "scope does not match" text is acted on.
fn api_error(what: &'static str, status: reqwest::StatusCode, body: &[u8]) -> ApiError {
    #[derive(Deserialize)]
    struct ErrorBody {
        #[serde(default)]
        message: String,
    }
    let message = serde_json::from_slice::<ErrorBody>(body)
        .map(|b| b.message)
        .unwrap_or_default();
    if status == reqwest::StatusCode::UNAUTHORIZED
        && message
            .to_ascii_lowercase()
            .contains("scope does not match")
    {
        return ApiError::ScopeMismatch(what);
    }
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        return ApiError::Unauthorized(format!("{what} answered {status}"));
    }
    ApiError::Protocol {
        what,
        status: status.as_u16(),
        detail: "not a success".into(),
    }
}

pub(crate) async fn accessible_resources(
    http: &Http,
    endpoints: &Endpoints,
    token: &SecretString,
) -> Result<Vec<Resource>, ApiError> {
    Ok(accessible_resources_dated(http, endpoints, token)
        .await?
        .value)
}

/// An answer with the server's `Date` header, which `doctor` compares with the local clock.
#[derive(Debug, Clone)]
pub(crate) struct Dated<T> {
    pub value: T,
    pub date: Option<OffsetDateTime>,
    /// The local clock when the answer arrived.
    pub received_at: OffsetDateTime,
}

/// As `accessible_resources`, keeping the server's `Date`.
pub(crate) async fn accessible_resources_dated(
    http: &Http,
    endpoints: &Endpoints,
    token: &SecretString,
) -> Result<Dated<Vec<Resource>>, ApiError> {
    const WHAT: &str = "accessible-resources";
    let url = endpoints.api("oauth/token/accessible-resources");
    get_json(
        http,
        WHAT,
        &Peer::Atlassian,
        url,
        Auth::Bearer(token),
        "not the expected array of sites",
    )
    .await
    // No site is involved here: a 404 means the API base URL is wrong, not a lost site.
    .map_err(|e| match e {
        ApiError::NotFound(what) => ApiError::Protocol {
            what,
            status: 404,
            detail: "not a success".into(),
        },
        other => other,
    })
}

/// `GET {api}/ex/jira/{cloudid}/rest/api/3/myself`: the user as the Jira site sees them.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Myself {
    #[serde(rename = "accountId")]
    pub account_id: String,
    #[serde(rename = "displayName", default)]
    pub display_name: String,
    /// Hidden by the user's profile visibility settings, or by the app's scopes.
    #[serde(rename = "emailAddress", default)]
    pub email_address: Option<String>,
}

/// `GET {api}/me` (User Identity API, scope read:me).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Me {
    pub account_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
}

pub(crate) async fn myself(
    http: &Http,
    endpoints: &Endpoints,
    cloud_id: &str,
    token: &SecretString,
) -> Result<Dated<Myself>, ApiError> {
    let url = endpoints.api(&format!("ex/jira/{cloud_id}/rest/api/3/myself"));
    get_json(
        http,
        "Jira /myself",
        &Peer::Atlassian,
        url,
        Auth::Bearer(token),
        "not the expected user object",
    )
    .await
}

pub(crate) async fn me(
    http: &Http,
    endpoints: &Endpoints,
    token: &SecretString,
) -> Result<Dated<Me>, ApiError> {
    get_json(
        http,
        "/me",
        &Peer::Atlassian,
        endpoints.api("me"),
        Auth::Bearer(token),
        "not the expected user object",
    )
    .await
}

/// How a request proves who it is.
#[derive(Clone, Copy)]
enum Auth<'a> {
    /// Nothing: `tenant_info` needs no credentials.
    None,
    Bearer(&'a SecretString),
    /// A whole `Authorization` header value (`Basic …` of an API token).
    Header(&'a SecretString),
}

/// A GET whose 2xx body is JSON of type `T`. Bodies never reach an error message: a
/// misbehaving proxy could echo the Authorization header into one.
async fn get_json<T: serde::de::DeserializeOwned>(
    http: &Http,
    what: &'static str,
    peer: &Peer,
    url: url::Url,
    auth: Auth<'_>,
    shape: &str,
) -> Result<Dated<T>, ApiError> {
    let resp = http
        .send(what, peer, Retry::Safe, |c| {
            let rb = c
                .get(url.clone())
                .header(reqwest::header::ACCEPT, "application/json");
            match auth {
                Auth::None => rb,
                Auth::Bearer(token) => rb.bearer_auth(token.expose_secret()),
                Auth::Header(value) => {
                    match reqwest::header::HeaderValue::from_str(value.expose_secret()) {
                        Ok(mut v) => {
                            v.set_sensitive(true);
                            rb.header(reqwest::header::AUTHORIZATION, v)
                        }
                        // Not a valid header value: sent without it, the server says 401.
                        Err(_) => rb,
                    }
                }
            }
        })
        .await?;
    let received_at = OffsetDateTime::now_utc();
    let status = resp.status();
    let date = resp
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date);
    let bytes = resp.bytes().await.map_err(|e| ApiError::Protocol {
        what,
        status: status.as_u16(),
        detail: http.describe(&e),
    })?;
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(ApiError::NotFound(what));
    }
    if !status.is_success() {
        return Err(api_error(what, status, &bytes));
    }
    // The serde error names a line and column, never the content.
    let value = serde_json::from_slice(&bytes).map_err(|e| ApiError::Protocol {
        what,
        status: status.as_u16(),
        detail: if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() {
            format!(
                "JSON but {shape} (line {}, column {})",
                e.line(),
                e.column()
            )
        } else {
            "not JSON".into()
        },
    })?;
    Ok(Dated {
        value,
        date,
        received_at,
    })
}

/// An RFC 9110 `Date` (IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`); the obsolete
/// forms are not worth a dependency: every server we talk to sends this one.
pub(crate) fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    // Built at run time: time's `macros` feature is not enabled, and this runs once per call.
    let format = time::format_description::parse_borrowed::<2>(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT",
    )
    .expect("a valid format description");
    time::PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(|t| t.assume_utc())
}

/// How a site is named on the command line: subdomain, URL, or cloud id.
pub(crate) fn matches(res: &Resource, wanted: &str) -> bool {
    let wanted = wanted.trim();
    if wanted.is_empty() {
        return false;
    }
    if res.id.eq_ignore_ascii_case(wanted) {
        return true;
    }
    let host = |s: &str| -> Option<String> {
        let with_scheme = if s.contains("://") {
            s.to_string()
        } else {
            format!("https://{s}")
        };
        url::Url::parse(&with_scheme)
            .ok()?
            .host_str()
            .map(|h| h.to_ascii_lowercase())
    };
    let res_host = host(&res.url);
    if wanted.contains('.') || wanted.contains("://") {
        return res_host.is_some() && host(wanted) == res_host;
    }
    let sub = wanted.to_ascii_lowercase();
    res_host.as_deref() == Some(&format!("{sub}.atlassian.net"))
        || res.name.eq_ignore_ascii_case(&sub)
}

/// "acme  https://acme.atlassian.net  (cloud id …)" for each of `sites`, names and URLs
/// padded into columns: a list to read down.
pub(crate) fn describe_all<'a>(sites: impl IntoIterator<Item = &'a Resource>) -> Vec<String> {
    let sites: Vec<&Resource> = sites.into_iter().collect();
    let width = |f: fn(&Resource) -> &str| sites.iter().map(|r| f(r).chars().count()).max();
    let (names, urls) = (
        width(|r| &r.name).unwrap_or(0),
        width(|r| &r.url).unwrap_or(0),
    );
    sites
        .iter()
        .map(|r| format!("{:<names$}  {:<urls$}  (cloud id {})", r.name, r.url, r.id))
        .collect()
}

/// Whether `raw` can name a site at all (a subdomain or site name, a URL, a cloud id), so
/// that a mistyped `--site` is refused before the consent it would otherwise waste.
pub(crate) fn check_site_form(raw: &str) -> Result<(), SiteError> {
    let wanted = raw.trim();
    let not_a_site = || SiteError::NotASite {
        given: raw.to_string(),
    };
    if wanted.is_empty() {
        return Err(not_a_site());
    }
    let looks_like_url = wanted.contains(['.', ':', '/']);
    if !looks_like_url {
        // A subdomain, a site name or a cloud id (a UUID).
        let plain = wanted
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
        return if plain { Ok(()) } else { Err(not_a_site()) };
    }
    let text = if wanted.contains("://") {
        wanted.to_string()
    } else {
        format!("https://{wanted}")
    };
    let url = url::Url::parse(&text).map_err(|_| not_a_site())?;
    let site_like = matches!(url.scheme(), "https" | "http")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none()
        && matches!(url.path(), "" | "/")
        && url.query().is_none()
        && url.fragment().is_none();
    if site_like { Ok(()) } else { Err(not_a_site()) }
}

/// Why no single site could be picked.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// Not the form of any site name: caught before consent.
    #[error("'{given}' is not a site")]
    NotASite { given: String },
    #[error("the authorization covers no Jira site")]
    NoSites,
    #[error("no accessible site matches '{wanted}'")]
    NoMatch {
        wanted: String,
        sites: Vec<Resource>,
    },
    #[error("'{wanted}' matches several sites")]
    Ambiguous {
        wanted: String,
        sites: Vec<Resource>,
    },
    /// Several sites and nothing to choose by (no `--site`, no one to ask).
    #[error("the authorization covers {} sites", .sites.len())]
    Several { sites: Vec<Resource> },
}

/// Picks the site: `--site` when given, the only one when there is one, else `None` (the
/// caller asks or fails). Never the first of several: the order means nothing.
pub(crate) fn choose<'a>(
    resources: &'a [Resource],
    wanted: Option<&str>,
) -> Result<Option<&'a Resource>, SiteError> {
    if resources.is_empty() {
        return Err(SiteError::NoSites);
    }
    if let Some(w) = wanted {
        let found: Vec<&Resource> = resources.iter().filter(|r| matches(r, w)).collect();
        return match found.as_slice() {
            [one] => Ok(Some(one)),
            [] => Err(SiteError::NoMatch {
                wanted: w.to_string(),
                sites: resources.to_vec(),
            }),
            _ => Err(SiteError::Ambiguous {
                wanted: w.to_string(),
                sites: resources.to_vec(),
            }),
        };
    }
    if resources.len() == 1 {
        return Ok(Some(&resources[0]));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_lists_are_aligned() {
        let site = |name: &str| Resource {
            id: format!("id-{name}"),
            name: name.into(),
            url: format!("https://{name}.atlassian.net"),
            scopes: vec![],
            avatar_url: None,
        };
        let sites = [site("a"), site("globex")];
        assert_eq!(
            describe_all(&sites),
            [
                "a       https://a.atlassian.net       (cloud id id-a)",
                "globex  https://globex.atlassian.net  (cloud id id-globex)",
            ]
        );
    }

    #[test]
    fn site_forms_are_checked_before_anything_is_asked() {
        for ok in [
            "acme",
            "my-site_2",
            "1324a887-45db-1bf4-1e99-ef0ff456d421",
            "acme.atlassian.net",
            "https://acme.atlassian.net",
            "https://acme.atlassian.net/",
            " acme ",
        ] {
            assert!(check_site_form(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "acme corp",
            "acme!",
            "https://acme.atlassian.net/jira/software",
            "ftp://acme.atlassian.net",
            "https://user:pw@acme.atlassian.net",
            "https://acme.atlassian.net/?x=1",
            "://",
        ] {
            assert!(check_site_form(bad).is_err(), "{bad:?}");
        }
    }

    fn res(id: &str, name: &str) -> Resource {
        Resource {
            id: id.into(),
            name: name.into(),
            url: format!("https://{name}.atlassian.net"),
            scopes: vec![],
            avatar_url: None,
        }
    }

    #[test]
    fn http_dates_parse_and_garbage_does_not() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(t.unix_timestamp(), 784111777);
        assert!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT").is_none());
        assert!(parse_http_date("").is_none());
    }

    #[test]
    fn site_matches_by_subdomain_url_or_id() {
        let r = res("1324a887-45db-1bf4-1e99-ef0ff456d421", "acme");
        for w in [
            "acme",
            "ACME",
            "acme.atlassian.net",
            "https://acme.atlassian.net",
            "https://acme.atlassian.net/jira/your-work",
            "1324a887-45db-1bf4-1e99-ef0ff456d421",
        ] {
            assert!(matches(&r, w), "{w}");
        }
        for w in ["acm", "acme.example.com", "", "https://other.atlassian.net"] {
            assert!(!matches(&r, w), "{w}");
        }
    }

    #[test]
    fn api_errors_are_sorted_by_status_and_message() {
        use reqwest::StatusCode;
        let scope = br#"{"code":401,"message":"Unauthorized; scope does not match"}"#;
        assert!(matches!(
            api_error("x", StatusCode::UNAUTHORIZED, scope),
            ApiError::ScopeMismatch("x")
        ));
        assert!(matches!(
            api_error(
                "x",
                StatusCode::UNAUTHORIZED,
                b"{\"code\":401,\"message\":\"Unauthorized\"}"
            ),
            ApiError::Unauthorized(_)
        ));
        // The body is never part of the message, whatever it holds.
        let e = api_error("x", StatusCode::BAD_GATEWAY, b"at-secret-token");
        assert!(!e.to_string().contains("at-secret"), "{e}");
        assert!(e.to_string().contains("HTTP 502"), "{e}");
    }

    #[test]
    fn choose_never_takes_the_first_of_several() {
        let sites = vec![res("a", "one"), res("b", "two")];
        assert!(choose(&sites, None).unwrap().is_none());
        assert_eq!(choose(&sites, Some("two")).unwrap().unwrap().id, "b");
        let e = choose(&sites, Some("three")).unwrap_err();
        assert!(
            matches!(&e, SiteError::NoMatch { sites, .. } if sites.len() == 2),
            "{e}"
        );
        assert!(matches!(
            choose(&sites, Some("atlassian.net")).unwrap_err(),
            SiteError::NoMatch { .. }
        ));
        assert_eq!(choose(&sites[..1], None).unwrap().unwrap().id, "a");
        assert!(matches!(choose(&[], None).unwrap_err(), SiteError::NoSites));
    }
}
