//! Firewall tests without a kernel: planning (placement by handle, policies, refusals) and
//! apply over the scripted [`FakeTransport`] (generation races, rejection mapping).

use dfw_core::model::{ChainName, Counters, Family, Policy, Rule, TableName};
use dfw_core::syntax::parse_rule;

use super::plan::{make_plan, Create, Place, RuleOp};
use super::*;
use crate::rule_codec::DecodedRule;
use crate::transport::fake::FakeTransport;
use crate::transport::{inspect_batch, KernelError, RetryPolicy, TransportError};

fn rule(spec: &str) -> Rule {
    parse_rule(Family::Ipv4, spec).unwrap()
}

fn kchain(name: &str, base: Option<Policy>, rules: &[(u64, &str)]) -> KernelChain {
    KernelChain {
        name: name.into(),
        handle: 1,
        base: base.map(|p| BaseChain {
            hook: 2,
            priority: 0,
            chain_type: "filter".into(),
            policy: Some(p),
            counters: Counters::default(),
        }),
        rules: rules
            .iter()
            .map(|(h, s)| KernelRule {
                handle: *h,
                rule: DecodedRule::Rule(Rule {
                    counters: Some(Counters {
                        packets: 5,
                        bytes: 9,
                    }),
                    ..rule(s)
                }),
                counters: Counters {
                    packets: 5,
                    bytes: 9,
                },
            })
            .collect(),
        unread: None,
    }
}

fn state(chains: Vec<KernelChain>) -> Vec<KernelTable> {
    vec![KernelTable {
        family: Family::Ipv4,
        name: TableName::Filter,
        chains,
    }]
}

fn target(chain: &str, create: bool, policy: Option<Policy>, rules: &[&str]) -> ChainTarget {
    ChainTarget {
        family: Family::Ipv4,
        table: TableName::Filter,
        chain: ChainName::new(chain).unwrap(),
        create,
        policy,
        rules: rules.iter().map(|s| rule(s).into()).collect(),
    }
}

fn one(t: ChainTarget) -> ChangeSet {
    ChangeSet {
        chains: vec![t],
        delete_chains: vec![],
    }
}

/// Each operation as (`D`, handle) or (`I`, wanted position, place); shared with
/// `replace_tests`.
pub(super) fn places(ops: &[RuleOp]) -> Vec<(char, usize, Option<Place>)> {
    ops.iter()
        .map(|o| match o {
            RuleOp::Delete { handle, .. } => ('D', *handle as usize, None),
            RuleOp::Insert {
                position, place, ..
            } => ('I', *position, Some(*place)),
        })
        .collect()
}

#[test]
fn inserts_are_placed_by_kept_handles() {
    let s = state(vec![kchain(
        "X",
        None,
        &[(10, " -j ACCEPT"), (20, " -j DROP"), (30, " -j RETURN")],
    )]);
    let t = target(
        "X",
        false,
        None,
        &[
            " -i a -j DROP",
            " -i b -j DROP",
            " -j ACCEPT",
            " -i c -j DROP",
            " -j RETURN",
            " -i d -j DROP",
            " -i e -j DROP",
        ],
    );
    let plan = make_plan(&s, &one(t)).unwrap();
    let c = &plan.chains[0];
    assert_eq!((c.stats.kept, c.stats.deleted, c.stats.inserted), (2, 1, 5));
    assert_eq!(
        places(&c.ops),
        [
            ('I', 1, Some(Place::Before(10))),
            ('I', 2, Some(Place::Before(10))),
            ('I', 4, Some(Place::Replace(20))),
            ('I', 7, Some(Place::After(30))),
            ('I', 6, Some(Place::After(30))),
        ]
    );
}

#[test]
fn nothing_kept_appends_in_order_and_counters_do_not_matter() {
    let s = state(vec![kchain("X", None, &[(10, " -j ACCEPT")])]);
    let plan = make_plan(
        &s,
        &one(target("X", false, None, &[" -j DROP", " -j RETURN"])),
    )
    .unwrap();
    assert_eq!(
        places(&plan.chains[0].ops),
        [
            ('I', 1, Some(Place::Replace(10))),
            ('I', 2, Some(Place::Append))
        ]
    );
    // The kernel rule has counters, the wanted one none: still equal, nothing to do.
    let plan = make_plan(&s, &one(target("X", false, None, &[" -j ACCEPT"]))).unwrap();
    assert!(plan.is_empty());
}

#[test]
fn a_chain_not_read_is_flushed_and_reloaded_even_to_empty() {
    let mut c = kchain("X", None, &[]);
    c.unread = Some(30_000);
    let s = state(vec![c]);
    let p = make_plan(
        &s,
        &one(target("X", false, None, &[" -j ACCEPT", " -j DROP"])),
    )
    .unwrap();
    let cp = &p.chains[0];
    assert!(cp.flush && !cp.is_noop());
    let appended = Some(Place::Append);
    assert_eq!(
        places(&cp.ops),
        vec![('I', 1, appended), ('I', 2, appended)]
    );
    let p = make_plan(&s, &one(target("X", false, None, &[]))).unwrap();
    assert!(p.chains[0].flush && p.chains[0].ops.is_empty() && !p.is_empty());
}

#[test]
fn policies_are_sent_only_when_asked_and_different() {
    let s = state(vec![kchain("FORWARD", Some(Policy::Drop), &[])]);
    let none = make_plan(&s, &one(target("FORWARD", true, None, &[]))).unwrap();
    assert!(
        none.is_empty(),
        "no policy asked: FORWARD DROP is never sent"
    );
    let same = make_plan(&s, &one(target("FORWARD", true, Some(Policy::Drop), &[]))).unwrap();
    assert!(same.is_empty());
    let flip = make_plan(&s, &one(target("FORWARD", true, Some(Policy::Accept), &[]))).unwrap();
    assert_eq!(flip.chains[0].set_policy, Some(Policy::Accept));
    let created = make_plan(&state(vec![]), &one(target("INPUT", true, None, &[]))).unwrap();
    assert_eq!(
        created.chains[0].create,
        Some(Create::Builtin(Policy::Accept))
    );
    assert_eq!(created.tables, [(Family::Ipv4, TableName::Filter)]);
}

#[test]
fn refusals_name_the_chain() {
    let s = state(vec![kchain("U", None, &[])]);
    let missing = make_plan(&s, &one(target("NOPE", false, None, &[]))).unwrap_err();
    assert!(matches!(missing, FirewallError::MissingChain { ref chain, .. } if chain == "NOPE"));
    let user_policy = make_plan(&s, &one(target("U", true, Some(Policy::Drop), &[])));
    assert!(matches!(user_policy, Err(FirewallError::Refused { .. })));
    let twice = ChangeSet {
        chains: vec![target("U", true, None, &[]), target("U", true, None, &[])],
        delete_chains: vec![],
    };
    assert!(make_plan(&s, &twice).is_err());
    let builtin = ChangeSet {
        chains: vec![],
        delete_chains: vec![(
            Family::Ipv4,
            TableName::Filter,
            ChainName::new("INPUT").unwrap(),
        )],
    };
    assert!(make_plan(&s, &builtin).is_err());
}

#[test]
fn apply_retries_a_generation_race_and_sends_one_batch_each_time() {
    let mut t = FakeTransport::default();
    t.batch_results
        .push_back(Err(TransportError::GenerationChanged { seq: 1, genid: 0 }));
    let mut fw = Firewall::new(t).with_retry(RetryPolicy::immediate(3));
    let change = one(target("DFW", true, None, &[" -j ACCEPT", " -j DROP"]));
    let r = fw.apply(&change).unwrap();
    assert_eq!(r.attempts, 2);
    assert!(r.committed);
    let sent = &fw.transport().sent_batches;
    assert_eq!(sent.len(), 2);
    // BEGIN, NEWTABLE, NEWCHAIN, 2 x NEWRULE, END.
    assert_eq!(inspect_batch(&sent[1]).unwrap().messages.len(), 6);
}

#[test]
fn apply_maps_a_rejection_to_the_rule() {
    let mut t = FakeTransport::default();
    // First batch: BEGIN at 0x1000_0000, table +1, chain +2, rules +3 and +4.
    let err = |seq| KernelError {
        seq,
        errno: libc::ENOENT,
        msg_type: None,
        reason: None,
        bad_attr_offset: None,
        echoed: None,
    };
    t.batch_results
        .push_back(Err(TransportError::BatchRejected {
            errors: vec![err(0x1000_0004), err(0x1000_0005)],
        }));
    let mut fw = Firewall::new(t);
    let change = one(target("DFW", true, None, &[" -j ACCEPT", " -j NOWHERE"]));
    match fw.apply(&change) {
        Err(FirewallError::Rejected {
            step,
            errno,
            others,
            ..
        }) => {
            assert_eq!(errno, libc::ENOENT);
            assert_eq!(others, 1);
            assert_eq!(step.kind, StepKind::InsertRule { position: 2 });
            assert_eq!(step.to_string(), "ip filter DFW rule 2 (insert)");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn apply_gives_up_after_bounded_retries() {
    let mut t = FakeTransport::default();
    for _ in 0..3 {
        t.batch_results
            .push_back(Err(TransportError::GenerationChanged { seq: 1, genid: 0 }));
    }
    let mut fw = Firewall::new(t).with_retry(RetryPolicy::immediate(3));
    let e = fw.apply(&one(target("DFW", true, None, &[]))).unwrap_err();
    assert!(matches!(
        e,
        FirewallError::Transport(TransportError::RetriesExhausted { attempts: 3, .. })
    ));
}

#[test]
fn restore_maps_a_kernel_rejection_to_the_script_line() {
    use dfw_core::syntax::RestoreScript;
    let mut t = FakeTransport::default();
    // Nothing in the "kernel": BEGIN, table +1, chains INPUT FORWARD OUTPUT DFW +2..+5,
    // the INPUT rule +6, the DFW rule +7.
    t.batch_results
        .push_back(Err(TransportError::BatchRejected {
            errors: vec![KernelError {
                seq: 0x1000_0007,
                errno: libc::EINVAL,
                msg_type: None,
                reason: None,
                bad_attr_offset: None,
                echoed: None,
            }],
        }));
    let text =
        "*filter\n:INPUT ACCEPT [0:0]\n:DFW - [0:0]\n-A INPUT -j ACCEPT\n-A DFW -j DROP\nCOMMIT\n";
    let script = RestoreScript::parse(Family::Ipv4, text).unwrap();
    let mut fw = Firewall::new(t);
    let e = fw.restore(&script, RestoreOptions::default()).unwrap_err();
    assert_eq!(e.line(), Some(5), "{e}");
    assert!(
        e.to_string().contains("ip filter DFW rule 1 (insert)"),
        "{e}"
    );
    assert!(e.to_string().contains("EINVAL"), "{e}");
    // --test sends nothing.
    let mut fw = Firewall::new(FakeTransport::default());
    let opts = RestoreOptions {
        test_only: true,
        ..RestoreOptions::default()
    };
    let r = fw.restore(&script, opts).unwrap();
    assert!(!r.committed && r.plan.stats().inserted == 2);
    assert!(fw.transport().sent_batches.is_empty());
}

#[test]
fn kernel_rules_named_by_handle_are_kept_and_nothing_moves_across_them() {
    // dfw's jump (handle 20) below a neighbour's opaque rule (10) and a decodable one (30).
    let mut chain = kchain(
        "DOCKER-USER",
        None,
        &[
            (10, " -j RETURN"),
            (20, " -j DFW"),
            (30, " -s 192.0.2.1/32 -j DROP"),
        ],
    );
    chain.rules[0].rule = DecodedRule::Opaque {
        reason: "xt match string".into(),
        exprs: Vec::new(),
        compat: None,
    };
    let s = state(vec![chain, kchain("DFW", None, &[])]);
    let mut t = target("DOCKER-USER", false, None, &[" -j DFW"]);
    t.rules.extend([Wanted::Kernel(10), Wanted::Kernel(30)]);
    let plan = make_plan(&s, &one(t.clone())).unwrap();
    let c = &plan.chains[0];
    // dfw's jump moves on top: deleted by handle, inserted before the opaque rule.
    assert_eq!(
        places(&c.ops),
        [('D', 20, None), ('I', 1, Some(Place::Before(10)))]
    );
    assert_eq!((c.stats.kept, c.stats.deleted, c.stats.inserted), (2, 1, 1));
    // A decodable neighbour's rule equal to a wanted rule of dfw's is still not matched
    // across a pinned rule: dfw writes its own copy, the neighbour's stays.
    let mut same = t.clone();
    same.rules = vec![
        rule(" -s 192.0.2.1/32 -j DROP").into(),
        Wanted::Kernel(10),
        Wanted::Kernel(30),
    ];
    let plan = make_plan(&s, &one(same)).unwrap();
    assert_eq!(
        places(&plan.chains[0].ops),
        [('D', 20, None), ('I', 1, Some(Place::Before(10)))]
    );
    // A handle the chain does not hold, or handles out of order, are refused.
    let mut missing = t.clone();
    missing.rules.push(Wanted::Kernel(99));
    let err = make_plan(&s, &one(missing)).unwrap_err();
    assert!(
        matches!(
            err,
            FirewallError::Refused {
                reason: Refusal::KeptRuleMissing { handle: 99 },
                ..
            }
        ),
        "{err}"
    );
    let mut crossed = t;
    crossed.rules = vec![Wanted::Kernel(30), Wanted::Kernel(10)];
    let err = make_plan(&s, &one(crossed)).unwrap_err();
    assert!(
        err.to_string().contains("out of the chain's order"),
        "{err}"
    );
}
