//! `dfw-cli rollback [--state-dir DIR]`: restores dfw's chains and jumps as they were before
//! the last commit, in one atomic batch (nothing else is touched), cancelling a commit that
//! awaits confirmation. A second rollback undoes the first. Exit 0 on success, 1 on error.

use std::process::ExitCode;

use dfw_netlink::{Dfw, SafetyError};

use super::state::StateArg;

/// `rollback` options.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit::PLAIN)]
pub struct Args {
    #[command(flatten)]
    state: StateArg,
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
    let result = Dfw::open()
        .map_err(SafetyError::from)
        .and_then(|dfw| dfw.with_state(dir).rollback());
    match result {
        Ok(r) => {
            for s in r.summaries() {
                crate::outln!("{s}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::errln!("dfw-cli rollback: {e}");
            ExitCode::FAILURE
        }
    }
}
