//! Properties of `reconcile` over random kernel contents (pure): after applying its changes,
//! a second reconcile asks for nothing; dfw's chains are exactly the compiled ones; every
//! rule that is not dfw's keeps its chain and order under dfw's jumps; FORWARD gets Docker's
//! jump at position 1 only when it has none; policies are never part of the change. Rules dfw
//! cannot decode (`None`) are among the kernel's rules, and never prevent a reconcile.

use dfw_core::model::{Family, Iface, Rule};
use dfw_core::policy::{
    is_dfw_jump, reconcile, Current, CurrentChain, Policy, Reconciled, DOCKER_USER, FORWARD, INPUT,
};
use dfw_core::syntax::parse_rule;
use proptest::prelude::*;

/// Rules found in the kernel: others' rules (one an untagged reference to a chain dfw always
/// keeps) and dfw jumps, current or stale; index `POOL.len()` picks a rule dfw cannot decode.
const POOL: [&str; 8] = [
    "-p tcp -m tcp --dport 25 -j DROP",
    "-j RETURN",
    "-i eth1 -j ACCEPT",
    "-i eth2 -j DFW-DOCKER-EXT",
    "-m comment --comment dfw -j DFW-DOCKER",
    "-m comment --comment dfw -j DFW-INPUT",
    "-m comment --comment dfw -j DFW-OLD",
    "-j DOCKER-USER",
];

fn rules(family: Family, picks: &[usize]) -> Vec<Option<Rule>> {
    picks
        .iter()
        .map(|&i| POOL.get(i).map(|r| parse_rule(family, r).unwrap()))
        .collect()
}

type Chains = (
    Option<Vec<usize>>,
    Option<Vec<usize>>,
    Option<Vec<usize>>,
    bool,
    bool,
);

fn kernel() -> impl Strategy<Value = Chains> {
    let chain = || proptest::option::of(proptest::collection::vec(0..=POOL.len(), 0..6));
    (chain(), chain(), chain(), any::<bool>(), any::<bool>())
}

fn applied(now: &Current, r: &Reconciled) -> Current {
    let mut chains: Vec<CurrentChain> = now
        .chains
        .iter()
        .filter(|c| !r.delete.iter().any(|d| d.as_str() == c.name))
        .cloned()
        .collect();
    for w in &r.chains {
        let was = now.chain(w.chain.as_str());
        let rules = w.resolve(was.map_or(&[][..], |c| c.rules.as_slice()));
        match chains.iter_mut().find(|c| c.name == w.chain.as_str()) {
            Some(c) => c.rules = rules,
            None => chains.push(CurrentChain {
                name: w.chain.as_str().into(),
                rules,
            }),
        }
    }
    Current { chains }
}

fn foreign(c: Option<&CurrentChain>) -> Vec<Option<Rule>> {
    c.map(|c| {
        c.rules
            .iter()
            .filter(|r| !r.as_ref().is_some_and(is_dfw_jump))
            .cloned()
            .collect()
    })
    .unwrap_or_default()
}

proptest! {
    #[test]
    fn reconcile_converges_and_keeps_others_rules(
        (du, input, forward, stale, host) in kernel(),
        v6 in any::<bool>(),
    ) {
        let family = if v6 { Family::Ipv6 } else { Family::Ipv4 };
        let text = format!("[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = {host}\n");
        let policy = Policy::from_toml(&text, "t.toml").unwrap();
        let eth0 = Iface::parse("eth0").unwrap();
        let compiled = policy.compile(&[eth0]).family(family).clone();
        let mut now = Current::default();
        for (name, picks) in [(DOCKER_USER, du), (INPUT, input), (FORWARD, forward)] {
            if let Some(p) = picks {
                now.chains.push(CurrentChain { name: name.into(), rules: rules(family, &p) });
            }
        }
        if stale {
            now.chains.push(CurrentChain { name: "DFW-OLD".into(), rules: vec![] });
        }
        let r = reconcile(&compiled, &now).unwrap();
        let after = applied(&now, &r);
        prop_assert!(reconcile(&compiled, &after).unwrap().is_empty());

        // dfw's chains: exactly the compiled ones.
        let mut dfw: Vec<&str> = after
            .chains
            .iter()
            .map(|c| c.name.as_str())
            .filter(|n| n.starts_with("DFW-"))
            .collect();
        dfw.sort_unstable();
        let mut want: Vec<&str> = compiled.chains.iter().map(|(n, _)| n.as_str()).collect();
        want.sort_unstable();
        prop_assert_eq!(dfw, want);
        for (name, rules) in &compiled.chains {
            let got: Vec<Rule> = after.chain(name.as_str()).unwrap().rules.iter().flatten().cloned().collect();
            prop_assert_eq!(&got, rules);
        }

        // DOCKER-USER and INPUT: dfw's jumps, then the others' rules in their order.
        for chain in [DOCKER_USER, INPUT] {
            let jumps: Vec<Option<Rule>> = compiled
                .jumps
                .iter()
                .filter(|j| j.chain.as_str() == chain)
                .map(|j| Some(j.rule.clone()))
                .collect();
            let before = now.chain(chain);
            match after.chain(chain) {
                None => prop_assert!(before.is_none() && jumps.is_empty()),
                Some(c) => {
                    let mut want = jumps;
                    want.extend(foreign(before));
                    prop_assert_eq!(&c.rules, &want);
                }
            }
        }

        // FORWARD: untouched when it jumps to DOCKER-USER before any rule that can accept
        // (in the pool every rule can but the DROP: ACCEPT, RETURN or a jump), else the jump
        // at 1 and the other rules in their order.
        let jump = parse_rule(family, "-j DOCKER-USER").unwrap();
        let before: Vec<Option<Rule>> = now.chain(FORWARD).map(|c| c.rules.clone()).unwrap_or_default();
        let got = &after.chain(FORWARD).unwrap().rules;
        let drop = parse_rule(family, POOL[0]).unwrap();
        // A rule dfw cannot decode may accept.
        let first_that_counts = before.iter().find(|r| r.as_ref() != Some(&drop));
        if first_that_counts == Some(&Some(jump.clone())) {
            prop_assert_eq!(got, &before);
        } else {
            let mut want = vec![Some(jump.clone())];
            want.extend(before.into_iter().filter(|r| r.as_ref() != Some(&jump)));
            prop_assert_eq!(got, &want);
        }
    }
}
