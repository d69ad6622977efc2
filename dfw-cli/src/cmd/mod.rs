//! The subcommands, one file each. To add one: a file here, one variant in [`Command`] and
//! one arm in [`run`].

mod audit;
mod audit_json;
mod commit;
mod completions;
mod config;
mod confirm;
#[cfg(feature = "demo")]
mod demo;
#[cfg(feature = "demo")]
mod demo_table;
mod docker_names;
mod examine;
mod explain;
mod explain_json;
mod init;
mod man;
mod plan;
mod policy_json;
mod restore;
mod rollback;
mod save;
mod show;
mod state;
mod status;
mod watch;

use std::process::ExitCode;

use clap::Subcommand;

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Who can reach each published and host port through each external interface, and why.
    Audit(audit::Args),
    /// Follow one packet through the kernel's rules and print every rule it meets.
    Explain(explain::Args),
    /// Write a starting policy from this host: its external interfaces, SSH, and every port
    /// Docker publishes allowed to whom it is reachable today (never over an existing file
    /// unless --force).
    Init(init::Args),
    /// Load rules in iptables-restore format, as one atomic batch (iptables-restore compatible).
    Restore(restore::Args),
    /// Print the kernel's iptables rules (iptables-save compatible).
    Save(save::Args),
    /// Print the rules a dfw policy compiles to (iptables-save format; no root needed).
    Show(show::Args),
    /// Show what `commit` would change (exit 0: nothing, 2: changes pending, 1: error).
    Plan(plan::Args),
    /// Apply a dfw policy (IPv4 and IPv6 in one atomic batch; refused, unless --force, when it
    /// would lock out a live SSH session).
    Commit(commit::Args),
    /// Compare the kernel with the policy (exit 0: in sync, 3: drifted, 1: error).
    Status(status::Args),
    /// Keep the kernel true to the policy: repair drift on nf_tables events; a saved file or
    /// SIGHUP reloads it, applied as `commit` would (SSH guard, rollback point).
    Watch(watch::Args),
    /// Keep a commit made with `commit --confirm` (its watchdog stops without reverting).
    Confirm(confirm::Args),
    /// Restore dfw's chains and jumps as they were before the last commit (one atomic batch;
    /// refused, unless --force, when it would lock out a live SSH session).
    Rollback(rollback::Args),
    /// Try dfw on a simulated Docker host in throwaway namespaces (root; the host's own
    /// firewall is not touched).
    #[cfg(feature = "demo")]
    Demo(demo::Args),
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions(completions::Args),
    /// Write the manual pages (section 8) into DIR: dfw-cli.8 and one page per subcommand.
    Man(man::Args),
}

/// Runs a subcommand; the exit code is the command's result.
pub fn run(command: Command) -> ExitCode {
    match command {
        Command::Audit(a) => audit::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Init(a) => init::run(a),
        Command::Restore(a) => restore::run(a),
        Command::Save(a) => save::run(a),
        Command::Show(a) => show::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Commit(a) => commit::run(a),
        Command::Confirm(a) => confirm::run(a),
        Command::Rollback(a) => rollback::run(a),
        #[cfg(feature = "demo")]
        Command::Demo(a) => demo::run(a),
        Command::Status(a) => status::run(a),
        Command::Watch(a) => watch::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => man::run(a),
    }
}

/// The command the arguments (after the program name) name when they need no clap: only
/// the plain forms of `restore` (see [`restore::quick_args`]).
pub fn quick(args: &[std::ffi::OsString]) -> Option<Command> {
    restore::quick_args(args).map(Command::Restore)
}

/// Records that the command runs in a namespace entered with `--netns` (the Docker API's
/// default socket is not that namespace's).
pub fn entered_netns() {
    docker_names::entered_netns();
}

/// The family chosen by `-6/--ipv6`.
fn family(ipv6: bool) -> dfw_core::model::Family {
    if ipv6 {
        dfw_core::model::Family::Ipv6
    } else {
        dfw_core::model::Family::Ipv4
    }
}
