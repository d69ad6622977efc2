//! The state cache of a long-lived [`super::Firewall`] handle: the chains its last
//! [`super::Firewall::apply`] planned against, brought up to date with what that apply
//! committed, keyed by the ruleset generation right after the commit.
//!
//! Contract:
//! - The cache is only ever *used* when the kernel's generation equals the cached one, and it
//!   is only ever *stored* when the commit's post-batch generation is exactly the generation
//!   the batch was checked against plus one (nf_tables bumps it by one per commit, the
//!   batch's BEGIN carried the old one): then no one else changed anything between the read
//!   and the commit, nor between the commit and the fence, and the kernel holds exactly the
//!   cached chains. Any other commit (Docker, iptables, dfw's own restore) moves the
//!   generation and the cache is ignored: the next apply re-reads dfw's chains only.
//! - It covers a set of named chains (family, table, chain); a covered chain absent from the
//!   tables is known to be missing. A change naming an uncovered chain re-reads.
//! - Inserted rules' handles: nf_tables gives every new rule the next handle of its table
//!   (`++table->hgenerator`), in batch order, and nothing else in dfw's batches allocates
//!   handles between the first and the last insertion (tables and chains are created before
//!   any rule, chains are deleted after). So only the first and the last insertion of each
//!   (family, table) ask for `NLM_F_ECHO`, matched back by sequence number; the handles in
//!   between are the consecutive ones. This is checked: unless the last echoed handle is
//!   exactly the first plus the number of insertions minus one, the cache is dropped (and
//!   the next apply re-reads). Echoing every rule instead costs about 8 us per rule.
//! - A replaced rule (`NLM_F_REPLACE` with its handle) keeps its handle and allocates none
//!   (nf_tables_newrule takes the handle from the message; measured: `iptables -R T 2` over
//!   handles 2, 3, 4 leaves 2, 3, 4 and the next `-A` gets 5), so replacements are neither
//!   echoed nor counted in the consecutive run.
//! - Counters of cached rules are those last read (planning ignores counters).

use std::collections::{HashMap, HashSet};

use dfw_core::model::{Counters, Family, TableName};

use super::plan::{Create, Place, Plan, RuleOp};
use super::step::{Step, StepKind};
use super::types::{BaseChain, ChangeSet, KernelChain, KernelRule, KernelTable, Wanted};
use crate::nft::{parse_reply, Reply};
use crate::rule_codec::DecodedRule;
use crate::wire::split_messages;

/// One named chain.
pub(crate) type Key = (Family, TableName, String);

/// A scope as read: the tables, and every chain looked at (present or not).
pub(crate) type ScopeRead = (Vec<KernelTable>, Vec<Key>);

/// The cached state (see the module contract).
#[derive(Debug, Clone, Default)]
pub(crate) struct StateCache {
    /// The generation the state belongs to.
    pub generation: u32,
    /// The chains, grouped per family and table.
    pub tables: Vec<KernelTable>,
    /// Every chain the state knows about (present or known missing).
    pub covered: HashSet<Key>,
    /// True when `tables` hold the whole scope of a scoped apply (the policy's: `filter`'s
    /// DOCKER-USER, INPUT, FORWARD and every `DFW-*` chain, both families; see
    /// [`super::Firewall::apply_scoped`]): at this generation no other chain of that scope
    /// exists, so chains found by prefix are all here.
    pub complete: bool,
}

/// Every chain a change names.
pub(super) fn named(changes: &ChangeSet) -> impl Iterator<Item = (Family, TableName, &str)> {
    changes
        .chains
        .iter()
        .map(|t| (t.family, t.table, t.chain.as_str()))
        .chain(
            changes
                .delete_chains
                .iter()
                .map(|(f, t, c)| (*f, *t, c.as_str())),
        )
}

impl StateCache {
    /// True when every chain `changes` names is covered.
    pub fn covers(&self, changes: &ChangeSet) -> bool {
        named(changes).all(|(f, t, c)| self.covered.contains(&(f, t, c.to_string())))
    }

    /// State read now (not yet at any generation), covering `covered`.
    pub fn read(tables: Vec<KernelTable>, covered: HashSet<Key>, complete: bool) -> StateCache {
        StateCache {
            generation: 0,
            tables,
            covered,
            complete,
        }
    }

    /// The state after `plan` was committed over `before` (as read or cached, covering at
    /// least what `changes` names), at `generation`. `handles` maps (family, table, chain,
    /// 1-based wanted position) of every inserted rule to its kernel handle; `None` when one
    /// is missing. Chains the plan creates or deletes stay covered (a scope stays complete).
    pub fn after_commit(
        before: StateCache,
        changes: &ChangeSet,
        plan: &Plan,
        handles: &HashMap<(Family, TableName, String, usize), u64>,
        generation: u32,
    ) -> Option<StateCache> {
        let StateCache {
            mut tables,
            mut covered,
            complete,
            ..
        } = before;
        for (f, t, c) in named(changes) {
            covered.insert((f, t, c.to_string()));
        }
        for (cp, target) in plan.chains.iter().zip(&changes.chains) {
            if cp.is_noop() {
                continue;
            }
            let idx = match tables
                .iter()
                .position(|t| t.family == cp.family && t.name == cp.table)
            {
                Some(i) => i,
                None => {
                    tables.push(KernelTable {
                        family: cp.family,
                        name: cp.table,
                        chains: Vec::new(),
                    });
                    tables.len() - 1
                }
            };
            let table = &mut tables[idx];
            let pos = table.chains.iter().position(|c| c.name == cp.chain);
            let mut chain = match (pos, cp.create) {
                (Some(i), _) => table.chains.swap_remove(i),
                (None, Some(create)) => KernelChain {
                    name: cp.chain.clone(),
                    handle: 0,
                    base: match create {
                        Create::User => None,
                        Create::Builtin(p) => cp.table.builtin(&cp.chain).map(|b| BaseChain {
                            hook: b.hook as u32,
                            priority: b.priority,
                            chain_type: b.chain_type.to_string(),
                            policy: Some(p),
                            counters: Counters::default(),
                        }),
                    },
                    rules: Vec::new(),
                    unread: None,
                },
                (None, None) => return None,
            };
            if let (Some(p), Some(base)) = (cp.set_policy, chain.base.as_mut()) {
                base.policy = Some(p);
            }
            chain.rules = edit_rules(std::mem::take(&mut chain.rules), cp, &target.rules, handles)?;
            // A chain planned unread was flushed: its rules are now exactly those inserted.
            chain.unread = None;
            table.chains.push(chain);
            table.sort_chains();
        }
        for (f, t, c) in &plan.delete_chains {
            for table in tables.iter_mut().filter(|x| x.family == *f && x.name == *t) {
                table.chains.retain(|x| x.name != *c);
            }
        }
        Some(StateCache {
            generation,
            tables,
            covered,
            complete,
        })
    }
}

/// The chain's rules after its deletions and insertions (kept rules keep their order);
/// `wanted` are the rules of the change set entry `cp` plans.
fn edit_rules(
    old: Vec<KernelRule>,
    cp: &super::plan::ChainPlan,
    wanted: &[Wanted],
    handles: &HashMap<(Family, TableName, String, usize), u64>,
) -> Option<Vec<KernelRule>> {
    let only_replaced = cp.ops.iter().all(|op| {
        matches!(
            op,
            RuleOp::Insert {
                place: Place::Replace(_),
                ..
            }
        )
    });
    if only_replaced {
        return replace_in_place(old, cp, wanted);
    }
    // A replaced rule leaves (its handle is deleted) and its replacement keeps the handle.
    let deleted: HashSet<u64> = cp
        .ops
        .iter()
        .filter_map(|op| match op {
            RuleOp::Delete { handle, .. }
            | RuleOp::Insert {
                place: Place::Replace(handle),
                ..
            } => Some(*handle),
            RuleOp::Insert { .. } => None,
        })
        .collect();
    let mut inserts: Vec<(usize, Option<u64>, &dfw_core::model::Rule)> = cp
        .ops
        .iter()
        .filter_map(|op| match op {
            RuleOp::Insert { position, place } => {
                let kept = match place {
                    Place::Replace(h) => Some(*h),
                    _ => None,
                };
                Some((
                    *position,
                    kept,
                    wanted.get(position.checked_sub(1)?)?.rule()?,
                ))
            }
            RuleOp::Delete { .. } => None,
        })
        .collect();
    inserts.sort_by_key(|(p, _, _)| *p);
    let total = old.len() - deleted.len().min(old.len()) + inserts.len();
    let mut out = Vec::with_capacity(total);
    let mut kept = old.into_iter().filter(|r| !deleted.contains(&r.handle));
    let mut ins = inserts.into_iter().peekable();
    for position in 1..=total {
        match ins.peek() {
            Some(&(p, kept, rule)) if p == position => {
                let key = (cp.family, cp.table, cp.chain.clone(), position);
                let handle = match kept {
                    Some(h) => h,
                    None => *handles.get(&key)?,
                };
                ins.next();
                out.push(KernelRule {
                    handle,
                    rule: DecodedRule::Rule(dfw_core::model::Rule {
                        counters: None,
                        ..rule.clone()
                    }),
                    counters: Counters::default(),
                });
            }
            _ => out.push(kept.next()?),
        }
    }
    if ins.next().is_some() || kept.next().is_some() {
        return None;
    }
    Some(out)
}

/// [`edit_rules`] when every operation replaces a rule in place: the chain keeps its length
/// and every other rule its position, so each replaced rule is overwritten where it is (the
/// kernel keeps its handle) instead of the whole chain being rebuilt: O(change), not
/// O(chain). `None` (the cache is dropped) when a replaced handle is not where the plan says.
fn replace_in_place(
    mut rules: Vec<KernelRule>,
    cp: &super::plan::ChainPlan,
    wanted: &[Wanted],
) -> Option<Vec<KernelRule>> {
    for op in &cp.ops {
        let RuleOp::Insert {
            position,
            place: Place::Replace(handle),
        } = op
        else {
            return None;
        };
        let index = position.checked_sub(1)?;
        let slot = rules.get_mut(index).filter(|r| r.handle == *handle)?;
        *slot = KernelRule {
            handle: *handle,
            rule: DecodedRule::Rule(dfw_core::model::Rule {
                counters: None,
                ..wanted.get(index)?.rule()?.clone()
            }),
            counters: Counters::default(),
        };
    }
    Some(rules)
}

/// The handles of inserted rules: the echoed first and last insertion of each (family,
/// table) and the consecutive handles between them (see the module contract). `None` when
/// an echo is missing or the handles are not consecutive.
pub(super) fn echoed_handles(
    echoes: &[Vec<u8>],
    first_seq: u32,
    steps: &[Step],
) -> Option<HashMap<(Family, TableName, String, usize), u64>> {
    let mut echoed: HashMap<u32, u64> = HashMap::new();
    for m in echoes {
        for (h, body) in split_messages(m).filter_map(Result::ok) {
            if let Ok(Reply::Rule(r)) = parse_reply(&h, body) {
                if let Some(handle) = r.handle {
                    echoed.insert(h.seq, handle);
                }
            }
        }
    }
    // Per (family, table): the handle of its first insertion and how many were seen.
    let mut next: Vec<((Family, TableName), u64, u64)> = Vec::new();
    let mut out = HashMap::new();
    for (i, s) in steps.iter().enumerate() {
        let (StepKind::InsertRule { position }, Some(chain)) = (&s.kind, &s.chain) else {
            continue;
        };
        let seq = first_seq.wrapping_add(1).wrapping_add(i as u32);
        let key = (s.family, s.table);
        let handle = match next.iter_mut().find(|(t, _, _)| *t == key) {
            Some((_, first, count)) => {
                let h = *first + *count;
                *count += 1;
                h
            }
            None => {
                let first = *echoed.get(&seq)?;
                next.push((key, first, 1));
                first
            }
        };
        if let Some(&e) = echoed.get(&seq) {
            if e != handle {
                return None;
            }
        }
        out.insert((s.family, s.table, chain.clone(), *position), handle);
    }
    Some(out)
}
