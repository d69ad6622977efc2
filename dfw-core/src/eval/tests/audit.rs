//! The audit on the Docker fixtures and with DOCKER-USER policies.

use crate::eval::{audit, Audit, Decision, Reach, RuleRef, SourceSet};
use crate::model::{Family, PortRange, Protocol, Ruleset, TableName};

use super::hosts::docker_host;
use super::rules::{fixture, insert, net, ruleset};

fn v4(name: &str) -> Ruleset {
    ruleset(Family::Ipv4, &fixture(name))
}

fn user(mut rs: Ruleset, rules: &[&str]) -> Ruleset {
    for (i, r) in rules.iter().enumerate() {
        insert(&mut rs, TableName::Filter, "DOCKER-USER", i, r);
    }
    rs
}

/// (host port, protocol, reach on eth0) of every published port.
fn summary(a: &Audit) -> Vec<(u16, Option<Protocol>, Reach)> {
    a.published
        .iter()
        .map(|p| {
            assert_eq!(p.exposure.len(), 1, "one external interface");
            assert_eq!(p.exposure[0].iface, "eth0");
            (p.host_ports[0].lo(), p.proto, p.exposure[0].reach.clone())
        })
        .collect()
}

fn all(reach: Reach, ports: &[(u16, Protocol)]) -> Vec<(u16, Option<Protocol>, Reach)> {
    ports
        .iter()
        .map(|(p, pr)| (*p, Some(*pr), reach.clone()))
        .collect()
}

#[test]
fn docker27_ports_are_open_to_everyone() {
    let a = audit(&v4("docker-27.v4"), &docker_host());
    assert_eq!(a.family, Family::Ipv4);
    assert_eq!(
        summary(&a),
        all(
            Reach::Everyone,
            &[(8080, Protocol::TCP), (5432, Protocol::TCP)]
        )
    );
    let p = &a.published[0];
    assert_eq!(
        p.rule,
        RuleRef {
            table: TableName::Nat.into(),
            chain: "DOCKER".into(),
            number: 2
        }
    );
    assert_eq!(p.host_ports, vec![PortRange::single(8080)]);
    assert_eq!(
        p.exposure[0].decided_by,
        Some(Decision::Rule(RuleRef {
            table: TableName::Filter.into(),
            chain: "DOCKER".into(),
            number: 1
        }))
    );
}

#[test]
fn docker29_ports_are_open_to_everyone() {
    let a = audit(&v4("docker-29.v4"), &docker_host());
    let expected = [
        (8080, Protocol::TCP),
        (5432, Protocol::TCP),
        (5353, Protocol::UDP),
    ];
    assert_eq!(summary(&a), all(Reach::Everyone, &expected));
}

#[test]
fn docker29_v6_port_is_open_except_to_link_local() {
    let a = audit(
        &ruleset(Family::Ipv6, &fixture("docker-29.v6")),
        &docker_host(),
    );
    assert_eq!(
        summary(&a),
        vec![(
            8080,
            Some(Protocol::TCP),
            Reach::EveryoneExcept(vec![SourceSet::Network(net("fe80::/10"))])
        )]
    );
}

#[test]
fn docker_user_whitelist_and_public_port() {
    for name in ["docker-27.v4", "docker-29.v4"] {
        let rs = user(
            v4(name),
            &[
                "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
                "-i eth0 -s 198.51.100.0/24 -j RETURN",
                "-i eth0 -p tcp -m conntrack --ctorigdstport 8080 -j RETURN",
                "-i eth0 -j REJECT",
            ],
        );
        let a = audit(&rs, &docker_host());
        let s = summary(&a);
        assert_eq!(s[0].2, Reach::Everyone, "{name}");
        assert_eq!(
            s[1].2,
            Reach::Sources(vec![SourceSet::Network(net("198.51.100.0/24"))]),
            "{name}"
        );
        assert_eq!(
            a.published[1].exposure[0].decided_by,
            Some(Decision::Rule(RuleRef {
                table: TableName::Filter.into(),
                chain: "DOCKER-USER".into(),
                number: 4
            }))
        );
    }
}

#[test]
fn docker_user_lan_only_nobody_and_possibly() {
    let lan = user(
        v4("docker-29.v4"),
        &["-i eth0 -s 192.0.2.0/24 -j RETURN", "-i eth0 -j DROP"],
    );
    let a = audit(&lan, &docker_host());
    assert!(summary(&a).iter().all(|s| s.2 == Reach::LanOnly));
    let nobody = user(v4("docker-29.v4"), &["-i eth0 -j DROP"]);
    let a = audit(&nobody, &docker_host());
    assert!(summary(&a).iter().all(|s| s.2 == Reach::Nobody));
    // An unknown mark: the DROP applies to some packets, not others. Everyone may reach the
    // ports, depending on DOCKER-USER's first rule.
    let unknown = user(v4("docker-29.v4"), &["-i eth0 -m mark --mark 0x1 -j DROP"]);
    let a = audit(&unknown, &docker_host());
    for s in summary(&a) {
        match &s.2 {
            Reach::Possibly(sets, u) => {
                assert_eq!(sets.first(), Some(&SourceSet::Outside));
                let at = u.rule.as_ref().expect("names the rule");
                assert_eq!((at.chain.as_str(), at.number), ("DOCKER-USER", 1));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn whitelist_by_original_source_and_range() {
    let rs = user(
        v4("docker-29.v4"),
        &[
            "-i eth0 -m conntrack --ctorigsrc 198.51.100.0/24 -j RETURN",
            "-i eth0 -m iprange --src-range 203.0.113.10-203.0.113.20 -j RETURN",
            "-i eth0 -s 198.51.100.128/25 -j DROP",
            "-i eth0 -j DROP",
        ],
    );
    let a = audit(&rs, &docker_host());
    let Reach::Sources(s) = &summary(&a)[0].2 else {
        panic!("{:?}", summary(&a)[0].2)
    };
    assert!(s.contains(&SourceSet::Network(net("198.51.100.0/24"))));
    // The /25 inside the whitelisted /24 is represented by one of its own addresses.
    assert!(s.contains(&SourceSet::Network(net("198.51.100.128/25"))));
    assert!(s.iter().any(|x| matches!(x, SourceSet::Range(_))));
    assert!(!s.contains(&SourceSet::Outside));
}

#[test]
fn host_ports_of_the_input_path() {
    let mut rs = v4("docker-29.v4");
    let rules = [
        "-i lo -j ACCEPT",
        "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-s 192.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT",
        "-p tcp -m multiport --dports 80,443 -j ACCEPT",
        "-i eth0 -j DROP",
    ];
    for (i, r) in rules.iter().enumerate() {
        insert(&mut rs, TableName::Filter, "INPUT", i, r);
    }
    let a = audit(&rs, &docker_host());
    let hp: Vec<(Protocol, u16, bool, Reach)> = a
        .host_ports
        .iter()
        .map(|h| (h.proto, h.port, h.unnamed, h.exposure[0].reach.clone()))
        .collect();
    assert_eq!(
        hp,
        vec![
            (Protocol::TCP, 22, false, Reach::LanOnly),
            (Protocol::TCP, 80, false, Reach::Everyone),
            (Protocol::TCP, 443, false, Reach::Everyone),
            (Protocol::TCP, 1, true, Reach::Nobody),
            (Protocol::UDP, 1, true, Reach::Nobody),
        ]
    );
    // Published ports are not affected by INPUT.
    assert!(summary(&a).iter().all(|s| s.2 == Reach::Everyone));
    // Without INPUT rules, every host port is open.
    let a = audit(&v4("docker-29.v4"), &docker_host());
    assert!(a
        .host_ports
        .iter()
        .all(|h| h.unnamed && h.exposure[0].reach == Reach::Everyone));
}

/// Docker 28.0.1 - 28.2.1: DOCKER-FORWARD with the isolation chains, DOCKER-USER ending in
/// RETURN, raw PREROUTING drops (one container publishing 8080 -> 80).
const DOCKER_28: &str = "*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-BRIDGE - [0:0]
:DOCKER-CT - [0:0]
:DOCKER-FORWARD - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-FORWARD
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER ! -i docker0 -o docker0 -j DROP
-A DOCKER-BRIDGE -o docker0 -j DOCKER
-A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DOCKER-FORWARD -j DOCKER-CT
-A DOCKER-FORWARD -j DOCKER-ISOLATION-STAGE-1
-A DOCKER-FORWARD -j DOCKER-BRIDGE
-A DOCKER-FORWARD -i docker0 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
COMMIT
";

#[test]
fn docker28_layout() {
    let rs = ruleset(Family::Ipv4, DOCKER_28);
    let a = audit(&rs, &docker_host());
    assert_eq!(summary(&a), all(Reach::Everyone, &[(8080, Protocol::TCP)]));
    // Rules inserted before DOCKER-USER's final RETURN.
    let rs2 = user(
        rs.clone(),
        &[
            "-i eth0 -s 203.0.113.0/24 -j DROP",
            "-i eth0 -s 203.0.113.8/29 -j LOG",
        ],
    );
    let a = audit(&rs2, &docker_host());
    assert_eq!(
        summary(&a)[0].2,
        Reach::EveryoneExcept(vec![
            SourceSet::Network(net("203.0.113.0/24")),
            SourceSet::Network(net("203.0.113.8/29")),
        ])
    );
    // A second layout-independent check: the nobody case through a goto.
    let rs3 = ruleset(
        Family::Ipv4,
        &DOCKER_28.replace(
            ":DOCKER-USER - [0:0]\n",
            ":DOCKER-USER - [0:0]\n:BLOCK - [0:0]\n-A BLOCK -j DROP\n",
        ),
    );
    let rs3 = user(rs3, &["-i eth0 -g BLOCK"]);
    let a = audit(&rs3, &docker_host());
    assert_eq!(summary(&a)[0].2, Reach::Nobody);
    assert_eq!(
        a.published[0].exposure[0].decided_by,
        Some(Decision::Rule(RuleRef {
            table: TableName::Filter.into(),
            chain: "BLOCK".into(),
            number: 1
        }))
    );
}
