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

#[test]
fn multiport_golden() {
    // doc:404  -p tcp -m multiport --dports 80,443
    let b = hex("01025000bb01000000000000000000000000000000000000000000000000000000000000000000000000000000000000");
    let m = Multiport::new(
        MultiportKind::Destination,
        vec![PortRange::single(80), PortRange::single(443)],
        false,
    )
    .unwrap();
    assert_eq!(multiport::decode(&b).unwrap(), m);
    assert_eq!(multiport::encode(&m), b);
    // doc:1025  ip6tables, same rule, same bytes
    assert_eq!(hex("01025000bb01000000000000000000000000000000000000000000000000000000000000000000000000000000000000"), b);
    // doc:419  -p udp -m multiport --sports 1000:2000,3000
    let b = hex("0003e803d007b80b00000000000000000000000000000000000000000000000001000000000000000000000000000000");
    let m = Multiport::new(
        MultiportKind::Source,
        vec![ports(1000, 2000), PortRange::single(3000)],
        false,
    )
    .unwrap();
    assert_eq!(multiport::decode(&b).unwrap(), m);
    assert_eq!(multiport::encode(&m), b);
    // strace  -p tcp -m multiport ! --ports 1,2,3:4
    let b = hex("020401000200030004000000000000000000000000000000000000000000000000000100000000000000000000000001");
    let m = Multiport::new(
        MultiportKind::Either,
        vec![PortRange::single(1), PortRange::single(2), ports(3, 4)],
        true,
    )
    .unwrap();
    assert_eq!(multiport::decode(&b).unwrap(), m);
    assert_eq!(multiport::encode(&m), b);
    assert_eq!(b.len(), multiport::INFO_LEN);
}

fn ct_golden(family: Family, hexstr: &str, want: CtMatch) {
    let b = hex(hexstr);
    assert_eq!(b.len(), conntrack::INFO_LEN);
    assert_eq!(conntrack::decode(family, &b).unwrap(), want, "{hexstr}");
    assert_eq!(conntrack::encode_match(&want), b, "{want:?}");
}

#[test]
fn conntrack_golden_doc() {
    let v4 = Family::Ipv4;
    // doc:432  --ctstate RELATED,ESTABLISHED
    let ct = |c: Conntrack| CtMatch::Conntrack(c);
    ct_golden(
        v4,
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001000000060000000000000000000000000000000000",
        ct(Conntrack {
            state: Some(states(CtStates::RELATED | CtStates::ESTABLISHED)),
            ..Default::default()
        }),
    );
    // doc:445  --ctstate INVALID
    ct_golden(
        v4,
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001000000010000000000000000000000000000000000",
        ct(Conntrack {
            state: Some(states(CtStates::INVALID)),
            ..Default::default()
        }),
    );
    // doc:458  ! --ctstate NEW
    ct_golden(
        v4,
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001000100080000000000000000000000000000000000",
        ct(Conntrack {
            state: Some(Neg::not(CtStates::NEW)),
            ..Default::default()
        }),
    );
    // doc:471  --ctstate DNAT --ctorigdst 10.0.0.1 (the canonical 16 x 0xff host mask)
    ct_golden(
        v4,
        "00000000000000000000000000000000000000000000000000000000000000000a000001000000000000000000000000ffffffffffffffffffffffffffffffff0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000009000000800000000000000000000000000000000000",
        ct(Conntrack {
            state: Some(states(CtStates::DNAT)),
            orig_dst: Some(Neg::is(net("10.0.0.1"))),
            ..Default::default()
        }),
    );
    // doc:499  --ctorigdstport 8080:8090
    ct_golden(
        v4,
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000901f00000000000200000000000000009a1f00000000000000000000",
        ct(Conntrack {
            orig_dst_port: Some(Neg::is(ports(8080, 8090))),
            ..Default::default()
        }),
    );
    // doc:512  -m state --state NEW,ESTABLISHED
    ct_golden(v4, "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000012000000a0000000000000000000000000000000000", CtMatch::State(states(CtStates::NEW | CtStates::ESTABLISHED)));
    // doc:1038  ip6tables --ctstate RELATED,ESTABLISHED: same bytes as IPv4
    assert_eq!(hex("000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001000000060000000000000000000000000000000000"), hex("000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001000000060000000000000000000000000000000000"));
    // doc:1053  ip6tables -p tcp --ctorigsrc 2001:db8::/64 --ctorigdst 2001:db8::1 --ctorigdstport 80
    ct_golden(
        Family::Ipv6,
        "20010db8000000000000000000000000ffffffffffffffff000000000000000020010db8000000000000000000000001ffffffffffffffffffffffffffffffff000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005000000000000c020000000000000000500000000000000000000000",
        ct(Conntrack {
            orig_src: Some(Neg::is(net("2001:db8::/64"))),
            orig_dst: Some(Neg::is(net("2001:db8::1"))),
            orig_dst_port: Some(Neg::is(PortRange::single(80))),
            ..Default::default()
        }),
    );
}

#[test]
fn conntrack_slash32_mask_decodes_and_reencodes_canonically() {
    // doc:486  --ctorigsrc 10.0.0.0/8 --ctorigdst 1.2.3.4/32 --ctorigsrcport 1234
    // --ctorigdstport 8080: the explicit /32 gives mask ffffffff + 12 zeros.
    let b = hex("0a000000000000000000000000000000ff00000000000000000000000000000001020304000000000000000000000000ffffffff0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000d204901f000000000c03000000000000d204901f00000000000000000000");
    let want = Conntrack {
        orig_src: Some(Neg::is(net("10.0.0.0/8"))),
        orig_dst: Some(Neg::is(net("1.2.3.4"))),
        orig_src_port: Some(Neg::is(PortRange::single(1234))),
        orig_dst_port: Some(Neg::is(PortRange::single(8080))),
        ..Default::default()
    };
    assert_eq!(
        conntrack::decode(Family::Ipv4, &b).unwrap(),
        CtMatch::Conntrack(want.clone())
    );
    // Re-encoded with the canonical host mask (what `--ctorigdst 1.2.3.4` builds): identical
    // except the 12 mask bytes at 52..64.
    let enc = conntrack::encode(&want);
    assert_eq!(enc[..52], b[..52]);
    assert_eq!(enc[52..64], [0xff; 12]);
    assert_eq!(b[52..64], [0; 12]);
    assert_eq!(enc[64..], b[64..]);
}

#[test]
fn conntrack_golden_strace() {
    // strace  -p udp -m conntrack ! --ctproto tcp --ctreplsrc 192.0.2.0/24
    //   ! --ctrepldst 192.0.2.1 --ctreplsrcport 5 ! --ctrepldstport 6:7
    //   ! --ctstatus ASSURED,CONFIRMED --ctexpire 10:20 --ctdir REPLY
    ct_golden(
        Family::Ipv4,
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000c0000200000000000000000000000000ffffff00000000000000000000000000c0000201000000000000000000000000ffffffffffffffffffffffffffffffff0a0000001400000006000000000005000600f21c621800000c000000000005000700000000000000",
        CtMatch::Conntrack(Conntrack {
            proto: Some(Neg::not(Protocol::TCP)),
            repl_src: Some(Neg::is(net("192.0.2.0/24"))),
            repl_dst: Some(Neg::not(net("192.0.2.1"))),
            repl_src_port: Some(Neg::is(PortRange::single(5))),
            repl_dst_port: Some(Neg::not(ports(6, 7))),
            status: Some(Neg::not(CtStatus::ASSURED | CtStatus::CONFIRMED)),
            expire: Some(Neg::is((10, 20))),
            direction: Some(CtDirection::Reply),
            ..Default::default()
        }),
    );
    // strace  --ctstatus NONE --ctexpire 5 --ctdir ORIGINAL
    ct_golden(
        Family::Ipv4,
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000050000000500000000000000000000000000c0100000000000000000000000000000000000000000",
        CtMatch::Conntrack(Conntrack {
            status: Some(Neg::is(CtStatus::empty())),
            expire: Some(Neg::is((5, 5))),
            direction: Some(CtDirection::Original),
            ..Default::default()
        }),
    );
    // strace  --ctorigsrc 0.0.0.0/0
    ct_golden(
        Family::Ipv4,
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004000000000000000000000000000000000000000000",
        CtMatch::Conntrack(Conntrack {
            orig_src: Some(Neg::is(net("0.0.0.0/0"))),
            ..Default::default()
        }),
    );
    // strace  -m state ! --state INVALID,UNTRACKED
    ct_golden(
        Family::Ipv4,
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001200100010100000000000000000000000000000000",
        CtMatch::State(Neg::not(CtStates::INVALID | CtStates::UNTRACKED)),
    );
}

#[test]
fn iprange_golden() {
    // doc:525  --src-range 10.0.0.1-10.0.0.50
    let b = hex("0a0000010000000000000000000000000a00003200000000000000000000000000000000000000000000000000000000000000000000000000000000000000000100000000000000");
    let m = IpRange::new(Some(Neg::is(range("10.0.0.1", "10.0.0.50"))), None).unwrap();
    assert_eq!(iprange::decode(Family::Ipv4, &b).unwrap(), m);
    assert_eq!(iprange::encode(&m), b);
    // doc:538  ! --dst-range 10.0.0.1-10.0.0.50
    let b = hex("00000000000000000000000000000000000000000000000000000000000000000a0000010000000000000000000000000a0000320000000000000000000000002200000000000000");
    let m = IpRange::new(None, Some(Neg::not(range("10.0.0.1", "10.0.0.50")))).unwrap();
    assert_eq!(iprange::decode(Family::Ipv4, &b).unwrap(), m);
    assert_eq!(iprange::encode(&m), b);
    // doc:1066  ip6tables --src-range 2001:db8::1-2001:db8::ff
    let b = hex("20010db800000000000000000000000120010db80000000000000000000000ff00000000000000000000000000000000000000000000000000000000000000000100000000000000");
    let m = IpRange::new(Some(Neg::is(range("2001:db8::1", "2001:db8::ff"))), None).unwrap();
    assert_eq!(iprange::decode(Family::Ipv6, &b).unwrap(), m);
    assert_eq!(iprange::encode(&m), b);
    assert_eq!(b.len(), iprange::INFO_LEN);
}

#[test]
fn comment_golden() {
    for (h, text) in [
        ("68656c6c6f20776f726c640000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "hello world"),  // doc:551
        ("63310000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "c1"),           // doc:567
        ("63320000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "c2"),           // doc:568
        ("763620636f6d6d656e74000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "v6 comment"),  // doc:1079
    ] {
        let b = hex(h);
        let c = Comment::new(text).unwrap();
        assert_eq!(comment::decode(&b).unwrap(), c);
        assert_eq!(comment::encode(&c), b);
    }
}

#[test]
fn icmp_golden() {
    for (h, t) in [
        ("0800ff0000000000", Neg::is(IcmpType::Type(8))), // doc:583  --icmp-type echo-request
        ("0304040000000000", Neg::is(IcmpType::TypeCode(3, 4))), // doc:598  --icmp-type 3/4
        ("ff00ff0000000000", Neg::is(IcmpType::Any)),     // doc:613  --icmp-type any
        ("0304040100000000", Neg::not(IcmpType::TypeCode(3, 4))), // strace ! --icmp-type 3/4
        ("8000ff0000000000", Neg::is(IcmpType::Type(128))), // doc:995  --icmpv6-type echo-request
        ("0104040000000000", Neg::is(IcmpType::TypeCode(1, 4))), // doc:1010 --icmpv6-type 1/4
    ] {
        let b = hex(h);
        assert_eq!(icmp::decode(&b).unwrap(), t);
        assert_eq!(icmp::encode(&t), b);
    }
}

#[test]
fn addrtype_golden() {
    for (h, m) in [
        // doc:741  --dst-type LOCAL
        (
            "0000040000000000",
            AddrType {
                dst: Some(Neg::is(AddrTypes::LOCAL)),
                ..Default::default()
            },
        ),
        // strace  ! --src-type LOCAL,UNICAST ! --dst-type BROADCAST --limit-iface-in
        (
            "0600080007000000",
            AddrType {
                src: Some(Neg::not(AddrTypes::LOCAL | AddrTypes::UNICAST)),
                dst: Some(Neg::not(AddrTypes::BROADCAST)),
                limit_iface: Some(LimitIface::In),
            },
        ),
        // strace  --src-type LOCAL --limit-iface-out
        (
            "0400000008000000",
            AddrType {
                src: Some(Neg::is(AddrTypes::LOCAL)),
                dst: None,
                limit_iface: Some(LimitIface::Out),
            },
        ),
    ] {
        let b = hex(h);
        assert_eq!(addrtype::decode(&b).unwrap(), m);
        assert_eq!(addrtype::encode(&m), b);
    }
}

#[test]
fn tcp_udp_golden() {
    let all_flags = TcpFlag::SYN | TcpFlag::ACK;
    for (h, m) in [
        // strace  -p tcp -m tcp  (every field at its default)
        ("0000ffff0000ffff0000000000000000", TcpMatch::default()),
        // strace  -p tcp -m tcp --tcp-option 2
        (
            "0000ffff0000ffff0200000000000000",
            TcpMatch {
                option: Some(Neg::is(2)),
                ..Default::default()
            },
        ),
        // strace  ! --sport 1000:2000 ! --dport 22 ! --tcp-flags SYN,ACK SYN ! --tcp-option 3
        (
            "e803d007160016000312020f00000000",
            TcpMatch {
                sport: Some(Neg::not(ports(1000, 2000))),
                dport: Some(Neg::not(PortRange::single(22))),
                flags: Some(Neg::not(TcpFlags {
                    mask: all_flags,
                    comp: TcpFlag::SYN,
                })),
                option: Some(Neg::not(3)),
            },
        ),
    ] {
        let b = hex(h);
        assert_eq!(tcpudp::decode_tcp(&b).unwrap(), m);
        assert_eq!(tcpudp::encode_tcp(&m), b);
    }
    // strace  -p udp -m udp
    let b = hex("0000ffff0000ffff0000000000000000");
    assert_eq!(tcpudp::decode_udp(&b).unwrap(), UdpMatch::default());
    assert_eq!(tcpudp::encode_udp(&UdpMatch::default()), b);
    // Built by the layout (xt_udp: spts, dpts, invflags at 8): --sport 53 ! --dport 1000:2000
    let m = UdpMatch {
        sport: Some(Neg::is(PortRange::single(53))),
        dport: Some(Neg::not(ports(1000, 2000))),
    };
    let b = hex("35003500e803d0070200000000000000");
    assert_eq!(tcpudp::encode_udp(&m), b);
    assert_eq!(tcpudp::decode_udp(&b).unwrap(), m);
}

#[test]
fn mark_golden() {
    // legacy  -m mark ! --mark 0x5/0xf  (xt_mark_mtinfo1 rev 1 after the 32-byte entry header)
    let b = hex("050000000f0000000100000000000000");
    let m = Mark::new(5, 0xf, true);
    assert_eq!(mark::decode(&b).unwrap(), m);
    assert_eq!(mark::encode(&m), b);
}

#[test]
fn reject_golden() {
    for (fam, h, r) in [
        (
            Family::Ipv4,
            "0300000000000000",
            Reject::V4(RejectV4::PortUnreachable),
        ), // doc:668
        (
            Family::Ipv4,
            "0600000000000000",
            Reject::V4(RejectV4::HostProhibited),
        ), // doc:680
        (
            Family::Ipv4,
            "0700000000000000",
            Reject::V4(RejectV4::TcpReset),
        ), // doc:694
        (
            Family::Ipv6,
            "0400000000000000",
            Reject::V6(RejectV6::PortUnreachable),
        ), // doc:1091
        (
            Family::Ipv6,
            "0100000000000000",
            Reject::V6(RejectV6::AdmProhibited),
        ), // doc:1103
        (
            Family::Ipv6,
            "0600000000000000",
            Reject::V6(RejectV6::TcpReset),
        ), // doc:1117
    ] {
        let b = hex(h);
        assert_eq!(reject::decode(fam, &b).unwrap(), r);
        assert_eq!(reject::encode(r), b);
    }
}

#[test]
fn log_golden() {
    for (h, l) in [
        // doc:706  --log-prefix "fw: " --log-level 4
        (
            "040066773a200000000000000000000000000000000000000000000000000000",
            Log::new(4, LogFlags::empty(), "fw: ").unwrap(),
        ),
        // doc:718  --log-prefix "fw: " --log-level debug --log-uid --log-tcp-options
        (
            "070a66773a200000000000000000000000000000000000000000000000000000",
            Log::new(7, LogFlags::UID | LogFlags::TCPOPT, "fw: ").unwrap(),
        ),
        // doc:873  -j LOG
        (
            "0400000000000000000000000000000000000000000000000000000000000000",
            Log::new(4, LogFlags::empty(), "").unwrap(),
        ),
        // doc:1129  ip6tables --log-prefix "v6: "
        (
            "040076363a200000000000000000000000000000000000000000000000000000",
            Log::new(4, LogFlags::empty(), "v6: ").unwrap(),
        ),
        // strace  --log-level 0 --log-tcp-sequence --log-ip-options --log-macdecode
        (
            "0025000000000000000000000000000000000000000000000000000000000000",
            Log::new(
                0,
                LogFlags::TCPSEQ | LogFlags::IPOPT | LogFlags::MACDECODE,
                "",
            )
            .unwrap(),
        ),
    ] {
        let b = hex(h);
        assert_eq!(log::decode(&b).unwrap(), l);
        assert_eq!(log::encode(&l), b);
    }
}

fn nat_val(addrs: Option<AddrRange>, ports: Option<PortRange>, flags: (bool, bool, bool)) -> Nat {
    Nat {
        addrs,
        ports,
        random: flags.0,
        persistent: flags.1,
        random_fully: flags.2,
    }
}

#[test]
fn dnat_snat_golden() {
    let none = (false, false, false);
    let one = |a: &str| Some(range(a, a));
    let v4 = Family::Ipv4;
    let v6 = Family::Ipv6;
    // (family, name, rev, hex, value)
    let cases = [
        // doc:789  DNAT --to-destination 172.17.0.2:80
        (v4, nat::DNAT, 2, "03000000ac110002000000000000000000000000ac110002000000000000000000000000005000500000000000000000", nat_val(one("172.17.0.2"), Some(PortRange::single(80)), none)),
        // strace  DNAT --to-destination 192.0.2.1-192.0.2.9:80-90 --random --persistent
        (
            v4,
            nat::DNAT,
            2,
            "0f000000c0000201000000000000000000000000c00002090000000000000000000000000050005a0000000000000000",
            nat_val(Some(range("192.0.2.1", "192.0.2.9")), Some(ports(80, 90)), (true, true, false)),
        ),
        // strace  DNAT --to-destination :80
        (
            v4,
            nat::DNAT,
            2,
            "020000000000000000000000000000000000000000000000000000000000000000000000005000500000000000000000",
            nat_val(None, Some(PortRange::single(80)), none),
        ),
        // strace  ip6tables DNAT --to-destination [2001:db8::1]:80
        (
            v6,
            nat::DNAT,
            2,
            "0300000020010db800000000000000000000000120010db8000000000000000000000001005000500000000000000000",
            nat_val(one("2001:db8::1"), Some(PortRange::single(80)), none),
        ),
        // strace  SNAT --to-source 192.0.2.1
        (v4, nat::SNAT, 0, "0100000001000000c0000201c00002010000000000000000", nat_val(one("192.0.2.1"), None, none)),
        // strace  SNAT --to-source 192.0.2.1-192.0.2.5:1000-2000 --random --persistent
        (
            v4,
            nat::SNAT,
            0,
            "010000000f000000c0000201c000020503e807d000000000",
            nat_val(Some(range("192.0.2.1", "192.0.2.5")), Some(ports(1000, 2000)), (true, true, false)),
        ),
        // strace  SNAT --to-source :80-90 --random-fully
        (v4, nat::SNAT, 0, "010000001200000000000000000000000050005a00000000", nat_val(None, Some(ports(80, 90)), (false, false, true))),
        // strace  ip6tables SNAT --to-source [2001:db8::1]:80 --random-fully
        (
            v6,
            nat::SNAT,
            1,
            "1300000020010db800000000000000000000000120010db800000000000000000000000100500050",
            nat_val(one("2001:db8::1"), Some(PortRange::single(80)), (false, false, true)),
        ),
    ];
    for (fam, name, rev, h, n) in cases {
        let b = hex(h);
        assert_eq!(nat::decode_nat(name, fam, rev, &b).unwrap(), n, "{h}");
        let enc = if name == nat::DNAT {
            assert_eq!(rev, nat::DNAT_REV);
            nat::encode_dnat(&n)
        } else {
            assert_eq!(rev, nat::snat_rev(fam));
            nat::encode_snat(fam, &n)
        };
        assert_eq!(enc, b, "{h}");
    }
}

#[test]
fn masquerade_golden() {
    let cases = [
        // doc:770  -j MASQUERADE
        (
            Family::Ipv4,
            "010000000000000000000000000000000000000000000000",
            Masquerade::default(),
        ),
        // doc:1162  ip6tables -j MASQUERADE
        (
            Family::Ipv6,
            "00000000000000000000000000000000000000000000000000000000000000000000000000000000",
            Masquerade::default(),
        ),
        // strace  -p tcp -j MASQUERADE --to-ports 1000-2000 --random
        (
            Family::Ipv4,
            "0100000006000000000000000000000003e807d000000000",
            Masquerade {
                ports: Some(ports(1000, 2000)),
                random: true,
                random_fully: false,
            },
        ),
        // strace  ip6tables -p tcp -j MASQUERADE --to-ports 1000 --random-fully
        (
            Family::Ipv6,
            "12000000000000000000000000000000000000000000000000000000000000000000000003e803e8",
            Masquerade {
                ports: Some(PortRange::single(1000)),
                random: false,
                random_fully: true,
            },
        ),
    ];
    for (fam, h, m) in cases {
        let b = hex(h);
        assert_eq!(nat::decode_masquerade(fam, &b).unwrap(), m);
        assert_eq!(nat::encode_masquerade(fam, &m), b);
    }
}

#[test]
fn every_info_has_its_exact_aligned_length() {
    assert_eq!(conntrack::INFO_LEN, dfw_netlink::xt::xt_align(164));
    assert_eq!(multiport::INFO_LEN, 48);
    assert_eq!(iprange::INFO_LEN, dfw_netlink::xt::xt_align(65));
    assert_eq!(comment::INFO_LEN, 256);
    assert_eq!(icmp::INFO_LEN, 8);
    assert_eq!(addrtype::INFO_LEN, 8);
    assert_eq!(tcpudp::INFO_LEN, 16);
    assert_eq!(mark::INFO_LEN, dfw_netlink::xt::xt_align(12));
    assert_eq!(reject::INFO_LEN, 8);
    assert_eq!(log::INFO_LEN, 32);
    assert_eq!(nat::COMPAT_LEN, 24);
    assert_eq!(nat::RANGE_LEN, 40);
    assert_eq!(nat::RANGE2_LEN, 48);
}
