//! The sandbox's own user agent: what plays the person at the browser when nobody is there
//! (`init --sandbox` with `--no-browser`, or with no browser and no terminal).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;

use super::http::{IO_TIMEOUT, MAX_BODY_BYTES, find_head_end};

/// Plays the browser of a sandbox nobody is at: on a thread of its own, GETs `url` and
/// follows its redirects (at most 5, plain `http://` to loopback only), reading each answer
/// and keeping nothing. An approving consent page redirects to the app's callback, which so
/// gets its code as if a person had clicked Approve.
pub fn follow(url: &str) {
    let url = url.to_string();
    let _ = thread::Builder::new()
        .name("sandbox-user".into())
        .spawn(move || {
            let mut next = url;
            for _ in 0..5 {
                match fetch(&next) {
                    Some(Some(location)) => next = location,
                    _ => return,
                }
            }
        });
}

/// One GET of a loopback `http://` URL: the `Location` of a redirect, `Some(None)` for any
/// other answer, `None` when nothing could be fetched.
fn fetch(url: &str) -> Option<Option<String>> {
    use std::net::ToSocketAddrs;
    let rest = url.strip_prefix("http://")?;
    let (authority, target) = rest
        .find(['/', '?'])
        .map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    let addr = authority
        .to_socket_addrs()
        .ok()?
        .find(|a| a.ip().is_loopback())?;
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).ok()?;
    stream.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(IO_TIMEOUT)).ok()?;
    let target = if target.starts_with('?') {
        format!("/{target}")
    } else {
        target.to_string()
    };
    let request =
        format!("GET {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = Vec::new();
    stream
        .take(MAX_BODY_BYTES as u64)
        .read_to_end(&mut answer)
        .ok()?;
    let head = String::from_utf8_lossy(&answer[..find_head_end(&answer)?]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?;
    if !status.starts_with('3') {
        return Some(None);
    }
    let location = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("location")
            .then(|| value.trim().to_string())
    });
    Some(location)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::super::http::{HttpServer, Request, Response};
    use super::*;

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
        assert_eq!(fetch("https://127.0.0.1:1/"), None);
        assert_eq!(fetch("http://192.0.2.1:1/"), None);
    }
}
