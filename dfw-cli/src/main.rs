//! `dfw-cli`: argument parsing and printing over the dfw libraries. Each subcommand lives in
//! its own file under `cmd/`; this file only parses the global options, enters the network
//! namespace and dispatches. It never executes another program.
#![deny(unsafe_code)]

mod cmd;

use std::process::ExitCode;

use clap::Parser;

/// dfw: Docker-aware firewall programming nf_tables directly, in iptables-nft's form.
#[derive(Debug, Parser)]
#[command(name = "dfw-cli", version, about)]
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
        return cmd::run(command);
    }
    let cli = Cli::parse();
    if let Some(name) = &cli.netns {
        if let Err(e) = dfw_netlink::transport::enter_netns(name) {
            eprintln!("dfw-cli: {e}");
            return ExitCode::FAILURE;
        }
    }
    cmd::run(cli.command)
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
