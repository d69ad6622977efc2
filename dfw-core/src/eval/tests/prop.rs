//! Property: explain and audit never panic, on arbitrary packets against the Docker fixtures
//! (with and without a DOCKER-USER policy) and against random rulesets with jumps and gotos.

use proptest::prelude::*;

use crate::eval::{audit, explain, Packet, L4};
use crate::model::matches::TcpFlag;
use crate::model::{Family, Protocol, Ruleset};

use super::hosts::docker_host;
use super::rules::{fixture, ruleset};

fn addr(family: Family) -> impl Strategy<Value = std::net::IpAddr> {
    match family {
        Family::Ipv4 => prop_oneof![
            Just("192.0.2.10".parse().unwrap()),
            Just("192.0.2.255".parse().unwrap()),
            Just("172.17.0.2".parse().unwrap()),
            Just("127.0.0.1".parse().unwrap()),
            Just("224.0.0.1".parse().unwrap()),
            any::<u32>().prop_map(|b| std::net::Ipv4Addr::from(b).into()),
        ]
        .boxed(),
        Family::Ipv6 => prop_oneof![
            Just("2001:db8::10".parse().unwrap()),
            Just("fd00:dead:beef::2".parse().unwrap()),
            Just("fe80::1".parse().unwrap()),
            Just("::1".parse().unwrap()),
            any::<u128>().prop_map(|b| std::net::Ipv6Addr::from(b).into()),
        ]
        .boxed(),
    }
}

fn l4() -> impl Strategy<Value = L4> {
    prop_oneof![
        (any::<Option<u16>>(), any::<u16>(), 0u8..64).prop_map(|(sport, dport, f)| L4::Tcp {
            sport,
            dport,
            flags: TcpFlag::from_bits_truncate(f)
        }),
        (any::<Option<u16>>(), any::<u16>()).prop_map(|(sport, dport)| L4::Udp { sport, dport }),
        (any::<Option<u16>>(), any::<u16>()).prop_map(|(sport, dport)| L4::Sctp { sport, dport }),
        (any::<u8>(), any::<u8>()).prop_map(|(typ, code)| L4::Icmp { typ, code }),
        (1u8..=255).prop_map(|p| L4::Other(Protocol::from_number(p).unwrap())),
    ]
}

fn packet(family: Family) -> impl Strategy<Value = Packet> {
    (
        prop_oneof![Just("eth0"), Just("docker0"), Just("lo"), Just("wg0")],
        addr(family),
        addr(family),
        l4(),
        any::<Option<u32>>(),
    )
        .prop_map(|(i, src, dst, l4, mark)| Packet {
            in_iface: i.to_string(),
            src,
            dst,
            l4,
            mark,
            details: Default::default(),
        })
}

fn fixtures(family: Family) -> Vec<Ruleset> {
    let names: &[&str] = match family {
        Family::Ipv4 => &["docker-27.v4", "docker-29.v4"],
        Family::Ipv6 => &["docker-29.v6"],
    };
    names.iter().map(|n| ruleset(family, &fixture(n))).collect()
}

const OPTS: &[&str] = &[
    "",
    "-p tcp -m tcp --dport 80",
    "-s 10.0.0.0/8",
    "! -i eth0",
    "-m mark --mark 0x1",
    "-m conntrack --ctstate NEW,DNAT",
    "-m conntrack --ctexpire 1:5",
    "-p udp -m multiport --sports 53,67:68",
];

fn target(i: u8) -> String {
    match i % 9 {
        0 => "-j ACCEPT".into(),
        1 => "-j DROP".into(),
        2 => "-j RETURN".into(),
        3 => "-j LOG".into(),
        4 => "".into(),
        5 => "-j REJECT".into(),
        6 => format!("-j C{}", i % 3),
        7 => format!("-g C{}", i % 3),
        _ => "-j C0".into(),
    }
}

fn random_ruleset() -> impl Strategy<Value = Ruleset> {
    proptest::collection::vec((0usize..5, 0usize..OPTS.len(), any::<u8>()), 0..24).prop_map(
        |rules| {
            let mut text = String::from("*filter\n:INPUT DROP\n:FORWARD ACCEPT\n:OUTPUT ACCEPT\n");
            text.push_str(":C0 -\n:C1 -\n:C2 -\n");
            let chains = ["INPUT", "FORWARD", "C0", "C1", "C2"];
            for (c, o, t) in rules {
                text.push_str(&format!("-A {} {} {}\n", chains[c], OPTS[o], target(t)));
            }
            text.push_str("COMMIT\n");
            ruleset(Family::Ipv4, &text)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn explain_never_panics_v4(p in packet(Family::Ipv4)) {
        for rs in fixtures(Family::Ipv4) {
            let t = explain(&rs, &p, &docker_host()).unwrap();
            prop_assert!(t.paths >= 1);
        }
    }

    #[test]
    fn explain_never_panics_v6(p in packet(Family::Ipv6)) {
        for rs in fixtures(Family::Ipv6) {
            let t = explain(&rs, &p, &docker_host()).unwrap();
            prop_assert!(t.paths >= 1);
        }
    }

    #[test]
    fn explain_never_panics_on_random_rulesets(rs in random_ruleset(), p in packet(Family::Ipv4)) {
        let t = explain(&rs, &p, &docker_host()).unwrap();
        prop_assert!(t.paths >= 1 && t.paths <= crate::eval::MAX_PATHS);
        // The reported path never assumed an undecidable rule matched.
        prop_assert!(t.unknowns.iter().all(|u| !u.reason.is_empty()));
        let _ = audit(&rs, &docker_host());
    }
}
