//! `dfw-cli commit [-c FILE]`: applies the policy, IPv4 and IPv6 in one atomic batch, and
//! prints one summary line per family (`IPv4: 3 rules added, 1 removed, 2 chains created,
//! 0 deleted` or `IPv4: nothing to change`). Exit 0 on success, 1 on error (nothing
//! changed).

use std::process::ExitCode;

use dfw_netlink::firewall::Firewall;

use super::config::ConfigArg;

/// `commit` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
}

/// Runs `commit`.
pub fn run(a: Args) -> ExitCode {
    let Some(policy) = a.config.load("commit") else {
        return ExitCode::FAILURE;
    };
    let report = Firewall::open()
        .map_err(dfw_netlink::dfw::CommitError::from)
        .and_then(|mut fw| fw.commit(&policy));
    match report {
        Ok(r) => {
            for s in r.summaries() {
                println!("{s}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dfw-cli commit: {e}");
            ExitCode::FAILURE
        }
    }
}
