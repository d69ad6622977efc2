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
    let cli = Cli::parse();
    if let Some(name) = &cli.netns {
        if let Err(e) = dfw_netlink::transport::enter_netns(name) {
            eprintln!("dfw-cli: {e}");
            return ExitCode::FAILURE;
        }
    }
    cmd::run(cli.command)
}
