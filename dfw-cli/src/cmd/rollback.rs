//! `dfw-cli rollback [--force] [--state-dir DIR] [--json]`: restores dfw's chains and jumps
//! as they were before the last commit, in one atomic batch (nothing else is touched),
//! cancelling a commit that awaits confirmation, and prints what it changed as `commit` does
//! (`--json`: the `dfw.commit/1` document, `config` null). A second rollback undoes the first.
//! Refused (unless `--force`) when the restored rules would refuse a new connection from a
//! live SSH session, as `commit` checks it; refused with the kernel unchanged when the state
//! it replaces cannot be saved (a full disk). A running `dfw-cli watch` stops enforcing its
//! policy until its file changes or it gets SIGHUP. Exit 0 on success, 1 on error.

use std::process::ExitCode;

use dfw_netlink::{Dfw, RollbackOptions, SafetyError, SshGuard};

use super::policy_json::{render, CommitDoc};
use super::state::StateArg;

/// `rollback` options.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit::PLAIN)]
pub struct Args {
    /// Roll back even if a new connection from a live SSH session would be refused.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    state: StateArg,
    /// Print the `dfw.commit/1` JSON document instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `rollback`.
pub fn run(a: Args) -> ExitCode {
    if let Err(code) = crate::privilege::require(
        "rollback",
        "changes nf_tables and writes the state directory",
    ) {
        return code;
    }
    let Some(dir) = a.state.open("rollback") else {
        return ExitCode::FAILURE;
    };
    let watch = dfw_netlink::safety::record::running_watch(&dir)
        .ok()
        .flatten();
    let opts = RollbackOptions {
        ssh: if a.force {
            SshGuard::Off
        } else {
            SshGuard::Sessions
        },
    };
    let result = Dfw::open()
        .map_err(SafetyError::from)
        .and_then(|dfw| dfw.with_state(dir).rollback_with(&opts));
    match result {
        Ok(r) if a.json => {
            crate::out!("{}", render(&CommitDoc::new(None, &[], &r, None)));
            ExitCode::SUCCESS
        }
        Ok(r) => {
            crate::out!("{}", r.diff_text());
            for s in r.summaries() {
                crate::outln!("{s}");
            }
            if let (Some(w), false) = (watch, r.is_noop()) {
                crate::outln!(
                    "dfw-cli watch (pid {}) stops enforcing {} until that file changes or it \
                     gets SIGHUP",
                    w.pid,
                    w.config
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::errln!("dfw-cli rollback: {e}");
            ExitCode::FAILURE
        }
    }
}
