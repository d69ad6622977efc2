//! `dfw-cli`: argument parsing and printing over the dfw libraries. Each subcommand lives in
//! its own file under `cmd/`; this file only parses the global options, enters the network
//! namespace and dispatches. It never executes another program.
#![deny(unsafe_code)]
// Every byte goes through `out` (print! and eprint! panic on a closed pipe).
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod cmd;
mod exit;
mod out;
mod privilege;

use std::process::ExitCode;

use clap::Parser;

/// A firewall for Docker hosts, programmed straight into nf_tables in iptables-nft's form.
///
/// dfw reads one declarative policy, /etc/dfw/dfw.toml by default (`-c FILE`), and writes the
/// rules it compiles to into the kernel's nf_tables in exactly the form iptables-nft uses,
/// IPv4 and IPv6 in one atomic batch, without running iptables or nft; iptables-save, Docker
/// and every other iptables user keep working with them. It owns only its DFW-* chains and
/// one tagged jump at the top of DOCKER-USER (and of INPUT with `host = true`).
///
/// Most commands need root (CAP_NET_ADMIN); `show` and `completions` do not. Previous states
/// for `rollback` are kept in /var/lib/dfw. The units dfw.service (commit at boot) and
/// dfw-watch.service (keep the policy in place) run it; see each subcommand's page, e.g.
/// dfw-cli-commit(8).
#[derive(Debug, Parser)]
#[command(name = "dfw-cli", version, after_help = exit::TABLE)]
struct Cli {
    /// Run in the network namespace /run/netns/NAME (as `ip netns exec NAME`, without forking).
    #[arg(long, global = true, value_name = "NAME")]
    netns: Option<String>,
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if let Some(command) = cmd::quick(&args) {
        return out::finish(cmd::run(command));
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return out::finish(usage(&e)),
    };
    if let Some(name) = &cli.netns {
        if let Err(e) = dfw_netlink::transport::enter_netns(name) {
            errln!("dfw-cli: {e}");
            return ExitCode::FAILURE;
        }
        cmd::entered_netns();
    }
    out::finish(cmd::run(cli.command))
}

/// Prints clap's message (help and version to standard output, errors to standard error)
/// and gives the exit code: 0 for `--help` and `--version`, [`exit::USAGE`] for the rest.
fn usage(e: &clap::Error) -> ExitCode {
    // clap writes to the right stream itself, without panicking on a closed one.
    let _ = e.print();
    if e.use_stderr() {
        exit::code(exit::USAGE)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick path takes exactly what clap would parse the same way, and leaves the rest.
    #[test]
    fn quick_restore_arguments_agree_with_clap() {
        let cases: &[&[&str]] = &[
            &["restore"],
            &["restore", "-n", "rules.v4"],
            &["restore", "rules.v4", "--noflush", "-t"],
            &["restore", "-6", "-c", "--test", "x"],
            &["restore", "--ipv6", "--counters", "-n"],
            &["restore", "-n", "-n", "f"],
            &["restore", "-nt", "f"],
            &["restore", "a", "b"],
            &["restore", "-", "f"],
            &["restore", "--", "f"],
            &["restore", "--noflush=1"],
            &["restore", "--help"],
            &["restore", ""],
            &["--netns", "x", "restore", "f"],
            &["save"],
            &[],
        ];
        for case in cases {
            let args: Vec<std::ffi::OsString> = case.iter().map(Into::into).collect();
            let clap = Cli::try_parse_from(std::iter::once("dfw-cli").chain(case.iter().copied()));
            match cmd::quick(&args) {
                Some(cmd::Command::Restore(q)) => match clap {
                    Ok(Cli {
                        netns: None,
                        command: cmd::Command::Restore(c),
                    }) => assert_eq!(q, c, "{case:?}"),
                    other => panic!("{case:?}: quick path took it, clap says {other:?}"),
                },
                Some(other) => panic!("{case:?}: {other:?}"),
                None => {}
            }
        }
        assert!(cmd::quick(&["restore".into(), "-n".into(), "f".into()]).is_some());
    }
}
