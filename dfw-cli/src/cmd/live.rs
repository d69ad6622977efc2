//! What `audit` and `explain` share: reading one family's rules and host description from the
//! kernel, and the words used to print the evaluator's results (rules, decisions, NAT targets,
//! source sets, reach).

use std::net::IpAddr;

use dfw_core::eval::{Decision, Host, Reach, RuleRef, SourceSet};
use dfw_core::model::target::Nat;
use dfw_core::model::{Family, Ruleset};
use dfw_core::syntax::rule_spec;
use dfw_netlink::firewall::Firewall;
use dfw_netlink::live::read_ruleset;
use dfw_netlink::route::read_host;

/// The kernel's rules of `family` and the host description (`externals`: the interfaces the
/// user named, or empty for the default-route interfaces).
///
/// # Errors
/// The reason, in words, naming what failed.
pub fn load(family: Family, externals: &[String]) -> Result<(Ruleset, Host), String> {
    let mut fw = Firewall::open().map_err(|e| e.to_string())?;
    let rs = read_ruleset(&mut fw, family).map_err(|e| e.to_string())?;
    let host = read_host(family, externals).map_err(|e| format!("{family} host: {e}"))?;
    Ok((rs, host))
}

/// The rule text (`iptables-save` form after `-A CHAIN`, without the leading space) of a rule.
pub fn rule_text(rs: &Ruleset, at: &RuleRef) -> String {
    rs.table(at.table)
        .and_then(|t| t.chain(&at.chain))
        .and_then(|c| c.rules.get(at.number.checked_sub(1)?))
        .map(|r| rule_spec(r).trim_start().to_string())
        .unwrap_or_default()
}

/// `filter DOCKER #2: -d 172.17.0.2/32 ... -j ACCEPT`.
pub fn rule_line(rs: &Ruleset, at: &RuleRef) -> String {
    format!("{at}: {}", rule_text(rs, at))
}

/// A decision in words, with the rule text for a rule.
pub fn decision_text(rs: &Ruleset, d: &Decision) -> String {
    match d {
        Decision::Rule(at) => format!("rule {}", rule_line(rs, at)),
        other => other.to_string(),
    }
}

/// `addr[:port]`, `[v6]:port`, `a-b:p-q` of a DNAT target.
pub fn nat_text(n: &Nat) -> String {
    let addr = n.addrs.map(|r| {
        if r.start() == r.end() {
            r.start().to_string()
        } else {
            r.to_string()
        }
    });
    match (addr, n.ports) {
        (Some(a), Some(p)) if a.contains(':') => format!("[{a}]:{p}"),
        (Some(a), Some(p)) => format!("{a}:{p}"),
        (Some(a), None) => a,
        (None, Some(p)) => format!(":{p}"),
        (None, None) => String::from("(unchanged)"),
    }
}

/// A source set in words.
pub fn source_text(s: &SourceSet) -> String {
    match s {
        SourceSet::Outside => "everyone else".into(),
        SourceSet::Lan(n) => format!("LAN {n}"),
        SourceSet::Network(n) => n.to_string(),
        SourceSet::Range(r) => r.to_string(),
    }
}

/// Who can reach a service, in words.
pub fn reach_text(r: &Reach) -> String {
    let list = |v: &[SourceSet]| v.iter().map(source_text).collect::<Vec<_>>().join(", ");
    match r {
        Reach::Everyone => "everyone".into(),
        Reach::EveryoneExcept(v) => format!("everyone except {}", list(v)),
        Reach::Sources(v) => format!("only {}", list(v)),
        Reach::LanOnly => "LAN only".into(),
        Reach::Nobody => "nobody".into(),
        Reach::Unknown(u) => format!("unknown ({u})"),
    }
}

/// The first address of `iface` in `family`, for `explain`'s default destination.
pub fn iface_addr(host: &Host, iface: &str, family: Family) -> Option<IpAddr> {
    host.iface(iface)?
        .addrs
        .iter()
        .map(|(a, _)| *a)
        .find(|a| Family::of(a) == family)
}
