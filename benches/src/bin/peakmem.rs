//! `dfw-peakmem`: the peak memory (maximum resident set size) of `dfw-cli` on a policy of N
//! rules: writes the config [`dfw_benches::config_with_rules`]`(N)` to a temporary directory,
//! then runs `dfw-cli --version`, `dfw-cli show -c FILE` and `dfw-cli commit -c FILE
//! --state-dir DIR`, each as a child started from a thread inside a fresh private network
//! namespace (the host's ruleset is never touched), and prints the median over the rounds of
//! each child's `ru_maxrss` (`wait4(2)`, the child's own `getrusage(RUSAGE_CHILDREN)` entry)
//! in MiB.
//!
//! Usage: `dfw-peakmem [--rules N] [--rounds R] [--dfw-cli PATH]` (root; defaults: 10,000
//! rules, 3 rounds, the `dfw-cli` next to this binary). `SSH_CONNECTION` is removed from the
//! children's environment so that `commit` does not run its lock-out check.
#![allow(unsafe_code)] // wait4(2): the only FFI, see `wait_rss`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use dfw_benches::config_with_rules;
use dfw_netlink::transport::testkit::in_private_netns;

/// Command-line arguments.
struct Args {
    rules: usize,
    rounds: usize,
    dfw_cli: PathBuf,
}

fn args() -> Args {
    let mut a = Args {
        rules: 10_000,
        rounds: 3,
        dfw_cli: std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(|d| d.join("dfw-cli")))
            .unwrap_or_else(|| "dfw-cli".into()),
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match x.as_str() {
            "--rules" => a.rules = value().parse().expect("--rules N"),
            "--rounds" => a.rounds = value().parse::<usize>().expect("--rounds R").max(1),
            "--dfw-cli" => a.dfw_cli = value().into(),
            other => panic!("unknown argument {other} (usage: dfw-peakmem [--rules N] [--rounds R] [--dfw-cli PATH])"),
        }
    }
    a
}

/// Waits for the child `pid` and returns its exit status (as `waitpid` encodes it) and its
/// maximum resident set size in KiB.
fn wait_rss(pid: u32) -> Result<(libc::c_int, libc::c_long), String> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| format!("pid {pid} out of range"))?;
    let mut status: libc::c_int = 0;
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    loop {
        // SAFETY: wait4 writes one int and one struct rusage into valid, writable buffers.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, ru.as_mut_ptr()) };
        if rc == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4({pid}): {err}"));
        }
    }
    // SAFETY: zero-initialised and filled by wait4; every bit pattern is valid.
    let ru = unsafe { ru.assume_init() };
    Ok((status, ru.ru_maxrss))
}

/// Runs `cmd` (stdout discarded, stderr captured) from the calling thread, so in its network
/// namespace, and returns its maximum resident set size in MiB.
///
/// # Errors
/// A description when it cannot start or does not exit with status 0.
fn peak_mib(mut cmd: Command) -> Result<f64, String> {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .env_remove("SSH_CONNECTION")
        .spawn()
        .map_err(|e| format!("{what}: {e}"))?;
    let mut stderr = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut stderr);
    }
    // The child is reaped here, not by `Child::wait`, to get its own rusage.
    let (status, kib) = wait_rss(child.id())?;
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        return Err(format!("{what}: wait status {status}: {stderr}"));
    }
    Ok(kib as f64 / 1024.0)
}

/// One `dfw-cli` invocation to measure: a label and its arguments.
fn runs(config: &Path, state: &Path) -> Vec<(String, Vec<String>)> {
    let c = config.to_string_lossy().into_owned();
    let s = state.to_string_lossy().into_owned();
    vec![
        ("dfw-cli --version".into(), vec!["--version".into()]),
        (
            "dfw-cli show -c FILE".into(),
            vec!["show".into(), "-c".into(), c.clone()],
        ),
        (
            "dfw-cli commit -c FILE".into(),
            vec!["commit".into(), "-c".into(), c, "--state-dir".into(), s],
        ),
    ]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let a = args();
    let dir = std::env::temp_dir().join(format!("dfw-peakmem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = dir.join("dfw.toml");
    std::fs::write(&config, config_with_rules(a.rules)).expect("write config");
    println!(
        "dfw-peakmem: {} rules, {}, median of {} rounds, each in a fresh network namespace",
        a.rules,
        a.dfw_cli.display(),
        a.rounds
    );
    println!("| command | max RSS MiB |");
    println!("|---|---:|");
    for (label, argv) in runs(&config, &dir.join("state")) {
        let mut samples = Vec::new();
        for round in 0..a.rounds {
            let state = dir.join(format!("state-{round}"));
            let argv: Vec<String> = argv
                .iter()
                .map(|x| match x.ends_with("/state") {
                    true => state.to_string_lossy().into_owned(),
                    false => x.clone(),
                })
                .collect();
            let mut cmd = Command::new(&a.dfw_cli);
            cmd.args(&argv);
            let mib = in_private_netns(|| peak_mib(cmd))
                .expect("private network namespace (root?)")
                .unwrap_or_else(|e| panic!("{e}"));
            samples.push(mib);
        }
        println!("| {label} | {:.1} |", median(samples));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_child_and_reports_failure() {
        let mib = peak_mib(Command::new("true")).expect("`true` runs");
        assert!(mib > 0.0);
        assert!(peak_mib(Command::new("false")).is_err());
    }
}
