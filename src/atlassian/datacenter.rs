//! Jira Data Center (and Server) as jira-auth meets it: which deployment a `--site` is (its
//! `/rest/api/2/serverInfo`, asked without credentials: `deploymentType` is `Cloud` on
//! Cloud and `Server` or `DataCenter` otherwise), the instance's base URL with its context
//! path, and `/rest/api/2/myself` with a Bearer credential (a personal access token, or an
//! access token of the instance's own OAuth 2.0 provider).
//!
//! Detection never guesses: `*.atlassian.net` is Cloud without asking, `--deployment` is
//! taken as given, and anything else must answer serverInfo.

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::site::{SiteRefError, is_cloud_id};
use super::{ApiError, Auth, Dated, get_json};
use crate::net::endpoints::is_loopback_host;
use crate::net::{Http, Peer};
use crate::store::{Account, Deployment};

/// Atlassian's Cloud sites are `NAME.atlassian.net`, and nothing else is.
pub(crate) fn is_cloud_host(url: &Url) -> bool {
    url.host_str()
        .map(|h| h.to_ascii_lowercase())
        .is_some_and(|h| h.ends_with(".atlassian.net"))
}

/// A `--site` value that may be a Data Center base URL: an `http(s)://` URL (or a host, taken
/// as `https://`), its path kept (the context path, e.g. `/jira`, or more pasted from the
/// address bar, which detection trims), without query, fragment or credentials, and without
/// a trailing slash. `None` for what can only be a Cloud name (a subdomain or a cloud id).
pub(crate) fn parse_base(raw: &str) -> Option<Result<Url, SiteRefError>> {
    let raw = raw.trim();
    if raw.is_empty() || is_cloud_id(raw) || !raw.contains(['.', ':', '/']) {
        return None;
    }
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    };
    Some(check_base(&with_scheme))
}

fn check_base(text: &str) -> Result<Url, SiteRefError> {
    let mut url = Url::parse(text).map_err(|_| SiteRefError::NotASite)?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&url) => {}
        "http" => return Err(SiteRefError::PlainHttp),
        other => return Err(SiteRefError::Scheme(other.to_string())),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(SiteRefError::NotASite);
    }
    // Nothing of a pasted address bar but the path means anything to the REST API, and a
    // password in the URL is not to be stored.
    url.set_query(None);
    url.set_fragment(None);
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&path);
    Ok(url)
}

/// `base` (a base URL with or without a context path) and `path` below it.
pub(crate) fn under(base: &Url, path: &str) -> Url {
    let text = format!("{}/{path}", base.as_str().trim_end_matches('/'));
    Url::parse(&text).expect("a base URL and a constant path make a URL")
}

/// The base URL as stored and shown: no trailing slash (`https://jira.example.com/jira`).
pub(crate) fn base_text(base: &Url) -> String {
    base.as_str().trim_end_matches('/').to_string()
}

/// What `/rest/api/2/serverInfo` says; every field but `deploymentType` is informative.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ServerInfo {
    #[serde(rename = "deploymentType")]
    pub deployment_type: String,
    #[serde(default)]
    pub version: Option<String>,
}

impl ServerInfo {
    /// `Cloud` is Cloud; `Server`, `DataCenter` (and anything a later Jira may say) is not.
    pub(crate) fn deployment(&self) -> Deployment {
        if self.deployment_type.trim().eq_ignore_ascii_case("cloud") {
            Deployment::Cloud
        } else {
            Deployment::DataCenter
        }
    }
}

/// `GET <base>/rest/api/2/serverInfo`, without credentials.
pub(crate) async fn server_info(http: &Http, base: &Url) -> Result<Dated<ServerInfo>, ApiError> {
    get_json(
        http,
        "serverInfo",
        &Peer::Jira(base_text(base)),
        under(base, "rest/api/2/serverInfo"),
        Auth::None,
        "no deploymentType",
    )
    .await
}

/// Which Jira a site is, and where its REST API is rooted.
#[derive(Debug, Clone)]
pub(crate) struct Detected {
    /// The base URL: the context path the REST API answered under (Cloud: the origin).
    pub base: Url,
    pub deployment: Deployment,
    /// What serverInfo said; `None` when it was not asked (`*.atlassian.net`, `--deployment`).
    pub info: Option<ServerInfo>,
}

/// How many path prefixes of a pasted URL are tried: `/jira/browse/KEY-1` is three, then the
/// root.
const MAX_PREFIXES: usize = 6;

/// Which deployment `given` is: `*.atlassian.net` is Cloud without a request (and never Data
/// Center, whatever `wanted` says); `wanted` (`--deployment`) is taken as given; otherwise
/// serverInfo is asked under the given path, then under each shorter one, so that an address
/// pasted from the browser still finds the context path.
pub(crate) async fn detect(
    http: &Http,
    given: &Url,
    wanted: Option<Deployment>,
) -> Result<Detected, ApiError> {
    let origin = || Url::parse(&given.origin().ascii_serialization()).expect("an origin is a URL");
    if is_cloud_host(given) {
        if wanted == Some(Deployment::DataCenter) {
            return Err(ApiError::AlwaysCloud {
                url: origin().to_string().trim_end_matches('/').to_string(),
            });
        }
        return Ok(Detected {
            base: origin(),
            deployment: Deployment::Cloud,
            info: None,
        });
    }
    match wanted {
        Some(Deployment::Cloud) => {
            return Ok(Detected {
                base: origin(),
                deployment: Deployment::Cloud,
                info: None,
            });
        }
        Some(Deployment::DataCenter) => {
            return Ok(Detected {
                base: given.clone(),
                deployment: Deployment::DataCenter,
                info: None,
            });
        }
        None => {}
    }
    let mut tried = Vec::new();
    for base in prefixes(given) {
        match server_info(http, &base).await {
            Ok(answer) => {
                let deployment = answer.value.deployment();
                let base = if deployment == Deployment::Cloud {
                    origin()
                } else {
                    base
                };
                return Ok(Detected {
                    base,
                    deployment,
                    info: Some(answer.value),
                });
            }
            // A Jira that wants credentials even for serverInfo: it is there, but will not
            // say which it is.
            Err(ApiError::Unauthorized(_)) => {
                return Err(ApiError::NotJira {
                    url: base_text(&base),
                    detail: "its /rest/api/2/serverInfo asks for credentials, so it would not say whether it is Cloud or Data Center".into(),
                });
            }
            // Not here (404, an HTML page, JSON of another kind): perhaps under a shorter path.
            Err(ApiError::NotFound(_) | ApiError::Protocol { .. }) => tried.push(base_text(&base)),
            Err(other) => return Err(other),
        }
    }
    Err(ApiError::NotJira {
        url: base_text(given),
        detail: format!(
            "no Jira answered GET /rest/api/2/serverInfo under {}",
            tried.join(", ")
        ),
    })
}

/// `given`, then each shorter path, down to the origin.
fn prefixes(given: &Url) -> Vec<Url> {
    let mut out = Vec::new();
    let mut url = given.clone();
    loop {
        out.push(url.clone());
        let path = url.path().trim_end_matches('/').to_string();
        if path.is_empty() || out.len() >= MAX_PREFIXES {
            break;
        }
        let shorter = path
            .rsplit_once('/')
            .map_or("", |(head, _)| head)
            .to_string();
        url.set_path(&shorter);
    }
    if out
        .last()
        .is_some_and(|u| !u.path().trim_matches('/').is_empty())
    {
        out.push(Url::parse(&given.origin().ascii_serialization()).expect("an origin is a URL"));
    }
    out
}

/// `GET <base>/rest/api/2/myself` of Data Center: the user a Bearer credential belongs to.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DcMyself {
    /// The user name (`ada`); Data Center has no Atlassian account id.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(rename = "displayName", default)]
    pub display_name: String,
    #[serde(rename = "emailAddress", default)]
    pub email_address: Option<String>,
}

impl DcMyself {
    /// Who the credential is, as a profile keeps it: the key (else the user name) and the
    /// name people see.
    pub(crate) fn account(self) -> Account {
        Account {
            account_id: self.key.unwrap_or_else(|| self.name.clone()),
            name: if self.display_name.is_empty() {
                self.name
            } else {
                self.display_name
            },
            email: self.email_address,
        }
    }
}

/// `/rest/api/2/myself` with `Authorization: Bearer <token>`.
pub(crate) async fn myself(
    http: &Http,
    base: &Url,
    token: &SecretString,
) -> Result<Dated<DcMyself>, ApiError> {
    get_json(
        http,
        "Jira /rest/api/2/myself",
        &Peer::Jira(base_text(base)),
        under(base, "rest/api/2/myself"),
        Auth::Bearer(token),
        "not the expected user object",
    )
    .await
}

/// Proves a personal access token before it is stored: `/rest/api/2/myself` must take it.
pub(crate) async fn verify_pat(
    http: &Http,
    base: &Url,
    token: &SecretString,
) -> Result<Dated<DcMyself>, ApiError> {
    myself(http, base, token).await.map_err(|e| match e {
        ApiError::Unauthorized(_) => ApiError::PatRejected {
            site: base_text(base),
        },
        ApiError::NotFound(_) => ApiError::NotJira {
            url: base_text(base),
            detail: "its /rest/api/2/myself answered 404".into(),
        },
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(raw: &str) -> String {
        parse_base(raw).unwrap().unwrap().to_string()
    }

    #[test]
    fn base_urls_keep_their_context_path() {
        assert_eq!(
            base("https://jira.example.com"),
            "https://jira.example.com/"
        );
        assert_eq!(
            base("jira.example.com/jira/"),
            "https://jira.example.com/jira"
        );
        assert_eq!(
            base("https://u:p@jira.example.com/jira/browse/A-1?x=1#y"),
            "https://jira.example.com/jira/browse/A-1"
        );
        assert_eq!(
            base("http://127.0.0.1:8080/jira"),
            "http://127.0.0.1:8080/jira"
        );
        assert!(parse_base("acme").is_none());
        assert!(parse_base("1324a887-45db-1bf4-1e99-ef0ff456d421").is_none());
        assert_eq!(
            parse_base("http://jira.example.com").unwrap(),
            Err(SiteRefError::PlainHttp)
        );
        assert_eq!(
            parse_base("ftp://jira.example.com").unwrap(),
            Err(SiteRefError::Scheme("ftp".into()))
        );
    }

    #[test]
    fn detection_tries_each_shorter_path_then_the_root() {
        let url = Url::parse("https://jira.example.com/jira/browse/A-1").unwrap();
        let tried: Vec<String> = prefixes(&url).iter().map(base_text).collect();
        assert_eq!(
            tried,
            [
                "https://jira.example.com/jira/browse/A-1",
                "https://jira.example.com/jira/browse",
                "https://jira.example.com/jira",
                "https://jira.example.com",
            ]
        );
        let root = Url::parse("https://jira.example.com").unwrap();
        assert_eq!(prefixes(&root).len(), 1);
        assert_eq!(
            under(&Url::parse("https://h/jira").unwrap(), "rest/api/2/myself").as_str(),
            "https://h/jira/rest/api/2/myself"
        );
    }

    #[test]
    fn only_cloud_is_cloud() {
        let info = |t: &str| ServerInfo {
            deployment_type: t.into(),
            version: None,
        };
        assert_eq!(info("Cloud").deployment(), Deployment::Cloud);
        for t in ["DataCenter", "Server", "Something new"] {
            assert_eq!(info(t).deployment(), Deployment::DataCenter, "{t}");
        }
        assert!(is_cloud_host(
            &Url::parse("https://Acme.Atlassian.net").unwrap()
        ));
        assert!(!is_cloud_host(
            &Url::parse("https://atlassian.net.example.com").unwrap()
        ));
    }
}
