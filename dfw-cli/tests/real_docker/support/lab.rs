//! The test network: a Docker host namespace (named, so `ip netns exec` and `dfw-cli --netns`
//! reach it), an "internet" namespace on its external interface `ext0` and a LAN namespace on
//! `lan0`, all documentation addresses. Built over rtnetlink with dfw's simulator plumbing;
//! the namespaces disappear when the [`Lab`] is dropped.
//!
//! Addresses: `ext0` 203.0.113.1/24 and 2001:db8:1::1/64 (default routes via the internet's
//! .254 and ::fe); the internet holds 203.0.113.254 and 2001:db8:1::fe plus the client
//! sources [`LISTED`] and [`STRANGER`] of each family; `lan0` 198.51.100.1/24 and
//! 2001:db8:2::1/64, the LAN client 198.51.100.2 and 2001:db8:2::2. Forwarding stays off:
//! dockerd turns it on (and sets FORWARD's policy to DROP), as on a real host.

use std::net::IpAddr;

use dfw_netlink::sim::{write_sysctls, NetNs, Rtnl, SimError};

/// The host's external interface.
pub const EXT: &str = "ext0";
/// The host's LAN interface.
pub const LAN: &str = "lan0";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The host's address on `ext0` in each family (what internet clients connect to).
pub fn host_ext(v6: bool) -> IpAddr {
    ip(if v6 { "2001:db8:1::1" } else { "203.0.113.1" })
}

/// The host's address on `lan0`.
pub fn host_lan(v6: bool) -> IpAddr {
    ip(if v6 { "2001:db8:2::1" } else { "198.51.100.1" })
}

/// An internet source the policy lists for its restricted ports.
pub fn listed(v6: bool) -> IpAddr {
    ip(if v6 { "2001:db8:1::10" } else { "203.0.113.10" })
}

/// An internet source the policy does not mention.
pub fn stranger(v6: bool) -> IpAddr {
    ip(if v6 { "2001:db8:1::20" } else { "203.0.113.20" })
}

/// The LAN client.
pub fn lan_client(v6: bool) -> IpAddr {
    ip(if v6 { "2001:db8:2::2" } else { "198.51.100.2" })
}

/// The three namespaces.
pub struct Lab {
    /// The Docker host (named `/run/netns/NAME`).
    pub host: NetNs,
    /// The internet side.
    pub internet: NetNs,
    /// The LAN side.
    pub lan: NetNs,
}

const SYSCTLS: [(&str, &str); 5] = [
    ("net/ipv6/conf/all/accept_dad", "0"),
    ("net/ipv6/conf/default/accept_dad", "0"),
    ("net/ipv4/conf/all/rp_filter", "0"),
    ("net/ipv4/conf/default/rp_filter", "0"),
    ("net/ipv6/bindv6only", "0"),
];

impl Lab {
    /// Builds it; the host namespace is `/run/netns/NAME`.
    pub fn new(name: &str) -> Result<Lab, SimError> {
        let lab = Lab {
            host: NetNs::named(name)?,
            internet: NetNs::new(&format!("{name}-internet"))?,
            lan: NetNs::new(&format!("{name}-lan"))?,
        };
        for ns in [&lab.host, &lab.internet, &lab.lan] {
            write_sysctls(ns, &SYSCTLS)?;
        }
        lab.host.run(|| -> Result<(), SimError> {
            let mut r = Rtnl::open(lab.host.label())?;
            r.add_veth(EXT, "eth0", &lab.internet)?;
            r.add_veth(LAN, "eth0", &lab.lan)?;
            for l in ["lo", EXT, LAN] {
                r.set_up(l)?;
            }
            for v6 in [false, true] {
                let p = if v6 { 64 } else { 24 };
                r.add_addr(EXT, host_ext(v6), p)?;
                r.add_addr(LAN, host_lan(v6), p)?;
            }
            r.add_route(ip("0.0.0.0"), 0, ip("203.0.113.254"))?;
            r.add_route(ip("::"), 0, ip("2001:db8:1::fe"))?;
            Ok(())
        })??;
        lab.internet.run(|| -> Result<(), SimError> {
            let mut r = Rtnl::open(lab.internet.label())?;
            for l in ["lo", "eth0"] {
                r.set_up(l)?;
            }
            r.add_addr("eth0", ip("203.0.113.254"), 24)?;
            r.add_addr("eth0", ip("2001:db8:1::fe"), 64)?;
            for v6 in [false, true] {
                let p = if v6 { 128 } else { 32 };
                r.add_addr("eth0", listed(v6), p)?;
                r.add_addr("eth0", stranger(v6), p)?;
            }
            Ok(())
        })??;
        lab.lan.run(|| -> Result<(), SimError> {
            let mut r = Rtnl::open(lab.lan.label())?;
            for l in ["lo", "eth0"] {
                r.set_up(l)?;
            }
            r.add_addr("eth0", lan_client(false), 24)?;
            r.add_addr("eth0", lan_client(true), 64)?;
            r.add_route(ip("0.0.0.0"), 0, host_lan(false))?;
            r.add_route(ip("::"), 0, host_lan(true))?;
            Ok(())
        })??;
        Ok(lab)
    }

    /// The host namespace's name.
    pub fn name(&self) -> &str {
        self.host.name().unwrap_or_default()
    }
}
