//! `dfw-cli rollback [--state-dir DIR]`: restores dfw's chains and jumps as they were before
//! the last commit, in one atomic batch (nothing else is touched), cancelling a commit that
//! awaits confirmation. A second rollback undoes the first. Exit 0 on success, 1 on error.

use std::process::ExitCode;

use dfw_netlink::{Dfw, SafetyError};

use super::state::StateArg;

/// `rollback` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    state: StateArg,
}

/// Runs `rollback`.
pub fn run(a: Args) -> ExitCode {
    let Some(dir) = a.state.open("rollback") else {
        return ExitCode::FAILURE;
    };
    let result = Dfw::open()
        .map_err(SafetyError::from)
        .and_then(|dfw| dfw.with_state(dir).rollback());
    match result {
        Ok(r) => {
            for s in r.summaries() {
                println!("{s}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dfw-cli rollback: {e}");
            ExitCode::FAILURE
        }
    }
}
