//! Safety: state and rollback, commit with confirmation, the SSH lockout guard.
//!
//! # Contract
//! - [`Snapshot`]: the exact dfw-owned objects (the `DFW-*` chains of `filter` and dfw's
//!   tagged jumps), IPv4 and IPv6, as iptables-save text per family.
//! - [`StateDir`] (`/var/lib/dfw/` by default, mode 0700): every file written atomically
//!   (temp file in the directory, fsync, rename, fsync of the directory).
//! - [`commit_policy`]: refuses a policy that would lock out the SSH session it runs in
//!   (unless [`SshGuard::Off`]), saves the previous state, and with a confirm time starts a
//!   detached watchdog ([`spawn_watchdog`]: double fork, `setsid`, no program executed) that
//!   reverts to the previous state at the deadline unless [`confirm`] marks the commit
//!   confirmed. [`crate::Dfw::commit`] is this commit.
//! - [`rollback`]: the previous state back, in one atomic commit of dfw-owned objects.
//!
//! Only `watchdog` holds `unsafe` code (fork, setsid, dup2, kill).

#[cfg(test)]
mod faults_tests;
mod flow;
mod lockout;
#[cfg(test)]
mod lockout_tests;
mod session;
mod snapshot;
mod store;
mod watchdog;

use dfw_core::model::{Family, ModelError};
use dfw_core::syntax::SyntaxError;

pub use flow::{commit_policy, confirm, rollback, CommitOptions, Confirmed, SafeCommit, SshGuard};
pub use lockout::{check_lockout, check_lockout_with_sets, desired_filter, Lockout, SshConnection};
pub use session::{ssh_connection, SSH_CONNECTION};
pub use snapshot::Snapshot;
pub use store::{Pending, StateDir, CONFIRMED, DEFAULT_STATE_DIR, OUTCOME, PENDING, PREVIOUS};
pub use watchdog::{alive, spawn_watchdog};

use crate::enforce::CommitError;
use crate::firewall::FirewallError;

/// Everything the safety layer can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SafetyError {
    /// Reading or writing the state directory failed.
    #[error("{path}: {op}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// What was done.
        op: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// A state file cannot be understood.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// Why.
        reason: Corruption,
    },
    /// A dfw chain holds a rule dfw cannot write back, so its state cannot be saved.
    #[error("{family} filter {chain}: cannot save the previous state: {reason}")]
    Opaque {
        /// Family.
        family: Family,
        /// Chain.
        chain: String,
        /// Why.
        reason: Unsavable,
    },
    /// Planning or committing failed.
    #[error(transparent)]
    Commit(#[from] CommitError),
    /// The policy would lock out the SSH session.
    #[error("{0}")]
    Lockout(Box<Lockout>),
    /// Composing the rules after the commit failed.
    #[error("lockout guard: {0}")]
    Compose(#[source] ModelError),
    /// Another commit awaits confirmation.
    #[error(
        "commit {id} awaits confirmation ({seconds_left} s left): run `dfw-cli confirm` to keep \
         it or `dfw-cli rollback` to undo it first"
    )]
    Pending {
        /// Its id.
        id: String,
        /// Seconds until it is reverted.
        seconds_left: u64,
    },
    /// `confirm` without a pending commit.
    #[error("no commit awaits confirmation")]
    NothingPending,
    /// `confirm` came after the watchdog acted.
    #[error("too late: commit {id} was not confirmed in time and the watchdog says: {outcome}")]
    TooLate {
        /// The commit's id.
        id: String,
        /// What the watchdog did.
        outcome: String,
    },
    /// `rollback` without a previous state.
    #[error("{dir}: no previous state saved: nothing to roll back to")]
    NoPrevious {
        /// The state directory.
        dir: String,
    },
    /// The watchdog cannot be started safely from a multi-threaded process.
    #[error(
        "the confirm watchdog must be started from a single-threaded process (threads: {threads:?})"
    )]
    Threads {
        /// The thread count, if known.
        threads: Option<u32>,
    },
    /// `pipe` or `fork` failed.
    #[error("starting the confirm watchdog failed: {}", crate::transport::errno_name(*errno))]
    Fork {
        /// Positive errno.
        errno: i32,
    },
}

/// Why a state file cannot be understood (see [`SafetyError::Corrupt`]).
#[derive(Debug, thiserror::Error)]
pub enum Corruption {
    /// The previous state does not start with its header line.
    #[error("does not start with {0:?}")]
    NoHeader(&'static str),
    /// The previous state lacks the IPv4 or the IPv6 section.
    #[error("a family section is missing")]
    MissingFamily,
    /// The previous state's sections are out of order.
    #[error("IPv6 section before IPv4")]
    FamiliesOutOfOrder,
    /// A section is not iptables-save text dfw reads.
    #[error(transparent)]
    Syntax(Box<SyntaxError>),
    /// The rules do not form a table (a jump to a chain that is not captured).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The pending-commit marker is not `ID DEADLINE PID` (the text found).
    #[error("expected `ID DEADLINE PID`, found {0:?}")]
    Pending(String),
}

/// Why a dfw chain's state cannot be saved (see [`SafetyError::Opaque`]).
#[derive(Debug, thiserror::Error)]
pub enum Unsavable {
    /// A chain name iptables cannot take.
    #[error(transparent)]
    ChainName(ModelError),
    /// The rule at this 1-based position is not expressible by dfw.
    #[error("rule {0} is not expressible by dfw")]
    Rule(usize),
}

impl From<FirewallError> for SafetyError {
    fn from(e: FirewallError) -> Self {
        SafetyError::Commit(CommitError::Firewall(e))
    }
}
