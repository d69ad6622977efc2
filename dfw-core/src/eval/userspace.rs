//! Published ports Docker serves in user space: docker-proxy listening on the host for a port
//! that has no DNAT in this family (Docker's default configuration serves IPv6 this way for
//! IPv4-only containers). Those connections take the INPUT path, so who reaches them is
//! decided there, not in DOCKER-USER.
//!
//! Contract (pure): [`user_space_ports`] pairs the ports Docker publishes (from the DNAT rules
//! of both families, [`PublishedPort`]) with the host's listening sockets ([`Listener`], from
//! the socket table): a listener of this family (an IPv6 socket on `::` that is not
//! `v6only` serves IPv4 too; a loopback one serves no external interface) on a published port
//! (on its `-d` address when it has one) is a user-space port, unless a DNAT rule of this ruleset covers that protocol and port (then
//! external connections are translated before they reach the listener, and the published
//! port is audited as such). Each is probed as a host port through every external interface
//! ([`exposure`]: accepted on the INPUT path without DNAT), one entry per protocol and port.

static NO_NATIVE: crate::native::Ruleset = crate::native::Ruleset {
    tables: Vec::new(),
    xt_tables: Vec::new(),
};

use std::net::IpAddr;

use crate::model::{Family, Neg, Network, Protocol, Ruleset};
use crate::policy::PublishedPort;

use super::audit::IfaceExposure;
use super::exposure::{exposure, l4_for, Goal, Service};
use super::host::{Host, IfaceKind};
use super::mentioned::Mentioned;
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
        family_ok && addr_ok && !self.addr.is_loopback()
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
    let mentioned = Mentioned::new(ruleset, &NO_NATIVE, host);
    let externals: Vec<&str> = host
        .ifaces_of(IfaceKind::External)
        .map(|i| i.name.as_str())
        .collect();
    let mut out: Vec<UserSpacePort> = Vec::new();
    for p in published {
        let proto = p.proto;
        for l in listeners {
            let hit = l.proto == proto
                && p.ports.contains(l.port)
                && l.serves(family, p.host.as_ref())
                && !dnatted(ruleset, proto, l.port)
                && !out.iter().any(|u| u.proto == proto && u.port == l.port);
            if !hit {
                continue;
            }
            // Probed at the listener's own address when it has one, else the published one.
            let dst = if l.addr.is_unspecified() {
                p.host.map(Neg::is)
            } else {
                Some(Neg::is(Network::host(l.addr)))
            };
            let svc = Service {
                goal: Goal::Host,
                l4: l4_for(Some(proto), l.port),
                dst: dst.as_ref(),
                native: &NO_NATIVE,
            };
            let exposure = externals
                .iter()
                .map(|i| exposure(ruleset, host, &svc, i, &mentioned))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::audit::Reach;
    use crate::eval::host::HostIface;
    use crate::policy::Published;
    use crate::syntax::{parse_rule, parse_ruleset};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// `eth0` facing the world, `docker0` the bridge.
    fn docker_host() -> Host {
        let iface = |name: &str, kind, addrs: &[(&str, u8)]| HostIface {
            name: name.into(),
            kind,
            addrs: addrs.iter().map(|(a, p)| (ip(a), *p)).collect(),
        };
        Host {
            ifaces: vec![
                iface("lo", IfaceKind::Loopback, &[("127.0.0.1", 8), ("::1", 128)]),
                iface(
                    "eth0",
                    IfaceKind::External,
                    &[("192.0.2.10", 24), ("2001:db8::10", 64)],
                ),
                iface("docker0", IfaceKind::Bridge, &[("172.17.0.1", 16)]),
            ],
            routes: Vec::new(),
            forwarding: true,
            mark_rules: None,
            sets: Default::default(),
        }
    }

    /// Docker's default configuration: IPv4 DNATs only (what a real Docker 28 wrote).
    fn published() -> Published {
        let v4: Vec<_> = [
            "! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
            "! -i docker0 -p udp -m udp --dport 5353 -j DNAT --to-destination 172.17.0.3:53",
            "! -i docker0 -p tcp -m tcp --dport 9000 -j DNAT --to-destination 172.17.0.3:80",
        ]
        .iter()
        .map(|s| parse_rule(Family::Ipv4, s).unwrap())
        .collect();
        Published::from_dnat(&v4, &[])
    }

    fn listeners() -> Vec<Listener> {
        let l = |proto, addr: &str, port, v6only| Listener {
            proto,
            addr: ip(addr),
            port,
            v6only,
        };
        vec![
            l(Protocol::TCP, "::", 8080, false),
            l(Protocol::UDP, "::", 5353, false),
            l(Protocol::TCP, "::", 22, false),
            l(Protocol::TCP, "::1", 9000, true),
        ]
    }

    #[test]
    fn docker_proxy_listeners_are_user_space_ports_and_dfw_filters_them() {
        let open = parse_ruleset(Family::Ipv6, "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n").unwrap();
        let host = docker_host();
        let p = published();
        let got = user_space_ports(&open, &host, p.family(Family::Ipv6), &listeners());
        // 22 is not published; 9000 listens on ::1 only (not reachable from eth0's address).
        let ports: Vec<(u8, u16)> = got.iter().map(|u| (u.proto.number(), u.port)).collect();
        assert_eq!(ports, [(17, 5353), (6, 8080)]);
        assert!(got.iter().all(|u| u.exposure[0].reach == Reach::Everyone));
        let dfw = parse_ruleset(
            Family::Ipv6,
            "*filter\n:INPUT ACCEPT [0:0]\n:DFW-PROXY - [0:0]\n:DFW-DOCKER-EXT - [0:0]\n\
             -A INPUT -m comment --comment dfw -j DFW-PROXY\n\
             -A DFW-PROXY -i eth0 -p tcp -m tcp --dport 8080 -j DFW-DOCKER-EXT\n\
             -A DFW-PROXY -i eth0 -p udp -m udp --dport 5353 -j DFW-DOCKER-EXT\n\
             -A DFW-DOCKER-EXT -s 2001:db8:5::/64 -p udp -m conntrack --ctorigdstport 5353 -j RETURN\n\
             -A DFW-DOCKER-EXT -j REJECT --reject-with icmp6-adm-prohibited\nCOMMIT\n",
        )
        .unwrap();
        let got = user_space_ports(&dfw, &host, p.family(Family::Ipv6), &listeners());
        assert_eq!(got[1].port, 8080);
        assert_eq!(got[1].exposure[0].reach, Reach::Nobody);
        assert!(matches!(&got[0].exposure[0].reach, Reach::Sources(s) if s.len() == 1));
        // IPv4: the DNAT takes the connection before the listener: not user space.
        let v4 = parse_ruleset(
            Family::Ipv4,
            "*nat\n:PREROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n\
             -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n\
             -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n\
             COMMIT\n",
        )
        .unwrap();
        let got = user_space_ports(&v4, &host, p.family(Family::Ipv4), &listeners());
        let ports: Vec<u16> = got.iter().map(|u| u.port).collect();
        assert_eq!(
            ports,
            [5353],
            "8080 is DNATed; the dual-stack :: socket serves IPv4 5353"
        );
    }
}
