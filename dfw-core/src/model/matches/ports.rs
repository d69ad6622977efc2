//! The `tcp` and `udp` matches.

use bitflags::bitflags;

use crate::model::{Neg, PortRange};

bitflags! {
    /// TCP header flags, as `--tcp-flags` names them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct TcpFlag: u8 {
        /// FIN.
        const FIN = 0x01;
        /// SYN.
        const SYN = 0x02;
        /// RST.
        const RST = 0x04;
        /// PSH.
        const PSH = 0x08;
        /// ACK.
        const ACK = 0x10;
        /// URG.
        const URG = 0x20;
    }
}

impl TcpFlag {
    /// Each flag with its `--tcp-flags` name, in the order iptables prints them.
    pub const NAMES: [(TcpFlag, &'static str); 6] = [
        (TcpFlag::FIN, "FIN"),
        (TcpFlag::SYN, "SYN"),
        (TcpFlag::RST, "RST"),
        (TcpFlag::PSH, "PSH"),
        (TcpFlag::ACK, "ACK"),
        (TcpFlag::URG, "URG"),
    ];
}

/// `--tcp-flags MASK COMP`: of the flags in `mask`, exactly those in `comp` are set.
/// `--syn` is `FIN,SYN,RST,ACK SYN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpFlags {
    /// Flags examined.
    pub mask: TcpFlag,
    /// Flags that must be set among those examined.
    pub comp: TcpFlag,
}

impl TcpFlags {
    /// `--syn`.
    pub const SYN: TcpFlags = TcpFlags {
        mask: TcpFlag::FIN
            .union(TcpFlag::SYN)
            .union(TcpFlag::RST)
            .union(TcpFlag::ACK),
        comp: TcpFlag::SYN,
    };
}

/// `-m tcp`: at least one of the options is set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TcpMatch {
    /// `--sport`.
    pub sport: Option<Neg<PortRange>>,
    /// `--dport`.
    pub dport: Option<Neg<PortRange>>,
    /// `--tcp-flags` / `--syn`.
    pub flags: Option<Neg<TcpFlags>>,
    /// `--tcp-option N`.
    pub option: Option<Neg<u8>>,
}

/// `-m udp`: at least one of the options is set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct UdpMatch {
    /// `--sport`.
    pub sport: Option<Neg<PortRange>>,
    /// `--dport`.
    pub dport: Option<Neg<PortRange>>,
}

impl TcpMatch {
    /// True when no option is set (`-m tcp` alone, which matches every TCP packet).
    pub fn is_empty(&self) -> bool {
        self.sport.is_none()
            && self.dport.is_none()
            && self.flags.is_none()
            && self.option.is_none()
    }
}

impl UdpMatch {
    /// True when no option is set (`-m udp` alone).
    pub fn is_empty(&self) -> bool {
        self.sport.is_none() && self.dport.is_none()
    }
}

/// `-m sctp`: source and destination ports (chunk types are not modelled).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SctpMatch {
    /// `--sport`.
    pub sport: Option<Neg<PortRange>>,
    /// `--dport`.
    pub dport: Option<Neg<PortRange>>,
}
