//! Opening the consent URL in a browser, without ever blocking the flow on it.

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
