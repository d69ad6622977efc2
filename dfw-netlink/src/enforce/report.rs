//! Presenting a policy plan or commit: one-line counts per family and a readable diff.

use std::fmt;

use dfw_core::model::Family;

use super::changes::{chain_changes, changes_text, ChainChange};
use super::{NativeState, PolicyPlan};
use crate::firewall::Plan;
use dfw_core::native::print::table_text;

/// What a plan or commit does in one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FamilySummary {
    /// The family.
    pub family: Family,
    /// Rules inserted (moved rules count as removed and added).
    pub rules_added: usize,
    /// Rules deleted (not counting those of deleted chains).
    pub rules_removed: usize,
    /// Chains created.
    pub chains_created: usize,
    /// dfw chains deleted.
    pub chains_deleted: usize,
}

impl FamilySummary {
    /// The counts of `plan` for IPv4 and IPv6.
    pub fn both(plan: &Plan) -> [FamilySummary; 2] {
        [Family::Ipv4, Family::Ipv6].map(|family| {
            let chains = plan.chains.iter().filter(|c| c.family == family);
            let mut s = FamilySummary {
                family,
                rules_added: 0,
                rules_removed: 0,
                chains_created: 0,
                chains_deleted: 0,
            };
            for c in chains {
                s.rules_added += c.stats.inserted;
                s.rules_removed += c.stats.deleted;
                s.chains_created += usize::from(c.create.is_some());
            }
            s.chains_deleted = plan
                .delete_chains
                .iter()
                .filter(|(f, _, _)| *f == family)
                .count();
            s
        })
    }

    /// True when nothing changes in this family.
    pub fn is_empty(&self) -> bool {
        self.rules_added + self.rules_removed + self.chains_created + self.chains_deleted == 0
    }
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

impl fmt::Display for FamilySummary {
    /// `IPv4: 3 rules added, 1 removed, 2 chains created, 0 deleted`, or
    /// `IPv4: nothing to change`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return write!(f, "{}: nothing to change", self.family);
        }
        write!(
            f,
            "{}: {} added, {} removed, {} created, {} deleted",
            self.family,
            plural(self.rules_added, "rule"),
            self.rules_removed,
            plural(self.chains_created, "chain"),
            self.chains_deleted
        )
    }
}

impl PolicyPlan {
    /// The changes, per changed chain, with the kept rules around them (see
    /// [`super::changes`]).
    pub fn changes(&self) -> Vec<ChainChange> {
        chain_changes(&self.reconciled, &self.current, Some(&self.plan), true)
    }

    /// The changes as text: per changed chain a header line, then `+ -A CHAIN ...` for
    /// rules added, `- -A CHAIN ...` for rules removed and `  -A CHAIN ...` for rules kept;
    /// `- -X CHAIN` for deleted chains. Empty when nothing changes.
    /// Then dfw's native table (`[docker] accept_fwmark`) when a commit changes it: a header
    /// `table inet dfw (create|replace|delete):` and its lines as nft prints them (`+` wanted,
    /// `-` the kernel's).
    pub fn diff_text(&self) -> String {
        let mut out = changes_text(&self.changes());
        let wanted = self.compiled.native.as_ref().map(table_text);
        let lines = |mark: &str, text: &str, out: &mut String| {
            for l in text.lines() {
                out.push_str(&format!("{mark} {l}\n"));
            }
        };
        match (&self.native, wanted) {
            (NativeState::InSync, _) => {}
            (NativeState::Missing, Some(w)) => {
                out.push_str("table inet dfw (create):\n");
                lines("+", &w, &mut out);
            }
            (NativeState::Changed { kernel }, Some(w)) => {
                out.push_str("table inet dfw (replace):\n");
                lines("-", kernel, &mut out);
                lines("+", &w, &mut out);
            }
            (_, _) => out.push_str("table inet dfw (delete)\n"),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lines() {
        let mut s = FamilySummary {
            family: Family::Ipv4,
            rules_added: 3,
            rules_removed: 1,
            chains_created: 2,
            chains_deleted: 0,
        };
        assert_eq!(
            s.to_string(),
            "IPv4: 3 rules added, 1 removed, 2 chains created, 0 deleted"
        );
        s.rules_added = 1;
        s.chains_created = 1;
        s.family = Family::Ipv6;
        assert_eq!(
            s.to_string(),
            "IPv6: 1 rule added, 1 removed, 1 chain created, 0 deleted"
        );
        let none = FamilySummary {
            family: Family::Ipv4,
            rules_added: 0,
            rules_removed: 0,
            chains_created: 0,
            chains_deleted: 0,
        };
        assert_eq!(none.to_string(), "IPv4: nothing to change");
        assert_eq!(
            FamilySummary::both(&Plan::default()),
            [
                none,
                FamilySummary {
                    family: Family::Ipv6,
                    ..none
                }
            ]
        );
    }
}
