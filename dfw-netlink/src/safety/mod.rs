//! Safety: state and rollback, commit with confirmation, the SSH lockout guard, and the
//! trust boundaries of the files dfw reads and writes as root.
//!
//! # Contract
//! - [`Snapshot`]: the exact dfw-owned objects (the `DFW-*` chains of `filter` and dfw's
//!   tagged jumps), IPv4 and IPv6, as iptables-save text per family with an end marker.
//! - [`StateDir`] (`/var/lib/dfw/` by default, mode 0700, refused when another user could
//!   write to it): every file written atomically through the directory's fd; one lock that
//!   every kernel-changing operation through it holds; bound to one network namespace
//!   ([`owner`]).
//! - [`commit_policy`]: refuses a policy that would lock out a live SSH session (unless
//!   [`SshGuard::Off`]) or that a running watch would undo, saves the rollback point, and
//!   with a confirm time starts a detached watchdog ([`spawn_watchdog`]: double fork,
//!   `setsid`, no program executed) that reverts to the rollback point at the deadline
//!   unless [`confirm`] marks the commit confirmed. [`crate::Dfw::commit`] is this commit.
//! - [`rollback`]: the rollback point back, guarded, in one atomic commit of dfw-owned
//!   objects.
//! - [`read_trusted`]: a policy file is read only if root (or the running user) alone can
//!   write it.
//! - [`marker`]: the kernel's record of the watch enforcing dfw in a network namespace (a
//!   table the watch's socket owns); a second watch refuses to start, a commit of another
//!   policy and a rollback through another state directory are refused while it runs.
//!
//! `unsafe` code lives only in `watchdog` (fork, setsid, dup2, kill), `fsys` (openat and
//! friends, open-file-description locks) and `crash` (the test builds' crash points).

mod crash;
#[cfg(test)]
mod faults_tests;
mod flow;
mod fsys;
mod guard;
mod lockout;
mod lockout_rule;
#[cfg(test)]
mod lockout_tests;
pub mod marker;
pub mod owner;
pub mod record;
mod session;
mod sessions;
mod settle;
mod snapshot;
mod store;
mod trust;
mod watchdog;

use dfw_core::model::{Family, ModelError};
use dfw_core::syntax::SyntaxError;

pub use crash::CRASH_AT;
pub use flow::{commit_policy, CommitOptions, SafeCommit, ABANDONED};
pub use guard::{
    check_changes, check_changes_in, kernel_snapshot, recover_staged, with_kernel_sets,
    with_kernel_sets_in, SshGuard,
};
pub use lockout::{
    check_lockout, check_lockout_change, check_lockout_change_with_sets, check_lockout_on,
    check_lockout_on_with, check_lockout_on_with_sets, check_lockout_with_sets, desired_filter,
    ingress, Lockout, SshConnection,
};
pub use session::{ssh_connection, SSH_CONNECTION};
pub use sessions::{live_ssh_sessions, sessions_of, LiveSessions, DEFAULT_SSH_PORT};
pub use settle::{confirm, rollback, Confirmed, RollbackOptions};
pub use snapshot::{fnv1a64, rules_text, Snapshot};
pub use store::{
    excerpt, Pending, StateDir, StateLock, APPLIED, CONFIRMED, DEFAULT_STATE_DIR, LOCK, OUTCOME,
    OWNER, PENDING, PREVIOUS, STAGED, WATCH, WATCHDOG_LOCK, WATCH_LOCK,
};
pub use trust::{read_trusted, Distrust, TrustError};
pub use watchdog::{alive, spawn_watchdog};

use crate::enforce::CommitError;
use crate::firewall::FirewallError;
use crate::sockdiag::SockDiagError;

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
    /// The state directory (or an ancestor) could be written by another user, or is a
    /// symbolic link.
    #[error(transparent)]
    Untrusted(#[from] TrustError),
    /// The state directory belongs to another network namespace.
    #[error(
        "{dir} holds the state of {recorded}, not of this one ({here}): its rollback point is \
         not this kernel's; use another --state-dir here"
    )]
    Foreign {
        /// The state directory.
        dir: String,
        /// Where it belongs.
        recorded: String,
        /// Where this process runs.
        here: String,
    },
    /// A watch follows another policy (through this state directory, or in this network
    /// namespace per its kernel marker).
    #[error(
        "dfw-cli watch (pid {pid}) follows {config} and would undo this commit: edit that file \
         (the watch applies it, guarded, with a rollback point), or stop the watch first \
         (systemctl stop dfw-watch)"
    )]
    Watched {
        /// The watch's pid.
        pid: u32,
        /// The file it follows.
        config: String,
    },
    /// A watch in this network namespace works through another state directory: a rollback
    /// through this one would be undone.
    #[error(
        "dfw-cli watch (pid {pid}) follows {config} through the state directory {state} and \
         would undo this rollback: roll back with --state-dir {state} (the watch then stops \
         enforcing until its file changes), or stop the watch first (systemctl stop dfw-watch)"
    )]
    WatchedElsewhere {
        /// The watch's pid.
        pid: u32,
        /// The file it follows.
        config: String,
        /// Its state directory.
        state: String,
    },
    /// The live SSH sessions could not be read, so the guard cannot check them.
    #[error("SSH guard: {0}; use --force to change the rules without the guard")]
    Sessions(#[from] SockDiagError),
    /// A state file cannot be understood.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// Why.
        reason: Corruption,
    },
    /// A dfw chain cannot be saved (its name is not one iptables takes).
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
    /// The native nf_tables tables could not be read (the lockout guard evaluates them).
    #[error("lockout guard: native tables: {0}")]
    Native(#[from] crate::native::NativeError),
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
    /// `confirm` of a commit whose watchdog is gone.
    #[error(
        "commit {id} awaits no confirmation any more: {ABANDONED}; the kernel keeps what it holds"
    )]
    Stale {
        /// The commit's id.
        id: String,
    },
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
    /// The pending-commit marker is not `ID DEADLINE PID` (the text found, shortened).
    #[error("expected `ID DEADLINE PID`, found {0:?}")]
    Pending(String),
    /// A line of the `# sets` section is not a set or a member of the set before it (its
    /// line number and text, shortened).
    #[error("line {0}: not a set or a member of the set before it: {1:?}")]
    Set(usize, String),
    /// A line of the native-table section (`# native table inet dfw`) is not a `# fwmark`
    /// or `# forward` line, or the `# fwmark` line is missing (line number and text).
    #[error("line {0}: not a line of dfw's native table section: {1:?}")]
    Native(usize, String),
    /// The end marker is missing: the file is truncated.
    #[error("no end marker: the file is truncated, not applied")]
    Truncated,
    /// The end marker's length or checksum does not match.
    #[error(
        "length or checksum of the end marker does not match: the file is damaged, not applied"
    )]
    Checksum,
}

/// Why a dfw chain's state cannot be saved (see [`SafetyError::Opaque`]).
#[derive(Debug, thiserror::Error)]
pub enum Unsavable {
    /// A chain name iptables cannot take.
    #[error(transparent)]
    ChainName(ModelError),
}

impl From<FirewallError> for SafetyError {
    fn from(e: FirewallError) -> Self {
        SafetyError::Commit(CommitError::Firewall(e))
    }
}
