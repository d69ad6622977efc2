//! Rules dfw cannot decode ([`Target::Opaque`]): only the verdicts they can change are
//! unknown, naming the rule; every other verdict stays as certain as without them.

use crate::eval::{audit, explain, Packet, Reach, RuleRef, Trace, Verdict};
use crate::model::target::Opaque;
use crate::model::{ChainName, Family, Iface, Neg, Rule, RuleHeader, Ruleset, TableName, Target};

use super::hosts::{docker_host, ip, ETH0_V4};
use super::rules::{fixture, insert, ruleset};

/// A rule dfw cannot decode, with what is known of its header.
fn opaque(header: RuleHeader) -> Rule {
    Rule {
        header,
        target: Some(Target::Opaque(Opaque {
            reason: "xt match string".into(),
        })),
        ..Rule::default()
    }
}

fn put(rs: &mut Ruleset, table: TableName, chain: &str, index: usize, rule: Rule) {
    rs.table_mut(table)
        .unwrap()
        .insert_rule(chain, index, rule)
        .unwrap();
}

/// Docker 29 with a policy as dfw writes it (DOCKER-USER jumps to POL: replies,
/// 198.51.100.0/24 and port 8080 return, the rest from eth0 is refused), then a neighbour's
/// opaque rule below the jump.
fn docker_with_neighbour() -> Ruleset {
    let mut rs = ruleset(Family::Ipv4, &fixture("docker-29.v4"));
    rs.table_mut(TableName::Filter)
        .unwrap()
        .add_user_chain(ChainName::new("POL").unwrap())
        .unwrap();
    insert(&mut rs, TableName::Filter, "DOCKER-USER", 0, "-j POL");
    for (i, r) in [
        "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
        "-i eth0 -s 198.51.100.0/24 -j RETURN",
        "-i eth0 -p tcp -m conntrack --ctorigdstport 8080 -j RETURN",
        "-i eth0 -j REJECT --reject-with icmp-port-unreachable",
    ]
    .iter()
    .enumerate()
    {
        insert(&mut rs, TableName::Filter, "POL", i, r);
    }
    put(
        &mut rs,
        TableName::Filter,
        "DOCKER-USER",
        1,
        opaque(RuleHeader::default()),
    );
    rs
}

fn tcp(rs: &Ruleset, src: &str, port: u16) -> Trace {
    let p = Packet::tcp_syn("eth0", ip(src), ip(ETH0_V4), port);
    explain(rs, &p, &docker_host()).unwrap()
}

fn at(chain: &str, number: usize) -> RuleRef {
    RuleRef {
        table: TableName::Filter,
        chain: chain.into(),
        number,
    }
}

#[test]
fn a_verdict_decided_before_the_opaque_rule_stays_certain() {
    let rs = docker_with_neighbour();
    // Refused by dfw's REJECT before the neighbour's rule is ever met.
    let t = tcp(&rs, "203.0.113.5", 5432);
    assert!(matches!(t.verdict, Verdict::Reject(_)), "{:?}", t.verdict);
    // Not forwarded at all (INPUT): DOCKER-USER is not on the path.
    let t = tcp(&rs, "203.0.113.5", 9999);
    assert_eq!(t.verdict, Verdict::Accept);
}

#[test]
fn a_packet_reaching_the_opaque_rule_gets_an_unknown_verdict_naming_it() {
    let rs = docker_with_neighbour();
    for (src, port) in [("203.0.113.5", 8080), ("198.51.100.7", 5432)] {
        let t = tcp(&rs, src, port);
        let Verdict::Unknown(u) = &t.verdict else {
            panic!("{src}:{port}: {:?}", t.verdict)
        };
        assert_eq!(u.rule, Some(at("DOCKER-USER", 2)), "{src}:{port}");
        assert!(u.reason.contains("xt match string"), "{}", u.reason);
    }
}

#[test]
fn an_opaque_rule_whose_known_header_excludes_the_packet_is_passed_by() {
    let mut rs = ruleset(Family::Ipv4, &fixture("docker-29.v4"));
    let on_wg0 = RuleHeader {
        in_iface: Some(Neg {
            value: Iface::parse("wg0").unwrap(),
            negated: false,
        }),
        ..RuleHeader::default()
    };
    put(&mut rs, TableName::Filter, "DOCKER-USER", 0, opaque(on_wg0));
    let t = tcp(&rs, "203.0.113.5", 8080);
    assert_eq!(t.verdict, Verdict::Accept);
    let p = Packet::tcp_syn("wg0", ip("203.0.113.5"), ip(ETH0_V4), 8080);
    let t = explain(&rs, &p, &docker_host()).unwrap();
    assert!(matches!(t.verdict, Verdict::Unknown(_)), "{:?}", t.verdict);
}

#[test]
fn the_audit_is_unknown_only_where_the_opaque_rule_can_change_the_verdict() {
    let rs = docker_with_neighbour();
    let a = audit(&rs, &docker_host());
    let mut unknown = 0;
    for p in &a.published {
        for e in &p.exposure {
            match &e.reach {
                Reach::Unknown(u) => {
                    unknown += 1;
                    assert_eq!(u.rule, Some(at("DOCKER-USER", 2)), "{:?}", p.rule);
                }
                // Everyone the policy refuses is refused with certainty: the port is
                // reachable from the listed sources at most.
                Reach::Nobody | Reach::Sources(_) | Reach::LanOnly => {}
                other => panic!("{:?}: {other:?}", p.rule),
            }
        }
    }
    assert!(unknown > 0);
    // Without the neighbour's rule the same audit knows everything.
    let mut clean = docker_with_neighbour();
    clean
        .table_mut(TableName::Filter)
        .unwrap()
        .chain_mut("DOCKER-USER")
        .unwrap()
        .rules
        .remove(1);
    let a = audit(&clean, &docker_host());
    assert!(a
        .published
        .iter()
        .flat_map(|p| &p.exposure)
        .all(|e| !matches!(e.reach, Reach::Unknown(_))));
}
