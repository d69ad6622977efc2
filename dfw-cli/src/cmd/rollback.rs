//! `dfw-cli rollback [--force] [--state-dir DIR]`: restores dfw's chains and jumps as they
//! were before the last commit, in one atomic batch (nothing else is touched), cancelling a
//! commit that awaits confirmation. A second rollback undoes the first. Refused (unless
//! `--force`) when the restored rules would refuse a new connection from a live SSH session,
//! as `commit` checks it; refused with the kernel unchanged when the state it replaces cannot
//! be saved (a full disk). A running `dfw-cli watch` stops enforcing its policy until its file
//! changes or it gets SIGHUP. Exit 0 on success, 1 on error.

use std::process::ExitCode;

use dfw_netlink::{Dfw, RollbackOptions, SafetyError, SshGuard};

use super::state::StateArg;

/// `rollback` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Roll back even if a new connection from a live SSH session would be refused.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    state: StateArg,
}

/// Runs `rollback`.
pub fn run(a: Args) -> ExitCode {
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
        Ok(r) => {
            for s in r.summaries() {
                println!("{s}");
            }
            if let (Some(w), false) = (watch, r.is_noop()) {
                println!(
                    "dfw-cli watch (pid {}) stops enforcing {} until that file changes or it \
                     gets SIGHUP",
                    w.pid, w.config
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dfw-cli rollback: {e}");
            ExitCode::FAILURE
        }
    }
}
