//! The example config (`examples/dfw.toml`) compiles to exactly these rulesets.
//! Pure: no kernel needed.

use crate::support;

use support::golden::{EXAMPLE, GOLDEN_V4, GOLDEN_V6};

use dfw_core::model::{Family, Iface};
use dfw_core::policy::{is_dfw_chain, is_dfw_jump, External, Policy};

fn example() -> Policy {
    Policy::from_toml(EXAMPLE, "examples/dfw.toml").expect("the example config is valid")
}

#[test]
fn example_config_loads_as_written() {
    let p = example();
    let eth0 = Iface::parse("eth0").unwrap();
    assert_eq!(p.external, External::Named(vec![eth0.clone()]));
    assert!(p.host && p.ping);
    assert_eq!(p.allow.len(), 2);
    assert_eq!(p.allow[0].ports.len(), 3);
    assert_eq!(p.allow[0].from.as_ref().map(Vec::len), Some(3));
    // SSH stays reachable: 22/tcp from everyone, for both families.
    assert_eq!(p.allow[1].ports.len(), 1);
    assert!(p.allow[1].from.is_none() && p.allow[1].to.is_none());
    assert_eq!(p.whitelist.len(), 2);
    assert_eq!(p.lan.len(), 1);
    assert_eq!(p.forward.len(), 1);
    assert_eq!(p.named_external(), Some(&[eth0][..]));
}

#[test]
fn example_config_compiles_to_golden_rulesets() {
    let p = example();
    let compiled = p.compile(p.named_external().unwrap());
    let [v4, v6] = compiled.to_rulesets().unwrap();
    assert_eq!(support::print(&v4), GOLDEN_V4);
    assert_eq!(support::print(&v6), GOLDEN_V6);
    for family in Family::ALL {
        let rules = compiled.family(family);
        assert_eq!(rules.family, family);
        for r in rules.rules() {
            r.check(family).unwrap();
        }
        for (name, _) in &rules.chains {
            assert!(is_dfw_chain(name.as_str()), "{name}");
        }
        for j in &rules.jumps {
            assert!(is_dfw_jump(&j.rule));
            assert!(!is_dfw_chain(j.chain.as_str()));
        }
    }
}

#[test]
fn example_error_message_in_its_header_is_accurate() {
    let bad = EXAMPLE.replace("ports = [\"8080/tcp\"", "ports = [\"70000/tcp\"");
    let err = Policy::from_toml(&bad, "dfw.toml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "dfw.toml:31:10: allow[0].ports[0]: \"70000/tcp\": port must be 1-65535"
    );
}
