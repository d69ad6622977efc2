//! The packet in flight: its current header fields, interfaces and conntrack view, as the
//! matches of one hook see them.
//!
//! Contract: [`Flow::new`] builds the state before any hook; [`Flow::track`] attaches the
//! conntrack entry a new connection gets (after raw PREROUTING); [`Flow::apply_dnat`] rewrites
//! the destination and updates the entry exactly as nf_nat does for a first packet.

use std::net::IpAddr;

use crate::model::matches::TcpFlag;
use crate::model::{Family, Hook, Protocol};

use super::host::Host;
use super::packet::{Details, Packet, L4};

/// One direction of a conntrack entry. Ports are `None` when unknown or not modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tuple {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
}

impl Tuple {
    fn inverse(&self) -> Tuple {
        Tuple {
            src: self.dst,
            dst: self.src,
            sport: self.dport,
            dport: self.sport,
        }
    }
}

/// The conntrack entry as the matches see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ct {
    /// Before the conntrack hook (raw PREROUTING): no entry, state INVALID.
    NotYet,
    /// `-j CT --notrack` in raw PREROUTING: no entry, state UNTRACKED, no NAT.
    Untracked,
    /// The unconfirmed entry of a new connection.
    New {
        proto: Protocol,
        orig: Tuple,
        reply: Tuple,
        /// TCP or UDP: tuple ports are the packet's ports.
        ports: bool,
        dnat: bool,
        snat: bool,
    },
    /// Whether and how the packet is tracked cannot be decided.
    Unknown(String),
}

/// The packet at one point of its path.
#[derive(Debug, Clone)]
pub(crate) struct Flow<'h> {
    pub family: Family,
    pub host: &'h Host,
    pub hook: Hook,
    pub in_iface: String,
    pub out_iface: Option<String>,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: Protocol,
    pub l4: L4,
    pub mark: Option<u32>,
    /// The connection mark (`ct->mark`): 0 for a new entry, `None` without an entry or when
    /// unknown.
    pub ctmark: Option<u32>,
    /// Set by `-j CT --notrack` before the conntrack hook.
    pub notrack: bool,
    pub details: Details,
    pub ct: Ct,
}

/// True when conntrack gives this first packet a NEW entry; `Err` when that cannot be decided.
fn starts_connection(family: Family, l4: &L4) -> Result<(), String> {
    match *l4 {
        L4::Tcp { flags, .. } => {
            let core = flags - TcpFlag::PSH;
            if core == TcpFlag::SYN || core == TcpFlag::SYN | TcpFlag::URG {
                Ok(())
            } else {
                Err(format!(
                    "a TCP packet with flags {flags:?} and no existing connection: its conntrack \
                     state depends on nf_conntrack_tcp_loose and validity checks; only a SYN \
                     starts a connection for certain"
                ))
            }
        }
        L4::Udp { .. } | L4::Sctp { .. } => Ok(()),
        L4::Icmp { typ, .. } => {
            let new = match family {
                Family::Ipv4 => matches!(typ, 8 | 13 | 15 | 17),
                Family::Ipv6 => matches!(typ, 128 | 139),
            };
            if new {
                Ok(())
            } else {
                Err(format!(
                    "ICMP type {typ} does not start a connection: its conntrack state (RELATED, \
                     INVALID or UNTRACKED) depends on existing connections"
                ))
            }
        }
        L4::Other(p) if matches!(p.number(), 33 | 132) => Err(format!(
            "protocol {p} has its own connection tracker; its first-packet state is not modelled"
        )),
        L4::Other(_) => Ok(()),
    }
}

impl<'h> Flow<'h> {
    /// The packet as it arrives, before raw PREROUTING.
    pub fn new(family: Family, packet: &Packet, host: &'h Host) -> Self {
        Flow {
            family,
            host,
            hook: Hook::Prerouting,
            in_iface: packet.in_iface.clone(),
            out_iface: None,
            src: packet.src,
            dst: packet.dst,
            proto: packet.protocol(family),
            l4: packet.l4,
            mark: packet.mark,
            ctmark: None,
            notrack: false,
            details: packet.details,
            ct: Ct::NotYet,
        }
    }

    /// Source and destination port for TCP, UDP and SCTP.
    pub fn ports(&self) -> Option<(Option<u16>, u16)> {
        match self.l4 {
            L4::Tcp { sport, dport, .. } | L4::Udp { sport, dport } | L4::Sctp { sport, dport } => {
                Some((sport, dport))
            }
            _ => None,
        }
    }

    /// Attaches the conntrack entry (the conntrack hook, after raw PREROUTING).
    pub fn track(&mut self) {
        if self.notrack {
            self.ct = Ct::Untracked;
            return;
        }
        self.ct = match starts_connection(self.family, &self.l4) {
            Ok(()) => {
                let (sport, dport, ports) = match self.ports() {
                    Some((s, d)) => (s, Some(d), true),
                    None => (None, None, false),
                };
                let orig = Tuple {
                    src: self.src,
                    dst: self.dst,
                    sport,
                    dport,
                };
                Ct::New {
                    proto: self.proto,
                    orig,
                    reply: orig.inverse(),
                    ports,
                    dnat: false,
                    snat: false,
                }
            }
            Err(reason) => Ct::Unknown(reason),
        };
        self.ctmark = matches!(self.ct, Ct::New { .. }).then_some(0);
    }

    /// Rewrites the destination (and port) and updates the conntrack entry: the reply tuple's
    /// source becomes the new destination; the DNAT status is set when the tuple changed.
    pub fn apply_dnat(&mut self, dst: IpAddr, port: Option<u16>) {
        let mut changed = dst != self.dst;
        self.dst = dst;
        if let Some(p) = port {
            match &mut self.l4 {
                L4::Tcp { dport, .. } | L4::Udp { dport, .. } | L4::Sctp { dport, .. } => {
                    changed |= *dport != p;
                    *dport = p;
                }
                _ => {}
            }
        }
        let new_dport = self.ports().map(|(_, d)| d);
        if let Ct::New { reply, dnat, .. } = &mut self.ct {
            reply.src = dst;
            if new_dport.is_some() {
                reply.sport = new_dport;
            }
            *dnat |= changed;
        }
    }

    /// Marks the entry source-NATed (SNAT or MASQUERADE).
    pub fn apply_snat(&mut self) {
        if let Ct::New { snat, .. } = &mut self.ct {
            *snat = true;
        }
    }
}
