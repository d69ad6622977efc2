//! `dfw-cli audit [--json] [--external IFACE]...`: which published ports (Docker's DNAT rules)
//! and host ports (INPUT) the world can reach through each external interface, who exactly,
//! and the rule that decides, for IPv4 and IPv6, from the live kernel (rules read over
//! netlink, host description over rtnetlink). The answers are `dfw_core::eval::audit`'s: never
//! a guess ("unknown" with the reason instead). `--json` prints the `dfw.audit/1` document
//! described in `audit_json`. Exit 0 when both families were audited, 1 otherwise.

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use dfw_core::eval::{audit, Audit, Host, IfaceExposure, IfaceKind};
use dfw_core::model::{Family, Ruleset};

use super::audit_json::{self, Document};
use super::examine::{decision_text, load, nat_text, port_text, reach_text, rule_line};

/// `audit` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the `dfw.audit/1` JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// An interface facing the world (repeatable); default: the default-route interfaces.
    #[arg(long = "external", visible_alias = "in", value_name = "IFACE")]
    external: Vec<String>,
}

fn externals(host: &Host) -> Vec<String> {
    host.ifaces_of(IfaceKind::External)
        .map(|i| i.name.clone())
        .collect()
}

fn exposures(out: &mut String, rs: &Ruleset, list: &[IfaceExposure]) {
    for e in list {
        let _ = writeln!(out, "    {}: {}", e.iface, reach_text(&e.reach));
        if let Some(d) = &e.decided_by {
            let _ = writeln!(out, "      decided by {}", decision_text(rs, d));
        }
    }
}

/// The text report of one family.
fn text(rs: &Ruleset, a: &Audit, host: &Host) -> String {
    let mut out = String::new();
    let ext = externals(host);
    let _ = writeln!(
        out,
        "{} (external: {})",
        a.family,
        if ext.is_empty() {
            "none".to_string()
        } else {
            ext.join(", ")
        }
    );
    let _ = writeln!(out, "  published ports:");
    if a.published.is_empty() {
        let _ = writeln!(out, "    none");
    }
    for p in &a.published {
        let proto = p.proto.map_or("all".to_string(), |x| x.to_string());
        let ports = if p.host_ports.is_empty() {
            "*".to_string()
        } else {
            let v: Vec<String> = p.host_ports.iter().map(port_text).collect();
            v.join(",")
        };
        let _ = writeln!(out, "  {proto} {ports} -> {}", nat_text(&p.to));
        let _ = writeln!(out, "    published by {}", rule_line(rs, &p.rule));
        exposures(&mut out, rs, &p.exposure);
    }
    let _ = writeln!(out, "  host ports:");
    for h in &a.host_ports {
        if h.unnamed {
            let _ = writeln!(out, "  {} any other port (probed at {})", h.proto, h.port);
        } else {
            let _ = writeln!(out, "  {} {}", h.proto, h.port);
        }
        exposures(&mut out, rs, &h.exposure);
    }
    out
}

/// Runs `audit`.
pub fn run(a: Args) -> ExitCode {
    let mut ok = true;
    let mut families = Vec::new();
    let mut report = String::new();
    for family in [Family::Ipv4, Family::Ipv6] {
        match load(family, &a.external) {
            Ok((rs, host)) => {
                let result = audit(&rs, &host);
                if a.json {
                    families.push(audit_json::family(&rs, &result, externals(&host)));
                } else {
                    report.push_str(&text(&rs, &result, &host));
                }
            }
            Err(e) => {
                ok = false;
                eprintln!("dfw-cli audit: {family}: {e}");
                families.push(audit_json::failed(family, e));
            }
        }
    }
    if a.json {
        match serde_json::to_string_pretty(&Document::new(families)) {
            Ok(s) => report = s + "\n",
            Err(e) => {
                eprintln!("dfw-cli audit: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if std::io::stdout().write_all(report.as_bytes()).is_err() || !ok {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
