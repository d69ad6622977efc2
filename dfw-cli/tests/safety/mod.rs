//! Shared helpers of the safety CLI tests: a named throwaway network namespace (deleted on
//! drop), the binary, kernel state dumps.

#![allow(dead_code)]

use std::process::{Command, Output};

use dfw_netlink::transport::testkit::run_cmd;

pub const BIN: &str = env!("CARGO_BIN_EXE_dfw-cli");

/// The binary under test: `DFW_CLI_UNDER_TEST` when set (to run a test against another
/// build, e.g. an older commit's, and see it fail), else this build's.
pub fn bin() -> String {
    std::env::var("DFW_CLI_UNDER_TEST").unwrap_or_else(|_| BIN.to_string())
}
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
            let path = format!(
                "{}/../../shared/fixtures/docker/{f}",
                env!("CARGO_MANIFEST_DIR")
            );
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

    /// Runs dfw-cli in the namespace with `--state-dir DIR` and `env`.
    pub fn cli_in(&self, args: &[&str], dir: &std::path::Path, env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(bin());
        cmd.arg("--netns").arg(&self.name).args(args);
        cmd.arg("--state-dir").arg(dir);
        cmd.env("SSH_CONNECTION", "");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// Writes a policy file for this namespace (mode 0644, root's) and returns its path.
    pub fn policy(&self, tag: &str, text: &str) -> String {
        let p = std::env::temp_dir().join(format!("{}-{tag}.toml", self.name));
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    pub fn cli_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(bin());
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
        let _ = std::fs::remove_dir_all(&self.state);
        if let Ok(d) = std::fs::read_dir(std::env::temp_dir()) {
            let prefix = format!("{}-", self.name);
            for e in d.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with(&prefix) && n.ends_with(".toml") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

/// A policy with `host = true` allowing 22/tcp and `port`/tcp on eth0.
pub fn host_policy(port: u16) -> String {
    format!(
        "[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = true\n[[allow]]\nports = [\"22/tcp\", \"{port}/tcp\"]\n"
    )
}

/// The names in a directory that are temporary files of a state write.
pub fn temp_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// The processes still running with `needle` in their command line (a watchdog keeps the
/// command line of the commit that started it).
pub fn processes_with(needle: &str) -> Vec<u32> {
    let me = std::process::id();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == me {
            continue;
        }
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let zombie = state
            .rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z'));
        if cmd.contains(needle) && !zombie {
            out.push(pid);
        }
    }
    out
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
