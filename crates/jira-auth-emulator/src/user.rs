//! The sandbox's own user agent: what plays the person at the browser when nobody is there
//! (`init --sandbox` with `--no-browser`, or with no browser and no terminal).

use http_body_util::{BodyExt as _, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::time::timeout;
use url::{Position, Url};

use crate::http::{IO_TIMEOUT, MAX_BODY_BYTES, runtime};

/// Plays the browser of a sandbox nobody is at: in the background, GETs `url` and follows
/// its redirects (at most 5, plain `http://` to loopback only), reading each answer and
/// keeping nothing. An approving consent page redirects to the app's callback, which so gets
/// its code as if a person had clicked Approve.
pub fn follow(url: &str) {
    let url = url.to_string();
    runtime().spawn(async move {
        let mut next = url;
        for _ in 0..5 {
            match fetch(&next).await {
                Some(Some(location)) => next = location,
                _ => return,
            }
        }
    });
}

/// One GET of a loopback `http://` URL: the `Location` of a redirect, `Some(None)` for any
/// other answer, `None` when nothing could be fetched.
async fn fetch(url: &str) -> Option<Option<String>> {
    let url = Url::parse(url).ok()?;
    if url.scheme() != "http" {
        return None;
    }
    let authority = &url[Position::BeforeHost..Position::AfterPort];
    let port = url.port_or_known_default()?;
    let addr = tokio::net::lookup_host((url.host_str()?, port))
        .await
        .ok()?
        .find(|a| a.ip().is_loopback())?;
    let stream = timeout(IO_TIMEOUT, tokio::net::TcpStream::connect(addr))
        .await
        .ok()?
        .ok()?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(connection);
    let request = hyper::Request::get(&url[Position::BeforePath..Position::AfterQuery])
        .header(hyper::header::HOST, authority)
        .body(Empty::<Bytes>::new())
        .ok()?;
    let response = timeout(IO_TIMEOUT, sender.send_request(request))
        .await
        .ok()?
        .ok()?;
    let location = response
        .headers()
        .get(hyper::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let redirect = response.status().is_redirection();
    // Read to the end, as a browser would, within bounds.
    let _ = timeout(
        IO_TIMEOUT,
        Limited::new(response.into_body(), MAX_BODY_BYTES).collect(),
    )
    .await;
    Some(if redirect { location } else { None })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::http::{HttpServer, Request, Response};

    #[test]
    fn follow_goes_through_redirects_to_the_last_page() {
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let tx = std::sync::Mutex::new(tx);
        let server = HttpServer::start(Arc::new(move |req: &Request| {
            let _ = tx.lock().unwrap().send(format!(
                "{} {:?} {}",
                req.path,
                req.query,
                req.header("host").unwrap_or_default()
            ));
            match req.path.as_str() {
                "/authorize" => Response::redirect("/callback?code=c%2F1&state=s"),
                _ => Response::text(200, "done"),
            }
        }));
        // A relative Location is not followed; an absolute one is.
        follow(&format!("{}/authorize?x=1", server.url()));
        let first = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(
            first,
            format!("/authorize [(\"x\", \"1\")] {}", &server.url()[7..])
        );
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
        let absolute = server.url();
        let hop = HttpServer::start(Arc::new(move |_req: &Request| {
            Response::redirect(&format!("{absolute}/callback?code=c%2F1&state=s"))
        }));
        follow(&format!("{}?y", hop.url()));
        let second = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(
            second.starts_with("/callback [(\"code\", \"c/1\"), (\"state\", \"s\")]"),
            "{second}"
        );
        // Nothing but loopback http.
        let fetch_now = |url: &str| runtime().block_on(fetch(url));
        assert_eq!(fetch_now("https://127.0.0.1:1/"), None);
        assert_eq!(fetch_now("http://192.0.2.1:1/"), None);
        assert_eq!(
            fetch_now(&format!("{}/done", server.url())),
            Some(None),
            "an answer that is no redirect ends the walk"
        );
    }
}
