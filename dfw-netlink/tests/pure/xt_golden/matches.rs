//! The other match blobs: multiport, iprange, comment, icmp/icmp6, addrtype, tcp/udp, mark.

use super::*;

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
