//! The docker-proxy path (pure): a published port is filtered by the policy on every path
//! from an external interface, also where Docker serves it in user space.
//!
//! Why: when a published port has no DNAT in a family (Docker's default configuration has
//! IPv4-only containers; Docker 28 does the same for an IPv4-only network on a dual-stack
//! daemon; 20.10 and 26 without `ip6tables`), docker-proxy listens on `[::]:PORT` and relays
//! to the container: those connections take the host's INPUT path and never meet
//! DOCKER-USER. With `host = true` dfw's INPUT chains already filter them; with
//! `host = false` (the default) nothing did.
//!
//! Contract:
//! - [`Published::from_dnat`]: the ports Docker publishes, from the DNAT rules of the `nat`
//!   `DOCKER` chains of both families (`-p tcp|udp|sctp` with a positive `--dport`; SCTP
//!   too, since docker-proxy relays SCTP as well and the policy can only refuse it): a port
//!   published on every address (no `-d`) counts in both families (docker-proxy may serve
//!   the family that has no DNAT); one published on one address (`-d ADDR`) only in that
//!   address's family, matched with `-d ADDR`. Sorted, overlapping ranges merged.
//! - [`Compiled::with_published`]: unless the family's policy filters INPUT itself
//!   (`host = true`: a `DFW-INPUT` chain) or has no external interface, and when the family
//!   has published ports, the chain [`CHAIN_PROXY`] holds `-i EXT -p PROTO -m PROTO --dport
//!   PORTS [-d ADDR] -j DFW-DOCKER-EXT` per external interface and port, and INPUT gets dfw's
//!   jump `-m comment --comment dfw -j DFW-PROXY`. On the INPUT path nothing was DNATed, so
//!   the policy chain's conntrack original-destination matches mean the packet's own port
//!   and address: the same rules decide both paths. Any `DFW-PROXY` chain or jump already in
//!   the compiled policy (a rollback's snapshot) is replaced by what the ports say now.
//! - The external interfaces are those `DFW-DOCKER` dispatches to `DFW-DOCKER-EXT`.

use std::borrow::Cow;

use super::compiled::{
    chain_name, dfw_comment, Compiled, DfwJump, FamilyRules, CHAIN_DOCKER, CHAIN_DOCKER_EXT,
    CHAIN_INPUT, CHAIN_PROXY, INPUT,
};
use crate::model::matches::{SctpMatch, TcpMatch, UdpMatch};
use crate::model::{
    Family, Iface, Match, Neg, Network, PortRange, Protocol, Rule, RuleHeader, Target,
};

/// One port Docker publishes, as the INPUT path must match it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublishedPort {
    /// TCP, UDP or SCTP.
    pub proto: Protocol,
    /// The host port(s).
    pub ports: PortRange,
    /// The host address it is published on (`-d`), when only one.
    pub host: Option<Network>,
}

impl PublishedPort {
    fn key(&self) -> (Protocol, Option<(std::net::IpAddr, u8)>, u16, u16) {
        let host = self.host.map(|n| (n.addr(), n.prefix().unwrap_or(0)));
        (self.proto, host, self.ports.lo(), self.ports.hi())
    }
}

/// The published ports to filter on each family's INPUT path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Published {
    /// IPv4.
    pub v4: Vec<PublishedPort>,
    /// IPv6.
    pub v6: Vec<PublishedPort>,
}

impl Published {
    /// From the rules of the `nat` `DOCKER` chains, IPv4 and IPv6 (see the module contract).
    pub fn from_dnat(v4: &[Rule], v6: &[Rule]) -> Published {
        let all: Vec<PublishedPort> = v4.iter().chain(v6).filter_map(published).collect();
        let of = |family: Family| {
            let mine = all
                .iter()
                .filter(|p| p.host.is_none_or(|h| h.family() == family))
                .copied()
                .collect();
            merged(mine)
        };
        Published {
            v4: of(Family::Ipv4),
            v6: of(Family::Ipv6),
        }
    }

    /// One family's ports.
    pub fn family(&self, family: Family) -> &[PublishedPort] {
        match family {
            Family::Ipv4 => &self.v4,
            Family::Ipv6 => &self.v6,
        }
    }

    /// True when Docker publishes nothing.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }
}

/// The published port of one `nat` rule, if it is a DNAT of a TCP, UDP or SCTP port.
fn published(rule: &Rule) -> Option<PublishedPort> {
    if !matches!(rule.target, Some(Target::Dnat(_))) {
        return None;
    }
    let proto = rule.bound_proto()?;
    let dport = rule.matches.iter().find_map(|m| match m {
        Match::Tcp(t) if proto == Protocol::TCP => t.dport.as_ref(),
        Match::Udp(u) if proto == Protocol::UDP => u.dport.as_ref(),
        Match::Sctp(c) if proto == Protocol::SCTP => c.dport.as_ref(),
        _ => None,
    })?;
    if dport.negated {
        return None;
    }
    let host = match &rule.header.dst {
        None => None,
        Some(d) if !d.negated && d.value.is_host() => Some(d.value),
        // A negated or wider `-d` is not Docker's form: filter the port on every address.
        Some(_) => None,
    };
    Some(PublishedPort {
        proto,
        ports: dport.value,
        host,
    })
}

/// Sorted, with overlapping or adjacent ranges of the same protocol and address merged.
fn merged(mut ports: Vec<PublishedPort>) -> Vec<PublishedPort> {
    ports.sort_by_key(PublishedPort::key);
    let mut out: Vec<PublishedPort> = Vec::with_capacity(ports.len());
    for p in ports {
        if let Some(last) = out.last_mut() {
            let joins = last.proto == p.proto
                && last.host == p.host
                && u32::from(p.ports.lo()) <= u32::from(last.ports.hi()) + 1;
            if joins {
                let hi = last.ports.hi().max(p.ports.hi());
                last.ports = PortRange::new(last.ports.lo(), hi).unwrap_or(last.ports);
                continue;
            }
        }
        out.push(p);
    }
    out
}

impl Compiled {
    /// The compiled policy with the docker-proxy path of `ports` (see the module contract);
    /// borrowed when nothing is to be added or removed.
    pub fn with_published(&self, ports: &Published) -> Cow<'_, Compiled> {
        let v4 = proxied(&self.v4, ports.family(Family::Ipv4));
        let v6 = proxied(&self.v6, ports.family(Family::Ipv6));
        if v4.is_none() && v6.is_none() {
            return Cow::Borrowed(self);
        }
        Cow::Owned(Compiled {
            v4: v4.unwrap_or_else(|| self.v4.clone()),
            v6: v6.unwrap_or_else(|| self.v6.clone()),
            sets: self.sets.clone(),
            native: self.native.clone(),
        })
    }
}

/// True for dfw's INPUT jump into the proxy chain.
fn is_proxy_jump(j: &DfwJump) -> bool {
    j.chain.as_str() == INPUT
        && matches!(&j.rule.target, Some(Target::Jump(c)) if c.as_str() == CHAIN_PROXY)
}

/// The external interfaces of a compiled family: those `DFW-DOCKER` dispatches.
fn externals(rules: &FamilyRules) -> Vec<&Iface> {
    rules
        .chain(CHAIN_DOCKER)
        .unwrap_or_default()
        .iter()
        .filter(|r| matches!(&r.target, Some(Target::Jump(c)) if c.as_str() == CHAIN_DOCKER_EXT))
        .filter_map(|r| r.header.in_iface.as_ref())
        .filter(|i| !i.negated)
        .map(|i| &i.value)
        .collect()
}

/// The family with its proxy chain for `ports`, or `None` when it is already right (no
/// proxy chain wanted and none there).
fn proxied(rules: &FamilyRules, ports: &[PublishedPort]) -> Option<FamilyRules> {
    let ext = externals(rules);
    let wanted = !ports.is_empty() && !ext.is_empty() && rules.chain(CHAIN_INPUT).is_none();
    let present = rules.chain(CHAIN_PROXY).is_some() || rules.jumps.iter().any(is_proxy_jump);
    if !wanted && !present {
        return None;
    }
    let mut out = FamilyRules {
        family: rules.family,
        chains: rules
            .chains
            .iter()
            .filter(|(n, _)| n.as_str() != CHAIN_PROXY)
            .cloned()
            .collect(),
        jumps: rules
            .jumps
            .iter()
            .filter(|j| !is_proxy_jump(j))
            .cloned()
            .collect(),
    };
    if wanted {
        let mut chain = Vec::with_capacity(ext.len() * ports.len());
        for i in &ext {
            chain.extend(ports.iter().map(|p| dispatch(i, p)));
        }
        out.chains.push((chain_name(CHAIN_PROXY), chain));
        out.jumps.push(DfwJump {
            chain: chain_name(INPUT),
            rule: Rule {
                matches: vec![dfw_comment()],
                target: Some(Target::Jump(chain_name(CHAIN_PROXY))),
                ..Rule::default()
            },
        });
    }
    Some(out)
}

/// `-i EXT -p PROTO -m PROTO --dport PORTS [-d ADDR] -j DFW-DOCKER-EXT`.
fn dispatch(ext: &Iface, p: &PublishedPort) -> Rule {
    let dport = Some(Neg::is(p.ports));
    let m = match p.proto {
        Protocol::UDP => Match::Udp(UdpMatch {
            dport,
            ..UdpMatch::default()
        }),
        Protocol::SCTP => Match::Sctp(SctpMatch {
            dport,
            ..SctpMatch::default()
        }),
        // `published` yields TCP, UDP and SCTP only.
        _ => Match::Tcp(TcpMatch {
            dport,
            ..TcpMatch::default()
        }),
    };
    Rule {
        header: RuleHeader {
            in_iface: Some(Neg::is(ext.clone())),
            dst: p.host.map(Neg::is),
            proto: Some(Neg::is(p.proto)),
            ..RuleHeader::default()
        },
        matches: vec![m],
        target: Some(Target::Jump(chain_name(CHAIN_DOCKER_EXT))),
        counters: None,
    }
}
