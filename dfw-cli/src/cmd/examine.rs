//! What `audit` and `explain` share: reading one family's rules and host description from the
//! kernel, and the words used to print the evaluator's results (rules, decisions, NAT targets,
//! source sets, reach).

use std::net::IpAddr;

use dfw_core::eval::{Decision, Host, Reach, RuleRef, SourceSet};
use dfw_core::model::target::Nat;
use dfw_core::model::{Family, PortRange, Ruleset};
use dfw_core::syntax::rule_spec;
use dfw_netlink::firewall::Firewall;
use dfw_netlink::kernel_ruleset::{read_rule_sets, read_ruleset};
use dfw_netlink::route::read_host;

/// The kernel's rules of `family` and the host description (`externals`: the interfaces the
/// user named, or empty for the default-route interfaces).
///
/// # Errors
/// The reason, in words, naming what failed.
pub fn load(family: Family, externals: &[String]) -> Result<(Ruleset, Host), String> {
    let mut fw = Firewall::open().map_err(|e| e.to_string())?;
    let rs = read_ruleset(&mut fw, family).map_err(|e| e.to_string())?;
    let mut host = read_host(family, externals).map_err(|e| format!("{family} host: {e}"))?;
    host.sets = read_rule_sets(&mut fw, &rs).map_err(|e| format!("{family} sets: {e}"))?;
    Ok((rs, host))
}

/// Every native nf_tables table of the kernel (Docker 29's `docker-bridges`, `inet filter`,
/// firewalld's, an admin's own), which the evaluator runs with iptables' tables.
///
/// # Errors
/// The reason, in words.
pub fn load_native() -> Result<dfw_core::native::Ruleset, String> {
    let mut t = dfw_netlink::transport::NetlinkTransport::open().map_err(|e| e.to_string())?;
    dfw_netlink::native::read_native(&mut t).map_err(|e| format!("native tables: {e}"))
}

/// What differs on a host where Docker uses its nftables backend, both families (empty
/// otherwise): the backend, a leftover iptables FORWARD policy DROP, and the policy's
/// `[[forward]]` pairs Docker's nftables rules drop. Reading errors are left out (the
/// command's own reading reports them).
pub fn docker_mode_notes(policy: &dfw_core::Policy) -> Vec<dfw_core::native::docker::DockerNote> {
    use dfw_core::native::docker::{docker_notes, forward_pair_notes};
    let Ok(native) = load_native() else {
        return Vec::new();
    };
    let Ok(mut fw) = Firewall::open() else {
        return Vec::new();
    };
    let pairs: Vec<(String, String)> = policy
        .forward
        .iter()
        .map(|f| (f.in_iface.to_string(), f.out_iface.to_string()))
        .collect();
    let mut out = Vec::new();
    for family in [Family::Ipv4, Family::Ipv6] {
        let fam = match family {
            Family::Ipv4 => dfw_core::native::NftFamily::Ip,
            Family::Ipv6 => dfw_core::native::NftFamily::Ip6,
        };
        // Without Docker's nftables table there is no note to make: the family's rules (all
        // of a big policy's) are not read for nothing.
        let rs = match native.table(fam, "docker-bridges") {
            Some(_) => read_ruleset(&mut fw, family).ok(),
            None => None,
        };
        if let Some(rs) = rs {
            out.extend(docker_notes(&rs, &native));
        }
        let mark = policy.accept_fwmark.map(|m| (m.mark(), m.mask()));
        out.extend(forward_pair_notes(&native, family, &pairs, mark));
    }
    out
}

/// The rule text (`iptables-save` form after `-A CHAIN`, without the leading space) of a rule.
pub fn rule_text(rs: &Ruleset, at: &RuleRef) -> String {
    at.table
        .xt()
        .and_then(|t| rs.table(t))
        .and_then(|t| t.chain(&at.chain))
        .and_then(|c| c.rules.get(at.number.checked_sub(1)?))
        .map(|r| rule_spec(r).trim_start().to_string())
        .unwrap_or_default()
}

/// `ip docker-bridges nat-prerouting-and-output #1: iifname != "docker0" tcp dport 8080 ...`:
/// a native rule as `nft list ruleset` prints it.
pub fn native_rule_line(native: &dfw_core::native::Ruleset, at: &RuleRef) -> String {
    let text = match &at.table {
        dfw_core::eval::TableRef::Native(f, name) => native
            .table(*f, name)
            .and_then(|t| {
                let c = t.chain(&at.chain)?;
                let r = c.rules.get(at.number.checked_sub(1)?)?;
                Some(dfw_core::native::print::rule_text(t, r))
            })
            .unwrap_or_default(),
        dfw_core::eval::TableRef::Xt(_) => String::new(),
    };
    format!("{at}: {text}")
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

/// A port range as `80` or `1000-2000`.
pub fn port_text(r: &PortRange) -> String {
    if r.lo() == r.hi() {
        r.lo().to_string()
    } else {
        format!("{}-{}", r.lo(), r.hi())
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
    match (addr, n.ports.as_ref().map(port_text)) {
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
        SourceSet::IpSet { name, members } => {
            format!("{} sources in set {name}", thousands(*members))
        }
        SourceSet::NftSet {
            family,
            table,
            set,
            members,
        } => format!(
            "{} sources in nft set {family} {table} @{set}",
            thousands(*members)
        ),
    }
}

/// `12,345`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
        Reach::Possibly(v, u) => format!("possibly {} ({u})", list(v)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use dfw_core::eval::Undecided;
    use dfw_core::model::{AddrRange, Network};

    #[test]
    fn nat_targets_and_reach_in_words() {
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        let one = |x: &str| AddrRange::new(a(x), a(x)).unwrap();
        let nat = |addrs, ports| Nat {
            addrs,
            ports,
            ..Nat::default()
        };
        let p80 = PortRange::new(80, 80).ok();
        assert_eq!(
            nat_text(&nat(Some(one("172.17.0.2")), p80)),
            "172.17.0.2:80"
        );
        assert_eq!(nat_text(&nat(Some(one("fd00::2")), p80)), "[fd00::2]:80");
        assert_eq!(nat_text(&nat(Some(one("172.17.0.2")), None)), "172.17.0.2");
        let range = AddrRange::new(a("10.0.0.1"), a("10.0.0.9")).ok();
        assert_eq!(
            nat_text(&nat(range, PortRange::new(80, 90).ok())),
            "10.0.0.1-10.0.0.9:80-90"
        );
        let net = Network::with_prefix(a("198.51.100.0"), 24).unwrap();
        let lan = Network::with_prefix(a("192.168.1.0"), 24).unwrap();
        assert_eq!(
            reach_text(&Reach::Sources(vec![SourceSet::Network(net)])),
            "only 198.51.100.0/24"
        );
        assert_eq!(
            reach_text(&Reach::EveryoneExcept(vec![SourceSet::Lan(lan)])),
            "everyone except LAN 192.168.1.0/24"
        );
        let u = Undecided {
            rule: None,
            reason: "mark unknown".into(),
        };
        assert_eq!(reach_text(&Reach::Unknown(u)), "unknown (mark unknown)");
        assert_eq!(reach_text(&Reach::LanOnly), "LAN only");
    }
}
