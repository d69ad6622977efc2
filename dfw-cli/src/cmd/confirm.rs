//! `dfw-cli confirm [--state-dir DIR]`: keeps the commit made with `commit --confirm`; its
//! watchdog exits without reverting. Exit 0 when confirmed, 1 when nothing awaits
//! confirmation, it came too late (the commit was already reverted), or the commit's
//! watchdog is gone (killed, or the machine restarted: the commit was neither confirmed nor
//! reverted, and stays).

use std::process::ExitCode;

use dfw_netlink::safety::{confirm, Confirmed};

use super::state::StateArg;

/// `confirm` options.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit::CONFIRM)]
pub struct Args {
    #[command(flatten)]
    state: StateArg,
}

/// Runs `confirm`.
pub fn run(a: Args) -> ExitCode {
    if let Err(code) = crate::privilege::require("confirm", "writes the state directory") {
        return code;
    }
    let Some(dir) = a.state.open("confirm") else {
        return ExitCode::FAILURE;
    };
    match confirm(&dir) {
        Ok(Confirmed::Acknowledged(id)) => {
            crate::outln!("commit {id} confirmed");
            ExitCode::SUCCESS
        }
        Ok(Confirmed::Marked(id)) => {
            crate::outln!(
                "commit {id} confirmed (the watchdog can no longer revert it; it did not answer)"
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::errln!("dfw-cli confirm: {e}");
            ExitCode::FAILURE
        }
    }
}
