//! Follows a packet through one built-in chain of one table, with every jump, goto and return
//! exactly as nf_tables runs iptables-nft rules.
//!
//! Contract:
//! - `-j C` pushes the position after the rule and enters `C`; `-g C` enters `C` without
//!   pushing; `RETURN` and the end of a user chain pop the stack; an empty stack (the built-in
//!   chain's own end or RETURN, or the end of a chain reached by `-g` from it) applies the
//!   built-in chain's policy.
//! - Rules without a target and LOG continue with the next rule.
//! - A rule whose match is unknown: if its target cannot change the packet's fate (none, LOG)
//!   it is skipped; otherwise the [`Oracle`] decides which branch this run follows, and the
//!   driver ([`super::explain`]) runs every combination and compares the outcomes.
//! - Rulesets nf_tables would refuse to load end the walk with an unknown outcome: a jump or
//!   goto loop, chains nested deeper than [`MAX_JUMP_DEPTH`] (nf_tables counts jumps and gotos
//!   alike when it validates a base chain), missing chains, jumps to built-in chains.

use crate::model::target::Reject;
use crate::model::{Hook, Policy, Table, Target};

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

    fn decide(&mut self, at: &RuleRef, reason: &str) -> bool {
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

fn has_effect(target: &Option<Target>) -> bool {
    !matches!(target, None | Some(Target::Log(_)))
}

impl Run {
    fn policy<'r>(&mut self, table: &Table, base: &str) -> Outcome<'r> {
        let policy = table
            .chain(base)
            .and_then(|c| c.policy())
            .unwrap_or(Policy::Accept);
        self.steps.push(Step::Policy {
            table: table.name(),
            chain: base.to_string(),
            policy,
        });
        let d = Decision::Policy {
            table: table.name(),
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
            table: table.name(),
            chain: chain.to_string(),
            how,
        });
    }

    /// Walks built-in chain `base` of `table` (which must exist) with the packet `flow`.
    pub fn walk<'r>(
        &mut self,
        table: &'r Table,
        base: &str,
        hook: Hook,
        flow: &Flow<'_>,
    ) -> Outcome<'r> {
        let tname = table.name();
        match depth(table, base, &mut Vec::new(), &mut Vec::new()) {
            Ok(d) if d < MAX_JUMP_DEPTH => {}
            Ok(d) => {
                return Outcome::Unknown(Undecided {
                    rule: None,
                    reason: format!(
                        "{tname} {base} nests chains {d} deep, nf_tables allows {} (not loadable)",
                        MAX_JUMP_DEPTH - 1
                    ),
                })
            }
            Err(reason) => {
                return Outcome::Unknown(Undecided { rule: None, reason });
            }
        }
        self.enter(table, base, Entry::Hook(hook));
        let mut stack: Vec<(&str, usize)> = Vec::new();
        let (mut cur, mut idx): (&str, usize) = (base, 0);
        let mut budget = MAX_RULES_PER_WALK;
        loop {
            let Some(chain) = table.chain(cur) else {
                return Outcome::Unknown(Undecided {
                    rule: None,
                    reason: format!("chain {cur} does not exist in table {tname}"),
                });
            };
            let Some(rule) = chain.rules.get(idx) else {
                // End of chain: a user chain returns, the built-in chain applies its policy.
                match stack.pop() {
                    Some((c, i)) if cur != base => {
                        (cur, idx) = (c, i);
                        self.enter(table, cur, Entry::Return);
                        continue;
                    }
                    _ => return self.policy(table, base),
                }
            };
            budget = budget.saturating_sub(1);
            if budget == 0 {
                return Outcome::Unknown(Undecided {
                    rule: None,
                    reason: format!("more than {MAX_RULES_PER_WALK} rules in one walk: a loop"),
                });
            }
            let at = RuleRef {
                table: tname,
                chain: cur.to_string(),
                number: idx + 1,
            };
            let (matched, result) = match matcher::rule(rule, flow) {
                Tri::Yes => (true, MatchResult::Matched),
                Tri::No => (false, MatchResult::NotMatched),
                Tri::Unknown(reason) => {
                    let explored = has_effect(&rule.target);
                    let assumed = explored && self.oracle.decide(&at, &reason);
                    self.unknowns.push(UnknownNote {
                        at: at.clone(),
                        reason: reason.clone(),
                        explored,
                    });
                    (assumed, MatchResult::Unknown { reason, assumed })
                }
            };
            self.steps.push(Step::Rule {
                at: at.clone(),
                rule: Box::new(rule.clone()),
                result,
            });
            idx += 1;
            if !matched {
                continue;
            }
            let Some(target) = &rule.target else { continue };
            match target {
                Target::Log(_) => {}
                Target::Accept => return Outcome::Accept(Decision::Rule(at)),
                Target::Drop => return Outcome::Drop(Decision::Rule(at)),
                Target::Reject(r) => return Outcome::Reject(*r, Decision::Rule(at)),
                Target::Dnat(_) | Target::Snat(_) | Target::Masquerade(_) => {
                    return Outcome::Nat(target, at)
                }
                Target::Return => match stack.pop() {
                    Some((c, i)) if cur != base => {
                        (cur, idx) = (c, i);
                        self.enter(table, cur, Entry::Return);
                    }
                    _ => return self.policy(table, base),
                },
                Target::Jump(c) | Target::Goto(c) => {
                    let jump = matches!(target, Target::Jump(_));
                    if jump {
                        if stack.len() >= MAX_JUMP_DEPTH {
                            return Outcome::Unknown(Undecided {
                                rule: Some(at),
                                reason: format!(
                                    "jump deeper than {MAX_JUMP_DEPTH} chains (not loadable)"
                                ),
                            });
                        }
                        stack.push((cur, idx));
                    }
                    let Some(next) = table.chain(c.as_str()) else {
                        return Outcome::Unknown(Undecided {
                            rule: Some(at),
                            reason: format!("target chain {c} does not exist"),
                        });
                    };
                    if next.is_builtin() {
                        return Outcome::Unknown(Undecided {
                            rule: Some(at),
                            reason: format!("jump to built-in chain {c} (not loadable)"),
                        });
                    }
                    cur = next.name().as_str();
                    idx = 0;
                    self.enter(table, cur, if jump { Entry::Jump } else { Entry::Goto });
                }
            }
        }
    }
}
