//! `dfw-cli save [-6] [-t TABLE] [-c]`: the kernel's iptables tables, printed exactly as
//! iptables-save prints them (read over netlink; rules dfw cannot express appear as marked
//! `#` comment lines at their position).

use std::process::ExitCode;

use dfw_core::model::TableName;
use dfw_netlink::firewall::Firewall;

/// `save` options.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit::PLAIN)]
pub struct Args {
    /// IPv6 (ip6tables-save).
    #[arg(short = '6', long = "ipv6")]
    ipv6: bool,
    /// Only this table.
    #[arg(short = 't', long = "table", value_name = "TABLE")]
    table: Option<String>,
    /// Print rule and chain counters (iptables-save -c).
    #[arg(short = 'c', long = "counters")]
    counters: bool,
}

/// Runs `save`.
pub fn run(a: Args) -> ExitCode {
    let tables = match a.table.as_deref() {
        None => Vec::new(),
        Some(t) => match TableName::parse(t) {
            Some(t) => vec![t],
            None => {
                crate::errln!("dfw-cli save: table '{t}' does not exist");
                return ExitCode::FAILURE;
            }
        },
    };
    let text =
        Firewall::open().and_then(|mut fw| fw.save(super::family(a.ipv6), &tables, a.counters));
    match text {
        Ok(t) => {
            crate::out::stdout(&t);
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::errln!("dfw-cli save: {e}");
            ExitCode::FAILURE
        }
    }
}
