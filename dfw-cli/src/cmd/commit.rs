//! `dfw-cli commit [-c FILE] [--confirm SECONDS] [--force] [--state-dir DIR] [--json]`:
//! applies the policy, IPv4 and IPv6 in one atomic batch, and prints what it changed (per
//! changed chain, the `+`/`-` rules in iptables-save syntax, as `plan` shows them) and one
//! summary line per family (`IPv4: 3 rules added, 1 removed, 2 chains created, 0 deleted` or
//! `IPv4: nothing to change`); `--json` prints the `dfw.commit/1` document (`policy_json`).
//! The previous state of dfw's objects is saved for `rollback`; with `--confirm`, the commit
//! is reverted after SECONDS unless `dfw-cli confirm` runs (the hint printed names the exact
//! command); a commit that changes nothing arms no timer and says so (the previous rollback
//! point stays). A policy that would refuse a new connection from a live SSH session (read from
//! the kernel: established connections to the ports the process named sshd listens on, port
//! 22 when there is none; and `SSH_CONNECTION`, also found under `sudo`) is refused unless
//! `--force`, naming the client and the rule. While `dfw-cli watch` follows another policy
//! through the same state directory the commit is refused (the watch would undo it); a
//! commit of the policy the watch follows is made, and the watch keeps it. This is
//! `dfw_netlink::Dfw::commit`, the library's front door. Exit 0 on success, 1 on error
//! (nothing changed).

use std::process::ExitCode;
use std::time::Duration;

use dfw_netlink::{CommitOptions, Dfw, SafetyError, SshGuard};

use super::config::{print_warnings, ConfigArg};
use super::policy_json::{render, CommitDoc, ConfirmJ, WatchJ};
use super::state::StateArg;

/// `commit` options.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit::PLAIN)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
    /// Revert unless `dfw-cli confirm` runs within SECONDS (even if this process is killed).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    confirm: Option<u64>,
    /// Commit even if a new connection from a live SSH session would be refused.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    state: StateArg,
    /// Print the `dfw.commit/1` JSON document instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `commit`.
pub fn run(a: Args) -> ExitCode {
    let Some(checked) = a.config.load_checked("commit") else {
        return ExitCode::FAILURE;
    };
    if let Err(code) =
        crate::privilege::require("commit", "changes nf_tables and writes the state directory")
    {
        return code;
    }
    print_warnings("commit", &checked.warnings);
    let (policy, warnings) = (checked.policy, checked.warnings);
    let Some(dir) = a.state.open("commit") else {
        return ExitCode::FAILURE;
    };
    let opts = CommitOptions {
        confirm: a.confirm.map(Duration::from_secs),
        ssh: if a.force {
            SshGuard::Off
        } else {
            SshGuard::Sessions
        },
        source: Some(std::path::absolute(&a.config.config).unwrap_or(a.config.config.clone())),
    };
    let result = Dfw::open()
        .map_err(SafetyError::from)
        .and_then(|dfw| dfw.with_state(dir).commit(policy, &opts));
    match result {
        Ok(r) => {
            if let Some(p) = &r.stale {
                crate::errln!(
                    "dfw-cli commit: note: commit {} {}",
                    p.id,
                    dfw_netlink::safety::ABANDONED
                );
            }
            let confirm = match (&r.pending, a.confirm) {
                (Some(p), Some(seconds)) => Some(ConfirmJ {
                    id: p.id.clone(),
                    deadline: p.deadline,
                    seconds,
                }),
                _ => None,
            };
            if a.json {
                let config = a.config.config.display().to_string();
                let watch = r.watch.as_ref().map(|w| WatchJ {
                    pid: w.pid,
                    config: w.config.clone(),
                });
                let doc =
                    CommitDoc::new(Some(&config), &warnings, &r.report, confirm).with_watch(watch);
                crate::out!("{}", render(&doc));
                return ExitCode::SUCCESS;
            }
            crate::out!("{}", r.report.diff_text());
            for s in r.report.summaries() {
                crate::outln!("{s}");
            }
            if !r.report.sets.is_empty() || !r.report.sets.left.is_empty() {
                crate::outln!("{}", r.report.sets);
            }
            for n in &r.report.notes {
                crate::outln!("note: {n}");
            }
            if a.confirm.is_some() && r.pending.is_none() && r.report.is_noop() {
                crate::outln!("nothing changed: nothing to confirm, no revert timer armed");
            }
            if let Some(c) = confirm {
                crate::outln!(
                    "commit {}: run `dfw-cli confirm{}` within {} s or it is reverted",
                    c.id,
                    a.state.hint(),
                    c.seconds
                );
            }
            if let Some(w) = &r.watch {
                crate::outln!(
                    "dfw-cli watch (pid {}) follows this policy ({}) and keeps it",
                    w.pid,
                    w.config
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::errln!("dfw-cli commit: {e}");
            ExitCode::FAILURE
        }
    }
}
