//! Helpers of the safety tests (state directory, crashes, SSH guard, watch): the binary under
//! test (overridable, to see a test fail against an older build), dfw-cli with a given state
//! directory, policy files, leftover temporary files, processes left running.

use std::path::Path;
use std::process::{Command, Output};

use super::{Netns, BIN};

/// The binary under test: `DFW_CLI_UNDER_TEST` when set (to run a test against another
/// build, e.g. an older commit's, and see it fail), else this build's.
pub fn bin() -> String {
    std::env::var("DFW_CLI_UNDER_TEST").unwrap_or_else(|_| BIN.to_string())
}

/// Runs dfw-cli in `ns` with `--state-dir DIR` and `env`.
pub fn cli_in(ns: &Netns, args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.arg("--netns").arg(&ns.name).args(args);
    cmd.arg("--state-dir").arg(dir);
    cmd.env("SSH_CONNECTION", "");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Writes a policy file in `ns`'s scratch directory (root's, mode 0644); its path.
pub fn write_policy(ns: &Netns, tag: &str, text: &str) -> String {
    let p = ns.file(&format!("{tag}.toml"));
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// A policy with `host = true` allowing 22/tcp and `port`/tcp on eth0.
pub fn host_policy(port: u16) -> String {
    format!(
        "[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = true\n[[allow]]\nports = [\"22/tcp\", \"{port}/tcp\"]\n"
    )
}

/// The names in a directory that are temporary files of a state write.
pub fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// The processes still running (not zombies) with `needle` in their command line (a
/// watchdog keeps the command line of the commit that started it).
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
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let zombie = stat
            .rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z'));
        if cmd.contains(needle) && !zombie {
            out.push(pid);
        }
    }
    out
}
