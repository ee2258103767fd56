//! The token endpoint's plumbing, which every grant of server.rs goes through: an oauth2
//! client with the secret in the body, our one HTTP client as its transport (retries, errors
//! sorted without bodies), the token response read, and the oauth2 crate's errors turned
//! into ours.

use std::cell::Cell;

use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{ClientId, ClientSecret, RequestTokenError, TokenResponse, TokenUrl};
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use super::{AuthServer, OAuthError, TokenSet};
use crate::net::{Http, HttpError, Retry};

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

/// Turns the oauth2 crate's error into ours, as `by` answered a code exchange (the grants
/// that are not one say what the answer means for them). Bodies are never included: a
/// malformed success body can hold a token; `seen` tells what the response was like.
pub(super) fn map_token_error(e: TokenError, seen: &Seen, by: &AuthServer) -> OAuthError {
    match e {
        RequestTokenError::ServerResponse(resp) => {
            let desc = resp
                .error_description()
                .cloned()
                .unwrap_or_else(|| resp.error().to_string());
            match resp.error() {
                BasicErrorResponseType::Extension(code) if code == "access_denied" => {
                    OAuthError::ClientRefused {
                        by: by.clone(),
                        stored: false,
                    }
                }
                BasicErrorResponseType::InvalidClient => OAuthError::ClientRefused {
                    by: by.clone(),
                    stored: false,
                },
                BasicErrorResponseType::UnauthorizedClient => OAuthError::ClientRejected(desc),
                BasicErrorResponseType::InvalidGrant => OAuthError::CodeRejected {
                    by: by.clone(),
                    desc,
                },
                other => OAuthError::Protocol(format!("{other}: {desc}")),
            }
        }
        RequestTokenError::Request(h) => OAuthError::Http(h),
        // Parse: the body did not deserialize. Other: oauth2's own checks (content type,
        // empty body). Neither message is shown: `seen` says enough without the content.
        RequestTokenError::Parse(err, _body) => OAuthError::Unexpected {
            by: by.clone(),
            status: seen.status.get().unwrap_or(0),
            what: if seen.json.get() {
                format!("JSON without the expected fields (at {})", err.path())
            } else {
                "not JSON".into()
            },
        },
        RequestTokenError::Other(_) => OAuthError::Unexpected {
            by: by.clone(),
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
    by: &AuthServer,
) -> Result<oauth2::HttpResponse, HttpError> {
    let (what, peer) = (by.token_endpoint_name(), by.peer());
    let (parts, body) = request.into_parts();
    let url = parts.uri.to_string();
    let resp = http
        .send(what, &peer, policy, |c| {
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
                    peer,
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

    /// A token endpoint on loopback that answers one request with `answer` and hands back
    /// the request it read.
    pub(in crate::oauth) fn one_shot(
        answer: &'static str,
    ) -> (crate::net::Endpoints, std::thread::JoinHandle<String>) {
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
        let endpoints = crate::net::Endpoints {
            auth: url.clone(),
            api: url,
        };
        (endpoints, served)
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
