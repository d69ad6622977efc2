//! Explain on the Docker fixtures (Docker 27 and 29, both families), then with DOCKER-USER
//! policies: published ports are open to everyone until DOCKER-USER filters them.

use crate::eval::{
    explain, Decision, Entry, MatchResult, Packet, RouteDecision, RuleRef, Step, Trace, Verdict,
};
use crate::model::target::{Reject, RejectV4};
use crate::model::{Family, Policy, Ruleset, TableName};

use super::hosts::{docker_host, ip, ETH0_V4, ETH0_V6};
use super::rules::{fixture, insert, ruleset};

fn v4(name: &str) -> Ruleset {
    ruleset(Family::Ipv4, &fixture(name))
}

fn at(table: TableName, chain: &str, number: usize) -> RuleRef {
    RuleRef {
        table: table.into(),
        chain: chain.into(),
        number,
    }
}

fn tcp(rs: &Ruleset, src: &str, dst: &str, port: u16) -> Trace {
    explain(
        rs,
        &Packet::tcp_syn("eth0", ip(src), ip(dst), port),
        &docker_host(),
    )
    .unwrap()
}

/// The (table, chain, number, matched) of every rule step, in order.
fn rules_met(t: &Trace) -> Vec<(TableName, String, usize, bool)> {
    t.steps
        .iter()
        .filter_map(|s| match s {
            Step::Rule { at, result, .. } => Some((
                at.table.xt().expect("an iptables table"),
                at.chain.clone(),
                at.number,
                *result == MatchResult::Matched,
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn docker27_published_port_is_open_to_everyone() {
    let t = tcp(&v4("docker-27.v4"), "203.0.113.5", ETH0_V4, 8080);
    assert_eq!(t.verdict, Verdict::Accept);
    let dnat = t.dnat.clone().unwrap();
    assert_eq!(dnat.rule, at(TableName::Nat, "DOCKER", 2));
    assert_eq!((dnat.dst, dnat.port), (ip("172.17.0.2"), Some(80)));
    assert_eq!(t.route, Some(RouteDecision::Forward("docker0".into())));
    assert_eq!(
        t.decided_by,
        Some(Decision::Rule(at(TableName::Filter, "DOCKER", 1)))
    );
    assert_eq!(t.paths, 1);
    let (n, f) = (TableName::Nat, TableName::Filter);
    let s = |c: &str| c.to_string();
    assert_eq!(
        rules_met(&t),
        vec![
            (n, s("PREROUTING"), 1, true),
            (n, s("DOCKER"), 1, false),
            (n, s("DOCKER"), 2, true),
            (f, s("FORWARD"), 1, true),
            (f, s("DOCKER-USER"), 1, true),
            (f, s("FORWARD"), 2, true),
            (f, s("DOCKER-ISOLATION-STAGE-1"), 1, false),
            (f, s("DOCKER-ISOLATION-STAGE-1"), 2, true),
            (f, s("FORWARD"), 3, false),
            (f, s("FORWARD"), 4, true),
            (f, s("DOCKER"), 1, true),
            // nat POSTROUTING: MASQUERADE only for container sources.
            (n, s("POSTROUTING"), 1, false),
            (n, s("POSTROUTING"), 2, false),
            (n, s("POSTROUTING"), 3, false),
        ]
    );
    // Returns from DOCKER-USER and the isolation chain are visible.
    let returns = t
        .steps
        .iter()
        .filter(|s| {
            matches!(
                s,
                Step::Enter {
                    how: Entry::Return,
                    ..
                }
            )
        })
        .count();
    assert_eq!(returns, 2);
}

#[test]
fn unpublished_port_goes_to_input() {
    let t = tcp(&v4("docker-27.v4"), "203.0.113.5", ETH0_V4, 9999);
    assert_eq!(t.verdict, Verdict::Accept);
    assert_eq!(t.dnat, None);
    assert_eq!(t.route, Some(RouteDecision::Local));
    assert_eq!(
        t.decided_by,
        Some(Decision::Policy {
            table: TableName::Filter.into(),
            chain: "INPUT".into(),
            policy: Policy::Accept
        })
    );
}

#[test]
fn direct_routing_to_a_container_open_in_27_dropped_by_raw_in_29() {
    let t = tcp(&v4("docker-27.v4"), "203.0.113.5", "172.17.0.2", 80);
    assert_eq!(t.verdict, Verdict::Accept);
    assert_eq!(t.dnat, None);
    let t = tcp(&v4("docker-29.v4"), "203.0.113.5", "172.17.0.2", 80);
    assert_eq!(t.verdict, Verdict::Drop);
    assert_eq!(
        t.decided_by,
        Some(Decision::Rule(at(TableName::Raw, "PREROUTING", 1)))
    );
    // An unpublished host port is not DNATed: it goes to INPUT.
    let t = tcp(&v4("docker-29.v4"), "203.0.113.5", ETH0_V4, 5433);
    assert_eq!(t.route, Some(RouteDecision::Local));
}

#[test]
fn docker29_publishes_tcp_and_udp() {
    let rs = v4("docker-29.v4");
    let t = tcp(&rs, "203.0.113.5", ETH0_V4, 5432);
    assert_eq!(t.verdict, Verdict::Accept);
    assert_eq!(
        t.decided_by,
        Some(Decision::Rule(at(TableName::Filter, "DOCKER", 2)))
    );
    let p = Packet::udp("eth0", ip("203.0.113.5"), ip(ETH0_V4), 5353);
    let t = explain(&rs, &p, &docker_host()).unwrap();
    assert_eq!(t.verdict, Verdict::Accept);
    assert_eq!(t.dnat.unwrap().port, Some(53));
    // Container-originated traffic leaving through eth0 is accepted by DOCKER-FORWARD.
    let p = Packet::tcp_syn("docker0", ip("172.17.0.2"), ip("203.0.113.5"), 443);
    let t = explain(&rs, &p, &docker_host()).unwrap();
    assert_eq!(t.verdict, Verdict::Accept);
    assert_eq!(
        t.decided_by,
        Some(Decision::Rule(at(TableName::Filter, "DOCKER-FORWARD", 4)))
    );
}

/// DOCKER-USER policy: replies pass; 198.51.100.0/24 may reach everything; host port 8080 is
/// public (matched on the original destination port); everything else from eth0 is refused.
fn with_policy(mut rs: Ruleset) -> Ruleset {
    let rules = [
        "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
        "-i eth0 -s 198.51.100.0/24 -j RETURN",
        "-i eth0 -p tcp -m conntrack --ctorigdstport 8080 -j RETURN",
        "-i eth0 -j REJECT --reject-with icmp-port-unreachable",
    ];
    for (i, r) in rules.iter().enumerate() {
        insert(&mut rs, TableName::Filter, "DOCKER-USER", i, r);
    }
    rs
}

#[test]
fn docker_user_policy_changes_verdicts() {
    for name in ["docker-27.v4", "docker-29.v4"] {
        let rs = with_policy(v4(name));
        let t = tcp(&rs, "203.0.113.5", ETH0_V4, 8080);
        assert_eq!(t.verdict, Verdict::Accept, "{name}");
        let t = tcp(&rs, "203.0.113.5", ETH0_V4, 5432);
        assert_eq!(
            t.verdict,
            Verdict::Reject(Reject::V4(RejectV4::PortUnreachable)),
            "{name}"
        );
        assert_eq!(
            t.decided_by,
            Some(Decision::Rule(at(TableName::Filter, "DOCKER-USER", 4)))
        );
        let t = tcp(&rs, "198.51.100.7", ETH0_V4, 5432);
        assert_eq!(t.verdict, Verdict::Accept, "{name}");
        // The host's own ports (INPUT) are not affected by DOCKER-USER.
        let t = tcp(&rs, "203.0.113.5", ETH0_V4, 22);
        assert_eq!(t.verdict, Verdict::Accept, "{name}");
    }
}

#[test]
fn docker_user_sees_the_container_port_not_the_host_port() {
    let mut rs = v4("docker-29.v4");
    insert(
        &mut rs,
        TableName::Filter,
        "DOCKER-USER",
        0,
        "-i eth0 -p tcp -m tcp --dport 8080 -j DROP",
    );
    assert_eq!(
        tcp(&rs, "203.0.113.5", ETH0_V4, 8080).verdict,
        Verdict::Accept
    );
    insert(
        &mut rs,
        TableName::Filter,
        "DOCKER-USER",
        0,
        "-i eth0 -p tcp -m tcp --dport 80 -j DROP",
    );
    assert_eq!(
        tcp(&rs, "203.0.113.5", ETH0_V4, 8080).verdict,
        Verdict::Drop
    );
}

#[test]
fn ipv6_dnat_skips_link_local_sources() {
    let rs = ruleset(Family::Ipv6, &fixture("docker-29.v6"));
    let t = tcp(&rs, "2001:db8:1::5", ETH0_V6, 8080);
    assert_eq!(t.verdict, Verdict::Accept);
    let d = t.dnat.unwrap();
    assert_eq!((d.dst, d.port), (ip("fd00:dead:beef::2"), Some(80)));
    let t = tcp(&rs, "fe80::1234", ETH0_V6, 8080);
    assert_eq!(t.dnat, None);
    assert_eq!(t.route, Some(RouteDecision::Local));
    // Routing straight to the container address is dropped in raw.
    let t = tcp(&rs, "2001:db8:1::5", "fd00:dead:beef::2", 80);
    assert_eq!(t.verdict, Verdict::Drop);
}

#[test]
fn family_mismatch_is_an_error() {
    let rs = v4("docker-29.v4");
    let p = Packet::tcp_syn("eth0", ip("2001:db8::1"), ip(ETH0_V6), 80);
    assert!(explain(&rs, &p, &docker_host()).is_err());
    let p = Packet::tcp_syn("eth0", ip("192.0.2.1"), ip(ETH0_V6), 80);
    assert!(explain(&rs, &p, &docker_host()).is_err());
}
