//! Firewall errors: each names the object that failed (family, table, chain, rule position)
//! and, for a kernel rejection, the errno's name and a hint.

use dfw_core::model::{Family, TableName};

use super::build::Step;
use crate::transport::{errno_hint, errno_name, KernelError, TransportError};
use crate::wire::WireError;

/// Everything the firewall can fail with.
#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    /// Talking to the kernel failed (socket, timeout, retries exhausted, a refused read).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The kernel sent a reply dfw could not parse.
    #[error("malformed reply from the kernel: {0}")]
    Malformed(#[from] WireError),
    /// The kernel rejected one message of the batch; nothing was committed.
    #[error(
        "kernel rejected the batch at {step}: {}{}{}{}",
        errno_name(*errno),
        hint(*errno),
        reason.as_deref().map(|r| format!("; kernel says: {r}")).unwrap_or_default(),
        if *others > 0 { format!(" (and {others} more errors)") } else { String::new() }
    )]
    Rejected {
        /// The message that failed: family, table, chain, what it did (rule position).
        step: Step,
        /// Positive errno.
        errno: i32,
        /// The kernel's extended-ack text, if any.
        reason: Option<String>,
        /// How many other messages the kernel also rejected (often consequences of the first).
        others: usize,
    },
    /// A rule that cannot be encoded for its chain (wrong family, protocol binding, ...).
    #[error("{family} {table} {chain} rule {position}: {reason}")]
    Encode {
        /// Family.
        family: Family,
        /// Table.
        table: TableName,
        /// Chain.
        chain: String,
        /// 1-based position in the wanted rules.
        position: usize,
        /// Why.
        reason: String,
    },
    /// A chain the change needs does not exist and was not to be created.
    #[error("{family} {table}: chain {chain} does not exist")]
    MissingChain {
        /// Family.
        family: Family,
        /// Table.
        table: TableName,
        /// Chain.
        chain: String,
    },
    /// A change the firewall refuses to make (a chain named twice, a user chain with a
    /// built-in's name, rewriting a chain holding rules dfw cannot express, ...).
    #[error("{family} {table} {chain}: {reason}")]
    Refused {
        /// Family.
        family: Family,
        /// Table.
        table: TableName,
        /// Chain.
        chain: String,
        /// Why.
        reason: String,
    },
}

fn hint(errno: i32) -> String {
    let h = errno_hint(errno);
    if h.is_empty() {
        String::new()
    } else {
        format!(" ({h})")
    }
}

impl FirewallError {
    /// The errno of a kernel rejection or refused request, if this is one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            FirewallError::Rejected { errno, .. } => Some(*errno),
            FirewallError::Transport(t) => t.kernel_error().map(|k| k.errno),
            _ => None,
        }
    }

    /// Maps the errors of a rejected batch to the first message that failed, described by
    /// `describe(seq)`.
    pub(super) fn from_rejection(
        errors: &[KernelError],
        describe: impl Fn(u32) -> Option<Step>,
    ) -> Option<FirewallError> {
        let first = errors.first()?;
        let step = describe(first.seq)?;
        Some(FirewallError::Rejected {
            step,
            errno: first.errno,
            reason: first.reason.clone(),
            others: errors.len() - 1,
        })
    }
}
