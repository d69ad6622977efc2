//! Rules iptables 1.8.9 and dfw encode identically: encode == iptables, decode == rule.

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
