//! Whole screens as file snapshots: what a user sees of one run of `jira-auth` (the command
//! line, the exit code, stdout and stderr), pinned in `tests/snapshots/NAME.snap` so that a
//! reviewer reads each screen as it is. Everything that differs between runs is replaced by
//! a `[label]`:
//!
//! ```ignore
//! let _snapshots = env.snapshots();
//! let out = env.jira(&["doctor"]);
//! insta::assert_snapshot!("doctor_healthy", env.screen(&out));
//! ```
//!
//! Secrets (the client secret, every code and token the emulator issued, the service
//! account's secret and the API tokens with their Basic credentials) are replaced before the
//! text reaches insta, so that neither a `.snap` nor a `.snap.new` written for a mismatch can
//! hold one. The volatile rest (profile name, ports, emulator URLs, the sites' own hosts,
//! temporary paths, dates, relative times, OAuth `state`, clock skew) is replaced by insta
//! filters. New or changed screens are written with `INSTA_UPDATE=always scripts/test.sh`;
//! under `CI=true` a screen that differs from its snapshot fails the test.

use super::env::{Run, TestEnv};

impl TestEnv {
    /// Binds, until the guard is dropped, insta's settings for this world's screens: file
    /// snapshots in `tests/snapshots/`, named as given, and the filters of its volatile parts.
    pub fn snapshots(&self) -> insta::internals::SettingsBindDropGuard {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        for (regex, label) in self.filters() {
            settings.add_filter(&regex, label);
        }
        settings.bind_to_scope()
    }

    /// The filters, most specific first (a filter sees what the ones before it left).
    fn filters(&self) -> Vec<(String, &'static str)> {
        let dir = self.dir.path().to_string_lossy().into_owned();
        let host_of = |url: String| url.trim_start_matches("http://").to_string();
        // Other sites' hosts the test started before binding the snapshots.
        let other_sites = self
            .emu
            .site_urls()
            .into_iter()
            .filter(|(_, url)| *url != self.site_url)
            .map(|(_, url)| (literal(&url), "[another-site]"));
        let mut filters = vec![
            (literal(&self.profile), "[profile]"),
            (literal(&dir), "[tmp]"),
            (
                r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})".to_string(),
                "[timestamp]",
            ),
            (literal(&self.emu.auth_url()), "[auth.atlassian.com]"),
            (literal(&self.emu.api_url()), "[api.atlassian.com]"),
            (
                literal(&host_of(self.emu.auth_url())),
                "[auth.atlassian.com]",
            ),
            (literal(&host_of(self.emu.api_url())), "[api.atlassian.com]"),
            // The world's first site's own host.
            (literal(&self.site_url), "[site]"),
        ];
        filters.extend(other_sites);
        if let Some(dc) = &self.dc {
            filters.push((literal(&dc.origin()), "[jira-dc]"));
            filters.push((literal(&host_of(dc.origin())), "[jira-dc]"));
        }
        filters.extend([
            (format!(r"\b{}\b", self.port), "[port]"),
            // The callback URL inside the consent URL's query.
            (format!(r"%3A{}\b", self.port), "%3A[port]"),
            // A few seconds either way: "just now", on whichever side of a second's boundary
            // it was printed. Whole days are left as they are: they are stable.
            (r"\b(in \d s|\d s ago|just now)\b".to_string(), "[now]"),
            (r"\bin \d+ (s|min|h)\b".to_string(), "in [relative]"),
            (r"\b\d+ (s|min|h) ago\b".to_string(), "[relative] ago"),
            // What one second of HTTP `Date` resolution makes of two clocks that agree.
            (
                r"the local clock is \d s (ahead of|behind) Atlassian's".to_string(),
                "the local clock is [under 10 s] ahead of or behind Atlassian's",
            ),
            (
                r"the local clock is \d s (ahead of|behind) the Jira server's".to_string(),
                "the local clock is [under 10 s] ahead of or behind the Jira server's",
            ),
            (r"\bstate=[A-Za-z0-9_.~%-]+".to_string(), "state=[state]"),
            (
                r"\bcode_challenge=[A-Za-z0-9_.~%-]+".to_string(),
                "code_challenge=[challenge]",
            ),
        ]);
        filters
    }

    /// `run` as a user saw it, with this world's secrets replaced by what they are.
    #[track_caller]
    pub fn screen(&self, run: &Run) -> String {
        let stream = |name: &str, text: &str| {
            if text.is_empty() {
                format!("----- {name}: (empty)\n")
            } else {
                format!("----- {name}:\n{text}")
            }
        };
        let mut screen = format!(
            "$ {}\nexit code: {}\n{}",
            run.command,
            run.code,
            stream("stdout", &run.stdout)
        );
        if !screen.ends_with('\n') {
            screen.push_str("\n----- (no newline at the end of stdout)\n");
        }
        screen.push_str(&stream("stderr", &run.stderr));
        for secret in self.secrets() {
            let label = match secret.split('-').next() {
                _ if secret.starts_with("dc-at-") => "[access-token]",
                _ if secret.starts_with("dc-rt-") => "[refresh-token]",
                _ if secret.starts_with("dc-code-") => "[authorization-code]",
                _ if secret == self.dc_pat => "[personal-access-token]",
                _ if secret == self.dc_secret => "[client-secret]",
                Some("at") => "[access-token]",
                Some("rt") => "[refresh-token]",
                Some("code") => "[authorization-code]",
                _ if secret.starts_with("ATATT") => "[api-token]",
                _ if secret.starts_with("ATSA") => "[service-account-secret]",
                _ if !secret.starts_with("ATOA") => "[basic-credentials]",
                _ => "[client-secret]",
            };
            screen = screen.replace(&secret, label);
        }
        self.assert_no_secret_in("the screen", &screen);
        screen
    }
}

/// A regex that matches `text` exactly.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
