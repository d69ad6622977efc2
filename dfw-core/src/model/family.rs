//! Address families: IPv4 (`iptables`) and IPv6 (`ip6tables`).

use std::fmt;
use std::net::IpAddr;

/// The address family a ruleset belongs to; carries the nfproto kernel value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Family {
    /// IPv4 (`NFPROTO_IPV4`, table family `ip`).
    Ipv4 = 2,
    /// IPv6 (`NFPROTO_IPV6`, table family `ip6`).
    Ipv6 = 10,
}

impl Family {
    /// Both families, IPv4 first.
    pub const ALL: [Family; 2] = [Family::Ipv4, Family::Ipv6];

    /// The family of an address.
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::Ipv4,
            IpAddr::V6(_) => Family::Ipv6,
        }
    }

    /// Address length in bytes (4 or 16).
    pub fn addr_len(self) -> usize {
        match self {
            Family::Ipv4 => 4,
            Family::Ipv6 => 16,
        }
    }

    /// Address length in bits (32 or 128).
    pub fn addr_bits(self) -> u8 {
        match self {
            Family::Ipv4 => 32,
            Family::Ipv6 => 128,
        }
    }

    /// The nfproto value used by nf_tables (`NFPROTO_IPV4` = 2, `NFPROTO_IPV6` = 10).
    pub fn nfproto(self) -> u8 {
        self as u8
    }

    /// The nf_tables family name (`ip` or `ip6`).
    pub fn nft_name(self) -> &'static str {
        match self {
            Family::Ipv4 => "ip",
            Family::Ipv6 => "ip6",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Ipv4 => "IPv4",
            Family::Ipv6 => "IPv6",
        })
    }
}
