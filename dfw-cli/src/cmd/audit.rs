//! `dfw-cli audit [--json] [--external IFACE]... [-c FILE]`: which published ports (Docker's
//! DNAT rules), host ports (INPUT) and published ports docker-proxy serves in user space the
//! world can reach through each external interface, who exactly, and the rule that decides,
//! for IPv4 and IPv6, from the live kernel (rules read over netlink, host description over
//! rtnetlink, listening sockets over sock_diag). The answers are `dfw_core::eval`'s: never a
//! guess ("unknown" with the reason instead). Each published port names the container that
//! publishes it when the Docker API answers (`docker_names`). `--json` prints the
//! `dfw.audit/1` document described in `audit_json`.
//!
//! External interfaces: those named with `--external`, or the policy's with `-c` (its
//! `interfaces.external`, `"auto"` resolved from the default routes), or the interfaces of
//! the default routes; when there is no default route either, every interface that is up and
//! is neither the loopback, a bridge nor a bridge port, and the report says so. With none at
//! all the family fails with a hint. Exit 0 when both families were audited, 1 otherwise.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use dfw_core::eval::{
    audit_with, user_space_ports, Audit, Host, IfaceExposure, IfaceKind, Listener, UserSpacePort,
};
use dfw_core::model::{Family, Protocol, Rule, Ruleset, TableName};
use dfw_core::policy::{Policy, Published};
use dfw_docker::Containers;
use dfw_netlink::enforce::{resolve_external, DOCKER_NAT_CHAIN};
use dfw_netlink::firewall::Firewall;
use dfw_netlink::kernel_ruleset::read_ruleset;
use dfw_netlink::route::{read_host_assuming, ExternalsFrom};
use dfw_netlink::sockdiag::{sockets, SockProto, States};

use super::audit_json::{self, Document};
use super::examine::{
    decision_text, load_native, nat_text, native_rule_line, port_text, reach_text, rule_line,
};

/// `audit` options.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit::PLAIN)]
pub struct Args {
    /// Print the `dfw.audit/1` JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// An interface facing the world (repeatable); default: the default-route interfaces.
    #[arg(long = "external", visible_alias = "in", value_name = "IFACE")]
    external: Vec<String>,
    /// Take the external interfaces from this policy file (its `interfaces.external`).
    #[arg(
        short = 'c',
        long = "config",
        value_name = "FILE",
        conflicts_with = "external"
    )]
    config: Option<PathBuf>,
}

/// What was read of one family.
pub(super) struct Loaded {
    pub rs: Ruleset,
    pub host: Host,
    pub from: ExternalsFrom,
    /// The native tables, run with iptables' (Docker 29 in nftables mode publishes there).
    pub native: dfw_core::native::Ruleset,
}

pub(super) fn externals(host: &Host) -> Vec<String> {
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

/// ` (container NAME)`, or nothing.
fn named(name: Option<String>) -> String {
    name.map_or(String::new(), |n| format!(" (container {n})"))
}

/// The text report of one family.
fn text(l: &Loaded, a: &Audit, user: &[UserSpacePort], c: Option<&Containers>) -> String {
    let rs = &l.rs;
    let mut out = String::new();
    let ext = externals(&l.host).join(", ");
    let assumed = match &l.from {
        ExternalsFrom::Assumed(_) => {
            ", assumed: no default route, so every interface that is up and is not loopback, \
             a bridge or a bridge port"
        }
        _ => "",
    };
    let _ = writeln!(out, "{} (external: {ext}{assumed})", a.family);
    for note in dfw_core::native::docker::docker_notes(rs, &l.native) {
        let _ = writeln!(out, "  note: {note}");
    }
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
        let _ = writeln!(
            out,
            "  {proto} {ports} -> {}{}",
            nat_text(&p.to),
            named(audit_json::published_by(c, p))
        );
        let by = match p.rule.table.xt() {
            Some(_) => rule_line(rs, &p.rule),
            None => native_rule_line(&l.native, &p.rule),
        };
        let _ = writeln!(out, "    published by {by}");
        exposures(&mut out, rs, &p.exposure);
    }
    if !user.is_empty() {
        let _ = writeln!(
            out,
            "  published ports served in user space (docker-proxy; the INPUT path):"
        );
    }
    for u in user {
        let listen = std::net::SocketAddr::new(u.listener.addr, u.listener.port);
        let _ = writeln!(
            out,
            "  {} {} (published {}; listening on {listen}){}",
            u.proto,
            u.port,
            port_text(&u.published.ports),
            named(audit_json::user_space_by(c, u))
        );
        exposures(&mut out, rs, &u.exposure);
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

/// The interfaces the policy in `path` names as external (`"auto"` resolved).
fn policy_externals(path: &PathBuf) -> Result<Vec<String>, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let policy = Policy::from_toml(&text, &name).map_err(|e| e.to_string())?;
    let ext = resolve_external(&policy).map_err(|e| format!("{name}: {e}"))?;
    Ok(ext.iter().map(|i| i.to_string()).collect())
}

pub(super) fn load(family: Family, named: &[String], assume: bool) -> Result<Loaded, String> {
    let mut fw = Firewall::open().map_err(|e| e.to_string())?;
    let rs = read_ruleset(&mut fw, family).map_err(|e| e.to_string())?;
    let (host, from) =
        read_host_assuming(family, named, assume).map_err(|e| format!("{family} host: {e}"))?;
    if host.ifaces_of(IfaceKind::External).next().is_none() {
        return Err(format!(
            "no external interface: no {family} default route and no interface that is up and \
             is not loopback, a bridge or a bridge port; name them with --external IFACE or \
             take the policy's with -c FILE"
        ));
    }
    let native = load_native()?;
    Ok(Loaded {
        rs,
        host,
        from,
        native,
    })
}

/// The rules of `nat`'s DOCKER chain.
pub(super) fn docker_nat(rs: &Ruleset) -> Vec<Rule> {
    rs.table(TableName::Nat)
        .and_then(|t| t.chain(DOCKER_NAT_CHAIN))
        .map(|c| c.rules.clone())
        .unwrap_or_default()
}

/// Every listening TCP socket and bound UDP socket of both families.
pub(super) fn listeners() -> Result<Vec<Listener>, String> {
    let mut out = Vec::new();
    for family in [Family::Ipv4, Family::Ipv6] {
        for (proto, states, p) in [
            (SockProto::Tcp, States::LISTEN, Protocol::TCP),
            (SockProto::Udp, States::UNCONNECTED, Protocol::UDP),
        ] {
            let socks = sockets(family, proto, states).map_err(|e| e.to_string())?;
            out.extend(socks.into_iter().map(|s| Listener {
                proto: p,
                addr: s.local,
                port: s.local_port,
                v6only: s.v6only,
            }));
        }
    }
    Ok(out)
}

/// Runs `audit`.
pub fn run(a: Args) -> ExitCode {
    if let Err(code) = crate::privilege::require("audit", "reads nf_tables and the socket table") {
        return code;
    }
    let (named, assume) = match &a.config {
        Some(path) => match policy_externals(path) {
            Ok(v) => (v, false),
            Err(e) => {
                crate::errln!("dfw-cli audit: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => (a.external.clone(), a.external.is_empty()),
    };
    let loaded = [Family::Ipv4, Family::Ipv6].map(|f| (f, load(f, &named, assume)));
    let rules = |f: usize| match &loaded[f].1 {
        Ok(l) => docker_nat(&l.rs),
        Err(_) => Vec::new(),
    };
    let published = Published::from_dnat(&rules(0), &rules(1));
    let mut ok = true;
    let socks = listeners().unwrap_or_else(|e| {
        ok = false;
        crate::errln!("dfw-cli audit: the socket table: {e}");
        Vec::new()
    });
    let containers = super::docker_names::containers("audit");
    let c = containers.as_ref();
    let mut families = Vec::new();
    let mut report = String::new();
    for (family, l) in &loaded {
        match l {
            Ok(l) => {
                let result = audit_with(&l.rs, &l.native, &l.host);
                let user = user_space_ports(&l.rs, &l.host, published.family(*family), &socks);
                if a.json {
                    let assumed = matches!(l.from, ExternalsFrom::Assumed(_));
                    families.push(
                        audit_json::family(&l.rs, &result, externals(&l.host), c)
                            .assumed(assumed)
                            .with_user_space(&l.rs, &user, c),
                    );
                } else {
                    report.push_str(&text(l, &result, &user, c));
                }
            }
            Err(e) => {
                ok = false;
                crate::errln!("dfw-cli audit: {family}: {e}");
                families.push(audit_json::failed(*family, e.clone()));
            }
        }
    }
    if a.json {
        match serde_json::to_string_pretty(&Document::new(families)) {
            Ok(s) => report = s + "\n",
            Err(e) => {
                crate::errln!("dfw-cli audit: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    crate::out::stdout(&report);
    if !ok {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
