//! Unit tests of [`super::drift`]: each kind of difference, from a kernel first brought in
//! sync with the policy and then disturbed.

use super::*;
use crate::model::{Family, Iface, Rule};
use crate::syntax::parse_rule;

const POLICY: &str = r#"
[interfaces]
external = ["eth0"]
[policy]
host = true
[[allow]]
ports = ["8080/tcp", "53/udp"]
"#;

fn compiled(family: Family) -> FamilyRules {
    let p = Policy::from_toml(POLICY, "t.toml").expect("valid policy");
    let eth0 = Iface::new("eth0", false).expect("iface");
    p.compile(&[eth0]).family(family).clone()
}

fn rule(spec: &str) -> Rule {
    parse_rule(Family::Ipv4, spec).unwrap_or_else(|e| panic!("{spec}: {e}"))
}

/// The kernel holding exactly the policy (from an empty one, by applying the reconcile).
fn in_sync(p: &FamilyRules) -> Current {
    let r = reconcile(p, &Current::default()).expect("reconcile");
    Current {
        chains: r
            .chains
            .iter()
            .map(|w| CurrentChain {
                name: w.chain.as_str().into(),
                rules: w.resolve(&[]),
            })
            .collect(),
    }
}

fn chain_mut<'a>(c: &'a mut Current, name: &str) -> &'a mut CurrentChain {
    c.chains
        .iter_mut()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no chain {name}"))
}

fn kinds(d: &Drift, chain: &str) -> Vec<DriftKind> {
    d.chains
        .iter()
        .filter(|c| c.chain == chain)
        .flat_map(|c| c.items.iter().map(|i| i.kind))
        .collect()
}

#[test]
fn in_sync_is_empty() {
    let p = compiled(Family::Ipv4);
    let d = drift(&p, &in_sync(&p)).unwrap();
    assert!(d.is_empty(), "{d}");
    assert_eq!(d.to_string(), "");
}

#[test]
fn flushed_docker_user_is_missing_jump() {
    let p = compiled(Family::Ipv4);
    let mut now = in_sync(&p);
    chain_mut(&mut now, DOCKER_USER).rules.clear();
    let d = drift(&p, &now).unwrap();
    assert_eq!(kinds(&d, DOCKER_USER), vec![DriftKind::Missing]);
    assert!(d.to_string().contains("missing   -A DOCKER-USER"), "{d}");
    assert!(
        d.summary().contains("IPv4 DOCKER-USER: 1 missing"),
        "{}",
        d.summary()
    );
}

#[test]
fn rule_above_dfw_jump_is_reordered() {
    let p = compiled(Family::Ipv4);
    let mut now = in_sync(&p);
    let c = chain_mut(&mut now, DOCKER_USER);
    c.rules.insert(0, Some(rule("-s 192.0.2.1/32 -j ACCEPT")));
    let d = drift(&p, &now).unwrap();
    assert_eq!(kinds(&d, DOCKER_USER), vec![DriftKind::Reordered], "{d}");
}

#[test]
fn changed_extra_and_missing_chain() {
    let p = compiled(Family::Ipv4);
    let mut now = in_sync(&p);
    let name = p.chains[0].0.as_str().to_string();
    let c = chain_mut(&mut now, &name);
    let last = c.rules.len() - 1;
    c.rules[last] = Some(rule("-p tcp --dport 9999 -j ACCEPT"));
    now.chains.push(CurrentChain {
        name: "DFW-OLD".into(),
        rules: vec![],
    });
    let d = drift(&p, &now).unwrap();
    assert_eq!(kinds(&d, &name), vec![DriftKind::Changed], "{d}");
    assert_eq!(kinds(&d, "DFW-OLD"), vec![DriftKind::Extra], "{d}");
    let text = d.to_string();
    assert!(
        text.contains("--dport 9999") && text.contains("wanted"),
        "{text}"
    );

    let mut gone = in_sync(&p);
    gone.chains.retain(|c| c.name != name);
    let d = drift(&p, &gone).unwrap();
    assert_eq!(kinds(&d, &name), vec![DriftKind::Missing]);
    assert_eq!(d.chains[0].items[0].rule, format!("chain {name}"));
}

#[test]
fn foreign_rule_added_to_dfw_chain_is_extra() {
    let p = compiled(Family::Ipv4);
    let mut now = in_sync(&p);
    let name = p.chains[0].0.as_str().to_string();
    let c = chain_mut(&mut now, &name);
    c.rules.push(Some(rule("-s 198.51.100.9/32 -j ACCEPT")));
    let d = drift(&p, &now).unwrap();
    assert_eq!(kinds(&d, &name), vec![DriftKind::Extra], "{d}");
}
