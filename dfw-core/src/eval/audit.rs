//! `audit`: every port Docker publishes (DNAT rules reached from nat PREROUTING) and every host
//! port the INPUT path's rules name, and for each external interface who can reach it, with
//! the rule that decides.
//!
//! Contract: the answer comes only from [`explain`](super::explain()) runs of representative
//! packets, so it is exactly as exact as the evaluator and never guesses. For one service and
//! one external interface the probes are, in this order:
//! 1. [`SourceSet::Outside`]: an address outside every network the rules mention and every
//!    interface network, standing for everyone else;
//! 2. [`SourceSet::Lan`]: one address of each of the interface's networks;
//! 3. one representative of every source-like set the rules mention (`-s`, `--ctorigsrc`,
//!    `--ctrepldst`, `--src-range`): a member outside the narrower mentioned sets when there is
//!    one, never a host address;
//! 4. one member of every ipset set a `-m set ... src` rule matches, with known contents
//!    ([`SourceSet::IpSet`]); the outside address is outside every such set's members too;
//! 5. the same for native tables: their rules' source networks and ranges (`ip saddr ...`,
//!    anonymous sets' members) count as in 3., and one member of every named set an
//!    `ip saddr @NAME` rule looks up ([`SourceSet::NftSet`]) as in 4.
//!
//! Probe packets: a TCP SYN (UDP for `-p udp`, an echo request for ICMP, the bare protocol
//! otherwise) with unknown source port and mark. For a published port, to the rule's first
//! published port (or the first port a negated port match lets through) at the rule's `-d`
//! address or the interface's first address of the family; it reaches the port when its verdict
//! is ACCEPT after the DNAT of this very rule. For a host port, to that port at the interface's
//! address; it reaches the port when it is accepted on the INPUT path without DNAT.
//!
//! A probe reaches the service when every path the evaluator explored for it does; when only
//! some do (a rule whose match cannot be decided, such as `-m limit -j ACCEPT`, lets some
//! packets through), it *possibly* reaches it.
//!
//! The [`Reach`] is:
//! - [`Reach::Unknown`] when a probe cannot be followed at all, or no probe can be built;
//! - [`Reach::Possibly`] when some probe possibly reaches the service, naming every set that
//!   reaches or may reach it and the first undecidable rule;
//! - [`Reach::Everyone`] when every probe reaches it, [`Reach::EveryoneExcept`] when the outside
//!   probe does but some mentioned sets do not;
//! - otherwise [`Reach::LanOnly`] when a LAN probe reaches it and every set that does lies in the
//!   interface's networks, [`Reach::Sources`] when some sets do, [`Reach::Nobody`] when none.
//!
//! These types are stable (a CLI serialises them): variants and fields are only ever added.

use std::net::IpAddr;

use crate::model::matches::SetName;
use crate::model::target::Nat;
use crate::model::{AddrRange, Family, Neg, Network, PortRange, Protocol, Ruleset, Target};
use crate::native;

use super::exposure::{exposure, l4_for, Goal, Service};
use super::host::{Host, IfaceKind};
use super::mentioned::Mentioned;
use super::native::native_dnats;
use super::probes;
use super::trace::{Decision, DnatApplied, RuleRef, Undecided, Verdict};

/// The audit of one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    /// The family audited.
    pub family: Family,
    /// Every published port, in nat walk order.
    pub published: Vec<PublishedPort>,
    /// The host ports the INPUT path's rules name, then one unnamed port per protocol.
    pub host_ports: Vec<HostPort>,
}

/// One published port: a DNAT rule reached from nat PREROUTING.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPort {
    /// The DNAT rule.
    pub rule: RuleRef,
    /// Its protocol (`-p`); `None` for every protocol.
    pub proto: Option<Protocol>,
    /// Its host ports (`--dport`, `--dports`); empty for every port.
    pub host_ports: Vec<PortRange>,
    /// Its host address match (`-d`), if any.
    pub host_addr: Option<Neg<Network>>,
    /// Where it translates to.
    pub to: Nat,
    /// Who can reach it, per external interface.
    pub exposure: Vec<IfaceExposure>,
}

/// One port of the host itself (the INPUT path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    /// TCP or UDP.
    pub proto: Protocol,
    /// The port probed.
    pub port: u16,
    /// True when no rule names this port: it stands for every port no rule names.
    pub unnamed: bool,
    /// Who can reach it, per external interface.
    pub exposure: Vec<IfaceExposure>,
}

/// A set of sources, as the audit names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SourceSet {
    /// Everyone the rules do not mention.
    Outside,
    /// The interface's LAN (one of its networks).
    Lan(Network),
    /// A network the rules mention.
    Network(Network),
    /// An address range the rules mention.
    Range(AddrRange),
    /// The members of an ipset set a `-m set --match-set NAME src` rule matches.
    IpSet {
        /// The set.
        name: SetName,
        /// How many entries (networks or addresses) it has.
        members: usize,
    },
    /// The members of a named native nf_tables set an `ip saddr @NAME` (`ip6 saddr`) rule
    /// looks up (firewalld's or an admin's allow list).
    NftSet {
        /// The table's family.
        family: crate::native::NftFamily,
        /// The table.
        table: String,
        /// The set.
        set: String,
        /// How many entries (addresses, networks or ranges) it has.
        members: usize,
    },
}

/// One probe: a representative source and what happened to its packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The set it stands for.
    pub source: SourceSet,
    /// The source address used.
    pub addr: IpAddr,
    /// The packet's verdict.
    pub verdict: Verdict,
    /// What decided it.
    pub decided_by: Option<Decision>,
    /// The DNAT applied, if any.
    pub dnat: Option<DnatApplied>,
    /// True when the packet reaches the service; `None` when unknown.
    pub reaches: Option<bool>,
    /// True when it may reach the service: it does, or some way undecidable rules can go
    /// lets it (while another does not).
    pub possibly: bool,
}

/// Who can reach a service on an interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reach {
    /// Every source.
    Everyone,
    /// Every source except these mentioned sets.
    EveryoneExcept(Vec<SourceSet>),
    /// Only these sets (not all within the LAN).
    Sources(Vec<SourceSet>),
    /// Only sources in the interface's own networks.
    LanOnly,
    /// No source.
    Nobody,
    /// These sets may reach it, depending on rules whose match cannot be decided (a rate
    /// limit, a recent list, ...): the first such rule and why. The others cannot.
    Possibly(Vec<SourceSet>, Undecided),
    /// Cannot be decided.
    Unknown(Undecided),
}

/// The exposure of one service on one external interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfaceExposure {
    /// The interface.
    pub iface: String,
    /// Who can reach the service through it.
    pub reach: Reach,
    /// What decides the outside probe's fate (the rule or policy that lets everyone in or not).
    pub decided_by: Option<Decision>,
    /// Every probe, outside first.
    pub probes: Vec<Probe>,
}

/// Audits every published port and named host port of `ruleset` on every external interface
/// of `host`.
pub fn audit(ruleset: &Ruleset, host: &Host) -> Audit {
    audit_with(ruleset, &native::Ruleset::default(), host)
}

/// [`audit`] on a host that also holds native nf_tables tables: their base chains run with
/// iptables' tables, and the DNAT statements of their nat chains (Docker 29's
/// `dnat to` rules in nftables mode) are published ports too.
pub fn audit_with(ruleset: &Ruleset, native: &native::Ruleset, host: &Host) -> Audit {
    let mentioned = Mentioned::new(ruleset, native, host);
    let externals: Vec<&str> = host
        .ifaces_of(IfaceKind::External)
        .map(|i| i.name.as_str())
        .collect();
    let per_iface = |svc: &Service<'_>| -> Vec<IfaceExposure> {
        externals
            .iter()
            .map(|i| exposure(ruleset, host, svc, i, &mentioned))
            .collect()
    };
    let published = probes::dnat_rules(ruleset)
        .into_iter()
        .map(|(at, rule)| {
            let (pos, neg) = probes::dports(rule);
            let port = pos.first().map(|r| r.lo()).unwrap_or_else(|| {
                (1..=u16::MAX)
                    .find(|p| !neg.iter().any(|r| r.contains(*p)))
                    .unwrap_or(1)
            });
            let svc = Service {
                goal: Goal::Published(&at),
                l4: l4_for(rule.bound_proto(), port),
                dst: rule.header.dst.as_ref(),
                native,
            };
            PublishedPort {
                exposure: per_iface(&svc),
                to: match &rule.target {
                    Some(Target::Dnat(n)) => *n,
                    _ => Nat::default(),
                },
                proto: rule.bound_proto(),
                host_ports: pos,
                host_addr: rule.header.dst.clone(),
                rule: at,
            }
        })
        .chain(native_dnats(native, ruleset.family()).into_iter().map(|d| {
            let port = d.ports.first().map_or(1, |r| r.lo());
            let svc = Service {
                goal: Goal::Published(&d.at),
                l4: l4_for(d.proto, port),
                dst: None,
                native,
            };
            PublishedPort {
                exposure: per_iface(&svc),
                to: d.to,
                proto: d.proto,
                host_ports: d.ports.clone(),
                host_addr: None,
                rule: d.at.clone(),
            }
        }))
        .collect();
    let mut named: Vec<(Protocol, u16, bool)> = probes::input_ports(ruleset)
        .into_iter()
        .map(|(p, port)| (p, port, false))
        .collect();
    if let Some(port) = probes::unmentioned_port(ruleset) {
        named.push((Protocol::TCP, port, true));
        named.push((Protocol::UDP, port, true));
    }
    let host_ports = named
        .into_iter()
        .map(|(proto, port, unnamed)| {
            let svc = Service {
                goal: Goal::Host,
                l4: l4_for(Some(proto), port),
                dst: None,
                native,
            };
            HostPort {
                proto,
                port,
                unnamed,
                exposure: per_iface(&svc),
            }
        })
        .collect();
    Audit {
        family: ruleset.family(),
        published,
        host_ports,
    }
}
