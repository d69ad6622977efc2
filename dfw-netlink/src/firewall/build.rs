//! Building the batch (pure): a [`Plan`] becomes one `nft::Batch` whose every message is
//! described by a [`Step`], so a kernel error's seq maps back to what caused it.
//!
//! Contract: order in the batch, one step of [`build_batch`] each: tables (create-if-missing,
//! as iptables sends them), chains created (built-ins with hook, priority, type and policy
//! exactly as iptables-nft; user chains exclusive), policies of existing built-ins, every
//! rule deletion (one flush of the chain when the plan says so, [`super::ChainPlan::flush`]),
//! every rule insertion or replacement (in the plan's order; a replacement is one NEWRULE
//! with `NLM_F_REPLACE` and the old handle, as `iptables -R` sends it), then every chain to
//! delete is flushed (nf_tables refuses to delete a chain that still holds rules, and rules of
//! one deleted chain may jump to another) and deleted. Rules are encoded by
//! [`crate::rule_codec::encode_rule`].

use dfw_core::model::{Family, Policy, TableName};

use super::error::Unencodable;
use super::plan::{ChainPlan, Create, Place, Plan, RuleOp};
use super::step::{Step, StepKind};
use super::types::ChangeSet;
use super::{nfamily, FirewallError};
use crate::nft::{
    Batch, ChainMsg, CreateMode, DelChain, DelRule, FinishedBatch, FlushChain, Hook, NewChain,
    NewRule, NewTable, NftRequest, RuleMsg, TableMsg,
};
use crate::rule_codec::{encode_rule_in, SetIndex, NO_SETS};
use crate::wire::consts::NLM_F_ECHO;

fn policy_value(p: Policy) -> u32 {
    p as u32
}

/// Builds the batch for `plan`, made by [`make_plan`](super::make_plan) from `changes` (whose
/// rules the insertions send), BEGIN carrying `genid`, sequence numbers from `first_seq`;
/// with `echo_inserts`, the first and the last rule insertion of each (family, table) ask
/// for `NLM_F_ECHO` (the kernel answers with the new rule and its handle; the handles in
/// between are consecutive, see `cache`). The messages go in the order of the module
/// contract, one step each.
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
    build_batch_in(plan, changes, genid, first_seq, echo_inserts, &NO_SETS)
}

/// [`build_batch`] with the kernel's ipset indices, for rules with `-m set` matches.
///
/// # Errors
/// As [`build_batch`]; a rule whose set `sets` does not know is [`Unencodable::Rule`].
pub fn build_batch_in(
    plan: &Plan,
    changes: &ChangeSet,
    genid: u32,
    first_seq: u32,
    echo_inserts: bool,
    sets: &SetIndex,
) -> Result<FinishedBatch<Step>, FirewallError> {
    let mut b = Builder::new(plan, genid, first_seq, echo_inserts, sets);
    b.tables(plan)?;
    b.created_chains(plan)?;
    b.policies(plan)?;
    b.rule_deletions(plan)?;
    b.rule_insertions(plan, changes)?;
    b.deleted_chains(plan)?;
    for r in &plan.native {
        let s = step(
            Family::Ipv4,
            TableName::Filter,
            Some(&r.request().describe()),
            StepKind::Native,
        );
        b.batch
            .push(r.request(), s)
            .map_err(|e| FirewallError::Native { source: e })?;
    }
    Ok(b.batch.finish())
}

/// The batch being built, and which insertions ask for an echo.
struct Builder<'s> {
    batch: Batch<Step>,
    echo: EchoRuns,
    sets: &'s SetIndex,
}

fn step(family: Family, table: TableName, chain: Option<&str>, kind: StepKind) -> Step {
    Step {
        family,
        table,
        chain: chain.map(str::to_string),
        kind,
    }
}

/// The encode error of the message `s` describes.
fn unencodable(s: &Step, source: Unencodable) -> FirewallError {
    FirewallError::Encode {
        family: s.family,
        table: s.table,
        chain: s.chain.clone().unwrap_or_default(),
        position: match s.kind {
            StepKind::InsertRule { position }
            | StepKind::ReplaceRule { position, .. }
            | StepKind::DeleteRule { position, .. } => position,
            _ => 0,
        },
        source: Box::new(source),
    }
}

impl<'s> Builder<'s> {
    fn new(
        plan: &Plan,
        genid: u32,
        first_seq: u32,
        echo_inserts: bool,
        sets: &'s SetIndex,
    ) -> Self {
        let mut batch: Batch<Step> = Batch::new(first_seq, Some(genid));
        // Rules take 200-700 bytes on the wire; untouched reserved pages cost no memory. One
        // description per message: at most one per rule operation, two per chain and table.
        let ops: usize = plan.chains.iter().map(|c| c.ops.len()).sum();
        let others = 2 * (plan.tables.len() + plan.chains.len() + plan.delete_chains.len());
        batch.reserve(ops + others, 640);
        let echo = EchoRuns {
            ends: if echo_inserts {
                insert_ends(plan)
            } else {
                Vec::new()
            },
            sent: Vec::new(),
        };
        Builder { batch, echo, sets }
    }

    /// Appends one message, with extra `flags`, described as doing `kind` to `chain` of
    /// `family`'s `table` (`None`: to the table). Generic, not `&dyn`: a rule's attributes
    /// are written on the hot path of every commit.
    fn push<R: NftRequest>(
        &mut self,
        req: &R,
        flags: u16,
        (family, table, chain): (Family, TableName, Option<&str>),
        kind: StepKind,
    ) -> Result<(), FirewallError> {
        // The step moves into the batch; only an error (the batch unchanged) builds another.
        let s = step(family, table, chain, kind);
        match self.batch.push_with_flags(req, flags, s) {
            Ok(_) => Ok(()),
            Err(e) => Err(unencodable(
                &step(family, table, chain, kind),
                Unencodable::Wire(e),
            )),
        }
    }

    /// Every table where a chain is created, create-if-missing.
    fn tables(&mut self, plan: &Plan) -> Result<(), FirewallError> {
        for &(family, table) in &plan.tables {
            let req = NewTable(TableMsg::new(nfamily(family), table.as_str()));
            self.push(&req, 0, (family, table, None), StepKind::NewTable)?;
        }
        Ok(())
    }

    /// Every missing chain: user chains exclusive, built-ins exactly as iptables-nft.
    fn created_chains(&mut self, plan: &Plan) -> Result<(), FirewallError> {
        for c in &plan.chains {
            let (fam, t, name) = (nfamily(c.family), c.table.as_str(), c.chain.as_str());
            let (req, kind) = match c.create {
                None => continue,
                Some(Create::User) => (
                    NewChain {
                        chain: ChainMsg::user(fam, t, name),
                        mode: CreateMode::Exclusive,
                    },
                    StepKind::NewUserChain,
                ),
                Some(Create::Builtin(p)) => {
                    let Some(bc) = c.table.builtin(name) else {
                        continue;
                    };
                    let hook = Hook {
                        hooknum: bc.hook as u32,
                        priority: bc.priority,
                    };
                    let policy = Some(policy_value(p));
                    let chain = ChainMsg::base(fam, t, name, hook, bc.chain_type, policy);
                    let req = NewChain {
                        chain,
                        mode: CreateMode::Create,
                    };
                    (req, StepKind::NewBuiltinChain(p))
                }
            };
            self.push(&req, 0, (c.family, c.table, Some(name)), kind)?;
        }
        Ok(())
    }

    /// The policies of existing built-in chains (only those asked and different).
    fn policies(&mut self, plan: &Plan) -> Result<(), FirewallError> {
        for c in &plan.chains {
            let Some(p) = c.set_policy else { continue };
            let mut msg = ChainMsg::user(nfamily(c.family), c.table.as_str(), c.chain.as_str());
            msg.policy = Some(policy_value(p));
            let req = NewChain {
                chain: msg,
                mode: CreateMode::Update,
            };
            let kind = StepKind::SetPolicy(p);
            self.push(&req, 0, (c.family, c.table, Some(&c.chain)), kind)?;
        }
        Ok(())
    }

    /// Every rule deletion: one flush of a chain the plan flushes, else by handle.
    fn rule_deletions(&mut self, plan: &Plan) -> Result<(), FirewallError> {
        for c in &plan.chains {
            let (family, table) = (nfamily(c.family), c.table.as_str());
            if c.flush {
                let count = c
                    .ops
                    .iter()
                    .filter(|op| matches!(op, RuleOp::Delete { .. }))
                    .count();
                let req = FlushChain {
                    family,
                    table: table.into(),
                    chain: c.chain.clone(),
                };
                let kind = StepKind::FlushRules { count };
                self.push(&req, 0, (c.family, c.table, Some(&c.chain)), kind)?;
                continue;
            }
            for op in &c.ops {
                let RuleOp::Delete { handle, position } = *op else {
                    continue;
                };
                let req = DelRule {
                    family,
                    table: table.into(),
                    chain: c.chain.clone(),
                    handle,
                };
                let kind = StepKind::DeleteRule { position, handle };
                self.push(&req, 0, (c.family, c.table, Some(&c.chain)), kind)?;
            }
        }
        Ok(())
    }

    /// Every rule insertion or replacement, in the plan's order, with its rule from `changes`.
    fn rule_insertions(&mut self, plan: &Plan, changes: &ChangeSet) -> Result<(), FirewallError> {
        for (index, c) in plan.chains.iter().enumerate() {
            for op in &c.ops {
                let RuleOp::Insert { position, place } = *op else {
                    continue;
                };
                let kind = match place {
                    Place::Replace(handle) => StepKind::ReplaceRule { position, handle },
                    _ => StepKind::InsertRule { position },
                };
                let at = (c.family, c.table, Some(c.chain.as_str()));
                let fail = |source| unencodable(&step(at.0, at.1, at.2, kind), source);
                let rule = plan
                    .inserted_rule(changes, index, position)
                    .ok_or_else(|| fail(Unencodable::NotInChangeSet))?;
                let enc = encode_rule_in(c.family, rule, self.sets)
                    .map_err(|e| fail(Unencodable::Rule(e)))?;
                let msg = RuleMsg::new(
                    nfamily(c.family),
                    c.table.as_str(),
                    c.chain.as_str(),
                    enc.exprs,
                    enc.compat.unwrap_or_default(),
                );
                // A replacement allocates no handle: not part of the echoed run (see `cache`).
                let flags = match place {
                    Place::Replace(_) => 0,
                    _ if self.echo.ends.is_empty() => 0,
                    _ => self.echo.next(c),
                };
                let req = match place {
                    Place::Append => NewRule::append(msg),
                    Place::After(h) => NewRule::append_after(msg, h),
                    Place::Before(h) => NewRule::insert(msg, Some(h)),
                    Place::Replace(h) => NewRule::replace(msg, h),
                };
                self.push(&req, flags, at, kind)?;
            }
        }
        Ok(())
    }

    /// Every chain to delete: all flushed first (nf_tables refuses to delete a chain that
    /// still holds rules, and rules of one deleted chain may jump to another), then deleted.
    fn deleted_chains(&mut self, plan: &Plan) -> Result<(), FirewallError> {
        for (family, table, chain) in &plan.delete_chains {
            let req = FlushChain {
                family: nfamily(*family),
                table: table.as_str().into(),
                chain: chain.clone(),
            };
            let kind = StepKind::FlushChain;
            self.push(&req, 0, (*family, *table, Some(chain)), kind)?;
        }
        for (family, table, chain) in &plan.delete_chains {
            let req = DelChain {
                family: nfamily(*family),
                table: table.as_str().into(),
                name: chain.clone(),
                nonrecursive: false,
            };
            let kind = StepKind::DeleteChain;
            self.push(&req, 0, (*family, *table, Some(chain)), kind)?;
        }
        Ok(())
    }
}

/// Which rule insertions ask for `NLM_F_ECHO`: the first and the last that allocate a handle
/// in each (family, table) (see `cache`).
struct EchoRuns {
    /// Insertions per (family, table); empty when nothing is echoed.
    ends: Vec<((Family, TableName), usize)>,
    /// Insertions sent so far per (family, table).
    sent: Vec<((Family, TableName), usize)>,
}

impl EchoRuns {
    /// The extra flags of the next handle-allocating insertion into `c` (`ends` not empty).
    fn next(&mut self, c: &ChainPlan) -> u16 {
        let key = (c.family, c.table);
        let k = match self.sent.iter_mut().find(|(t, _)| *t == key) {
            Some((_, k)) => {
                *k += 1;
                *k
            }
            None => {
                self.sent.push((key, 0));
                0
            }
        };
        let last = self
            .ends
            .iter()
            .find(|(t, _)| *t == key)
            .map(|(_, n)| n - 1);
        if k == 0 || Some(k) == last {
            NLM_F_ECHO
        } else {
            0
        }
    }
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
