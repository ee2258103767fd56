//! Lines of stdin read while something else may answer first: the address a browser on
//! another machine ended on, pasted while the callback listener still waits. The lines are
//! read on a thread of their own and sent to the waiting command, which takes whichever
//! comes first; dropping the reader stops the thread (within 100 ms, on Unix) so that
//! nothing reads the terminal behind a later prompt's back.
//!
//! What is read is a secret (the address carries the authorization code): each line is a
//! `SecretString`, the buffers are wiped, and on a terminal what is typed or pasted is not
//! echoed (as a password prompt does), until the reader is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use secrecy::SecretString;
use secrecy::zeroize::{Zeroize, Zeroizing};
use tokio::sync::mpsc;

/// A line is at most this long; a callback address is well under 2 KiB.
pub const MAX_LINE: usize = 8 * 1024;

/// What reading stdin gave.
pub enum Pasted {
    Line(SecretString),
    /// A line longer than [`MAX_LINE`], dropped unread.
    TooLong,
    /// Stdin ended (Ctrl-D on a terminal).
    End,
    /// Stdin cannot be read.
    Failed(String),
}

/// Lines of stdin, until dropped.
pub struct PasteReader {
    lines: mpsc::UnboundedReceiver<Pasted>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PasteReader {
    /// The lines of `text` (a captured `Ui`'s stdin), then the end.
    pub(super) fn of_text(text: &str) -> PasteReader {
        let (tx, lines) = mpsc::unbounded_channel();
        for line in text.lines() {
            let _ = tx.send(Pasted::Line(SecretString::from(line.to_string())));
        }
        let _ = tx.send(Pasted::End);
        PasteReader {
            lines,
            stop: Arc::default(),
            thread: None,
        }
    }

    /// The process's stdin; `hidden`: not echoed, when it is a terminal.
    pub(super) fn of_stdin(hidden: bool) -> PasteReader {
        let (tx, lines) = mpsc::unbounded_channel();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("stdin".into())
                .spawn(move || read_lines(&tx, &stop, hidden))
        };
        let thread = match thread {
            Ok(t) => Some(t),
            Err(e) => {
                let (tx, failed) = mpsc::unbounded_channel();
                let _ = tx.send(Pasted::Failed(format!("cannot start reading stdin: {e}")));
                return PasteReader {
                    lines: failed,
                    stop,
                    thread: None,
                };
            }
        };
        PasteReader {
            lines,
            stop,
            thread,
        }
    }

    /// The next line, or the end.
    pub async fn next(&mut self) -> Pasted {
        self.lines.recv().await.unwrap_or(Pasted::End)
    }
}

impl Drop for PasteReader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // On Unix the thread polls and sees `stop` within 100 ms, restoring the terminal on
        // its way out. Elsewhere it may be blocked in a read: it is left to end with the
        // process.
        if cfg!(unix)
            && let Some(thread) = self.thread.take()
        {
            let _ = thread.join();
        }
    }
}

/// Reads fd 0 in chunks, between polls of at most 100 ms, until stopped or at its end.
#[cfg(unix)]
fn read_lines(tx: &mpsc::UnboundedSender<Pasted>, stop: &AtomicBool, hidden: bool) {
    let _echo = if hidden { EchoOff::on_stdin() } else { None };
    let mut lines = Lines::default();
    let mut chunk = Zeroizing::new([0u8; 1024]);
    while !stop.load(Ordering::SeqCst) {
        let mut fd = libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, for the duration of the call.
        let ready = unsafe { libc::poll(&mut fd, 1, 100) };
        if ready == 0 {
            continue;
        }
        let n = if ready < 0 {
            -1
        } else {
            // SAFETY: reads at most `chunk.len()` bytes into `chunk`, which outlives the call.
            unsafe { libc::read(0, chunk.as_mut_ptr().cast(), chunk.len()) }
        };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if matches!(
                e.kind(),
                std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
            ) {
                continue;
            }
            let _ = tx.send(Pasted::Failed(e.to_string()));
            return;
        }
        if n == 0 {
            lines.finish(tx);
            return;
        }
        let n = usize::try_from(n).expect("read returns at most the chunk's length");
        lines.push(&chunk[..n], tx);
    }
}

/// Elsewhere, a blocking read of one line after the other.
#[cfg(not(unix))]
fn read_lines(tx: &mpsc::UnboundedSender<Pasted>, stop: &AtomicBool, _hidden: bool) {
    use std::io::Read;
    let mut lines = Lines::default();
    let mut chunk = Zeroizing::new([0u8; 1024]);
    let mut stdin = std::io::stdin();
    while !stop.load(Ordering::SeqCst) {
        match stdin.read(&mut chunk[..]) {
            Ok(0) => return lines.finish(tx),
            Ok(n) => lines.push(&chunk[..n], tx),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = tx.send(Pasted::Failed(e.to_string()));
                return;
            }
        }
    }
}

/// Bytes cut into lines, in one buffer allocated once (never reallocated, so no copy is left
/// in freed memory) and wiped after each line.
struct Lines {
    line: Zeroizing<Vec<u8>>,
    too_long: bool,
}

impl Default for Lines {
    fn default() -> Self {
        Lines {
            line: Zeroizing::new(Vec::with_capacity(MAX_LINE)),
            too_long: false,
        }
    }
}

impl Lines {
    fn push(&mut self, bytes: &[u8], tx: &mpsc::UnboundedSender<Pasted>) {
        for &b in bytes {
            if b == b'\n' {
                self.send(tx);
            } else if self.line.len() < MAX_LINE {
                self.line.push(b);
            } else {
                self.too_long = true;
            }
        }
    }

    fn send(&mut self, tx: &mpsc::UnboundedSender<Pasted>) {
        let pasted = if self.too_long {
            Pasted::TooLong
        } else {
            Pasted::Line(SecretString::from(
                String::from_utf8_lossy(&self.line).into_owned(),
            ))
        };
        // Wipes the whole buffer and empties it; its capacity stays.
        self.line.zeroize();
        self.too_long = false;
        let _ = tx.send(pasted);
    }

    /// The end of stdin: a last line without its newline counts.
    fn finish(&mut self, tx: &mpsc::UnboundedSender<Pasted>) {
        if !self.line.is_empty() || self.too_long {
            self.send(tx);
        }
        let _ = tx.send(Pasted::End);
    }
}

/// The terminal on stdin with echo off (the newline still echoed), restored when dropped.
#[cfg(unix)]
struct EchoOff(libc::termios);

#[cfg(unix)]
impl EchoOff {
    /// `None` when stdin is not a terminal.
    fn on_stdin() -> Option<EchoOff> {
        // SAFETY: tcgetattr fills the termios it is given; fd 0 is only read, not closed.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(0, &mut saved) } != 0 {
            return None;
        }
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        quiet.c_lflag |= libc::ECHONL;
        // SAFETY: a termios read from this terminal, with two flags changed.
        if unsafe { libc::tcsetattr(0, libc::TCSANOW, &quiet) } != 0 {
            return None;
        }
        Some(EchoOff(saved))
    }
}

#[cfg(unix)]
impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: the terminal's own settings, as they were before.
        unsafe { libc::tcsetattr(0, libc::TCSANOW, &self.0) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn lines_of(chunks: &[&[u8]], end: bool) -> Vec<String> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut lines = Lines::default();
        for c in chunks {
            lines.push(c, &tx);
        }
        if end {
            lines.finish(&tx);
        }
        drop(tx);
        let mut out = Vec::new();
        while let Ok(p) = rx.try_recv() {
            out.push(match p {
                Pasted::Line(l) => l.expose_secret().to_string(),
                Pasted::TooLong => "<too long>".into(),
                Pasted::End => "<end>".into(),
                Pasted::Failed(e) => format!("<failed {e}>"),
            });
        }
        out
    }

    #[test]
    fn bytes_become_lines_however_they_are_cut() {
        assert_eq!(
            lines_of(&[b"htt", b"p://a\nsecond", b" line\n"], false),
            ["http://a", "second line"]
        );
        assert_eq!(lines_of(&[b"last"], true), ["last", "<end>"]);
        assert_eq!(lines_of(&[], true), ["<end>"]);
        let long = vec![b'x'; MAX_LINE + 1];
        assert_eq!(lines_of(&[&long, b"\nok\n"], false), ["<too long>", "ok"]);
        let exact = vec![b'y'; MAX_LINE];
        assert_eq!(lines_of(&[&exact, b"\n"], false)[0].len(), MAX_LINE);
    }

    #[test]
    fn text_is_read_line_by_line_then_ends() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut reader = PasteReader::of_text("one\ntwo\n");
        let mut seen = Vec::new();
        rt.block_on(async {
            loop {
                match reader.next().await {
                    Pasted::Line(l) => seen.push(l.expose_secret().to_string()),
                    Pasted::End => break,
                    _ => panic!("unexpected"),
                }
            }
        });
        assert_eq!(seen, ["one", "two"]);
    }
}
