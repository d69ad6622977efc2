//! `iptables-restore` against the kernel: a [`RestoreScript`] applied to the tables it names,
//! as one atomic batch for all of them.
//!
//! Contract: the tables the script names are read (one consistent snapshot), turned into a
//! model [`Ruleset`], the script is applied to it with iptables-restore's semantics
//! ([`RestoreScript::apply`]), and the resulting chain contents are applied as one
//! [`ChangeSet`] (minimal edit: unchanged rules keep handles and counters). Without
//! `noflush` every chain of a named table is replaced, user chains the script does not
//! declare are deleted, and built-in policies come from the declarations (a built-in chain
//! the script does not declare keeps its kernel policy). With `noflush` only the chains the
//! script declares or names in a command are touched. A block with no lines at all (without
//! `noflush`) empties the table: rules flushed, user chains deleted (iptables-nft deletes
//! the table itself; dfw keeps the built-in chains and their policies). A generation race re-reads and
//! re-plans (bounded). A rule dfw cannot decode (a neighbour's) is in the model as its
//! stand-in ([`Target::Opaque`], with its handle), so rule numbers count it as iptables
//! does; a chain the script does not replace wholesale keeps it exactly as it is
//! ([`Wanted::Kernel`]: never re-encoded), unless the script deletes it (`-D CHAIN N`). A
//! chain the script replaces wholesale (without `noflush`; or its declaration, `-F CHAIN` or
//! `-F` before any line naming it) whose use count is above [`super::READ_LIMIT`] is not read
//! (reading a long chain costs the kernel more than reloading it): it is flushed and its
//! rules are all inserted, as iptables-nft-restore does with every declared chain; handles
//! and counters of its unchanged rules are then not kept.

use std::collections::BTreeSet;

use dfw_core::model::{ChainName, Family, Policy, Rule, Ruleset, Table, TableName, Target};
use dfw_core::syntax::{ApplyOptions, CommandKind, RestoreScript, SyntaxError, TableBlock};

use super::read::{read, Scope};
use super::step::StepKind;
use super::types::{ApplyReport, ChainTarget, ChangeSet, KernelTable, Wanted};
use super::wholesale::replaces_wholesale;
use super::{Firewall, FirewallError, Refusal};
use crate::transport::Transport;

/// The `iptables-restore` flags dfw honours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreOptions {
    /// `-n/--noflush`: touch only the chains the script names.
    pub noflush: bool,
    /// `-t/--test`: read, apply and plan, send nothing.
    pub test_only: bool,
    /// `-c/--counters`: restore counters given in the script.
    pub counters: bool,
}

/// What a restore did.
pub type RestoreReport = ApplyReport;

/// Why a restore failed, with the script line at fault when there is one.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The script does not apply to the tables as they are (unknown chain, bad rule number...).
    #[error("{0}")]
    Script(#[from] SyntaxError),
    /// Reading, planning or the kernel failed; `line` is the script line that caused it.
    #[error("{source}")]
    Firewall {
        /// The script line at fault, when known.
        line: Option<usize>,
        /// The error.
        source: FirewallError,
    },
}

impl RestoreError {
    /// The script line at fault, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            RestoreError::Script(e) => Some(e.line),
            RestoreError::Firewall { line, .. } => *line,
        }
    }
}

/// The script's tables, once each, in file order.
fn named_tables(script: &RestoreScript) -> Vec<TableName> {
    let mut v = Vec::new();
    for b in &script.tables {
        if !v.contains(&b.table) {
            v.push(b.table);
        }
    }
    v
}

/// The kernel tables as a model ruleset; a rule dfw cannot decode is its stand-in
/// ([`super::KernelRule::evaluable`]: [`Target::Opaque`] with its handle).
fn to_model(family: Family, state: &[KernelTable]) -> Ruleset {
    let mut rs = Ruleset::new(family);
    for kt in state {
        let mut t = Table::new(family, kt.name);
        for c in &kt.chains {
            let Ok(name) = ChainName::new(&c.name) else {
                continue;
            };
            let made = match (&c.base, kt.name.builtin(&c.name)) {
                (Some(b), Some(_)) => {
                    t.set_policy(&c.name, b.policy.unwrap_or(Policy::Accept), b.counters)
                }
                _ => t.add_user_chain(name),
            };
            if made.is_err() {
                continue;
            }
            if let Some(ch) = t.chain_mut(&c.name) {
                ch.rules = c
                    .rules
                    .iter()
                    .map(|r| match &r.rule {
                        super::Decoded::Rule(rule) => rule.clone(),
                        super::Decoded::Opaque { .. } => r.evaluable(family),
                    })
                    .collect();
            }
        }
        let _ = rs.put_table(t);
    }
    rs
}

/// Chains a block touches under `--noflush`: (named, replaced wholesale), and -X'd chains.
fn touched(block: &TableBlock, all: &[String]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut named = BTreeSet::new();
    let mut flushed = BTreeSet::new();
    for d in &block.chain_decls {
        named.insert(d.chain.to_string());
        if d.policy.is_none() {
            flushed.insert(d.chain.to_string());
        }
    }
    for c in &block.commands {
        let one = |c: &ChainName| c.to_string();
        match &c.kind {
            CommandKind::Append { chain, .. }
            | CommandKind::Insert { chain, .. }
            | CommandKind::Replace { chain, .. }
            | CommandKind::Delete { chain, .. }
            | CommandKind::DeleteNum { chain, .. }
            | CommandKind::Policy { chain, .. } => {
                named.insert(one(chain));
            }
            CommandKind::NewChain { chain } | CommandKind::DeleteChain { chain: Some(chain) } => {
                named.insert(one(chain));
                flushed.insert(one(chain));
            }
            CommandKind::Flush { chain: Some(chain) } => {
                named.insert(one(chain));
                flushed.insert(one(chain));
            }
            CommandKind::Zero {
                chain: Some(chain), ..
            } => {
                named.insert(one(chain));
            }
            CommandKind::Flush { chain: None } | CommandKind::DeleteChain { chain: None } => {
                named.extend(all.iter().cloned());
                flushed.extend(all.iter().cloned());
            }
            CommandKind::Zero { chain: None, .. } => named.extend(all.iter().cloned()),
        }
    }
    (named, flushed)
}

/// Built-in chains whose policy the block sets (declarations or `-P`).
fn policies_set(block: &TableBlock) -> BTreeSet<String> {
    let mut s: BTreeSet<String> = block
        .chain_decls
        .iter()
        .filter(|d| d.policy.is_some())
        .map(|d| d.chain.to_string())
        .collect();
    for c in &block.commands {
        if let CommandKind::Policy { chain, .. } = &c.kind {
            s.insert(chain.to_string());
        }
    }
    s
}

/// The change that makes the kernel's tables equal to `after`.
fn changes_for(
    script: &RestoreScript,
    opts: RestoreOptions,
    state: &[KernelTable],
    after: &Ruleset,
) -> Result<ChangeSet, FirewallError> {
    let family = script.family;
    let mut cs = ChangeSet::default();
    for name in named_tables(script) {
        let before: Vec<String> = state
            .iter()
            .filter(|t| t.name == name)
            .flat_map(|t| t.chains.iter().map(|c| c.name.clone()))
            .collect();
        let blocks: Vec<&TableBlock> = script.tables.iter().filter(|b| b.table == name).collect();
        let mut named = BTreeSet::new();
        let mut flushed = BTreeSet::new();
        let mut policies = BTreeSet::new();
        for b in &blocks {
            let mut all = before.clone();
            if let Some(t) = after.table(name) {
                all.extend(t.chains().iter().map(|c| c.name().to_string()));
            }
            let (n, f) = touched(b, &all);
            named.extend(n);
            flushed.extend(f);
            policies.extend(policies_set(b));
        }
        let table = after.table(name);
        let wanted: Vec<String> = match table {
            Some(t) => t.chains().iter().map(|c| c.name().to_string()).collect(),
            None => Vec::new(),
        };
        let in_scope = |c: &str| !opts.noflush || named.contains(c);
        for c in table.map(|t| t.chains()).unwrap_or_default() {
            let cname = c.name().as_str();
            if !in_scope(cname) {
                continue;
            }
            let stand_in = |r: &Rule| match &r.target {
                Some(Target::Opaque(o)) => Some(o.handle),
                _ => None,
            };
            let unknown = c
                .rules
                .iter()
                .filter(|r| stand_in(r).is_some_and(|h| h.is_none()))
                .count();
            if unknown > 0 {
                // Only a model built elsewhere has a stand-in without its kernel rule.
                return Err(FirewallError::Refused {
                    family,
                    table: name,
                    chain: cname.to_string(),
                    reason: Refusal::HoldsOpaqueRules { count: unknown },
                });
            }
            cs.chains.push(ChainTarget {
                family,
                table: name,
                chain: c.name().clone(),
                create: true,
                policy: c.policy().filter(|_| policies.contains(cname)),
                rules: c
                    .rules
                    .iter()
                    .map(|r| match stand_in(r).flatten() {
                        Some(handle) => Wanted::Kernel(handle),
                        None => strip(r, opts).into(),
                    })
                    .collect(),
            });
        }
        for c in before.iter().filter(|c| in_scope(c) && !wanted.contains(c)) {
            if name.builtin(c).is_some() {
                // Only when an empty block removed the table from the model: iptables-nft
                // deletes the table; dfw flushes its built-in chains (policies untouched).
                if let Ok(chain) = ChainName::new(c) {
                    cs.chains.push(ChainTarget {
                        family,
                        table: name,
                        chain,
                        create: false,
                        policy: None,
                        rules: Vec::new(),
                    });
                }
                continue;
            }
            if let Ok(n) = ChainName::new(c) {
                cs.delete_chains.push((family, name, n));
            }
        }
    }
    Ok(cs)
}

fn strip(r: &Rule, opts: RestoreOptions) -> Rule {
    if opts.counters {
        r.clone()
    } else {
        Rule {
            counters: None,
            ..r.clone()
        }
    }
}

/// The script line that produced the rejected step, best effort.
/// The script line behind `e`; `model` is the ruleset the failed attempt planned towards (its
/// chains hold the rules of the change set, at the same positions).
fn line_of(script: &RestoreScript, model: Option<&Ruleset>, e: &FirewallError) -> Option<usize> {
    let (table, chain, kind) = match e {
        FirewallError::Rejected { step, .. } => (step.table, step.chain.clone()?, step.kind),
        FirewallError::Encode {
            table,
            chain,
            position,
            ..
        } => (
            *table,
            chain.clone(),
            StepKind::InsertRule {
                position: *position,
            },
        ),
        FirewallError::Refused { table, chain, .. }
        | FirewallError::MissingChain { table, chain, .. } => {
            (*table, chain.clone(), StepKind::NewUserChain)
        }
        _ => return None,
    };
    let blocks = script.tables.iter().filter(|b| b.table == table);
    let rule = match kind {
        StepKind::InsertRule { position } | StepKind::ReplaceRule { position, .. } => model
            .and_then(|m| m.table(table))
            .and_then(|t| t.chain(&chain))
            .and_then(|c| c.rules.get(position.checked_sub(1)?)),
        _ => None,
    };
    let mut first_mention = None;
    for b in blocks {
        for d in &b.chain_decls {
            if d.chain.as_str() == chain && first_mention.is_none() {
                first_mention = Some(d.line);
            }
        }
        for c in &b.commands {
            let (cchain, crule) = match &c.kind {
                CommandKind::Append { chain, rule }
                | CommandKind::Insert { chain, rule, .. }
                | CommandKind::Replace { chain, rule, .. } => (chain, Some(rule)),
                CommandKind::NewChain { chain } => (chain, None),
                _ => continue,
            };
            if cchain.as_str() != chain {
                continue;
            }
            if let (Some(want), Some(have)) = (rule, crule) {
                let same = Rule {
                    counters: None,
                    ..have.clone()
                } == Rule {
                    counters: None,
                    ..want.clone()
                };
                if same {
                    return Some(c.line);
                }
            }
            if first_mention.is_none() {
                first_mention = Some(c.line);
            }
        }
    }
    first_mention
}

impl<T: Transport> Firewall<T> {
    /// Runs `script` as `iptables-restore [--noflush] [--test]` would (see the module
    /// contract): one atomic batch for every table of the script.
    ///
    /// # Errors
    /// [`RestoreError::Script`] when the script does not apply to the tables as read;
    /// [`RestoreError::Firewall`] (with the line at fault when known) when the kernel or the
    /// plan refuses it. Either way the kernel is unchanged.
    pub fn restore(
        &mut self,
        script: &RestoreScript,
        opts: RestoreOptions,
    ) -> Result<RestoreReport, RestoreError> {
        let family = script.family;
        let tables = named_tables(script);
        let mut script_error = None;
        // The model of the last attempt, kept (not a copy of its change set) to name the line
        // of a rejected rule.
        let mut last = None;
        let result = self.commit_loop(opts.test_only, |t| {
            // A long chain the script replaces whole is flushed and reloaded, not read: reading
            // it would cost the kernel more (see `READ_LIMIT`).
            let unread = |table, chain: &str| replaces_wholesale(script, opts, table, chain);
            let state = read(t, family, &Scope::TablesReplacing(&tables, &unread))?;
            let mut model = to_model(family, &state);
            let apply = ApplyOptions {
                noflush: opts.noflush,
                counters: opts.counters,
            };
            if let Err(e) = script.apply(&mut model, apply) {
                script_error = Some(e);
                return Ok((Vec::new(), ChangeSet::default()));
            }
            let cs = changes_for(script, opts, &state, &model)?;
            last = Some(model);
            Ok((state, cs))
        });
        if let Some(e) = script_error {
            return Err(RestoreError::Script(e));
        }
        result.map_err(|source| RestoreError::Firewall {
            line: line_of(script, last.as_ref(), &source),
            source,
        })
    }
}
