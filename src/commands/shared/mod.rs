//! What several commands share, in one home rather than inside one of them (as gh's
//! `pkg/cmd/auth/shared`): the browser consent of `init` and `login` (consent/), the report of
//! a saved profile both print (saved.rs), the choice of scopes of `init` and `composio init`
//! (scope_choice.rs), the credentials and the site `init` and stateless
//! mode read alike (input.rs, site.rs), and the environment's service account of `token`,
//! `header` and `exec` (stateless.rs), what a shell says of a command `exec` or `proxy`
//! cannot start (child.rs). A command module imports these, never another command.

pub(super) mod child;
pub(super) mod consent;
pub(super) mod input;
pub(super) mod saved;
pub(super) mod scope_choice;
pub(super) mod site;
pub(super) mod stateless;
