//! A command that `exec` or `proxy` cannot start, said as a shell says it: 127 not found,
//! 126 found but not executable (a directory, no execute permission, not a program).

use crate::error::{CliError, Code};

/// What a shell says of a command it cannot start, and its exit status.
pub(in crate::commands) fn cannot_start(program: &str, e: &std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::NotFound {
        return CliError::new(
            Code::CommandNotFound,
            format!("cannot run '{program}': command not found"),
        )
        .hint("check the name, or give its path; the command is looked for on PATH");
    }
    let why = if std::path::Path::new(program).is_dir() {
        "it is a directory".to_string()
    } else if e.kind() == std::io::ErrorKind::PermissionDenied {
        "permission denied (is it executable? `chmod +x` it)".to_string()
    } else {
        e.to_string()
    };
    CliError::new(
        Code::CommandNotExecutable,
        format!("cannot run '{program}': {why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_that_cannot_start_is_said_as_a_shell_says_it() {
        let e = cannot_start("nope", &std::io::ErrorKind::NotFound.into());
        assert_eq!(
            (e.exit().code(), e.code().as_str()),
            (127, "command_not_found")
        );
        assert_eq!(e.message(), "cannot run 'nope': command not found");
        let e = cannot_start("/", &std::io::ErrorKind::PermissionDenied.into());
        assert_eq!(
            (e.exit().code(), e.code().as_str()),
            (126, "command_not_executable")
        );
        assert_eq!(e.message(), "cannot run '/': it is a directory");
    }
}
