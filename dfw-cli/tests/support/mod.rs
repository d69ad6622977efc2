//! The support module of dfw-cli's integration tests, shared by the `pure` and `kernel` test
//! binaries (each declares it `pub`, so what one binary does not use is not dead code): the
//! binary and the files it is run with, running it, unique names and scratch directories, a
//! named throwaway network namespace (deleted on drop) and kernel state dumps.
//!
//! Every name a test creates on the machine (network namespace, directory, file) comes from
//! [`unique`], so tests running at the same time in one process never share one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dfw_netlink::transport::testkit::run_cmd;

pub mod state;
pub mod watch_proc;

/// The dfw-cli binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_dfw-cli");
/// The repository's example policy.
pub const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/dfw.toml");

/// A file of the repository's `testdata/` (`docker/docker-29.v4`, `conformance/rules.v4`).
pub fn testdata(rel: &str) -> String {
    format!("{}/../testdata/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// Docker 29's rules: the restore program and the fixture file of each family.
pub fn docker_29_files() -> [(&'static str, String); 2] {
    [
        ("iptables-restore", testdata("docker/docker-29.v4")),
        ("ip6tables-restore", testdata("docker/docker-29.v6")),
    ]
}

/// Loads Docker 29's rules (both families) with the real iptables-restore in the calling
/// thread's network namespace (a private one, inside `kernel_test`).
pub fn docker_29() {
    for (tool, path) in docker_29_files() {
        run_cmd(tool, &[&path]).unwrap();
    }
}

/// `dfwtest-TAG-PID-N`: unique on this machine for this process, and within it.
pub fn unique(tag: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("dfwtest-{tag}-{}-{n}", std::process::id())
}

/// A scratch directory of one test under the temporary directory ([`unique`] name), removed
/// on drop.
#[derive(Debug)]
pub struct Scratch {
    /// The directory.
    pub dir: PathBuf,
}

impl Scratch {
    /// Creates a fresh scratch directory.
    pub fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(unique(tag));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }

    /// A path inside the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes `text` to `name` in the directory and returns its path.
    pub fn write(&self, name: &str, text: &str) -> String {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    /// The state directory `dfw-cli commit` / `confirm` / `rollback` use in this scratch
    /// directory (created by dfw-cli, mode 0700), never the machine's /var/lib/dfw.
    pub fn state(&self) -> PathBuf {
        self.path("state")
    }

    /// Runs dfw-cli with `args` and its state directory here ([`Scratch::state`]).
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .env("DFW_STATE_DIR", self.state())
            .output()
            .unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs dfw-cli with `args` (in the calling thread's network namespace).
pub fn cli(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// Runs dfw-cli with `args` and `input` on its standard input.
pub fn cli_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut c = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    c.wait_with_output().unwrap()
}

/// The standard output, lossily decoded.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The standard error, lossily decoded.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A named network namespace ([`unique`] name, in `/run/netns`) with a scratch directory for
/// dfw-cli's state and the test's files; both are deleted on drop.
pub struct Netns {
    /// The namespace's name (`dfw-cli --netns NAME`, `ip netns exec NAME`).
    pub name: String,
    /// dfw-cli's state directory for this namespace (inside the scratch directory).
    pub state: PathBuf,
    scratch: Scratch,
}

impl Netns {
    /// Creates the namespace `dfwtest-TAG-PID-N`.
    pub fn new(tag: &str) -> Netns {
        let name = unique(tag);
        run_cmd("ip", &["netns", "add", &name]).unwrap();
        let scratch = Scratch::new(&format!("{tag}-files"));
        let state = scratch.state();
        Netns {
            name,
            state,
            scratch,
        }
    }

    /// A path in the namespace's scratch directory (for the test's own files).
    pub fn file(&self, name: &str) -> PathBuf {
        self.scratch.path(name)
    }

    /// `ip netns exec NAME program args`, its stdout.
    pub fn exec(&self, program: &str, args: &[&str]) -> String {
        let mut a = vec!["netns", "exec", &self.name, program];
        a.extend_from_slice(args);
        run_cmd("ip", &a).unwrap()
    }

    /// Docker 29's rules, both families.
    pub fn docker_29(&self) {
        for (tool, path) in docker_29_files() {
            self.exec(tool, &[&path]);
        }
    }

    /// iptables-save and ip6tables-save (comment lines dropped) and `nft list ruleset`.
    pub fn dump(&self) -> String {
        format!(
            "{}{}{}",
            without_comments(&self.exec("iptables-save", &[])),
            without_comments(&self.exec("ip6tables-save", &[])),
            self.exec("nft", &["list", "ruleset"])
        )
    }

    /// Runs dfw-cli in the namespace (`--netns`) with this namespace's state dir for the
    /// commands that take one.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.cli_env(args, &[])
    }

    /// As [`Netns::cli`], with extra environment variables.
    pub fn cli_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(state::bin());
        cmd.arg("--netns").arg(&self.name).args(args);
        if matches!(
            args.first(),
            Some(&"commit" | &"confirm" | &"rollback" | &"status" | &"watch")
        ) {
            cmd.arg("--state-dir").arg(&self.state);
        }
        cmd.env("SSH_CONNECTION", "");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = run_cmd("ip", &["netns", "del", &self.name]);
    }
}

/// `iptables-save` output without its `#` lines (which carry the time of day).
pub fn without_comments(save: &str) -> String {
    save.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Only the lines of a dump that concern dfw's rules (not the marker of a running watch,
/// `table inet dfw-watch`, which comes and goes with the watch).
pub fn dfw_lines(dump: &str) -> Vec<String> {
    dump.lines()
        .filter(|l| l.contains("DFW-") || l.contains("dfw"))
        .filter(|l| !l.contains("dfw-watch") && !l.contains("\"dfw-cli watch, pid "))
        .map(str::to_string)
        .collect()
}

/// How long [`wait_outcome`] waits for the watchdog before the test fails.
pub const WATCHDOG_LIMIT: Duration = Duration::from_secs(60);

/// What the confirm watchdog wrote as its last act (`ID confirmed`, `ID reverted`, ...),
/// once it has written it; `None` when it has not within [`WATCHDOG_LIMIT`].
pub fn wait_outcome(state: &Path) -> Option<String> {
    let file = state.join("watchdog.outcome");
    let start = Instant::now();
    loop {
        if let Ok(t) = std::fs::read_to_string(&file) {
            return Some(t);
        }
        if start.elapsed() > WATCHDOG_LIMIT {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The confirm watchdog's pid, from the state directory's `pending` marker
/// (`ID DEADLINE PID`) of a commit awaiting confirmation.
pub fn watchdog_pid(state: &Path) -> i32 {
    let pending = std::fs::read_to_string(state.join("pending")).expect("a pending commit");
    pending
        .split_whitespace()
        .nth(2)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no watchdog pid in {pending:?}"))
}

/// Waits (at most [`WATCHDOG_LIMIT`]) until process `pid` has exited: gone, or a zombie
/// nobody reaped yet.
pub fn wait_exited(pid: i32) {
    let stat = format!("/proc/{pid}/stat");
    let start = Instant::now();
    loop {
        let exited = match std::fs::read_to_string(&stat) {
            Err(_) => true,
            Ok(s) => s[s.rfind(')').map_or(0, |i| i + 2)..].starts_with('Z'),
        };
        if exited {
            return;
        }
        assert!(
            start.elapsed() < WATCHDOG_LIMIT,
            "process {pid} still runs after {WATCHDOG_LIMIT:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
