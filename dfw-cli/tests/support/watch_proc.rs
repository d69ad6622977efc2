//! A `dfw-cli watch` child process in a test namespace, its standard error read line by
//! line (shared by the watch's safety tests).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// A running watch; killed on drop.
pub struct Watch {
    pub child: Child,
    lines: Receiver<String>,
    pub seen: Vec<String>,
}

impl Watch {
    /// `dfw-cli --netns NETNS watch -c CONFIG` with short debounce times and
    /// `DFW_STATE_DIR=STATE` (the variable, so an older build without `--state-dir` runs too).
    pub fn start(bin: &str, netns: &str, config: &str, state: &std::path::Path) -> Watch {
        let mut child = Command::new(bin)
            .args(["--netns", netns, "watch", "-c", config, "--quiet-ms", "20"])
            .args(["--max-delay-ms", "50"])
            .env("DFW_STATE_DIR", state)
            .env("SSH_CONNECTION", "")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        Watch {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The next line containing `what` (panics, showing every line seen, after `within`).
    pub fn expect(&mut self, what: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.contains(what) {
                        return l;
                    }
                }
                Err(e) => panic!(
                    "no line with {what:?} within {within:?} ({e}): {:#?}",
                    self.seen
                ),
            }
        }
    }

    /// Every line that arrives within `wait` (to show nothing unwanted happened).
    pub fn lines_within(&mut self, wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        let mut out = Vec::new();
        while let Ok(l) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(l.clone());
            out.push(l);
        }
        out
    }

    /// Sends a signal (`HUP`, `TERM`).
    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status();
    }

    /// Waits up to `within` for the process to exit; its exit code.
    pub fn exit_within(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Replaces `path`'s content in place (open, truncate, write, close): one close-after-write.
pub fn rewrite(path: &str, text: &str) {
    std::fs::write(path, text).unwrap();
}
