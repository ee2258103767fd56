//! Opening the consent URL in a browser, without ever blocking the flow on it.

/// Whether a browser can be expected to open: `$BROWSER` counts even without a display
/// (remote editors and the tests provide one that way); on Linux/BSD without `$BROWSER`, a
/// display is needed.
pub fn available() -> bool {
    if std::env::var_os("BROWSER").is_some_and(|b| !b.is_empty()) {
        return true;
    }
    if cfg!(any(target_os = "macos", windows)) {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()))
}

/// Starts the browser on a separate thread: a text browser named in `$BROWSER` runs in the
/// foreground and would otherwise hold the flow until it exits. Failures are reported at
/// debug level only: the URL is always printed, so the user can open it by hand.
pub fn open(url: &str) {
    let url = url.to_string();
    let spawned = std::thread::Builder::new()
        .name("browser".into())
        .spawn(move || {
            if let Err(e) = webbrowser::open(&url) {
                tracing::info!(error = %e, "could not open a browser; open the printed URL by hand");
            }
        });
    if let Err(e) = spawned {
        tracing::info!(error = %e, "could not start the browser thread");
    }
}
