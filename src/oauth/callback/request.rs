//! The callback listener's request path without the socket: scanning and parsing a request
//! head, the decision on it, and the pages it answers with. Pure, so that property tests and
//! the fuzz target (`fuzz/`) can drive it with any bytes.

use secrecy::SecretString;
use subtle::ConstantTimeEq;

use super::Callback;

/// Request heads larger than this get 431: a real callback is well under 2 KB.
pub(crate) const MAX_HEAD: usize = 8 * 1024;

/// What the real callback looks like: its path, the `Host` a browser following the redirect
/// URI sends, and this run's `state`.
#[derive(Clone)]
pub(crate) struct Check {
    pub(crate) path: String,
    pub(crate) hosts: Vec<String>,
    pub(crate) state: String,
}

/// For the fuzz target (`fuzz/`), which is another crate: the whole request path, from raw
/// bytes to a decision, checked for the invariants that must hold for any input. Built only
/// with `--cfg fuzzing` (which cargo-fuzz sets) and in unit tests, which keep it compiling.
#[cfg(any(fuzzing, test))]
pub fn fuzz_request(data: &[u8]) {
    let check = Check {
        path: "/callback".into(),
        hosts: vec!["127.0.0.1:8976".into()],
        state: "fuzz-state".into(),
    };
    let head = match scan_head(data) {
        Scan::Complete(end) => &data[..end],
        Scan::TooLarge => return,
        Scan::NeedMore => data,
    };
    let _ = parse_head(head);
    let (status, _, body, outcome) = decide(head, &check);
    assert!(
        outcome.is_none() || status == 200,
        "a callback only with 200"
    );
    assert!(
        !body.contains("<script"),
        "nothing from the request is reflected unescaped"
    );
    if let Some(Callback::Code(_)) = outcome {
        let text = String::from_utf8_lossy(head);
        assert!(text.starts_with("GET /callback"), "only a GET on the path");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_query(text);
        // The same bytes pasted as an address (the proptests check that it is judged as
        // its request is).
        let _ = judge_address(text, &check);
    }
}

/// Where reading a request head stands after the bytes received so far.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Scan {
    /// The head is `buf[..n]`, at most `MAX_HEAD` bytes; `\r\n\r\n` follows it.
    Complete(usize),
    NeedMore,
    /// The head is, or will be, longer than `MAX_HEAD`.
    TooLarge,
}

/// Decides on the bytes received so far, so that memory stays bounded: once `buf` holds
/// `MAX_HEAD + 4` bytes without the blank line, no valid head can follow.
pub(crate) fn scan_head(buf: &[u8]) -> Scan {
    match buf.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(end) if end <= MAX_HEAD => Scan::Complete(end),
        Some(_) => Scan::TooLarge,
        None if buf.len() >= MAX_HEAD + 4 => Scan::TooLarge,
        None => Scan::NeedMore,
    }
}

/// A parsed request head: just what the callback needs.
#[derive(Debug, PartialEq)]
pub(crate) struct Head {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) host: Option<String>,
}

/// Parses an HTTP/1.x request head (without its final blank line). `None` for anything
/// malformed.
pub(crate) fn parse_head(raw: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut lines = text.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let version = parts.next()?;
    if parts.next().is_some() || !version.starts_with("HTTP/1.") || method.is_empty() {
        return None;
    }
    let mut host = None;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        if name.eq_ignore_ascii_case("host") {
            if host.is_some() {
                return None; // two Host headers: ambiguous, refuse
            }
            host = Some(value.trim().to_ascii_lowercase());
        }
    }
    Some(Head {
        method,
        target,
        host,
    })
}

/// Status, reason phrase, page, and the callback when this request was the real one.
#[cfg(any(fuzzing, test))]
pub(crate) type Decision = (u16, &'static str, String, Option<Callback>);

/// What a request was to the run that waits.
pub(crate) enum Outcome {
    /// The real callback.
    Callback(Callback),
    /// A request for the callback path that cannot be the callback: the person waiting is
    /// told, as it is likely their browser (an old tab) and the wait will otherwise end as
    /// if nothing came.
    Rejected(Rejected),
    /// Anything else (a favicon, a scanner, garbage).
    Ignored,
}

/// Why a request for the callback path was refused. Never carries what the request held:
/// its values come from whoever sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejected {
    /// Its `state` is not this run's: a consent page from an earlier run, or a forgery.
    WrongState,
    /// No `state` at all.
    NoState,
    /// The right `state`, but no code and no error.
    NoCode,
    /// Malformed or repeated query parameters.
    BadQuery,
    /// A `Host` other than the callback URL's (a web page reaching for the port).
    WrongHost,
    /// Not a GET.
    NotGet,
}

impl Rejected {
    /// Why, in words for the person waiting.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Rejected::WrongState => {
                "its state did not match this run: it came from another consent page (a browser tab left from an earlier `init` or `login`, or another jira-auth run)"
            }
            Rejected::NoState => "it carried no state",
            Rejected::NoCode => "it carried neither a code nor an error",
            Rejected::BadQuery => "its query was malformed or repeated a parameter",
            Rejected::WrongHost => {
                "it named another host than the callback URL's (a web page, not the consent redirect)"
            }
            Rejected::NotGet => "it was not a GET request",
        }
    }
}

#[cfg(any(fuzzing, test))]
impl Outcome {
    fn callback(self) -> Option<Callback> {
        match self {
            Outcome::Callback(cb) => Some(cb),
            Outcome::Rejected(_) | Outcome::Ignored => None,
        }
    }
}

/// `judge`, with only the callback: what the properties and the fuzz target check.
#[cfg(any(fuzzing, test))]
pub(crate) fn decide(raw: &[u8], check: &Check) -> Decision {
    let (status, reason, body, outcome) = judge(raw, check);
    (status, reason, body, outcome.callback())
}

/// Everything the listener does with a request head, without the socket: pure, so that
/// property tests and the fuzz target can drive it with any bytes.
pub(crate) fn judge(raw: &[u8], check: &Check) -> (u16, &'static str, String, Outcome) {
    let Some(head) = parse_head(raw) else {
        return (
            400,
            "Bad Request",
            page_error("Malformed request."),
            Outcome::Ignored,
        );
    };
    let (path, query) = match head.target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (head.target.as_str(), ""),
    };
    // On the callback path, a refusal is worth telling the person waiting about.
    let refused = |why| {
        if path == check.path {
            Outcome::Rejected(why)
        } else {
            Outcome::Ignored
        }
    };
    match head.host.as_deref() {
        Some(h) if check.hosts.iter().any(|ok| ok == h) => {}
        _ => {
            return (
                400,
                "Bad Request",
                page_error("Unexpected Host header."),
                refused(Rejected::WrongHost),
            );
        }
    }
    if path != check.path {
        return (404, "Not Found", page_error("Not found."), Outcome::Ignored);
    }
    if head.method != "GET" {
        return (
            405,
            "Method Not Allowed",
            page_error("Only GET is accepted here."),
            refused(Rejected::NotGet),
        );
    }
    let Some(params) = parse_query(query) else {
        return (
            400,
            "Bad Request",
            page_error("Malformed or repeated query parameters."),
            refused(Rejected::BadQuery),
        );
    };
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let state_ok = get("state")
        .map(|s| bool::from(s.as_bytes().ct_eq(check.state.as_bytes())))
        .unwrap_or(false);
    if !state_ok {
        tracing::debug!("refused a callback request with a missing or wrong state");
        let why = if get("state").is_none() {
            Rejected::NoState
        } else {
            Rejected::WrongState
        };
        return (
            400,
            "Bad Request",
            page_error(
                "This sign-in link does not belong to the jira-auth run that is waiting. Nothing was changed.",
            ),
            refused(why),
        );
    }
    if let Some(error) = get("error") {
        let description = get("error_description").unwrap_or("").to_string();
        let body = page_denied(error, &description);
        return (
            200,
            "OK",
            body,
            Outcome::Callback(Callback::Denied {
                error: error.to_string(),
                description,
            }),
        );
    }
    match get("code") {
        Some(code) if !code.is_empty() => (
            200,
            "OK",
            page_success(),
            Outcome::Callback(Callback::Code(SecretString::from(code.to_string()))),
        ),
        _ => (
            400,
            "Bad Request",
            page_error("The callback carried no code."),
            refused(Rejected::NoCode),
        ),
    }
}

/// Why a pasted address is not this run's callback. Never carries what the address held: it
/// may hold the authorization code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PasteRefused {
    /// Not an address at all (spaces or control characters in it, nothing after the host).
    NotAnAddress,
    /// Another scheme, host, port or path than the callback URL's.
    NotTheCallback,
    /// The callback URL's, refused as the listener refuses such a request.
    Refused(Rejected),
}

/// A pasted address (what a browser on another machine ended on) judged as the request that
/// browser would have sent to the listener: a request head made from it goes through the
/// listener's own decision (`judge`: Host with its port, path, error parameters, `state` in
/// constant time), so a pasted address and a callback are accepted alike, or not at all.
/// The scheme may be left out, as some browsers show the address; a fragment, which never
/// reaches a server, is dropped.
pub(crate) fn judge_address(address: &str, check: &Check) -> Result<Callback, PasteRefused> {
    let address = address.trim();
    let scheme = address
        .get(..7)
        .filter(|s| s.eq_ignore_ascii_case("http://"));
    let rest = match scheme {
        Some(_) => &address[7..],
        None => address,
    };
    if rest.is_empty() || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(PasteRefused::NotAnAddress);
    }
    if rest.contains("://") {
        return Err(PasteRefused::NotTheCallback);
    }
    let Some(at) = rest.find(['/', '?']) else {
        return Err(PasteRefused::NotTheCallback);
    };
    let (authority, target) = rest.split_at(at);
    let target = target.split('#').next().unwrap_or_default();
    if !target.starts_with('/') {
        return Err(PasteRefused::NotTheCallback);
    }
    // The head holds the code: wiped once judged.
    let head =
        secrecy::zeroize::Zeroizing::new(format!("GET {target} HTTP/1.1\r\nHost: {authority}"));
    match judge(head.as_bytes(), check).3 {
        Outcome::Callback(callback) => Ok(callback),
        Outcome::Rejected(Rejected::WrongHost) | Outcome::Ignored => {
            Err(PasteRefused::NotTheCallback)
        }
        Outcome::Rejected(why) => Err(PasteRefused::Refused(why)),
    }
}

/// Parses a query string; a repeated parameter makes the whole query invalid (which of two
/// `state` values would we trust?).
pub(crate) fn parse_query(query: &str) -> Option<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if out.iter().any(|(n, _)| *n == k) {
            return None;
        }
        out.push((k.into_owned(), v.into_owned()));
    }
    Some(out)
}

pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body_html: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>jira-auth: {title}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#172b4d}}h1{{font-size:1.4em}}</style>\
</head><body><h1>{title}</h1>{body_html}</body></html>"
    )
}

pub(crate) fn page_success() -> String {
    page(
        "Signed in",
        "<p>jira-auth received the authorization. You can close this tab and return to the terminal.</p>",
    )
}

pub(crate) fn page_denied(error: &str, description: &str) -> String {
    page(
        "Authorization not granted",
        &format!(
            "<p>Atlassian answered <code>{}</code>: {}</p><p>Return to the terminal for what to do next.</p>",
            html_escape(error),
            html_escape(description)
        ),
    )
}

pub(crate) fn page_error(message: &str) -> String {
    page("jira-auth", &format!("<p>{}</p>", html_escape(message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check() -> Check {
        Check {
            path: "/callback".into(),
            hosts: vec!["127.0.0.1:8976".into()],
            state: "s3cr3t-state".into(),
        }
    }

    fn req(target: &str, host: &str) -> Vec<u8> {
        format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: t").into_bytes()
    }

    #[test]
    fn the_real_callback_yields_the_code() {
        let (status, _, body, cb) = decide(
            &req("/callback?code=abc&state=s3cr3t-state", "127.0.0.1:8976"),
            &check(),
        );
        assert_eq!(status, 200);
        assert!(body.contains("Signed in"));
        match cb {
            Some(Callback::Code(c)) => {
                assert_eq!(secrecy::ExposeSecret::expose_secret(&c), "abc")
            }
            _ => panic!("expected a code"),
        }
    }

    #[test]
    fn wrong_or_missing_state_is_ignored() {
        for target in ["/callback?code=abc&state=nope", "/callback?code=abc"] {
            let (status, _, _, cb) = decide(&req(target, "127.0.0.1:8976"), &check());
            assert_eq!(status, 400, "{target}");
            assert!(cb.is_none());
        }
    }

    #[test]
    fn other_paths_hosts_and_methods_are_refused() {
        let (s, ..) = decide(&req("/favicon.ico", "127.0.0.1:8976"), &check());
        assert_eq!(s, 404);
        let (s, ..) = decide(
            &req("/callback?code=a&state=s3cr3t-state", "evil.example:8976"),
            &check(),
        );
        assert_eq!(s, 400);
        let post = b"POST /callback?code=a&state=s3cr3t-state HTTP/1.1\r\nHost: 127.0.0.1:8976";
        let (s, ..) = decide(post, &check());
        assert_eq!(s, 405);
        let (s, ..) = decide(b"garbage", &check());
        assert_eq!(s, 400);
    }

    #[test]
    fn denial_is_reported_and_escaped() {
        let (status, _, body, cb) = decide(
            &req(
                "/callback?error=access_denied&error_description=%3Cscript%3Ex%3C%2Fscript%3E&state=s3cr3t-state",
                "127.0.0.1:8976",
            ),
            &check(),
        );
        assert_eq!(status, 200);
        assert!(!body.contains("<script>"));
        assert!(body.contains("&lt;script&gt;"));
        assert!(matches!(cb, Some(Callback::Denied { ref error, .. }) if error == "access_denied"));
    }

    #[test]
    fn refusals_on_the_callback_path_say_why_and_others_are_ignored() {
        let why = |raw: &[u8]| match judge(raw, &check()).3 {
            Outcome::Rejected(why) => Some(why),
            Outcome::Ignored => None,
            Outcome::Callback(_) => panic!("a callback"),
        };
        let host = "127.0.0.1:8976";
        assert_eq!(
            why(&req("/callback?code=a&state=other", host)),
            Some(Rejected::WrongState)
        );
        assert_eq!(why(&req("/callback?code=a", host)), Some(Rejected::NoState));
        assert_eq!(
            why(&req("/callback?state=s3cr3t-state", host)),
            Some(Rejected::NoCode)
        );
        assert_eq!(
            why(&req("/callback?state=a&state=b", host)),
            Some(Rejected::BadQuery)
        );
        assert_eq!(
            why(&req("/callback?code=a&state=s3cr3t-state", "evil:1")),
            Some(Rejected::WrongHost)
        );
        assert_eq!(
            why(b"POST /callback HTTP/1.1\r\nHost: 127.0.0.1:8976"),
            Some(Rejected::NotGet)
        );
        assert_eq!(why(&req("/favicon.ico", host)), None);
        assert_eq!(why(&req("/favicon.ico?state=x", "evil:1")), None);
        assert_eq!(why(b"garbage"), None);
    }

    #[test]
    fn a_pasted_address_is_judged_as_its_request_would_be() {
        let judged = |address: &str| judge_address(address, &check());
        let code = |r: Result<Callback, PasteRefused>| match r {
            Ok(Callback::Code(c)) => secrecy::ExposeSecret::expose_secret(&c).to_string(),
            Ok(Callback::Denied { .. }) => panic!("a denial"),
            Err(e) => panic!("refused: {e:?}"),
        };
        let good = "http://127.0.0.1:8976/callback?code=abc&state=s3cr3t-state";
        assert_eq!(code(judged(good)), "abc");
        assert_eq!(code(judged(&format!("  {good}#frag \r\n"))), "abc");
        assert_eq!(code(judged(&good.replace("http://", "HTTP://"))), "abc");
        // As a browser shows it without its scheme.
        assert_eq!(code(judged(&good["http://".len()..])), "abc");
        assert!(matches!(
            judged("http://127.0.0.1:8976/callback?error=access_denied&state=s3cr3t-state"),
            Ok(Callback::Denied { ref error, .. }) if error == "access_denied"
        ));
        for (address, why) in [
            ("", PasteRefused::NotAnAddress),
            ("yes", PasteRefused::NotTheCallback),
            (
                "http://127.0.0.1:8976/callback?code=a b&state=s3cr3t-state",
                PasteRefused::NotAnAddress,
            ),
            (
                "http://127.0.0.1:8976/callback?code=a\r\nHost: x&state=s3cr3t-state",
                PasteRefused::NotAnAddress,
            ),
            (
                "https://127.0.0.1:8976/callback?code=a&state=s3cr3t-state",
                PasteRefused::NotTheCallback,
            ),
            (
                "http://127.0.0.1:8977/callback?code=a&state=s3cr3t-state",
                PasteRefused::NotTheCallback,
            ),
            (
                "http://localhost:8976/callback?code=a&state=s3cr3t-state",
                PasteRefused::NotTheCallback,
            ),
            (
                "http://127.0.0.1:8976/other?code=a&state=s3cr3t-state",
                PasteRefused::NotTheCallback,
            ),
            (
                "http://127.0.0.1:8976?code=a&state=s3cr3t-state",
                PasteRefused::NotTheCallback,
            ),
            (
                "http://127.0.0.1:8976/callback?code=a&state=old",
                PasteRefused::Refused(Rejected::WrongState),
            ),
            (
                "http://127.0.0.1:8976/callback?code=a",
                PasteRefused::Refused(Rejected::NoState),
            ),
            (
                "http://127.0.0.1:8976/callback?state=s3cr3t-state",
                PasteRefused::Refused(Rejected::NoCode),
            ),
            (
                "http://127.0.0.1:8976/callback?state=a&state=b",
                PasteRefused::Refused(Rejected::BadQuery),
            ),
        ] {
            assert_eq!(judged(address).err(), Some(why), "{address:?}");
        }
    }

    #[test]
    fn repeated_parameters_are_refused() {
        assert!(parse_query("state=a&state=b").is_none());
        assert_eq!(parse_query("a=1&b=%20").unwrap()[1].1, " ");
    }

    #[test]
    fn head_parser_refuses_two_hosts_and_bad_versions() {
        assert!(parse_head(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b").is_none());
        assert!(parse_head(b"GET / SPDY/3").is_none());
        assert_eq!(
            parse_head(b"GET /x HTTP/1.0\r\nhOsT:  A:1 ")
                .unwrap()
                .host
                .as_deref(),
            Some("a:1")
        );
    }
}

/// Properties of the pure request path, over arbitrary and generated input.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use secrecy::ExposeSecret;

    const STATE: &str = "s3cr3t-state";
    const HOST: &str = "127.0.0.1:8976";

    fn check() -> Check {
        Check {
            path: "/callback".into(),
            hosts: vec![HOST.into()],
            state: STATE.into(),
        }
    }

    fn enc(s: &str) -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }

    fn head(method: &str, target: &str, host: &str) -> Vec<u8> {
        format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nAccept: */*").into_bytes()
    }

    /// Byte strings rich in the characters the parsers split on.
    fn http_ish() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"GET ".to_vec()),
            Just(b" HTTP/1.1".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\r\n\r\n".to_vec()),
            Just(b"Host: 127.0.0.1:8976".to_vec()),
            Just(b"/callback?".to_vec()),
            Just(b"state=s3cr3t-state".to_vec()),
            Just(b"&code=".to_vec()),
            Just(b"%".to_vec()),
            Just(b":".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..8),
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Nothing a client sends makes the listener panic, and a callback only ever
        /// comes with a 200 page.
        #[test]
        fn any_bytes_are_answered_without_panic(
            raw in prop_oneof![proptest::collection::vec(any::<u8>(), 0..2048), http_ish()]
        ) {
            let _ = parse_head(&raw);
            let _ = scan_head(&raw);
            let (status, _, body, outcome) = decide(&raw, &check());
            prop_assert!([200, 400, 404, 405].contains(&status));
            prop_assert!(outcome.is_none() || status == 200);
            prop_assert!(body.starts_with("<!doctype html>"));
            if let Ok(text) = std::str::from_utf8(&raw) {
                let _ = parse_query(text);
            }
        }

        /// A generated request yields the code exactly when it is a GET on the callback
        /// path, with the expected Host and state and a non-empty code.
        #[test]
        fn exactly_valid_gets_are_accepted(
            method in prop_oneof![
                Just("GET".to_string()), Just("POST".to_string()), Just("get".to_string()), "[A-Z]{1,7}"
            ],
            path in prop_oneof![
                Just("/callback".to_string()), Just("/callback/".to_string()),
                Just("/Callback".to_string()), "/[a-z]{0,10}"
            ],
            host in prop_oneof![
                Just(HOST.to_string()), Just("127.0.0.1:8977".to_string()),
                Just("localhost:8976".to_string()), "[a-z.]{1,12}"
            ],
            state in prop_oneof![Just(STATE.to_string()), Just(String::new()), ".{0,20}"],
            code in prop_oneof![Just(String::new()), ".{1,40}"],
            with_state in any::<bool>(),
        ) {
            let mut q = format!("code={}", enc(&code));
            if with_state {
                q.push_str(&format!("&state={}", enc(&state)));
            }
            let raw = head(&method, &format!("{path}?{q}"), &host);
            let (status, _, _, outcome) = decide(&raw, &check());
            let valid = method == "GET" && path == "/callback" && host == HOST
                && with_state && state == STATE && !code.is_empty();
            match outcome {
                Some(Callback::Code(c)) => {
                    prop_assert!(valid);
                    prop_assert_eq!(c.expose_secret(), code.as_str());
                    prop_assert_eq!(status, 200);
                }
                Some(Callback::Denied { .. }) => prop_assert!(false, "no error parameter was sent"),
                None => prop_assert!(!valid, "a valid callback was refused with {}", status),
            }
        }

        /// A pasted address is accepted exactly when the request a browser following it sends
        /// is: the same code, or the same refusal.
        #[test]
        fn a_pasted_address_and_its_request_are_judged_alike(
            path in prop_oneof![Just("/callback".to_string()), Just("/Callback".to_string()), "/[a-z]{0,10}"],
            host in prop_oneof![
                Just(HOST.to_string()), Just("127.0.0.1:8977".to_string()),
                Just("localhost:8976".to_string()), "[a-z.]{1,12}"
            ],
            state in prop_oneof![Just(STATE.to_string()), ".{0,20}"],
            code in prop_oneof![Just(String::new()), ".{1,40}"],
            error in prop_oneof![Just(None), Just(Some("access_denied".to_string()))],
        ) {
            let mut q = format!("code={}&state={}", enc(&code), enc(&state));
            if let Some(e) = &error {
                q.push_str(&format!("&error={e}"));
            }
            let target = format!("{path}?{q}");
            let (_, _, _, heard) = decide(&head("GET", &target, &host), &check());
            let pasted = judge_address(&format!("http://{host}{target}"), &check());
            match (heard, pasted) {
                (Some(Callback::Code(a)), Ok(Callback::Code(b))) => {
                    prop_assert_eq!(a.expose_secret(), b.expose_secret());
                }
                (Some(Callback::Denied { error: a, .. }), Ok(Callback::Denied { error: b, .. })) => {
                    prop_assert_eq!(a, b);
                }
                (None, Err(_)) => {}
                (heard, pasted) => prop_assert!(
                    false,
                    "the listener {} it, the paste {} it",
                    if heard.is_some() { "took" } else { "refused" },
                    if pasted.is_ok() { "took" } else { "refused" }
                ),
            }
        }

        /// The state must match byte for byte, whatever encoding carried it.
        #[test]
        fn state_must_match_exactly(state in any::<String>()) {
            let raw = head("GET", &format!("/callback?code=c&state={}", enc(&state)), HOST);
            let (_, _, _, outcome) = decide(&raw, &check());
            prop_assert_eq!(outcome.is_some(), state == STATE);
        }

        /// What a browser percent-encodes comes back decoded, unchanged; repeated names
        /// make the whole query invalid.
        #[test]
        fn percent_decoding_round_trips(
            pairs in proptest::collection::vec((".{0,12}", ".{0,24}"), 0..6)
        ) {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                ser.append_pair(k, v);
            }
            let query = ser.finish();
            let distinct = pairs.iter().enumerate()
                .all(|(i, (k, _))| pairs[..i].iter().all(|(k2, _)| k2 != k));
            match parse_query(&query) {
                Some(parsed) => {
                    prop_assert!(distinct);
                    prop_assert_eq!(parsed, pairs);
                }
                None => prop_assert!(!distinct),
            }
        }

        /// Any error text Atlassian (or an attacker) puts in the query reaches the page
        /// escaped, never as markup.
        #[test]
        fn denial_text_is_never_reflected_raw(desc in ".{0,60}", err in "[a-z_<>\"'&]{1,20}") {
            let target = format!(
                "/callback?error={}&error_description={}&state={STATE}",
                enc(&err), enc(&desc)
            );
            let (status, _, body, outcome) = decide(&head("GET", &target, HOST), &check());
            prop_assert_eq!(status, 200);
            let is_denied = matches!(outcome, Some(Callback::Denied { .. }));
            prop_assert!(is_denied);
            let shown = body.split("<body>").nth(1).unwrap_or_default();
            prop_assert!(shown.contains(&html_escape(&desc)));
            prop_assert!(shown.contains(&html_escape(&err)));
            // The page's own markup: every '<' opens one of the tags page() writes.
            let tags = shown.matches('<').count();
            prop_assert_eq!(tags, 10, "{}", shown);
        }

        /// Heads up to MAX_HEAD bytes are read; longer ones are refused as soon as that is
        /// certain, however the bytes are split into reads.
        #[test]
        fn oversized_heads_are_refused(
            len in 0usize..(MAX_HEAD + 64),
            fill in prop_oneof![Just(b'a'), Just(b'\r'), Just(b'\n'), Just(b' ')],
            chunk in 1usize..2048,
        ) {
            // `fill` repeated never contains "\r\n\r\n" on its own.
            let mut data = vec![fill; len];
            data.extend_from_slice(b"\r\n\r\n");
            let mut buf = Vec::new();
            let mut outcome = Scan::NeedMore;
            for piece in data.chunks(chunk) {
                buf.extend_from_slice(piece);
                outcome = scan_head(&buf);
                if outcome != Scan::NeedMore {
                    break;
                }
                prop_assert!(buf.len() < MAX_HEAD + 4, "buffered past the limit");
            }
            let expected = if len <= MAX_HEAD { Scan::Complete(len) } else { Scan::TooLarge };
            // A fill of '\r' or '\n' can form the terminator with the appended one earlier.
            if fill == b'a' || fill == b' ' {
                prop_assert_eq!(outcome, expected);
            } else {
                prop_assert_ne!(outcome, Scan::NeedMore);
            }
        }
    }

    #[test]
    fn the_fuzz_entry_point_holds_on_sample_inputs() {
        fuzz_request(
            b"GET /callback?code=abc&state=fuzz-state HTTP/1.1\r\nHost: 127.0.0.1:8976\r\n\r\n",
        );
        fuzz_request(
            b"GET /callback?error=%3Cscript%3E&state=fuzz-state HTTP/1.1\r\nHost: 127.0.0.1:8976",
        );
        fuzz_request(&[0xff; 9000]);
        fuzz_request(b"");
    }

    #[test]
    fn head_at_the_limit_is_read_and_one_more_byte_is_not() {
        let mut at = vec![b'a'; MAX_HEAD];
        at.extend_from_slice(b"\r\n\r\n");
        assert_eq!(scan_head(&at), Scan::Complete(MAX_HEAD));
        let mut over = vec![b'a'; MAX_HEAD + 1];
        over.extend_from_slice(b"\r\n\r\n");
        assert_eq!(scan_head(&over), Scan::TooLarge);
        assert_eq!(scan_head(&over[..MAX_HEAD + 3]), Scan::NeedMore);
    }
}
