//! Golden tests for the xt info structs, both directions: `decode(bytes) == value` and
//! `encode(value) == bytes`.
//!
//! Sources of the bytes:
//! - `doc:LINE`: /work/shared/docs/xtables-nft-encoding.md sections 1.3/1.4 (kernel dump of
//!   rules added by iptables 1.8.9), at that line.
//! - `strace`: captured for this module on 2026-11-23 with `tests/golden/xtcap.py` (strace of
//!   iptables 1.8.9 `sendmsg` in a fresh `unshare -n` netns; the NEWRULE's NFTA_*_INFO).
//! - `legacy`: strace of `iptables-legacy 1.8.9` `IPT_SO_SET_REPLACE` (same libxt_*.so), for
//!   `-m mark`, which iptables-nft 1.8.9 writes natively.
//!
//! Host-order fields were captured on x86-64, so these tests are little-endian only.
#![cfg(target_endian = "little")]

use std::net::IpAddr;

use dfw_core::model::matches::{
    AddrType, AddrTypes, Comment, Conntrack, CtDirection, CtStates, CtStatus, IcmpType, IpRange,
    LimitIface, Mark, Multiport, MultiportKind, TcpFlag, TcpFlags, TcpMatch, UdpMatch,
};
use dfw_core::model::target::{Log, LogFlags, Masquerade, Nat, Reject, RejectV4, RejectV6};
use dfw_core::model::{AddrRange, Family, Neg, Network, PortRange, Protocol};
use dfw_netlink::xt::conntrack::CtMatch;
use dfw_netlink::xt::{
    addrtype, comment, conntrack, icmp, iprange, log, mark, multiport, nat, reject, tcpudp,
};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn net(s: &str) -> Network {
    match s.split_once('/') {
        Some((a, p)) => Network::with_prefix(ip(a), p.parse().unwrap()).unwrap(),
        None => Network::host(ip(s)),
    }
}

fn ports(lo: u16, hi: u16) -> PortRange {
    PortRange::new(lo, hi).unwrap()
}

fn range(a: &str, b: &str) -> AddrRange {
    AddrRange::new(ip(a), ip(b)).unwrap()
}

fn states(s: CtStates) -> Neg<CtStates> {
    Neg::is(s)
}

mod ct;
mod ext;
mod ext_captured;
mod matches;
mod targets;
