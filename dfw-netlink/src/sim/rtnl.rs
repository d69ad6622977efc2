//! Pure rtnetlink request building for the simulation: veth pairs (the peer directly in
//! another namespace), bridges, link master and up, addresses and routes, and a link look-up.
//!
//! Contract: no I/O; each function returns exactly one complete netlink message with seq 0
//! (the transport sets its own) and the flags `ip` uses (`NLM_F_CREATE | NLM_F_EXCL` for new
//! objects; the transport adds `NLM_F_ACK`). As in iproute2, `IFLA_INFO_KIND` carries no NUL
//! and nested attributes are written without `NLA_F_NESTED`. Layouts: `struct ifinfomsg` (16 bytes),
//! `struct ifaddrmsg` (8), `struct rtmsg` (12), from `linux/rtnetlink.h` and `if_addr.h`.

use std::net::IpAddr;

use crate::wire::consts::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};
use crate::wire::{AttrWriter, NlMsgHeader, NLMSG_HDRLEN};

/// `RTM_NEWLINK`.
pub const RTM_NEWLINK: u16 = 16;
/// `RTM_GETLINK`.
pub const RTM_GETLINK: u16 = 18;
/// `RTM_NEWADDR`.
pub const RTM_NEWADDR: u16 = 20;
/// `RTM_NEWROUTE`.
pub const RTM_NEWROUTE: u16 = 24;
/// `RTM_GETROUTE`.
pub const RTM_GETROUTE: u16 = 26;
/// Size of `struct ifinfomsg`.
pub const IFINFOMSG_LEN: usize = 16;
/// Size of `struct ifaddrmsg`.
pub const IFADDRMSG_LEN: usize = 8;
/// Size of `struct rtmsg`.
pub const RTMSG_LEN: usize = 12;
/// `IFLA_IFNAME`.
pub const IFLA_IFNAME: u16 = 3;
/// `IFLA_MASTER`.
pub const IFLA_MASTER: u16 = 10;
/// `IFLA_LINKINFO`.
pub const IFLA_LINKINFO: u16 = 18;
/// `IFLA_NET_NS_FD`.
pub const IFLA_NET_NS_FD: u16 = 28;
/// `IFLA_INFO_KIND`.
pub const IFLA_INFO_KIND: u16 = 1;
/// `IFLA_INFO_DATA`.
pub const IFLA_INFO_DATA: u16 = 2;
/// `VETH_INFO_PEER`: an `ifinfomsg` followed by the peer's attributes.
pub const VETH_INFO_PEER: u16 = 1;
/// `IFLA_OPERSTATE`: the RFC 2863 operational state, one byte.
pub const IFLA_OPERSTATE: u16 = 16;
/// `IF_OPER_UP`: the link can pass packets.
pub const IF_OPER_UP: u8 = 6;
/// `IFA_ADDRESS`.
pub const IFA_ADDRESS: u16 = 1;
/// `IFA_LOCAL`.
pub const IFA_LOCAL: u16 = 2;
/// `IFA_F_NODAD`: no duplicate address detection (the address is usable at once).
pub const IFA_F_NODAD: u32 = 0x02;
/// `RTA_DST`.
pub const RTA_DST: u16 = 1;
/// `RTA_GATEWAY`.
pub const RTA_GATEWAY: u16 = 5;
/// `RT_TABLE_MAIN`.
pub const RT_TABLE_MAIN: u8 = 254;
/// `RTPROT_BOOT`: the protocol `ip route add` gives a route by default.
pub const RTPROT_BOOT: u8 = 3;
/// `RT_SCOPE_UNIVERSE`.
pub const RT_SCOPE_UNIVERSE: u8 = 0;
/// `RTN_UNICAST`.
pub const RTN_UNICAST: u8 = 1;
/// `RTN_LOCAL`: a route to an address of this host.
pub const RTN_LOCAL: u8 = 2;
/// `IFF_UP`.
pub const IFF_UP: u32 = 1;

const NEW: u16 = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;

/// Starts a message: header placeholder and the fixed part.
fn start(fixed: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; NLMSG_HDRLEN];
    buf.extend_from_slice(fixed);
    buf
}

/// Writes the header now that the length is known.
fn finish(mut buf: Vec<u8>, kind: u16, flags: u16) -> Vec<u8> {
    let hdr = NlMsgHeader {
        len: buf.len() as u32,
        kind,
        flags,
        seq: 0,
        pid: 0,
    };
    hdr.emit(&mut buf);
    buf
}

/// Appends a nested attribute without `NLA_F_NESTED` (as iproute2 does).
fn nest(buf: &mut Vec<u8>, kind: u16, f: impl FnOnce(&mut Vec<u8>)) {
    let at = buf.len();
    buf.extend_from_slice(&0u16.to_ne_bytes());
    buf.extend_from_slice(&kind.to_ne_bytes());
    f(buf);
    let len = (buf.len() - at) as u16;
    buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
}

/// `struct ifinfomsg` with family `AF_UNSPEC`.
fn ifinfomsg(index: i32, flags: u32, change: u32) -> [u8; IFINFOMSG_LEN] {
    let mut m = [0u8; IFINFOMSG_LEN];
    m[4..8].copy_from_slice(&index.to_ne_bytes());
    m[8..12].copy_from_slice(&flags.to_ne_bytes());
    m[12..16].copy_from_slice(&change.to_ne_bytes());
    m
}

fn family(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => libc::AF_INET as u8,
        IpAddr::V6(_) => libc::AF_INET6 as u8,
    }
}

fn octets(addr: IpAddr) -> Vec<u8> {
    match addr {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// `ip link add NAME type veth peer name PEER netns PEER_NS_FD`: the peer is created directly
/// in the namespace of the fd `peer_ns_fd` (which must stay open until the kernel answers).
pub fn new_veth(name: &str, peer: &str, peer_ns_fd: i32) -> Vec<u8> {
    let mut buf = start(&ifinfomsg(0, 0, 0));
    AttrWriter::new(&mut buf).string(IFLA_IFNAME, name);
    nest(&mut buf, IFLA_LINKINFO, |b| {
        AttrWriter::new(b).bytes(IFLA_INFO_KIND, b"veth");
        nest(b, IFLA_INFO_DATA, |b| {
            nest(b, VETH_INFO_PEER, |b| {
                b.extend_from_slice(&ifinfomsg(0, 0, 0));
                AttrWriter::new(b)
                    .string(IFLA_IFNAME, peer)
                    .bytes(IFLA_NET_NS_FD, &(peer_ns_fd as u32).to_ne_bytes());
            });
        });
    });
    finish(buf, RTM_NEWLINK, NEW)
}

/// `ip link add NAME type bridge` (defaults: STP off, so ports forward at once).
pub fn new_bridge(name: &str) -> Vec<u8> {
    let mut buf = start(&ifinfomsg(0, 0, 0));
    AttrWriter::new(&mut buf).string(IFLA_IFNAME, name);
    nest(&mut buf, IFLA_LINKINFO, |b| {
        AttrWriter::new(b).bytes(IFLA_INFO_KIND, b"bridge");
    });
    finish(buf, RTM_NEWLINK, NEW)
}

/// `ip link set NAME master MASTER_INDEX` (the link is found by name).
pub fn set_master(name: &str, master_index: i32) -> Vec<u8> {
    let mut buf = start(&ifinfomsg(0, 0, 0));
    AttrWriter::new(&mut buf)
        .string(IFLA_IFNAME, name)
        .bytes(IFLA_MASTER, &(master_index as u32).to_ne_bytes());
    finish(buf, RTM_NEWLINK, NLM_F_REQUEST)
}

/// `RTM_SETLINK`.
pub const RTM_SETLINK: u16 = 19;
/// `IFLA_PROTINFO`: a bridge port's settings (nested, in an `AF_BRIDGE` message).
pub const IFLA_PROTINFO: u16 = 12;
/// `IFLA_BRPORT_MODE`: the port's hairpin mode (u8).
pub const IFLA_BRPORT_MODE: u16 = 4;
/// `NLA_F_NESTED`: the kernel reads `IFLA_PROTINFO` as nested only with this flag.
pub const NLA_F_NESTED: u16 = 0x8000;

/// `bridge link set dev INDEX hairpin on`: the bridge sends a frame back out of the port it
/// came in on (Docker sets it on its bridge ports when the userland proxy is off, so a
/// container reaches its own published port through the host's DNAT).
pub fn set_hairpin(index: i32) -> Vec<u8> {
    let mut head = ifinfomsg(index, 0, 0);
    head[0] = libc::AF_BRIDGE as u8;
    let mut buf = start(&head);
    nest(&mut buf, IFLA_PROTINFO | NLA_F_NESTED, |b| {
        AttrWriter::new(b).u8(IFLA_BRPORT_MODE, 1);
    });
    finish(buf, RTM_SETLINK, NLM_F_REQUEST)
}

/// `ip link set NAME up` (the link is found by name).
pub fn set_up(name: &str) -> Vec<u8> {
    let mut buf = start(&ifinfomsg(0, IFF_UP, IFF_UP));
    AttrWriter::new(&mut buf).string(IFLA_IFNAME, name);
    finish(buf, RTM_NEWLINK, NLM_F_REQUEST)
}

/// `ip link show NAME`: a single `RTM_GETLINK` by name; the reply is one `RTM_NEWLINK`.
pub fn get_link(name: &str) -> Vec<u8> {
    let mut buf = start(&ifinfomsg(0, 0, 0));
    AttrWriter::new(&mut buf).string(IFLA_IFNAME, name);
    finish(buf, RTM_GETLINK, NLM_F_REQUEST)
}

/// The operational state (`IFLA_OPERSTATE`) of the link `name` in the reply to
/// [`get_link`], or `None` when the reply does not describe that link or has no state.
pub fn parse_operstate(replies: &[Vec<u8>], name: &str) -> Option<u8> {
    for m in replies {
        for part in crate::wire::split_messages(m) {
            let Ok((h, body)) = part else { return None };
            if h.kind != RTM_NEWLINK || body.len() < IFINFOMSG_LEN {
                continue;
            }
            let (mut this, mut state) = (false, None);
            for attr in crate::wire::AttrIter::new(&body[IFINFOMSG_LEN..]) {
                let Ok(attr) = attr else { return None };
                match attr.kind {
                    IFLA_IFNAME => this = attr.string("ifinfomsg").ok() == Some(name),
                    IFLA_OPERSTATE => state = attr.payload.first().copied(),
                    _ => {}
                }
            }
            if this {
                return state;
            }
        }
    }
    None
}

/// `ip addr add ADDR/PREFIX dev INDEX`, with `nodad` for IPv6 (the address is usable at once;
/// `IFA_F_NODAD` fits the `ifa_flags` byte, so no `IFA_FLAGS` attribute is needed).
pub fn new_addr(index: i32, addr: IpAddr, prefix: u8) -> Vec<u8> {
    let v6 = addr.is_ipv6();
    let flags = if v6 { IFA_F_NODAD } else { 0 };
    let mut fixed = [0u8; IFADDRMSG_LEN];
    fixed[0] = family(addr);
    fixed[1] = prefix;
    fixed[2] = flags as u8;
    fixed[3] = RT_SCOPE_UNIVERSE;
    fixed[4..8].copy_from_slice(&(index as u32).to_ne_bytes());
    let mut buf = start(&fixed);
    let bytes = octets(addr);
    AttrWriter::new(&mut buf)
        .bytes(IFA_LOCAL, &bytes)
        .bytes(IFA_ADDRESS, &bytes);
    finish(buf, RTM_NEWADDR, NEW)
}

/// `ip route add DST/PREFIX via GATEWAY` in the main table; `prefix` 0 is the default route
/// (then `dst` only gives the family). `dst` and `gateway` must be of one family.
pub fn new_route(dst: IpAddr, prefix: u8, gateway: IpAddr) -> Vec<u8> {
    let mut fixed = [0u8; RTMSG_LEN];
    fixed[0] = family(dst);
    fixed[1] = prefix;
    fixed[4] = RT_TABLE_MAIN;
    fixed[5] = RTPROT_BOOT;
    fixed[6] = RT_SCOPE_UNIVERSE;
    fixed[7] = RTN_UNICAST;
    let mut buf = start(&fixed);
    let mut w = AttrWriter::new(&mut buf);
    if prefix > 0 {
        w.bytes(RTA_DST, &octets(dst));
    }
    w.bytes(RTA_GATEWAY, &octets(gateway));
    finish(buf, RTM_NEWROUTE, NEW)
}

/// `ip route get ADDR`: the route the kernel would use to reach `addr` (one `RTM_NEWROUTE`).
pub fn get_route(addr: IpAddr) -> Vec<u8> {
    let mut fixed = [0u8; RTMSG_LEN];
    fixed[0] = family(addr);
    fixed[1] = if addr.is_ipv4() { 32 } else { 128 };
    let mut buf = start(&fixed);
    AttrWriter::new(&mut buf).bytes(RTA_DST, &octets(addr));
    finish(buf, RTM_GETROUTE, NLM_F_REQUEST)
}

/// The route type (`rtm_type`: [`RTN_LOCAL`], [`RTN_UNICAST`], ...) of the reply to
/// [`get_route`], or `None` when there is no route in it.
pub fn parse_route_type(replies: &[Vec<u8>]) -> Option<u8> {
    replies
        .iter()
        .flat_map(|m| crate::wire::split_messages(m))
        .filter_map(Result::ok)
        .find(|(h, body)| h.kind == RTM_NEWROUTE && body.len() >= RTMSG_LEN)
        .map(|(_, body)| body[7])
}

#[cfg(test)]
#[path = "rtnl_tests.rs"]
mod tests;
