//! `dfw-cli show [-c FILE] [-4|-6]`: the rules a policy compiles to, in iptables-save
//! format (IPv4, then IPv6), without root and without reading or changing any firewall;
//! with `[docker] accept_fwmark`, dfw's native table after them as `#` comments.
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
    // As a commit compiles it on a kernel with ipset: lists over the threshold as sets.
    let block_files = match dfw_netlink::enforce::read_block_files(&policy) {
        Ok(b) => b,
        Err(e) => {
            crate::errln!("dfw-cli show: {e}");
            return ExitCode::FAILURE;
        }
    };
    let inputs = dfw_core::policy::CompileInputs {
        sets: true,
        block_files,
        // Shown as if every named set exists, in both families.
        ipsets: policy
            .blocklist
            .iter()
            .flat_map(|b| b.ipsets.iter())
            .flat_map(|n| [(n.clone(), Family::Ipv4), (n.clone(), Family::Ipv6)])
            .collect(),
    };
    let compiled = policy.compile_with(&external, &inputs);
    let rulesets = match compiled.to_rulesets() {
        Ok(r) => r,
        Err(e) => {
            crate::errln!("dfw-cli show: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = header;
    for set in &compiled.sets {
        let what = match &set.members {
            dfw_core::policy::SetMembers::Static(m) => format!("{} entries", m.len()),
            dfw_core::policy::SetMembers::Dynamic => "bans, with timeouts".to_string(),
        };
        out.push_str(&format!(
            "# ipset {} hash:net family {} ({what})\n",
            set.name,
            dfw_netlink::sets::ipset_family(set.family)
        ));
    }
    for rs in &rulesets {
        let family = rs.family();
        if (a.ipv4 && family == Family::Ipv6) || (a.ipv6 && family == Family::Ipv4) {
            continue;
        }
        out.push_str(&format!("# {family} ({})\n", save_name(family)));
        out.push_str(&print_ruleset(rs, PrintOptions::default()));
    }
    // dfw's native table (`[docker] accept_fwmark`), as comments so the output stays
    // iptables-restore input.
    if let Some(t) = &compiled.native {
        out.push_str(
            "# [docker] accept_fwmark: dfw's native table, as nft lists it
",
        );
        for l in dfw_core::native::print::table_text(t).lines() {
            out.push_str(&format!("# {l}\n"));
        }
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
