//! What a plan or a commit changes, rule by rule: per changed chain of `filter`, the rules
//! added and removed (and, for a plan, those kept around them), in iptables-save syntax.
//! `dfw-cli plan` prints it as a diff, `dfw-cli commit` and `rollback` print what they
//! changed, and the JSON documents carry it.
//!
//! Contract: derived from the same reconciliation the commit applies ([`Reconciled`] against
//! the kernel's chains as read, [`Current`]), with the reconciliation's own edit
//! ([`dfw_core::policy::WantedChain::edit`]: the kernel's rules that are not dfw's, decodable
//! or not, stay in place): a rule moved counts as removed and added, as in
//! [`super::FamilySummary`]. Chains come in the reconciliation's
//! order (IPv4 first; dfw's chains before the jumps into them), each family's deleted chains
//! after its other chains.

use dfw_core::diff::DiffOp;
use dfw_core::model::{Family, Rule};
use dfw_core::policy::{Current, Reconciled};
use dfw_core::syntax::rule_spec;

use crate::firewall::{Create, Plan};

/// What happens to one line of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOp {
    /// Stays (context; only in a plan's changes).
    Keep,
    /// Added.
    Add,
    /// Removed.
    Remove,
}

/// One line: a rule as `-A CHAIN ...`, or `-X CHAIN` for a deleted chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeLine {
    /// Kept, added or removed.
    pub op: LineOp,
    /// The rule in iptables-save syntax (`-A CHAIN # (a rule dfw cannot express)` for a
    /// kernel rule outside dfw's model).
    pub text: String,
}

/// How one chain of the `filter` table changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainChange {
    /// The family.
    pub family: Family,
    /// The chain.
    pub chain: String,
    /// Created first (a user chain, or a built-in one as iptables-nft creates it).
    pub create: Option<Create>,
    /// A dfw chain deleted (its only line is `-X CHAIN`).
    pub delete: bool,
    /// The lines, in chain order.
    pub lines: Vec<ChangeLine>,
}

/// The changes of `reconciled` (both families) against `current` (IPv4, IPv6); with
/// `context`, the kept rules of each changed chain too. `create` is filled from `plan` when
/// given (the reconciliation says only that a chain is created, the plan says how).
pub fn chain_changes(
    reconciled: &[Reconciled],
    current: &[Current; 2],
    plan: Option<&Plan>,
    context: bool,
) -> Vec<ChainChange> {
    let mut out = Vec::new();
    for r in reconciled {
        let current = &current[usize::from(r.family == Family::Ipv6)];
        for w in &r.chains {
            let old: &[Option<Rule>] = current
                .chain(w.chain.as_str())
                .map_or(&[], |c| c.rules.as_slice());
            // The edit the commit makes: the kernel's rules that are not dfw's stay in place.
            let new = w.resolve(old);
            let mut lines = Vec::new();
            for op in w.edit(old) {
                let (op, rule) = match op {
                    DiffOp::Keep { old: i, .. } if context => (LineOp::Keep, old[i].as_ref()),
                    DiffOp::Keep { .. } => continue,
                    DiffOp::Delete { old: i } => (LineOp::Remove, old[i].as_ref()),
                    DiffOp::Insert { new: j } => (LineOp::Add, new[j].as_ref()),
                };
                lines.push(ChangeLine {
                    op,
                    text: line(w.chain.as_str(), rule),
                });
            }
            let create = match plan {
                Some(p) => p
                    .chains
                    .iter()
                    .find(|c| c.family == r.family && c.chain == w.chain.as_str())
                    .and_then(|c| c.create),
                None => w.create.then_some(Create::User),
            };
            out.push(ChainChange {
                family: r.family,
                chain: w.chain.to_string(),
                create,
                delete: false,
                lines,
            });
        }
        out.extend(r.delete.iter().map(|d| ChainChange {
            family: r.family,
            chain: d.to_string(),
            create: None,
            delete: true,
            lines: vec![ChangeLine {
                op: LineOp::Remove,
                text: format!("-X {d}"),
            }],
        }));
    }
    out
}

/// `-A CHAIN spec`, or the marker of a rule dfw cannot express.
fn line(chain: &str, rule: Option<&Rule>) -> String {
    match rule {
        Some(r) => format!("-A {chain}{}", rule_spec(r)),
        None => format!("-A {chain} # (a rule dfw cannot express)"),
    }
}

/// The changes as a diff: per chain a header `IPv4 filter CHAIN (new chain):`, then one line
/// per rule, `+ ` added, `- ` removed, `  ` kept. Empty when nothing changes.
pub fn changes_text(changes: &[ChainChange]) -> String {
    let mut out = String::new();
    for c in changes {
        let note = match (c.delete, c.create) {
            (true, _) => " (deleted)",
            (false, Some(Create::User)) => " (new chain)",
            (false, Some(Create::Builtin(_))) => " (new built-in chain)",
            (false, None) => "",
        };
        out.push_str(&format!("{} filter {}{note}:\n", c.family, c.chain));
        for l in &c.lines {
            let mark = match l.op {
                LineOp::Keep => ' ',
                LineOp::Add => '+',
                LineOp::Remove => '-',
            };
            out.push_str(&format!("{mark} {}\n", l.text));
        }
    }
    out
}
