//! Follows a packet through one built-in chain of one table, with every jump, goto and return
//! exactly as nf_tables runs iptables-nft rules.
//!
//! Contract:
//! - `-j C` pushes the position after the rule and enters `C`; `-g C` enters `C` without
//!   pushing; `RETURN` and the end of a user chain pop the stack; an empty stack (the built-in
//!   chain's own end or RETURN, or the end of a chain reached by `-g` from it) applies the
//!   built-in chain's policy.
//! - Rules without a target and the continuing targets (LOG, NFLOG, MARK, CONNMARK, TCPMSS,
//!   CT) continue with the next rule, after [`effects::apply`](super::effects::apply).
//! - A rule whose match is unknown: if its target cannot change the packet's fate or what
//!   later rules see (none, LOG, NFLOG, TCPMSS, CT without `--notrack`) it is skipped; otherwise the [`Oracle`] decides which branch this run follows, and the
//!   driver ([`super::explain`]) runs every combination and compares the outcomes.
//! - A rule dfw cannot decode ([`Target::Opaque`]) that this run takes as matched ends the
//!   walk with an unknown outcome naming it: it may do anything. Packets it cannot match
//!   (its known header and matches say no) pass it by, so only the verdicts it can change
//!   become unknown.
//! - Rulesets nf_tables would refuse to load end the walk with an unknown outcome: a jump or
//!   goto loop, chains nested deeper than [`MAX_JUMP_DEPTH`] (nf_tables counts jumps and gotos
//!   alike when it validates a base chain), missing chains, jumps to built-in chains.

use crate::model::target::Reject;
use crate::model::{Hook, Policy, Rule, Table, Target};

use super::effects;
use super::flow::Flow;
use super::matcher;
use super::trace::{Decision, Entry, MatchResult, RuleRef, Step, Undecided, UnknownNote};
use super::tri::Tri;

/// nf_tables' jump stack size (`NFT_JUMP_STACK_SIZE`): a base chain's rules may nest user
/// chains at most this deep minus one.
pub const MAX_JUMP_DEPTH: usize = 16;

/// The nesting depth of the chains reached from `chain` (0 without jumps or gotos).
///
/// # Errors
/// The reason when a loop or a missing chain makes the table unloadable.
fn depth<'t>(
    table: &'t Table,
    chain: &'t str,
    open: &mut Vec<&'t str>,
    memo: &mut Vec<(&'t str, usize)>,
) -> Result<usize, String> {
    if let Some((_, d)) = memo.iter().find(|(c, _)| *c == chain) {
        return Ok(*d);
    }
    if open.contains(&chain) {
        return Err(format!(
            "chain {chain} is part of a jump/goto loop (not loadable)"
        ));
    }
    let Some(c) = table.chain(chain) else {
        return Err(format!(
            "chain {chain} does not exist in table {}",
            table.name()
        ));
    };
    open.push(chain);
    let mut deepest = 0;
    for r in &c.rules {
        if let Some(next) = r.target.as_ref().and_then(|t| t.chain()) {
            deepest = deepest.max(1 + depth(table, next.as_str(), open, memo)?);
        }
    }
    open.pop();
    memo.push((chain, deepest));
    Ok(deepest)
}

/// Rule evaluations allowed in one chain walk, against loops in a hand-built model.
const MAX_RULES_PER_WALK: usize = 100_000;

/// Chooses the branch at each undecidable rule: replays a fixed list of assumptions, then
/// assumes "not matched" and records the new decision points.
#[derive(Debug, Default)]
pub(crate) struct Oracle {
    assumptions: Vec<bool>,
    used: usize,
    /// Every decision point met in this run, in order, with the value assumed.
    pub points: Vec<(RuleRef, String, bool)>,
}

impl Oracle {
    /// An oracle replaying `assumptions`.
    pub fn replaying(assumptions: Vec<bool>) -> Self {
        Oracle {
            assumptions,
            ..Oracle::default()
        }
    }

    pub(crate) fn decide(&mut self, at: &RuleRef, reason: &str) -> bool {
        let b = self.assumptions.get(self.used).copied().unwrap_or(false);
        self.used += 1;
        self.points.push((at.clone(), reason.to_string(), b));
        b
    }
}

/// How a chain walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome<'r> {
    /// ACCEPT by rule or policy.
    Accept(Decision),
    /// DROP by rule or policy.
    Drop(Decision),
    /// REJECT by rule.
    Reject(Reject, Decision),
    /// A NAT target matched (only meaningful in the nat table).
    Nat(&'r Target, RuleRef),
    /// Cannot be decided.
    Unknown(Undecided),
}

/// The recorder of one run: steps, unknown notes and the oracle.
#[derive(Debug, Default)]
pub(crate) struct Run {
    pub steps: Vec<Step>,
    pub unknowns: Vec<UnknownNote>,
    pub oracle: Oracle,
}

impl Run {
    fn policy<'r>(&mut self, table: &Table, base: &str) -> Outcome<'r> {
        let policy = table
            .chain(base)
            .and_then(|c| c.policy())
            .unwrap_or(Policy::Accept);
        self.steps.push(Step::Policy {
            table: table.name().into(),
            chain: base.to_string(),
            policy,
        });
        let d = Decision::Policy {
            table: table.name().into(),
            chain: base.to_string(),
            policy,
        };
        match policy {
            Policy::Accept => Outcome::Accept(d),
            Policy::Drop => Outcome::Drop(d),
        }
    }

    fn enter(&mut self, table: &Table, chain: &str, how: Entry) {
        self.steps.push(Step::Enter {
            table: table.name().into(),
            chain: chain.to_string(),
            how,
        });
    }

    /// Walks built-in chain `base` of `table` (which must exist) with the packet `flow`: each
    /// rule met is evaluated ([`Run::evaluate`]) and, when it matches, its target followed
    /// ([`Run::follow`]); the end of a chain returns ([`Run::pop`]) or applies the policy.
    pub fn walk<'r>(
        &mut self,
        table: &'r Table,
        base: &str,
        hook: Hook,
        flow: &mut Flow<'_>,
    ) -> Outcome<'r> {
        if let Err(u) = loadable(table, base) {
            return Outcome::Unknown(u);
        }
        self.enter(table, base, Entry::Hook(hook));
        let mut at = Cursor {
            chain: base,
            index: 0,
            stack: Vec::new(),
        };
        let mut budget = MAX_RULES_PER_WALK;
        loop {
            let Some(chain) = table.chain(at.chain) else {
                let reason = format!(
                    "chain {} does not exist in table {}",
                    at.chain,
                    table.name()
                );
                return Outcome::Unknown(Undecided { rule: None, reason });
            };
            let Some(rule) = chain.rules.get(at.index) else {
                // End of chain: a user chain returns, the built-in chain applies its policy.
                if self.pop(table, base, &mut at) {
                    continue;
                }
                return self.policy(table, base);
            };
            budget = budget.saturating_sub(1);
            if budget == 0 {
                return Outcome::Unknown(Undecided {
                    rule: None,
                    reason: format!("more than {MAX_RULES_PER_WALK} rules in one walk: a loop"),
                });
            }
            let here = RuleRef {
                table: table.name().into(),
                chain: at.chain.to_string(),
                number: at.index + 1,
            };
            let matched = self.evaluate(rule, &here, flow);
            at.index += 1;
            let Some(target) = rule.target.as_ref().filter(|_| matched) else {
                continue;
            };
            if let Some(outcome) = self.follow(table, base, target, here, &mut at, flow) {
                return outcome;
            }
        }
    }

    /// Evaluates `rule` (at `here`) against the packet and records the step; true when this
    /// run takes it as matched (an undecidable match whose target matters is decided by the
    /// oracle, one that cannot change the packet's fate is skipped).
    fn evaluate(&mut self, rule: &Rule, here: &RuleRef, flow: &Flow<'_>) -> bool {
        let (matched, result) = match matcher::rule(rule, flow) {
            // Only the conditions dfw decodes of it are known to match: shown as unknown,
            // taken as matched (its outcome is then unknown, whatever the other branch does).
            Tri::Yes if matches!(rule.target, Some(Target::Opaque(_))) => (
                true,
                MatchResult::Unknown {
                    reason: "the packet meets what dfw decodes of this rule; the rest it \
                             cannot decode"
                        .into(),
                    assumed: true,
                },
            ),
            Tri::Yes => (true, MatchResult::Matched),
            Tri::No => (false, MatchResult::NotMatched),
            Tri::Unknown(reason) => {
                let explored = !effects::inert(&rule.target);
                let assumed = explored && self.oracle.decide(here, &reason);
                self.unknowns.push(UnknownNote {
                    at: here.clone(),
                    reason: reason.clone(),
                    explored,
                });
                (assumed, MatchResult::Unknown { reason, assumed })
            }
        };
        self.steps.push(Step::Rule {
            at: here.clone(),
            rule: Box::new(rule.clone()),
            result,
        });
        matched
    }

    /// Follows the target of the matched rule at `here`: the walk's outcome when it ends
    /// here, `None` when it goes on from `at` (a continuing target, a return, a jump or goto).
    fn follow<'r: 'c, 'c>(
        &mut self,
        table: &'r Table,
        base: &'c str,
        target: &'r Target,
        here: RuleRef,
        at: &mut Cursor<'c>,
        flow: &mut Flow<'_>,
    ) -> Option<Outcome<'r>> {
        let (c, jump) =
            match target {
                Target::Log(_)
                | Target::Nflog(_)
                | Target::Mark(_)
                | Target::Connmark(_)
                | Target::Tcpmss(_)
                | Target::Ct(_) => {
                    return effects::apply(target, table.name(), flow)
                        .err()
                        .map(|reason| {
                            Outcome::Unknown(Undecided {
                                rule: Some(here),
                                reason,
                            })
                        })
                }
                Target::Accept => return Some(Outcome::Accept(Decision::Rule(here))),
                Target::Drop => return Some(Outcome::Drop(Decision::Rule(here))),
                Target::Reject(r) => return Some(Outcome::Reject(*r, Decision::Rule(here))),
                Target::Dnat(_) | Target::Snat(_) | Target::Masquerade(_) | Target::Redirect(_) => {
                    return Some(Outcome::Nat(target, here))
                }
                Target::Opaque(o) => {
                    return Some(Outcome::Unknown(Undecided {
                        rule: Some(here),
                        reason: format!(
                        "a rule dfw cannot decode ({}{}) may match: it may accept, drop, jump, \
                         return or change the packet",
                        o.handle.map(|h| format!("handle {h}: ")).unwrap_or_default(),
                        o.reason
                    ),
                    }))
                }
                Target::Return if self.pop(table, base, at) => return None,
                Target::Return => return Some(self.policy(table, base)),
                Target::Jump(c) => (c, true),
                Target::Goto(c) => (c, false),
            };
        let unknown = |reason: String| {
            Some(Outcome::Unknown(Undecided {
                rule: Some(here.clone()),
                reason,
            }))
        };
        if jump {
            if at.stack.len() >= MAX_JUMP_DEPTH {
                return unknown(format!(
                    "jump deeper than {MAX_JUMP_DEPTH} chains (not loadable)"
                ));
            }
            at.stack.push((at.chain, at.index));
        }
        let Some(next) = table.chain(c.as_str()) else {
            return unknown(format!("target chain {c} does not exist"));
        };
        if next.is_builtin() {
            return unknown(format!("jump to built-in chain {c} (not loadable)"));
        }
        at.chain = next.name().as_str();
        at.index = 0;
        let how = if jump { Entry::Jump } else { Entry::Goto };
        self.enter(table, at.chain, how);
        None
    }

    /// Returns from a user chain to the rule after the jump that entered it; false at the
    /// built-in chain's own level (its policy applies).
    fn pop<'c>(&mut self, table: &Table, base: &str, at: &mut Cursor<'c>) -> bool {
        match at.stack.pop() {
            Some((chain, index)) if at.chain != base => {
                (at.chain, at.index) = (chain, index);
                self.enter(table, chain, Entry::Return);
                true
            }
            _ => false,
        }
    }
}

/// Where a walk is: the chain, the index of the next rule in it, and the return stack of
/// `-j` (chain, index after the jump).
struct Cursor<'c> {
    chain: &'c str,
    index: usize,
    stack: Vec<(&'c str, usize)>,
}

/// Whether nf_tables would load `table` as seen from `base`: no jump/goto loop, no missing
/// chain, chains nested less than [`MAX_JUMP_DEPTH`] deep.
fn loadable(table: &Table, base: &str) -> Result<(), Undecided> {
    let reason = match depth(table, base, &mut Vec::new(), &mut Vec::new()) {
        Ok(d) if d < MAX_JUMP_DEPTH => return Ok(()),
        Ok(d) => format!(
            "{} {base} nests chains {d} deep, nf_tables allows {} (not loadable)",
            table.name(),
            MAX_JUMP_DEPTH - 1
        ),
        Err(reason) => reason,
    };
    Err(Undecided { rule: None, reason })
}
