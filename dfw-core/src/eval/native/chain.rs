//! One native base chain walked with the packet: jumps, gotos, returns, verdict maps and the
//! chain's policy, as `nft_do_chain` runs them.
//!
//! Contract: `accept` ends the base chain with ACCEPT (the next base chain at the hook still
//! sees the packet: the driver's business); `drop` and `reject` are final; `return` and the
//! end of a regular chain go back to the rule after the jump; `goto` does not come back; the
//! end of the base chain (or a return at its level) applies its policy. A jump deeper than
//! the kernel's stack, a missing chain, a loop or an unmodelled expression with an effect is
//! unknown, naming the rule.

use super::exec::{run_rule, NatAction, RuleEnd};
use crate::eval::flow::Flow;
use crate::eval::trace::{
    Decision, Entry, MatchResult, RuleRef, Step, TableRef, Undecided, UnknownNote,
};
use crate::eval::walk::{Run, MAX_JUMP_DEPTH};
use crate::model::target::{Reject, RejectV4, RejectV6};
use crate::model::{Family, Hook, Policy};
use crate::native::print::rule_text;
use crate::native::{Chain, ChainPolicy, RejectKind, Table, Verdict};

/// How a native base chain ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NativeOutcome {
    /// ACCEPT (rule or policy).
    Accept(Decision),
    /// DROP (rule or policy).
    Drop(Decision),
    /// REJECT by a rule.
    Reject(Reject, Decision),
    /// A NAT statement.
    Nat(NatAction, RuleRef),
    /// Cannot be decided.
    Unknown(Undecided),
}

const MAX_RULES: usize = 100_000;

/// The reply a `reject` sends for a packet of `family`.
pub(crate) fn reject_of(k: RejectKind, family: Family) -> Reject {
    use RejectV4 as V4;
    use RejectV6 as V6;
    match (family, k) {
        (Family::Ipv4, RejectKind::TcpRst) => Reject::V4(V4::TcpReset),
        (Family::Ipv6, RejectKind::TcpRst) => Reject::V6(V6::TcpReset),
        (Family::Ipv4, RejectKind::Icmp(c)) => Reject::V4(match c {
            0 => V4::NetUnreachable,
            1 => V4::HostUnreachable,
            2 => V4::ProtoUnreachable,
            9 => V4::NetProhibited,
            10 => V4::HostProhibited,
            13 => V4::AdminProhibited,
            _ => V4::PortUnreachable,
        }),
        (Family::Ipv6, RejectKind::Icmp(c)) => Reject::V6(match c {
            0 => V6::NoRoute,
            1 => V6::AdmProhibited,
            3 => V6::AddrUnreachable,
            _ => V6::PortUnreachable,
        }),
        (Family::Ipv4, RejectKind::Icmpx(c)) => Reject::V4(match c {
            0 => V4::NetUnreachable,
            2 => V4::HostUnreachable,
            3 => V4::AdminProhibited,
            _ => V4::PortUnreachable,
        }),
        (Family::Ipv6, RejectKind::Icmpx(c)) => Reject::V6(match c {
            0 => V6::NoRoute,
            2 => V6::AddrUnreachable,
            3 => V6::AdmProhibited,
            _ => V6::PortUnreachable,
        }),
    }
}

/// Walks base chain `base` of `table` at `hook` (see the module contract).
pub(crate) fn walk_native(
    run: &mut Run,
    table: &Table,
    base: &Chain,
    hook: Hook,
    flow: &mut Flow<'_>,
) -> NativeOutcome {
    let tref = TableRef::Native(table.family, table.name.clone());
    let policy = match base.base.as_ref().map(|b| b.policy) {
        Some(ChainPolicy::Drop) => Policy::Drop,
        _ => Policy::Accept,
    };
    let enter = |run: &mut Run, chain: &str, how| {
        run.steps.push(Step::Enter {
            table: tref.clone(),
            chain: chain.to_string(),
            how,
        })
    };
    let apply_policy = |run: &mut Run| {
        run.steps.push(Step::Policy {
            table: tref.clone(),
            chain: base.name.clone(),
            policy,
        });
        let d = Decision::Policy {
            table: tref.clone(),
            chain: base.name.clone(),
            policy,
        };
        match policy {
            Policy::Accept => NativeOutcome::Accept(d),
            Policy::Drop => NativeOutcome::Drop(d),
        }
    };
    enter(run, &base.name, Entry::Hook(hook));
    let mut chain: &Chain = base;
    let mut index = 0usize;
    let mut stack: Vec<(&Chain, usize)> = Vec::new();
    let mut budget = MAX_RULES;
    loop {
        let Some(rule) = chain.rules.get(index) else {
            match stack.pop() {
                Some((c, i)) if !std::ptr::eq(chain, base) => {
                    (chain, index) = (c, i);
                    enter(run, &chain.name, Entry::Return);
                    continue;
                }
                _ => return apply_policy(run),
            }
        };
        budget -= 1;
        if budget == 0 {
            return NativeOutcome::Unknown(Undecided {
                rule: None,
                reason: format!("more than {MAX_RULES} rules in one walk: a loop"),
            });
        }
        let here = RuleRef {
            table: tref.clone(),
            chain: chain.name.clone(),
            number: index + 1,
        };
        index += 1;
        let mut assumed: Option<(String, bool)> = None;
        let end = {
            let oracle = &mut run.oracle;
            let mut decide = |reason: &str| {
                let b = oracle.decide(&here, reason);
                assumed.get_or_insert((reason.to_string(), b));
                b
            };
            run_rule(table, &rule.exprs, flow, &mut decide)
        };
        let result = match (&assumed, &end) {
            (Some((reason, b)), _) => {
                run.unknowns.push(UnknownNote {
                    at: here.clone(),
                    reason: reason.clone(),
                    explored: true,
                });
                MatchResult::Unknown {
                    reason: reason.clone(),
                    assumed: *b,
                }
            }
            (None, RuleEnd::NoMatch) => MatchResult::NotMatched,
            (None, _) => MatchResult::Matched,
        };
        run.steps.push(Step::NativeRule {
            at: here.clone(),
            rule: Box::new(rule.clone()),
            text: rule_text(table, rule),
            result,
        });
        let verdict = match end {
            RuleEnd::NoMatch | RuleEnd::Continue => continue,
            RuleEnd::Unknown(reason) => {
                return NativeOutcome::Unknown(Undecided {
                    rule: Some(here),
                    reason,
                })
            }
            RuleEnd::Reject(k) => {
                return NativeOutcome::Reject(reject_of(k, flow.family), Decision::Rule(here))
            }
            RuleEnd::Nat(n) => return NativeOutcome::Nat(n, here),
            RuleEnd::Verdict(v) => v,
        };
        let (target, jump) = match verdict {
            Verdict::Accept => return NativeOutcome::Accept(Decision::Rule(here)),
            Verdict::Drop => return NativeOutcome::Drop(Decision::Rule(here)),
            Verdict::Continue => continue,
            Verdict::Return => match stack.pop() {
                Some((c, i)) if !std::ptr::eq(chain, base) => {
                    (chain, index) = (c, i);
                    enter(run, &chain.name, Entry::Return);
                    continue;
                }
                _ => return apply_policy(run),
            },
            Verdict::Other(code) => {
                return NativeOutcome::Unknown(Undecided {
                    rule: Some(here),
                    reason: format!("verdict code {code} (queue, stolen, ...) is not modelled"),
                })
            }
            Verdict::Jump(c) => (c, true),
            Verdict::Goto(c) => (c, false),
        };
        let Some(next) = table.chain(&target) else {
            return NativeOutcome::Unknown(Undecided {
                rule: Some(here),
                reason: format!("chain {target} does not exist in {}", tref),
            });
        };
        if next.base.is_some() || stack.len() >= MAX_JUMP_DEPTH {
            return NativeOutcome::Unknown(Undecided {
                rule: Some(here),
                reason: format!("jump to {target}: a base chain or too deep (not loadable)"),
            });
        }
        if jump {
            stack.push((chain, index));
        }
        (chain, index) = (next, 0);
        enter(
            run,
            &chain.name,
            if jump { Entry::Jump } else { Entry::Goto },
        );
    }
}
