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

/// The longest access-token lifetime believed: Atlassian's live an hour, a Data Center
/// instance's as its administrator sets them (an hour by default). Beyond this an
/// `expires_in` is a broken or hostile answer (and ~3·10^11 s would not even fit a date).
pub(crate) const MAX_LIFETIME: std::time::Duration = std::time::Duration::from_secs(400 * 86_400);

/// The lifetime assumed when the answer gives none (`expires_in` is optional in RFC 6749).
const DEFAULT_LIFETIME: std::time::Duration = std::time::Duration::from_secs(3600);

/// Tokens longer than this are no tokens (Atlassian's JWTs are a few KiB).
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// A token response read and checked: what `by` sent must be usable as it is, in an
/// `Authorization` header and as a date. Whatever is wrong is named, never shown.
pub(super) fn token_set(
    resp: &BasicTokenResponse,
    by: &AuthServer,
) -> Result<TokenSet, OAuthError> {
    let refresh_token = match resp.refresh_token() {
        Some(r) => Some(
            token_problem(r.secret())
                .map(|what| unusable(by, format!("its refresh token {what}"), None))
                .map_or(Ok(SecretString::from(r.secret().to_string())), Err)?,
        ),
        None => None,
    };
    let failed = |what: String| unusable(by, what, refresh_token.clone());
    if let Some(what) = token_problem(resp.access_token().secret()) {
        return Err(failed(format!("its access token {what}")));
    }
    let lifetime = resp.expires_in().unwrap_or(DEFAULT_LIFETIME);
    if lifetime.is_zero() {
        return Err(failed(
            "its access token expires at once (expires_in 0)".into(),
        ));
    }
    if lifetime > MAX_LIFETIME {
        return Err(failed(format!(
            "its access token would live {} s (expires_in), more than the {} days any server gives",
            lifetime.as_secs(),
            MAX_LIFETIME.as_secs() / 86_400
        )));
    }
    let scopes: Vec<String> = resp
        .scopes()
        .map(|s| s.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    if scopes
        .iter()
        .any(|s| s.is_empty() || s.chars().any(char::is_control))
    {
        return Err(failed("its scope holds control characters".into()));
    }
    Ok(TokenSet {
        access_token: SecretString::from(resp.access_token().secret().to_string()),
        expires_at: OffsetDateTime::now_utc() + lifetime,
        refresh_token,
        scopes,
    })
}

fn unusable(by: &AuthServer, what: String, rotated: Option<SecretString>) -> OAuthError {
    OAuthError::Unusable {
        by: by.clone(),
        what,
        rotated,
    }
}

/// What makes `token` unusable as a bearer or refresh token, if anything: empty, too long,
/// or a byte that is not visible ASCII (RFC 6750's b64token is a subset: a space, CR, LF or
/// ESC would break or inject into the header line, or the terminal it is printed to).
fn token_problem(token: &str) -> Option<String> {
    if token.is_empty() {
        return Some("is empty".into());
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Some(format!("is {} bytes long", token.len()));
    }
    token
        .bytes()
        .any(|b| !(0x21..=0x7e).contains(&b))
        .then(|| "holds characters no token has (spaces, control characters or non-ASCII)".into())
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

    mod response {
        use oauth2::basic::BasicTokenResponse;
        use proptest::prelude::*;
        use secrecy::ExposeSecret;
        use time::OffsetDateTime;

        use super::super::{MAX_LIFETIME, token_set};
        use crate::net::Endpoints;
        use crate::oauth::{AuthServer, OAuthError};

        fn read(body: &str) -> Option<Result<crate::oauth::TokenSet, OAuthError>> {
            let resp: BasicTokenResponse = serde_json::from_str(body).ok()?;
            Some(token_set(
                &resp,
                &AuthServer::atlassian(&Endpoints::atlassian()),
            ))
        }

        fn body(access: &str, expires_in: &str, refresh: &str) -> String {
            format!(
                r#"{{"access_token":{},"token_type":"Bearer","expires_in":{expires_in},"refresh_token":{},"scope":"read:jira-work offline_access"}}"#,
                serde_json::to_string(access).unwrap(),
                serde_json::to_string(refresh).unwrap()
            )
        }

        #[test]
        fn a_sound_answer_is_read() {
            let tokens = read(&body("eyJ.a-b_c~d+e/f=", "3600", "rt-1"))
                .unwrap()
                .unwrap();
            assert_eq!(tokens.access_token.expose_secret(), "eyJ.a-b_c~d+e/f=");
            assert_eq!(tokens.refresh_token.unwrap().expose_secret(), "rt-1");
            let left = tokens.expires_at - OffsetDateTime::now_utc();
            assert!(left.whole_seconds() > 3500 && left.whole_seconds() <= 3600);
        }

        #[test]
        fn hostile_answers_are_unusable_and_say_why_without_the_token() {
            for (body, says) in [
                (
                    body("at", "300000000000", "rt"),
                    "would live 300000000000 s",
                ),
                (body("at", "18446744073709551615", "rt"), "would live"),
                (body("at", "0", "rt"), "expires at once"),
                (body("", "3600", "rt"), "access token is empty"),
                (
                    body("at\r\nX-Evil: 1", "3600", "rt"),
                    "characters no token has",
                ),
                (
                    body("at\u{1b}]0;pwned\u{7}", "3600", "rt"),
                    "characters no token has",
                ),
                (body("a t", "3600", "rt"), "characters no token has"),
                (body("at", "3600", ""), "refresh token is empty"),
                (body("at", "3600", "rt\n"), "refresh token holds"),
            ] {
                let Some(Err(e)) = read(&body) else {
                    panic!("{body}: not refused");
                };
                let text = e.to_string();
                assert!(text.contains(says), "{body}: {text}");
                assert!(
                    !text.contains("X-Evil") && !text.contains("pwned"),
                    "{text}"
                );
            }
        }

        #[test]
        fn an_unusable_access_token_keeps_the_sound_refresh_token_it_came_with() {
            let Some(Err(OAuthError::Unusable { rotated, .. })) =
                read(&body("at", "300000000000", "rt-new"))
            else {
                panic!("not unusable");
            };
            assert_eq!(rotated.unwrap().expose_secret(), "rt-new");
            let Some(Err(OAuthError::Unusable { rotated, .. })) =
                read(&body("at", "3600", "rt\u{0}"))
            else {
                panic!("not unusable");
            };
            assert!(
                rotated.is_none(),
                "a broken refresh token is kept by no one"
            );
        }

        fn hostile_number() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<u64>().prop_map(|n| n.to_string()),
                any::<i64>().prop_map(|n| n.to_string()),
                any::<f64>().prop_map(|n| format!("{n:e}")),
                Just("1e400".to_string()),
                Just("-0".to_string()),
                Just("null".to_string()),
                Just("\"3600\"".to_string()),
                (0u64..=MAX_LIFETIME.as_secs() + 10).prop_map(|n| n.to_string()),
            ]
        }

        fn hostile_text() -> impl Strategy<Value = String> {
            prop_oneof![
                "[ -~]{0,40}",
                any::<String>(),
                "[A-Za-z0-9._~+/=-]{1,40}",
                proptest::collection::vec(any::<char>(), 0..20)
                    .prop_map(|v| v.into_iter().collect()),
            ]
        }

        proptest! {
            /// Whatever the numbers and strings, reading never panics, and what it accepts
            /// is usable: a token of visible ASCII only, an expiry in the future and within
            /// the longest lifetime believed.
            #[test]
            fn whatever_comes_back_is_refused_or_usable(
                access in hostile_text(),
                refresh in hostile_text(),
                expires_in in hostile_number(),
            ) {
                let now = OffsetDateTime::now_utc();
                if let Some(Ok(tokens)) = read(&body(&access, &expires_in, &refresh)) {
                    let visible = |t: &str| !t.is_empty() && t.bytes().all(|b| (0x21..=0x7e).contains(&b));
                    prop_assert!(visible(tokens.access_token.expose_secret()));
                    prop_assert!(tokens.refresh_token.as_ref().is_none_or(|r| visible(r.expose_secret())));
                    prop_assert!(tokens.expires_at > now);
                    prop_assert!(tokens.expires_at - now <= MAX_LIFETIME + std::time::Duration::from_secs(5));
                }
            }
        }
    }
}
