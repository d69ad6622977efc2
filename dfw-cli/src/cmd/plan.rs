//! `dfw-cli plan [-c FILE]`: what `commit` would change, as a diff against the kernel (per
//! changed chain, `+`/`-` lines in iptables-save syntax), then one summary line per family.
//! Exit 0 when there is nothing to do, 2 when changes are pending, 1 on error (config,
//! kernel). Changes nothing. When committing it would lock out a live SSH session (as
//! `commit` checks it), a warning on standard error names the session and the rule.

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
    let mut dfw = match Dfw::open() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("dfw-cli plan: {}", CommitError::from(e));
            return ExitCode::FAILURE;
        }
    };
    match dfw.plan(&policy) {
        Ok(p) => {
            if let Err(e) = dfw.check_ssh(&p) {
                eprintln!("dfw-cli plan: warning: {e}");
            }
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
