//! Shared helpers of the safety CLI tests: a named throwaway network namespace (deleted on
//! drop), the binary, kernel state dumps.

#![allow(dead_code)]

use std::process::{Command, Output};

use dfw_netlink::transport::testkit::run_cmd;

pub const BIN: &str = env!("CARGO_BIN_EXE_dfw-cli");
pub const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/dfw.toml");

/// A named network namespace `dfwtest-<tag>-<pid>`, deleted on drop.
pub struct Netns {
    pub name: String,
    pub state: std::path::PathBuf,
}

impl Netns {
    pub fn new(tag: &str) -> Netns {
        let name = format!("dfwtest-{tag}-{}", std::process::id());
        let _ = run_cmd("ip", &["netns", "del", &name]);
        run_cmd("ip", &["netns", "add", &name]).unwrap();
        let state = std::env::temp_dir().join(format!("{name}-state"));
        let _ = std::fs::remove_dir_all(&state);
        Netns { name, state }
    }

    /// `ip netns exec NAME program args`, its stdout.
    pub fn exec(&self, program: &str, args: &[&str]) -> String {
        let mut a = vec!["netns", "exec", &self.name, program];
        a.extend_from_slice(args);
        run_cmd("ip", &a).unwrap()
    }

    /// Docker 29's rules, both families.
    pub fn docker_29(&self) {
        for (tool, f) in [
            ("iptables-restore", "docker-29.v4"),
            ("ip6tables-restore", "docker-29.v6"),
        ] {
            let path = format!("{}/../testdata/docker/{f}", env!("CARGO_MANIFEST_DIR"));
            self.exec(tool, &[&path]);
        }
    }

    /// iptables-save and ip6tables-save (comment lines dropped) and `nft list ruleset`.
    pub fn dump(&self) -> String {
        let strip = |t: String| -> String {
            t.lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| format!("{l}\n"))
                .collect()
        };
        format!(
            "{}{}{}",
            strip(self.exec("iptables-save", &[])),
            strip(self.exec("ip6tables-save", &[])),
            self.exec("nft", &["list", "ruleset"])
        )
    }

    /// Runs dfw-cli in the namespace (`--netns`) with this namespace's state dir for the
    /// commands that take one.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.cli_env(args, &[])
    }

    pub fn cli_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(BIN);
        cmd.arg("--netns").arg(&self.name).args(args);
        if matches!(args.first(), Some(&"commit" | &"confirm" | &"rollback")) {
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
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Only the lines of a dump that concern dfw.
pub fn dfw_lines(dump: &str) -> Vec<String> {
    dump.lines()
        .filter(|l| l.contains("DFW-") || l.contains("dfw"))
        .map(str::to_string)
        .collect()
}

/// Waits until the watchdog wrote its outcome (at most `secs`).
pub fn wait_outcome(state: &std::path::Path, secs: u64) -> Option<String> {
    let file = state.join("watchdog.outcome");
    for _ in 0..secs * 10 {
        if let Ok(t) = std::fs::read_to_string(&file) {
            return Some(t);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    None
}
