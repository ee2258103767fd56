//! The Windows build run under Wine, for the Windows suite (`tests/cases/windows.rs`, run by
//! `scripts/test-windows.sh`): `jira-auth.exe` started by Wine's loader against a test's world
//! (the emulator on this machine's loopback, a config dir of its own), and Windows'
//! Credential Manager read with `credlist.exe` (CredEnumerateW, as `cmdkey /list` reads it),
//! never through jira-auth's own code.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::env::{Run, TestEnv, run};

/// The Windows build to run, with `credlist.exe` and the `bcryptprimitives.dll` shim beside
/// it (scripts/test-windows.sh puts them there).
pub const EXE_ENV: &str = "JIRA_AUTH_TEST_WINDOWS_EXE";
/// Wine's loader (`/usr/lib/wine/wine64` on Debian); `WINEPREFIX` names the prefix.
pub const LOADER_ENV: &str = "JIRA_AUTH_TEST_WINE";

pub struct Wine {
    loader: PathBuf,
    exe: PathBuf,
}

impl Wine {
    /// What scripts/test-windows.sh set up; a test run without it fails saying so.
    #[track_caller]
    pub fn get() -> Wine {
        let var = |name: &str| {
            std::env::var_os(name).map(PathBuf::from).unwrap_or_else(|| {
                panic!("{name} is not set: the Windows suite runs under Wine with scripts/test-windows.sh")
            })
        };
        let wine = Wine {
            loader: var(LOADER_ENV),
            exe: var(EXE_ENV),
        };
        assert!(
            std::env::var_os("WINEPREFIX").is_some(),
            "WINEPREFIX is not set: run scripts/test-windows.sh"
        );
        wine
    }

    /// `linux`, a command made from [`TestEnv::cmd`], as the Windows build: the same
    /// arguments and environment, the config dir given as a Windows path (drive Z: is the
    /// Unix root in a Wine prefix), and no `$BROWSER` (Windows ignores it; the tests answer
    /// the consent themselves or let the sandbox do it).
    pub fn command(&self, linux: &Command) -> Command {
        let mut cmd = Command::new(&self.loader);
        cmd.arg(&self.exe).args(linux.get_args());
        for (k, v) in linux.get_envs() {
            match v {
                Some(v) if k == "JIRA_AUTH_CONFIG_DIR" => cmd.env(k, windows_path(Path::new(v))),
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.env_remove("BROWSER");
        cmd
    }

    /// `jira-auth.exe ARGS…` in `env`'s world.
    pub fn jira(&self, env: &TestEnv, args: &[&str]) -> Run {
        let mut linux = env.cmd();
        linux.args(args);
        run(self.command(&linux))
    }

    /// Every generic credential in the prefix's Credential Manager: its target name and the
    /// size of its secret in bytes.
    pub fn credentials(&self) -> Vec<(String, usize)> {
        let credlist = self.exe.with_file_name("credlist.exe");
        let out = Command::new(&self.loader)
            .arg(&credlist)
            .output()
            .expect("Wine runs credlist.exe");
        let stdout = String::from_utf8(out.stdout).expect("credlist prints UTF-8");
        assert!(
            out.status.success(),
            "credlist.exe failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
            .lines()
            .map(|line| {
                let (name, size) = line
                    .trim_end_matches('\r')
                    .rsplit_once('\t')
                    .unwrap_or_else(|| panic!("credlist printed {line:?}"));
                (name.to_string(), size.parse().expect("a size in bytes"))
            })
            .collect()
    }

    /// The credentials of `profile` (its item `PROFILE@NAMESPACE.jira-auth` and the chunks
    /// and markers `.chunk.PROFILE@…` of store::chunked), sorted by name.
    pub fn credentials_of(&self, profile: &str) -> Vec<(String, usize)> {
        let own = format!("{profile}@");
        let chunk = format!(".chunk.{profile}@");
        let mut of: Vec<_> = self
            .credentials()
            .into_iter()
            .filter(|(name, _)| name.starts_with(&own) || name.starts_with(&chunk))
            .collect();
        of.sort();
        of
    }
}

/// `path` as the Windows build sees it in a Wine prefix: `Z:\tmp\…` for `/tmp/…`.
pub fn windows_path(path: &Path) -> String {
    let unix = path.to_str().expect("a UTF-8 path");
    assert!(unix.starts_with('/'), "an absolute path: {unix}");
    format!("Z:{}", unix.replace('/', "\\"))
}
