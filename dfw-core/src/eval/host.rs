//! The host the packet arrives at: its interfaces, their addresses and its routes.
//!
//! Contract: the caller states the host explicitly; nothing is read from the system. Address
//! types (`addrtype`) and the routing decision are computed only from this description:
//! - local addresses are the interfaces' addresses plus `127.0.0.0/8` and `::1` on `lo`;
//! - IPv4 broadcast addresses are `0.0.0.0/8`, `255.255.255.255` and each interface subnet's
//!   broadcast address (prefix below 31), as the kernel's local routing table holds them;
//! - routes are the connected networks of the interfaces' addresses plus [`Host::routes`],
//!   chosen by longest prefix (the first listed wins a tie, connected routes first).

use std::net::IpAddr;

use crate::model::matches::AddrTypes;
use crate::model::{Family, Network};

/// What an interface is, for the audit: external interfaces face the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IfaceKind {
    /// An interface facing other hosts (`eth0`); the audit examines these.
    External,
    /// A Docker bridge or container-facing interface (`docker0`, `br-...`).
    Bridge,
    /// The loopback interface.
    Loopback,
}

/// One interface with its addresses (`addr/prefix`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostIface {
    /// The name.
    pub name: String,
    /// Its kind.
    pub kind: IfaceKind,
    /// Addresses with their prefix length, both families.
    pub addrs: Vec<(IpAddr, u8)>,
}

/// A route: destination network and output interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Route {
    /// The destination (`0.0.0.0/0` for a default route).
    pub dest: Network,
    /// The output interface.
    pub iface: String,
}

/// The host description: interfaces, extra routes and whether it forwards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Host {
    /// Interfaces and their addresses.
    pub ifaces: Vec<HostIface>,
    /// Routes besides the connected ones (default routes, static routes).
    pub routes: Vec<Route>,
    /// True when the host forwards packets of this family (`ip_forward`, `forwarding`).
    pub forwarding: bool,
    /// The kernel's ipset sets, by name, for `-m set` (empty when none were read).
    pub sets: super::sets::HostSets,
    /// Whether some policy routing rule of the family (`ip rule`) matches the firewall mark:
    /// `Some(false)` when none does, so a route lookup with the packet's mark (`fib ...
    /// mark`) is the lookup without it; `None` when the rules were not read.
    pub mark_rules: Option<bool>,
}

/// Where the routing decision sends a packet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RouteDecision {
    /// To a local address: the INPUT path.
    Local,
    /// Forwarded out of an interface: the FORWARD path.
    Forward(String),
    /// No route, or forwarding is off: the kernel drops the packet.
    Unroutable(String),
}

fn bits(addr: &IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u32::from(*a) as u128,
        IpAddr::V6(a) => u128::from(*a),
    }
}

fn host_mask(family: Family, prefix: u8) -> u128 {
    let width = family.addr_bits() as u32;
    let all = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    match width.checked_sub(prefix as u32) {
        Some(0) | None => 0,
        Some(host) => all >> (width - host),
    }
}

impl Host {
    /// Interfaces of the given kind.
    pub fn ifaces_of(&self, kind: IfaceKind) -> impl Iterator<Item = &HostIface> {
        self.ifaces.iter().filter(move |i| i.kind == kind)
    }

    /// An interface by name.
    pub fn iface(&self, name: &str) -> Option<&HostIface> {
        self.ifaces.iter().find(|i| i.name == name)
    }

    /// The connected networks of an interface in one family (its LAN).
    pub fn lan(&self, iface: &str, family: Family) -> Vec<Network> {
        self.iface(iface)
            .map(|i| {
                i.addrs
                    .iter()
                    .filter(|(a, _)| Family::of(a) == family)
                    .filter_map(|(a, p)| Network::with_prefix(*a, *p).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The interface owning local address `addr`, if it is local (`lo` for loopback).
    pub fn local_owner(&self, addr: &IpAddr) -> Option<&str> {
        let own = self
            .ifaces
            .iter()
            .find(|i| i.addrs.iter().any(|(a, _)| a == addr));
        if let Some(i) = own {
            return Some(&i.name);
        }
        let loopback = match addr {
            IpAddr::V4(a) => a.octets()[0] == 127,
            IpAddr::V6(a) => a.is_loopback(),
        };
        loopback.then_some("lo")
    }

    /// The IPv4 address type as `inet_dev_addr_type` computes it from the local table, limited
    /// to device `dev` when given (a local or broadcast route of another device is UNICAST).
    ///
    /// # Errors
    /// A reason string when the type cannot be decided (a subnet's network address, whose
    /// broadcast route depends on the kernel version).
    pub fn addr_type_v4(&self, addr: &IpAddr, dev: Option<&str>) -> Result<AddrTypes, String> {
        let IpAddr::V4(v4) = addr else {
            return Err(format!("{addr} is not IPv4"));
        };
        if v4.octets()[0] == 0 || v4.is_broadcast() {
            return Ok(AddrTypes::BROADCAST);
        }
        if v4.is_multicast() {
            return Ok(AddrTypes::MULTICAST);
        }
        let on_dev = |owner: &str| dev.is_none_or(|d| d == owner);
        let limited = |t: AddrTypes, owner: &str| {
            if on_dev(owner) {
                t
            } else {
                AddrTypes::UNICAST
            }
        };
        let mut subnets: Vec<(&str, IpAddr, u8)> = vec![("lo", IpAddr::from([127, 0, 0, 1]), 8)];
        for i in &self.ifaces {
            for (a, p) in &i.addrs {
                if Family::of(a) == Family::Ipv4 {
                    subnets.push((&i.name, *a, *p));
                }
            }
        }
        // /32 routes first: local addresses and subnet broadcasts.
        if let Some(owner) = self.ifaces.iter().find_map(|i| {
            i.addrs
                .iter()
                .any(|(a, _)| a == addr)
                .then_some(i.name.as_str())
        }) {
            return Ok(limited(AddrTypes::LOCAL, owner));
        }
        for (owner, a, p) in &subnets {
            if *p >= 31 {
                continue;
            }
            let hm = host_mask(Family::Ipv4, *p);
            let net = bits(a) & !hm;
            if bits(addr) & !hm != net {
                continue;
            }
            if bits(addr) == net | hm {
                return Ok(limited(AddrTypes::BROADCAST, owner));
            }
            if bits(addr) == net {
                return Err(format!(
                    "{addr} is the network address of {a}/{p} on {owner}: whether it has a \
                     broadcast route depends on the kernel"
                ));
            }
        }
        if v4.octets()[0] == 127 {
            return Ok(limited(AddrTypes::LOCAL, "lo"));
        }
        Ok(AddrTypes::UNICAST)
    }

    /// The routing decision for a packet to `dst`.
    ///
    /// # Errors
    /// A reason string when the destination is multicast, whose routing is not modelled, or its
    /// address type cannot be decided.
    pub fn route(&self, dst: &IpAddr) -> Result<RouteDecision, String> {
        match dst {
            IpAddr::V4(_) => {
                let t = self.addr_type_v4(dst, None)?;
                if t.intersects(AddrTypes::LOCAL | AddrTypes::BROADCAST) {
                    return Ok(RouteDecision::Local);
                }
                if t == AddrTypes::MULTICAST {
                    return Err(format!("multicast destination {dst}: not modelled"));
                }
            }
            IpAddr::V6(a) => {
                if a.is_multicast() {
                    return Err(format!("multicast destination {dst}: not modelled"));
                }
                if self.local_owner(dst).is_some() {
                    return Ok(RouteDecision::Local);
                }
            }
        }
        if !self.forwarding {
            return Ok(RouteDecision::Unroutable(format!(
                "{dst} is not local and the host does not forward {}",
                Family::of(dst)
            )));
        }
        Ok(match self.lookup(dst) {
            Some(iface) => RouteDecision::Forward(iface.to_string()),
            None => RouteDecision::Unroutable(format!("no route to {dst}")),
        })
    }

    /// The output interface by longest-prefix match over connected and listed routes.
    pub fn lookup(&self, dst: &IpAddr) -> Option<&str> {
        let connected = self.ifaces.iter().flat_map(|i| {
            i.addrs.iter().filter_map(move |(a, p)| {
                Network::with_prefix(*a, *p)
                    .ok()
                    .map(|n| (n, i.name.as_str()))
            })
        });
        let listed = self.routes.iter().map(|r| (r.dest, r.iface.as_str()));
        let mut best: Option<(u32, &str)> = None;
        for (net, iface) in connected.chain(listed) {
            if !net.contains(dst) {
                continue;
            }
            let len = bits(&net.mask()).count_ones();
            if best.is_none_or(|(b, _)| len > b) {
                best = Some((len, iface));
            }
        }
        best.map(|(_, i)| i)
    }
}
