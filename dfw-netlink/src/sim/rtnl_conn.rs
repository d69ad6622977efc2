//! [`Rtnl`]: a `NETLINK_ROUTE` connection in the calling thread's namespace that sends the
//! requests of [`super::rtnl`] one at a time, each with `NLM_F_ACK`, and waits for the ACK
//! ([`Transport::dump`] does exactly that for a non-dump request).
//!
//! Contract: one request, one answer; a refusal becomes [`SimError::Rtnl`] naming the
//! namespace and the object (`create veth eth0 <-> eth0@internet`, `add 172.17.0.1/16 to
//! docker0`). No read waits longer than [`Rtnl::TIMEOUT`].

use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::time::Duration;

use super::error::SimError;
use super::netns::NetNs;
use super::rtnl;
use crate::route::parse_links;
use crate::transport::{Conn, NetlinkSocket, Transport};

/// An rtnetlink connection bound to one namespace.
#[derive(Debug)]
pub struct Rtnl {
    conn: Conn<NetlinkSocket>,
    ns: String,
}

impl Rtnl {
    /// How long one request may wait for its answer.
    pub const TIMEOUT: Duration = Duration::from_secs(5);

    /// Opens a connection in the calling thread's namespace; `ns` labels it in errors.
    ///
    /// # Errors
    /// [`SimError::Rtnl`] when the socket cannot be opened.
    pub fn open(ns: &str) -> Result<Self, SimError> {
        let mut sock = NetlinkSocket::open_route().map_err(|source| SimError::Rtnl {
            ns: ns.into(),
            what: "open NETLINK_ROUTE socket".into(),
            source,
        })?;
        sock.set_timeout(Self::TIMEOUT);
        Ok(Rtnl {
            conn: Conn::new(sock),
            ns: ns.into(),
        })
    }

    /// Sends one request and waits for its ACK (or its reply, for a get).
    ///
    /// # Errors
    /// [`SimError::Rtnl`] with `what` when the kernel refuses or does not answer.
    pub fn request(&mut self, what: &str, msg: &[u8]) -> Result<Vec<Vec<u8>>, SimError> {
        self.conn.dump(msg).map_err(|source| SimError::Rtnl {
            ns: self.ns.clone(),
            what: what.into(),
            source,
        })
    }

    /// The index of the link `name`.
    ///
    /// # Errors
    /// [`SimError::NoSuchLink`] when there is none; [`SimError::RtnlReply`] for a bad reply.
    pub fn link_index(&mut self, name: &str) -> Result<i32, SimError> {
        let replies = match self.request(&format!("look up link {name}"), &rtnl::get_link(name)) {
            Err(SimError::Rtnl { source, .. }) if kernel_errno(&source) == Some(libc::ENODEV) => {
                return Err(self.no_link(name))
            }
            r => r?,
        };
        let links = parse_links(&replies).map_err(|source| SimError::RtnlReply {
            ns: self.ns.clone(),
            what: format!("look up link {name}"),
            source,
        })?;
        links
            .into_iter()
            .find(|(_, n)| n == name)
            .map(|(i, _)| i)
            .ok_or_else(|| self.no_link(name))
    }

    fn no_link(&self, name: &str) -> SimError {
        SimError::NoSuchLink {
            ns: self.ns.clone(),
            name: name.into(),
        }
    }

    /// Creates the veth pair `name` (here) and `peer` (inside `peer_ns`).
    ///
    /// # Errors
    /// [`SimError::Rtnl`] when the kernel refuses (`EEXIST`: a name is taken).
    pub fn add_veth(&mut self, name: &str, peer: &str, peer_ns: &NetNs) -> Result<(), SimError> {
        let what = format!("create veth {name} <-> {peer}@{}", peer_ns.label());
        let msg = rtnl::new_veth(name, peer, peer_ns.fd().as_raw_fd());
        self.request(&what, &msg).map(drop)
    }

    /// Creates the bridge `name`.
    ///
    /// # Errors
    /// [`SimError::Rtnl`] when the kernel refuses (`EOPNOTSUPP`: no bridge module).
    pub fn add_bridge(&mut self, name: &str) -> Result<(), SimError> {
        self.request(&format!("create bridge {name}"), &rtnl::new_bridge(name))
            .map(drop)
    }

    /// Turns hairpin mode on for the bridge port `name` (see [`rtnl::set_hairpin`]).
    ///
    /// # Errors
    /// [`SimError::NoSuchLink`] when it does not exist; [`SimError::Rtnl`] when the kernel refuses.
    pub fn set_hairpin(&mut self, name: &str) -> Result<(), SimError> {
        let index = self.link_index(name)?;
        let what = format!("set hairpin on for bridge port {name}");
        self.request(&what, &rtnl::set_hairpin(index)).map(drop)
    }

    /// Makes the link `name` a port of `master`.
    ///
    /// # Errors
    /// [`SimError::NoSuchLink`] or [`SimError::Rtnl`].
    pub fn set_master(&mut self, name: &str, master: &str) -> Result<(), SimError> {
        let index = self.link_index(master)?;
        let what = format!("set master of {name} to {master}");
        self.request(&what, &rtnl::set_master(name, index))
            .map(drop)
    }

    /// Sets the link `name` up.
    ///
    /// # Errors
    /// [`SimError::Rtnl`] (`ENODEV`: no such link).
    pub fn set_up(&mut self, name: &str) -> Result<(), SimError> {
        self.request(&format!("set {name} up"), &rtnl::set_up(name))
            .map(drop)
    }

    /// Returns once the link `name` is operationally up (`IF_OPER_UP`): it passes packets in
    /// both directions.
    ///
    /// Setting a link up is not enough: a veth end set up before its peer gets its carrier
    /// later, and until the kernel's link-watch work has handled that carrier change its
    /// transmit queue still drops every packet, and a bridge port stays disabled. That work
    /// runs asynchronously and needs the RTNL lock, which namespace teardown holds for long
    /// stretches, so on a busy machine it can lag by seconds. A single `RTM_GETLINK`
    /// ([`super::rtnl::get_link`]) makes recent kernels (6.18 here) finish that work for the
    /// link first (`linkwatch_sync_dev` in `rtnl_getlink`), so the first answer is final; on
    /// kernels without that, the state is read again every millisecond until it is up or
    /// `limit` has passed.
    ///
    /// # Errors
    /// [`SimError::LinkNotUp`] when the link is not up within `limit`; [`SimError::Rtnl`].
    pub fn await_up(&mut self, name: &str, limit: Duration) -> Result<(), SimError> {
        let start = std::time::Instant::now();
        loop {
            let replies = self.request(&format!("read state of {name}"), &rtnl::get_link(name))?;
            let state = rtnl::parse_operstate(&replies, name);
            if state == Some(rtnl::IF_OPER_UP) {
                return Ok(());
            }
            if start.elapsed() >= limit {
                return Err(SimError::LinkNotUp {
                    ns: self.ns.clone(),
                    name: name.into(),
                    operstate: state,
                    waited: limit,
                });
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Adds `addr/prefix` to the link `name` (IPv6 without duplicate address detection) and
    /// returns once the address is usable.
    ///
    /// The kernel acknowledges an IPv6 address before it has finished adding it: even without
    /// DAD, joining its solicited-node group and inserting its local route (without which
    /// packets to it are not delivered) happen later, in the address-configuration work,
    /// which needs the RTNL lock. Measured with other namespaces being torn down meanwhile:
    /// 87 to 98 of 300 addresses had no local route yet when the ACK came, and a reply to
    /// such a source was lost (TCP retried after 1 s; a UDP probe timed out). So for IPv6
    /// this waits until `ip route get ADDR` is a local route ([`Rtnl::await_local`]).
    ///
    /// # Errors
    /// [`SimError::NoSuchLink`], [`SimError::Rtnl`], or [`SimError::AddrNotReady`].
    pub fn add_addr(&mut self, name: &str, addr: IpAddr, prefix: u8) -> Result<(), SimError> {
        let index = self.link_index(name)?;
        let what = format!("add {addr}/{prefix} to {name}");
        self.request(&what, &rtnl::new_addr(index, addr, prefix))?;
        if addr.is_ipv6() {
            self.await_local(addr, Self::READY_LIMIT)?;
        }
        Ok(())
    }

    /// How long [`Rtnl::add_addr`] waits for an address to become usable.
    pub const READY_LIMIT: Duration = Duration::from_secs(30);

    /// Returns once `addr` is an address of this namespace that packets are delivered to:
    /// the kernel's route to it is local. Reads the route every millisecond, for at most
    /// `limit`.
    ///
    /// # Errors
    /// [`SimError::AddrNotReady`] after `limit`; [`SimError::Rtnl`].
    pub fn await_local(&mut self, addr: IpAddr, limit: Duration) -> Result<(), SimError> {
        let start = std::time::Instant::now();
        loop {
            let replies = self.request(&format!("route get {addr}"), &rtnl::get_route(addr))?;
            if rtnl::parse_route_type(&replies) == Some(rtnl::RTN_LOCAL) {
                return Ok(());
            }
            if start.elapsed() >= limit {
                return Err(SimError::AddrNotReady {
                    ns: self.ns.clone(),
                    addr,
                    waited: limit,
                });
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Adds a route to `dst/prefix` via `gateway` (`prefix` 0: the default route).
    ///
    /// # Errors
    /// [`SimError::Rtnl`] (`ENETUNREACH`: the gateway is not on a connected network).
    pub fn add_route(&mut self, dst: IpAddr, prefix: u8, gateway: IpAddr) -> Result<(), SimError> {
        let what = if prefix == 0 {
            format!("add default route via {gateway}")
        } else {
            format!("add route {dst}/{prefix} via {gateway}")
        };
        self.request(&what, &rtnl::new_route(dst, prefix, gateway))
            .map(drop)
    }
}

fn kernel_errno(e: &crate::transport::TransportError) -> Option<i32> {
    match e {
        crate::transport::TransportError::Kernel(k) => Some(k.errno),
        _ => None,
    }
}
