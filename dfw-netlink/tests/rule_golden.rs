//! Golden tests of whole rules, both directions.
//!
//! Expressions are what iptables 1.8.9 sends (`doc:LINE`: /work/shared/docs/xtables-nft-encoding.md
//! sections 1.3/1.4, the `nft --debug=netlink` dump; `strace`: captured for this module on
//! 2026-11-23 with `tests/golden/xtcap.py`, which also shows the NFTA_RULE_COMPAT iptables sends:
//! `{PROTO: -p or 0, FLAGS: 2 for ! -p}` on every rule, `{0, 0}` without `-p`).
//!
//! - [`same`]: rules iptables 1.8.9 and dfw encode identically: encode == iptables, decode == rule.
//! - [`native`]: rules 1.8.9 encodes natively (tcp/udp ports and flags, mark) and dfw as xt
//!   matches: both decode to the same rule.
//! - [`opaque`]: what the model cannot express is kept, marked opaque.
#![cfg(target_endian = "little")]

use std::net::IpAddr;

use dfw_core::model::matches::{
    Conntrack, CtStates, IcmpType, Mark, TcpFlag, TcpFlags, TcpMatch, UdpMatch,
};
use dfw_core::model::target::{Masquerade, Nat, Reject, RejectV4};
use dfw_core::model::{
    AddrRange, ChainName, Counters, Family, Iface, Match, Neg, Network, PortRange, Protocol, Rule,
    RuleHeader, Target,
};
use dfw_netlink::expr::{CmpOp, Expr, ImmediateData, MetaKey, PayloadBase, Verdict};
use dfw_netlink::rule_codec::{decode_rule, encode_rule, Compat, DecodedRule};

const V4: Family = Family::Ipv4;
const V6: Family = Family::Ipv6;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
fn meta(key: MetaKey) -> Expr {
    Expr::Meta { key, dreg: 1 }
}
fn cmp(op: CmpOp, data: &[u8]) -> Expr {
    Expr::Cmp {
        sreg: 1,
        op,
        data: data.to_vec(),
    }
}
fn eq(data: &[u8]) -> Expr {
    cmp(CmpOp::Eq, data)
}
fn ne(data: &[u8]) -> Expr {
    cmp(CmpOp::Neq, data)
}
fn payload(base: PayloadBase, offset: u32, len: u32) -> Expr {
    Expr::Payload {
        base,
        offset,
        len,
        dreg: 1,
    }
}
fn nh(offset: u32, len: u32) -> Expr {
    payload(PayloadBase::Network, offset, len)
}
fn th(offset: u32, len: u32) -> Expr {
    payload(PayloadBase::Transport, offset, len)
}
fn bitwise(mask: &[u8]) -> Expr {
    Expr::Bitwise {
        sreg: 1,
        dreg: 1,
        len: mask.len() as u32,
        mask: mask.to_vec(),
        xor: vec![0; mask.len()],
    }
}
fn range(op: CmpOp, from: &[u8], to: &[u8]) -> Expr {
    Expr::Range {
        sreg: 1,
        op,
        from: from.to_vec(),
        to: to.to_vec(),
    }
}
fn counter() -> Expr {
    Expr::Counter {
        packets: 0,
        bytes: 0,
    }
}
fn verdict(v: Verdict) -> Expr {
    Expr::Immediate {
        dreg: 0,
        data: ImmediateData::Verdict(v),
    }
}
fn xm(name: &str, rev: u32, info: &str) -> Expr {
    Expr::Match {
        name: name.into(),
        rev,
        info: hex(info),
    }
}
fn xt(name: &str, rev: u32, info: &str) -> Expr {
    Expr::Target {
        name: name.into(),
        rev,
        info: hex(info),
    }
}
fn l4(p: u8) -> [Expr; 2] {
    [meta(MetaKey::L4PROTO), eq(&[p])]
}
fn compat(proto: u32, flags: u32) -> Option<Compat> {
    Some(Compat { proto, flags })
}
fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}
fn net(s: &str) -> Network {
    match s.split_once('/') {
        Some((a, m)) => match m.parse::<u8>() {
            Ok(p) => Network::with_prefix(ip(a), p).unwrap(),
            Err(_) => Network::with_mask(ip(a), ip(m)).unwrap(),
        },
        None => Network::host(ip(s)),
    }
}
fn iface(s: &str) -> Iface {
    Iface::parse(s).unwrap()
}
fn tcp() -> Option<Neg<Protocol>> {
    Some(Neg::is(Protocol::TCP))
}
fn udp() -> Option<Neg<Protocol>> {
    Some(Neg::is(Protocol::UDP))
}
fn rule(header: RuleHeader, matches: Vec<Match>, target: Option<Target>) -> Rule {
    Rule {
        header,
        matches,
        target,
        counters: None,
    }
}
fn decoded(family: Family, exprs: &[Expr], c: Option<Compat>) -> Rule {
    match decode_rule(family, exprs, c) {
        DecodedRule::Rule(r) => r,
        DecodedRule::Opaque { reason, .. } => panic!("opaque: {reason}\n{exprs:?}"),
    }
}

/// encode(rule) == iptables' expressions and compat, and decode(those) == rule.
fn both(family: Family, r: &Rule, exprs: &[Expr], c: Option<Compat>) {
    let enc = encode_rule(family, r).unwrap();
    assert_eq!(enc.exprs, exprs, "{r:?}");
    assert_eq!(enc.compat, c, "{r:?}");
    assert_eq!(&decoded(family, exprs, c), r);
}

mod same {
    use super::*;

    #[test]
    fn interfaces() {
        // doc:156  -A INPUT -i eth0 -j ACCEPT
        let r = rule(
            RuleHeader {
                in_iface: Some(Neg::is(iface("eth0"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Accept),
        );
        both(
            V4,
            &r,
            &[
                meta(MetaKey::IIFNAME),
                eq(b"eth0\0"),
                counter(),
                verdict(Verdict::Accept),
            ],
            compat(0, 0),
        );
        // doc:168 / doc:880  -i eth+ (IPv4 and IPv6 alike)
        let r = rule(
            RuleHeader {
                in_iface: Some(Neg::is(iface("eth+"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Accept),
        );
        let e = [
            meta(MetaKey::IIFNAME),
            eq(b"eth"),
            counter(),
            verdict(Verdict::Accept),
        ];
        both(V4, &r, &e, compat(0, 0));
        both(V6, &r, &e, compat(0, 0));
        // doc:192  -A FORWARD -i br-+ ! -o br-+ -j ACCEPT
        let r = rule(
            RuleHeader {
                in_iface: Some(Neg::is(iface("br-+"))),
                out_iface: Some(Neg::not(iface("br-+"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Accept),
        );
        both(
            V4,
            &r,
            &[
                meta(MetaKey::IIFNAME),
                eq(b"br-"),
                meta(MetaKey::OIFNAME),
                ne(b"br-"),
                counter(),
                verdict(Verdict::Accept),
            ],
            compat(0, 0),
        );
        // strace  -A FORWARD -i 0123456789abcde -o 0123456789abcd+ -j ACCEPT (longest names)
        let r = rule(
            RuleHeader {
                in_iface: Some(Neg::is(iface("0123456789abcde"))),
                out_iface: Some(Neg::is(iface("0123456789abcd+"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Accept),
        );
        both(
            V4,
            &r,
            &[
                meta(MetaKey::IIFNAME),
                eq(b"0123456789abcde\0"),
                meta(MetaKey::OIFNAME),
                eq(b"0123456789abcd"),
                counter(),
                verdict(Verdict::Accept),
            ],
            compat(0, 0),
        );
    }

    #[test]
    fn ipv4_addresses() {
        let src = |n: Neg<Network>| RuleHeader {
            src: Some(n),
            ..Default::default()
        };
        // doc:206  -s 10.0.0.0/8 -j DROP
        both(
            V4,
            &rule(src(Neg::is(net("10.0.0.0/8"))), vec![], Some(Target::Drop)),
            &[nh(12, 1), eq(&[10]), counter(), verdict(Verdict::Drop)],
            compat(0, 0),
        );
        // doc:218  -d 192.168.1.1 -j DROP
        let r = rule(
            RuleHeader {
                dst: Some(Neg::is(net("192.168.1.1"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Drop),
        );
        both(
            V4,
            &r,
            &[
                nh(16, 4),
                eq(&[192, 168, 1, 1]),
                counter(),
                verdict(Verdict::Drop),
            ],
            compat(0, 0),
        );
        // doc:230  ! -s 10.0.0.0/8 ! -d 172.16.0.0/12 -j DROP
        let r = rule(
            RuleHeader {
                src: Some(Neg::not(net("10.0.0.0/8"))),
                dst: Some(Neg::not(net("172.16.0.0/12"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Drop),
        );
        both(
            V4,
            &r,
            &[
                nh(12, 1),
                ne(&[10]),
                nh(16, 4),
                bitwise(&[0xff, 0xf0, 0, 0]),
                ne(&[172, 16, 0, 0]),
                counter(),
                verdict(Verdict::Drop),
            ],
            compat(0, 0),
        );
        // doc:245  -s 10.1.2.3/255.0.255.0 -j DROP
        let r = rule(
            src(Neg::is(net("10.1.2.3/255.0.255.0"))),
            vec![],
            Some(Target::Drop),
        );
        both(
            V4,
            &r,
            &[
                nh(12, 4),
                bitwise(&[0xff, 0, 0xff, 0]),
                eq(&[10, 0, 2, 0]),
                counter(),
                verdict(Verdict::Drop),
            ],
            compat(0, 0),
        );
        // strace  -A INPUT -s 192.0.2.0/24 (no target)
        let r = rule(src(Neg::is(net("192.0.2.0/24"))), vec![], None);
        both(
            V4,
            &r,
            &[nh(12, 3), eq(&[192, 0, 2]), counter()],
            compat(0, 0),
        );
    }

    #[test]
    fn ipv6_addresses() {
        let v6 = |s: &str| match ip(s) {
            IpAddr::V6(a) => a.octets(),
            IpAddr::V4(_) => unreachable!(),
        };
        // doc:892  -s 2001:db8::/32 -j DROP
        let r = rule(
            RuleHeader {
                src: Some(Neg::is(net("2001:db8::/32"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Drop),
        );
        both(
            V6,
            &r,
            &[
                nh(8, 4),
                eq(&[0x20, 0x01, 0x0d, 0xb8]),
                counter(),
                verdict(Verdict::Drop),
            ],
            compat(0, 0),
        );
        // doc:904  ! -d fe80::/10 -j DROP
        let r = rule(
            RuleHeader {
                dst: Some(Neg::not(net("fe80::/10"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Drop),
        );
        both(
            V6,
            &r,
            &[
                nh(24, 16),
                bitwise(&v6("ffc0::")),
                ne(&v6("fe80::")),
                counter(),
                verdict(Verdict::Drop),
            ],
            compat(0, 0),
        );
        // doc:917  -d ::1 -j ACCEPT
        let r = rule(
            RuleHeader {
                dst: Some(Neg::is(net("::1"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Accept),
        );
        both(
            V6,
            &r,
            &[
                nh(24, 16),
                eq(&v6("::1")),
                counter(),
                verdict(Verdict::Accept),
            ],
            compat(0, 0),
        );
        // doc:929  -s 2001:db8::/33 -j DROP
        let r = rule(
            RuleHeader {
                src: Some(Neg::is(net("2001:db8::/33"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Drop),
        );
        both(
            V6,
            &r,
            &[
                nh(8, 16),
                bitwise(&v6("ffff:ffff:8000::")),
                eq(&v6("2001:db8::")),
                counter(),
                verdict(Verdict::Drop),
            ],
            compat(0, 0),
        );
        // strace  -i lo -s ::/0 -d 2001:db8::/127 -j ACCEPT (the /0 emits nothing)
        let r = rule(
            RuleHeader {
                in_iface: Some(Neg::is(iface("lo"))),
                dst: Some(Neg::is(net("2001:db8::/127"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Accept),
        );
        both(
            V6,
            &r,
            &[
                meta(MetaKey::IIFNAME),
                eq(b"lo\0"),
                nh(24, 16),
                bitwise(&v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")),
                eq(&v6("2001:db8::")),
                counter(),
                verdict(Verdict::Accept),
            ],
            compat(0, 0),
        );
        // strace  -s 2001:db8::/ffff:0:ffff:: (non-contiguous)
        let r = rule(
            RuleHeader {
                src: Some(Neg::is(net("2001:db8::/ffff:0:ffff::"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Accept),
        );
        both(
            V6,
            &r,
            &[
                nh(8, 16),
                bitwise(&v6("ffff:0:ffff::")),
                eq(&v6("2001::")),
                counter(),
                verdict(Verdict::Accept),
            ],
            compat(0, 0),
        );
    }

    #[test]
    fn protocols_and_compat() {
        // doc:268  -p tcp -j ACCEPT; strace: compat {6, 0}
        let r = rule(
            RuleHeader {
                proto: tcp(),
                ..Default::default()
            },
            vec![],
            Some(Target::Accept),
        );
        both(
            V4,
            &r,
            &[
                meta(MetaKey::L4PROTO),
                eq(&[6]),
                counter(),
                verdict(Verdict::Accept),
            ],
            compat(6, 0),
        );
        // doc:304 ! -p tcp; strace (! -p udp): compat {17, 2}
        let r = rule(
            RuleHeader {
                proto: Some(Neg::not(Protocol::TCP)),
                ..Default::default()
            },
            vec![],
            Some(Target::Accept),
        );
        both(
            V4,
            &r,
            &[
                meta(MetaKey::L4PROTO),
                ne(&[6]),
                counter(),
                verdict(Verdict::Accept),
            ],
            compat(6, 2),
        );
        // strace  -p 200: compat {200, 0}
        let r = rule(
            RuleHeader {
                proto: Some(Neg::is(Protocol::from_number(200).unwrap())),
                ..Default::default()
            },
            vec![],
            Some(Target::Accept),
        );
        both(
            V4,
            &r,
            &[
                meta(MetaKey::L4PROTO),
                eq(&[200]),
                counter(),
                verdict(Verdict::Accept),
            ],
            compat(200, 0),
        );
    }

    #[test]
    fn xt_matches_and_targets() {
        // doc:421  -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        let ct = Conntrack {
            state: Some(Neg::is(CtStates::RELATED | CtStates::ESTABLISHED)),
            ..Default::default()
        };
        let r = rule(
            RuleHeader::default(),
            vec![Match::Conntrack(ct)],
            Some(Target::Accept),
        );
        let mut blob = "0".repeat(292);
        blob.push_str("01000000060000000000000000000000000000000000");
        both(
            V4,
            &r,
            &[
                xm("conntrack", 3, &blob),
                counter(),
                verdict(Verdict::Accept),
            ],
            compat(0, 0),
        );
        // doc:570  -p icmp -m icmp --icmp-type 8 -j ACCEPT
        let r = rule(
            RuleHeader {
                proto: Some(Neg::is(Protocol::ICMP)),
                ..Default::default()
            },
            vec![Match::Icmp(Neg::is(IcmpType::Type(8)))],
            Some(Target::Accept),
        );
        let mut e = l4(1).to_vec();
        e.extend([
            xm("icmp", 0, "0800ff0000000000"),
            counter(),
            verdict(Verdict::Accept),
        ]);
        both(V4, &r, &e, compat(1, 0));
        // doc:682  -p tcp -j REJECT --reject-with tcp-reset
        let r = rule(
            RuleHeader {
                proto: tcp(),
                ..Default::default()
            },
            vec![],
            Some(Target::Reject(Reject::V4(RejectV4::TcpReset))),
        );
        let mut e = l4(6).to_vec();
        e.extend([counter(), xt("REJECT", 0, "0700000000000000")]);
        both(V4, &r, &e, compat(6, 0));
        // doc:756  -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
        let r = rule(
            RuleHeader {
                src: Some(Neg::is(net("172.17.0.0/16"))),
                out_iface: Some(Neg::not(iface("docker0"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Masquerade(Masquerade::default())),
        );
        both(
            V4,
            &r,
            &[
                meta(MetaKey::OIFNAME),
                ne(b"docker0\0"),
                nh(12, 2),
                eq(&[172, 17]),
                counter(),
                xt(
                    "MASQUERADE",
                    0,
                    "010000000000000000000000000000000000000000000000",
                ),
            ],
            compat(0, 0),
        );
        // doc 1.4 (after doc:1133)  ip6tables -t nat -A POSTROUTING -s fd00::/64 ! -o docker0 -j MASQUERADE
        let r = rule(
            RuleHeader {
                src: Some(Neg::is(net("fd00::/64"))),
                out_iface: Some(Neg::not(iface("docker0"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Masquerade(Masquerade::default())),
        );
        both(
            V6,
            &r,
            &[
                meta(MetaKey::OIFNAME),
                ne(b"docker0\0"),
                nh(8, 8),
                eq(&[0xfd, 0, 0, 0, 0, 0, 0, 0]),
                counter(),
                xt("MASQUERADE", 0, &"0".repeat(80)),
            ],
            compat(0, 0),
        );
    }

    #[test]
    fn verdicts_and_counters() {
        let foo = ChainName::new("FOO").unwrap();
        // doc:635  -j FOO / -g FOO / -j RETURN
        for (t, v) in [
            (Target::Jump(foo.clone()), Verdict::Jump("FOO".into())),
            (Target::Goto(foo), Verdict::Goto("FOO".into())),
            (Target::Return, Verdict::Return),
        ] {
            both(
                V4,
                &rule(RuleHeader::default(), vec![], Some(t)),
                &[counter(), verdict(v)],
                compat(0, 0),
            );
        }
        // doc:720  -A INPUT -c 10 2000 -j ACCEPT
        let mut r = rule(RuleHeader::default(), vec![], Some(Target::Accept));
        r.counters = Some(Counters {
            packets: 10,
            bytes: 2000,
        });
        let e = [
            Expr::Counter {
                packets: 10,
                bytes: 2000,
            },
            verdict(Verdict::Accept),
        ];
        both(V4, &r, &e, compat(0, 0));
        assert_eq!(decoded(V4, &e, compat(0, 0)).counters, r.counters);
    }
}

mod native {
    use super::*;

    fn tcp_rule(m: TcpMatch) -> Rule {
        rule(
            RuleHeader {
                proto: tcp(),
                ..Default::default()
            },
            vec![Match::Tcp(m)],
            Some(Target::Accept),
        )
    }

    fn udp_rule(m: UdpMatch) -> Rule {
        rule(
            RuleHeader {
                proto: udp(),
                ..Default::default()
            },
            vec![Match::Udp(m)],
            Some(Target::Accept),
        )
    }

    /// iptables 1.8.9's native expressions (between `-p` and the counter) decode to `r`.
    fn reads(r: &Rule, proto: u8, body: Vec<Expr>) {
        let mut e = l4(proto).to_vec();
        e.extend(body);
        e.extend([counter(), verdict(Verdict::Accept)]);
        assert_eq!(&decoded(V4, &e, compat(u32::from(proto), 0)), r);
        assert_eq!(&decoded(V6, &e, compat(u32::from(proto), 0)), r);
    }

    #[test]
    fn tcp_dport_native_and_xt_decode_alike() {
        let r = tcp_rule(TcpMatch {
            dport: Some(Neg::is(PortRange::single(22))),
            ..Default::default()
        });
        // doc:316 / doc:942  iptables 1.8.9 -p tcp --dport 22 (native)
        reads(&r, 6, vec![th(2, 2), eq(&[0, 22])]);
        // dfw (and iptables 1.8.7, doc 2.4 (c)): meta l4proto tcp + xt tcp rev 0
        let dfw = [
            meta(MetaKey::L4PROTO),
            eq(&[6]),
            xm("tcp", 0, "0000ffff160016000000000000000000"),
            counter(),
            verdict(Verdict::Accept),
        ];
        both(V4, &r, &dfw, compat(6, 0));
    }

    #[test]
    fn tcp_ports_flags_native() {
        // doc:330  --sport 1024:65535 --dport 80
        let r = tcp_rule(TcpMatch {
            sport: Some(Neg::is(PortRange::new(1024, 65535).unwrap())),
            dport: Some(Neg::is(PortRange::single(80))),
            ..Default::default()
        });
        reads(
            &r,
            6,
            vec![
                th(0, 2),
                range(CmpOp::Eq, &[4, 0], &[0xff, 0xff]),
                th(2, 2),
                eq(&[0, 80]),
            ],
        );
        // doc:346  ! --dport 22
        reads(
            &tcp_rule(TcpMatch {
                dport: Some(Neg::not(PortRange::single(22))),
                ..Default::default()
            }),
            6,
            vec![th(2, 2), ne(&[0, 22])],
        );
        // doc:374  -m tcp --dport 22 --syn: flags come first, one match
        let r = tcp_rule(TcpMatch {
            dport: Some(Neg::is(PortRange::single(22))),
            flags: Some(Neg::is(TcpFlags::SYN)),
            ..Default::default()
        });
        reads(
            &r,
            6,
            vec![
                th(13, 1),
                bitwise(&[0x17]),
                eq(&[2]),
                th(2, 2),
                eq(&[0, 22]),
            ],
        );
        // strace  ! --syn
        reads(
            &tcp_rule(TcpMatch {
                flags: Some(Neg::not(TcpFlags::SYN)),
                ..Default::default()
            }),
            6,
            vec![th(13, 1), bitwise(&[0x17]), ne(&[2])],
        );
        // strace  --tcp-flags ALL NONE
        let all = TcpFlags {
            mask: TcpFlag::all(),
            comp: TcpFlag::empty(),
        };
        reads(
            &tcp_rule(TcpMatch {
                flags: Some(Neg::is(all)),
                ..Default::default()
            }),
            6,
            vec![th(13, 1), bitwise(&[0x3f]), eq(&[0])],
        );
        // strace  --sport 80 --dport 22: one 4-byte compare
        let r = tcp_rule(TcpMatch {
            sport: Some(Neg::is(PortRange::single(80))),
            dport: Some(Neg::is(PortRange::single(22))),
            ..Default::default()
        });
        reads(&r, 6, vec![th(0, 4), eq(&[0, 80, 0, 22])]);
        // strace  --sport 80 ! --dport 22: two compares
        let r = tcp_rule(TcpMatch {
            sport: Some(Neg::is(PortRange::single(80))),
            dport: Some(Neg::not(PortRange::single(22))),
            ..Default::default()
        });
        reads(&r, 6, vec![th(0, 2), eq(&[0, 80]), th(2, 2), ne(&[0, 22])]);
    }

    #[test]
    fn udp_ranges_native() {
        let d = |lo, hi, n| {
            udp_rule(UdpMatch {
                dport: Some(Neg::new(PortRange::new(lo, hi).unwrap(), n)),
                ..Default::default()
            })
        };
        // doc:360  -p udp --dport 53
        reads(&d(53, 53, false), 17, vec![th(2, 2), eq(&[0, 53])]);
        // strace  --dport 0:1000 is `cmp lte`
        reads(
            &d(0, 1000, false),
            17,
            vec![th(2, 2), cmp(CmpOp::Lte, &[0x03, 0xe8])],
        );
        // strace  --dport 1000:65535 is a range
        reads(
            &d(1000, 65535, false),
            17,
            vec![th(2, 2), range(CmpOp::Eq, &[0x03, 0xe8], &[0xff, 0xff])],
        );
        // strace  ! --dport 1000:2000
        reads(
            &d(1000, 2000, true),
            17,
            vec![th(2, 2), range(CmpOp::Neq, &[0x03, 0xe8], &[0x07, 0xd0])],
        );
        // doc:956  ip6tables -p udp --sport 53
        let r = udp_rule(UdpMatch {
            sport: Some(Neg::is(PortRange::single(53))),
            ..Default::default()
        });
        reads(&r, 17, vec![th(0, 2), eq(&[0, 53])]);
        // dfw form
        both(
            V6,
            &r,
            &[
                meta(MetaKey::L4PROTO),
                eq(&[17]),
                xm(
                    "udp",
                    0,
                    "35003500 0000ffff0000000000000000"
                        .replace(' ', "")
                        .as_str(),
                ),
                counter(),
                verdict(Verdict::Accept),
            ],
            compat(17, 0),
        );
    }

    #[test]
    fn mark_native_and_xt_decode_alike() {
        let m = |v, mask, n| {
            rule(
                RuleHeader::default(),
                vec![Match::Mark(Mark::new(v, mask, n))],
                Some(Target::Accept),
            )
        };
        let r = m(1, 0xff, false);
        // doc:743  -m mark --mark 0x1/0xff (native, 1.8.9)
        let native = [
            meta(MetaKey::MARK),
            bitwise(&0xffu32.to_ne_bytes()),
            eq(&1u32.to_ne_bytes()),
            counter(),
            verdict(Verdict::Accept),
        ];
        assert_eq!(decoded(V4, &native, compat(0, 0)), r);
        // dfw / iptables 1.8.7 (doc 2.4 (c)): xt mark rev 1
        both(
            V4,
            &r,
            &[
                xm("mark", 1, "01000000ff0000000000000000000000"),
                counter(),
                verdict(Verdict::Accept),
            ],
            compat(0, 0),
        );
        // strace  --mark 0x5 (no bitwise) and ! --mark 0x5/0xf
        let e = [
            meta(MetaKey::MARK),
            eq(&5u32.to_ne_bytes()),
            counter(),
            verdict(Verdict::Accept),
        ];
        assert_eq!(decoded(V4, &e, compat(0, 0)), m(5, u32::MAX, false));
        let e = [
            meta(MetaKey::MARK),
            bitwise(&0xfu32.to_ne_bytes()),
            ne(&5u32.to_ne_bytes()),
            counter(),
            verdict(Verdict::Accept),
        ];
        assert_eq!(decoded(V4, &e, compat(0, 0)), m(5, 0xf, true));
    }

    #[test]
    fn docker_dnat_rule() {
        // doc:773  -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
        let dnat = Nat {
            addrs: Some(AddrRange::new(ip("172.17.0.2"), ip("172.17.0.2")).unwrap()),
            ports: Some(PortRange::single(80)),
            ..Default::default()
        };
        let r = rule(
            RuleHeader {
                in_iface: Some(Neg::not(iface("docker0"))),
                proto: tcp(),
                ..Default::default()
            },
            vec![Match::Tcp(TcpMatch {
                dport: Some(Neg::is(PortRange::single(8080))),
                ..Default::default()
            })],
            Some(Target::Dnat(dnat)),
        );
        let target = xt("DNAT", 2, "03000000ac110002000000000000000000000000ac110002000000000000000000000000005000500000000000000000");
        let iptables = [
            meta(MetaKey::IIFNAME),
            ne(b"docker0\0"),
            meta(MetaKey::L4PROTO),
            eq(&[6]),
            th(2, 2),
            eq(&[0x1f, 0x90]),
            counter(),
            target.clone(),
        ];
        assert_eq!(decoded(V4, &iptables, compat(6, 0)), r);
        let dfw = [
            meta(MetaKey::IIFNAME),
            ne(b"docker0\0"),
            meta(MetaKey::L4PROTO),
            eq(&[6]),
            xm("tcp", 0, "0000ffff901f901f0000000000000000"),
            counter(),
            target,
        ];
        both(V4, &r, &dfw, compat(6, 0));
    }
}

mod opaque {
    use super::*;

    fn is_opaque(family: Family, exprs: &[Expr], c: Option<Compat>, why: &str) {
        match decode_rule(family, exprs, c) {
            DecodedRule::Opaque {
                reason,
                exprs: kept,
                compat: kc,
            } => {
                assert_eq!(kept, exprs);
                assert_eq!(kc, c);
                assert!(reason.contains(why), "reason {reason:?} lacks {why:?}");
            }
            DecodedRule::Rule(r) => panic!("decoded {r:?}"),
        }
    }

    #[test]
    fn unknown_expressions_and_extensions() {
        let acc = verdict(Verdict::Accept);
        is_opaque(
            V4,
            &[
                Expr::Other {
                    name: "lookup".into(),
                    data: vec![1, 2, 3, 4],
                },
                counter(),
                acc.clone(),
            ],
            None,
            "lookup",
        );
        // doc:805  -j MARK --set-xmark 0x10/0xffffffff: an xt target dfw does not model
        is_opaque(
            V4,
            &[counter(), xt("MARK", 2, "10000000ffffffff")],
            compat(0, 0),
            "MARK",
        );
        is_opaque(
            V4,
            &[xm("limit", 0, "00"), counter(), acc.clone()],
            compat(0, 0),
            "limit",
        );
        // meta skuid (doc 2.3): a key iptables cannot print
        is_opaque(
            V4,
            &[meta(MetaKey(10)), eq(&[0, 0, 0, 0]), counter(), acc.clone()],
            None,
            "meta key 10",
        );
        // ip6 nexthdr (nh + 6)
        is_opaque(
            V6,
            &[nh(6, 1), eq(&[6]), counter(), acc.clone()],
            None,
            "offset 6",
        );
        // a conntrack blob with a stray byte in its padding
        let mut blob = hex(&"0".repeat(336));
        blob[146] = 1;
        blob[150] = 2;
        blob[167] = 9;
        is_opaque(
            V4,
            &[
                Expr::Match {
                    name: "conntrack".into(),
                    rev: 3,
                    info: blob,
                },
                counter(),
                acc,
            ],
            None,
            "conntrack",
        );
    }

    #[test]
    fn shapes_iptables_cannot_express() {
        let acc = verdict(Verdict::Accept);
        // strace  ! -o +: `cmp eq "INVAL/D\0"`
        is_opaque(
            V4,
            &[
                meta(MetaKey::OIFNAME),
                eq(b"INVAL/D\0"),
                counter(),
                acc.clone(),
            ],
            compat(0, 0),
            "interface",
        );
        // verdict continue (iptables silently shows no -j)
        is_opaque(
            V4,
            &[counter(), verdict(Verdict::Continue)],
            None,
            "Continue",
        );
        // anything after the target
        is_opaque(
            V4,
            &[counter(), acc.clone(), counter()],
            None,
            "after the target",
        );
        // another register
        is_opaque(
            V4,
            &[
                Expr::Meta {
                    key: MetaKey::L4PROTO,
                    dreg: 2,
                },
                Expr::Cmp {
                    sreg: 2,
                    op: CmpOp::Eq,
                    data: vec![6],
                },
                counter(),
                acc.clone(),
            ],
            None,
            "register 2",
        );
        // a load nothing compares
        is_opaque(
            V4,
            &[meta(MetaKey::L4PROTO), counter(), acc.clone()],
            None,
            "pending",
        );
        // a match after the counter
        is_opaque(
            V4,
            &[counter(), xm("comment", 0, &"0".repeat(512)), acc.clone()],
            None,
            "after the counter",
        );
        // a port match without -p tcp/udp
        is_opaque(
            V4,
            &[th(2, 2), eq(&[0, 22]), counter(), acc.clone()],
            None,
            "without -p",
        );
        // strace  ! --sport 80 ! --dport 22: `cmp neq` on 4 bytes negates the pair, not each port
        let mut e = l4(6).to_vec();
        e.extend([th(0, 4), ne(&[0, 80, 0, 22]), counter(), acc.clone()]);
        is_opaque(V4, &e, compat(6, 0), "combined");
        // a compat attribute that disagrees with -p
        let mut e = l4(6).to_vec();
        e.extend([counter(), acc]);
        is_opaque(V4, &e, compat(17, 0), "compat");
    }

    #[test]
    fn encode_refuses_what_iptables_cannot_add() {
        // iptables -A INPUT ! -s 0.0.0.0/0 fails with EINVAL (zero-length payload load).
        let r = rule(
            RuleHeader {
                src: Some(Neg::not(net("0.0.0.0/0"))),
                ..Default::default()
            },
            vec![],
            Some(Target::Accept),
        );
        assert!(encode_rule(V4, &r).is_err());
        // A v6 address in a v4 rule.
        let r = rule(
            RuleHeader {
                src: Some(Neg::is(net("2001:db8::/32"))),
                ..Default::default()
            },
            vec![],
            None,
        );
        assert!(encode_rule(V4, &r).is_err());
    }
}

mod userdata {
    use super::*;
    use dfw_core::model::matches::Comment;
    use dfw_netlink::rule_codec::decode_rule_with_userdata;

    #[test]
    fn udata_comment_is_a_final_comment_match() {
        // doc 2.2: `nft add rule ip filter INPUT ip saddr 1.2.3.4 counter accept comment
        // "native-udata-comment"` shows as `-s 1.2.3.4/32 -m comment --comment
        // native-udata-comment -j ACCEPT`. libnftnl TLV: type 0, length with the NUL.
        let e = [
            nh(12, 4),
            eq(&[1, 2, 3, 4]),
            counter(),
            verdict(Verdict::Accept),
        ];
        let mut udata = vec![0u8, 21];
        udata.extend_from_slice(b"native-udata-comment\0");
        let want = rule(
            RuleHeader {
                src: Some(Neg::is(net("1.2.3.4"))),
                ..Default::default()
            },
            vec![Match::Comment(
                Comment::new("native-udata-comment").unwrap(),
            )],
            Some(Target::Accept),
        );
        assert_eq!(
            decode_rule_with_userdata(V4, &e, None, Some(&udata)),
            DecodedRule::Rule(want)
        );
        // no userdata: plain decode_rule
        assert_eq!(
            decode_rule_with_userdata(V4, &e, None, None),
            decode_rule(V4, &e, None)
        );
        // another TLV type, or a comment without its NUL: opaque
        for bad in [vec![1u8, 1, 0], vec![0u8, 2, b'x', b'y'], vec![0u8, 9]] {
            assert!(matches!(
                decode_rule_with_userdata(V4, &e, None, Some(&bad)),
                DecodedRule::Opaque { .. }
            ));
        }
    }
}
