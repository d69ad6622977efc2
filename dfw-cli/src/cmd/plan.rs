//! `dfw-cli plan [-c FILE]`: what `commit` would change, as a diff against the kernel (per
//! changed chain, `+`/`-` lines in iptables-save syntax), then one summary line per family.
//! Exit 0 when there is nothing to do, 2 when changes are pending, 1 on error (config,
//! kernel). Changes nothing.

use std::process::ExitCode;

use dfw_netlink::{CommitError, Dfw};

use super::config::ConfigArg;

/// `plan` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
}

/// Runs `plan`.
pub fn run(a: Args) -> ExitCode {
    let Some(policy) = a.config.load("plan") else {
        return ExitCode::FAILURE;
    };
    let plan = Dfw::open()
        .map_err(CommitError::from)
        .and_then(|mut dfw| dfw.plan(&policy));
    match plan {
        Ok(p) => {
            print!("{}", p.diff_text());
            for l in p.sets.lines() {
                println!("{l}");
            }
            for s in p.summaries() {
                println!("{s}");
            }
            for n in &p.notes {
                println!("note: {n}");
            }
            if p.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        }
        Err(e) => {
            eprintln!("dfw-cli plan: {e}");
            ExitCode::FAILURE
        }
    }
}
