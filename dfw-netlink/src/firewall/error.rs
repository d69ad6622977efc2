//! Firewall errors: each names the object that failed (family, table, chain, rule position)
//! and, for a kernel rejection, the errno's name and a hint.

use dfw_core::model::{Family, TableName};

use super::step::Step;
use crate::transport::{errno_hint, errno_name, KernelError, Retryable, TransportError};
use crate::wire::WireError;

/// Everything the firewall can fail with.
#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    /// Talking to the kernel failed (socket, timeout, retries exhausted, a refused read).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A message of dfw's native table the wire cannot carry.
    #[error("dfw's native table: {source}")]
    Native {
        /// The encoder's error.
        source: crate::nft::EncodeError,
    },
    /// Reading the ipset indices that `-m set` rules refer to failed.
    #[error("reading the kernel's ipset sets for -m set rules: {0}")]
    Sets(Box<crate::ipset::IpsetError>),
    /// The kernel sent a reply dfw could not parse.
    #[error("malformed reply from the kernel: {0}")]
    Malformed(#[from] WireError),
    /// A read request that cannot be put on the wire (a table or chain name it cannot carry).
    #[error("invalid request: {0}")]
    Query(#[from] crate::nft::EncodeError),
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
    /// A rule (or chain) that cannot be encoded for its chain (wrong family, protocol
    /// binding, a name the wire cannot carry, ...).
    #[error("{family} {table} {chain} rule {position}: {source}")]
    Encode {
        /// Family.
        family: Family,
        /// Table.
        table: TableName,
        /// Chain.
        chain: String,
        /// 1-based position in the wanted rules (0 for a table or chain message).
        position: usize,
        /// Why.
        source: Box<Unencodable>,
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
        reason: Refusal,
    },
}

/// Why a wanted rule (or a table or chain message) cannot be put in the batch.
#[derive(Debug, thiserror::Error)]
pub enum Unencodable {
    /// The rule codec cannot express the rule in iptables-nft's form for its family.
    #[error(transparent)]
    Rule(#[from] crate::rule_codec::EncodeError),
    /// A value the wire cannot carry (a name too long or holding a NUL, an oversize rule).
    #[error(transparent)]
    Wire(#[from] crate::nft::EncodeError),
    /// A plan paired with a change set it was not made from.
    #[error("not in the change set the plan was made from")]
    NotInChangeSet,
}

/// Why the firewall refuses a change (see [`FirewallError::Refused`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The change names one chain twice.
    NamedTwice,
    /// A policy asked for on a chain that is not a built-in.
    PolicyOnUserChain,
    /// A policy asked for on a chain the kernel holds as a user chain.
    NoPolicyInKernel,
    /// Deleting a built-in chain.
    DeleteBuiltin,
    /// A chain both wanted and deleted.
    WantedAndDeleted,
    /// Rewriting (without replacing it wholesale) a chain holding rules dfw cannot express.
    HoldsOpaqueRules {
        /// How many such rules it holds.
        count: usize,
    },
    /// A kernel rule to keep ([`super::Wanted::Kernel`]) that the chain does not hold.
    KeptRuleMissing {
        /// Its handle.
        handle: u64,
    },
    /// Kernel rules to keep named out of the chain's order.
    KeptRulesOutOfOrder {
        /// The handle out of order.
        handle: u64,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NamedTwice => f.write_str("named twice in one change"),
            Refusal::PolicyOnUserChain => f.write_str("only built-in chains have a policy"),
            Refusal::NoPolicyInKernel => {
                f.write_str("is a user chain in the kernel; it has no policy")
            }
            Refusal::DeleteBuiltin => f.write_str("a built-in chain cannot be deleted"),
            Refusal::WantedAndDeleted => f.write_str("both wanted and deleted in one change"),
            Refusal::HoldsOpaqueRules { count } => write!(
                f,
                "holds {count} rule(s) dfw cannot express; refusing to rewrite it (flush it first)"
            ),
            Refusal::KeptRuleMissing { handle } => {
                write!(
                    f,
                    "the rule with handle {handle} to keep is not in the chain"
                )
            }
            Refusal::KeptRulesOutOfOrder { handle } => write!(
                f,
                "the rule with handle {handle} to keep is named out of the chain's order"
            ),
        }
    }
}

impl Retryable for FirewallError {
    fn into_retryable(self) -> Result<TransportError, Self> {
        match self {
            FirewallError::Transport(t) => t.into_retryable().map_err(FirewallError::Transport),
            other => Err(other),
        }
    }
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
