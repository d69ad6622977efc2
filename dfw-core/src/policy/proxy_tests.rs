//! Unit tests of [`super::proxy`]: the published ports of Docker's DNAT rules and the
//! docker-proxy path of a compiled policy (real layouts: Docker 20.10/26/28 default
//! configuration, IPv4 DNATs only).

use std::borrow::Cow;

use super::*;
use crate::model::{Family, Iface, Rule};
use crate::syntax::{parse_rule, rule_spec};

fn rule(family: Family, spec: &str) -> Rule {
    parse_rule(family, spec).unwrap_or_else(|e| panic!("{spec}: {e}"))
}

fn rules(family: Family, specs: &[&str]) -> Vec<Rule> {
    specs.iter().map(|s| rule(family, s)).collect()
}

/// nat DOCKER of Docker 28 in its default configuration (IPv4 only), as a real daemon wrote.
const DOCKER_NAT_V4: &[&str] = &[
    "-i docker0 -j RETURN",
    "! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.3:80",
    "! -i docker0 -p udp -m udp --dport 5353 -j DNAT --to-destination 192.0.2.5:53",
    "! -i docker0 -p tcp -m tcp --dport 9000 -j DNAT --to-destination 192.0.2.5:80",
    "! -i docker0 -p tcp -m tcp --dport 8081 -j DNAT --to-destination 192.0.2.6:80",
    "-d 203.0.113.1/32 ! -i docker0 -p tcp -m tcp --dport 7000:7009 -j DNAT --to-destination 192.0.2.7:80",
    "! -i docker0 -p tcp -m tcp --dport 9001 -j DNAT --to-destination 192.0.2.5:81",
];

fn spec_list(r: &FamilyRules, chain: &str) -> Vec<String> {
    r.chain(chain)
        .unwrap_or_default()
        .iter()
        .map(|r| rule_spec(r).trim().to_string())
        .collect()
}

fn compiled(text: &str) -> Compiled {
    let p = Policy::from_toml(text, "t.toml").expect("policy");
    p.compile(&[Iface::new("ext0", false).unwrap()])
}

#[test]
fn published_ports_of_both_families_merged_and_sorted() {
    let p = Published::from_dnat(&rules(Family::Ipv4, DOCKER_NAT_V4), &[]);
    let text = |v: &[PublishedPort]| -> Vec<String> {
        v.iter()
            .map(|p| {
                let host = p.host.map(|h| format!(" on {h}")).unwrap_or_default();
                format!("{} {}-{}{host}", p.proto, p.ports.lo(), p.ports.hi())
            })
            .collect()
    };
    // 8080 and 8081 merge, 9000 and 9001 merge; the 7000 range only in IPv4 (its -d).
    assert_eq!(
        text(&p.v4),
        [
            "tcp 8080-8081",
            "tcp 9000-9001",
            "tcp 7000-7009 on 203.0.113.1/32",
            "udp 5353-5353"
        ]
    );
    assert_eq!(
        text(&p.v6),
        ["tcp 8080-8081", "tcp 9000-9001", "udp 5353-5353"]
    );
    let v6_nat = rules(
        Family::Ipv6,
        &["! -s fe80::/10 ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination [2001:db8:d0c:1::3]:80"],
    );
    let both = Published::from_dnat(&[], &v6_nat);
    assert_eq!(text(&both.v4), ["tcp 8080-8080"]);
    assert!(Published::from_dnat(&[], &[]).is_empty());
}

#[test]
fn host_false_gets_the_proxy_path_host_true_does_not() {
    let ports = Published::from_dnat(&rules(Family::Ipv4, DOCKER_NAT_V4), &[]);
    let c = compiled("[interfaces]\nexternal = [\"ext0\"]\n[[allow]]\nports = [\"8080/tcp\"]\n");
    assert!(c.v6.chain(CHAIN_PROXY).is_none());
    let w = c.with_published(&ports);
    assert_eq!(
        spec_list(&w.v6, CHAIN_PROXY),
        [
            "-i ext0 -p tcp -m tcp --dport 8080:8081 -j DFW-DOCKER-EXT",
            "-i ext0 -p tcp -m tcp --dport 9000:9001 -j DFW-DOCKER-EXT",
            "-i ext0 -p udp -m udp --dport 5353 -j DFW-DOCKER-EXT",
        ]
    );
    assert_eq!(spec_list(&w.v4, CHAIN_PROXY).len(), 4);
    assert!(spec_list(&w.v4, CHAIN_PROXY)[2].starts_with("-d 203.0.113.1/32 -i ext0"));
    let jumps: Vec<String> =
        w.v6.jumps
            .iter()
            .map(|j| format!("{} {}", j.chain, rule_spec(&j.rule).trim()))
            .collect();
    assert_eq!(
        jumps,
        [
            "DOCKER-USER -m comment --comment dfw -j DFW-DOCKER",
            "INPUT -m comment --comment dfw -j DFW-PROXY"
        ]
    );
    for r in w.v6.rules() {
        r.check(Family::Ipv6).expect("valid IPv6 rule");
    }
    // Applying it again changes nothing; no ports removes it again.
    assert_eq!(*w.with_published(&ports), *w);
    assert_eq!(*w.with_published(&Published::default()), c);
    assert!(matches!(
        c.with_published(&Published::default()),
        Cow::Borrowed(_)
    ));
    let host = compiled("[interfaces]\nexternal = [\"ext0\"]\n[policy]\nhost = true\n");
    assert!(matches!(host.with_published(&ports), Cow::Borrowed(_)));
    let none = Policy::from_toml("", "t.toml").unwrap().compile(&[]);
    assert!(matches!(none.with_published(&ports), Cow::Borrowed(_)));
}

#[test]
fn the_ruleset_of_a_proxied_policy_is_valid() {
    let ports = Published::from_dnat(&rules(Family::Ipv4, DOCKER_NAT_V4), &[]);
    let c = compiled("[interfaces]\nexternal = [\"ext0\"]\n");
    let w = c.with_published(&ports);
    let [v4, v6] = w.to_rulesets().expect("rulesets");
    let text = crate::syntax::print_ruleset(&v6, Default::default());
    assert!(
        text.contains("-A INPUT -m comment --comment dfw -j DFW-PROXY"),
        "{text}"
    );
    assert!(crate::syntax::print_ruleset(&v4, Default::default()).contains(":DFW-PROXY - [0:0]"));
}

#[test]
fn sctp_published_ports_are_filtered_on_the_proxy_path_too() {
    // docker-proxy relays SCTP as well: an SCTP port published by an IPv4-only network is
    // served over IPv6 through INPUT, and the policy (which cannot allow SCTP) must refuse it.
    let nat = ["! -i docker0 -p sctp -m sctp --dport 3868 -j DNAT --to-destination 192.0.2.9:3868"];
    let ports = Published::from_dnat(&rules(Family::Ipv4, &nat), &[]);
    assert_eq!(ports.v6.len(), 1);
    assert_eq!(ports.v6[0].proto, crate::model::Protocol::SCTP);
    let c = compiled("[interfaces]\nexternal = [\"ext0\"]\n");
    let w = c.with_published(&ports);
    assert_eq!(
        spec_list(&w.v6, CHAIN_PROXY),
        ["-i ext0 -p sctp -m sctp --dport 3868 -j DFW-DOCKER-EXT"]
    );
    for r in w.v6.rules() {
        r.check(Family::Ipv6).expect("valid IPv6 rule");
    }
    let ext = spec_list(&w.v6, CHAIN_DOCKER_EXT);
    let last = ext.last().expect("DFW-DOCKER-EXT has rules");
    assert!(
        last.starts_with("-j REJECT") || last == "-j DROP",
        "DFW-DOCKER-EXT must end refusing what no allow accepted: {ext:?}"
    );
}
