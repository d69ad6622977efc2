//! The subcommands, one file each. To add one: a file here, one variant in [`Command`] and
//! one arm in [`run`].

mod commit;
mod config;
mod confirm;
mod demo;
mod demo_table;
mod plan;
mod restore;
mod rollback;
mod save;
mod show;
mod state;

use std::process::ExitCode;

use clap::Subcommand;

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load rules in iptables-restore format, as one atomic batch (iptables-restore compatible).
    Restore(restore::Args),
    /// Print the kernel's iptables rules (iptables-save compatible).
    Save(save::Args),
    /// Print the rules a dfw policy compiles to (iptables-save format; no root needed).
    Show(show::Args),
    /// Show what `commit` would change (exit 0: nothing, 2: changes pending, 1: error).
    Plan(plan::Args),
    /// Apply a dfw policy (IPv4 and IPv6 in one atomic batch).
    Commit(commit::Args),
    /// Keep a commit made with `commit --confirm` (its watchdog stops without reverting).
    Confirm(confirm::Args),
    /// Restore dfw's chains and jumps as they were before the last commit (one atomic batch).
    Rollback(rollback::Args),
    /// Try dfw on a simulated Docker host in throwaway namespaces (root; the host's own
    /// firewall is not touched).
    Demo(demo::Args),
}

/// Runs a subcommand; the exit code is the command's result.
pub fn run(command: Command) -> ExitCode {
    match command {
        Command::Restore(a) => restore::run(a),
        Command::Save(a) => save::run(a),
        Command::Show(a) => show::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Commit(a) => commit::run(a),
        Command::Confirm(a) => confirm::run(a),
        Command::Rollback(a) => rollback::run(a),
        Command::Demo(a) => demo::run(a),
    }
}

/// The family chosen by `-6/--ipv6`.
fn family(ipv6: bool) -> dfw_core::model::Family {
    if ipv6 {
        dfw_core::model::Family::Ipv6
    } else {
        dfw_core::model::Family::Ipv4
    }
}
