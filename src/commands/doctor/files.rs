//! The check of `doctor` on the files of the config dir: the config dir and the index are
//! yours and writable by you alone, and so is a file-store profile's credentials file, as
//! every command requires (`store::trust`). First, so that a refusal every later check would
//! meet is named for what it is. On Windows nothing is checked (`store::trust` reads Unix
//! owners and modes only), and the check says so rather than pass.

use super::check::Check;
use crate::commands::Ctx;

pub(super) fn files(ctx: &Ctx) -> Check {
    const NAME: &str = "files";
    let found = ctx.profiles.find(ctx.wanted()).ok();
    match ctx.profiles.check_files(found.as_ref()) {
        Ok(_) if cfg!(windows) => Check::skip(
            NAME,
            "owners and permissions are not checked on Windows: the config dir has the access list it inherits (under %APPDATA%, yours alone unless changed)",
        ),
        Ok(checked) => {
            let names: Vec<String> = checked.iter().map(|p| p.display().to_string()).collect();
            Check::pass(
                NAME,
                format!("yours, and writable by you alone: {}", names.join(", ")),
            )
        }
        Err(e) => Check::from_error(NAME, e, "make the files yours and private (chmod go-w)"),
    }
}
