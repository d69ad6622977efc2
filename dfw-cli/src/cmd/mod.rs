//! The subcommands, one file each. To add one: a file here, one variant in [`Command`] and
//! one arm in [`run`].

mod restore;
mod save;

use std::process::ExitCode;

use clap::Subcommand;

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load rules in iptables-restore format, as one atomic batch (iptables-restore compatible).
    Restore(restore::Args),
    /// Print the kernel's iptables rules (iptables-save compatible).
    Save(save::Args),
}

/// Runs a subcommand; the exit code is the command's result.
pub fn run(command: Command) -> ExitCode {
    match command {
        Command::Restore(a) => restore::run(a),
        Command::Save(a) => save::run(a),
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
