//! Tests of in-place replacement without a kernel: which deletions and insertions become
//! one NEWRULE with `NLM_F_REPLACE`, the bytes of that message (against `iptables -R`'s,
//! captured with strace), and the kept state's handles after a replacement.

use std::collections::HashMap;

use dfw_core::model::{Counters, Family, Rule, TableName};
use dfw_core::syntax::parse_rule;

use super::build::build_batch;
use super::cache::StateCache;
use super::plan::{make_plan, Place};
use super::step::StepKind;
use super::tests::places;
use super::*;
use crate::nft::BatchPart;
use crate::rule_codec::DecodedRule;

fn rule(spec: &str) -> Rule {
    parse_rule(Family::Ipv4, spec).unwrap()
}

fn chain(name: &str, rules: &[(u64, &str)]) -> Vec<KernelTable> {
    vec![KernelTable {
        family: Family::Ipv4,
        name: TableName::Filter,
        chains: vec![KernelChain {
            name: name.into(),
            handle: 1,
            base: None,
            rules: rules
                .iter()
                .map(|(h, s)| KernelRule {
                    handle: *h,
                    rule: DecodedRule::Rule(rule(s)),
                    counters: Counters::default(),
                })
                .collect(),
            unread: None,
        }],
    }]
}

fn change(name: &str, rules: &[&str]) -> ChangeSet {
    ChangeSet {
        chains: vec![ChainTarget {
            family: Family::Ipv4,
            table: TableName::Filter,
            chain: dfw_core::model::ChainName::new(name).unwrap(),
            create: false,
            policy: None,
            rules: rules.iter().map(|s| rule(s).into()).collect(),
        }],
        delete_chains: vec![],
    }
}

/// The kept chain's rules as (handle, rule).
fn kept_rules(after: &StateCache) -> Vec<(u64, Option<Rule>)> {
    after.tables[0].chains[0]
        .rules
        .iter()
        .map(|r| (r.handle, r.comparable()))
        .collect()
}

const A: &str = " -s 192.0.2.1/32 -j ACCEPT";
const B: &str = " -s 192.0.2.2/32 -j ACCEPT";
const C: &str = " -s 192.0.2.3/32 -j ACCEPT";
const D: &str = " -s 192.0.2.4/32 -j ACCEPT";
const X: &str = " -s 198.51.100.1/32 -j DROP";
const Y: &str = " -s 198.51.100.2/32 -j DROP";
const Z: &str = " -s 198.51.100.3/32 -j DROP";

#[test]
fn a_changed_rule_is_replaced_in_place() {
    let s = chain("T", &[(10, A), (20, B), (30, C)]);
    let changes = change("T", &[A, X, C]);
    let plan = make_plan(&s, &changes).unwrap();
    let c = &plan.chains[0];
    assert_eq!((c.stats.kept, c.stats.deleted, c.stats.inserted), (2, 1, 1));
    assert_eq!(places(&c.ops), [('I', 2, Some(Place::Replace(20)))]);
    let batch = build_batch(&plan, &changes, 7, 1, true).unwrap();
    // BEGIN, one NEWRULE (no DELRULE), END.
    let steps: Vec<&StepKind> = batch.descriptions().iter().map(|s| &s.kind).collect();
    assert_eq!(
        steps,
        [&StepKind::ReplaceRule {
            position: 2,
            handle: 20
        }]
    );
}

#[test]
fn runs_pair_deletions_with_insertions_and_place_the_rest() {
    let s = chain("T", &[(10, A), (20, B), (30, C), (40, D)]);
    // Between kept 10 and 40: 20 and 30 replaced by X and Y, Z before 40.
    let plan = make_plan(&s, &change("T", &[A, X, Y, Z, D])).unwrap();
    assert_eq!(
        places(&plan.chains[0].ops),
        [
            ('I', 2, Some(Place::Replace(20))),
            ('I', 3, Some(Place::Replace(30))),
            ('I', 4, Some(Place::Before(40))),
        ]
    );
    // At the tail (no kept rule after): B, C, D replaced by X, Y, Z.
    let plan = make_plan(&s, &change("T", &[A, X, Y, Z])).unwrap();
    assert_eq!(
        places(&plan.chains[0].ops),
        [
            ('I', 2, Some(Place::Replace(20))),
            ('I', 3, Some(Place::Replace(30))),
            ('I', 4, Some(Place::Replace(40))),
        ]
    );
    let plan = make_plan(&s, &change("T", &[A, B, X])).unwrap();
    assert_eq!(
        places(&plan.chains[0].ops),
        [('D', 40, None), ('I', 3, Some(Place::Replace(30)))]
    );
    let plan = make_plan(&s, &change("T", &[A, B, C, D, X, Y])).unwrap();
    assert_eq!(
        places(&plan.chains[0].ops),
        [
            ('I', 6, Some(Place::After(40))),
            ('I', 5, Some(Place::After(40))),
        ]
    );
    let s = chain("T", &[(10, A), (20, B)]);
    let plan = make_plan(&s, &change("T", &[A, X, Y, Z])).unwrap();
    assert_eq!(
        places(&plan.chains[0].ops),
        [
            ('I', 2, Some(Place::Replace(20))),
            ('I', 3, Some(Place::Append)),
            ('I', 4, Some(Place::Append)),
        ]
    );
}

#[test]
fn a_chain_replaced_whole_is_flushed_not_replaced_rule_by_rule() {
    let s = chain("T", &[(10, A), (20, B)]);
    let changes = change("T", &[X, Y]);
    let plan = make_plan(&s, &changes).unwrap();
    assert_eq!(
        places(&plan.chains[0].ops),
        [
            ('D', 10, None),
            ('D', 20, None),
            ('I', 1, Some(Place::Append)),
            ('I', 2, Some(Place::Append)),
        ]
    );
    let batch = build_batch(&plan, &changes, 7, 1, false).unwrap();
    assert_eq!(
        batch.descriptions()[0].kind,
        StepKind::FlushRules { count: 2 }
    );
    // One rule for one: replaced.
    let s = chain("T", &[(10, A)]);
    let plan = make_plan(&s, &change("T", &[X, Y])).unwrap();
    assert_eq!(
        places(&plan.chains[0].ops),
        [
            ('I', 1, Some(Place::Replace(10))),
            ('I', 2, Some(Place::Append)),
        ]
    );
}

/// `iptables -R T 2 -s 192.0.2.9/32 -m conntrack --ctstate NEW -j ACCEPT` over handles 2, 3, 4 (iptables 1.8.9 nf_tables, `strace -xx -e write=3`): its
/// NEWRULE, seq 2, flags `REQUEST|REPLACE|CREATE`, HANDLE 3.
const IPTABLES_R: &[&str] = &[
    "e0010000060a01050200000000000000020000000b00010066696c746572000006000200540000000c00030000000000",
    "0000000398010480340001800c0001007061796c6f616400240002800800010000000001080002000000000108000300",
    "0000000c08000400000000042c00018008000100636d700020000280080001000000000108000200000000000c000380",
    "08000100c0000209d80001800a0001006d61746368000000c80002800e000100636f6e6e747261636b00000008000200",
    "00000003ac00030000000000000000000000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
    "00000000000000000000010000000800000000000000000000000000000000002c0001800c000100636f756e74657200",
    "1c0002800c00010000000000000000000c0002000000000000000000300001800e000100696d6d656469617465000000",
    "1c0002800800010000000000100002800c00028008000100000000011400058008000100000000000800020000000000",
];

#[test]
fn replace_message_is_iptables_r_byte_for_byte() {
    let s = chain("T", &[(2, A), (3, B), (4, C)]);
    let new = " -s 192.0.2.9/32 -m conntrack --ctstate NEW -j ACCEPT";
    let changes = change("T", &[A, new, C]);
    let plan = make_plan(&s, &changes).unwrap();
    let batch = build_batch(&plan, &changes, 5, 1, true).unwrap();
    let want: String = IPTABLES_R.concat();
    // BEGIN (28 bytes) first, then the one NEWRULE, seq 2.
    let bytes = batch.bytes();
    let (h, _) = crate::wire::split_messages(&bytes[28..])
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(h.seq, 2);
    assert!(matches!(batch.part(2), Some(BatchPart::Message(_))));
    let got: String = bytes[28..28 + h.len as usize]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn kept_state_keeps_the_replaced_handle() {
    let s = chain("T", &[(10, A), (20, B), (30, C)]);
    let changes = change("T", &[A, X, C]);
    let plan = make_plan(&s, &changes).unwrap();
    let before = StateCache::read(s, Default::default(), false);
    let after = StateCache::after_commit(before, &changes, &plan, &HashMap::new(), 8).unwrap();
    let got = kept_rules(&after);
    assert_eq!(
        got,
        [
            (10, Some(rule(A))),
            (20, Some(rule(X))),
            (30, Some(rule(C)))
        ]
    );
}

#[test]
fn kept_state_after_replacements_and_an_insertion_is_rebuilt_exactly() {
    // Two replacements in place (the fast path) and, separately, a replacement plus an
    // appended rule (the general path): both give the chain as wanted, handles kept.
    let s = chain("T", &[(10, A), (20, B), (30, C), (40, D)]);
    let changes = change("T", &[X, B, Y, D]);
    let plan = make_plan(&s, &changes).unwrap();
    let before = StateCache::read(s, Default::default(), false);
    let after = StateCache::after_commit(before, &changes, &plan, &HashMap::new(), 8).unwrap();
    let got = kept_rules(&after);
    let want = [(10, X), (20, B), (30, Y), (40, D)].map(|(h, r)| (h, Some(rule(r))));
    assert_eq!(got, want);

    let s = chain("T", &[(10, A), (20, B)]);
    let changes = change("T", &[A, X, Y]);
    let plan = make_plan(&s, &changes).unwrap();
    let before = StateCache::read(s, Default::default(), false);
    let handles: HashMap<_, _> = [((Family::Ipv4, TableName::Filter, "T".to_string(), 3), 21)]
        .into_iter()
        .collect();
    let after = StateCache::after_commit(before, &changes, &plan, &handles, 8).unwrap();
    let got = kept_rules(&after);
    let want = [(10, A), (20, X), (21, Y)].map(|(h, r)| (h, Some(rule(r))));
    assert_eq!(got, want);
}

#[test]
fn kept_state_is_dropped_when_a_replaced_handle_is_not_where_the_plan_says() {
    let s = chain("T", &[(10, A), (20, B), (30, C)]);
    let changes = change("T", &[A, X, C]);
    let plan = make_plan(&s, &changes).unwrap();
    // The state the plan is applied over differs from the one it was made from.
    let other = chain("T", &[(10, A), (25, B), (30, C)]);
    let before = StateCache::read(other, Default::default(), false);
    assert!(StateCache::after_commit(before, &changes, &plan, &HashMap::new(), 8).is_none());
}
