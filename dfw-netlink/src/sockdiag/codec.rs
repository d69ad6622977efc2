//! `SOCK_DIAG_BY_FAMILY` requests and `inet_diag_msg` replies (pure).
//!
//! Layouts (`linux/inet_diag.h`): the request body is `struct inet_diag_req_v2` (56 bytes:
//! family, protocol, extensions, pad, the states bitmask as a host-order u32, then a zeroed
//! `inet_diag_sockid`: no socket filter); each reply is `struct inet_diag_msg` (72 bytes:
//! family, state, timer, retransmits, the `inet_diag_sockid` with ports and addresses in
//! network order, expires, queues, uid, inode) followed by attributes, of which only
//! `INET_DIAG_SKV6ONLY` is read. Contract: [`parse_sockets`] never panics; a truncated or
//! malformed message is a [`WireError`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use dfw_core::model::Family;

use crate::wire::{split_messages, AttrIter, NlMsgHeader, WireError, NLMSG_HDRLEN};

/// `SOCK_DIAG_BY_FAMILY`, the request (and reply) message type.
pub const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const REQ_LEN: usize = 56;
const MSG_LEN: usize = 72;
const INET_DIAG_SKV6ONLY: u16 = 11;

/// TCP or UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SockProto {
    /// `IPPROTO_TCP`.
    Tcp,
    /// `IPPROTO_UDP`.
    Udp,
}

impl SockProto {
    fn number(self) -> u8 {
        match self {
            SockProto::Tcp => 6,
            SockProto::Udp => 17,
        }
    }
}

impl std::fmt::Display for SockProto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SockProto::Tcp => "tcp",
            SockProto::Udp => "udp",
        })
    }
}

/// A socket state (the kernel's `TCP_*` numbering, which UDP shares: a bound, unconnected
/// UDP socket is [`SockState::CLOSE`], a connected one [`SockState::ESTABLISHED`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SockState(pub u8);

impl SockState {
    /// `TCP_ESTABLISHED`.
    pub const ESTABLISHED: SockState = SockState(1);
    /// `TCP_CLOSE` (an unconnected UDP socket).
    pub const CLOSE: SockState = SockState(7);
    /// `TCP_LISTEN`.
    pub const LISTEN: SockState = SockState(10);
}

/// A set of socket states (the request's `idiag_states` bitmask).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct States(pub u32);

impl States {
    /// Established sessions.
    pub const ESTABLISHED: States = States(1 << 1);
    /// Unconnected (bound) UDP sockets.
    pub const UNCONNECTED: States = States(1 << 7);
    /// Listening TCP sockets.
    pub const LISTEN: States = States(1 << 10);
    /// Every state.
    pub const ALL: States = States(u32::MAX);

    /// Both sets.
    pub fn with(self, other: States) -> States {
        States(self.0 | other.0)
    }
}

/// One socket of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Socket {
    /// Its state.
    pub state: SockState,
    /// The local address (`0.0.0.0` or `::` when bound to every address).
    pub local: IpAddr,
    /// The local port.
    pub local_port: u16,
    /// The peer address (unspecified when unconnected).
    pub peer: IpAddr,
    /// The peer port (0 when unconnected).
    pub peer_port: u16,
    /// The interface it is bound to (0: any).
    pub iface: u32,
    /// The owner's uid.
    pub uid: u32,
    /// The socket's inode.
    pub inode: u32,
    /// For an IPv6 socket: `IPV6_V6ONLY` (false: bound to `::` it also serves IPv4).
    pub v6only: bool,
}

/// The dump request for the sockets of `family` and `proto` in `states` (sequence 0; the
/// transport numbers it).
pub fn request(family: Family, proto: SockProto, states: States) -> Vec<u8> {
    let mut buf = vec![0u8; NLMSG_HDRLEN + REQ_LEN];
    NlMsgHeader {
        len: buf.len() as u32,
        kind: SOCK_DIAG_BY_FAMILY,
        flags: NLM_F_REQUEST | NLM_F_DUMP,
        seq: 0,
        pid: 0,
    }
    .emit(&mut buf);
    let body = &mut buf[NLMSG_HDRLEN..];
    body[0] = af(family);
    body[1] = proto.number();
    body[4..8].copy_from_slice(&states.0.to_ne_bytes());
    buf
}

fn af(family: Family) -> u8 {
    match family {
        Family::Ipv4 => libc::AF_INET as u8,
        Family::Ipv6 => libc::AF_INET6 as u8,
    }
}

fn addr(family: u8, words: &[u8]) -> Result<IpAddr, WireError> {
    match family {
        f if f == libc::AF_INET as u8 => {
            let b: [u8; 4] = words[..4].try_into().unwrap_or([0; 4]);
            Ok(IpAddr::V4(Ipv4Addr::from(b)))
        }
        f if f == libc::AF_INET6 as u8 => {
            let b: [u8; 16] = words[..16].try_into().unwrap_or([0; 16]);
            Ok(IpAddr::V6(Ipv6Addr::from(b)))
        }
        other => Err(WireError::BadAttr {
            attr: 0,
            context: "inet_diag_msg",
            reason: format!("unknown family {other}"),
        }),
    }
}

fn u32_ne(b: &[u8]) -> u32 {
    u32::from_ne_bytes(b[..4].try_into().unwrap_or([0; 4]))
}

/// Parses one `inet_diag_msg` body (after the netlink header).
fn parse_one(body: &[u8]) -> Result<Socket, WireError> {
    if body.len() < MSG_LEN {
        return Err(WireError::Truncated {
            what: "inet_diag_msg",
            need: MSG_LEN,
            have: body.len(),
        });
    }
    let family = body[0];
    let id = &body[4..52];
    let mut s = Socket {
        state: SockState(body[1]),
        local_port: u16::from_be_bytes([id[0], id[1]]),
        peer_port: u16::from_be_bytes([id[2], id[3]]),
        local: addr(family, &id[4..20])?,
        peer: addr(family, &id[20..36])?,
        iface: u32_ne(&id[36..40]),
        uid: u32_ne(&body[64..68]),
        inode: u32_ne(&body[68..72]),
        v6only: false,
    };
    for a in AttrIter::new(&body[MSG_LEN..]) {
        let a = a?;
        if a.kind == INET_DIAG_SKV6ONLY {
            s.v6only = a.payload.first().is_some_and(|b| *b != 0);
        }
    }
    Ok(s)
}

/// Every socket in the datagrams of a dump reply.
///
/// # Errors
/// [`WireError`] for a truncated or malformed message.
pub fn parse_sockets(datagrams: &[Vec<u8>]) -> Result<Vec<Socket>, WireError> {
    let mut out = Vec::new();
    for d in datagrams {
        for m in split_messages(d) {
            let (h, body) = m?;
            match h.kind {
                SOCK_DIAG_BY_FAMILY => out.push(parse_one(body)?),
                NLMSG_DONE | NLMSG_ERROR => {}
                _ => {}
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
