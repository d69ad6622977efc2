//! Tests of `segment`: the shape of a spread body, and the evaluator's verdict for many packets
//! against the body in one chain and spread (both targets of "allowed", both families); and the
//! compiler spreading a long whitelist.

use std::net::IpAddr;

use super::compiled::{DfwJump, FamilyRules};
use super::segment::{segment, SEGMENT_RULES};
use crate::eval::{explain, Host, HostIface, IfaceKind, Packet, Route, Verdict};
use crate::model::{ChainName, Family, Iface, Network, Rule, Target};
use crate::policy::Policy;
use crate::syntax::parse_rule;

fn name(s: &str) -> ChainName {
    ChainName::new(s).unwrap()
}

fn rule(family: Family, spec: &str) -> Rule {
    parse_rule(family, spec).unwrap()
}

/// A body of `n` rules with target `ok` (nested and overlapping sources, rules without a
/// source or with a negated one), then DROP.
fn body(family: Family, n: usize, ok: &str) -> Vec<Rule> {
    let src = |i: usize| match (family, i % 7) {
        (Family::Ipv4, 0) => format!("10.{}.0.0/16", i % 5),
        (Family::Ipv4, 1) => format!("10.{}.{}.0/24", i % 5, i % 11),
        (Family::Ipv4, 2) if i < 40 => "10.0.0.0/8".to_string(),
        (Family::Ipv4, _) => format!("10.{}.{}.{}/32", i % 5, i % 11, i % 13),
        (Family::Ipv6, 0) => format!("2001:db8:{:x}::/48", i % 5),
        (Family::Ipv6, 1) => format!("2001:db8:{:x}:{:x}::/64", i % 5, i % 11),
        (Family::Ipv6, 2) if i < 40 => "2001:db8::/32".to_string(),
        (Family::Ipv6, _) => format!("2001:db8:{:x}:{:x}::{:x}/128", i % 5, i % 11, i % 13),
    };
    let mut out = vec![rule(
        family,
        &format!("-m conntrack --ctstate RELATED,ESTABLISHED -j {ok}"),
    )];
    for i in 0..n {
        let spec = match i % 10 {
            0 => format!("-p tcp -m tcp --dport {} -j {ok}", 2000 + i),
            1 => format!("! -s {} -p tcp -m tcp --dport {} -j {ok}", src(i), 3000 + i),
            _ => format!(
                "-s {} -p tcp -m tcp --dport {} -j {ok}",
                src(i),
                1000 + i % 17
            ),
        };
        out.push(rule(family, &spec));
    }
    out.push(rule(family, "-j DROP"));
    out
}

fn host() -> Host {
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    Host {
        ifaces: vec![HostIface {
            name: "eth0".into(),
            kind: IfaceKind::External,
            addrs: vec![(ip("192.0.2.1"), 24), (ip("2001:db8:ffff::1"), 64)],
        }],
        routes: vec![
            Route {
                dest: Network::with_prefix(ip("0.0.0.0"), 0).unwrap(),
                iface: "eth0".into(),
            },
            Route {
                dest: Network::with_prefix(ip("::"), 0).unwrap(),
                iface: "eth0".into(),
            },
        ],
        forwarding: false,
        mark_rules: None,
        sets: Default::default(),
    }
}

/// INPUT -> DFW-INPUT -> (-i eth0) DFW-INPUT-EXT and `chains` (its body, maybe spread).
fn ruleset(family: Family, chains: Vec<(ChainName, Vec<Rule>)>) -> crate::model::Ruleset {
    let mut all = vec![(
        name("DFW-INPUT"),
        vec![rule(family, "-i eth0 -j DFW-INPUT-EXT")],
    )];
    all.extend(chains);
    let rules = FamilyRules {
        family,
        chains: all,
        jumps: vec![DfwJump {
            chain: name("INPUT"),
            rule: rule(family, "-m comment --comment dfw -j DFW-INPUT"),
        }],
    };
    rules.to_ruleset().unwrap()
}

/// Sources worth probing: each rule's network address, its neighbours, and others.
fn sources(family: Family, body: &[Rule]) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::new();
    for r in body {
        if let Some(s) = &r.header.src {
            let a = s.value.addr();
            out.push(a);
            out.push(match a {
                IpAddr::V4(v) => IpAddr::V4((u32::from(v).wrapping_add(1)).into()),
                IpAddr::V6(v) => IpAddr::V6((u128::from(v).wrapping_add(1)).into()),
            });
        }
    }
    out.push(match family {
        Family::Ipv4 => "198.51.100.7".parse().unwrap(),
        Family::Ipv6 => "2001:db8:ffee::7".parse().unwrap(),
    });
    out.sort();
    out.dedup();
    out
}

fn same_verdicts(family: Family, ok: &str, n: usize, limit: usize) {
    let b = body(family, n, ok);
    let spread = segment(name("DFW-INPUT-EXT"), b.clone(), limit);
    assert!(
        spread.len() > 2,
        "{family}: spread over {} chains",
        spread.len()
    );
    for (c, rules) in &spread[1..] {
        assert!(rules.len() <= limit + 1, "{c}: {} rules", rules.len());
        assert_eq!(rules.last(), b.last(), "{c} ends with the default");
    }
    let kept: usize = spread.iter().map(|(_, r)| r.len()).sum::<usize>()
        - spread.len()
        - spread[0]
            .1
            .iter()
            .filter(|r| matches!(r.target, Some(Target::Goto(_))))
            .count();
    assert_eq!(kept, b.len() - 1, "every rule but the default exactly once");
    let one = ruleset(family, vec![(name("DFW-INPUT-EXT"), b.clone())]);
    let many = ruleset(family, spread);
    let h = host();
    let dst = match family {
        Family::Ipv4 => "192.0.2.1".parse().unwrap(),
        Family::Ipv6 => "2001:db8:ffff::1".parse().unwrap(),
    };
    let mut accepted = 0;
    for src in sources(family, &b) {
        for dport in [1003, 1016, 2010, 3001] {
            let p = Packet::tcp_syn("eth0", src, dst, dport);
            let a = explain(&one, &p, &h).unwrap().verdict;
            let z = explain(&many, &p, &h).unwrap().verdict;
            assert_eq!(a, z, "{family} {ok}: {src} -> {dport}");
            accepted += usize::from(a == Verdict::Accept);
        }
    }
    assert!(accepted > 0, "some probes are accepted");
}

#[test]
fn a_spread_body_gives_every_packet_the_same_verdict() {
    for family in Family::ALL {
        for ok in ["ACCEPT", "RETURN"] {
            same_verdicts(family, ok, 350, 25);
        }
    }
}

#[test]
fn short_or_mixed_bodies_stay_whole() {
    let b = body(Family::Ipv4, 20, "ACCEPT");
    assert_eq!(
        segment(name("X"), b.clone(), 100),
        vec![(name("X"), b.clone())]
    );
    let mut mixed = b;
    mixed.insert(5, rule(Family::Ipv4, "-s 10.1.2.3/32 -j DROP"));
    assert_eq!(
        segment(name("X"), mixed.clone(), 4),
        vec![(name("X"), mixed)]
    );
}

#[test]
fn many_rules_on_one_source_stay_in_one_chain() {
    let mut b = vec![rule(Family::Ipv4, "-p udp -j ACCEPT")];
    for i in 0..50 {
        let spec = format!(
            "-s 203.0.113.7/32 -p tcp -m tcp --dport {} -j ACCEPT",
            1000 + i
        );
        b.push(rule(Family::Ipv4, &spec));
    }
    b.push(rule(Family::Ipv4, "-j DROP"));
    let spread = segment(name("X"), b, 8);
    assert_eq!(spread.len(), 2);
    assert_eq!(spread[1].1.len(), 51);
    assert_eq!(spread[0].1.len(), 3, "udp rule, one dispatch, default");
}

#[test]
fn the_compiler_spreads_a_long_whitelist_and_keeps_short_ones_whole() {
    let ext = [Iface::parse("eth0").unwrap()];
    let toml = |n: usize| {
        let mut t = String::from("[policy]\nhost = true\n[whitelist]\nsources = [");
        for i in 0..n {
            t.push_str(&format!(
                "\"10.{}.{}.{}\",",
                i >> 16,
                (i >> 8) & 0xff,
                i & 0xff
            ));
        }
        t.push_str("]\n");
        t
    };
    let short = Policy::from_toml(&toml(10), "t.toml")
        .unwrap()
        .compile(&ext);
    assert!(short
        .v4
        .chains
        .iter()
        .all(|(c, _)| !c.as_str().contains('.')));
    let n = SEGMENT_RULES * 5 / 2;
    let long = Policy::from_toml(&toml(n), "t.toml").unwrap().compile(&ext);
    for top in ["DFW-DOCKER-EXT", "DFW-INPUT-EXT"] {
        let parts: Vec<_> = long
            .v4
            .chains
            .iter()
            .filter(|(c, _)| c.as_str().starts_with(&format!("{top}.")))
            .collect();
        assert!(parts.len() >= 3, "{top}: {} parts", parts.len());
        assert!(parts.iter().all(|(_, r)| r.len() <= SEGMENT_RULES + 1));
        let top_rules = long.v4.chain(top).unwrap();
        assert!(top_rules.len() < 20, "{top}: {} rules", top_rules.len());
    }
    assert!(long.v4.to_ruleset().is_ok());
    assert!(long
        .v6
        .chains
        .iter()
        .all(|(c, _)| !c.as_str().contains('.')));
}
