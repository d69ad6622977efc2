//! Building the batch (pure): a [`Plan`] becomes one `nft::Batch` whose every message is
//! described by a [`Step`], so a kernel error's seq maps back to what caused it.
//!
//! Contract: order in the batch: tables (create-if-missing, as iptables sends them), chains
//! created (built-ins with hook, priority, type and policy exactly as iptables-nft; user
//! chains exclusive), policies of existing built-ins, every rule deletion (one flush of the
//! chain when the plan keeps none of its rules), every rule insertion or replacement (in the
//! plan's order; a replacement is one NEWRULE with `NLM_F_REPLACE` and the old handle, as
//! `iptables -R` sends it), then every chain to
//! delete is flushed (nf_tables refuses to delete a chain that still holds rules, and rules of
//! one deleted chain may jump to another) and deleted. Rules are encoded by
//! [`crate::rule_codec::encode_rule`].

use std::fmt;

use dfw_core::model::{Family, Policy, TableName};

use super::plan::{Create, Place, Plan, RuleOp};
use super::types::ChangeSet;
use super::{nfamily, FirewallError};
use crate::nft::{
    Batch, ChainMsg, CreateMode, DelChain, DelRule, FinishedBatch, FlushChain, Hook, NewChain,
    NewRule, NewTable, RuleMsg, TableMsg,
};
use crate::rule_codec::encode_rule;
use crate::wire::consts::NLM_F_ECHO;

/// What one batch message does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// Create the table if missing.
    NewTable,
    /// Create a user chain.
    NewUserChain,
    /// Create a built-in chain with this policy.
    NewBuiltinChain(Policy),
    /// Set an existing built-in chain's policy.
    SetPolicy(Policy),
    /// Delete the rule at 1-based position (as read) with this handle.
    DeleteRule {
        /// Position in the chain as read.
        position: usize,
        /// Handle.
        handle: u64,
    },
    /// Delete every rule of the chain at once (`count` rules as read): sent instead of
    /// `count` deletions by handle when the plan keeps none of them (the kernel finds each
    /// handle with a walk of the chain, so deleting all of a long chain one by one is
    /// quadratic).
    FlushRules {
        /// Rules deleted.
        count: usize,
    },
    /// Insert the wanted rule at 1-based position.
    InsertRule {
        /// Position in the wanted rules.
        position: usize,
    },
    /// Put the wanted rule at 1-based position in place of the rule with `handle`
    /// (`NLM_F_REPLACE`; the rule keeps the handle).
    ReplaceRule {
        /// Position in the wanted rules.
        position: usize,
        /// Handle of the rule replaced.
        handle: u64,
    },
    /// Delete every rule of a user chain that is about to be deleted.
    FlushChain,
    /// Delete a user chain.
    DeleteChain,
}

/// The description of one batch message: which object, and what it does to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Family.
    pub family: Family,
    /// Table.
    pub table: TableName,
    /// Chain (`None` for a table message).
    pub chain: Option<String>,
    /// What it does.
    pub kind: StepKind,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.family.nft_name(), self.table)?;
        if let Some(c) = &self.chain {
            write!(f, " {c}")?;
        }
        match &self.kind {
            StepKind::NewTable => write!(f, " (create table)"),
            StepKind::NewUserChain => write!(f, " (create chain)"),
            StepKind::NewBuiltinChain(p) => write!(f, " (create built-in chain, policy {p})"),
            StepKind::SetPolicy(p) => write!(f, " (set policy {p})"),
            StepKind::DeleteRule { position, handle } => {
                write!(f, " rule {position} (delete, handle {handle})")
            }
            StepKind::FlushRules { count } => write!(f, " (delete all {count} rules)"),
            StepKind::InsertRule { position } => write!(f, " rule {position} (insert)"),
            StepKind::ReplaceRule { position, handle } => {
                write!(f, " rule {position} (replace handle {handle})")
            }
            StepKind::FlushChain => write!(f, " (flush chain before deleting it)"),
            StepKind::DeleteChain => write!(f, " (delete chain)"),
        }
    }
}

fn policy_value(p: Policy) -> u32 {
    p as u32
}

/// Builds the batch for `plan`, made by [`make_plan`](super::make_plan) from `changes` (whose
/// rules the insertions send), BEGIN carrying `genid`, sequence numbers from `first_seq`;
/// with `echo_inserts`, the first and the last rule insertion of each (family, table) ask
/// for `NLM_F_ECHO` (the kernel answers with the new rule and its handle; the handles in
/// between are consecutive, see `cache`).
///
/// # Errors
/// [`FirewallError::Encode`] naming the rule that cannot be encoded, or an insertion whose
/// rule `changes` does not have (a plan paired with another change set).
pub fn build_batch(
    plan: &Plan,
    changes: &ChangeSet,
    genid: u32,
    first_seq: u32,
    echo_inserts: bool,
) -> Result<FinishedBatch<Step>, FirewallError> {
    let mut b: Batch<Step> = Batch::new(first_seq, Some(genid));
    // Rules take 200-700 bytes on the wire; untouched reserved pages cost no memory. One
    // description per message: at most one per rule operation, two per chain and table.
    let ops: usize = plan.chains.iter().map(|c| c.ops.len()).sum();
    let others = 2 * (plan.tables.len() + plan.chains.len() + plan.delete_chains.len());
    b.reserve(ops + others, 640);
    let ends = if echo_inserts {
        insert_ends(plan)
    } else {
        Vec::new()
    };
    let mut sent: Vec<((Family, TableName), usize)> = Vec::new();
    let step = |family, table, chain: Option<&str>, kind| Step {
        family,
        table,
        chain: chain.map(str::to_string),
        kind,
    };
    let wire = |s: &Step, e: crate::nft::EncodeError| FirewallError::Encode {
        family: s.family,
        table: s.table,
        chain: s.chain.clone().unwrap_or_default(),
        position: match s.kind {
            StepKind::InsertRule { position }
            | StepKind::ReplaceRule { position, .. }
            | StepKind::DeleteRule { position, .. } => position,
            _ => 0,
        },
        reason: e.to_string(),
    };
    let push_flags =
        |b: &mut Batch<Step>, req: &dyn crate::nft::NftRequest, flags: u16, s: Step| {
            let copy = s.clone();
            b.push_with_flags(req, flags, s)
                .map(|_| ())
                .map_err(|e| wire(&copy, e))
        };
    let push =
        |b: &mut Batch<Step>, req: &dyn crate::nft::NftRequest, s: Step| push_flags(b, req, 0, s);
    for &(family, table) in &plan.tables {
        let req = NewTable(TableMsg::new(nfamily(family), table.as_str()));
        push(&mut b, &req, step(family, table, None, StepKind::NewTable))?;
    }
    for c in &plan.chains {
        let fam = nfamily(c.family);
        let t = c.table.as_str();
        match c.create {
            None => {}
            Some(Create::User) => {
                let req = NewChain {
                    chain: ChainMsg::user(fam, t, c.chain.as_str()),
                    mode: CreateMode::Exclusive,
                };
                push(
                    &mut b,
                    &req,
                    step(c.family, c.table, Some(&c.chain), StepKind::NewUserChain),
                )?;
            }
            Some(Create::Builtin(p)) => {
                let Some(bc) = c.table.builtin(&c.chain) else {
                    continue;
                };
                let hook = Hook {
                    hooknum: bc.hook as u32,
                    priority: bc.priority,
                };
                let msg = ChainMsg::base(
                    fam,
                    t,
                    c.chain.as_str(),
                    hook,
                    bc.chain_type,
                    Some(policy_value(p)),
                );
                let req = NewChain {
                    chain: msg,
                    mode: CreateMode::Create,
                };
                let kind = StepKind::NewBuiltinChain(p);
                push(&mut b, &req, step(c.family, c.table, Some(&c.chain), kind))?;
            }
        }
    }
    for c in &plan.chains {
        if let Some(p) = c.set_policy {
            let mut msg = ChainMsg::user(nfamily(c.family), c.table.as_str(), c.chain.as_str());
            msg.policy = Some(policy_value(p));
            let req = NewChain {
                chain: msg,
                mode: CreateMode::Update,
            };
            push(
                &mut b,
                &req,
                step(c.family, c.table, Some(&c.chain), StepKind::SetPolicy(p)),
            )?;
        }
    }
    for c in &plan.chains {
        let deletes = c
            .ops
            .iter()
            .filter(|op| matches!(op, RuleOp::Delete { .. }))
            .count();
        if c.stats.kept == 0 && deletes > 1 && c.create.is_none() {
            let req = FlushChain {
                family: nfamily(c.family),
                table: c.table.as_str().into(),
                chain: c.chain.clone(),
            };
            let kind = StepKind::FlushRules { count: deletes };
            push(&mut b, &req, step(c.family, c.table, Some(&c.chain), kind))?;
            continue;
        }
        for op in &c.ops {
            if let RuleOp::Delete { handle, position } = *op {
                let req = DelRule {
                    family: nfamily(c.family),
                    table: c.table.as_str().into(),
                    chain: c.chain.clone(),
                    handle,
                };
                let kind = StepKind::DeleteRule { position, handle };
                push(&mut b, &req, step(c.family, c.table, Some(&c.chain), kind))?;
            }
        }
    }
    for (index, c) in plan.chains.iter().enumerate() {
        for op in &c.ops {
            let RuleOp::Insert { position, place } = op else {
                continue;
            };
            let kind = match *place {
                Place::Replace(handle) => StepKind::ReplaceRule {
                    position: *position,
                    handle,
                },
                _ => StepKind::InsertRule {
                    position: *position,
                },
            };
            let s = step(c.family, c.table, Some(&c.chain), kind);
            let encode_error = |reason: String| FirewallError::Encode {
                family: c.family,
                table: c.table,
                chain: c.chain.clone(),
                position: *position,
                reason,
            };
            let rule = plan
                .inserted_rule(changes, index, *position)
                .ok_or_else(|| {
                    encode_error("not in the change set the plan was made from".into())
                })?;
            let enc = encode_rule(c.family, rule).map_err(|e| encode_error(e.to_string()))?;
            let compat = enc.compat.unwrap_or_default();
            let msg = RuleMsg::new(
                nfamily(c.family),
                c.table.as_str(),
                c.chain.as_str(),
                enc.exprs,
                compat,
            );
            let req = match *place {
                Place::Append => NewRule::append(msg),
                Place::After(h) => NewRule::append_after(msg, h),
                Place::Before(h) => NewRule::insert(msg, Some(h)),
                Place::Replace(h) => {
                    // Allocates no handle: not part of the echoed run (see `cache`).
                    push(&mut b, &NewRule::replace(msg, h), s)?;
                    continue;
                }
            };
            let key = (c.family, c.table);
            let k = match sent.iter_mut().find(|(t, _)| *t == key) {
                Some((_, k)) => {
                    *k += 1;
                    *k
                }
                None => {
                    sent.push((key, 0));
                    0
                }
            };
            let last = ends.iter().find(|(t, _)| *t == key).map(|(_, n)| n - 1);
            let echo = if !ends.is_empty() && (k == 0 || Some(k) == last) {
                NLM_F_ECHO
            } else {
                0
            };
            // No copy of the step for the error: it is rebuilt from the plan (as `wire` would).
            b.push_with_flags(&req, echo, s)
                .map_err(|e| encode_error(e.to_string()))?;
        }
    }
    for (family, table, chain) in &plan.delete_chains {
        let req = FlushChain {
            family: nfamily(*family),
            table: table.as_str().into(),
            chain: chain.clone(),
        };
        push(
            &mut b,
            &req,
            step(*family, *table, Some(chain), StepKind::FlushChain),
        )?;
    }
    for (family, table, chain) in &plan.delete_chains {
        let req = DelChain {
            family: nfamily(*family),
            table: table.as_str().into(),
            name: chain.clone(),
            nonrecursive: false,
        };
        push(
            &mut b,
            &req,
            step(*family, *table, Some(chain), StepKind::DeleteChain),
        )?;
    }
    Ok(b.finish())
}

/// The number of rule insertions per (family, table), in first-seen order.
fn insert_ends(plan: &Plan) -> Vec<((Family, TableName), usize)> {
    let mut out: Vec<((Family, TableName), usize)> = Vec::new();
    for c in &plan.chains {
        let n = c.ops.iter().filter(|op| allocates_handle(op)).count();
        if n == 0 {
            continue;
        }
        match out.iter_mut().find(|(t, _)| *t == (c.family, c.table)) {
            Some((_, k)) => *k += n,
            None => out.push(((c.family, c.table), n)),
        }
    }
    out
}

/// True for an insertion that gets a new handle from the table (not a replacement).
pub(super) fn allocates_handle(op: &RuleOp) -> bool {
    matches!(op, RuleOp::Insert { place, .. } if !matches!(place, Place::Replace(_)))
}
