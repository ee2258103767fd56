//! The consent page of the emulated auth.atlassian.com, for a person in a real browser
//! ([`Consent::Ask`]): a plain HTML form with Approve and Deny, posted back to
//! `POST /authorize/consent`, which redirects to the app's callback as Atlassian does (a code,
//! or `error=access_denied`). The page loads nothing and runs nothing (its CSP says so), and
//! says on every line that it is the sandbox, not Atlassian.

use std::time::Instant;

use super::auth::error_page;
use super::{
    CODE_TTL, Emulator, Endpoint, OFFLINE_ACCESS, State, USER_EMAIL, USER_NAME, method_not_allowed,
};
use crate::http::{Request, Response};

/// A valid `/authorize` request waiting for the person's answer.
pub(super) struct Pending {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) scopes: Vec<String>,
    /// The app's `state`, as it came (decoded).
    pub(super) state: String,
    pub(super) asked_at: Instant,
}

/// What the consent page says a scope lets the app do, for the scopes it knows.
pub(super) type DescribeScope = fn(&str) -> Option<&'static str>;

impl Emulator {
    /// Where the consent page finds each scope's one-line description (jira-auth's catalog,
    /// for the sandbox); without one it lists the names alone.
    pub fn describe_scopes(&self, describe: fn(&str) -> Option<&'static str>) {
        self.lock().describe_scope = Some(describe);
    }

    /// How many consent pages are waiting for an answer.
    #[cfg(test)]
    fn pending_consents(&self) -> usize {
        self.lock().pending.len()
    }
}

impl State {
    /// `POST /authorize/consent`: the person's answer to a consent page.
    pub(super) fn handle_decision(&mut self, req: &Request) -> Response {
        if let Some(fault) = self.count_and_fault(Endpoint::Decision) {
            return fault;
        }
        if req.method != "POST" {
            return method_not_allowed("POST");
        }
        let form = req.form();
        let field = |name: &str| {
            form.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default()
        };
        // Single use: a second answer (the back button, a double click) finds nothing.
        let pending = match self.pending.remove(field("request")) {
            Some(p) if p.asked_at.elapsed() < CODE_TTL => p,
            _ => {
                return error_page(
                    400,
                    "invalid_request",
                    "This consent request is unknown, expired or already answered",
                );
            }
        };
        match field("decision") {
            "approve" => self.approve(
                &pending.client_id,
                &pending.redirect_uri,
                pending.scopes,
                &pending.state,
            ),
            "deny" => denied(&pending.redirect_uri, &pending.state),
            _ => error_page(400, "invalid_request", "decision must be approve or deny"),
        }
    }

    /// Keeps the request and shows the page that asks about it.
    pub(super) fn ask(&mut self, pending: Pending) -> Response {
        let handle = self.secret("consent-");
        let page = consent_page(&handle, &pending, &self.site_names(), self.describe_scope);
        let callback_origin = origin(&pending.redirect_uri).to_string();
        self.pending.insert(handle, pending);
        Response::html(200, &page)
            .with_header(
                "Content-Security-Policy",
                &format!(
                    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' {callback_origin}; base-uri 'none'; frame-ancestors 'none'"
                ),
            )
            .with_header("Cache-Control", "no-store")
            .with_header("Referrer-Policy", "no-referrer")
            .with_header("X-Content-Type-Options", "nosniff")
            .with_header("X-Frame-Options", "DENY")
    }

    fn site_names(&self) -> Vec<String> {
        self.sites
            .iter()
            .map(|s| format!("{} ({})", s.name, s.url))
            .collect()
    }
}

/// The redirect of a declined consent, as Atlassian sends it.
pub(super) fn denied(redirect_uri: &str, state: &str) -> Response {
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    Response::redirect(&format!(
        "{redirect_uri}{separator}error=access_denied\
         &error_description=User%20did%20not%20authorize%20the%20request&state={}",
        crate::http::percent_encode(state)
    ))
}

/// `scheme://host:port` of an absolute URL (the whole value when it has no path).
fn origin(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    &url[..end]
}

fn consent_page(
    handle: &str,
    pending: &Pending,
    sites: &[String],
    describe: Option<DescribeScope>,
) -> String {
    let scopes: String = pending
        .scopes
        .iter()
        .map(|s| {
            let what = match describe.and_then(|describe| describe(s)) {
                Some(description) => description,
                None if s == OFFLINE_ACCESS => "Keep access while you are away (a refresh token).",
                None => "",
            };
            format!(
                "<li><code>{}</code> {}</li>",
                html_escape(s),
                html_escape(what)
            )
        })
        .collect();
    let sites: String = sites
        .iter()
        .map(|s| format!("<li>{}</li>", html_escape(s)))
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>jira-auth sandbox: authorize access</title><style>{STYLE}</style></head><body>\
<p class=\"banner\">jira-auth sandbox: an emulated Atlassian on this machine. Nothing here reaches Atlassian.</p>\
<main><h1>Authorize access to your Atlassian account</h1>\
<p>The app <code>{client}</code> is requesting access. Signed in as {user} ({email}).</p>\
<h2>It wants to</h2><ul>{scopes}</ul>\
<h2>On these sites</h2><ul>{sites}</ul>\
<form method=\"post\" action=\"/authorize/consent\">\
<input type=\"hidden\" name=\"request\" value=\"{handle}\">\
<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button>\
<button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">Approve</button>\
</form><p class=\"small\">Approve sends you back to <code>{callback}</code>.</p></main></body></html>",
        client = html_escape(&pending.client_id),
        user = html_escape(USER_NAME),
        email = html_escape(USER_EMAIL),
        handle = html_escape(handle),
        callback = html_escape(&pending.redirect_uri),
    )
}

/// Text made safe inside HTML elements and attribute values.
fn html_escape(text: &str) -> String {
    text.chars()
        .fold(String::with_capacity(text.len()), |mut out, c| {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
            out
        })
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;color:#172b4d;margin:0}\
.banner{background:#fff4e5;border-bottom:1px solid #f5cd47;margin:0;padding:.6em 1em;font-size:.9em}\
main{max-width:36em;margin:2em auto;padding:0 1em}h1{font-size:1.4em}h2{font-size:1.05em;margin-top:1.5em}\
li{margin:.3em 0}code{background:#f1f2f4;padding:0 .25em;border-radius:3px}\
form{margin-top:2em;display:flex;gap:1em;justify-content:flex-end}\
button{font-size:1em;padding:.5em 1.4em;border-radius:3px;border:1px solid #8590a2;background:#fff;cursor:pointer}\
#approve{background:#0c66e4;border-color:#0c66e4;color:#fff}.small{font-size:.85em;color:#44546f}";

#[cfg(test)]
mod tests {
    use super::super::tests::{http, post_token};
    use super::super::*;
    use super::*;
    use crate::http::parse_urlencoded;

    const REDIRECT: &str = "http://127.0.0.1:8421/callback";

    fn emulator() -> Emulator {
        let emu = Emulator::start();
        emu.register_client(Client::new("cid", "csecret", REDIRECT, &["read:me"]));
        emu.set_consent(Consent::Ask);
        emu
    }

    /// The consent page for `read:me offline_access`, checked; the handle of its form.
    fn page(emu: &Emulator) -> String {
        let url = format!(
            "{}/authorize?audience=api.atlassian.com&client_id=cid&scope=read%3Ame%20offline_access\
             &redirect_uri={}&state=s%261&response_type=code&prompt=consent",
            emu.auth_url(),
            crate::http::percent_encode(REDIRECT)
        );
        let response = http().get(url).send().unwrap();
        assert_eq!(response.status(), 200);
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.starts_with("default-src 'none';"), "{csp}");
        assert!(
            csp.contains("form-action 'self' http://127.0.0.1:8421;"),
            "{csp}"
        );
        let body = response.text().unwrap();
        let handle = body
            .split("name=\"request\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_string();
        for text in [
            "jira-auth sandbox",
            "Nothing here reaches Atlassian",
            "<code>read:me</code>",
            "<code>offline_access</code>",
            "value=\"approve\"",
            "value=\"deny\"",
            "acme (https://acme.atlassian.net)",
        ] {
            assert!(body.contains(text), "{text}: {body}");
        }
        assert!(
            !body.contains("<script") && !body.contains("src="),
            "{body}"
        );
        handle
    }

    fn decide(emu: &Emulator, handle: &str, decision: &str) -> reqwest::blocking::Response {
        http()
            .post(format!("{}/authorize/consent", emu.auth_url()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("request={handle}&decision={decision}"))
            .send()
            .unwrap()
    }

    #[test]
    fn the_page_waits_for_approve_and_each_page_answers_once() {
        let emu = emulator();
        let handle = page(&emu);
        assert!(
            emu.issued_secrets().iter().all(|s| !s.starts_with("code-")),
            "no code before the answer"
        );
        assert_eq!(emu.pending_consents(), 1);
        let response = decide(&emu, &handle, "approve");
        assert_eq!(response.status(), 302);
        let location = response.headers()["location"].to_str().unwrap().to_string();
        let (base, query) = location.split_once('?').unwrap();
        assert_eq!(base, REDIRECT);
        let query = parse_urlencoded(query.as_bytes());
        assert_eq!(query[0].0, "code");
        assert_eq!(query[1], ("state".into(), "s&1".into()));
        assert_eq!(emu.pending_consents(), 0);
        let again = decide(&emu, &handle, "approve");
        assert_eq!(again.status(), 400);
        assert!(again.text().unwrap().contains("already answered"));
        // The code works like any other.
        let body = serde_json::json!({"grant_type": "authorization_code", "client_id": "cid",
            "client_secret": "csecret", "code": query[0].1, "redirect_uri": REDIRECT});
        let (status, answer) = post_token(&emu, body);
        assert_eq!(status, 200);
        assert_eq!(answer["scope"], "read:me offline_access");
    }

    #[test]
    fn deny_redirects_with_access_denied_and_bad_answers_are_refused() {
        let emu = emulator();
        let handle = page(&emu);
        assert_eq!(decide(&emu, &handle, "maybe").status(), 400);
        let handle = page(&emu);
        let response = decide(&emu, &handle, "deny");
        assert_eq!(response.status(), 302);
        assert_eq!(
            response.headers()["location"],
            format!(
                "{REDIRECT}?error=access_denied&error_description=User%20did%20not%20authorize%20the%20request&state=s%261"
            )
            .as_str()
        );
        assert_eq!(decide(&emu, "consent-forged", "approve").status(), 400);
        let get = http()
            .get(format!("{}/authorize/consent", emu.auth_url()))
            .send()
            .unwrap();
        assert_eq!(get.status(), 405);
        assert_eq!(emu.hits(Endpoint::Decision), 4);
        assert!(emu.issued_secrets().iter().all(|s| !s.starts_with("code-")));
    }

    #[test]
    fn html_escape_leaves_no_markup() {
        assert_eq!(
            html_escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn origins_of_callback_urls() {
        assert_eq!(
            origin("http://127.0.0.1:8976/callback?x=1"),
            "http://127.0.0.1:8976"
        );
        assert_eq!(origin("http://[::1]:9/cb"), "http://[::1]:9");
        assert_eq!(origin("http://localhost:9"), "http://localhost:9");
    }
}
