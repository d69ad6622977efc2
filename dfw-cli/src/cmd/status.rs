//! `dfw-cli status [-c FILE] [--json]`: compares the kernel with the policy. Exit 0 and
//! `in sync` when a commit would change nothing; exit 3 and, per chain, the rules missing,
//! extra, reordered or changed when it drifted; exit 1 on error. Then what the state directory
//! says (`--state-dir`; nothing is created): a commit awaiting confirmation, one whose
//! watchdog is gone, what the confirm watchdog did last (a revert, with its time), an
//! interrupted commit, the watch that follows a policy. `--json` prints the `dfw.status/1`
//! document (`policy_json`) instead, the state directory's lines in its `state`.

use std::process::ExitCode;

use dfw_netlink::{CommitError, Dfw};

use super::config::{print_warnings, ConfigArg};
use super::policy_json::{render, StatusDoc};
use super::state::StateArg;
use crate::exit;

/// `status` options.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit::STATUS)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
    /// Print the `dfw.status/1` JSON document instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    state: StateArg,
}

/// Runs `status`.
pub fn run(a: Args) -> ExitCode {
    let Some(checked) = a.config.load_checked("status") else {
        return ExitCode::FAILURE;
    };
    if let Err(code) = crate::privilege::require("status", "reads nf_tables") {
        return code;
    }
    print_warnings("status", &checked.warnings);
    for note in super::examine::docker_mode_notes(&checked.policy) {
        crate::errln!("dfw-cli status: note: {note}");
    }
    let report = Dfw::open()
        .map_err(CommitError::from)
        .and_then(|mut dfw| dfw.status(&checked.policy));
    let r = match report {
        Ok(r) => r,
        Err(e) => {
            crate::errln!("dfw-cli status: {e}");
            return ExitCode::FAILURE;
        }
    };
    let state = a.state.report();
    if a.json {
        let config = a.config.config.display().to_string();
        crate::out!(
            "{}",
            render(&StatusDoc::new(&config, &checked.warnings, &r, state))
        );
    } else {
        if r.in_sync() {
            crate::outln!("in sync");
        } else {
            crate::outln!("drifted: {}", r.drift.summary());
            crate::out!("{}", r.drift);
        }
        for line in state {
            crate::outln!("{line}");
        }
    }
    if r.in_sync() {
        ExitCode::SUCCESS
    } else {
        exit::code(exit::DRIFTED)
    }
}
