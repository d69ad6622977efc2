//! `dfw-cli plan [-c FILE] [--json]`: what `commit` would change, as a diff against the
//! kernel (per changed chain, `+`/`-` lines in iptables-save syntax), then one summary line
//! per family; `--json` prints the `dfw.plan/1` document (`policy_json`) instead. Exit 0 when
//! there is nothing to do, 2 when changes are pending, 1 on error (config, kernel). Changes
//! nothing. When committing it would lock out a live SSH session (as `commit` checks it), a
//! warning on standard error names the session and the rule.

use std::process::ExitCode;

use dfw_netlink::{CommitError, Dfw};

use super::config::{print_warnings, ConfigArg};
use super::policy_json::{render, PlanDoc};
use crate::exit;

/// `plan` options.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit::PLAN)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
    /// Print the `dfw.plan/1` JSON document instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `plan`.
pub fn run(a: Args) -> ExitCode {
    let Some(checked) = a.config.load_checked("plan") else {
        return ExitCode::FAILURE;
    };
    if let Err(code) = crate::privilege::require("plan", "reads nf_tables") {
        return code;
    }
    print_warnings("plan", &checked.warnings);
    for note in super::examine::docker_mode_notes(&checked.policy) {
        crate::errln!("dfw-cli plan: note: {note}");
    }
    let mut dfw = match Dfw::open() {
        Ok(d) => d,
        Err(e) => {
            crate::errln!("dfw-cli plan: {}", CommitError::from(e));
            return ExitCode::FAILURE;
        }
    };
    match dfw.plan(&checked.policy) {
        Ok(p) => {
            if let Err(e) = dfw.check_ssh(&p) {
                crate::errln!("dfw-cli plan: warning: {e}");
            }
            if a.json {
                let config = a.config.config.display().to_string();
                crate::out!("{}", render(&PlanDoc::new(&config, &checked.warnings, &p)));
            } else {
                crate::out!("{}", p.diff_text());
                for s in p.summaries() {
                    crate::outln!("{s}");
                }
            }
            if p.is_empty() {
                ExitCode::SUCCESS
            } else {
                exit::code(exit::CHANGES_PENDING)
            }
        }
        Err(e) => {
            crate::errln!("dfw-cli plan: {e}");
            ExitCode::FAILURE
        }
    }
}
