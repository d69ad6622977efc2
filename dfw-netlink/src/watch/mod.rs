//! Staying true over time: a self-healing loop ([`Watcher`]) that repairs dfw's rules when
//! someone changes them. The check it runs is [`crate::enforce::drift`] (what
//! [`crate::enforce::status`] and `dfw-cli status` report), the repair
//! [`crate::enforce::commit_compiled_unguarded`].
//!
//! # Contract
//! - A check reads dfw's chains (as a commit does), changes nothing and yields a typed
//!   [`dfw_core::policy::Drift`]: per chain, rules missing, extra, reordered or changed.
//!   Empty means a commit would send nothing.
//! - [`Watcher::run`] blocks in `poll` on an nf_tables event socket
//!   ([`crate::transport::EventSocket`]), an inotify watch of the config file, an eventfd
//!   (the [`StopHandle`]) and, if asked, a signalfd for SIGHUP/SIGTERM/SIGINT: no CPU is
//!   used while nothing happens. It first repairs whatever drifted.
//! - An event that can concern dfw ([`NftEvent::concerns_dfw`]) and was not sent by the
//!   watcher's own firewall socket (its netlink port id) starts a debounce: the check runs
//!   after [`WatchOptions::quiet`] without further iptables activity (any table, chain or
//!   rule change in an IPv4/IPv6 table, e.g. Docker rebuilding its chains), or at the latest
//!   [`WatchOptions::max_delay`] after the first, so a burst costs one check. The check reads
//!   only dfw's chains; when they drifted, the same reconcile and commit path as
//!   `dfw-cli commit` repairs them (a minimal edit in one atomic batch) and a
//!   [`Notice::Repaired`] says what was wrong and how long the repair took.
//! - Lost events (`ENOBUFS`) trigger a full check. SIGHUP, or the config file closed after
//!   writing or renamed into place (never on creation or a write in progress: a half-written
//!   file is never read), reloads it: read only if root or the running user alone can write
//!   it, validated (an invalid or untrusted file is reported and the previous policy kept),
//!   then checked at once. SIGTERM/SIGINT or [`StopHandle::stop`] end the loop cleanly.
//! - `external = ["auto"]` is resolved when the config is (re)loaded.
//! - The watch works through the state directory of `commit`, `confirm` and `rollback`
//!   ([`WatchOptions::state`]), claimed for its network namespace; it holds
//!   [`crate::safety::WATCH_LOCK`] for its lifetime and describes itself (pid, policy hash,
//!   file), so a second watch on the same directory refuses to start
//!   ([`WatchError::AlreadyWatched`]) and a CLI commit of another policy is refused
//!   ([`crate::SafetyError::Watched`]). It also claims the network namespace in the kernel
//!   ([`crate::safety::marker`]: a table its own socket owns, gone when the watch ends, even
//!   by SIGKILL): a second watch there refuses to start whatever its state directory
//!   ([`WatchError::Claimed`]), before changing anything, so two watches never undo each
//!   other's policies; a commit of another policy and a rollback through another state
//!   directory are refused while it runs. On a kernel that cannot own tables (before 5.12)
//!   it says so ([`Notice::Unmarked`]) and runs unmarked. Every check holds the state lock. The policy loaded
//!   at start or by a reload is applied like a commit (`guarded`): refused when it would
//!   lock out a live SSH session ([`Notice::Refused`]: the previous policy stays enforced,
//!   none at start), with a rollback point staged and promoted, and recorded as applied.
//!   Repairs of the enforced policy are not guarded and save no rollback point (they restore
//!   what was applied). While a commit awaits confirmation the watch changes nothing
//!   ([`Notice::HeldOff`]); when another command applied something else through the state
//!   directory (a rollback, the watchdog's revert, a commit of another policy), it stops
//!   enforcing ([`Notice::Suspended`]) until the file changes or SIGHUP.
#![deny(unsafe_code)]

mod event;
mod guarded;
mod run;
#[allow(unsafe_code)]
mod sys;

pub use event::{parse_events, EventKind, NftEvent};
pub use run::{Cause, Notice, Repair, StopHandle, WatchOptions, Watcher};

use dfw_core::policy::PolicyError;

use crate::enforce::CommitError;
use crate::firewall::FirewallError;
use crate::safety::marker::ClaimError;
use crate::safety::{SafetyError, TrustError};
use crate::transport::TransportError;

/// Why the watch could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// A system call on the watch's own fds failed.
    #[error("{op}: {}", std::io::Error::from_raw_os_error(*errno))]
    Sys {
        /// The call.
        op: &'static str,
        /// Its errno.
        errno: i32,
    },
    /// Opening the event socket failed.
    #[error("nf_tables event socket: {0}")]
    Events(#[from] TransportError),
    /// Opening the firewall failed.
    #[error(transparent)]
    Firewall(#[from] FirewallError),
    /// The config file could not be read.
    #[error("{path}: {source}")]
    ReadConfig {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is invalid (the error names the file, line, column and key).
    #[error(transparent)]
    Config(#[from] PolicyError),
    /// The policy's external interfaces could not be resolved.
    #[error(transparent)]
    Policy(#[from] CommitError),
    /// The config file could be written by another user.
    #[error(transparent)]
    Untrusted(#[from] TrustError),
    /// The state directory could not be used.
    #[error(transparent)]
    State(#[from] SafetyError),
    /// Another watch follows a policy through the same state directory.
    #[error(
        "another dfw-cli watch (pid {pid}) follows {config} through this state directory: one \
         watch per network namespace (two would undo each other's policies)"
    )]
    AlreadyWatched {
        /// Its pid.
        pid: u32,
        /// The file it follows.
        config: String,
    },
    /// Another watch holds the network namespace (its kernel marker), or the marker could
    /// not be made.
    #[error(transparent)]
    Claimed(#[from] ClaimError),
}
