//! Drift (pure): how the kernel's chains differ from what a compiled policy wants, rule by
//! rule, for `dfw-cli status` and the watch's repair log.
//!
//! Contract: [`drift`] is derived from [`reconcile`] itself, so "in sync" means exactly "a
//! commit would send nothing". For every chain the reconcile wants changed, the kernel's
//! rules are compared with the wanted ones ([`super::WantedChain::edit`]: rules that are not
//! dfw's stay where they are, so they never show as a difference) and each difference is
//! classified:
//! - [`DriftKind::Reordered`]: a rule both removed and re-added (it is there, out of place);
//! - [`DriftKind::Changed`]: a kernel rule replaced by a wanted one at the same place;
//! - [`DriftKind::Missing`]: a wanted rule (or a whole chain) the kernel lacks;
//! - [`DriftKind::Extra`]: a kernel rule (or a dfw chain) the policy does not have.

use std::fmt;

use super::compiled::FamilyRules;
use super::reconcile::{reconcile, Current, ReconcileError, WantedRule};
use crate::diff::DiffOp;
use crate::model::{Family, Rule};
use crate::syntax::rule_spec;

/// What kind of difference one [`DriftItem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftKind {
    /// Wanted but absent.
    Missing,
    /// Present but not wanted.
    Extra,
    /// Present, wanted, but out of place.
    Reordered,
    /// A present rule where a different one is wanted.
    Changed,
}

impl fmt::Display for DriftKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DriftKind::Missing => "missing",
            DriftKind::Extra => "extra",
            DriftKind::Reordered => "reordered",
            DriftKind::Changed => "changed",
        })
    }
}

/// One difference in one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftItem {
    /// Its kind.
    pub kind: DriftKind,
    /// The rule as `-A CHAIN ...` (the kernel's for Extra/Changed, the wanted one for
    /// Missing/Reordered), or `chain CHAIN` when the whole chain is missing or extra.
    pub rule: String,
    /// For [`DriftKind::Changed`]: the wanted rule.
    pub wanted: Option<String>,
}

/// The differences of one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainDrift {
    /// The family.
    pub family: Family,
    /// The chain's name (in `filter`).
    pub chain: String,
    /// The differences, in chain order.
    pub items: Vec<DriftItem>,
}

/// How one family's kernel differs from the policy; empty when in sync.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Drift {
    /// The chains that differ.
    pub chains: Vec<ChainDrift>,
    /// How dfw's native table (`table inet dfw`, `[docker] accept_fwmark`) differs: the
    /// whole table missing or extra (`table inet dfw`), or changed (the kernel's table as
    /// nft prints it, and the wanted one). Filled by the caller that reads native tables.
    pub native: Vec<DriftItem>,
}

impl Drift {
    /// True when the kernel holds exactly the policy.
    pub fn is_empty(&self) -> bool {
        self.chains.is_empty() && self.native.is_empty()
    }

    /// Appends another family's drift.
    pub fn extend(&mut self, other: Drift) {
        self.chains.extend(other.chains);
        self.native.extend(other.native);
    }

    /// One short line: `IPv4 DOCKER-USER: 1 missing; IPv6 INPUT: 1 reordered`.
    pub fn summary(&self) -> String {
        let native = self.native.iter().map(|i| format!("inet dfw: {}", i.kind));
        let parts: Vec<String> = self
            .chains
            .iter()
            .map(|c| {
                let mut kinds: Vec<String> = Vec::new();
                for k in [
                    DriftKind::Missing,
                    DriftKind::Extra,
                    DriftKind::Reordered,
                    DriftKind::Changed,
                ] {
                    let n = c.items.iter().filter(|i| i.kind == k).count();
                    if n > 0 {
                        kinds.push(format!("{n} {k}"));
                    }
                }
                format!("{} {}: {}", c.family, c.chain, kinds.join(", "))
            })
            .chain(native)
            .collect();
        parts.join("; ")
    }
}

impl fmt::Display for Drift {
    /// Per chain a header `IPv4 filter DOCKER-USER:`, then one line per item:
    /// `  missing   -A DOCKER-USER ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.chains {
            writeln!(f, "{} filter {}:", c.family, c.chain)?;
            for i in &c.items {
                writeln!(f, "  {:<9} {}", i.kind.to_string(), i.rule)?;
                if let Some(w) = &i.wanted {
                    writeln!(f, "  {:<9} {w}", "wanted")?;
                }
            }
        }
        if !self.native.is_empty() {
            writeln!(f, "inet dfw:")?;
        }
        for i in &self.native {
            writeln!(f, "  {:<9} {}", i.kind.to_string(), i.rule.trim_end())?;
            if let Some(w) = &i.wanted {
                writeln!(f, "  {:<9} {}", "wanted", w.trim_end())?;
            }
        }
        Ok(())
    }
}

/// How `current` differs from `policy` in one family (see the module contract).
///
/// # Errors
/// [`ReconcileError`] when the kernel holds something that prevents reaching the policy.
pub fn drift(policy: &FamilyRules, current: &Current) -> Result<Drift, ReconcileError> {
    let r = reconcile(policy, current)?;
    let mut out = Drift::default();
    for w in &r.chains {
        let name = w.chain.as_str();
        let items = match current.chain(name) {
            None => vec![DriftItem {
                kind: DriftKind::Missing,
                rule: format!("chain {name}"),
                wanted: None,
            }],
            Some(c) => chain_items(name, &c.rules, &w.rules, w.edit(&c.rules)),
        };
        out.chains.push(ChainDrift {
            family: r.family,
            chain: name.to_string(),
            items,
        });
    }
    for d in &r.delete {
        out.chains.push(ChainDrift {
            family: r.family,
            chain: d.as_str().to_string(),
            items: vec![DriftItem {
                kind: DriftKind::Extra,
                rule: format!("chain {d}"),
                wanted: None,
            }],
        });
    }
    Ok(out)
}

/// Classifies the edit from `old` to `new` of chain `name`.
fn chain_items(
    name: &str,
    old: &[Option<Rule>],
    new: &[WantedRule],
    ops: Vec<DiffOp>,
) -> Vec<DriftItem> {
    let eq = |i: usize, j: usize| old[i].is_some() && old[i].as_ref() == new[j].rule();
    let deleted: Vec<usize> = ops
        .iter()
        .filter_map(|o| match o {
            DiffOp::Delete { old } => Some(*old),
            _ => None,
        })
        .collect();
    let inserted: Vec<usize> = ops
        .iter()
        .filter_map(|o| match o {
            DiffOp::Insert { new } => Some(*new),
            _ => None,
        })
        .collect();
    let moved_new: Vec<usize> = inserted
        .iter()
        .copied()
        .filter(|&j| deleted.iter().any(|&i| eq(i, j)))
        .collect();
    let moved_old = |i: usize| moved_new.iter().any(|&j| eq(i, j));
    let is_moved_new = |j: usize| moved_new.contains(&j);
    let text_old = |i: usize| match &old[i] {
        Some(r) => format!("-A {name}{}", rule_spec(r)),
        None => format!("-A {name} # (a rule dfw cannot decode, rule {})", i + 1),
    };
    let text_new = |j: usize| match &new[j] {
        WantedRule::Rule(r) => format!("-A {name}{}", rule_spec(r)),
        WantedRule::Kernel(i) => text_old(*i),
    };
    let mut items = Vec::new();
    // Walk runs of deletions/insertions between kept rules; pair them up as changes.
    let mut dels: Vec<usize> = Vec::new();
    let mut ins: Vec<usize> = Vec::new();
    let flush = |dels: &mut Vec<usize>, ins: &mut Vec<usize>, items: &mut Vec<DriftItem>| {
        let d: Vec<usize> = dels.drain(..).filter(|&i| !moved_old(i)).collect();
        let mut n: Vec<usize> = Vec::new();
        for j in ins.drain(..) {
            if is_moved_new(j) {
                items.push(DriftItem {
                    kind: DriftKind::Reordered,
                    rule: text_new(j),
                    wanted: None,
                });
            } else {
                n.push(j);
            }
        }
        let pairs = d.len().min(n.len());
        for k in 0..pairs {
            items.push(DriftItem {
                kind: DriftKind::Changed,
                rule: text_old(d[k]),
                wanted: Some(text_new(n[k])),
            });
        }
        for &j in &n[pairs..] {
            items.push(DriftItem {
                kind: DriftKind::Missing,
                rule: text_new(j),
                wanted: None,
            });
        }
        for &i in &d[pairs..] {
            items.push(DriftItem {
                kind: DriftKind::Extra,
                rule: text_old(i),
                wanted: None,
            });
        }
    };
    for op in ops {
        match op {
            DiffOp::Keep { .. } => flush(&mut dels, &mut ins, &mut items),
            DiffOp::Delete { old } => dels.push(old),
            DiffOp::Insert { new } => ins.push(new),
        }
    }
    flush(&mut dels, &mut ins, &mut items);
    items
}
