//! [`UserNets`]: user-defined Docker networks added to a running [`DockerHost`]: more bridges
//! in the host namespace, each with IPv4 container namespaces and their TCP servers, as Docker
//! creates them for `docker network create` (moby's `usernet-*` nftables rulesets name such
//! bridges: `bridge1`, `bridgeICC`, `bridgeNoICC`).
//!
//! Contract: [`DockerHost::add_user_nets`] returns only when every new link passes packets and
//! every server listens. Each bridge gets its gateway address; each container a veth
//! (`v<container>` on the host side, `eth0` inside) with its address and a default route via
//! the gateway; its bridge port is in hairpin mode, as Docker sets it when the userland proxy
//! is off (a container reaching its own published port through the host's DNAT gets its
//! packets back out of the port they came in on). The internet namespace routes every new subnet via the host (as it does the
//! default bridge's, so routed-mode networks are reachable from outside), and the host keeps
//! reaching every internet-side source inside a new subnet (`192.0.2.50` in `192.0.2.0/24`)
//! through a /32 route via the internet side. Dropping [`UserNets`] stops and joins its server
//! threads, then closes the container namespaces (their veths go with them); the bridges stay
//! in the host namespace until the [`DockerHost`] goes. Loads no firewall rule.

use std::net::IpAddr;

use super::docker_host::{sysctls, DockerHost};
use super::error::SimError;
use super::netns::NetNs;
use super::probe::Proto;
use super::rtnl_conn::Rtnl;
use super::server::{Servers, Service};
use super::sysctl::write_sysctls;
use super::topology::{Side, HOST_V4, INET_GW_V4, INTERNET_SOURCES};

/// One container of a user network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserContainer {
    /// Its name: the namespace label, the greeting's service name and (as `v<name>`) its
    /// veth on the host; at most 14 bytes.
    pub name: &'static str,
    /// Its IPv4 address, inside the network's subnet.
    pub addr: IpAddr,
    /// The TCP ports it serves.
    pub tcp: &'static [u16],
}

/// One user network: a bridge with its gateway address and containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserNet {
    /// The bridge's name (as the ruleset names it).
    pub bridge: &'static str,
    /// The bridge's IPv4 address (the containers' gateway).
    pub gateway: IpAddr,
    /// The subnet's prefix length.
    pub prefix: u8,
    /// Its containers.
    pub containers: &'static [UserContainer],
}

impl UserNet {
    /// Whether `addr` is inside the network's subnet.
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.gateway, addr) {
            (IpAddr::V4(g), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(g) & mask == u32::from(a) & mask
            }
            _ => false,
        }
    }

    /// The subnet's network address.
    fn network(&self) -> IpAddr {
        match self.gateway {
            IpAddr::V4(g) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4((u32::from(g) & mask).into())
            }
            v6 => v6,
        }
    }
}

/// The running containers of [`DockerHost::add_user_nets`] (see the module contract).
#[derive(Debug)]
pub struct UserNets {
    // Declaration order is drop order: servers (and their sockets) before the namespaces.
    _servers: Servers,
    containers: Vec<(UserContainer, NetNs)>,
}

impl UserNets {
    /// The namespace of the container named `name`.
    pub fn ns(&self, name: &str) -> Option<&NetNs> {
        self.containers
            .iter()
            .find(|(c, _)| c.name == name)
            .map(|(_, ns)| ns)
    }

    /// The container owning `addr`.
    pub fn owner(&self, addr: IpAddr) -> Option<&UserContainer> {
        self.containers
            .iter()
            .map(|(c, _)| c)
            .find(|c| c.addr == addr)
    }
}

impl DockerHost {
    /// Adds the user networks `nets` to the host (see the module contract).
    ///
    /// # Errors
    /// Any [`SimError`] of building them; the container namespaces made so far are closed
    /// (bridges already made stay until the host goes).
    pub fn add_user_nets(&self, nets: &[UserNet]) -> Result<UserNets, SimError> {
        let mut containers = Vec::new();
        for net in nets {
            for c in net.containers {
                let ns = NetNs::new(c.name)?;
                write_sysctls(&ns, &sysctls("0"))?;
                containers.push((*c, ns));
            }
        }
        let host = self.host();
        host.run(|| -> Result<(), SimError> {
            let mut r = Rtnl::open(host.label())?;
            for net in nets {
                r.add_bridge(net.bridge)?;
                r.set_up(net.bridge)?;
                r.add_addr(net.bridge, net.gateway, net.prefix)?;
                for c in net.containers {
                    let ns = &containers
                        .iter()
                        .find(|(k, _)| k == c)
                        .expect("made above")
                        .1;
                    let veth = format!("v{}", c.name);
                    r.add_veth(&veth, "eth0", ns)?;
                    r.set_master(&veth, net.bridge)?;
                    r.set_hairpin(&veth)?;
                    r.set_up(&veth)?;
                }
                for src in INTERNET_SOURCES.iter().filter(|a| net.contains(**a)) {
                    r.add_route(*src, 32, INET_GW_V4)?;
                }
            }
            Ok(())
        })??;
        for net in nets {
            for c in net.containers {
                let ns = &containers
                    .iter()
                    .find(|(k, _)| k == c)
                    .expect("made above")
                    .1;
                ns.run(|| -> Result<(), SimError> {
                    let mut r = Rtnl::open(ns.label())?;
                    r.set_up("lo")?;
                    r.set_up("eth0")?;
                    r.add_addr("eth0", c.addr, net.prefix)?;
                    r.add_route(std::net::Ipv4Addr::UNSPECIFIED.into(), 0, net.gateway)?;
                    r.await_up("eth0", DockerHost::LINK_UP_LIMIT)
                })??;
            }
        }
        let internet = self.ns(Side::Internet);
        internet.run(|| -> Result<(), SimError> {
            let mut r = Rtnl::open(internet.label())?;
            for net in nets {
                r.add_route(net.network(), net.prefix, HOST_V4)?;
            }
            Ok(())
        })??;
        host.run(|| -> Result<(), SimError> {
            let mut r = Rtnl::open(host.label())?;
            for net in nets {
                for c in net.containers {
                    r.await_up(&format!("v{}", c.name), DockerHost::LINK_UP_LIMIT)?;
                }
                r.await_up(net.bridge, DockerHost::LINK_UP_LIMIT)?;
            }
            Ok(())
        })??;
        let mut servers = Servers::new();
        for (c, ns) in &containers {
            let services: Vec<Service> = c
                .tcp
                .iter()
                .map(|&port| Service {
                    name: c.name,
                    proto: Proto::Tcp,
                    port,
                    addr: None,
                })
                .collect();
            servers.start(ns, &services)?;
        }
        Ok(UserNets {
            _servers: servers,
            containers,
        })
    }
}
