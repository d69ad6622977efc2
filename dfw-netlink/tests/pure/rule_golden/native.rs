//! Rules iptables 1.8.9 writes natively (tcp/udp ports and flags, mark) and dfw as xt matches:
//! both decode to the same rule.

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

#[test]
fn ipv4_protocol_as_payload_like_iptables_1_8_10() {
    // doc 0 / 2.4: iptables 1.8.10+ writes IPv4 `-p tcp` as `payload load 1b @ nh + 9`.
    let r = tcp_rule(TcpMatch {
        dport: Some(Neg::is(PortRange::single(22))),
        ..Default::default()
    });
    let e = [
        nh(9, 1),
        eq(&[6]),
        th(2, 2),
        eq(&[0, 22]),
        counter(),
        verdict(Verdict::Accept),
    ];
    assert_eq!(decoded(V4, &e, compat(6, 0)), r);
}

#[test]
fn native_limit_is_the_limit_match() {
    // iptables 1.8.7, 1.8.9 and 1.8.11: -m limit --limit 3/min --limit-burst 10 -j ACCEPT
    let l = Limit::new(200_000, 10).unwrap();
    let r = rule(
        RuleHeader::default(),
        vec![Match::Limit(l)],
        Some(Target::Accept),
    );
    let exprs = [
        Expr::Limit {
            rate: 3,
            unit: 60,
            burst: 10,
            kind: 0,
            flags: 0,
        },
        counter(),
        verdict(Verdict::Accept),
    ];
    both(V4, &r, &exprs, compat(0, 0));
    // 120/minute is 2/sec for iptables (an interval of 5000): only 2/sec is read.
    let odd = [
        Expr::Limit {
            rate: 120,
            unit: 60,
            burst: 5,
            kind: 0,
            flags: 0,
        },
        counter(),
        verdict(Verdict::Accept),
    ];
    assert!(decode_rule(V4, &odd, compat(0, 0)).rule().is_none());
    // Byte limits and inverted limits are not iptables'.
    for (kind, flags) in [(1, 0), (0, 1)] {
        let e = [
            Expr::Limit {
                rate: 3,
                unit: 60,
                burst: 10,
                kind,
                flags,
            },
            counter(),
        ];
        assert!(decode_rule(V4, &e, compat(0, 0)).rule().is_none());
    }
}

#[test]
fn native_log_group_reads_as_nflog_and_dfw_writes_the_xt_target() {
    // iptables 1.8.9: -j NFLOG --nflog-prefix "dfw drop" --nflog-group 2 --nflog-size 128
    // --nflog-threshold 10 (native), and 1.8.7's xt NFLOG for the same (tests/golden/extcap.py).
    let n = Nflog::new(2, "dfw drop", Some(128), 10).unwrap();
    let r = rule(RuleHeader::default(), vec![], Some(Target::Nflog(n)));
    let native = [
        counter(),
        Expr::Log(LogExpr {
            prefix: Some("dfw drop".into()),
            group: Some(2),
            snaplen: Some(128),
            qthreshold: Some(10),
            level: None,
            flags: None,
        }),
    ];
    assert_eq!(decoded(V4, &native, compat(0, 0)), r);
    let xt_form = [
        counter(),
        xt(
            "NFLOG",
            0,
            &format!(
                "8000000002000a0001000000{}{}",
                hex_str(b"dfw drop"),
                "00".repeat(60)
            ),
        ),
    ];
    both(V4, &r, &xt_form, compat(0, 0));
    // A log without a group is a native LOG no iptables can show: opaque.
    let syslog = [
        counter(),
        Expr::Log(LogExpr {
            prefix: Some("x".into()),
            level: Some(4),
            ..LogExpr::default()
        }),
    ];
    assert!(decode_rule(V4, &syslog, compat(0, 0)).rule().is_none());
}

fn hex_str(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
