//! Target blobs: REJECT, LOG, DNAT/SNAT, MASQUERADE; and the struct lengths.

use super::*;

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
