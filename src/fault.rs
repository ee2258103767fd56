//! Debug builds only: named points where a test can make the program panic, to check that a
//! panic while secrets are in memory prints none of them (with `RUST_BACKTRACE=1` too). The
//! point is armed from `JIRA_AUTH_TEST_PANIC_AT` (see settings); release builds compile all
//! of this to nothing.

#[cfg(debug_assertions)]
static ARMED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Arms the point called `name` for the rest of the process (the first call wins).
pub(crate) fn arm(name: Option<&str>) {
    #[cfg(debug_assertions)]
    if let Some(name) = name {
        let _ = ARMED.set(name.to_string());
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}

/// Panics when the point called `name` is armed.
pub(crate) fn point(name: &str) {
    #[cfg(debug_assertions)]
    if ARMED.get().is_some_and(|armed| armed == name) {
        panic!("forced panic at '{name}' (JIRA_AUTH_TEST_PANIC_AT)");
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}
