//! Root only, `#[ignore]`d: compares explain's verdicts with real connections on a simulated
//! Docker host in private network namespaces (`dfwtest-ev-*`, deleted afterwards).
//!
//! Run: `cargo test -p dfw-core kernel_ -- --ignored --test-threads 1` as root (about 100 s).
//! IPv6 uses the same topology with 2001:db8::10/64, fd00:dead:beef::/64 and client sources
//! 2001:db8::20, 2001:db8:1::5 and fe80::5 (which Docker's `! -s fe80::/10` DNAT skips).
//! Topology: namespace `host` with `eth0` (192.0.2.10/24, veth to `cli`) and bridge `docker0`
//! (172.17.0.1/16, veth to `ctr` holding 172.17.0.2 and 172.17.0.3 with listeners on 80 and
//! 5432); `cli` holds 192.0.2.20/24, 203.0.113.5 and 198.51.100.7 and connects from each. The
//! host listens on 1, 22, 8080 and 9999. A connection that succeeds must be ACCEPT, one
//! refused must be REJECT, one that times out must be DROP. Every audit probe whose source
//! routes via eth0 is also connected for real (its address added to `cli`).

use crate::eval::{audit, explain, Packet, Verdict};
use crate::model::{Family, Protocol, Ruleset, TableName};

use super::hosts::{docker_host, ip};
use super::kernel_lab::{connect, diag, lab, load, sh, CLI};
use super::rules::{fixture, insert, ruleset};

fn expected(v: &Verdict) -> &'static str {
    match v {
        Verdict::Accept => "connected",
        Verdict::Reject(_) => "refused",
        Verdict::Drop => "timeout",
        Verdict::Unknown(_) => "unknown",
    }
}

type Policy = Vec<(TableName, &'static str, &'static str)>;

/// DOCKER-USER rules random policies draw from.
const USER_POOL: &[&str] = &[
    "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
    "-i eth0 -s 198.51.100.0/24 -j RETURN",
    "-i eth0 -s 203.0.113.0/25 -j DROP",
    "-i eth0 -p tcp -m conntrack --ctorigdstport 8080 -j RETURN",
    "-i eth0 -p tcp -m conntrack --ctorigdstport 5432 -j REJECT",
    "-i eth0 -p tcp -m tcp --dport 80 -j DROP",
    "-i eth0 -m iprange --src-range 192.0.2.1-192.0.2.50 -j RETURN",
    "-i eth0 -p tcp -m multiport --dports 80,5432 -j REJECT --reject-with tcp-reset",
    "-i eth0 -m conntrack --ctorigsrc 203.0.113.0/24 --ctstate NEW,DNAT -j LOG",
    "-i eth0 -j DROP",
    "-i eth0 -j REJECT",
    "-i eth0 -m conntrack --ctorigdst 192.0.2.10 -g GATE",
    "-i eth+ ! -s 192.0.2.0/24 -p tcp -m tcp --dport 5432 -j DROP",
];

/// INPUT rules random policies draw from.
const INPUT_POOL: &[&str] = &[
    "-s 198.51.100.0/24 -p tcp -m tcp --dport 22 -j ACCEPT",
    "-i eth0 -p tcp -m multiport --dports 22,9999 -j DROP",
    "-i eth0 -p tcp -m tcp --dport 9999 -j REJECT",
    "-m addrtype --dst-type LOCAL -p tcp -m iprange --src-range 203.0.113.1-203.0.113.9 -j REJECT",
];

/// `n` random IPv4 policies (deterministic for a seed): 1 to 5 DOCKER-USER rules, 0 to 2 INPUT
/// rules, and the chain GATE (`-s 192.0.2.0/24 -j RETURN`, `-j DROP`) some rules go to.
fn random_policies_v4(n: usize, seed: u64) -> Vec<Policy> {
    let f = TableName::Filter;
    let mut x = seed;
    let mut next = |m: usize| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) as usize) % m
    };
    (0..n)
        .map(|_| {
            let mut p: Policy = vec![
                (f, "GATE", "-s 192.0.2.0/24 -j RETURN"),
                (f, "GATE", "-j DROP"),
            ];
            for _ in 0..1 + next(5) {
                p.push((f, "DOCKER-USER", USER_POOL[next(USER_POOL.len())]));
            }
            for _ in 0..next(3) {
                p.push((f, "INPUT", INPUT_POOL[next(INPUT_POOL.len())]));
            }
            p
        })
        .collect()
}

/// IPv6 policies added to the fixture: (table, chain, rule).
fn policies_v6() -> Vec<Policy> {
    let f = TableName::Filter;
    vec![
        vec![],
        vec![
            (f, "DOCKER-USER", "-i eth0 -s 2001:db8:1::/48 -j RETURN"),
            (f, "DOCKER-USER", "-i eth0 -j REJECT"),
        ],
        vec![
            (
                f,
                "INPUT",
                "-s fe80::/10 -p tcp -m tcp --dport 8080 -j DROP",
            ),
            (
                f,
                "INPUT",
                "-i eth0 -p tcp -m tcp --dport 22 -j REJECT --reject-with tcp-reset",
            ),
        ],
    ]
}

/// IPv4 policies added to the fixture: (table, chain, rule).
fn policies_v4() -> Vec<Policy> {
    let f = TableName::Filter;
    vec![
        vec![],
        vec![
            (
                f,
                "DOCKER-USER",
                "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
            ),
            (f, "DOCKER-USER", "-i eth0 -s 198.51.100.0/24 -j RETURN"),
            (
                f,
                "DOCKER-USER",
                "-i eth0 -p tcp -m conntrack --ctorigdstport 8080 -j RETURN",
            ),
            (
                f,
                "DOCKER-USER",
                "-i eth0 -j REJECT --reject-with icmp-port-unreachable",
            ),
        ],
        vec![
            (f, "DOCKER-USER", "-i eth0 -p tcp -m tcp --dport 80 -j DROP"),
            (
                f,
                "INPUT",
                "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            ),
            (
                f,
                "INPUT",
                "-s 198.51.100.0/24 -p tcp -m tcp --dport 22 -j ACCEPT",
            ),
            (
                f,
                "INPUT",
                "-i eth0 -p tcp -m multiport --dports 22,9999 -j DROP",
            ),
        ],
        vec![
            (f, "DOCKER-USER", "-i eth0 -s 192.0.2.0/24 -g LANONLY"),
            (f, "DOCKER-USER", "-i eth0 -j DROP"),
            (
                f,
                "LANONLY",
                "-p tcp -m conntrack --ctorigdstport 5432 -j REJECT",
            ),
        ],
    ]
}

fn with(base: &Ruleset, rules: &[(TableName, &'static str, &'static str)]) -> Ruleset {
    let mut rs = base.clone();
    for (t, chain, _) in rules {
        if rs.table(*t).unwrap().chain(chain).is_none() {
            let name = crate::model::ChainName::new(chain).unwrap();
            rs.table_mut(*t).unwrap().add_user_chain(name).unwrap();
        }
    }
    let mut count = std::collections::HashMap::new();
    for (t, chain, r) in rules {
        let n = count.entry((*t, *chain)).or_insert(0usize);
        insert(&mut rs, *t, chain, *n, r);
        *n += 1;
    }
    rs
}

/// The policy as iptables-restore `--noflush` input (new chains declared, rules inserted).
fn policy_text(rules: &[(TableName, &str, &str)], base_text: &str) -> String {
    let mut text = String::new();
    let mut per_table: Vec<(TableName, Vec<String>)> = Vec::new();
    let mut count = std::collections::HashMap::new();
    for (t, chain, r) in rules {
        let n = count.entry((*t, *chain)).or_insert(0usize);
        *n += 1;
        let line = format!("-I {chain} {n} {r}");
        match per_table.iter_mut().find(|(x, _)| x == t) {
            Some((_, v)) => v.push(line),
            None => per_table.push((*t, vec![line])),
        }
    }
    for (t, lines) in per_table {
        text.push_str(&format!("*{}\n", t.as_str()));
        let mut made = Vec::new();
        for (tt, chain, _) in rules {
            if *tt == t && !base_text.contains(&format!(":{chain} ")) && !made.contains(chain) {
                text.push_str(&format!(":{chain} - [0:0]\n"));
                made.push(*chain);
            }
        }
        for l in lines {
            text.push_str(&l);
            text.push('\n');
        }
        text.push_str("COMMIT\n");
    }
    text
}

/// Loads every fixture with every policy and compares explain with each probe's outcome;
/// returns the outcomes seen.
fn run(
    family: Family,
    names: &[&str],
    policies: &[Policy],
    dst: &str,
    srcs: &[&str],
    ports: &[u16],
) -> Vec<String> {
    let probes: Vec<(&str, u16)> = srcs
        .iter()
        .flat_map(|s| ports.iter().map(move |p| (*s, *p)))
        .collect();
    let mut seen = Vec::new();
    for name in names {
        let text = fixture(name);
        let base = ruleset(family, &text);
        for policy in policies {
            let rs = with(&base, policy);
            load(family, &text, false);
            load(family, &policy_text(policy, &text), true);
            let got = connect(dst, &probes);
            assert_eq!(got.len(), probes.len(), "client output");
            for ((src, port), real) in probes.iter().zip(&got) {
                let src = src.split('%').next().unwrap_or(src);
                let p = Packet::tcp_syn("eth0", ip(src), ip(dst), *port);
                let t = explain(&rs, &p, &docker_host()).unwrap();
                if expected(&t.verdict) != real {
                    diag(family);
                }
                assert_eq!(
                    expected(&t.verdict),
                    real,
                    "{name} {policy:?}: {src} -> {port}: explain says {}",
                    t.verdict
                );
                seen.push(real.clone());
            }
            seen.extend(check_audit(family, &rs, dst, &format!("{name} {policy:?}")));
        }
    }
    seen
}

/// Connects from every audit probe's source routed via eth0 (added to the client) and checks
/// the probe's verdict, and that a probe said to reach its service connects.
fn check_audit(family: Family, rs: &Ruleset, dst: &str, label: &str) -> Vec<String> {
    let host = docker_host();
    let a = audit(rs, &host);
    // The client speaks TCP only.
    let tcp = |p: Option<Protocol>| p.is_none_or(|p| p == Protocol::TCP);
    let services = a
        .published
        .iter()
        .filter(|p| tcp(p.proto))
        .map(|p| (p.host_ports.first().map_or(1, |r| r.lo()), &p.exposure))
        .chain(
            a.host_ports
                .iter()
                .filter(|h| tcp(Some(h.proto)) && [1, 22, 8080, 9999].contains(&h.port))
                .map(|h| (h.port, &h.exposure)),
        );
    let mut probes: Vec<(String, u16, Verdict, Option<bool>)> = Vec::new();
    for (port, exposure) in services {
        for pr in exposure.iter().flat_map(|e| &e.probes) {
            if host.lookup(&pr.addr) == Some("eth0") && host.local_owner(&pr.addr).is_none() {
                // Link-local sources need the interface as scope to bind.
                let scoped = match pr.addr {
                    std::net::IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80 => {
                        format!("{a}%ext0")
                    }
                    a => a.to_string(),
                };
                probes.push((scoped, port, pr.verdict.clone(), pr.reaches));
            }
        }
    }
    let (plen, flag) = match family {
        Family::Ipv4 => ("32", ""),
        Family::Ipv6 => ("128", "nodad"),
    };
    let mut added: Vec<&str> = Vec::new();
    for (src, ..) in &probes {
        let addr = src.split('%').next().unwrap_or(src);
        if !added.contains(&addr) {
            sh(&format!(
                "ip -n {CLI} addr replace {addr}/{plen} dev ext0 {flag}"
            ));
            added.push(addr);
        }
    }
    let list: Vec<(&str, u16)> = probes.iter().map(|(s, p, ..)| (s.as_str(), *p)).collect();
    let got = connect(dst, &list);
    assert_eq!(got.len(), list.len(), "client output");
    for ((src, port, verdict, reaches), real) in probes.iter().zip(&got) {
        assert_eq!(
            expected(verdict),
            real,
            "{label}: audit probe {src} -> {port}: {verdict}"
        );
        if *reaches == Some(true) {
            assert_eq!(real, "connected", "audit probe {src} -> {port}");
        }
    }
    got
}

#[test]
#[ignore = "needs root, iproute2, iptables-nft and python3; creates network namespaces"]
fn kernel_explain_matches_real_connections() {
    let _lab = lab();
    let mut policies = policies_v4();
    policies.extend(random_policies_v4(8, 0x5eed_d0c4));
    let mut seen = run(
        Family::Ipv4,
        &["docker-27.v4", "docker-29.v4"],
        &policies,
        "192.0.2.10",
        &["192.0.2.20", "203.0.113.5", "198.51.100.7"],
        &[8080, 5432, 22, 9999],
    );
    let v6 = run(
        Family::Ipv6,
        &["docker-29.v6"],
        &policies_v6(),
        "2001:db8::10",
        &["2001:db8::20", "2001:db8:1::5", "fe80::5%ext0"],
        &[8080, 22, 9999],
    );
    seen.extend(v6);
    for outcome in ["connected", "refused", "timeout"] {
        let n = seen.iter().filter(|s| *s == outcome).count();
        eprintln!("{outcome}: {n}");
        assert!(n > 0, "no probe ended {outcome}");
    }
}
