//! A `jira-auth` left running while a test acts on it (`init` waiting for a browser, a
//! `jira-auth sandbox` serving), its stdout and stderr going to files the test can read as
//! they grow.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[cfg(unix)]
use super::env::Run;
use super::env::command_line;

pub struct Spawned {
    #[cfg_attr(
        not(unix),
        expect(dead_code, reason = "read by finish(), which only the Unix tests call")
    )]
    command: String,
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Spawned {
    /// Starts `cmd` with no stdin, its output in `dir`/`name`.out and .err.
    pub fn start(mut cmd: Command, dir: &Path, name: &str) -> Spawned {
        let command = command_line(&cmd);
        let out = dir.join(format!("{name}.out"));
        let err = dir.join(format!("{name}.err"));
        let file = |p: &Path| std::fs::File::create(p).expect("an output file");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(file(&out)))
            .stderr(Stdio::from(file(&err)));
        let child = cmd.spawn().expect("jira-auth starts");
        Spawned {
            command,
            child,
            out,
            err,
        }
    }

    #[cfg(unix)]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// Waits (up to 30 s) until stdout satisfies `ready`; what it says then.
    pub fn wait_for_stdout(&mut self, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self.stdout();
            if ready(&out) {
                return out;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "ended ({status}) before it was ready:\n{out}\n{}",
                    self.stderr()
                );
            }
            assert!(Instant::now() < deadline, "never ready:\n{}", self.stderr());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (up to `limit`) for the exit; what it printed.
    #[cfg(unix)]
    pub fn finish(mut self, limit: Duration) -> Run {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("{} did not end:\n{}", self.command, self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Run {
            command: self.command.clone(),
            code: status.code().unwrap_or(-1),
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
