//! Composio's API for the one job jira-auth does there: hand a Jira OAuth 2.0 app over as an
//! auth config (custom credentials), connect an account through it, and read both back. The
//! shapes are those of Composio's own Python SDK (`composio` 0.30 and `composio-client`
//! 2.0.0rc19), which docs/protocol.md lists with their sources; the emulated Composio of the
//! jira-auth-emulator crate is checked against that SDK.
//!
//! The project API key goes in `x-api-key` and nowhere else; the client secret only in the
//! body that creates an auth config. Composio's error messages are kept (they say what to
//! fix), with either secret cut out should one ever be quoted.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::net::{Http, HttpError, Peer, Retry};

/// Composio's slug of the Jira toolkit.
pub(crate) const TOOLKIT: &str = "jira";

/// Where one Composio project is, and the key that opens it.
pub(crate) struct Project<'a> {
    pub http: &'a Http,
    pub base: &'a Url,
    pub key: &'a SecretString,
}

/// Why a call to Composio did not give its answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ComposioError {
    /// 401 or 403: the project API key is wrong, revoked, or of another project.
    #[error("Composio refused the API key ({status}: {message})")]
    KeyRejected { status: u16, message: String },
    /// 400 or 422: the request breaks Composio's rules, in its words.
    #[error("Composio refused the request: {message}")]
    Invalid { message: String },
    /// 404 on something that was there: an auth config or account deleted in the dashboard.
    #[error("{what} {id} is not in this Composio project ({message})")]
    NotFound {
        what: &'static str,
        id: String,
        message: String,
    },
    /// Any other answer, or one that is not Composio's JSON.
    #[error("{what}: an answer that is not Composio's ({detail})")]
    Unexpected { what: &'static str, detail: String },
    #[error(transparent)]
    Http(#[from] HttpError),
}

/// An auth config as `GET /api/v3.1/auth_configs/{id}` describes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AuthConfigInfo {
    pub id: String,
    pub name: String,
    /// `ENABLED` or `DISABLED`.
    pub status: String,
    pub client_id: Option<String>,
    /// As Composio keeps them: a list, or one string split on spaces and commas.
    pub scopes: Vec<String>,
    pub connections: u64,
}

/// A connected account: its id, user and status (`INITIALIZING`, `INITIATED`, `ACTIVE`,
/// `FAILED`, `EXPIRED`, `INACTIVE`, `REVOKED`) with Composio's reason.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Account {
    pub id: String,
    pub user_id: String,
    pub status: String,
    pub status_reason: Option<String>,
}

/// A new connected account, waiting for its user to open `redirect_url`.
pub(crate) struct Initiated {
    pub id: String,
    pub redirect_url: String,
}

impl Project<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.as_str().trim_end_matches('/'))
    }

    /// One call: its JSON answer when 2xx, else Composio's error in words. `secrets` are cut
    /// out of any message quoted (the client secret of a create).
    async fn call(
        &self,
        what: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        secrets: &[&SecretString],
    ) -> Result<Value, ComposioError> {
        let url = self.url(path);
        // Creating twice would make two auth configs or accounts: resend only what surely
        // did not arrive.
        let retry = if method == reqwest::Method::GET {
            Retry::Safe
        } else {
            Retry::Once
        };
        let response = self
            .http
            .send(what, &Peer::Composio, retry, |client| {
                let mut request = client
                    .request(method.clone(), &url)
                    .header("x-api-key", self.key.expose_secret())
                    .header("accept", "application/json");
                if let Some(body) = body {
                    request = request.json(body);
                }
                request
            })
            .await?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ComposioError::Unexpected {
                what,
                detail: self.http.describe(&e),
            })?;
        let value: Option<Value> = serde_json::from_slice(&bytes).ok();
        if (200..300).contains(&status) {
            return value.ok_or_else(|| ComposioError::Unexpected {
                what,
                detail: format!("{status} without a JSON body"),
            });
        }
        let mut secrets = secrets.to_vec();
        secrets.push(self.key);
        let message = value
            .as_ref()
            .and_then(error_message)
            .map(|m| redact(&m, &secrets))
            .unwrap_or_else(|| format!("HTTP {status}"));
        Err(match status {
            401 | 403 => ComposioError::KeyRejected { status, message },
            400 | 409 | 422 => ComposioError::Invalid { message },
            404 => ComposioError::NotFound {
                what: if path.contains("connected_accounts") {
                    "connected account"
                } else {
                    "auth config"
                },
                id: path.rsplit('/').next().unwrap_or_default().to_string(),
                message,
            },
            _ => ComposioError::Unexpected {
                what,
                detail: format!("{status}: {message}"),
            },
        })
    }

    /// `POST /api/v3.1/auth_configs`: the app as a custom OAuth 2.0 auth config of the Jira
    /// toolkit; its id (`ac_…`).
    pub(crate) async fn create_auth_config(
        &self,
        name: &str,
        client_id: &str,
        client_secret: &SecretString,
        scopes: &[String],
    ) -> Result<String, ComposioError> {
        let body = json!({
            "toolkit": {"slug": TOOLKIT},
            "auth_config": {
                "type": "use_custom_auth",
                "authScheme": "OAUTH2",
                "name": name,
                "credentials": {
                    "client_id": client_id,
                    "client_secret": client_secret.expose_secret(),
                    "scopes": scopes,
                },
            },
        });
        let what = "creating the Composio auth config";
        let answer = self
            .call(
                what,
                reqwest::Method::POST,
                "/api/v3.1/auth_configs",
                Some(&body),
                &[client_secret],
            )
            .await?;
        #[derive(Deserialize)]
        struct Created {
            auth_config: Id,
        }
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        parse::<Created>(what, answer).map(|c| c.auth_config.id)
    }

    /// `GET /api/v3.1/auth_configs/{id}`.
    pub(crate) async fn auth_config(&self, id: &str) -> Result<AuthConfigInfo, ComposioError> {
        let what = "reading the Composio auth config";
        let path = format!("/api/v3.1/auth_configs/{}", segment(id));
        let answer = self
            .call(what, reqwest::Method::GET, &path, None, &[])
            .await?;
        #[derive(Deserialize)]
        struct Described {
            id: String,
            #[serde(default)]
            name: String,
            status: String,
            #[serde(default)]
            no_of_connections: f64,
            #[serde(default)]
            credentials: Option<Value>,
        }
        let d = parse::<Described>(what, answer)?;
        let credentials = d.credentials.unwrap_or(Value::Null);
        Ok(AuthConfigInfo {
            id: d.id,
            name: d.name,
            status: d.status,
            client_id: credentials["client_id"].as_str().map(str::to_string),
            scopes: scope_list(&credentials["scopes"]),
            connections: d.no_of_connections.max(0.0) as u64,
        })
    }

    /// `PATCH /api/v3.1/auth_configs/{id}`: the scopes Composio asks Atlassian for.
    pub(crate) async fn set_scopes(
        &self,
        id: &str,
        scopes: &[String],
    ) -> Result<(), ComposioError> {
        let body = json!({"type": "custom", "credentials": {"scopes": scopes}});
        let path = format!("/api/v3.1/auth_configs/{}", segment(id));
        self.call(
            "changing the Composio auth config's scopes",
            reqwest::Method::PATCH,
            &path,
            Some(&body),
            &[],
        )
        .await
        .map(|_| ())
    }

    /// `POST /api/v3.1/connected_accounts`: a connection of `user_id` to the Jira site
    /// `subdomain` through the auth config, as the SDK's `initiate` makes it.
    pub(crate) async fn connect(
        &self,
        auth_config_id: &str,
        user_id: &str,
        subdomain: &str,
    ) -> Result<Initiated, ComposioError> {
        let body = json!({
            "auth_config": {"id": auth_config_id},
            "connection": {
                "user_id": user_id,
                "state": {
                    "authScheme": "OAUTH2",
                    "val": {"status": "INITIALIZING", "subdomain": subdomain},
                },
            },
        });
        let what = "creating the Composio connected account";
        let answer = self
            .call(
                what,
                reqwest::Method::POST,
                "/api/v3.1/connected_accounts",
                Some(&body),
                &[],
            )
            .await?;
        #[derive(Deserialize)]
        struct Created {
            id: String,
            #[serde(default)]
            redirect_url: Option<String>,
            #[serde(default, rename = "connectionData")]
            connection_data: Option<Value>,
        }
        let c = parse::<Created>(what, answer)?;
        // The SDK reads the link from `connectionData.val.redirectUrl`; the top level has it
        // too.
        let redirect_url = c
            .connection_data
            .as_ref()
            .and_then(|d| d["val"]["redirectUrl"].as_str().map(str::to_string))
            .or(c.redirect_url)
            .ok_or_else(|| ComposioError::Unexpected {
                what,
                detail: "no redirect_url to connect with".into(),
            })?;
        Ok(Initiated {
            id: c.id,
            redirect_url,
        })
    }

    /// `GET /api/v3.1/connected_accounts/{id}`.
    pub(crate) async fn account(&self, id: &str) -> Result<Account, ComposioError> {
        let what = "reading the Composio connected account";
        let path = format!("/api/v3.1/connected_accounts/{}", segment(id));
        let answer = self
            .call(what, reqwest::Method::GET, &path, None, &[])
            .await?;
        parse::<Account>(what, answer)
    }

    /// `GET /api/v3.1/connected_accounts?auth_config_ids=…[&user_ids=…]`: the accounts of the
    /// auth config (of one user), newest first as Composio lists them.
    pub(crate) async fn accounts(
        &self,
        auth_config_id: &str,
        user_id: Option<&str>,
    ) -> Result<Vec<Account>, ComposioError> {
        let what = "listing the Composio connected accounts";
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("auth_config_ids", auth_config_id);
        if let Some(user) = user_id {
            query.append_pair("user_ids", user);
        }
        let path = format!("/api/v3.1/connected_accounts?{}", query.finish());
        let answer = self
            .call(what, reqwest::Method::GET, &path, None, &[])
            .await?;
        #[derive(Deserialize)]
        struct Listed {
            items: Vec<Account>,
        }
        parse::<Listed>(what, answer).map(|l| l.items)
    }
}

impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Account, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            id: String,
            #[serde(default)]
            user_id: String,
            status: String,
            #[serde(default)]
            status_reason: Option<String>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(Account {
            id: raw.id,
            user_id: raw.user_id,
            status: raw.status,
            status_reason: raw.status_reason,
        })
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    what: &'static str,
    value: Value,
) -> Result<T, ComposioError> {
    // serde's message names the field, never a value of it.
    serde_json::from_value(value).map_err(|e| ComposioError::Unexpected {
        what,
        detail: format!("{e}"),
    })
}

/// Composio's error envelope (`{"error": {"message", "code", "slug", "status", …}}`) in
/// words: its message, and each of its `errors` not already in it.
fn error_message(value: &Value) -> Option<String> {
    let error = value.get("error")?;
    let mut message = error.get("message")?.as_str()?.to_string();
    if let Some(errors) = error.get("errors").and_then(Value::as_array) {
        for e in errors.iter().filter_map(Value::as_str) {
            if !message.contains(e) {
                message.push_str("; ");
                message.push_str(e);
            }
        }
    }
    if let Some(fix) = error.get("suggested_fix").and_then(Value::as_str) {
        message.push_str(&format!(" (Composio suggests: {fix})"));
    }
    Some(message)
}

/// `text` with every secret in it replaced.
fn redact(text: &str, secrets: &[&SecretString]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        let s = secret.expose_secret();
        if s.len() >= 4 {
            out = out.replace(s, "[redacted]");
        }
    }
    out
}

/// An id as one path segment: Composio's ids are letters, digits and `_`; anything else is
/// percent-encoded rather than allowed to change the path.
fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// Scopes as Composio keeps them: a list of strings, or one string (space or comma separated).
pub(crate) fn scope_list(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => s
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// The subdomain Composio's Jira toolkit wants (`acme` of `https://acme.atlassian.net`),
/// from a subdomain or a site URL as people paste it; `None` when it names no Cloud site.
pub(crate) fn subdomain(site: &str) -> Option<String> {
    let raw = site.trim().trim_end_matches('/');
    let host = match raw.split_once("://") {
        Some((_, rest)) => rest.split(['/', '?', '#']).next().unwrap_or_default(),
        None => raw.split('/').next().unwrap_or_default(),
    };
    let host = host.to_ascii_lowercase();
    let name = host.strip_suffix(".atlassian.net").unwrap_or(&host);
    let ok = !name.is_empty()
        && name.len() <= 63
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_is_trimmed_to_the_subdomain_composio_wants() {
        for (given, wanted) in [
            ("acme", Some("acme")),
            ("ACME", Some("acme")),
            ("acme.atlassian.net", Some("acme")),
            ("https://acme.atlassian.net", Some("acme")),
            (
                "https://acme.atlassian.net/jira/your-work?x=1",
                Some("acme"),
            ),
            (" https://my-team.atlassian.net/ ", Some("my-team")),
            ("https://jira.example.com", None),
            ("", None),
            ("-acme", None),
            ("a b", None),
        ] {
            assert_eq!(subdomain(given).as_deref(), wanted, "{given}");
        }
    }

    #[test]
    fn errors_are_said_in_composios_words_without_secrets() {
        let envelope = json!({"error": {"message": "Validation error: x", "code": 400,
            "slug": "Request_ValidationError", "status": 400,
            "errors": ["x", "credentials.client_secret: bad value s3cr3t-value"]}});
        let message = error_message(&envelope).unwrap();
        assert_eq!(
            message,
            "Validation error: x; credentials.client_secret: bad value s3cr3t-value"
        );
        let secret = SecretString::from("s3cr3t-value");
        assert_eq!(
            redact(&message, &[&secret]),
            "Validation error: x; credentials.client_secret: bad value [redacted]"
        );
        assert_eq!(error_message(&json!({"message": "no envelope"})), None);
    }

    #[test]
    fn scopes_are_read_as_composio_keeps_them() {
        assert_eq!(
            scope_list(&json!("read:jira-work,offline_access write:jira-work")),
            ["read:jira-work", "offline_access", "write:jira-work"]
        );
        assert_eq!(scope_list(&json!(["a", 1, "b"])), ["a", "b"]);
        assert!(scope_list(&Value::Null).is_empty());
        assert_eq!(segment("ac_1/../x"), "ac_1%2F..%2Fx");
    }
}
