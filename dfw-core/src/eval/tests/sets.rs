//! `-m set` in the evaluator: membership from the host's set contents, unknown without them,
//! and the audit's "everyone except the members of a set".

use crate::eval::{audit, explain, Host, Packet, Reach, SetContents, SourceSet, Verdict};
use crate::model::matches::SetName;
use crate::model::{Family, Ruleset, TableName};

use super::hosts::docker_host;
use super::rules::{fixture, insert, net, ruleset};

fn blocked(extra: &[&str]) -> Ruleset {
    let mut rs = ruleset(Family::Ipv4, &fixture("docker-29.v4"));
    let mut rules = vec![
        "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
        "-i eth0 -m set --match-set blk src -j DROP",
    ];
    rules.extend_from_slice(extra);
    for (i, r) in rules.iter().enumerate() {
        insert(&mut rs, TableName::Filter, "DOCKER-USER", i, r);
    }
    rs
}

fn host_with(members: &[&str]) -> Host {
    let mut h = docker_host();
    h.sets.insert(
        SetName::new("blk").unwrap(),
        SetContents::Nets {
            family: Family::Ipv4,
            members: members.iter().map(|m| net(m)).collect(),
        },
    );
    h
}

fn syn(src: &str) -> Packet {
    let host = docker_host();
    let dst = host.iface("eth0").unwrap().addrs[0].0;
    Packet::tcp_syn("eth0", src.parse().unwrap(), dst, 8080)
}

#[test]
fn membership_decides_and_unknown_sets_say_so() {
    let rs = blocked(&[]);
    let h = host_with(&["192.0.2.0/24", "198.51.100.7/32"]);
    let t = explain(&rs, &syn("192.0.2.5"), &h).unwrap();
    assert_eq!(t.verdict, Verdict::Drop);
    let t = explain(&rs, &syn("198.51.100.8"), &h).unwrap();
    assert_eq!(t.verdict, Verdict::Accept);
    // Without the set's contents the verdict is unknown, never guessed.
    let t = explain(&rs, &syn("192.0.2.5"), &docker_host()).unwrap();
    match t.verdict {
        Verdict::Unknown(u) => assert!(u.reason.contains("set blk"), "{}", u.reason),
        v => panic!("{v:?}"),
    }
}

#[test]
fn audit_names_the_set_and_its_size() {
    let members: Vec<String> = (0..300)
        .map(|i| format!("10.{}.{}.0/24", i / 250, i % 250))
        .collect();
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    let a = audit(&blocked(&[]), &host_with(&refs));
    let reach = &a.published[0].exposure[0].reach;
    assert_eq!(
        reach,
        &Reach::EveryoneExcept(vec![SourceSet::IpSet {
            name: SetName::new("blk").unwrap(),
            members: 300
        }])
    );
}
