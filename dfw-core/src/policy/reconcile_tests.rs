//! Unit tests of [`super::reconcile`] with model rules written in iptables syntax.

use super::*;
use crate::model::{Family, Iface, Rule};
use crate::syntax::{parse_rule, rule_spec};

const HOST: &str = r#"
[interfaces]
external = ["eth0"]
[policy]
host = true
[[allow]]
ports = ["8080/tcp"]
"#;

const NO_HOST: &str = r#"
[interfaces]
external = ["eth0"]
[[allow]]
ports = ["8080/tcp"]
"#;

fn compiled(text: &str, family: Family) -> FamilyRules {
    let p = Policy::from_toml(text, "t.toml").expect("valid policy");
    let eth0 = Iface::new("eth0", false).expect("iface");
    p.compile(&[eth0]).family(family).clone()
}

fn rule(family: Family, spec: &str) -> Rule {
    parse_rule(family, spec).unwrap_or_else(|e| panic!("{spec}: {e}"))
}

fn chain(family: Family, name: &str, rules: &[&str]) -> CurrentChain {
    CurrentChain {
        name: name.into(),
        rules: rules.iter().map(|s| Some(rule(family, s))).collect(),
    }
}

/// The kernel after applying `r` to `now`.
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
            Some(c) => {
                assert!(!w.create, "{} exists but is created", c.name);
                c.rules = rules;
            }
            None => {
                assert!(w.create, "{} missing but not created", w.chain);
                chains.push(CurrentChain {
                    name: w.chain.as_str().into(),
                    rules,
                });
            }
        }
    }
    Current { chains }
}

fn specs(c: &Current, name: &str) -> Vec<String> {
    c.chain(name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .rules
        .iter()
        .map(|r| {
            r.as_ref()
                .map(|r| rule_spec(r).trim().to_string())
                .unwrap_or_else(|| "OPAQUE".into())
        })
        .collect()
}

/// Reconciles, applies, and checks a second reconcile is empty.
fn converge(p: &FamilyRules, now: &Current) -> (Reconciled, Current) {
    let r = reconcile(p, now).expect("reconcile");
    let after = applied(now, &r);
    let again = reconcile(p, &after).expect("second reconcile");
    assert!(again.is_empty(), "second reconcile not empty: {again:?}");
    (r, after)
}

const DFW_JUMP: &str = "-m comment --comment dfw -j DFW-DOCKER";
const DFW_INPUT_JUMP: &str = "-m comment --comment dfw -j DFW-INPUT";

#[test]
fn empty_kernel_creates_everything_like_docker() {
    for family in [Family::Ipv4, Family::Ipv6] {
        let p = compiled(HOST, family);
        let (r, after) = converge(&p, &Current::default());
        let created: Vec<&str> = r.chains.iter().map(|w| w.chain.as_str()).collect();
        for (name, _) in &p.chains {
            assert!(created.contains(&name.as_str()));
        }
        assert!(r.chains.iter().all(|w| w.create));
        // dfw's chains come before the chains jumping into them.
        let first_builtin = created.iter().position(|c| !c.starts_with("DFW-"));
        assert!(created[first_builtin.unwrap_or(0)..]
            .iter()
            .all(|c| !c.starts_with("DFW-")));
        assert_eq!(specs(&after, DOCKER_USER), vec![DFW_JUMP]);
        assert_eq!(specs(&after, INPUT), vec![DFW_INPUT_JUMP]);
        assert_eq!(specs(&after, FORWARD), vec!["-j DOCKER-USER"]);
    }
}

fn docker_kernel(family: Family, user: &[&str]) -> Current {
    Current {
        chains: vec![
            chain(
                family,
                FORWARD,
                &[
                    "-j DOCKER-USER",
                    "-j DOCKER-FORWARD",
                    "-o docker0 -j ACCEPT",
                ],
            ),
            chain(family, DOCKER_USER, user),
            chain(family, INPUT, &["-p tcp -m tcp --dport 22 -j ACCEPT"]),
        ],
    }
}

#[test]
fn docker_user_keeps_others_rules_in_order_under_the_jump() {
    let f = Family::Ipv4;
    let p = compiled(HOST, f);
    let now = docker_kernel(f, &["-s 10.0.0.0/8 -j DROP", "-j RETURN"]);
    let (r, after) = converge(&p, &now);
    assert!(r.delete.is_empty());
    assert_eq!(
        specs(&after, DOCKER_USER),
        vec![DFW_JUMP, "-s 10.0.0.0/8 -j DROP", "-j RETURN"]
    );
    assert_eq!(
        specs(&after, INPUT),
        vec![DFW_INPUT_JUMP, "-p tcp -m tcp --dport 22 -j ACCEPT"]
    );
    // FORWARD already jumps to DOCKER-USER: untouched, not even listed.
    assert!(r.chains.iter().all(|w| w.chain.as_str() != FORWARD));
    assert_eq!(specs(&after, FORWARD), specs(&now, FORWARD));
    assert!(r
        .chains
        .iter()
        .all(|w| !w.create || w.chain.as_str().starts_with("DFW-")));
}

#[test]
fn displaced_and_duplicate_dfw_jumps_are_moved_to_the_top() {
    let f = Family::Ipv6;
    let p = compiled(HOST, f);
    let now = docker_kernel(f, &["-s 2001:db8::/32 -j DROP", DFW_JUMP, DFW_JUMP]);
    let (_, after) = converge(&p, &now);
    assert_eq!(
        specs(&after, DOCKER_USER),
        vec![DFW_JUMP, "-s 2001:db8::/32 -j DROP"]
    );
}

#[test]
fn a_stale_dfw_jump_to_another_chain_is_removed() {
    let f = Family::Ipv4;
    let p = compiled(HOST, f);
    let mut now = docker_kernel(f, &["-m comment --comment dfw -j DFW-OLD", "-j RETURN"]);
    now.chains.push(chain(f, "DFW-OLD", &["-j DROP"]));
    let (r, after) = converge(&p, &now);
    assert_eq!(r.delete.len(), 1);
    assert_eq!(r.delete[0].as_str(), "DFW-OLD");
    assert!(after.chain("DFW-OLD").is_none());
    assert_eq!(specs(&after, DOCKER_USER), vec![DFW_JUMP, "-j RETURN"]);
}

#[test]
fn an_untagged_reference_blocks_deleting_a_dfw_chain() {
    let f = Family::Ipv4;
    let p = compiled(HOST, f);
    let mut now = docker_kernel(f, &["-s 192.0.2.1/32 -j DFW-OLD"]);
    now.chains.push(chain(f, "DFW-OLD", &["-j DROP"]));
    let err = reconcile(&p, &now).expect_err("must refuse");
    assert_eq!(
        err,
        ReconcileError::Referenced {
            family: f,
            chain: DOCKER_USER.into(),
            position: 1,
            rule: "-s 192.0.2.1/32 -j DFW-OLD".into(),
            target: "DFW-OLD".into(),
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("DOCKER-USER") && msg.contains("-j DFW-OLD"),
        "{msg}"
    );
}

#[test]
fn an_untagged_reference_in_forward_also_blocks() {
    let f = Family::Ipv4;
    let p = compiled(HOST, f);
    let mut now = docker_kernel(f, &[]);
    now.chains.push(chain(f, "DFW-OLD", &[]));
    now.chains[0] = chain(f, FORWARD, &["-j DOCKER-USER", "-j DFW-OLD"]);
    let err = reconcile(&p, &now).expect_err("must refuse");
    assert!(
        matches!(err, ReconcileError::Referenced { ref chain, position: 2, .. } if chain == FORWARD)
    );
}

#[test]
fn an_untagged_reference_to_a_kept_chain_is_left_alone() {
    let f = Family::Ipv4;
    let p = compiled(HOST, f);
    let now = docker_kernel(f, &["-s 192.0.2.1/32 -j DFW-DOCKER-EXT"]);
    let (_, after) = converge(&p, &now);
    assert_eq!(
        specs(&after, DOCKER_USER),
        vec![DFW_JUMP, "-s 192.0.2.1/32 -j DFW-DOCKER-EXT"]
    );
}

#[test]
fn host_false_removes_only_dfws_input_jump() {
    let f = Family::Ipv4;
    let p = compiled(NO_HOST, f);
    assert!(p.chain(CHAIN_INPUT).is_none());
    let mut now = docker_kernel(f, &[]);
    now.chains[2] = chain(
        f,
        INPUT,
        &[DFW_INPUT_JUMP, "-p tcp -m tcp --dport 22 -j ACCEPT"],
    );
    now.chains.push(chain(f, CHAIN_INPUT, &["-i lo -j ACCEPT"]));
    now.chains.push(chain(f, CHAIN_INPUT_EXT, &["-j DROP"]));
    let (r, after) = converge(&p, &now);
    assert_eq!(
        specs(&after, INPUT),
        vec!["-p tcp -m tcp --dport 22 -j ACCEPT"]
    );
    let deleted: Vec<&str> = r.delete.iter().map(|c| c.as_str()).collect();
    assert_eq!(deleted, vec![CHAIN_INPUT, CHAIN_INPUT_EXT]);
}

#[test]
fn host_false_never_creates_input() {
    let f = Family::Ipv6;
    let p = compiled(NO_HOST, f);
    let (r, after) = converge(&p, &Current::default());
    assert!(after.chain(INPUT).is_none());
    assert!(r.chains.iter().all(|w| w.chain.as_str() != INPUT));
    // INPUT present without dfw's jump: untouched.
    let now = docker_kernel(f, &[]);
    let r = reconcile(&p, &now).expect("reconcile");
    assert!(r.chains.iter().all(|w| w.chain.as_str() != INPUT));
}

#[test]
fn a_missing_forward_jump_is_inserted_at_position_one() {
    let f = Family::Ipv4;
    let p = compiled(HOST, f);
    let mut now = docker_kernel(f, &[]);
    now.chains[0] = chain(f, FORWARD, &["-o docker0 -j ACCEPT", "-j DROP"]);
    let (r, after) = converge(&p, &now);
    let fw = r.chains.iter().find(|w| w.chain.as_str() == FORWARD);
    assert!(fw.is_some_and(|w| !w.create));
    assert_eq!(
        specs(&after, FORWARD),
        vec!["-j DOCKER-USER", "-o docker0 -j ACCEPT", "-j DROP"]
    );
}

/// Docker 20.10 with ip6tables after a restart (real daemon, IPv6 FORWARD): its rules above
/// the jump dfw created accept what DOCKER-USER should have filtered.
#[test]
fn a_jump_below_an_accepting_rule_is_moved_to_the_top() {
    let f = Family::Ipv6;
    let p = compiled(HOST, f);
    let mut now = docker_kernel(f, &[]);
    let docker_2010 = [
        "-j DOCKER-ISOLATION-STAGE-1",
        "-o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-o docker0 -j DOCKER",
        "-i docker0 ! -o docker0 -j ACCEPT",
        "-i docker0 -o docker0 -j ACCEPT",
    ];
    let mut displaced = docker_2010.to_vec();
    displaced.push("-j DOCKER-USER");
    now.chains[0] = chain(f, FORWARD, &displaced);
    let (r, after) = converge(&p, &now);
    assert!(r.chains.iter().any(|w| w.chain.as_str() == FORWARD));
    let mut want = vec!["-j DOCKER-USER"];
    want.extend(docker_2010);
    assert_eq!(specs(&after, FORWARD), want);
    let d = crate::policy::drift(&p, &now).expect("drift");
    let fwd = d
        .chains
        .iter()
        .find(|c| c.chain == FORWARD)
        .expect("FORWARD drifted");
    assert_eq!(fwd.items.len(), 1, "{d}");
    assert_eq!(
        fwd.items[0].kind,
        crate::policy::DriftKind::Reordered,
        "{d}"
    );
    assert_eq!(fwd.items[0].rule, "-A FORWARD -j DOCKER-USER");
    // A jump below one ACCEPT, and two jumps: one moved to the top, no duplicate.
    now.chains[0] = chain(
        f,
        FORWARD,
        &["-o docker0 -j ACCEPT", "-j DOCKER-USER", "-j DOCKER-USER"],
    );
    let (_, after) = converge(&p, &now);
    assert_eq!(
        specs(&after, FORWARD),
        vec!["-j DOCKER-USER", "-o docker0 -j ACCEPT"]
    );
}

#[test]
fn a_jump_below_rules_that_cannot_accept_stays() {
    let f = Family::Ipv4;
    let p = compiled(HOST, f);
    let mut now = docker_kernel(f, &[]);
    now.chains[0] = chain(
        f,
        FORWARD,
        &[
            "-s 192.0.2.9/32 -j DROP",
            "-j LOG",
            "-p tcp",
            "-j DOCKER-USER",
            "-j ACCEPT",
        ],
    );
    let r = reconcile(&p, &now).expect("reconcile");
    assert!(r.chains.iter().all(|w| w.chain.as_str() != FORWARD));
    for above in ["-j RETURN", "-j DOCKER-FORWARD", "-g DOCKER", "-j ACCEPT"] {
        now.chains[0] = chain(f, FORWARD, &[above, "-j DOCKER-USER"]);
        let (_, after) = converge(&p, &now);
        assert_eq!(
            specs(&after, FORWARD),
            vec!["-j DOCKER-USER", above],
            "{above}"
        );
    }
}

#[test]
fn rules_that_are_not_dfws_stay_where_they_are_even_opaque_ones() {
    let f = Family::Ipv4;
    let p = compiled(HOST, f);
    // A neighbour's rules (one dfw cannot decode) in DOCKER-USER and INPUT, and one that can
    // accept above Docker's jump in FORWARD.
    let mut now = docker_kernel(f, &["-j RETURN"]);
    now.chains[1].rules.push(None);
    now.chains[2].rules.insert(0, None);
    now.chains[0].rules.insert(0, None);
    let r = reconcile(&p, &now).expect("a neighbour's rule never blocks");
    for w in &r.chains {
        let was = now
            .chain(w.chain.as_str())
            .map_or(&[][..], |c| c.rules.as_slice());
        // Every kernel rule that is not dfw's (nor Docker's jump) is kept, in order.
        let kept: Vec<usize> = w
            .rules
            .iter()
            .filter_map(|x| match x {
                WantedRule::Kernel(i) => Some(*i),
                WantedRule::Rule(_) => None,
            })
            .collect();
        let foreign: Vec<usize> = (0..was.len())
            .filter(|&i| !was[i].as_ref().is_some_and(is_dfw_jump))
            .filter(|&i| w.chain.as_str() != FORWARD || was[i] != Some(rule(f, "-j DOCKER-USER")))
            .collect();
        assert_eq!(kept, foreign, "{}", w.chain);
    }
    let (_, after) = converge(&p, &now);
    assert_eq!(
        specs(&after, DOCKER_USER),
        vec![
            "-m comment --comment dfw -j DFW-DOCKER",
            "-j RETURN",
            "OPAQUE"
        ]
    );
    assert_eq!(
        specs(&after, INPUT),
        vec![
            "-m comment --comment dfw -j DFW-INPUT",
            "OPAQUE",
            "-p tcp -m tcp --dport 22 -j ACCEPT"
        ]
    );
    // FORWARD: Docker's jump moved above the opaque rule (which may accept).
    assert_eq!(specs(&after, FORWARD)[..2], ["-j DOCKER-USER", "OPAQUE"]);
    // A flush of DOCKER-USER plus a neighbour's opaque rule: dfw's jump goes back on top.
    let mut flushed = after.clone();
    let du = flushed
        .chains
        .iter_mut()
        .find(|c| c.name == DOCKER_USER)
        .expect("du");
    du.rules = vec![None];
    let r = reconcile(&p, &flushed).expect("reconcile");
    assert_eq!(r.chains.len(), 1);
    assert_eq!(r.chains[0].rules[1], WantedRule::Kernel(0));
}

#[test]
fn an_edited_dfw_chain_is_rewritten_and_foreign_chains_ignored() {
    let f = Family::Ipv4;
    let p = compiled(HOST, f);
    let (_, mut after) = converge(&p, &docker_kernel(f, &[]));
    after.chains.push(chain(f, "DOCKER", &["-j RETURN"]));
    let ext = after
        .chains
        .iter_mut()
        .find(|c| c.name == CHAIN_DOCKER_EXT)
        .expect("ext");
    ext.rules.insert(0, Some(rule(f, "-j ACCEPT")));
    let r = reconcile(&p, &after).expect("reconcile");
    assert_eq!(r.chains.len(), 1);
    assert_eq!(r.chains[0].chain.as_str(), CHAIN_DOCKER_EXT);
    assert!(!r.chains[0].create);
    let want: Vec<WantedRule> = p
        .chain(CHAIN_DOCKER_EXT)
        .expect("ext")
        .iter()
        .cloned()
        .map(WantedRule::Rule)
        .collect();
    assert_eq!(r.chains[0].rules, want);
    assert!(r.delete.is_empty());
}

#[test]
fn counters_do_not_make_rules_differ() {
    let f = Family::Ipv4;
    let p = compiled(HOST, f);
    let (_, mut after) = converge(&p, &docker_kernel(f, &[]));
    for c in &mut after.chains {
        for r in c.rules.iter_mut().flatten() {
            r.counters = Some(crate::model::Counters {
                packets: 5,
                bytes: 300,
            });
        }
    }
    assert!(reconcile(&p, &after).expect("reconcile").is_empty());
}

#[test]
fn a_conditional_jump_to_docker_user_is_not_dockers() {
    let f = Family::Ipv4;
    let p = compiled(HOST, f);
    let mut now = docker_kernel(f, &[]);
    now.chains[0] = chain(f, FORWARD, &["-i eth9 -j DOCKER-USER", "-j DROP"]);
    let (_, after) = converge(&p, &now);
    assert_eq!(
        specs(&after, FORWARD),
        vec!["-j DOCKER-USER", "-i eth9 -j DOCKER-USER", "-j DROP"]
    );
}
