//! Planning (pure): the kernel's chains as read plus a [`ChangeSet`] give a [`Plan`], the
//! exact list of table, chain and rule operations one batch will carry.
//!
//! Contract: per chain, [`dfw_core::diff::diff_pinned`] between the kernel's rules (counters
//! left out; opaque rules never equal anything) and the wanted rules, where a wanted
//! [`Wanted::Kernel`] pins the kernel rule with that handle: it is kept where it is, never
//! deleted, moved or re-encoded, and no other rule is matched across it (so a neighbour's
//! rule, even one dfw cannot decode, is never touched). Deletions go by handle.
//! Insertions are placed by handle, relative to rules the edit keeps: a run of new rules
//! after kept handle `H` is sent in reverse order, each "after `H`" (POSITION with
//! `NLM_F_APPEND`); a run at the head, before the first kept handle `N`, is sent in order,
//! each "before `N`" (POSITION without `NLM_F_APPEND`); with no kept rule at all, new rules
//! are appended in order. So the chain ends up exactly as wanted whatever the deletions.
//!
//! Replacements: between two kept rules (or a chain end), the edit deletes `d` rules and
//! inserts `i`; the first `min(d, i)` new rules replace the first deleted ones in place
//! ([`Place::Replace`]: one message, one handle lookup in the kernel, instead of a deletion
//! and a positioned insertion, two lookups). The run's other new rules then go "before" the
//! next kept rule in order, or are appended when none follows. Not when the plan keeps no
//! rule and deletes more than one: the chain is flushed with one message instead
//! ([`ChainPlan::flush`], decided here, sent by `build`).
//! [`ChainPlan::stats`] still counts a replacement as one deletion plus one insertion.
//!
//! A plan refers to the change set it was made from instead of copying its rules:
//! [`Plan::chains`] has one entry per [`ChangeSet::chains`] entry, in the same order, and an
//! insertion (or replacement) names its rule by its 1-based position in that entry's `rules`
//! ([`Plan::inserted_rule`]). Planning copies no rule, so its memory does not grow with the
//! rules' size.

use std::collections::HashSet;

use dfw_core::diff::{diff_pinned, DiffOp, DiffStats, PinError};
use dfw_core::model::{Family, Policy, Rule, TableName};

use super::error::Refusal;
use super::types::{ChainTarget, ChangeSet, KernelChain, KernelTable, Wanted};
use super::FirewallError;

/// Where a new rule goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// At the end of the chain.
    Append,
    /// Right after the rule with this handle.
    After(u64),
    /// Right before the rule with this handle.
    Before(u64),
    /// In place of the rule with this handle, which the plan does not otherwise delete
    /// (`NLM_F_REPLACE`, as `iptables -R` sends it; the new rule keeps that handle).
    Replace(u64),
}

/// One rule operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleOp {
    /// Delete the kernel rule with `handle`, at 1-based `position` of the chain as read.
    Delete {
        /// Handle.
        handle: u64,
        /// 1-based position in the chain as read.
        position: usize,
    },
    /// Insert a wanted rule: the rule at `position` of the chain's wanted rules in the change
    /// set the plan was made from (see [`Plan::inserted_rule`]).
    Insert {
        /// 1-based position in the wanted rules.
        position: usize,
        /// Where it is placed.
        place: Place,
    },
}

/// How a missing chain is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// A user chain.
    User,
    /// A built-in chain, as iptables-nft creates it, with this policy.
    Builtin(Policy),
}

/// What happens to one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainPlan {
    /// Family.
    pub family: Family,
    /// Table.
    pub table: TableName,
    /// Chain.
    pub chain: String,
    /// Created first, when missing.
    pub create: Option<Create>,
    /// A policy sent for an existing built-in chain (only when asked and different).
    pub set_policy: Option<Policy>,
    /// The chain's rules are all deleted with one flush message instead of one deletion per
    /// handle: the plan keeps none of them and deletes more than one (the kernel finds each
    /// handle with a walk of the chain, so deleting a whole long chain one by one is
    /// quadratic), or they were not read ([`super::KernelChain::unread`]). The deletions of
    /// rules read are still listed in `ops`; no rule is replaced in place.
    pub flush: bool,
    /// Rule operations: every deletion, then every insertion, in send order.
    pub ops: Vec<RuleOp>,
    /// Kept / deleted / inserted counts (a rule replaced in place counts as one deleted and
    /// one inserted: the counts are the edit's, whatever messages carry it).
    pub stats: DiffStats,
}

impl ChainPlan {
    /// True when nothing is sent for this chain.
    pub fn is_noop(&self) -> bool {
        self.create.is_none() && self.set_policy.is_none() && self.ops.is_empty() && !self.flush
    }
}

/// Everything one batch will do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Tables sent with create-if-missing (those where a chain is created), in order.
    pub tables: Vec<(Family, TableName)>,
    /// Per wanted chain (no-op chains included), in the change set's order: entry `i` plans
    /// `changes.chains[i]`.
    pub chains: Vec<ChainPlan>,
    /// User chains deleted (with their rules), after every rule operation.
    pub delete_chains: Vec<(Family, TableName, String)>,
    /// Messages for dfw's native table (`table inet dfw`), last in the batch (see
    /// [`super::Firewall::set_native_change`]).
    pub native: Vec<crate::native::NativeChangeRequest>,
}

impl Plan {
    /// The rule an insertion at 1-based `position` of the plan's chain `chain` (an index into
    /// [`Plan::chains`]) sends, taken from `changes`, the change set the plan was made from;
    /// `None` when `changes` does not have it (a plan paired with another change set).
    pub fn inserted_rule<'c>(
        &self,
        changes: &'c ChangeSet,
        chain: usize,
        position: usize,
    ) -> Option<&'c Rule> {
        let cp = self.chains.get(chain)?;
        let target = changes.chains.get(chain)?;
        if target.family != cp.family
            || target.table != cp.table
            || target.chain.as_str() != cp.chain
        {
            return None;
        }
        target.rules.get(position.checked_sub(1)?)?.rule()
    }

    /// True when the batch would be empty.
    pub fn is_empty(&self) -> bool {
        self.delete_chains.is_empty()
            && self.native.is_empty()
            && self.chains.iter().all(ChainPlan::is_noop)
    }

    /// Totals over every chain.
    pub fn stats(&self) -> DiffStats {
        self.chains.iter().fold(DiffStats::default(), |mut a, c| {
            a.kept += c.stats.kept;
            a.deleted += c.stats.deleted;
            a.inserted += c.stats.inserted;
            a
        })
    }
}

fn find<'a>(
    state: &'a [KernelTable],
    family: Family,
    table: TableName,
    chain: &str,
) -> Option<&'a KernelChain> {
    state
        .iter()
        .filter(|t| t.family == family && t.name == table)
        .find_map(|t| t.chain(chain))
}

/// Plans `changes` against `state` (the chains it names, as read).
///
/// # Errors
/// [`FirewallError::MissingChain`] for a missing chain not to be created;
/// [`FirewallError::Refused`] for a chain named twice, a policy on a user chain, deleting
/// a built-in or a chain also wanted, or a kernel rule to keep that is not in its chain (or
/// named out of order).
pub fn make_plan(state: &[KernelTable], changes: &ChangeSet) -> Result<Plan, FirewallError> {
    let mut plan = Plan::default();
    let mut seen = HashSet::new();
    for t in &changes.chains {
        if !seen.insert((t.family, t.table, t.chain.as_str())) {
            return Err(refused(
                t.family,
                t.table,
                t.chain.as_str(),
                Refusal::NamedTwice,
            ));
        }
        let cp = plan_chain(find(state, t.family, t.table, t.chain.as_str()), t)?;
        if cp.create.is_some() && !plan.tables.contains(&(t.family, t.table)) {
            plan.tables.push((t.family, t.table));
        }
        plan.chains.push(cp);
    }
    for (family, table, chain) in &changes.delete_chains {
        let name = chain.as_str();
        if table.builtin(name).is_some() {
            return Err(refused(*family, *table, name, Refusal::DeleteBuiltin));
        }
        if seen.contains(&(*family, *table, name)) {
            return Err(refused(*family, *table, name, Refusal::WantedAndDeleted));
        }
        if find(state, *family, *table, name).is_some() {
            plan.delete_chains.push((*family, *table, name.to_string()));
        }
    }
    Ok(plan)
}

fn refused(family: Family, table: TableName, chain: &str, reason: Refusal) -> FirewallError {
    FirewallError::Refused {
        family,
        table,
        chain: chain.to_string(),
        reason,
    }
}

/// The plan of one wanted chain, `current` as read (`None`: missing).
fn plan_chain(current: Option<&KernelChain>, t: &ChainTarget) -> Result<ChainPlan, FirewallError> {
    let name = t.chain.as_str();
    let (create, set_policy) = create_or_set_policy(current, t)?;
    let (ops, stats, flush) = match current {
        // Rules not read (see `KernelChain::unread`): flushed, every wanted rule appended.
        Some(c) if c.unread.is_some() => {
            kept_missing(t)?;
            (appended(t.rules.len()), inserted(t), true)
        }
        Some(c) => rule_ops(c, &t.rules).map_err(|r| refused(t.family, t.table, name, r))?,
        None => {
            kept_missing(t)?;
            (appended(t.rules.len()), inserted(t), false)
        }
    };
    Ok(ChainPlan {
        family: t.family,
        table: t.table,
        chain: name.to_string(),
        create,
        set_policy,
        flush,
        ops,
        stats,
    })
}

/// Refuses a chain whose kernel rules are not known (missing, or not read) but which is to
/// keep one of them.
fn kept_missing(t: &ChainTarget) -> Result<(), FirewallError> {
    match t.rules.iter().find(|w| matches!(w, Wanted::Kernel(_))) {
        Some(Wanted::Kernel(handle)) => {
            let reason = Refusal::KeptRuleMissing { handle: *handle };
            Err(refused(t.family, t.table, t.chain.as_str(), reason))
        }
        _ => Ok(()),
    }
}

/// `count` wanted rules appended in order.
fn appended(count: usize) -> Vec<RuleOp> {
    (1..=count)
        .map(|position| RuleOp::Insert {
            position,
            place: Place::Append,
        })
        .collect()
}

/// The stats of a chain whose every wanted rule is inserted (none kept; deletions of rules
/// not read are not counted).
fn inserted(t: &ChainTarget) -> DiffStats {
    DiffStats {
        inserted: t.rules.len(),
        ..DiffStats::default()
    }
}

/// How a wanted chain is created when missing, or the policy sent for an existing built-in.
fn create_or_set_policy(
    current: Option<&KernelChain>,
    t: &ChainTarget,
) -> Result<(Option<Create>, Option<Policy>), FirewallError> {
    let name = t.chain.as_str();
    let builtin = t.table.builtin(name);
    if t.policy.is_some() && builtin.is_none() {
        return Err(refused(t.family, t.table, name, Refusal::PolicyOnUserChain));
    }
    match current {
        None if !t.create => Err(FirewallError::MissingChain {
            family: t.family,
            table: t.table,
            chain: name.to_string(),
        }),
        None if builtin.is_some() => Ok((
            Some(Create::Builtin(t.policy.unwrap_or(Policy::Accept))),
            None,
        )),
        None => Ok((Some(Create::User), None)),
        Some(c) => {
            let now = c.base.as_ref().and_then(|b| b.policy);
            match t.policy {
                Some(_) if c.base.is_none() => {
                    Err(refused(t.family, t.table, name, Refusal::NoPolicyInKernel))
                }
                Some(p) if now != Some(p) => Ok((None, Some(p))),
                _ => Ok((None, None)),
            }
        }
    }
}

/// The rule operations turning `chain`'s rules into `wanted` (see the module contract), and
/// whether the chain is flushed instead of its rules deleted one by one (the one place that
/// decides it: [`ChainPlan::flush`]).
///
/// # Errors
/// The [`Refusal`] of a kernel rule to keep that the chain does not hold, or that is named
/// out of order.
fn rule_ops(
    chain: &KernelChain,
    wanted: &[Wanted],
) -> Result<(Vec<RuleOp>, DiffStats, bool), Refusal> {
    // Positions of the kernel rules to keep, looked up once (most chains have none).
    let by_handle: std::collections::HashMap<u64, usize> =
        if wanted.iter().any(|w| matches!(w, Wanted::Kernel(_))) {
            chain
                .rules
                .iter()
                .enumerate()
                .map(|(i, r)| (r.handle, i))
                .collect()
        } else {
            Default::default()
        };
    let pin = |j: usize| match wanted[j] {
        // A missing handle pins past the end: reported as missing.
        Wanted::Kernel(h) => Some(by_handle.get(&h).copied().unwrap_or(usize::MAX)),
        Wanted::Rule(_) => None,
    };
    // Rule equality ignores counters, so rules are compared in place (no copies: this runs
    // over every rule of the chain on every apply).
    let script = diff_pinned(chain.rules.len(), wanted.len(), pin, |i, j| {
        chain.rules[i].rule.rule().is_some() && chain.rules[i].rule.rule() == wanted[j].rule()
    })
    .map_err(|e| {
        let (PinError::Missing { new, .. } | PinError::OutOfOrder { new, .. }) = e;
        let handle = match wanted.get(new) {
            Some(Wanted::Kernel(h)) => *h,
            _ => 0,
        };
        match e {
            PinError::Missing { .. } => Refusal::KeptRuleMissing { handle },
            PinError::OutOfOrder { .. } => Refusal::KeptRulesOutOfOrder { handle },
        }
    })?;
    let stats = DiffStats::of(&script);
    // With no kept rule and several deletions the chain is flushed: no replacements.
    let flush = stats.kept == 0 && stats.deleted > 1;
    let handle = |old: usize| chain.rules.get(old).map(|r| r.handle);
    let mut run = Run {
        deletes: Vec::new(),
        inserts: Vec::new(),
        del_run: Vec::new(),
        ins_run: Vec::new(),
        replace: !flush,
    };
    // The last kept rule (index as read); handles are looked up only where a run ends, so a
    // small change in a long chain does not walk every kernel rule again.
    let mut prev_kept: Option<usize> = None;
    for op in &script {
        match *op {
            DiffOp::Keep { old, .. } => {
                if run.is_open() {
                    run.flush(prev_kept.and_then(handle), handle(old));
                }
                prev_kept = Some(old);
            }
            DiffOp::Delete { old } => {
                if let Some(h) = handle(old) {
                    run.del_run.push((h, old + 1));
                }
            }
            DiffOp::Insert { new } => run.ins_run.push(new),
        }
    }
    run.flush(prev_kept.and_then(handle), None);
    let mut ops = run.deletes;
    ops.extend(run.inserts);
    Ok((ops, stats, flush))
}

/// The deletions and insertions between two kept rules, turned into operations.
struct Run {
    /// Deletions so far (sent first).
    deletes: Vec<RuleOp>,
    /// Replacements and insertions so far (sent after every deletion).
    inserts: Vec<RuleOp>,
    /// The current run's deleted rules: (handle, 1-based position as read).
    del_run: Vec<(u64, usize)>,
    /// The current run's new rules (0-based wanted index).
    ins_run: Vec<usize>,
    /// Whether deleted rules may be replaced in place.
    replace: bool,
}

impl Run {
    /// True when the current run has a deletion or an insertion.
    fn is_open(&self) -> bool {
        !self.del_run.is_empty() || !self.ins_run.is_empty()
    }

    /// Ends the current run, between kept handles `prev` and `next` (see the contract).
    fn flush(&mut self, prev: Option<u64>, next: Option<u64>) {
        let mk = |j: usize, place| RuleOp::Insert {
            position: j + 1,
            place,
        };
        let paired = if self.replace {
            self.del_run.len().min(self.ins_run.len())
        } else {
            0
        };
        for (&(handle, _), &j) in self.del_run.iter().zip(&self.ins_run).take(paired) {
            self.inserts.push(mk(j, Place::Replace(handle)));
        }
        self.deletes.extend(
            self.del_run[paired..]
                .iter()
                .map(|&(handle, position)| RuleOp::Delete { handle, position }),
        );
        let rest = &self.ins_run[paired..];
        match (paired, prev, next) {
            (0, Some(h), _) => self
                .inserts
                .extend(rest.iter().rev().map(|&j| mk(j, Place::After(h)))),
            (_, _, Some(n)) => self
                .inserts
                .extend(rest.iter().map(|&j| mk(j, Place::Before(n)))),
            (_, _, None) => self
                .inserts
                .extend(rest.iter().map(|&j| mk(j, Place::Append))),
        }
        self.del_run.clear();
        self.ins_run.clear();
    }
}
