//! The packet being explained: the first packet of a NEW connection arriving on an interface.
//!
//! Contract: a [`Packet`] only describes what the caller knows. Anything left out (source port,
//! mark, TTL, length, source MAC) stays unknown, and every match that needs it evaluates to
//! "unknown", never to a guess. A packet carries no IPv6 extension headers. Its link-layer
//! type (`-m pkttype`) follows from its destination address unless [`Details::pkttype`] says
//! otherwise.

use std::net::IpAddr;

use crate::model::matches::{MacAddr, PktType, TcpFlag};
use crate::model::{Family, Protocol};

use super::EvalError;

/// The layer-4 part of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum L4 {
    /// TCP with its ports and header flags.
    Tcp {
        /// Source port, when known.
        sport: Option<u16>,
        /// Destination port.
        dport: u16,
        /// Header flags; a new connection starts with [`TcpFlag::SYN`].
        flags: TcpFlag,
    },
    /// UDP with its ports.
    Udp {
        /// Source port, when known.
        sport: Option<u16>,
        /// Destination port.
        dport: u16,
    },
    /// SCTP: an INIT chunk (the start of an association) with its ports.
    Sctp {
        /// Source port, when known.
        sport: Option<u16>,
        /// Destination port.
        dport: u16,
    },
    /// ICMP (IPv4) or ICMPv6 (IPv6), depending on the packet's family.
    Icmp {
        /// Type.
        typ: u8,
        /// Code.
        code: u8,
    },
    /// Any other protocol, without a modelled header.
    Other(Protocol),
}

/// One packet arriving on `in_iface`: the first packet of a new connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Packet {
    /// The interface it arrives on.
    pub in_iface: String,
    /// Source address.
    pub src: IpAddr,
    /// Destination address (before any DNAT).
    pub dst: IpAddr,
    /// Protocol and its header fields.
    pub l4: L4,
    /// The packet mark (`skb->mark`), when known.
    pub mark: Option<u32>,
    /// What else the caller knows of the packet.
    pub details: Details,
}

/// Header and link-layer facts of a packet, each unknown unless given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Details {
    /// TTL (IPv4) or hop limit (IPv6) on arrival.
    pub ttl: Option<u8>,
    /// Length of the IP packet (header included), as `-m length` sees it.
    pub len: Option<u16>,
    /// Source MAC address.
    pub src_mac: Option<MacAddr>,
    /// Link-layer type; `None`: as the destination address implies (multicast for a
    /// multicast address, broadcast for a broadcast address, else unicast to this host).
    pub pkttype: Option<PktType>,
}

impl Packet {
    /// A TCP SYN to `dst:dport` from `src` (source port unknown, mark unknown).
    pub fn tcp_syn(in_iface: &str, src: IpAddr, dst: IpAddr, dport: u16) -> Self {
        Packet {
            in_iface: in_iface.to_string(),
            src,
            dst,
            l4: L4::Tcp {
                sport: None,
                dport,
                flags: TcpFlag::SYN,
            },
            mark: None,
            details: Details::default(),
        }
    }

    /// An SCTP INIT to `dst:dport` from `src` (source port unknown, mark unknown).
    pub fn sctp_init(in_iface: &str, src: IpAddr, dst: IpAddr, dport: u16) -> Self {
        Packet {
            l4: L4::Sctp { sport: None, dport },
            ..Packet::udp(in_iface, src, dst, dport)
        }
    }

    /// A UDP datagram to `dst:dport` from `src` (source port unknown, mark unknown).
    pub fn udp(in_iface: &str, src: IpAddr, dst: IpAddr, dport: u16) -> Self {
        Packet {
            in_iface: in_iface.to_string(),
            src,
            dst,
            l4: L4::Udp { sport: None, dport },
            mark: None,
            details: Details::default(),
        }
    }

    /// The same packet with a known source port (ignored for non-TCP/UDP packets).
    pub fn with_sport(mut self, port: u16) -> Self {
        match &mut self.l4 {
            L4::Tcp { sport, .. } | L4::Udp { sport, .. } | L4::Sctp { sport, .. } => {
                *sport = Some(port)
            }
            _ => {}
        }
        self
    }

    /// The same packet with a known mark.
    pub fn with_mark(mut self, mark: u32) -> Self {
        self.mark = Some(mark);
        self
    }

    /// The packet's family, checked: both addresses must share it.
    ///
    /// # Errors
    /// [`EvalError::MixedFamilies`] when source and destination differ in family.
    pub fn family(&self) -> Result<Family, EvalError> {
        let family = Family::of(&self.src);
        if Family::of(&self.dst) != family {
            return Err(EvalError::MixedFamilies {
                src: self.src,
                dst: self.dst,
            });
        }
        Ok(family)
    }

    /// The layer-4 protocol number for a family (ICMP is 1 for IPv4, 58 for IPv6).
    pub fn protocol(&self, family: Family) -> Protocol {
        match self.l4 {
            L4::Tcp { .. } => Protocol::TCP,
            L4::Udp { .. } => Protocol::UDP,
            L4::Sctp { .. } => Protocol::SCTP,
            L4::Icmp { .. } => match family {
                Family::Ipv4 => Protocol::ICMP,
                Family::Ipv6 => Protocol::ICMPV6,
            },
            L4::Other(p) => p,
        }
    }

    /// Source and destination port for TCP, UDP and SCTP; `None` for other protocols.
    pub fn ports(&self) -> Option<(Option<u16>, u16)> {
        match self.l4 {
            L4::Tcp { sport, dport, .. } | L4::Udp { sport, dport } | L4::Sctp { sport, dport } => {
                Some((sport, dport))
            }
            _ => None,
        }
    }
}
