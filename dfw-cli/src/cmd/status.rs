//! `dfw-cli status [-c FILE]`: compares the kernel with the policy. Exit 0 and `in sync`
//! when a commit would change nothing; exit 3 and, per chain, the rules missing, extra,
//! reordered or changed when it drifted; exit 1 on error.

use std::process::ExitCode;

use dfw_netlink::{CommitError, Dfw};

use super::config::ConfigArg;

/// The exit code for a kernel that drifted from the policy.
pub const DRIFTED: u8 = 3;

/// `status` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
}

/// Runs `status`.
pub fn run(a: Args) -> ExitCode {
    let Some(policy) = a.config.load("status") else {
        return ExitCode::FAILURE;
    };
    let report = Dfw::open()
        .map_err(CommitError::from)
        .and_then(|mut dfw| dfw.status(&policy));
    match report {
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
            ExitCode::FAILURE
        }
    }
}
