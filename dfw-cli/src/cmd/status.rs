//! `dfw-cli status [-c FILE]`: compares the kernel with the policy. Exit 0 and `in sync`
//! when a commit would change nothing; exit 3 and, per chain, the rules missing, extra,
//! reordered or changed when it drifted; exit 1 on error. Then what the state directory says
//! (`--state-dir`; nothing is created): a commit awaiting confirmation, one whose watchdog is
//! gone, what the confirm watchdog did last (a revert, with its time), an interrupted commit,
//! the watch that follows a policy.

use std::process::ExitCode;

use dfw_netlink::{CommitError, Dfw};

use super::config::ConfigArg;
use super::state::StateArg;

/// The exit code for a kernel that drifted from the policy.
pub const DRIFTED: u8 = 3;

/// `status` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
    #[command(flatten)]
    state: StateArg,
}

/// Runs `status`.
pub fn run(a: Args) -> ExitCode {
    let Some(policy) = a.config.load("status") else {
        return ExitCode::FAILURE;
    };
    let report = Dfw::open()
        .map_err(CommitError::from)
        .and_then(|mut dfw| dfw.status(&policy));
    let code = match report {
        Ok(r) if r.in_sync() => {
            println!("in sync");
            ExitCode::SUCCESS
        }
        Ok(r) => {
            if !r.drift.is_empty() {
                println!("drifted: {}", r.drift.summary());
                print!("{}", r.drift);
            }
            for l in r.sets.lines() {
                println!("drifted: {l}");
            }
            ExitCode::from(DRIFTED)
        }
        Err(e) => {
            eprintln!("dfw-cli status: {e}");
            return ExitCode::FAILURE;
        }
    };
    for line in a.state.report() {
        println!("{line}");
    }
    code
}
