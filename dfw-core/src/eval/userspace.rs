//! Published ports Docker serves in user space: docker-proxy listening on the host for a port
//! that has no DNAT in this family (Docker's default configuration serves IPv6 this way for
//! IPv4-only containers). Those connections take the INPUT path, so who reaches them is
//! decided there, not in DOCKER-USER.
//!
//! Contract (pure): [`user_space_ports`] pairs the ports Docker publishes (from the DNAT rules
//! of both families, [`PublishedPort`]) with the host's listening sockets ([`Listener`], from
//! the socket table): a listener of this family (an IPv6 socket on `::` that is not
//! `v6only` serves IPv4 too) on a published port (on its `-d` address when it has one) is a
//! user-space port, unless a DNAT rule of this ruleset covers that protocol and port (then
//! external connections are translated before they reach the listener, and the published
//! port is audited as such). Each is probed as a host port through every external interface
//! ([`exposure`]: accepted on the INPUT path without DNAT), one entry per protocol and port.

use std::net::IpAddr;

use crate::model::{Family, Neg, Network, Protocol, Ruleset};
use crate::policy::{PublishedPort, Transport};

use super::audit::IfaceExposure;
use super::exposure::{exposure, l4_for, Goal, Service};
use super::host::{Host, IfaceKind};
use super::probes;

/// A listening socket of the host (TCP listener, or bound unconnected UDP socket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Listener {
    /// TCP or UDP.
    pub proto: Protocol,
    /// The local address (`0.0.0.0` or `::`: every address).
    pub addr: IpAddr,
    /// The local port.
    pub port: u16,
    /// For an IPv6 socket: `IPV6_V6ONLY` (false on `::`: it also serves IPv4).
    pub v6only: bool,
}

impl Listener {
    /// True when it receives `family`'s connections to `host` (any local address if `None`).
    fn serves(&self, family: Family, host: Option<&Network>) -> bool {
        let fam = Family::of(&self.addr);
        let family_ok = fam == family
            || (family == Family::Ipv4
                && fam == Family::Ipv6
                && !self.v6only
                && self.addr.is_unspecified());
        let addr_ok = match host {
            None => true,
            Some(h) => self.addr.is_unspecified() || h.contains(&self.addr),
        };
        family_ok && addr_ok
    }
}

/// One published port served in user space, and who can reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpacePort {
    /// TCP or UDP.
    pub proto: Protocol,
    /// The port.
    pub port: u16,
    /// The socket serving it.
    pub listener: Listener,
    /// The published port (range, address) it belongs to.
    pub published: PublishedPort,
    /// Who can reach it, per external interface (INPUT path).
    pub exposure: Vec<IfaceExposure>,
}

fn protocol(t: Transport) -> Protocol {
    t.protocol()
}

/// True when a DNAT rule of `ruleset` translates `proto`/`port`.
fn dnatted(ruleset: &Ruleset, proto: Protocol, port: u16) -> bool {
    probes::dnat_rules(ruleset).iter().any(|(_, rule)| {
        let p = rule.bound_proto();
        let (pos, neg) = probes::dports(rule);
        (p.is_none() || p == Some(proto))
            && (pos.iter().any(|r| r.contains(port))
                || (pos.is_empty() && !neg.iter().any(|r| r.contains(port))))
    })
}

/// The published ports of `ruleset`'s family served in user space (see the module contract).
pub fn user_space_ports(
    ruleset: &Ruleset,
    host: &Host,
    published: &[PublishedPort],
    listeners: &[Listener],
) -> Vec<UserSpacePort> {
    let family = ruleset.family();
    let sources = probes::source_sets(ruleset);
    let all = probes::all_sets(ruleset);
    let externals: Vec<&str> = host
        .ifaces_of(IfaceKind::External)
        .map(|i| i.name.as_str())
        .collect();
    let mut out: Vec<UserSpacePort> = Vec::new();
    for p in published {
        let proto = protocol(p.proto);
        for l in listeners {
            let hit = l.proto == proto
                && p.ports.contains(l.port)
                && l.serves(family, p.host.as_ref())
                && !dnatted(ruleset, proto, l.port)
                && !out.iter().any(|u| u.proto == proto && u.port == l.port);
            if !hit {
                continue;
            }
            let dst = p.host.map(Neg::is);
            let svc = Service {
                goal: Goal::Host,
                l4: l4_for(Some(proto), l.port),
                dst: dst.as_ref(),
            };
            let exposure = externals
                .iter()
                .map(|i| exposure(ruleset, host, &svc, i, &sources, &all))
                .collect();
            out.push(UserSpacePort {
                proto,
                port: l.port,
                listener: *l,
                published: *p,
                exposure,
            });
        }
    }
    out.sort_by_key(|u| (u.port, u.proto.number()));
    out
}
