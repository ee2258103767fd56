//! The token endpoint: the authorization-code exchange, the refresh of a rotating refresh
//! token, and client credentials (service accounts), through the oauth2 crate over our one
//! HTTP client.

use std::cell::Cell;

use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{
    AuthorizationCode, ClientId, ClientSecret, RedirectUrl, RefreshToken, RequestTokenError,
    TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use super::{AUDIENCE, OAuthError, RedirectUri, TokenSet};
use crate::net::{Endpoints, Http, HttpError, Retry};

/// How Atlassian's token endpoint is named in errors.
const ATLASSIAN: &str = "the Atlassian token endpoint";

/// Exchanges the authorization code for tokens (client secret in the body, as Atlassian
/// documents).
pub async fn exchange_code(
    http: &Http,
    endpoints: &Endpoints,
    client_id: &str,
    client_secret: &SecretString,
    redirect_uri: &RedirectUri,
    code: SecretString,
) -> Result<TokenSet, OAuthError> {
    let client = token_client(endpoints.token(), client_id, client_secret)
        .set_redirect_uri(RedirectUrl::from_url(redirect_uri.url().clone()));
    // A code works once: never sent again once the server may have seen it.
    let seen = Seen::default();
    let call = |req| transport(http, req, Retry::Once, &seen, ATLASSIAN);
    let resp = client
        .exchange_code(AuthorizationCode::new(code.expose_secret().to_string()))
        .request_async(&call)
        .await
        .map_err(|e| map_token_error(e, &seen))?;
    Ok(token_set(&resp))
}

/// Trades a refresh token for a new access token and (Atlassian rotates them) a new refresh
/// token. The one sent stops working once Atlassian's reuse interval has passed.
pub async fn refresh(
    http: &Http,
    endpoints: &Endpoints,
    client_id: &str,
    client_secret: &SecretString,
    refresh_token: &SecretString,
) -> Result<TokenSet, OAuthError> {
    let client = token_client(endpoints.token(), client_id, client_secret);
    let seen = Seen::default();
    let call = |req| transport(http, req, Retry::Safe, &seen, ATLASSIAN);
    let token = RefreshToken::new(refresh_token.expose_secret().to_string());
    let resp = client
        .exchange_refresh_token(&token)
        .request_async(&call)
        .await
        .map_err(|e| map_refresh_error(e, &seen))?;
    Ok(token_set(&resp))
}

/// A new access token for a service account (OAuth 2.0 client credentials): no consent and
/// no refresh token; the client secret mints a new token whenever the last one runs out.
/// `audience` is sent as the public clients of Atlassian's service accounts do.
pub async fn client_credentials(
    http: &Http,
    endpoints: &Endpoints,
    client_id: &str,
    client_secret: &SecretString,
) -> Result<TokenSet, OAuthError> {
    let client = token_client(endpoints.token(), client_id, client_secret);
    let seen = Seen::default();
    let call = |req| transport(http, req, Retry::Safe, &seen, ATLASSIAN);
    let resp = client
        .exchange_client_credentials()
        .add_extra_param("audience", AUDIENCE)
        .request_async(&call)
        .await
        .map_err(|e| match map_token_error(e, &seen) {
            OAuthError::SecretRejected => OAuthError::ServiceAccountRejected,
            OAuthError::ClientRejected(desc) => OAuthError::NotAServiceAccount(desc),
            other => other,
        })?;
    Ok(token_set(&resp))
}

/// An oauth2 client for the token endpoint, with the client secret in the request body (as
/// Atlassian documents it).
pub(super) type TokenClient = BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

pub(super) fn token_client(
    token_url: url::Url,
    client_id: &str,
    client_secret: &SecretString,
) -> TokenClient {
    BasicClient::new(ClientId::new(client_id.to_string()))
        .set_client_secret(ClientSecret::new(client_secret.expose_secret().to_string()))
        .set_auth_type(oauth2::AuthType::RequestBody)
        .set_token_uri(TokenUrl::from_url(token_url))
}

/// As `map_token_error`, except that `invalid_grant` is about the refresh token, not a code,
/// and a refused secret, which worked when the profile was made, was changed since.
fn map_refresh_error(e: TokenError, seen: &Seen) -> OAuthError {
    match map_token_error(e, seen) {
        OAuthError::CodeRejected(desc) => OAuthError::RefreshRejected(desc),
        OAuthError::SecretRejected => OAuthError::StoredSecretRejected,
        other => other,
    }
}

pub(super) fn token_set(resp: &BasicTokenResponse) -> TokenSet {
    let lifetime = resp
        .expires_in()
        .unwrap_or(std::time::Duration::from_secs(3600));
    TokenSet {
        access_token: SecretString::from(resp.access_token().secret().to_string()),
        expires_at: OffsetDateTime::now_utc() + lifetime,
        refresh_token: resp
            .refresh_token()
            .map(|r| SecretString::from(r.secret().to_string())),
        scopes: resp
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
    }
}

pub(super) type TokenError = RequestTokenError<HttpError, oauth2::basic::BasicErrorResponse>;

/// Turns the oauth2 crate's error into ours. Bodies are never included: a malformed
/// success body can hold a token; `seen` tells what the response was like.
pub(super) fn map_token_error(e: TokenError, seen: &Seen) -> OAuthError {
    match e {
        RequestTokenError::ServerResponse(resp) => {
            let desc = resp
                .error_description()
                .cloned()
                .unwrap_or_else(|| resp.error().to_string());
            match resp.error() {
                BasicErrorResponseType::Extension(code) if code == "access_denied" => {
                    OAuthError::SecretRejected
                }
                BasicErrorResponseType::InvalidClient => OAuthError::SecretRejected,
                BasicErrorResponseType::UnauthorizedClient => OAuthError::ClientRejected(desc),
                BasicErrorResponseType::InvalidGrant => OAuthError::CodeRejected(desc),
                other => OAuthError::Protocol(format!("{other}: {desc}")),
            }
        }
        RequestTokenError::Request(h) => OAuthError::Http(h),
        // Parse: the body did not deserialize. Other: oauth2's own checks (content type,
        // empty body). Neither message is shown: `seen` says enough without the content.
        RequestTokenError::Parse(err, _body) => OAuthError::Unexpected {
            status: seen.status.get().unwrap_or(0),
            what: if seen.json.get() {
                format!("JSON without the expected fields (at {})", err.path())
            } else {
                "not JSON".into()
            },
        },
        RequestTokenError::Other(_) => OAuthError::Unexpected {
            status: seen.status.get().unwrap_or(0),
            what: if seen.json.get() {
                "JSON, but not what a token endpoint sends".into()
            } else {
                "not JSON".into()
            },
        },
    }
}

/// What the last token response looked like, without its content.
#[derive(Default)]
pub(super) struct Seen {
    status: Cell<Option<u16>>,
    json: Cell<bool>,
}

/// The bridge the oauth2 crate calls for token requests: our client, with its retries and
/// error sorting. `seen` records the status and whether the body was JSON, so that a parse
/// failure can be explained without the body.
pub(super) async fn transport(
    http: &Http,
    request: oauth2::HttpRequest,
    policy: Retry,
    seen: &Seen,
    what: &'static str,
) -> Result<oauth2::HttpResponse, HttpError> {
    let (parts, body) = request.into_parts();
    let url = parts.uri.to_string();
    let resp = http
        .send(what, policy, |c| {
            let mut rb = c.request(parts.method.clone(), &url).body(body.clone());
            for (name, value) in &parts.headers {
                rb = rb.header(name, value);
            }
            rb
        })
        .await?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => {
            let detail = http.describe(&e);
            return Err(match policy {
                Retry::Once => HttpError::MaybeConsumed {
                    what: what.into(),
                    detail,
                },
                // The answer was on its way: the request arrived.
                Retry::Safe => HttpError::Unavailable {
                    what: what.into(),
                    detail,
                    attempts: 1,
                    sent: true,
                },
            });
        }
    };
    seen.status.set(Some(status.as_u16()));
    seen.json
        .set(serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok());
    let mut out = oauth2::http::Response::builder().status(status.as_u16());
    for (name, value) in &headers {
        out = out.header(name.as_str(), value.as_bytes());
    }
    out.body(bytes.to_vec())
        .map_err(|e| HttpError::Setup(format!("bad response head: {e}")))
}

#[cfg(test)]
pub(super) mod tests {
    use std::io::{Read, Write};
    use std::time::Duration;

    use super::*;

    /// A token endpoint on loopback that answers one request with `answer` and hands back
    /// the request it read.
    pub(in crate::oauth) fn one_shot(
        answer: &'static str,
    ) -> (Endpoints, std::thread::JoinHandle<String>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let served = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Head, then as much body as Content-Length says.
            loop {
                let n = stream.read(&mut buf).unwrap();
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
            stream.write_all(reply.as_bytes()).unwrap();
            String::from_utf8(request).unwrap()
        });
        let url = url::Url::parse(&base).unwrap();
        let endpoints = Endpoints {
            auth: url.clone(),
            api: url,
        };
        (endpoints, served)
    }

    #[test]
    fn client_credentials_sends_the_grant_and_audience_and_reads_the_token() {
        let (endpoints, served) = one_shot(
            r#"{"access_token":"sa-token","token_type":"Bearer","expires_in":3600,"scope":"read:jira-work"}"#,
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let http = Http::new(Duration::from_secs(5)).unwrap();
        let tokens = rt
            .block_on(client_credentials(
                &http,
                &endpoints,
                "sa-client",
                &SecretString::from("sa-secret"),
            ))
            .unwrap();
        assert_eq!(tokens.access_token.expose_secret(), "sa-token");
        assert!(tokens.refresh_token.is_none());
        assert_eq!(tokens.scopes, ["read:jira-work"]);
        let request = served.join().unwrap();
        assert!(request.starts_with("POST /oauth/token "), "{request}");
        assert_form_has(
            &request,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "sa-client"),
                ("client_secret", "sa-secret"),
                ("audience", "api.atlassian.com"),
            ],
        );
    }

    /// The request's form body holds each of `wanted`; the body's pairs are returned.
    #[track_caller]
    pub(in crate::oauth) fn assert_form_has(
        request: &str,
        wanted: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let body = request.split("\r\n\r\n").nth(1).unwrap();
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        for want in wanted {
            assert!(
                pairs.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} not in {pairs:?}"
            );
        }
        pairs
    }
}
