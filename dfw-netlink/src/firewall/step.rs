//! The description of each batch message: which object (family, table, chain) and what the
//! message does to it ([`Step`]), so a kernel error's seq maps back to what caused it and the
//! error names it.
//!
//! Contract: a [`Step`] prints as the object and the operation, with the rule position (1-based,
//! in the chain as read for a deletion, in the wanted rules for an insertion) and the handle
//! where there is one: `ip filter DFW-DOCKER rule 3 (insert)`.

use std::fmt;

use dfw_core::model::{Family, Policy, TableName};

/// What one batch message does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// A message for dfw's native table (`table inet dfw`): the step's `chain` holds its
    /// description (`new rule inet dfw forward`); `family` and `table` are not used.
    Native,
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
        if self.kind == StepKind::Native {
            return write!(f, "{}", self.chain.as_deref().unwrap_or("native table"));
        }
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
            StepKind::Native => Ok(()),
        }
    }
}
