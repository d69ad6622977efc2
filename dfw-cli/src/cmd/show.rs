//! `dfw-cli show [-c FILE] [-4|-6]`: the rules a policy compiles to, in iptables-save
//! format (IPv4, then IPv6), without root and without reading or changing any firewall.
//!
//! `external = ["auto"]` is resolved from this host's default routes when it can be (an
//! rtnetlink read, allowed without root); otherwise the placeholder interface `AUTO` stands
//! for them, as a header comment says.

use std::process::ExitCode;

use dfw_core::model::{Family, Iface};
use dfw_core::policy::External;
use dfw_core::syntax::{print_ruleset, PrintOptions};

use super::config::ConfigArg;

/// The placeholder interface name for unresolved `"auto"`.
const PLACEHOLDER: &str = "AUTO";

/// `show` options.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit::PLAIN)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
    /// Only IPv4.
    #[arg(short = '4', long = "ipv4", conflicts_with = "ipv6")]
    ipv4: bool,
    /// Only IPv6.
    #[arg(short = '6', long = "ipv6")]
    ipv6: bool,
}

/// Runs `show`.
pub fn run(a: Args) -> ExitCode {
    let Some(policy) = a.config.load("show") else {
        return ExitCode::FAILURE;
    };
    let mut header = format!("# dfw policy {}\n", a.config.config.display());
    let external = match &policy.external {
        External::Named(n) => n.clone(),
        External::Auto => match dfw_netlink::enforce::resolve_external(&policy) {
            Ok(ext) => {
                let names: Vec<String> = ext.iter().map(ToString::to_string).collect();
                header.push_str(&format!(
                    "# external = [\"auto\"]: this host's default routes leave by {}\n",
                    names.join(", ")
                ));
                ext
            }
            Err(e) => {
                header.push_str(&format!(
                    "# external = [\"auto\"] could not be resolved here ({e});\n\
                     # {PLACEHOLDER} stands for the interfaces of the default routes, found at commit\n"
                ));
                match Iface::parse(PLACEHOLDER) {
                    Ok(i) => vec![i],
                    Err(_) => Vec::new(),
                }
            }
        },
    };
    let rulesets = match policy.compile(&external).to_rulesets() {
        Ok(r) => r,
        Err(e) => {
            crate::errln!("dfw-cli show: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = header;
    for rs in &rulesets {
        let family = rs.family();
        if (a.ipv4 && family == Family::Ipv6) || (a.ipv6 && family == Family::Ipv4) {
            continue;
        }
        out.push_str(&format!("# {family} ({})\n", save_name(family)));
        out.push_str(&print_ruleset(rs, PrintOptions::default()));
    }
    crate::out!("{out}");
    ExitCode::SUCCESS
}

fn save_name(family: Family) -> &'static str {
    match family {
        Family::Ipv4 => "iptables-save",
        Family::Ipv6 => "ip6tables-save",
    }
}
